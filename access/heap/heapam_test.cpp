// Single-backend heap behaviour: insert / fetch / scan across many pages, delete and update
// chains, HOT updates and the HOT-chain search, combo command ids, own-command visibility,
// errors. README.md ("Tests").
#include "access/heap/heapam.h"

#include <gtest/gtest.h>

#include <map>
#include <set>
#include <string>

#include "access/heap/heap_test_util.h"
#include "access/heap/heapam_internal.h"
#include "access/transam/xact.h"
#include "backend/utils/error/error.h"
#include "tests/server/server_harness.h"

namespace keel::access {
namespace {

using keel::testing::ServerHarness;
using storage::ItemPointer;
using testing::InsertCommitted;
using testing::MakeTuple;
using testing::Payload;

std::multiset<std::string> ScanAll(const Relation& rel, const transam::Snapshot& snapshot) {
  std::multiset<std::string> out;
  HeapScan scan(rel, snapshot);
  HeapTupleView v;
  while (scan.Next(&v)) out.insert(Payload(v));
  return out;
}

std::multiset<std::string> ScanCommitted(const Relation& rel) {
  transam::StartTransaction();
  auto out = ScanAll(rel, transam::GetTransactionSnapshot());
  transam::CommitTransaction();
  return out;
}

class HeapTest : public ::testing::Test {
 protected:
  ServerHarness harness_;
  Relation rel_ = testing::CreateTestHeap(16384);
};

TEST_F(HeapTest, InsertFetchScanManyPages) {
  constexpr int kRows = 3000;
  transam::StartTransaction();
  std::map<ItemPointer, std::string> tids;
  const CommandId cid = transam::GetCurrentCommandId(true);
  for (int i = 0; i < kRows; ++i) {
    std::string payload = "row-" + std::to_string(i) + std::string(static_cast<size_t>(i % 50), 'x');
    HeapTuple t = MakeTuple(payload);
    const ItemPointer tid = HeapInsert(rel_, t, cid);
    EXPECT_EQ(t.self, tid);
    EXPECT_TRUE(tids.emplace(tid, payload).second) << "tid reused";
  }
  transam::CommitTransaction();
  EXPECT_GT(HeapRelationBlocks(rel_).value(), 10u);

  transam::StartTransaction();
  const transam::Snapshot& snap = transam::GetTransactionSnapshot();
  for (const auto& [tid, payload] : tids) {
    HeapTuple out;
    ASSERT_TRUE(HeapFetch(rel_, snap, tid, &out));
    EXPECT_EQ(Payload(out), payload);
    EXPECT_EQ(out.self, tid);
    EXPECT_EQ(out.header()->Ctid(), tid);
  }
  HeapScan scan(rel_, snap);
  HeapTupleView v;
  int n = 0;
  ItemPointer prev;
  while (scan.Next(&v)) {
    ASSERT_TRUE(tids.count(v.self));
    EXPECT_EQ(Payload(v), tids[v.self]);
    if (n > 0) {
      EXPECT_LT(prev, v.self);  // physical order
    }
    prev = v.self;
    ++n;
  }
  EXPECT_EQ(n, kRows);
  scan.Rescan();
  int again = 0;
  while (scan.Next(&v)) ++again;
  EXPECT_EQ(again, kRows);
  HeapTuple out;
  EXPECT_FALSE(HeapFetch(rel_, snap, {BlockNumber(100000), 1}, &out));
  EXPECT_FALSE(HeapFetch(rel_, snap, {BlockNumber(0), 999}, &out));
  transam::CommitTransaction();
}

TEST_F(HeapTest, UncommittedAndAbortedInsertsInvisible) {
  transam::StartTransaction();
  HeapTuple t = MakeTuple("aborted");
  const ItemPointer tid = HeapInsert(rel_, t, transam::GetCurrentCommandId(true));
  transam::AbortTransaction();
  InsertCommitted(rel_, "kept");
  EXPECT_EQ(ScanCommitted(rel_), (std::multiset<std::string>{"kept"}));
  transam::StartTransaction();
  HeapTuple out;
  EXPECT_FALSE(HeapFetch(rel_, transam::GetTransactionSnapshot(), tid, &out));
  transam::CommitTransaction();
}

TEST_F(HeapTest, OwnCommandsAndComboCids) {
  transam::StartTransaction();
  HeapTuple t = MakeTuple("mine");
  const ItemPointer tid = HeapInsert(rel_, t, transam::GetCurrentCommandId(true));
  // The inserting command does not see its own row; the next one does.
  transam::Snapshot s0 = transam::GetTransactionSnapshot();
  EXPECT_TRUE(ScanAll(rel_, s0).empty());
  transam::CommandCounterIncrement();
  transam::Snapshot s1 = transam::GetTransactionSnapshot();
  EXPECT_EQ(ScanAll(rel_, s1).size(), 1u);
  // Delete it in a later command: a combo cid keeps cmin for the earlier snapshot.
  transam::CommandCounterIncrement();
  const CommandId delete_cid = transam::GetCurrentCommandId(true);
  ASSERT_GT(delete_cid, CommandId(0));
  TmFailureData tmfd;
  ASSERT_EQ(HeapDelete(rel_, tid, delete_cid, nullptr, true, &tmfd), TmResult::kOk);
  EXPECT_EQ(ScanAll(rel_, s1).size(), 1u);  // s1 predates the delete
  transam::CommandCounterIncrement();
  EXPECT_TRUE(ScanAll(rel_, transam::GetTransactionSnapshot()).empty());
  // Deleting it again from an older command: kSelfModified with cmax reported.
  EXPECT_EQ(HeapDelete(rel_, tid, s1.curcid, nullptr, true, &tmfd), TmResult::kSelfModified);
  EXPECT_EQ(tmfd.cmax, delete_cid);
  transam::CommitTransaction();
  EXPECT_TRUE(ScanCommitted(rel_).empty());
}

TEST_F(HeapTest, DeleteAndUpdateChain) {
  const ItemPointer t0 = InsertCommitted(rel_, "v0");
  ItemPointer cur = t0;
  for (int i = 1; i <= 5; ++i) {
    transam::StartTransaction();
    HeapTuple nt = MakeTuple("v" + std::to_string(i));
    bool hot = true;
    TmFailureData tmfd;
    ASSERT_EQ(HeapUpdate(rel_, cur, nt, transam::GetCurrentCommandId(true), nullptr, true, &tmfd,
                         /*hot_allowed=*/false, &hot),
              TmResult::kOk);
    EXPECT_FALSE(hot);
    EXPECT_NE(nt.self, cur);
    EXPECT_NE(nt.header()->infomask & kHeapUpdated, 0);
    cur = nt.self;
    transam::CommitTransaction();
  }
  EXPECT_EQ(ScanCommitted(rel_), (std::multiset<std::string>{"v5"}));
  transam::StartTransaction();
  TmFailureData tmfd;
  // Updating an old version: it was updated by a committed transaction -> kUpdated + successor.
  HeapTuple nt = MakeTuple("late");
  bool hot = false;
  EXPECT_EQ(HeapUpdate(rel_, t0, nt, transam::GetCurrentCommandId(true), nullptr, true, &tmfd,
                       false, &hot),
            TmResult::kUpdated);
  EXPECT_TRUE(tmfd.ctid.valid());
  EXPECT_NE(tmfd.ctid, t0);
  ASSERT_EQ(HeapDelete(rel_, cur, transam::GetCurrentCommandId(true), nullptr, true, &tmfd),
            TmResult::kOk);
  transam::CommitTransaction();
  EXPECT_TRUE(ScanCommitted(rel_).empty());
  transam::StartTransaction();
  EXPECT_EQ(HeapDelete(rel_, cur, transam::GetCurrentCommandId(true), nullptr, true, &tmfd),
            TmResult::kDeleted);
  EXPECT_EQ(tmfd.ctid, cur);
  transam::CommitTransaction();
}

TEST_F(HeapTest, HotUpdateStaysOnPageAndChainSearchFindsMember) {
  const ItemPointer root = InsertCommitted(rel_, "h0");
  std::vector<ItemPointer> versions{root};
  std::vector<transam::Snapshot> snaps;
  for (int i = 1; i <= 4; ++i) {
    // A snapshot copy that sees version i-1: later updaters' xids are beyond its xmax.
    transam::StartTransaction();
    snaps.push_back(transam::GetTransactionSnapshot());
    transam::CommitTransaction();
    transam::StartTransaction();
    HeapTuple nt = MakeTuple("h" + std::to_string(i));
    bool hot = false;
    TmFailureData tmfd;
    ASSERT_EQ(HeapUpdate(rel_, versions.back(), nt, transam::GetCurrentCommandId(true), nullptr,
                         true, &tmfd, /*hot_allowed=*/true, &hot),
              TmResult::kOk);
    EXPECT_TRUE(hot);
    EXPECT_EQ(nt.self.block, root.block);
    EXPECT_NE(nt.header()->infomask2 & kHeapOnlyTuple, 0);
    versions.push_back(nt.self);
    transam::CommitTransaction();
  }
  transam::StartTransaction();
  snaps.push_back(transam::GetTransactionSnapshot());
  // Each snapshot finds exactly the version current when it was taken, from the root.
  for (size_t i = 0; i < snaps.size(); ++i) {
    HeapTuple out;
    ASSERT_TRUE(HeapHotSearch(rel_, snaps[i], root, &out)) << i;
    EXPECT_EQ(Payload(out), "h" + std::to_string(i));
    EXPECT_EQ(out.self, versions[i]);
  }
  // A heap-only tuple is not a chain root.
  HeapTuple out;
  EXPECT_FALSE(HeapHotSearch(rel_, snaps.back(), versions[2], &out));
  EXPECT_EQ(ScanAll(rel_, snaps.back()), (std::multiset<std::string>{"h4"}));
  // The old versions carry kHeapHotUpdated and point forward.
  {
    storage::PinnedBuffer pin(storage::ReadBuffer(rel_.locator, ForkNumber::kMain, root.block));
    storage::BufferLockGuard lock(pin.get(), storage::BufferLockMode::kShare);
    for (size_t i = 0; i + 1 < versions.size(); ++i) {
      const HeapTupleHeader* h =
          internal::PageGetHeapTuple(storage::BufferGetPage(pin.get()), versions[i].offset);
      EXPECT_NE(h->infomask2 & kHeapHotUpdated, 0);
      EXPECT_EQ(h->Ctid(), versions[i + 1]);
    }
  }
  transam::CommitTransaction();
}

TEST_F(HeapTest, UpdateMovesToAnotherPageWhenFull) {
  // Fill the first page with big rows, then grow one: it cannot stay on its page.
  const std::string big(1500, 'b');
  std::vector<ItemPointer> tids;
  for (int i = 0; i < 5; ++i) tids.push_back(InsertCommitted(rel_, big + std::to_string(i)));
  ASSERT_EQ(tids.front().block, tids.back().block);
  transam::StartTransaction();
  HeapTuple nt = MakeTuple(std::string(3000, 'n'));
  bool hot = true;
  TmFailureData tmfd;
  ASSERT_EQ(HeapUpdate(rel_, tids[0], nt, transam::GetCurrentCommandId(true), nullptr, true, &tmfd,
                       /*hot_allowed=*/true, &hot),
            TmResult::kOk);
  EXPECT_FALSE(hot);
  EXPECT_NE(nt.self.block, tids[0].block);
  EXPECT_EQ(nt.header()->infomask2 & kHeapOnlyTuple, 0);
  transam::CommitTransaction();
  auto rows = ScanCommitted(rel_);
  EXPECT_EQ(rows.size(), 5u);
  EXPECT_EQ(rows.count(std::string(3000, 'n')), 1u);
}

TEST_F(HeapTest, ErrorsAndLimits) {
  transam::StartTransaction();
  HeapTuple huge = MakeTuple(std::string(kMaxHeapTupleSize, 'z'));
  try {
    (void)HeapInsert(rel_, huge, transam::GetCurrentCommandId(true));
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.sqlstate(), sqlstate::kProgramLimitExceeded);
    EXPECT_NE(e.message().find("row is too big: size"), std::string::npos) << e.message();
  }
  transam::AbortTransaction();
  // A row inserted by the same command is invisible to it: deleting it is an error.
  transam::StartTransaction();
  HeapTuple t = MakeTuple("later");
  const ItemPointer tid = HeapInsert(rel_, t, transam::GetCurrentCommandId(true));
  TmFailureData tmfd;
  try {
    (void)HeapDelete(rel_, tid, transam::GetCurrentCommandId(true), nullptr, true, &tmfd);
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.message(), "attempted to delete invisible tuple");
  }
  transam::AbortTransaction();
}

