// Multixact xmax for the heap: which members a tuple's xmax names, whether they conflict with
// a requested row-lock mode, what the xmax becomes when a locker or updater joins, and the
// lockers a new version inherits. README.md (HP18-HP23); access/transam/README.md (M-list).
#include <algorithm>

#include "access/heap/heapam_internal.h"
#include "access/transam/transam.h"
#include "access/transam/xact.h"
#include "backend/utils/error/error.h"

namespace keel::access::internal {
namespace {

using transam::MultiXactId;
using transam::MultiXactMember;
using transam::MultiXactStatus;

bool IsCurrent(TransactionId xid) {
  return transam::TransactionIdIsValid(xid) && transam::TransactionIdIsCurrentTransactionId(xid);
}
bool IsRunning(TransactionId xid) { return IsCurrent(xid) || transam::TransactionIdIsInProgress(xid); }

// The status a plain (single-xid) xmax stands for (HP9 bits).
MultiXactStatus SingleXmaxStatus(const HeapTupleHeader* tuple) {
  if (XmaxIsLockedOnly(tuple->infomask)) return LockStatus(XmaxLockMode(tuple));
  return (tuple->infomask2 & kHeapKeysUpdated) ? MultiXactStatus::kUpdate
                                               : MultiXactStatus::kNoKeyUpdate;
}

// Mode bits for the strongest lock strength (the single-locker bits without LOCK_ONLY).
uint16_t ModeBits(int strength) {
  switch (strength) {
    case 0: return kHeapXmaxKeyShrLock;
    case 1: return kHeapXmaxShrLock;
    default: return kHeapXmaxExclLock;
  }
}

// HP20: the xmax for exactly `members` (non-empty, one per xid, at most one update).
NewXmax FromMembers(const std::vector<MultiXactMember>& members) {
  KEEL_ASSERT(!members.empty());
  NewXmax nx;
  if (members.size() == 1) {
    const MultiXactMember& m = members[0];
    nx.xmax = m.xid.value();
    if (transam::MultiXactStatusIsUpdate(m.status)) {
      nx.infomask = 0;
      nx.infomask2 = m.status == MultiXactStatus::kUpdate ? kHeapKeysUpdated : 0;
    } else {
      const LockBits bits =
          RowLockBits(static_cast<RowLockMode>(transam::MultiXactStatusStrength(m.status)));
      nx.infomask = bits.infomask;
      nx.infomask2 = bits.infomask2;
    }
    return nx;
  }
  int strongest = 0;
  const MultiXactMember* update = nullptr;
  for (const MultiXactMember& m : members) {
    strongest = std::max(strongest, transam::MultiXactStatusStrength(m.status));
    if (transam::MultiXactStatusIsUpdate(m.status)) {
      KEEL_ASSERT(update == nullptr);  // M10
      update = &m;
    }
  }
  nx.xmax = transam::MultiXactIdCreateFromMembers(members).value();
  nx.infomask = static_cast<uint16_t>(kHeapXmaxIsMulti | ModeBits(strongest));
  if (update == nullptr) {
    nx.infomask |= kHeapXmaxLockOnly;
    nx.infomask2 = strongest == 3 ? kHeapKeysUpdated : 0;  // as a single FOR UPDATE locker
  } else {
    nx.infomask2 = update->status == MultiXactStatus::kUpdate ? kHeapKeysUpdated : 0;
  }
  return nx;
}

// M9's merge rule for one xid: the stronger lock, or an update as strong as the stronger.
MultiXactStatus Merge(MultiXactStatus a, MultiXactStatus b) {
  const int strength =
      std::max(transam::MultiXactStatusStrength(a), transam::MultiXactStatusStrength(b));
  if (transam::MultiXactStatusIsUpdate(a) || transam::MultiXactStatusIsUpdate(b)) {
    return strength == 3 ? MultiXactStatus::kUpdate : MultiXactStatus::kNoKeyUpdate;
  }
  return static_cast<MultiXactStatus>(strength);
}

}  // namespace

MultiXactStatus LockStatus(RowLockMode mode) {
  return static_cast<MultiXactStatus>(static_cast<uint8_t>(mode));  // same order, 0..3
}

MultiXactStatus UpdateStatus(RowLockMode mode) {
  return mode == RowLockMode::kExclusive ? MultiXactStatus::kUpdate : MultiXactStatus::kNoKeyUpdate;
}

TransactionId HeapTupleGetUpdateXid(const HeapTupleHeader* tuple) {
  if (XmaxIsInvalid(tuple) || XmaxIsLockedOnly(tuple->infomask)) return kInvalidTransactionId;
  if (XmaxIsMulti(tuple->infomask)) return transam::MultiXactIdGetUpdateXid(MultiXactId(tuple->xmax));
  return tuple->Xmax();
}

std::vector<MultiXactMember> XmaxMembers(const HeapTupleHeader* tuple) {
  if (XmaxIsInvalid(tuple)) return {};
  if (XmaxIsMulti(tuple->infomask)) return transam::GetMultiXactIdMembers(MultiXactId(tuple->xmax));
  return {{tuple->Xmax(), SingleXmaxStatus(tuple)}};
}

bool XmaxConflicts(const HeapTupleHeader* tuple, RowLockMode mode, bool* current_is_member) {
  bool conflict = false;
  bool current = false;
  for (const MultiXactMember& m : XmaxMembers(tuple)) {
    if (IsCurrent(m.xid)) {
      current = true;  // our own locks and updates never conflict with us
      continue;
    }
    if (!transam::RowLockStrengthsConflict(transam::MultiXactStatusStrength(m.status),
                                           static_cast<int>(mode))) {
      continue;
    }
    if (transam::TransactionIdIsInProgress(m.xid)) conflict = true;
  }
  if (current_is_member != nullptr) *current_is_member = current;
  return conflict;
}

bool HoldsRowLock(const HeapTupleHeader* tuple, RowLockMode mode) {
  for (const MultiXactMember& m : XmaxMembers(tuple)) {
    if (transam::MultiXactStatusIsUpdate(m.status) || !IsCurrent(m.xid)) continue;
    if (transam::MultiXactStatusStrength(m.status) >= static_cast<int>(mode)) return true;
  }
  return false;
}

NewXmax ComputeNewXmax(const HeapTupleHeader* tuple, TransactionId xid, MultiXactStatus status) {
  std::vector<MultiXactMember> members;
  for (const MultiXactMember& m : XmaxMembers(tuple)) {
    // HP20: finished lockers and an aborted update no longer matter; a committed update stays
    // (it still decides that this version is deleted, HP22).
    const bool keep = transam::MultiXactStatusIsUpdate(m.status)
                          ? IsRunning(m.xid) || transam::TransactionIdDidCommit(m.xid)
                          : IsRunning(m.xid);
    if (keep) members.push_back(m);
  }
  auto same = std::find_if(members.begin(), members.end(),
                           [&](const MultiXactMember& m) { return m.xid == xid; });
  if (same != members.end()) {
    same->status = Merge(same->status, status);
  } else {
    members.push_back({xid, status});
  }
  return FromMembers(members);
}

NewXmax LockersForNewVersion(const HeapTupleHeader* old_tuple) {
  std::vector<MultiXactMember> lockers;
  for (const MultiXactMember& m : XmaxMembers(old_tuple)) {
    if (transam::MultiXactStatusIsUpdate(m.status) || IsCurrent(m.xid)) continue;
    if (transam::TransactionIdIsInProgress(m.xid)) lockers.push_back(m);
  }
  if (lockers.empty()) return NewXmax{};
  return FromMembers(lockers);
}

bool WaitForXmax(const Relation& rel, uint64_t raw_xmax, uint16_t infomask, RowLockMode mode,
                 LockWaitPolicy policy) {
  if (!XmaxIsMulti(infomask)) return WaitForXact(rel, TransactionId(raw_xmax), policy);
  if (transam::MultiXactIdWait(MultiXactId(raw_xmax), LockStatus(mode),
                               /*nowait=*/policy != LockWaitPolicy::kBlock)) {
    return true;
  }
  if (policy == LockWaitPolicy::kError) ThrowRowLockNotAvailable(rel);
  return false;
}

void SetXmax(HeapTupleHeader* tuple, const NewXmax& nx) {
  tuple->infomask = static_cast<uint16_t>((tuple->infomask & ~kHeapXmaxBits) | nx.infomask);
  tuple->infomask2 =
      static_cast<uint16_t>((tuple->infomask2 & ~kHeapKeysUpdated) | nx.infomask2);
  tuple->xmax = nx.xmax;
}

}  // namespace keel::access::internal
