// Page deletion and recycling: VACUUM deletes emptied leaves and the internal pages they leave
// empty, scans in both directions stay exact, refills reuse deleted pages once no snapshot can
// still reach them (and not before), concurrent scanners during deletion rounds, and crashes
// between the two deletion stages and after recycling. README.md ("Page deletion and
// recycling", BT16-BT21).
#include <gtest/gtest.h>

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <memory>
#include <random>
#include <set>
#include <vector>

#include "access/heap/heap_test_util.h"
#include "access/heap/vacuum.h"
#include "access/nbtree/bt_test_util.h"
#include "access/nbtree/nbtree_internal.h"
#include "access/transam/transam.h"
#include "access/transam/wal.h"
#include "access/transam/xact.h"
#include "storage/smgr/smgr.h"
#include "tests/server/server_harness.h"

namespace keel::access::nbtree {
namespace {

using access::testing::Channel;
using keel::testing::ServerHarness;
using testing::Int8Table;
using testing::Join;
using testing::WideTextIndex;

constexpr uint64_t kKeys = 6000;

uint64_t KeyOfTid(storage::ItemPointer tid) {
  return static_cast<uint64_t>(tid.block.value() - 1) * 100 + (tid.offset - 1);
}

uint32_t IndexBlocks(const BtIndex& index) {
  return storage::SmgrNBlocks(index.rel.locator, ForkNumber::kMain).value();
}

// Deleted pages per level (from the file).
std::vector<uint64_t> DeletedPerLevel(const BtIndex& index) {
  std::vector<uint64_t> out(8, 0);
  for (uint32_t b = 1; b < IndexBlocks(index); ++b) {
    internal::LockedPage p(index, BlockNumber(b), storage::BufferLockMode::kShare);
    if (storage::PageIsNew(p.page())) continue;
    const internal::BtPageOpaque* o = internal::Opaque(p.page());
    if ((o->flags & internal::kBtDeleted) != 0) ++out[std::min<uint32_t>(o->level, 7)];
  }
  return out;
}

// Keys of every entry a scan returns, in scan order.
std::vector<uint64_t> ScanKeys(const WideTextIndex& t, std::vector<BtScanKey> keys, ScanDirection dir) {
  BtScan scan(t.index, std::move(keys), dir);
  std::vector<uint64_t> out;
  storage::ItemPointer tid;
  while (scan.Next(&tid)) out.push_back(KeyOfTid(tid));
  return out;
}

// Full and range scans in both directions against the model.
void ExpectScansMatch(const WideTextIndex& t, const std::set<uint64_t>& model, uint64_t seed) {
  const std::vector<uint64_t> all(model.begin(), model.end());
  EXPECT_EQ(ScanKeys(t, {}, ScanDirection::kForward), all);
  std::vector<uint64_t> bwd = ScanKeys(t, {}, ScanDirection::kBackward);
  std::reverse(bwd.begin(), bwd.end());
  EXPECT_EQ(bwd, all);
  std::mt19937_64 rng(seed);
  for (int i = 0; i < 30; ++i) {
    const uint64_t lo = rng() % kKeys;
    const uint64_t hi = lo + rng() % 2000;
    const std::vector<std::byte> lo_key = t.Key(lo);
    const std::vector<std::byte> hi_key = t.Key(hi);
    std::vector<BtScanKey> keys = {{0, BtStrategy::kGreaterEqual, PointerGetDatum(lo_key.data())},
                                   {0, BtStrategy::kLess, PointerGetDatum(hi_key.data())}};
    std::vector<uint64_t> want;
    for (auto it = model.lower_bound(lo); it != model.end() && *it < hi; ++it) want.push_back(*it);
    EXPECT_EQ(ScanKeys(t, keys, ScanDirection::kForward), want) << lo << ".." << hi;
    std::vector<uint64_t> got = ScanKeys(t, keys, ScanDirection::kBackward);
    std::reverse(got.begin(), got.end());
    EXPECT_EQ(got, want) << lo << ".." << hi << " backward";
  }
  for (uint64_t k = 0; k < kKeys; k += 97) EXPECT_EQ(t.Find(k).size(), model.count(k)) << k;
}

BtVerifyStats VerifyOk(const BtIndex& index) {
  BtVerifyStats stats;
  const std::vector<std::string> problems = BtVerify(index, {}, &stats);
  EXPECT_TRUE(problems.empty()) << Join(problems);
  return stats;
}

// 200-byte keys (about 37 per leaf, a 3-level tree for 6000 keys), inserted in random order.
void Load(WideTextIndex& t, std::set<uint64_t>* model) {
  std::vector<uint64_t> keys(kKeys);
  for (uint64_t i = 0; i < kKeys; ++i) keys[i] = i;
  std::shuffle(keys.begin(), keys.end(), std::mt19937_64(7));
  transam::StartTransaction();
  for (uint64_t k : keys) t.Insert(k);
  transam::CommitTransaction();
  model->insert(keys.begin(), keys.end());
}

// The deletion pattern: the start, a middle range and the end entirely, and all but every 50th
// key of another range.
bool Doomed(uint64_t k) {
  return k < 1500 || (k >= 2500 && k < 4000) || k >= 5000 || (k >= 4000 && k % 50 != 0);
}

BtBulkDeleteStats DeleteDoomed(const WideTextIndex& t, std::set<uint64_t>* model) {
  for (auto it = model->begin(); it != model->end();) it = Doomed(*it) ? model->erase(it) : std::next(it);
  return BtBulkDelete(t.index, [](storage::ItemPointer tid) { return Doomed(KeyOfTid(tid)); });
}

// A transaction that assigns an xid and commits: moves GetOldestXmin past pages deleted before.
void ConsumeXid() {
  transam::StartTransaction();
  (void)transam::GetCurrentTransactionId();
  transam::CommitTransaction();
}

TEST(BtPageDelTest, DeleteRangesScansMatchModel) {
  ServerHarness harness;
  WideTextIndex t(200);
  t.Create();
  std::set<uint64_t> model;
  Load(t, &model);
  const BtVerifyStats before = VerifyOk(t.index);
  ASSERT_GE(before.levels, 3);

  const BtBulkDeleteStats del = DeleteDoomed(t, &model);
  EXPECT_EQ(del.tuples_remaining, model.size());
  // Most leaves were emptied: well over half of them go, and whole level-1 subtrees with them.
  EXPECT_GT(del.pages_deleted, before.pages / 2) << before.pages;
  const std::vector<uint64_t> per_level = DeletedPerLevel(t.index);
  EXPECT_GE(per_level[1], 1u);
  BtVerifyStats after = VerifyOk(t.index);
  EXPECT_EQ(after.deleted_pages, del.pages_deleted);
  EXPECT_EQ(after.half_dead_pages, 0u);
  EXPECT_EQ(after.leaf_entries, model.size());
  EXPECT_EQ(after.pages + after.deleted_pages + 1, IndexBlocks(t.index));  // + meta
  ExpectScansMatch(t, model, 1);

  // Cleanup finds nothing more to delete; inserts into the merged ranges work.
  const BtBulkDeleteStats cleanup = BtVacuumCleanup(t.index);
  EXPECT_EQ(cleanup.pages_deleted, 0u);
  transam::StartTransaction();
  for (uint64_t k = 3000; k < 3100; ++k) {
    t.Insert(k);
    model.insert(k);
  }
  for (uint64_t k = 0; k < 40; ++k) {
    t.Insert(k);
    model.insert(k);
  }
  transam::CommitTransaction();
  VerifyOk(t.index);
  ExpectScansMatch(t, model, 2);
}

// A forward scan stopped on a page that VACUUM then deletes turns backward (BT10): it returns
// what it copied from that page below its position, then re-finds its place below the page's
// old lowest entry and continues with the survivors, without repeating or skipping anything.
TEST(BtPageDelTest, DirectionChangeAfterTheCurrentPageWasDeleted) {
  ServerHarness harness;
  WideTextIndex t(200);
  t.Create();
  std::set<uint64_t> model;
  Load(t, &model);
  BtScan scan(t.index, {}, ScanDirection::kForward);
  storage::ItemPointer tid;
  uint64_t k = 0;
  do {
    ASSERT_TRUE(scan.Next(ScanDirection::kForward, &tid, nullptr));
    k = KeyOfTid(tid);
  } while (k < 3000);
  ASSERT_EQ(k, 3000u);
  // Every entry of [2500, 3500) goes: the scan's page and its neighbours are deleted.
  const BtBulkDeleteStats del = BtBulkDelete(t.index, [](storage::ItemPointer victim) {
    const uint64_t v = KeyOfTid(victim);
    return v >= 2500 && v < 3500;
  });
  ASSERT_GE(del.pages_deleted, 20u);
  std::vector<uint64_t> back;
  while (scan.Next(ScanDirection::kBackward, &tid, nullptr)) back.push_back(KeyOfTid(tid));
  // [2999 down to the page's first copied key] then [2499 down to 0].
  ASSERT_FALSE(back.empty());
  EXPECT_EQ(back.front(), 2999u);
  size_t i = 0;
  while (i < back.size() && back[i] >= 2500) {
    ASSERT_EQ(back[i], 2999 - i) << "copied entries of the deleted page, at " << i;
    ++i;
  }
  EXPECT_GE(i, 1u);
  EXPECT_LT(i, 60u);  // one page's worth at most (~37 per leaf)
  ASSERT_EQ(back.size() - i, 2500u);
  for (size_t j = i; j < back.size(); ++j) ASSERT_EQ(back[j], 2499 - (j - i)) << "survivor at " << j;
}

TEST(BtPageDelTest, RefillReusesDeletedPages) {
  ServerHarness harness;
  WideTextIndex t(200);
  t.Create();
  std::set<uint64_t> model;
  Load(t, &model);
  const BtBulkDeleteStats del = DeleteDoomed(t, &model);
  ASSERT_GT(del.pages_deleted, 50u);
  const uint32_t blocks = IndexBlocks(t.index);
  // Nothing ran since the deletion: the deleting VACUUM's own next xid is not below the horizon.
  EXPECT_EQ(BtVacuumCleanup(t.index).pages_free, 0u);
  ConsumeXid();
  const BtBulkDeleteStats cleanup = BtVacuumCleanup(t.index);
  EXPECT_EQ(cleanup.pages_free, del.pages_deleted);
  // Refill half of what was deleted: the file must not grow.
  transam::StartTransaction();
  std::vector<uint64_t> refill;
  for (uint64_t k = 0; k < kKeys; ++k) {
    if (Doomed(k) && k % 2 == 0) refill.push_back(k);
  }
  std::shuffle(refill.begin(), refill.end(), std::mt19937_64(3));
  for (uint64_t k : refill) {
    t.Insert(k);
    model.insert(k);
  }
  transam::CommitTransaction();
  EXPECT_EQ(IndexBlocks(t.index), blocks);
  const BtVerifyStats stats = VerifyOk(t.index);
  EXPECT_LT(stats.deleted_pages + 40, del.pages_deleted);  // reused (~2500 keys need ~70 pages)
  EXPECT_EQ(stats.leaf_entries, model.size());
  ExpectScansMatch(t, model, 3);
}

// A backend holds a REPEATABLE READ snapshot with a forward and a backward scan stopped in the
// middle while the index is emptied, vacuumed and refilled: no deleted page may be reused (the
// file grows instead), and the scans then finish correctly across the deleted pages. Once the
// backend is gone the pages are recyclable.
TEST(BtPageDelTest, NoRecyclingWhileAnOlderSnapshotExists) {
  ServerHarness harness;
  WideTextIndex t(200);
  t.Create();
  std::set<uint64_t> model;
  Load(t, &model);
  const std::set<uint64_t> original = model;
  std::set<uint64_t> survivors;
  for (uint64_t k : original) {
    if (!Doomed(k)) survivors.insert(k);
  }

  Channel chan;
  const pid_t child = harness.ForkBackend([&] {
    transam::StartTransaction(transam::IsolationLevel::kRepeatableRead);
    (void)transam::GetTransactionSnapshot();
    const std::vector<std::byte> lo = t.Key(1000);
    const std::vector<std::byte> hi = t.Key(5500);
    BtScan fwd(t.index, {{0, BtStrategy::kGreaterEqual, PointerGetDatum(lo.data())}}, ScanDirection::kForward);
    BtScan bwd(t.index, {{0, BtStrategy::kLessEqual, PointerGetDatum(hi.data())}}, ScanDirection::kBackward);
    std::vector<uint64_t> got_f, got_b;
    storage::ItemPointer tid;
    for (int i = 0; i < 5 && fwd.Next(&tid); ++i) got_f.push_back(KeyOfTid(tid));
    for (int i = 0; i < 5 && bwd.Next(&tid); ++i) got_b.push_back(KeyOfTid(tid));
    chan.SendToParent(1);
    if (chan.RecvInChild(120000) != 1u) return 2;
    while (fwd.Next(&tid)) got_f.push_back(KeyOfTid(tid));
    while (bwd.Next(&tid)) got_b.push_back(KeyOfTid(tid));
    std::reverse(got_b.begin(), got_b.end());
    // In order, nothing that never existed, every survivor of the range present.
    if (!std::is_sorted(got_f.begin(), got_f.end()) || !std::is_sorted(got_b.begin(), got_b.end())) return 3;
    if (std::adjacent_find(got_f.begin(), got_f.end()) != got_f.end()) return 4;
    if (std::adjacent_find(got_b.begin(), got_b.end()) != got_b.end()) return 4;
    for (uint64_t k : got_f) {
      if (k < 1000 || k >= kKeys) return 5;
    }
    for (uint64_t k : got_b) {
      if (k > 5500) return 5;
    }
    for (uint64_t k : survivors) {
      if (k >= 1000 && !std::binary_search(got_f.begin(), got_f.end(), k)) return 6;
      if (k <= 5500 && !std::binary_search(got_b.begin(), got_b.end(), k)) return 7;
    }
    transam::CommitTransaction();
    return 0;
  });
  ASSERT_EQ(chan.RecvInParent(60000), 1u);

  const BtBulkDeleteStats del = DeleteDoomed(t, &model);
  ASSERT_GT(del.pages_deleted, 50u);
  ConsumeXid();
  EXPECT_EQ(BtVacuumCleanup(t.index).pages_free, 0u);  // BT19: the child's xmin is older
  const uint32_t blocks = IndexBlocks(t.index);
  transam::StartTransaction();
  for (uint64_t k = 0; k < kKeys; ++k) {
    if (Doomed(k) && k % 2 == 0 && (k < 1000 || k > 5500)) {  // outside the child's ranges
      t.Insert(k);
      model.insert(k);
    }
  }
  transam::CommitTransaction();
  EXPECT_GT(IndexBlocks(t.index), blocks);  // grew: nothing was recycled
  EXPECT_EQ(VerifyOk(t.index).deleted_pages, del.pages_deleted);
  chan.SendToChild(1);
  EXPECT_EQ(harness.Wait(child, 120000), 0);

  ConsumeXid();
  EXPECT_EQ(BtVacuumCleanup(t.index).pages_free, del.pages_deleted);
  ExpectScansMatch(t, model, 4);
}

// --- concurrent scanners while VACUUM deletes and refills ------------------------------------

constexpr int kScanners = 2;
constexpr int64_t kRows = 12000;

// Scans (REPEATABLE READ snapshots, ranges and full scans, both directions) until stopped;
// every scan must equal a heap scan of the same snapshot.
int ScannerMain(Int8Table& t, int s, Channel& stop) {
  std::mt19937_64 rng(static_cast<uint64_t>(s) + 17);
  uint64_t rounds = 0;
  for (int round = 0;; ++round) {
    const int64_t lo = static_cast<int64_t>(rng() % kRows);
    const int64_t hi = lo + static_cast<int64_t>(rng() % 6000);
    const ScanDirection dir = round % 2 == 0 ? ScanDirection::kForward : ScanDirection::kBackward;
    const std::string who = "scanner " + std::to_string(s) + " round " + std::to_string(round);
    if (!t.ScanRoundMatchesHeap(lo, hi, false, round % 3 == 0, dir, who.c_str()).has_value()) return 11;
    ++rounds;
    if (stop.RecvInChild(0).has_value()) break;
  }
  stop.SendToParent(rounds);
  return 0;
}

TEST(BtPageDelTest, ConcurrentScansWhileDeletingAndRefilling) {
  keel::testing::HarnessOptions options;
  options.shared_buffers_pages = 128;
  ServerHarness harness(options);
  Int8Table t;
  t.Create();
  std::map<int64_t, storage::ItemPointer> rows;
  {
    std::vector<int64_t> keys(kRows);
    for (int64_t i = 0; i < kRows; ++i) keys[static_cast<size_t>(i)] = i;
    std::shuffle(keys.begin(), keys.end(), std::mt19937_64(9));
    transam::StartTransaction();
    for (int64_t k : keys) rows[k] = t.Insert(k);
    transam::CommitTransaction();
  }
  std::vector<std::unique_ptr<Channel>> stops;
  std::vector<pid_t> pids;
  for (int s = 0; s < kScanners; ++s) {
    stops.push_back(std::make_unique<Channel>());
    Channel* stop = stops.back().get();
    pids.push_back(harness.ForkBackend([&t, s, stop] { return ScannerMain(t, s, *stop); }));
  }
  std::mt19937_64 rng(5);
  uint64_t deleted = 0;
  // Blocks ever seen DELETED, and those of them later seen live again (reused by a split).
  std::set<uint32_t> ever_deleted, reused;
  auto look_at_file = [&] {
    for (uint32_t b = 1; b < IndexBlocks(t.index); ++b) {
      internal::LockedPage p(t.index, BlockNumber(b), storage::BufferLockMode::kShare);
      if (storage::PageIsNew(p.page())) continue;
      if (internal::IsDead(p.page())) {
        if ((internal::Opaque(p.page())->flags & internal::kBtDeleted) != 0) ever_deleted.insert(b);
      } else if (ever_deleted.count(b) != 0) {
        reused.insert(b);
      }
    }
  };
  for (int round = 0; round < 6; ++round) {
    // Delete the rows of two random ranges, committed.
    std::vector<int64_t> victims;
    for (int r = 0; r < 2; ++r) {
      const int64_t lo = static_cast<int64_t>(rng() % kRows);
      for (auto it = rows.lower_bound(lo); it != rows.end() && it->first < lo + 3000; ++it) {
        victims.push_back(it->first);
      }
    }
    std::sort(victims.begin(), victims.end());
    victims.erase(std::unique(victims.begin(), victims.end()), victims.end());
    transam::StartTransaction();
    for (int64_t k : victims) {
      TmFailureData tmfd;
      ASSERT_EQ(HeapDelete(t.heap, rows[k], transam::GetCurrentCommandId(true), nullptr, true, &tmfd),
                TmResult::kOk);
    }
    const TransactionId deleter = transam::GetCurrentTransactionId();
    transam::CommitTransaction();
    for (int64_t k : victims) rows.erase(k);
    // Let the scanners' snapshots move past the delete, so VACUUM may remove the rows (and so
    // empty the leaves) in this round; they start a new transaction every few milliseconds.
    for (int i = 0; i < 30000 && transam::GetOldestXmin() <= deleter; ++i) usleep(1000);
    // VACUUM: the heap's dead tids (dead to every snapshot) leave the index, pages go.
    VacuumParams params;
    params.index_cleanup = [&](std::span<const storage::ItemPointer> dead) {
      const std::set<storage::ItemPointer> set(dead.begin(), dead.end());
      const BtBulkDeleteStats s = BtBulkDelete(t.index, [&](storage::ItemPointer tid) { return set.count(tid) != 0; });
      deleted += s.pages_deleted;
    };
    transam::StartTransaction();
    (void)HeapVacuum(t.heap, params);
    transam::CommitTransaction();
    transam::StartTransaction();
    const BtBulkDeleteStats cleanup = BtVacuumCleanup(t.index);
    transam::CommitTransaction();
    deleted += cleanup.pages_deleted;
    look_at_file();
    // Refill the emptied ranges with new rows.
    transam::StartTransaction();
    for (size_t i = 0; i < victims.size(); i += 2) rows[victims[i]] = t.Insert(victims[i]);
    transam::CommitTransaction();
    look_at_file();
  }
  for (auto& stop : stops) stop->SendToChild(1);
  for (auto& stop : stops) {
    const std::optional<uint64_t> rounds = stop->RecvInParent(300000);
    ASSERT_TRUE(rounds.has_value());
    EXPECT_GE(*rounds, 3u);
  }
  for (pid_t p : pids) EXPECT_EQ(harness.Wait(p, 300000), 0);
  EXPECT_GT(deleted, 5u);
  EXPECT_GT(reused.size(), 0u) << "no deleted page was reused";
  fprintf(stderr, "pages deleted %llu, distinct blocks reused %zu\n", static_cast<unsigned long long>(deleted),
          reused.size());

  transam::StartTransaction();
  BtVerifyStats stats;
  const std::vector<std::string> problems = BtVerify(t.index, t.VerifyWithHeap(), &stats);
  EXPECT_TRUE(problems.empty()) << Join(problems);
  const transam::Snapshot& snap = transam::GetTransactionSnapshot();
  std::vector<int64_t> want;
  for (const auto& [k, tid] : rows) want.push_back(k);
  EXPECT_EQ(t.IndexScanVisible(snap, {}, ScanDirection::kForward), want);
  std::vector<int64_t> bwd = t.IndexScanVisible(snap, {}, ScanDirection::kBackward);
  std::reverse(bwd.begin(), bwd.end());
  EXPECT_EQ(bwd, want);
  transam::CommitTransaction();
}

// --- crashes ------------------------------------------------------------------------------

#ifdef KEEL_DEBUG
Channel* g_channel = nullptr;
int g_stop_stage = 0;
int g_skip = 0;
const BtIndex* g_index = nullptr;

// Where a crash test stops (besides the stage and the number of such points to skip).
enum class StopWhen : uint8_t {
  kAny,
  kInternalTop,  // stage 1: the half-dead leaf's subtree top is an internal page
  kLeftmost,     // stage 1: the half-dead leaf is the leftmost leaf
  kLeafRemains,  // stage 2: an internal page was unlinked, its leaf is still half-dead
};
StopWhen g_stop_when = StopWhen::kAny;

// Half-dead leaves in the file, with whether any matches g_stop_when.
uint32_t HalfDeadLeaves(bool* match) {
  uint32_t n = 0;
  *match = g_stop_when == StopWhen::kAny;
  for (uint32_t b = 1; b < IndexBlocks(*g_index); ++b) {
    internal::LockedPage p(*g_index, BlockNumber(b), storage::BufferLockMode::kShare);
    if (storage::PageIsNew(p.page())) continue;
    const internal::BtPageOpaque* o = internal::Opaque(p.page());
    if ((o->flags & internal::kBtHalfDead) == 0) continue;
    ++n;
    switch (g_stop_when) {
      case StopWhen::kAny: break;
      case StopWhen::kInternalTop: *match |= o->xact != b; break;
      case StopWhen::kLeftmost: *match |= o->left == internal::kNoBlock; break;
      case StopWhen::kLeafRemains: *match = true; break;
    }
  }
  return n;
}

// Sends 1 + the number of half-dead leaves to the parent and waits for the crash.
void StopAtStage(int stage) {
  if (stage != g_stop_stage) return;
  bool match = false;
  const uint32_t half_dead = HalfDeadLeaves(&match);
  if (!match || g_skip-- > 0) return;
  transam::WalFlush(transam::WalInsertPosition());
  g_channel->SendToParent(1 + half_dead);
  for (;;) pause();
}

// A VACUUM backend stops right after a deletion record (stage 1: a leaf half-dead; stage 2: an
// unlink, possibly the top of a subtree whose leaf is still half-dead) and the server crashes.
void RunStageCrash(int stage, int skip, StopWhen when = StopWhen::kAny) {
  ServerHarness harness;
  WideTextIndex t(200);
  t.Create();
  std::set<uint64_t> model;
  Load(t, &model);
  transam::WalFlush(transam::WalInsertPosition());
  Channel chan;
  (void)harness.ForkBackend([&] {
    g_channel = &chan;
    g_stop_stage = stage;
    g_skip = skip;
    g_stop_when = when;
    g_index = &t.index;
    TestOnlySetPageDelHook(&StopAtStage);
    (void)BtBulkDelete(t.index, [](storage::ItemPointer tid) { return Doomed(KeyOfTid(tid)); });
    return 3;
  });
  const std::optional<uint64_t> stopped = chan.RecvInParent(60000);
  ASSERT_TRUE(stopped.has_value());
  harness.Crash();
  for (auto it = model.begin(); it != model.end();) it = Doomed(*it) ? model.erase(it) : std::next(it);

  // Exactly the half-dead leaves the backend saw when it stopped (the record before the stop
  // was flushed): one after stage 1, and after stage 2 one while the subtree is not finished.
  const BtVerifyStats after = VerifyOk(t.index);
  EXPECT_EQ(after.half_dead_pages, *stopped - 1);
  if (stage == 1 || when == StopWhen::kLeafRemains) {
    EXPECT_EQ(after.half_dead_pages, 1u);
  }
  EXPECT_EQ(after.leaf_entries, model.size());
  ExpectScansMatch(t, model, 5);
  // Inserts into the half-dead page's range go to its right sibling.
  transam::StartTransaction();
  for (uint64_t k = 0; k < kKeys; k += 61) {
    if (model.insert(k).second) t.Insert(k);
  }
  transam::CommitTransaction();
  VerifyOk(t.index);

  // The next VACUUM finishes the deletion.
  const BtBulkDeleteStats cleanup = BtVacuumCleanup(t.index);
  EXPECT_GT(cleanup.pages_deleted, 0u);
  const BtVerifyStats done = VerifyOk(t.index);
  EXPECT_EQ(done.half_dead_pages, 0u);
  EXPECT_EQ(done.leaf_entries, model.size());
  ExpectScansMatch(t, model, 6);
  transam::WalFlush(transam::WalInsertPosition());
  harness.Crash();
  EXPECT_EQ(VerifyOk(t.index).half_dead_pages, 0u);
  ExpectScansMatch(t, model, 7);
}

TEST(BtPageDelTest, CrashBetweenHalfDeadAndUnlink) { RunStageCrash(1, 5); }
TEST(BtPageDelTest, CrashBetweenUnlinkSteps) { RunStageCrash(2, 20); }
// The half-dead subtree's top is an internal page (detached pages still chained, BT20).
TEST(BtPageDelTest, CrashWithHalfDeadInternalSubtree) { RunStageCrash(1, 0, StopWhen::kInternalTop); }
// The half-dead leaf is the leftmost leaf (the level's first downlink is its right sibling).
TEST(BtPageDelTest, CrashWithHalfDeadLeftmostLeaf) { RunStageCrash(1, 0, StopWhen::kLeftmost); }
// Between the unlink of a subtree's internal page and its leaf's.
TEST(BtPageDelTest, CrashAfterUnlinkingSubtreeTop) { RunStageCrash(2, 0, StopWhen::kLeafRemains); }

// Committed rows, deleted and vacuumed (pages deleted), vacuumed again (recyclable), refilled
// into recycled pages, committed; a crash keeps every committed row findable.
TEST(BtPageDelTest, CrashAfterDeletionAndRecycling) {
  ServerHarness harness;
  Int8Table t;
  t.Create();
  std::map<int64_t, storage::ItemPointer> rows;
  transam::StartTransaction();
  for (int64_t k = 0; k < 8000; ++k) rows[k] = t.Insert(k * 3);
  transam::CommitTransaction();
  transam::StartTransaction();
  for (int64_t k = 1000; k < 6000; ++k) {
    TmFailureData tmfd;
    ASSERT_EQ(HeapDelete(t.heap, rows[k], transam::GetCurrentCommandId(true), nullptr, true, &tmfd), TmResult::kOk);
    rows.erase(k);
  }
  transam::CommitTransaction();
  uint64_t deleted = 0;
  VacuumParams params;
  params.index_cleanup = [&](std::span<const storage::ItemPointer> dead) {
    const std::set<storage::ItemPointer> set(dead.begin(), dead.end());
    deleted += BtBulkDelete(t.index, [&](storage::ItemPointer tid) { return set.count(tid) != 0; }).pages_deleted;
  };
  transam::StartTransaction();
  (void)HeapVacuum(t.heap, params);
  transam::CommitTransaction();
  EXPECT_GT(deleted, 5u);
  ConsumeXid();
  transam::StartTransaction();
  EXPECT_EQ(BtVacuumCleanup(t.index).pages_free, deleted);
  transam::CommitTransaction();
  const uint32_t blocks = IndexBlocks(t.index);
  transam::StartTransaction();
  for (int64_t k = 1000; k < 3000; ++k) rows[k] = t.Insert(k * 3 + 1);
  transam::CommitTransaction();
  EXPECT_EQ(IndexBlocks(t.index), blocks);  // recycled pages took the new entries
  harness.Crash();

  transam::StartTransaction();
  BtVerifyStats stats;
  const std::vector<std::string> problems = BtVerify(t.index, t.VerifyWithHeap(), &stats);
  EXPECT_TRUE(problems.empty()) << Join(problems);
  const transam::Snapshot& snap = transam::GetTransactionSnapshot();
  const std::multiset<int64_t> heap_rows = t.HeapVisible(snap);
  EXPECT_EQ(heap_rows.size(), rows.size());
  std::vector<int64_t> fwd = t.IndexScanVisible(snap, {}, ScanDirection::kForward);
  EXPECT_EQ(fwd, std::vector<int64_t>(heap_rows.begin(), heap_rows.end()));
  std::vector<int64_t> bwd = t.IndexScanVisible(snap, {}, ScanDirection::kBackward);
  std::reverse(bwd.begin(), bwd.end());
  EXPECT_EQ(bwd, fwd);
  transam::CommitTransaction();
}
#endif

}  // namespace
}  // namespace keel::access::nbtree
