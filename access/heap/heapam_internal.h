// Helpers shared by the heap access method's files (insert, update, lock, fetch, scan, redo):
// page access, infomask decoding, row-lock mode tables, the WAL tuple-body format and the
// critical-section wrapper. Not for use outside access/heap. README.md ("Tuple format", HP-list).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include "access/heap/heap_tuple.h"
#include "access/heap/heapam.h"
#include "access/transam/multixact.h"
#include "backend/utils/activity/table_stats.h"
#include "storage/buffer/bufmgr.h"
#include "storage/lmgr/lock.h"
#include "storage/page/page.h"

namespace keel::access::internal {

// Most line pointers a heap page may have (PostgreSQL's MaxHeapTuplesPerPage): the number of
// smallest possible tuples (an aligned header and its line pointer) that fit on an empty page.
inline constexpr int kMaxHeapTuplesPerPage =
    static_cast<int>((kBlockSize - sizeof(storage::PageHeader)) /
                     (storage::MaxAlign(kHeapTupleHeaderSize) + sizeof(storage::LinePointer)));

// Runs `fn` as a critical section (STYLE.md): a shared page is being changed and its WAL record
// is not yet inserted, so any exception must end the process (noexcept -> std::terminate, which
// the postmaster treats as a PANIC and recovers from WAL).
template <typename Fn>
inline void CriticalSection(Fn&& fn) noexcept {
  fn();
}

// Free space for a new heap tuple on `page`: PageGetFreeSpace, but 0 when no further line
// pointer may be added (kMaxHeapTuplesPerPage reached and no unused one to recycle; HP6).
[[nodiscard]] size_t HeapPageGetFreeSpace(const std::byte* page);

// The tuple header a normal line pointer points at. Requires: the line pointer is kNormal.
[[nodiscard]] inline HeapTupleHeader* PageGetHeapTuple(storage::Page page, storage::OffsetNumber off) {
  return reinterpret_cast<HeapTupleHeader*>(storage::PageGetItem(page, storage::PageGetLinePointer(page, off)));
}

// Records that `xid` created a dead-to-be version on the page (pruning hint, HP12).
inline void PageSetPrunable(storage::Page page, TransactionId xid) {
  storage::PageHeader* h = storage::GetPageHeader(page);
  if (h->prune_xid == 0 || xid.value() < h->prune_xid) h->prune_xid = xid.value();
}

[[nodiscard]] inline bool PageIsAllVisible(const std::byte* page) {
  return (storage::GetPageHeader(const_cast<std::byte*>(page))->flags & storage::kPageAllVisible) != 0;
}
inline void PageClearAllVisible(storage::Page page) {
  storage::GetPageHeader(page)->flags &= static_cast<uint16_t>(~storage::kPageAllVisible);
}

// HP3: the xmax only locked the row (no update or delete).
[[nodiscard]] inline bool XmaxIsLockedOnly(uint16_t infomask) {
  return (infomask & kHeapXmaxLockOnly) != 0;
}
// The xmax field holds nothing of interest (no xid, or known aborted).
[[nodiscard]] inline bool XmaxIsInvalid(const HeapTupleHeader* tuple) {
  return (tuple->infomask & kHeapXmaxInvalid) != 0 || tuple->xmax == 0;
}
// HP18: the xmax is a MultiXactId (a set of lockers, possibly with one updater).
[[nodiscard]] inline bool XmaxIsMulti(uint16_t infomask) { return (infomask & kHeapXmaxIsMulti) != 0; }

// Row-lock modes (HP9): the infomask / infomask2 bits a single locker's xmax carries, the mode
// an existing xmax represents (a lock, or the lock an update / delete implies), and the
// heavyweight tuple-lock mode whose conflict table is exactly the row-lock conflict table.
struct LockBits {
  uint16_t infomask;   // kHeapXmaxLockOnly | mode bits
  uint16_t infomask2;  // kHeapKeysUpdated for kExclusive
};
[[nodiscard]] LockBits RowLockBits(RowLockMode mode);
[[nodiscard]] RowLockMode XmaxLockMode(const HeapTupleHeader* tuple);
[[nodiscard]] storage::LockMode TupleLockMode(RowLockMode mode);
[[nodiscard]] bool RowLockModesConflict(RowLockMode a, RowLockMode b);
[[nodiscard]] const char* RowLockModeName(RowLockMode mode);

// The heavyweight lock on a tuple, held while waiting for its xmax so that waiters queue in
// FIFO order (HP10). Released by the destructor.
class TupleLockGuard {
 public:
  TupleLockGuard(const Relation& rel, storage::ItemPointer tid);
  ~TupleLockGuard();
  TupleLockGuard(const TupleLockGuard&) = delete;
  TupleLockGuard& operator=(const TupleLockGuard&) = delete;
  // Takes the lock in `mode` (once; later calls do nothing). With policy kBlock waits; kSkip
  // returns false when not available; kError throws 55P03.
  [[nodiscard]] bool Acquire(RowLockMode mode, LockWaitPolicy policy);
  [[nodiscard]] bool held() const { return held_; }

