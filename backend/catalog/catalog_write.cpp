// Catalog row changes with index maintenance; see catalog_write.h and README.md ("Writing
// catalogs").
#include "backend/catalog/catalog_write.h"

#include <memory>
#include <optional>
#include <vector>

#include "access/index/indexam.h"
#include "access/table/tableam.h"
#include "access/transam/snapshot.h"
#include "access/transam/xact.h"
#include "backend/utils/cache/catalog_tuple_inval.h"
#include "backend/utils/cache/inval.h"
#include "backend/utils/error/error.h"
#include "backend/utils/error/format.h"

namespace keel::catalog {
namespace {

// One entry per index of `cat` for the row `values` / `isnull` stored at `tid` (C13).
void InsertIndexEntries(const CatalogRelation& cat, std::span<const access::Datum> values,
                        std::span<const bool> isnull, storage::ItemPointer tid) {
  for (const auto& idx : cat.indexes) {
    const size_t nkeys = idx->heap_columns.size();
    std::vector<access::Datum> keys(nkeys);
    std::unique_ptr<bool[]> key_isnull = std::make_unique<bool[]>(nkeys);
    for (size_t k = 0; k < nkeys; ++k) {
      const auto col = static_cast<size_t>(idx->heap_columns[k]);
      keys[k] = values[col];
      key_isnull[k] = isnull[col];
    }
    (void)access::IndexAmOf(idx->index)
        .Insert(idx->index, keys, std::span<const bool>(key_isnull.get(), nkeys), tid, cat.rel,
                idx->index.unique ? access::UniqueCheck::kYes : access::UniqueCheck::kNo);
  }
}

// PostgreSQL's simple_heap_update / simple_heap_delete texts, by outcome; `verb` is "update"
// or "delete".
[[noreturn]] void ThrowChangeFailed(access::TmResult result, const char* verb) {
  switch (result) {
    case access::TmResult::kSelfModified:
      throw Error(sqlstate::kInternalError, "tuple already updated by self");
    case access::TmResult::kUpdated:
      throw Error(sqlstate::kInternalError, "tuple concurrently updated");
    case access::TmResult::kDeleted:
      throw Error(sqlstate::kInternalError, "tuple concurrently deleted");
    case access::TmResult::kInvisible:
      throw Error(sqlstate::kObjectNotInPrerequisiteState,
                  Format("attempted to %s invisible tuple", verb));
    default:
      throw Error(sqlstate::kInternalError,
                  Format("unrecognized heap_%s status: %u", verb, static_cast<unsigned>(result)));
  }
}

// The version at `tid` before this command changes it, for its invalidation messages (C17),
// read under the latest snapshot. nullopt when that does not see it: the heap then refuses the
// change (invisible, concurrently changed, already changed by this command), or, should it
// not, the caller invalidates the whole catalog.
std::optional<access::HeapTuple> FetchOldVersion(const CatalogRelation& cat,
                                                 storage::ItemPointer tid) {
  access::HeapTuple old;
  if (!access::TableAmOf(cat.rel).FetchRowVersion(cat.rel, transam::GetLatestSnapshot(), tid,
                                                  &old)) {
    return std::nullopt;
  }
  return old;
}

// C17: the messages for replacing / deleting `old` (when it could be read).
void InvalidateChange(const CatalogRelation& cat, const std::optional<access::HeapTuple>& old,
                      const access::HeapTuple* new_row) {
  if (old) {
    cache::CacheInvalidateCatalogTuple(cat, &*old, new_row);
    return;
  }
  cache::CacheInvalidateCatalog(cat.rel.id, cat.rel.db);  // every cached row of the catalog
  cache::CacheInvalidateRelcacheAll();
  if (new_row != nullptr) cache::CacheInvalidateCatalogTuple(cat, nullptr, new_row);
}

}  // namespace

storage::ItemPointer CatalogInsert(const CatalogRelation& cat, const CatalogRowBuilder& row) {
  access::HeapTuple tuple = row.Form();
  const CommandId cid = transam::GetCurrentCommandId(true);
  const storage::ItemPointer tid = access::TableAmOf(cat.rel).Insert(cat.rel, tuple, cid);
  cache::CacheInvalidateCatalogTuple(cat, nullptr, &tuple);  // C17
  InsertIndexEntries(cat, row.values(), row.isnull(), tid);
  return tid;
}

storage::ItemPointer CatalogUpdate(const CatalogRelation& cat, storage::ItemPointer tid,
                                   const CatalogRowBuilder& row) {
  access::HeapTuple tuple = row.Form();
  const CommandId cid = transam::GetCurrentCommandId(true);
  const std::optional<access::HeapTuple> old = FetchOldVersion(cat, tid);
  access::TmFailureData tmfd{};
  access::UpdateIndexes update_indexes = access::UpdateIndexes::kNone;
  // Every catalog column an index covers may have changed: the heap then never keeps the new
  // version on a HOT chain, and every index gets an entry for it.
  const access::TmResult result =
      access::TableAmOf(cat.rel).Update(cat.rel, tid, tuple, cid, /*crosscheck=*/nullptr,
                                        /*wait=*/true, /*indexed_columns_changed=*/true, &tmfd,
                                        &update_indexes);
  if (result != access::TmResult::kOk) ThrowChangeFailed(result, "update");
  InvalidateChange(cat, old, &tuple);  // C17
  if (update_indexes == access::UpdateIndexes::kAll) {
    InsertIndexEntries(cat, row.values(), row.isnull(), tuple.self);
  }
  return tuple.self;
}

void CatalogDelete(const CatalogRelation& cat, storage::ItemPointer tid) {
  const CommandId cid = transam::GetCurrentCommandId(true);
  const std::optional<access::HeapTuple> old = FetchOldVersion(cat, tid);
  access::TmFailureData tmfd{};
  const access::TmResult result = access::TableAmOf(cat.rel).Delete(
      cat.rel, tid, cid, /*crosscheck=*/nullptr, /*wait=*/true, &tmfd);
  if (result != access::TmResult::kOk) ThrowChangeFailed(result, "delete");
  InvalidateChange(cat, old, nullptr);  // C17
}

}  // namespace keel::catalog
