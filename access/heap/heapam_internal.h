// Helpers shared by the heap access method's files (insert, update, lock, fetch, scan, redo):
// page access, infomask decoding, row-lock mode tables, the WAL tuple-body format and the
// critical-section wrapper. Not for use outside access/heap. README.md ("Tuple format", HP-list).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "access/heap/heap_tuple.h"
#include "access/heap/heapam.h"
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

// WAL-logs and applies a row lock (xmax = `locker` with `bits`) on the tuple at `off` of the
// locked `buffer`; also resets ctid to `tid` and clears kHeapHotUpdated (a lock-only xmax has
// no successor). Runs its own critical section.
void ApplyTupleLock(storage::Buffer buffer, storage::ItemPointer tid, TransactionId locker,
                    LockBits bits);

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
