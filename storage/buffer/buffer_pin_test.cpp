// Pin tests: private vs shared refcounts (B1), leak cleanup (B2), the pin epoch (B13), the RAII
// owners, and the cleanup lock waiting for other processes' pins. See storage/buffer/README.md.
#include <gtest/gtest.h>

#include <atomic>

#include "backend/utils/error/error.h"
#include "storage/buffer/buffer_test_util.h"

namespace keel::storage {
namespace {

using namespace testing;  // NOLINT: test helpers
using bufpool::GetDesc;
using bufpool::RefCount;

uint32_t SharedRefCount(Buffer buffer) {
  return RefCount(GetDesc(buffer)->state.load(std::memory_order_relaxed));
}
int32_t PrivateRefCount(Buffer buffer) { return bufpool::local_pool.private_refcount[buffer - 1]; }

class BufferPinTest : public BufferPoolTest {};

TEST_F(BufferPinTest, PrivateAndSharedAccounting) {
  StartPool(16);
  const RelFileLocator rel = TestRel(16384);
  CreateTestRelation(rel, 4);

  const Buffer b = ReadBuffer(rel, ForkNumber::kMain, BlockNumber(2));
  EXPECT_TRUE(BufferIsPinnedByMe(b));
  EXPECT_EQ(PrivateRefCount(b), 1);
  EXPECT_EQ(SharedRefCount(b), 1u);
  // B1: the same process pinning again touches only its private count.
  EXPECT_EQ(ReadBuffer(rel, ForkNumber::kMain, BlockNumber(2)), b);
  IncrBufferRefCount(b);
  EXPECT_EQ(PrivateRefCount(b), 3);
  EXPECT_EQ(SharedRefCount(b), 1u);

  auto* child_pinned = SharedStruct<std::atomic<int>>("child pinned");
  auto* child_may_go = SharedStruct<std::atomic<int>>("child may go");
  const pid_t child = ForkBufferChild([&] {
    if (BufferIsPinnedByMe(b)) return 10;  // our pins are not the child's
    const Buffer mine = ReadBuffer(rel, ForkNumber::kMain, BlockNumber(2));
    if (mine != b) return 11;
    if (PagePayload(BufferGetPage(mine)) != 2) return 12;
    child_pinned->store(1);
    if (!WaitUntil([&] { return child_may_go->load() == 1; })) return 13;
    ReleaseBuffer(mine);
    return 0;
  });
  ASSERT_TRUE(WaitUntil([&] { return child_pinned->load() == 1; }));
  EXPECT_EQ(SharedRefCount(b), 2u);
  EXPECT_EQ(PrivateRefCount(b), 3);
  child_may_go->store(1);
  EXPECT_EQ(WaitChild(child), 0);
  EXPECT_EQ(SharedRefCount(b), 1u);

  ReleaseBuffer(b);
  ReleaseBuffer(b);
  EXPECT_TRUE(BufferIsPinnedByMe(b));
  EXPECT_EQ(SharedRefCount(b), 1u);
  ReleaseBuffer(b);
  EXPECT_FALSE(BufferIsPinnedByMe(b));
  EXPECT_EQ(SharedRefCount(b), 0u);
}

TEST_F(BufferPinTest, ReleaseAllBufferPinsCountsLeaks) {
  StartPool(16);
  const RelFileLocator rel = TestRel(16384);
  CreateTestRelation(rel, 4);
  EXPECT_EQ(ReleaseAllBufferPins(), 0);
  const Buffer b0 = ReadBuffer(rel, ForkNumber::kMain, BlockNumber(0));
  const Buffer b1 = ReadBuffer(rel, ForkNumber::kMain, BlockNumber(1));
  IncrBufferRefCount(b1);
  EXPECT_EQ(ReleaseAllBufferPins(), 3);
  EXPECT_FALSE(BufferIsPinnedByMe(b0));
  EXPECT_FALSE(BufferIsPinnedByMe(b1));
  EXPECT_EQ(SharedRefCount(b0), 0u);
  EXPECT_EQ(SharedRefCount(b1), 0u);
  EXPECT_EQ(ReleaseAllBufferPins(), 0);
}

// B13: the epoch moves exactly when pins are dropped wholesale, so a pin owner can tell that
// its pin is gone even when the same buffer is pinned again in this process.
TEST_F(BufferPinTest, PinEpochMarksWholesaleRelease) {
  StartPool(16);
  const RelFileLocator rel = TestRel(16384);
  CreateTestRelation(rel, 4);
  const uint64_t e0 = BufferPinEpoch();
  const Buffer b = ReadBuffer(rel, ForkNumber::kMain, BlockNumber(1));
  IncrBufferRefCount(b);
  ReleaseBuffer(b);
  EXPECT_EQ(BufferPinEpoch(), e0) << "ordinary pins and unpins leave it alone";
  EXPECT_EQ(ReleaseAllBufferPins(), 1);
  const uint64_t e1 = BufferPinEpoch();
  EXPECT_NE(e1, e0);
  // Another owner pins the same buffer: "pinned by me" again, but not by the old owner.
  EXPECT_EQ(ReadBuffer(rel, ForkNumber::kMain, BlockNumber(1)), b);
  EXPECT_TRUE(BufferIsPinnedByMe(b));
  EXPECT_EQ(BufferPinEpoch(), e1);
  ReleaseBuffer(b);
  EXPECT_EQ(ReleaseAllBufferPins(), 0);
  EXPECT_NE(BufferPinEpoch(), e1) << "also when nothing was pinned";
  // A child forgets the parent's pins: its epoch differs from the one it inherited.
  const uint64_t parent = BufferPinEpoch();
  auto* child_epoch = SharedStruct<std::atomic<uint64_t>>("child epoch");
  const pid_t child = ForkBufferChild([&] {
    child_epoch->store(BufferPinEpoch());
    return 0;
  });
  EXPECT_EQ(WaitChild(child), 0);
  EXPECT_NE(child_epoch->load(), parent);
  EXPECT_EQ(BufferPinEpoch(), parent);
}

TEST_F(BufferPinTest, RaiiOwners) {
  StartPool(16);
  const RelFileLocator rel = TestRel(16384);
  CreateTestRelation(rel, 2);
  Buffer b;
  {
    PinnedBuffer pin(ReadBuffer(rel, ForkNumber::kMain, BlockNumber(1)));
    b = pin.get();
    PinnedBuffer moved(std::move(pin));
    EXPECT_EQ(pin.get(), kInvalidBuffer);
    EXPECT_EQ(PrivateRefCount(b), 1);
    {
      BufferLockGuard lock(b, BufferLockMode::kExclusive);
      EXPECT_TRUE(GetDesc(b)->content_lock.HeldByMeInMode(LwLockMode::kExclusive));
    }
    EXPECT_FALSE(GetDesc(b)->content_lock.HeldByMe());
    PinnedBuffer other(ReadBuffer(rel, ForkNumber::kMain, BlockNumber(0)));
    const Buffer b0 = other.get();
    other = std::move(moved);  // releases block 0's pin, takes block 1's
    EXPECT_FALSE(BufferIsPinnedByMe(b0));
    EXPECT_EQ(PrivateRefCount(b), 1);
  }
  EXPECT_FALSE(BufferIsPinnedByMe(b));
  // A guard whose pin was already dropped by error cleanup does nothing.
  {
    PinnedBuffer pin(ReadBuffer(rel, ForkNumber::kMain, BlockNumber(1)));
    EXPECT_EQ(ReleaseAllBufferPins(), 1);
  }
  EXPECT_EQ(SharedRefCount(b), 0u);
}

TEST_F(BufferPinTest, CleanupLockWaitsForOtherPins) {
  StartPool(16);
  const RelFileLocator rel = TestRel(16384);
  CreateTestRelation(rel, 2);
  auto* child_pinned = SharedStruct<std::atomic<int>>("child pinned");
  auto* child_unpinning = SharedStruct<std::atomic<int>>("child unpinning");
  const pid_t child = ForkBufferChild([&] {
    const Buffer b = ReadBuffer(rel, ForkNumber::kMain, BlockNumber(1));
    child_pinned->store(1);
    // Keep the pin until the parent sleeps as the buffer's cleanup waiter.
    if (!WaitUntil([&] {
          return (GetDesc(b)->state.load() & bufpool::kPinCountWaiter) != 0;
        })) {
      return 20;
    }
    child_unpinning->store(1);
    ReleaseBuffer(b);
    return 0;
  });
  ASSERT_TRUE(WaitUntil([&] { return child_pinned->load() == 1; }));
  PinnedBuffer pin(ReadBuffer(rel, ForkNumber::kMain, BlockNumber(1)));
  EXPECT_EQ(SharedRefCount(pin.get()), 2u);
  LockBufferForCleanup(pin.get());
  EXPECT_EQ(child_unpinning->load(), 1) << "got the cleanup lock while another pin existed";
  EXPECT_EQ(SharedRefCount(pin.get()), 1u);
  EXPECT_TRUE(GetDesc(pin.get())->content_lock.HeldByMeInMode(LwLockMode::kExclusive));
  EXPECT_EQ(GetDesc(pin.get())->state.load() & bufpool::kPinCountWaiter, 0u);
  UnlockBuffer(pin.get());
  EXPECT_EQ(WaitChild(child), 0);

  // With our pin the only one, it is granted at once; two pins of ours are an error.
  LockBufferForCleanup(pin.get());
  UnlockBuffer(pin.get());
  IncrBufferRefCount(pin.get());
  EXPECT_THROW(LockBufferForCleanup(pin.get()), Error);
  ReleaseBuffer(pin.get());
}

TEST_F(BufferPinTest, ConditionalCleanupLockNeverWaits) {
  StartPool(16);
  const RelFileLocator rel = TestRel(16384);
  CreateTestRelation(rel, 2);
  auto* child_pinned = SharedStruct<std::atomic<int>>("child pinned");
  auto* release = SharedStruct<std::atomic<int>>("release");
  const pid_t child = ForkBufferChild([&] {
    const Buffer b = ReadBuffer(rel, ForkNumber::kMain, BlockNumber(0));
    child_pinned->store(1);
    if (!WaitUntil([&] { return release->load() == 1; })) return 20;
    ReleaseBuffer(b);
    return 0;
  });
  ASSERT_TRUE(WaitUntil([&] { return child_pinned->load() == 1; }));
  PinnedBuffer pin(ReadBuffer(rel, ForkNumber::kMain, BlockNumber(0)));
  EXPECT_FALSE(ConditionalLockBufferForCleanup(pin.get()));  // the child's pin
  EXPECT_FALSE(GetDesc(pin.get())->content_lock.HeldByMe());
  release->store(1);
  EXPECT_EQ(WaitChild(child), 0);
  ASSERT_TRUE(ConditionalLockBufferForCleanup(pin.get()));
  EXPECT_TRUE(GetDesc(pin.get())->content_lock.HeldByMeInMode(LwLockMode::kExclusive));
  UnlockBuffer(pin.get());
  // Our own second pin counts as another pin.
  IncrBufferRefCount(pin.get());
  EXPECT_FALSE(ConditionalLockBufferForCleanup(pin.get()));
  ReleaseBuffer(pin.get());
}

}  // namespace
}  // namespace keel::storage
