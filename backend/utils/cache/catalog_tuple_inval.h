// Which invalidation messages one catalog row change registers (PostgreSQL's
// CacheInvalidateHeapTuple): a catalog-row message per cache over the catalog for the old and
// for the new version, and relation-descriptor messages for the relation the row describes.
// Called by every catalog write (backend/catalog/catalog_write.cpp). README.md (K4-K6).
#pragma once

#include "access/heap/heap_tuple.h"

namespace keel::catalog {
struct CatalogRelation;
}

namespace keel::cache {

// Registers (inval.h, current (sub)transaction) for a change of one row of `cat`:
// - for every cache over `cat` (syscache_ids.h), a catalog-row message with the hash of
//   `old_row`'s key and one with `new_row`'s (K4; duplicates are kept once, V1);
// - relcache messages for the relation the row is about (K5): pg_class → its oid (db 0 when
//   relisshared); pg_attribute → attrelid; pg_index → indrelid and indexrelid; pg_attrdef →
//   adrelid; pg_constraint → conrelid (when set); pg_rewrite → ev_class; pg_trigger → tgrelid.
// Messages carry `cat`'s database: 0 for a shared catalog (K6).
// `old_row`: the version replaced or deleted, nullptr for an insert; `new_row`: the version
// stored, nullptr for a delete.
// Requires: an active transaction (XX000 otherwise, V1). Throws XX000 for a damaged row.
void CacheInvalidateCatalogTuple(const catalog::CatalogRelation& cat,
                                 const access::HeapTuple* old_row,
                                 const access::HeapTuple* new_row);

}  // namespace keel::cache
