// Index scans: start position from the scan keys, page-at-a-time reading under one share lock,
// forward via right links and backward via left links (re-found by moving right), the end of
// the scan from "required" keys, mark/restore. README.md ("Scanning", BT10).
#include <algorithm>
#include <cstring>
#include <optional>

#include "access/nbtree/nbtree_internal.h"
#include "backend/utils/error/error.h"
#include "backend/utils/error/format.h"

namespace keel::access::nbtree {

using namespace internal;  // NOLINT: this file is the module's own
using storage::BufferLockMode;
using storage::OffsetNumber;
using storage::Page;

namespace {

struct ScanEntry {
  storage::ItemPointer tid;
  size_t byte_offset;  // into Position::tuples
  size_t size;
};

// What one page read left behind: the matching entries (copied), where to go next.
struct Position {
  std::vector<ScanEntry> entries;
  std::vector<std::byte> tuples;
  size_t next = 0;
  BlockNumber block = kInvalidBlockNumber;
  uint32_t left = kNoBlock;
  uint32_t right = kNoBlock;
  bool more = false;  // more pages to read in the scan direction
  // Backward scans: a copy of the lowest entry of the last non-empty page read; everything at
  // or above it was read. Re-finds the position when the page read last was deleted (BT10).
  IndexTuple low;
};

bool IsUpperBound(BtStrategy s) { return s == BtStrategy::kLess || s == BtStrategy::kLessEqual; }
bool IsLowerBound(BtStrategy s) { return s == BtStrategy::kGreater || s == BtStrategy::kGreaterEqual; }
bool IsStrict(BtStrategy s) { return s == BtStrategy::kLess || s == BtStrategy::kGreater; }

bool Satisfies(BtStrategy s, int32_t c) {
  switch (s) {
    case BtStrategy::kLess: return c < 0;
    case BtStrategy::kLessEqual: return c <= 0;
    case BtStrategy::kEqual: return c == 0;
    case BtStrategy::kGreaterEqual: return c >= 0;
    case BtStrategy::kGreater: return c > 0;
  }
  return false;
}

}  // namespace

struct BtScan::State {
  const BtIndex& index;
  std::vector<BtScanKey> keys;   // sorted by attno
  std::vector<bool> required;    // key i ends the scan when failed on the far side
  ScanDirection dir;
  bool started = false;
  Position pos;
  Position mark;
  bool marked = false;
  SearchKey start_key;  // the positioning key of Start (nkeys 0: none); values owned by `keys`

  State(const BtIndex& idx, std::vector<BtScanKey> k, ScanDirection d) : index(idx), dir(d) { SetKeys(std::move(k)); }

  void SetKeys(std::vector<BtScanKey> k) {
    for (const BtScanKey& key : k) {
      if (key.attno < 0 || key.attno >= index.keys->nkeyatts()) {
        throw Error(sqlstate::kInternalError, Format("invalid scan key column %d", key.attno));
      }
    }
    std::stable_sort(k.begin(), k.end(), [](const BtScanKey& a, const BtScanKey& b) { return a.attno < b.attno; });
    keys = std::move(k);
    // A key is required when every earlier key column has an equality key (README
    // "Scanning"): entries are then ordered by its column among those that pass the others.
    required.assign(keys.size(), false);
    int eq_prefix = 0;  // columns [0, eq_prefix) have an '=' key
    for (int col = 0; col < index.keys->nkeyatts(); ++col) {
      bool has_eq = false;
      for (const BtScanKey& key : keys) has_eq |= key.attno == col && key.strategy == BtStrategy::kEqual;
      if (!has_eq) break;
      eq_prefix = col + 1;
    }
    for (size_t i = 0; i < keys.size(); ++i) required[i] = keys[i].attno <= eq_prefix;
  }

  // Whether the item passes every key; *stop when a required key fails on the side the scan
  // moves towards (nothing further can pass).
  bool Check(Page page, OffsetNumber off, bool* stop) const {
    if (keys.empty()) return true;
    const int natts = keys.back().attno + 1;
    Datum v[kIndexMaxKeys];
    bool n[kIndexMaxKeys];
    IndexDeformTuple(*index.keys->tupdesc, Item(page, off), std::span<Datum>(v, static_cast<size_t>(natts)),
                     std::span<bool>(n, static_cast<size_t>(natts)));
    for (size_t i = 0; i < keys.size(); ++i) {
      const BtScanKey& k = keys[i];
      const IndexKeyColumn& col = index.keys->keys[static_cast<size_t>(k.attno)];
      int32_t c = 0;
      if (!n[k.attno]) {
        c = col.compare(v[k.attno], k.argument, col.compare_arg);
        if (Satisfies(k.strategy, c)) continue;
      }
      if (required[i]) {
        int side;  // > 0: the item lies after the key's range in index order; < 0: before
        if (n[k.attno]) {
          side = col.nulls_first ? -1 : 1;
        } else if (k.strategy == BtStrategy::kEqual) {
          side = (c > 0) != col.descending ? 1 : -1;
        } else if (IsUpperBound(k.strategy)) {
          side = col.descending ? -1 : 1;
        } else {
          side = col.descending ? 1 : -1;
        }
        if ((dir == ScanDirection::kForward) == (side > 0)) *stop = true;
      }
      return false;
    }
    return true;
  }

