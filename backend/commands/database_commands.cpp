// CREATE / DROP / ALTER DATABASE; see database_commands.h and README.md ("Databases").
#include "backend/commands/database_commands.h"

#include <locale.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <csignal>
#include <cstdlib>
#include <optional>

#include "access/transam/twophase.h"
#include "access/transam/xact.h"
#include "backend/catalog/catalog_defs.h"
#include "backend/catalog/catalog_lookup.h"
#include "backend/catalog/catalog_values.h"
#include "backend/catalog/catalog_write.h"
#include "backend/catalog/new_oid.h"
#include "backend/commands/comment.h"
#include "backend/utils/cache/inval.h"
#include "backend/utils/error/error.h"
#include "backend/utils/error/format.h"
#include "backend/utils/error/sqlstate.h"
#include "backend/utils/init/session_globals.h"
#include "storage/ipc/proc_array.h"
#include "storage/lmgr/lock.h"
#include "storage/smgr/database_dir.h"

namespace keel::commands {
namespace {

namespace catalog_oid = catalog::catalog_oid;
using catalog::CatalogRelation;
using storage::LockMode;

constexpr uint32_t kDatabaseNameIndex = 2671;
constexpr uint32_t kTablespaceNameIndex = 2698;
constexpr uint32_t kShdependDependerIndex = 1232;
constexpr uint32_t kFirstNormalObjectId = 16384;
constexpr int32_t kEncodingSqlAscii = 0;  // PostgreSQL's PG_SQL_ASCII
constexpr int32_t kEncodingUtf8 = 6;      // PG_UTF8
constexpr int kBusyWaitDefaultMs = 5000;  // PostgreSQL: 50 tries, 100 ms apart (B4)
constexpr int kBusyWaitStepMs = 100;

int busy_wait_ms = kBusyWaitDefaultMs;

// --- pg_database rows --------------------------------------------------------------------------

const CatalogRelation& PgDatabase() {
  return catalog::OpenCatalog(catalog_oid::kPgDatabase, MyDatabaseId());
}

struct DatabaseRow {
  access::HeapTuple tuple;
  Oid oid;
  std::string name;
  Oid owner;
  int32_t encoding = 0;
  char locprovider = 'c';
  bool is_template = false;
  bool allow_connections = true;
  int32_t connection_limit = -1;
  uint32_t frozenxid = 0;
  uint32_t minmxid = 0;
  Oid tablespace;
  std::string collate;
  std::string ctype;
  std::optional<std::string> icu_locale;
  std::optional<std::string> collversion;
};

DatabaseRow ReadRow(const access::HeapTuple& tuple) {
  const CatalogRelation& cat = PgDatabase();
  DatabaseRow r;
  r.tuple = tuple;
  r.oid = Oid(catalog::CatalogGetOid(cat, tuple, "oid"));
  r.name = catalog::CatalogGetName(cat, tuple, "datname");
  r.owner = Oid(catalog::CatalogGetOid(cat, tuple, "datdba"));
  r.encoding = static_cast<int32_t>(catalog::CatalogGetInt(cat, tuple, "encoding"));
  r.locprovider = catalog::CatalogGetChar(cat, tuple, "datlocprovider");
  r.is_template = catalog::CatalogGetBool(cat, tuple, "datistemplate");
  r.allow_connections = catalog::CatalogGetBool(cat, tuple, "datallowconn");
  r.connection_limit = static_cast<int32_t>(catalog::CatalogGetInt(cat, tuple, "datconnlimit"));
  r.frozenxid = catalog::CatalogGetOid(cat, tuple, "datfrozenxid");
  r.minmxid = catalog::CatalogGetOid(cat, tuple, "datminmxid");
  r.tablespace = Oid(catalog::CatalogGetOid(cat, tuple, "dattablespace"));
  r.collate = catalog::CatalogGetText(cat, tuple, "datcollate").value_or("");
  r.ctype = catalog::CatalogGetText(cat, tuple, "datctype").value_or("");
  r.icu_locale = catalog::CatalogGetText(cat, tuple, "daticulocale");
  r.collversion = catalog::CatalogGetText(cat, tuple, "datcollversion");
  return r;
}

// Reads see the transaction's earlier commands and everything committed (a fresh snapshot),
// as PostgreSQL's catalog scans do.
std::optional<DatabaseRow> FindDatabaseByName(std::string_view name) {
  const std::vector<std::byte> key = catalog::MakeName(name);
  const access::Datum keys[] = {access::PointerGetDatum(key.data())};
  std::vector<access::HeapTuple> rows =
      catalog::CatalogIndexScan(PgDatabase(), kDatabaseNameIndex, keys, transam::GetLatestSnapshot());
  if (rows.empty()) return std::nullopt;
  return ReadRow(rows.front());
}

std::optional<DatabaseRow> FindDatabaseByOid(Oid db) {
  std::optional<access::HeapTuple> row =
      catalog::CatalogLookupByOid(PgDatabase(), db, transam::GetLatestSnapshot());
  if (!row) return std::nullopt;
  return ReadRow(*row);
}

storage::LockTag DatabaseLockTag(Oid db) {
  return storage::ObjectLockTag(0, catalog_oid::kPgDatabase, db.value(), 0);  // shared: db 0
}

// PostgreSQL's get_db_info: the row named `name`, with `mode` held on the database object
// (B3). The name is looked up again after the lock: whoever held a conflicting lock may have
// renamed or dropped it meanwhile.
std::optional<DatabaseRow> LockDatabaseByName(std::string_view name, LockMode mode) {
  for (;;) {
    std::optional<DatabaseRow> row = FindDatabaseByName(name);
    if (!row) return std::nullopt;
    (void)storage::LockAcquire(DatabaseLockTag(row->oid), mode);
    (void)cache::AcceptInvalidationMessages();
    std::optional<DatabaseRow> again = FindDatabaseByOid(row->oid);
    if (again && again->name == name) return again;
    (void)storage::LockRelease(DatabaseLockTag(row->oid), mode);
  }
}

// RowExclusiveLock on pg_database / pg_shdepend before changing them (table_open's lock).
void LockSharedCatalog(uint32_t catalog) {
  (void)cache::LockRelationOid(kInvalidOid, Oid(catalog), LockMode::kRowExclusive);
}

[[noreturn]] void ThrowDatabaseMissing(std::string_view name) {
  throw Error(sqlstate::kInvalidCatalogName,
              Format("database \"%.*s\" does not exist", static_cast<int>(name.size()),
                     name.data()));
}

// --- roles ---------------------------------------------------------------------------------------

Oid CurrentUser() {
  const Oid role = MyRoleId();
  if (role == kInvalidOid) throw Error(sqlstate::kInternalError, "no role is set for this session");
  return role;
}

// have_createdb_privilege: superusers, and roles with rolcreatedb.
bool HaveCreatedbPrivilege(Oid role) {
  if (catalog::RoleIsSuperuser(role)) return true;
  const CatalogRelation& authid = catalog::OpenCatalog(catalog_oid::kPgAuthid, MyDatabaseId());
  std::optional<access::HeapTuple> row =
      catalog::CatalogLookupByOid(authid, role, transam::GetLatestSnapshot());
  return row && catalog::CatalogGetBool(authid, *row, "rolcreatedb");
}

// pg_database_ownercheck: superusers and members of the owner.
void CheckDatabaseOwner(Oid user, const DatabaseRow& db) {
  if (catalog::IsMemberOfRole(user, db.owner)) return;
  throw Error(sqlstate::kInsufficientPrivilege,
              Format("must be owner of database %s", db.name.c_str()));
}

// --- other sessions (B4) ----------------------------------------------------------------------

struct DatabaseUsers {
  int sessions = 0;
  int prepared = 0;
  [[nodiscard]] bool any() const { return sessions > 0 || prepared > 0; }
};

// Prepared transactions remember their database by name (access/transam twophase).
int CountPreparedTransactions(std::string_view dbname) {
  int n = 0;
  for (const transam::PreparedTransactionInfo& p : transam::ListPreparedTransactions()) {
    if (p.database == dbname) ++n;
  }
  return n;
}

// PostgreSQL's CountOtherDBBackends: whether other sessions (or prepared transactions) use
// the database, after waiting up to busy_wait_ms for them to go; autovacuum workers in it are
// told to stop (SIGTERM) on each round.
DatabaseUsers CountOtherDatabaseUsers(const DatabaseRow& db) {
  DatabaseUsers users;
  for (int waited_ms = 0;; waited_ms += kBusyWaitStepMs) {
    users = DatabaseUsers{};
    for (const storage::DatabaseSession& s : storage::ProcArrayDatabaseSessions(db.oid.value())) {
      if (s.kind == storage::ProcKind::kAutovacuum) kill(s.pid, SIGTERM);
      ++users.sessions;
    }
    users.prepared = CountPreparedTransactions(db.name);
    if (!users.any() || waited_ms >= busy_wait_ms) return users;
    usleep(kBusyWaitStepMs * 1000);
  }
}

// errdetail_busy_db.
std::string BusyDetail(const DatabaseUsers& users) {
  if (users.sessions > 0 && users.prepared > 0) {
    return Format("There are %d other session(s) and %d prepared transaction(s) using the "
                  "database.", users.sessions, users.prepared);
  }
  if (users.sessions > 0) {
    return Format(users.sessions == 1 ? "There is %d other session using the database."
                                      : "There are %d other sessions using the database.",
                  users.sessions);
  }
  return Format(users.prepared == 1 ? "There is %d prepared transaction using the database."
                                    : "There are %d prepared transactions using the database.",
                users.prepared);
}

void CheckNotInUse(const DatabaseRow& db, const char* what) {
  const DatabaseUsers users = CountOtherDatabaseUsers(db);
  if (!users.any()) return;
  throw Error(sqlstate::kObjectInUse, Format(what, db.name.c_str())).WithDetail(BusyDetail(users));
}

// PostgreSQL's TerminateOtherDBBackends (DROP DATABASE ... FORCE): refuses while prepared
// transactions use the database, checks the right to terminate every session first, then
// signals each as pg_terminate_backend does (its backend ends with FATAL 57P01).
void TerminateOtherDatabaseSessions(const DatabaseRow& db, Oid user) {
  const int prepared = CountPreparedTransactions(db.name);
  if (prepared > 0) {
    throw Error(sqlstate::kObjectInUse,
                Format("database \"%s\" is being used by prepared transactions", db.name.c_str()))
        .WithDetail(Format(prepared == 1 ? "There is %d prepared transaction using the database."
                                         : "There are %d prepared transactions using the database.",
                           prepared));
  }
  const std::vector<storage::DatabaseSession> sessions =
      storage::ProcArrayDatabaseSessions(db.oid.value());
  const bool me_super = catalog::RoleIsSuperuser(user);
  for (const storage::DatabaseSession& s : sessions) {
    const Oid role(s.role_oid);
    if (role != kInvalidOid && catalog::RoleIsSuperuser(role) && !me_super) {
      throw Error(sqlstate::kInsufficientPrivilege,
                  "must be a superuser to terminate superuser process");
    }
    // pg_signal_backend does not exist yet: membership in the session's role is what counts.
    if (!me_super && (role == kInvalidOid || !catalog::IsMemberOfRole(user, role))) {
      throw Error(sqlstate::kInsufficientPrivilege,
                  "must be a member of the role whose process is being terminated or member of "
                  "pg_signal_backend");
    }
  }
  for (const storage::DatabaseSession& s : sessions) kill(s.pid, SIGTERM);
}

// --- option lists (PostgreSQL's DefElem readers) -----------------------------------------------

Error WithPosition(Error e, const DatabaseOption& opt) {
  if (opt.location >= 0) e.WithPosition(opt.location + 1);
  return e;
}

[[noreturn]] void ThrowConflicting(const DatabaseOption& opt) {
  throw WithPosition(Error(sqlstate::kSyntaxError, "conflicting or redundant options"), opt);
}

std::string DefGetString(const DatabaseOption& opt) {
  switch (opt.arg_type) {
    case DatabaseOption::ArgType::kString: return opt.sval;
    case DatabaseOption::ArgType::kInteger: return Format("%lld", static_cast<long long>(opt.ival));
    case DatabaseOption::ArgType::kNone: break;
  }
  throw Error(sqlstate::kSyntaxError, Format("%s requires a parameter", opt.defname.c_str()));
}

int32_t DefGetInt32(const DatabaseOption& opt) {
  if (opt.arg_type != DatabaseOption::ArgType::kInteger || opt.ival < INT32_MIN ||
      opt.ival > INT32_MAX) {
    throw Error(sqlstate::kSyntaxError,
                Format("%s requires an integer value", opt.defname.c_str()));
  }
  return static_cast<int32_t>(opt.ival);
}

bool EqualsNoCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

bool DefGetBoolean(const DatabaseOption& opt) {
  switch (opt.arg_type) {
    case DatabaseOption::ArgType::kNone: return true;
    case DatabaseOption::ArgType::kInteger:
      if (opt.ival == 0) return false;
      if (opt.ival == 1) return true;
      break;
    case DatabaseOption::ArgType::kString:
      if (EqualsNoCase(opt.sval, "true") || EqualsNoCase(opt.sval, "on")) return true;
      if (EqualsNoCase(opt.sval, "false") || EqualsNoCase(opt.sval, "off")) return false;
      break;
  }
  throw Error(sqlstate::kSyntaxError, Format("%s requires a Boolean value", opt.defname.c_str()));
}

int32_t CheckedConnectionLimit(const DatabaseOption& opt) {
  const int32_t limit = DefGetInt32(opt);
  if (limit < -1) {
    throw Error(sqlstate::kInvalidParameterValue, Format("invalid connection limit: %d", limit));
  }
  return limit;
}

// --- encodings and locales (B1) ------------------------------------------------------------------

// PostgreSQL's server encodings, by code (pg_enc), as pg_encoding_to_char names them. Keel
// stores text as UTF8 or SQL_ASCII only.
constexpr const char* kServerEncodings[] = {
    "SQL_ASCII", "EUC_JP", "EUC_CN", "EUC_KR", "EUC_TW", "EUC_JIS_2004", "UTF8", "MULE_INTERNAL",
    "LATIN1", "LATIN2", "LATIN3", "LATIN4", "LATIN5", "LATIN6", "LATIN7", "LATIN8", "LATIN9",
    "LATIN10", "WIN1256", "WIN1258", "WIN866", "WIN874", "KOI8R", "WIN1251", "WIN1252",
    "ISO_8859_5", "ISO_8859_6", "ISO_8859_7", "ISO_8859_8", "WIN1250", "WIN1253", "WIN1254",
    "WIN1255", "WIN1257", "KOI8U"};
constexpr int kNumServerEncodings = static_cast<int>(std::size(kServerEncodings));

// clean_encoding_name: lower case, only letters and digits.
std::string CleanEncodingName(std::string_view name) {
  std::string clean;
  for (char c : name) {
    if (std::isalnum(static_cast<unsigned char>(c))) {
      clean += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
  }
  return clean;
}

// pg_valid_server_encoding: the code of a server encoding name (aliases "unicode", "utf8"),
// -1 when it names none.
int ServerEncodingByName(std::string_view name) {
  const std::string clean = CleanEncodingName(name);
  if (clean == "unicode") return kEncodingUtf8;
  for (int code = 0; code < kNumServerEncodings; ++code) {
    if (CleanEncodingName(kServerEncodings[code]) == clean) return code;
  }
  return -1;
}

const char* EncodingName(int32_t code) {
  return code >= 0 && code < kNumServerEncodings ? kServerEncodings[code] : "";
}

int32_t ParseEncoding(const DatabaseOption& opt) {
  int32_t code;
  if (opt.arg_type == DatabaseOption::ArgType::kInteger) {
    code = DefGetInt32(opt);
    if (code < 0 || code >= kNumServerEncodings) {
      throw WithPosition(Error(sqlstate::kUndefinedObject,
                               Format("%d is not a valid encoding code", code)), opt);
    }
  } else {
    const std::string name = DefGetString(opt);
    code = ServerEncodingByName(name);
    if (code < 0) {
      throw WithPosition(Error(sqlstate::kUndefinedObject,
                               Format("%s is not a valid encoding name", name.c_str())), opt);
    }
  }
  if (code != kEncodingUtf8 && code != kEncodingSqlAscii) {
    throw WithPosition(Error(sqlstate::kFeatureNotSupported,
                             Format("encoding \"%s\" is not supported", EncodingName(code)))
                           .WithDetail("Keel supports the UTF8 and SQL_ASCII server encodings only."),
                       opt);
  }
  return code;
}

// check_locale for C and POSIX only: the canonical spelling ("POSIX" is "C", as glibc's
// setlocale reports it). A name the system does not know is PostgreSQL's 42809; a real
// locale other than those two is refused (collation and ctype are bytewise in Keel).
std::string CheckLocale(int category_mask, const std::string& name) {
  if (name == "C" || name == "POSIX") return "C";
  locale_t loc = newlocale(category_mask, name.c_str(), static_cast<locale_t>(nullptr));
  if (loc == static_cast<locale_t>(nullptr)) {
    throw Error(sqlstate::kWrongObjectType, Format("invalid locale name: \"%s\"", name.c_str()));
  }
  freelocale(loc);
  throw Error(sqlstate::kFeatureNotSupported, Format("locale \"%s\" is not supported", name.c_str()))
      .WithDetail("Keel supports the C and POSIX locales only.");
}

// --- CREATE DATABASE pieces ------------------------------------------------------------------------

struct CreatedbOptions {
  const DatabaseOption* tablespace = nullptr;
  const DatabaseOption* owner = nullptr;
  const DatabaseOption* templ = nullptr;
  const DatabaseOption* encoding = nullptr;
  const DatabaseOption* locale = nullptr;
  const DatabaseOption* collate = nullptr;
  const DatabaseOption* ctype = nullptr;
  const DatabaseOption* icu_locale = nullptr;
  const DatabaseOption* locale_provider = nullptr;
  const DatabaseOption* is_template = nullptr;
  const DatabaseOption* allow_connections = nullptr;
  const DatabaseOption* connection_limit = nullptr;
  const DatabaseOption* collation_version = nullptr;
  const DatabaseOption* strategy = nullptr;
  const DatabaseOption* oid = nullptr;
};

CreatedbOptions SortCreatedbOptions(const CreatedbStmt& stmt, catalog::NoticeList* notices) {
  CreatedbOptions o;
  const std::pair<const char*, const DatabaseOption* CreatedbOptions::*> slots[] = {
      {"tablespace", &CreatedbOptions::tablespace},
      {"owner", &CreatedbOptions::owner},
      {"template", &CreatedbOptions::templ},
      {"encoding", &CreatedbOptions::encoding},
      {"locale", &CreatedbOptions::locale},
      {"lc_collate", &CreatedbOptions::collate},
      {"lc_ctype", &CreatedbOptions::ctype},
      {"icu_locale", &CreatedbOptions::icu_locale},
      {"locale_provider", &CreatedbOptions::locale_provider},
      {"is_template", &CreatedbOptions::is_template},
      {"allow_connections", &CreatedbOptions::allow_connections},
      {"connection_limit", &CreatedbOptions::connection_limit},
      {"collation_version", &CreatedbOptions::collation_version},
      {"strategy", &CreatedbOptions::strategy},
  };
  for (const DatabaseOption& opt : stmt.options) {
    auto it = std::find_if(std::begin(slots), std::end(slots),
                           [&](const auto& s) { return opt.defname == s.first; });
    if (it != std::end(slots)) {
      if (o.*(it->second) != nullptr) ThrowConflicting(opt);
      o.*(it->second) = &opt;
    } else if (opt.defname == "location") {
      catalog::EmitNotice(notices, WithPosition(Error(sqlstate::kFeatureNotSupported,
                                                      "LOCATION is not supported anymore",
                                                      Severity::kWarning)
                                                    .WithHint("Consider using tablespaces instead."),
                                                opt));
    } else if (opt.defname == "oid") {
      o.oid = &opt;  // PostgreSQL lets a later OID replace an earlier one
    } else {
      throw WithPosition(Error(sqlstate::kSyntaxError,
                               Format("option \"%s\" not recognized", opt.defname.c_str())),
                         opt);
    }
  }
  if (o.locale != nullptr && (o.collate != nullptr || o.ctype != nullptr)) {
    throw WithPosition(Error(sqlstate::kSyntaxError, "conflicting or redundant options"), *o.locale)
        .WithDetail("LOCALE cannot be specified together with LC_COLLATE or LC_CTYPE.");
  }
  return o;
}

bool HasArg(const DatabaseOption* opt) {
  return opt != nullptr && opt->arg_type != DatabaseOption::ArgType::kNone;
}

// check_db_file_conflict: whether base/<db> exists (only pg_default has databases).
bool DatabaseDirectoryExists(Oid db) {
  struct stat st;
  return stat(storage::DatabaseDirectoryPath(db).c_str(), &st) == 0;
}

Oid ParseDatabaseOid(const DatabaseOption& opt) {
  int64_t value = -1;
  if (opt.arg_type == DatabaseOption::ArgType::kInteger) {
    value = opt.ival;
  } else {
    const std::string s = DefGetString(opt);
    char* end = nullptr;
    value = std::strtoll(s.c_str(), &end, 10);
    if (s.empty() || *end != '\0') value = -1;
  }
  if (value < 0 || value > static_cast<int64_t>(UINT32_MAX)) {
    throw Error(sqlstate::kSyntaxError, Format("%s requires an OID value", opt.defname.c_str()));
  }
  const Oid oid(static_cast<uint32_t>(value));
  if (oid.value() < kFirstNormalObjectId) {
    throw Error(sqlstate::kInvalidParameterValue,
                Format("OIDs less than %u are reserved for system objects", kFirstNormalObjectId));
  }
  return oid;
}

// The default tablespace of the new database: the template's unless TABLESPACE names one.
Oid ResolveTablespace(const CreatedbOptions& o, const DatabaseRow& src) {
  if (!HasArg(o.tablespace)) return src.tablespace;
  const std::string name = DefGetString(*o.tablespace);
  const std::vector<std::byte> key = catalog::MakeName(name);
  const access::Datum keys[] = {access::PointerGetDatum(key.data())};
  const CatalogRelation& spc = catalog::OpenCatalog(catalog_oid::kPgTablespace, MyDatabaseId());
  std::vector<access::HeapTuple> rows =
      catalog::CatalogIndexScan(spc, kTablespaceNameIndex, keys, transam::GetLatestSnapshot());
  if (rows.empty()) {
    throw Error(sqlstate::kUndefinedObject,
                Format("tablespace \"%s\" does not exist", name.c_str()));
  }
  const Oid oid(catalog::CatalogGetOid(spc, rows.front(), "oid"));
  if (oid.value() == catalog::kGlobalTablespace) {
    throw Error(sqlstate::kInvalidParameterValue, "pg_global cannot be used as default tablespace");
  }
  if (oid.value() != storage::kDatabaseDirTablespace) {
    throw Error(sqlstate::kFeatureNotSupported,
                Format("tablespace \"%s\" is not supported", name.c_str()))
        .WithDetail("Every database lives in pg_default.");
  }
  return oid;
}

// The template's encoding / collation / ctype must be kept unless it is template0 (which
// holds nothing that depends on them).
void CheckTemplateCompatible(std::string_view templ, int32_t encoding, const std::string& collate,
                             const std::string& ctype, const DatabaseRow& src) {
  if (templ == "template0") return;
  if (encoding != src.encoding) {
    throw Error(sqlstate::kInvalidParameterValue,
                Format("new encoding (%s) is incompatible with the encoding of the template "
                       "database (%s)", EncodingName(encoding), EncodingName(src.encoding)))
        .WithHint("Use the same encoding as in the template database, or use template0 as "
                  "template.");
  }
  if (collate != src.collate) {
    throw Error(sqlstate::kInvalidParameterValue,
                Format("new collation (%s) is incompatible with the collation of the template "
                       "database (%s)", collate.c_str(), src.collate.c_str()))
        .WithHint("Use the same collation as in the template database, or use template0 as "
                  "template.");
  }
  if (ctype != src.ctype) {
    throw Error(sqlstate::kInvalidParameterValue,
                Format("new LC_CTYPE (%s) is incompatible with the LC_CTYPE of the template "
                       "database (%s)", ctype.c_str(), src.ctype.c_str()))
        .WithHint("Use the same LC_CTYPE as in the template database, or use template0 as "
                  "template.");
  }
}

// copyTemplateDependencies: the pg_shdepend rows of objects inside the template, again for
// the copy (their objects were copied with the files).
void CopyTemplateDependencies(Oid src, Oid dst) {
  const CatalogRelation& sd = catalog::OpenCatalog(catalog_oid::kPgShdepend, MyDatabaseId());
  const access::Datum keys[] = {access::ObjectIdGetDatum(src)};
  std::vector<access::HeapTuple> rows =
      catalog::CatalogIndexScan(sd, kShdependDependerIndex, keys, transam::GetLatestSnapshot());
  if (rows.empty()) return;
  LockSharedCatalog(catalog_oid::kPgShdepend);
  for (const access::HeapTuple& row : rows) {
    catalog::CatalogRowBuilder b(*sd.def, sd.desc);
    b.From(row).Oid("dbid", dst.value());
    (void)catalog::CatalogInsert(sd, b);
  }
}

// dropDatabaseDependencies: every pg_shdepend row of objects inside the database, and the
// database's own (its owner).
void DropDatabaseDependencies(Oid db) {
  const CatalogRelation& sd = catalog::OpenCatalog(catalog_oid::kPgShdepend, MyDatabaseId());
  const access::Datum keys[] = {access::ObjectIdGetDatum(db)};
  LockSharedCatalog(catalog_oid::kPgShdepend);
  for (const access::HeapTuple& row :
       catalog::CatalogIndexScan(sd, kShdependDependerIndex, keys, transam::GetLatestSnapshot())) {
    catalog::CatalogDelete(sd, row.self);
  }
  catalog::DeleteSharedDependencyRecordsFor(Oid(catalog_oid::kPgDatabase), db, 0);
}

}  // namespace

#ifdef KEEL_DEBUG
void TestOnlySetBusyDatabaseWaitMs(int wait_ms) {
  busy_wait_ms = wait_ms <= 0 ? kBusyWaitDefaultMs : wait_ms;
}
#endif

Oid CreateDatabase(const CreatedbStmt& stmt, catalog::NoticeList* notices) {
  const Oid user = CurrentUser();
  const CreatedbOptions o = SortCreatedbOptions(stmt, notices);

  // Option values, in PostgreSQL's order (B1).
  std::optional<int32_t> encoding;
  if (HasArg(o.encoding)) encoding = ParseEncoding(*o.encoding);
  std::optional<std::string> collate;
  std::optional<std::string> ctype;
  if (HasArg(o.locale)) collate = ctype = DefGetString(*o.locale);
  if (HasArg(o.collate)) collate = DefGetString(*o.collate);
  if (HasArg(o.ctype)) ctype = DefGetString(*o.ctype);
  if (HasArg(o.locale_provider)) {
    const std::string provider = DefGetString(*o.locale_provider);
    if (EqualsNoCase(provider, "icu")) {
      throw Error(sqlstate::kFeatureNotSupported, "ICU is not supported in this build");
    }
    if (!EqualsNoCase(provider, "libc")) {
      throw Error(sqlstate::kInvalidObjectDefinition,
                  Format("unrecognized locale provider: %s", provider.c_str()));
    }
  }
  const bool is_template = HasArg(o.is_template) && DefGetBoolean(*o.is_template);
  const bool allow_connections =
      !HasArg(o.allow_connections) || DefGetBoolean(*o.allow_connections);
  const int32_t connection_limit =
      HasArg(o.connection_limit) ? CheckedConnectionLimit(*o.connection_limit) : -1;
  std::optional<std::string> collversion;
  if (o.collation_version != nullptr) collversion = DefGetString(*o.collation_version);
  const Oid wanted_oid = o.oid != nullptr ? ParseDatabaseOid(*o.oid) : kInvalidOid;

  // Who owns it, and may we (B1: createdb privilege, no giveaway to a role we are not in).
  const Oid owner = HasArg(o.owner) ? catalog::GetRoleOid(DefGetString(*o.owner), false) : user;
  if (!HaveCreatedbPrivilege(user)) {
    throw Error(sqlstate::kInsufficientPrivilege, "permission denied to create database");
  }
  catalog::CheckIsMemberOfRole(user, owner);

  // The template, share-locked: nobody drops or renames it, nobody connects to it meanwhile.
  const std::string templ = HasArg(o.templ) ? DefGetString(*o.templ) : "template1";
  const std::optional<DatabaseRow> src = LockDatabaseByName(templ, LockMode::kShare);
  if (!src) {
    throw Error(sqlstate::kInvalidCatalogName,
                Format("template database \"%s\" does not exist", templ.c_str()));
  }
  if (!src->is_template && !catalog::IsMemberOfRole(user, src->owner)) {
    throw Error(sqlstate::kInsufficientPrivilege,
                Format("permission denied to copy database \"%s\"", templ.c_str()));
  }
  if (HasArg(o.strategy)) {
    const std::string strategy = DefGetString(*o.strategy);
    if (strategy != "wal_log" && strategy != "file_copy") {
      throw Error(sqlstate::kInvalidParameterValue,
                  Format("invalid create database strategy \"%s\"", strategy.c_str()))
          .WithHint("Valid strategies are \"wal_log\", and \"file_copy\".");
    }
    // wal_log is done as a file copy: the result is the same database (B1).
  }

  // Encoding and locales: the template's unless given, and compatible with it.
  const int32_t new_encoding = encoding.value_or(src->encoding);
  const std::string new_collate = CheckLocale(LC_COLLATE_MASK, collate.value_or(src->collate));
  const std::string new_ctype = CheckLocale(LC_CTYPE_MASK, ctype.value_or(src->ctype));
  if (HasArg(o.icu_locale)) {
    throw Error(sqlstate::kInvalidObjectDefinition,
                "ICU locale cannot be specified unless locale provider is ICU");
  }
  CheckTemplateCompatible(templ, new_encoding, new_collate, new_ctype, *src);
  if (!collversion) collversion = src->collversion;
  const Oid tablespace = ResolveTablespace(o, *src);

  if (FindDatabaseByName(stmt.dbname)) {
    throw Error(sqlstate::kDuplicateDatabase,
                Format("database \"%s\" already exists", stmt.dbname.c_str()));
  }
  // Last among the checks because it may wait (PostgreSQL's order).
  CheckNotInUse(*src, "source database \"%s\" is being accessed by other users");

  // A new oid whose directory does not exist (B2).
  LockSharedCatalog(catalog_oid::kPgDatabase);
  const CatalogRelation& pg_database = PgDatabase();
  Oid db = wanted_oid;
  if (db != kInvalidOid) {
    if (std::optional<DatabaseRow> other = FindDatabaseByOid(db)) {
      throw Error(sqlstate::kInvalidParameterValue,
                  Format("database OID %u is already in use by database \"%s\"", db.value(),
                         other->name.c_str()));
    }
    if (DatabaseDirectoryExists(db)) {
      throw Error(sqlstate::kInvalidParameterValue,
                  Format("data directory with the specified OID %u already exists", db.value()));
    }
  } else {
    do {
      db = catalog::GetNewOidWithIndex(pg_database);
    } while (DatabaseDirectoryExists(db));
  }

  // The files first (removed again if this transaction aborts: storage/smgr DB3), then the
  // row, which makes the database exist when the transaction commits (B5).
  storage::CreateDatabaseDirectory(src->oid, db);

  catalog::CatalogRowBuilder row(*pg_database.def, pg_database.desc);
  row.Oid("oid", db.value())
      .Name("datname", stmt.dbname)
      .Oid("datdba", owner.value())
      .Int4("encoding", new_encoding)
      .Char("datlocprovider", src->locprovider)
      .Bool("datistemplate", is_template)
      .Bool("datallowconn", allow_connections)
      .Int4("datconnlimit", connection_limit)
      .Oid("datfrozenxid", src->frozenxid)
      .Oid("datminmxid", src->minmxid)
      .Oid("dattablespace", tablespace.value())
      .Text("datcollate", new_collate)
      .Text("datctype", new_ctype)
      .Null("daticulocale")
      .Null("datacl");  // the default ACL, not the template's (its owner may differ)
  if (collversion) {
    row.Text("datcollversion", *collversion);
  } else {
    row.Null("datcollversion");
  }
  (void)catalog::CatalogInsert(pg_database, row);
  catalog::RecordDependencyOnOwner(Oid(catalog_oid::kPgDatabase), db, owner);
  CopyTemplateDependencies(src->oid, db);
  // B8: the commit record is flushed even with synchronous_commit = off (PostgreSQL's
  // ForceSyncCommit), so a committed CREATE DATABASE is never lost while its files remain.
  transam::ForceSyncCommit();
  transam::CommandCounterIncrement();
  return db;
}

void DropDatabase(const DropdbStmt& stmt, catalog::NoticeList* notices) {
  const Oid user = CurrentUser();
  LockSharedCatalog(catalog_oid::kPgDatabase);
  // AccessExclusiveLock: no new session starts in it, nobody copies or drops it meanwhile.
  const std::optional<DatabaseRow> db = LockDatabaseByName(stmt.dbname, LockMode::kAccessExclusive);
  if (!db) {
    if (!stmt.missing_ok) ThrowDatabaseMissing(stmt.dbname);
    catalog::EmitNotice(notices, Error(sqlstate::kSuccessfulCompletion,
                                       Format("database \"%s\" does not exist, skipping",
                                              stmt.dbname.c_str()),
                                       Severity::kNotice));
    return;
  }
  CheckDatabaseOwner(user, *db);
  if (db->is_template) {
    throw Error(sqlstate::kWrongObjectType, "cannot drop a template database");
  }
  if (db->oid == MyDatabaseId()) {
    throw Error(sqlstate::kObjectInUse, "cannot drop the currently open database");
  }
  if (stmt.force) TerminateOtherDatabaseSessions(*db, user);
  CheckNotInUse(*db, "database \"%s\" is being accessed by other users");

  catalog::CatalogDelete(PgDatabase(), db->tuple.self);
  DeleteSharedComments(db->oid, Oid(catalog_oid::kPgDatabase));
  DropDatabaseDependencies(db->oid);
  storage::DropDatabaseDirectory(db->oid);  // at commit (storage/smgr DB6)
  transam::ForceSyncCommit();  // B8
  transam::CommandCounterIncrement();
}

Oid AlterDatabase(const AlterDatabaseStmt& stmt) {
  const Oid user = CurrentUser();
  const DatabaseOption* connection_limit = nullptr;
  const DatabaseOption* allow_connections = nullptr;
  const DatabaseOption* is_template = nullptr;
  for (const DatabaseOption& opt : stmt.options) {
    const DatabaseOption** slot = nullptr;
    if (opt.defname == "connection_limit") {
      slot = &connection_limit;
    } else if (opt.defname == "allow_connections") {
      slot = &allow_connections;
    } else if (opt.defname == "is_template") {
      slot = &is_template;
    } else if (opt.defname == "tablespace") {
      throw Error(sqlstate::kFeatureNotSupported,
                  "ALTER DATABASE SET TABLESPACE is not supported")
          .WithDetail("Every database lives in pg_default.");
    } else {
      throw WithPosition(Error(sqlstate::kSyntaxError,
                               Format("option \"%s\" not recognized", opt.defname.c_str())),
                         opt);
    }
    if (*slot != nullptr) ThrowConflicting(opt);
    *slot = &opt;
  }
  std::optional<int32_t> new_limit;
  if (HasArg(connection_limit)) new_limit = CheckedConnectionLimit(*connection_limit);
  std::optional<bool> new_allow;
  if (HasArg(allow_connections)) new_allow = DefGetBoolean(*allow_connections);
  std::optional<bool> new_template;
  if (HasArg(is_template)) new_template = DefGetBoolean(*is_template);

  LockSharedCatalog(catalog_oid::kPgDatabase);
  const std::optional<DatabaseRow> db = FindDatabaseByName(stmt.dbname);
  if (!db) ThrowDatabaseMissing(stmt.dbname);
  CheckDatabaseOwner(user, *db);
  if (new_allow == false && db->oid == MyDatabaseId()) {
    throw Error(sqlstate::kObjectNotInPrerequisiteState,
                "cannot disallow connections for current database");
  }
  const CatalogRelation& cat = PgDatabase();
  catalog::CatalogRowBuilder b(*cat.def, cat.desc);
  b.From(db->tuple);
  if (new_limit) b.Int4("datconnlimit", *new_limit);
  if (new_allow) b.Bool("datallowconn", *new_allow);
  if (new_template) b.Bool("datistemplate", *new_template);
  (void)catalog::CatalogUpdate(cat, db->tuple.self, b);
  transam::CommandCounterIncrement();
  return db->oid;
}

catalog::ObjectAddress RenameDatabase(std::string_view old_name, std::string_view new_name) {
  const Oid user = CurrentUser();
  LockSharedCatalog(catalog_oid::kPgDatabase);
  const std::optional<DatabaseRow> db = LockDatabaseByName(old_name, LockMode::kAccessExclusive);
  if (!db) ThrowDatabaseMissing(old_name);
  CheckDatabaseOwner(user, *db);
  if (!HaveCreatedbPrivilege(user)) {
    throw Error(sqlstate::kInsufficientPrivilege, "permission denied to rename database");
  }
  if (FindDatabaseByName(new_name)) {
    throw Error(sqlstate::kDuplicateDatabase,
                Format("database \"%.*s\" already exists", static_cast<int>(new_name.size()),
                       new_name.data()));
  }
  if (db->oid == MyDatabaseId()) {
    throw Error(sqlstate::kFeatureNotSupported, "current database cannot be renamed");
  }
  CheckNotInUse(*db, "database \"%s\" is being accessed by other users");
  const CatalogRelation& cat = PgDatabase();
  catalog::CatalogRowBuilder b(*cat.def, cat.desc);
  b.From(db->tuple).Name("datname", new_name);
  (void)catalog::CatalogUpdate(cat, db->tuple.self, b);
  transam::CommandCounterIncrement();
  return catalog::MakeObjectAddress(catalog_oid::kPgDatabase, db->oid);
}

catalog::ObjectAddress AlterDatabaseOwner(std::string_view dbname, std::string_view new_owner) {
  const Oid user = CurrentUser();
  const Oid owner = catalog::GetRoleOid(new_owner, false);
  LockSharedCatalog(catalog_oid::kPgDatabase);
  const std::optional<DatabaseRow> db = FindDatabaseByName(dbname);
  if (!db) ThrowDatabaseMissing(dbname);
  const catalog::ObjectAddress address =
      catalog::MakeObjectAddress(catalog_oid::kPgDatabase, db->oid);
  if (db->owner == owner) return address;  // nothing to do, as for other objects
  CheckDatabaseOwner(user, *db);
  catalog::CheckIsMemberOfRole(user, owner);
  if (!HaveCreatedbPrivilege(user)) {
    throw Error(sqlstate::kInsufficientPrivilege, "permission denied to change owner of database");
  }
  const CatalogRelation& cat = PgDatabase();
  catalog::CatalogRowBuilder b(*cat.def, cat.desc);
  b.From(db->tuple).Oid("datdba", owner.value());  // datacl is NULL until GRANT exists
  (void)catalog::CatalogUpdate(cat, db->tuple.self, b);
  catalog::ChangeDependencyOnOwner(Oid(catalog_oid::kPgDatabase), db->oid, owner);
  transam::CommandCounterIncrement();
  return address;
}

}  // namespace keel::commands
