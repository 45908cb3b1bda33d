// Resolving statement names to object addresses with PostgreSQL's locks, ownership checks, role
// helpers, and the catalog-read helpers of object_address_internal.h. Descriptions and name
// formatting are in object_description.cpp. See object_address.h and README.md.
#include "backend/catalog/object_address.h"

#include <algorithm>
#include <deque>
#include <set>

#include "access/table/tableam.h"
#include "access/transam/xact.h"
#include "backend/catalog/catalog_defs.h"
#include "backend/catalog/catalog_lookup.h"
#include "backend/catalog/catalog_values.h"
#include "backend/catalog/namespace.h"
#include "backend/catalog/object_address_internal.h"
#include "backend/utils/cache/inval.h"
#include "backend/utils/error/error.h"
#include "backend/utils/error/format.h"
#include "backend/utils/error/sqlstate.h"
#include "backend/utils/init/session_globals.h"

namespace keel::catalog {

// --- internal helpers ----------------------------------------------------------------------------
namespace internal {

Oid CurrentDatabase() {
  const Oid db = MyDatabaseId();
  if (db == kInvalidOid) throw Error(sqlstate::kInternalError, "no database is selected");
  return db;
}

const CatalogRelation& Cat(uint32_t catalog) { return OpenCatalog(catalog, CurrentDatabase()); }

std::optional<access::HeapTuple> RowByOid(uint32_t catalog, Oid oid) {
  return CatalogLookupByOid(Cat(catalog), oid, transam::GetLatestSnapshot());
}

std::vector<access::HeapTuple> RowsByKey(uint32_t catalog, uint32_t index_oid,
                                         std::span<const access::Datum> keys) {
  return CatalogIndexScan(Cat(catalog), index_oid, keys, transam::GetLatestSnapshot());
}

NameKey::NameKey(std::string_view name) : bytes_(MakeName(name)) {}

Oid OidByName(uint32_t catalog, uint32_t index_oid, std::string_view name) {
  const NameKey key(name);
  const access::Datum d = key.datum();
  const std::vector<access::HeapTuple> rows = RowsByKey(catalog, index_oid, {&d, 1});
  if (rows.empty()) return kInvalidOid;
  return Oid(CatalogGetOid(Cat(catalog), rows.front(), "oid"));
}

std::optional<std::string> NameByOid(uint32_t catalog, Oid oid, std::string_view column) {
  std::optional<access::HeapTuple> row = RowByOid(catalog, oid);
  if (!row) return std::nullopt;
  return CatalogGetName(Cat(catalog), *row, column);
}

void LockCatalog(uint32_t catalog, storage::LockMode mode) {
  const CatalogDef& def = GetCatalog(Oid(catalog));
  (void)cache::LockRelationOid(def.shared ? kInvalidOid : CurrentDatabase(), Oid(catalog), mode);
}

uint32_t ObjectLockDatabase(Oid classid) {
  return IsSharedObjectClass(classid) ? 0 : CurrentDatabase().value();
}

bool RowStillLive(const CatalogRelation& cat, const access::HeapTuple& row) {
  std::unique_ptr<access::IndexFetch> fetch = access::TableAmOf(cat.rel).BeginIndexFetch(cat.rel);
  access::HeapTuple now;
  return fetch->Fetch(transam::GetLatestSnapshot(), row.self, &now) && now.self == row.self;
}

}  // namespace internal

using internal::Cat;
using internal::NameKey;
using internal::RowByOid;
using internal::RowsByKey;

namespace {

// Index oids (catalog_defs.cpp).
constexpr uint32_t kAuthidNameIndex = 2676;
constexpr uint32_t kAuthMembersMemberRoleIndex = 2695;
constexpr uint32_t kDatabaseNameIndex = 2671;
constexpr uint32_t kTablespaceNameIndex = 2698;
constexpr uint32_t kAmNameIndex = 2651;
constexpr uint32_t kTypeNameNspIndex = 2704;
constexpr uint32_t kAttributeRelidNameIndex = 2658;
constexpr uint32_t kProcNameArgsNspIndex = 2691;
constexpr uint32_t kConstraintRelidTypidNameIndex = 2665;

std::string NameListToString(std::span<const std::string> names) {
  std::string s;
  for (const std::string& n : names) {
    if (!s.empty()) s += '.';
    s += n;
  }
  return s;
}

[[noreturn]] void ThrowImproperName(std::span<const std::string> names) {
  throw Error(sqlstate::kSyntaxError,
              Format("improper qualified name (too many dotted names): %s",
                     NameListToString(names).c_str()));
}

// A qualified name's schema (possibly empty) and object name, checking the catalog part.
struct QualifiedName {
  std::string schema;
  std::string name;
};
QualifiedName SplitQualifiedName(std::span<const std::string> names) {
  switch (names.size()) {
    case 1: return {"", names[0]};
    case 2: return {names[0], names[1]};
    case 3: {
      const std::optional<std::string> db =
          internal::NameByOid(catalog_oid::kPgDatabase, internal::CurrentDatabase(), "datname");
      if (!db || *db != names[0]) {
        throw Error(sqlstate::kFeatureNotSupported,
                    Format("cross-database references are not implemented: %s",
                           NameListToString(names).c_str()));
      }
      return {names[1], names[2]};
    }
    default: ThrowImproperName(names);
  }
}

void RequireSingleName(const ObjectName& name, const char* what) {
  if (name.names.size() != 1) {
    throw Error(sqlstate::kSyntaxError, Format("%s name cannot be qualified", what));
  }
}

char RelKind(Oid relid) {
  std::optional<access::HeapTuple> row = RowByOid(catalog_oid::kPgClass, relid);
  if (!row) {
    throw Error(sqlstate::kInternalError,
                Format("cache lookup failed for relation %u", relid.value()));
  }
  return CatalogGetChar(Cat(catalog_oid::kPgClass), *row, "relkind");
}

std::string RelName(Oid relid) {
  return internal::NameByOid(catalog_oid::kPgClass, relid, "relname").value_or("");
}

// The relation a relation-kind object names, locked; relkind checked (get_relation_by_
// qualified_name).
Oid ResolveRelation(ObjectType type, std::span<const std::string> names,
                    storage::LockMode lockmode, bool missing_ok) {
  const RangeVar rv = RangeVarFromNameList(names);
  const Oid relid = RangeVarGetRelid(rv, lockmode, missing_ok);
  if (relid == kInvalidOid) return relid;
  const char kind = RelKind(relid);
  const char* expected = nullptr;
  switch (type) {
    case ObjectType::kIndex:
      if (kind != 'i' && kind != 'I') expected = "an index";
      break;
    case ObjectType::kSequence:
      if (kind != 'S') expected = "a sequence";
      break;
    case ObjectType::kTable:
      if (kind != 'r' && kind != 'p') expected = "a table";
      break;
    case ObjectType::kView:
      if (kind != 'v') expected = "a view";
      break;
    case ObjectType::kMaterializedView:
      if (kind != 'm') expected = "a materialized view";
      break;
    case ObjectType::kForeignTable:
      if (kind != 'f') expected = "a foreign table";
      break;
    default: break;
  }
  if (expected != nullptr) {
    throw Error(sqlstate::kWrongObjectType,
                Format("\"%s\" is not %s", rv.relname.c_str(), expected));
  }
  return relid;
}

// get_attnum: a live column of `relid` named `attname`, or 0.
int16_t AttributeNumber(Oid relid, std::string_view attname) {
  const NameKey key(attname);
  const access::Datum keys[] = {access::ObjectIdGetDatum(relid), key.datum()};
  const std::vector<access::HeapTuple> rows =
      RowsByKey(catalog_oid::kPgAttribute, kAttributeRelidNameIndex, keys);
  if (rows.empty()) return 0;
  const CatalogRelation& att = Cat(catalog_oid::kPgAttribute);
  if (CatalogGetBool(att, rows.front(), "attisdropped")) return 0;
  return static_cast<int16_t>(CatalogGetInt(att, rows.front(), "attnum"));
}

Oid ConstraintOid(Oid relid, std::string_view conname) {
  const NameKey key(conname);
  const access::Datum keys[] = {access::ObjectIdGetDatum(relid),
                                access::ObjectIdGetDatum(kInvalidOid), key.datum()};
  const std::vector<access::HeapTuple> rows =
      RowsByKey(catalog_oid::kPgConstraint, kConstraintRelidTypidNameIndex, keys);
  if (rows.empty()) return kInvalidOid;
  return Oid(CatalogGetOid(Cat(catalog_oid::kPgConstraint), rows.front(), "oid"));
}

Oid TypeOidByName(std::span<const std::string> names, bool missing_ok) {
  const QualifiedName qn = SplitQualifiedName(names);
  Oid typid = kInvalidOid;
  if (!qn.schema.empty()) {
    const Oid nsp = LookupExplicitNamespace(qn.schema, missing_ok);
    if (nsp != kInvalidOid) {
      const NameKey key(qn.name);
      const access::Datum keys[] = {key.datum(), access::ObjectIdGetDatum(nsp)};
      const std::vector<access::HeapTuple> rows =
          RowsByKey(catalog_oid::kPgType, kTypeNameNspIndex, keys);
      if (!rows.empty()) typid = Oid(CatalogGetOid(Cat(catalog_oid::kPgType), rows[0], "oid"));
    }
  } else {
    typid = TypenameGetTypid(qn.name);
  }
  if (typid == kInvalidOid && !missing_ok) {
    throw Error(sqlstate::kUndefinedObject,
                Format("type \"%s\" does not exist", NameListToString(names).c_str()));
  }
  return typid;
}

// The function `name` in `nsp` with exactly `args`, or kInvalidOid.
Oid FunctionInNamespace(std::string_view name, std::span<const Oid> args, Oid nsp) {
  std::vector<uint32_t> arg_oids;
  for (Oid a : args) arg_oids.push_back(a.value());
  const std::vector<std::byte> argvec = MakeOidArray(arg_oids, /*vector_type=*/true);
  const NameKey key(name);
  const access::Datum keys[] = {key.datum(), access::PointerGetDatum(argvec.data()),
                                access::ObjectIdGetDatum(nsp)};
  const std::vector<access::HeapTuple> rows =
      RowsByKey(catalog_oid::kPgProc, kProcNameArgsNspIndex, keys);
  if (rows.empty()) return kInvalidOid;
  return Oid(CatalogGetOid(Cat(catalog_oid::kPgProc), rows.front(), "oid"));
}

Oid FunctionOidByName(const ObjectName& name, bool missing_ok) {
  const QualifiedName qn = SplitQualifiedName(name.names);
  Oid procid = kInvalidOid;
  if (!qn.schema.empty()) {
    const Oid nsp = LookupExplicitNamespace(qn.schema, missing_ok);
    if (nsp != kInvalidOid) procid = FunctionInNamespace(qn.name, name.arg_types, nsp);
  } else {
    for (Oid nsp : NamespaceSearchPath()) {
      if (IsTempNamespace(nsp)) continue;  // functions are never looked up in pg_temp
      procid = FunctionInNamespace(qn.name, name.arg_types, nsp);
      if (procid != kInvalidOid) break;
    }
  }
  if (procid == kInvalidOid && !missing_ok) {
    std::string sig = NameListToString(name.names) + "(";
    for (size_t i = 0; i < name.arg_types.size(); ++i) {
      if (i > 0) sig += ", ";
      sig += FormatTypeName(name.arg_types[i]);
    }
    sig += ")";
    throw Error(sqlstate::kUndefinedFunction, Format("function %s does not exist", sig.c_str()));
  }
  return procid;
}

Oid SimpleOid(uint32_t catalog, uint32_t index, const std::string& name, SqlState state,
              const char* what, bool missing_ok) {
  const Oid oid = internal::OidByName(catalog, index, name);
  if (oid == kInvalidOid && !missing_ok) {
    throw Error(state, Format("%s \"%s\" does not exist", what, name.c_str()));
  }
  return oid;
}

// One resolution without locking non-relation objects (relations are locked by
// RangeVarGetRelid).
ResolvedObject ResolveOnce(ObjectType type, const ObjectName& name, storage::LockMode lockmode,
                           bool missing_ok) {
  ResolvedObject r{};
  switch (type) {
    case ObjectType::kTable:
    case ObjectType::kIndex:
    case ObjectType::kSequence:
    case ObjectType::kView:
    case ObjectType::kMaterializedView:
    case ObjectType::kForeignTable: {
      r.relation = ResolveRelation(type, name.names, lockmode, missing_ok);
      if (r.relation != kInvalidOid) {
        r.address = MakeObjectAddress(catalog_oid::kPgClass, r.relation);
      }
      return r;
    }
    case ObjectType::kColumn:
    case ObjectType::kTableConstraint: {
      if (name.names.size() < 2) {
        throw Error(sqlstate::kSyntaxError, type == ObjectType::kColumn
                                                ? "column name must be qualified"
                                                : "must specify relation and object name");
      }
      const std::span<const std::string> relnames(name.names.data(), name.names.size() - 1);
      const std::string& last = name.names.back();
      r.relation = RangeVarGetRelid(RangeVarFromNameList(relnames), lockmode, missing_ok);
      if (r.relation == kInvalidOid) return r;
      if (type == ObjectType::kColumn) {
        const int16_t attnum = AttributeNumber(r.relation, last);
        if (attnum == 0) {
          if (missing_ok) return r;
          throw Error(sqlstate::kUndefinedColumn,
                      Format("column \"%s\" of relation \"%s\" does not exist", last.c_str(),
                             NameListToString(relnames).c_str()));
        }
        r.address = MakeObjectAddress(catalog_oid::kPgClass, r.relation, attnum);
      } else {
        const Oid con = ConstraintOid(r.relation, last);
        if (con == kInvalidOid) {
          if (missing_ok) return r;
          throw Error(sqlstate::kUndefinedObject,
                      Format("constraint \"%s\" for table \"%s\" does not exist", last.c_str(),
                             RelName(r.relation).c_str()));
        }
        r.address = MakeObjectAddress(catalog_oid::kPgConstraint, con);
      }
      return r;
    }
    case ObjectType::kSchema: {
      RequireSingleName(name, "schema");
      const Oid nsp = GetNamespaceOid(name.names[0], missing_ok);
      if (nsp != kInvalidOid) r.address = MakeObjectAddress(catalog_oid::kPgNamespace, nsp);
      return r;
    }
    case ObjectType::kType: {
      const Oid typid = TypeOidByName(name.names, missing_ok);
      if (typid != kInvalidOid) r.address = MakeObjectAddress(catalog_oid::kPgType, typid);
      return r;
    }
    case ObjectType::kFunction: {
      const Oid procid = FunctionOidByName(name, missing_ok);
      if (procid != kInvalidOid) r.address = MakeObjectAddress(catalog_oid::kPgProc, procid);
      return r;
    }
    case ObjectType::kRole: {
      RequireSingleName(name, "role");
      const Oid role = GetRoleOid(name.names[0], missing_ok);
      if (role != kInvalidOid) r.address = MakeObjectAddress(catalog_oid::kPgAuthid, role);
      return r;
    }
    case ObjectType::kDatabase: {
      RequireSingleName(name, "database");
      const Oid db = GetDatabaseOid(name.names[0], missing_ok);
      if (db != kInvalidOid) r.address = MakeObjectAddress(catalog_oid::kPgDatabase, db);
      return r;
    }
    case ObjectType::kTablespace: {
      RequireSingleName(name, "tablespace");
      const Oid spc = SimpleOid(catalog_oid::kPgTablespace, kTablespaceNameIndex, name.names[0],
                                sqlstate::kUndefinedObject, "tablespace", missing_ok);
      if (spc != kInvalidOid) r.address = MakeObjectAddress(catalog_oid::kPgTablespace, spc);
      return r;
    }
    case ObjectType::kAccessMethod: {
      RequireSingleName(name, "access method");
      const Oid am = SimpleOid(catalog_oid::kPgAm, kAmNameIndex, name.names[0],
                               sqlstate::kUndefinedObject, "access method", missing_ok);
      if (am != kInvalidOid) r.address = MakeObjectAddress(catalog_oid::kPgAm, am);
      return r;
    }
  }
  throw Error(sqlstate::kInternalError,
              Format("unrecognized object type: %d", static_cast<int>(type)));
}

storage::LockTag ObjectTag(const ObjectAddress& a) {
  return storage::ObjectLockTag(internal::ObjectLockDatabase(a.classid), a.classid.value(),
                                a.objid.value(), 0);
}

std::string RoleName(Oid role) {
  return internal::NameByOid(catalog_oid::kPgAuthid, role, "rolname").value_or("");
}

// The owner column of the object's row, or kInvalidOid when the row is gone.
Oid OwnerOf(uint32_t catalog, Oid objid, std::string_view column) {
  std::optional<access::HeapTuple> row = RowByOid(catalog, objid);
  if (!row) return kInvalidOid;
  return Oid(CatalogGetOid(Cat(catalog), *row, column));
}

const char* RelkindObjectWord(char relkind) {
  switch (relkind) {
    case 'i': case 'I': return "index";
    case 'S': return "sequence";
    case 'v': return "view";
    case 'm': return "materialized view";
    case 'f': return "foreign table";
    case 'c': return "type";
    default: return "table";
  }
}

[[noreturn]] void ThrowNotOwner(const char* what, const std::string& name) {
  throw Error(sqlstate::kInsufficientPrivilege,
              Format("must be owner of %s %s", what, name.c_str()));
}

}  // namespace

// --- GetObjectAddress ----------------------------------------------------------------------------

ResolvedObject GetObjectAddress(ObjectType type, const ObjectName& name,
                                storage::LockMode lockmode, bool missing_ok) {
  ObjectAddress locked{};  // the non-relation object locked by the previous round
  for (;;) {
    ResolvedObject r = ResolveOnce(type, name, lockmode, missing_ok);
    if (!r.address.IsValid()) {
      if (locked.IsValid()) (void)storage::LockRelease(ObjectTag(locked), lockmode);
      return r;
    }
    // Relations (and their columns) were locked by RangeVarGetRelid, which re-resolves itself.
    if (r.address.classid == Oid(catalog_oid::kPgClass) || lockmode == storage::LockMode::kNoLock) {
      return r;
    }
    if (locked.IsValid()) {
      if (locked == r.address) return r;  // the same object after the wait: done
      (void)storage::LockRelease(ObjectTag(locked), lockmode);
    }
    (void)storage::LockAcquire(ObjectTag(r.address), lockmode);
    // Whoever held a conflicting lock may have dropped or renamed it meanwhile: catch up with
    // their invalidations and resolve again (the loop ends when two rounds agree).
    (void)cache::AcceptInvalidationMessages();
    locked = r.address;
  }
}

// --- ownership -----------------------------------------------------------------------------------

void CheckObjectOwnership(Oid role, ObjectType type, const ObjectAddress& address,
                          const ObjectName& name) {
  if (RoleIsSuperuser(role)) return;
  const auto owned_by = [&](Oid owner) {
    return owner != kInvalidOid && IsMemberOfRole(role, owner);
  };
  switch (type) {
    case ObjectType::kTable:
    case ObjectType::kIndex:
    case ObjectType::kSequence:
    case ObjectType::kView:
    case ObjectType::kMaterializedView:
    case ObjectType::kForeignTable:
    case ObjectType::kColumn:
    case ObjectType::kTableConstraint: {
      Oid relid = address.objid;
      if (type == ObjectType::kTableConstraint) {
        std::optional<access::HeapTuple> con = RowByOid(catalog_oid::kPgConstraint, address.objid);
        relid = con ? Oid(CatalogGetOid(Cat(catalog_oid::kPgConstraint), *con, "conrelid"))
                    : kInvalidOid;
      }
      if (!owned_by(OwnerOf(catalog_oid::kPgClass, relid, "relowner"))) {
        ThrowNotOwner(RelkindObjectWord(RelKind(relid)), RelName(relid));
      }
      return;
    }
    case ObjectType::kSchema:
      if (!owned_by(OwnerOf(catalog_oid::kPgNamespace, address.objid, "nspowner"))) {
        ThrowNotOwner("schema", name.names.empty() ? "" : name.names[0]);
      }
      return;
    case ObjectType::kType:
      if (!owned_by(OwnerOf(catalog_oid::kPgType, address.objid, "typowner"))) {
        ThrowNotOwner("type", FormatTypeName(address.objid));
      }
      return;
    case ObjectType::kFunction:
      if (!owned_by(OwnerOf(catalog_oid::kPgProc, address.objid, "proowner"))) {
        ThrowNotOwner("function", NameListToString(name.names));
      }
      return;
    case ObjectType::kDatabase:
      if (!owned_by(OwnerOf(catalog_oid::kPgDatabase, address.objid, "datdba"))) {
        ThrowNotOwner("database", name.names.empty() ? "" : name.names[0]);
      }
      return;
    case ObjectType::kTablespace:
      if (!owned_by(OwnerOf(catalog_oid::kPgTablespace, address.objid, "spcowner"))) {
        ThrowNotOwner("tablespace", name.names.empty() ? "" : name.names[0]);
      }
      return;
    case ObjectType::kRole: {
      // Roles are "owned" by CREATEROLE roles; superuser roles only by superusers.
      if (RoleIsSuperuser(address.objid)) {
        throw Error(sqlstate::kInsufficientPrivilege, "must be superuser");
      }
      std::optional<access::HeapTuple> me = RowByOid(catalog_oid::kPgAuthid, role);
      if (!me || !CatalogGetBool(Cat(catalog_oid::kPgAuthid), *me, "rolcreaterole")) {
        throw Error(sqlstate::kInsufficientPrivilege, "must have CREATEROLE privilege");
      }
      return;
    }
    case ObjectType::kAccessMethod:
      throw Error(sqlstate::kInsufficientPrivilege, "must be superuser");
  }
}

// --- roles ---------------------------------------------------------------------------------------

bool RoleIsSuperuser(Oid role) {
  if (role == kInvalidOid) return false;
  std::optional<access::HeapTuple> row = RowByOid(catalog_oid::kPgAuthid, role);
  return row && CatalogGetBool(Cat(catalog_oid::kPgAuthid), *row, "rolsuper");
}

bool IsMemberOfRole(Oid member, Oid role) {
  if (member == role) return true;
  if (RoleIsSuperuser(member)) return true;
  // Breadth-first over pg_auth_members (member -> roleid), each role once.
  std::set<uint32_t> seen{member.value()};
  std::deque<Oid> queue{member};
  const CatalogRelation& am = Cat(catalog_oid::kPgAuthMembers);
  while (!queue.empty()) {
    const Oid m = queue.front();
    queue.pop_front();
    const access::Datum key = access::ObjectIdGetDatum(m);
    for (const access::HeapTuple& row :
         RowsByKey(catalog_oid::kPgAuthMembers, kAuthMembersMemberRoleIndex, {&key, 1})) {
      const Oid granted(CatalogGetOid(am, row, "roleid"));
      if (granted == role) return true;
      if (seen.insert(granted.value()).second) queue.push_back(granted);
    }
  }
  return false;
}

void CheckIsMemberOfRole(Oid member, Oid role) {
  if (!IsMemberOfRole(member, role)) {
    throw Error(sqlstate::kInsufficientPrivilege,
                Format("must be member of role \"%s\"", RoleName(role).c_str()));
  }
}

Oid GetRoleOid(std::string_view name, bool missing_ok) {
  const Oid role = internal::OidByName(catalog_oid::kPgAuthid, kAuthidNameIndex, name);
  if (role == kInvalidOid && !missing_ok) {
    throw Error(sqlstate::kUndefinedObject,
                Format("role \"%.*s\" does not exist", static_cast<int>(name.size()), name.data()));
  }
  return role;
}

Oid GetDatabaseOid(std::string_view name, bool missing_ok) {
  const Oid db = internal::OidByName(catalog_oid::kPgDatabase, kDatabaseNameIndex, name);
  if (db == kInvalidOid && !missing_ok) {
    throw Error(sqlstate::kInvalidCatalogName,
                Format("database \"%.*s\" does not exist", static_cast<int>(name.size()),
                       name.data()));
  }
  return db;
}

bool IsSharedObjectClass(Oid classid) {
  const CatalogDef* def = FindCatalog(classid);
  return def != nullptr && def->shared;
}

}  // namespace keel::catalog
