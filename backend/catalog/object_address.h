// Object addresses (PostgreSQL's ObjectAddress: catalog, oid, sub-id): their descriptions as
// PostgreSQL prints them ("table s.t", "column c of table t", "function f(integer)"), the
// resolution of a statement's object name to an address with the lock PostgreSQL takes, and
// the ownership checks of DDL on such objects. README.md ("Object addresses", D-invariants).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "storage/common/ids.h"
#include "storage/lmgr/lock.h"

namespace keel::catalog {

// One database object: the pg_class oid of the catalog holding its row, the row's oid, and for
// a column of a relation its attnum (0: the whole object).
struct ObjectAddress {
  Oid classid{kInvalidOid};
  Oid objid{kInvalidOid};
  int32_t objsubid = 0;

  [[nodiscard]] bool IsValid() const { return objid != kInvalidOid; }
  friend bool operator==(const ObjectAddress&, const ObjectAddress&) = default;
};

[[nodiscard]] inline ObjectAddress MakeObjectAddress(uint32_t classid, Oid objid,
                                                     int32_t objsubid = 0) {
  return ObjectAddress{Oid(classid), objid, objsubid};
}

// Whether objects of catalog `classid` are cluster-wide (rows of a shared catalog: roles,
// databases, tablespaces). Their locks and pg_shdepend rows carry database 0.
[[nodiscard]] bool IsSharedObjectClass(Oid classid);

// PostgreSQL's getObjectDescription: "table t" (schema-qualified when the relation is not
// visible through the search path), "index i", "sequence s", "view v", "materialized view m",
// "composite type c", "foreign table f", "toast table t", "column c of table t", "default
// value for column c of table t", "constraint c on table t", "type integer", "function
// f(integer,text)", "schema s", "role r", "database d", "tablespace t", "collation c",
// "access method a", "operator =(integer,integer)", "operator class c for access method a",
// "operator family f for access method a", "cast from integer to text".
// Requires: an active transaction (catalog reads under a fresh snapshot); MyDatabaseId() set.
// Throws XX000 "cache lookup failed for ..." when the object does not exist, XX000
// "unrecognized object class: %u" for another catalog.
[[nodiscard]] std::string GetObjectDescription(const ObjectAddress& object);
// The same, nullopt when the object (or a row its description needs) does not exist.
[[nodiscard]] std::optional<std::string> GetObjectDescriptionIfExists(const ObjectAddress& object);

// PostgreSQL's quote_identifier: `ident` as is when it is a lower-case identifier
// ([a-z_][a-z0-9_]*) and not a reserved, type/function-name or column-name keyword, else in
// double quotes with embedded quotes doubled.
[[nodiscard]] std::string QuoteIdentifier(std::string_view ident);
// quote_qualified_identifier: "qualifier.ident", each part quoted; an empty qualifier is left
// out.
[[nodiscard]] std::string QuoteQualifiedIdentifier(std::string_view qualifier,
                                                   std::string_view ident);
// PostgreSQL's format_type_be: SQL names for built-in types ("integer", "double precision",
// "character varying", "timestamp with time zone" ...), "elem[]" for arrays, otherwise the
// type name, schema-qualified when not visible and quoted as needed ("\"char\"").
// Throws XX000 "cache lookup failed for type %u".
[[nodiscard]] std::string FormatTypeName(Oid type);
// format_procedure: "name(argtype,argtype)", the name qualified when not visible.
// Throws XX000 "cache lookup failed for function %u".
[[nodiscard]] std::string FormatProcedure(Oid proc);

// The kinds of object a DDL statement names (PostgreSQL's ObjectType, the subset Keel has).
enum class ObjectType : uint8_t {
  kTable,
  kIndex,
  kSequence,
  kView,
  kMaterializedView,
  kForeignTable,
  kColumn,           // names: [schema.]table.column
  kTableConstraint,  // names: [schema.]table.constraint
  kSchema,
  kType,
  kFunction,         // names: [schema.]function; arg_types: the signature
  kRole,
  kDatabase,
  kTablespace,
  kAccessMethod,
};

// How a statement designates an object, as the parser hands it over: the dotted name's parts
// and, for functions, the argument types (resolved to oids by the analyzer).
struct ObjectName {
  std::vector<std::string> names;
  std::vector<Oid> arg_types;
};

struct ResolvedObject {
  ObjectAddress address;  // !IsValid() when missing_ok and there is none
  Oid relation;           // relations, columns, table constraints: the relation (locked)
};

// PostgreSQL's get_object_address: resolves `name` (through the search path when not
// qualified) and locks the object in `lockmode` — relations with a relation lock (which also
// accepts invalidation messages), other objects with an object lock (database 0 for shared
// objects) — then re-resolves and retries if the name now means another object (it was
// dropped or renamed while this backend waited).
// Requires: an active, non-failed transaction; MyDatabaseId() set.
// Throws (unless missing_ok, then returns an invalid address): 42P01 `relation "%s" does not
// exist`; 42809 `"%s" is not a table` (an index / a sequence / a view / a materialized view /
// a foreign table); 42703 `column "%s" of relation "%s" does not exist`; 42704 `constraint
// "%s" for table "%s" does not exist`, `type "%s" does not exist`, `role "%s" does not exist`,
// `tablespace "%s" does not exist`, `access method "%s" does not exist`; 42883 `function %s
// does not exist`; 3F000 `schema "%s" does not exist`; 3D000 `database "%s" does not exist`;
// 42601 `column name must be qualified`, `must specify relation and object name`, `%s name
// cannot be qualified`, `improper qualified name (too many dotted names): %s`, `improper
// relation name (too many dotted names): %s`; 0A000 `cross-database references are not
// implemented: %s` (even with missing_ok); and what the lock manager throws (40P01, 55P03,
// 57014).
[[nodiscard]] ResolvedObject GetObjectAddress(ObjectType type, const ObjectName& name,
                                              storage::LockMode lockmode, bool missing_ok);

// PostgreSQL's check_object_ownership: superusers own everything; relations (and their columns
// and constraints), schemas, types, functions, databases, tablespaces and collations are
// owned by their owner column's role or a member of it; roles are "owned" by roles with
// CREATEROLE (superuser roles only by superusers); access methods only by superusers.
// Requires: `address` came from GetObjectAddress(type, name, ...).
// Throws 42501 `must be owner of table %s` (index / sequence / view / materialized view /
// foreign table / schema / type / function / database / tablespace / collation), `must be
// superuser`, `must have CREATEROLE privilege`.
void CheckObjectOwnership(Oid role, ObjectType type, const ObjectAddress& address,
                          const ObjectName& name);

// Roles, as the checks above need them (PostgreSQL's superuser_arg, is_member_of_role,
// get_role_oid, get_database_oid). Membership follows pg_auth_members transitively; a
// superuser is a member of every role.
[[nodiscard]] bool RoleIsSuperuser(Oid role);
[[nodiscard]] bool IsMemberOfRole(Oid member, Oid role);
// Throws 42501 `must be member of role "%s"`.
void CheckIsMemberOfRole(Oid member, Oid role);
// Throws 42704 `role "%s" does not exist` unless missing_ok (then kInvalidOid).
[[nodiscard]] Oid GetRoleOid(std::string_view name, bool missing_ok);
// Throws 3D000 `database "%s" does not exist` unless missing_ok (then kInvalidOid).
[[nodiscard]] Oid GetDatabaseOid(std::string_view name, bool missing_ok);

}  // namespace keel::catalog
