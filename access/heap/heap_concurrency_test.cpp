// Concurrent updates across backends, scripted step by step: a second updater waits for the
// first and then gets kUpdated (READ COMMITTED follows the ctid chain and retries: no lost
// update; REPEATABLE READ raises 40001), write skew is allowed at REPEATABLE READ, readers are
// never blocked by writers, an aborted updater lets the waiter through. README.md ("Tests").
#include <gtest/gtest.h>

#include <string>

#include "access/heap/heap_test_util.h"
#include "access/heap/heapam.h"
#include "access/transam/xact.h"
#include "backend/utils/error/error.h"
#include "tests/server/server_harness.h"

namespace keel::access {
namespace {

using keel::testing::ServerHarness;
using storage::ItemPointer;
using testing::Channel;
using testing::InsertCommitted;
using testing::MakeTuple;
using testing::Payload;

constexpr SqlState kSerializationFailure{"40001"};
constexpr int kSerializationFailureExit = 40;

// The visible version of the row whose first version is at `tid` (follows the ctid chain as a
// READ COMMITTED re-check does, with a fresh snapshot). Returns its tid and payload.
std::pair<ItemPointer, std::string> LatestVersion(const Relation& rel) {
  transam::Snapshot snap = transam::GetLatestSnapshot();
  snap.curcid = transam::GetCurrentCommandId(false);
  HeapScan scan(rel, snap);
  HeapTupleView v;
  if (!scan.Next(&v)) return {{}, ""};
  return {v.self, Payload(v)};
}

std::string OnlyRow(const Relation& rel) {
  transam::StartTransaction();
  auto [tid, value] = LatestVersion(rel);
  transam::CommitTransaction();
  return value;
}

// Increments the counter row visible to the statement snapshot; the SQL layer's logic for an
// UPDATE ... SET n = n + 1 under each isolation level.
int IncrementCounter(const Relation& rel, Channel* ready_chan) {
  const transam::Snapshot snap = transam::GetTransactionSnapshot();
  HeapScan scan(rel, snap);
  HeapTupleView v;
  if (!scan.Next(&v)) return 2;
  ItemPointer tid = v.self;
  int value = std::stoi(Payload(v));
  if (ready_chan != nullptr) ready_chan->SendToParent(1);  // "I have read; about to update"
  for (;;) {
    HeapTuple nt = MakeTuple(std::to_string(value + 1));
    TmFailureData tmfd;
    bool hot = false;
    const TmResult r = HeapUpdate(rel, tid, nt, transam::GetCurrentCommandId(true), nullptr,
                                  /*wait=*/true, &tmfd, true, &hot);
    if (r == TmResult::kOk) return 0;
    if (r != TmResult::kUpdated) return 3;
    if (transam::CurrentIsolationLevel() != transam::IsolationLevel::kReadCommitted) {
      throw Error(kSerializationFailure, "could not serialize access due to concurrent update");
    }
    // READ COMMITTED: re-read the newest version through the chain and apply to it.
    HeapTuple latest;
    transam::Snapshot fresh = transam::GetLatestSnapshot();
    fresh.curcid = transam::GetCurrentCommandId(false);
    if (!HeapFetch(rel, fresh, tmfd.ctid, &latest)) return 4;
    tid = tmfd.ctid;
    value = std::stoi(Payload(latest));
  }
}

class ConcurrencyTest : public ::testing::Test {
 protected:
  // The parent updates the counter 0 -> 1 and keeps its transaction open; a child increments
  // too under `isolation`. Returns the child's exit code after the parent commits.
  int RaceOnCounter(transam::IsolationLevel isolation, bool parent_commits) {
    const ItemPointer tid = InsertCommitted(rel_, "0");
    Channel chan;
    transam::StartTransaction();
    pid_t child = harness_.ForkBackend([&] {
      transam::StartTransaction(isolation);
      (void)transam::GetTransactionSnapshot();  // RR: the snapshot predates the parent's commit
      chan.SendToParent(0);
      (void)chan.RecvInChild();
      int code;
      try {
        code = IncrementCounter(rel_, nullptr);
      } catch (const Error& e) {
        if (e.sqlstate() != kSerializationFailure) throw;
        transam::AbortTransaction();
        chan.SendToParent(2);
        return kSerializationFailureExit;
      }
      transam::CommitTransaction();
      chan.SendToParent(2);
      return code;
    });
    EXPECT_EQ(chan.RecvInParent(), 0u);
    HeapTuple nt = MakeTuple("1");
    TmFailureData tmfd;
    bool hot = false;
    EXPECT_EQ(HeapUpdate(rel_, tid, nt, transam::GetCurrentCommandId(true), nullptr, true, &tmfd,
                         true, &hot),
              TmResult::kOk);
    chan.SendToChild(1);  // go: the child reads "0" and tries to update it
    // The child must be waiting for us: it cannot finish while we hold the row.
    EXPECT_FALSE(chan.ParentHasMessage(500));
    if (parent_commits) {
      transam::CommitTransaction();
    } else {
      transam::AbortTransaction();
    }
    EXPECT_EQ(chan.RecvInParent(), 2u);
    return harness_.Wait(child);
  }

