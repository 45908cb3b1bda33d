// Process context tests: start-up resets inherited state, MyLatch() follows the proc slot,
// a child never uses its parent's latch. See storage/ipc/README.md.
#include "storage/ipc/process_context.h"

#include <unistd.h>

#include <gtest/gtest.h>

#include "storage/ipc/fork_test_util.h"
#include "storage/ipc/latch.h"
#include "storage/ipc/proc_array.h"
#include "storage/ipc/shmem.h"
#include "storage/lmgr/lwlock.h"

namespace keel::storage {
namespace {

using testing::WaitChild;

TEST(ProcessContextTest, InitSetsRolePidAndLatch) {
  InitProcessContext(ProcessRole::kPostmaster);
  ProcessContext& ctx = CurrentProcess();
  EXPECT_EQ(ctx.role, ProcessRole::kPostmaster);
  EXPECT_EQ(ctx.pid, static_cast<int32_t>(getpid()));
  EXPECT_EQ(ctx.proc, nullptr);
  EXPECT_EQ(ctx.latch, ProcessLocalLatch());
  EXPECT_EQ(MyLatch(), ProcessLocalLatch());
  EXPECT_EQ(MyLatch()->owner_pid.load(), static_cast<int32_t>(getpid()));
  EXPECT_STREQ(ProcessRoleName(ProcessRole::kCheckpointer), "checkpointer");
}

TEST(ProcessContextTest, ProcSlotLatchBecomesMyLatch) {
  ShmemCreate(ProcArrayShmemSize(2, 1));
  ProcArrayShmemInit(2, 1);
  InitProcessContext(ProcessRole::kBackend);
  ProcSlot* slot = ProcArrayAcquireBackendSlot(getpid(), 1);
  ASSERT_NE(slot, nullptr);
  // Acquiring the slot made it this process's.
  EXPECT_EQ(CurrentProcess().proc, slot);
  EXPECT_EQ(MyLatch(), &slot->latch);
  SetCurrentProcSlot(nullptr);
  EXPECT_EQ(MyLatch(), ProcessLocalLatch());
  SetCurrentProcSlot(slot);
  EXPECT_EQ(MyLatch(), &slot->latch);
  ProcArrayReleaseSlot(slot);
  EXPECT_EQ(CurrentProcess().proc, nullptr);
  EXPECT_EQ(MyLatch(), ProcessLocalLatch());
  ShmemDestroy();
}

TEST(ProcessContextTest, ChildStartsFresh) {
  ShmemCreate(1 << 16);
  bool found = false;
  auto* lock = static_cast<LwLock*>(ShmemInitStruct("lock", sizeof(LwLock), &found));
  lock->Init(lwtranche::kMain);
  InitProcessContext(ProcessRole::kPostmaster);
  lock->Acquire(LwLockMode::kShared);
  const int32_t parent = getpid();
  const pid_t child = fork();
  if (child == 0) {
    // Before start-up: MyLatch() must already be the child's own, not the parent's.
    int code = 0;
    if (MyLatch()->owner_pid.load() != static_cast<int32_t>(getpid())) code = 1;
    InitProcessContext(ProcessRole::kBackend);
    if (CurrentProcess().pid == parent || CurrentProcess().role != ProcessRole::kBackend) code = 2;
    if (NumHeldLwLocks() != 0 || lock->HeldByMe()) code = 3;
    _exit(code);
  }
  EXPECT_EQ(WaitChild(child), 0);
  EXPECT_TRUE(lock->HeldByMe());
  EXPECT_EQ(ProcessLocalLatch()->owner_pid.load(), parent);
  lock->Release();
  ShmemDestroy();
}

}  // namespace
}  // namespace keel::storage
