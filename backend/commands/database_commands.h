// CREATE DATABASE, DROP DATABASE, ALTER DATABASE (options, RENAME TO, OWNER TO) as internal
// statement functions taking plain structs shaped like PostgreSQL's parse trees (the parser of
// issue 7 fills them). README.md ("Databases", B1-B9).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "backend/catalog/dependency.h"
#include "backend/catalog/object_address.h"
#include "storage/common/ids.h"

namespace keel::commands {

// One item of a CREATE / ALTER DATABASE option list (PostgreSQL's DefElem): `defname` lower
// case, as the grammar makes it ("owner", "template", "encoding", "locale", "lc_collate",
// "lc_ctype", "locale_provider", "icu_locale", "collation_version", "tablespace",
// "connection_limit", "is_template", "allow_connections", "strategy", "oid", "location");
// the argument an integer (NumericOnly), a string (identifiers, quoted strings and TRUE /
// FALSE / ON as "true" / "false" / "on"), or none (`= DEFAULT`: the option's default).
struct DatabaseOption {
  enum class ArgType : uint8_t { kNone, kInteger, kString };

  std::string defname;
  ArgType arg_type = ArgType::kNone;
  int64_t ival = 0;   // kInteger
  std::string sval;   // kString
  int location = -1;  // byte offset of the option in the statement text; -1 unknown

