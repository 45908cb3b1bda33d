// Role DDL and pg_authid lookups; see user.h and README.md (R1-R9).
#include "backend/commands/user.h"

#include <time.h>

#include <algorithm>
#include <memory>
#include <span>
#include <vector>

#include "access/common/heap_form.h"
#include "access/transam/xact.h"
#include "backend/catalog/catalog_defs.h"
#include "backend/catalog/catalog_lookup.h"
#include "backend/catalog/catalog_relation.h"
#include "backend/catalog/catalog_values.h"
#include "backend/catalog/catalog_write.h"
#include "backend/catalog/dependency.h"
#include "backend/catalog/new_oid.h"
#include "backend/commands/comment.h"
#include "backend/protocol/auth/md5.h"
#include "backend/protocol/auth/scram.h"
#include "backend/utils/cache/inval.h"
#include "backend/utils/config/settings.h"
#include "backend/utils/error/format.h"
#include "backend/utils/error/log.h"
#include "backend/utils/init/session_globals.h"
#include "storage/lmgr/lock.h"

namespace keel::commands {
namespace {

using catalog::CatalogRelation;
using catalog::CatalogRowBuilder;

constexpr uint32_t kAuthidNameIndex = 2676;           // pg_authid_rolname_index
constexpr uint32_t kAuthMembersRoleMemberIndex = 2694;  // (roleid, member)
constexpr uint32_t kAuthMembersMemberRoleIndex = 2695;  // (member, roleid)

const CatalogRelation& SharedCatalog(uint32_t oid) {
  return catalog::OpenCatalog(oid, kInvalidOid);  // C6: shared catalogs are the same for all
}

RoleInfo ReadRole(const CatalogRelation& cat, const access::HeapTuple& row) {
  RoleInfo r;
  r.oid = Oid(catalog::CatalogGetOid(cat, row, "oid"));
  r.name = catalog::CatalogGetName(cat, row, "rolname");
  r.superuser = catalog::CatalogGetBool(cat, row, "rolsuper");
  r.inherit = catalog::CatalogGetBool(cat, row, "rolinherit");
  r.create_role = catalog::CatalogGetBool(cat, row, "rolcreaterole");
  r.create_db = catalog::CatalogGetBool(cat, row, "rolcreatedb");
  r.can_login = catalog::CatalogGetBool(cat, row, "rolcanlogin");
  r.replication = catalog::CatalogGetBool(cat, row, "rolreplication");
  r.bypass_rls = catalog::CatalogGetBool(cat, row, "rolbypassrls");
  r.connection_limit = static_cast<int32_t>(catalog::CatalogGetInt(cat, row, "rolconnlimit"));
  r.password = catalog::CatalogGetText(cat, row, "rolpassword");
  bool isnull = false;
  access::Datum until = catalog::CatalogGetAttr(cat, row, "rolvaliduntil", &isnull);
  if (!isnull) r.valid_until = access::DatumGetInt64(until);
  return r;
}

// The pg_authid row called `name` (a copy; self = its tid).
std::optional<access::HeapTuple> RoleRowByName(std::string_view name) {
  const CatalogRelation& cat = SharedCatalog(catalog::catalog_oid::kPgAuthid);
  const std::vector<std::byte> key = catalog::MakeName(name);
  const access::Datum k = access::PointerGetDatum(key.data());
  std::vector<access::HeapTuple> rows =
      catalog::CatalogIndexScan(cat, kAuthidNameIndex, {&k, 1}, transam::GetLatestSnapshot());
  if (rows.empty()) return std::nullopt;
  return std::move(rows.front());  // the index is unique
}

// The current user's attributes; a role that does not exist (any more) has none.
struct Privileges {
  bool superuser = false;
  bool create_role = false;
};

Privileges CurrentUserPrivileges() {
  std::optional<RoleInfo> me = FindRoleById(MyRoleId());
  if (!me) return {};
  return {me->superuser, me->create_role || me->superuser};
}

void LockAuthid() {
  // As PostgreSQL's table_open(AuthIdRelationId, RowExclusiveLock); shared relations lock with
  // database 0.
  (void)cache::LockRelationOid(kInvalidOid, Oid(catalog::catalog_oid::kPgAuthid),
                               storage::LockMode::kRowExclusive);
}

void Notice(Notices* notices, std::string message) {
  Error notice(sqlstate::kSuccessfulCompletion, std::move(message), Severity::kNotice);
  if (notices != nullptr) {
    notices->push_back(std::move(notice));
  } else {
    LogError(notice);
  }
}

[[noreturn]] void Redundant() {
  throw Error(sqlstate::kSyntaxError, "conflicting or redundant options");
}

// The options of one statement, each at most once (R2).
struct ParsedOptions {
  const RoleOption* password = nullptr;
  const RoleOption* superuser = nullptr;
  const RoleOption* create_db = nullptr;
  const RoleOption* create_role = nullptr;
  const RoleOption* inherit = nullptr;
  const RoleOption* login = nullptr;
  const RoleOption* replication = nullptr;
  const RoleOption* bypass_rls = nullptr;
  const RoleOption* connection_limit = nullptr;
  const RoleOption* valid_until = nullptr;
};

ParsedOptions ParseOptions(const std::vector<RoleOption>& options) {
  ParsedOptions p;
  for (const RoleOption& o : options) {
    const RoleOption** slot = nullptr;
    switch (o.kind) {
      case RoleOptionKind::kPassword: slot = &p.password; break;
      case RoleOptionKind::kSuperuser: slot = &p.superuser; break;
      case RoleOptionKind::kCreateDb: slot = &p.create_db; break;
      case RoleOptionKind::kCreateRole: slot = &p.create_role; break;
      case RoleOptionKind::kInherit: slot = &p.inherit; break;
      case RoleOptionKind::kLogin: slot = &p.login; break;
      case RoleOptionKind::kReplication: slot = &p.replication; break;
      case RoleOptionKind::kBypassRls: slot = &p.bypass_rls; break;
      case RoleOptionKind::kConnectionLimit: slot = &p.connection_limit; break;
      case RoleOptionKind::kValidUntil: slot = &p.valid_until; break;
    }
    if (slot == nullptr) throw Error(sqlstate::kInternalError, "unrecognized role option");
    if (*slot != nullptr) Redundant();
    *slot = &o;
  }
  if (p.connection_limit != nullptr && p.connection_limit->connection_limit < -1) {
    throw Error(sqlstate::kInvalidParameterValue,
                Format("invalid connection limit: %d", p.connection_limit->connection_limit));
  }
  return p;
}

// Whether `secret` (already a stored kind) is a verifier of the empty password.
bool IsVerifierOfEmptyPassword(std::string_view role, std::string_view secret) {
  if (auth::IsMd5Hash(secret)) return secret == auth::Md5PasswordHash("", role);
  if (std::optional<auth::ScramVerifier> v = auth::ScramParseVerifier(secret)) {
    return auth::ScramVerifyPlainPassword("", *v);
  }
  return false;
}

// R4: what rolpassword gets for PASSWORD 'x': nullopt (with a NOTICE) for an empty password or
// a verifier of one; a verifier or md5 hash as given; otherwise the password encrypted per
// password_encryption.
std::optional<std::string> StoredPassword(std::string_view role, const std::string& password,
                                          Notices* notices) {
  if (password.empty() || IsVerifierOfEmptyPassword(role, password)) {
    Notice(notices, "empty string is not a valid password, clearing password");
    return std::nullopt;
  }
  if (auth::IsMd5Hash(password) || auth::IsScramVerifier(password)) return password;
  if (settings::password_encryption == settings::PasswordEncryption::kMd5) {
    return auth::Md5PasswordHash(password, role);
  }
  return auth::ScramBuildVerifier(password);
}

// CatalogRowBuilder has no setter for timestamptz columns: the row is formed with the value
// put in by hand, and a new builder starts from that row.
void SetValidUntil(const CatalogRelation& cat, const CatalogRowBuilder& row,
                   std::optional<int64_t> valid_until, CatalogRowBuilder* out) {
  row.Check();
  std::vector<access::Datum> values(row.values().begin(), row.values().end());
  std::unique_ptr<bool[]> isnull(new bool[values.size()]);
  std::copy(row.isnull().begin(), row.isnull().end(), isnull.get());
  const size_t col = static_cast<size_t>(cat.def->ColumnIndex("rolvaliduntil"));
  values[col] = valid_until ? access::Int64GetDatum(*valid_until) : access::Datum{0};
  isnull[col] = !valid_until.has_value();
  out->From(access::HeapFormTuple(cat.desc, values, {isnull.get(), values.size()}));
}

bool IsReservedRoleName(std::string_view name) {
  return name.rfind("pg_", 0) == 0;
}

// Deletes every row of `cat` whose index `index_oid` key prefix is `keys`.
void DeleteRowsByKey(const CatalogRelation& cat, uint32_t index_oid,
                     std::span<const access::Datum> keys) {
  for (const access::HeapTuple& row :
       catalog::CatalogIndexScan(cat, index_oid, keys, transam::GetLatestSnapshot())) {
    catalog::CatalogDelete(cat, row.self);
  }
}

}  // namespace

int64_t CurrentTimestampTz() {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1'000'000 + ts.tv_nsec / 1000 - kPostgresEpochUnixMicros;
}

std::optional<RoleInfo> FindRoleByName(std::string_view name) {
  std::optional<access::HeapTuple> row = RoleRowByName(name);
  if (!row) return std::nullopt;
  return ReadRole(SharedCatalog(catalog::catalog_oid::kPgAuthid), *row);
}

std::optional<RoleInfo> FindRoleById(Oid role) {
  if (role == kInvalidOid) return std::nullopt;
  const CatalogRelation& cat = SharedCatalog(catalog::catalog_oid::kPgAuthid);
  std::optional<access::HeapTuple> row =
      catalog::CatalogLookupByOid(cat, role, transam::GetLatestSnapshot());
  if (!row) return std::nullopt;
  return ReadRole(cat, *row);
}

Oid CreateRole(const CreateRoleStmt& stmt, Notices* notices) {
  const ParsedOptions opts = ParseOptions(stmt.options);
  const bool superuser = opts.superuser != nullptr && opts.superuser->flag;
  const bool replication = opts.replication != nullptr && opts.replication->flag;
  const bool bypass_rls = opts.bypass_rls != nullptr && opts.bypass_rls->flag;
  // R5: who may create what, checked in PostgreSQL's order.
  const Privileges me = CurrentUserPrivileges();
  if (superuser) {
    if (!me.superuser) {
      throw Error(sqlstate::kInsufficientPrivilege, "must be superuser to create superusers");
    }
  } else if (replication) {
    if (!me.superuser) {
      throw Error(sqlstate::kInsufficientPrivilege,
                  "must be superuser to create replication users");
    }
  } else if (bypass_rls) {
    if (!me.superuser) {
      throw Error(sqlstate::kInsufficientPrivilege, "must be superuser to create bypassrls users");
    }
  } else if (!me.create_role) {
    throw Error(sqlstate::kInsufficientPrivilege, "permission denied to create role");
  }
  // R1: pg_ names are the system's; PUBLIC and NONE are keywords where a role is expected
  // (PostgreSQL's grammar refuses them; there is no parser here yet).
  if (IsReservedRoleName(stmt.role)) {
    throw Error(sqlstate::kReservedName, Format("role name \"%s\" is reserved", stmt.role.c_str()))
        .WithDetail("Role names starting with \"pg_\" are reserved.");
  }
  if (stmt.role == "public" || stmt.role == "none") {
    throw Error(sqlstate::kReservedName, Format("role name \"%s\" is reserved", stmt.role.c_str()));
  }

  LockAuthid();
  if (RoleRowByName(stmt.role)) {
    throw Error(sqlstate::kDuplicateObject,
                Format("role \"%s\" already exists", stmt.role.c_str()));
  }
  const CatalogRelation& cat = SharedCatalog(catalog::catalog_oid::kPgAuthid);
  const Oid role_oid = catalog::GetNewOidWithIndex(cat);
  auto flag = [](const RoleOption* o, bool dflt) { return o != nullptr ? o->flag : dflt; };
  CatalogRowBuilder row(*cat.def, cat.desc);
  row.Oid("oid", role_oid.value())
      .Name("rolname", stmt.role)
      .Bool("rolsuper", superuser)
      .Bool("rolinherit", flag(opts.inherit, true))
      .Bool("rolcreaterole", flag(opts.create_role, false))
      .Bool("rolcreatedb", flag(opts.create_db, false))
      // R6: CREATE USER implies LOGIN.
      .Bool("rolcanlogin", flag(opts.login, stmt.stmt_type == RoleStmtType::kUser))
      .Bool("rolreplication", replication)
      .Bool("rolbypassrls", bypass_rls)
      .Int4("rolconnlimit", opts.connection_limit != nullptr
                                ? opts.connection_limit->connection_limit
                                : -1);
  if (opts.password != nullptr && opts.password->password) {
    std::optional<std::string> stored =
        StoredPassword(stmt.role, *opts.password->password, notices);
    if (stored) row.Text("rolpassword", *stored);
  }
  CatalogRowBuilder final_row(*cat.def, cat.desc);
  SetValidUntil(cat, row,
                opts.valid_until != nullptr ? std::optional<int64_t>(opts.valid_until->valid_until)
                                            : std::nullopt,
                &final_row);
  (void)catalog::CatalogInsert(cat, final_row);  // R3: its row messages
  transam::CommandCounterIncrement();  // R7
  return role_oid;
}

Oid AlterRole(const AlterRoleStmt& stmt, Notices* notices) {
  const ParsedOptions opts = ParseOptions(stmt.options);
  LockAuthid();
  std::optional<access::HeapTuple> old = RoleRowByName(stmt.role);
  if (!old) {
    throw Error(sqlstate::kUndefinedObject,
                Format("role \"%s\" does not exist", stmt.role.c_str()));
  }
  const CatalogRelation& cat = SharedCatalog(catalog::catalog_oid::kPgAuthid);
  const RoleInfo target = ReadRole(cat, *old);
  // R5: superuser and replication roles (and those attributes, and BYPASSRLS) need a
  // superuser; without CREATEROLE a role may only change its own password.
  const Privileges me = CurrentUserPrivileges();
  if (target.superuser || opts.superuser != nullptr) {
    if (!me.superuser) {
      throw Error(sqlstate::kInsufficientPrivilege,
                  "must be superuser to alter superuser roles or change superuser attribute");
    }
  } else if (target.replication || opts.replication != nullptr) {
    if (!me.superuser) {
      throw Error(sqlstate::kInsufficientPrivilege,
                  "must be superuser to alter replication roles or change replication attribute");
    }
  } else if (opts.bypass_rls != nullptr) {
    if (!me.superuser) {
      throw Error(sqlstate::kInsufficientPrivilege,
                  "must be superuser to change bypassrls attribute");
    }
  } else if (!me.create_role) {
    const bool only_own_password = opts.password != nullptr && opts.inherit == nullptr &&
                                   opts.create_role == nullptr && opts.create_db == nullptr &&
                                   opts.login == nullptr && opts.connection_limit == nullptr &&
                                   opts.valid_until == nullptr && target.oid == MyRoleId();
    if (!only_own_password) throw Error(sqlstate::kInsufficientPrivilege, "permission denied");
  }

  CatalogRowBuilder row(*cat.def, cat.desc);
  row.From(*old);
  auto set_flag = [&row](const RoleOption* o, const char* column) {
    if (o != nullptr) row.Bool(column, o->flag);
  };
  set_flag(opts.superuser, "rolsuper");
  set_flag(opts.inherit, "rolinherit");
  set_flag(opts.create_role, "rolcreaterole");
  set_flag(opts.create_db, "rolcreatedb");
  set_flag(opts.login, "rolcanlogin");
  set_flag(opts.replication, "rolreplication");
  set_flag(opts.bypass_rls, "rolbypassrls");
  if (opts.connection_limit != nullptr) {
    row.Int4("rolconnlimit", opts.connection_limit->connection_limit);
  }
  if (opts.password != nullptr) {
    std::optional<std::string> stored;
    if (opts.password->password) {
      stored = StoredPassword(target.name, *opts.password->password, notices);
    }
    if (stored) {
      row.Text("rolpassword", *stored);
    } else {
      row.Null("rolpassword");  // PASSWORD NULL, or an empty password (R4)
    }
  }
  std::optional<int64_t> valid_until = target.valid_until;
  if (opts.valid_until != nullptr) valid_until = opts.valid_until->valid_until;
  CatalogRowBuilder final_row(*cat.def, cat.desc);
  SetValidUntil(cat, row, valid_until, &final_row);
  (void)catalog::CatalogUpdate(cat, old->self, final_row);  // R3: its row messages
  transam::CommandCounterIncrement();  // R7
  return target.oid;
}

void DropRole(const DropRoleStmt& stmt, Notices* notices) {
  const Privileges me = CurrentUserPrivileges();
  if (!me.create_role) {
    throw Error(sqlstate::kInsufficientPrivilege, "permission denied to drop role");
  }
  LockAuthid();
  (void)cache::LockRelationOid(kInvalidOid, Oid(catalog::catalog_oid::kPgAuthMembers),
                               storage::LockMode::kRowExclusive);
  const CatalogRelation& authid = SharedCatalog(catalog::catalog_oid::kPgAuthid);
  const CatalogRelation& members = SharedCatalog(catalog::catalog_oid::kPgAuthMembers);
  for (const std::string& name : stmt.roles) {
    std::optional<access::HeapTuple> row = RoleRowByName(name);
    if (!row) {
      if (!stmt.missing_ok) {
        throw Error(sqlstate::kUndefinedObject, Format("role \"%s\" does not exist", name.c_str()));
      }
      Notice(notices, Format("role \"%s\" does not exist, skipping", name.c_str()));
      continue;
    }
    const RoleInfo role = ReadRole(authid, *row);
    if (role.oid == MyRoleId()) {
      throw Error(sqlstate::kObjectInUse, "current user cannot be dropped");
    }
    // R8: a CREATEROLE role may drop ordinary roles, never a superuser (the last one could go).
    if (role.superuser && !me.superuser) {
      throw Error(sqlstate::kInsufficientPrivilege, "must be superuser to drop superusers");
    }
    // Nobody may add dependencies on the role while it goes (PostgreSQL's LockSharedObject).
    (void)storage::LockAcquire(storage::ObjectLockTag(0, catalog::catalog_oid::kPgAuthid,
                                                      role.oid.value(), 0),
                               storage::LockMode::kAccessExclusive);
    // Objects created by initdb are pinned (PostgreSQL's IsPinnedObject): the bootstrap
    // superuser owns the system catalogs.
    if (role.oid.value() == catalog::kBootstrapSuperuser) {
      throw Error(sqlstate::kDependentObjectsStillExist,
                  Format("cannot drop role %s because it is required by the database system",
                         role.name.c_str()));
    }
    // R10: nothing may own or be granted to it (pg_shdepend, in any database).
    std::string detail;
    std::string detail_log;
    if (catalog::CheckSharedDependencies(Oid(catalog::catalog_oid::kPgAuthid), role.oid, &detail,
                                         &detail_log)) {
      // PostgreSQL sends the first 100 lines and logs them all (errdetail_log).
      if (detail_log != detail) {
        Log(Severity::kLog, "objects that depend on role \"%s\":\n%s", role.name.c_str(),
            detail_log.c_str());
      }
      throw Error(sqlstate::kDependentObjectsStillExist,
                  Format("role \"%s\" cannot be dropped because some objects depend on it",
                         role.name.c_str()))
          .WithDetail(detail);
    }
    catalog::CatalogDelete(authid, row->self);  // R3: its row messages
    const access::Datum role_key = access::ObjectIdGetDatum(role.oid);
    DeleteRowsByKey(members, kAuthMembersRoleMemberIndex, {&role_key, 1});
    DeleteRowsByKey(members, kAuthMembersMemberRoleIndex, {&role_key, 1});
    // What the role itself depends on, and its comment (PostgreSQL's DropRole).
    catalog::DeleteSharedDependencyRecordsFor(Oid(catalog::catalog_oid::kPgAuthid), role.oid, 0);
    DeleteSharedComments(role.oid, Oid(catalog::catalog_oid::kPgAuthid));
    // Later names see this one gone (e.g. a member dropped together with its role); R7.
    transam::CommandCounterIncrement();
  }
}

}  // namespace keel::commands
