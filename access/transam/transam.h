// Transaction ids and their fate: assigning new 64-bit xids (never wrapping), the shared
// "latest completed" state snapshots are built from, and whether an xid committed, aborted or
// is still running; and the cluster-wide object id counter. Shared structure and invariants
// X1-X9, O1-O6: README.md ("Transactions", "The oid counter").
#pragma once

#include <cstddef>
#include <cstdint>

#include "storage/common/ids.h"

namespace keel::transam {

// --- set-up ---------------------------------------------------------------------------------
// Everything of the transaction system that lives in shared memory besides clog/commit_ts:
// the xid generator, the snapshot completion counter, the subtransaction-parent SLRU
// (`subxact/`) and the proc array's subtransaction caches. The postmaster adds this to its size
// sum and calls TransamShmemInit after ProcArrayShmemInit, before forking (again after a crash).
[[nodiscard]] size_t TransamShmemSize();
void TransamShmemInit();
// Each process at start, after it has a proc slot (or for the startup process, before redo):
// registers the transaction resource manager (RmgrId::kXact) and resets process-local caches
// (a forked child forgets its parent's transaction). Idempotent. The exit hook that aborts an
// open transaction is installed by the first StartTransaction (after the proc slot's release
// cleanup, so it runs before it).
void InitTransamAccess();

// --- the xid generator (X1-X3) ---------------------------------------------------------------
// The next xid that will be assigned. Any process.
[[nodiscard]] TransactionId ReadNextTransactionId();
// The startup process, from the checkpoint record before redo (X2).
void SetNextTransactionId(TransactionId next);
// Redo: makes sure `xid` (seen in a WAL record) is below the next xid (X2). Cheap when it is.
void AdvanceNextTransactionIdPast(TransactionId xid);
// The oldest xid whose commit status may still be looked up (clog not truncated below it).
[[nodiscard]] TransactionId ReadOldestClogXid();
// The startup process, from the control file's oldest_xid (later also clog truncation).
void SetOldestClogXid(TransactionId xid);

// Assigns a new xid to the calling process and publishes it in its proc slot (top level) or
// its subtransaction cache (is_subxact, with `parent` recorded in subxact/) so that every
// snapshot taken after this returns sees it as running (X3). Extends clog and commit_ts.
// Requires: a proc slot; no LWLock held. Throws on SLRU I/O failure.
[[nodiscard]] TransactionId AssignTransactionId(bool is_subxact, TransactionId parent);

// --- status ---------------------------------------------------------------------------------
// From the commit log (a sub-committed xid counts as its top-level parent's fate). A process
// caches the last answer. Requires: xid >= ReadOldestClogXid() or a normal xid; bootstrap (1)
// and frozen (2) count as committed.
[[nodiscard]] bool TransactionIdDidCommit(TransactionId xid);
[[nodiscard]] bool TransactionIdDidAbort(TransactionId xid);
// Whether any process (or prepared transaction) still runs `xid` as its top-level xid or one
// of its subtransactions. Scans the proc array; no lock on the read path (X5).
[[nodiscard]] bool TransactionIdIsInProgress(TransactionId xid);
// The top-level xid of `xid` (itself when it is a top-level xid or unknown). Reads subxact/.
[[nodiscard]] TransactionId SubTransGetTopmostTransaction(TransactionId xid);

// The oldest xid that any running transaction may still consider running: the minimum over
// every proc's xmin and xid (and prepared transactions). Tuples deleted by a committed xid
// below this are dead to everyone (VACUUM's horizon). Takes no lock.
[[nodiscard]] TransactionId GetOldestXmin();

// --- the oid counter (O1-O6) -----------------------------------------------------------------
// Oids are reserved by WAL in blocks of this many (PostgreSQL's VAR_OID_PREFETCH).
inline constexpr uint32_t kOidPrefetch = 8192;
// The first oid the counter hands out, and where it restarts after 2^32 - 1 (PostgreSQL's
// FirstNormalObjectId; lower oids belong to the catalog bootstrap).
inline constexpr uint32_t kFirstNormalOid = 16384;

// PostgreSQL's GetNewObjectId: the next oid of the cluster-wide counter, >= kFirstNormalOid.
// Unique until the counter wraps past 2^32 - 1 (then it restarts at kFirstNormalOid; callers
// that need uniqueness in a catalog use catalog::GetNewOidWithIndex). Before handing out an oid
// that no NEXTOID record covers yet, it inserts and flushes one reserving the next
// kOidPrefetch (O2), so no oid handed out is handed out again after a crash.
// Requires: shared state attached, WAL insertion possible (not during redo); no LWLock held.
// Takes the oid generation LWLock. A WAL failure inside is a PANIC.
[[nodiscard]] Oid GetNewObjectId();
// The first oid no NEXTOID record has reserved yet: what a checkpoint records (O3). Any process.
[[nodiscard]] Oid ReadNextUnreservedObjectId();
// The startup process (from the control file, then the checkpoint record) and redo of NEXTOID
// and shutdown checkpoints: the counter continues at `next` with nothing reserved (O4).
void SetNextObjectId(Oid next);

inline constexpr TransactionId kBootstrapTransactionId{1};
inline constexpr TransactionId kFrozenTransactionId{2};
[[nodiscard]] constexpr bool TransactionIdIsNormal(TransactionId xid) { return xid.value() >= 3; }
[[nodiscard]] constexpr bool TransactionIdIsValid(TransactionId xid) { return xid.value() != 0; }

}  // namespace keel::transam
