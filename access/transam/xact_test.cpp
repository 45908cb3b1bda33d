// Multi-process tests of the transaction system over the real shared state (the lead's
// server harness): lazy xids, commit/abort visibility across processes, savepoints and
// subtransaction overflow, waiting on transactions, next-xid and commit durability across a
// crash. README.md ("Transactions", Tests).
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "access/transam/clog.h"
#include "access/transam/commit_ts.h"
#include "access/transam/snapshot.h"
#include "access/transam/transam.h"
#include "access/transam/wal.h"
#include "access/transam/xact.h"
#include "access/transam/xact_test_util.h"
#include "backend/utils/config/settings.h"
#include "backend/utils/error/error.h"
#include "backend/utils/init/process_exit.h"
#include "storage/ipc/proc_array.h"
#include "storage/ipc/process_context.h"
#include "storage/lmgr/lock.h"
#include "tests/server/server_harness.h"

namespace keel::transam {
namespace {

using testing::Eventually;
using testing::ValuePipe;
using keel::testing::ServerHarness;

constexpr int kWaitMs = 30'000;

TEST(XactTest, ReadOnlyTransactionGetsNoXidAndWritesNoWal) {
  ServerHarness harness;
  const TransactionId next_before = ReadNextTransactionId();
  const Lsn wal_before = WalInsertPosition();
  StartTransaction();
  const Snapshot& snap = GetTransactionSnapshot();
  EXPECT_EQ(snap.xmax, next_before);  // nothing running, nothing newer completed
  EXPECT_FALSE(TransactionIdIsValid(GetCurrentTransactionIdIfAny()));
  EXPECT_EQ(GetCurrentCommandId(false), CommandId(0));
  CommitTransaction();
  EXPECT_EQ(ReadNextTransactionId(), next_before);
  EXPECT_EQ(WalInsertPosition(), wal_before);

  // A writer gets exactly the next xid, and its commit is a WAL record.
  StartTransaction();
  const TransactionId xid = GetCurrentTransactionId();
  EXPECT_EQ(xid, next_before);
  EXPECT_EQ(GetCurrentTransactionId(), xid);  // assigned once
  EXPECT_TRUE(TransactionIdIsCurrentTransactionId(xid));
  EXPECT_TRUE(storage::LockHeldByMe(storage::TransactionLockTag(xid.value()),
                                    storage::LockMode::kExclusive));  // X8
  CommitTransaction();
  EXPECT_GT(WalInsertPosition(), wal_before);
  EXPECT_LE(WalInsertPosition(), WalFlushPosition());  // synchronous commit flushed it
  EXPECT_TRUE(TransactionIdDidCommit(xid));
  EXPECT_FALSE(TransactionIdDidAbort(xid));
  EXPECT_FALSE(TransactionIdIsInProgress(xid));
  EXPECT_TRUE(CommitTsGet(xid).has_value());
  EXPECT_FALSE(storage::LockHeldByMe(storage::TransactionLockTag(xid.value()),
                                     storage::LockMode::kExclusive));
}

TEST(XactTest, CommitVisibleToLaterSnapshotOnly) {
  ServerHarness harness;
  ValuePipe to_child, to_parent;
  const pid_t child = harness.ForkBackend([&] {
    StartTransaction();
    const TransactionId xid = GetCurrentTransactionId();
    to_parent.Send(xid.value());
    if (!to_child.Receive()) return 2;
    CommitTransaction();
    to_parent.Send(1);
    return 0;
  });
  auto received = to_parent.Receive();
  ASSERT_TRUE(received);
  const TransactionId xid(*received);

  StartTransaction(IsolationLevel::kRepeatableRead);
  const Snapshot before = GetTransactionSnapshot();
  EXPECT_TRUE(XidInMvccSnapshot(xid, before));
  EXPECT_TRUE(TransactionIdIsInProgress(xid));
  EXPECT_FALSE(TransactionIdDidCommit(xid));
  EXPECT_LE(before.xmin, xid);
  EXPECT_LE(GetOldestXmin(), xid);

  to_child.Send(1);
  ASSERT_TRUE(to_parent.Receive());
  EXPECT_EQ(harness.Wait(child, kWaitMs), 0);

  // REPEATABLE READ keeps its snapshot: still running for this transaction.
  EXPECT_TRUE(XidInMvccSnapshot(xid, GetTransactionSnapshot()));
  const Snapshot after = GetLatestSnapshot();
  EXPECT_FALSE(XidInMvccSnapshot(xid, after));
  EXPECT_GT(after.completion_count, before.completion_count);
  EXPECT_FALSE(TransactionIdIsInProgress(xid));
  EXPECT_TRUE(TransactionIdDidCommit(xid));
  CommitTransaction();

  // READ COMMITTED takes a new one per statement.
  StartTransaction(IsolationLevel::kReadCommitted);
  EXPECT_FALSE(XidInMvccSnapshot(xid, GetTransactionSnapshot()));
  CommitTransaction();
  EXPECT_GT(GetOldestXmin(), xid);
}

TEST(XactTest, AbortInOtherProcess) {
  ServerHarness harness;
  ValuePipe to_parent;
  const pid_t child = harness.ForkBackend([&] {
    StartTransaction();
    const TransactionId xid = GetCurrentTransactionId();
    AbortTransaction();
    to_parent.Send(xid.value());
    return IsTransactionActive() ? 1 : 0;
  });
  auto received = to_parent.Receive();
  ASSERT_TRUE(received);
  EXPECT_EQ(harness.Wait(child, kWaitMs), 0);
  const TransactionId xid(*received);
  EXPECT_TRUE(TransactionIdDidAbort(xid));
  EXPECT_FALSE(TransactionIdDidCommit(xid));
  EXPECT_FALSE(TransactionIdIsInProgress(xid));
  StartTransaction();
  EXPECT_FALSE(XidInMvccSnapshot(xid, GetTransactionSnapshot()));  // finished (aborted)
  AbortTransaction();
  // A transaction left open by a process is aborted by its exit path.
  const pid_t leaver = harness.ForkBackend([&] {
    StartTransaction();
    to_parent.Send(GetCurrentTransactionId().value());
    return 0;
  });
  received = to_parent.Receive();
  ASSERT_TRUE(received);
  EXPECT_EQ(harness.Wait(leaver, kWaitMs), 0);
  EXPECT_TRUE(TransactionIdDidAbort(TransactionId(*received)));
}

TEST(XactTest, SavepointRollbackAbortsSubtransactions) {
  ServerHarness harness;
  StartTransaction();
  DefineSavepoint("a");
  EXPECT_EQ(TransactionNestingLevel(), 2);
  const TransactionId sub_a = GetCurrentTransactionId();  // parent first (X4)
  const TransactionId top = GetTopTransactionIdIfAny();
  ASSERT_TRUE(TransactionIdIsValid(top));
  EXPECT_LT(top, sub_a);
  EXPECT_EQ(SubTransGetTopmostTransaction(sub_a), top);
  DefineSavepoint("b");
  const TransactionId sub_b = GetCurrentTransactionId();
  EXPECT_EQ(SubTransGetTopmostTransaction(sub_b), top);

  // Another process sees all three running.
  ValuePipe to_parent;
  auto check_running = [&](std::vector<TransactionId> running, std::vector<TransactionId> done) {
    const pid_t child = harness.ForkBackend([&] {
      StartTransaction();
      const Snapshot& snap = GetTransactionSnapshot();
      int bad = 0;
      for (TransactionId x : running) bad += XidInMvccSnapshot(x, snap) ? 0 : 1;
      for (TransactionId x : running) bad += TransactionIdIsInProgress(x) ? 0 : 1;
      for (TransactionId x : done) bad += TransactionIdIsInProgress(x) ? 1 : 0;
      for (TransactionId x : done) bad += TransactionIdDidAbort(x) ? 0 : 1;
      CommitTransaction();
      return bad;
    });
    return harness.Wait(child, kWaitMs);
  };
  EXPECT_EQ(check_running({top, sub_a, sub_b}, {}), 0);

  RollbackToSavepoint("a");  // aborts b and a, restarts a
  EXPECT_EQ(TransactionNestingLevel(), 2);
  EXPECT_FALSE(TransactionIdIsValid(GetCurrentTransactionIdIfAny()));
  EXPECT_TRUE(TransactionIdDidAbort(sub_a));
  EXPECT_TRUE(TransactionIdDidAbort(sub_b));
  EXPECT_FALSE(TransactionIdDidCommit(sub_b));
  EXPECT_FALSE(TransactionIdIsCurrentTransactionId(sub_a));
  EXPECT_FALSE(storage::LockHeldByMe(storage::TransactionLockTag(sub_a.value()),
                                     storage::LockMode::kExclusive));
  EXPECT_EQ(check_running({top}, {sub_a, sub_b}), 0);

  const TransactionId sub_a2 = GetCurrentTransactionId();
  EXPECT_GT(sub_a2, sub_b);
  DefineSavepoint("c");
  const TransactionId sub_c = GetCurrentTransactionId();
  ReleaseSavepoint("c");
  EXPECT_TRUE(TransactionIdIsCurrentTransactionId(sub_c));
  EXPECT_EQ(TransactionNestingLevel(), 2);
  try {
    ReleaseSavepoint("nope");
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.sqlstate(), sqlstate::kInvalidSavepointSpecification);
    EXPECT_STREQ(e.what(), "savepoint \"nope\" does not exist");
  }
  CommitTransaction();
  EXPECT_TRUE(TransactionIdDidCommit(top));
  EXPECT_TRUE(TransactionIdDidCommit(sub_a2));
  EXPECT_TRUE(TransactionIdDidCommit(sub_c));
  EXPECT_FALSE(TransactionIdDidCommit(sub_a));
  EXPECT_FALSE(TransactionIdDidCommit(sub_b));
}

TEST(XactTest, FailedTransactionNeedsRollback) {
  ServerHarness harness;
  StartTransaction();
  const TransactionId top = GetCurrentTransactionId();
  MarkTransactionFailed();
  EXPECT_TRUE(IsTransactionFailed());
  EXPECT_TRUE(TransactionIdDidAbort(top));  // no savepoint: aborted at once
  EXPECT_FALSE(TransactionIdIsInProgress(top));
  try {
    (void)GetCurrentTransactionId();
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.sqlstate(), sqlstate::kInFailedSqlTransaction);
  }
  CommitTransaction();  // a ROLLBACK in effect
  EXPECT_FALSE(IsTransactionActive());

