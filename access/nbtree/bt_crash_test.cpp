// Crash recovery of the B+tree: a crash during concurrent inserts that split pages, and crashes
// exactly between a page split and the downlink insertion into the parent (a leaf split, the
// root's split before the new root exists, and an internal page's split). After recovery the
// verifier passes, every committed key is found, incomplete splits are finished by later
// inserts. README.md (BT7).
#include <gtest/gtest.h>

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <random>
#include <set>
#include <vector>

#include "access/heap/heap_test_util.h"
#include "access/nbtree/bt_test_util.h"
#include "access/transam/wal.h"
#include "access/transam/xact.h"
#include "tests/server/server_harness.h"

namespace keel::access::nbtree {
namespace {

using access::testing::Channel;
using keel::testing::ServerHarness;
using testing::Int8Table;
using testing::Join;

// After a crash: the index verifies, and its scans find exactly the committed rows.
void ExpectIndexMatchesHeap(Int8Table& t, const std::multiset<int64_t>& committed_at_least,
                            BtVerifyStats* stats_out = nullptr) {
  transam::StartTransaction();
  BtVerifyStats stats;
  const std::vector<std::string> problems = BtVerify(t.index, t.VerifyWithHeap(), &stats);
  EXPECT_TRUE(problems.empty()) << Join(problems);
  const transam::Snapshot& snap = transam::GetTransactionSnapshot();
  const std::multiset<int64_t> heap_rows = t.HeapVisible(snap);
  std::vector<int64_t> fwd = t.IndexScanVisible(snap, {}, ScanDirection::kForward);
  EXPECT_EQ(fwd, std::vector<int64_t>(heap_rows.begin(), heap_rows.end()));
  std::vector<int64_t> bwd = t.IndexScanVisible(snap, {}, ScanDirection::kBackward);
  std::reverse(bwd.begin(), bwd.end());
  EXPECT_EQ(bwd, fwd);
  for (int64_t k : committed_at_least) {
    EXPECT_GE(heap_rows.count(k), committed_at_least.count(k)) << k;
  }
  // Equality lookups for a sample of committed keys.
  int n = 0;
  for (auto it = committed_at_least.begin(); it != committed_at_least.end() && n < 300; ++it, ++n) {
    const std::vector<int64_t> got =
        t.IndexScanVisible(snap, {{0, BtStrategy::kEqual, Int64GetDatum(*it)}}, ScanDirection::kForward);
    EXPECT_EQ(got.size(), heap_rows.count(*it)) << *it;
  }
  transam::CommitTransaction();
  if (stats_out != nullptr) *stats_out = stats;
}

TEST(BtCrashTest, CrashDuringConcurrentInserts) {
  keel::testing::HarnessOptions options;
  options.shared_buffers_pages = 64;  // pages are evicted and written before the crash
  ServerHarness harness(options);
  Int8Table t;
  t.Create();
  constexpr int kBackends = 3;
  std::vector<std::unique_ptr<Channel>> chans;
  for (int b = 0; b < kBackends; ++b) {
    chans.push_back(std::make_unique<Channel>());
    Channel* chan = chans.back().get();
    (void)harness.ForkBackend([&t, b, chan] {
      std::mt19937_64 rng(static_cast<uint64_t>(b) + 5);
      for (int batch = 0;; ++batch) {
        transam::StartTransaction();
        std::vector<int64_t> keys;
        for (int i = 0; i < 50; ++i) keys.push_back(static_cast<int64_t>(rng() % 100000));
        for (int64_t k : keys) (void)t.Insert(k);
        transam::CommitTransaction();
        for (int64_t k : keys) chan->SendToParent(static_cast<uint64_t>(k));
        chan->SendToParent(~0ull);  // end of a committed batch
      }
      return 0;
    });
  }
  // Let them commit a good number of batches, then crash while they are mid-transaction.
  std::multiset<int64_t> committed;
  std::vector<std::vector<int64_t>> pending(kBackends);
  int batches = 0;
  while (batches < 200) {
    for (int b = 0; b < kBackends; ++b) {
      const std::optional<uint64_t> v = chans[static_cast<size_t>(b)]->RecvInParent();
      ASSERT_TRUE(v.has_value());
      if (*v == ~0ull) {
        committed.insert(pending[static_cast<size_t>(b)].begin(), pending[static_cast<size_t>(b)].end());
        pending[static_cast<size_t>(b)].clear();
        ++batches;
      } else {
        pending[static_cast<size_t>(b)].push_back(static_cast<int64_t>(*v));
      }
    }
  }
  harness.Crash();
  BtVerifyStats stats;
  ExpectIndexMatchesHeap(t, committed, &stats);
  EXPECT_GE(stats.levels, 2);
  // Fully usable: insert more (finishing any incomplete split), verify again, crash again.
  transam::StartTransaction();
  for (int64_t k = 0; k < 3000; ++k) {
    (void)t.Insert(k * 33);
    committed.insert(k * 33);
  }
  transam::CommitTransaction();
  harness.Crash();
  ExpectIndexMatchesHeap(t, committed, &stats);
  EXPECT_EQ(stats.incomplete_splits, 0u);
}

// --- a crash between a split and its downlink (KEEL_DEBUG hook) ------------------------------

#ifdef KEEL_DEBUG
Channel* g_hook_channel = nullptr;
int g_hook_skip = 0;  // splits to let through before stopping

void StopAtSplit(uint32_t level) {
  if (level != 0 || g_hook_skip-- > 0) return;
  // The split record must survive the crash: write it out, then wait to be killed.
  transam::WalFlush(transam::WalInsertPosition());
  g_hook_channel->SendToParent(1);
  for (;;) pause();
}

void RunSplitCrash(int committed_rows, int skip) {
  ServerHarness harness;
  Int8Table t;
  t.Create();
  std::multiset<int64_t> committed;
  transam::StartTransaction();
  for (int64_t k = 0; k < committed_rows; ++k) {
    (void)t.Insert(k * 2);
    committed.insert(k * 2);
  }
  transam::CommitTransaction();
  BtVerifyStats before;
  ASSERT_TRUE(BtVerify(t.index, {}, &before).empty());

  Channel chan;
  (void)harness.ForkBackend([&] {
    g_hook_channel = &chan;
    g_hook_skip = skip;
    TestOnlySetSplitHook(&StopAtSplit);
    transam::StartTransaction();
    for (int64_t k = 0; k < 100000; ++k) (void)t.Insert(k * 2 + 1);  // stops inside a split
    return 3;
  });
  ASSERT_EQ(chan.RecvInParent(60000), 1u);
  harness.Crash();

  BtVerifyStats stats;
  ExpectIndexMatchesHeap(t, committed, &stats);
  EXPECT_EQ(stats.incomplete_splits, 1u);  // the split survived, its downlink did not

  // Inserts across the whole key range meet the half-split page and finish it.
  transam::StartTransaction();
  for (int64_t k = 0; k < committed_rows; k += 7) {
    (void)t.Insert(k * 2 + 1);
    committed.insert(k * 2 + 1);
  }
  transam::CommitTransaction();
  ExpectIndexMatchesHeap(t, committed, &stats);
  EXPECT_EQ(stats.incomplete_splits, 0u);
  EXPECT_GT(stats.levels, before.levels == 1 ? 1 : 0);
  harness.Crash();
  ExpectIndexMatchesHeap(t, committed, &stats);
}

TEST(BtCrashTest, CrashBetweenLeafSplitAndDownlink) { RunSplitCrash(5000, 3); }
TEST(BtCrashTest, CrashBetweenRootSplitAndNewRoot) { RunSplitCrash(200, 0); }

// An interrupted internal split: wide keys (1000 bytes) make a 3-level tree quickly; a backend
// inserting ascending keys stops right after a level-1 page's split record (which also holds
// the downlink for the leaf split below it and cleared that leaf's flag) and the server
// crashes. After recovery the level-1 split is incomplete; many more ascending inserts (which
// descend through the half-split level-1 page) must all succeed, finish it (BT7: the next insert that meets a flagged page at any
// level repairs it) and leave a tree that verifies with every entry present.
int g_stop_level = 0;
uint64_t g_inserted = 0;

void StopAtLevel(uint32_t level) {
  if (static_cast<int>(level) != g_stop_level) return;
  transam::WalFlush(transam::WalInsertPosition());
  g_hook_channel->SendToParent(g_inserted);
  for (;;) pause();
}

TEST(BtCrashTest, CrashBetweenInternalSplitAndDownlink) {
  ServerHarness harness;
  testing::WideTextIndex t(1000);
  t.Create();
  uint64_t n = 0;
  BtVerifyStats stats;
  transam::StartTransaction();
  while (stats.levels < 3) {
    for (int i = 0; i < 20; ++i) t.Insert(n++);
    stats = {};
    ASSERT_TRUE(BtVerify(t.index, {}, &stats).empty());
  }
  transam::CommitTransaction();
  const uint64_t committed = n;

  Channel chan;
  (void)harness.ForkBackend([&] {
    g_hook_channel = &chan;
    g_stop_level = 1;
    g_inserted = 0;
    TestOnlySetSplitHook(&StopAtLevel);
    transam::StartTransaction();
    for (uint64_t k = committed; k < committed + 100000; ++k) {
      t.Insert(k);  // stops inside a level-1 split
      ++g_inserted;
    }
    return 3;
  });
  const std::optional<uint64_t> inserted = chan.RecvInParent(120000);
  ASSERT_TRUE(inserted.has_value());
  harness.Crash();
  // Index entries are WAL-logged whether or not their transaction commits: the committed ones,
  // those the backend inserted, and the one whose insert split the pages.
  n = committed + *inserted + 1;
  stats = {};
  std::vector<std::string> problems = BtVerify(t.index, {}, &stats);
  EXPECT_TRUE(problems.empty()) << Join(problems);
  EXPECT_EQ(stats.incomplete_splits, 1u);  // the level-1 page (the leaf's downlink went in)
  EXPECT_EQ(stats.leaf_entries, n);

  transam::StartTransaction();
  for (int i = 0; i < 300; ++i) EXPECT_NO_THROW(t.Insert(n++)) << n - 1;
  transam::CommitTransaction();
  stats = {};
  problems = BtVerify(t.index, {}, &stats);
  EXPECT_TRUE(problems.empty()) << Join(problems);
  EXPECT_EQ(stats.incomplete_splits, 0u);
  EXPECT_EQ(stats.leaf_entries, n);
  EXPECT_EQ(t.Count(ScanDirection::kForward), n);
  for (uint64_t k = 0; k < n; k += 5) EXPECT_EQ(t.Find(k).size(), 1u) << k;
  // These transactions wrote no heap rows (no xid), so their commits do not flush WAL: flush
  // it so the second crash must keep every entry.
  transam::WalFlush(transam::WalInsertPosition());
  harness.Crash();
  stats = {};
  EXPECT_TRUE(BtVerify(t.index, {}, &stats).empty());
  EXPECT_EQ(stats.leaf_entries, n);
  EXPECT_EQ(stats.incomplete_splits, 0u);
}
#endif

}  // namespace
}  // namespace keel::access::nbtree
