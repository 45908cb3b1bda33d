// Checkpoint and bgwriter tests: CheckpointBuffers writes exactly what was dirty at its start
// (B7), in batches with pace calls, and the bgwriter cleans ahead of the clock hand so
// backends find clean victims. See storage/buffer/README.md.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "storage/buffer/buffer_test_util.h"

namespace keel::storage {
namespace {

using namespace testing;  // NOLINT: test helpers

class BufferSyncTest : public BufferPoolTest {};

struct PaceLog {
  std::vector<double> progress;
  RelFileLocator late_rel;
  bool dirtied_late = false;
};

void RecordPace(double progress, void* arg) {
  auto* log = static_cast<PaceLog*>(arg);
  log->progress.push_back(progress);
  if (!log->dirtied_late) {
    // B7: a page dirtied after the checkpoint began belongs to the next checkpoint.
    log->dirtied_late = true;
    AddToPayload(log->late_rel, 0, 1);
  }
}

bool IsDirty(const RelFileLocator& rel, uint32_t block) {
  PinnedBuffer pin(ReadBuffer(rel, ForkNumber::kMain, BlockNumber(block)));
  return (bufpool::GetDesc(pin.get())->state.load() & bufpool::kDirty) != 0;
}

TEST_F(BufferSyncTest, CheckpointWritesEveryDirtyBufferAndPaces) {
  StartPool(256);
  const RelFileLocator a = TestRel(16384);
  const RelFileLocator b = TestRel(16385);
  const RelFileLocator late = TestRel(16386);
  CreateTestRelation(a, 70, 0);
  CreateTestRelation(b, 30, 500);
  CreateTestRelation(late, 1, 900);
  // Dirty in an order unlike the file order; the checkpoint sorts.
  for (uint32_t i = 0; i < 70; ++i) AddToPayload(a, (i * 37) % 70, 10);
  for (uint32_t i = 0; i < 30; ++i) AddToPayload(b, 29 - i, 10);
  EXPECT_EQ(ReadPayload(late, 0), 900u);  // cached, clean

  PaceLog log;
  log.late_rel = late;
  const BufferPoolStats before = GetBufferPoolStats();
  const CheckpointWriteStats written = CheckpointBuffers(/*immediate=*/false, &RecordPace, &log);
  EXPECT_EQ(written.buffers_written, 100u);
  const BufferPoolStats after = GetBufferPoolStats();
  EXPECT_EQ(after.writes_by_checkpoint - before.writes_by_checkpoint, 100u);
  EXPECT_EQ(after.writes - before.writes, 100u);
  for (uint32_t blk = 0; blk < 70; ++blk) ASSERT_EQ(FilePayload(a, blk), blk + 10);
  for (uint32_t blk = 0; blk < 30; ++blk) ASSERT_EQ(FilePayload(b, blk), 500 + blk + 10);

  // Paced between batches (at most 32 buffers of one file each): 70 -> 3, 30 -> 1.
  ASSERT_EQ(log.progress.size(), 4u);
  for (size_t i = 1; i < log.progress.size(); ++i) EXPECT_GT(log.progress[i], log.progress[i - 1]);
  EXPECT_DOUBLE_EQ(log.progress.back(), 1.0);
  EXPECT_TRUE(IsDirty(late, 0)) << "dirtied after the start: left for the next checkpoint";
  EXPECT_EQ(FilePayload(late, 0), 900u);
  EXPECT_FALSE(IsDirty(a, 3));

  // Immediate: no pacing; only the late page is left to write.
  log.progress.clear();
  EXPECT_EQ(CheckpointBuffers(/*immediate=*/true, &RecordPace, &log).buffers_written, 1u);
  EXPECT_TRUE(log.progress.empty());
  EXPECT_EQ(FilePayload(late, 0), 901u);
  EXPECT_EQ(CheckpointBuffers(true, nullptr, nullptr).buffers_written, 0u);
}

TEST_F(BufferSyncTest, CheckpointWhileOtherProcessesDirtyPages) {
  StartPool(64);
  const RelFileLocator rel = TestRel(16384);
  CreateTestRelation(rel, 128, 0);
  struct Shared {
    std::atomic<int> stop;
    std::atomic<uint64_t> increments[128];
  };
  auto* shared = SharedStruct<Shared>("shared");
  std::vector<pid_t> children;
  for (int p = 0; p < 2; ++p) {
    children.push_back(ForkBufferChild([&, p] {
      uint32_t x = 99u + static_cast<uint32_t>(p);
      while (shared->stop.load() == 0) {
        x = x * 1103515245u + 12345u;
        const uint32_t block = (x >> 8) % 128;
        AddToPayload(rel, block, 1);
        shared->increments[block].fetch_add(1);
      }
      return 0;
    }));
  }
  // Checkpoint over and over while the children work, until they did enough work.
  auto total = [&] {
    uint64_t sum = 0;
    for (auto& n : shared->increments) sum += n.load();
    return sum;
  };
  int checkpoints = 0;
  const int64_t deadline = NowMs() + 20'000;
  while ((total() < 20'000 || checkpoints < 20) && NowMs() < deadline) {
    (void)CheckpointBuffers(checkpoints % 2 == 0, nullptr, nullptr);
    ++checkpoints;
  }
  shared->stop.store(1);
  EXPECT_GE(total(), 1000u);
  for (pid_t c : children) EXPECT_EQ(WaitChild(c, 60'000), 0);
  (void)CheckpointBuffers(true, nullptr, nullptr);
  for (uint32_t b = 0; b < 128; ++b) {
    ASSERT_EQ(FilePayload(rel, b), b + shared->increments[b].load()) << "block " << b;
  }
}

TEST_F(BufferSyncTest, BackendsBgWriterAndCheckpointsTogetherLoseNothing) {
  // Every writer at once over a pool a third of the working set: backend victim writes,
  // bgwriter batches and checkpoint batches race for the same buffers (B6, B7).
  settings::bgwriter_lru_maxpages = 100;
  settings::bgwriter_lru_multiplier = 2.0;
  StartPool(16);
  constexpr uint32_t kBlocks = 48;
  const RelFileLocator rel = TestRel(16384);
  CreateTestRelation(rel, kBlocks, 0);
  struct Shared {
    std::atomic<int> stop;
    std::atomic<int> bgwriter_running;
    std::atomic<int> workers_done;
    std::atomic<uint64_t> increments[kBlocks];
  };
  auto* shared = SharedStruct<Shared>("shared");
  std::vector<pid_t> workers;
  for (int p = 0; p < 2; ++p) {
    workers.push_back(ForkBufferChild([&, p] {
      if (!WaitUntil([&] { return shared->bgwriter_running.load() == 1; })) return 41;
      uint32_t x = 7u + static_cast<uint32_t>(p);
      for (int i = 0; i < 5000; ++i) {
        x = x * 1103515245u + 12345u;
        const uint32_t block = (x >> 8) % kBlocks;
        AddToPayload(rel, block, 1);
        shared->increments[block].fetch_add(1);
      }
      shared->workers_done.fetch_add(1);
      return 0;
    }));
  }
  const pid_t bgwriter = ForkBufferChild([&] {
    shared->bgwriter_running.store(1);
    while (shared->stop.load() == 0) (void)BgWriterWriteAhead();
    return 0;
  });
  const int64_t deadline = NowMs() + 60'000;
  while (shared->workers_done.load() < 2 && NowMs() < deadline) {
    (void)CheckpointBuffers(false, nullptr, nullptr);
  }
  for (pid_t w : workers) EXPECT_EQ(WaitChild(w, 60'000), 0);
  shared->stop.store(1);
  EXPECT_EQ(WaitChild(bgwriter), 0);
  (void)CheckpointBuffers(true, nullptr, nullptr);
  for (uint32_t b = 0; b < kBlocks; ++b) {
    ASSERT_EQ(FilePayload(rel, b), b + shared->increments[b].load()) << "block " << b;
  }
  const BufferPoolStats stats = GetBufferPoolStats();
  // Which writer wrote how much depends on scheduling; that they all add up does not.
  RecordProperty("writes_by_bgwriter", std::to_string(stats.writes_by_bgwriter));
  EXPECT_EQ(stats.writes,
            stats.writes_by_backend + stats.writes_by_bgwriter + stats.writes_by_checkpoint);
}

TEST_F(BufferSyncTest, BgWriterCleansAheadOfTheHand) {
  settings::bgwriter_lru_maxpages = 100;
  settings::bgwriter_lru_multiplier = 2.0;
  settings::bgwriter_delay_ms = 200;
  StartPool(64);
  const RelFileLocator rel = TestRel(16384);
  CreateTestRelation(rel, 80, 0);
  for (uint32_t b = 0; b < 64; ++b) AddToPayload(rel, b, 1);  // fills the pool, all dirty
  (void)BgWriterWriteAhead();  // usage counts are all 1: nothing to clean yet
  // One more block: the hand sweeps a whole pass (usage 1 -> 0) and writes one victim.
  EXPECT_EQ(ReadPayload(rel, 64), 64u);
  BufferPoolStats stats = GetBufferPoolStats();
  EXPECT_EQ(stats.writes_by_backend, 1u);
  EXPECT_FALSE(BgWriterWriteAhead()) << "it had work to do";
  stats = GetBufferPoolStats();
  EXPECT_GE(stats.writes_by_bgwriter, 1u);
  const uint64_t cleaned = stats.writes_by_bgwriter;
  // The next victims were cleaned ahead: backends do not write them.
  for (uint32_t b = 65; b < 65 + std::min<uint64_t>(cleaned, 15); ++b) {
    EXPECT_EQ(ReadPayload(rel, b), b);
  }
  EXPECT_EQ(GetBufferPoolStats().writes_by_backend, 1u);
  // With nothing allocated and the pool gradually cleaned, it ends up idle (hibernates).
  bool idle = false;
  for (int round = 0; round < 1000 && !idle; ++round) idle = BgWriterWriteAhead();
  EXPECT_TRUE(idle);
  for (uint32_t b = 0; b < 64; ++b) ASSERT_EQ(ReadPayload(rel, b), b + 1);
}

}  // namespace
}  // namespace keel::storage
