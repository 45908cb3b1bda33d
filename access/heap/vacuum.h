// VACUUM of a heap table: prunes every page, removes dead line pointers (after index cleanup
// through the callback, once indexes exist), updates the free space map and visibility map,
// and truncates empty pages at the end. No freezing: 64-bit xids never wrap. README.md ("VACUUM").
#pragma once

#include <cstdint>
#include <functional>
#include <span>

#include "access/common/relation.h"
#include "storage/page/item_pointer.h"

namespace keel::access {

// Index cleanup (issue 5): remove the entries pointing at these tids from every index. Empty
// when the table has no indexes (dead items then become unused during pruning).
using IndexBulkDelete = std::function<void(std::span<const storage::ItemPointer> dead_tids)>;

struct VacuumParams {
  bool truncate = true;             // give back empty pages at the end of the table
  IndexBulkDelete index_cleanup;    // empty: no indexes
  bool autovacuum = false;          // run by an autovacuum worker (statistics, logging)
};

struct VacuumStats {
  BlockNumber pages_scanned{0};
  BlockNumber pages_skipped_all_visible{0};
  BlockNumber pages_removed{0};     // truncated away
  BlockNumber rel_pages{0};         // after truncation
  uint64_t tuples_removed = 0;
  uint64_t live_tuples = 0;
  uint64_t dead_tuples_remaining = 0;  // recently dead: still visible to someone
};

// Requires: an active transaction (for the lock) — takes ShareUpdateExclusiveLock on the
// relation; truncation briefly takes AccessExclusiveLock without waiting (skipped when busy).
// Not inside a transaction block (the SQL layer checks: 25001).
VacuumStats HeapVacuum(const Relation& rel, const VacuumParams& params);

}  // namespace keel::access
