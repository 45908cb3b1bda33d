// Finding a heap page with room for a new tuple: the process's "last page used" for the
// relation, then the free space map, then extending the relation. Also locks the old page of an
// update in block order (HP11). README.md ("Inserting", HP11).
#pragma once

#include <cstddef>

#include "access/common/relation.h"
#include "storage/buffer/bufmgr.h"

namespace keel::access {

// Returns a buffer, pinned and exclusively locked, whose page (initialised) has at least
// MaxAlign(len) bytes of free space for a tuple. `other_buffer` (an update's old page; may be
// kInvalidBuffer) is pinned and UNLOCKED by the caller on entry and exclusively locked on
// return too — the two locks taken in ascending block order (HP11); when the answer IS
// other_buffer it is locked once and the returned value equals it (no extra pin).
// *vm_buffer / *vm_other: map pages, pinned on return whenever the target / other page is
// all-visible (VisibilityMapPin; both may be pinned already on entry and are re-used).
// *new_page: the target was just added by extension (nothing else on it).
// Throws 54000 "row is too big: size %zu, maximum size %zu" for len > kMaxHeapTupleSize, and
// buffer / smgr errors.
[[nodiscard]] storage::Buffer RelationGetBufferForTuple(const Relation& rel, size_t len,
                                                        storage::Buffer other_buffer,
                                                        storage::Buffer* vm_buffer,
                                                        storage::Buffer* vm_other,
                                                        bool* new_page);

// Forgets the cached target block of `rel` (after truncation).
void HioForgetRelation(const RelFileLocator& rel);

}  // namespace keel::access
