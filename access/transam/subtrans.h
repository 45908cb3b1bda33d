// The subtransaction-parent map, subxact/ (PostgreSQL's pg_subtrans): for every xid assigned
// since start-up its parent xid (0 for a top-level xid), 8 bytes per xid in an SLRU. Not
// WAL-logged and not crash-safe: only running transactions are ever looked up, and after a
// restart none from before is running. README.md ("Transactions", X4, X12).
#pragma once

#include <cstddef>
#include <cstdint>

#include "storage/common/ids.h"

namespace keel::transam {

struct SlruCtl;

inline constexpr uint64_t kSubTransXidsPerPage = 8192 / sizeof(uint64_t);  // 1024
inline constexpr int kSubTransDefaultBuffers = 32;
inline constexpr char kSubTransDirectory[] = "subxact";

[[nodiscard]] constexpr int64_t SubTransPageOf(TransactionId xid) {
  return static_cast<int64_t>(xid.value() / kSubTransXidsPerPage);
}

// Part of TransamShmemSize / TransamShmemInit. Init on creation also removes every segment
// file left in subxact/ by an earlier run (X12).
[[nodiscard]] size_t SubTransShmemSize();
void SubTransShmemInit();
[[nodiscard]] const SlruCtl& SubTransCtl();

// For each new xid, in increasing order: zeroes its page when it is the first xid assigned
// on that page since start-up. Requires: the xid generator lock held exclusive (X1).
// Throws keel::Error on SLRU I/O failure (writing out a victim page).
void SubTransExtend(TransactionId xid);
// Records `parent` as the parent of the subtransaction xid `xid` (X4).
// Requires: SubTransExtend(xid) done; parent < xid. Throws like SubTransExtend.
void SubTransSetParent(TransactionId xid, TransactionId parent);
// The parent of `xid`; invalid for a top-level xid and for any xid assigned before start-up
// (such an xid is not running). Throws keel::Error on SLRU I/O failure.
[[nodiscard]] TransactionId SubTransGetParent(TransactionId xid);

}  // namespace keel::transam
