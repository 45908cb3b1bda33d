// TRUNCATE; see truncate.h and README.md ("Truncate", B13-B15).
#include "backend/commands/truncate.h"

#include <algorithm>

#include "backend/catalog/catalog_defs.h"
#include "backend/catalog/catalog_lookup.h"
#include "backend/catalog/catalog_relation.h"
#include "backend/catalog/heap_create.h"
#include "backend/catalog/index_create.h"
#include "backend/catalog/object_address.h"
#include "backend/commands/relation_checks_internal.h"
#include "backend/utils/cache/inval.h"
#include "backend/utils/error/error.h"
#include "backend/utils/error/format.h"
#include "backend/utils/error/sqlstate.h"
#include "backend/utils/init/session_globals.h"
#include "access/transam/xact.h"

namespace keel::commands {
namespace {

struct ForeignKeyEdge {
  Oid referencing;  // conrelid
  Oid referenced;   // confrelid
};

// Every foreign key in the database (pg_constraint has no index on confrelid: PostgreSQL
// scans too, heap_truncate_find_FKs).
std::vector<ForeignKeyEdge> ForeignKeys() {
  const catalog::CatalogRelation& con =
      catalog::OpenCatalog(catalog::catalog_oid::kPgConstraint, MyDatabaseId());
  std::vector<ForeignKeyEdge> out;
  for (const access::HeapTuple& row : catalog::CatalogSeqScan(con, transam::GetLatestSnapshot())) {
    if (catalog::CatalogGetChar(con, row, "contype") != 'f') continue;
    out.push_back({Oid(catalog::CatalogGetOid(con, row, "conrelid")),
                   Oid(catalog::CatalogGetOid(con, row, "confrelid"))});
  }
  return out;
}

bool Contains(const std::vector<Oid>& v, Oid o) { return std::find(v.begin(), v.end(), o) != v.end(); }

void CheckTruncatable(Oid user, const internal::RelationFacts& facts) {
  if (facts.kind != 'r' && facts.kind != 'p') {
    throw Error(sqlstate::kWrongObjectType, Format("\"%s\" is not a table", facts.name.c_str()));
  }
  // truncate_check_perms: the TRUNCATE privilege, which without GRANT only owners have.
  if (!catalog::IsMemberOfRole(user, facts.owner)) {
    throw Error(sqlstate::kInsufficientPrivilege,
                Format("permission denied for table %s", facts.name.c_str()));
  }
  internal::CheckNotSystemCatalog(facts);
}

}  // namespace

void ExecuteTruncate(const TruncateStmt& stmt, catalog::NoticeList* notices) {
  const Oid user = internal::CurrentUser();
  const Oid db = MyDatabaseId();
  std::vector<Oid> rels;
  for (const catalog::RangeVar& rv : stmt.relations) {
    const Oid relid = catalog::RangeVarGetRelid(rv, storage::LockMode::kAccessExclusive, false);
    if (Contains(rels, relid)) continue;
    CheckTruncatable(user, internal::GetRelationFacts(relid));
    rels.push_back(relid);
  }
  const std::vector<ForeignKeyEdge> fks = ForeignKeys();
  if (stmt.behavior == catalog::DropBehavior::kCascade) {
    // B14: add referencing tables until closed, each locked and checked like the named ones.
    for (size_t i = 0; i < rels.size(); ++i) {
      for (const ForeignKeyEdge& e : fks) {
        if (e.referenced != rels[i] || Contains(rels, e.referencing)) continue;
        (void)cache::LockRelationOid(db, e.referencing, storage::LockMode::kAccessExclusive);
        const internal::RelationFacts facts = internal::GetRelationFacts(e.referencing);
        catalog::EmitNotice(notices, Error(sqlstate::kSuccessfulCompletion,
                                           Format("truncate cascades to table \"%s\"",
                                                  facts.name.c_str()),
                                           Severity::kNotice));
        CheckTruncatable(user, facts);
        rels.push_back(e.referencing);
      }
    }
  } else {
    // heap_truncate_check_FKs: a referencing table left out is an error.
    for (const ForeignKeyEdge& e : fks) {
      if (!Contains(rels, e.referenced) || Contains(rels, e.referencing)) continue;
      const std::string referencing = internal::GetRelationFacts(e.referencing).name;
      const std::string referenced = internal::GetRelationFacts(e.referenced).name;
      throw Error(sqlstate::kFeatureNotSupported,
                  "cannot truncate a table referenced in a foreign key constraint")
          .WithDetail(Format("Table \"%s\" references \"%s\".", referencing.c_str(),
                             referenced.c_str()))
          .WithHint(Format("Truncate table \"%s\" at the same time, or use TRUNCATE ... CASCADE.",
                           referencing.c_str()));
    }
  }
  // B13: new files for the tables and their indexes; the indexes rebuilt (empty).
  for (Oid relid : rels) {
    (void)catalog::RelationSetNewRelfilenumber(relid);
    for (Oid index : catalog::RelationIndexOids(relid)) {
      (void)cache::LockRelationOid(db, index, storage::LockMode::kAccessExclusive);
      (void)catalog::RelationSetNewRelfilenumber(index);
      catalog::IndexBuild(relid, index);
    }
  }
}

}  // namespace keel::commands
