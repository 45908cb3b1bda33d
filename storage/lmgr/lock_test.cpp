// Heavyweight lock tests over a region from ShmemCreate with forked processes, each with a
// proc slot (so it has a latch): conflicts, counts, waiting and wake-up, FIFO order, deadlocks,
// lock_timeout, interrupts, pool exhaustion. See storage/lmgr/README.md ("Heavyweight locks").
#include "storage/lmgr/lock.h"

#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "backend/utils/config/settings.h"
#include "backend/utils/error/error.h"
#include "backend/utils/init/interrupts.h"
#include "storage/ipc/fork_test_util.h"
#include "storage/ipc/proc_array.h"
#include "storage/ipc/process_context.h"
#include "storage/ipc/shmem.h"

namespace keel::storage {
namespace {

using testing::ForkChild;
using testing::NowMs;
using testing::WaitChild;
using testing::WaitUntil;

constexpr int kMaxBackends = 6;
constexpr int kMaxAux = 1;
constexpr int kDeadlockMs = 300;

constexpr int kCodeDeadlock = 40;
constexpr int kCodeLockTimeout = 55;
constexpr int kCodeCanceled = 57;

struct Shared {
  std::atomic<int> ready;
  std::atomic<int> go;
  std::atomic<int> seq;
  std::atomic<int> order[8];
  std::atomic<int> flag[8];
  std::atomic<int64_t> elapsed_ms[8];
  std::atomic<int> conflict[9][9];
  char detail[8][1024];
};

class LockTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const int slots = kMaxBackends + kMaxAux;
    ShmemCreate(AddSize(AddSize(ProcArrayShmemSize(kMaxBackends, kMaxAux), LockShmemSize(slots)),
                        sizeof(Shared)));
    ProcArrayShmemInit(kMaxBackends, kMaxAux);
    LockShmemInit(ProcArrayNumSlots());
    InitProcessContext(ProcessRole::kStandalone);
    bool found = false;
    shared_ = static_cast<Shared*>(ShmemInitStruct("lock test", sizeof(Shared), &found));
    slot_ = ProcArrayAcquireBackendSlot(getpid(), 1);
    ASSERT_NE(slot_, nullptr);
    settings::deadlock_timeout_ms = kDeadlockMs;
    settings::lock_timeout_ms = 0;
  }
  void TearDown() override {
    LockReleaseAll();
    ProcArrayReleaseSlot(slot_);
    ShmemDestroy();
  }

  // A child with its own backend slot; releases its locks and slot after `fn`.
  template <typename Fn>
  pid_t Child(Fn fn) {
    return ForkChild([fn]() {
      ProcSlot* slot = ProcArrayAcquireBackendSlot(getpid(), 2);
      if (slot == nullptr) return 97;
      const int code = fn();
      LockReleaseAll();
      ProcArrayReleaseSlot(slot);
      return code;
    });
  }

  Shared* shared_ = nullptr;
  ProcSlot* slot_ = nullptr;
};

LockMode Mode(int m) { return static_cast<LockMode>(m); }

// PostgreSQL's documented table (Table 13.2), written out independently of the code.
// Row = requested mode, column = held mode, 1 = conflict. Order: AccessShare .. AccessExclusive.
constexpr int kExpectedConflicts[8][8] = {
    {0, 0, 0, 0, 0, 0, 0, 1},  // ACCESS SHARE
    {0, 0, 0, 0, 0, 0, 1, 1},  // ROW SHARE
    {0, 0, 0, 0, 1, 1, 1, 1},  // ROW EXCLUSIVE
    {0, 0, 0, 1, 1, 1, 1, 1},  // SHARE UPDATE EXCLUSIVE
    {0, 0, 1, 1, 0, 1, 1, 1},  // SHARE
    {0, 0, 1, 1, 1, 1, 1, 1},  // SHARE ROW EXCLUSIVE
    {0, 1, 1, 1, 1, 1, 1, 1},  // EXCLUSIVE
    {1, 1, 1, 1, 1, 1, 1, 1},  // ACCESS EXCLUSIVE
};

