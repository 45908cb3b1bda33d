// The kXact WAL records' main data, shared by xact.cpp (writing) and xact_redo.cpp (redo and
// description). Format: README.md ("Transactions", "WAL records").
#pragma once

#include <cstdint>
#include <span>

#include "storage/common/ids.h"

namespace keel::transam {

// Main data of kXactCommit, kXactAbort, kXactAbortSub, kXactCommitPrepared and
// kXactAbortPrepared: this header, then `num_xids` uint64 xids (commit/abort: the
// subtransaction xids that end with the top-level one, whose xid is the record's xid;
// abort-sub: the subtransaction xids rolled back), then `num_rels` RelFileLocators (12 bytes:
// spc, db, rel) whose storage goes with the record (commit: dropped; abort, abort-sub:
// created; rel 0 names a database directory; pending_deletes.h, D4).
struct XactRecordHeader {
  int64_t time_us;    // µs since the Unix epoch (commit: the commit timestamp)
  uint32_t num_xids;
  uint32_t num_rels;
};
static_assert(sizeof(XactRecordHeader) == 16);
static_assert(sizeof(RelFileLocator) == 12);

// Inserts the record (with `top` as its xid) and returns its end. Never throws (WAL insertion
// is a critical section).
[[nodiscard]] Lsn LogXactRecord(uint8_t info, TransactionId top, int64_t time_us,
                                std::span<const TransactionId> xids,
                                std::span<const RelFileLocator> rels) noexcept;

}  // namespace keel::transam
