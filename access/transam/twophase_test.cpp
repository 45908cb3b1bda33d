// Two-phase commit over the real shared state with forked backends: PREPARE hands xids and
// locks to a prepared slot that outlives the backend; COMMIT / ROLLBACK PREPARED from another
// backend; the errors; and prepared transactions surviving crashes (redo and state files).
// README.md ("Two-phase commit").
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include "access/transam/clog.h"
#include "access/transam/commit_ts.h"
#include "access/transam/snapshot.h"
#include "access/transam/transam.h"
#include "access/transam/twophase.h"
#include "access/transam/xact.h"
#include "access/transam/xact_test_util.h"
#include "backend/utils/error/error.h"
#include "storage/ipc/proc_array.h"
#include "storage/ipc/process_context.h"
#include "storage/lmgr/lock.h"
#include "tests/server/server_harness.h"

namespace keel::transam {
namespace {

using keel::testing::HarnessOptions;
using keel::testing::ServerHarness;
using storage::LockMode;
using storage::LockResult;
using testing::Eventually;
using testing::ValuePipe;

constexpr uint32_t kTable = 16384;

HarnessOptions WithPrepared(int n) {
  HarnessOptions options;
  options.max_prepared_transactions = n;
  return options;
}

storage::LockTag TableTag() { return storage::RelationLockTag(keel::testing::kTestDb, kTable); }

// Whether this process could take `mode` on the test table right now (and leaves it free).
bool TableLockFree(LockMode mode) {
  if (storage::LockAcquire(TableTag(), mode, /*dont_wait=*/true) == LockResult::kNotAvailable) {
    return false;
  }
  (void)storage::LockRelease(TableTag(), mode);
  return true;
}

std::string StateFile(const ServerHarness& harness, TransactionId xid) {
  char name[32];
  snprintf(name, sizeof(name), "%016llX", static_cast<unsigned long long>(xid.value()));
  return harness.dir() + "/twophase/" + name;
}

// Forks a backend that writes (gets an xid), takes RowExclusiveLock on the test table, opens
// `savepoints` savepoints each with an xid of its own, and prepares as `gid`. Returns the
// top-level xid (and the subxids through `subxids`).
TransactionId PrepareInChild(ServerHarness& harness, const char* gid, int savepoints = 0,
                             std::vector<TransactionId>* subxids = nullptr) {
  ValuePipe pipe;
  const pid_t child = harness.ForkBackend([&] {
    StartTransaction();
    (void)storage::LockAcquire(TableTag(), LockMode::kRowExclusive);
    pipe.Send(GetCurrentTransactionId().value());
    for (int i = 0; i < savepoints; ++i) {
      DefineSavepoint("s" + std::to_string(i));
      pipe.Send(GetCurrentTransactionId().value());
    }
    if (!PrepareTransaction(gid)) return 2;
    return IsTransactionActive() ? 3 : 0;
  });
  const auto top = pipe.Receive();
  for (int i = 0; i < savepoints; ++i) {
    const auto sub = pipe.Receive();
    if (subxids != nullptr && sub.has_value()) subxids->push_back(TransactionId(*sub));
  }
  EXPECT_EQ(harness.Wait(child), 0);
  return TransactionId(top.value_or(0));
}

TEST(TwoPhaseTest, DisabledByDefault) {
  ServerHarness harness;
  StartTransaction();
  try {
    (void)PrepareTransaction("g");
    FAIL() << "PREPARE succeeded with max_prepared_transactions = 0";
  } catch (const Error& e) {
    EXPECT_EQ(e.sqlstate(), sqlstate::kObjectNotInPrerequisiteState);
    EXPECT_EQ(e.message(), "prepared transactions are disabled");
    EXPECT_EQ(e.hint(), "Set max_prepared_transactions to a nonzero value.");
  }
  EXPECT_TRUE(IsTransactionActive());  // the caller aborts it
  AbortTransaction();
}

TEST(TwoPhaseTest, PreparedTransactionOutlivesItsBackendUntilCommitPrepared) {
  ServerHarness harness(WithPrepared(2));
  const TransactionId xid = PrepareInChild(harness, "tx one");
  ASSERT_TRUE(TransactionIdIsNormal(xid));

  // A later transaction commits, so snapshots and the horizon move past the prepared xid
  // unless the prepared slot holds them back.
  StartTransaction();
  const TransactionId later = GetCurrentTransactionId();
  CommitTransaction();
  ASSERT_GT(later, xid);

  // The backend is gone; the transaction is still running and still holds its locks.
  EXPECT_TRUE(TransactionIdIsInProgress(xid));
  EXPECT_FALSE(TransactionIdDidCommit(xid));
  EXPECT_FALSE(TransactionIdDidAbort(xid));
  EXPECT_FALSE(TableLockFree(LockMode::kAccessExclusive));
  EXPECT_TRUE(TableLockFree(LockMode::kRowExclusive));  // compatible modes still granted
  EXPECT_FALSE(ConditionalXactLockTableWait(xid));
  EXPECT_EQ(GetOldestXmin(), xid);
  StartTransaction();
  ASSERT_GT(GetTransactionSnapshot().xmax, xid);
  EXPECT_TRUE(XidInMvccSnapshot(xid, GetTransactionSnapshot()));
  EXPECT_FALSE(XidInMvccSnapshot(later, GetTransactionSnapshot()));
  CommitTransaction();
  const std::vector<PreparedTransactionInfo> list = ListPreparedTransactions();
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0].gid, "tx one");
  EXPECT_EQ(list[0].xid, xid);
  EXPECT_TRUE(std::filesystem::exists(StateFile(harness, xid)));

