// Page changes shared by pruning, VACUUM's second pass and their redo (heap2_wal.cpp), so that
// redo does exactly what the original did. Not for use outside access/heap.
// README.md ("Pruning", P1-P8).
#pragma once

#include <span>

#include "storage/buffer/bufmgr.h"
#include "storage/page/page.h"

namespace keel::access::internal {

// A redirect of a HOT chain's root line pointer to the chain's first remaining member.
struct PruneRedirect {
  storage::OffsetNumber from;
  storage::OffsetNumber to;
};

// Applies a prune decision to the page: redirects (P2: the pointer's offset field is the
// target, length 0), dead pointers (no storage), unused pointers; compacts the item space
// (PageRepairFragmentation), sets prune_xid and clears kPageFull. Requires: the caller holds a
// cleanup lock (or is redo); in a critical section. Throws nothing on a sane page.
void HeapPagePruneExecute(storage::Page page, std::span<const PruneRedirect> redirected,
                          std::span<const storage::OffsetNumber> now_dead,
                          std::span<const storage::OffsetNumber> now_unused,
                          uint64_t new_prune_xid);

// VACUUM's second pass on one page: the given kDead line pointers become kUnused, then
// trailing unused line pointers are dropped from the array (P5). Requires: exclusive content
// lock (no tuple moves, so no cleanup lock is needed); in a critical section.
void HeapPageVacuumExecute(storage::Page page, std::span<const storage::OffsetNumber> now_unused);

}  // namespace keel::access::internal
