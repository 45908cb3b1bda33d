// Latch tests: set before wait, timeouts, wake-ups from other processes (also a ping-pong
// that would hang on a lost wake-up), sockets, SetLatch from signal handlers, ownership.
// Postmaster death is tested in postmaster_death_test.cpp. See storage/ipc/README.md.
#include "storage/ipc/latch.h"

#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>

#include <gtest/gtest.h>

#include "backend/utils/error/error.h"
#include "storage/ipc/fork_test_util.h"
#include "storage/ipc/process_context.h"
#include "storage/ipc/shmem.h"

namespace keel::storage {
namespace {

using testing::ForkChild;
using testing::NowMs;
using testing::WaitChild;
using testing::WaitUntil;

struct Shared {
  Latch latch_a;
  Latch latch_b;
  std::atomic<int> turn;
  std::atomic<int> ready;
  std::atomic<int> result;
};

class LatchTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ShmemCreate(1 << 16);
    InitProcessContext(ProcessRole::kStandalone);
    bool found = false;
    shared_ = static_cast<Shared*>(ShmemInitStruct("latch test", sizeof(Shared), &found));
    InitSharedLatch(&shared_->latch_a);
    InitSharedLatch(&shared_->latch_b);
  }
  void TearDown() override { ShmemDestroy(); }

  Shared* shared_ = nullptr;
};

