// Tuple visibility rules (PostgreSQL's, over 64-bit xids, with multixact xmax) and hint bits.
// Every rule is stated in README.md ("Visibility", HP7-HP8, HP18-HP23).
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

using internal::XmaxIsMulti;

// HP23: a multi xmax's update member (valid: the caller checked it is not lock-only).
TransactionId MultiUpdateXid(const HeapTupleHeader* tuple) {
  return internal::HeapTupleGetUpdateXid(tuple);
}
bool MultiRunning(const HeapTupleHeader* tuple) {
  return transam::MultiXactIdIsRunning(transam::MultiXactId(tuple->xmax));
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
      if (XmaxIsMulti(tuple->infomask)) {
        // Deleted by a subtransaction of ours that rolled back (no hint for a multi: lockers).
        if (!IsCurrent(MultiUpdateXid(tuple))) return true;
        return HeapTupleGetCmax(tuple) >= snapshot.curcid;
      }
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
  if (XmaxIsMulti(tuple->infomask)) {
    // HP23: the update member decides; a multi never gets XMAX_COMMITTED.
    const TransactionId updater = MultiUpdateXid(tuple);
    if (IsCurrent(updater)) return HeapTupleGetCmax(tuple) >= snapshot.curcid;
    if (transam::XidInMvccSnapshot(updater, snapshot)) return true;
    return !TransactionIdDidCommit(updater);
  }
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

namespace {

// Self and Dirty share their deleter rules. `xmax_out` (Dirty) receives a running deleter.
bool SelfOrDirtyXmax(HeapTupleHeader* tuple, storage::Buffer buffer, TransactionId* xmax_out) {
  if (internal::XmaxIsInvalid(tuple)) return true;
  if (tuple->infomask & kHeapXmaxCommitted) return XmaxIsLockedOnly(tuple->infomask);
  if (XmaxIsLockedOnly(tuple->infomask)) return true;
  const bool multi = XmaxIsMulti(tuple->infomask);
  const TransactionId xmax = multi ? MultiUpdateXid(tuple) : tuple->Xmax();
  if (IsCurrent(xmax)) return false;
  if (TransactionIdIsInProgress(xmax)) {
    if (xmax_out != nullptr) *xmax_out = xmax;  // the caller may wait for the deleter
    return true;
  }
  if (!TransactionIdDidCommit(xmax)) {
    if (!multi) SetHint(tuple, buffer, kHeapXmaxInvalid);
    return true;
  }
  if (!multi) SetHint(tuple, buffer, kHeapXmaxCommitted);
  return false;
}

// Self and Dirty, xmin current: visible unless deleted by a live subtransaction of ours.
bool CurrentXminXmaxVisible(HeapTupleHeader* tuple, storage::Buffer buffer) {
  if (internal::XmaxIsInvalid(tuple)) return true;
  if (XmaxIsLockedOnly(tuple->infomask)) return true;
  if (XmaxIsMulti(tuple->infomask)) return !IsCurrent(MultiUpdateXid(tuple));
  if (!IsCurrent(tuple->Xmax())) {
    SetHint(tuple, buffer, kHeapXmaxInvalid);
    return true;
  }
  return false;
}

}  // namespace

bool HeapTupleSatisfiesSelf(HeapTupleHeader* tuple, storage::Buffer buffer) {
  if ((tuple->infomask & kHeapXminCommitted) == 0 && !XminIsSpecial(tuple)) {
    if (tuple->infomask & kHeapXminInvalid) return false;
    const TransactionId xmin = tuple->Xmin();
    if (IsCurrent(xmin)) return CurrentXminXmaxVisible(tuple, buffer);
    if (TransactionIdIsInProgress(xmin)) return false;
    if (TransactionIdDidCommit(xmin)) {
      SetHint(tuple, buffer, kHeapXminCommitted);
    } else {
      SetHint(tuple, buffer, kHeapXminInvalid);
      return false;
    }
  }
  return SelfOrDirtyXmax(tuple, buffer, nullptr);
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
    if (IsCurrent(xmin)) return CurrentXminXmaxVisible(tuple, buffer);
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
  return SelfOrDirtyXmax(tuple, buffer, xmax_out);
}

TmResult HeapTupleSatisfiesUpdate(HeapTupleHeader* tuple, CommandId cid, storage::Buffer buffer) {
  if ((tuple->infomask & kHeapXminCommitted) == 0 && !XminIsSpecial(tuple)) {
    if (tuple->infomask & kHeapXminInvalid) return TmResult::kInvisible;
    const TransactionId xmin = tuple->Xmin();
    if (IsCurrent(xmin)) {
      if (HeapTupleGetCmin(tuple) >= cid) return TmResult::kInvisible;  // inserted after scan
      if (internal::XmaxIsInvalid(tuple)) return TmResult::kOk;
      if (XmaxIsLockedOnly(tuple->infomask)) {
        // Our own lock, or other lockers (a multi, or one that joined a multi with us): the
        // caller decides (HP19).
        const bool running =
            XmaxIsMulti(tuple->infomask) ? MultiRunning(tuple) : InProgress(tuple->Xmax());
        if (running) return TmResult::kBeingModified;
        SetHint(tuple, buffer, kHeapXmaxInvalid);
        return TmResult::kOk;
      }
      if (XmaxIsMulti(tuple->infomask)) {
        if (!IsCurrent(MultiUpdateXid(tuple))) {
          // The updating subtransaction rolled back; lockers may remain.
          return MultiRunning(tuple) ? TmResult::kBeingModified : TmResult::kOk;
        }
        return HeapTupleGetCmax(tuple) >= cid ? TmResult::kSelfModified : TmResult::kInvisible;
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
  if (XmaxIsMulti(tuple->infomask)) {
    // HP23 (PostgreSQL's rules): lock-only multis block while a member runs; otherwise the
    // update member decides, and lockers still running report kBeingModified.
    if (XmaxIsLockedOnly(tuple->infomask)) {
      if (MultiRunning(tuple)) return TmResult::kBeingModified;
      SetHint(tuple, buffer, kHeapXmaxInvalid);
      return TmResult::kOk;
    }
    const TransactionId updater = MultiUpdateXid(tuple);
    if (IsCurrent(updater)) {
      return HeapTupleGetCmax(tuple) >= cid ? TmResult::kSelfModified : TmResult::kInvisible;
    }
    if (MultiRunning(tuple)) return TmResult::kBeingModified;
    if (TransactionIdDidCommit(updater)) return TmResult::kUpdated;
    SetHint(tuple, buffer, kHeapXmaxInvalid);  // no member left and the update aborted
    return TmResult::kOk;
  }
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
      const TransactionId updater =
          XmaxIsMulti(tuple->infomask) ? MultiUpdateXid(tuple) : tuple->Xmax();
      return IsCurrent(updater) ? HtsvResult::kDeleteInProgress : HtsvResult::kInsertInProgress;
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
  const bool multi = XmaxIsMulti(tuple->infomask);
  if (XmaxIsLockedOnly(tuple->infomask)) {
    // A lock never makes a tuple dead; a finished locker's (or multi's) xmax can be forgotten.
    if ((tuple->infomask & kHeapXmaxCommitted) == 0 &&
        !(multi ? MultiRunning(tuple) : InProgress(tuple->Xmax()))) {
      SetHint(tuple, buffer, kHeapXmaxInvalid);
    }
    return HtsvResult::kLive;
  }
  if (multi) {
    // HP23: the update member decides; once it committed the version dies with it even while
    // lockers still run (they also lock the newer version, HP21).
    const TransactionId updater = MultiUpdateXid(tuple);
    if (InProgress(updater)) return HtsvResult::kDeleteInProgress;
    if (TransactionIdDidCommit(updater)) {
      return updater >= oldest_xmin ? HtsvResult::kRecentlyDead : HtsvResult::kDead;
    }
    if (!MultiRunning(tuple)) SetHint(tuple, buffer, kHeapXmaxInvalid);  // aborted, no lockers
    return HtsvResult::kLive;
  }
  const TransactionId xmax = tuple->Xmax();
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
