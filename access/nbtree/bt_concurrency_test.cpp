// Concurrency: forked backends insert int8 keys (leaf and root splits) while others scan
// forward and backward; each scan must return, in order, exactly the rows a heap scan with the
// same snapshot sees, and each scanner must have run rounds that overlap the inserts. Then
// wide-key inserters that split internal pages concurrently. Afterwards the verifier and full
// comparisons. README.md ("Locking", "Tests").
#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <vector>

#include "access/heap/heap_test_util.h"
#include "access/nbtree/bt_test_util.h"
#include "access/transam/xact.h"
#include "backend/utils/error/error.h"
#include "tests/server/server_harness.h"

namespace keel::access::nbtree {
namespace {

using access::testing::Channel;
using keel::testing::ServerHarness;
using testing::Int8Table;
using testing::Join;

constexpr int kInserters = 3;
constexpr int kScanners = 2;
constexpr int kRowsPerInserter = 10000;
constexpr int kBatch = 40;

int InserterMain(Int8Table& t, int b, bool unique) {
  std::mt19937_64 rng(static_cast<uint64_t>(b) * 7919 + 1);
  std::vector<int64_t> keys;
  for (int i = 0; i < kRowsPerInserter; ++i) {
    // Unique: disjoint keys per backend; otherwise heavy duplication across backends.
    keys.push_back(unique ? static_cast<int64_t>(i) * kInserters + b : static_cast<int64_t>(rng() % 3000));
  }
  std::shuffle(keys.begin(), keys.end(), rng);
  for (int i = 0; i < kRowsPerInserter; i += kBatch) {
    transam::StartTransaction();
    for (int j = i; j < i + kBatch && j < kRowsPerInserter; ++j) (void)t.Insert(keys[static_cast<size_t>(j)]);
    // Every fifth batch rolls back: its entries stay in the index, pointing at dead rows.
    if ((i / kBatch) % 5 == 4) {
      transam::AbortTransaction();
    } else {
      transam::CommitTransaction();
    }
  }
  return 0;
}

// Scans until told to stop (the parent says so once every inserter has exited). A round counts
// as overlapping the inserts only when its snapshot saw some but not all of the rows that end
// up committed (so inserters had started and not finished when it began) and the stop message
// had not arrived when it ended (so an inserter was still running). The parent requires
// kMinOverlapping such rounds per scanner: a scanner that only ran before or after the inserts
// fails the test.
constexpr int kMinOverlapping = 3;
constexpr size_t kFinalRows = static_cast<size_t>(kInserters * kRowsPerInserter * 4 / 5);

int ScannerMain(Int8Table& t, int s, Channel& stop) {
  std::mt19937_64 rng(static_cast<uint64_t>(s) + 99);
  int rounds_while_inserting = 0;
  for (int round = 0;; ++round) {
    const int64_t lo = static_cast<int64_t>(rng() % 6000);
    const int64_t hi = lo + static_cast<int64_t>(rng() % 4000);
    const ScanDirection dir = round % 2 == 0 ? ScanDirection::kForward : ScanDirection::kBackward;
    const std::string who = "scanner " + std::to_string(s) + " round " + std::to_string(round);
    const std::optional<size_t> visible = t.ScanRoundMatchesHeap(lo, hi, false, round % 3 == 0, dir, who.c_str());
    if (!visible.has_value()) return 11;
    const bool stopped = stop.RecvInChild(0).has_value();
    if (!stopped && *visible != 0 && *visible < kFinalRows) ++rounds_while_inserting;
    if (stopped) break;
  }
  stop.SendToParent(static_cast<uint64_t>(rounds_while_inserting));
  return 0;
}

void RunConcurrent(bool unique) {
  keel::testing::HarnessOptions options;
  options.shared_buffers_pages = 96;
  ServerHarness harness(options);
  Int8Table t(unique);
  t.Create();
  std::vector<pid_t> pids;
  for (int b = 0; b < kInserters; ++b) pids.push_back(harness.ForkBackend([&t, b, unique] { return InserterMain(t, b, unique); }));
  std::vector<std::unique_ptr<Channel>> stops;
  for (int s = 0; s < kScanners; ++s) {
    stops.push_back(std::make_unique<Channel>());
    Channel* stop = stops.back().get();
    pids.push_back(harness.ForkBackend([&t, s, stop] { return ScannerMain(t, s, *stop); }));
  }
  for (int b = 0; b < kInserters; ++b) EXPECT_EQ(harness.Wait(pids[static_cast<size_t>(b)], 300000), 0);
  for (auto& stop : stops) stop->SendToChild(1);
  for (auto& stop : stops) {
    const std::optional<uint64_t> rounds = stop->RecvInParent(300000);
    ASSERT_TRUE(rounds.has_value());
    EXPECT_GE(*rounds, static_cast<uint64_t>(kMinOverlapping));
    fprintf(stderr, "scanner rounds overlapping the inserts: %llu\n", static_cast<unsigned long long>(*rounds));
  }
  for (int s = 0; s < kScanners; ++s) EXPECT_EQ(harness.Wait(pids[static_cast<size_t>(kInserters + s)], 300000), 0);

  transam::StartTransaction();
  BtVerifyStats stats;
  const std::vector<std::string> problems = BtVerify(t.index, t.VerifyWithHeap(), &stats);
  EXPECT_TRUE(problems.empty()) << Join(problems);
  EXPECT_EQ(stats.leaf_entries, static_cast<uint64_t>(kInserters * kRowsPerInserter));
  EXPECT_GE(stats.levels, 2);
  EXPECT_EQ(stats.incomplete_splits, 0u);
  const transam::Snapshot& snap = transam::GetTransactionSnapshot();
  const std::multiset<int64_t> heap_rows = t.HeapVisible(snap);
  EXPECT_EQ(heap_rows.size(), kFinalRows);
  std::vector<int64_t> fwd = t.IndexScanVisible(snap, {}, ScanDirection::kForward);
  EXPECT_EQ(fwd, std::vector<int64_t>(heap_rows.begin(), heap_rows.end()));
  std::vector<int64_t> bwd = t.IndexScanVisible(snap, {}, ScanDirection::kBackward);
  std::reverse(bwd.begin(), bwd.end());
  EXPECT_EQ(bwd, fwd);
  transam::CommitTransaction();
}

TEST(BtConcurrencyTest, InsertersAndScannersWithDuplicates) { RunConcurrent(false); }
TEST(BtConcurrencyTest, UniqueInsertersAndScanners) { RunConcurrent(true); }

// Wide (300-byte) keys from several backends, ascending and random, with a small buffer pool:
// a tree of 3+ levels where internal pages split concurrently, so inserters often re-find a
// parent that split after their descent (the remembered offset is then past its end) and
// finish each other's splits. Afterwards every entry is there exactly once and the tree
// verifies.
TEST(BtConcurrencyTest, WideKeysInternalSplits) {
  keel::testing::HarnessOptions options;
  options.shared_buffers_pages = 256;
  ServerHarness harness(options);
  testing::WideTextIndex t(300);
  t.Create();
  constexpr uint64_t kProcs = 4;
  constexpr uint64_t kPer = 3000;
  std::vector<pid_t> pids;
  for (uint64_t b = 0; b < kProcs; ++b) {
    pids.push_back(harness.ForkBackend([&t, b] {
      std::mt19937_64 rng(b + 11);
      std::vector<uint64_t> keys;
      for (uint64_t i = 0; i < kPer; ++i) keys.push_back(i * kProcs + b);
      if (b % 2 == 1) std::shuffle(keys.begin(), keys.end(), rng);  // half ascending, half random
      for (size_t i = 0; i < keys.size(); i += 50) {
        transam::StartTransaction();
        try {
          for (size_t j = i; j < i + 50 && j < keys.size(); ++j) t.Insert(keys[j]);
        } catch (const Error& e) {
          fprintf(stderr, "backend %llu: %s\n", static_cast<unsigned long long>(b), e.what());
          return 1;
        }
        transam::CommitTransaction();
      }
      return 0;
    }));
  }
  for (pid_t p : pids) EXPECT_EQ(harness.Wait(p, 300000), 0);
  BtVerifyStats stats;
  const std::vector<std::string> problems = BtVerify(t.index, {}, &stats);
  EXPECT_TRUE(problems.empty()) << Join(problems);
  EXPECT_EQ(stats.leaf_entries, kProcs * kPer);
  EXPECT_GE(stats.levels, 3);
  EXPECT_EQ(stats.incomplete_splits, 0u);
  EXPECT_EQ(t.Count(ScanDirection::kForward), kProcs * kPer);
  EXPECT_EQ(t.Count(ScanDirection::kBackward), kProcs * kPer);
  for (uint64_t n = 0; n < kProcs * kPer; n += 7) {
    const std::vector<storage::ItemPointer> got = t.Find(n);
    ASSERT_EQ(got.size(), 1u) << n;
    EXPECT_EQ(got[0], testing::WideTextIndex::Tid(n));
  }
}

}  // namespace
}  // namespace keel::access::nbtree
