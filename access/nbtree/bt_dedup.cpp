// Posting-list deduplication of equal keys on leaf pages: the posting tuple format, the dedup
// pass before a leaf split, posting-list splits for tids that fall inside a list, and the page
// rewrites that do and redo share. README.md ("Deduplication", BT22-BT26).
#include <algorithm>
#include <cstring>
#include <memory>

#include "access/nbtree/nbtree_internal.h"
#include "access/transam/wal_record.h"
#include "backend/utils/error/error.h"
#include "backend/utils/error/format.h"

namespace keel::access::nbtree::internal {

using storage::ItemPointer;
using storage::OffsetNumber;
using storage::Page;

namespace {

struct alignas(8) ScratchPage {
  std::byte bytes[kBlockSize];
};

// Key columns of two leaf data items compare equal (BT23: what the dedup pass merges).
bool KeysEqual(const IndexKeyDesc& keys, const IndexTupleHeader* a, const IndexTupleHeader* b) {
  return CompareKeyColumns(keys, a, b) == 0;
}

void AddOrPanic(Page page, const void* item, size_t size, OffsetNumber off) {
  if (storage::PageAddItem(page, item, size, off, false, false) != off) {
    Panic("btree: failed to add item at offset %u", static_cast<unsigned>(off));
  }
}

}  // namespace

ItemPointer LeafTid(const IndexTupleHeader* t, uint32_t i) {
  if (!IsPosting(t)) return t->Tid();
  const std::byte* at = t->bytes() + KeyPartSize(t) + kBtPostingTidSize * i;
  uint32_t block;
  uint16_t offset;
  std::memcpy(&block, at, 4);
  std::memcpy(&offset, at + 4, 2);
  return {BlockNumber(block), offset};
}

void AppendLeafTids(const IndexTupleHeader* t, std::vector<ItemPointer>* out) {
  const uint32_t n = TidCount(t);
  for (uint32_t i = 0; i < n; ++i) out->push_back(LeafTid(t, i));
}

IndexTuple MakeLeafItem(const IndexTupleHeader* base, std::span<const ItemPointer> tids) {
  KEEL_ASSERT(!tids.empty());
  const size_t keylen = KeyPartSize(base);
  const uint16_t flags = static_cast<uint16_t>(base->info & ~(kIndexSizeMask | kBtPivotHasTid));
  if (tids.size() == 1) {
    IndexTuple t(base->bytes(), keylen);
    t.header()->SetTid(tids[0]);
    t.header()->info = static_cast<uint16_t>(flags | keylen);
    return t;
  }
  const size_t tids_at = storage::MaxAlign(keylen);  // BT22
  const size_t size = tids_at + kBtPostingTidSize * tids.size();
  IndexTuple t(size);  // zero-filled: the padding before the tids is zero
  std::memcpy(t.data(), base->bytes(), keylen);
  t.header()->tid_block = static_cast<uint32_t>(tids.size());
  t.header()->tid_offset = kBtPostingMarker;
  t.header()->info = static_cast<uint16_t>(flags | size);
  std::byte* at = t.data() + tids_at;
  for (const ItemPointer& tid : tids) {
    const uint32_t block = tid.block.value();
    std::memcpy(at, &block, 4);
    std::memcpy(at + 4, &tid.offset, 2);
    at += kBtPostingTidSize;
  }
  return t;
}

bool DedupEnabled(const BtIndex& index) {
  if (!index.deduplicate || index.unique) return false;
  const IndexKeyDesc& keys = *index.keys;
  if (keys.natts() != keys.nkeyatts()) return false;  // INCLUDE columns: never (as PostgreSQL)
  for (const IndexKeyColumn& col : keys.keys) {
    if (!col.equal_image) return false;
  }
  return true;
}

void ApplyDedup(Page src, Page dst, std::span<const WalBtDedupInterval> intervals) {
  storage::PageInit(dst, sizeof(BtPageOpaque));
  *Opaque(dst) = *Opaque(src);
  const storage::PageHeader* sh = storage::GetPageHeader(src);
  storage::PageHeader* dh = storage::GetPageHeader(dst);
  dh->lsn = sh->lsn;
  dh->flags = sh->flags;
  dh->prune_xid = sh->prune_xid;
  const OffsetNumber max = MaxOff(src);
  const OffsetNumber first = FirstData(src);
  OffsetNumber out = 1;
  size_t next_interval = 0;
  std::vector<ItemPointer> tids;
  for (OffsetNumber off = 1; off <= max; ++off) {
    const IndexTupleHeader* it = Item(src, off);
    if (off >= first && next_interval < intervals.size() && intervals[next_interval].base == off) {
      const WalBtDedupInterval iv = intervals[next_interval++];
      tids.clear();
      for (OffsetNumber k = off; k < off + iv.nitems; ++k) AppendLeafTids(Item(src, k), &tids);
      const IndexTuple merged = MakeLeafItem(it, tids);
      AddOrPanic(dst, merged.data(), merged.size(), out++);
      off = static_cast<OffsetNumber>(off + iv.nitems - 1);
      continue;
    }
    AddOrPanic(dst, it->bytes(), it->Size(), out++);
  }
}

bool DedupPage(const BtIndex& index, LockedPage& leaf) {
  KEEL_ASSERT(DedupEnabled(index));
  const Page p = leaf.page();
  KEEL_ASSERT(IsLeaf(p) && (Opaque(p)->flags & kBtIncompleteSplit) == 0);
  const IndexKeyDesc& keys = *index.keys;
  const OffsetNumber first = FirstData(p);
  const OffsetNumber max = MaxOff(p);
  std::vector<WalBtDedupInterval> intervals;
  for (OffsetNumber i = first; i <= max;) {
    const IndexTupleHeader* base = Item(p, i);
    const size_t tids_at = storage::MaxAlign(KeyPartSize(base));
    size_t ntids = TidCount(base);
    OffsetNumber j = i;
    // BT23: a run of equal keys, cut where the posting tuple would pass kBtMaxPostingSize.
    while (j < max) {
      const IndexTupleHeader* next = Item(p, static_cast<OffsetNumber>(j + 1));
      const size_t n = ntids + TidCount(next);
      if (storage::MaxAlign(tids_at + kBtPostingTidSize * n) > kBtMaxPostingSize) break;
      if (!KeysEqual(keys, base, next)) break;
      ntids = n;
      ++j;
    }
    if (j > i) intervals.push_back({i, static_cast<uint16_t>(j - i + 1)});
    i = static_cast<OffsetNumber>(j + 1);
  }
  if (intervals.empty()) return false;
  auto scratch = std::make_unique<ScratchPage>();
  ApplyDedup(p, scratch->bytes, intervals);
  transam::WalRecordBuilder wal;
  wal.Reserve(intervals.size() * sizeof(WalBtDedupInterval) + 64);
  const WalBtDedup rec{static_cast<uint16_t>(intervals.size())};
  CriticalSection([&] {
    std::memcpy(p, scratch->bytes, kBlockSize);
    storage::MarkBufferDirty(leaf.buffer());
    wal.RegisterData(&rec, sizeof(rec));
    wal.RegisterBuffer(0, leaf.buffer(), transam::kRegStandard);
    wal.RegisterBufData(0, intervals.data(), intervals.size() * sizeof(WalBtDedupInterval));
    const Lsn lsn = wal.Insert(transam::RmgrId::kBtree, kWalBtDedup);
    storage::PageSetLsn(p, lsn);
  });
  return true;
}

bool PostingSplit(const BtIndex& index, Page page, OffsetNumber off, IndexTuple* tuple,
                  IndexTuple* replacement) {
  if (off <= FirstData(page)) return false;
  const OffsetNumber prev_off = static_cast<OffsetNumber>(off - 1);
  const IndexTupleHeader* prev = Item(page, prev_off);
  if (!IsPosting(prev)) return false;
  const ItemPointer tid = tuple->header()->Tid();
  // After the list: a plain insert. A tid equal to the list's highest is in it: refused below.
  if (MaxLeafTid(prev) < tid) return false;
  if (!KeysEqual(*index.keys, prev, tuple->header())) return false;  // a smaller key before us
  std::vector<ItemPointer> tids;
  tids.reserve(TidCount(prev) + 1);
  AppendLeafTids(prev, &tids);
  const auto at = std::lower_bound(tids.begin(), tids.end(), tid);
  if (at != tids.end() && *at == tid) {
    throw Error(sqlstate::kInternalError,
                Format("table tid from new index tuple %s overlaps with invalid duplicate tuple at "
                       "offset %u in index \"%s\"",
                       storage::ItemPointerToString(tid).c_str(), static_cast<unsigned>(prev_off),
                       index.rel.name.c_str()));
  }
  tids.insert(at, tid);
  const ItemPointer highest = tids.back();
  tids.pop_back();
  *replacement = MakeLeafItem(prev, tids);  // BT24: same size as `prev`
  KEEL_ASSERT(replacement->size() == prev->Size());
  tuple->header()->SetTid(highest);  // equal_image: the new key's bytes stand for the list's
  return true;
}

void ApplyVacuumPosting(Page page, std::span<const uint16_t> deleted, std::span<const std::byte> updates,
                        uint16_t nupdated) {
  size_t at = 0;
  for (uint16_t k = 0; k < nupdated; ++k) {
    uint16_t off, size;
    if (at + 4 > updates.size()) Panic("btree vacuum posting: update list too short");
    std::memcpy(&off, updates.data() + at, 2);
    std::memcpy(&size, updates.data() + at + 2, 2);
    at += 4;
    if (at + size > updates.size()) Panic("btree vacuum posting: update list too short");
    storage::PageIndexTupleDelete(page, off);
    AddOrPanic(page, updates.data() + at, size, off);
    at += size;
  }
  for (size_t i = deleted.size(); i-- > 0;) storage::PageIndexTupleDelete(page, deleted[i]);
}

}  // namespace keel::access::nbtree::internal
