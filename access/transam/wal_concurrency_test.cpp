// Many processes inserting and flushing at once (README.md W10-W17): every record is read back
// exactly once and in an order consistent with each inserter's own order; group commit uses
// fewer fsyncs than commits; the WAL writer's round and asynchronous targets; the max_wal_size
// trigger.
#include <gtest/gtest.h>

#include <atomic>
#include <cstring>
#include <map>
#include <new>
#include <vector>

#include "access/transam/wal.h"
#include "access/transam/wal_reader.h"
#include "access/transam/wal_record.h"
#include "access/transam/wal_test_util.h"
#include "backend/utils/config/settings.h"
#include "storage/ipc/fork_test_util.h"
#include "storage/ipc/latch.h"
#include "storage/ipc/shmem.h"

namespace keel::transam {
namespace {

using namespace testing;  // NOLINT
using storage::testing::ForkChild;
using storage::testing::SleepMs;
using storage::testing::WaitChild;

constexpr int kProcs = 8;
constexpr int kPerProc = 250;

struct InsertResults {
  std::atomic<uint32_t> go;
  std::atomic<uint64_t> ends[kProcs][kPerProc];
};

// Record (p, s): an 8-byte tag then a pattern; sizes mix small, page-spanning and records
// larger than all the WAL buffers together (which must then be written while being copied).
size_t RecordSize(int p, int s) {
  if (s % 50 == 7) return 100000;
  if (s % 10 == 3) return 9000 + static_cast<size_t>(p) * 1000;
  return 16 + static_cast<size_t>((p * 7919 + s * 104729) % 2000);
}

std::vector<std::byte> RecordData(int p, int s) {
  std::vector<std::byte> data = Pattern(RecordSize(p, s), static_cast<uint32_t>(p * 100000 + s));
  const uint32_t tag[2] = {static_cast<uint32_t>(p), static_cast<uint32_t>(s)};
  std::memcpy(data.data(), tag, sizeof(tag));
  return data;
}

void WaitForGo(const std::atomic<uint32_t>& go) {
  while (go.load(std::memory_order_acquire) == 0) SleepMs(1);
}

TEST(WalConcurrencyTest, EightInsertersEveryRecordExactlyOnceInOrder) {
  settings::fsync = false;
  WalTestCluster cluster(/*wal_buffers=*/8, sizeof(InsertResults) + 4096);
  cluster.StartFresh();
  bool found = false;
  auto* results =
      new (storage::ShmemInitStruct("test results", sizeof(InsertResults), &found)) InsertResults{};
  std::vector<pid_t> pids;
  for (int p = 0; p < kProcs; ++p) {
    pids.push_back(ForkChild([results, p] {
      WaitForGo(results->go);
      Lsn end;
      for (int s = 0; s < kPerProc; ++s) {
        end = InsertTestRecord(RecordData(p, s), 0, TransactionId(static_cast<uint64_t>(p + 3)));
        results->ends[p][s].store(end.value());
        if (s % 25 == 0) WalFlush(end);
      }
      WalFlush(end);
      return WalFlushPosition() >= end ? 0 : 1;
    }));
  }
  results->go.store(1, std::memory_order_release);
  for (pid_t pid : pids) EXPECT_EQ(WaitChild(pid, 120'000), 0);

  const ReadResult r = ReadAll();
  EXPECT_EQ(r.error, "invalid record length at " + LsnToString(r.end) + ": wanted 28, got 0");
  ASSERT_EQ(r.records.size(), static_cast<size_t>(kProcs * kPerProc));
  std::vector<std::vector<int>> seen(kProcs, std::vector<int>(kPerProc, 0));
  std::vector<int> last_seq(kProcs, -1);
  for (const DecodedRecord& rec : r.records) {
    uint32_t tag[2];
    ASSERT_GE(rec.main_data.size(), sizeof(tag));
    std::memcpy(tag, rec.main_data.data(), sizeof(tag));
    const int p = static_cast<int>(tag[0]);
    const int s = static_cast<int>(tag[1]);
    ASSERT_LT(p, kProcs);
    ASSERT_LT(s, kPerProc);
    ++seen[p][s];
    EXPECT_TRUE(rec.main_data == RecordData(p, s)) << p << "/" << s;
    EXPECT_EQ(rec.xid, TransactionId(static_cast<uint64_t>(p + 3)));
    // The LSN the inserter got back is where the reader found the record's end.
    EXPECT_EQ(rec.end_lsn.value(), results->ends[p][s].load());
    // Each process's records appear in the order it inserted them.
    EXPECT_EQ(s, last_seq[p] + 1);
    last_seq[p] = s;
  }
  for (int p = 0; p < kProcs; ++p) {
    for (int s = 0; s < kPerProc; ++s) ASSERT_EQ(seen[p][s], 1) << p << "/" << s;
  }
  EXPECT_EQ(GetWalStats().records, static_cast<uint64_t>(kProcs * kPerProc));
}

TEST(WalConcurrencyTest, RecordsLargerThanTheBuffersFromManyProcesses) {
  // Four WAL buffers (32 KiB) and 30-70 KiB records: every insertion has to get its own and
  // others' pages written while it copies (W13), with flushers in between.
  settings::fsync = false;
  constexpr int kProcsHere = 8;
  constexpr int kRecords = 60;
  WalTestCluster cluster(/*wal_buffers=*/4, sizeof(InsertResults) + 4096);
  cluster.StartFresh();
  bool found = false;
  auto* results =
      new (storage::ShmemInitStruct("test results", sizeof(InsertResults), &found)) InsertResults{};
  std::vector<pid_t> pids;
  for (int p = 0; p < kProcsHere; ++p) {
    pids.push_back(ForkChild([results, p] {
      WaitForGo(results->go);
      for (int s = 0; s < kRecords; ++s) {
        const size_t size = 30000 + static_cast<size_t>((p * 31 + s * 17) % 40) * 1000;
        const Lsn end = InsertTestRecord(Pattern(size, static_cast<uint32_t>(p * 1000 + s)));
        if (s % 3 == 0) WalFlush(end);
      }
      return 0;
    }));
  }
  results->go.store(1, std::memory_order_release);
  for (pid_t pid : pids) EXPECT_EQ(WaitChild(pid, 120'000), 0);
  WalFlush(WalInsertPosition());
  const ReadResult r = ReadAll();
  ASSERT_EQ(r.records.size(), static_cast<size_t>(kProcsHere * kRecords)) << r.error;
  std::map<uint32_t, int> seen;
  for (const DecodedRecord& rec : r.records) {
    bool matched = false;
    for (int p = 0; p < kProcsHere && !matched; ++p) {
      for (int s = 0; s < kRecords && !matched; ++s) {
        const size_t size = 30000 + static_cast<size_t>((p * 31 + s * 17) % 40) * 1000;
        if (rec.main_data.size() == size &&
            rec.main_data == Pattern(size, static_cast<uint32_t>(p * 1000 + s))) {
          ++seen[static_cast<uint32_t>(p * 1000 + s)];
          matched = true;
        }
      }
    }
    EXPECT_TRUE(matched) << LsnToString(rec.lsn);
  }
  EXPECT_EQ(seen.size(), static_cast<size_t>(kProcsHere * kRecords));
}

constexpr int kCommitters = 16;
constexpr int kCommitsEach = 25;

struct CommitResults {
  std::atomic<uint32_t> go;
};

TEST(WalConcurrencyTest, GroupCommitUsesFewerFsyncsThanCommits) {
  settings::fsync = true;
  settings::wal_sync_method = settings::WalSyncMethod::kFdatasync;
  WalTestCluster cluster(/*wal_buffers=*/16, sizeof(CommitResults) + 4096);
  cluster.StartFresh();
  bool found = false;
  auto* shared =
      new (storage::ShmemInitStruct("commit results", sizeof(CommitResults), &found)) CommitResults{};
  WalCreateSegment(".", 1, 1);  // as the first start of a cluster does
  std::vector<pid_t> pids;
  for (int c = 0; c < kCommitters; ++c) {
    pids.push_back(ForkChild([shared, c] {
      WaitForGo(shared->go);
      for (int i = 0; i < kCommitsEach; ++i) {
        const Lsn end = InsertTestRecord(Pattern(100, static_cast<uint32_t>(c * 1000 + i)));
        WalFlush(end);
        if (WalFlushPosition() < end) return 1;  // a commit returned before being durable
      }
      return 0;
    }));
  }
  shared->go.store(1, std::memory_order_release);
  for (pid_t pid : pids) EXPECT_EQ(WaitChild(pid, 120'000), 0);
  const WalStats stats = GetWalStats();
  constexpr uint64_t kCommits = kCommitters * kCommitsEach;
  EXPECT_EQ(stats.records, kCommits);
  EXPECT_GE(stats.syncs, 1u);
  EXPECT_LT(stats.syncs, kCommits);
  EXPECT_LT(stats.flushes_done, kCommits);
  EXPECT_EQ(ReadAll().records.size(), kCommits);
}

TEST(WalConcurrencyTest, BackgroundFlushWritesFullPagesAndAsyncTargets) {
  settings::fsync = false;
  settings::wal_writer_flush_after_pages = 1000;
  WalTestCluster cluster(/*wal_buffers=*/16, 4096);
  cluster.StartFresh();
  bool found = false;
  auto* latch = static_cast<storage::Latch*>(
      storage::ShmemInitStruct("walwriter latch", sizeof(storage::Latch), &found));
  storage::InitSharedLatch(latch);
  storage::OwnLatch(latch);
  WalSetWalWriterLatch(latch);

  EXPECT_TRUE(WalBackgroundFlush());  // nothing inserted: nothing to do
  // Half a page: not a full page, no async target: still nothing to do.
  const Lsn small = InsertTestRecord(Pattern(3000, 1));
  EXPECT_TRUE(WalBackgroundFlush());
  EXPECT_LT(WalWritePosition(), small);
  // Three pages: the full pages are written, not flushed (flush_after not reached).
  const Lsn big = InsertTestRecord(Pattern(20000, 2));
  EXPECT_FALSE(WalBackgroundFlush());
  EXPECT_EQ(WalWritePosition().value(), big.value() - big.value() % kWalPageSize);
  EXPECT_LT(WalFlushPosition(), small);
  // An asynchronous commit of the last record: the writer flushes it, and since a full page
  // was waiting, the latch was set.
  storage::ResetLatch(latch);
  WalSetAsyncFlushTarget(big);
  EXPECT_NE(latch->is_set.load(), 0u);
  EXPECT_FALSE(WalBackgroundFlush());
  EXPECT_GE(WalFlushPosition(), big);
  EXPECT_TRUE(WalBackgroundFlush());
  // A small async target within the flushed page does not wake the writer.
  storage::ResetLatch(latch);
  const Lsn tiny = InsertTestRecord(Pattern(10, 3));
  WalSetAsyncFlushTarget(tiny);
  if (tiny.value() / kWalPageSize == big.value() / kWalPageSize) {
    EXPECT_EQ(latch->is_set.load(), 0u);
  }
  EXPECT_FALSE(WalBackgroundFlush());
  EXPECT_GE(WalFlushPosition(), tiny);
}

TEST(WalConcurrencyTest, MaxWalSizeWakesTheCheckpointer) {
  settings::fsync = false;
  settings::max_wal_size_mb = 4;
  settings::checkpoint_completion_target = 1.0;  // threshold 2 MiB after the redo pointer
  WalTestCluster cluster(/*wal_buffers=*/16, 4096);
  cluster.StartFresh();
  bool found = false;
  auto* latch = static_cast<storage::Latch*>(
      storage::ShmemInitStruct("checkpointer latch", sizeof(storage::Latch), &found));
  storage::InitSharedLatch(latch);
  storage::OwnLatch(latch);
  WalSetCheckpointerLatch(latch);
  storage::ResetLatch(latch);

  for (int i = 0; i < 15; ++i) (void)InsertTestRecord(Pattern(100000, static_cast<uint32_t>(i)));
  EXPECT_FALSE(WalCheckpointRequestedBySize());
  EXPECT_EQ(latch->is_set.load(), 0u);
  EXPECT_LT(WalBytesSinceRedo(), 2u << 20);
  for (int i = 0; i < 10; ++i) (void)InsertTestRecord(Pattern(100000, static_cast<uint32_t>(i)));
  EXPECT_GE(WalBytesSinceRedo(), 2u << 20);
  EXPECT_TRUE(WalCheckpointRequestedBySize());
  EXPECT_NE(latch->is_set.load(), 0u);
  // The checkpointer takes the request and moves the redo pointer: no new request until
  // another 2 MiB.
  WalClearCheckpointRequest();
  (void)WalBeginCheckpointRedoPointer();
  EXPECT_LT(WalBytesSinceRedo(), 100u);
  (void)InsertTestRecord(Pattern(100000, 1));
  EXPECT_FALSE(WalCheckpointRequestedBySize());
}

}  // namespace
}  // namespace keel::transam
