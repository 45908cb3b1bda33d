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

// A pin on the leaf whose entries a scan returns (BT27), copyable (Mark takes a second pin).
// Records the process's pin epoch when it pins (storage/buffer B13): after an abort dropped
// every pin (ReleaseAllBufferPins) the pin is gone, and the buffer may be pinned again by
// another scan of this process — releasing or copying then would use that scan's pin.
class LeafPin {
 public:
  LeafPin() = default;
  LeafPin(const LeafPin& o) { CopyFrom(o); }
  LeafPin& operator=(const LeafPin& o) {
    if (this != &o) {
      Reset();
      CopyFrom(o);
    }
    return *this;
  }
  ~LeafPin() { Reset(); }
  // Another pin on `buf`, which the caller holds pinned.
  void Take(storage::Buffer buf) {
    Reset();
    storage::IncrBufferRefCount(buf);
    buf_ = buf;
    epoch_ = storage::BufferPinEpoch();
  }
  void Reset() {
    if (Held()) storage::ReleaseBuffer(buf_);
    buf_ = storage::kInvalidBuffer;
  }

 private:
  // Whether the pin taken is still this object's (no wholesale release since).
  [[nodiscard]] bool Held() const {
    return buf_ != storage::kInvalidBuffer && epoch_ == storage::BufferPinEpoch();
  }
  void CopyFrom(const LeafPin& o) {
    if (!o.Held()) return;  // a pin that is gone copies as none
    storage::IncrBufferRefCount(o.buf_);
    buf_ = o.buf_;
    epoch_ = o.epoch_;
  }

  storage::Buffer buf_ = storage::kInvalidBuffer;
  uint64_t epoch_ = 0;  // BufferPinEpoch() when buf_ was pinned
};

// What one page read left behind: the matching entries (copied, in page order), the one
// returned last, where to go next in either direction.
struct Position {
  std::vector<ScanEntry> entries;
  std::vector<std::byte> tuples;
  ptrdiff_t cur = -1;  // entry returned last; -1 before the first, entries.size() after the last
  BlockNumber block = kInvalidBlockNumber;
  uint32_t left = kNoBlock;
  uint32_t right = kNoBlock;
  bool more_left = false;   // pages to the left may hold matching entries
  bool more_right = false;  // pages to the right may
  LeafPin pin;              // keep_leaf_pin: a pin on `block` (BT27)
  // Where a backward step re-finds its place when `block` was deleted after it was read (BT10):
  // everything left to return lies below this tuple — the page's lowest entry when it had
  // entries, else its high key; empty for an empty rightmost page (start from the right end).
  IndexTuple low;
};

bool IsUpperBound(BtStrategy s) { return s == BtStrategy::kLess || s == BtStrategy::kLessEqual; }
bool IsLowerBound(BtStrategy s) { return s == BtStrategy::kGreater || s == BtStrategy::kGreaterEqual; }
bool IsStrict(BtStrategy s) { return s == BtStrategy::kLess || s == BtStrategy::kGreater; }