  void ReadPage(LockedPage& page, OffsetNumber start) {
    const Page p = page.page();
    pos.entries.clear();
    pos.tuples.clear();
    pos.next = 0;
    pos.block = page.block();
    pos.left = Opaque(p)->left;
    pos.right = Opaque(p)->right;
    if (IsDead(p)) {  // BT18: reached by a right link; empty, skipped by its right link
      pos.more = dir == ScanDirection::kForward ? pos.right != kNoBlock : pos.left != kNoBlock;
      return;
    }
    bool stop = false;
    auto take = [&](OffsetNumber off) {
      if (!Check(p, off, &stop)) return;
      const IndexTupleHeader* it = Item(p, off);
      const size_t at = pos.tuples.size();
      pos.tuples.resize(at + storage::MaxAlign(it->Size()));
      std::memcpy(pos.tuples.data() + at, it->bytes(), it->Size());
      pos.entries.push_back({it->Tid(), at, it->Size()});
    };
    const OffsetNumber first = FirstData(p);
    const OffsetNumber max = MaxOff(p);
    if (dir == ScanDirection::kBackward && first <= max) {
      const IndexTupleHeader* lowest = Item(p, first);
      pos.low = IndexTuple(lowest->bytes(), lowest->Size());
    }
    if (dir == ScanDirection::kForward) {
      for (OffsetNumber off = std::max(start, first); off <= max && !stop; ++off) take(off);
      pos.more = !stop && pos.right != kNoBlock;
    } else {
      for (OffsetNumber off = std::min(start, max); off >= first && off > 0 && !stop; --off) take(off);
      pos.more = !stop && pos.left != kNoBlock;
    }
  }

  // The live page left of pos.block now (BT10, BT18): from the remembered left link, move
  // right until a live page whose right link is pos.block or a dead page known to lie between
  // (dead pages are empty; a half-dead one is still linked, a deleted one keeps the links it
  // had). Each dead page met that way is added to the targets and the walk restarts from its
  // left link. nullopt when pos.block itself was deleted since it was read (no page links to
  // it any more): the caller re-finds the position by key. Invalid page: the left end.
  std::optional<LockedPage> WalkLeft() {
    std::vector<uint32_t> targets{pos.block.value()};
    auto is_target = [&](uint32_t b) { return std::find(targets.begin(), targets.end(), b) != targets.end(); };
    uint32_t start = pos.left;
    for (int restarts = 0; restarts < 100000; ++restarts) {
      if (start == kNoBlock) return LockedPage();
      BlockNumber block(start);
      for (;;) {
        LockedPage page(index, block, BufferLockMode::kShare);
        const BtPageOpaque* o = Opaque(page.page());
        if (is_target(o->right)) {
          if (!IsDead(page.page())) return page;
          targets.push_back(block.value());
          start = o->left;
          break;
        }
        if (o->right == kNoBlock) return std::nullopt;  // walked past: pos.block was unlinked
        block = BlockNumber(o->right);
      }
    }
    throw Error(sqlstate::kDataCorrupted,
                Format("could not find left sibling of block %u in index \"%s\"", pos.block.value(),
                       index.rel.name.c_str()));
  }

  // Backward: the page read last was deleted after it was read. Descend again to the position
  // just below what was read (the lowest entry seen, else the start key) and read from there.
  void RefindBackward() {
    SearchKey key;
    if (!pos.low.empty()) {
      MakeKeyFromTuple(*index.keys, pos.low.header(), true, &key);
      key.nextkey = false;  // entries < the lowest one read
    } else if (start_key.nkeys > 0) {
      key = start_key;
    } else {  // nothing read yet by a scan from the right end: start over there
      LockedPage page = Endpoint(true);
      ReadPage(page, MaxOff(page.page()));
      return;
    }
    LockedPage page = Descend(index, key, BufferLockMode::kShare, nullptr);
    const OffsetNumber off = BinarySearch(*index.keys, key, page.page());
    ReadPage(page, static_cast<OffsetNumber>(off - 1));  // keeps pos.low unless it reads more
  }

