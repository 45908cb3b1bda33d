// The btree index AM through the interface only (IndexAmOf): builds from a real heap, every
// strategy, IS [NOT] NULL, DESC / NULLS FIRST / INCLUDE, backward scans, direction changes,
// mark/restore and index-only values against brute force over the heap; unique inserts; heap
// VACUUM's index cleanup through BulkDelete; the cost estimate. README.md ("Tests").
#include <gtest/gtest.h>

#include <map>
#include <random>
#include <set>

#include "access/heap/vacuum.h"
#include "access/nbtree/btree_am_test_util.h"
#include "backend/utils/error/error.h"

namespace keel::access::nbtree {
namespace {

using keel::testing::ServerHarness;
using storage::ItemPointer;
using testing::AmIndex;
using testing::AmRow;
using testing::AmTable;
using testing::FillRandomRows;

constexpr int kRows = 4000;

ScanKey OpKey(const AmIndex& idx, AttrNumber attno, StrategyNumber s, Datum arg) {
  const IndexColumn& c = idx.rel.columns[static_cast<size_t>(attno - 1)];
  return ScanKey{.attno = attno, .strategy = s, .argument = arg, .compare = c.compare,
                 .compare_arg = c.compare_arg};
}
ScanKey NullKey(AttrNumber attno, bool is_null) {
  return ScanKey{.attno = attno, .flags = is_null ? kSkSearchNull : kSkSearchNotNull};
}

std::vector<ItemPointer> Tids(const std::vector<AmRow>& rows) {
  std::vector<ItemPointer> out;
  for (const AmRow& r : rows) out.push_back(r.tid);
  return out;
}

std::vector<ItemPointer> Drain(IndexScan& scan, ScanDirection dir) {
  std::vector<ItemPointer> out;
  IndexScanEntry e;
  while (scan.GetNextTid(dir, &e)) {
    EXPECT_FALSE(e.recheck);
    out.push_back(e.tid);
  }
  return out;
}

// Checks want_itup values of an entry against the heap row it points at.
void ExpectValues(const AmIndex& idx, const AmRow& row, const IndexScanEntry& e) {
  ASSERT_EQ(e.values.size(), idx.rel.columns.size());
  for (size_t i = 0; i < idx.rel.columns.size(); ++i) {
    const AttrNumber h = idx.rel.columns[i].heap_attno;
    if (h == 1) {
      ASSERT_EQ(e.isnull[i], !row.a.has_value());
      if (row.a) {
        EXPECT_EQ(DatumGetInt32(e.values[i]), *row.a);
      }
    } else if (h == 2) {
      ASSERT_EQ(e.isnull[i], !row.b.has_value());
      if (row.b) {
        EXPECT_EQ(std::string(VarTextView(DatumGetPointer(e.values[i]))), *row.b);
      }
    } else {
      ASSERT_FALSE(e.isnull[i]);
      EXPECT_EQ(DatumGetInt64(e.values[i]), row.c);
    }
  }
}

class BtreeAmTest : public ::testing::Test {
 protected:
  void SetUp() override {
    t_.CreateHeap();
    FillRandomRows(t_, kRows, 7);
    // (a) ; (a DESC NULLS LAST, b NULLS FIRST) INCLUDE (c) ; UNIQUE (c)
    single_ = &t_.Describe(16390, "t_a_idx", {{1}});
    multi_ = &t_.Describe(16391, "t_a_b_idx", {{1, true, false}, {2, false, true}}, {{3}});
    unique_ = &t_.Describe(16392, "t_c_key", {{3}}, {}, true);
    for (AmIndex* idx : {single_, multi_, unique_}) {
      const IndexBuildResult r = t_.Build(*idx);
      EXPECT_EQ(r.heap_tuples, kRows);
      EXPECT_EQ(r.index_tuples, kRows);
    }
  }