// '=' or IS NULL: the column is fixed to one value (NULL counts as one).
bool IsEquality(const BtScanKey& k) {
  return k.null_test == BtNullTest::kIsNull ||
         (k.null_test == BtNullTest::kNone && k.strategy == BtStrategy::kEqual);
}

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
  ScanDirection dir;             // of the page read in progress / the last Next
  ScanDirection default_dir;     // the constructor's / Rescan's, for Next without a direction
  BtScanOptions options;
  bool started = false;
  bool ended = false;            // ran off the end in `end_dir` (no position, no pin)
  ScanDirection end_dir = ScanDirection::kForward;
  Position pos;
  Position mark;
  bool marked = false;
  bool mark_ended = false;
  ScanDirection mark_end_dir = ScanDirection::kForward;

  State(const BtIndex& idx, std::vector<BtScanKey> k, ScanDirection d, BtScanOptions o)
      : index(idx), dir(d), default_dir(d), options(o) {
    SetKeys(std::move(k));
  }

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
      for (const BtScanKey& key : keys) has_eq |= key.attno == col && IsEquality(key);
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
      if (k.null_test != BtNullTest::kNone) {
        if ((k.null_test == BtNullTest::kIsNull) == n[k.attno]) continue;
        if (required[i]) {
          // A NULL item failed IS NOT NULL: it lies on the NULLs' side; a non-null item failed
          // IS NULL: on the other side of the NULLs.
          const bool nulls_before = col.nulls_first == n[k.attno];
          if ((dir == ScanDirection::kForward) == !nulls_before) *stop = true;
        }
        return false;
      }
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
    pos.block = page.block();
    if (options.keep_leaf_pin) {
      pos.pin.Take(page.buffer());  // BT27: while its entries are returned
    } else {
      pos.pin.Reset();
    }
    pos.left = Opaque(p)->left;
    pos.right = Opaque(p)->right;
    if (IsDead(p)) {  // BT18: reached by a right link; empty, skipped by its links
      pos.more_right = pos.right != kNoBlock;
      pos.more_left = pos.left != kNoBlock;
      pos.cur = dir == ScanDirection::kForward ? -1 : 0;
      return;
    }
    bool stop = false;
    auto take = [&](OffsetNumber off) {
      if (!Check(p, off, &stop)) return;
      const IndexTupleHeader* it = Item(p, off);
      const size_t at = pos.tuples.size();
      if (IsPosting(it)) {
        // BT25: one entry per heap tid, in tid order (reversed going backward); they share one
        // copy of the key part, whose header Next() fills with the entry's tid.
        const size_t keylen = KeyPartSize(it);
        pos.tuples.resize(at + storage::MaxAlign(keylen));
        std::memcpy(pos.tuples.data() + at, it->bytes(), keylen);
        auto* copy = reinterpret_cast<IndexTupleHeader*>(pos.tuples.data() + at);
        copy->info = static_cast<uint16_t>((copy->info & ~kIndexSizeMask) | keylen);
        const uint32_t n = TidCount(it);
        for (uint32_t i = 0; i < n; ++i) {
          const uint32_t k = dir == ScanDirection::kForward ? i : n - 1 - i;
          pos.entries.push_back({LeafTid(it, k), at, keylen});
        }
        return;
      }
      pos.tuples.resize(at + storage::MaxAlign(it->Size()));
      std::memcpy(pos.tuples.data() + at, it->bytes(), it->Size());
      pos.entries.push_back({it->Tid(), at, it->Size()});
    };
    const OffsetNumber first = FirstData(p);
    const OffsetNumber max = MaxOff(p);
    const IndexTupleHeader* low = first <= max ? Item(p, first) : (IsRightmost(p) ? nullptr : Item(p, kHighKey));
    pos.low = low != nullptr ? IndexTuple(low->bytes(), low->Size()) : IndexTuple();
    if (dir == ScanDirection::kForward) {
      for (OffsetNumber off = std::max(start, first); off <= max && !stop; ++off) take(off);
      pos.more_right = !stop && pos.right != kNoBlock;
      pos.more_left = pos.left != kNoBlock;
      pos.cur = -1;
    } else {
      for (OffsetNumber off = std::min(start, max); off >= first && off > 0 && !stop; --off) take(off);
      std::reverse(pos.entries.begin(), pos.entries.end());  // page order (IX10: either way next)
      pos.more_left = !stop && pos.left != kNoBlock;
      pos.more_right = pos.right != kNoBlock;
      pos.cur = static_cast<ptrdiff_t>(pos.entries.size());
    }
  }

  // Ran off the end in `d`: forget the position (and its pin). A later Next in the other
  // direction starts again from that end (IX10: the entries before "after the last").
  void End(ScanDirection d) {
    ended = true;
    end_dir = d;
    pos = Position{};
  }

  // The live page left of pos.block now (BT10, BT18): from the remembered left link, move
  // right until a live page whose right link is pos.block or a dead page known to lie between
  // (dead pages are empty; a half-dead one is still linked, a deleted one keeps the links it
  // had). Each dead page met that way is added to the targets and the walk restarts from its
  // left link. nullopt when pos.block itself was deleted since it was read (no page links to
  // it any more): the caller re-finds the position by key. Invalid page: the left end.
  // Once a step finds neither a target nor a dead page, pos.block itself is looked at: when it
  // is DELETED the walk would only go on to the rightmost page, so nullopt at once.
  std::optional<LockedPage> WalkLeft() {
    std::vector<uint32_t> targets{pos.block.value()};
    auto is_target = [&](uint32_t b) { return std::find(targets.begin(), targets.end(), b) != targets.end(); };
    uint32_t start = pos.left;
    bool looked_at_self = false;
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
        if (!looked_at_self && !IsDead(page.page())) {
          looked_at_self = true;
          page.Release();  // lock order: one page at a time
          LockedPage self(index, pos.block, BufferLockMode::kShare);
          if (!storage::PageIsNew(self.page()) && (Opaque(self.page())->flags & kBtDeleted) != 0) {
            return std::nullopt;
          }
        }
      }
    }
    throw Error(sqlstate::kDataCorrupted,
                Format("could not find left sibling of block %u in index \"%s\"", pos.block.value(),
                       index.rel.name.c_str()));
  }

  // Backward: the page read last was deleted after it was read. Descend again to the position
  // just below pos.low (BT10) — or from the right end without one — and read from there.
  void RefindBackward() {
    if (pos.low.empty()) {
      LockedPage page = Endpoint(true);
      ReadPage(page, MaxOff(page.page()));
      return;
    }
    SearchKey key;
    const IndexTupleHeader* low = pos.low.header();
    const bool pivot = (low->info & kBtPivotHasTid) != 0;  // a high key: its tid is in its tail
    MakeKeyFromTuple(*index.keys, low, !pivot, &key);
    if (pivot) key.tid = SortTid(low, true);
    key.nextkey = false;  // entries < pos.low
    LockedPage page = Descend(index, key, BufferLockMode::kShare, nullptr);
    const OffsetNumber off = BinarySearch(*index.keys, key, page.page());
    ReadPage(page, static_cast<OffsetNumber>(off - 1));
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
    ended = false;
    const bool forward = dir == ScanDirection::kForward;
    // Start key: '=' keys on a prefix of the columns, then one bound on the next column that
    // limits where the scan starts (a lower bound in index order going forward).
    SearchKey sk;
    bool strict = false;
    for (int col = 0; col < index.keys->nkeyatts(); ++col) {
      const BtScanKey* eq = nullptr;
      const BtScanKey* bound = nullptr;
      const bool desc = index.keys->keys[static_cast<size_t>(col)].descending;
      const bool nulls_first = index.keys->keys[static_cast<size_t>(col)].nulls_first;
      for (const BtScanKey& k : keys) {
        if (k.attno != col) continue;
        if (IsEquality(k)) {
          eq = &k;
        } else if (k.null_test == BtNullTest::kIsNotNull) {
          // "> NULL" in index order when NULLs come first, "< NULL" when they come last.
          if (forward == nulls_first) bound = &k;
        } else if ((forward != desc) ? IsLowerBound(k.strategy) : IsUpperBound(k.strategy)) {
          bound = &k;
        }
      }
      const BtScanKey* use = eq != nullptr ? eq : bound;
      if (use == nullptr) break;
      sk.nkeys = col + 1;
      if (use->null_test != BtNullTest::kNone) {
        sk.values[col] = 0;
        sk.isnull[col] = true;
        strict = use->null_test == BtNullTest::kIsNotNull;
      } else {
        sk.values[col] = use->argument;
        sk.isnull[col] = false;
        strict = IsStrict(use->strategy);
      }
      if (eq == nullptr) break;
    }
    if (sk.nkeys == 0) {
      LockedPage page = Endpoint(!forward);
      ReadPage(page, forward ? 1 : MaxOff(page.page()));
      return;
    }
    // Forward: the first entry >= key (> for a strict bound). Backward: the last entry <= key
    // (< for a strict bound) = one before the first entry > key (>= key).
    sk.nextkey = forward ? strict : !strict;
    LockedPage page = Descend(index, sk, BufferLockMode::kShare, nullptr);
    const OffsetNumber off = BinarySearch(*index.keys, sk, page.page());
    ReadPage(page, forward ? off : static_cast<OffsetNumber>(off - 1));
  }
};

