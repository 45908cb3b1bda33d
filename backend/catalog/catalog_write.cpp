// Catalog row changes with index maintenance; see catalog_write.h and README.md ("Writing
// catalogs").
#include "backend/catalog/catalog_write.h"

#include <memory>
#include <vector>

#include "access/index/indexam.h"
#include "access/table/tableam.h"
#include "access/transam/xact.h"
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

[[noreturn]] void ThrowChangeFailed(access::TmResult result, const char* what) {
  if (result == access::TmResult::kSelfModified) {
    throw Error(sqlstate::kInternalError, Format("tuple already %s by self", what));
  }
  throw Error(sqlstate::kInternalError, Format("tuple concurrently %s", what));
}

}  // namespace

storage::ItemPointer CatalogInsert(const CatalogRelation& cat, const CatalogRowBuilder& row) {
  access::HeapTuple tuple = row.Form();
  const CommandId cid = transam::GetCurrentCommandId(true);
  const storage::ItemPointer tid = access::TableAmOf(cat.rel).Insert(cat.rel, tuple, cid);
  InsertIndexEntries(cat, row.values(), row.isnull(), tid);
  return tid;
}

storage::ItemPointer CatalogUpdate(const CatalogRelation& cat, storage::ItemPointer tid,
                                   const CatalogRowBuilder& row) {
  access::HeapTuple tuple = row.Form();
  const CommandId cid = transam::GetCurrentCommandId(true);
  access::TmFailureData tmfd{};
  access::UpdateIndexes update_indexes = access::UpdateIndexes::kNone;
  // Every catalog column an index covers may have changed: the heap then never keeps the new
  // version on a HOT chain, and every index gets an entry for it.
  const access::TmResult result =
      access::TableAmOf(cat.rel).Update(cat.rel, tid, tuple, cid, /*crosscheck=*/nullptr,
                                        /*wait=*/true, /*indexed_columns_changed=*/true, &tmfd,
                                        &update_indexes);
  if (result != access::TmResult::kOk) ThrowChangeFailed(result, "updated");
  if (update_indexes == access::UpdateIndexes::kAll) {
    InsertIndexEntries(cat, row.values(), row.isnull(), tuple.self);
  }
  return tuple.self;
}

void CatalogDelete(const CatalogRelation& cat, storage::ItemPointer tid) {
  const CommandId cid = transam::GetCurrentCommandId(true);
  access::TmFailureData tmfd{};
  const access::TmResult result = access::TableAmOf(cat.rel).Delete(
      cat.rel, tid, cid, /*crosscheck=*/nullptr, /*wait=*/true, &tmfd);
  if (result != access::TmResult::kOk) ThrowChangeFailed(result, "deleted");
}

}  // namespace keel::catalog