  // Forward and backward scans of `keys` equal the brute-force lists, with want_itup values.
  void CheckKeys(const AmIndex& idx, const std::vector<ScanKey>& keys) {
    transam::StartTransaction();
    const std::vector<AmRow> expected = AmTable::Expected(idx, t_.Visible(transam::GetTransactionSnapshot()), keys);
    std::map<ItemPointer, AmRow> by_tid;
    for (const AmRow& r : expected) by_tid[r.tid] = r;
    for (bool itup : {false, true}) {
      auto scan = IndexAmOf(idx.rel).BeginScan(idx.rel, static_cast<int>(keys.size()), itup);
      scan->Rescan(keys);
      std::vector<ItemPointer> fwd;
      IndexScanEntry e;
      while (scan->GetNextTid(ScanDirection::kForward, &e)) {
        fwd.push_back(e.tid);
        if (itup) {
          auto it = by_tid.find(e.tid);
          ASSERT_NE(it, by_tid.end());
          ExpectValues(idx, it->second, e);
        } else {
          EXPECT_TRUE(e.values.empty());
        }
      }
      EXPECT_EQ(fwd, Tids(expected)) << idx.rel.rel.name << " keys " << keys.size();
      scan->Rescan(keys);
      std::vector<ItemPointer> bwd = Drain(*scan, ScanDirection::kBackward);
      std::reverse(bwd.begin(), bwd.end());
      EXPECT_EQ(bwd, Tids(expected)) << idx.rel.rel.name << " backward";
    }
    transam::CommitTransaction();
  }

  void TearDown() override {
    if (transam::IsTransactionActive()) transam::AbortTransaction();  // after a failed ASSERT
  }

