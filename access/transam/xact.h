// The transaction state machine of one backend: begin, commit, rollback, savepoints as
// subtransactions, command ids, per-statement / per-transaction snapshots by isolation level,
// and the commit and abort WAL records (resource manager kXact) with their redo.
// States, invariants X1-X20 and the commit protocol: README.md ("Transactions").
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "access/transam/snapshot.h"
#include "storage/common/ids.h"

namespace keel::transam {

enum class IsolationLevel : uint8_t {
  kReadCommitted,   // a new snapshot per statement
  kRepeatableRead,  // one snapshot for the whole transaction
  kSerializable,    // behaves as kRepeatableRead until SSI lands (README says so)
};

// The process's default for new transactions (default_transaction_isolation).
extern IsolationLevel default_transaction_isolation;

// --- top level ------------------------------------------------------------------------------
// Starts a transaction. Requires: none active in this process (XX000 otherwise).
void StartTransaction(IsolationLevel isolation = default_transaction_isolation);
// Commits: when an xid was assigned, writes the commit record (with subtransaction ids and a
// timestamp), flushes WAL up to it per synchronous_commit (group commit), records the commit
// in clog and commit_ts, then removes the xids from the proc array (X7: after clog), and
// releases heavyweight locks. A read-only transaction writes nothing.
// Requires: a transaction is active and not in the failed state (then it aborts and throws
// nothing: COMMIT of a failed transaction is a ROLLBACK, the caller reports it).
void CommitTransaction();
// Rolls back: abort record when an xid was assigned (no flush needed), clog marks every xid
// aborted, proc array cleared, locks released. Also the error cleanup: releases LWLocks,
// buffer pins (WARNING for leaks is the caller's business) and heavyweight locks; safe in any
// state, including with no transaction active (then it only cleans up).
void AbortTransaction();
// PREPARE TRANSACTION 'gid': ends this backend's part of the transaction but keeps it
// in progress, durably, under `gid` until some backend runs COMMIT PREPARED or ROLLBACK
// PREPARED (twophase.h), even across a crash. Open savepoints are released into it first; it
// gets an xid even when it wrote nothing. Returns false when the transaction was in the failed
// state: it is rolled back instead (PostgreSQL reports ROLLBACK then).
// Requires: a transaction is active. Throws (leaving the transaction active, to be aborted by
// the caller) 22023 `transaction identifier "%s" is too long`, 55000 `prepared transactions are
// disabled` (max_prepared_transactions = 0), 42710 `transaction identifier "%s" is already in
// use`, 53200 `maximum number of prepared transactions reached`. README "Two-phase commit".
[[nodiscard]] bool PrepareTransaction(std::string_view gid);
// After an error inside a transaction block: the transaction is "failed" (25P02 for every
// statement until ROLLBACK). Cleans up like AbortTransaction's resource part but keeps the
// block open; a subsequent ROLLBACK [TO SAVEPOINT] ends or repairs it.
void MarkTransactionFailed();
// PostgreSQL's ForceSyncCommit: this transaction's commit record is flushed before
// CommitTransaction returns even with synchronous_commit = off (CREATE DATABASE: its copied
// files must not outlive a lost commit). Forgotten at every transaction end.
// Requires: a transaction is active.
void ForceSyncCommit();

// Other modules' end-of-transaction work (e.g. the heap's combo command ids): `fn(commit)`
// runs at the end of every CommitTransaction (true) and AbortTransaction of an active
// transaction (false), after locks are released, in registration order. Must not throw.
// Process-local; register once at process start (duplicates are ignored).
void RegisterXactCallback(void (*fn)(bool commit));

// Points at which backend caches (backend/utils/cache/inval) keep their transactional state in
// step with this one. `nesting_level` is TransactionNestingLevel() as the event concerns it.
enum class XactHookEvent : uint8_t {
  // CommandCounterIncrement of an active transaction, after the command id advanced (also
  // when it did not: nothing was written). May throw (CommandCounterIncrement's caller sees it).
  kCommandCounterIncrement,
  // CommitTransaction: the commit is recorded (clog, proc array: others see it as committed)
  // and heavyweight locks are still held (X8 releases them right after). Must not throw.
  kCommitBeforeLockRelease,
  // AbortTransaction of an active transaction, and MarkTransactionFailed when it ends the
  // transactional part early: xids aborted, heavyweight locks still held. Must not throw.
  kAbortBeforeLockRelease,
  // PrepareTransaction, before anything is reserved or written (nesting_level: the current
  // depth): a hook may refuse the PREPARE by throwing; the transaction is then unchanged
  // (still active, savepoints intact) and the caller aborts it as after any error.
  kPrePrepare,
  // PrepareTransaction: the prepare record is written; the transaction leaves this backend.
  // Must not throw.
  kPrepare,
  // DefineSavepoint, and RollbackToSavepoint restarting a level: level `nesting_level` was
  // just pushed.
  kSubStart,
  // ReleaseSavepoint, and PrepareTransaction with savepoints open: level `nesting_level` is
  // about to be merged into its parent (once per level, innermost first). Must not throw.
  // (CommitTransaction fires no kSubCommit: savepoints still open commit with the top level.)
  kSubCommit,
  // RollbackToSavepoint: level `nesting_level` was rolled back (once per level, innermost
  // first; kSubStart follows for the restarted level). Must not throw.
  kSubAbort,
};

// Registers `fn` for every XactHookEvent. Process-local; duplicates are ignored; hooks run in
// registration order.
void RegisterXactHook(void (*fn)(XactHookEvent event, int nesting_level));

[[nodiscard]] bool IsTransactionActive();
[[nodiscard]] bool IsTransactionFailed();
[[nodiscard]] IsolationLevel CurrentIsolationLevel();
// Microseconds since the Unix epoch when the top-level transaction started (now()).
[[nodiscard]] int64_t GetCurrentTransactionStartTimestamp();

// --- transaction ids ------------------------------------------------------------------------
// The xid of the current (sub)transaction, assigning one first when it has none (lazily: only
// writers get xids). A subtransaction's parent chain gets xids first (parent < child, X4).
// Also takes the exclusive transaction-id lock on each new xid (others wait on it, X8).
// Requires: a transaction is active and not failed.
[[nodiscard]] TransactionId GetCurrentTransactionId();
[[nodiscard]] TransactionId GetCurrentTransactionIdIfAny();  // invalid when none yet
[[nodiscard]] TransactionId GetTopTransactionIdIfAny();
// Whether `xid` is the top-level xid or the xid of a not-rolled-back subtransaction of this
// process's current transaction (a rolled-back subtransaction's changes are not "mine").
[[nodiscard]] bool TransactionIdIsCurrentTransactionId(TransactionId xid);

// --- command ids ----------------------------------------------------------------------------
// The current command id; `used` marks that this command wrote something (so the next
// CommandCounterIncrement really advances). A statement sees changes with cid < current.
[[nodiscard]] CommandId GetCurrentCommandId(bool used);
// Makes the current command's changes visible to later commands of the transaction.
// Throws 54000 "cannot have more than 2^32-2 commands in a transaction".
void CommandCounterIncrement();

// --- snapshots ------------------------------------------------------------------------------
// The snapshot for the next statement: READ COMMITTED takes a fresh one every call;
// REPEATABLE READ / SERIALIZABLE take one at the first call and return it (with curcid
// updated) afterwards. curcid = GetCurrentCommandId(false).
// Requires: a transaction is active.
[[nodiscard]] const Snapshot& GetTransactionSnapshot();
// Always a fresh snapshot (READ COMMITTED re-checks of updated rows, catalog reads).
[[nodiscard]] Snapshot GetLatestSnapshot();

// --- savepoints (subtransactions) ----------------------------------------------------------
// SAVEPOINT name: starts a subtransaction (its xid is assigned lazily too).
// Requires: an active, non-failed transaction (the caller checks "SAVEPOINT can only be used
// in transaction blocks", 25P01).
void DefineSavepoint(std::string_view name);
// RELEASE [SAVEPOINT] name: sub-commits the named subtransaction and every one inside it
// (their xids stay running until the top level commits). Throws 3B001
// `savepoint "%s" does not exist`.
void ReleaseSavepoint(std::string_view name);
// ROLLBACK TO [SAVEPOINT] name: aborts every subtransaction inside the named one and the named
// one itself (clog: aborted; locks taken since released), then starts it afresh under the same
// name; leaves the failed state. Throws 3B001 as above.
void RollbackToSavepoint(std::string_view name);
// Nesting depth: 1 at top level.
[[nodiscard]] int TransactionNestingLevel();

// --- waiting for other transactions --------------------------------------------------------
// Waits until `xid` (top-level or sub) has ended: takes and releases a share lock on its
// transaction-id lock, following subtransaction ends up to the top level. Deadlock detection,
// lock_timeout and cancel apply (lock.h's errors).
void XactLockTableWait(TransactionId xid);
// The same without waiting: whether `xid` has ended.
[[nodiscard]] bool ConditionalXactLockTableWait(TransactionId xid);

// --- checkpoints ----------------------------------------------------------------------------
// The checkpointer, after fixing its redo pointer and before flushing the commit log: waits until
// every commit whose record may lie before the redo pointer has reached the commit log (X17)
// and removed what it drops (D4). Absorbs sync requests while it waits.
void WaitForCommitsDelayingCheckpoint();

#ifdef KEEL_DEBUG
// Test-only: called in CommitTransaction after the commit record is durable and before the
// commit log is updated. nullptr removes it. Process-local.
void TestOnlySetCommitHook(void (*hook)());
// Test-only: called in CommitTransaction right after the heavyweight locks are released (X8)
// and before the end-of-transaction callbacks, so a test can let a waiter take a lock and
// check what it sees while the committer is held there. nullptr removes it. Process-local.
void TestOnlySetAfterLockReleaseHook(void (*hook)());
#endif

// --- WAL (RmgrId::kXact) --------------------------------------------------------------------
inline constexpr uint8_t kXactCommit = 0x00;
inline constexpr uint8_t kXactAbort = 0x20;
inline constexpr uint8_t kXactAbortSub = 0x40;   // ROLLBACK TO: those subxids aborted
inline constexpr uint8_t kXactPrepare = 0x60;         // PREPARE TRANSACTION (the state file)
inline constexpr uint8_t kXactCommitPrepared = 0x80;  // COMMIT PREPARED
inline constexpr uint8_t kXactAbortPrepared = 0xA0;   // ROLLBACK PREPARED
void RegisterXactRmgr();

}  // namespace keel::transam
