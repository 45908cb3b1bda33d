// The xid generator and the shared transaction state: assigning xids (X1, X3, X4), keeping
// next_xid across restarts (X2); the oid counter (O1-O6). README.md ("Transactions", "The oid
// counter").
#include <unistd.h>

#include <atomic>
#include <exception>

#include "access/transam/clog.h"
#include "access/transam/commit_ts.h"
#include "access/transam/multixact.h"
#include "access/transam/subtrans.h"
#include "access/transam/transam.h"
#include "access/transam/transam_internal.h"
#include "access/transam/wal.h"
#include "access/transam/wal_record.h"
#include "access/transam/wal_xlog.h"
#include "access/transam/xact.h"
#include "backend/utils/error/error.h"
#include "backend/utils/init/process_exit.h"
#include "storage/ipc/proc_array.h"
#include "storage/ipc/process_context.h"
#include "storage/ipc/shmem.h"

namespace keel::transam {
namespace {

TransamShared* transam_shared = nullptr;  // process-local pointer into shared memory

constexpr uint64_t kFirstNormalXid = 3;

pid_t init_pid = 0;       // the process that last ran InitTransamAccess (fork detection, X16)
pid_t exit_hook_pid = 0;  // the process whose exit cleanups include AbortAtExit

void AbortAtExit() {
  try {
    if (IsTransactionActive()) AbortTransaction();
  } catch (...) {
    // Exit must go on; the transaction's xid reads as not committed (X9) either way.
  }
}

}  // namespace

TransamShared* Transam() {
  KEEL_ASSERT(transam_shared != nullptr);
  return transam_shared;
}

size_t TransamShmemSize() {
  return storage::AddSize(storage::AddSize(sizeof(TransamShared), SubTransShmemSize()),
                          MultiXactShmemSize());
}

void TransamShmemInit() {
  bool found = false;
  transam_shared = static_cast<TransamShared*>(
      storage::ShmemInitStruct("transam", sizeof(TransamShared), &found));
  if (!found) {
    transam_shared->xid_gen_lock.Init(storage::lwtranche::kMain);
    transam_shared->completion_lock.Init();
    // Until the startup process sets them from the checkpoint (X2): a fresh cluster's values.
    transam_shared->next_xid.store(kFirstNormalXid, std::memory_order_relaxed);
    transam_shared->oldest_clog_xid.store(kFirstNormalXid, std::memory_order_relaxed);
    transam_shared->completion_count.store(0, std::memory_order_relaxed);
    transam_shared->latest_completed_xid.store(kFirstNormalXid - 1, std::memory_order_relaxed);
    // O4: until the startup process sets it from the control file / checkpoint.
    transam_shared->oid_gen_lock.Init(storage::lwtranche::kMain);
    transam_shared->next_oid = kFirstNormalOid;
    transam_shared->oid_count = 0;
  }
  SubTransShmemInit();
  MultiXactShmemInit();
}

void InitTransamAccess() {
  RegisterXactRmgr();
  RegisterMultiXactRmgr();
  // Shared memory may have been re-created under this process (crash restart): nothing
  // cached from the old one may be used.
  ResetSnapshotCache();
  ResetStatusCache();
  if (init_pid != getpid()) {
    if (init_pid != 0) ForgetTransactionState();  // forked: the parent's, not ours
    init_pid = getpid();
  }
}

void EnsureAbortAtExit() {
  // Registered at the first transaction, not in InitTransamAccess: cleanups run most recent
  // first, and the abort needs the proc slot (proc array, heavyweight locks), whose release
  // cleanup a backend registers after InitTransamAccess but before any transaction. Were
  // the abort to run after it, LockReleaseAll would fail and the xid lock stay held forever.
  if (exit_hook_pid == getpid()) return;
  exit_hook_pid = getpid();
  OnProcessExit(&AbortAtExit);
}

TransactionId ReadNextTransactionId() {
  return TransactionId(Transam()->next_xid.load(std::memory_order_acquire));
}

void SetNextTransactionId(TransactionId next) {
  KEEL_ASSERT(TransactionIdIsNormal(next));
  TransamShared* shared = Transam();
  // X2: only the startup process, while no transaction runs; latest_completed follows (X6).
  shared->next_xid.store(next.value(), std::memory_order_seq_cst);
  shared->latest_completed_xid.store(next.value() - 1, std::memory_order_seq_cst);
}

void AdvanceNextTransactionIdPast(TransactionId xid) {
  TransamShared* shared = Transam();
  if (xid.value() < shared->next_xid.load(std::memory_order_relaxed)) return;
  SetNextTransactionId(TransactionId(xid.value() + 1));  // X2
}

TransactionId ReadOldestClogXid() {
  return TransactionId(Transam()->oldest_clog_xid.load(std::memory_order_acquire));
}

void SetOldestClogXid(TransactionId xid) {
  Transam()->oldest_clog_xid.store(xid.value(), std::memory_order_release);
}

TransactionId AssignTransactionId(bool is_subxact, TransactionId parent) {
  storage::ProcSlot* slot = storage::CurrentProcess().proc;
  KEEL_ASSERT(slot != nullptr);
  KEEL_ASSERT(!is_subxact || TransactionIdIsNormal(parent));
  TransamShared* shared = Transam();
  storage::LwLockGuard guard(&shared->xid_gen_lock, storage::LwLockMode::kExclusive);  // X1
  const TransactionId xid(shared->next_xid.load(std::memory_order_relaxed));
  // The SLRU pages must exist before anyone can ask about `xid`. These may throw (I/O);
  // nothing is published yet, so a retry assigns the same xid and finds the pages zeroed
  // (re-zeroing a page whose only xid was never handed out is harmless).
  ClogExtend(xid);
  CommitTsExtend(xid);
  SubTransExtend(xid);
  if (is_subxact) SubTransSetParent(xid, parent);  // X4

  // X3: publish in the proc slot before next_xid moves past it. seq_cst stores: every
  // process that reads next_xid (or a latest_completed_xid derived from it) > xid afterwards
  // also sees the slot entry.
  if (!is_subxact) {
    KEEL_ASSERT(slot->xid.load(std::memory_order_relaxed) == 0);
    slot->xid.store(xid.value(), std::memory_order_seq_cst);
  } else {
    const uint32_t n = slot->subxid_count.load(std::memory_order_relaxed);
    if (n < storage::kProcMaxCachedSubxids) {
      slot->subxids[n].store(xid.value(), std::memory_order_seq_cst);
      slot->subxid_count.store(n + 1, std::memory_order_seq_cst);
    } else {
      slot->subxid_overflowed.store(1, std::memory_order_seq_cst);
    }
  }
  shared->next_xid.store(xid.value() + 1, std::memory_order_seq_cst);
  return xid;
}

// --- the oid counter ---------------------------------------------------------------------------

Oid GetNewObjectId() {
  TransamShared* shared = Transam();
  storage::LwLockGuard guard(&shared->oid_gen_lock, storage::LwLockMode::kExclusive);  // O1
  // O5: past 2^32 - 1 the counter wrapped to a value below the normal range; restart there
  // (with a new reservation: the old one was for oids near the top).
  if (shared->next_oid < kFirstNormalOid) {
    shared->next_oid = kFirstNormalOid;
    shared->oid_count = 0;
  }
  if (shared->oid_count == 0) {
    // O2: the reservation is durable before any of its oids is handed out. Unsigned
    // arithmetic: a reservation ending past 2^32 - 1 wraps, and O5 applies after redo too.
    const uint32_t reserved_up_to = shared->next_oid + kOidPrefetch;
    WalRecordBuilder builder;
    builder.RegisterData(&reserved_up_to, sizeof(reserved_up_to));
    const Lsn end = builder.Insert(RmgrId::kXlog, kXlogNextOid);
    try {
      WalFlush(end);
    } catch (const std::exception& e) {
      Panic("could not flush the oid reservation: %s", e.what());
    }
    shared->oid_count = kOidPrefetch;
  }
  const Oid result(shared->next_oid);
  shared->next_oid++;
  shared->oid_count--;
  return result;
}

Oid ReadNextUnreservedObjectId() {
  TransamShared* shared = Transam();
  storage::LwLockGuard guard(&shared->oid_gen_lock, storage::LwLockMode::kShared);
  return Oid(shared->next_oid + shared->oid_count);  // O3 (wraps like the reservation)
}

void SetNextObjectId(Oid next) {
  TransamShared* shared = Transam();
  storage::LwLockGuard guard(&shared->oid_gen_lock, storage::LwLockMode::kExclusive);
  shared->next_oid = next.value();
  shared->oid_count = 0;  // O4: whatever comes next needs a new reservation first
}

}  // namespace keel::transam
