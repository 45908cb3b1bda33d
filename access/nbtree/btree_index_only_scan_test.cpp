// Index-only scans (access/index/index_only_scan.h) over btree and the heap: no heap fetch
// once VACUUM has set the visibility map, fetches exactly for entries on pages changed since,
// MVCC results for old and new snapshots, forked scanners racing updaters and VACUUM, and
// VACUUM's cleanup lock waiting for a scan that keeps its leaf pin. README.md ("Tests", BT27-BT30).
#include <gtest/gtest.h>

#include <random>
#include <set>

#include "access/heap/vacuum.h"
#include "access/heap/visibility_map.h"
#include "access/index/index_only_scan.h"
#include "access/nbtree/btree_am_test_util.h"

namespace keel::access::nbtree {
namespace {

using access::testing::Channel;
using keel::testing::ServerHarness;
using storage::ItemPointer;
using testing::AmIndex;
using testing::AmRow;
using testing::AmTable;
using testing::FillRandomRows;

constexpr int kRows = 3000;

ScanKey OpKey(const AmIndex& idx, AttrNumber attno, StrategyNumber s, Datum arg) {
  const IndexColumn& c = idx.rel.columns[static_cast<size_t>(attno - 1)];
  return ScanKey{.attno = attno, .strategy = s, .argument = arg, .compare = c.compare,
                 .compare_arg = c.compare_arg};
}

AmRow RowFromValues(const AmIndex& idx, const IndexOnlyRow& r) {
  AmRow row;
  row.tid = r.tid;
  for (size_t i = 0; i < idx.rel.columns.size(); ++i) {
    const AttrNumber h = idx.rel.columns[i].heap_attno;
    if (r.isnull[i]) continue;
    if (h == 1) row.a = DatumGetInt32(r.values[i]);
    if (h == 2) row.b = std::string(VarTextView(DatumGetPointer(r.values[i])));
    if (h == 3) row.c = DatumGetInt64(r.values[i]);
  }
  return row;
}

bool SameValues(const AmRow& x, const AmRow& y) { return x.a == y.a && x.b == y.b && x.c == y.c; }

// The scan's rows are in index order and are the model's rows (the heap scan's): compared by
// c, unique among the versions one snapshot sees, since an entry's tid is its HOT chain's root
// while the heap scan reports the visible member's own tid.
bool MatchesModel(const AmIndex& idx, std::vector<AmRow> got, std::vector<AmRow> expected) {
  if (got.size() != expected.size()) {
    fprintf(stderr, "%zu rows, expected %zu\n", got.size(), expected.size());
    return false;
  }
  std::vector<Datum> vx, vy;
  std::vector<char> nx, ny;
  std::vector<std::byte> tx, ty;
  for (size_t i = 1; i < got.size(); ++i) {
    AmTable::IndexValues(idx, got[i - 1], &vx, &nx, &tx);
    AmTable::IndexValues(idx, got[i], &vy, &ny, &ty);
    int32_t c = 0;
    for (size_t k = 0; k < idx.order.size() && c == 0; ++k) {
      c = IndexCompareColumn(idx.order[k], vx[k], nx[k] != 0, vy[k], ny[k] != 0);
    }
    if (c > 0) {
      fprintf(stderr, "out of index order at %zu\n", i);
      return false;
    }
  }
  auto by_c = [](const AmRow& x, const AmRow& y) { return x.c < y.c; };
  std::sort(got.begin(), got.end(), by_c);
  std::sort(expected.begin(), expected.end(), by_c);
  for (size_t i = 0; i < got.size(); ++i) {
    if (!SameValues(got[i], expected[i])) {
      fprintf(stderr, "row c=%lld differs from c=%lld\n", static_cast<long long>(got[i].c),
              static_cast<long long>(expected[i].c));
      return false;
    }
  }
  return true;
}

bool SameRows(const std::vector<AmRow>& x, const std::vector<AmRow>& y) {
  if (x.size() != y.size()) return false;
  for (size_t i = 0; i < x.size(); ++i) {
    if (x[i].tid != y[i].tid || !SameValues(x[i], y[i])) return false;
  }
  return true;
}

struct IosResult {
  std::vector<AmRow> rows;
  uint64_t heap_fetches = 0;
};

IosResult RunIos(const AmTable& t, const AmIndex& idx, const transam::Snapshot& snapshot,
                 const std::vector<ScanKey>& keys, ScanDirection dir = ScanDirection::kForward) {
  IndexOnlyScan scan(IndexAmOf(idx.rel).BeginScan(idx.rel, static_cast<int>(keys.size()), true),
                     t.heap, snapshot);
  scan.Rescan(keys);
  IosResult out;
  IndexOnlyRow r;
  while (scan.Next(dir, &r)) out.rows.push_back(RowFromValues(idx, r));
  out.heap_fetches = scan.heap_fetches();
  if (dir == ScanDirection::kBackward) std::reverse(out.rows.begin(), out.rows.end());
  return out;
}

// Entries matching `keys` whose heap page is not all-visible now: the fetches an index-only
// scan must make.
uint64_t ExpectedFetches(const AmTable& t, const AmIndex& idx, const std::vector<ScanKey>& keys) {
  auto scan = IndexAmOf(idx.rel).BeginScan(idx.rel, static_cast<int>(keys.size()), false);
  scan->Rescan(keys);
  uint64_t n = 0;
  IndexScanEntry e;
  while (scan->GetNextTid(ScanDirection::kForward, &e)) {
    n += TableAmOf(t.heap).PageIsAllVisible(t.heap, e.tid.block) ? 0 : 1;
  }
  return n;
}

VacuumStats VacuumWithIndexes(AmTable& t) {
  VacuumParams params;
  params.index_cleanup = [&t](std::span<const ItemPointer> dead) {
    std::vector<ItemPointer> sorted(dead.begin(), dead.end());
    std::sort(sorted.begin(), sorted.end());
    std::span<const ItemPointer> span(sorted);
    for (const auto& idx : t.indexes) {
      IndexVacuumInfo info;
      info.index = &idx->rel;
      info.heap = &t.heap;
      IndexBulkDeleteResult stats;
      IndexAmOf(idx->rel).BulkDelete(info, &stats, TidIsInSortedSpan, &span);
    }
  };
  transam::StartTransaction();
  const VacuumStats stats = TableAmOf(t.heap).Vacuum(t.heap, params);
  transam::CommitTransaction();
  return stats;
}

// Updates the row with c = `c` (visible to a fresh snapshot) to a = new_a (non-HOT, new index
// entries) or, with hot, to the same values (HOT: no indexed column changes); or deletes it.
// In the caller's transaction. False when no such row is visible.
bool ModifyRow(AmTable& t, const AmIndex& by_c, int64_t c, int kind, int32_t new_a) {
  const std::vector<ScanKey> keys = {OpKey(by_c, 1, strategy::kEqual, Int64GetDatum(c))};
  auto scan = IndexAmOf(by_c.rel).BeginScan(by_c.rel, 1, false);
  scan->Rescan(keys);
  IndexScanEntry e;
  auto fetch = TableAmOf(t.heap).BeginIndexFetch(t.heap);
  const transam::Snapshot snap = transam::GetLatestSnapshot();
  while (scan->GetNextTid(ScanDirection::kForward, &e)) {
    HeapTuple old;
    if (!fetch->Fetch(snap, e.tid, &old)) continue;
    AmRow row = t.RowOf(old.header(), static_cast<uint32_t>(old.size()), old.self);
    TmFailureData f;
    const CommandId cid = transam::GetCurrentCommandId(true);
    if (kind == 0) {
      return TableAmOf(t.heap).Delete(t.heap, old.self, cid, nullptr, true, &f) == TmResult::kOk;
    }
    const bool hot = kind == 2;
    if (!hot) row.a = new_a;
    const std::vector<std::byte> text = row.b ? AmTable::Text(*row.b) : std::vector<std::byte>{};
    const Datum v[3] = {Int32GetDatum(row.a.value_or(0)), row.b ? PointerGetDatum(text.data()) : Datum{0},
                        Int64GetDatum(row.c)};
    const bool n[3] = {!row.a.has_value(), !row.b.has_value(), false};
    HeapTuple nt = HeapFormTuple(t.desc, v, n);
    UpdateIndexes ui;
    if (TableAmOf(t.heap).Update(t.heap, old.self, nt, cid, nullptr, true, !hot, &f, &ui) != TmResult::kOk) {
      return false;
    }
    if (ui == UpdateIndexes::kAll) {
      row.tid = nt.self;
      for (const auto& idx : t.indexes) (void)t.InsertEntry(*idx, row, UniqueCheck::kNo);
    }
    return true;
  }
  return false;
}

class BtreeIndexOnlyScanTest : public ::testing::Test {
 protected:
  void SetUp() override {
    t_.CreateHeap();
    FillRandomRows(t_, kRows, 3);
    idx_ = &t_.Describe(16391, "t_a_b_idx", {{1, true, false}, {2, false, true}}, {{3}});
    by_c_ = &t_.Describe(16392, "t_c_idx", {{3}});
    (void)t_.Build(*idx_);
    (void)t_.Build(*by_c_);
  }
  void TearDown() override {
    if (transam::IsTransactionActive()) transam::AbortTransaction();
  }

