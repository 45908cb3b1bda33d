// LwLock tests: TryAcquire semantics across processes, many processes hammering shared and
// exclusive mode, writer preference, sleeping waiters, the held list and ReleaseAllLwLocks.
// See storage/lmgr/README.md.
#include "storage/lmgr/lwlock.h"

#include <sys/resource.h>

#include <atomic>
#include <cstring>
#include <vector>

#include <gtest/gtest.h>

#include "backend/utils/error/error.h"
#include "storage/ipc/fork_test_util.h"
#include "storage/ipc/shmem.h"

namespace keel::storage {
namespace {

using testing::ForkChild;
using testing::WaitChild;
using testing::WaitUntil;

class LwLockTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ShmemCreate(1 << 20);
    LwLockResetAfterFork();
  }
  void TearDown() override {
    ReleaseAllLwLocks();
    ShmemDestroy();
  }

  template <typename T>
  T* Alloc(const char* name) {
    bool found = false;
    return static_cast<T*>(ShmemInitStruct(name, sizeof(T), &found));
  }
};

// Child exit codes: 1 = TryAcquire(shared) granted, 2 = TryAcquire(exclusive) granted.
int ProbeFromChild(LwLock* lock) {
  int code = 0;
  if (lock->TryAcquire(LwLockMode::kShared)) {
    code |= 1;
    lock->Release();
  }
  if (lock->TryAcquire(LwLockMode::kExclusive)) {
    code |= 2;
    lock->Release();
  }
  return code;
}

TEST_F(LwLockTest, TryAcquireSemantics) {
  auto* lock = Alloc<LwLock>("lock");
  lock->Init(lwtranche::kMain);

  EXPECT_EQ(WaitChild(ForkChild([&] { return ProbeFromChild(lock); })), 3);  // free

  ASSERT_TRUE(lock->TryAcquire(LwLockMode::kExclusive));
  EXPECT_TRUE(lock->HeldByMe());
  EXPECT_TRUE(lock->HeldByMeInMode(LwLockMode::kExclusive));
  EXPECT_FALSE(lock->HeldByMeInMode(LwLockMode::kShared));
  EXPECT_EQ(WaitChild(ForkChild([&] { return ProbeFromChild(lock); })), 0);
  lock->Release();
  EXPECT_FALSE(lock->HeldByMe());

  lock->Acquire(LwLockMode::kShared);
  EXPECT_TRUE(lock->HeldByMeInMode(LwLockMode::kShared));
  EXPECT_EQ(WaitChild(ForkChild([&] {
              // The child inherited our held list; process start-up forgot it.
              if (lock->HeldByMe()) return 10;
              return ProbeFromChild(lock);
            })),
            1);  // shared only
  lock->Release();
  EXPECT_EQ(NumHeldLwLocks(), 0);
}

struct Counters {
  LwLock lock;
  uint64_t a;  // a == b whenever the lock is not held exclusively
  uint64_t b;
  std::atomic<uint64_t> shared_checks;
  std::atomic<int> ready;  // start barrier, so that the processes really overlap
};