  ServerHarness harness_;
  AmTable t_;
  AmIndex* single_ = nullptr;
  AmIndex* multi_ = nullptr;
  AmIndex* unique_ = nullptr;
};

TEST_F(BtreeAmTest, RegisteredAtStartUpWithBtreeProperties) {
  const IndexAm& am = IndexAmOf(single_->rel);
  EXPECT_EQ(&am, &GetBtreeIndexAm());
  EXPECT_EQ(am.Name(), "btree");
  EXPECT_EQ(GetIndexAmOid("btree"), kBtreeIndexAmOid);
  const IndexAmProperties& p = am.Properties();
  EXPECT_TRUE(p.can_order && p.can_backward && p.can_unique && p.can_multi_col && p.can_include &&
              p.optional_key && p.search_nulls && p.can_mark_pos && p.clusterable);
  EXPECT_EQ(p.max_strategy, 5);
  EXPECT_TRUE(am.CanReturn(multi_->rel, 3));
  RegisterBtreeIndexAm();  // idempotent
  EXPECT_EQ(&GetIndexAm(kBtreeIndexAmOid), &am);
}

TEST_F(BtreeAmTest, EveryStrategyAndNullTestSingleColumn) {
  const AmIndex& idx = *single_;
  for (int32_t v : {-1, 0, 17, 150, 299, 300}) {
    for (StrategyNumber s = strategy::kLess; s <= strategy::kGreater; ++s) {
      CheckKeys(idx, {OpKey(idx, 1, s, Int32GetDatum(v))});
    }
  }
  CheckKeys(idx, {});
  CheckKeys(idx, {NullKey(1, true)});
  CheckKeys(idx, {NullKey(1, false)});
  CheckKeys(idx, {OpKey(idx, 1, strategy::kGreaterEqual, Int32GetDatum(40)),
                  OpKey(idx, 1, strategy::kLess, Int32GetDatum(45))});
  CheckKeys(idx, {NullKey(1, false), OpKey(idx, 1, strategy::kLessEqual, Int32GetDatum(3))});
  CheckKeys(idx, {NullKey(1, true), NullKey(1, false)});  // contradictory: nothing
  // "a = NULL" never matches (kSkIsNull).
  ScanKey null_arg = OpKey(idx, 1, strategy::kEqual, 0);
  null_arg.flags = kSkIsNull;
  CheckKeys(idx, {null_arg});
}

TEST_F(BtreeAmTest, MultiColumnDescNullsFirstInclude) {
  const AmIndex& idx = *multi_;
  const std::vector<std::byte> s50 = AmTable::Text("s50"), s07 = AmTable::Text("s07");
  for (StrategyNumber s = strategy::kLess; s <= strategy::kGreater; ++s) {
    CheckKeys(idx, {OpKey(idx, 1, s, Int32GetDatum(120))});
    CheckKeys(idx, {OpKey(idx, 2, s, PointerGetDatum(s50.data()))});  // second column only
    CheckKeys(idx, {OpKey(idx, 1, strategy::kEqual, Int32GetDatum(7)),
                    OpKey(idx, 2, s, PointerGetDatum(s50.data()))});
  }
  CheckKeys(idx, {});
  CheckKeys(idx, {NullKey(1, true)});
  CheckKeys(idx, {NullKey(1, false)});
  CheckKeys(idx, {NullKey(2, true)});
  CheckKeys(idx, {NullKey(2, false)});
  CheckKeys(idx, {NullKey(1, true), NullKey(2, true)});
  CheckKeys(idx, {NullKey(1, true), NullKey(2, false)});
  CheckKeys(idx, {NullKey(1, true), OpKey(idx, 2, strategy::kGreater, PointerGetDatum(s07.data()))});
  CheckKeys(idx, {OpKey(idx, 1, strategy::kEqual, Int32GetDatum(9)), NullKey(2, true)});
  CheckKeys(idx, {OpKey(idx, 1, strategy::kEqual, Int32GetDatum(9)), NullKey(2, false)});
  CheckKeys(idx, {NullKey(1, false), NullKey(2, false),
                  OpKey(idx, 1, strategy::kLess, Int32GetDatum(30))});
}

// IX10: a random walk of direction changes returns exactly what a model of the position over
// the brute-force list predicts, and mark/restore goes back to the marked entry.
TEST_F(BtreeAmTest, DirectionChangesAndMarkRestore) {
  std::mt19937 rng(11);
  for (const AmIndex* idx : {single_, multi_}) {
    const std::vector<std::vector<ScanKey>> key_sets = {
        {},
        {OpKey(*idx, 1, strategy::kGreaterEqual, Int32GetDatum(100)),
         OpKey(*idx, 1, strategy::kLessEqual, Int32GetDatum(160))},
        {NullKey(1, true)},
        {OpKey(*idx, 1, strategy::kEqual, Int32GetDatum(33))}};
    for (const auto& keys : key_sets) {
      transam::StartTransaction();
      const std::vector<ItemPointer> expected =
          Tids(AmTable::Expected(*idx, t_.Visible(transam::GetTransactionSnapshot()), keys));
      const auto n = static_cast<ptrdiff_t>(expected.size());
      auto scan = IndexAmOf(idx->rel).BeginScan(idx->rel, static_cast<int>(keys.size()), false);
      scan->Rescan(keys);
      ptrdiff_t pos = -1;  // model: entry returned last (-1 before the first, n after the last)
      ptrdiff_t marked = -2;
      bool forward = true;
      bool fresh = true;  // no entry asked for yet: either direction starts at its end
      ptrdiff_t run = 0;  // steps left before the direction flips: runs cross leaf pages
      for (int step = 0; step < 20000; ++step) {
        const uint32_t r = rng() % 100;
        if (r < 3 && pos >= 0) {
          scan->MarkPos();
          marked = pos;
          continue;
        }
        if (r < 6 && marked != -2) {
          scan->RestorePos();
          pos = marked;
          continue;
        }
        if (run-- <= 0) {
          forward = !forward;
          run = static_cast<ptrdiff_t>(rng() % static_cast<uint32_t>(n / 2 + 3));
        }
        IndexScanEntry e;
        const bool got = scan->GetNextTid(forward ? ScanDirection::kForward : ScanDirection::kBackward, &e);
        const ptrdiff_t want = fresh && !forward ? n - 1 : forward ? pos + 1 : pos - 1;
        fresh = false;
        if (want >= 0 && want < n) {
          ASSERT_TRUE(got) << "step " << step << " want " << want << " of " << n;
          ASSERT_EQ(e.tid, expected[static_cast<size_t>(want)]) << "step " << step;
          pos = want;
        } else {
          ASSERT_FALSE(got) << "step " << step;
          pos = forward ? n : -1;
        }
      }
      transam::CommitTransaction();
    }
  }
}

TEST_F(BtreeAmTest, UniqueInsertsThroughTheAm) {
  transam::StartTransaction();
  std::string message, detail;
  try {
    (void)t_.Insert(1, "x", 42, UniqueCheck::kYes);
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.sqlstate().code()), "23505");
    message = e.message();
    detail = e.detail();
  }
  transam::AbortTransaction();
  EXPECT_EQ(message, "duplicate key value violates unique constraint \"t_c_key\"");
  EXPECT_EQ(detail, "Key (c)=(42) already exists.");

