// Lazy VACUUM of a heap table, as PostgreSQL 15's: one pass over the pages (skipping runs of
// all-visible ones) that prunes and collects dead line pointers, index cleanup through the
// callback, a second pass that makes those pointers unused, then the free space map, the
// visibility map and truncation of empty tail pages. README.md ("VACUUM", VC1-VC8).
#include "access/heap/vacuum.h"

#include <algorithm>
#include <vector>

#include "access/heap/heap_tuple.h"
#include "access/heap/heap_wal.h"
#include "access/heap/hio.h"
#include "access/heap/prune.h"
#include "access/heap/prune_internal.h"
#include "access/heap/visibility.h"
#include "access/heap/visibility_map.h"
#include "access/transam/transam.h"
#include "access/transam/wal_record.h"
#include "access/transam/wal_xlog.h"
#include "access/transam/xact.h"
#include "backend/utils/activity/table_stats.h"
#include "backend/utils/error/error.h"
#include "backend/utils/error/log.h"
#include "backend/utils/init/interrupts.h"
#include "storage/buffer/bufmgr.h"
#include "storage/freespace/fsm.h"
#include "storage/lmgr/lock.h"
#include "storage/page/page.h"
#include "storage/smgr/smgr.h"

namespace keel::access {
namespace {

using storage::Buffer;
using storage::BufferLockMode;
using storage::LinePointer;
using storage::LinePointerState;
using storage::OffsetNumber;
using storage::Page;

// VC2: runs of at least this many all-visible pages are skipped (shorter ones are read anyway,
// so the kernel's read-ahead keeps working), as PostgreSQL's SKIP_PAGES_THRESHOLD.
constexpr uint32_t kSkipPagesThreshold = 32;
// VC5: truncation is attempted when at least this many pages, or this fraction of the table,
// could go (PostgreSQL's REL_TRUNCATE_MINIMUM / REL_TRUNCATE_FRACTION).
constexpr uint32_t kTruncateMinimum = 1000;
constexpr uint32_t kTruncateFraction = 16;
// VC4: dead tids kept before an index cleanup round (PostgreSQL bounds this by
// maintenance_work_mem; 6 bytes each: ~6 MiB).
constexpr size_t kMaxDeadTids = 1u << 20;

LinePointerState StateOf(const LinePointer* lp) { return static_cast<LinePointerState>(lp->state); }

bool PageAllVisibleFlag(const std::byte* page) {
  return (storage::GetPageHeader(const_cast<std::byte*>(page))->flags & storage::kPageAllVisible) != 0;
}

// No line pointer in use (truncation candidate). Requires: a content lock.
bool PageHasNoTuples(Page page) {
  const int max_offset = storage::PageMaxOffsetNumber(page);
  for (int off = 1; off <= max_offset; ++off) {
    if (StateOf(storage::PageGetLinePointer(page, static_cast<OffsetNumber>(off))) !=
        LinePointerState::kUnused) {
      return false;
    }
  }
  return true;
}

// Every stored tuple visible to every snapshot now and later, and no dead pointer left (P6).
// Requires: a content lock.
bool PageIsAllVisibleNow(Page page, Buffer buffer, TransactionId oldest_xmin) {
  const int max_offset = storage::PageMaxOffsetNumber(page);
  for (int off = 1; off <= max_offset; ++off) {
    LinePointer* lp = storage::PageGetLinePointer(page, static_cast<OffsetNumber>(off));
    const LinePointerState state = StateOf(lp);
    if (state == LinePointerState::kDead) return false;
    if (state != LinePointerState::kNormal) continue;
    auto* tuple = reinterpret_cast<HeapTupleHeader*>(storage::PageGetItem(page, lp));
    if (HeapTupleSatisfiesVacuum(tuple, oldest_xmin, buffer) != HtsvResult::kLive) return false;
    if (transam::TransactionIdIsNormal(tuple->Xmin()) && tuple->Xmin() >= oldest_xmin) return false;
  }
  return true;
}

// One heap page of the second pass (VC3): the dead pointers, whose index entries are gone,
// become unused. Requires: `buffer` exclusively locked.
void VacuumPage(Buffer buffer, const std::vector<OffsetNumber>& offsets) {
  WalHeap2Vacuum xl{};
  xl.nunused = static_cast<uint16_t>(offsets.size());
  transam::WalRecordBuilder builder;
  builder.Reserve(offsets.size() * sizeof(OffsetNumber) + sizeof xl);
  Page page = storage::BufferGetPage(buffer);
  [&]() noexcept {  // critical section (W5)
    internal::HeapPageVacuumExecute(page, offsets);
    storage::MarkBufferDirty(buffer);
    builder.RegisterBuffer(0, buffer, transam::kRegStandard);
    builder.RegisterBufData(0, offsets.data(), offsets.size() * sizeof(OffsetNumber));
    builder.RegisterData(&xl, sizeof xl);
    const Lsn lsn = builder.Insert(transam::RmgrId::kHeap2, kWalHeap2Vacuum);
    storage::PageSetLsn(page, lsn);
  }();
}

class LazyVacuum {
 public:
  LazyVacuum(const Relation& rel, const VacuumParams& params)
      : rel_(rel), params_(params), no_indexes_(!params.index_cleanup) {}
  ~LazyVacuum() {
    ReleaseVmPin();
    if (strategy_ != nullptr) storage::FreeAccessStrategy(strategy_);
  }
  LazyVacuum(const LazyVacuum&) = delete;
  LazyVacuum& operator=(const LazyVacuum&) = delete;

