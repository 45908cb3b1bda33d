// Pruning of HOT chains and dead versions: chains stay reachable from their root through a
// redirect, whole dead chains leave a dead root for index cleanup, aborted HOT updates leave
// orphans that go at once, and opportunistic pruning respects pins and old snapshots.
// README.md ("Tests").
#include "access/heap/prune.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "access/heap/heap_test_util.h"
#include "access/heap/vacuum.h"
#include "access/heap/vacuum_test_util.h"
#include "access/heap/visibility_map.h"
#include "access/transam/transam.h"
#include "access/transam/xact.h"
#include "tests/server/server_harness.h"

namespace keel::access {
namespace {

using keel::testing::ServerHarness;
using storage::ItemPointer;
using storage::LinePointerState;
using testing::Channel;
using testing::DeleteCommitted;
using testing::InsertCommitted;
using testing::MakeTuple;
using testing::Payload;
using testing::UpdateCommitted;
using testing::VacuumCommitted;

struct LpInfo {
  LinePointerState state;
  uint32_t offset;
};
LpInfo LinePointerAt(const Relation& rel, ItemPointer tid) {
  storage::PinnedBuffer pin(storage::ReadBuffer(rel.locator, ForkNumber::kMain, tid.block));
  storage::BufferLockGuard lock(pin.get(), storage::BufferLockMode::kShare);
  storage::Page page = storage::BufferGetPage(pin.get());
  if (tid.offset > storage::PageMaxOffsetNumber(page)) return {LinePointerState::kUnused, 0};
  const storage::LinePointer* lp = storage::PageGetLinePointer(page, tid.offset);
  return {static_cast<LinePointerState>(lp->state), lp->offset};
}

std::string HotSearchPayload(const Relation& rel, ItemPointer root) {
  HeapTuple out;
  if (!HeapHotSearch(rel, transam::GetTransactionSnapshot(), root, &out)) return "<none>";
  return Payload(out);
}

std::string HotSearchCommitted(const Relation& rel, ItemPointer root) {
  transam::StartTransaction();
  std::string payload = HotSearchPayload(rel, root);
  transam::CommitTransaction();
  return payload;
}

VacuumParams WithIndexes(std::vector<ItemPointer>* cleaned) {
  VacuumParams params;
  params.index_cleanup = [cleaned](std::span<const ItemPointer> dead) {
    cleaned->insert(cleaned->end(), dead.begin(), dead.end());
  };
  return params;
}

class PruneTest : public ::testing::Test {
 protected:
  ServerHarness harness_;
  Relation rel_ = testing::CreateTestHeap(16385);
};

// The HOT test: pruning removes dead chain members but the chain stays reachable
// through its root's line pointer (the one indexes point at), for old and new snapshots.
TEST_F(PruneTest, HotChainStaysReachableThroughItsRoot) {
  const ItemPointer root = InsertCommitted(rel_, "v0");
  (void)InsertCommitted(rel_, "other");
  bool hot = false;
  const ItemPointer v1 = UpdateCommitted(rel_, root, "v1", true, &hot);
  ASSERT_TRUE(hot);
  ASSERT_EQ(v1.block, root.block);

  // Another process's snapshot sees v1.
  Channel channel;
  const pid_t reader = harness_.ForkBackend([&] {
    transam::StartTransaction(transam::IsolationLevel::kRepeatableRead);
    (void)transam::GetTransactionSnapshot();
    channel.SendToParent(1);
    if (channel.RecvInChild() != std::optional<uint64_t>(1)) return 2;
    const bool ok = HotSearchPayload(rel_, root) == "v1";
    transam::CommitTransaction();
    return ok ? 0 : 3;
  });
  ASSERT_EQ(channel.RecvInParent(), std::optional<uint64_t>(1));
  const ItemPointer v2 = UpdateCommitted(rel_, v1, "v2", true, &hot);
  ASSERT_TRUE(hot);
  const ItemPointer v3 = UpdateCommitted(rel_, v2, "v3", true, &hot);
  ASSERT_TRUE(hot);

  std::vector<ItemPointer> cleaned;
  VacuumStats stats = VacuumCommitted(rel_, WithIndexes(&cleaned));
  EXPECT_EQ(stats.tuples_removed, 1u);        // v0 only: v1 is still seen
  EXPECT_EQ(stats.dead_tuples_remaining, 2u);  // v1, v2
  EXPECT_TRUE(cleaned.empty());                // nothing for the indexes: the root stays
  LpInfo lp = LinePointerAt(rel_, root);
  EXPECT_EQ(lp.state, LinePointerState::kRedirect);
  EXPECT_EQ(lp.offset, v1.offset);
  EXPECT_EQ(HotSearchCommitted(rel_, root), "v3");
  channel.SendToChild(1);
  EXPECT_EQ(harness_.Wait(reader), 0);  // the old snapshot still found v1 from the root

  stats = VacuumCommitted(rel_, WithIndexes(&cleaned));
  EXPECT_EQ(stats.tuples_removed, 2u);
  EXPECT_TRUE(cleaned.empty());
  lp = LinePointerAt(rel_, root);
  EXPECT_EQ(lp.state, LinePointerState::kRedirect);
  EXPECT_EQ(lp.offset, v3.offset);
  EXPECT_EQ(LinePointerAt(rel_, v1).state, LinePointerState::kUnused);
  EXPECT_EQ(LinePointerAt(rel_, v2).state, LinePointerState::kUnused);
  EXPECT_EQ(HotSearchCommitted(rel_, root), "v3");

  // Updating again from the redirected chain works and is HOT; the freed pointers are reused.
  const ItemPointer v4 = UpdateCommitted(rel_, v3, "v4", true, &hot);
  EXPECT_TRUE(hot);
  EXPECT_EQ(HotSearchCommitted(rel_, root), "v4");
  transam::StartTransaction();
  HeapTuple out;
  EXPECT_TRUE(HeapFetch(rel_, transam::GetTransactionSnapshot(), v4, &out));
  EXPECT_EQ(Payload(out), "v4");
  transam::CommitTransaction();
}

// A chain whose every version is dead: the root becomes a dead pointer for index cleanup,
// then unused; without indexes it becomes unused at once.
TEST_F(PruneTest, WholeDeadChainLeavesDeadRootForIndexCleanup) {
  const ItemPointer root = InsertCommitted(rel_, "a0");
  bool hot = false;
  const ItemPointer a1 = UpdateCommitted(rel_, root, "a1", true, &hot);
  ASSERT_TRUE(hot);
  DeleteCommitted(rel_, a1);
  const ItemPointer other = InsertCommitted(rel_, "b0");
  DeleteCommitted(rel_, other);

  PruneResult result;
  {
    transam::StartTransaction();
    storage::PinnedBuffer pin(storage::ReadBuffer(rel_.locator, ForkNumber::kMain, root.block));
    storage::LockBufferForCleanup(pin.get());
    result = HeapPagePrune(rel_, pin.get(), transam::GetOldestXmin(), false);
    storage::UnlockBuffer(pin.get());
    transam::CommitTransaction();
  }
  EXPECT_EQ(result.tuples_deleted, 3);
  EXPECT_EQ(result.live_tuples, 0);
  EXPECT_FALSE(result.all_visible);  // dead pointers wait for index cleanup
  EXPECT_EQ(result.dead_items, (std::vector<storage::OffsetNumber>{root.offset, other.offset}));
  EXPECT_EQ(LinePointerAt(rel_, root).state, LinePointerState::kDead);
  EXPECT_EQ(LinePointerAt(rel_, a1).state, LinePointerState::kUnused);
  EXPECT_EQ(HotSearchCommitted(rel_, root), "<none>");

  std::vector<ItemPointer> cleaned;
  VacuumParams params = WithIndexes(&cleaned);
  params.truncate = false;  // keep the (now empty) page to look at
  const VacuumStats stats = VacuumCommitted(rel_, params);
  EXPECT_EQ(stats.tuples_removed, 0u);  // already pruned: only pointers were left
  EXPECT_EQ(cleaned, (std::vector<ItemPointer>{root, other}));
  EXPECT_EQ(LinePointerAt(rel_, root).state, LinePointerState::kUnused);

  // Without indexes: straight to unused.
  (void)InsertCommitted(rel_, "keeps the page");
  const ItemPointer c0 = InsertCommitted(rel_, "c0");
  DeleteCommitted(rel_, c0);
  transam::StartTransaction();
  storage::PinnedBuffer pin(storage::ReadBuffer(rel_.locator, ForkNumber::kMain, c0.block));
  storage::LockBufferForCleanup(pin.get());
  const PruneResult no_index = HeapPagePrune(rel_, pin.get(), transam::GetOldestXmin(), true);
  storage::UnlockBuffer(pin.get());
  transam::CommitTransaction();
  EXPECT_EQ(no_index.tuples_deleted, 1);
  EXPECT_TRUE(no_index.dead_items.empty());
  EXPECT_TRUE(no_index.all_visible);
  EXPECT_EQ(no_index.live_tuples, 1);
  EXPECT_EQ(LinePointerAt(rel_, c0).state, LinePointerState::kUnused);
}

// An aborted HOT update leaves a heap-only version nobody points at: pruning removes it at
// once, and the row is the old version again.
TEST_F(PruneTest, AbortedHotUpdateOrphanIsRemoved) {
  const ItemPointer root = InsertCommitted(rel_, "kept");
  transam::StartTransaction();
  HeapTuple t = MakeTuple("aborted");
  TmFailureData tmfd;
  bool hot = false;
  ASSERT_EQ(HeapUpdate(rel_, root, t, transam::GetCurrentCommandId(true), nullptr, true, &tmfd,
                       true, &hot),
            TmResult::kOk);
  ASSERT_TRUE(hot);
  const ItemPointer orphan = t.self;
  transam::AbortTransaction();

  const VacuumStats stats = VacuumCommitted(rel_);
  EXPECT_EQ(stats.tuples_removed, 1u);
  EXPECT_EQ(stats.live_tuples, 1u);
  EXPECT_EQ(LinePointerAt(rel_, orphan).state, LinePointerState::kUnused);
  EXPECT_EQ(LinePointerAt(rel_, root).state, LinePointerState::kNormal);
  EXPECT_EQ(HotSearchCommitted(rel_, root), "kept");
  // And the row can be updated again.
  (void)UpdateCommitted(rel_, root, "next", true, &hot);
  EXPECT_EQ(HotSearchCommitted(rel_, root), "next");
}

// An aborted transaction that HOT-updated a row twice leaves two heap-only versions: the first
// is itself HOT-updated (by the same aborted xid) and reached by no chain, the second is not.
// Both are orphans (PostgreSQL: a tuple whose xmin aborted is never "HOT-updated") and go, and
// the page can then become all-visible.
TEST_F(PruneTest, AbortedSequentialHotUpdatesLeaveNoOrphan) {
  const ItemPointer root = InsertCommitted(rel_, "kept");
  transam::StartTransaction();
  HeapTuple t1 = MakeTuple("aborted-1");
  TmFailureData tmfd;
  bool hot = false;
  ASSERT_EQ(HeapUpdate(rel_, root, t1, transam::GetCurrentCommandId(true), nullptr, true, &tmfd,
                       true, &hot),
            TmResult::kOk);
  ASSERT_TRUE(hot);
  const ItemPointer first = t1.self;
  transam::CommandCounterIncrement();
  HeapTuple t2 = MakeTuple("aborted-2");
  ASSERT_EQ(HeapUpdate(rel_, first, t2, transam::GetCurrentCommandId(true), nullptr, true, &tmfd,
                       true, &hot),
            TmResult::kOk);
  ASSERT_TRUE(hot);
  const ItemPointer second = t2.self;
  transam::AbortTransaction();

  VacuumParams params;
  params.truncate = false;
  const VacuumStats stats = VacuumCommitted(rel_, params);
  EXPECT_EQ(stats.tuples_removed, 2u);
  EXPECT_EQ(stats.live_tuples, 1u);
  EXPECT_EQ(LinePointerAt(rel_, first).state, LinePointerState::kUnused);
  EXPECT_EQ(LinePointerAt(rel_, second).state, LinePointerState::kUnused);
  EXPECT_EQ(LinePointerAt(rel_, root).state, LinePointerState::kNormal);
  EXPECT_EQ(HotSearchCommitted(rel_, root), "kept");
  // Nothing dead is left behind: the page is all-visible now.
  EXPECT_EQ(VisibilityMapCountAllVisible(rel_), BlockNumber(1));
}

// Readers and updaters prune a nearly full page on the way, unless another process holds a pin
// on it (it may be looking at the tuples) or a snapshot still needs the versions.
TEST_F(PruneTest, OpportunisticPruningNeedsAFreePageAndOldEnoughVersions) {
  std::vector<ItemPointer> tids;
  transam::StartTransaction();
  const CommandId cid = transam::GetCurrentCommandId(true);
  for (int i = 0;; ++i) {
    HeapTuple t = MakeTuple(std::string(200, static_cast<char>('a' + i % 26)));
    const ItemPointer tid = HeapInsert(rel_, t, cid);
    if (tid.block.value() != 0) break;
    tids.push_back(tid);
  }
  transam::CommitTransaction();
  ASSERT_GT(tids.size(), 30u);
  transam::StartTransaction();
  for (size_t i = 0; i + 1 < tids.size(); ++i) {
    TmFailureData tmfd;
    ASSERT_EQ(HeapDelete(rel_, tids[i], transam::GetCurrentCommandId(true), nullptr, true, &tmfd),
              TmResult::kOk);
  }
  transam::CommitTransaction();

  auto free_space = [&] {
    storage::PinnedBuffer pin(storage::ReadBuffer(rel_.locator, ForkNumber::kMain, BlockNumber(0)));
    storage::BufferLockGuard lock(pin.get(), storage::BufferLockMode::kShare);
    return storage::PageGetFreeSpace(storage::BufferGetPage(pin.get()));
  };
  auto prune_opt = [&] {
    storage::PinnedBuffer pin(storage::ReadBuffer(rel_.locator, ForkNumber::kMain, BlockNumber(0)));
    HeapPagePruneOpt(rel_, pin.get());
  };
  const size_t full = free_space();
  ASSERT_LT(full, kBlockSize / 10);

  // 0. This process itself holds another pin (say, a scan stopped on the page): no pruning.
  {
    storage::PinnedBuffer mine(storage::ReadBuffer(rel_.locator, ForkNumber::kMain, BlockNumber(0)));
    prune_opt();
    EXPECT_EQ(free_space(), full);
  }

  // 1. Another process pins the page: no cleanup lock, no pruning (and no waiting).
  Channel channel;
  const pid_t pinner = harness_.ForkBackend([&] {
    storage::PinnedBuffer pin(storage::ReadBuffer(rel_.locator, ForkNumber::kMain, BlockNumber(0)));
    channel.SendToParent(1);
    return channel.RecvInChild().has_value() ? 0 : 2;
  });
  ASSERT_EQ(channel.RecvInParent(), std::optional<uint64_t>(1));
  prune_opt();
  EXPECT_EQ(free_space(), full);
  channel.SendToChild(1);
  ASSERT_EQ(harness_.Wait(pinner), 0);

  // 2. A snapshot older than the deletes in another process: nothing is dead to everyone.
  Channel snap_channel;
  const pid_t reader = harness_.ForkBackend([&] {
    transam::StartTransaction(transam::IsolationLevel::kRepeatableRead);
    (void)transam::GetTransactionSnapshot();
    snap_channel.SendToParent(1);
    (void)snap_channel.RecvInChild();
    transam::CommitTransaction();
    return 0;
  });
  ASSERT_EQ(snap_channel.RecvInParent(), std::optional<uint64_t>(1));
  // Its snapshot came after the deletes, so it does not hold them back: make it older by
  // deleting the last row now.
  DeleteCommitted(rel_, tids.back());
  prune_opt();
  const size_t after_first = free_space();
  EXPECT_GT(after_first, full + 200 * (tids.size() - 2));  // all but the last one went
  snap_channel.SendToChild(1);
  ASSERT_EQ(harness_.Wait(reader), 0);

  // 3. Plenty of room now: not worth pruning again even though the last delete is old enough.
  prune_opt();
  EXPECT_EQ(free_space(), after_first);
}

}  // namespace
}  // namespace keel::access