 private:
  const Relation& rel_;
  storage::LockTag tag_;
  storage::LockMode mode_ = storage::LockMode::kNoLock;
  bool held_ = false;
};

// Waits for `xid` to end according to `policy`: kBlock waits (XactLockTableWait), kSkip returns
// false when it is still running, kError throws 55P03 naming `rel`.
[[nodiscard]] bool WaitForXact(const Relation& rel, TransactionId xid, LockWaitPolicy policy);
[[noreturn]] void ThrowRowLockNotAvailable(const Relation& rel);

// The tuple body in WAL (HP15): WalHeapHeader fields then the bytes after the fixed header.
// Returns the encoded size; `out` must have room for EncodedTupleSize(len).
[[nodiscard]] inline size_t EncodedTupleSize(size_t tuple_len) {
  return 5 + (tuple_len - kHeapTupleHeaderSize);
}
void EncodeTupleForWal(const HeapTupleHeader* tuple, size_t tuple_len, std::byte* out);

// Sets hint bits after XactLockTableWait returned for the xmax (HP7): XmaxInvalid when it
// aborted, XmaxCommitted when it committed. Requires: buffer exclusively locked.
void UpdateXmaxHintBits(HeapTupleHeader* tuple, storage::Buffer buffer, TransactionId xid);

// --- multixact xmax (heap_multixact.cpp; README HP18-HP23) ---------------------------------

// A tuple's new xmax: the raw value (an xid, or a MultiXactId with kHeapXmaxIsMulti) and the
// xmax-related infomask bits (within kHeapXmaxBits) and infomask2 bits (kHeapKeysUpdated).
struct NewXmax {
  uint64_t xmax = 0;
  uint16_t infomask = kHeapXmaxInvalid;
  uint16_t infomask2 = 0;
};
[[nodiscard]] transam::MultiXactStatus LockStatus(RowLockMode mode);
[[nodiscard]] transam::MultiXactStatus UpdateStatus(RowLockMode mode);
// The xid that updated / deleted this version: the plain xmax when it is not lock-only, a
// multi's update member; invalid when the xmax only locks or is invalid. Reads the multixact
// SLRUs for a multi (may throw on I/O errors).
[[nodiscard]] TransactionId HeapTupleGetUpdateXid(const HeapTupleHeader* tuple);
// Every member the xmax names (a plain xid as one member), whether or not still running.
[[nodiscard]] std::vector<transam::MultiXactMember> XmaxMembers(const HeapTupleHeader* tuple);
// HP19: whether a running member of another transaction holds the row in a mode conflicting
// with `mode`. *current_is_member: whether one of ours is a member.
[[nodiscard]] bool XmaxConflicts(const HeapTupleHeader* tuple, RowLockMode mode,
                                 bool* current_is_member);
// Whether this transaction (any of its live xids) already holds the row at least as strongly
// as `mode`, by a lock (not by an update: HTSU reports that as kSelfModified).
[[nodiscard]] bool HoldsRowLock(const HeapTupleHeader* tuple, RowLockMode mode);
// HP20: the xmax after `xid` adds `status` (a lock or an update) to the tuple's current xmax:
// the members still running (and a committed update) plus the new one, one entry per xid; a
// plain xid when one member remains, else a new multi. May create a multi (WAL, SLRU I/O):
// call before the critical section, with the page locked.
[[nodiscard]] NewXmax ComputeNewXmax(const HeapTupleHeader* tuple, TransactionId xid,
                                     transam::MultiXactStatus status);
// HP21: the xmax a new version made by this transaction's update starts with: the other
// transactions' lockers of the old version that are still running (FOR KEY SHARE ones: only
// they can coexist with an update), or none.
[[nodiscard]] NewXmax LockersForNewVersion(const HeapTupleHeader* old_tuple);
// Waits per `policy` for the members of the xmax captured as (`raw_xmax`, `infomask`) that
// conflict with `mode`: kBlock waits, kSkip returns false, kError throws 55P03.
[[nodiscard]] bool WaitForXmax(const Relation& rel, uint64_t raw_xmax, uint16_t infomask,
                               RowLockMode mode, LockWaitPolicy policy);
// Writes `nx` into the tuple header's xmax fields (keeps the other infomask bits).
void SetXmax(HeapTupleHeader* tuple, const NewXmax& nx);

// WAL-logs and applies a row lock (the xmax `nx`, from ComputeNewXmax with a lock status) on
// the tuple at `tid` of the locked `buffer`. When `nx` is lock-only it also resets ctid to `tid`
// and clears kHeapHotUpdated (HP3: no successor); when it keeps a committed update (HP22) the
// chain link stays. Runs its own critical section.
void ApplyTupleLock(storage::Buffer buffer, storage::ItemPointer tid, TransactionId locker,
                    const NewXmax& nx);

}  // namespace keel::access::internal

