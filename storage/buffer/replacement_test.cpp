// Replacement tests: the clock sweep keeps often-used pages (usage counts, capped at 5), and
// strategy rings recycle a few buffers instead of evicting the whole pool, including the bulk
// read rule for dirty ring buffers that would need a WAL flush. See storage/buffer/README.md
// (B8, B10).
#include <gtest/gtest.h>

#include "storage/buffer/buffer_test_util.h"
#include "storage/buffer/replacement_internal.h"

namespace keel::storage {
namespace {

using namespace testing;  // NOLINT: test helpers

class ReplacementTest : public BufferPoolTest {};

int BuffersHolding(const RelFileLocator& rel) {
  int n = 0;
  for (int i = 0; i < NBuffers(); ++i) {
    const bufpool::BufferDesc& desc = bufpool::shared_pool.descs[i];
    if ((desc.state.load() & bufpool::kTagValid) != 0 && desc.tag.rel == rel) ++n;
  }
  return n;
}

uint32_t UsageOf(const RelFileLocator& rel, uint32_t block) {
  PinnedBuffer pin(ReadBuffer(rel, ForkNumber::kMain, BlockNumber(block)));
  return bufpool::UsageCount(bufpool::GetDesc(pin.get())->state.load());
}

TEST_F(ReplacementTest, UsageCountsProtectHotPages) {
  StartPool(16);
  const RelFileLocator hot = TestRel(16384);
  const RelFileLocator stream = TestRel(16385);
  CreateTestRelation(hot, 1, 7);
  CreateTestRelation(stream, 20);
  for (int i = 0; i < 10; ++i) EXPECT_EQ(ReadPayload(hot, 0), 7u);
  EXPECT_EQ(UsageOf(hot, 0), bufpool::kMaxUsageCount) << "capped at 5";
  for (uint32_t b = 0; b < 20; ++b) EXPECT_EQ(ReadPayload(stream, b), b);
  const uint64_t reads = GetBufferPoolStats().reads;
  EXPECT_EQ(ReadPayload(hot, 0), 7u);
  EXPECT_EQ(GetBufferPoolStats().reads, reads) << "the hot page was evicted by a short stream";
  EXPECT_EQ(GetAccessStrategy(StrategyKind::kNormal), nullptr);
}

TEST_F(ReplacementTest, BulkReadRingDoesNotEvictThePool) {
  StartPool(64);
  const RelFileLocator hot = TestRel(16384);
  const RelFileLocator big = TestRel(16385);
  CreateTestRelation(hot, 20, 1000);
  CreateTestRelation(big, 200);
  for (uint32_t b = 0; b < 20; ++b) EXPECT_EQ(ReadPayload(hot, b), 1000 + b);

  BufferAccessStrategy* ring = GetAccessStrategy(StrategyKind::kBulkRead);
  ASSERT_NE(ring, nullptr);
  EXPECT_EQ(ring->ring_size(), 8) << "256 kB, capped at 1/8 of the pool";
  for (uint32_t b = 0; b < 200; ++b) {
    PinnedBuffer pin(ReadBuffer(big, ForkNumber::kMain, BlockNumber(b), ReadMode::kNormal, ring));
    BufferLockGuard lock(pin.get(), BufferLockMode::kShare);
    ASSERT_EQ(PagePayload(BufferGetPage(pin.get())), b);
  }
  FreeAccessStrategy(ring);
  EXPECT_LE(BuffersHolding(big), 8);
  const uint64_t reads = GetBufferPoolStats().reads;
  for (uint32_t b = 0; b < 20; ++b) EXPECT_EQ(ReadPayload(hot, b), 1000 + b);
  EXPECT_EQ(GetBufferPoolStats().reads, reads) << "the scan evicted cached pages";
}

TEST_F(ReplacementTest, BulkWriteRingWritesItsOwnBuffers) {
  StartPool(64);
  const RelFileLocator hot = TestRel(16384);
  const RelFileLocator big = TestRel(16385);
  CreateTestRelation(hot, 20, 1000);
  CreateTestRelation(big, 100);
  for (uint32_t b = 0; b < 20; ++b) EXPECT_EQ(ReadPayload(hot, b), 1000 + b);
  BufferAccessStrategy* ring = GetAccessStrategy(StrategyKind::kBulkWrite);
  for (uint32_t b = 0; b < 100; ++b) AddToPayload(big, b, 5, ring);
  FreeAccessStrategy(ring);
  EXPECT_LE(BuffersHolding(big), 8);
  EXPECT_GE(GetBufferPoolStats().writes, 92u) << "reusing a dirty ring buffer writes it";
  const uint64_t reads = GetBufferPoolStats().reads;
  for (uint32_t b = 0; b < 20; ++b) EXPECT_EQ(ReadPayload(hot, b), 1000 + b);
  EXPECT_EQ(GetBufferPoolStats().reads, reads);
  for (uint32_t b = 0; b < 100; ++b) ASSERT_EQ(ReadPayload(big, b), b + 5);
}

bool WalAlwaysFlushed(Lsn) { return false; }

// Dirties each page read through the ring and gives it an LSN (as a hint-bit change that was
// WAL-logged would).
void ScanDirtying(const RelFileLocator& rel, uint32_t n_blocks) {
  BufferAccessStrategy* ring = GetAccessStrategy(StrategyKind::kBulkRead);
  for (uint32_t b = 0; b < n_blocks; ++b) {
    PinnedBuffer pin(ReadBuffer(rel, ForkNumber::kMain, BlockNumber(b), ReadMode::kNormal, ring));
    BufferLockGuard lock(pin.get(), BufferLockMode::kExclusive);
    PageSetLsn(BufferGetPage(pin.get()), Lsn(100 + b));
    MarkBufferDirty(pin.get());
  }
  FreeAccessStrategy(ring);
}

TEST_F(ReplacementTest, BulkReadSkipsDirtyRingBuffersThatNeedWalFlush) {
  StartPool(64);
  const RelFileLocator big = TestRel(16385);
  CreateTestRelation(big, 40);
  // Unknown WAL state: every dirty ring buffer counts as needing a flush, so the ring keeps
  // taking fresh buffers from the clock instead of writing its own.
  ScanDirtying(big, 40);
  EXPECT_EQ(BuffersHolding(big), 40);
  EXPECT_EQ(GetBufferPoolStats().writes, 0u);

  DropRelationAllBuffers(big);
  SetWalNeedsFlushFunction(&WalAlwaysFlushed);
  ScanDirtying(big, 40);
  EXPECT_LE(BuffersHolding(big), 8) << "WAL is flushed: the ring reuses (writes) its buffers";
  EXPECT_GE(GetBufferPoolStats().writes, 32u);
  SetWalNeedsFlushFunction(nullptr);
}

}  // namespace
}  // namespace keel::storage