  FinishPreparedTransaction("tx one", /*commit=*/true);
  EXPECT_TRUE(TransactionIdDidCommit(xid));
  EXPECT_FALSE(TransactionIdIsInProgress(xid));
  EXPECT_TRUE(CommitTsGet(xid).has_value());
  EXPECT_TRUE(TableLockFree(LockMode::kAccessExclusive));
  EXPECT_TRUE(ConditionalXactLockTableWait(xid));
  EXPECT_TRUE(ListPreparedTransactions().empty());
  EXPECT_FALSE(std::filesystem::exists(StateFile(harness, xid)));
  EXPECT_GT(GetOldestXmin(), later);
  StartTransaction();
  EXPECT_FALSE(XidInMvccSnapshot(xid, GetTransactionSnapshot()));
  CommitTransaction();
  // The entry is free again: the gid can be used anew.
  const TransactionId again = PrepareInChild(harness, "tx one");
  EXPECT_GT(again, xid);
  FinishPreparedTransaction("tx one", /*commit=*/false);
}

TEST(TwoPhaseTest, RollbackPreparedAbortsEveryXidAndFreesLocks) {
  ServerHarness harness(WithPrepared(1));
  std::vector<TransactionId> subxids;
  const TransactionId xid = PrepareInChild(harness, "rb", /*savepoints=*/2, &subxids);
  ASSERT_EQ(subxids.size(), 2u);
  for (TransactionId sub : subxids) EXPECT_TRUE(TransactionIdIsInProgress(sub));  // released
  FinishPreparedTransaction("rb", /*commit=*/false);
  EXPECT_TRUE(TransactionIdDidAbort(xid));
  for (TransactionId sub : subxids) {
    EXPECT_TRUE(TransactionIdDidAbort(sub));
    EXPECT_FALSE(TransactionIdIsInProgress(sub));
  }
  EXPECT_TRUE(TableLockFree(LockMode::kAccessExclusive));
}