TEST_F(LockTest, NamesAndDescriptions) {
  EXPECT_STREQ(LockModeName(LockMode::kAccessShare), "AccessShareLock");
  EXPECT_STREQ(LockModeName(LockMode::kShareUpdateExclusive), "ShareUpdateExclusiveLock");
  EXPECT_STREQ(LockModeName(LockMode::kAccessExclusive), "AccessExclusiveLock");
  EXPECT_EQ(DescribeLockTag(RelationLockTag(5, 16384)), "relation 16384 of database 5");
  EXPECT_EQ(DescribeLockTag(TransactionLockTag(742)), "transaction 742");
  EXPECT_EQ(DescribeLockTag(TransactionLockTag(1ull << 40)), "transaction 1099511627776");
  EXPECT_EQ(DescribeLockTag(TupleLockTag(5, 16384, 3, 7)),
            "tuple (3,7) of relation 16384 of database 5");
  EXPECT_EQ(DescribeLockTag(ObjectLockTag(5, 1259, 12, 0)),
            "object 12 of class 1259 of database 5");
  EXPECT_TRUE(RelationLockTag(1, 2) == RelationLockTag(1, 2));
  EXPECT_FALSE(RelationLockTag(1, 2) == RelationLockTag(2, 1));
  EXPECT_FALSE(RelationLockTag(1, 2) == ObjectLockTag(1, 2, 0, 0));
}

TEST_F(LockTest, ConflictTableAcrossProcessesIsExhaustive) {
  for (int held = 1; held <= 8; ++held) {
    for (int req = 1; req <= 8; ++req) {
      EXPECT_EQ(LockModesConflict(Mode(req), Mode(held)),
                kExpectedConflicts[req - 1][held - 1] != 0)
          << req << " vs " << held;
      ASSERT_EQ(LockAcquire(RelationLockTag(1, held * 10 + req), Mode(held)),
                LockResult::kAcquired);
    }
  }
  Shared* s = shared_;
  const pid_t child = Child([s] {
    for (int held = 1; held <= 8; ++held) {
      for (int req = 1; req <= 8; ++req) {
        const LockTag tag = RelationLockTag(1, held * 10 + req);
        const LockResult r = LockAcquire(tag, Mode(req), /*dont_wait=*/true);
        s->conflict[req][held] = r == LockResult::kNotAvailable ? 1 : 0;
        if (r == LockResult::kAcquired && !LockRelease(tag, Mode(req))) return 2;
      }
    }
    return 0;
  });
  ASSERT_EQ(WaitChild(child), 0);
  for (int held = 1; held <= 8; ++held) {
    for (int req = 1; req <= 8; ++req) {
      EXPECT_EQ(shared_->conflict[req][held].load(), kExpectedConflicts[req - 1][held - 1])
          << LockModeName(Mode(req)) << " requested while " << LockModeName(Mode(held)) << " held";
    }
  }
  // A process never conflicts with itself.
  const LockTag tag = RelationLockTag(1, 999);
  ASSERT_EQ(LockAcquire(tag, LockMode::kAccessExclusive, true), LockResult::kAcquired);
  EXPECT_EQ(LockAcquire(tag, LockMode::kShare, true), LockResult::kAcquired);
  EXPECT_EQ(LockAcquire(tag, LockMode::kRowExclusive, true), LockResult::kAcquired);
}

TEST_F(LockTest, ReentrantCountsAndRelease) {
  const LockTag tag = TransactionLockTag(742);
  for (int i = 0; i < 3; ++i) {
    ASSERT_EQ(LockAcquire(tag, LockMode::kExclusive), LockResult::kAcquired);
  }
  EXPECT_EQ(LockTableUsageNow().locks_in_use, 1);
  EXPECT_EQ(LockTableUsageNow().proclocks_in_use, 1);
  EXPECT_TRUE(LockRelease(tag, LockMode::kExclusive));
  EXPECT_TRUE(LockRelease(tag, LockMode::kExclusive));
  EXPECT_TRUE(LockHeldByMe(tag, LockMode::kExclusive));
  auto try_share = [this, tag] {
    return WaitChild(Child([tag] {
      return LockAcquire(tag, LockMode::kShare, true) == LockResult::kAcquired ? 1 : 0;
    }));
  };
  EXPECT_EQ(try_share(), 0);  // still held once
  EXPECT_TRUE(LockRelease(tag, LockMode::kExclusive));
  EXPECT_FALSE(LockHeldByMe(tag, LockMode::kExclusive));
  EXPECT_EQ(LockTableUsageNow().locks_in_use, 0);
  EXPECT_EQ(try_share(), 1);
  EXPECT_FALSE(LockRelease(tag, LockMode::kExclusive));  // not held: warning, false
  EXPECT_FALSE(LockRelease(tag, LockMode::kShare));
}