  std::vector<std::vector<ScanKey>> KeySets() const {
    return {{},
            {OpKey(*idx_, 1, strategy::kGreaterEqual, Int32GetDatum(50)),
             OpKey(*idx_, 1, strategy::kLess, Int32GetDatum(90))},
            {ScanKey{.attno = 1, .flags = kSkSearchNull}}};
  }

  // Every key set, both directions: the index-only scan equals brute force over a heap scan
  // of the same snapshot, and fetches exactly the entries on pages not all-visible.
  void CheckAll(const transam::Snapshot& snapshot, bool expect_no_fetch) {
    for (const auto& keys : KeySets()) {
      const std::vector<AmRow> expected = AmTable::Expected(*idx_, t_.Visible(snapshot), keys);
      const uint64_t fetches = ExpectedFetches(t_, *idx_, keys);
      for (ScanDirection dir : {ScanDirection::kForward, ScanDirection::kBackward}) {
        const IosResult r = RunIos(t_, *idx_, snapshot, keys, dir);
        EXPECT_TRUE(MatchesModel(*idx_, r.rows, expected));
        EXPECT_EQ(r.heap_fetches, fetches);
        if (expect_no_fetch) {
          EXPECT_EQ(r.heap_fetches, 0u);
        }
      }
    }
  }

