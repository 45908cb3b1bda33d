// Open catalogs: the access-method view (access::Relation with its TupleDesc, one
// access::IndexRelation per index) of a catalog in one database, built from the definitions.
// Process-local, built on first use and kept for the process. README.md (C5, C6, C12).
#pragma once

#include <memory>
#include <vector>

#include "access/common/tuple_desc.h"
#include "access/index/index_relation.h"
#include "backend/catalog/catalog_defs.h"

namespace keel::catalog {

// The tuple descriptor of a catalog's rows: its columns with their pg_type layouts (C3).
// Throws XX000 for a column type not in BuiltinTypes().
[[nodiscard]] access::TupleDesc CatalogTupleDesc(const CatalogDef& def);

// The files of a catalog (or catalog index) `rel_oid` in database `db`: relfilenode = oid (C5);
// shared ones in global/ (tablespace pg_global, db 0), the rest in base/<db> (C6).
[[nodiscard]] RelFileLocator CatalogLocator(uint32_t rel_oid, bool shared, Oid db);

struct CatalogIndex {
  const CatalogIndexDef* def = nullptr;
  access::TupleDesc desc;            // key columns, catalog types
  access::IndexRelation index;       // index.rel.desc -> desc
  std::vector<int> heap_columns;     // 0-based catalog column of each key
};

struct CatalogRelation {
  const CatalogDef* def = nullptr;
  access::TupleDesc desc;
  access::Relation rel;              // rel.desc -> desc
  std::vector<std::unique_ptr<CatalogIndex>> indexes;  // def->indexes order

  // The index with pg_class oid `index_oid`. Throws XX000 when the catalog has none.
  [[nodiscard]] const CatalogIndex& Index(uint32_t index_oid) const;
};

// The catalog `catalog_oid` as database `db` sees it (shared catalogs are the same for every
// db). The object lives until the process exits (stable address). Not thread-safe (backends
// are single-threaded). Throws XX000 "cache lookup failed for relation %u" for an unknown oid.
[[nodiscard]] const CatalogRelation& OpenCatalog(uint32_t catalog_oid, Oid db);

}  // namespace keel::catalog
