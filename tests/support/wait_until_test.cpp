// Tests for WaitUntil (README.md here, P6).
#include "tests/support/wait_until.h"

#include <gtest/gtest.h>

namespace keel::testing {
namespace {

TEST(WaitUntilTest, TrueOnceTheConditionHolds) {
  int calls = 0;
  EXPECT_TRUE(WaitUntil([&calls] { return ++calls == 5; }, 30, 1));
  EXPECT_EQ(calls, 5);
}

TEST(WaitUntilTest, FalseWhenItNeverHolds) {
  int calls = 0;
  EXPECT_FALSE(WaitUntil([&calls] { ++calls; return false; }, 1, 50));
  EXPECT_GE(calls, 2);  // polled during the second, plus the final call
}

TEST(WaitUntilTest, ChecksOnceMoreAtTheDeadline) {
  int calls = 0;
  EXPECT_TRUE(WaitUntil([&calls] { return ++calls >= 1; }, 0));  // P6
  EXPECT_EQ(calls, 1);
}

}  // namespace
}  // namespace keel::testing
