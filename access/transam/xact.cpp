// The transaction state machine of one backend: start, commit and abort protocols (X7, X8,
// X13), savepoints as subtransactions (X4, X10), command ids, snapshots by isolation level,
// waiting for other transactions, and when pending file deletions run (D4, D5). README.md
// ("Transactions", "Pending deletes").
#include "access/transam/xact.h"

#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cinttypes>
#include <exception>
#include <string>
#include <vector>

#include "access/transam/clog.h"
#include "access/transam/commit_ts.h"
#include "access/transam/pending_deletes.h"
#include "access/transam/pending_deletes_internal.h"
#include "access/transam/subtrans.h"
#include "access/transam/transam.h"
#include "access/transam/transam_internal.h"
#include "access/transam/twophase_internal.h"
#include "access/transam/wal.h"
#include "access/transam/xact_internal.h"
#include "backend/utils/config/settings.h"
#include "backend/utils/error/error.h"
#include "backend/utils/error/log.h"
#include "storage/buffer/bufmgr.h"
#include "storage/ipc/proc_array.h"
#include "storage/ipc/process_context.h"
#include "storage/lmgr/lock.h"
#include "storage/lmgr/lwlock.h"
#include "storage/sync/sync.h"

namespace keel::transam {

IsolationLevel default_transaction_isolation = IsolationLevel::kReadCommitted;

namespace {

// One (sub)transaction level: [0] is the top level, each savepoint pushes one.
struct Level {
  std::string name;                      // savepoint name; empty for the top level
  TransactionId xid;                     // invalid until assigned (lazily, X4)
  std::vector<TransactionId> committed;  // xids of released subtransactions below this level
};

// Process-local state of the current transaction.
struct XactState {
  bool active = false;
  bool failed = false;
  IsolationLevel isolation = IsolationLevel::kReadCommitted;
  int64_t start_us = 0;
  std::vector<Level> levels;
  CommandId cid{0};
  bool cid_used = false;
  bool have_snapshot = false;  // REPEATABLE READ: the transaction snapshot was taken
  Snapshot snapshot;           // the latest GetTransactionSnapshot result
  bool force_sync_commit = false;  // ForceSyncCommit: flush the commit record regardless
};

XactState state;
std::vector<void (*)(bool)> callbacks;
std::vector<void (*)(XactHookEvent, int)> hooks;

#ifdef KEEL_DEBUG
void (*commit_hook)() = nullptr;
void (*after_lock_release_hook)() = nullptr;
#endif

constexpr uint32_t kMaxCommandId = 0xFFFFFFFEu;  // 2^32 - 2 commands; ~0 stays invalid

int64_t NowUs() {
  timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1'000'000 + ts.tv_nsec / 1000;
}

void RequireActive() {
  if (!state.active) throw Error(sqlstate::kInternalError, "there is no transaction in progress");
}

void RequireActiveNotFailed() {
  RequireActive();
  if (state.failed) {
    throw Error(sqlstate::kInFailedSqlTransaction,
                "current transaction is aborted, commands ignored until end of transaction "
                "block");
  }
}

// The xid of level `idx`, assigning it (and its ancestors' first, X4) when needed, and
// taking its exclusive transaction lock (X8).
TransactionId AssignLevelXid(size_t idx) {
  Level& level = state.levels[idx];
  if (TransactionIdIsValid(level.xid)) return level.xid;
  const TransactionId parent = idx > 0 ? AssignLevelXid(idx - 1) : kInvalidTransactionId;
  // Re-fetch: the recursive call cannot resize `levels`, but keep the reference honest.
  Level& self = state.levels[idx];
  self.xid = AssignTransactionId(/*is_subxact=*/idx > 0, parent);
  // A new xid's lock is free: this never waits. Taken after `self.xid` is set so that an
  // error here still leaves the xid to the abort path.
  (void)storage::LockAcquire(storage::TransactionLockTag(self.xid.value()),
                             storage::LockMode::kExclusive);
  return self.xid;
}

// Every xid of levels [from, end) and the subtransactions released into them.
std::vector<TransactionId> XidsOfLevels(size_t from) {
  std::vector<TransactionId> xids;
  for (size_t i = from; i < state.levels.size(); ++i) {
    const Level& level = state.levels[i];
    if (TransactionIdIsValid(level.xid)) xids.push_back(level.xid);
    xids.insert(xids.end(), level.committed.begin(), level.committed.end());
  }
  std::sort(xids.begin(), xids.end());
  return xids;
}

// The subtransaction xids of the whole transaction (level 0's own xid excluded).
std::vector<TransactionId> SubXids() {
  std::vector<TransactionId> xids = XidsOfLevels(0);
  std::erase(xids, state.levels[0].xid);
  return xids;
}

TransactionId MaxXid(TransactionId top, const std::vector<TransactionId>& subxids) {
  return subxids.empty() ? top : std::max(top, subxids.back());
}

// LWLocks and buffer pins: the error cleanup that does not end anything transactional.
void ReleaseLowLevelResources(bool transaction_active) {
  storage::ReleaseAllLwLocks();
  const int leaked = storage::ReleaseAllBufferPins();
  if (leaked > 0 && transaction_active) {
    Log(Severity::kWarning, "%d buffer pins were still held at transaction abort", leaked);
  }
}

// Aborts the top-level xid and every subtransaction xid (abort record, clog, proc array);
// heavyweight locks are the caller's. Leaves no xid in `state`.
void AbortAllXids() {
  const TransactionId top = state.levels.empty() ? kInvalidTransactionId : state.levels[0].xid;
  if (!TransactionIdIsValid(top)) {
    ProcArrayEndTransaction(true, {}, kInvalidTransactionId);  // clears xmin
    DoPendingDeletes(/*commit=*/false);  // empty: every entry gave the transaction an xid (D1)
    return;
  }
  const std::vector<TransactionId> subxids = SubXids();
  const std::vector<RelFileLocator> created = PendingDeletesAtEnd(/*commit=*/false);
  // D4: with files to remove, the record is flushed first (redo removes them again after a
  // crash) and a checkpoint must not pass between the record and the removal (X17's bracket).
  storage::ProcSlot* slot = storage::CurrentProcess().proc;
  const bool removes_files = !created.empty();
  // D10: the buffers go before the record and the bracket (only the unlinks are inside it);
  // nobody else uses storage this transaction created. Never throws.
  DropPendingBuffers(created, storage::DropWait::kUninterruptible);
  if (removes_files) slot->delay_checkpoint.fetch_add(1);
  const Lsn end = LogXactRecord(kXactAbort, top, NowUs(), subxids, created);
  try {
    // Otherwise no flush: an abort that is lost in a crash reads as "not committed" anyway (X9).
    if (removes_files) WalFlush(end);
    // The abort record's end as group LSN: the clog page is not written before the record
    // is durable, so a crash never leaves "aborted" for an xid WAL does not know (X2).
    for (TransactionId xid : subxids) TransactionIdSetStatus(xid, XidStatus::kAborted, end);
    TransactionIdSetStatus(top, XidStatus::kAborted, end);
  } catch (const std::exception& e) {
    Panic("could not record abort of transaction %" PRIu64 ": %s", top.value(), e.what());
  }
  ProcArrayEndTransaction(true, {}, MaxXid(top, subxids));  // X7
  DoPendingDeletes(/*commit=*/false);  // D4: after the record; never throws
  if (removes_files) slot->delay_checkpoint.fetch_add(1);
  for (Level& level : state.levels) {
    level.xid = kInvalidTransactionId;
    level.committed.clear();
  }
}

// storage/ipc P9: pg_stat_activity.xact_start of this process (0 = no transaction).
void ReportXactStart(int64_t start_us) {
  if (storage::ProcSlot* slot = storage::CurrentProcess().proc) {
    storage::ProcArraySetXactStart(slot, start_us);
  }
}

// Every end of a transaction (commit, prepare, abort of an active one) comes through here.
void RunCallbacks(bool commit) {
  ReportXactStart(0);
  for (auto* fn : callbacks) fn(commit);
}

void RunHooks(XactHookEvent event, int nesting_level) {
  for (auto* fn : hooks) fn(event, nesting_level);
}

// CommitTransaction's lock release (X8) together with the test-only pause right after it, so
// that whatever CommitTransaction does after releasing its locks also comes after the pause.
void ReleaseLocksAtCommit() {
  storage::LockReleaseAll();
#ifdef KEEL_DEBUG
  if (after_lock_release_hook != nullptr) after_lock_release_hook();
#endif
}

void ResetState() {
  state.active = false;
  state.failed = false;
  state.levels.clear();
  state.cid = CommandId(0);
  state.cid_used = false;
  state.have_snapshot = false;
  state.force_sync_commit = false;
  state.snapshot = Snapshot{};
  ForgetPendingDeletes();  // already done or handed on by whoever ended the transaction
}

size_t FindSavepoint(std::string_view name) {
  for (size_t i = state.levels.size(); i-- > 1;) {
    if (state.levels[i].name == name) return i;
  }
  throw Error(sqlstate::kInvalidSavepointSpecification,
              "savepoint \"" + std::string(name) + "\" does not exist");
}

// Sub-commits levels [idx, end) into level idx - 1: their xids stay running (and locked, X8)
// until the top level ends and count as the parent's for TransactionIdIsCurrentTransactionId.
void ReleaseLevelsFrom(size_t idx) {
  KEEL_ASSERT(idx >= 1);
  while (state.levels.size() > idx) {
    RunHooks(XactHookEvent::kSubCommit, static_cast<int>(state.levels.size()));
    AtSubCommitPendingDeletes(static_cast<int>(state.levels.size()));  // D5
    Level child = std::move(state.levels.back());
    state.levels.pop_back();
    Level& parent = state.levels.back();
    if (TransactionIdIsValid(child.xid)) parent.committed.push_back(child.xid);
    parent.committed.insert(parent.committed.end(), child.committed.begin(),
                            child.committed.end());
  }
}

}  // namespace

void ForgetTransactionState() { ResetState(); }

void RegisterXactCallback(void (*fn)(bool commit)) {
  if (std::find(callbacks.begin(), callbacks.end(), fn) == callbacks.end()) {
    callbacks.push_back(fn);
  }
}

void RegisterXactHook(void (*fn)(XactHookEvent event, int nesting_level)) {
  if (std::find(hooks.begin(), hooks.end(), fn) == hooks.end()) hooks.push_back(fn);
}

// --- top level ------------------------------------------------------------------------------

void StartTransaction(IsolationLevel isolation) {
  if (state.active) {
    throw Error(sqlstate::kInternalError, "there is already a transaction in progress");
  }
  EnsureAbortAtExit();
  ResetState();
  state.active = true;
  state.isolation = isolation;
  state.start_us = NowUs();
  state.levels.push_back(Level{});
  ReportXactStart(state.start_us);
}

void CommitTransaction() {
  RequireActive();
  if (state.failed) {
    AbortTransaction();  // COMMIT of a failed transaction is a ROLLBACK
    return;
  }
  const TransactionId top = state.levels[0].xid;
  if (!TransactionIdIsValid(top)) {
    // Read-only (X1: no xid): no WAL, nothing in clog; only the xmin goes.
    ProcArrayEndTransaction(true, {}, kInvalidTransactionId);
    DoPendingDeletes(/*commit=*/true);  // empty: every entry gave the transaction an xid (D1)
  } else {
    const std::vector<TransactionId> subxids = SubXids();
    const std::vector<RelFileLocator> dropped = PendingDeletesAtEnd(/*commit=*/true);
    const int64_t time_us = NowUs();
    // D10: the dropped storage's buffers go before the record, outside the X17 bracket, so a
    // pin another process still holds delays this COMMIT (which a cancel can end: nothing is
    // forgotten then) rather than every checkpoint. Locks are held and DROP DATABASE checked
    // that nobody uses the database: no buffer of them comes back before the record.
    DropPendingBuffers(dropped, storage::DropWait::kInterruptible);
    // X17: from before the record until clog has it, a checkpoint must not pass us by.
    storage::ProcSlot* slot = storage::CurrentProcess().proc;
    // The counter must not stay odd (WaitForCommitsDelayingCheckpoint would wait forever):
    // nothing between the two increments returns early or throws. LogXactRecord is noexcept
    // (WAL insertion is a critical section: a failure there terminates the process, and the
    // crash restart rebuilds the proc array), the rest is inside the PANIC block below.
    static_assert(noexcept(LogXactRecord(kXactCommit, top, time_us, subxids, dropped)));
    static_assert(noexcept(DoPendingDeletes(true)));
    slot->delay_checkpoint.fetch_add(1);
    const Lsn end = LogXactRecord(kXactCommit, top, time_us, subxids, dropped);
    // From here the commit is in WAL: failing to record it anywhere else is a PANIC, and
    // redo finishes the job (X7).
    try {
      // D4: files are removed only after a durable commit record, whatever synchronous_commit
      // says (PostgreSQL's rule): otherwise a crash could lose the commit but not the removal.
      const bool async = settings::synchronous_commit == settings::SynchronousCommit::kOff &&
                         dropped.empty() && !state.force_sync_commit;
      if (async) {
        WalSetAsyncFlushTarget(end);
      } else {
        WalFlush(end);  // group commit: one fsync serves every backend waiting meanwhile
      }
#ifdef KEEL_DEBUG
      if (commit_hook != nullptr) commit_hook();
#endif
      // X13: every xid straight to kCommitted, subtransactions first. Readers cannot see a
      // partial commit: the xids stay in the proc array until all are marked (X7), and every
      // visibility check asks the proc array (or its snapshot) before clog (X9).
      const Lsn clog_lsn = async ? end : kInvalidLsn;  // C3: async pages wait for the WAL
      for (TransactionId xid : subxids) {
        TransactionIdSetStatus(xid, XidStatus::kCommitted, clog_lsn);
      }
      TransactionIdSetStatus(top, XidStatus::kCommitted, clog_lsn);
      for (TransactionId xid : subxids) CommitTsSet(xid, time_us);
      CommitTsSet(top, time_us);
    } catch (const std::exception& e) {
      Panic("could not record commit of transaction %" PRIu64 ": %s", top.value(), e.what());
    }
    // D4: the dropped storage's files go inside the X17 bracket, so a checkpoint whose redo
    // pointer is past the commit record waits until the removal is done (or queued); redo of
    // the record does it otherwise. Locks are still held: nobody else can use the relations.
    DoPendingDeletes(/*commit=*/true);
    slot->delay_checkpoint.fetch_add(1);
    ProcArrayEndTransaction(true, {}, MaxXid(top, subxids));  // X7: after clog
  }
  // Committed for everyone, locks still held: invalidations go out now, so whoever gets one
  // of our locks next also sees them (backend/utils/cache/inval).
  RunHooks(XactHookEvent::kCommitBeforeLockRelease, static_cast<int>(state.levels.size()));
  ReleaseLocksAtCommit();  // X8: waiters wake and find the outcome in clog
  ResetState();
  RunCallbacks(true);
}

bool PrepareTransaction(std::string_view gid) {
  RequireActive();
  if (state.failed) {
    AbortTransaction();  // as COMMIT: a failed transaction can only roll back
    return false;
  }
  // Other modules may refuse before anything is reserved or written.
  RunHooks(XactHookEvent::kPrePrepare, static_cast<int>(state.levels.size()));
  const TransactionId top = AssignLevelXid(0);
  const int entry = ReserveGlobalTransaction(gid, top);  // errors leave the savepoints intact
  try {
    if (state.levels.size() > 1) ReleaseLevelsFrom(1);  // open savepoints are released (T2)
    // D7: the prepared transaction's record and state file keep both lists.
    PrepareGlobalTransaction(entry, top, SubXids(), PendingDeletesAtEnd(/*commit=*/true),
                             PendingDeletesAtEnd(/*commit=*/false));
  } catch (...) {
    CancelGlobalTransactionReservation(entry);  // only thrown before the prepare record
    throw;
  }
  ForgetPendingDeletes();  // D7: COMMIT / ROLLBACK PREPARED removes them
  RunHooks(XactHookEvent::kPrepare, 1);
  ResetState();
  RunCallbacks(true);
  return true;
}

void WaitForCommitsDelayingCheckpoint() {
  // X17: remember every slot that is inside a commit now; each is done once its counter moved.
  // A commit that starts later inserts its record after our redo pointer, so redo replays it.
  std::vector<std::pair<storage::ProcSlot*, uint64_t>> waiting;
  for (int i = 0; i < storage::ProcArrayNumSlots(); ++i) {
    storage::ProcSlot* slot = storage::ProcArraySlot(i);
    const uint64_t count = slot->delay_checkpoint.load();
    if (count % 2 == 1) waiting.emplace_back(slot, count);
  }
  for (const auto& [slot, count] : waiting) {
    while (slot->delay_checkpoint.load() == count) {
      // D4: a process inside its bracket may be removing files, and its forget / unlink
      // requests wait for room in the sync queue (storage/sync SY3): keep making room, or the
      // two would wait for each other. What is absorbed now belongs to the next checkpoint (K1).
      storage::AbsorbSyncRequests();
      timespec pause{0, 1'000'000};  // commits finish within microseconds; poll gently
      nanosleep(&pause, nullptr);
    }
  }
}

#ifdef KEEL_DEBUG
void TestOnlySetCommitHook(void (*hook)()) { commit_hook = hook; }
void TestOnlySetAfterLockReleaseHook(void (*hook)()) { after_lock_release_hook = hook; }
#endif

void AbortTransaction() {
  const bool was_active = state.active;
  ReleaseLowLevelResources(was_active);
  if (was_active) {
    AbortAllXids();
    RunHooks(XactHookEvent::kAbortBeforeLockRelease, static_cast<int>(state.levels.size()));
  } else {
    ProcArrayEndTransaction(true, {}, kInvalidTransactionId);
  }
  storage::LockReleaseAll();
  ResetState();
  if (was_active) RunCallbacks(false);
}

void ForceSyncCommit() {
  RequireActive();
  state.force_sync_commit = true;
}

void MarkTransactionFailed() {
  ReleaseLowLevelResources(state.active);
  if (!state.active) return;
  if (!state.failed && state.levels.size() == 1) {
    // No savepoint can repair it: end the transactional part now, as PostgreSQL does, so
    // others need not wait for the client's ROLLBACK. The block stays open (and failed).
    AbortAllXids();
    RunHooks(XactHookEvent::kAbortBeforeLockRelease, 1);
    storage::LockReleaseAll();
  }
  state.failed = true;
}

bool IsTransactionActive() { return state.active; }
bool IsTransactionFailed() { return state.active && state.failed; }
IsolationLevel CurrentIsolationLevel() {
  return state.active ? state.isolation : default_transaction_isolation;
}
int64_t GetCurrentTransactionStartTimestamp() { return state.start_us; }

// --- transaction ids ------------------------------------------------------------------------

TransactionId GetCurrentTransactionId() {
  RequireActiveNotFailed();
  return AssignLevelXid(state.levels.size() - 1);
}

TransactionId GetCurrentTransactionIdIfAny() {
  return state.active ? state.levels.back().xid : kInvalidTransactionId;
}

TransactionId GetTopTransactionIdIfAny() {
  return state.active ? state.levels[0].xid : kInvalidTransactionId;
}

bool TransactionIdIsCurrentTransactionId(TransactionId xid) {
  if (!state.active || !TransactionIdIsValid(xid)) return false;
  for (const Level& level : state.levels) {
    if (level.xid == xid) return true;
    if (std::find(level.committed.begin(), level.committed.end(), xid) != level.committed.end()) {
      return true;
    }
  }
  return false;
}

// --- command ids ----------------------------------------------------------------------------

CommandId GetCurrentCommandId(bool used) {
  if (used) state.cid_used = true;
  return state.cid;
}

void CommandCounterIncrement() {
  if (state.cid_used) {  // else nothing written: the next command sees the same
    if (state.cid.value() >= kMaxCommandId - 1) {
      throw Error(sqlstate::kProgramLimitExceeded,
                  "cannot have more than 2^32-2 commands in a transaction");
    }
    state.cid = CommandId(state.cid.value() + 1);
    state.cid_used = false;
  }
  if (state.active) {
    RunHooks(XactHookEvent::kCommandCounterIncrement, static_cast<int>(state.levels.size()));
  }
}

// --- snapshots ------------------------------------------------------------------------------

const Snapshot& GetTransactionSnapshot() {
  RequireActive();
  if (state.isolation == IsolationLevel::kReadCommitted || !state.have_snapshot) {
    state.snapshot = TakeSnapshot();
    state.have_snapshot = true;
  }
  state.snapshot.curcid = state.cid;
  return state.snapshot;
}

Snapshot GetLatestSnapshot() {
  Snapshot snapshot = TakeSnapshot();
  snapshot.curcid = state.cid;
  return snapshot;
}

// --- savepoints -----------------------------------------------------------------------------

void DefineSavepoint(std::string_view name) {
  RequireActiveNotFailed();
  state.levels.push_back(Level{std::string(name), kInvalidTransactionId, {}});
  RunHooks(XactHookEvent::kSubStart, static_cast<int>(state.levels.size()));
}

void ReleaseSavepoint(std::string_view name) {
  RequireActiveNotFailed();
  ReleaseLevelsFrom(FindSavepoint(name));
}

void RollbackToSavepoint(std::string_view name) {
  RequireActive();
  const size_t idx = FindSavepoint(name);
  const std::vector<TransactionId> xids = XidsOfLevels(idx);
  // Nesting level of levels[idx] is idx + 1: what it and its children created goes (D5).
  const int first_level = static_cast<int>(idx) + 1;
  const std::vector<RelFileLocator> created = PendingCreatesFromLevel(first_level);
  // B14 / D10: scans of the rolled-back levels may still pin pages of what they created (no
  // error released them, as MarkTransactionFailed would have): those pins go first, then the
  // buffers, before the record and the bracket.
  for (const RelFileLocator& locator : created) {
    if (!IsDatabaseDirectoryLocator(locator)) (void)storage::ReleaseOwnPinsOfRelation(locator);
  }
  DropPendingBuffers(created, storage::DropWait::kUninterruptible);
  storage::ProcSlot* slot = storage::CurrentProcess().proc;
  const bool removes_files = !xids.empty() && !created.empty();
  if (removes_files) slot->delay_checkpoint.fetch_add(1);  // D4, as at abort
  if (!xids.empty()) {
    const TransactionId top = state.levels[0].xid;  // assigned before any subxid (X4)
    const Lsn end = LogXactRecord(kXactAbortSub, top, NowUs(), xids, created);
    try {
      if (removes_files) WalFlush(end);  // D4
      for (TransactionId xid : xids) TransactionIdSetStatus(xid, XidStatus::kAborted, end);
    } catch (const std::exception& e) {
      Panic("could not record abort of subtransactions of %" PRIu64 ": %s", top.value(),
            e.what());
    }
  }
  DoSubAbortPendingDeletes(first_level);  // D5: after the abort-sub record; never throws
  if (removes_files) slot->delay_checkpoint.fetch_add(1);
  if (!xids.empty()) {
    // X10: gone from the cache; xids that overflowed it stay "running" until the top level
    // ends, which is harmless because clog already says aborted.
    // latest_completed_xid moves past them too (X6: they have finished).
    ProcArrayEndTransaction(false, xids, xids.back());
    for (TransactionId xid : xids) {
      (void)storage::LockRelease(storage::TransactionLockTag(xid.value()),
                                 storage::LockMode::kExclusive);
    }
  }
  for (size_t level = state.levels.size(); level > idx; --level) {
    RunHooks(XactHookEvent::kSubAbort, static_cast<int>(level));
  }
  state.levels.resize(idx + 1);
  state.levels[idx].xid = kInvalidTransactionId;
  state.levels[idx].committed.clear();
  state.failed = false;
  RunHooks(XactHookEvent::kSubStart, static_cast<int>(idx + 1));
}

int TransactionNestingLevel() { return static_cast<int>(state.levels.size()); }

// --- waiting for other transactions ---------------------------------------------------------

namespace {

// One round of XactLockTableWait: takes and drops the share lock on `xid`'s lock; false when
// `dont_wait` and it is held.
bool WaitOnce(TransactionId xid, bool dont_wait) {
  const storage::LockTag tag = storage::TransactionLockTag(xid.value());
  if (storage::LockAcquire(tag, storage::LockMode::kShare, dont_wait) ==
      storage::LockResult::kNotAvailable) {
    return false;
  }
  (void)storage::LockRelease(tag, storage::LockMode::kShare);
  return true;
}

// Whether `xid` has ended for a waiter: not running, or rolled back although still listed
// as running (X10: an overflowed subtransaction).
bool XidEnded(TransactionId xid) {
  if (!TransactionIdIsInProgress(xid)) return true;
  return TransactionIdGetStatus(xid) == XidStatus::kAborted;
}

}  // namespace

void XactLockTableWait(TransactionId xid) {
  KEEL_ASSERT(!TransactionIdIsCurrentTransactionId(xid));
  for (bool first = true;; first = false) {
    (void)WaitOnce(xid, /*dont_wait=*/false);
    if (XidEnded(xid)) return;
    // Still running after its lock was free: a subtransaction whose lock went with its
    // rollback while its top level runs on, or an xid whose owner has not taken its lock yet
    // (X8). Wait for the top level; back off briefly when it is the same xid.
    if (!first) usleep(1000);
    xid = SubTransGetTopmostTransaction(xid);
  }
}

bool ConditionalXactLockTableWait(TransactionId xid) {
  for (;;) {
    if (!WaitOnce(xid, /*dont_wait=*/true)) return false;
    if (XidEnded(xid)) return true;
    const TransactionId top = SubTransGetTopmostTransaction(xid);
    if (top == xid) return false;  // running; its owner is about to take its lock
    xid = top;
  }
}

}  // namespace keel::transam
