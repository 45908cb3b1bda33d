// Shared state of the transaction system used by varsup.cpp (xid generator, status),
// snapshot.cpp (X5 seqlock) and xact.cpp (transaction end). Not for other modules.
// README.md ("Transactions").
#pragma once

#include <atomic>
#include <cstdint>
#include <span>
#include <type_traits>

#include "storage/common/ids.h"
#include "storage/lmgr/lwlock.h"
#include "storage/lmgr/spinlock.h"

namespace keel::storage {
struct ProcSlot;
}

namespace keel::transam {

struct TransamShared {
  // X1: serialises xid assignment with the clog/commit_ts/subxact extension it needs.
  storage::LwLock xid_gen_lock;
  // X1/X3: the next xid to assign; stored (release) under xid_gen_lock after the new xid is
  // published; read without a lock (acquire).
  std::atomic<uint64_t> next_xid;
  // Oldest xid whose clog status is still kept (startup; later VACUUM's truncation).
  std::atomic<uint64_t> oldest_clog_xid;
  // X5: serialises completion brackets (writers); held for a few stores only.
  storage::SpinLock completion_lock;
  // X5: odd while a completion bracket is open; bumped twice per bracket (seq_cst).
  std::atomic<uint64_t> completion_count;
  // X6: the highest xid that has completed (committed or aborted); inside a bracket.
  std::atomic<uint64_t> latest_completed_xid;
  // O1: serialises oid assignment with the NEXTOID record it may need.
  storage::LwLock oid_gen_lock;
  uint32_t next_oid;   // guarded by oid_gen_lock: the next oid to hand out
  uint32_t oid_count;  // guarded by oid_gen_lock: oids from next_oid on that WAL has reserved
};
static_assert(std::is_standard_layout_v<TransamShared> &&
              std::is_trivially_destructible_v<TransamShared>);

// Requires: TransamShmemInit ran in this process or an ancestor.
[[nodiscard]] TransamShared* Transam();

// X5/X7: removes the calling process's transaction from the proc array inside a completion
// bracket: with `all`, its top-level xid, every cached subxid, the overflow flag and xmin;
// otherwise only the subxids in `subxids` (ROLLBACK TO). `latest_xid` (the highest xid
// ending, or invalid) advances latest_completed_xid. Never throws.
void ProcArrayEndTransaction(bool all, std::span<const TransactionId> subxids,
                             TransactionId latest_xid) noexcept;

// Two-phase commit (T4, T7, T9), each inside one completion bracket (X5):
// PREPARE: publishes the calling process's top-level xid, cached subxids and overflow flag in
// `target` (a prepared slot, storage/ipc P8), then clears them and the xmin from its own slot.
void ProcArrayTransferTransaction(storage::ProcSlot* target) noexcept;
// COMMIT / ROLLBACK PREPARED: clears the prepared slot's xids and advances
// latest_completed_xid to `latest_xid`.
void ProcArrayEndPreparedTransaction(storage::ProcSlot* slot, TransactionId latest_xid) noexcept;
// Start-up restore: publishes `xid` and `subxids` (the first kProcMaxCachedSubxids; the
// overflow flag beyond) in a prepared slot.
void ProcArraySetPreparedTransaction(storage::ProcSlot* slot, TransactionId xid,
                                     std::span<const TransactionId> subxids) noexcept;

// Drops the process-local caches (last snapshot, last clog answer); called when shared memory
// was (re)created under this process (InitTransamAccess).
void ResetSnapshotCache();
void ResetStatusCache();
// Makes sure this process aborts an open transaction at exit (registered once per process,
// at its first StartTransaction, so that it runs before the proc slot is released).
void EnsureAbortAtExit();
// A freshly forked process forgets the transaction its parent had open (the parent still
// owns it): no WAL, no clog, no lock release.
void ForgetTransactionState();

}  // namespace keel::transam
