// TEMPORARY (issue 6): stands in for the oid counter until access/transam's lands in this same
// stop; one more than the largest oid the catalog's oid index holds, no WAL.
#include "backend/catalog/new_oid.h"

#include <algorithm>

#include "access/transam/xact.h"
#include "backend/catalog/catalog_defs.h"
#include "backend/catalog/catalog_lookup.h"

namespace keel::catalog {

Oid GetNewOidWithIndex(const CatalogRelation& cat) {
  uint32_t max_oid = kFirstNormalObjectId - 1;
  for (const auto& row : CatalogSeqScan(cat, transam::GetLatestSnapshot())) {
    max_oid = std::max(max_oid, CatalogGetOid(cat, row, "oid"));
  }
  return Oid(max_oid + 1);
}

Oid GetNewRelFileNumber(Oid spc, Oid db) {
  const CatalogRelation& pg_class = OpenCatalog(catalog_oid::kPgClass, db);
  return GetNewOidWithIndex(pg_class);
}

}  // namespace keel::catalog
