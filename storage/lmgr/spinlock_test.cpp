// SpinLock tests: semantics in one process, mutual exclusion across forked processes over
// the shared-memory region, the stuck-lock PANIC. See storage/lmgr/README.md.
#include "storage/lmgr/spinlock.h"

#include <gtest/gtest.h>

#include <vector>

#include "storage/ipc/fork_test_util.h"
#include "storage/ipc/shmem.h"

namespace keel::storage {
namespace {

using testing::ForkChild;
using testing::WaitChild;

class SpinLockTest : public ::testing::Test {
 protected:
  void SetUp() override { ShmemCreate(1 << 20); }
  void TearDown() override { ShmemDestroy(); }
};

TEST_F(SpinLockTest, ZeroBytesAreAnUnlockedLock) {
  bool found = false;
  auto* lock = static_cast<SpinLock*>(ShmemInitStruct("lock", sizeof(SpinLock), &found));
  ASSERT_FALSE(found);
  EXPECT_FALSE(lock->IsLocked());
  EXPECT_TRUE(lock->TryLock());
  lock->Unlock();
}

TEST_F(SpinLockTest, TryLockFailsWhileHeld) {
  SpinLock lock;
  lock.Init();
  EXPECT_FALSE(lock.IsLocked());
  ASSERT_TRUE(lock.TryLock());
  EXPECT_TRUE(lock.IsLocked());
  EXPECT_FALSE(lock.TryLock());
  lock.Unlock();
  EXPECT_FALSE(lock.IsLocked());
  lock.Lock();
  EXPECT_FALSE(lock.TryLock());
  lock.Unlock();
  {
    SpinLockGuard guard(&lock);
    EXPECT_TRUE(lock.IsLocked());
  }
  EXPECT_FALSE(lock.IsLocked());
}

TEST_F(SpinLockTest, TryLockFromAnotherProcessSeesTheHolder) {
  bool found = false;
  auto* lock = static_cast<SpinLock*>(ShmemInitStruct("lock", sizeof(SpinLock), &found));
  lock->Lock();
  pid_t child = ForkChild([&] { return lock->TryLock() ? 1 : 0; });
  EXPECT_EQ(WaitChild(child), 0);
  lock->Unlock();
  child = ForkChild([&] {
    if (!lock->TryLock()) return 1;
    lock->Unlock();
    return 0;
  });
  EXPECT_EQ(WaitChild(child), 0);
}

struct SharedCounter {
  SpinLock lock;
  uint64_t counter;  // deliberately not atomic: only the lock makes the increments exact
  std::atomic<int> ready;  // start barrier, so that the processes really overlap
};

TEST_F(SpinLockTest, MutualExclusionAcrossProcesses) {
  constexpr int kProcesses = 4;
  constexpr int kIncrements = 200'000;
  bool found = false;
  auto* shared =
      static_cast<SharedCounter*>(ShmemInitStruct("counter", sizeof(SharedCounter), &found));
  shared->lock.Init();
  std::vector<pid_t> children;
  for (int p = 0; p < kProcesses; ++p) {
    children.push_back(ForkChild([&] {
      shared->ready.fetch_add(1);
      while (shared->ready.load() < kProcesses) {
      }
      for (int i = 0; i < kIncrements; ++i) {
        SpinLockGuard guard(&shared->lock);
        // Read and write separately through volatile: a lost update shows if the lock fails.
        volatile uint64_t* counter = &shared->counter;
        const uint64_t value = *counter;
        *counter = value + 1;
      }
      return 0;
    }));
  }
  for (pid_t child : children) EXPECT_EQ(WaitChild(child, 60'000), 0);
  EXPECT_EQ(shared->counter, static_cast<uint64_t>(kProcesses) * kIncrements);
  EXPECT_FALSE(shared->lock.IsLocked());
}

TEST_F(SpinLockTest, WaiterGetsTheLockAfterTheHolderSleeps) {
  // The holder keeps the lock long enough that the waiter reaches its sleeping backoff.
  bool found = false;
  auto* shared =
      static_cast<SharedCounter*>(ShmemInitStruct("counter", sizeof(SharedCounter), &found));
  shared->lock.Lock();
  pid_t child = ForkChild([&] {
    shared->lock.Lock();
    const uint64_t seen = shared->counter;
    shared->lock.Unlock();
    return seen == 42 ? 0 : 1;
  });
  testing::SleepMs(50);
  shared->counter = 42;
  shared->lock.Unlock();
  EXPECT_EQ(WaitChild(child), 0);
}

#ifdef KEEL_DEBUG
TEST_F(SpinLockTest, StuckSpinlockPanics) {
  SpinLock lock;
  lock.Init();
  lock.Lock();  // never released: the death-test child finds it held
  EXPECT_DEATH(
      {
        TestOnlySetSpinLockStuckTimeoutMs(200);
        lock.Lock();
      },
      "stuck spinlock detected");
  lock.Unlock();
}
#endif

}  // namespace
}  // namespace keel::storage