  ServerHarness harness_;
  Relation rel_ = testing::CreateTestHeap(16384);
};

TEST_F(ConcurrencyTest, LostUpdatePreventedAtReadCommitted) {
  EXPECT_EQ(RaceOnCounter(transam::IsolationLevel::kReadCommitted, true), 0);
  EXPECT_EQ(OnlyRow(rel_), "2");  // both increments count
}

TEST_F(ConcurrencyTest, RepeatableReadRaisesSerializationFailure) {
  EXPECT_EQ(RaceOnCounter(transam::IsolationLevel::kRepeatableRead, true), kSerializationFailureExit);
  EXPECT_EQ(OnlyRow(rel_), "1");
}

TEST_F(ConcurrencyTest, WaiterProceedsWhenUpdaterAborts) {
  EXPECT_EQ(RaceOnCounter(transam::IsolationLevel::kRepeatableRead, false), 0);
  EXPECT_EQ(OnlyRow(rel_), "1");  // the child's increment of the original 0
}

TEST_F(ConcurrencyTest, ConcurrentDeleteThenUpdateGetsDeleted) {
  const ItemPointer tid = InsertCommitted(rel_, "gone");
  Channel chan;
  transam::StartTransaction();
  TmFailureData tmfd;
  ASSERT_EQ(HeapDelete(rel_, tid, transam::GetCurrentCommandId(true), nullptr, true, &tmfd),
            TmResult::kOk);
  pid_t child = harness_.ForkBackend([&] {
    transam::StartTransaction();
    HeapTuple nt = MakeTuple("new");
    TmFailureData f;
    bool hot = false;
    chan.SendToParent(0);
    const TmResult r =
        HeapUpdate(rel_, tid, nt, transam::GetCurrentCommandId(true), nullptr, true, &f, true, &hot);
    chan.SendToParent(1);
    transam::CommitTransaction();
    return r == TmResult::kDeleted && f.ctid == tid ? 0 : 1;
  });
  ASSERT_EQ(chan.RecvInParent(), 0u);
  EXPECT_FALSE(chan.ParentHasMessage(500)) << "the updater did not wait for the deleter";
  transam::CommitTransaction();
  EXPECT_EQ(chan.RecvInParent(), 1u);
  EXPECT_EQ(harness_.Wait(child), 0);
}

TEST_F(ConcurrencyTest, WriteSkewAllowedAtRepeatableRead) {
  // Two doctors on call; each transaction checks that two are on call and takes itself off.
  const ItemPointer alice = InsertCommitted(rel_, "alice:on");
  const ItemPointer bob = InsertCommitted(rel_, "bob:on");
  auto on_call = [&](const transam::Snapshot& snap) {
    int n = 0;
    HeapScan scan(rel_, snap);
    HeapTupleView v;
    while (scan.Next(&v)) n += Payload(v).ends_with(":on") ? 1 : 0;
    return n;
  };
  Channel chan;
  transam::StartTransaction(transam::IsolationLevel::kRepeatableRead);
  ASSERT_EQ(on_call(transam::GetTransactionSnapshot()), 2);
  pid_t child = harness_.ForkBackend([&] {
    transam::StartTransaction(transam::IsolationLevel::kRepeatableRead);
    if (on_call(transam::GetTransactionSnapshot()) != 2) return 1;
    chan.SendToParent(0);
    (void)chan.RecvInChild();
    HeapTuple nt = MakeTuple("bob:off");
    TmFailureData f;
    bool hot = false;
    if (HeapUpdate(rel_, bob, nt, transam::GetCurrentCommandId(true), nullptr, true, &f, true,
                   &hot) != TmResult::kOk) {
      return 2;
    }
    transam::CommitTransaction();
    return 0;
  });
  ASSERT_EQ(chan.RecvInParent(), 0u);  // both have read "2 on call"
  HeapTuple nt = MakeTuple("alice:off");
  TmFailureData f;
  bool hot = false;
  ASSERT_EQ(HeapUpdate(rel_, alice, nt, transam::GetCurrentCommandId(true), nullptr, true, &f, true,
                       &hot),
            TmResult::kOk);
  chan.SendToChild(1);
  EXPECT_EQ(harness_.Wait(child), 0);  // different rows: no conflict, no wait
  transam::CommitTransaction();
  transam::StartTransaction();
  EXPECT_EQ(on_call(transam::GetTransactionSnapshot()), 0);  // the anomaly RR permits
  transam::CommitTransaction();
}

TEST_F(ConcurrencyTest, ReaderNeverBlockedByWriter) {
  const ItemPointer tid = InsertCommitted(rel_, "old");
  transam::StartTransaction();
  // Update it and also hold an exclusive row lock on the new version: still no reader waits.
  HeapTuple nt = MakeTuple("new");
  TmFailureData f;
  bool hot = false;
  ASSERT_EQ(HeapUpdate(rel_, tid, nt, transam::GetCurrentCommandId(true), nullptr, true, &f, true,
                       &hot),
            TmResult::kOk);
  transam::CommandCounterIncrement();
  ASSERT_EQ(HeapLockTuple(rel_, nt.self, transam::GetCurrentCommandId(false),
                          RowLockMode::kExclusive, LockWaitPolicy::kBlock, nullptr, &f),
            TmResult::kOk);
  pid_t child = harness_.ForkBackend([&] {
    transam::StartTransaction();
    const transam::Snapshot& snap = transam::GetTransactionSnapshot();
    HeapScan scan(rel_, snap);
    HeapTupleView v;
    if (!scan.Next(&v) || Payload(v) != "old") return 1;
    if (scan.Next(&v)) return 2;
    HeapTuple out;
    if (!HeapFetch(rel_, snap, tid, &out) || Payload(out) != "old") return 3;
    if (HeapFetch(rel_, snap, nt.self, &out)) return 4;
    if (!HeapHotSearch(rel_, snap, tid, &out) || Payload(out) != "old") return 5;
    transam::CommitTransaction();
    return 0;
  });
  // Finishes while the writer's transaction is still open.
  EXPECT_EQ(harness_.Wait(child, 30000), 0);
  transam::CommitTransaction();
  EXPECT_EQ(OnlyRow(rel_), "new");
}

}  // namespace
}  // namespace keel::access
