// The free space map: per heap page, how much room it has (in 1/256ths of a page), kept in the
// relation's _fsm fork as a tree of max-heaps so a page with enough room is found in O(log n).
// Not WAL-logged (hints only; rebuilt by VACUUM); truncation is. README.md (F1-F8).
#pragma once

#include <cstddef>

#include "storage/common/ids.h"

namespace keel::storage {

// A heap block with at least `needed` bytes free according to the map, or kInvalidBlockNumber.
// The answer is a hint: the caller re-checks on the page and reports back when wrong.
[[nodiscard]] BlockNumber FsmGetPageWithFreeSpace(const RelFileLocator& rel, size_t needed);
// Records that `block` has `avail` bytes free, then looks for another page with `needed`
// (the insert path after a page turned out full).
[[nodiscard]] BlockNumber FsmRecordAndGetPageWithFreeSpace(const RelFileLocator& rel,
                                                           BlockNumber old_block,
                                                           size_t old_avail, size_t needed);
void FsmRecordFreeSpace(const RelFileLocator& rel, BlockNumber block, size_t avail);
// The recorded amount for `block` (rounded down to the map's granularity); 0 when unknown.
[[nodiscard]] size_t FsmGetAvail(const RelFileLocator& rel, BlockNumber block);
// Brings the upper tree levels up to date after many FsmRecordFreeSpace calls (VACUUM).
void FsmVacuum(const RelFileLocator& rel);
// The heap was truncated to `nblocks`: forget everything at or past it and shorten the _fsm
// fork to FsmBlocksFor(nblocks). Not WAL-logged (F7, F8): called by VACUUM's truncation after
// the heap's own truncation record. Requires: nobody else uses the relation (its
// AccessExclusiveLock).
void FsmTruncate(const RelFileLocator& rel, BlockNumber nblocks);
// Number of _fsm blocks the map has for `nblocks` heap blocks (for truncation).
[[nodiscard]] BlockNumber FsmBlocksFor(BlockNumber heap_blocks);

}  // namespace keel::storage