TEST_F(LockTest, DontWaitLeavesNoTrace) {
  const LockTag tag = RelationLockTag(1, 50);
  ASSERT_EQ(LockAcquire(tag, LockMode::kAccessExclusive), LockResult::kAcquired);
  const pid_t child = Child([tag] {
    for (int m = 1; m <= 8; ++m) {
      if (LockAcquire(tag, Mode(m), true) != LockResult::kNotAvailable) return 1;
      if (LockHeldByMe(tag, Mode(m))) return 2;
    }
    if (LockNumWaiters(tag) != 0) return 3;
    return 0;
  });
  EXPECT_EQ(WaitChild(child), 0);
  const LockTableUsage usage = LockTableUsageNow();
  EXPECT_EQ(usage.locks_in_use, 1);
  EXPECT_EQ(usage.proclocks_in_use, 1);
}

TEST_F(LockTest, WaiterIsGrantedWhenHolderReleases) {
  const LockTag tag = RelationLockTag(1, 60);
  Shared* s = shared_;
  const pid_t holder = Child([s, tag] {
    if (LockAcquire(tag, LockMode::kAccessExclusive) != LockResult::kAcquired) return 1;
    s->ready = 1;
    if (!WaitUntil([s] { return s->go.load() == 1; })) return 2;
    return LockRelease(tag, LockMode::kAccessExclusive) ? 0 : 3;
  });
  ASSERT_TRUE(WaitUntil([s] { return s->ready.load() == 1; }));
  const pid_t waiter = Child([s, tag] {
    if (LockAcquire(tag, LockMode::kAccessShare) != LockResult::kAcquired) return 1;
    s->flag[0] = 1;
    return 0;
  });
  ASSERT_TRUE(WaitUntil([tag] { return LockNumWaiters(tag) == 1; }));
  EXPECT_EQ(shared_->flag[0].load(), 0);  // queued, not granted
  shared_->go = 1;
  EXPECT_TRUE(WaitUntil([s] { return s->flag[0].load() == 1; }));
  EXPECT_EQ(WaitChild(holder), 0);
  EXPECT_EQ(WaitChild(waiter), 0);
  EXPECT_EQ(LockTableUsageNow().locks_in_use, 0);
  EXPECT_EQ(LockTableUsageNow().proclocks_in_use, 0);
}

TEST_F(LockTest, ExclusiveWaiterIsNotOvertakenBySharers) {
  const LockTag tag = RelationLockTag(1, 70);
  ASSERT_EQ(LockAcquire(tag, LockMode::kShare), LockResult::kAcquired);
  Shared* s = shared_;
  // Child 0 wants Exclusive; child 1 then wants Share, compatible with the granted Share
  // but not with the earlier waiter: it must queue behind it (FIFO).
  auto waiter = [s, tag](int idx, LockMode mode) {
    return [s, tag, idx, mode] {
      if (LockAcquire(tag, mode) != LockResult::kAcquired) return 1;
      s->order[idx] = ++s->seq;
      if (!WaitUntil([s, idx] { return s->go.load() > idx; })) return 2;
      return 0;
    };
  };
  const pid_t x = Child(waiter(0, LockMode::kExclusive));
  ASSERT_TRUE(WaitUntil([tag] { return LockNumWaiters(tag) == 1; }));
  const pid_t r = Child(waiter(1, LockMode::kShare));
  ASSERT_TRUE(WaitUntil([tag] { return LockNumWaiters(tag) == 2; }));
  EXPECT_EQ(shared_->seq.load(), 0);
  ASSERT_TRUE(LockRelease(tag, LockMode::kShare));
  ASSERT_TRUE(WaitUntil([s] { return s->order[0].load() != 0; }));
  EXPECT_EQ(shared_->order[0].load(), 1);
  EXPECT_EQ(LockNumWaiters(tag), 1);
  EXPECT_EQ(shared_->order[1].load(), 0);  // the sharer still waits for the exclusive holder
  shared_->go = 1;                          // the exclusive holder finishes
  ASSERT_TRUE(WaitUntil([s] { return s->order[1].load() != 0; }));
  EXPECT_EQ(shared_->order[1].load(), 2);
  shared_->go = 2;
  EXPECT_EQ(WaitChild(x), 0);
  EXPECT_EQ(WaitChild(r), 0);
  EXPECT_EQ(LockTableUsageNow().locks_in_use, 0);
}

