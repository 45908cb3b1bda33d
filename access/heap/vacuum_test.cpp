// VACUUM end to end over the real shared state: space reuse after deleting most of a table,
// versions kept for a snapshot open in another process, visibility-map bits and skipping,
// index cleanup of dead pointers, truncation (and its lock rule), and crash recovery of
// everything VACUUM logged. README.md ("Tests").
#include "access/heap/vacuum.h"

#include <gtest/gtest.h>

#include <sys/wait.h>

#include <algorithm>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "access/heap/heap_test_util.h"
#include "access/heap/vacuum_test_util.h"
#include "access/heap/visibility.h"
#include "access/heap/visibility_map.h"
#include "access/transam/xact.h"
#include "storage/freespace/fsm.h"
#include "storage/lmgr/lock.h"
#include "storage/smgr/smgr.h"
#include "tests/server/server_harness.h"

namespace keel::access {
namespace {

using keel::testing::ServerHarness;
using storage::ItemPointer;
using testing::Channel;
using testing::DeleteCommitted;
using testing::DescribeHeap;
using testing::FlushAllWal;
using testing::MakeTuple;
using testing::ScanPayloads;
using testing::UpdateCommitted;
using testing::VacuumCommitted;

std::string RowPayload(int i) {
  std::string s = "row-" + std::to_string(i);
  s.resize(100, '.');
  return s;
}

// Inserts rows 0..n-1 in one committed transaction; returns their tids.
std::vector<ItemPointer> InsertRows(const Relation& rel, int n, int first = 0) {
  std::vector<ItemPointer> tids;
  transam::StartTransaction();
  const CommandId cid = transam::GetCurrentCommandId(true);
  for (int i = first; i < first + n; ++i) {
    HeapTuple t = MakeTuple(RowPayload(i));
    tids.push_back(HeapInsert(rel, t, cid));
  }
  transam::CommitTransaction();
  return tids;
}

void DeleteRows(const Relation& rel, const std::vector<ItemPointer>& tids) {
  transam::StartTransaction();
  const CommandId cid = transam::GetCurrentCommandId(true);
  for (const ItemPointer& tid : tids) {
    TmFailureData tmfd;
    ASSERT_EQ(HeapDelete(rel, tid, cid, nullptr, true, &tmfd), TmResult::kOk);
  }
  transam::CommitTransaction();
}

class VacuumTest : public ::testing::Test {
 protected:
  ServerHarness harness_;
  Relation rel_ = testing::CreateTestHeap(16384);
};

// The test: delete 90% of a table, VACUUM, insert as many rows again: they go into the
// freed space and the file does not grow.
TEST_F(VacuumTest, DeletedSpaceIsReusedAndTheFileDoesNotGrow) {
  constexpr int kRows = 3000;
  const std::vector<ItemPointer> tids = InsertRows(rel_, kRows);
  const BlockNumber pages = HeapRelationBlocks(rel_);
  ASSERT_GT(pages.value(), 30u);
  std::vector<ItemPointer> doomed;
  for (int i = 0; i < kRows; ++i) {
    if (i % 10 != 0) doomed.push_back(tids[i]);
  }
  DeleteRows(rel_, doomed);

  const VacuumStats stats = VacuumCommitted(rel_);
  EXPECT_EQ(stats.tuples_removed, doomed.size());
  EXPECT_EQ(stats.live_tuples, static_cast<uint64_t>(kRows / 10));
  EXPECT_EQ(stats.dead_tuples_remaining, 0u);
  EXPECT_EQ(stats.pages_scanned, pages);
  EXPECT_EQ(stats.rel_pages, pages);
  EXPECT_EQ(stats.pages_removed.value(), 0u);  // every page keeps a tenth of its rows
  // The map knows the space; every page is all-visible now.
  EXPECT_GT(storage::FsmGetAvail(rel_.locator, BlockNumber(0)), 6000u);
  EXPECT_EQ(VisibilityMapCountAllVisible(rel_), pages);

  // As many rows as were deleted, in several transactions (and a second process).
  InsertRows(rel_, static_cast<int>(doomed.size()) / 2, kRows);
  const pid_t child = harness_.ForkBackend([this, n = static_cast<int>(doomed.size())] {
    InsertRows(rel_, n - n / 2, 2 * kRows);
    return 0;
  });
  ASSERT_EQ(harness_.Wait(child), 0);
  EXPECT_EQ(HeapRelationBlocks(rel_), pages);
  EXPECT_EQ(ScanPayloads(rel_).size(), static_cast<size_t>(kRows));
  // The inserts cleared the bits of the pages they used.
  EXPECT_LT(VisibilityMapCountAllVisible(rel_).value(), pages.value());
}

// Versions an open snapshot of another process may still see are not removed; once it ends,
// the next VACUUM removes them.
TEST_F(VacuumTest, VersionsVisibleToAnOpenSnapshotElsewhereAreKept) {
  constexpr int kRows = 500;
  const std::vector<ItemPointer> tids = InsertRows(rel_, kRows);
  Channel channel;
  const pid_t reader = harness_.ForkBackend([&] {
    transam::StartTransaction(transam::IsolationLevel::kRepeatableRead);
    (void)transam::GetTransactionSnapshot();
    channel.SendToParent(1);  // snapshot taken
    for (;;) {
      const std::optional<uint64_t> cmd = channel.RecvInChild();
      if (!cmd.has_value()) return 2;
      if (*cmd == 0) break;
      // Count what the old snapshot sees, by scan and by fetching every old tid.
      uint64_t seen = 0;
      {
        HeapScan scan(rel_, transam::GetTransactionSnapshot());
        HeapTupleView v;
        while (scan.Next(&v)) ++seen;
      }
      uint64_t fetched = 0;
      for (const ItemPointer& tid : tids) {
        HeapTuple out;
        if (HeapFetch(rel_, transam::GetTransactionSnapshot(), tid, &out)) ++fetched;
      }
      channel.SendToParent(seen * 100000 + fetched);
    }
    transam::CommitTransaction();
    return 0;
  });
  ASSERT_EQ(channel.RecvInParent(), std::optional<uint64_t>(1));

  std::vector<ItemPointer> doomed(tids.begin(), tids.begin() + 400);
  DeleteRows(rel_, doomed);
  const VacuumStats first = VacuumCommitted(rel_);
  EXPECT_EQ(first.tuples_removed, 0u);
  EXPECT_EQ(first.dead_tuples_remaining, doomed.size());
  storage::Buffer vm = storage::kInvalidBuffer;
  for (const ItemPointer& tid : doomed) {
    EXPECT_FALSE(VisibilityMapIsAllVisible(rel_, tid.block, &vm)) << tid.block.value();
  }
  if (vm != storage::kInvalidBuffer) storage::ReleaseBuffer(vm);
  channel.SendToChild(1);
  EXPECT_EQ(channel.RecvInParent(), std::optional<uint64_t>(kRows * 100000ull + kRows));
  EXPECT_EQ(ScanPayloads(rel_).size(), static_cast<size_t>(kRows - 400));

  channel.SendToChild(0);
  ASSERT_EQ(harness_.Wait(reader), 0);
  const VacuumStats second = VacuumCommitted(rel_);
  EXPECT_EQ(second.tuples_removed, doomed.size());
  EXPECT_EQ(second.dead_tuples_remaining, 0u);
  EXPECT_EQ(second.live_tuples, static_cast<uint64_t>(kRows - 400));
  EXPECT_EQ(VisibilityMapCountAllVisible(rel_), HeapRelationBlocks(rel_));
}

// A transaction still running in another process: its inserts and deletes stay.
TEST_F(VacuumTest, InProgressChangesOfAnotherProcessStay) {
  const std::vector<ItemPointer> tids = InsertRows(rel_, 100);
  Channel channel;
  const pid_t writer = harness_.ForkBackend([&] {
    transam::StartTransaction();
    const CommandId cid = transam::GetCurrentCommandId(true);
    TmFailureData tmfd;
    for (int i = 0; i < 10; ++i) {
      if (HeapDelete(rel_, tids[i], cid, nullptr, true, &tmfd) != TmResult::kOk) return 3;
      HeapTuple t = MakeTuple("new");
      (void)HeapInsert(rel_, t, cid);
    }
    channel.SendToParent(1);
    if (!channel.RecvInChild().has_value()) return 2;
    transam::AbortTransaction();  // its new rows become dead, the deleted ones live again
    return 0;
  });
  ASSERT_EQ(channel.RecvInParent(), std::optional<uint64_t>(1));
  const VacuumStats during = VacuumCommitted(rel_);
  EXPECT_EQ(during.tuples_removed, 0u);
  EXPECT_EQ(during.live_tuples, 110u);
  EXPECT_EQ(VisibilityMapCountAllVisible(rel_).value(), 0u);
  channel.SendToChild(1);
  ASSERT_EQ(harness_.Wait(writer), 0);
  const VacuumStats after = VacuumCommitted(rel_);
  EXPECT_EQ(after.tuples_removed, 10u);  // the aborted inserts
  EXPECT_EQ(after.live_tuples, 100u);
  EXPECT_EQ(ScanPayloads(rel_).size(), 100u);
}

// Bits are set by VACUUM (with the page flag), cleared by a later update, and runs of
// all-visible pages are skipped by the next VACUUM.
TEST_F(VacuumTest, VisibilityMapBitsSetByVacuumClearedByUpdateAndSkipped) {
  const std::vector<ItemPointer> tids = InsertRows(rel_, 4000);
  const BlockNumber pages = HeapRelationBlocks(rel_);
  ASSERT_GE(pages.value(), 40u);
  EXPECT_EQ(VisibilityMapCountAllVisible(rel_).value(), 0u);
  const VacuumStats first = VacuumCommitted(rel_);
  EXPECT_EQ(first.pages_skipped_all_visible.value(), 0u);
  EXPECT_EQ(VisibilityMapCountAllVisible(rel_), pages);
  storage::Buffer vm = storage::kInvalidBuffer;
  for (uint32_t b = 0; b < pages.value(); ++b) {
    EXPECT_TRUE(VisibilityMapIsAllVisible(rel_, BlockNumber(b), &vm)) << b;
  }

  // Update a row of block 35 (a non-HOT update: the new version may go elsewhere too).
  const uint32_t kChanged = 35;
  auto it = std::find_if(tids.begin(), tids.end(),
                         [&](const ItemPointer& t) { return t.block.value() == kChanged; });
  ASSERT_NE(it, tids.end());
  // Too big for what is left on block 35: the new version goes to the last page.
  const ItemPointer new_tid =
      UpdateCommitted(rel_, *it, std::string(1000, 'c'), /*hot_allowed=*/false);
  EXPECT_FALSE(VisibilityMapIsAllVisible(rel_, BlockNumber(kChanged), &vm));
  EXPECT_FALSE(VisibilityMapIsAllVisible(rel_, new_tid.block, &vm));
  {
    storage::PinnedBuffer pin(storage::ReadBuffer(rel_.locator, ForkNumber::kMain, BlockNumber(kChanged)));
    storage::BufferLockGuard lock(pin.get(), storage::BufferLockMode::kShare);
    EXPECT_EQ(storage::GetPageHeader(storage::BufferGetPage(pin.get()))->flags & storage::kPageAllVisible, 0);
  }
  const uint32_t cleared = pages.value() - VisibilityMapCountAllVisible(rel_).value();
  EXPECT_GE(cleared, 1u);
  EXPECT_LE(cleared, 2u);
  if (vm != storage::kInvalidBuffer) storage::ReleaseBuffer(vm);

  // The second VACUUM reads only from block 35 on (blocks 0..34 are a long all-visible run),
  // removes the old version and sets the bits again.
  const VacuumStats second = VacuumCommitted(rel_);
  ASSERT_GT(new_tid.block.value(), kChanged);
  EXPECT_GE(second.pages_skipped_all_visible.value(), kChanged);
  EXPECT_EQ(second.pages_scanned.value() + second.pages_skipped_all_visible.value(),
            HeapRelationBlocks(rel_).value());
  EXPECT_EQ(second.tuples_removed, 1u);
  EXPECT_EQ(VisibilityMapCountAllVisible(rel_), HeapRelationBlocks(rel_));
}

// With indexes, dead pointers are handed to the index cleanup callback first and become
// unused only afterwards.
TEST_F(VacuumTest, IndexCleanupReceivesDeadTidsBeforeTheyAreReused) {
  const std::vector<ItemPointer> tids = InsertRows(rel_, 300);
  std::vector<ItemPointer> doomed;
  for (size_t i = 0; i < tids.size(); i += 3) doomed.push_back(tids[i]);
  DeleteRows(rel_, doomed);
  std::vector<ItemPointer> cleaned;
  int calls = 0;
  VacuumParams params;
  params.index_cleanup = [&](std::span<const ItemPointer> dead) {
    ++calls;
    // While the index is cleaned the pointers are dead, not yet reusable.
    for (const ItemPointer& tid : dead) {
      storage::PinnedBuffer pin(storage::ReadBuffer(rel_.locator, ForkNumber::kMain, tid.block));
      storage::BufferLockGuard lock(pin.get(), storage::BufferLockMode::kShare);
      EXPECT_EQ(storage::PageGetLinePointer(storage::BufferGetPage(pin.get()), tid.offset)->state,
                static_cast<uint32_t>(storage::LinePointerState::kDead));
    }
    cleaned.insert(cleaned.end(), dead.begin(), dead.end());
  };
  const VacuumStats stats = VacuumCommitted(rel_, params);
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(stats.tuples_removed, doomed.size());
  std::sort(cleaned.begin(), cleaned.end());
  EXPECT_EQ(cleaned, doomed);
  for (const ItemPointer& tid : doomed) {
    storage::PinnedBuffer pin(storage::ReadBuffer(rel_.locator, ForkNumber::kMain, tid.block));
    storage::BufferLockGuard lock(pin.get(), storage::BufferLockMode::kShare);
    storage::Page page = storage::BufferGetPage(pin.get());
    if (tid.offset <= storage::PageMaxOffsetNumber(page)) {
      EXPECT_EQ(storage::PageGetLinePointer(page, tid.offset)->state,
                static_cast<uint32_t>(storage::LinePointerState::kUnused));
    }
  }
  EXPECT_EQ(VisibilityMapCountAllVisible(rel_), HeapRelationBlocks(rel_));
  // Nothing left for a second round.
  calls = 0;
  const VacuumStats again = VacuumCommitted(rel_, params);
  EXPECT_EQ(calls, 0);
  EXPECT_EQ(again.tuples_removed, 0u);
}

// A page another process has pinned (a scan stopped on it) is not waited for: VACUUM only
// counts it, and a later VACUUM prunes it.
TEST_F(VacuumTest, PinnedPageIsNotWaitedFor) {
  const std::vector<ItemPointer> tids = InsertRows(rel_, 400);
  std::vector<ItemPointer> doomed;
  uint64_t doomed_on_0 = 0;
  for (size_t i = 0; i < tids.size(); i += 2) {
    doomed.push_back(tids[i]);
    if (tids[i].block.value() == 0) ++doomed_on_0;
  }
  ASSERT_GT(doomed_on_0, 0u);
  DeleteRows(rel_, doomed);
  Channel channel;
  const pid_t pinner = harness_.ForkBackend([&] {
    storage::PinnedBuffer pin(storage::ReadBuffer(rel_.locator, ForkNumber::kMain, BlockNumber(0)));
    channel.SendToParent(1);
    return channel.RecvInChild().has_value() ? 0 : 2;
  });
  ASSERT_EQ(channel.RecvInParent(), std::optional<uint64_t>(1));
  const VacuumStats first = VacuumCommitted(rel_);
  EXPECT_EQ(first.tuples_removed, doomed.size() - doomed_on_0);
  EXPECT_EQ(first.dead_tuples_remaining, doomed_on_0);  // left for next time
  EXPECT_EQ(first.live_tuples, tids.size() - doomed.size());
  storage::Buffer vm = storage::kInvalidBuffer;
  EXPECT_FALSE(VisibilityMapIsAllVisible(rel_, BlockNumber(0), &vm));
  EXPECT_TRUE(VisibilityMapIsAllVisible(rel_, BlockNumber(1), &vm));
  if (vm != storage::kInvalidBuffer) storage::ReleaseBuffer(vm);
  channel.SendToChild(1);
  ASSERT_EQ(harness_.Wait(pinner), 0);
  const VacuumStats second = VacuumCommitted(rel_);
  EXPECT_EQ(second.tuples_removed, doomed_on_0);
  EXPECT_EQ(VisibilityMapCountAllVisible(rel_), HeapRelationBlocks(rel_));
}

// Empty pages at the end go back to the file system; the maps are cut with them.
TEST_F(VacuumTest, EmptiedTailIsTruncated) {
  const std::vector<ItemPointer> tids = InsertRows(rel_, 3000);
  const BlockNumber pages = HeapRelationBlocks(rel_);
  ASSERT_GT(pages.value(), 20u);
  constexpr uint32_t kKeep = 10;
  std::vector<ItemPointer> doomed;
  for (const ItemPointer& tid : tids) {
    if (tid.block.value() >= kKeep) doomed.push_back(tid);
  }
  DeleteRows(rel_, doomed);
  (void)VacuumCommitted(rel_, VacuumParams{.truncate = false, .index_cleanup = {}});
  EXPECT_EQ(HeapRelationBlocks(rel_), pages);  // not asked to
  EXPECT_EQ(VisibilityMapCountAllVisible(rel_), pages);  // empty pages are all-visible too

  const VacuumStats stats = VacuumCommitted(rel_);
  EXPECT_EQ(stats.pages_removed.value(), pages.value() - kKeep);
  EXPECT_EQ(stats.rel_pages.value(), kKeep);
  EXPECT_EQ(HeapRelationBlocks(rel_).value(), kKeep);
  EXPECT_EQ(storage::SmgrNBlocks(rel_.locator, ForkNumber::kMain).value(), kKeep);
  EXPECT_EQ(VisibilityMapCountAllVisible(rel_).value(), kKeep);
  EXPECT_EQ(storage::FsmGetAvail(rel_.locator, BlockNumber(kKeep + 1)), 0u);
  EXPECT_LE(storage::SmgrNBlocks(rel_.locator, ForkNumber::kFsm), storage::FsmBlocksFor(BlockNumber(kKeep)));

  // The table grows again with pages whose map bits are clear.
  const std::vector<ItemPointer> more = InsertRows(rel_, 2000, 10000);
  EXPECT_GT(HeapRelationBlocks(rel_).value(), kKeep);
  storage::Buffer vm = storage::kInvalidBuffer;
  for (uint32_t b = kKeep; b < HeapRelationBlocks(rel_).value(); ++b) {
    EXPECT_FALSE(VisibilityMapIsAllVisible(rel_, BlockNumber(b), &vm)) << b;
  }
  if (vm != storage::kInvalidBuffer) storage::ReleaseBuffer(vm);
  EXPECT_EQ(ScanPayloads(rel_).size(), tids.size() - doomed.size() + more.size());

  // And after a crash the truncation and the maps' state are still there.
  FlushAllWal();
  const std::string before = DescribeHeap(rel_);
  harness_.Crash();
  EXPECT_EQ(DescribeHeap(rel_), before);
}

// B11 / hio: this process's cached insert target lies past a truncation another process made;
// the next insert notices (the pool's relation-drop count moved) instead of reading a block
// that is gone.
TEST_F(VacuumTest, InsertTargetCachedBeforeAnotherProcessTruncatedIsNotUsed) {
  const std::vector<ItemPointer> tids = InsertRows(rel_, 3000);  // caches the last page
  const BlockNumber pages = HeapRelationBlocks(rel_);
  ASSERT_GT(pages.value(), 20u);
  const pid_t vacuumer = harness_.ForkBackend([this, &tids] {
    std::vector<ItemPointer> doomed;
    for (const ItemPointer& tid : tids) {
      if (tid.block.value() >= 5) doomed.push_back(tid);
    }
    DeleteRows(rel_, doomed);
    const VacuumStats stats = VacuumCommitted(rel_);
    return stats.rel_pages.value() == 5 ? 0 : 1;
  });
  ASSERT_EQ(harness_.Wait(vacuumer), 0);
  ASSERT_EQ(HeapRelationBlocks(rel_).value(), 5u);
  const std::vector<ItemPointer> more = InsertRows(rel_, 10, 50000);
  for (const ItemPointer& tid : more) EXPECT_LT(tid.block.value(), 6u);
  const size_t kept = static_cast<size_t>(std::count_if(
      tids.begin(), tids.end(), [](const ItemPointer& t) { return t.block.value() < 5; }));
  EXPECT_EQ(ScanPayloads(rel_).size(), kept + more.size());
}

// Truncation needs an AccessExclusiveLock and does not wait for it.
TEST_F(VacuumTest, TruncationIsSkippedWhileAnotherProcessUsesTheTable) {
  const std::vector<ItemPointer> tids = InsertRows(rel_, 2000);
  const BlockNumber pages = HeapRelationBlocks(rel_);
  std::vector<ItemPointer> doomed;
  for (const ItemPointer& tid : tids) {
    if (tid.block.value() >= 2) doomed.push_back(tid);
  }
  DeleteRows(rel_, doomed);
  Channel channel;
  const pid_t user = harness_.ForkBackend([&] {
    transam::StartTransaction();
    const storage::LockTag tag = storage::RelationLockTag(rel_.db.value(), rel_.id.value());
    if (storage::LockAcquire(tag, storage::LockMode::kAccessShare) != storage::LockResult::kAcquired) {
      return 3;
    }
    channel.SendToParent(1);
    if (!channel.RecvInChild().has_value()) return 2;
    transam::CommitTransaction();
    return 0;
  });
  ASSERT_EQ(channel.RecvInParent(), std::optional<uint64_t>(1));
  const VacuumStats blocked = VacuumCommitted(rel_);  // must not hang
  EXPECT_EQ(blocked.pages_removed.value(), 0u);
  EXPECT_EQ(blocked.tuples_removed, doomed.size());
  EXPECT_EQ(HeapRelationBlocks(rel_), pages);
  channel.SendToChild(1);
  ASSERT_EQ(harness_.Wait(user), 0);
  const VacuumStats done = VacuumCommitted(rel_);
  EXPECT_EQ(done.rel_pages.value(), 2u);
  EXPECT_EQ(HeapRelationBlocks(rel_).value(), 2u);
}

// Crash right after VACUUM: recovery replays its prune, vacuum and visible records (and the
// deletes before them) and ends with the same pages.
TEST_F(VacuumTest, CrashAfterVacuumRedoReproducesThePages) {
  std::vector<ItemPointer> tids = InsertRows(rel_, 10);
  // A HOT chain too: a row updated in place several times while its page has room.
  ItemPointer hot = tids[5];
  for (int v = 0; v < 3; ++v) {
    bool used_hot = false;
    hot = UpdateCommitted(rel_, hot, "hot-" + std::to_string(v), true, &used_hot);
    EXPECT_TRUE(used_hot);
  }
  const std::vector<ItemPointer> rest = InsertRows(rel_, 2490, 10);
  tids.insert(tids.end(), rest.begin(), rest.end());
  harness_.Checkpoint();  // the pre-vacuum state is on disk; everything after is only in WAL
  std::vector<ItemPointer> doomed;
  for (size_t i = 0; i < tids.size(); ++i) {
    if (i % 4 != 0 && i != 5) doomed.push_back(tids[i]);
  }
  DeleteRows(rel_, doomed);
  VacuumParams with_index;
  with_index.index_cleanup = [](std::span<const ItemPointer>) {};
  const VacuumStats stats = VacuumCommitted(rel_, with_index);
  EXPECT_EQ(stats.tuples_removed, doomed.size() + 3);  // the deleted rows, the old versions
  FlushAllWal();
  const std::string before = DescribeHeap(rel_);
  const auto rows_before = ScanPayloads(rel_);
  harness_.Crash();
  EXPECT_EQ(DescribeHeap(rel_), before);
  EXPECT_EQ(ScanPayloads(rel_), rows_before);
  EXPECT_EQ(VisibilityMapCountAllVisible(rel_), HeapRelationBlocks(rel_));
  // The free space map was brought back by redo too: inserts reuse the space.
  const BlockNumber pages = HeapRelationBlocks(rel_);
  InsertRows(rel_, static_cast<int>(doomed.size()) - 50, 50000);
  EXPECT_EQ(HeapRelationBlocks(rel_), pages);
}

// V5 checked on every page: where the map bit is set, the page flag is set and every stored
// tuple is visible to a fresh snapshot (nothing dead, nothing in progress).
void ExpectMapBitsTruthful(const Relation& rel) {
  transam::StartTransaction();
  const transam::Snapshot& snapshot = transam::GetTransactionSnapshot();
  storage::Buffer vm = storage::kInvalidBuffer;
  const BlockNumber pages = HeapRelationBlocks(rel);
  for (uint32_t b = 0; b < pages.value(); ++b) {
    if (!VisibilityMapIsAllVisible(rel, BlockNumber(b), &vm)) continue;
    storage::PinnedBuffer pin(storage::ReadBuffer(rel.locator, ForkNumber::kMain, BlockNumber(b)));
    storage::BufferLockGuard lock(pin.get(), storage::BufferLockMode::kShare);
    storage::Page page = storage::BufferGetPage(pin.get());
    EXPECT_NE(storage::GetPageHeader(page)->flags & storage::kPageAllVisible, 0) << b;
    for (int off = 1; off <= storage::PageMaxOffsetNumber(page); ++off) {
      storage::LinePointer* lp = storage::PageGetLinePointer(page, static_cast<uint16_t>(off));
      EXPECT_NE(lp->state, static_cast<uint32_t>(storage::LinePointerState::kDead)) << b;
      if (lp->state != static_cast<uint32_t>(storage::LinePointerState::kNormal)) continue;
      auto* tuple = reinterpret_cast<HeapTupleHeader*>(storage::PageGetItem(page, lp));
      EXPECT_TRUE(HeapTupleSatisfiesMvcc(tuple, snapshot, pin.get())) << b << "," << off;
    }
  }
  if (vm != storage::kInvalidBuffer) storage::ReleaseBuffer(vm);
  transam::CommitTransaction();
}

// One step of the writer's seeded workload in the concurrency test.
struct WriterStep {
  int key;
  int op;  // 0 insert-or-update (HOT allowed), 1 update (no HOT), 2 delete
};
std::string WriterPayload(int key, int step) {
  std::string s = "k" + std::to_string(key) + "-v" + std::to_string(step);
  s.resize(150, '.');  // a few hundred rows over a dozen pages
  return s;
}
WriterStep NextWriterStep(std::mt19937& rng) {
  return WriterStep{static_cast<int>(rng() % 400), static_cast<int>(rng() % 3)};
}

// VACUUM runs again and again while another process inserts, updates (HOT and not) and
// deletes; every committed row survives, nothing dead is resurrected, and the map never lies.
TEST_F(VacuumTest, RepeatedVacuumConcurrentWithAWriterKeepsEveryRow) {
  constexpr int kSteps = 3000;
  const pid_t writer = harness_.ForkBackend([this] {
    std::mt19937 rng(99);
    std::map<int, ItemPointer> rows;
    std::map<int, int> versions;
    for (int i = 0; i < kSteps; ++i) {
      const WriterStep step = NextWriterStep(rng);
      const std::string payload = WriterPayload(step.key, i);
      transam::StartTransaction();
      // As the executor does: VACUUM's truncation (AccessExclusiveLock) must wait for us.
      (void)storage::LockAcquire(storage::RelationLockTag(rel_.db.value(), rel_.id.value()),
                                 storage::LockMode::kRowExclusive);
      const CommandId cid = transam::GetCurrentCommandId(true);
      auto it = rows.find(step.key);
      TmFailureData tmfd;
      if (it == rows.end()) {
        if (step.op != 2) {
          HeapTuple t = MakeTuple(payload);
          rows[step.key] = HeapInsert(rel_, t, cid);
        }
      } else if (step.op == 2) {
        if (HeapDelete(rel_, it->second, cid, nullptr, true, &tmfd) != TmResult::kOk) return 3;
        rows.erase(it);
      } else {
        HeapTuple t = MakeTuple(payload);
        bool hot = false;
        if (HeapUpdate(rel_, it->second, t, cid, nullptr, true, &tmfd, step.op == 0, &hot) !=
            TmResult::kOk) {
          return 4;
        }
        it->second = t.self;
      }
      transam::CommitTransaction();
    }
    return 0;
  });
  int vacuums = 0;
  uint64_t removed = 0;
  while (true) {
    removed += VacuumCommitted(rel_).tuples_removed;
    ++vacuums;
    int status = 0;
    if (waitpid(writer, &status, WNOHANG) == writer) {
      ASSERT_TRUE(WIFEXITED(status));
      ASSERT_EQ(WEXITSTATUS(status), 0);
      break;
    }
  }
  (void)harness_.Wait(writer, 1000);
  removed += VacuumCommitted(rel_).tuples_removed;
  EXPECT_GT(vacuums, 1);
  EXPECT_GT(removed, 0u);

  // The expected final rows, from the same seeded sequence.
  std::mt19937 rng(99);
  std::map<int, std::string> expect;
  for (int i = 0; i < kSteps; ++i) {
    const WriterStep step = NextWriterStep(rng);
    const std::string payload = WriterPayload(step.key, i);
    if (step.op == 2) {
      expect.erase(step.key);
    } else {
      expect[step.key] = payload;
    }
  }
  std::multiset<std::string> want;
  for (const auto& [key, payload] : expect) want.insert(payload);
  EXPECT_EQ(ScanPayloads(rel_), want);
  ExpectMapBitsTruthful(rel_);
  const VacuumStats last = VacuumCommitted(rel_);
  EXPECT_EQ(last.live_tuples, want.size());
  EXPECT_EQ(last.dead_tuples_remaining, 0u);
  EXPECT_EQ(VisibilityMapCountAllVisible(rel_), HeapRelationBlocks(rel_));
  ExpectMapBitsTruthful(rel_);
}

TEST_F(VacuumTest, EmptyAndNewTables) {
  VacuumStats stats = VacuumCommitted(rel_);
  EXPECT_EQ(stats.rel_pages.value(), 0u);
  EXPECT_EQ(stats.pages_scanned.value(), 0u);
  const std::vector<ItemPointer> tids = InsertRows(rel_, 1);
  DeleteRows(rel_, tids);
  stats = VacuumCommitted(rel_);
  EXPECT_EQ(stats.tuples_removed, 1u);
  EXPECT_EQ(stats.pages_removed.value(), 1u);  // one page, all of it freeable
  EXPECT_EQ(HeapRelationBlocks(rel_).value(), 0u);
  InsertRows(rel_, 5);
  EXPECT_EQ(ScanPayloads(rel_).size(), 5u);
}

}  // namespace
}  // namespace keel::access
