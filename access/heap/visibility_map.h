// The visibility map: one bit per heap page in the _vm fork, set when every tuple on the page
// is visible to every transaction (VACUUM sets it, WAL-logged with the heap page's
// kPageAllVisible flag; any change to the page clears both). Index-only scans and VACUUM skip
// such pages. No all-frozen bit: Keel never freezes. README.md ("Visibility map", V1-V6).
#pragma once

#include <cstdint>

#include "access/common/relation.h"
#include "storage/buffer/bufmgr.h"
#include "storage/common/ids.h"

namespace keel::access {

// Pins the map page covering `heap_block` into *vm_buffer (re-using it when it already is the
// right one; releasing a wrong one), extending the _vm fork when needed. Call before locking
// the heap page: it may do I/O.
void VisibilityMapPin(const Relation& rel, BlockNumber heap_block, storage::Buffer* vm_buffer);
// Whether `vm_buffer` is the pinned map page covering `heap_block` (no I/O, no lock).
[[nodiscard]] bool VisibilityMapPinOk(const Relation& rel, BlockNumber heap_block,
                                      storage::Buffer vm_buffer);
// Whether the bit is set. Takes no content lock (a stale answer is allowed: callers re-check).
// `vm_buffer` as above (pinned on return when the map page exists; may stay invalid).
[[nodiscard]] bool VisibilityMapIsAllVisible(const Relation& rel, BlockNumber heap_block,
                                             storage::Buffer* vm_buffer);
// Clears the bit (a heap change). Requires: vm_buffer pinned via VisibilityMapPin; called while
// the heap page is exclusively locked, inside the change's critical section; the change's WAL
// record says "all-visible cleared" so redo clears it too. Returns whether it was set.
bool VisibilityMapClear(const Relation& rel, BlockNumber heap_block, storage::Buffer vm_buffer);
// Sets the bit (VACUUM): WAL-logs a kHeap2 "visible" record registering the heap buffer and the
// map buffer, sets kPageAllVisible on the heap page and the bit. Requires: heap_buffer pinned
// and exclusively locked, vm_buffer pinned via VisibilityMapPin.
void VisibilityMapSet(const Relation& rel, BlockNumber heap_block, storage::Buffer heap_buffer,
                      storage::Buffer vm_buffer);
// Number of all-visible pages (pg_class.relallvisible, tests).
[[nodiscard]] BlockNumber VisibilityMapCountAllVisible(const Relation& rel);
// Map blocks needed for `heap_blocks`.
[[nodiscard]] BlockNumber VisibilityMapBlocksFor(BlockNumber heap_blocks);
// The heap is about to be truncated to `heap_blocks`: clears the bits from there on in the
// last map page (logged as a full-page image) and truncates the _vm fork with its own Storage
// TRUNCATE record (V6). Call BEFORE the heap's truncation record. Requires: the relation's
// AccessExclusiveLock; no map page pinned by the caller.
void VisibilityMapTruncate(const Relation& rel, BlockNumber heap_blocks);

// Redo helpers used by the heap rmgr (record layout is heap_wal.h's).
void VisibilityMapRedoSet(const RelFileLocator& rel, BlockNumber heap_block, storage::Buffer vm_buffer);
void VisibilityMapRedoClear(const RelFileLocator& rel, BlockNumber heap_block);

}  // namespace keel::access
