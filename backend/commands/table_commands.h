// CREATE TABLE and DROP TABLE / DROP INDEX as internal statement functions taking plain
// structs shaped like PostgreSQL's parse trees (CreateStmt, ColumnDef, Constraint, TypeName,
// DropStmt); the parser of issue 7 will build them. README.md ("Tables", B1-B9).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "backend/catalog/dependency.h"
#include "backend/catalog/namespace.h"
#include "backend/catalog/object_address.h"
#include "storage/common/ids.h"

namespace keel::commands {

// A type as written: {"int4"}, {"pg_catalog", "varchar"}, or one of the SQL spellings the
// grammar turns into pg_catalog types ("integer", "int", "smallint", "bigint", "real",
// "double precision", "float", "boolean", "decimal", "character varying", "varchar",
// "character", "char", "timestamp with time zone" ...), with typmods and array bounds.
struct TypeName {
  std::vector<std::string> names;
  std::vector<int32_t> typmods;  // varchar(10) -> {10}; numeric(10, 2) -> {10, 2}
  int array_bounds = 0;          // int[] -> 1, int[][] -> 2
};

// PostgreSQL's ConstrType (the kinds CREATE TABLE accepts).
enum class ConstrType : uint8_t {
  kNull,
  kNotNull,
  kDefault,
  kIdentity,   // GENERATED ... AS IDENTITY: refused until sequences exist (0A000)
  kCheck,
  kPrimary,
  kUnique,
  kForeign,
};

// PostgreSQL's Constraint node: a column constraint (keys empty: the column itself) or a table
// constraint.
struct Constraint {
  ConstrType contype = ConstrType::kNotNull;
  std::string conname;                  // CONSTRAINT name; empty: generated (B5)
  bool deferrable = false;
  bool initdeferred = false;
  bool is_no_inherit = false;           // CHECK ... NO INHERIT
  // DEFAULT / CHECK: the expression as SQL text, stored as text (catalog T9).
  std::string raw_expr;
  // CHECK: the columns the expression mentions (the analyzer supplies them): they name the
  // constraint (t_<first>_check) and get its dependencies. Empty for a column constraint:
  // the column itself.
  std::vector<std::string> expr_columns;
  std::vector<std::string> keys;        // PRIMARY KEY / UNIQUE / FOREIGN KEY (table level)
  std::vector<std::string> including;   // PRIMARY KEY / UNIQUE ... INCLUDE (...)
  // FOREIGN KEY / REFERENCES.
  catalog::RangeVar pktable;
  std::vector<std::string> pk_attrs;    // empty: the referenced table's primary key
  char fk_matchtype = 's';              // 's' SIMPLE, 'f' FULL, 'p' PARTIAL
  char fk_upd_action = 'a';             // 'a' NO ACTION, 'r' RESTRICT, 'c' CASCADE, 'n' SET
  char fk_del_action = 'a';             //   NULL, 'd' SET DEFAULT
};

struct ColumnDef {
  std::string colname;
  TypeName type_name;
  std::vector<Constraint> constraints;
};

// CREATE [TEMP | UNLOGGED] TABLE [IF NOT EXISTS] relation (columns, table constraints);
// relation.relpersistence carries TEMP / UNLOGGED.
struct CreateStmt {
  catalog::RangeVar relation;
  std::vector<ColumnDef> columns;
  std::vector<Constraint> constraints;
  bool if_not_exists = false;
  std::string access_method;            // USING; empty: heap
};

// DROP TABLE / DROP INDEX [IF EXISTS] name [, ...] [CASCADE | RESTRICT].
struct DropStmt {
  catalog::ObjectType remove_type = catalog::ObjectType::kTable;  // kTable or kIndex
  std::vector<std::vector<std::string>> objects;                   // dotted names
  catalog::DropBehavior behavior = catalog::DropBehavior::kRestrict;
  bool missing_ok = false;
  bool concurrent = false;              // DROP INDEX CONCURRENTLY: refused (0A000)
};

// PostgreSQL's DefineRelation + transformCreateStmt + the index and foreign-key statements it
// queues (B1-B6): resolves the namespace (RangeVarGetAndCheckCreationNamespace) and the column
// types, creates the table (catalog HeapCreateWithCatalog), its defaults and CHECK
// constraints, the PRIMARY KEY / UNIQUE indexes with their constraints, then the foreign keys
// (validated: B6). Owner: the current role. Returns the new table's oid; kInvalidOid when IF
// NOT EXISTS found the name taken (NOTICE 42P07 `relation "%s" already exists, skipping`).
// Requires: an active, non-failed transaction; MyDatabaseId() and MyRoleId() set.
// Throws (PostgreSQL's texts): 42P07 `relation "%s" already exists`; 3F000 `no schema has been
// selected to create in` / `schema "%s" does not exist`; 42704 `type "%s" does not exist`;
// 42601 `type modifier is not allowed for type "%s"`, `conflicting NULL/NOT NULL declarations
// for column "%s" of table "%s"`, `multiple default values specified for column "%s" of table
// "%s"`; 22023 typmod range errors (`length for type %s must be at least 1` ...); 42701
// `column "%s" specified more than once`, `column "%s" appears twice in primary key
// constraint`; 42703 `column "%s" named in key does not exist`, `column "%s" referenced in
// foreign key constraint does not exist`; 42P16 `multiple primary keys for table "%s" are not
// allowed`, `column "%s" has pseudo-type %s`, FK persistence mismatches; 54011 `tables can
// have at most 1600 columns`; 42710 `constraint "%s" for relation "%s" already exists`; 42809
// `referenced relation "%s" is not a table`; 42830 `there is no unique constraint matching
// given keys for referenced table "%s"`, `there is no primary key for referenced table "%s"`,
// `number of referencing and referenced columns for foreign key disagree`; 42804 `foreign key
// constraint "%s" cannot be implemented` DETAIL `Key columns "%s" and "%s" are of incompatible
// types: %s and %s.`; 0A000 for serial types and identity columns.
Oid CreateTable(const CreateStmt& stmt, catalog::NoticeList* notices);

// PostgreSQL's RemoveRelations for DROP TABLE / DROP INDEX (B7, B8): each name resolved and
// locked (AccessExclusiveLock; an index's table first), kind, ownership and system-catalog
// checks, then one PerformMultipleDeletions.
// Throws 42P01 `table "%s" does not exist` / 42704 `index "%s" does not exist` (IF EXISTS:
// NOTICE `... does not exist, skipping`; a missing schema: `schema "%s" does not exist`);
// 42809 `"%s" is not a table` / `"%s" is not an index` with the HINT naming the right DROP;
// 42501 `must be owner of table %s`, `permission denied: "%s" is a system catalog`; 0A000
// for CONCURRENTLY; PerformDeletion's 2BP01s (`cannot drop index t_pkey because constraint
// t_pkey on table t requires it` HINT `You can drop constraint t_pkey on table t instead.`).
void RemoveRelations(const DropStmt& stmt, catalog::NoticeList* notices);

// Registers what DDL on relations needs in every process that may drop objects: the catalog
// droppers (catalog::RegisterRelationDroppers). Call from postmaster::RegisterBuiltins (before
// the fork) and from test set-up.
void RegisterTableCommands();

}  // namespace keel::commands