  // With a savepoint, ROLLBACK TO repairs it.
  StartTransaction();
  const TransactionId top2 = GetCurrentTransactionId();
  DefineSavepoint("s");
  const TransactionId sub = GetCurrentTransactionId();
  MarkTransactionFailed();
  EXPECT_TRUE(TransactionIdIsInProgress(top2));
  RollbackToSavepoint("s");
  EXPECT_FALSE(IsTransactionFailed());
  EXPECT_TRUE(TransactionIdDidAbort(sub));
  CommitTransaction();
  EXPECT_TRUE(TransactionIdDidCommit(top2));
}

TEST(XactTest, CommandCounter) {
  ServerHarness harness;
  StartTransaction();
  EXPECT_EQ(GetCurrentCommandId(false), CommandId(0));
  CommandCounterIncrement();  // nothing written: no advance
  EXPECT_EQ(GetCurrentCommandId(true), CommandId(0));
  CommandCounterIncrement();
  EXPECT_EQ(GetCurrentCommandId(false), CommandId(1));
  EXPECT_EQ(GetTransactionSnapshot().curcid, CommandId(1));
  CommitTransaction();
  StartTransaction();
  EXPECT_EQ(GetCurrentCommandId(false), CommandId(0));
  CommitTransaction();
}

// 100 nested subtransactions overflow the 64-entry cache; other processes must still see
// every one of them running (through subxact/), and the right fates afterwards.
TEST(XactTest, SubtransactionOverflowSeenByOtherProcesses) {
  ServerHarness harness;
  constexpr int kSubs = 100;
  constexpr int kRollbackFrom = 90;  // ROLLBACK TO s90 aborts the last 10 (all overflowed)
  ValuePipe to_child, to_parent;
  const pid_t child = harness.ForkBackend([&] {
    StartTransaction();
    std::vector<TransactionId> xids{GetCurrentTransactionId()};
    for (int i = 0; i < kSubs; ++i) {
      DefineSavepoint("s" + std::to_string(i));
      xids.push_back(GetCurrentTransactionId());
    }
    for (TransactionId x : xids) to_parent.Send(x.value());
    if (!to_child.Receive()) return 2;
    RollbackToSavepoint("s" + std::to_string(kRollbackFrom));
    to_parent.Send(1);
    if (!to_child.Receive()) return 2;
    CommitTransaction();
    to_parent.Send(1);
    return 0;
  });
  std::vector<TransactionId> xids;
  for (int i = 0; i <= kSubs; ++i) {
    auto v = to_parent.Receive();
    ASSERT_TRUE(v);
    xids.emplace_back(*v);
  }
  const TransactionId top = xids[0];
  StartTransaction(IsolationLevel::kRepeatableRead);
  const Snapshot running = GetTransactionSnapshot();
  EXPECT_TRUE(running.suboverflowed);
  for (TransactionId x : xids) {
    EXPECT_TRUE(XidInMvccSnapshot(x, running)) << x.value();
    EXPECT_TRUE(TransactionIdIsInProgress(x)) << x.value();
    EXPECT_EQ(SubTransGetTopmostTransaction(x), top);
  }
  to_child.Send(1);
  ASSERT_TRUE(to_parent.Receive());
  // The rolled-back ones are aborted in clog although (overflowed) still listed in the proc
  // array; TransactionIdIsInProgress must say "not running" (as PostgreSQL does), or a heap
  // update waiting on such an xmax spins: XactLockTableWait returns at once and the tuple
  // still reads as being modified.
  for (int i = 1 + kRollbackFrom; i <= kSubs; ++i) {
    EXPECT_TRUE(TransactionIdDidAbort(xids[i]));
    EXPECT_FALSE(TransactionIdDidCommit(xids[i]));
    EXPECT_TRUE(XidInMvccSnapshot(xids[i], GetLatestSnapshot()));
    EXPECT_FALSE(TransactionIdIsInProgress(xids[i])) << xids[i].value();
    EXPECT_TRUE(ConditionalXactLockTableWait(xids[i])) << xids[i].value();
  }
  EXPECT_TRUE(TransactionIdIsInProgress(xids[kRollbackFrom]));
  to_child.Send(1);
  ASSERT_TRUE(to_parent.Receive());
  EXPECT_EQ(harness.Wait(child, kWaitMs), 0);
  const Snapshot later = GetLatestSnapshot();
  EXPECT_FALSE(later.suboverflowed);
  for (int i = 0; i <= kSubs; ++i) {
    EXPECT_FALSE(XidInMvccSnapshot(xids[i], later));
    EXPECT_FALSE(TransactionIdIsInProgress(xids[i]));
    EXPECT_EQ(TransactionIdDidCommit(xids[i]), i <= kRollbackFrom) << i;
    EXPECT_TRUE(XidInMvccSnapshot(xids[i], running));  // the old snapshot is unchanged
  }
  CommitTransaction();
}