  ServerHarness harness_;
  AmTable t_;
  AmIndex* idx_ = nullptr;
  AmIndex* by_c_ = nullptr;
};

TEST_F(BtreeIndexOnlyScanTest, AllVisibleAfterVacuumThenFetchesForChangedPages) {
  (void)VacuumWithIndexes(t_);
  const BlockNumber blocks = TableAmOf(t_.heap).RelationBlocks(t_.heap);
  ASSERT_GT(blocks.value(), 5u);
  EXPECT_EQ(VisibilityMapCountAllVisible(t_.heap).value(), blocks.value());
  transam::StartTransaction();
  CheckAll(transam::GetTransactionSnapshot(), /*expect_no_fetch=*/true);
  const IosResult all = RunIos(t_, *idx_, transam::GetTransactionSnapshot(), {});
  EXPECT_EQ(all.rows.size(), static_cast<size_t>(kRows));
  transam::CommitTransaction();

  // An old snapshot, then another backend deletes and updates rows on a few pages.
  transam::StartTransaction();
  const transam::Snapshot old_snapshot = transam::GetTransactionSnapshot();
  const std::vector<AmRow> old_rows = t_.Visible(old_snapshot);
  pid_t pid = harness_.ForkBackend([&] {
    transam::StartTransaction();
    for (int64_t c = 0; c < 240; c += 8) {  // rows on the first pages only
      if (!ModifyRow(t_, *by_c_, c, static_cast<int>(c % 3), 1000 + static_cast<int32_t>(c % 7))) return 1;
    }
    transam::CommitTransaction();
    return 0;
  });
  ASSERT_EQ(harness_.Wait(pid), 0);
  // VACUUM (elsewhere) cannot set the changed pages all-visible while our snapshot is older.
  pid = harness_.ForkBackend([&] {
    (void)VacuumWithIndexes(t_);
    return 0;
  });
  ASSERT_EQ(harness_.Wait(pid), 0);
  EXPECT_LT(VisibilityMapCountAllVisible(t_.heap).value(), blocks.value());
  EXPECT_TRUE(SameRows(t_.Visible(old_snapshot), old_rows));
  CheckAll(old_snapshot, false);  // old values, through fetches of the changed pages only
  const IosResult old_all = RunIos(t_, *idx_, old_snapshot, {});
  EXPECT_GT(old_all.heap_fetches, 0u);
  EXPECT_LT(old_all.heap_fetches, static_cast<uint64_t>(kRows));
  transam::CommitTransaction();

  transam::StartTransaction();
  CheckAll(transam::GetTransactionSnapshot(), false);  // new values
  transam::CommitTransaction();

  (void)VacuumWithIndexes(t_);  // nobody older now: every page all-visible again
  EXPECT_EQ(VisibilityMapCountAllVisible(t_.heap).value(), TableAmOf(t_.heap).RelationBlocks(t_.heap).value());
  transam::StartTransaction();
  CheckAll(transam::GetTransactionSnapshot(), true);
  const IosResult after = RunIos(t_, *idx_, transam::GetTransactionSnapshot(),
                                 {OpKey(*idx_, 1, strategy::kGreaterEqual, Int32GetDatum(1000))});
  EXPECT_FALSE(after.rows.empty());  // the updated rows' new entries, from the index alone
  EXPECT_EQ(after.heap_fetches, 0u);
  transam::CommitTransaction();
}

// Forked index-only scanners race two updaters and a VACUUM loop; every scan equals a heap scan
// of the same snapshot.
TEST_F(BtreeIndexOnlyScanTest, ConcurrentScansUpdatesAndVacuum) {
  (void)VacuumWithIndexes(t_);
  Channel stop_scanners, stop_vacuum;
  std::vector<pid_t> scanners;
  for (int s = 0; s < 2; ++s) {
    scanners.push_back(harness_.ForkBackend([&, s]() -> int {
      std::mt19937 rng(100 + s);
      int rounds = 0;
      uint64_t fetched = 0;
      for (;;) {
        transam::StartTransaction();
        const transam::Snapshot snap = transam::GetTransactionSnapshot();
        const auto sets = KeySets();
        const auto& keys = sets[rng() % sets.size()];
        const ScanDirection dir = rng() % 2 == 0 ? ScanDirection::kForward : ScanDirection::kBackward;
        const IosResult r = RunIos(t_, *idx_, snap, keys, dir);
        const std::vector<AmRow> expected = AmTable::Expected(*idx_, t_.Visible(snap), keys);
        transam::CommitTransaction();
        if (!MatchesModel(*idx_, r.rows, expected)) {
          fprintf(stderr, "scanner %d round %d: %zu rows, expected %zu\n", s, rounds, r.rows.size(),
                  expected.size());
          return 1;
        }
        fetched += r.heap_fetches;
        ++rounds;
        if (rounds >= 3 && stop_scanners.ParentHasMessage(0)) break;
      }
      return rounds >= 3 ? 0 : 2;
    }));
  }
  const pid_t vacuum = harness_.ForkBackend([&]() -> int {
    int rounds = 0;
    while (!(rounds >= 2 && stop_vacuum.ParentHasMessage(0))) {
      (void)VacuumWithIndexes(t_);
      ++rounds;
    }
    return 0;
  });
  std::vector<pid_t> updaters;
  for (int u = 0; u < 2; ++u) {
    updaters.push_back(harness_.ForkBackend([&, u]() -> int {
      std::mt19937 rng(200 + u);
      for (int batch = 0; batch < 120; ++batch) {
        transam::StartTransaction();
        for (int i = 0; i < 10; ++i) {
          const int64_t c = static_cast<int64_t>(rng() % (kRows / 2)) * 2 + u;  // own rows only
          (void)ModifyRow(t_, *by_c_, c, static_cast<int>(rng() % 3), static_cast<int32_t>(rng() % 400));
        }
        if (batch % 5 == 4) {
          transam::AbortTransaction();
        } else {
          transam::CommitTransaction();
        }
      }
      return 0;
    }));
  }
  for (pid_t p : updaters) EXPECT_EQ(harness_.Wait(p, 120000), 0);
  // The "stop" word goes to the parent end of each channel the children poll.
  stop_scanners.SendToParent(1);
  stop_vacuum.SendToParent(1);
  for (pid_t p : scanners) EXPECT_EQ(harness_.Wait(p, 120000), 0);
  EXPECT_EQ(harness_.Wait(vacuum, 120000), 0);

  (void)VacuumWithIndexes(t_);
  transam::StartTransaction();
  CheckAll(transam::GetTransactionSnapshot(), true);
  transam::CommitTransaction();
}

// BT28: VACUUM's bulk delete waits for the cleanup lock on a leaf an index-only scan is still
// returning entries from, and goes on once the scan moves off it.
TEST_F(BtreeIndexOnlyScanTest, CleanupLockWaitsForScanHoldingLeafPin) {
  // Rows on the first leaf of by_c (c = 0..) die.
  transam::StartTransaction();
  for (int64_t c = 0; c < 50; c += 2) ASSERT_TRUE(ModifyRow(t_, *by_c_, c, 0, 0));
  transam::CommitTransaction();

  transam::StartTransaction();  // our snapshot is newer than the deletes: they are dead
  const transam::Snapshot snap = transam::GetTransactionSnapshot();
  auto scan = std::make_unique<IndexOnlyScan>(IndexAmOf(by_c_->rel).BeginScan(by_c_->rel, 0, true),
                                              t_.heap, snap);
  scan->Rescan({});
  IndexOnlyRow r;
  ASSERT_TRUE(scan->Next(ScanDirection::kForward, &r));  // positioned on the leftmost leaf
  EXPECT_EQ(DatumGetInt64(r.values[0]), 1);

  Channel done;
  const pid_t vac = harness_.ForkBackend([&]() -> int {
    (void)VacuumWithIndexes(t_);
    done.SendToParent(1);
    return 0;
  });
  // Still blocked on our pin (a wrong implementation would finish at once; a slow machine can
  // only make this pass more easily, never fail).
  EXPECT_FALSE(done.ParentHasMessage(2000));
  // The entries we return meanwhile are all there.
  int64_t last = 1;
  for (int i = 0; i < 20; ++i) {
    ASSERT_TRUE(scan->Next(ScanDirection::kForward, &r));
    EXPECT_GT(DatumGetInt64(r.values[0]), last);
    last = DatumGetInt64(r.values[0]);
  }
  EXPECT_FALSE(done.ParentHasMessage(200));
  scan.reset();  // the pin goes
  ASSERT_TRUE(done.RecvInParent(30000).has_value());
  EXPECT_EQ(harness_.Wait(vac), 0);
  transam::CommitTransaction();

  // No entry of by_c points at a removed row.
  transam::StartTransaction();
  const IosResult after = RunIos(t_, *by_c_, transam::GetTransactionSnapshot(), {});
  EXPECT_EQ(after.rows.size(), static_cast<size_t>(kRows - 25));
  auto plain = IndexAmOf(by_c_->rel).BeginScan(by_c_->rel, 0, false);
  plain->Rescan({});
  size_t entries = 0;
  IndexScanEntry e;
  while (plain->GetNextTid(ScanDirection::kForward, &e)) ++entries;
  EXPECT_EQ(entries, static_cast<size_t>(kRows - 25));
  transam::CommitTransaction();
}

}  // namespace
}  // namespace keel::access::nbtree
