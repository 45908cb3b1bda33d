// Row locks (SELECT ... FOR UPDATE / NO KEY UPDATE / SHARE / KEY SHARE) through the tuple's
// xmax with lock-only bits; one locker at a time (no multixacts). README.md (HP9-HP10).
#include "access/heap/heap_wal.h"
#include "access/heap/heapam.h"
#include "access/heap/heapam_internal.h"
#include "access/heap/visibility.h"
#include "access/transam/wal_record.h"
#include "access/transam/xact.h"
#include "backend/utils/error/error.h"

namespace keel::access {

namespace internal {

void ApplyTupleLock(storage::Buffer buffer, storage::ItemPointer tid, TransactionId locker,
                    LockBits bits) {
  transam::WalRecordBuilder wal;
  CriticalSection([&] {
    storage::Page page = storage::BufferGetPage(buffer);
    HeapTupleHeader* tuple = PageGetHeapTuple(page, tid.offset);
    tuple->infomask = static_cast<uint16_t>((tuple->infomask & ~kHeapXmaxBits) | bits.infomask);
    tuple->infomask2 = static_cast<uint16_t>(
        (tuple->infomask2 & ~(kHeapKeysUpdated | kHeapHotUpdated)) | bits.infomask2);
    tuple->xmax = locker.value();
    tuple->SetCtid(tid);  // HP3: a lock-only xmax has no successor
    storage::MarkBufferDirty(buffer);

    WalHeapLock rec{};
    rec.locker = locker.value();
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
    TmResult result = HeapTupleSatisfiesUpdate(tuple, cid, page.get());
    if (result == TmResult::kBeingModified || result == TmResult::kUpdated) {
      const TransactionId xwait = tuple->Xmax();
      if (result == TmResult::kBeingModified &&
          transam::TransactionIdIsCurrentTransactionId(xwait)) {
        // Our own lock (HTSU reports our updates as kSelfModified / kInvisible).
        if (internal::XmaxLockMode(tuple) >= mode) {
          result = TmResult::kOk;  // already held at least as strongly: nothing to change
          if (locked != nullptr) {
            const auto* lp = storage::PageGetLinePointer(page.page(), tid.offset);
            *locked = HeapTuple(reinterpret_cast<const std::byte*>(tuple), lp->length);
            locked->self = tid;
            locked->table = rel.id;
          }
          return result;
        }
        result = TmResult::kOk;  // upgrade our own weaker lock below
      } else if (result == TmResult::kBeingModified) {
        // HP10: another running transaction holds it. Even a non-conflicting lock mode must
        // wait: one xmax holds one locker (no multixacts; README "Known limitations").
        // Queue on the tuple lock first so waiters are served in order, then on the xact.
        page.Unlock();
        if (!tuple_lock.Acquire(mode, policy)) return TmResult::kWouldBlock;
        if (!internal::WaitForXact(rel, xwait, policy)) return TmResult::kWouldBlock;
        page.Lock();
        continue;  // re-check from scratch: it may be updated, or locked by someone else
      } else {
        // Updated or deleted by a committed transaction.
        tmfd->ctid = tuple->Ctid();
        tmfd->xmax = xwait;
        tmfd->cmax = internal::kInvalidCommandId;
        return tuple->Ctid() == tid ? TmResult::kDeleted : TmResult::kUpdated;
      }
    }
    if (result == TmResult::kSelfModified) {
      tmfd->ctid = tuple->Ctid();
      tmfd->xmax = tuple->Xmax();
      tmfd->cmax = HeapTupleGetCmax(tuple);
      return result;
    }
    if (result != TmResult::kOk) return result;  // kInvisible

    internal::ApplyTupleLock(page.get(), tid, xid, internal::RowLockBits(mode));
    if (locked != nullptr) {
      const auto* lp = storage::PageGetLinePointer(page.page(), tid.offset);
      *locked = HeapTuple(storage::PageGetItem(page.page(), lp), lp->length);
      locked->self = tid;
      locked->table = rel.id;
    }
    return TmResult::kOk;
  }
}

}  // namespace keel::access