  [[nodiscard]] static DatabaseOption Int(std::string name, int64_t value, int location = -1) {
    return {std::move(name), ArgType::kInteger, value, {}, location};
  }
  [[nodiscard]] static DatabaseOption String(std::string name, std::string value,
                                             int location = -1) {
    return {std::move(name), ArgType::kString, 0, std::move(value), location};
  }
  [[nodiscard]] static DatabaseOption Default(std::string name, int location = -1) {
    return {std::move(name), ArgType::kNone, 0, {}, location};
  }
};

// CREATE DATABASE name [WITH] [option [=] value ...] (PostgreSQL's CreatedbStmt).
struct CreatedbStmt {
  std::string dbname;
  std::vector<DatabaseOption> options;
};

// DROP DATABASE [IF EXISTS] name [[WITH] (FORCE)] (PostgreSQL's DropdbStmt; its option list
// can only hold FORCE).
struct DropdbStmt {
  std::string dbname;
  bool missing_ok = false;
  bool force = false;
};

// ALTER DATABASE name [WITH] option ... (PostgreSQL's AlterDatabaseStmt): "connection_limit",
// "allow_connections", "is_template" ("tablespace", i.e. SET TABLESPACE, is refused: one
// tablespace exists).
struct AlterDatabaseStmt {
  std::string dbname;
  std::vector<DatabaseOption> options;
};

// PostgreSQL's createdb (FILE_COPY): checks the options and permissions (B1), locks the
// template with ShareLock, refuses while other sessions use it, picks a new oid whose
// base/<oid> does not exist (B2), copies the template's directory
// (storage::CreateDatabaseDirectory: checkpoint, copy, WAL record, checkpoint), inserts the
// pg_database row — datistemplate false, datallowconn true, datconnlimit -1, datacl NULL
// unless given; encoding, locale, locale provider, tablespace and collation version from the
// template unless given — records the owner in pg_shdepend, copies the template's pg_shdepend
// rows for objects inside it, then CommandCounterIncrement. Returns the new database's oid.
// STRATEGY: file_copy, and wal_log is accepted and done as a file copy too (B1).
// Requires: an active, non-failed transaction; MyDatabaseId() and MyRoleId() set; the SQL
// layer has called PreventInTransactionBlock(is_top_level, "CREATE DATABASE") (B9).
// Throws 42601 `option "%s" not recognized`, `conflicting or redundant options` (DETAIL
// `LOCALE cannot be specified together with LC_COLLATE or LC_CTYPE.` for that pair), `%s
// requires an integer value`, `%s requires a Boolean value`, `%s requires a parameter`;
// 42704 `%s is not a valid encoding name`, `%d is not a valid encoding code`, `role "%s" does
// not exist`, `tablespace "%s" does not exist`; 0A000 `encoding "%s" is not supported` (a
// PostgreSQL server encoding other than UTF8 / SQL_ASCII), `locale "%s" is not supported`
// (a valid system locale other than C / POSIX), `ICU is not supported in this build`,
// `tablespace "%s" is not supported` (anything but pg_default); 42809 `invalid locale name:
// "%s"`; 42P17 `unrecognized locale provider: %s`, `ICU locale cannot be specified unless
// locale provider is ICU`; 22023 `invalid connection limit: %d`, `invalid create database
// strategy "%s"` (HINT), `new encoding (%s) is incompatible with the encoding of the template
// database (%s)` / collation / LC_CTYPE (HINT; not for template0), `pg_global cannot be used
// as default tablespace`, `OIDs less than 16384 are reserved for system objects`, `database
// OID %u is already in use by database "%s"`, `data directory with the specified OID %u
// already exists`; 42501 `permission denied to create database` (neither superuser nor
// CREATEDB), `must be member of role "%s"` (OWNER someone else), `permission denied to copy
// database "%s"` (a non-template one does not own); 3D000 `template database "%s" does not
// exist`; 42P04 `database "%s" already exists` (23505 when a concurrent CREATE committed the
// name first); 55006 `source database "%s" is being accessed by other users` with DETAIL
// `There is 1 other session using the database.` (B4); what the copy throws. WARNING
// `LOCATION is not supported anymore` (HINT) goes to *notices.
Oid CreateDatabase(const CreatedbStmt& stmt, catalog::NoticeList* notices);

// PostgreSQL's dropdb: locks the database (AccessExclusiveLock), checks, with FORCE signals
// its sessions as pg_terminate_backend does (SIGTERM), waits up to 5 s for its sessions to
// end (B4), then deletes the pg_database row, its pg_shdescription comment and every
// pg_shdepend row of it and of objects in it, and schedules base/<oid> for removal at commit
// (storage::DropDatabaseDirectory); CommandCounterIncrement.
// Requires: as CreateDatabase ("DROP DATABASE").
// Throws 3D000 `database "%s" does not exist` (with IF EXISTS: NOTICE `database "%s" does not
// exist, skipping`, 00000); 42501 `must be owner of database %s`; 42809 `cannot drop a
// template database`; 55006 `cannot drop the currently open database`, `database "%s" is being
// accessed by other users` (DETAIL as above), with FORCE `database "%s" is being used by
// prepared transactions` (DETAIL); 42501 with FORCE `must be a superuser to terminate
// superuser process`, `must be a member of the role whose process is being terminated or
// member of pg_signal_backend`.
void DropDatabase(const DropdbStmt& stmt, catalog::NoticeList* notices);

// PostgreSQL's AlterDatabase: updates datconnlimit / datallowconn / datistemplate of the
// row. Returns the database's oid. Requires: as CreateDatabase (no transaction-block rule).
// Throws 42601 as CreateDatabase; 0A000 for "tablespace"; 22023 `invalid connection limit:
// %d`; 3D000 `database "%s" does not exist`; 42501 `must be owner of database %s`; 55000
// `cannot disallow connections for current database`; XX000 `tuple concurrently updated`.
Oid AlterDatabase(const AlterDatabaseStmt& stmt);

// ALTER DATABASE old RENAME TO new (PostgreSQL's RenameDatabase), under AccessExclusiveLock.
// Throws 3D000 `database "%s" does not exist`; 42501 `must be owner of database %s`,
// `permission denied to rename database` (no CREATEDB); 42P04 `database "%s" already exists`;
// 0A000 `current database cannot be renamed`; 55006 `database "%s" is being accessed by other
// users` (DETAIL).
catalog::ObjectAddress RenameDatabase(std::string_view old_name, std::string_view new_name);

// ALTER DATABASE name OWNER TO role (PostgreSQL's AlterDatabaseOwner): a no-op when `role`
// owns it already; else datdba and the pg_shdepend owner row change.
// Throws 3D000; 42704 `role "%s" does not exist`; 42501 `must be owner of database %s`, `must
// be member of role "%s"`, `permission denied to change owner of database` (no CREATEDB).
catalog::ObjectAddress AlterDatabaseOwner(std::string_view dbname, std::string_view new_owner);

#ifdef KEEL_DEBUG
// Test-only: how long CREATE / DROP / RENAME wait for other sessions of a database to end
// before reporting 55006 (PostgreSQL: 50 tries 100 ms apart). <= 0 restores the default.
void TestOnlySetBusyDatabaseWaitMs(int wait_ms);
#endif

}  // namespace keel::commands