TEST(TwoPhaseTest, WaitersWakeWhenAnotherBackendCommitsPrepared) {
  ServerHarness harness(WithPrepared(1));
  const TransactionId xid = PrepareInChild(harness, "w");
  ValuePipe started;
  const pid_t waiter = harness.ForkBackend([&] {
    StartTransaction();
    started.Send(1);
    XactLockTableWait(xid);                                            // the xid lock (X8)
    (void)storage::LockAcquire(TableTag(), LockMode::kAccessExclusive);  // the table lock
    const bool committed = TransactionIdDidCommit(xid);
    CommitTransaction();
    return committed ? 0 : 4;
  });
  ASSERT_TRUE(started.Receive().has_value());
  usleep(200'000);  // let it queue (the result does not depend on it)
  FinishPreparedTransaction("w", /*commit=*/true);
  EXPECT_EQ(harness.Wait(waiter), 0);
}

// H11: a waiter queued behind the preparing backend's lock stays queued through PREPARE (the
// lock is never free in between) and gets it at COMMIT PREPARED; the lock table is back to
// where it started afterwards.
TEST(TwoPhaseTest, WaiterQueuedDuringPrepareKeepsWaiting) {
  ServerHarness harness(WithPrepared(1));
  ValuePipe locked, go, waiting, xid_pipe;
  const pid_t preparer = harness.ForkBackend([&] {
    StartTransaction();
    (void)storage::LockAcquire(TableTag(), LockMode::kRowExclusive);
    xid_pipe.Send(GetCurrentTransactionId().value());
    locked.Send(1);
    if (!go.Receive().has_value()) return 6;
    return PrepareTransaction("queued") ? 0 : 7;
  });
  const TransactionId xid(xid_pipe.Receive().value_or(0));
  ASSERT_TRUE(locked.Receive().has_value());
  const pid_t waiter = harness.ForkBackend([&] {
    StartTransaction();
    waiting.Send(1);
    (void)storage::LockAcquire(TableTag(), LockMode::kAccessExclusive);
    const bool committed = TransactionIdDidCommit(xid);  // granted only after COMMIT PREPARED
    CommitTransaction();
    return committed ? 0 : 8;
  });
  ASSERT_TRUE(waiting.Receive().has_value());
  ASSERT_TRUE(Eventually([] { return storage::LockNumWaiters(TableTag()) == 1; }));
  go.Send(1);
  ASSERT_EQ(harness.Wait(preparer), 0);
  usleep(300'000);
  EXPECT_EQ(storage::LockNumWaiters(TableTag()), 1);  // still queued, behind the prepared slot
  FinishPreparedTransaction("queued", true);
  EXPECT_EQ(harness.Wait(waiter), 0);
}

TEST(TwoPhaseTest, LockTableDrainsAfterCommitPrepared) {
  ServerHarness harness(WithPrepared(1));
  const storage::LockTableUsage before = storage::LockTableUsageNow();
  std::vector<TransactionId> subxids;
  (void)PrepareInChild(harness, "drain", /*savepoints=*/3, &subxids);
  EXPECT_GE(storage::LockTableUsageNow().locks_in_use, before.locks_in_use + 5);  // table + 4 xids
  FinishPreparedTransaction("drain", true);
  EXPECT_EQ(storage::LockTableUsageNow().locks_in_use, before.locks_in_use);
  EXPECT_EQ(storage::LockTableUsageNow().proclocks_in_use, before.proclocks_in_use);
  // The same after a restore at start-up.
  (void)PrepareInChild(harness, "drain2", /*savepoints=*/2);
  harness.Crash();
  const storage::LockTableUsage restored = storage::LockTableUsageNow();
  EXPECT_GE(restored.locks_in_use, 4);
  FinishPreparedTransaction("drain2", false);
  EXPECT_EQ(storage::LockTableUsageNow().locks_in_use, 0);
  EXPECT_EQ(storage::LockTableUsageNow().proclocks_in_use, 0);
}

TEST(TwoPhaseTest, ErrorsLeaveTheTransactionActiveAndTheEntryFree) {
  ServerHarness harness(WithPrepared(1));
  (void)PrepareInChild(harness, "taken");
  auto expect_error = [](auto fn, SqlState state, const std::string& message) {
    try {
      fn();
      ADD_FAILURE() << "no error, expected " << message;
    } catch (const Error& e) {
      EXPECT_EQ(e.sqlstate(), state);
      EXPECT_EQ(e.message(), message);
    }
  };
  StartTransaction();
  (void)GetCurrentTransactionId();
  expect_error([] { (void)PrepareTransaction("taken"); }, sqlstate::kDuplicateObject,
               "transaction identifier \"taken\" is already in use");
  EXPECT_TRUE(IsTransactionActive());
  expect_error([] { (void)PrepareTransaction("other"); }, sqlstate::kOutOfMemory,
               "maximum number of prepared transactions reached");
  const std::string long_gid(200, 'x');
  expect_error([&] { (void)PrepareTransaction(long_gid); }, sqlstate::kInvalidParameterValue,
               "transaction identifier \"" + long_gid + "\" is too long");
  AbortTransaction();
  expect_error([] { FinishPreparedTransaction("nope", true); }, sqlstate::kUndefinedObject,
               "prepared transaction with identifier \"nope\" does not exist");

  // Another database's prepared transaction cannot be finished from here.
  FinishPreparedTransaction("taken", true);
  const pid_t child = harness.ForkBackend([&] {
    storage::ProcArraySetSessionInfo(storage::CurrentProcess().proc, "alice", "otherdb", nullptr);
    StartTransaction();
    (void)GetCurrentTransactionId();
    return PrepareTransaction("elsewhere") ? 0 : 5;
  });
  ASSERT_EQ(harness.Wait(child), 0);
  expect_error([] { FinishPreparedTransaction("elsewhere", true); },
               sqlstate::kFeatureNotSupported, "prepared transaction belongs to another database");
  const std::vector<PreparedTransactionInfo> list = ListPreparedTransactions();
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0].owner, "alice");
  EXPECT_EQ(list[0].database, "otherdb");
}

