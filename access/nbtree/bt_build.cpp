// CREATE INDEX for the B+tree: fills a new index from a build source (README "Bulk build").
// Interim: one BtInsert per row; the sorted bottom-up load replaces it.
#include "access/index/indexam.h"
#include "access/nbtree/nbtree.h"

namespace keel::access::nbtree {

BtBuildStats BtBuild(const BtIndex& index, IndexBuildSource& source, const BtBuildOptions& /*options*/) {
  BtCreateIndex(index);
  BtIndex no_check = index;  // interim: the unique check needs the sorted load
  no_check.unique = false;
  BtBuildStats stats;
  IndexBuildRow row;
  while (source.Next(&row)) {
    ++stats.heap_tuples;
    BtInsert(no_check, nullptr, row.values, row.isnull, row.tid);
    ++stats.index_tuples;
  }
  return stats;
}

}  // namespace keel::access::nbtree