TEST_F(LockTest, HolderMayGoAheadOfConflictingWaiter) {
  // The parent holds AccessShare; a child waits for AccessExclusive. The parent's further
  // RowExclusive request is compatible with what is granted; queueing it behind the child
  // (which waits for the parent) would deadlock, so it is granted at once (H5).
  const LockTag tag = RelationLockTag(1, 75);
  ASSERT_EQ(LockAcquire(tag, LockMode::kAccessShare), LockResult::kAcquired);
  Shared* s = shared_;
  const pid_t child = Child([s, tag] {
    if (LockAcquire(tag, LockMode::kAccessExclusive) != LockResult::kAcquired) return 1;
    s->flag[0] = 1;
    return 0;
  });
  ASSERT_TRUE(WaitUntil([tag] { return LockNumWaiters(tag) == 1; }));
  EXPECT_EQ(LockAcquire(tag, LockMode::kRowExclusive, true), LockResult::kAcquired);
  // A newcomer without locks on the object queues behind the waiter instead.
  const pid_t newcomer = Child([tag] {
    return LockAcquire(tag, LockMode::kAccessShare, true) == LockResult::kNotAvailable ? 0 : 1;
  });
  EXPECT_EQ(WaitChild(newcomer), 0);
  EXPECT_EQ(shared_->flag[0].load(), 0);
  LockReleaseAll();
  EXPECT_EQ(WaitChild(child), 0);
  EXPECT_EQ(shared_->flag[0].load(), 1);
}

// Child body for the deadlock tests: takes `first`, waits until all `n` are ready, then
// wants `second`. Returns 0 when it got it, kCodeDeadlock on 40P01.
int DeadlockParticipant(Shared* s, int idx, int n, LockTag first, LockTag second) {
  settings::deadlock_timeout_ms = kDeadlockMs;
  if (LockAcquire(first, LockMode::kAccessExclusive) != LockResult::kAcquired) return 1;
  ++s->ready;
  if (!WaitUntil([s, n] { return s->ready.load() == n; })) return 2;
  const int64_t start = NowMs();
  try {
    if (LockAcquire(second, LockMode::kAccessExclusive) != LockResult::kAcquired) return 3;
    return 0;
  } catch (const Error& e) {
    s->elapsed_ms[idx] = NowMs() - start;
    if (e.sqlstate() != sqlstate::kTDeadlockDetected) return 4;
    if (e.message() != "deadlock detected" || e.hint() != "See server log for query details.") {
      return 5;
    }
    if (LockNumWaiters(second) != 0) return 6;  // left the queue before throwing
    std::strncpy(s->detail[idx], e.detail().c_str(), sizeof(s->detail[idx]) - 1);
    s->flag[idx] = 1;
    LockReleaseAll();  // the transaction aborts: the others proceed
    return kCodeDeadlock;
  }
}

void CheckDeadlockOutcome(Shared* s, const std::vector<pid_t>& pids) {
  const int n = static_cast<int>(pids.size());
  std::vector<int> codes;
  for (pid_t pid : pids) codes.push_back(WaitChild(pid));
  int victims = 0;
  for (int i = 0; i < n; ++i) {
    EXPECT_TRUE(codes[i] == 0 || codes[i] == kCodeDeadlock) << "child " << i << ": " << codes[i];
    if (codes[i] != kCodeDeadlock) continue;
    ++victims;
    // The detector runs only after deadlock_timeout, and soon after it.
    EXPECT_GE(s->elapsed_ms[i].load(), kDeadlockMs);
    EXPECT_LT(s->elapsed_ms[i].load(), kDeadlockMs + 5000);
    const std::string detail = s->detail[i];
    int lines = 1;
    for (char c : detail) lines += c == '\n';
    EXPECT_EQ(lines, n) << detail;
    const std::string first = "Process " + std::to_string(pids[i]) +
                              " waits for AccessExclusiveLock on relation " +
                              std::to_string((i + 1) % n + 1) +
                              " of database 1; blocked by process ";
    EXPECT_EQ(detail.rfind(first, 0), 0u) << detail;
    for (pid_t pid : pids) {
      EXPECT_NE(detail.find("blocked by process " + std::to_string(pid) + "."), std::string::npos)
          << detail;
    }
  }
  EXPECT_EQ(victims, 1);
}

