// VACUUM support: bulk delete of leaf entries whose heap tids are dead, and the cleanup pass.
// README.md ("VACUUM", BT11).
#include <cstring>
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
  std::vector<std::byte> updates;  // BT26: {u16 offset, u16 size, tuple} per shrunk posting list
  std::vector<storage::ItemPointer> live;
  ForEachLeaf(index, [&](LockedPage& page) {
    const storage::Page p = page.page();
    ++stats.pages;
    offsets.clear();
    updates.clear();
    uint16_t nupdated = 0;
    const OffsetNumber max = MaxOff(p);
    for (OffsetNumber off = FirstData(p); off <= max; ++off) {
      const IndexTupleHeader* it = Item(p, off);
      if (IsPosting(it)) {
        live.clear();
        const uint32_t n = TidCount(it);
        for (uint32_t i = 0; i < n; ++i) {
          const storage::ItemPointer tid = LeafTid(it, i);
          if (!dead(tid)) live.push_back(tid);
        }
        stats.tuples_remaining += live.size();
        stats.tuples_removed += n - live.size();
        if (live.empty()) {
          offsets.push_back(off);
        } else if (live.size() < n) {
          const IndexTuple t = MakeLeafItem(it, live);  // a plain entry when one tid is left
          const uint16_t hdr[2] = {off, static_cast<uint16_t>(t.size())};
          const size_t at = updates.size();
          updates.resize(at + sizeof(hdr) + t.size());
          std::memcpy(updates.data() + at, hdr, sizeof(hdr));
          std::memcpy(updates.data() + at + sizeof(hdr), t.data(), t.size());
          ++nupdated;
        }
        continue;
      }
      if (dead(it->Tid())) {
        offsets.push_back(off);
        ++stats.tuples_removed;
      } else {
        ++stats.tuples_remaining;
      }
    }
    if (nupdated > 0) {
      transam::WalRecordBuilder wal;
      wal.Reserve(offsets.size() * sizeof(uint16_t) + updates.size() + 64);
      const WalBtVacuumPosting rec{static_cast<uint16_t>(offsets.size()), nupdated};
      CriticalSection([&] {
        ApplyVacuumPosting(p, offsets, updates, nupdated);
        storage::MarkBufferDirty(page.buffer());
        wal.RegisterData(&rec, sizeof(rec));
        wal.RegisterBuffer(0, page.buffer(), transam::kRegStandard);
        if (!offsets.empty()) wal.RegisterBufData(0, offsets.data(), offsets.size() * sizeof(uint16_t));
        wal.RegisterBufData(0, updates.data(), updates.size());
        const Lsn lsn = wal.Insert(transam::RmgrId::kBtree, kWalBtVacuumPosting);
        storage::PageSetLsn(p, lsn);
      });
      return;
    }
    if (offsets.empty()) return;
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
    for (OffsetNumber off = FirstData(p); off <= MaxOff(p); ++off) stats.tuples_remaining += TidCount(Item(p, off));
    if (IsRightmost(p)) return stats;
    block = BlockNumber(Opaque(p)->right);
  }
}

}  // namespace keel::access::nbtree
