// CREATE / DROP / ALTER SCHEMA; see schema_commands.h and README.md ("Schemas").
#include "backend/commands/schema_commands.h"

#include "access/transam/xact.h"
#include "backend/catalog/catalog_defs.h"
#include "backend/catalog/catalog_lookup.h"
#include "backend/catalog/namespace.h"
#include "backend/catalog/object_address.h"
#include "backend/utils/error/error.h"
#include "backend/utils/error/format.h"
#include "backend/utils/error/sqlstate.h"
#include "backend/utils/init/session_globals.h"

namespace keel::commands {
namespace {

using catalog::ObjectAddress;

Oid CurrentUser() {
  const Oid role = MyRoleId();
  if (role == kInvalidOid) throw Error(sqlstate::kInternalError, "no role is set for this session");
  return role;
}

// pg_database_aclcheck(MyDatabaseId, role, ACL_CREATE) with the default ACL (datacl is NULL
// until GRANT exists): superusers and members of the owner only.
void CheckCreateOnDatabase(Oid role) {
  const Oid db = MyDatabaseId();
  const catalog::CatalogRelation& pg_database =
      catalog::OpenCatalog(catalog::catalog_oid::kPgDatabase, db);
  std::optional<access::HeapTuple> row =
      catalog::CatalogLookupByOid(pg_database, db, transam::GetLatestSnapshot());
  if (!row) {
    throw Error(sqlstate::kInternalError, Format("cache lookup failed for database %u", db.value()));
  }
  const Oid owner(catalog::CatalogGetOid(pg_database, *row, "datdba"));
  if (catalog::IsMemberOfRole(role, owner)) return;  // superusers are members of every role
  throw Error(sqlstate::kInsufficientPrivilege,
              Format("permission denied for database %s",
                     catalog::CatalogGetName(pg_database, *row, "datname").c_str()));
}

void CheckSchemaName(std::string_view name) {
  if (catalog::IsReservedSchemaName(name)) {
    throw Error(sqlstate::kReservedName,
                Format("unacceptable schema name \"%.*s\"", static_cast<int>(name.size()),
                       name.data()))
        .WithDetail("The prefix \"pg_\" is reserved for system schemas.");
  }
}

}  // namespace

Oid CreateSchema(const CreateSchemaStmt& stmt, catalog::NoticeList* notices) {
  const Oid user = CurrentUser();
  const Oid owner = stmt.authrole.empty() ? user : catalog::GetRoleOid(stmt.authrole, false);
  std::string name = stmt.schemaname;
  if (name.empty()) {
    std::optional<access::HeapTuple> row = catalog::CatalogLookupByOid(
        catalog::OpenCatalog(catalog::catalog_oid::kPgAuthid, MyDatabaseId()), owner,
        transam::GetLatestSnapshot());
    if (!row) {
      throw Error(sqlstate::kInternalError,
                  Format("cache lookup failed for role %u", owner.value()));
    }
    name = catalog::CatalogGetName(
        catalog::OpenCatalog(catalog::catalog_oid::kPgAuthid, MyDatabaseId()), *row, "rolname");
  }
  // Schema-create privilege on the database, and the right to become the owner (no
  // "giveaway" of schemas to roles one is not a member of).
  CheckCreateOnDatabase(user);
  catalog::CheckIsMemberOfRole(user, owner);
  CheckSchemaName(name);
  if (stmt.if_not_exists && catalog::GetNamespaceOid(name, true) != kInvalidOid) {
    catalog::EmitNotice(notices, Error(sqlstate::kDuplicateSchema,
                                       Format("schema \"%s\" already exists, skipping",
                                              name.c_str()),
                                       Severity::kNotice));
    return kInvalidOid;
  }
  const Oid nsp = catalog::NamespaceCreate(name, owner, false);
  transam::CommandCounterIncrement();  // the schema is visible to what follows
  return nsp;
}

void DropSchema(const DropSchemaStmt& stmt, catalog::NoticeList* notices) {
  const Oid user = CurrentUser();
  std::vector<ObjectAddress> objects;
  for (const std::string& name : stmt.names) {
    const catalog::ObjectName object{{name}, {}};
    const catalog::ResolvedObject r = catalog::GetObjectAddress(
        catalog::ObjectType::kSchema, object, storage::LockMode::kAccessExclusive,
        stmt.missing_ok);
    if (!r.address.IsValid()) {
      catalog::EmitNotice(notices, Error(sqlstate::kSuccessfulCompletion,
                                         Format("schema \"%s\" does not exist, skipping",
                                                name.c_str()),
                                         Severity::kNotice));
      continue;
    }
    catalog::CheckObjectOwnership(user, catalog::ObjectType::kSchema, r.address, object);
    // Kept twice when named twice, as PostgreSQL does: `DROP SCHEMA s, s` is a drop of
    // several objects (its RESTRICT error names no single one).
    objects.push_back(r.address);
  }
  if (objects.empty()) return;
  catalog::PerformMultipleDeletions(objects, stmt.behavior, 0, notices);
}

ObjectAddress RenameSchema(std::string_view old_name, std::string_view new_name) {
  const Oid user = CurrentUser();
  const Oid nsp = catalog::GetNamespaceOid(old_name, false);
  if (catalog::GetNamespaceOid(new_name, true) != kInvalidOid) {
    throw Error(sqlstate::kDuplicateSchema,
                Format("schema \"%.*s\" already exists", static_cast<int>(new_name.size()),
                       new_name.data()));
  }
  const ObjectAddress address = catalog::MakeObjectAddress(catalog::catalog_oid::kPgNamespace, nsp);
  catalog::CheckObjectOwnership(user, catalog::ObjectType::kSchema, address,
                                catalog::ObjectName{{std::string(old_name)}, {}});
  CheckCreateOnDatabase(user);
  CheckSchemaName(new_name);
  catalog::RenameNamespaceRow(nsp, new_name);
  transam::CommandCounterIncrement();
  return address;
}

}  // namespace keel::commands