TEST_F(LockTest, TwoProcessDeadlockHasExactlyOneVictim) {
  Shared* s = shared_;
  std::vector<pid_t> pids;
  for (int i = 0; i < 2; ++i) {
    pids.push_back(Child([s, i] {
      return DeadlockParticipant(s, i, 2, RelationLockTag(1, i + 1),
                                 RelationLockTag(1, (i + 1) % 2 + 1));
    }));
  }
  CheckDeadlockOutcome(s, pids);
  EXPECT_EQ(LockTableUsageNow().locks_in_use, 0);
}

TEST_F(LockTest, ThreeProcessCycleHasExactlyOneVictim) {
  Shared* s = shared_;
  std::vector<pid_t> pids;
  for (int i = 0; i < 3; ++i) {
    pids.push_back(Child([s, i] {
      return DeadlockParticipant(s, i, 3, RelationLockTag(1, i + 1),
                                 RelationLockTag(1, (i + 1) % 3 + 1));
    }));
  }
  CheckDeadlockOutcome(s, pids);
  EXPECT_EQ(LockTableUsageNow().locks_in_use, 0);
}

TEST_F(LockTest, LockUpgradeDeadlockOnTransactionTag) {
  // Both hold ShareLock on the transaction and then want ExclusiveLock: each waits for the
  // other's share lock. One is aborted; the other gets the upgrade.
  const LockTag tag = TransactionLockTag(742);
  Shared* s = shared_;
  std::vector<pid_t> pids;
  for (int i = 0; i < 2; ++i) {
    pids.push_back(Child([s, i, tag] {
      settings::deadlock_timeout_ms = kDeadlockMs;
      if (LockAcquire(tag, LockMode::kShare) != LockResult::kAcquired) return 1;
      ++s->ready;
      if (!WaitUntil([s] { return s->ready.load() == 2; })) return 2;
      try {
        if (LockAcquire(tag, LockMode::kExclusive) != LockResult::kAcquired) return 3;
        return LockHeldByMe(tag, LockMode::kShare) ? 0 : 4;
      } catch (const Error& e) {
        if (e.sqlstate() != sqlstate::kTDeadlockDetected) return 5;
        std::strncpy(s->detail[i], e.detail().c_str(), sizeof(s->detail[i]) - 1);
        LockReleaseAll();
        return kCodeDeadlock;
      }
    }));
  }
  const int a = WaitChild(pids[0]);
  const int b = WaitChild(pids[1]);
  EXPECT_TRUE((a == 0 && b == kCodeDeadlock) || (a == kCodeDeadlock && b == 0)) << a << " " << b;
  const int victim = a == kCodeDeadlock ? 0 : 1;
  const std::string expected = "Process " + std::to_string(pids[victim]) +
                               " waits for ExclusiveLock on transaction 742; blocked by process " +
                               std::to_string(pids[1 - victim]) + ".";
  EXPECT_EQ(std::string(shared_->detail[victim]).rfind(expected, 0), 0u) << shared_->detail[victim];
  EXPECT_EQ(LockTableUsageNow().locks_in_use, 0);
}

TEST_F(LockTest, WaitWithoutCycleIsNotADeadlock) {
  // A waits for the parent longer than deadlock_timeout: the detector runs and finds nothing.
  const LockTag tag = RelationLockTag(1, 80);
  ASSERT_EQ(LockAcquire(tag, LockMode::kExclusive), LockResult::kAcquired);
  Shared* s = shared_;
  const pid_t child = Child([s, tag] {
    settings::deadlock_timeout_ms = 50;
    if (LockAcquire(tag, LockMode::kShare) != LockResult::kAcquired) return 1;
    s->flag[0] = 1;
    return 0;
  });
  ASSERT_TRUE(WaitUntil([tag] { return LockNumWaiters(tag) == 1; }));
  testing::SleepMs(300);  // let the detector run (correctness does not depend on it)
  EXPECT_EQ(shared_->flag[0].load(), 0);
  ASSERT_TRUE(LockRelease(tag, LockMode::kExclusive));
  EXPECT_EQ(WaitChild(child), 0);
  EXPECT_EQ(shared_->flag[0].load(), 1);
}

