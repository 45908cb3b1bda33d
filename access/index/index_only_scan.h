// Index-only scans: entries of an index scan (want_itup) returned with their own column values,
// fetching the table row only when the table AM cannot promise the row's page is all-visible
// (PostgreSQL's nodeIndexonlyscan.c). README.md ("Index-only scans").
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "access/index/indexam.h"

namespace keel::transam {
struct Snapshot;
}

namespace keel::access {

class IndexFetch;  // access/table/tableam.h

// One row an index-only scan returned: the entry's column values (IndexRelation::columns
// order; views valid until the scan's next Next / Rescan / destruction) and its heap tid.
struct IndexOnlyRow {
  storage::ItemPointer tid;
  std::span<const Datum> values;
  std::span<const bool> isnull;
};

// For each entry the index scan returns: if TableAm::PageIsAllVisible(heap, tid.block), the
// entry's values are returned without touching the table; otherwise the row is fetched
// through the table AM's IndexFetch (HOT chain, `snapshot`) and the values are returned only
// when a version visible to the snapshot exists (heap_fetches() counts these fetches:
// EXPLAIN's "Heap Fetches"). Correct because the index AM keeps the pin on the entries'
// leaf while they are returned and VACUUM needs a cleanup lock to remove entries (nbtree
// BT27-BT30; the heap's TA12).
// Requires: `scan` begun with want_itup on an index whose AM CanReturn the columns used; the
// caller keeps `heap` and `snapshot` alive and holds AccessShareLock on both relations; an
// active transaction.
class IndexOnlyScan {
 public:
  IndexOnlyScan(std::unique_ptr<IndexScan> scan, const Relation& heap,
                const transam::Snapshot& snapshot);
  ~IndexOnlyScan();
  IndexOnlyScan(const IndexOnlyScan&) = delete;
  IndexOnlyScan& operator=(const IndexOnlyScan&) = delete;

  // (Re)starts with these keys (IndexScan::Rescan; keys copied for rechecks).
  void Rescan(std::span<const ScanKey> keys);
  // The next visible entry in `direction`; false at the end. Throws what the index scan and
  // the table fetch throw.
  [[nodiscard]] bool Next(ScanDirection direction, IndexOnlyRow* out);
  // Merge joins (Requires: the index AM can_mark_pos).
  void MarkPos() { scan_->MarkPos(); }
  void RestorePos() { scan_->RestorePos(); }

  // Table rows fetched so far (entries whose page was not all-visible).
  [[nodiscard]] uint64_t heap_fetches() const { return heap_fetches_; }

 private:
  std::unique_ptr<IndexScan> scan_;
  const Relation& heap_;
  const transam::Snapshot& snapshot_;
  std::unique_ptr<IndexFetch> fetch_;
  std::vector<ScanKey> keys_;  // for entries the index AM marks `recheck`
  uint64_t heap_fetches_ = 0;
};

}  // namespace keel::access
