// The generic btree-like cost estimate against figures worked out by hand from PostgreSQL's
// rules (README.md, "Cost estimation").
#include "access/index/index_cost.h"

#include <gtest/gtest.h>

#include <cmath>

namespace keel::access {
namespace {

TEST(IndexCostTest, RangeScanOfALargeIndex) {
  IndexCostInputs in;
  in.index_pages = BlockNumber(1000);
  in.index_tuples = 100'000;
  in.tree_height = 2;
  in.heap_tuples = 100'000;
  in.boundary_selectivity = 0.01;   // 1000 entries, 10 leaf pages
  in.index_selectivity = 0.005;
  in.num_index_quals = 2;
  in.first_column_correlation = 0.8;
  in.key_columns = 2;
  const IndexCostEstimate c = BtreeLikeCostEstimate(in);
  EXPECT_DOUBLE_EQ(c.pages, 10);
  // descent: ceil(log2(100000)) = 17 comparisons + 3 levels * 50 operator costs.
  const double descent = 17 * 0.0025 + 3 * 50 * 0.0025;
  EXPECT_DOUBLE_EQ(c.startup_cost, descent);
  EXPECT_DOUBLE_EQ(c.total_cost, 10 * 4.0 + 1000 * (0.005 + 2 * 0.0025) + descent);
  EXPECT_DOUBLE_EQ(c.selectivity, 0.005);
  EXPECT_DOUBLE_EQ(c.correlation, 0.6);  // multicolumn: 0.75 of the first column's
}

TEST(IndexCostTest, UniqueLookupAndTinyIndex) {
  IndexCostInputs in;
  in.index_pages = BlockNumber(300);
  in.index_tuples = 50'000;
  in.tree_height = 1;
  in.boundary_selectivity = 0.5;  // ignored: '=' on every key of a unique index
  in.unique_equal_all_keys = true;
  in.num_index_quals = 1;
  in.first_column_correlation = -0.5;
  const IndexCostEstimate c = BtreeLikeCostEstimate(in);
  EXPECT_DOUBLE_EQ(c.pages, 1);  // ceil(1 * 300 / 50000)
  EXPECT_DOUBLE_EQ(c.correlation, -0.5);
  const double descent = std::ceil(std::log2(50'000.0)) * 0.0025 + 2 * 50 * 0.0025;
  EXPECT_DOUBLE_EQ(c.total_cost, 4.0 + (0.005 + 0.0025) + descent);

  IndexCostInputs empty;  // a never-vacuumed index: one page, one entry at least
  const IndexCostEstimate e = BtreeLikeCostEstimate(empty);
  EXPECT_DOUBLE_EQ(e.pages, 1);
  EXPECT_DOUBLE_EQ(e.startup_cost, 50 * 0.0025);
  EXPECT_DOUBLE_EQ(e.total_cost, 4.0 + 0.005 + 50 * 0.0025);
  EXPECT_GT(BtreeLikeCostEstimate(in).total_cost, 0);
}

TEST(IndexCostTest, ArrayScansRepeatTheDescent) {
  IndexCostInputs in;
  in.index_pages = BlockNumber(100);
  in.index_tuples = 10'000;
  in.boundary_selectivity = 0.001;  // 10 entries
  in.num_sa_scans = 4;
  const IndexCostEstimate one = [&] {
    IndexCostInputs x = in;
    x.num_sa_scans = 1;
    return BtreeLikeCostEstimate(x);
  }();
  const IndexCostEstimate four = BtreeLikeCostEstimate(in);
  EXPECT_DOUBLE_EQ(four.startup_cost, one.startup_cost);
  EXPECT_NEAR(four.total_cost - one.total_cost, 3 * one.startup_cost, 1e-9);
}

}  // namespace
}  // namespace keel::access