TEST_F(LockTest, LockTimeoutCancelsTheWait) {
  const LockTag tag = TupleLockTag(1, 90, 3, 7);
  ASSERT_EQ(LockAcquire(tag, LockMode::kExclusive), LockResult::kAcquired);
  Shared* s = shared_;
  const pid_t child = Child([s, tag] {
    settings::deadlock_timeout_ms = 100'000;
    settings::lock_timeout_ms = 200;
    const int64_t start = NowMs();
    try {
      (void)LockAcquire(tag, LockMode::kShare);
      return 1;
    } catch (const Error& e) {
      s->elapsed_ms[0] = NowMs() - start;
      if (e.sqlstate() != sqlstate::kLockNotAvailable) return 2;
      if (e.message() != "canceling statement due to lock timeout") return 3;
      if (LockNumWaiters(tag) != 0 || LockHeldByMe(tag, LockMode::kShare)) return 4;
      return kCodeLockTimeout;
    }
  });
  EXPECT_EQ(WaitChild(child), kCodeLockTimeout);
  EXPECT_GE(shared_->elapsed_ms[0].load(), 200);
  EXPECT_EQ(LockTableUsageNow().locks_in_use, 1);
  EXPECT_EQ(LockTableUsageNow().proclocks_in_use, 1);
}

TEST_F(LockTest, StatementTimeoutEndsTheWait) {
  const LockTag tag = RelationLockTag(1, 4242);
  ASSERT_EQ(LockAcquire(tag, LockMode::kAccessExclusive), LockResult::kAcquired);
  const pid_t child = Child([tag] {
    InstallChildSignalHandlers();
    settings::deadlock_timeout_ms = 100'000;
    EnableStatementTimeout(200);
    try {
      (void)LockAcquire(tag, LockMode::kAccessShare);
      return 1;
    } catch (const Error& e) {
      if (e.sqlstate() != sqlstate::kQueryCanceled) return 2;
      if (e.message() != "canceling statement due to statement timeout") return 3;
      if (LockNumWaiters(tag) != 0 || LockHeldByMe(tag, LockMode::kAccessShare)) return 4;
      return kCodeCanceled;
    }
  });
  EXPECT_EQ(WaitChild(child), kCodeCanceled);
  EXPECT_EQ(LockTableUsageNow().proclocks_in_use, 1);
}

TEST_F(LockTest, CancelInterruptEndsTheWait) {
  const LockTag tag = ObjectLockTag(1, 1259, 12, 0);
  ASSERT_EQ(LockAcquire(tag, LockMode::kAccessExclusive), LockResult::kAcquired);
  const pid_t child = Child([tag] {
    InstallChildSignalHandlers();
    settings::deadlock_timeout_ms = 100'000;
    try {
      (void)LockAcquire(tag, LockMode::kAccessShare);
      return 1;
    } catch (const Error& e) {
      if (e.sqlstate() != sqlstate::kQueryCanceled) return 2;
      if (LockNumWaiters(tag) != 0) return 3;
      return kCodeCanceled;
    }
  });
  ASSERT_TRUE(WaitUntil([tag] { return LockNumWaiters(tag) == 1; }));
  ASSERT_EQ(kill(child, SIGINT), 0);
  EXPECT_EQ(WaitChild(child), kCodeCanceled);
  EXPECT_EQ(LockTableUsageNow().locks_in_use, 1);
  EXPECT_EQ(LockTableUsageNow().proclocks_in_use, 1);
}

TEST_F(LockTest, ReleaseAllReleasesEverything) {
  std::vector<LockTag> tags;
  for (uint32_t i = 0; i < 20; ++i) {
    tags.push_back(i % 2 == 0 ? RelationLockTag(1, 100 + i) : TransactionLockTag(1000 + i));
    const LockMode mode = Mode(static_cast<int>(i % 8) + 1);
    for (uint32_t k = 0; k <= i % 3; ++k) {
      ASSERT_EQ(LockAcquire(tags.back(), mode), LockResult::kAcquired);
    }
    ASSERT_EQ(LockAcquire(tags.back(), LockMode::kAccessShare), LockResult::kAcquired);
  }
  EXPECT_EQ(LockTableUsageNow().locks_in_use, 20);
  LockReleaseAll();
  EXPECT_EQ(LockTableUsageNow().locks_in_use, 0);
  EXPECT_EQ(LockTableUsageNow().proclocks_in_use, 0);
  for (const LockTag& tag : tags) EXPECT_FALSE(LockHeldByMe(tag, LockMode::kAccessShare));
  const pid_t child = Child([tags] {
    for (const LockTag& tag : tags) {
      if (LockAcquire(tag, LockMode::kAccessExclusive, true) != LockResult::kAcquired) return 1;
    }
    return 0;
  });
  EXPECT_EQ(WaitChild(child), 0);
  LockReleaseAll();  // none held: harmless
}