BtScan::BtScan(const BtIndex& index, std::vector<BtScanKey> keys, ScanDirection dir, BtScanOptions options)
    : state_(std::make_unique<State>(index, std::move(keys), dir, options)) {}

BtScan::~BtScan() = default;

bool BtScan::Next(storage::ItemPointer* heap_tid, IndexTuple* tuple) {
  const IndexTupleHeader* itup = nullptr;
  if (!Next(state_->default_dir, heap_tid, tuple != nullptr ? &itup : nullptr)) return false;
  if (tuple != nullptr) *tuple = IndexTuple(itup->bytes(), itup->Size());
  return true;
}

bool BtScan::Next(ScanDirection dir, storage::ItemPointer* heap_tid, const IndexTupleHeader** tuple) {
  State& s = *state_;
  const bool forward = dir == ScanDirection::kForward;
  if (s.ended && s.end_dir == dir) return false;
  s.dir = dir;
  if (!s.started || s.ended) s.Start();
  for (;;) {
    Position& pos = s.pos;
    const auto size = static_cast<ptrdiff_t>(pos.entries.size());
    const ptrdiff_t at = forward ? pos.cur + 1 : pos.cur - 1;  // IX10: either way from cur
    if (at >= 0 && at < size) {
      pos.cur = at;
      const ScanEntry& e = pos.entries[static_cast<size_t>(at)];
      *heap_tid = e.tid;
      if (tuple != nullptr) {
        auto* copy = reinterpret_cast<IndexTupleHeader*>(pos.tuples.data() + e.byte_offset);
        copy->SetTid(e.tid);  // a posting list's entries share one key copy (BT25)
        *tuple = copy;
      }
      return true;
    }
    if (!(forward ? pos.more_right : pos.more_left)) {
      s.End(dir);
      return false;
    }
    if (forward) {
      LockedPage page(s.index, BlockNumber(pos.right), BufferLockMode::kShare);
      s.ReadPage(page, 1);
    } else {
      std::optional<LockedPage> page = s.WalkLeft();
      if (!page.has_value()) {
        s.RefindBackward();
      } else if (!page->valid()) {
        pos.more_left = false;  // the left end: every page left of pos.block was deleted
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
  s.default_dir = dir;
  s.started = false;
  s.ended = false;
  s.pos = Position{};
  s.mark = Position{};
  s.marked = false;
}

void BtScan::Mark() {
  State& s = *state_;
  s.mark = s.pos;  // with keep_leaf_pin the mark holds its own pin on its leaf
  s.marked = s.started;
  s.mark_ended = s.ended;
  s.mark_end_dir = s.end_dir;
}

void BtScan::Restore() {
  State& s = *state_;
  if (!s.marked) {  // marked before the first Next: restart
    s.started = false;
    s.ended = false;
    s.pos = Position{};
    return;
  }
  s.pos = s.mark;
  s.started = true;
  s.ended = s.mark_ended;
  s.end_dir = s.mark_end_dir;
}

}  // namespace keel::access::nbtree
