// Page-level helpers of the B+tree: page initialisation, pivot tuples, key comparison, binary
// search, and descending the tree with Lehman–Yao move-right. README.md ("Page layout",
// "Searching", BT1-BT5).
#include <cstring>

#include "access/nbtree/nbtree_internal.h"
#include "backend/utils/error/error.h"
#include "backend/utils/error/format.h"

namespace keel::access::nbtree::internal {

void InitPage(storage::Page page, uint32_t level, uint16_t flags) {
  storage::PageInit(page, sizeof(BtPageOpaque));
  BtPageOpaque* o = Opaque(page);
  o->left = kNoBlock;
  o->right = kNoBlock;
  o->level = level;
  o->flags = flags;
  o->cycle_id = 0;
  o->xact = 0;
}

storage::ItemPointer SortTid(const IndexTupleHeader* tuple, bool is_pivot) {
  if (!is_pivot) return LeafTid(tuple, 0);  // BT22: a posting tuple sorts by its lowest tid
  if ((tuple->info & kBtPivotHasTid) == 0) return {};
  const std::byte* end = tuple->bytes() + tuple->Size();
  uint32_t block;
  uint16_t offset;
  std::memcpy(&block, end - 8, 4);
  std::memcpy(&offset, end - 4, 2);
  return {BlockNumber(block), offset};
}

IndexTuple MakePivot(const IndexKeyDesc& keys, const IndexTupleHeader* src, bool src_is_pivot,
                     uint32_t child) {
  const int nkeys = keys.nkeyatts();
  Datum values[kIndexMaxKeys];
  bool isnull[kIndexMaxKeys];
  IndexDeformTuple(*keys.tupdesc, src, std::span<Datum>(values, static_cast<size_t>(nkeys)),
                   std::span<bool>(isnull, static_cast<size_t>(nkeys)));
  const storage::ItemPointer heap_tid = SortTid(src, src_is_pivot);
  IndexTuple pivot = IndexFormTuple(*keys.tupdesc, std::span<const Datum>(values, static_cast<size_t>(nkeys)),
                                    std::span<const bool>(isnull, static_cast<size_t>(nkeys)),
                                    storage::ItemPointer{BlockNumber(child), 0}, nkeys);
  // BT3: the heap tid goes into the last 8 bytes (u32 block, u16 offset, 2 zero bytes).
  const size_t base = storage::MaxAlign(pivot.size());
  pivot.Resize(base + 8);
  const uint32_t block = heap_tid.block.value();
  std::memcpy(pivot.data() + base, &block, 4);
  std::memcpy(pivot.data() + base + 4, &heap_tid.offset, 2);
  pivot.header()->info |= kBtPivotHasTid;
  return pivot;
}

IndexTuple MakeMinusInfinity(uint32_t child) {
  IndexTuple t(kIndexTupleHeaderSize);
  t.header()->SetTid({BlockNumber(child), 0});
  t.header()->info = static_cast<uint16_t>(kIndexTupleHeaderSize);
  return t;
}

void MakeKeyFromTuple(const IndexKeyDesc& keys, const IndexTupleHeader* tuple, bool with_tid,
                      SearchKey* out) {
  out->nkeys = keys.nkeyatts();
  IndexDeformTuple(*keys.tupdesc, tuple, std::span<Datum>(out->values, static_cast<size_t>(out->nkeys)),
                   std::span<bool>(out->isnull, static_cast<size_t>(out->nkeys)));
  out->tid = with_tid ? LeafTid(tuple, 0) : storage::ItemPointer{};
}


int32_t CompareKeyToItem(const IndexKeyDesc& keys, const SearchKey& key, storage::Page page,
                         storage::OffsetNumber off) {
  if (!IsLeaf(page) && off == FirstData(page)) return 1;  // BT2: minus infinity
  const IndexTupleHeader* item = Item(page, off);
  const bool pivot = ItemIsPivot(page, off);
  Datum v[kIndexMaxKeys];
  bool n[kIndexMaxKeys];
  IndexDeformTuple(*keys.tupdesc, item, std::span<Datum>(v, static_cast<size_t>(key.nkeys)),
                   std::span<bool>(n, static_cast<size_t>(key.nkeys)));
  for (int i = 0; i < key.nkeys; ++i) {
    const int32_t c = IndexCompareColumn(keys.keys[static_cast<size_t>(i)], key.values[i],
                                         key.isnull[i], v[i], n[i]);
    if (c != 0) return c;
  }
  if (key.nkeys < keys.nkeyatts() || !key.tid.valid()) return 0;
  const storage::ItemPointer item_tid = SortTid(item, pivot);
  if (!item_tid.valid()) return 1;
  return CompareTids(key.tid, item_tid);  // BT1: the heap tid is the last key column
}

int32_t CompareKeyColumns(const IndexKeyDesc& keys, const IndexTupleHeader* a,
                          const IndexTupleHeader* b) {
  const size_t nkeys = static_cast<size_t>(keys.nkeyatts());
  Datum va[kIndexMaxKeys], vb[kIndexMaxKeys];
  bool na[kIndexMaxKeys], nb[kIndexMaxKeys];
  IndexDeformTuple(*keys.tupdesc, a, std::span<Datum>(va, nkeys), std::span<bool>(na, nkeys));
  IndexDeformTuple(*keys.tupdesc, b, std::span<Datum>(vb, nkeys), std::span<bool>(nb, nkeys));
  for (size_t i = 0; i < nkeys; ++i) {
    const int32_t c = IndexCompareColumn(keys.keys[i], va[i], na[i], vb[i], nb[i]);
    if (c != 0) return c;
  }
  return 0;
}

int32_t CompareTuples(const IndexKeyDesc& keys, const IndexTupleHeader* a, bool a_pivot,
                      const IndexTupleHeader* b, bool b_pivot) {
  if (const int32_t c = CompareKeyColumns(keys, a, b); c != 0) return c;
  const storage::ItemPointer ta = SortTid(a, a_pivot);
  const storage::ItemPointer tb = SortTid(b, b_pivot);
  if (!ta.valid() || !tb.valid()) return ta.valid() ? 1 : (tb.valid() ? -1 : 0);
  return CompareTids(ta, tb);
}

storage::OffsetNumber BinarySearch(const IndexKeyDesc& keys, const SearchKey& key,
                                   storage::Page page) {
  storage::OffsetNumber low = FirstData(page);
  storage::OffsetNumber high = static_cast<storage::OffsetNumber>(MaxOff(page) + 1);
  const int32_t cmpval = key.nextkey ? 0 : 1;
  // Invariant: items before `low` are < key (<= with nextkey); items at/after `high` are not.
  while (high > low) {
    const storage::OffsetNumber mid = static_cast<storage::OffsetNumber>(low + (high - low) / 2);
    if (CompareKeyToItem(keys, key, page, mid) >= cmpval) {
      low = static_cast<storage::OffsetNumber>(mid + 1);
    } else {
      high = mid;
    }
  }
  if (IsLeaf(page)) return low;
  // Internal page: the last item below the key (the minus-infinity item always is).
  return static_cast<storage::OffsetNumber>(low - 1);
}

// --- LockedPage -------------------------------------------------------------------------------

LockedPage::LockedPage(const BtIndex& index, BlockNumber block, storage::BufferLockMode mode)
    : buf_(storage::ReadBuffer(index.rel.locator, ForkNumber::kMain, block)) {
  storage::LockBuffer(buf_, mode);
}

LockedPage& LockedPage::operator=(LockedPage&& o) noexcept {
  if (this != &o) {
    Release();
    buf_ = std::exchange(o.buf_, storage::kInvalidBuffer);
  }
  return *this;
}

void LockedPage::Release() {
  if (buf_ == storage::kInvalidBuffer) return;
  storage::UnlockBuffer(buf_);
  storage::ReleaseBuffer(std::exchange(buf_, storage::kInvalidBuffer));
}

LockedPage LockedPage::Adopt(storage::Buffer buf) {
  LockedPage p;
  p.buf_ = buf;
  return p;
}

// --- descending -------------------------------------------------------------------------------

void ReadMeta(const BtIndex& index, BlockNumber* root, uint32_t* level) {
  LockedPage meta(index, kBtMetaBlock, storage::BufferLockMode::kShare);
  const BtMetaData* m = Meta(meta.page());
  if (m->magic != kBtMagic || (Opaque(meta.page())->flags & kBtMeta) == 0) {
    throw Error(sqlstate::kDataCorrupted,
                Format("index \"%s\" is not a btree", index.rel.name.c_str()));
  }
  if (m->version != kBtVersion) {
    throw Error(sqlstate::kDataCorrupted,
                Format("version mismatch in index \"%s\": file version %u, current version %u",
                       index.rel.name.c_str(), m->version, kBtVersion));
  }
  *root = BlockNumber(m->root);
  *level = m->level;
}

LockedPage MoveRight(const BtIndex& index, LockedPage page, const SearchKey& key,
                     storage::BufferLockMode mode, bool finish_splits,
                     const std::vector<StackEntry>& parents) {
  const int32_t cmpval = key.nextkey ? 0 : 1;
  for (;;) {
    storage::Page p = page.page();
    if (IsDead(p)) {
      // BT18: a half-dead or deleted page (reached by a stale downlink or right link) holds
      // nothing; its right link leads on to the live page that took over its key range.
      if (IsRightmost(p)) {
        throw Error(sqlstate::kDataCorrupted,
                    Format("deleted page %u is rightmost in index \"%s\"", page.block().value(),
                           index.rel.name.c_str()));
      }
      const BlockNumber right(Opaque(p)->right);
      page.Release();
      page = LockedPage(index, right, mode);
      continue;
    }
    if (finish_splits && (Opaque(p)->flags & kBtIncompleteSplit) != 0) {
      // BT7: never go on from (or move right onto the downlink-less right half of) a page whose
      // split is incomplete. Finishing needs the exclusive lock; the flag may be cleared by
      // someone else while we re-lock, so check again.
      const BlockNumber block = page.block();
      if (mode != storage::BufferLockMode::kExclusive) {
        page.Release();
        page = LockedPage(index, block, storage::BufferLockMode::kExclusive);
      }
      if ((Opaque(page.page())->flags & kBtIncompleteSplit) != 0) FinishSplit(index, page, parents);
      if (mode != storage::BufferLockMode::kExclusive) {
        page.Release();
        page = LockedPage(index, block, mode);
      }
      continue;  // the page may have split meanwhile: look at its high key again
    }
    if (IsRightmost(p)) return page;
    if (CompareKeyToItem(*index.keys, key, p, kHighKey) < cmpval) return page;
    // BT4: the key is beyond this page's high key: a concurrent split moved it right.
    const BlockNumber right(Opaque(p)->right);
    page.Release();
    page = LockedPage(index, right, mode);
  }
}

LockedPage Descend(const BtIndex& index, const SearchKey& key, storage::BufferLockMode leaf_mode,
                   std::vector<StackEntry>* stack) {
  BlockNumber root;
  uint32_t root_level;
  ReadMeta(index, &root, &root_level);
  storage::BufferLockMode mode = root_level == 0 ? leaf_mode : storage::BufferLockMode::kShare;
  LockedPage page(index, root, mode);
  const bool finish = leaf_mode == storage::BufferLockMode::kExclusive;
  for (;;) {
    if (IsLeaf(page.page()) && mode != leaf_mode) {
      // Defensive: the lock mode was chosen from the level the meta page gave; a page's level
      // never changes, so this only triggers on a damaged meta page.
      const BlockNumber b = page.block();
      page.Release();
      page = LockedPage(index, b, leaf_mode);
      mode = leaf_mode;
    }
    // Insert descents finish incomplete splits at every level (BT7), with the stack of the
    // levels above as the parents' starting points.
    static const std::vector<StackEntry> kNoStack;
    page = MoveRight(index, std::move(page), key, mode, finish,
                     stack != nullptr ? *stack : kNoStack);
    storage::Page p = page.page();
    if (IsLeaf(p)) return page;
    const storage::OffsetNumber off = BinarySearch(*index.keys, key, p);
    const BlockNumber child(Item(p, off)->tid_block);
    if (stack != nullptr) stack->push_back({page.block(), off});
    mode = Opaque(p)->level == 1 ? leaf_mode : storage::BufferLockMode::kShare;
    page.Release();  // one content lock at a time on the way down (README "Locking")
    page = LockedPage(index, child, mode);
  }
}

BlockNumber LeftmostAtLevel(const BtIndex& index, uint32_t level) {
  BlockNumber block;
  uint32_t root_level;
  ReadMeta(index, &block, &root_level);
  if (level > root_level) {
    throw Error(sqlstate::kInternalError,
                Format("index \"%s\" has no level %u", index.rel.name.c_str(), level));
  }
  for (;;) {
    LockedPage p(index, block, storage::BufferLockMode::kShare);
    const uint32_t l = Opaque(p.page())->level;
    if (l == level) {
      // BT18: a stale downlink may lead to a deleted page; the live leftmost page is right of it.
      while (IsDead(p.page()) && !IsRightmost(p.page())) {
        block = BlockNumber(Opaque(p.page())->right);
        p = LockedPage(index, block, storage::BufferLockMode::kShare);
      }
      return block;
    }
    if (l < level) {
      throw Error(sqlstate::kInternalError,
                  Format("index \"%s\" has no level %u", index.rel.name.c_str(), level));
    }
    block = BlockNumber(Item(p.page(), FirstData(p.page()))->tid_block);
  }
}

}  // namespace keel::access::nbtree::internal