TEST_F(LatchTest, SetBeforeWaitReturnsAtOnce) {
  Latch* latch = &shared_->latch_a;
  OwnLatch(latch);
  SetLatch(latch);
  SetLatch(latch);  // setting twice is the same as once
  EXPECT_EQ(WaitLatch(latch, kWaitLatchSet, 10'000), kWaitLatchSet);
  EXPECT_EQ(WaitLatch(latch, kWaitLatchSet, 10'000), kWaitLatchSet);  // stays set until reset
  ResetLatch(latch);
  EXPECT_EQ(WaitLatch(latch, kWaitLatchSet | kWaitTimeout, 0), kWaitTimeout);
  DisownLatch(latch);
}

TEST_F(LatchTest, TimeoutReturnsTimeout) {
  Latch* latch = &shared_->latch_a;
  OwnLatch(latch);
  const int64_t start = NowMs();
  EXPECT_EQ(WaitLatch(latch, kWaitLatchSet | kWaitTimeout, 100), kWaitTimeout);
  const int64_t elapsed = NowMs() - start;
  EXPECT_GE(elapsed, 100);
  EXPECT_LT(elapsed, 10'000);
  // No latch at all: a plain sleep.
  EXPECT_EQ(WaitLatch(nullptr, kWaitTimeout, 20), kWaitTimeout);
  DisownLatch(latch);
}

TEST_F(LatchTest, SetLatchFromAnotherProcessWakesTheSleeper) {
  Latch* latch = &shared_->latch_a;
  OwnLatch(latch);
  // The child sets the latch only once we are inside poll(), so the SIGURG path is taken.
  const pid_t child = ForkChild([&] {
    if (!WaitUntil([&] { return latch->maybe_sleeping.load() == 1; })) return 1;
    SetLatch(latch);
    return 0;
  });
  const int64_t start = NowMs();
  const int events = WaitLatch(latch, kWaitLatchSet, 30'000);
  EXPECT_EQ(events, kWaitLatchSet);
  EXPECT_LT(NowMs() - start, 30'000);
  EXPECT_EQ(WaitChild(child), 0);
  DisownLatch(latch);
}

TEST_F(LatchTest, PingPongLosesNoWakeUp) {
  constexpr int kRounds = 2000;
  Latch* parent_latch = &shared_->latch_a;
  Latch* child_latch = &shared_->latch_b;
  OwnLatch(parent_latch);
  // Waits on `mine` until turn == `want`; false on a 10 s stall (a lost wake-up).
  auto wait_turn = [](Shared* s, Latch* mine, int want) {
    for (;;) {
      ResetLatch(mine);
      if (s->turn.load() == want) return true;
      if ((WaitLatch(mine, kWaitLatchSet, 10'000) & kWaitTimeout) != 0) return false;
    }
  };
  const pid_t child = ForkChild([&] {
    OwnLatch(child_latch);
    shared_->ready.store(1);
    for (int i = 0; i < kRounds; ++i) {
      if (!wait_turn(shared_, child_latch, 1)) return 1;
      shared_->turn.store(0);
      SetLatch(parent_latch);
    }
    return 0;
  });
  ASSERT_TRUE(WaitUntil([&] { return shared_->ready.load() == 1; }));
  int completed = 0;
  for (int i = 0; i < kRounds; ++i) {
    shared_->turn.store(1);
    SetLatch(child_latch);
    if (!wait_turn(shared_, parent_latch, 0)) break;
    ++completed;
  }
  EXPECT_EQ(completed, kRounds);
  EXPECT_EQ(WaitChild(child), 0);
  DisownLatch(parent_latch);
}

TEST_F(LatchTest, SocketReadinessIsReported) {
  int fds[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
  Latch* latch = &shared_->latch_a;
  OwnLatch(latch);
  const int read_events = kWaitLatchSet | kWaitSocketReadable;
  EXPECT_EQ(WaitLatchOrSocket(latch, read_events, fds[0], 50), kWaitTimeout);
  EXPECT_EQ(WaitLatchOrSocket(latch, kWaitSocketWritable, fds[0], 10'000), kWaitSocketWritable);

  // Data written by another process while we sleep.
  const pid_t child = ForkChild([&] {
    if (!WaitUntil([&] { return latch->maybe_sleeping.load() == 1; })) return 1;
    return write(fds[1], "x", 1) == 1 ? 0 : 2;
  });
  EXPECT_EQ(WaitLatchOrSocket(latch, read_events, fds[0], 30'000), kWaitSocketReadable);
  EXPECT_EQ(WaitChild(child), 0);
  char byte;
  ASSERT_EQ(read(fds[0], &byte, 1), 1);
  EXPECT_EQ(WaitLatchOrSocket(latch, read_events, fds[0], 0), kWaitTimeout);

  // The latch and the socket together.
  SetLatch(latch);
  EXPECT_EQ(WaitLatchOrSocket(latch, read_events, fds[0], 10'000), kWaitLatchSet);
  ResetLatch(latch);

  // EOF counts as readable, so the caller's read() sees it.
  close(fds[1]);
  EXPECT_EQ(WaitLatchOrSocket(latch, read_events, fds[0], 10'000), kWaitSocketReadable);
  close(fds[0]);
  DisownLatch(latch);
}

void SetMyLatchHandler(int) { SetLatch(MyLatch()); }

TEST_F(LatchTest, SignalHandlerSetsTheProcessLocalLatch) {
  struct sigaction action = {}, old = {};
  action.sa_handler = SetMyLatchHandler;
  sigemptyset(&action.sa_mask);
  ASSERT_EQ(sigaction(SIGUSR1, &action, &old), 0);

  Latch* latch = MyLatch();
  EXPECT_EQ(latch, ProcessLocalLatch());
  ResetLatch(latch);
  raise(SIGUSR1);  // before the wait
  EXPECT_EQ(WaitLatch(latch, kWaitLatchSet, 10'000), kWaitLatchSet);
  ResetLatch(latch);

  // During the wait: a child signals us repeatedly until we report the wake-up (it cannot
  // see our process-local latch, so it cannot tell when we sleep).
  std::atomic<int>* woke = &shared_->result;
  const pid_t parent = getpid();
  const pid_t child = ForkChild([&] {
    const bool ok = WaitUntil([&] {
      kill(parent, SIGUSR1);
      testing::SleepMs(20);
      return woke->load() == 1;
    });
    return ok ? 0 : 1;
  });
  EXPECT_EQ(WaitLatch(latch, kWaitLatchSet, 30'000), kWaitLatchSet);
  woke->store(1);
  EXPECT_EQ(WaitChild(child), 0);
  ResetLatch(latch);
  sigaction(SIGUSR1, &old, nullptr);
}

TEST_F(LatchTest, SignalHandlerSetsOwnSharedLatchWhileSleeping) {
  Latch* latch = &shared_->latch_a;
  const pid_t child = ForkChild([&] {
    struct sigaction action = {};
    action.sa_handler = SetMyLatchHandler;
    sigemptyset(&action.sa_mask);
    sigaction(SIGUSR1, &action, nullptr);
    OwnLatch(latch);
    CurrentProcess().latch = latch;
    const int events = WaitLatch(latch, kWaitLatchSet, 30'000);
    return events == kWaitLatchSet ? 0 : 1;
  });
  // Signal only once the child sleeps in poll(): the handler must wake its own poll.
  ASSERT_TRUE(WaitUntil([&] { return latch->maybe_sleeping.load() == 1; }));
  kill(child, SIGUSR1);
  EXPECT_EQ(WaitChild(child), 0);
}

TEST_F(LatchTest, OwnershipRules) {
  Latch* latch = &shared_->latch_a;
  // Waiting on a latch this process does not own is an error.
  EXPECT_THROW((void)WaitLatch(latch, kWaitLatchSet, 0), keel::Error);
  OwnLatch(latch);
  EXPECT_EQ(latch->owner_pid.load(), static_cast<int32_t>(getpid()));
  // Another process cannot own it meanwhile.
  EXPECT_EXIT(OwnLatch(latch), ::testing::KilledBySignal(SIGABRT), "latch already owned by PID");
  DisownLatch(latch);
  EXPECT_EQ(latch->owner_pid.load(), 0);
  // Once disowned, another process can own and use it.
  const pid_t child = ForkChild([&] {
    OwnLatch(latch);
    SetLatch(latch);
    const int events = WaitLatch(latch, kWaitLatchSet, 10'000);
    DisownLatch(latch);
    return events == kWaitLatchSet ? 0 : 1;
  });
  EXPECT_EQ(WaitChild(child), 0);
}

TEST_F(LatchTest, SetLatchOnUnownedLatchOnlyMarksIt) {
  Latch* latch = &shared_->latch_b;
  SetLatch(latch);
  EXPECT_EQ(latch->is_set.load(), 1u);
  OwnLatch(latch);
  EXPECT_EQ(WaitLatch(latch, kWaitLatchSet, 10'000), kWaitLatchSet);
  DisownLatch(latch);
}

}  // namespace
}  // namespace keel::storage
