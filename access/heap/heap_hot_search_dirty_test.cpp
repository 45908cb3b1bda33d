// HeapHotSearchDirty: the dirty-snapshot HOT-chain walk unique checks use. Live, own, deleted,
// aborted and missing versions; HOT chains (the live member found from the root); running
// inserters and deleters of another backend reported with their xid. README.md ("Fetching").
#include <gtest/gtest.h>

#include "access/heap/heap_test_util.h"
#include "access/heap/heapam.h"
#include "access/transam/transam.h"
#include "access/transam/xact.h"
#include "tests/server/server_harness.h"

namespace keel::access {
namespace {

using storage::ItemPointer;
using testing::Channel;
using testing::CreateTestHeap;
using testing::InsertCommitted;
using testing::MakeTuple;

HotDirtyResult Search(const Relation& rel, ItemPointer tid, TransactionId* xwait,
                      ItemPointer* found = nullptr) {
  transam::StartTransaction();
  const HotDirtyResult r = HeapHotSearchDirty(rel, tid, xwait, found);
  transam::CommitTransaction();
  return r;
}

TEST(HeapHotSearchDirtyTest, LiveDeadOwnAbortedAndHotChains) {
  keel::testing::ServerHarness harness;
  const Relation rel = CreateTestHeap(16384);
  TransactionId xwait;
  ItemPointer found;

  const ItemPointer live = InsertCommitted(rel, "live");
  EXPECT_EQ(Search(rel, live, &xwait, &found), HotDirtyResult::kLive);
  EXPECT_EQ(found, live);
  EXPECT_FALSE(transam::TransactionIdIsValid(xwait));

  // Missing tids.
  EXPECT_EQ(Search(rel, ItemPointer{BlockNumber(50), 1}, &xwait), HotDirtyResult::kNone);
  EXPECT_EQ(Search(rel, ItemPointer{live.block, 200}, &xwait), HotDirtyResult::kNone);

  // Our own insert is live to us, with nothing to wait for; aborted, it is gone.
  transam::StartTransaction();
  HeapTuple own = MakeTuple("own");
  const ItemPointer own_tid = HeapInsert(rel, own, transam::GetCurrentCommandId(true));
  EXPECT_EQ(HeapHotSearchDirty(rel, own_tid, &xwait), HotDirtyResult::kLive);
  transam::AbortTransaction();
  EXPECT_EQ(Search(rel, own_tid, &xwait), HotDirtyResult::kNone);

  // A committed delete.
  const ItemPointer doomed = InsertCommitted(rel, "doomed");
  transam::StartTransaction();
  TmFailureData f;
  ASSERT_EQ(HeapDelete(rel, doomed, transam::GetCurrentCommandId(true), nullptr, true, &f), TmResult::kOk);
  transam::CommitTransaction();
  EXPECT_EQ(Search(rel, doomed, &xwait), HotDirtyResult::kNone);

  // HOT chain: root -> v2 -> v3, found from the root at the last member.
  const ItemPointer root = InsertCommitted(rel, "v1");
  ItemPointer cur = root;
  for (const char* payload : {"v2", "v3"}) {
    transam::StartTransaction();
    HeapTuple nt = MakeTuple(payload);
    bool used_hot = false;
    ASSERT_EQ(HeapUpdate(rel, cur, nt, transam::GetCurrentCommandId(true), nullptr, true, &f, true, &used_hot),
              TmResult::kOk);
    ASSERT_TRUE(used_hot);
    transam::CommitTransaction();
    cur = nt.self;
  }
  EXPECT_EQ(Search(rel, root, &xwait, &found), HotDirtyResult::kLive);
  EXPECT_EQ(found, cur);
  EXPECT_NE(found, root);
  // A heap-only member is not a chain root.
  EXPECT_EQ(Search(rel, cur, &xwait), HotDirtyResult::kNone);
  // The whole chain deleted: nothing.
  transam::StartTransaction();
  ASSERT_EQ(HeapDelete(rel, cur, transam::GetCurrentCommandId(true), nullptr, true, &f), TmResult::kOk);
  transam::CommitTransaction();
  EXPECT_EQ(Search(rel, root, &xwait), HotDirtyResult::kNone);
}

TEST(HeapHotSearchDirtyTest, RunningInserterAndDeleterAreReported) {
  keel::testing::ServerHarness harness;
  const Relation rel = CreateTestHeap(16384);
  const ItemPointer victim = InsertCommitted(rel, "victim");
  Channel ch;
  const pid_t pid = harness.ForkBackend([&]() -> int {
    transam::StartTransaction();
    HeapTuple t = MakeTuple("theirs");
    const ItemPointer tid = HeapInsert(rel, t, transam::GetCurrentCommandId(true));
    TmFailureData f;
    if (HeapDelete(rel, victim, transam::GetCurrentCommandId(true), nullptr, true, &f) != TmResult::kOk) return 1;
    ch.SendToParent((static_cast<uint64_t>(tid.block.value()) << 16) | tid.offset);
    ch.SendToParent(transam::GetCurrentTransactionId().value());
    if (!ch.RecvInChild()) return 2;
    transam::CommitTransaction();
    return 0;
  });
  const std::optional<uint64_t> packed = ch.RecvInParent();
  const std::optional<uint64_t> xid = ch.RecvInParent();
  ASSERT_TRUE(packed && xid);
  const ItemPointer theirs{BlockNumber(static_cast<uint32_t>(*packed >> 16)),
                           static_cast<storage::OffsetNumber>(*packed & 0xFFFF)};
  TransactionId xwait;
  EXPECT_EQ(Search(rel, theirs, &xwait), HotDirtyResult::kInProgress);
  EXPECT_EQ(xwait.value(), *xid);
  EXPECT_EQ(Search(rel, victim, &xwait), HotDirtyResult::kInProgress);
  EXPECT_EQ(xwait.value(), *xid);
  ch.SendToChild(1);
  EXPECT_EQ(harness.Wait(pid), 0);
  EXPECT_EQ(Search(rel, theirs, &xwait), HotDirtyResult::kLive);
  EXPECT_EQ(Search(rel, victim, &xwait), HotDirtyResult::kNone);
}

}  // namespace
}  // namespace keel::access
