// Helpers shared by the heap's files: heap page free space, row-lock mode tables, the tuple
// heavyweight lock, waiting for a transaction with a wait policy, the WAL tuple body.
// README.md (HP6, HP9, HP10, HP15).
#include <cstring>

#include "access/heap/heapam_internal.h"
#include "access/heap/visibility.h"
#include "access/transam/transam.h"
#include "access/transam/xact.h"
#include "backend/utils/error/error.h"
#include "backend/utils/error/format.h"

namespace keel::access::internal {

size_t HeapPageGetFreeSpace(const std::byte* page) {
  const size_t space = storage::PageGetFreeSpace(page);
  if (space == 0) return 0;
  const int nline = storage::PageMaxOffsetNumber(page);
  const auto* h = reinterpret_cast<const storage::PageHeader*>(page);
  // HP6: a further line pointer is only allowed below kMaxHeapTuplesPerPage, unless an unused
  // one can be recycled (the flag is a hint PageAddItem re-checks).
  if (nline >= kMaxHeapTuplesPerPage && (h->flags & storage::kPageHasFreeLinePointers) == 0) {
    return 0;
  }
  return space;
}

LockBits RowLockBits(RowLockMode mode) {
  switch (mode) {
    case RowLockMode::kKeyShare: return {kHeapXmaxLockOnly | kHeapXmaxKeyShrLock, 0};
    case RowLockMode::kShare: return {kHeapXmaxLockOnly | kHeapXmaxShrLock, 0};
    case RowLockMode::kNoKeyExclusive: return {kHeapXmaxLockOnly | kHeapXmaxExclLock, 0};
    case RowLockMode::kExclusive:
      return {kHeapXmaxLockOnly | kHeapXmaxExclLock, kHeapKeysUpdated};
  }
  return {kHeapXmaxLockOnly | kHeapXmaxExclLock, kHeapKeysUpdated};
}

RowLockMode XmaxLockMode(const HeapTupleHeader* tuple) {
  if (!XmaxIsLockedOnly(tuple->infomask)) {
    // An update or delete holds the row as strongly as the lock it implies.
    return (tuple->infomask2 & kHeapKeysUpdated) ? RowLockMode::kExclusive
                                                 : RowLockMode::kNoKeyExclusive;
  }
  const uint16_t bits = tuple->infomask & kHeapXmaxShrLock;
  if (bits == kHeapXmaxShrLock) return RowLockMode::kShare;
  if (bits == kHeapXmaxKeyShrLock) return RowLockMode::kKeyShare;
  return (tuple->infomask2 & kHeapKeysUpdated) ? RowLockMode::kExclusive
                                               : RowLockMode::kNoKeyExclusive;
}

storage::LockMode TupleLockMode(RowLockMode mode) {
  // HP9: these four heavyweight modes conflict with each other exactly as the row-lock modes.
  switch (mode) {
    case RowLockMode::kKeyShare: return storage::LockMode::kAccessShare;
    case RowLockMode::kShare: return storage::LockMode::kRowShare;
    case RowLockMode::kNoKeyExclusive: return storage::LockMode::kExclusive;
    case RowLockMode::kExclusive: return storage::LockMode::kAccessExclusive;
  }
  return storage::LockMode::kAccessExclusive;
}

bool RowLockModesConflict(RowLockMode a, RowLockMode b) {
  return storage::LockModesConflict(TupleLockMode(a), TupleLockMode(b));
}

const char* RowLockModeName(RowLockMode mode) {
  switch (mode) {
    case RowLockMode::kKeyShare: return "FOR KEY SHARE";
    case RowLockMode::kShare: return "FOR SHARE";
    case RowLockMode::kNoKeyExclusive: return "FOR NO KEY UPDATE";
    case RowLockMode::kExclusive: return "FOR UPDATE";
  }
  return "?";
}

void ThrowRowLockNotAvailable(const Relation& rel) {
  throw Error(sqlstate::kLockNotAvailable,
              Format("could not obtain lock on row in relation \"%s\"", rel.name.c_str()));
}

TupleLockGuard::TupleLockGuard(const Relation& rel, storage::ItemPointer tid)
    : rel_(rel),
      tag_(storage::TupleLockTag(rel.db.value(), rel.id.value(), tid.block.value(), tid.offset)) {}

TupleLockGuard::~TupleLockGuard() {
  if (held_) (void)storage::LockRelease(tag_, mode_);
}

bool TupleLockGuard::Acquire(RowLockMode mode, LockWaitPolicy policy) {
  if (held_) return true;
  const storage::LockMode lock_mode = TupleLockMode(mode);
  const bool dont_wait = policy != LockWaitPolicy::kBlock;
  if (storage::LockAcquire(tag_, lock_mode, dont_wait) == storage::LockResult::kNotAvailable) {
    if (policy == LockWaitPolicy::kError) ThrowRowLockNotAvailable(rel_);
    return false;
  }
  mode_ = lock_mode;
  held_ = true;
  return true;
}

bool WaitForXact(const Relation& rel, TransactionId xid, LockWaitPolicy policy) {
  switch (policy) {
    case LockWaitPolicy::kBlock:
      transam::XactLockTableWait(xid);
      return true;
    case LockWaitPolicy::kSkip:
      return transam::ConditionalXactLockTableWait(xid);
    case LockWaitPolicy::kError:
      if (!transam::ConditionalXactLockTableWait(xid)) ThrowRowLockNotAvailable(rel);
      return true;
  }
  return false;
}

void EncodeTupleForWal(const HeapTupleHeader* tuple, size_t tuple_len, std::byte* out) {
  std::memcpy(out, &tuple->infomask2, 2);
  std::memcpy(out + 2, &tuple->infomask, 2);
  std::memcpy(out + 4, &tuple->hoff, 1);
  std::memcpy(out + 5, reinterpret_cast<const std::byte*>(tuple) + kHeapTupleHeaderSize,
              tuple_len - kHeapTupleHeaderSize);
}

void UpdateXmaxHintBits(HeapTupleHeader* tuple, storage::Buffer buffer, TransactionId xid) {
  if ((tuple->infomask & (kHeapXmaxCommitted | kHeapXmaxInvalid)) != 0) return;
  if (transam::TransactionIdDidCommit(xid)) {
    HeapSetHintBits(tuple, buffer, kHeapXmaxCommitted);
  } else {
    HeapSetHintBits(tuple, buffer, kHeapXmaxInvalid);
  }
}

}  // namespace keel::access::internal

namespace keel::access::internal {

HeapTupleHeader* GetTupleForChange(const Relation& rel, storage::Page page,
                                   storage::ItemPointer tid) {
  if (tid.offset < storage::kFirstOffsetNumber ||
      tid.offset > storage::PageMaxOffsetNumber(page) ||
      storage::PageGetLinePointer(page, tid.offset)->state !=
          static_cast<uint32_t>(storage::LinePointerState::kNormal)) {
    throw Error(sqlstate::kInternalError,
                Format("could not find tuple %s in relation \"%s\"",
                       storage::ItemPointerToString(tid).c_str(), rel.name.c_str()));
  }
  return PageGetHeapTuple(page, tid.offset);
}

}  // namespace keel::access::internal
