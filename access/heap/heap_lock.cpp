// Row locks (SELECT ... FOR UPDATE / NO KEY UPDATE / SHARE / KEY SHARE) through the tuple's
// xmax with lock-only bits; compatible lockers share the row through a multixact.
// README.md (HP9-HP10, HP18-HP23).
#include "access/heap/heap_wal.h"
#include "access/heap/heapam.h"
#include "access/heap/heapam_internal.h"
#include "access/heap/visibility.h"
#include "access/transam/transam.h"
#include "access/transam/wal_record.h"
#include "access/transam/xact.h"
#include "backend/utils/error/error.h"

namespace keel::access {

namespace internal {

void ApplyTupleLock(storage::Buffer buffer, storage::ItemPointer tid, TransactionId locker,
                    const NewXmax& nx) {
  transam::WalRecordBuilder wal;
  CriticalSection([&] {
    storage::Page page = storage::BufferGetPage(buffer);
    HeapTupleHeader* tuple = PageGetHeapTuple(page, tid.offset);
    SetXmax(tuple, nx);
    if (XmaxIsLockedOnly(nx.infomask)) {
      tuple->infomask2 = static_cast<uint16_t>(tuple->infomask2 & ~kHeapHotUpdated);
      tuple->SetCtid(tid);  // HP3: a lock-only xmax has no successor
    }  // else HP22: a committed update stays in the xmax, and so does the chain link
    storage::MarkBufferDirty(buffer);

    WalHeapLock rec{};
    rec.locker = nx.xmax;
    rec.offset = tid.offset;
    rec.infomask = tuple->infomask;
    rec.infomask2 = tuple->infomask2;
    wal.SetTransactionId(locker);
    wal.RegisterData(&rec, sizeof(rec));
    wal.RegisterBuffer(0, buffer, transam::kRegStandard);
    storage::PageSetLsn(page, wal.Insert(transam::RmgrId::kHeap, kWalHeapLock));
  });
}

}  // namespace internal

namespace {

void CopyLocked(const Relation& rel, storage::Page page, storage::ItemPointer tid,
                HeapTuple* locked) {
  if (locked == nullptr) return;
  const auto* lp = storage::PageGetLinePointer(page, tid.offset);
  *locked = HeapTuple(storage::PageGetItem(page, lp), lp->length);
  locked->self = tid;
  locked->table = rel.id;
}

// The xid of a running update or delete of this version by another transaction, else invalid.
TransactionId RunningOtherUpdater(HeapTupleHeader* tuple) {
  const TransactionId updater = internal::HeapTupleGetUpdateXid(tuple);
  if (!transam::TransactionIdIsValid(updater) ||
      transam::TransactionIdIsCurrentTransactionId(updater) ||
      !transam::TransactionIdIsInProgress(updater)) {
    return kInvalidTransactionId;
  }
  return updater;
}

// A committed update or delete of this version (not by us): kUpdated / kDeleted. Fills tmfd
// when it returns true. HP22: also for FOR KEY SHARE after a no-key update (PostgreSQL locks
// the old version and every newer one; Keel makes the caller lock the newest instead).
bool CommittedChangeBlocks(HeapTupleHeader* tuple, storage::ItemPointer tid,
                           TmFailureData* tmfd, TmResult* result) {
  const TransactionId updater = internal::HeapTupleGetUpdateXid(tuple);
  if (!transam::TransactionIdIsValid(updater) ||
      transam::TransactionIdIsCurrentTransactionId(updater) ||
      transam::TransactionIdIsInProgress(updater) || !transam::TransactionIdDidCommit(updater)) {
    return false;
  }
  tmfd->ctid = tuple->Ctid();
  tmfd->xmax = updater;
  tmfd->cmax = internal::kInvalidCommandId;
  *result = tuple->Ctid() == tid ? TmResult::kDeleted : TmResult::kUpdated;
  return true;
}

}  // namespace

TmResult HeapLockTuple(const Relation& rel, storage::ItemPointer tid, CommandId cid,
                       RowLockMode mode, LockWaitPolicy policy, HeapTuple* locked,
                       TmFailureData* tmfd) {
  TmFailureData unused_tmfd;
  if (tmfd == nullptr) tmfd = &unused_tmfd;
  const TransactionId xid = transam::GetCurrentTransactionId();
  internal::PageRef page(storage::ReadBuffer(rel.locator, ForkNumber::kMain, tid.block));
  internal::TupleLockGuard tuple_lock(rel, tid);
  page.Lock();

  for (;;) {
    HeapTupleHeader* tuple = internal::GetTupleForChange(rel, page.page(), tid);
    const TmResult result = HeapTupleSatisfiesUpdate(tuple, cid, page.get());
    if (result == TmResult::kSelfModified) {
      tmfd->ctid = tuple->Ctid();
      tmfd->xmax = internal::HeapTupleGetUpdateXid(tuple);
      tmfd->cmax = HeapTupleGetCmax(tuple);
      return result;
    }
    if (result != TmResult::kOk && result != TmResult::kBeingModified &&
        result != TmResult::kUpdated) {
      return result;  // kInvisible
    }
    if (result != TmResult::kOk) {
      // Already held at least as strongly by this transaction: nothing to change.
      if (internal::HoldsRowLock(tuple, mode)) {
        CopyLocked(rel, page.page(), tid, locked);
        return TmResult::kOk;
      }
      bool current_is_member = false;
      if (internal::XmaxConflicts(tuple, mode, &current_is_member)) {
        // HP10/HP19: wait for the conflicting members only. Queue on the tuple lock first so
        // waiters are served in order — unless we are a member ourselves (PostgreSQL skips it
        // then: a waiter queued behind us on it would deadlock with our upgrade).
        const uint64_t xwait = tuple->xmax;
        const uint16_t infomask = tuple->infomask;
        page.Unlock();
        if (!current_is_member && !tuple_lock.Acquire(mode, policy)) return TmResult::kWouldBlock;
        if (!internal::WaitForXmax(rel, xwait, infomask, mode, policy)) {
          return TmResult::kWouldBlock;
        }
        page.Lock();
        continue;  // re-check from scratch: it may be updated, or locked by someone else
      }
      // HP22: a FOR KEY SHARE lock never joins a running no-key update of another
      // transaction: locking only this version would not hold the newer one the update makes
      // (a later DELETE of it would not wait for us). Wait for the updater, then decide again.
      if (const TransactionId updater = RunningOtherUpdater(tuple);
          transam::TransactionIdIsValid(updater)) {
        page.Unlock();
        if (!tuple_lock.Acquire(mode, policy)) return TmResult::kWouldBlock;
        if (!internal::WaitForXact(rel, updater, policy)) return TmResult::kWouldBlock;
        page.Lock();
        continue;
      }
      TmResult blocked = TmResult::kOk;
      if (CommittedChangeBlocks(tuple, tid, tmfd, &blocked)) return blocked;
      // Compatible lockers only: join them in a multi (HP20).
    }
    const internal::NewXmax nx = internal::ComputeNewXmax(tuple, xid, internal::LockStatus(mode));
    internal::ApplyTupleLock(page.get(), tid, xid, nx);
    CopyLocked(rel, page.page(), tid, locked);
    return TmResult::kOk;
  }
}

}  // namespace keel::access