TEST(TwoPhaseTest, FailedTransactionRollsBackInsteadOfPreparing) {
  ServerHarness harness(WithPrepared(1));
  StartTransaction();
  const TransactionId xid = GetCurrentTransactionId();
  DefineSavepoint("s");
  MarkTransactionFailed();
  EXPECT_FALSE(PrepareTransaction("f"));
  EXPECT_FALSE(IsTransactionActive());
  EXPECT_TRUE(TransactionIdDidAbort(xid));
  EXPECT_TRUE(ListPreparedTransactions().empty());
}

TEST(TwoPhaseTest, ReadOnlyTransactionGetsAnXidWhenPrepared) {
  ServerHarness harness(WithPrepared(1));
  StartTransaction();
  const TransactionId next = ReadNextTransactionId();
  ASSERT_TRUE(PrepareTransaction("ro"));
  const std::vector<PreparedTransactionInfo> list = ListPreparedTransactions();
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0].xid, next);
  FinishPreparedTransaction("ro", true);
  EXPECT_TRUE(TransactionIdDidCommit(next));
}

// A crash after PREPARE: the transaction comes back prepared, running, holding its locks, from
// redo (no checkpoint since) or from its state file (checkpoint in between).
void CrashKeepsPrepared(bool checkpoint_first) {
  ServerHarness harness(WithPrepared(3));
  std::vector<TransactionId> subxids;
  // 70 savepoints: more subxids than a slot caches, so restore must rebuild subxact/ (T8).
  const TransactionId big = PrepareInChild(harness, "big", /*savepoints=*/70, &subxids);
  const TransactionId small = PrepareInChild(harness, "small");
  if (checkpoint_first) harness.Checkpoint();
  // One transaction finished before the crash must stay finished.
  const TransactionId done = PrepareInChild(harness, "done");
  FinishPreparedTransaction("done", true);
  harness.Crash();

  EXPECT_TRUE(TransactionIdDidCommit(done));
  std::vector<std::string> gids;
  for (const PreparedTransactionInfo& info : ListPreparedTransactions()) gids.push_back(info.gid);
  std::sort(gids.begin(), gids.end());
  EXPECT_EQ(gids, (std::vector<std::string>{"big", "small"}));
  EXPECT_TRUE(TransactionIdIsInProgress(big));
  EXPECT_TRUE(TransactionIdIsInProgress(small));
  ASSERT_EQ(subxids.size(), 70u);
  EXPECT_TRUE(TransactionIdIsInProgress(subxids.back()));  // overflowed: found via subxact/
  EXPECT_EQ(SubTransGetTopmostTransaction(subxids.back()), big);
  EXPECT_FALSE(TableLockFree(LockMode::kAccessExclusive));
  EXPECT_FALSE(ConditionalXactLockTableWait(big));
  StartTransaction();
  (void)GetCurrentTransactionId();  // a later xid completes: snapshots' xmax moves past them
  CommitTransaction();
  StartTransaction();
  const Snapshot& snap = GetTransactionSnapshot();
  ASSERT_GT(snap.xmax, small);
  EXPECT_TRUE(XidInMvccSnapshot(subxids.back(), snap));
  EXPECT_TRUE(XidInMvccSnapshot(small, snap));
  CommitTransaction();

  FinishPreparedTransaction("big", true);
  FinishPreparedTransaction("small", false);
  for (TransactionId sub : subxids) EXPECT_TRUE(TransactionIdDidCommit(sub));
  EXPECT_TRUE(TransactionIdDidAbort(small));
  EXPECT_TRUE(TableLockFree(LockMode::kAccessExclusive));

  // And the outcomes survive another crash, with no prepared transaction coming back.
  harness.Crash();
  EXPECT_TRUE(ListPreparedTransactions().empty());
  EXPECT_TRUE(TransactionIdDidCommit(big));
  EXPECT_TRUE(TransactionIdDidAbort(small));
  EXPECT_FALSE(std::filesystem::exists(StateFile(harness, big)));
}

TEST(TwoPhaseTest, CrashRestoresPreparedTransactionsFromRedo) { CrashKeepsPrepared(false); }

TEST(TwoPhaseTest, CrashRestoresPreparedTransactionsFromStateFiles) { CrashKeepsPrepared(true); }

