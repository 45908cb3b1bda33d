// Creating an index, inserting entries, the uniqueness check, page splits, inserting
// downlinks into parents, new roots and finishing incomplete splits. README.md ("Inserting",
// "Splitting", "Unique indexes", BT4-BT9, "Locking").
#include <algorithm>
#include <cstring>
#include <optional>
#include <string>

#include "access/heap/heap_tuple.h"
#include "access/heap/visibility.h"
#include "access/nbtree/nbtree_internal.h"
#include "access/transam/transam.h"
#include "access/transam/wal_record.h"
#include "access/transam/wal_xlog.h"
#include "access/transam/xact.h"
#include "backend/utils/error/error.h"
#include "backend/utils/error/format.h"
#include "storage/smgr/smgr.h"

namespace keel::access::nbtree {

using namespace internal;  // NOLINT: this file is the module's own
using storage::BufferLockMode;
using storage::OffsetNumber;
using storage::Page;

#ifdef KEEL_DEBUG
namespace {
void (*g_split_hook)(uint32_t) = nullptr;
}  // namespace
void TestOnlySetSplitHook(void (*hook)(uint32_t level)) { g_split_hook = hook; }
namespace internal {
void CallSplitHook(uint32_t level) {
  if (g_split_hook != nullptr) g_split_hook(level);
}
}  // namespace internal
#endif

namespace {

// An 8 KiB, 8-byte aligned scratch page.
struct TempPage {
  alignas(8) std::byte bytes[kBlockSize];
  Page page() { return bytes; }
};

constexpr size_t kPageCapacity =
    kBlockSize - sizeof(storage::PageHeader) - storage::MaxAlign(sizeof(BtPageOpaque));

size_t ItemSpace(size_t size) { return storage::MaxAlign(size) + sizeof(storage::LinePointer); }

void AddOrThrow(Page page, const void* item, size_t size, OffsetNumber off, const BtIndex& index) {
  if (storage::PageAddItem(page, item, size, off, false, false) != off) {
    throw Error(sqlstate::kInternalError,
                Format("failed to add item to index page in \"%s\"", index.rel.name.c_str()));
  }
}

void InsertParent(const BtIndex& index, LockedPage& left, LockedPage& right,
                  std::vector<StackEntry>& stack, uint32_t level);

// --- splitting --------------------------------------------------------------------------------

struct SplitItem {
  const std::byte* data;
  size_t size;
};

// Chooses the first item that goes right (README "Splitting"): both halves must fit (the left
// one with its new high key, the right one with the old high key); among those, the most even
// split, or a 90/10 one when appending at the end of the rightmost page (ascending inserts).
size_t ChooseSplit(const std::vector<SplitItem>& items, bool leaf, bool rightmost_append,
                   size_t old_hikey_space, const BtIndex& index) {
  const size_t n = items.size();
  std::vector<size_t> prefix(n + 1, 0);
  for (size_t i = 0; i < n; ++i) prefix[i + 1] = prefix[i] + ItemSpace(items[i].size);
  size_t best = 0;
  double best_score = 0;
  for (size_t k = 1; k < n; ++k) {
    // New high key: a pivot of items[k] (leaf: key columns + 8-byte tid; internal: same size).
    const size_t hikey = leaf ? ItemSpace(items[k].size) + 8 : ItemSpace(items[k].size);
    const size_t left = prefix[k] + hikey;
    size_t right = prefix[n] - prefix[k] + old_hikey_space;
    if (!leaf) right = right - ItemSpace(items[k].size) + ItemSpace(kIndexTupleHeaderSize);
    if (left > kPageCapacity || right > kPageCapacity) continue;
    double score = rightmost_append
                       ? std::abs(static_cast<double>(left) - 0.9 * static_cast<double>(kPageCapacity))
                       : std::abs(static_cast<double>(left) - static_cast<double>(right));
    if (best == 0 || score < best_score) {
      best = k;
      best_score = score;
    }
  }
  if (best == 0) {
    throw Error(sqlstate::kInternalError,
                Format("could not find a feasible split point for index \"%s\"", index.rel.name.c_str()));
  }
  return best;
}

// Splits the exclusively locked `left` page while inserting `newitem` at `newoff` (BT5), then
// inserts the downlink into the parent. `child`: a lower-level page whose incomplete split this
// insertion completes (its flag is cleared in the split record). `replace`: a posting split's
// rewritten posting tuple for the item at newoff - 1 (BT24).
void Split(const BtIndex& index, LockedPage& left, std::vector<StackEntry>& stack,
           const IndexTuple& newitem, OffsetNumber newoff, LockedPage* child,
           const IndexTuple* replace = nullptr) {
  const Page lp = left.page();
  const BtPageOpaque lop = *Opaque(lp);
  const bool leaf = (lop.flags & kBtLeaf) != 0;
  const bool rightmost = lop.right == kNoBlock;

  std::vector<SplitItem> items;
  const OffsetNumber first = FirstData(lp);
  const OffsetNumber max = MaxOff(lp);
  items.reserve(static_cast<size_t>(max) + 1);
  for (OffsetNumber off = first; off <= max; ++off) {
    if (off == newoff) items.push_back({newitem.data(), newitem.size()});
    const IndexTupleHeader* it = Item(lp, off);
    if (replace != nullptr && off + 1 == newoff) {
      items.push_back({replace->data(), replace->size()});
      continue;
    }
    items.push_back({it->bytes(), it->Size()});
  }
  if (newoff > max) items.push_back({newitem.data(), newitem.size()});
  const size_t old_hikey_space = rightmost ? 0 : ItemSpace(Item(lp, kHighKey)->Size());
  const size_t k = ChooseSplit(items, leaf, leaf && rightmost && newoff > max, old_hikey_space, index);

  // Build both halves in scratch pages before touching shared ones (everything that can fail
  // happens before the critical section).
  auto ltemp = std::make_unique<TempPage>();
  auto rtemp = std::make_unique<TempPage>();
  InitPage(ltemp->page(), lop.level, static_cast<uint16_t>(lop.flags | kBtIncompleteSplit));
  InitPage(rtemp->page(), lop.level, leaf ? kBtLeaf : 0);
  const auto* firstright = reinterpret_cast<const IndexTupleHeader*>(items[k].data);
  IndexTuple hikey = MakePivot(*index.keys, firstright, !leaf, kNoBlock);
  OffsetNumber loff = 1;
  AddOrThrow(ltemp->page(), hikey.data(), hikey.size(), loff++, index);
  for (size_t i = 0; i < k; ++i) AddOrThrow(ltemp->page(), items[i].data, items[i].size, loff++, index);
  OffsetNumber roff = 1;
  if (!rightmost) {
    const IndexTupleHeader* old_hikey = Item(lp, kHighKey);
    AddOrThrow(rtemp->page(), old_hikey->bytes(), old_hikey->Size(), roff++, index);
  }
  for (size_t i = k; i < items.size(); ++i) {
    if (!leaf && i == k) {  // BT2: the right half's first downlink becomes minus infinity
      IndexTuple minf = MakeMinusInfinity(firstright->tid_block);
      AddOrThrow(rtemp->page(), minf.data(), minf.size(), roff++, index);
      continue;
    }
    AddOrThrow(rtemp->page(), items[i].data, items[i].size, roff++, index);
  }

  LockedPage right = AllocatePage(index);  // a recycled page or a new one (BT19)
  const BlockNumber rblock = right.block();
  Opaque(ltemp->page())->left = lop.left;
  Opaque(ltemp->page())->right = rblock.value();
  Opaque(rtemp->page())->left = left.block().value();
  Opaque(rtemp->page())->right = lop.right;
  LockedPage sibling;
  if (!rightmost) sibling = LockedPage(index, BlockNumber(lop.right), BufferLockMode::kExclusive);

  {
    // The WAL builder lives only for this record: it must be back in the per-process pool before
    // InsertParent recurses (a cascade up a tall tree would otherwise exhaust the pool).
    transam::WalRecordBuilder wal;
    WalBtSplit rec{};
    rec.level = lop.level;
    rec.right_sibling = lop.right;
    rec.has_child = child != nullptr ? 1 : 0;
    rec.first_right_off = static_cast<uint16_t>(k);
    CriticalSection([&] {
      const Lsn old_lsn = storage::PageGetLsn(lp);
      std::memcpy(lp, ltemp->bytes, kBlockSize);
      storage::PageSetLsn(lp, old_lsn);
      std::memcpy(right.page(), rtemp->bytes, kBlockSize);
      storage::MarkBufferDirty(left.buffer());
      storage::MarkBufferDirty(right.buffer());
      if (sibling.valid()) {
        Opaque(sibling.page())->left = rblock.value();  // BT6: links stay symmetric
        storage::MarkBufferDirty(sibling.buffer());
      }
      if (child != nullptr) {
        Opaque(child->page())->flags &= static_cast<uint16_t>(~kBtIncompleteSplit);
        storage::MarkBufferDirty(child->buffer());
      }
      wal.RegisterData(&rec, sizeof(rec));
      wal.RegisterBuffer(0, left.buffer(), transam::kRegStandard | transam::kRegForceImage);
      wal.RegisterBuffer(1, right.buffer(), transam::kRegStandard | transam::kRegForceImage);
      if (sibling.valid()) wal.RegisterBuffer(2, sibling.buffer(), transam::kRegStandard);
      if (child != nullptr) wal.RegisterBuffer(3, child->buffer(), transam::kRegStandard);
      const Lsn lsn = wal.Insert(transam::RmgrId::kBtree, kWalBtSplit);
      storage::PageSetLsn(lp, lsn);
      storage::PageSetLsn(right.page(), lsn);
      if (sibling.valid()) storage::PageSetLsn(sibling.page(), lsn);
      if (child != nullptr) storage::PageSetLsn(child->page(), lsn);
    });
  }  // the builder is released here, before the parent insertion
  sibling.Release();
#ifdef KEEL_DEBUG
  CallSplitHook(lop.level);
#endif
  // Child-then-parent: `left` and `right` stay locked until the downlink is in (README
  // "Locking"); a failure from here on leaves an incomplete split, finished later (BT7).
  InsertParent(index, left, right, stack, lop.level);
}

// BT24: overwrites the posting tuple at off - 1 of the leaf with `replace` (same size) and
// inserts `tuple` at `off`, in one INSERT_POST record. Requires: room for `tuple`.
void InsertWithPostingSplit(const BtIndex& index, LockedPage& page, const IndexTuple& tuple,
                            OffsetNumber off, const IndexTuple& replace) {
  const Page p = page.page();
  IndexTupleHeader* posting = Item(p, static_cast<OffsetNumber>(off - 1));
  KEEL_ASSERT(IsLeaf(p) && posting->Size() == replace.size());
  transam::WalRecordBuilder wal;
  wal.Reserve(tuple.size() + replace.size() + 64);
  const WalBtInsertPost rec{static_cast<uint16_t>(off - 1), static_cast<uint16_t>(replace.size())};
  CriticalSection([&] {
    std::memcpy(posting, replace.data(), replace.size());
    if (storage::PageAddItem(p, tuple.data(), tuple.size(), off, false, false) != off) {
      Panic("failed to add item to index page in \"%s\"", index.rel.name.c_str());
    }
    storage::MarkBufferDirty(page.buffer());
    wal.RegisterData(&rec, sizeof(rec));
    wal.RegisterBuffer(0, page.buffer(), transam::kRegStandard);
    wal.RegisterBufData(0, replace.data(), replace.size());
    wal.RegisterBufData(0, tuple.data(), tuple.size());
    const Lsn lsn = wal.Insert(transam::RmgrId::kBtree, kWalBtInsertPost);
    storage::PageSetLsn(p, lsn);
  });
}

// Inserts `tuple` at `off` of the exclusively locked `page`, splitting it when full. `page`
// stays locked (the caller releases it). `replace` (leaf only): a posting split's rewritten
// posting tuple for offset off - 1, written in the same record (BT24).
void InsertOnPage(const BtIndex& index, LockedPage& page, std::vector<StackEntry>& stack,
                  const IndexTuple& tuple, OffsetNumber off, LockedPage* child,
                  const IndexTuple* replace = nullptr) {
  const Page p = page.page();
  KEEL_ASSERT((Opaque(p)->flags & kBtIncompleteSplit) == 0);  // BT7: finished first
  if (storage::PageGetFreeSpace(p) < storage::MaxAlign(tuple.size())) {
    Split(index, page, stack, tuple, off, child, replace);
    return;
  }
  if (replace != nullptr) {
    InsertWithPostingSplit(index, page, tuple, off, *replace);
    return;
  }
  const bool leaf = IsLeaf(p);
  transam::WalRecordBuilder wal;
  wal.Reserve(tuple.size() + 64);
  WalBtInsert rec{off, static_cast<uint16_t>(child != nullptr ? 1 : 0)};
  CriticalSection([&] {
    if (storage::PageAddItem(p, tuple.data(), tuple.size(), off, false, false) != off) {
      Panic("failed to add item to index page in \"%s\"", index.rel.name.c_str());
    }
    storage::MarkBufferDirty(page.buffer());
    if (child != nullptr) {
      Opaque(child->page())->flags &= static_cast<uint16_t>(~kBtIncompleteSplit);
      storage::MarkBufferDirty(child->buffer());
    }
    wal.RegisterData(&rec, sizeof(rec));
    wal.RegisterBuffer(0, page.buffer(), transam::kRegStandard);
    wal.RegisterBufData(0, tuple.data(), tuple.size());
    if (child != nullptr) wal.RegisterBuffer(1, child->buffer(), transam::kRegStandard);
    const Lsn lsn = wal.Insert(transam::RmgrId::kBtree, leaf ? kWalBtInsertLeaf : kWalBtInsertUpper);
    storage::PageSetLsn(p, lsn);
    if (child != nullptr) storage::PageSetLsn(child->page(), lsn);
  });
}

// A new root above `left` (the old root) and `right` (BT8). Lock order: left, right, the new
// root, then the meta page.
void NewRoot(const BtIndex& index, LockedPage& left, LockedPage& right) {
  const uint32_t level = Opaque(left.page())->level + 1;
  auto temp = std::make_unique<TempPage>();
  InitPage(temp->page(), level, kBtRoot);
  IndexTuple minf = MakeMinusInfinity(left.block().value());
  IndexTuple downlink = MakePivot(*index.keys, Item(left.page(), kHighKey), true, right.block().value());
  AddOrThrow(temp->page(), minf.data(), minf.size(), 1, index);
  AddOrThrow(temp->page(), downlink.data(), downlink.size(), 2, index);
  LockedPage root = AllocatePage(index);  // a recycled page or a new one (BT19)
  const BlockNumber nblock = root.block();
  LockedPage meta(index, kBtMetaBlock, BufferLockMode::kExclusive);
  transam::WalRecordBuilder wal;
  WalBtNewRoot rec{nblock.value(), level};
  CriticalSection([&] {
    std::memcpy(root.page(), temp->bytes, kBlockSize);
    Opaque(left.page())->flags &= static_cast<uint16_t>(~(kBtRoot | kBtIncompleteSplit));
    BtMetaData* m = Meta(meta.page());
    m->root = m->fastroot = nblock.value();
    m->level = m->fastlevel = level;
    storage::MarkBufferDirty(root.buffer());
    storage::MarkBufferDirty(left.buffer());
    storage::MarkBufferDirty(meta.buffer());
    wal.RegisterData(&rec, sizeof(rec));
    wal.RegisterBuffer(0, root.buffer(), transam::kRegStandard | transam::kRegForceImage);
    wal.RegisterBuffer(1, left.buffer(), transam::kRegStandard);
    wal.RegisterBuffer(2, meta.buffer(), transam::kRegStandard | transam::kRegForceImage);
    const Lsn lsn = wal.Insert(transam::RmgrId::kBtree, kWalBtNewRoot);
    storage::PageSetLsn(root.page(), lsn);
    storage::PageSetLsn(left.page(), lsn);
    storage::PageSetLsn(meta.page(), lsn);
  });
}

// Locks (exclusively) the parent of `child` at `plevel` and finds the offset of its downlink,
// starting from the descent's stack entry when there is one, else from the leftmost page of
// the level, moving right (the parent may have split since). Finishes the parent's own
// incomplete split first (BT7).
void GetParent(const BtIndex& index, const std::optional<StackEntry>& entry, BlockNumber child,
               uint32_t plevel, LockedPage* out, OffsetNumber* out_off) {
  BlockNumber block = entry ? entry->block : LeftmostAtLevel(index, plevel);
  OffsetNumber start = entry ? entry->offset : 0;
  for (;;) {
    LockedPage p(index, block, BufferLockMode::kExclusive);
    if (Opaque(p.page())->level != plevel) {  // not the page the stack remembered: start over
      p.Release();
      block = LeftmostAtLevel(index, plevel);
      start = 0;
      continue;
    }
    if ((Opaque(p.page())->flags & kBtIncompleteSplit) != 0) FinishSplit(index, p, {});
    const Page pg = p.page();
    const OffsetNumber first = FirstData(pg);
    const OffsetNumber max = MaxOff(pg);
    if (start < first) start = first;
    // The remembered offset may be past the end when the parent split since the descent (its
    // upper half moved right): scan back from the end then (as PostgreSQL's _bt_getstackbuf).
    if (start > max) start = static_cast<OffsetNumber>(max + 1);
    // The downlink is usually where the descent saw it, else further right (insertions
    // shift it), rarely to the left (vacuum removed items: not yet, but cheap to allow).
    for (OffsetNumber off = start; off <= max; ++off) {
      if (Item(pg, off)->tid_block == child.value()) {
        *out_off = off;
        *out = std::move(p);
        return;
      }
    }
    for (OffsetNumber off = static_cast<OffsetNumber>(start - 1); off >= first && off > 0; --off) {
      if (Item(pg, off)->tid_block == child.value()) {
        *out_off = off;
        *out = std::move(p);
        return;
      }
    }
    if (IsRightmost(pg)) {
      throw Error(sqlstate::kInternalError,
                  Format("failed to re-find parent key in index \"%s\" for split pages %u",
                         index.rel.name.c_str(), child.value()));
    }
    block = BlockNumber(Opaque(pg)->right);
    start = 0;
  }
}

void InsertParent(const BtIndex& index, LockedPage& left, LockedPage& right,
                  std::vector<StackEntry>& stack, uint32_t level) {
  BlockNumber root;
  uint32_t root_level;
  ReadMeta(index, &root, &root_level);
  if (root == left.block()) {
    NewRoot(index, left, right);
    return;
  }
  std::optional<StackEntry> entry;
  if (!stack.empty()) {
    entry = stack.back();
    stack.pop_back();
  }
  LockedPage parent;
  OffsetNumber poff = 0;
  GetParent(index, entry, left.block(), level + 1, &parent, &poff);
  IndexTuple downlink = MakePivot(*index.keys, Item(left.page(), kHighKey), true, right.block().value());
  InsertOnPage(index, parent, stack, downlink, static_cast<OffsetNumber>(poff + 1), &left);
}

// --- unique checks ----------------------------------------------------------------------------

enum class HeapCheck : uint8_t { kNone, kLive, kWait };

// SnapshotDirty-style HOT-chain search from `root` (BT9): a live version (committed, ours, or
// being inserted / deleted by a running transaction, whose xid goes to *xwait).
HeapCheck CheckHeapChain(const Relation& heap, storage::ItemPointer root, TransactionId* xwait) {
  switch (HeapHotSearchDirty(heap, root, xwait)) {  // access/heap: the chain walk lives there
    case HotDirtyResult::kNone: return HeapCheck::kNone;
    case HotDirtyResult::kLive: return HeapCheck::kLive;
    case HotDirtyResult::kInProgress: return HeapCheck::kWait;
  }
  return HeapCheck::kNone;
}

[[noreturn]] void ThrowUniqueViolation(const BtIndex& index, std::span<const Datum> values) {
  std::string cols;
  std::string vals;
  FormatUniqueKey(index, values, &cols, &vals);
  throw Error(sqlstate::kUniqueViolation,
              Format("duplicate key value violates unique constraint \"%s\"", index.rel.name.c_str()))
      .WithDetail(Format("Key (%s)=(%s) already exists.", cols.c_str(), vals.c_str()));
}

// Looks at every entry equal to `key` (key columns only) from the first position on `first`
// rightwards (BT9). Returns true with *xwait when a running transaction must be waited for.
bool CheckUnique(const BtIndex& index, const Relation& heap, LockedPage& first, const SearchKey& key,
                 std::span<const Datum> values, TransactionId* xwait) {
  LockedPage other;  // a page right of `first`, share-locked while looked at
  OffsetNumber off = BinarySearch(*index.keys, key, first.page());
  for (;;) {
    const Page cur = other.valid() ? other.page() : first.page();
    if (off <= MaxOff(cur)) {
      if (CompareKeyToItem(*index.keys, key, cur, off) != 0) return false;
      // BT9 + BT22: every heap tid of a posting tuple is an entry of its own (its header tid is
      // the posting marker, not a row). Lists exist here when the index deduplicates and the
      // check was asked for anyway (the AM's kYes on a non-unique index).
      const IndexTupleHeader* item = Item(cur, off);
      const uint32_t ntids = TidCount(item);
      for (uint32_t i = 0; i < ntids; ++i) {
        switch (CheckHeapChain(heap, LeafTid(item, i), xwait)) {
          case HeapCheck::kNone: break;
          case HeapCheck::kWait: return true;
          case HeapCheck::kLive: {
            other.Release();
            first.Release();
            ThrowUniqueViolation(index, values);
          }
        }
      }
      ++off;
      continue;
    }
    if (IsRightmost(cur)) return false;
    // BT18: a half-dead or deleted page gave its key range to its right sibling, which may
    // hold equal keys below this page's high key: always go on (a dead page is never
    // rightmost).
    if (!IsDead(cur) && CompareKeyToItem(*index.keys, key, cur, kHighKey) != 0) return false;
    other = LockedPage(index, BlockNumber(Opaque(cur)->right), BufferLockMode::kShare);
    off = FirstData(other.page());
  }
}

// From the first page an equal key could be on, moves right to where key + tid belongs,
// locking the next page before releasing the current one (BT9: no other inserter of the same
// key can pass its check in between).
LockedPage MoveRightCoupled(const BtIndex& index, LockedPage page, const SearchKey& full) {
  for (;;) {
    const Page p = page.page();
    // BT18: never insert into a half-dead page; its right sibling took over its key range.
    if (!IsDead(p) && (IsRightmost(p) || CompareKeyToItem(*index.keys, full, p, kHighKey) < 0)) return page;
    LockedPage next(index, BlockNumber(Opaque(p)->right), BufferLockMode::kExclusive);
    if ((Opaque(next.page())->flags & kBtIncompleteSplit) != 0) FinishSplit(index, next, {});
    page = std::move(next);
  }
}

}  // namespace

namespace internal {

void FinishSplit(const BtIndex& index, LockedPage& left, const std::vector<StackEntry>& stack) {
  const Page p = left.page();
  KEEL_ASSERT((Opaque(p)->flags & kBtIncompleteSplit) != 0);
  LockedPage right(index, BlockNumber(Opaque(p)->right), BufferLockMode::kExclusive);
  std::vector<StackEntry> parents = stack;  // InsertParent consumes its copy
  InsertParent(index, left, right, parents, Opaque(p)->level);
}

}  // namespace internal

void BtCreateIndex(const BtIndex& index, ForkNumber fork) {
  if (!storage::SmgrExists(index.rel.locator, fork)) {
    transam::LogAndCreateRelationFork(index.rel.locator, fork);
  }
  // Checked before extending: a refused call leaves the fork as it was.
  if (storage::SmgrNBlocks(index.rel.locator, fork).value() != 0) {
    throw Error(sqlstate::kInternalError,
                Format("index \"%s\" already contains data", index.rel.name.c_str()));
  }
  auto [mbuf, mblock] = storage::ExtendBuffer(index.rel.locator, fork);
  LockedPage meta = LockedPage::Adopt(mbuf);
  auto [rbuf, rblock] = storage::ExtendBuffer(index.rel.locator, fork);
  LockedPage root = LockedPage::Adopt(rbuf);
  KEEL_ASSERT(mblock == kBtMetaBlock);  // the relation is locked: nobody else extends it
  transam::WalRecordBuilder wal;
  CriticalSection([&] {
    const Page mp = meta.page();
    InitPage(mp, 0, kBtMeta);
    BtMetaData* m = Meta(mp);
    *m = BtMetaData{kBtMagic, kBtVersion, rblock.value(), 0, rblock.value(), 0};
    storage::GetPageHeader(mp)->lower = static_cast<uint16_t>(sizeof(storage::PageHeader) + sizeof(BtMetaData));
    InitPage(root.page(), 0, kBtLeaf | kBtRoot);
    storage::MarkBufferDirty(meta.buffer());
    storage::MarkBufferDirty(root.buffer());
    wal.RegisterBuffer(0, meta.buffer(), transam::kRegStandard | transam::kRegForceImage);
    wal.RegisterBuffer(1, root.buffer(), transam::kRegStandard | transam::kRegForceImage);
    const Lsn lsn = wal.Insert(transam::RmgrId::kBtree, kWalBtCreate);
    storage::PageSetLsn(mp, lsn);
    storage::PageSetLsn(root.page(), lsn);
  });
}

void BtInsert(const BtIndex& index, const Relation* heap, std::span<const Datum> values,
              std::span<const bool> isnull, storage::ItemPointer heap_tid) {
  const IndexKeyDesc& keys = *index.keys;
  IndexTuple tuple = IndexFormTuple(*keys.tupdesc, values, isnull, heap_tid);
  const size_t itemsz = storage::MaxAlign(tuple.size());  // BT12: as stored on the page
  if (itemsz > kBtMaxItemSize) {
    throw Error(sqlstate::kProgramLimitExceeded,
                Format("index row size %zu exceeds btree version %u maximum %zu for index \"%s\"",
                       itemsz, kBtVersion, kBtMaxItemSize, index.rel.name.c_str()))
        .WithDetail(Format("Index row references tuple %s in relation \"%s\".",
                           storage::ItemPointerToString(heap_tid).c_str(),
                           heap != nullptr ? heap->name.c_str() : "?"))
        .WithHint("Values larger than 1/3 of a buffer page cannot be indexed.\n"
                  "Consider a function index of an MD5 hash of the value, or use full text indexing.");
  }
  SearchKey full;
  MakeKeyFromTuple(keys, tuple.header(), true, &full);
  full.nextkey = true;  // BT1: key + tid is unique; position after everything <= it
  bool check_unique = index.unique;
  for (int i = 0; i < keys.nkeyatts(); ++i) check_unique &= !isnull[static_cast<size_t>(i)];
  if (check_unique && heap == nullptr) {
    throw Error(sqlstate::kInternalError, "unique index insertion requires the heap relation");
  }
  for (;;) {
    std::vector<StackEntry> stack;
    LockedPage leaf;
    if (check_unique) {
      SearchKey part = full;
      part.tid = {};
      part.nextkey = false;
      leaf = Descend(index, part, BufferLockMode::kExclusive, &stack);
      TransactionId xwait;
      if (CheckUnique(index, *heap, leaf, part, values, &xwait)) {
        leaf.Release();
        transam::XactLockTableWait(xwait);  // then re-check from scratch
        continue;
      }
      leaf = MoveRightCoupled(index, std::move(leaf), full);
    } else {
      leaf = Descend(index, full, BufferLockMode::kExclusive, &stack);
    }
    // README "Deduplication": a tid inside a posting list's range splits the list (BT24); a
    // full page is deduplicated before it is split (BT23), then the position is found again.
    // The posting-split check runs whatever DedupEnabled says now (BT24): lists made while it
    // was on stay in the index when `deduplicate` is turned off or a caller checks uniqueness
    // on a non-unique index, and a tid inside one must still split it. (PostgreSQL keys this
    // on allequalimage alone; lists only exist where every key column is equal_image.)
    const bool dedup = DedupEnabled(index);
    for (;;) {
      const OffsetNumber off = BinarySearch(keys, full, leaf.page());
      IndexTuple item = tuple;
      IndexTuple replacement;
      const bool posting_split = PostingSplit(index, leaf.page(), off, &item, &replacement);
      if (dedup && storage::PageGetFreeSpace(leaf.page()) < storage::MaxAlign(item.size()) &&
          DedupPage(index, leaf)) {
        continue;
      }
      InsertOnPage(index, leaf, stack, item, off, nullptr, posting_split ? &replacement : nullptr);
      return;
    }
  }
}

namespace internal {

void FormatUniqueKey(const BtIndex& index, std::span<const Datum> values, std::string* cols,
                     std::string* vals) {
  for (int i = 0; i < index.keys->nkeyatts(); ++i) {
    if (i > 0) {
      *cols += ", ";
      *vals += ", ";
    }
    const size_t idx = static_cast<size_t>(i);
    *cols += idx < index.keys->names.size() ? index.keys->names[idx] : index.keys->tupdesc->attr(i).name;
    const IndexOutputFn out = index.keys->keys[idx].output;
    *vals += out != nullptr ? out(values[idx]) : "?";
  }
}

}  // namespace internal

}  // namespace keel::access::nbtree