  VacuumStats Run();

 private:
  void ScanPage(BlockNumber block);
  void ScanPageNoPrune(BlockNumber block, Buffer buffer);
  void FixVisibility(BlockNumber block, Buffer buffer, bool all_visible, bool has_dead_items);
  void RemoveDeadItems();
  void TruncateTail();
  [[nodiscard]] BlockNumber CountNondeletablePages(BlockNumber nblocks);
  [[nodiscard]] BlockNumber NextUnskippable(BlockNumber from);
  void ReleaseVmPin() {
    if (vm_buffer_ != storage::kInvalidBuffer) storage::ReleaseBuffer(vm_buffer_);
    vm_buffer_ = storage::kInvalidBuffer;
  }

  const Relation& rel_;
  const VacuumParams& params_;
  const bool no_indexes_;
  TransactionId oldest_xmin_;
  storage::BufferAccessStrategy* strategy_ = nullptr;
  Buffer vm_buffer_ = storage::kInvalidBuffer;
  BlockNumber rel_pages_{0};
  BlockNumber nonempty_pages_{0};  // 1 + the last page seen with a tuple or pointer in use
  std::vector<storage::ItemPointer> dead_tids_;  // in block order
  uint32_t pages_scanned_ = 0;
  uint32_t pages_skipped_ = 0;
  VacuumStats stats_;
};

VacuumStats LazyVacuum::Run() {
  // VC1: ShareUpdateExclusiveLock: other writers and readers go on; a second VACUUM, DDL and
  // anything stronger wait. Held until the transaction ends, as PostgreSQL's.
  const storage::LockTag tag = storage::RelationLockTag(rel_.db.value(), rel_.id.value());
  (void)storage::LockAcquire(tag, storage::LockMode::kShareUpdateExclusive);
  oldest_xmin_ = transam::GetOldestXmin();
  strategy_ = storage::GetAccessStrategy(storage::StrategyKind::kVacuum);
  rel_pages_ = storage::SmgrNBlocks(rel_.locator, ForkNumber::kMain);

  BlockNumber next_unskippable = NextUnskippable(BlockNumber(0));
  for (uint32_t b = 0; b < rel_pages_.value(); ++b) {
    CheckForInterrupts();  // VC9: cancel, statement_timeout, shutdown of an autovacuum worker
    if (BlockNumber(b) < next_unskippable) {
      // VC2: all-visible: nothing to prune, nothing dead. As PostgreSQL, a skipped page does
      // not count as non-empty: truncation looks at the pages again under its lock.
      ++pages_skipped_;
      continue;
    }
    if (BlockNumber(b) == next_unskippable) next_unskippable = NextUnskippable(BlockNumber(b + 1));
    ScanPage(BlockNumber(b));
    if (dead_tids_.size() >= kMaxDeadTids) RemoveDeadItems();
  }
  RemoveDeadItems();
  ReleaseVmPin();
  storage::FsmVacuum(rel_.locator);

  stats_.pages_scanned = BlockNumber(pages_scanned_);
  stats_.pages_skipped_all_visible = BlockNumber(pages_skipped_);
  stats_.rel_pages = rel_pages_;
  if (params_.truncate) TruncateTail();
  return stats_;
}

// The next block at or after `from` that must be read: not all-visible, or ending a run of
// all-visible blocks shorter than the threshold, or the last block (VC2: always read, so that
// truncation knows whether the table ends with empty pages).
BlockNumber LazyVacuum::NextUnskippable(BlockNumber from) {
  uint32_t b = from.value();
  const uint32_t last = rel_pages_.value() == 0 ? 0 : rel_pages_.value() - 1;
  while (b < last && VisibilityMapIsAllVisible(rel_, BlockNumber(b), &vm_buffer_)) ++b;
  // A run [from, b) of all-visible blocks: skip it only when long enough.
  if (b - from.value() < kSkipPagesThreshold) return from;
  return BlockNumber(b);
}

void LazyVacuum::ScanPage(BlockNumber block) {
  // The map page first: pinning it may do I/O, not to be done under the heap page's lock.
  VisibilityMapPin(rel_, block, &vm_buffer_);
  storage::PinnedBuffer pin(storage::ReadBuffer(rel_.locator, ForkNumber::kMain, block,
                                                storage::ReadMode::kNormal, strategy_));
  const Buffer buffer = pin.get();
  ++pages_scanned_;
  if (!storage::ConditionalLockBufferForCleanup(buffer)) {
    // VC6: someone holds a pin (a scan in progress): don't wait, do what needs no cleanup lock.
    ScanPageNoPrune(block, buffer);
    return;
  }
  struct Unlocker {
    Buffer buffer;
    ~Unlocker() { storage::UnlockBuffer(buffer); }
  } unlock_at_end{buffer};
  Page page = storage::BufferGetPage(buffer);
  if (storage::PageIsNew(page)) {
    // Extended but never initialised (a crash after extension): empty, and free for use.
    storage::FsmRecordFreeSpace(rel_.locator, block, kBlockSize - sizeof(storage::PageHeader));
    return;
  }
  if (storage::PageMaxOffsetNumber(page) == 0) {
    // An empty initialised page: all-visible by definition.
    FixVisibility(block, buffer, /*all_visible=*/true, /*has_dead_items=*/false);
    storage::FsmRecordFreeSpace(rel_.locator, block, storage::PageGetFreeSpace(page));
    return;
  }

  PruneResult pruned = HeapPagePrune(rel_, buffer, oldest_xmin_, no_indexes_);
  stats_.tuples_removed += static_cast<uint64_t>(pruned.tuples_deleted);
  stats_.live_tuples += static_cast<uint64_t>(pruned.live_tuples);
  stats_.dead_tuples_remaining += static_cast<uint64_t>(pruned.recently_dead_tuples);
  for (OffsetNumber off : pruned.dead_items) dead_tids_.push_back({block, off});
  if (!PageHasNoTuples(page)) nonempty_pages_ = BlockNumber(block.value() + 1);

  FixVisibility(block, buffer, pruned.all_visible, !pruned.dead_items.empty());
  // VC3: a page with dead items gets its space recorded after the second pass.
  if (pruned.dead_items.empty()) {
    storage::FsmRecordFreeSpace(rel_.locator, block, storage::PageGetFreeSpace(page));
  }
}

void LazyVacuum::ScanPageNoPrune(BlockNumber block, Buffer buffer) {
  storage::BufferLockGuard lock(buffer, BufferLockMode::kShare);
  Page page = storage::BufferGetPage(buffer);
  if (storage::PageIsNew(page)) return;
  const int max_offset = storage::PageMaxOffsetNumber(page);
  bool has_dead_items = false;
  for (int off = 1; off <= max_offset; ++off) {
    LinePointer* lp = storage::PageGetLinePointer(page, static_cast<OffsetNumber>(off));
    const LinePointerState state = StateOf(lp);
    if (state != LinePointerState::kUnused) nonempty_pages_ = BlockNumber(block.value() + 1);
    if (state == LinePointerState::kDead) {
      has_dead_items = true;
      // With indexes the second pass (exclusive lock only) can still free these pointers.
      if (!no_indexes_) dead_tids_.push_back({block, static_cast<OffsetNumber>(off)});
      continue;
    }
    if (state != LinePointerState::kNormal) continue;
    auto* tuple = reinterpret_cast<HeapTupleHeader*>(storage::PageGetItem(page, lp));
    switch (HeapTupleSatisfiesVacuum(tuple, oldest_xmin_, buffer)) {
      case HtsvResult::kLive:
      case HtsvResult::kInsertInProgress:
      case HtsvResult::kDeleteInProgress:
        ++stats_.live_tuples;
        break;
      case HtsvResult::kRecentlyDead:
      case HtsvResult::kDead:  // left for the next VACUUM
        ++stats_.dead_tuples_remaining;
        break;
    }
  }
  if (!has_dead_items || no_indexes_) {
    storage::FsmRecordFreeSpace(rel_.locator, block, storage::PageGetFreeSpace(page));
  }
}

// VC7: makes the visibility map agree with what the page was just found to be. Requires:
// `buffer` exclusively locked, vm_buffer_ pinned for `block`.
void LazyVacuum::FixVisibility(BlockNumber block, Buffer buffer, bool all_visible,
                               bool has_dead_items) {
  Page page = storage::BufferGetPage(buffer);
  const bool bit = VisibilityMapIsAllVisible(rel_, block, &vm_buffer_);
  const bool flag = PageAllVisibleFlag(page);
  if (all_visible) {
    if (!bit || !flag) VisibilityMapSet(rel_, block, buffer, vm_buffer_);
    return;
  }
  if (bit && !flag) {
    // As PostgreSQL: the bit must never be set without the flag (V5); repair and report.
    Log(Severity::kWarning,
        "page is not marked all-visible but visibility map bit is set in relation \"%s\" page %u",
        rel_.name.c_str(), block.value());
    (void)VisibilityMapClear(rel_, block, vm_buffer_);
  } else if (flag && has_dead_items) {
    Log(Severity::kWarning,
        "page containing LP_DEAD items is marked as all-visible in relation \"%s\" page %u",
        rel_.name.c_str(), block.value());
    storage::GetPageHeader(page)->flags &= static_cast<uint16_t>(~storage::kPageAllVisible);
    storage::MarkBufferDirtyHint(buffer);
    (void)VisibilityMapClear(rel_, block, vm_buffer_);
  }
}

// VC3/VC4: index cleanup for the collected tids, then the second heap pass over their pages.
void LazyVacuum::RemoveDeadItems() {
  if (dead_tids_.empty()) return;
  if (params_.index_cleanup) params_.index_cleanup(dead_tids_);
  size_t i = 0;
  std::vector<OffsetNumber> offsets;
  while (i < dead_tids_.size()) {
    const BlockNumber block = dead_tids_[i].block;
    offsets.clear();
    for (; i < dead_tids_.size() && dead_tids_[i].block == block; ++i) {
      offsets.push_back(dead_tids_[i].offset);
    }
    VisibilityMapPin(rel_, block, &vm_buffer_);
    storage::PinnedBuffer pin(storage::ReadBuffer(rel_.locator, ForkNumber::kMain, block,
                                                  storage::ReadMode::kNormal, strategy_));
    // No tuple moves here, so an exclusive lock is enough (no cleanup lock, as PostgreSQL 14+).
    storage::BufferLockGuard lock(pin.get(), BufferLockMode::kExclusive);
    Page page = storage::BufferGetPage(pin.get());
    // The pointers are still dead: only VACUUM (which we exclude, VC1) changes dead pointers.
    VacuumPage(pin.get(), offsets);
    if (PageIsAllVisibleNow(page, pin.get(), oldest_xmin_)) {
      FixVisibility(block, pin.get(), /*all_visible=*/true, /*has_dead_items=*/false);
    }
    storage::FsmRecordFreeSpace(rel_.locator, block, storage::PageGetFreeSpace(page));
  }
  dead_tids_.clear();
}

// Pages from the end that hold nothing at all, counted backwards under the exclusive lock.
BlockNumber LazyVacuum::CountNondeletablePages(BlockNumber nblocks) {
  uint32_t b = nblocks.value();
  while (b > 0) {
    storage::PinnedBuffer pin(storage::ReadBuffer(rel_.locator, ForkNumber::kMain,
                                                  BlockNumber(b - 1), storage::ReadMode::kNormal,
                                                  strategy_));
    storage::BufferLockGuard lock(pin.get(), BufferLockMode::kShare);
    Page page = storage::BufferGetPage(pin.get());
    if (!storage::PageIsNew(page) && !PageHasNoTuples(page)) break;
    --b;
  }
  return BlockNumber(b);
}

// VC5: gives back the empty pages at the end of the table.
void LazyVacuum::TruncateTail() {
  const uint32_t possibly_freeable = rel_pages_.value() - nonempty_pages_.value();
  if (possibly_freeable == 0) return;
  if (possibly_freeable < kTruncateMinimum &&
      possibly_freeable < rel_pages_.value() / kTruncateFraction) {
    return;
  }
  // Never wait for the AccessExclusiveLock: readers and writers would queue behind us.
  const storage::LockTag tag = storage::RelationLockTag(rel_.db.value(), rel_.id.value());
  if (storage::LockAcquire(tag, storage::LockMode::kAccessExclusive, /*dont_wait=*/true) !=
      storage::LockResult::kAcquired) {
    return;
  }
  try {
    // Inserters may have extended or filled pages since the scan: look again from the end.
    const BlockNumber now_pages = storage::SmgrNBlocks(rel_.locator, ForkNumber::kMain);
    const BlockNumber new_pages = CountNondeletablePages(now_pages);
    if (new_pages < now_pages) {
      // VC8: the map first (its last page is logged), then the heap's own truncation record
      // (flushed before the file shrinks, W20), then the free space map (not logged).
      VisibilityMapTruncate(rel_, new_pages);
      transam::LogAndTruncateRelation(rel_.locator, 1u << static_cast<int>(ForkNumber::kMain),
                                      new_pages);
      storage::FsmTruncate(rel_.locator, new_pages);
      HioForgetRelation(rel_.locator);
      stats_.pages_removed = BlockNumber(now_pages.value() - new_pages.value());
      stats_.rel_pages = new_pages;
    }
  } catch (...) {
    (void)storage::LockRelease(tag, storage::LockMode::kAccessExclusive);
    throw;
  }
  (void)storage::LockRelease(tag, storage::LockMode::kAccessExclusive);
}

}  // namespace

VacuumStats HeapVacuum(const Relation& rel, const VacuumParams& params) {
  KEEL_ASSERT(transam::IsTransactionActive());
  LazyVacuum vacuum(rel, params);
  VacuumStats result = vacuum.Run();
  // VC10: the statistics autovacuum decides by (backend/utils/activity).
  stats::ReportVacuum(stats::TableRef{rel.db, rel.id, rel.locator, rel.name}, result.live_tuples,
                      result.dead_tuples_remaining, params.autovacuum);
  return result;
}

}  // namespace keel::access
