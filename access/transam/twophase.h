// Two-phase commit: PREPARE TRANSACTION hands a transaction's xids and locks to a shared entry
// that outlives the backend and a crash; COMMIT PREPARED / ROLLBACK PREPARED, from any backend,
// finish it. State files in `twophase/`, WAL records, restore at start-up, invariants T1-T9:
// README.md ("Two-phase commit"). PrepareTransaction itself is in xact.h.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "storage/common/ids.h"

namespace keel::transam {

// Longest transaction identifier in bytes (PostgreSQL's GIDSIZE 200 with its NUL).
inline constexpr size_t kMaxGidLength = 199;
inline constexpr char kTwoPhaseDirectory[] = "twophase";

// Bytes of shared memory for `max_prepared` entries (settings::max_prepared_transactions).
[[nodiscard]] size_t TwoPhaseShmemSize(int max_prepared);
// Postmaster, after ProcArrayShmemInit(..., max_prepared): allocates "two-phase state".
void TwoPhaseShmemInit(int max_prepared);

// COMMIT PREPARED 'gid' (commit) or ROLLBACK PREPARED 'gid': writes the commit or abort record
// for the prepared transaction, flushes it, records the outcome in clog (and commit_ts),
// removes the state file, takes its xids out of the proc array and releases its locks.
// Requires: not inside a transaction block (the caller reports 25001 "COMMIT PREPARED cannot run
// inside a transaction block"); this process has a proc slot.
// Throws 42704 `prepared transaction with identifier "%s" does not exist`; 55000 `prepared
// transaction with identifier "%s" is busy` (another backend is finishing it); 0A000 `prepared
// transaction belongs to another database`; 42501 `permission denied to finish prepared
// transaction` (not its owner, when roles can be non-superusers); XX001 when its state file is
// corrupt (a file-access SQLSTATE when it cannot be read). After the WAL record is written a
// failure is a PANIC (T5).
void FinishPreparedTransaction(std::string_view gid, bool commit);

// One prepared transaction, as pg_prepared_xacts shows it.
struct PreparedTransactionInfo {
  TransactionId xid;
  std::string gid;
  int64_t prepared_at_us;  // µs since the Unix epoch
  std::string owner;
  std::string database;
};
// Every prepared transaction (those being finished right now included, those still being
// prepared not), in no particular order. Takes the two-phase lock shared.
[[nodiscard]] std::vector<PreparedTransactionInfo> ListPreparedTransactions();

// Start-up process, after redo (or after a clean start), before anyone connects: reads
// `twophase/`, removes files of transactions clog says ended (and of xids never assigned),
// and restores the others: entry, proc slot xids, subtransaction parents, locks (T7).
// Throws FATAL XX001 `corrupted two-phase state file for transaction %llu`, 53200 when
// max_prepared_transactions is lower than the number of prepared transactions found.
void RestorePreparedTransactions();

#ifdef KEEL_DEBUG
// Test-only: called by PREPARE after its record is durable and before the state file is
// written, and by COMMIT / ROLLBACK PREPARED after the record is durable and before clog is
// updated (both inside the delay-checkpoint bracket, T5). nullptr removes it. Process-local.
void TestOnlySetTwoPhaseHook(void (*hook)());
#endif

}  // namespace keel::transam
