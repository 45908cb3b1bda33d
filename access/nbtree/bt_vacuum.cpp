// VACUUM support: bulk delete of leaf entries whose heap tids are dead, and the cleanup pass.
// README.md ("VACUUM", BT11).
#include <vector>

#include "access/nbtree/nbtree_internal.h"
#include "access/transam/wal_record.h"

namespace keel::access::nbtree {

using namespace internal;  // NOLINT: this file is the module's own
using storage::BufferLockMode;
using storage::OffsetNumber;

namespace {

// Visits the leaf level left to right by right links, one cleanup lock at a time. Pages that
// split while we walk are still all visited: entries only move right, to pages we reach later
// through the right link read after processing (BT11).
template <typename Fn>
void ForEachLeaf(const BtIndex& index, Fn&& fn) {
  BlockNumber block = LeftmostAtLevel(index, 0);
  for (;;) {
    // BT28: a cleanup lock (exclusive, no other pin), so no entry a scan keeping its leaf pin
    // is returning can be removed under it. Waits with no other page held (BT29).
    storage::PinnedBuffer pin(storage::ReadBuffer(index.rel.locator, ForkNumber::kMain, block));
    storage::LockBufferForCleanup(pin.get());
    LockedPage page = LockedPage::Adopt(pin.release());
    fn(page);
    const uint32_t right = Opaque(page.page())->right;
    if (right == kNoBlock) return;
    block = BlockNumber(right);
  }
}

}  // namespace

BtBulkDeleteStats BtBulkDelete(const BtIndex& index,
                               const std::function<bool(storage::ItemPointer)>& dead) {
  BtBulkDeleteStats stats;
  std::vector<uint16_t> offsets;
  ForEachLeaf(index, [&](LockedPage& page) {
    const storage::Page p = page.page();
    ++stats.pages;
    offsets.clear();
    const OffsetNumber max = MaxOff(p);
    for (OffsetNumber off = FirstData(p); off <= max; ++off) {
      if (dead(Item(p, off)->Tid())) {
        offsets.push_back(off);
      } else {
        ++stats.tuples_remaining;
      }
    }
    if (offsets.empty()) return;
    stats.tuples_removed += offsets.size();
    transam::WalRecordBuilder wal;
    wal.Reserve(offsets.size() * sizeof(uint16_t) + 64);
    WalBtVacuum rec{static_cast<uint16_t>(offsets.size())};
    CriticalSection([&] {
      for (size_t i = offsets.size(); i-- > 0;) storage::PageIndexTupleDelete(p, offsets[i]);
      storage::MarkBufferDirty(page.buffer());
      wal.RegisterData(&rec, sizeof(rec));
      wal.RegisterBuffer(0, page.buffer(), transam::kRegStandard);
      wal.RegisterBufData(0, offsets.data(), offsets.size() * sizeof(uint16_t));
      const Lsn lsn = wal.Insert(transam::RmgrId::kBtree, kWalBtVacuum);
      storage::PageSetLsn(p, lsn);
    });
  });
  PageDeletionPass(index, &stats);  // README "Page deletion and recycling"
  return stats;
}

BtBulkDeleteStats BtVacuumCleanup(const BtIndex& index) {
  BtBulkDeleteStats stats;
  PageDeletionPass(index, &stats);  // README "Page deletion and recycling"
  BlockNumber block = LeftmostAtLevel(index, 0);
  for (;;) {
    LockedPage page(index, block, BufferLockMode::kShare);
    const storage::Page p = page.page();
    ++stats.pages;
    stats.tuples_remaining += static_cast<uint64_t>(MaxOff(p) + 1 - FirstData(p));
    if (IsRightmost(p)) return stats;
    block = BlockNumber(Opaque(p)->right);
  }
}

}  // namespace keel::access::nbtree
