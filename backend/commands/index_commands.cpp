// CREATE INDEX and REINDEX; see index_commands.h and README.md ("Indexes", B10-B12).
#include "backend/commands/index_commands.h"

#include "access/index/indexam.h"
#include "backend/catalog/index_create.h"
#include "backend/catalog/object_names.h"
#include "backend/commands/relation_checks_internal.h"
#include "backend/utils/cache/inval.h"
#include "backend/utils/cache/relcache.h"
#include "backend/utils/error/error.h"
#include "backend/utils/error/format.h"
#include "backend/utils/error/sqlstate.h"
#include "backend/utils/init/session_globals.h"

namespace keel::commands {
namespace {

constexpr int kIndexMaxKeys = 32;  // PostgreSQL's INDEX_MAX_KEYS

}  // namespace

Oid CreateIndex(const IndexStmt& stmt, catalog::NoticeList* notices) {
  const Oid user = internal::CurrentUser();
  if (stmt.concurrent) {
    throw Error(sqlstate::kFeatureNotSupported, "CREATE INDEX CONCURRENTLY is not supported yet");
  }
  const Oid relid = catalog::RangeVarGetRelid(stmt.relation, storage::LockMode::kShare, false);
  const internal::RelationFacts facts = internal::GetRelationFacts(relid);
  if (facts.kind != 'r' && facts.kind != 'm') {
    throw Error(sqlstate::kWrongObjectType,
                Format("cannot create index on relation \"%s\"", facts.name.c_str()));
  }
  internal::CheckRelationOwner(user, facts);
  internal::CheckNotSystemCatalog(facts);

  const Oid am = access::GetIndexAmOid(stmt.access_method);
  const access::IndexAm& index_am = access::GetIndexAm(am);
  const char* amname = stmt.access_method.c_str();
  if (stmt.unique && !index_am.CanUnique()) {
    throw Error(sqlstate::kFeatureNotSupported,
                Format("access method \"%s\" does not support unique indexes", amname));
  }
  if (!stmt.including.empty() && !index_am.CanInclude()) {
    throw Error(sqlstate::kFeatureNotSupported,
                Format("access method \"%s\" does not support included columns", amname));
  }
  if (stmt.index_params.size() > 1 && !index_am.CanMultiCol()) {
    throw Error(sqlstate::kFeatureNotSupported,
                Format("access method \"%s\" does not support multicolumn indexes", amname));
  }
  if (stmt.index_params.size() + stmt.including.size() > static_cast<size_t>(kIndexMaxKeys)) {
    throw Error(sqlstate::kTooManyColumns,
                Format("cannot use more than %d columns in an index", kIndexMaxKeys));
  }

  const cache::RelationRef heap = cache::RelationIdGetRelation(relid);
  catalog::NewIndex ix;
  ix.heap = relid;
  ix.am = am;
  ix.unique = stmt.unique;
  std::vector<std::string> names;
  const auto attnum_of = [&](const std::string& name) {
    const int col = heap->ColumnIndex(name);
    if (col < 0) {
      throw Error(sqlstate::kUndefinedColumn, Format("column \"%s\" does not exist", name.c_str()));
    }
    names.push_back(name);
    return static_cast<int16_t>(col + 1);
  };
  for (const IndexElem& e : stmt.index_params) {
    ix.attnums.push_back(attnum_of(e.name));
    int16_t option = 0;
    const bool desc = e.ordering == SortByDir::kDesc;
    if (desc) option |= cache::kIndexOptionDesc;
    // NULLS FIRST is the default for DESC (PostgreSQL's rule).
    if (e.nulls_ordering == SortByNulls::kFirst ||
        (desc && e.nulls_ordering == SortByNulls::kDefault)) {
      option |= cache::kIndexOptionNullsFirst;
    }
    ix.options.push_back(option);
  }
  ix.nkeyatts = static_cast<int>(ix.attnums.size());
  for (const std::string& inc : stmt.including) ix.attnums.push_back(attnum_of(inc));

  if (!stmt.idxname.empty()) {
    if (catalog::GetRelnameRelid(stmt.idxname, facts.namespace_oid) != kInvalidOid) {
      if (stmt.if_not_exists) {
        catalog::EmitNotice(notices, Error(sqlstate::kDuplicateTable,
                                           Format("relation \"%s\" already exists, skipping",
                                                  stmt.idxname.c_str()),
                                           Severity::kNotice));
        return kInvalidOid;
      }
      throw Error(sqlstate::kDuplicateTable,
                  Format("relation \"%s\" already exists", stmt.idxname.c_str()));
    }
    ix.name = stmt.idxname;
  } else {
    ix.name = catalog::ChooseRelationName(facts.name, catalog::ChooseIndexNameAddition(names), "idx",
                                          facts.namespace_oid);
  }
  return catalog::IndexCreate(ix).index;
}

void Reindex(const ReindexStmt& stmt, catalog::NoticeList* notices) {
  const Oid user = internal::CurrentUser();
  if (stmt.concurrently) {
    throw Error(sqlstate::kFeatureNotSupported, "REINDEX CONCURRENTLY is not supported yet");
  }
  const Oid db = MyDatabaseId();
  if (stmt.kind == ReindexObjectType::kIndex) {
    const Oid index = catalog::RangeVarGetRelid(stmt.relation, storage::LockMode::kNoLock, true);
    if (index == kInvalidOid) {
      throw Error(sqlstate::kUndefinedTable,
                  Format("relation \"%s\" does not exist", stmt.relation.relname.c_str()));
    }
    const internal::RelationFacts facts = internal::GetRelationFacts(index);
    if (facts.kind != 'i') {
      throw Error(sqlstate::kWrongObjectType,
                  Format("\"%s\" is not an index", facts.name.c_str()));
    }
    internal::CheckRelationOwner(user, facts);
    internal::CheckNotSystemCatalog(facts);
    const Oid heap = catalog::IndexGetRelation(index);
    (void)cache::LockRelationOid(db, heap, storage::LockMode::kShare);  // table first
    (void)cache::LockRelationOid(db, index, storage::LockMode::kAccessExclusive);
    catalog::ReindexIndex(index);
    return;
  }
  const Oid heap = catalog::RangeVarGetRelid(stmt.relation, storage::LockMode::kShare, false);
  const internal::RelationFacts facts = internal::GetRelationFacts(heap);
  if (facts.kind != 'r' && facts.kind != 'm') {
    throw Error(sqlstate::kWrongObjectType,
                Format("\"%s\" is not a table or materialized view", facts.name.c_str()));
  }
  internal::CheckRelationOwner(user, facts);
  internal::CheckNotSystemCatalog(facts);
  const std::vector<Oid> indexes = catalog::RelationIndexOids(heap);
  if (indexes.empty()) {
    catalog::EmitNotice(notices, Error(sqlstate::kSuccessfulCompletion,
                                       Format("table \"%s\" has no indexes to reindex",
                                              facts.name.c_str()),
                                       Severity::kNotice));
    return;
  }
  for (Oid index : indexes) {
    (void)cache::LockRelationOid(db, index, storage::LockMode::kAccessExclusive);
    catalog::ReindexIndex(index);
  }
}

}  // namespace keel::commands
