// Snapshot tests: XidInMvccSnapshot's rules, the VACUUM horizon following snapshots of other
// processes, re-use while nothing completes, and the completion seqlock under concurrency
// (two processes committing in a loop while a third checks every snapshot it takes).
// README.md ("Transactions", X5-X7, X11).
#include <gtest/gtest.h>
#include <sched.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <vector>

#include "access/transam/snapshot.h"
#include "access/transam/transam.h"
#include "access/transam/xact.h"
#include "access/transam/xact_test_util.h"
#include "tests/server/server_harness.h"

namespace keel::transam {
namespace {

using keel::testing::ServerHarness;
using testing::ValuePipe;

TEST(SnapshotTest, XidInMvccSnapshotRules) {
  ServerHarness harness;
  Snapshot snap;
  snap.xmin = TransactionId(10);
  snap.xmax = TransactionId(20);
  snap.xip = {TransactionId(10), TransactionId(15)};
  EXPECT_FALSE(XidInMvccSnapshot(TransactionId(9), snap));   // below xmin: finished
  EXPECT_TRUE(XidInMvccSnapshot(TransactionId(10), snap));   // listed
  EXPECT_FALSE(XidInMvccSnapshot(TransactionId(11), snap));  // not listed: finished
  EXPECT_TRUE(XidInMvccSnapshot(TransactionId(15), snap));
  EXPECT_TRUE(XidInMvccSnapshot(TransactionId(20), snap));   // xmax and above: running
  EXPECT_TRUE(XidInMvccSnapshot(TransactionId(1000), snap));
}

TEST(SnapshotTest, ReusedWhileNothingCompletesAndHorizonFollowsSnapshots) {
  ServerHarness harness;
  StartTransaction();
  const Snapshot first = GetLatestSnapshot();
  const Snapshot second = GetLatestSnapshot();
  EXPECT_EQ(first.completion_count, second.completion_count);
  EXPECT_EQ(first.xmax, second.xmax);
  CommitTransaction();

  // Another process holds a snapshot: the horizon stays at its xmin even after newer xids
  // commit; it moves once that transaction ends.
  ValuePipe to_child, from_child;
  const pid_t child = harness.ForkBackend([&] {
    StartTransaction(IsolationLevel::kRepeatableRead);
    from_child.Send(GetTransactionSnapshot().xmin.value());
    if (!to_child.Receive()) return 2;
    CommitTransaction();
    from_child.Send(1);
    return 0;
  });
  auto child_xmin = from_child.Receive();
  ASSERT_TRUE(child_xmin);
  for (int i = 0; i < 3; ++i) {
    StartTransaction();
    (void)GetCurrentTransactionId();
    CommitTransaction();
  }
  EXPECT_EQ(GetOldestXmin(), TransactionId(*child_xmin));
  const uint64_t count_before = GetLatestSnapshot().completion_count;
  to_child.Send(1);
  ASSERT_TRUE(from_child.Receive());
  EXPECT_EQ(harness.Wait(child), 0);
  EXPECT_GT(GetOldestXmin(), TransactionId(*child_xmin));
  EXPECT_EQ(GetOldestXmin(), ReadNextTransactionId());  // nobody runs anything
  EXPECT_EQ(GetLatestSnapshot().completion_count, count_before);  // read-only end: no bracket
}

// Shared between the test's processes (mapped before the forks).
struct CommitLog {
  static constexpr int kMax = 8192;
  std::atomic<uint32_t> count;       // entries claimed
  std::atomic<uint64_t> done_clock;  // bumped after each CommitTransaction returns
  std::atomic<uint32_t> writers_done;
  std::atomic<uint32_t> reader_started;  // the writers wait for it
  struct Entry {
    std::atomic<uint64_t> started_after;  // done_clock before the xid was assigned
    std::atomic<uint32_t> will_commit;
    std::atomic<uint64_t> xid;            // published right after assignment, before the end
    std::atomic<uint64_t> done_order;     // done_clock value of its commit; 0 until returned
  } entries[kMax];
};

// X5-X7 under concurrency: if T1's commit returned before T2 got its xid, no snapshot may see
// T2 committed and T1 running; and whatever a snapshot sees as ended, clog already knows.
TEST(SnapshotTest, SeqlockUnderConcurrentCommits) {
  ServerHarness harness;
  void* mem = mmap(nullptr, sizeof(CommitLog), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
                   -1, 0);
  ASSERT_NE(mem, MAP_FAILED);
  auto* log = new (mem) CommitLog();
  constexpr int kWriters = 2;
  constexpr int kTransactionsEach = 3000;

  std::vector<pid_t> writers;
  for (int w = 0; w < kWriters; ++w) {
    writers.push_back(harness.ForkBackend([log, w] {
      // A Release build commits 3000 transactions in a few milliseconds: start only once the
      // reader runs, so that the two overlap even when the reader's fork is slow.
      while (log->reader_started.load() == 0) sched_yield();
      for (int i = 0; i < kTransactionsEach; ++i) {
        const uint32_t idx = log->count.fetch_add(1);
        if (idx >= CommitLog::kMax) return 3;
        CommitLog::Entry& e = log->entries[idx];
        const bool commit = i % 11 != 0;
        StartTransaction();
        e.started_after.store(log->done_clock.load());
        e.will_commit.store(commit ? 1 : 0);
        e.xid.store(GetCurrentTransactionId().value());
        // Commit brackets are most of a transaction's life here and snapshots wait them out:
        // now and then stay running a little, so that some snapshots surely see us running.
        if (i % 16 == 0) usleep(50);
        if (i % 7 == w) {  // some with subtransactions, one of them rolled back
          DefineSavepoint("s");
          (void)GetCurrentTransactionId();
          DefineSavepoint("t");
          (void)GetCurrentTransactionId();
          RollbackToSavepoint("t");
        }
        if (!commit) {
          AbortTransaction();
          continue;
        }
        CommitTransaction();
        e.done_order.store(log->done_clock.fetch_add(1) + 1);
      }
      log->writers_done.fetch_add(1);
      return 0;
    }));
  }
  const pid_t reader = harness.ForkBackend([log] {
    int snapshots = 0;
    int busy = 0;  // snapshots that saw a writer's transaction running (the test overlapped)
    log->reader_started.store(1);
    for (;;) {
      const bool last_round = log->writers_done.load() == kWriters;
      StartTransaction();
      const Snapshot snap = GetLatestSnapshot();
      const uint32_t n = std::min<uint32_t>(log->count.load(), CommitLog::kMax);
      std::vector<uint32_t> visible;
      // A running xid may be in xip or at or past xmax (assigned after the snapshot's newest
      // completion), so "busy" is judged by the writers' own log, not by xip.
      bool saw_running = false;
      uint64_t min_running_done = UINT64_MAX;  // earliest commit-return among running ones
      for (uint32_t i = 0; i < n; ++i) {
        CommitLog::Entry& e = log->entries[i];
        const TransactionId xid(e.xid.load());
        if (!TransactionIdIsValid(xid)) continue;  // not assigned yet
        if (XidInMvccSnapshot(xid, snap)) {
          saw_running = true;
          const uint64_t done = e.done_order.load();
          if (done != 0) min_running_done = std::min(min_running_done, done);
          continue;
        }
        // Ended for this snapshot: clog already has the outcome (X7).
        const bool ok = e.will_commit.load() != 0 ? TransactionIdDidCommit(xid)
                                                  : TransactionIdDidAbort(xid);
        if (!ok) return 10;
        if (e.will_commit.load() != 0) visible.push_back(i);
      }
      for (uint32_t i : visible) {
        if (log->entries[i].started_after.load() > min_running_done) return 11;
      }
      if (!std::is_sorted(snap.xip.begin(), snap.xip.end())) return 12;
      if (snap.xmin > snap.xmax) return 13;
      CommitTransaction();
      ++snapshots;
      if (saw_running) ++busy;
      if (last_round) break;
    }
    return snapshots > 10 && busy > 0 ? 0 : 14;
  });
  for (pid_t w : writers) EXPECT_EQ(harness.Wait(w, 120'000), 0);
  EXPECT_EQ(harness.Wait(reader, 120'000), 0);
  EXPECT_EQ(log->count.load(), static_cast<uint32_t>(kWriters * kTransactionsEach));
  munmap(mem, sizeof(CommitLog));
}

}  // namespace
}  // namespace keel::transam
