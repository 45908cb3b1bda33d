// Finding room for a heap tuple: last-used page, free space map, extension. README.md (HP11).
#include "access/heap/hio.h"

#include <unordered_map>

#include "access/heap/heap_tuple.h"
#include "access/heap/heapam_internal.h"
#include "access/heap/visibility_map.h"
#include "backend/utils/error/error.h"
#include "backend/utils/error/format.h"
#include "storage/freespace/fsm.h"
#include "storage/smgr/smgr.h"

namespace keel::access {
namespace {

using storage::Buffer;
using storage::kInvalidBuffer;

// Process-local: the block this process last inserted into, per relation (PostgreSQL keeps it
// in the relcache entry), with the pool's relation-drop count when it was cached. A hint only:
// re-checked under the page lock.
struct CachedTargetEntry {
  BlockNumber block;
  uint64_t drop_count;  // storage::RelationDropCount() then (B11)
};

std::unordered_map<RelFileLocator, CachedTargetEntry>& TargetCache() {
  static std::unordered_map<RelFileLocator, CachedTargetEntry> cache;
  return cache;
}

// The cached target; *exists says it surely still exists: no relation was truncated or dropped
// since it was cached (B11), so the file need not be asked (an fstat per insert otherwise).
BlockNumber CachedTarget(const RelFileLocator& rel, bool* exists) {
  auto it = TargetCache().find(rel);
  if (it == TargetCache().end()) {
    *exists = false;
    return kInvalidBlockNumber;
  }
  *exists = it->second.drop_count == storage::RelationDropCount();
  return it->second.block;
}

// HP17: smgr's forget notification (storage/smgr SM8): the relation's file was created anew,
// closed because it is dropped or invalidated, or every file was closed (nullptr).
void ForgetOnSmgrNotice(const RelFileLocator* rel) {
  if (rel == nullptr) {
    TargetCache().clear();
  } else {
    TargetCache().erase(*rel);
  }
}

void RememberTarget(const RelFileLocator& rel, BlockNumber block) {
  // Registered before the first entry exists, so no entry can miss a notification. Not from a
  // static initialiser: access/heap stays a library smgr knows nothing about (SM8).
  static const bool registered = (storage::RegisterSmgrForgetHook(&ForgetOnSmgrNotice), true);
  (void)registered;
  TargetCache()[rel] = CachedTargetEntry{block, storage::RelationDropCount()};
}

// Locks `a` and `b` (b may be invalid or equal to a) in ascending block order (HP11).
void LockPair(Buffer a, Buffer b) {
  if (b == kInvalidBuffer || b == a) {
    storage::LockBuffer(a, storage::BufferLockMode::kExclusive);
  } else if (storage::BufferGetBlockNumber(a) < storage::BufferGetBlockNumber(b)) {
    storage::LockBuffer(a, storage::BufferLockMode::kExclusive);
    storage::LockBuffer(b, storage::BufferLockMode::kExclusive);
  } else {
    storage::LockBuffer(b, storage::BufferLockMode::kExclusive);
    storage::LockBuffer(a, storage::BufferLockMode::kExclusive);
  }
}

void UnlockPair(Buffer a, Buffer b) {
  storage::UnlockBuffer(a);
  if (b != kInvalidBuffer && b != a) storage::UnlockBuffer(b);
}

// An all-visible page whose map page is not (or not the right one) pinned in `vm`: a pin kept
// from an earlier candidate page may belong to another map page.
bool NeedsVmPin(const Relation& rel, Buffer buffer, Buffer vm) {
  return internal::PageIsAllVisible(storage::BufferGetPage(buffer)) &&
         !VisibilityMapPinOk(rel, storage::BufferGetBlockNumber(buffer), vm);
}

// With `target` and `other` locked: makes sure each all-visible page has its map page pinned
// (VisibilityMapPin may do I/O, so the locks are dropped around it; then re-checked). When the
// target IS the other page, both pins are taken: the caller clears the old page's bit through
// *vm_other (HeapUpdate), and the page may have turned all-visible while it was unlocked.
void GetVisibilityMapPins(const Relation& rel, Buffer target, Buffer other, Buffer* vm_target,
                          Buffer* vm_other) {
  for (;;) {
    const bool need_target = NeedsVmPin(rel, target, *vm_target);
    const bool need_other = other != kInvalidBuffer && NeedsVmPin(rel, other, *vm_other);
    if (!need_target && !need_other) return;
    UnlockPair(target, other);
    if (need_target) VisibilityMapPin(rel, storage::BufferGetBlockNumber(target), vm_target);
    if (need_other) VisibilityMapPin(rel, storage::BufferGetBlockNumber(other), vm_other);
    LockPair(target, other);
  }
}

void InitPageIfNew(Buffer buffer) {
  storage::Page page = storage::BufferGetPage(buffer);
  if (storage::PageIsNew(page)) storage::PageInit(page, 0);
}

}  // namespace

Buffer RelationGetBufferForTuple(const Relation& rel, size_t len, Buffer other_buffer,
                                 Buffer* vm_buffer, Buffer* vm_other, bool* new_page) {
  len = storage::MaxAlign(len);
  *new_page = false;
  if (len > kMaxHeapTupleSize) {
    throw Error(sqlstate::kProgramLimitExceeded,
                Format("row is too big: size %zu, maximum size %zu", len, kMaxHeapTupleSize));
  }
  const BlockNumber other_block =
      other_buffer == kInvalidBuffer ? kInvalidBlockNumber : storage::BufferGetBlockNumber(other_buffer);

  bool target_exists = false;
  BlockNumber target = CachedTarget(rel.locator, &target_exists);
  if (target == kInvalidBlockNumber) target = storage::FsmGetPageWithFreeSpace(rel.locator, len);
  if (target == kInvalidBlockNumber) {
    // The map knows nothing (a new table, or it was never vacuumed): try the last page.
    const BlockNumber nblocks = storage::SmgrNBlocks(rel.locator, ForkNumber::kMain);
    if (nblocks.value() > 0) target = BlockNumber(nblocks.value() - 1);
  }

  while (target != kInvalidBlockNumber) {
    Buffer buffer;
    if (target == other_block) {
      buffer = other_buffer;
    } else {
      if (!target_exists && target >= storage::SmgrNBlocks(rel.locator, ForkNumber::kMain)) {
        // A stale cache entry or map entry past a truncation.
        TargetCache().erase(rel.locator);
        break;
      }
      buffer = storage::ReadBuffer(rel.locator, ForkNumber::kMain, target);
    }
    // Pin the map page before locking when the page looks all-visible (a racy peek; the
    // locked re-check below catches a change).
    if (NeedsVmPin(rel, buffer, *vm_buffer)) VisibilityMapPin(rel, target, vm_buffer);
    if (buffer == other_buffer && NeedsVmPin(rel, buffer, *vm_other)) {
      VisibilityMapPin(rel, target, vm_other);
    }
    LockPair(buffer, other_buffer);
    GetVisibilityMapPins(rel, buffer, other_buffer, vm_buffer, vm_other);
    InitPageIfNew(buffer);
    const size_t free_bytes = internal::HeapPageGetFreeSpace(storage::BufferGetPage(buffer));
    if (free_bytes >= len) {
      RememberTarget(rel.locator, target);
      return buffer;
    }
    // Not enough room: let go of it and ask the map for another page.
    UnlockPair(buffer, other_buffer);
    if (buffer != other_buffer) {
      storage::ReleaseBuffer(buffer);
      if (*vm_buffer != kInvalidBuffer) {
        storage::ReleaseBuffer(*vm_buffer);
        *vm_buffer = kInvalidBuffer;
      }
    }
    target = storage::FsmRecordAndGetPageWithFreeSpace(rel.locator, target, free_bytes, len);
    target_exists = false;
  }

  // Extend. ExtendBuffer serialises extenders and returns the new page locked (B9).
  for (;;) {
    auto [buffer, block] = storage::ExtendBuffer(rel.locator, ForkNumber::kMain);
    if (other_buffer != kInvalidBuffer) {
      // HP11: the old page (lower block) must be locked first. Someone may use the new page
      // meanwhile (it is the last one), so re-check.
      storage::UnlockBuffer(buffer);
      LockPair(buffer, other_buffer);
      GetVisibilityMapPins(rel, buffer, other_buffer, vm_buffer, vm_other);
    }
    storage::Page page = storage::BufferGetPage(buffer);
    const bool was_new = storage::PageIsNew(page);
    InitPageIfNew(buffer);
    if (internal::HeapPageGetFreeSpace(page) >= len) {
      *new_page = was_new;
      RememberTarget(rel.locator, block);
      return buffer;
    }
    UnlockPair(buffer, other_buffer);
    storage::ReleaseBuffer(buffer);
    if (*vm_buffer != kInvalidBuffer) {
      storage::ReleaseBuffer(*vm_buffer);
      *vm_buffer = kInvalidBuffer;
    }
  }
}

void HioForgetRelation(const RelFileLocator& rel) { TargetCache().erase(rel); }

}  // namespace keel::access