// A backend that exits with its transaction open (client gone, FATAL) releases its proc slot
// in an exit cleanup registered at connection start (backend/tcop/session.cpp). The
// transaction must be aborted before that cleanup runs: afterwards the lock manager has no slot
// to release the xid lock with, and the lock would stay held forever (everyone waiting on
// the xid would hang).
TEST(XactTest, ExitWithOpenTransactionReleasesItsLocks) {
  ServerHarness harness;
  ValuePipe from_child;
  const pid_t child = harness.ForkBackend([&] {
    storage::ProcSlot* slot = storage::CurrentProcess().proc;
    OnProcessExit([slot] { storage::ProcArrayReleaseSlot(slot); });  // as session.cpp
    StartTransaction();
    from_child.Send(GetCurrentTransactionId().value());
    ProcessExit(0);
    return 0;
  });
  const auto xid = from_child.Receive();
  ASSERT_TRUE(xid);
  EXPECT_EQ(harness.Wait(child, kWaitMs), 0);
  const TransactionId x(*xid);
  EXPECT_FALSE(TransactionIdIsInProgress(x));
  EXPECT_TRUE(TransactionIdDidAbort(x));
  EXPECT_TRUE(ConditionalXactLockTableWait(x));  // its xid lock is free
  EXPECT_EQ(storage::LockTableUsageNow().locks_in_use, 0);
}

