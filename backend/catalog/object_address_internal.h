// Catalog reads shared by object_address, dependency and namespace (not for other modules:
// the catalog caches will replace them): one row by oid or by index key under a fresh snapshot
// of the current database, name keys, and the write lock on a catalog. README.md.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "access/common/datum.h"
#include "access/heap/heap_tuple.h"
#include "backend/catalog/catalog_relation.h"
#include "storage/common/ids.h"
#include "storage/lmgr/lock.h"

namespace keel::catalog::internal {

// MyDatabaseId(). Throws XX000 "no database is selected" when the session has none.
[[nodiscard]] Oid CurrentDatabase();

// OpenCatalog(catalog, CurrentDatabase()).
[[nodiscard]] const CatalogRelation& Cat(uint32_t catalog);

// The row of `catalog` with this oid that a fresh snapshot (GetLatestSnapshot) sees.
// Requires: an active transaction.
[[nodiscard]] std::optional<access::HeapTuple> RowByOid(uint32_t catalog, Oid oid);
// Rows of `catalog` whose first keys.size() key columns of index `index_oid` equal `keys`.
[[nodiscard]] std::vector<access::HeapTuple> RowsByKey(uint32_t catalog, uint32_t index_oid,
                                                       std::span<const access::Datum> keys);

// A name-typed index key: 64 NUL-padded bytes kept alive with their Datum.
class NameKey {
 public:
  explicit NameKey(std::string_view name);
  [[nodiscard]] access::Datum datum() const { return access::PointerGetDatum(bytes_.data()); }

 private:
  std::vector<std::byte> bytes_;
};

// The oid of the row of `catalog` found by a unique name index (`index_oid`, one name key),
// or kInvalidOid.
[[nodiscard]] Oid OidByName(uint32_t catalog, uint32_t index_oid, std::string_view name);
// The name column `column` of the row with `oid`, or nullopt.
[[nodiscard]] std::optional<std::string> NameByOid(uint32_t catalog, Oid oid,
                                                   std::string_view column);

// RowExclusiveLock (or `mode`) on a catalog before changing its rows, as PostgreSQL's
// table_open does (database 0 for shared catalogs); accepts invalidations on first lock.
void LockCatalog(uint32_t catalog, storage::LockMode mode = storage::LockMode::kRowExclusive);

// The database part of an object lock tag for objects of `classid`: 0 for shared classes.
[[nodiscard]] uint32_t ObjectLockDatabase(Oid classid);

// Whether the row `row` (a copy from a scan of `cat`, self = its tid) is still the live
// version under a fresh snapshot: not deleted or updated since (systable_recheck_tuple).
[[nodiscard]] bool RowStillLive(const CatalogRelation& cat, const access::HeapTuple& row);

}  // namespace keel::catalog::internal
