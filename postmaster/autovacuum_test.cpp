// The postmaster's side of autovacuum takes no lock (AV2): with the launcher/worker lock held —
// as a process that died holding it would leave it — asking for start requests still returns.
#include "postmaster/autovacuum.h"

#include <gtest/gtest.h>

#include "storage/ipc/fork_test_util.h"
#include "storage/ipc/process_context.h"
#include "storage/ipc/shmem.h"

namespace keel::postmaster {
namespace {

#ifdef KEEL_DEBUG  // the lock is taken through a test-only hook
TEST(AutovacuumShmemTest, PostmasterNeverWaitsOnTheLock) {
  storage::InitProcessContext(storage::ProcessRole::kStandalone);
  storage::ShmemCreate(AutovacuumShmemSize(3) + (1 << 16));
  AutovacuumShmemInit(3);
  TestOnlyHoldAutovacuumLock(true);
  const pid_t child = storage::testing::ForkChild([] {
    return AutovacuumTakeStartRequest() == -1 ? 0 : 1;  // nothing requested, and no hang
  });
  EXPECT_EQ(storage::testing::WaitChild(child, 10'000), 0);
  TestOnlyHoldAutovacuumLock(false);
  storage::ShmemDestroy();
}
#endif

}  // namespace
}  // namespace keel::postmaster