TEST_F(HeapTest, LockOwnRowAndUpgrade) {
  const ItemPointer tid = InsertCommitted(rel_, "l");
  transam::StartTransaction();
  const CommandId cid = transam::GetCurrentCommandId(false);
  HeapTuple locked;
  TmFailureData tmfd;
  ASSERT_EQ(HeapLockTuple(rel_, tid, cid, RowLockMode::kKeyShare, LockWaitPolicy::kBlock, &locked,
                          &tmfd),
            TmResult::kOk);
  EXPECT_EQ(Payload(locked), "l");
  EXPECT_EQ(internal::XmaxLockMode(locked.header()), RowLockMode::kKeyShare);
  ASSERT_EQ(HeapLockTuple(rel_, tid, cid, RowLockMode::kExclusive, LockWaitPolicy::kBlock, &locked,
                          &tmfd),
            TmResult::kOk);
  EXPECT_EQ(internal::XmaxLockMode(locked.header()), RowLockMode::kExclusive);
  // A weaker request keeps the stronger lock.
  ASSERT_EQ(HeapLockTuple(rel_, tid, cid, RowLockMode::kShare, LockWaitPolicy::kBlock, &locked,
                          &tmfd),
            TmResult::kOk);
  EXPECT_EQ(internal::XmaxLockMode(locked.header()), RowLockMode::kExclusive);
  // The row stays visible; our own update supersedes our lock.
  EXPECT_EQ(ScanAll(rel_, transam::GetTransactionSnapshot()).size(), 1u);
  HeapTuple nt = MakeTuple("l2");
  bool hot = false;
  ASSERT_EQ(HeapUpdate(rel_, tid, nt, transam::GetCurrentCommandId(true), nullptr, true, &tmfd, true,
                       &hot),
            TmResult::kOk);
  transam::CommitTransaction();
  EXPECT_EQ(ScanCommitted(rel_), (std::multiset<std::string>{"l2"}));
}

}  // namespace
}  // namespace keel::access
