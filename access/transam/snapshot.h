// MVCC snapshots: which transactions count as finished for a reader. Taken from the proc array
// without a global lock on the read path (seqlock on a completion counter, X5), re-used while
// no transaction has finished since. README.md ("Transactions", "Snapshots").
#pragma once

#include <cstdint>
#include <vector>

#include "storage/common/ids.h"

namespace keel::transam {

struct Snapshot {
  // Every xid < xmin had finished when the snapshot was taken (X6).
  TransactionId xmin;
  // Every xid >= xmax had not finished (or not started): invisible.
  TransactionId xmax;
  // Xids in [xmin, xmax) still running when taken, top-level and cached subtransaction ids,
  // sorted ascending (binary-searched).
  std::vector<TransactionId> xip;
  // Some process had more subtransactions than its cache holds: a subxid missing from xip
  // must be mapped to its top-level xid (SubTransGetTopmostTransaction) before the search.
  bool suboverflowed = false;
  // Changes of the current transaction with a command id >= curcid are not visible.
  CommandId curcid;
  // Completion counter when taken; equal counters mean equal snapshots (re-use, X5).
  uint64_t completion_count = 0;
};

// A new snapshot of the running transactions. Sets this process's proc-slot xmin to the
// snapshot's xmin when it had none (the transaction's first snapshot; cleared at transaction
// end). `curcid` is left 0: the transaction layer fills it (xact.h GetTransactionSnapshot).
// Requires: a proc slot.
[[nodiscard]] Snapshot TakeSnapshot();

// Whether `xid` counts as running for `snapshot` (so its changes are invisible):
// xid >= xmax, or in xip (after mapping a subxid to its parent when suboverflowed).
// Requires: xid is normal. The current transaction's own xids are never in its snapshot;
// callers check TransactionIdIsCurrentTransactionId first.
[[nodiscard]] bool XidInMvccSnapshot(TransactionId xid, const Snapshot& snapshot);

}  // namespace keel::transam
