// Tests of the statement timeout (I6): it fires once and turns into 57014 at the next check,
// wakes a latch wait, and a disarmed or expired-after-disable timer does nothing.
#include "backend/utils/init/interrupts.h"

#include <gtest/gtest.h>
#include <time.h>

#include "backend/utils/error/error.h"
#include "storage/ipc/latch.h"
#include "storage/ipc/process_context.h"

namespace keel {
namespace {

int64_t NowMs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1'000'000;
}

class StatementTimeoutTest : public ::testing::Test {
 protected:
  void SetUp() override {
    storage::InitProcessContext(storage::ProcessRole::kStandalone);
    InstallChildSignalHandlers();
  }
  void TearDown() override { DisableStatementTimeout(); }
};

TEST_F(StatementTimeoutTest, WakesALatchWaitAndThrows57014) {
  EnableStatementTimeout(100);
  int64_t start = NowMs();
  try {
    for (;;) {
      CheckForInterrupts();
      (void)storage::WaitLatch(storage::MyLatch(), storage::kWaitLatchSet | storage::kWaitTimeout,
                               30'000);
      storage::ResetLatch(storage::MyLatch());
    }
  } catch (const Error& e) {
    EXPECT_EQ(e.sqlstate(), sqlstate::kQueryCanceled);
    EXPECT_EQ(e.message(), "canceling statement due to statement timeout");
  }
  int64_t elapsed = NowMs() - start;
  EXPECT_GE(elapsed, 90);
  EXPECT_LT(elapsed, 20'000);  // woken by the timer, not by the 30 s wait timeout
  EXPECT_NO_THROW(CheckForInterrupts());  // one timeout, one error
}

TEST_F(StatementTimeoutTest, NotThrownWhenCancelIsNotAllowed) {
  EnableStatementTimeout(20);
  while (!Interrupts().statement_timeout) {
    (void)storage::WaitLatch(storage::MyLatch(), storage::kWaitLatchSet | storage::kWaitTimeout,
                             1000);
    storage::ResetLatch(storage::MyLatch());
  }
  EXPECT_NO_THROW(CheckForInterrupts(/*cancel_allowed=*/false));
  EXPECT_THROW(CheckForInterrupts(), Error);
}

TEST_F(StatementTimeoutTest, DisableDisarms) {
  EnableStatementTimeout(50);
  DisableStatementTimeout();
  (void)storage::WaitLatch(storage::MyLatch(), storage::kWaitTimeout, 200);
  EXPECT_NO_THROW(CheckForInterrupts());
  EnableStatementTimeout(0);  // zero: no timeout at all
  (void)storage::WaitLatch(storage::MyLatch(), storage::kWaitTimeout, 100);
  EXPECT_NO_THROW(CheckForInterrupts());
}

}  // namespace
}  // namespace keel
