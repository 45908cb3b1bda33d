// Hash values of catalog cache keys: what a catalog-row invalidation message carries and what a
// catalog-row cache files its entries under. Senders (catalog writes) and receivers (the
// caches) use these same functions, so a changed row's message always names the entry that
// cached it. README.md (K3, K4).
#pragma once

#include <cstdint>
#include <span>

#include "access/common/datum.h"
#include "access/heap/heap_tuple.h"
#include "backend/utils/cache/syscache_ids.h"

namespace keel::catalog {
struct CatalogRelation;
}

namespace keel::cache {

// Hash of one key value of catalog key type `type_oid` (bool, "char", name, int2, int4, int8,
// oid, regproc, text, int2vector, oidvector): two values the catalog comparator calls equal
// hash equal (K3). Requires: a non-null value in the column's format (a 64-byte name, a
// varlena). Throws XX000 "no hash function for catalog key type %u" for another type.
[[nodiscard]] uint32_t CatalogKeyValueHash(uint32_t type_oid, access::Datum value);

// Hash of the first keys.size() key columns of a cache, given their types (K3): the hash of
// the full key names one entry; of a prefix, one list. Requires: sizes equal, 1..4 keys.
[[nodiscard]] uint32_t CatalogKeysHash(std::span<const uint32_t> type_oids,
                                       std::span<const access::Datum> keys);

// The hash of `row`'s key for cache `id` (all key columns of the cache's index): the value a
// message about this row carries (K4). Requires: `cat` is the cache's catalog, `row` one of its
// rows (any version). Throws what HeapGetAttr throws for a damaged row, XX000 for a catalog
// without the cache's index.
[[nodiscard]] uint32_t CatalogRowHash(SysCacheId id, const catalog::CatalogRelation& cat,
                                      const access::HeapTuple& row);

}  // namespace keel::cache