TEST(XactTest, XactLockTableWaitBlocksUntilEnd) {
  ServerHarness harness;
  ValuePipe to_holder, from_holder, from_waiter;
  const pid_t holder = harness.ForkBackend([&] {
    StartTransaction();
    const TransactionId top = GetCurrentTransactionId();
    DefineSavepoint("released");
    const TransactionId released = GetCurrentTransactionId();
    ReleaseSavepoint("released");
    DefineSavepoint("rolled");
    const TransactionId rolled = GetCurrentTransactionId();
    RollbackToSavepoint("rolled");
    from_holder.Send(top.value());
    from_holder.Send(released.value());
    from_holder.Send(rolled.value());
    if (!to_holder.Receive()) return 2;
    CommitTransaction();
    return 0;
  });
  auto top = from_holder.Receive(), released = from_holder.Receive(),
       rolled = from_holder.Receive();
  ASSERT_TRUE(top && released && rolled);

  // A rolled-back subtransaction has ended although its top level runs on.
  EXPECT_TRUE(ConditionalXactLockTableWait(TransactionId(*rolled)));
  XactLockTableWait(TransactionId(*rolled));
  EXPECT_FALSE(ConditionalXactLockTableWait(TransactionId(*top)));
  EXPECT_FALSE(ConditionalXactLockTableWait(TransactionId(*released)));

  // Waiters on the top level and on a released subtransaction block until the commit.
  std::vector<pid_t> waiters;
  for (uint64_t xid : {*top, *released}) {
    waiters.push_back(harness.ForkBackend([&, xid] {
      XactLockTableWait(TransactionId(xid));
      from_waiter.Send(TransactionIdDidCommit(TransactionId(xid)) ? 1 : 0);
      return 0;
    }));
  }
  const storage::LockTag tag = storage::TransactionLockTag(*top);
  const storage::LockTag sub_tag = storage::TransactionLockTag(*released);
  EXPECT_TRUE(Eventually([&] {
    return storage::LockNumWaiters(tag) + storage::LockNumWaiters(sub_tag) == 2;
  }));
  EXPECT_FALSE(from_waiter.Receive(200));  // nobody got through
  to_holder.Send(1);
  EXPECT_EQ(from_waiter.Receive(), 1u);
  EXPECT_EQ(from_waiter.Receive(), 1u);
  EXPECT_EQ(harness.Wait(holder, kWaitMs), 0);
  for (pid_t w : waiters) EXPECT_EQ(harness.Wait(w, kWaitMs), 0);
  EXPECT_TRUE(ConditionalXactLockTableWait(TransactionId(*top)));
}

