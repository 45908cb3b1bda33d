// Postmaster-death tests: a forked "postmaster" creates the pipe and forks a child; when the
// "postmaster" exits, the child's WaitLatch reports it (or exits with 1 if it did not ask).
// The test process makes itself a child subreaper so it can reap the orphaned grandchild.
// See storage/ipc/README.md.
#include "storage/ipc/postmaster_death.h"

#include <sys/prctl.h>

#include <atomic>

#include <gtest/gtest.h>

#include "storage/ipc/fork_test_util.h"
#include "storage/ipc/latch.h"
#include "storage/ipc/process_context.h"
#include "storage/ipc/shmem.h"

namespace keel::storage {
namespace {

using testing::ForkChild;
using testing::WaitChild;
using testing::WaitUntil;

struct Shared {
  std::atomic<int32_t> grandchild_pid;
  std::atomic<int> grandchild_waiting;
  std::atomic<int> grandchild_saw_alive;
};

class PostmasterDeathTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
    ShmemCreate(1 << 16);
    bool found = false;
    shared_ = static_cast<Shared*>(ShmemInitStruct("pm death", sizeof(Shared), &found));
  }
  void TearDown() override { ShmemDestroy(); }

  // Forks a "postmaster" that creates the pipe, forks a child running `child_fn` (its exit
  // code is the grandchild's), waits until that child is about to wait, and exits.
  // Returns the grandchild's exit code, reaped by this (subreaper) process.
  template <typename Fn>
  int RunOrphanedChild(Fn child_fn) {
    Shared* s = shared_;
    const pid_t postmaster = ForkChild(
        [s, child_fn] {
          CreatePostmasterDeathPipe();
          if (!PostmasterIsAlive() || !PostmasterDeathPipeIsOwnedByMe()) return 1;
          const pid_t child = ForkChild(
              [s, child_fn] {
                PostmasterChildClosePipe();
                if (PostmasterDeathPipeIsOwnedByMe() || PostmasterDeathFd() < 0) return 20;
                s->grandchild_saw_alive.store(PostmasterIsAlive() ? 1 : 0);
                return child_fn(s);
              },
              ProcessRole::kBackend);
          s->grandchild_pid.store(child);
          // Our own WaitLatch does not watch our own pipe: it simply times out.
          if (WaitLatch(MyLatch(), kWaitLatchSet | kWaitPostmasterDeath, 10) != kWaitTimeout) {
            return 2;
          }
          if (!WaitUntil([s] { return s->grandchild_waiting.load() == 1; })) return 3;
          return 0;  // the "postmaster" dies here
        },
        ProcessRole::kPostmaster);
    EXPECT_EQ(WaitChild(postmaster), 0);
    const pid_t grandchild = shared_->grandchild_pid.load();
    if (grandchild <= 0) return testing::kChildTimedOut;
    return WaitChild(grandchild);
  }

  Shared* shared_ = nullptr;
};

TEST_F(PostmasterDeathTest, WithoutAPipeThePostmasterCountsAsAlive) {
  EXPECT_EQ(PostmasterDeathFd(), -1);
  EXPECT_TRUE(PostmasterIsAlive());
  EXPECT_FALSE(PostmasterDeathPipeIsOwnedByMe());
}

TEST_F(PostmasterDeathTest, ChildWaitingForDeathSeesIt) {
  const int code = RunOrphanedChild([](Shared* s) {
    s->grandchild_waiting.store(1);
    const int events = WaitLatch(MyLatch(), kWaitLatchSet | kWaitPostmasterDeath, 30'000);
    if (events != kWaitPostmasterDeath) return 10;
    return PostmasterIsAlive() ? 11 : 0;
  });
  EXPECT_EQ(code, 0);
  EXPECT_EQ(shared_->grandchild_saw_alive.load(), 1);
}

TEST_F(PostmasterDeathTest, ChildNotAskingForDeathExitsWithOne) {
  const int code = RunOrphanedChild([](Shared* s) {
    s->grandchild_waiting.store(1);
    (void)WaitLatch(MyLatch(), kWaitLatchSet, 30'000);
    return 10;  // not reached: WaitLatch exits with _exit(1) when the postmaster dies
  });
  EXPECT_EQ(code, 1);
}

TEST_F(PostmasterDeathTest, SocketWaitAlsoNoticesDeath) {
  const int code = RunOrphanedChild([](Shared* s) {
    int fds[2];
    if (pipe(fds) != 0) return 12;
    s->grandchild_waiting.store(1);
    const int events =
        WaitLatchOrSocket(MyLatch(), kWaitSocketReadable | kWaitPostmasterDeath, fds[0], 30'000);
    return events == kWaitPostmasterDeath ? 0 : 10;
  });
  EXPECT_EQ(code, 0);
}

}  // namespace
}  // namespace keel::storage
