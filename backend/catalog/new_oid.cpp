// New oids for catalog rows and new relfilenumbers: the cluster-wide counter (access/transam
// GetNewObjectId, WAL-reserved, crash-safe) skipping values already in use. README.md
// ("Object ids").
#include "backend/catalog/new_oid.h"

#include <memory>
#include <vector>

#include "access/common/datum.h"
#include "access/index/indexam.h"
#include "access/transam/transam.h"
#include "backend/catalog/catalog_defs.h"
#include "backend/utils/error/error.h"
#include "backend/utils/error/format.h"
#include "backend/utils/error/sqlstate.h"
#include "backend/utils/init/session_globals.h"
#include "storage/smgr/smgr.h"

namespace keel::catalog {
namespace {

// Whether the oid index has any entry for `oid`, whatever the visibility of the row version it
// points at: committed, in progress, aborted or deleted but not yet vacuumed away. That is
// PostgreSQL's SnapshotAny probe (every version in the catalog has an entry in every index of
// it, C13); a version VACUUM has removed is not "in use" any more.
bool OidIndexHasEntry(const CatalogIndex& idx, Oid oid) {
  const access::IndexColumn& column = idx.index.columns[0];
  const access::ScanKey key{.attno = 1,
                            .strategy = access::strategy::kEqual,
                            .argument = access::ObjectIdGetDatum(oid),
                            .compare = column.compare,
                            .compare_arg = column.compare_arg};
  const access::IndexAm& am = access::IndexAmOf(idx.index);
  std::unique_ptr<access::IndexScan> scan = am.BeginScan(idx.index, 1, /*want_itup=*/false);
  scan->Rescan({&key, 1});
  access::IndexScanEntry entry;
  return scan->GetNextTid(access::ScanDirection::kForward, &entry);
}

}  // namespace

Oid GetNewOidWithIndex(const CatalogRelation& cat) {
  const CatalogIndexDef* def = OidIndexOf(*cat.def);
  if (def == nullptr) {
    throw Error(sqlstate::kInternalError,
                Format("relation \"%s\" has no oid index", cat.rel.name.c_str()));
  }
  const CatalogIndex& idx = cat.Index(def->oid);
  // The counter never hands out an oid twice before it wraps (transam O2); after a wrap, used
  // oids are skipped here. 2^32 - 16384 used oids in one catalog would loop forever, as in
  // PostgreSQL (which logs a LOG line every million retries; such catalogs do not exist).
  for (;;) {
    const Oid candidate = transam::GetNewObjectId();
    if (!OidIndexHasEntry(idx, candidate)) return candidate;
  }
}

Oid GetNewRelFileNumber(Oid spc, Oid db) {
  // Shared relations (pg_global) live in global/, which smgr names with database 0.
  const Oid file_db = spc == Oid(kGlobalTablespace) ? kInvalidOid : db;
  // The pg_class of the database the relation is created in (the connected one for a shared
  // relation): a relfilenumber equal to another relation's oid would make that oid's later
  // relfilenode = oid assumption (C5) unsafe. No database (bootstrap tooling): the counter
  // and the file check alone.
  const Oid class_db = db != kInvalidOid ? db : MyDatabaseId();
  const CatalogRelation* pg_class =
      class_db != kInvalidOid ? &OpenCatalog(catalog_oid::kPgClass, class_db) : nullptr;
  for (;;) {
    const Oid candidate =
        pg_class != nullptr ? GetNewOidWithIndex(*pg_class) : transam::GetNewObjectId();
    // A file of that name may exist: a relation dropped since the last checkpoint keeps its
    // main fork's name until then (storage/smgr SM5), or a crash left an orphan.
    const RelFileLocator locator{spc, file_db, candidate};
    if (!storage::SmgrExists(locator, ForkNumber::kMain)) return candidate;
  }
}

}  // namespace keel::catalog