TEST(XactTest, NextXidSurvivesCrash) {
  ServerHarness harness;
  auto commit_one = [] {
    StartTransaction();
    const TransactionId xid = GetCurrentTransactionId();
    CommitTransaction();
    return xid;
  };
  const TransactionId a = commit_one();
  harness.Checkpoint();
  const TransactionId b = commit_one();  // only in WAL after the checkpoint
  // An xid whose transaction wrote nothing durable may be reused; one that did may not.
  harness.Crash();
  EXPECT_GT(ReadNextTransactionId(), b);
  const TransactionId c = commit_one();
  EXPECT_GT(c, b);
  EXPECT_TRUE(TransactionIdDidCommit(a));
  EXPECT_TRUE(TransactionIdDidCommit(b));
  // Crash straight after a checkpoint: next_xid comes from the checkpoint record itself.
  harness.Checkpoint();
  harness.Crash();
  EXPECT_GT(ReadNextTransactionId(), c);
  EXPECT_GT(commit_one(), c);
}

TEST(XactTest, CommitSurvivesCrashInFlightDoesNot) {
  ServerHarness harness;
  harness.Checkpoint();
  StartTransaction();
  const TransactionId committed = GetCurrentTransactionId();
  DefineSavepoint("s");
  const TransactionId committed_sub = GetCurrentTransactionId();
  CommitTransaction();
  const int64_t commit_time = *CommitTsGet(committed);

  ValuePipe from_child;
  const pid_t child = harness.ForkBackend([&] {
    StartTransaction();
    const TransactionId xid = GetCurrentTransactionId();
    DefineSavepoint("s");
    (void)GetCurrentTransactionId();
    from_child.Send(xid.value());
    pause();  // killed by the crash
    return 0;
  });
  auto in_flight = from_child.Receive();
  ASSERT_TRUE(in_flight);
  // Make the in-flight xid's WAL durable so redo sees it: a later synchronous commit.
  StartTransaction();
  const TransactionId later = GetCurrentTransactionId();
  CommitTransaction();
  (void)child;
  harness.Crash();

  EXPECT_TRUE(TransactionIdDidCommit(committed));
  EXPECT_TRUE(TransactionIdDidCommit(committed_sub));
  EXPECT_TRUE(TransactionIdDidCommit(later));
  EXPECT_EQ(CommitTsGet(committed), commit_time);
  const TransactionId lost(*in_flight);
  EXPECT_FALSE(TransactionIdDidCommit(lost));
  EXPECT_FALSE(TransactionIdIsInProgress(lost));
  StartTransaction();
  EXPECT_FALSE(XidInMvccSnapshot(lost, GetTransactionSnapshot()));  // finished: not committed
  EXPECT_GT(GetCurrentTransactionId(), later);
  CommitTransaction();
}

