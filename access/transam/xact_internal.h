// The kXact WAL records' main data, shared by xact.cpp (writing) and xact_redo.cpp (redo and
// description). Format: README.md ("Transactions", "WAL records").
#pragma once

#include <cstdint>
#include <span>

#include "storage/common/ids.h"

namespace keel::transam {

// Main data of kXactCommit, kXactAbort and kXactAbortSub: this header, then `num_xids`
// uint64 xids (commit/abort: the subtransaction xids that end with the top-level one, whose
// xid is the record's xid; abort-sub: the subtransaction xids rolled back).
struct XactRecordHeader {
  int64_t time_us;    // µs since the Unix epoch (commit: the commit timestamp)
  uint32_t num_xids;
  uint32_t padding;
};
static_assert(sizeof(XactRecordHeader) == 16);

// Inserts the record (with `top` as its xid) and returns its end. Never throws (WAL insertion
// is a critical section).
[[nodiscard]] Lsn LogXactRecord(uint8_t info, TransactionId top, int64_t time_us,
                                std::span<const TransactionId> xids) noexcept;

}  // namespace keel::transam
