// Changing catalog rows: heap insert / update / delete plus the entries of every catalog index,
// under the transaction's current command id, and the cache invalidation messages of the change.
// Everything catalog DDL writes goes through here, so the indexes always match the heap (C13)
// and every backend's caches hear of every change (C17). README.md ("Writing catalogs").
#pragma once

#include "access/heap/heap_tuple.h"
#include "backend/catalog/catalog_relation.h"
#include "backend/catalog/catalog_values.h"
#include "storage/page/item_pointer.h"

namespace keel::catalog {

// Inserts `row` and its index entries (unique indexes checked: 23505 on a duplicate key), and
// registers its invalidation messages in the current (sub)transaction (C17: a catalog-row
// message per cache over the catalog, relcache messages for the relation the row describes).
// Returns the new row's tid.
// Requires: an active, non-failed transaction; the caller holds the lock that serialises
// writers of this kind of object (PostgreSQL's rules: e.g. the relation's lock for its
// pg_attribute rows) and RowExclusiveLock on the catalog if it locks catalogs at all.
storage::ItemPointer CatalogInsert(const CatalogRelation& cat, const CatalogRowBuilder& row);

// Replaces the row version at `tid` by `row` (a new version; every index gets an entry for it
// unless the heap kept it on the same HOT chain with no indexed column changed); registers the
// messages of the old and of the new version (C17).
// Requires: as CatalogInsert; `tid` is a version this transaction's latest snapshot sees.
// Throws (PostgreSQL's simple_heap_update) XX000 "tuple concurrently updated" / "tuple
// concurrently deleted" when a committed concurrent transaction updated / deleted it (after
// waiting for one in progress), XX000 "tuple already updated by self" when this command already
// changed it, 55000 "attempted to update invisible tuple" for a version it never saw.
storage::ItemPointer CatalogUpdate(const CatalogRelation& cat, storage::ItemPointer tid,
                                   const CatalogRowBuilder& row);

// Deletes the row version at `tid` and registers the old version's messages (C17). Requires and
// throws as CatalogUpdate ("attempted to delete invisible tuple"). Index entries stay until
// VACUUM (they point at a dead version).
void CatalogDelete(const CatalogRelation& cat, storage::ItemPointer tid);

}  // namespace keel::catalog