TEST(XactTest, AsynchronousCommitDurableExactlyWhenWalFlushed) {
  ServerHarness harness;
  auto async_commit = [](Lsn* end) {
    settings::synchronous_commit = settings::SynchronousCommit::kOff;
    StartTransaction();
    const TransactionId xid = GetCurrentTransactionId();
    CommitTransaction();
    *end = WalInsertPosition();  // nothing else inserts: the commit record's end
    settings::synchronous_commit = settings::SynchronousCommit::kOn;
    return xid;
  };
  // Without a flush the commit survives a crash exactly when its WAL happened to be durable.
  Lsn end1;
  const TransactionId x1 = async_commit(&end1);
  EXPECT_TRUE(TransactionIdDidCommit(x1));
  const bool durable = WalFlushPosition() >= end1;
  harness.Crash();
  // Lost: WAL forgot the xid altogether (it will be assigned again); kept: committed.
  EXPECT_EQ(ReadNextTransactionId() > x1, durable);
  if (durable) {
    EXPECT_TRUE(TransactionIdDidCommit(x1));
  }
  EXPECT_FALSE(TransactionIdIsInProgress(x1));

  // Writing the clog page first flushes WAL up to the commit (C3), so the commit survives.
  Lsn end2;
  const TransactionId x2 = async_commit(&end2);
  ClogFlushAll();
  EXPECT_GE(WalFlushPosition(), end2);
  harness.Crash();
  EXPECT_TRUE(TransactionIdDidCommit(x2));
}

#ifdef KEEL_DEBUG
// X17 regression (found by the heap crash torture test): a checkpoint that starts while a commit
// is between its durable WAL record and its clog update must wait for the clog update before it
// flushes clog; otherwise the checkpoint moves redo past the record, the clog change stays only
// in memory, and a crash loses a commit the client was told about.
TEST(XactTest, CheckpointWaitsForACommitBetweenWalAndClog) {
  ServerHarness harness;
  ValuePipe from_child;
  static const ValuePipe* signal_pipe = nullptr;
  signal_pipe = &from_child;
  const pid_t child = harness.ForkBackend([&] {
    StartTransaction();
    const TransactionId xid = GetCurrentTransactionId();
    from_child.Send(xid.value());
    TestOnlySetCommitHook([] {
      signal_pipe->Send(1);  // the record is durable; clog not yet updated
      timespec pause{0, 400'000'000};
      nanosleep(&pause, nullptr);
    });
    CommitTransaction();
    return 0;
  });
  const auto xid = from_child.Receive();
  ASSERT_TRUE(xid);
  ASSERT_EQ(from_child.Receive(), std::optional<uint64_t>(1));
  harness.Checkpoint();  // must not complete before the child's clog update
  EXPECT_EQ(harness.Wait(child), 0);
  harness.Crash();
  EXPECT_TRUE(TransactionIdDidCommit(TransactionId(*xid)));
}
#endif

}  // namespace
}  // namespace keel::transam
