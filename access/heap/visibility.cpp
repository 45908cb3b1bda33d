// Tuple visibility rules (PostgreSQL's, over 64-bit xids, no multixacts) and hint bits.
// Every rule is stated in README.md ("Visibility", HP7-HP8).
#include "access/heap/visibility.h"

#include "access/heap/heapam_internal.h"
#include "access/transam/clog.h"
#include "access/transam/transam.h"
#include "access/transam/wal.h"
#include "access/transam/xact.h"
#include "backend/utils/config/settings.h"

namespace keel::access {
namespace {

using internal::XmaxIsLockedOnly;
using transam::TransactionIdDidCommit;
using transam::TransactionIdIsCurrentTransactionId;
using transam::TransactionIdIsInProgress;

// Bootstrap and frozen xids count as committed and older than every snapshot.
bool XminIsSpecial(const HeapTupleHeader* tuple) {
  return !transam::TransactionIdIsNormal(tuple->Xmin());
}

bool IsCurrent(TransactionId xid) {
  return transam::TransactionIdIsValid(xid) && TransactionIdIsCurrentTransactionId(xid);
}

// HP7 order: current transaction, then the proc array, then clog. A committing transaction is
// marked in clog before it leaves the proc array, so "not running and not committed" means it
// aborted (or crashed).
bool InProgress(TransactionId xid) {
  return IsCurrent(xid) || TransactionIdIsInProgress(xid);
}

bool CommitIsDurable(TransactionId xid) {
  if (!transam::TransactionIdIsNormal(xid)) return true;
  const Lsn bound = transam::TransactionIdGetCommitLsnBound(xid);
  return !bound.valid() || !transam::WalNeedsFlush(bound);
}

void SetHint(HeapTupleHeader* tuple, storage::Buffer buffer, uint16_t bits) {
  HeapSetHintBits(tuple, buffer, bits);
}

}  // namespace

void HeapSetHintBits(HeapTupleHeader* tuple, storage::Buffer buffer, uint16_t bits) {
  if (buffer == storage::kInvalidBuffer) return;  // a private copy
  // HP8: with checksums a torn write of a hint-only change could not be repaired unless the
  // page got a full-page image since the last redo pointer. Logging one needs the exclusive
  // content lock; we hold only a share lock, so the hint is skipped instead (as PostgreSQL
  // does during recovery). The next WAL-logged change of the page makes hints settable again.
  if (settings::data_checksums &&
      storage::PageGetLsn(storage::BufferGetPage(buffer)) <= transam::WalRedoPointer()) {
    return;
  }
  // HP17: "committed" hints only for commits that are durable (asynchronous commit, C6).
  if ((bits & kHeapXminCommitted) && !CommitIsDurable(tuple->Xmin())) return;
  if ((bits & kHeapXmaxCommitted) && !CommitIsDurable(tuple->Xmax())) return;
  // Concurrent setters hold share locks too: an atomic OR so no one's bit is lost. Non-hint bits
  // change only under the exclusive lock, which excludes us.
  __atomic_fetch_or(&tuple->infomask, bits, __ATOMIC_RELAXED);
  storage::MarkBufferDirtyHint(buffer);
}

bool HeapTupleSatisfiesMvcc(HeapTupleHeader* tuple, const transam::Snapshot& snapshot,
                            storage::Buffer buffer) {
  if ((tuple->infomask & kHeapXminCommitted) == 0 && !XminIsSpecial(tuple)) {
    if (tuple->infomask & kHeapXminInvalid) return false;
    const TransactionId xmin = tuple->Xmin();
    if (IsCurrent(xmin)) {
      if (HeapTupleGetCmin(tuple) >= snapshot.curcid) return false;  // inserted after scan start
      if (internal::XmaxIsInvalid(tuple)) return true;
      if (XmaxIsLockedOnly(tuple->infomask)) return true;
      if (!IsCurrent(tuple->Xmax())) {
        // Deleted by a subtransaction of ours that rolled back.
        SetHint(tuple, buffer, kHeapXmaxInvalid);
        return true;
      }
      return HeapTupleGetCmax(tuple) >= snapshot.curcid;  // deleted after scan start: visible
    }
    if (transam::XidInMvccSnapshot(xmin, snapshot)) return false;
    if (TransactionIdDidCommit(xmin)) {
      SetHint(tuple, buffer, kHeapXminCommitted);
    } else {
      SetHint(tuple, buffer, kHeapXminInvalid);  // aborted or crashed
      return false;
    }
  } else if (!XminIsSpecial(tuple) && transam::XidInMvccSnapshot(tuple->Xmin(), snapshot)) {
    return false;  // committed, but after the snapshot was taken
  }

  // The inserter is visible; now the deleter.
  if (internal::XmaxIsInvalid(tuple)) return true;
  if (XmaxIsLockedOnly(tuple->infomask)) return true;
  const TransactionId xmax = tuple->Xmax();
  if ((tuple->infomask & kHeapXmaxCommitted) == 0) {
    if (IsCurrent(xmax)) return HeapTupleGetCmax(tuple) >= snapshot.curcid;
    if (transam::XidInMvccSnapshot(xmax, snapshot)) return true;
    if (!TransactionIdDidCommit(xmax)) {
      SetHint(tuple, buffer, kHeapXmaxInvalid);
      return true;
    }
    SetHint(tuple, buffer, kHeapXmaxCommitted);
  } else if (transam::XidInMvccSnapshot(xmax, snapshot)) {
    return true;
  }
  return false;
}

bool HeapTupleSatisfiesSelf(HeapTupleHeader* tuple, storage::Buffer buffer) {
  if ((tuple->infomask & kHeapXminCommitted) == 0 && !XminIsSpecial(tuple)) {
    if (tuple->infomask & kHeapXminInvalid) return false;
    const TransactionId xmin = tuple->Xmin();
    if (IsCurrent(xmin)) {
      if (internal::XmaxIsInvalid(tuple)) return true;
      if (XmaxIsLockedOnly(tuple->infomask)) return true;
      if (!IsCurrent(tuple->Xmax())) {
        SetHint(tuple, buffer, kHeapXmaxInvalid);
        return true;
      }
      return false;
    }
    if (TransactionIdIsInProgress(xmin)) return false;
    if (TransactionIdDidCommit(xmin)) {
      SetHint(tuple, buffer, kHeapXminCommitted);
    } else {
      SetHint(tuple, buffer, kHeapXminInvalid);
      return false;
    }
  }
  if (internal::XmaxIsInvalid(tuple)) return true;
  if (tuple->infomask & kHeapXmaxCommitted) return XmaxIsLockedOnly(tuple->infomask);
  if (XmaxIsLockedOnly(tuple->infomask)) return true;
  const TransactionId xmax = tuple->Xmax();
  if (IsCurrent(xmax)) return false;
  if (TransactionIdIsInProgress(xmax)) return true;
  if (!TransactionIdDidCommit(xmax)) {
    SetHint(tuple, buffer, kHeapXmaxInvalid);
    return true;
  }
  SetHint(tuple, buffer, kHeapXmaxCommitted);
  return false;
}

bool HeapTupleSatisfiesAny(HeapTupleHeader* tuple, storage::Buffer buffer) {
  // Every version whose inserter did not abort (tools, TOAST): deleted ones included.
  if ((tuple->infomask & kHeapXminCommitted) != 0 || XminIsSpecial(tuple)) return true;
  if (tuple->infomask & kHeapXminInvalid) return false;
  const TransactionId xmin = tuple->Xmin();
  if (InProgress(xmin)) return true;
  if (TransactionIdDidCommit(xmin)) {
    SetHint(tuple, buffer, kHeapXminCommitted);
    return true;
  }
  SetHint(tuple, buffer, kHeapXminInvalid);
  return false;
}

bool HeapTupleSatisfiesDirty(HeapTupleHeader* tuple, storage::Buffer buffer,
                             TransactionId* xmin_out, TransactionId* xmax_out) {
  *xmin_out = kInvalidTransactionId;
  *xmax_out = kInvalidTransactionId;
  if ((tuple->infomask & kHeapXminCommitted) == 0 && !XminIsSpecial(tuple)) {
    if (tuple->infomask & kHeapXminInvalid) return false;
    const TransactionId xmin = tuple->Xmin();
    if (IsCurrent(xmin)) {
      if (internal::XmaxIsInvalid(tuple)) return true;
      if (XmaxIsLockedOnly(tuple->infomask)) return true;
      if (!IsCurrent(tuple->Xmax())) {
        SetHint(tuple, buffer, kHeapXmaxInvalid);
        return true;
      }
      return false;
    }
    if (TransactionIdIsInProgress(xmin)) {
      *xmin_out = xmin;  // the caller may wait for the inserter
      return true;
    }
    if (TransactionIdDidCommit(xmin)) {
      SetHint(tuple, buffer, kHeapXminCommitted);
    } else {
      SetHint(tuple, buffer, kHeapXminInvalid);
      return false;
    }
  }
  if (internal::XmaxIsInvalid(tuple)) return true;
  if (tuple->infomask & kHeapXmaxCommitted) return XmaxIsLockedOnly(tuple->infomask);
  if (XmaxIsLockedOnly(tuple->infomask)) return true;
  const TransactionId xmax = tuple->Xmax();
  if (IsCurrent(xmax)) return false;
  if (TransactionIdIsInProgress(xmax)) {
    *xmax_out = xmax;  // the caller may wait for the deleter
    return true;
  }
  if (!TransactionIdDidCommit(xmax)) {
    SetHint(tuple, buffer, kHeapXmaxInvalid);
    return true;
  }
  SetHint(tuple, buffer, kHeapXmaxCommitted);
  return false;
}

TmResult HeapTupleSatisfiesUpdate(HeapTupleHeader* tuple, CommandId cid, storage::Buffer buffer) {
  if ((tuple->infomask & kHeapXminCommitted) == 0 && !XminIsSpecial(tuple)) {
    if (tuple->infomask & kHeapXminInvalid) return TmResult::kInvisible;
    const TransactionId xmin = tuple->Xmin();
    if (IsCurrent(xmin)) {
      if (HeapTupleGetCmin(tuple) >= cid) return TmResult::kInvisible;  // inserted after scan
      if (internal::XmaxIsInvalid(tuple)) return TmResult::kOk;
      if (XmaxIsLockedOnly(tuple->infomask)) {
        // Our own lock, or (never without multixacts) someone else's: the caller decides.
        if (InProgress(tuple->Xmax())) return TmResult::kBeingModified;
        SetHint(tuple, buffer, kHeapXmaxInvalid);
        return TmResult::kOk;
      }
      if (!IsCurrent(tuple->Xmax())) {
        SetHint(tuple, buffer, kHeapXmaxInvalid);  // a rolled-back subtransaction's change
        return TmResult::kOk;
      }
      return HeapTupleGetCmax(tuple) >= cid ? TmResult::kSelfModified : TmResult::kInvisible;
    }
    if (TransactionIdIsInProgress(xmin)) return TmResult::kInvisible;
    if (TransactionIdDidCommit(xmin)) {
      SetHint(tuple, buffer, kHeapXminCommitted);
    } else {
      SetHint(tuple, buffer, kHeapXminInvalid);
      return TmResult::kInvisible;
    }
  }

  if (internal::XmaxIsInvalid(tuple)) return TmResult::kOk;
  const TransactionId xmax = tuple->Xmax();
  if (tuple->infomask & kHeapXmaxCommitted) {
    // HP4: kUpdated for every committed delete or update; callers that know the tid report
    // kDeleted when ctid still points at the tuple itself.
    return XmaxIsLockedOnly(tuple->infomask) ? TmResult::kOk : TmResult::kUpdated;
  }
  if (XmaxIsLockedOnly(tuple->infomask)) {
    if (InProgress(xmax)) return TmResult::kBeingModified;
    SetHint(tuple, buffer, kHeapXmaxInvalid);  // a finished locker no longer matters
    return TmResult::kOk;
  }
  if (IsCurrent(xmax)) {
    return HeapTupleGetCmax(tuple) >= cid ? TmResult::kSelfModified : TmResult::kInvisible;
  }
  if (TransactionIdIsInProgress(xmax)) return TmResult::kBeingModified;
  if (!TransactionIdDidCommit(xmax)) {
    SetHint(tuple, buffer, kHeapXmaxInvalid);
    return TmResult::kOk;
  }
  SetHint(tuple, buffer, kHeapXmaxCommitted);
  return TmResult::kUpdated;
}

HtsvResult HeapTupleSatisfiesVacuum(HeapTupleHeader* tuple, TransactionId oldest_xmin,
                                    storage::Buffer buffer) {
  if ((tuple->infomask & kHeapXminCommitted) == 0 && !XminIsSpecial(tuple)) {
    if (tuple->infomask & kHeapXminInvalid) return HtsvResult::kDead;
    const TransactionId xmin = tuple->Xmin();
    if (IsCurrent(xmin)) {
      if (internal::XmaxIsInvalid(tuple) || XmaxIsLockedOnly(tuple->infomask)) {
        return HtsvResult::kInsertInProgress;
      }
      return IsCurrent(tuple->Xmax()) ? HtsvResult::kDeleteInProgress
                                      : HtsvResult::kInsertInProgress;
    }
    if (TransactionIdIsInProgress(xmin)) return HtsvResult::kInsertInProgress;
    if (TransactionIdDidCommit(xmin)) {
      SetHint(tuple, buffer, kHeapXminCommitted);
    } else {
      SetHint(tuple, buffer, kHeapXminInvalid);
      return HtsvResult::kDead;
    }
  }

  if (internal::XmaxIsInvalid(tuple)) return HtsvResult::kLive;
  const TransactionId xmax = tuple->Xmax();
  if (XmaxIsLockedOnly(tuple->infomask)) {
    // A lock never makes a tuple dead; a finished locker's xmax can be forgotten.
    if ((tuple->infomask & kHeapXmaxCommitted) == 0 && !InProgress(xmax)) {
      SetHint(tuple, buffer, kHeapXmaxInvalid);
    }
    return HtsvResult::kLive;
  }
  if ((tuple->infomask & kHeapXmaxCommitted) == 0) {
    if (InProgress(xmax)) return HtsvResult::kDeleteInProgress;
    if (!TransactionIdDidCommit(xmax)) {
      SetHint(tuple, buffer, kHeapXmaxInvalid);
      return HtsvResult::kLive;
    }
    SetHint(tuple, buffer, kHeapXmaxCommitted);
  }
  // Deleted by a committed transaction: dead once nobody can still see it.
  return xmax >= oldest_xmin ? HtsvResult::kRecentlyDead : HtsvResult::kDead;
}

}  // namespace keel::access
