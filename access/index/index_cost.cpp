// PostgreSQL's index cost rules in one function (README.md, "Cost estimation"): pages and
// tuples the scan visits from the boundary selectivity, random I/O per page, CPU per entry and
// per qual, and btree's descent cost.
#include "access/index/index_cost.h"

#include <algorithm>
#include <cmath>

namespace keel::access {

IndexCostEstimate BtreeLikeCostEstimate(const IndexCostInputs& in) {
  const CostParams& p = in.params;
  const double sa_scans = std::max(in.num_sa_scans, 1.0);
  const double index_pages = static_cast<double>(in.index_pages.value());

  // Entries visited: the boundary quals' share of the index, or one for a unique '=' lookup
  // (per descent). At least one, rounded as PostgreSQL's clamp_row_est.
  double tuples = in.unique_equal_all_keys ? sa_scans
                                           : in.boundary_selectivity * in.index_tuples;
  tuples = std::max(1.0, std::rint(tuples));
  if (in.index_tuples > 0) tuples = std::min(tuples, std::max(in.index_tuples, 1.0));

  // Leaf pages visited: proportional to the entries, at least one.
  double pages = 1;
  if (index_pages > 1 && in.index_tuples > 1) {
    pages = std::ceil(tuples * index_pages / in.index_tuples);
  }
  IndexCostEstimate out;
  out.pages = pages;
  // Every page a random read (PostgreSQL refines repeated scans with the Mackert-Lohman cache
  // model; here a repeated scan costs the same each time).
  out.total_cost = pages * p.random_page_cost;
  // CPU: each entry visited pays cpu_index_tuple_cost plus one operator per index qual.
  const double qual_op_cost = p.cpu_operator_cost * in.num_index_quals;
  out.total_cost += tuples * (p.cpu_index_tuple_cost + qual_op_cost);

  // Btree's descent: about log2(N) comparisons to find the start, and 50 operator costs per
  // page descended (the upper levels are assumed cached, so no I/O is charged for them).
  double descent = 0;
  if (in.index_tuples > 1) descent += std::ceil(std::log2(in.index_tuples)) * p.cpu_operator_cost;
  descent += (in.tree_height + 1) * 50.0 * p.cpu_operator_cost;
  out.startup_cost = descent;
  out.total_cost += descent * sa_scans;

  out.selectivity = std::clamp(in.index_selectivity, 0.0, 1.0);
  // Btree's rule: the first column's correlation, discounted for multicolumn indexes.
  out.correlation = in.key_columns > 1 ? in.first_column_correlation * 0.75
                                       : in.first_column_correlation;
  return out;
}

}  // namespace keel::access