TEST_F(LockTest, ReleaseAllWakesWaiters) {
  const LockTag tag = RelationLockTag(1, 110);
  ASSERT_EQ(LockAcquire(tag, LockMode::kAccessExclusive), LockResult::kAcquired);
  ASSERT_EQ(LockAcquire(tag, LockMode::kAccessExclusive), LockResult::kAcquired);
  const pid_t child = Child([tag] {
    return LockAcquire(tag, LockMode::kRowExclusive) == LockResult::kAcquired ? 0 : 1;
  });
  ASSERT_TRUE(WaitUntil([tag] { return LockNumWaiters(tag) == 1; }));
  LockReleaseAll();
  EXPECT_EQ(WaitChild(child), 0);
}

TEST_F(LockTest, ExhaustedPoolThrowsOutOfSharedMemory) {
  const LockTableUsage usage = LockTableUsageNow();
  EXPECT_EQ(usage.lock_capacity, kMaxLocksPerTransaction * (kMaxBackends + kMaxAux));
  int acquired = 0;
  bool threw = false;
  try {
    for (uint32_t i = 0; i < static_cast<uint32_t>(usage.lock_capacity) + 10; ++i) {
      ASSERT_EQ(LockAcquire(RelationLockTag(2, i), LockMode::kAccessShare), LockResult::kAcquired);
      ++acquired;
    }
  } catch (const Error& e) {
    threw = true;
    EXPECT_EQ(e.sqlstate(), sqlstate::kOutOfMemory);
    EXPECT_EQ(e.message(), "out of shared memory");
    EXPECT_EQ(e.hint(), "You might need to increase max_locks_per_transaction.");
  }
  EXPECT_TRUE(threw);
  EXPECT_EQ(acquired, usage.lock_capacity);
  EXPECT_EQ(LockTableUsageNow().locks_in_use, usage.lock_capacity);
  // Re-acquiring a lock already held needs no new entry and still works.
  EXPECT_EQ(LockAcquire(RelationLockTag(2, 0), LockMode::kAccessShare), LockResult::kAcquired);
  LockReleaseAll();
  EXPECT_EQ(LockTableUsageNow().locks_in_use, 0);
  EXPECT_EQ(LockTableUsageNow().proclocks_in_use, 0);
  EXPECT_EQ(LockAcquire(RelationLockTag(2, 1), LockMode::kAccessShare), LockResult::kAcquired);
}

TEST_F(LockTest, ExhaustedProcLockPoolUndoesTheNewLockObject) {
  // Parent and child share C/2 locks: C/2 lock objects but C per-process entries. The
  // child's next request on a new tag finds a lock object but no entry: 53200, and the lock
  // object it created is freed again.
  const int capacity = LockTableUsageNow().proclock_capacity;
  const uint32_t half = static_cast<uint32_t>(capacity / 2);
  for (uint32_t i = 0; i < half; ++i) {
    ASSERT_EQ(LockAcquire(RelationLockTag(3, i), LockMode::kAccessShare), LockResult::kAcquired);
  }
  const pid_t child = Child([half, capacity] {
    for (uint32_t i = 0; i < half; ++i) {
      if (LockAcquire(RelationLockTag(3, i), LockMode::kAccessShare) != LockResult::kAcquired) {
        return 1;
      }
    }
    if (LockTableUsageNow().proclocks_in_use != capacity) return 2;
    try {
      (void)LockAcquire(RelationLockTag(3, half), LockMode::kAccessShare);
      return 3;
    } catch (const Error& e) {
      if (e.sqlstate() != sqlstate::kOutOfMemory || e.message() != "out of shared memory") return 4;
    }
    if (LockTableUsageNow().locks_in_use != static_cast<int>(half)) return 5;
    if (LockHeldByMe(RelationLockTag(3, half), LockMode::kAccessShare)) return 6;
    return 0;
  });
  EXPECT_EQ(WaitChild(child), 0);
  EXPECT_EQ(LockTableUsageNow().locks_in_use, static_cast<int>(half));
  EXPECT_EQ(LockTableUsageNow().proclocks_in_use, static_cast<int>(half));
}

}  // namespace
}  // namespace keel::storage
