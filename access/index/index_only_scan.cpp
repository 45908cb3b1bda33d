// Index-only scans over any index AM and table AM; see index_only_scan.h and README.md
// ("Index-only scans").
#include "access/index/index_only_scan.h"

#include "access/table/tableam.h"

namespace keel::access {

IndexOnlyScan::IndexOnlyScan(std::unique_ptr<IndexScan> scan, const Relation& heap,
                             const transam::Snapshot& snapshot)
    : scan_(std::move(scan)),
      heap_(heap),
      snapshot_(snapshot),
      fetch_(TableAmOf(heap).BeginIndexFetch(heap)) {}

IndexOnlyScan::~IndexOnlyScan() = default;

void IndexOnlyScan::Rescan(std::span<const ScanKey> keys) {
  keys_.assign(keys.begin(), keys.end());
  scan_->Rescan(keys);
}

bool IndexOnlyScan::Next(ScanDirection direction, IndexOnlyRow* out) {
  const TableAm& table = TableAmOf(heap_);
  IndexScanEntry entry;
  while (scan_->GetNextTid(direction, &entry)) {
    // The entry's leaf stays pinned while we look (BT27), so VACUUM cannot have removed it,
    // nor can the heap have reused its tid or set the page all-visible since it was dead
    // (BT28-BT30); a bit set now means the version it points at is visible to every snapshot.
    if (!table.PageIsAllVisible(heap_, entry.tid.block)) {
      ++heap_fetches_;
      HeapTuple row;
      if (!fetch_->Fetch(snapshot_, entry.tid, &row)) continue;  // no version we can see
      // A HOT chain's members share the indexed columns, so the entry's values are the row's.
    }
    if (entry.recheck && !ScanKeysMatch(keys_, entry.values, entry.isnull)) continue;
    out->tid = entry.tid;
    out->values = entry.values;
    out->isnull = entry.isnull;
    return true;
  }
  return false;
}

}  // namespace keel::access