  transam::StartTransaction();
  (void)t_.Insert(1, "x", kRows + 1, UniqueCheck::kYes);  // new key: fine
  transam::CommitTransaction();

  // kPartial: inserted, false for a possible conflict; kExisting: recheck without inserting.
  transam::StartTransaction();
  const std::vector<std::byte> text = AmTable::Text("y");
  const Datum v[3] = {Int32GetDatum(5), PointerGetDatum(text.data()), Int64GetDatum(43)};
  const bool n[3] = {false, false, false};
  HeapTuple tup = HeapFormTuple(t_.desc, v, n);
  const ItemPointer tid = TableAmOf(t_.heap).Insert(t_.heap, tup, transam::GetCurrentCommandId(true));
  const AmRow row{tid, 5, "y", 43};
  EXPECT_FALSE(t_.InsertEntry(*unique_, row, UniqueCheck::kPartial));
  EXPECT_FALSE(t_.InsertEntry(*unique_, row, UniqueCheck::kExisting));
  const AmRow fresh_row{tid, 5, "y", kRows + 7};
  EXPECT_TRUE(t_.InsertEntry(*unique_, fresh_row, UniqueCheck::kPartial));
  EXPECT_TRUE(t_.InsertEntry(*unique_, fresh_row, UniqueCheck::kExisting));
  transam::AbortTransaction();
  // The aborted row conflicts with nothing.
  transam::StartTransaction();
  (void)t_.Insert(1, "x", kRows + 7, UniqueCheck::kYes);
  transam::CommitTransaction();
}