  // The leftmost / rightmost leaf.
  LockedPage Endpoint(bool rightmost) {
    BlockNumber block;
    uint32_t level;
    ReadMeta(index, &block, &level);
    for (;;) {
      LockedPage page(index, block, BufferLockMode::kShare);
      Page p = page.page();
      while (IsDead(p) && !IsRightmost(p)) {  // BT18: reached by a stale downlink
        const BlockNumber right(Opaque(p)->right);
        page = LockedPage(index, right, BufferLockMode::kShare);
        p = page.page();
      }
      if (rightmost) {
        while (!IsRightmost(p)) {  // the page split since we read its parent
          const BlockNumber right(Opaque(p)->right);
          page = LockedPage(index, right, BufferLockMode::kShare);
          p = page.page();
        }
      }
      if (IsLeaf(p)) return page;
      block = BlockNumber(Item(p, rightmost ? MaxOff(p) : FirstData(p))->tid_block);
    }
  }

  void Start() {
    started = true;
    const bool forward = dir == ScanDirection::kForward;
    // Start key: '=' keys on a prefix of the columns, then one bound on the next column that
    // limits where the scan starts (a lower bound in index order going forward).
    SearchKey sk;
    bool strict = false;
    for (int col = 0; col < index.keys->nkeyatts(); ++col) {
      const BtScanKey* eq = nullptr;
      const BtScanKey* bound = nullptr;
      const bool desc = index.keys->keys[static_cast<size_t>(col)].descending;
      for (const BtScanKey& k : keys) {
        if (k.attno != col) continue;
        if (k.strategy == BtStrategy::kEqual) {
          eq = &k;
        } else if ((forward != desc) ? IsLowerBound(k.strategy) : IsUpperBound(k.strategy)) {
          bound = &k;
        }
      }
      const BtScanKey* use = eq != nullptr ? eq : bound;
      if (use == nullptr) break;
      sk.values[col] = use->argument;
      sk.isnull[col] = false;
      sk.nkeys = col + 1;
      strict = IsStrict(use->strategy);
      if (eq == nullptr) break;
    }
    start_key = SearchKey{};
    if (sk.nkeys == 0) {
      LockedPage page = Endpoint(!forward);
      ReadPage(page, forward ? 1 : MaxOff(page.page()));
      return;
    }
    // Forward: the first entry >= key (> for a strict bound). Backward: the last entry <= key
    // (< for a strict bound) = one before the first entry > key (>= key).
    sk.nextkey = forward ? strict : !strict;
    start_key = sk;
    LockedPage page = Descend(index, sk, BufferLockMode::kShare, nullptr);
    const OffsetNumber off = BinarySearch(*index.keys, sk, page.page());
    ReadPage(page, forward ? off : static_cast<OffsetNumber>(off - 1));
  }
};

BtScan::BtScan(const BtIndex& index, std::vector<BtScanKey> keys, ScanDirection dir)
    : state_(std::make_unique<State>(index, std::move(keys), dir)) {}

BtScan::~BtScan() = default;

bool BtScan::Next(storage::ItemPointer* heap_tid, IndexTuple* tuple) {
  State& s = *state_;
  if (!s.started) s.Start();
  for (;;) {
    Position& pos = s.pos;
    if (pos.next < pos.entries.size()) {
      const ScanEntry& e = pos.entries[pos.next++];
      *heap_tid = e.tid;
      if (tuple != nullptr) *tuple = IndexTuple(pos.tuples.data() + e.byte_offset, e.size);
      return true;
    }
    if (!pos.more) return false;
    if (s.dir == ScanDirection::kForward) {
      LockedPage page(s.index, BlockNumber(pos.right), BufferLockMode::kShare);
      s.ReadPage(page, 1);
    } else {
      std::optional<LockedPage> page = s.WalkLeft();
      if (!page.has_value()) {
        s.RefindBackward();
      } else if (!page->valid()) {
        pos.more = false;  // the left end: every page left of pos.block was deleted
      } else {
        s.ReadPage(*page, MaxOff(page->page()));
      }
    }
  }
}

void BtScan::Rescan(std::vector<BtScanKey> keys, ScanDirection dir) {
  State& s = *state_;
  s.SetKeys(std::move(keys));
  s.dir = dir;
  s.started = false;
  s.pos = Position{};
  s.marked = false;
}

void BtScan::Mark() {
  state_->mark = state_->pos;
  state_->marked = state_->started;
}

void BtScan::Restore() {
  State& s = *state_;
  if (!s.marked) {  // marked before the first Next: restart
    s.started = false;
    s.pos = Position{};
    return;
  }
  s.pos = s.mark;
}

}  // namespace keel::access::nbtree
