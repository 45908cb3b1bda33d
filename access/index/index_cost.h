// The planner's question to an index access method: what does a scan of this index cost for
// these quals? Inputs, outputs, and PostgreSQL's generic estimate (genericcostestimate) that
// btree's rules build on. README.md ("Cost estimation").
#pragma once

#include <cstdint>

#include "storage/common/ids.h"

namespace keel::access {

// The planner's cost constants (PostgreSQL's settings of the same names and defaults; the
// optimizer issue turns them into settings).
struct CostParams {
  double seq_page_cost = 1.0;
  double random_page_cost = 4.0;
  double cpu_tuple_cost = 0.01;
  double cpu_index_tuple_cost = 0.005;
  double cpu_operator_cost = 0.0025;
};

// What the planner knows when it asks (PostgreSQL passes the IndexPath and PlannerInfo; these
// are the numbers amcostestimate derives from them).
struct IndexCostInputs {
  BlockNumber index_pages{0};      // pg_class.relpages of the index
  double index_tuples = 0;         // pg_class.reltuples of the index
  int tree_height = 0;             // btree levels above the leaves (0: a single leaf)
  double heap_tuples = 0;          // reltuples of the table
  // Fraction of the index's entries the quals that bound the scan select (btree: the
  // "boundary" quals — equality on a prefix of columns plus at most one inequality after it).
  double boundary_selectivity = 1.0;
  // Fraction of the table all index quals together select (clauselist_selectivity).
  double index_selectivity = 1.0;
  int num_index_quals = 0;         // quals evaluated per index entry visited
  double num_sa_scans = 1;         // descents caused by "col = ANY(array)" quals (>= 1)
  double loop_count = 1;           // times the scan is repeated (inner side of a nest loop)
  bool unique_equal_all_keys = false;  // unique index, '=' on every key column: at most 1 row
  // Correlation between index order and table order of the first column (pg_stats.correlation)
  // ; 0 until ANALYZE collects it.
  double first_column_correlation = 0;
  int key_columns = 1;
  CostParams params;
};

// PostgreSQL's amcostestimate outputs.
struct IndexCostEstimate {
  double startup_cost = 0;
  double total_cost = 0;
  double selectivity = 1;  // fraction of the table's rows the scan returns
  double correlation = 0;  // -1 .. 1: how ordered the heap fetches are (the planner's
                           // interpolation between random and sequential heap I/O)
  double pages = 0;        // index pages fetched
};

// genericcostestimate plus btree's descent charges (btcostestimate), as the README describes.
// Any AM may use it as its CostEstimate; a different AM adjusts the result.
[[nodiscard]] IndexCostEstimate BtreeLikeCostEstimate(const IndexCostInputs& in);

}  // namespace keel::access
