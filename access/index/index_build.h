// The table-backed source of an index build: a sequential scan of the table through its table
// access method, each row split into the index's column values. README.md ("Building", IX12).
#pragma once

#include <memory>
#include <vector>

#include "access/index/indexam.h"

namespace keel::transam {
struct Snapshot;
}

namespace keel::access {

class TableScan;  // access/table/tableam.h

// Offers every row version `snapshot` sees (alive = true), with the columns IndexInfo names.
// Departure from PostgreSQL (README.md "Building"): PostgreSQL scans with SnapshotAny and also
// indexes recently dead versions an older snapshot may still see; until the table AM has an
// index-build scan, the caller must pass a snapshot that sees everything any running
// transaction may look at through the new index (e.g. build while no older snapshot exists).
// Keeps pointers to `heap` and `info`; by-reference values point into the scan's current row.
// Requires: heap.desc set; every info.heap_attnos entry in 1..heap.desc->natts() (expressions
// are not supported yet: 0A000). Throws what TableAm::BeginScan / TableScan::Next throw.
class TableIndexBuildSource final : public IndexBuildSource {
 public:
  TableIndexBuildSource(const Relation& heap, const IndexInfo& info,
                        const transam::Snapshot& snapshot);
  ~TableIndexBuildSource() override;

  [[nodiscard]] bool Next(IndexBuildRow* out) override;

 private:
  const Relation& heap_;
  const IndexInfo& info_;
  std::unique_ptr<TableScan> scan_;
  std::vector<Datum> row_values_;             // every table column of the current row
  std::unique_ptr<bool[]> row_isnull_;
  std::vector<Datum> values_;                 // the index columns
  std::unique_ptr<bool[]> isnull_;
};

}  // namespace keel::access