TEST_F(LwLockTest, ManyProcessesKeepTheInvariant) {
  constexpr int kProcesses = 6;
  constexpr int kIterations = 100'000;
  auto* shared = Alloc<Counters>("counters");
  shared->lock.Init(lwtranche::kMain);
  std::vector<pid_t> children;
  for (int p = 0; p < kProcesses; ++p) {
    children.push_back(ForkChild([&, p] {
      shared->ready.fetch_add(1);
      if (!WaitUntil([&] { return shared->ready.load() == kProcesses; })) return 3;
      for (int i = 0; i < kIterations; ++i) {
        if ((i + p) % 3 == 0) {
          LwLockGuard guard(&shared->lock, LwLockMode::kExclusive);
          volatile uint64_t* a = &shared->a;
          volatile uint64_t* b = &shared->b;
          *a = *a + 1;
          for (int spin = 0; spin < 20; ++spin) std::atomic_signal_fence(std::memory_order_seq_cst);
          *b = *b + 1;
        } else {
          LwLockGuard guard(&shared->lock, LwLockMode::kShared);
          volatile uint64_t* a = &shared->a;
          volatile uint64_t* b = &shared->b;
          const uint64_t seen_a = *a;
          for (int spin = 0; spin < 20; ++spin) std::atomic_signal_fence(std::memory_order_seq_cst);
          if (*b != seen_a) return 1;  // a writer ran while we held the lock shared
          shared->shared_checks.fetch_add(1, std::memory_order_relaxed);
        }
      }
      return NumHeldLwLocks() == 0 ? 0 : 2;
    }));
  }
  for (pid_t child : children) EXPECT_EQ(WaitChild(child, 120'000), 0);
  uint64_t expected = 0;
  for (int p = 0; p < kProcesses; ++p) {
    for (int i = 0; i < kIterations; ++i) expected += (i + p) % 3 == 0;
  }
  EXPECT_EQ(shared->a, expected);
  EXPECT_EQ(shared->b, expected);
  EXPECT_EQ(shared->shared_checks.load(), uint64_t{kProcesses} * kIterations - expected);
  // Nobody holds it or waits any more.
  EXPECT_EQ(shared->lock.state.load(), 0u);
}

struct WriterPreference {
  LwLock lock;
  std::atomic<int> writer_started;
  std::atomic<int> writer_done;
};

TEST_F(LwLockTest, WaitingWriterBlocksNewReaders) {
  auto* shared = Alloc<WriterPreference>("writer preference");
  shared->lock.Init(lwtranche::kMain);
  shared->lock.Acquire(LwLockMode::kShared);

  // Before any writer waits, new readers are admitted.
  EXPECT_EQ(WaitChild(ForkChild([&] { return ProbeFromChild(&shared->lock); })), 1);

  const pid_t writer = ForkChild([&] {
    shared->writer_started.store(1);
    shared->lock.Acquire(LwLockMode::kExclusive);
    shared->writer_done.store(1);
    shared->lock.Release();
    return 0;
  });
  ASSERT_TRUE(WaitUntil([&] { return shared->writer_started.load() == 1; }));
  // Once the writer sleeps, a new reader's TryAcquire fails although only readers hold it.
  const pid_t reader = ForkChild([&] {
    const bool blocked = WaitUntil(
        [&] {
          if (!shared->lock.TryAcquire(LwLockMode::kShared)) return true;
          shared->lock.Release();
          return false;
        },
        20'000);
    return blocked ? 0 : 1;
  });
  EXPECT_EQ(WaitChild(reader), 0);
  EXPECT_EQ(shared->writer_done.load(), 0);
  shared->lock.Release();
  EXPECT_EQ(WaitChild(writer), 0);
  EXPECT_EQ(shared->writer_done.load(), 1);
  EXPECT_EQ(shared->lock.state.load(), 0u);
}

struct SleepProbe {
  LwLock lock;
  std::atomic<int> waiting;
  std::atomic<int> released;
  std::atomic<int64_t> cpu_us;
};

int64_t CpuTimeUs() {
  rusage usage;
  getrusage(RUSAGE_SELF, &usage);
  return (usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) * 1'000'000LL + usage.ru_utime.tv_usec +
         usage.ru_stime.tv_usec;
}

TEST_F(LwLockTest, WaitersSleepInsteadOfSpinning) {
  auto* shared = Alloc<SleepProbe>("sleep probe");
  shared->lock.Init(lwtranche::kMain);
  shared->lock.Acquire(LwLockMode::kExclusive);
  const pid_t child = ForkChild([&] {
    const int64_t cpu_before = CpuTimeUs();
    shared->waiting.store(1);
    shared->lock.Acquire(LwLockMode::kShared);
    const bool waited = shared->released.load() == 1;
    shared->cpu_us.store(CpuTimeUs() - cpu_before);
    shared->lock.Release();
    return waited ? 0 : 1;
  });
  ASSERT_TRUE(WaitUntil([&] { return shared->waiting.load() == 1; }));
  testing::SleepMs(300);  // the child blocks in Acquire meanwhile
  shared->released.store(1);
  shared->lock.Release();
  EXPECT_EQ(WaitChild(child), 0);
  // A spinning waiter would have burnt most of the 300 ms; a sleeping one next to nothing.
  EXPECT_LT(shared->cpu_us.load(), 100'000);
}

TEST_F(LwLockTest, ReleaseAllLwLocksDropsEverything) {
  auto* locks = Alloc<LwLock[3]>("three locks");
  for (LwLock& lock : *locks) lock.Init(lwtranche::kBufferContent);
  (*locks)[0].Acquire(LwLockMode::kExclusive);
  (*locks)[1].Acquire(LwLockMode::kShared);
  ASSERT_TRUE((*locks)[2].TryAcquire(LwLockMode::kExclusive));
  EXPECT_EQ(NumHeldLwLocks(), 3);
  LwLockGuard guard = LwLockGuard::Adopt(&(*locks)[2]);

  ReleaseAllLwLocks();
  EXPECT_EQ(NumHeldLwLocks(), 0);
  for (LwLock& lock : *locks) {
    EXPECT_FALSE(lock.HeldByMe());
    EXPECT_EQ(lock.state.load(), 0u);
  }
  guard.Reset();  // already released by ReleaseAllLwLocks: harmless
  EXPECT_EQ(WaitChild(ForkChild([&] {
              int code = 0;
              for (LwLock& lock : *locks) code = code * 4 + ProbeFromChild(&lock);
              return code == 63 ? 0 : 1;
            })),
            0);
}

TEST_F(LwLockTest, GuardIsMoveOnlyAndReleasesOnce) {
  auto* lock = Alloc<LwLock>("lock");
  lock->Init(lwtranche::kMain);
  {
    LwLockGuard outer;
    {
      LwLockGuard inner(lock, LwLockMode::kExclusive);
      EXPECT_TRUE(inner.owns_lock());
      outer = std::move(inner);
      EXPECT_FALSE(inner.owns_lock());  // NOLINT(bugprone-use-after-move): checking the state
    }
    EXPECT_TRUE(lock->HeldByMe());
    LwLockGuard moved(std::move(outer));
    EXPECT_TRUE(lock->HeldByMe());
  }
  EXPECT_FALSE(lock->HeldByMe());
  EXPECT_EQ(lock->state.load(), 0u);
}

TEST_F(LwLockTest, TooManyLwLocksThrowsBeforeTouchingTheLock) {
  constexpr int kLocks = kMaxHeldLwLocks + 1;
  bool found = false;
  auto* locks =
      static_cast<LwLock*>(ShmemInitStruct("many locks", sizeof(LwLock) * kLocks, &found));
  for (int i = 0; i < kLocks; ++i) locks[i].Init(lwtranche::kMain);
  for (int i = 0; i < kMaxHeldLwLocks; ++i) locks[i].Acquire(LwLockMode::kShared);
  try {
    locks[kMaxHeldLwLocks].Acquire(LwLockMode::kExclusive);
    ADD_FAILURE() << "expected an error";
  } catch (const keel::Error& e) {
    EXPECT_EQ(e.sqlstate(), keel::sqlstate::kInternalError);
    EXPECT_STREQ(e.what(), "too many LWLocks taken");
  }
  EXPECT_THROW((void)locks[kMaxHeldLwLocks].TryAcquire(LwLockMode::kShared), keel::Error);
  EXPECT_EQ(locks[kMaxHeldLwLocks].state.load(), 0u);
  EXPECT_EQ(NumHeldLwLocks(), kMaxHeldLwLocks);
  ReleaseAllLwLocks();
  for (int i = 0; i < kLocks; ++i) EXPECT_EQ(locks[i].state.load(), 0u);
}

TEST_F(LwLockTest, ReleasingALockNotHeldPanics) {
  LwLock lock;
  lock.Init(lwtranche::kWalInsert);
  EXPECT_DEATH(lock.Release(), "lock WALInsert is not held");
}

TEST_F(LwLockTest, TrancheNames) {
  EXPECT_STREQ(LwLockTrancheName(lwtranche::kBufferContent), "BufferContent");
  EXPECT_STREQ(LwLockTrancheName(lwtranche::kProcArray), "ProcArray");
  EXPECT_STREQ(LwLockTrancheName(lwtranche::kFirstUserTranche + 5), "unknown");
  EXPECT_STREQ(LwLockTrancheName(60000), "unknown");
  LwLockRegisterTranche(lwtranche::kFirstUserTranche + 5, "MyExtension");
  EXPECT_STREQ(LwLockTrancheName(lwtranche::kFirstUserTranche + 5), "MyExtension");
}

}  // namespace
}  // namespace keel::storage