TEST_F(BtreeAmTest, HeapVacuumCleansEveryIndexThroughBulkDelete) {
  // Delete every 7th row and update every 11th (non-HOT: new entries), then VACUUM.
  transam::StartTransaction();
  std::vector<AmRow> rows = t_.Visible(transam::GetTransactionSnapshot());
  size_t deleted = 0;
  for (size_t i = 0; i < rows.size(); ++i) {
    TmFailureData f;
    if (i % 7 == 0) {
      ASSERT_EQ(TableAmOf(t_.heap).Delete(t_.heap, rows[i].tid, transam::GetCurrentCommandId(true),
                                          nullptr, true, &f),
                TmResult::kOk);
      ++deleted;
    } else if (i % 11 == 0) {
      const std::vector<std::byte> text = AmTable::Text("upd");
      const Datum v[3] = {Int32GetDatum(1000), PointerGetDatum(text.data()), Int64GetDatum(rows[i].c)};
      const bool n[3] = {false, false, false};
      HeapTuple nt = HeapFormTuple(t_.desc, v, n);
      UpdateIndexes ui;
      ASSERT_EQ(TableAmOf(t_.heap).Update(t_.heap, rows[i].tid, nt, transam::GetCurrentCommandId(true),
                                          nullptr, true, true, &f, &ui),
                TmResult::kOk);
      ASSERT_EQ(ui, UpdateIndexes::kAll);
      for (const auto& idx : t_.indexes) (void)t_.InsertEntry(*idx, AmRow{nt.self, 1000, "upd", rows[i].c}, UniqueCheck::kNo);
      ++deleted;  // the old version dies too
    }
  }
  transam::CommitTransaction();

  std::vector<IndexBulkDeleteResult> results(t_.indexes.size());
  VacuumParams params;
  params.index_cleanup = [&](std::span<const ItemPointer> dead) {
    std::vector<ItemPointer> sorted(dead.begin(), dead.end());
    std::sort(sorted.begin(), sorted.end());
    std::span<const ItemPointer> span(sorted);
    for (size_t i = 0; i < t_.indexes.size(); ++i) {
      IndexVacuumInfo info;
      info.index = &t_.indexes[i]->rel;
      info.heap = &t_.heap;
      IndexAmOf(t_.indexes[i]->rel).BulkDelete(info, &results[i], TidIsInSortedSpan, &span);
    }
  };
  transam::StartTransaction();
  const VacuumStats vs = TableAmOf(t_.heap).Vacuum(t_.heap, params);
  transam::CommitTransaction();
  EXPECT_EQ(vs.tuples_removed, deleted);

  transam::StartTransaction();
  const std::vector<AmRow> live = t_.Visible(transam::GetTransactionSnapshot());
  std::set<ItemPointer> live_tids;
  for (const AmRow& r : live) live_tids.insert(r.tid);
  for (size_t i = 0; i < t_.indexes.size(); ++i) {
    const AmIndex& idx = *t_.indexes[i];
    EXPECT_EQ(results[i].tuples_removed, static_cast<double>(deleted)) << idx.rel.rel.name;
    EXPECT_EQ(results[i].num_index_tuples, static_cast<double>(live.size()));
    EXPECT_GT(results[i].num_pages.value(), 2u);
    auto scan = IndexAmOf(idx.rel).BeginScan(idx.rel, 0, false);
    scan->Rescan({});
    const std::vector<ItemPointer> tids = Drain(*scan, ScanDirection::kForward);
    // No entry points at a removed tid: the entries are exactly the live rows.
    EXPECT_EQ(std::set<ItemPointer>(tids.begin(), tids.end()), live_tids) << idx.rel.rel.name;
    EXPECT_EQ(tids.size(), live.size());
    IndexVacuumInfo info;
    info.index = &idx.rel;
    info.heap = &t_.heap;
    IndexBulkDeleteResult cleanup;
    IndexAmOf(idx.rel).VacuumCleanup(info, &cleanup);
    EXPECT_EQ(cleanup.num_index_tuples, static_cast<double>(live.size()));
  }
  transam::CommitTransaction();
  CheckKeys(*multi_, {OpKey(*multi_, 1, strategy::kEqual, Int32GetDatum(1000))});
  CheckKeys(*single_, {OpKey(*single_, 1, strategy::kLess, Int32GetDatum(20))});
}

TEST_F(BtreeAmTest, CostEstimateIsSane) {
  const AmIndex& idx = *single_;
  IndexVacuumInfo info;
  info.index = &idx.rel;
  info.heap = &t_.heap;
  IndexBulkDeleteResult stats;
  IndexAmOf(idx.rel).VacuumCleanup(info, &stats);
  IndexCostInputs in;
  in.index_pages = stats.num_pages;
  in.index_tuples = stats.num_index_tuples;
  in.heap_tuples = kRows;
  in.num_index_quals = 1;
  in.boundary_selectivity = in.index_selectivity = 0.01;
  const IndexCostEstimate narrow = IndexAmOf(idx.rel).CostEstimate(idx.rel, in);
  in.boundary_selectivity = in.index_selectivity = 0.5;
  const IndexCostEstimate wide = IndexAmOf(idx.rel).CostEstimate(idx.rel, in);
  in.tree_height = 1;  // what the meta page says for a 4000-entry int4 index
  const IndexCostEstimate given = IndexAmOf(idx.rel).CostEstimate(idx.rel, in);
  for (const IndexCostEstimate& e : {narrow, wide}) {
    EXPECT_GE(e.startup_cost, 0);
    EXPECT_GT(e.total_cost, e.startup_cost);
    EXPECT_GE(e.pages, 1);
    EXPECT_LE(e.pages, static_cast<double>(stats.num_pages.value()));
  }
  EXPECT_LT(narrow.total_cost, wide.total_cost);
  EXPECT_DOUBLE_EQ(narrow.selectivity, 0.01);
  EXPECT_DOUBLE_EQ(wide.total_cost, given.total_cost);  // the height came from the meta page
}

}  // namespace
}  // namespace keel::access::nbtree
