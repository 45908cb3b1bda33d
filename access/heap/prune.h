// Page pruning: removes dead tuples and dead HOT-chain members from one heap page, redirecting
// line pointers of HOT chain roots, and compacts the page. Run opportunistically by readers and
// updaters (HeapPagePruneOpt) and by VACUUM. WAL-logged as kHeap2 prune. README.md ("Pruning").
#pragma once

#include <vector>

#include "access/common/relation.h"
#include "storage/buffer/bufmgr.h"
#include "storage/page/page.h"

namespace keel::access {

struct PruneResult {
  int tuples_deleted = 0;        // tuples removed (became unused, dead or redirected away)
  int live_tuples = 0;           // kLive + kInsertInProgress + kDeleteInProgress remaining
  int recently_dead_tuples = 0;
  bool all_visible = false;      // every remaining tuple visible to everyone (VM candidate)
  // Line pointers left kDead: index entries may point at them, so only VACUUM's second pass
  // (after index cleanup) may make them unused. With `no_indexes` they become unused at once.
  std::vector<storage::OffsetNumber> dead_items;
};

// Prunes if the page looks worth it (its prune_xid is old enough for GetOldestXmin() and free
// space is below ~10% or the caller needs room) and the cleanup lock is free right now.
// Requires: `buffer` pinned, NOT locked by the caller.
void HeapPagePruneOpt(const Relation& rel, storage::Buffer buffer);

// Prunes the page with tuples dead to `oldest_xmin`. Requires: cleanup lock on `buffer`
// (LockBufferForCleanup). Writes one WAL record when anything changed.
[[nodiscard]] PruneResult HeapPagePrune(const Relation& rel, storage::Buffer buffer,
                                        TransactionId oldest_xmin, bool no_indexes);

}  // namespace keel::access
