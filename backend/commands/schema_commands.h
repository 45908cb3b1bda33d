// CREATE SCHEMA, DROP SCHEMA and ALTER SCHEMA ... RENAME TO as internal statement functions
// taking plain structs shaped like their parse trees (the parser of issue 7 will call them).
// README.md ("Schemas").
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "backend/catalog/dependency.h"
#include "backend/catalog/object_address.h"
#include "storage/common/ids.h"

namespace keel::commands {

// CREATE SCHEMA [IF NOT EXISTS] [name] [AUTHORIZATION role]. Schema elements (CREATE TABLE ...
// inside the statement) come with the parser.
struct CreateSchemaStmt {
  std::string schemaname;  // empty: named after the AUTHORIZATION role
  std::string authrole;    // empty: owned by the current user
  bool if_not_exists = false;
};

// DROP SCHEMA [IF EXISTS] name [, ...] [CASCADE | RESTRICT].
struct DropSchemaStmt {
  std::vector<std::string> names;
  catalog::DropBehavior behavior = catalog::DropBehavior::kRestrict;
  bool missing_ok = false;
};

// PostgreSQL's CreateSchemaCommand: inserts the pg_namespace row owned by the AUTHORIZATION
// role (or the current user) with the owner's pg_shdepend row, then CommandCounterIncrement.
// Returns the new schema's oid, kInvalidOid when IF NOT EXISTS found it (NOTICE 42P06
// `schema "%s" already exists, skipping`).
// Requires: an active, non-failed transaction; MyDatabaseId() and MyRoleId() set.
// Throws 42704 `role "%s" does not exist`; 42501 `permission denied for database %s` (not a
// superuser nor the database owner), `must be member of role "%s"` (AUTHORIZATION someone
// else); 42939 `unacceptable schema name "%s"` DETAIL `The prefix "pg_" is reserved for system
// schemas.`; 42P06 `schema "%s" already exists`; 23505 when a concurrent transaction created
// the same name and committed first.
Oid CreateSchema(const CreateSchemaStmt& stmt, catalog::NoticeList* notices);

// PostgreSQL's RemoveObjects for schemas: each schema is locked (AccessExclusiveLock) and its
// ownership checked, then all are dropped together through PerformMultipleDeletions with the
// statement's behavior (CASCADE notices appended to *notices).
// Requires: as CreateSchema.
// Throws 3F000 `schema "%s" does not exist` (without IF EXISTS; with it a NOTICE `schema "%s"
// does not exist, skipping`); 42501 `must be owner of schema %s`; and PerformDeletion's 2BP01
// errors (`cannot drop schema pg_catalog because it is required by the database system`,
// `cannot drop schema s because other objects depend on it` ...).
void DropSchema(const DropSchemaStmt& stmt, catalog::NoticeList* notices);

// ALTER SCHEMA old RENAME TO new (PostgreSQL's RenameSchema). Returns the schema's address.
// Throws 3F000 `schema "%s" does not exist`; 42P06 `schema "%s" already exists`; 42501 `must be
// owner of schema %s`, `permission denied for database %s`; 42939 `unacceptable schema name
// "%s"` for a pg_ name; XX000 `tuple concurrently updated` when another transaction changed
// the row meanwhile (PostgreSQL takes no lock here either).
catalog::ObjectAddress RenameSchema(std::string_view old_name, std::string_view new_name);

}  // namespace keel::commands
