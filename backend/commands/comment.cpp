// COMMENT ON and the pg_description / pg_shdescription rows; see comment.h and README.md
// ("Comments").
#include "backend/commands/comment.h"

#include <vector>

#include "access/transam/xact.h"
#include "backend/catalog/catalog_defs.h"
#include "backend/catalog/catalog_lookup.h"
#include "backend/catalog/catalog_values.h"
#include "backend/catalog/catalog_write.h"
#include "backend/utils/cache/inval.h"
#include "backend/utils/error/error.h"
#include "backend/utils/error/format.h"
#include "backend/utils/error/sqlstate.h"
#include "backend/utils/init/session_globals.h"

namespace keel::commands {
namespace {

using catalog::CatalogRelation;
using catalog::ObjectAddress;
namespace catalog_oid = catalog::catalog_oid;

constexpr uint32_t kDescriptionIndex = 2675;
constexpr uint32_t kShdescriptionIndex = 2397;

const CatalogRelation& Cat(uint32_t oid) {
  const Oid db = MyDatabaseId();
  if (db == kInvalidOid) throw Error(sqlstate::kInternalError, "no database is selected");
  return catalog::OpenCatalog(oid, db);
}

// The description rows of (objoid, classoid[, objsubid]) in pg_description, or of
// (objoid, classoid) in pg_shdescription; objsubid < 0: every sub-id.
std::vector<access::HeapTuple> DescriptionRows(bool shared, Oid objoid, Oid classoid,
                                               int32_t objsubid) {
  std::vector<access::Datum> keys = {access::ObjectIdGetDatum(objoid),
                                     access::ObjectIdGetDatum(classoid)};
  if (!shared && objsubid >= 0) keys.push_back(access::Int32GetDatum(objsubid));
  const CatalogRelation& cat =
      Cat(shared ? catalog_oid::kPgShdescription : catalog_oid::kPgDescription);
  return catalog::CatalogIndexScan(cat, shared ? kShdescriptionIndex : kDescriptionIndex, keys,
                                   transam::GetLatestSnapshot());
}

void LockDescriptionCatalog(bool shared) {
  (void)cache::LockRelationOid(shared ? kInvalidOid : MyDatabaseId(),
                               Oid(shared ? catalog_oid::kPgShdescription
                                          : catalog_oid::kPgDescription),
                               storage::LockMode::kRowExclusive);
}

// Insert, replace or delete the one description row of the key.
void StoreComment(bool shared, Oid objoid, Oid classoid, int32_t objsubid,
                  std::optional<std::string_view> comment) {
  if (comment && comment->empty()) comment.reset();  // '' removes, as PostgreSQL
  LockDescriptionCatalog(shared);
  const CatalogRelation& cat =
      Cat(shared ? catalog_oid::kPgShdescription : catalog_oid::kPgDescription);
  bool replaced = false;
  for (const access::HeapTuple& row : DescriptionRows(shared, objoid, classoid, objsubid)) {
    if (!comment) {
      catalog::CatalogDelete(cat, row.self);
      continue;
    }
    catalog::CatalogRowBuilder b(*cat.def, cat.desc);
    b.From(row).Text("description", *comment);
    (void)catalog::CatalogUpdate(cat, row.self, b);
    replaced = true;
  }
  if (!comment || replaced) return;
  catalog::CatalogRowBuilder b(*cat.def, cat.desc);
  b.Oid("objoid", objoid.value()).Oid("classoid", classoid.value());
  if (!shared) b.Int4("objsubid", objsubid);
  b.Text("description", *comment);
  (void)catalog::CatalogInsert(cat, b);
}

const char* RelkindNotSupportedDetail(char relkind) {
  switch (relkind) {
    case 'r': return "This operation is not supported for tables.";
    case 'i': return "This operation is not supported for indexes.";
    case 'S': return "This operation is not supported for sequences.";
    case 't': return "This operation is not supported for TOAST tables.";
    case 'v': return "This operation is not supported for views.";
    case 'm': return "This operation is not supported for materialized views.";
    case 'c': return "This operation is not supported for composite types.";
    case 'f': return "This operation is not supported for foreign tables.";
    case 'p': return "This operation is not supported for partitioned tables.";
    case 'I': return "This operation is not supported for partitioned indexes.";
    default: return "This operation is not supported for relations of this kind.";
  }
}

// Column comments only on relation kinds pg_dump dumps them for (not on index columns, whose
// names may change across versions).
void CheckColumnCommentAllowed(Oid relid) {
  const CatalogRelation& pg_class = Cat(catalog_oid::kPgClass);
  std::optional<access::HeapTuple> row =
      catalog::CatalogLookupByOid(pg_class, relid, transam::GetLatestSnapshot());
  if (!row) {
    throw Error(sqlstate::kInternalError,
                Format("cache lookup failed for relation %u", relid.value()));
  }
  const char kind = catalog::CatalogGetChar(pg_class, *row, "relkind");
  if (kind == 'r' || kind == 'v' || kind == 'm' || kind == 'c' || kind == 'f' || kind == 'p') {
    return;
  }
  throw Error(sqlstate::kWrongObjectType,
              Format("cannot set comment on relation \"%s\"",
                     catalog::CatalogGetName(pg_class, *row, "relname").c_str()))
      .WithDetail(RelkindNotSupportedDetail(kind));
}

}  // namespace

ObjectAddress CommentObject(const CommentStmt& stmt, catalog::NoticeList* notices) {
  const Oid user = MyRoleId();
  if (user == kInvalidOid) throw Error(sqlstate::kInternalError, "no role is set for this session");
  if (stmt.objtype == catalog::ObjectType::kDatabase && stmt.object.names.size() == 1 &&
      catalog::GetDatabaseOid(stmt.object.names[0], true) == kInvalidOid) {
    // A dump restored under another database name must not fail here (PostgreSQL's rule).
    catalog::EmitNotice(notices, Error(sqlstate::kInvalidCatalogName,
                                       Format("database \"%s\" does not exist",
                                              stmt.object.names[0].c_str()),
                                       Severity::kWarning));
    return ObjectAddress{};
  }
  const catalog::ResolvedObject r = catalog::GetObjectAddress(
      stmt.objtype, stmt.object, storage::LockMode::kShareUpdateExclusive, false);
  catalog::CheckObjectOwnership(user, stmt.objtype, r.address, stmt.object);
  if (stmt.objtype == catalog::ObjectType::kColumn) CheckColumnCommentAllowed(r.relation);
  std::optional<std::string_view> text;
  if (stmt.comment) text = *stmt.comment;
  CommentObject(r.address, text);
  return r.address;
}

void CommentObject(const ObjectAddress& object, std::optional<std::string_view> comment) {
  if (catalog::IsSharedObjectClass(object.classid)) {
    CreateSharedComments(object.objid, object.classid, comment);
  } else {
    CreateComments(object.objid, object.classid, object.objsubid, comment);
  }
}

void CreateComments(Oid objoid, Oid classoid, int32_t objsubid,
                    std::optional<std::string_view> comment) {
  StoreComment(false, objoid, classoid, objsubid, comment);
}

void CreateSharedComments(Oid objoid, Oid classoid, std::optional<std::string_view> comment) {
  StoreComment(true, objoid, classoid, 0, comment);
}

void DeleteComments(Oid objoid, Oid classoid, int32_t objsubid) {
  const std::vector<access::HeapTuple> rows =
      DescriptionRows(false, objoid, classoid, objsubid == 0 ? -1 : objsubid);
  if (rows.empty()) return;
  LockDescriptionCatalog(false);
  for (const access::HeapTuple& row : rows) {
    catalog::CatalogDelete(Cat(catalog_oid::kPgDescription), row.self);
  }
}

void DeleteSharedComments(Oid objoid, Oid classoid) {
  const std::vector<access::HeapTuple> rows = DescriptionRows(true, objoid, classoid, 0);
  if (rows.empty()) return;
  LockDescriptionCatalog(true);
  for (const access::HeapTuple& row : rows) {
    catalog::CatalogDelete(Cat(catalog_oid::kPgShdescription), row.self);
  }
}

std::optional<std::string> GetComment(const ObjectAddress& object) {
  const bool shared = catalog::IsSharedObjectClass(object.classid);
  const std::vector<access::HeapTuple> rows =
      DescriptionRows(shared, object.objid, object.classid, shared ? 0 : object.objsubid);
  if (rows.empty()) return std::nullopt;
  return catalog::CatalogGetText(
      Cat(shared ? catalog_oid::kPgShdescription : catalog_oid::kPgDescription), rows.front(),
      "description");
}

}  // namespace keel::commands