TEST(TwoPhaseTest, StartupRemovesStaleAndFutureStateFiles) {
  ServerHarness harness(WithPrepared(2));
  const TransactionId kept = PrepareInChild(harness, "kept");
  const TransactionId gone = PrepareInChild(harness, "gone");
  // A copy of "gone"'s file survives its COMMIT PREPARED (as if the unlink was lost), and a
  // file names an xid WAL never assigned.
  const std::string gone_copy = harness.dir() + "/gone.copy";
  std::filesystem::copy_file(StateFile(harness, gone), gone_copy);
  FinishPreparedTransaction("gone", true);
  harness.Checkpoint();  // the commit is now before the redo pointer: only clog knows it
  std::filesystem::copy_file(gone_copy, StateFile(harness, gone));
  const TransactionId future(ReadNextTransactionId().value() + 1000);
  std::filesystem::copy_file(gone_copy, StateFile(harness, future));
  harness.Crash();
  EXPECT_FALSE(std::filesystem::exists(StateFile(harness, gone)));
  EXPECT_FALSE(std::filesystem::exists(StateFile(harness, future)));
  ASSERT_EQ(ListPreparedTransactions().size(), 1u);
  EXPECT_EQ(ListPreparedTransactions()[0].xid, kept);
  EXPECT_TRUE(TransactionIdDidCommit(gone));
  FinishPreparedTransaction("kept", true);
}

// T2: a failed COMMIT PREPARED (here: a corrupt state file) leaves the entry finishable.
TEST(TwoPhaseTest, FailedFinishDoesNotLeaveTheEntryBusy) {
  ServerHarness harness(WithPrepared(1));
  const TransactionId xid = PrepareInChild(harness, "c");
  const std::string path = StateFile(harness, xid);
  const std::string copy = harness.dir() + "/c.copy";
  std::filesystem::copy_file(path, copy);
  {
    FILE* f = fopen(path.c_str(), "r+b");
    ASSERT_NE(f, nullptr);
    fseek(f, 100, SEEK_SET);
    fputc('!', f);
    fclose(f);
  }
  try {
    FinishPreparedTransaction("c", true);
    ADD_FAILURE() << "a corrupt state file was accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.sqlstate(), sqlstate::kDataCorrupted);
    EXPECT_EQ(e.message(), "corrupted two-phase state file for transaction " +
                               std::to_string(xid.value()));
  }
  std::filesystem::copy_file(copy, path, std::filesystem::copy_options::overwrite_existing);
  FinishPreparedTransaction("c", true);  // not "busy"
  EXPECT_TRUE(TransactionIdDidCommit(xid));
}

#ifdef KEEL_DEBUG
ValuePipe* hook_pipe = nullptr;
void SignalAndPause() {
  hook_pipe->Send(1);
  usleep(1'500'000);  // a checkpoint that does not wait (T5) completes meanwhile
}

// T5: a checkpoint between the prepare record and its state file waits for the file, so a crash
// right after that checkpoint (whose redo pointer is past the record) keeps the transaction.
TEST(TwoPhaseTest, CheckpointWaitsForPrepareStateFile) {
  ServerHarness harness(WithPrepared(1));
  ValuePipe in_hook;
  hook_pipe = &in_hook;
  const pid_t child = harness.ForkBackend([&] {
    TestOnlySetTwoPhaseHook(&SignalAndPause);
    StartTransaction();
    (void)GetCurrentTransactionId();
    return PrepareTransaction("t5") ? 0 : 9;
  });
  ASSERT_TRUE(in_hook.Receive().has_value());
  harness.Checkpoint();
  harness.Crash();  // the child may or may not have finished; the checkpoint is what matters
  ASSERT_EQ(ListPreparedTransactions().size(), 1u);
  FinishPreparedTransaction("t5", true);
  (void)child;
}

// T5 for COMMIT PREPARED: a checkpoint between its record and the clog update waits, so the
// crash after it cannot bring the transaction back as prepared.
TEST(TwoPhaseTest, CheckpointWaitsForCommitPrepared) {
  ServerHarness harness(WithPrepared(1));
  const TransactionId xid = PrepareInChild(harness, "t5c");
  ValuePipe in_hook;
  hook_pipe = &in_hook;
  (void)harness.ForkBackend([&] {
    TestOnlySetTwoPhaseHook(&SignalAndPause);
    FinishPreparedTransaction("t5c", true);
    return 0;
  });
  ASSERT_TRUE(in_hook.Receive().has_value());
  harness.Checkpoint();
  harness.Crash();
  EXPECT_TRUE(ListPreparedTransactions().empty());
  EXPECT_TRUE(TransactionIdDidCommit(xid));
}
#endif

}  // namespace
}  // namespace keel::transam