namespace keel::access::internal {

// HP5: the command id to store in a tuple this transaction deletes, updates (or whose delete it
// re-does) at command `cmax`. When the same transaction inserted it (xmin not known committed
// and current), cmin must survive: returns a combo id and sets *combo. May allocate: call
// before the critical section.
[[nodiscard]] CommandId ComputeCmaxToStore(const HeapTupleHeader* tuple, CommandId cmax,
                                           bool* combo);

}  // namespace keel::access::internal

namespace keel::access::internal {

// HP2: resets a new version's header: xmin = xid, cmin = cid, xmax none (kHeapXmaxInvalid),
// no hint, lock or HOT bits; keeps natts and the null/varwidth/external bits.
void PrepareNewTupleHeader(HeapTupleHeader* header, TransactionId xid, CommandId cid);
// Whether an insert / update must go through TOAST first (rel.toast set and the tuple is over
// kToastTupleThreshold or already has external values).
[[nodiscard]] bool NeedsToast(const Relation& rel, const HeapTuple& tuple);

}  // namespace keel::access::internal

namespace keel::access::internal {

// A pinned heap buffer and whether this code holds its exclusive content lock; both released
// by the destructor (an error while waiting must not leak the pin or the lock).
class PageRef {
 public:
  explicit PageRef(storage::Buffer buffer, bool locked = false) : buffer_(buffer), locked_(locked) {}
  ~PageRef() { Reset(); }
  PageRef(const PageRef&) = delete;
  PageRef& operator=(const PageRef&) = delete;
  void Lock() {
    storage::LockBuffer(buffer_, storage::BufferLockMode::kExclusive);
    locked_ = true;
  }
  void Unlock() {
    storage::UnlockBuffer(buffer_);
    locked_ = false;
  }
  void Reset() {
    if (locked_) storage::UnlockBuffer(buffer_);
    if (buffer_ != storage::kInvalidBuffer) storage::ReleaseBuffer(buffer_);
    buffer_ = storage::kInvalidBuffer;
    locked_ = false;
  }
  // Takes over a pinned buffer (and its lock when `locked`). Requires: empty.
  void Adopt(storage::Buffer buffer, bool locked) {
    buffer_ = buffer;
    locked_ = locked;
  }
  // Someone locked the buffer on this owner's behalf (hio locks an update's old page).
  void AssumeLocked() { locked_ = true; }
  [[nodiscard]] storage::Buffer get() const { return buffer_; }
  [[nodiscard]] storage::Page page() const { return storage::BufferGetPage(buffer_); }
  [[nodiscard]] bool locked() const { return locked_; }

 private:
  storage::Buffer buffer_;
  bool locked_;
};

// A visibility-map page pin (VisibilityMapPin fills `buffer`); released by the destructor.
struct VmPin {
  storage::Buffer buffer = storage::kInvalidBuffer;
  VmPin() = default;
  VmPin(const VmPin&) = delete;
  VmPin& operator=(const VmPin&) = delete;
  ~VmPin() {
    if (buffer != storage::kInvalidBuffer) storage::ReleaseBuffer(buffer);
  }
};

inline constexpr CommandId kInvalidCommandId{0xFFFFFFFFu};

// The tuple at `tid` on the locked page; throws XX000 when its line pointer is not a normal
// one (callers pass tids of versions they saw, which pruning cannot have removed).
[[nodiscard]] HeapTupleHeader* GetTupleForChange(const Relation& rel, storage::Page page,
                                                 storage::ItemPointer tid);

// The relation as the activity statistics name it (backend/utils/activity).
[[nodiscard]] inline stats::TableRef StatsRef(const Relation& rel) {
  return stats::TableRef{rel.db, rel.id, rel.locator, rel.name};
}

}  // namespace keel::access::internal
