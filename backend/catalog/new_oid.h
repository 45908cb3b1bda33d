// New object ids for catalog rows: the cluster-wide oid counter (access/transam, WAL-logged,
// restored by crash recovery), skipping oids already used in the catalog's oid index
// (PostgreSQL's GetNewOidWithIndex). README.md ("Object ids").
#pragma once

#include "backend/catalog/catalog_relation.h"
#include "storage/common/ids.h"

namespace keel::catalog {

// An oid >= kFirstNormalObjectId that no row of `cat` (in any version, committed or not) has
// in its `oid` column. Requires: an active transaction; `cat` has an oid index.
// Throws XX000 for a catalog without one.
[[nodiscard]] Oid GetNewOidWithIndex(const CatalogRelation& cat);

// A relfilenode number for a new relation file in tablespace `spc` of database `db`: not the
// oid of any pg_class row and no file of that name exists (PostgreSQL's GetNewRelFileNumber).
// Requires: an active transaction.
[[nodiscard]] Oid GetNewRelFileNumber(Oid spc, Oid db);

}  // namespace keel::catalog
