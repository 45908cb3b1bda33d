// Role DDL: CREATE ROLE / USER, ALTER ROLE, DROP ROLE as an internal API taking structs shaped
// like PostgreSQL's parse trees (the SQL parser of issue 7 fills them), plus the pg_authid
// lookup the login path and the DDL share. Rules and errors: backend/commands/README.md (R1-R9).
#pragma once

#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "backend/utils/error/error.h"
#include "storage/common/ids.h"

namespace keel::commands {

// NOTICEs a statement raised, in order (Severity::kNotice). There is no client channel below
// tcop yet: a caller that passes a vector sends them; with nullptr they are logged (R9).
using Notices = std::vector<Error>;

// pg_authid.rolvaliduntil is a timestamptz: microseconds since 2000-01-01 00:00:00 UTC
// (PostgreSQL's TimestampTz), with PostgreSQL's infinities.
inline constexpr int64_t kTimestampInfinity = std::numeric_limits<int64_t>::max();
inline constexpr int64_t kTimestampMinusInfinity = std::numeric_limits<int64_t>::min();
// Microseconds between the Unix epoch and PostgreSQL's (2000-01-01).
inline constexpr int64_t kPostgresEpochUnixMicros = 946'684'800'000'000;
// Now, as a TimestampTz.
[[nodiscard]] int64_t CurrentTimestampTz();

// CREATE ROLE / CREATE USER / CREATE GROUP (PostgreSQL's RoleStmtType): USER implies LOGIN.
enum class RoleStmtType : uint8_t { kRole, kUser, kGroup };

// One option of CREATE / ALTER ROLE (PostgreSQL's DefElem names in comments).
enum class RoleOptionKind : uint8_t {
  kPassword,         // "password": PASSWORD 'x' | PASSWORD NULL
  kSuperuser,        // "superuser": SUPERUSER | NOSUPERUSER
  kCreateDb,         // "createdb"
  kCreateRole,       // "createrole"
  kInherit,          // "inherit"
  kLogin,            // "canlogin": LOGIN | NOLOGIN
  kReplication,      // "isreplication"
  kBypassRls,        // "bypassrls"
  kConnectionLimit,  // "connectionlimit": CONNECTION LIMIT n
  kValidUntil,       // "validUntil": VALID UNTIL 'timestamp'
};

struct RoleOption {
  RoleOptionKind kind;
  bool flag = false;                    // the boolean options
  std::optional<std::string> password;  // kPassword: nullopt is PASSWORD NULL
  int32_t connection_limit = -1;        // kConnectionLimit
  // kValidUntil: the literal already converted by timestamptz input (the analyzer's job, as
  // PostgreSQL's CreateRole calls timestamptz_in); see kTimestampInfinity.
  int64_t valid_until = kTimestampInfinity;

  [[nodiscard]] static RoleOption Password(std::string password) {
    return {RoleOptionKind::kPassword, false, std::move(password), -1, kTimestampInfinity};
  }
  [[nodiscard]] static RoleOption NullPassword() {
    return {RoleOptionKind::kPassword, false, std::nullopt, -1, kTimestampInfinity};
  }
  // kind: one of the boolean options.
  [[nodiscard]] static RoleOption Flag(RoleOptionKind kind, bool value) {
    return {kind, value, std::nullopt, -1, kTimestampInfinity};
  }
  [[nodiscard]] static RoleOption ConnectionLimit(int32_t limit) {
    return {RoleOptionKind::kConnectionLimit, false, std::nullopt, limit, kTimestampInfinity};
  }
  [[nodiscard]] static RoleOption ValidUntil(int64_t timestamp_tz) {
    return {RoleOptionKind::kValidUntil, false, std::nullopt, -1, timestamp_tz};
  }
};

struct CreateRoleStmt {
  RoleStmtType stmt_type = RoleStmtType::kRole;
  std::string role;
  std::vector<RoleOption> options;
};

struct AlterRoleStmt {
  std::string role;
  std::vector<RoleOption> options;
};

struct DropRoleStmt {
  std::vector<std::string> roles;
  bool missing_ok = false;  // IF EXISTS
};

// A pg_authid row as the login path and the DDL use it.
struct RoleInfo {
  Oid oid;
  std::string name;
  bool superuser = false;
  bool inherit = false;
  bool create_role = false;
  bool create_db = false;
  bool can_login = false;
  bool replication = false;
  bool bypass_rls = false;
  int32_t connection_limit = -1;
  std::optional<std::string> password;     // rolpassword: a SCRAM verifier or an md5 hash
  std::optional<int64_t> valid_until;      // rolvaliduntil (TimestampTz)
};

// The role called `name` / with oid `role` as the latest snapshot of this transaction sees
// it (committed rows and this transaction's earlier commands). No lock is taken.
// Requires: an active transaction; the catalogs exist.
[[nodiscard]] std::optional<RoleInfo> FindRoleByName(std::string_view name);
[[nodiscard]] std::optional<RoleInfo> FindRoleById(Oid role);

// CREATE ROLE: inserts the pg_authid row and returns its oid. The current user
// (MyRoleId()) needs CREATEROLE, or superuser for SUPERUSER / REPLICATION / BYPASSRLS roles.
// Requires: an active, non-failed transaction. Takes RowExclusiveLock on pg_authid (kept to
// the end of the transaction). Changes become visible to later commands
// (CommandCounterIncrement).
// Throws 42601 `conflicting or redundant options`, 22023 `invalid connection limit: %d`,
// 42501 `must be superuser to create superusers` / `... replication users` / `... bypassrls
// users` / `permission denied to create role`, 42939 `role name "%s" is reserved` (pg_*,
// public, none), 42710 `role "%s" already exists`. NOTICE `empty string is not a valid
// password, clearing password`.
Oid CreateRole(const CreateRoleStmt& stmt, Notices* notices = nullptr);

// ALTER ROLE: changes the options given, keeps the rest; returns the role's oid.
// Requires and locks as CreateRole. Throws 42601 / 22023 as CreateRole, 42704 `role "%s" does
// not exist`, 42501 `must be superuser to alter superuser roles or change superuser
// attribute` / `must be superuser to alter replication roles or change replication
// attribute` / `must be superuser to change bypassrls attribute` / `permission denied`
// (without CREATEROLE a role may change only its own password).
Oid AlterRole(const AlterRoleStmt& stmt, Notices* notices = nullptr);

// DROP ROLE [IF EXISTS] a, b: removes each role's pg_authid row, its pg_auth_members rows and
// its pg_shdescription comment, in order, with a CommandCounterIncrement after each.
// Requires as CreateRole; takes RowExclusiveLock on pg_authid and pg_auth_members and
// AccessExclusiveLock on each role (shared object lock). Throws 42501 `permission denied to
// drop role` / `must be superuser to drop superusers`, 42704 `role "%s" does not exist`
// (NOTICE `role "%s" does not exist, skipping` with IF EXISTS), 55006 `current user cannot be
// dropped`, 2BP01 `cannot drop role %s because it is required by the database system` (the
// bootstrap superuser).
void DropRole(const DropRoleStmt& stmt, Notices* notices = nullptr);

}  // namespace keel::commands
