// Session start: startup packet, TLS, cancel, refusal, proc slot, authentication against the
// role catalog, the role and database checks, and the parameters a client receives before its
// first ReadyForQuery. See README.md (T1-T3, T8-T11).
#include "backend/tcop/session.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <unistd.h>

#include <cstring>
#include <optional>
#include <variant>
#include <vector>

#include "access/transam/xact.h"
#include "backend/catalog/catalog_defs.h"
#include "backend/catalog/catalog_lookup.h"
#include "backend/catalog/catalog_relation.h"
#include "backend/catalog/catalog_values.h"
#include "backend/commands/user.h"
#include "backend/protocol/auth/hba.h"
#include "backend/protocol/backend_messages.h"
#include "backend/protocol/client_auth.h"
#include "backend/protocol/startup.h"
#include "backend/utils/cache/inval.h"
#include "backend/utils/config/config.h"
#include "backend/utils/config/settings.h"
#include "backend/utils/error/format.h"
#include "backend/utils/error/log.h"
#include "backend/utils/init/interrupts.h"
#include "backend/utils/init/paths.h"
#include "backend/utils/init/process_exit.h"
#include "backend/utils/init/session_globals.h"
#include "storage/ipc/latch.h"
#include "storage/ipc/proc_array.h"
#include "storage/ipc/process_context.h"
#include "storage/ipc/sinval.h"
#include "storage/lmgr/lock.h"

namespace keel::tcop {

// What the catalogs say about the database a client asked for.
struct DatabaseEntry {
  Oid oid;
  std::string name;
  bool allow_connections = false;
  int32_t connection_limit = -1;
  Oid tablespace;
};

// T8: the role and the database of a login, read in one short transaction before
// authentication; the checks on them come after it, in PostgreSQL's order.
struct LoginCatalogs {
  std::optional<commands::RoleInfo> role;
  std::optional<DatabaseEntry> database;
};

namespace {

int32_t NewCancelKey() {
  int32_t key = 0;
  if (RAND_bytes(reinterpret_cast<unsigned char*>(&key), sizeof(key)) != 1) {
    throw FatalError(sqlstate::kInternalError, "could not generate random cancel key");
  }
  return key;
}

void Refuse(ConnectionRefusal refusal) {
  switch (refusal) {
    case ConnectionRefusal::kNone:
      return;
    case ConnectionRefusal::kStartingUp:
      throw FatalError(sqlstate::kCannotConnectNow, "the database system is starting up");
    case ConnectionRefusal::kShuttingDown:
      throw FatalError(sqlstate::kCannotConnectNow, "the database system is shutting down");
    case ConnectionRefusal::kRecovery:
      throw FatalError(sqlstate::kCannotConnectNow, "the database system is in recovery mode");
    case ConnectionRefusal::kTooManyClients:
      throw FatalError(sqlstate::kTooManyConnections, "sorry, too many clients already");
  }
}

// Startup-packet settings are applied like PGOPTIONS, with the role's superuser status (for
// superuser-only settings); any error is FATAL.
void ApplyClientSetting(const std::string& name, const std::string& value, bool is_superuser) {
  try {
    config::SetSetting(name, value, config::SettingSource::kClient, config::Phase::kRunning,
                       is_superuser);
  } catch (const Error& e) {
    throw Error(e.sqlstate(), e.message(), Severity::kFatal).WithDetail(e.detail()).WithHint(e.hint());
  }
}

constexpr uint32_t kDatabaseNameIndex = 2671;  // pg_database_datname_index

std::optional<DatabaseEntry> FindDatabaseByName(const std::string& name) {
  const catalog::CatalogRelation& cat =
      catalog::OpenCatalog(catalog::catalog_oid::kPgDatabase, kInvalidOid);
  const std::vector<std::byte> key = catalog::MakeName(name);
  const access::Datum k = access::PointerGetDatum(key.data());
  std::vector<access::HeapTuple> rows =
      catalog::CatalogIndexScan(cat, kDatabaseNameIndex, {&k, 1}, transam::GetLatestSnapshot());
  if (rows.empty()) return std::nullopt;
  const access::HeapTuple& row = rows.front();
  DatabaseEntry db;
  db.oid = Oid(catalog::CatalogGetOid(cat, row, "oid"));
  db.name = catalog::CatalogGetName(cat, row, "datname");
  db.allow_connections = catalog::CatalogGetBool(cat, row, "datallowconn");
  db.connection_limit = static_cast<int32_t>(catalog::CatalogGetInt(cat, row, "datconnlimit"));
  db.tablespace = Oid(catalog::CatalogGetOid(cat, row, "dattablespace"));
  return db;
}

// The catalogs' AccessShareLock, as PostgreSQL's table_open.
LoginCatalogs ReadLoginCatalogs(const std::string& user, const std::string& database) {
  LoginCatalogs login;
  transam::StartTransaction();
  try {
    (void)cache::LockRelationOid(kInvalidOid, Oid(catalog::catalog_oid::kPgAuthid),
                                 storage::LockMode::kAccessShare);
    login.role = commands::FindRoleByName(user);
    (void)cache::LockRelationOid(kInvalidOid, Oid(catalog::catalog_oid::kPgDatabase),
                                 storage::LockMode::kAccessShare);
    login.database = FindDatabaseByName(database);
  } catch (...) {
    transam::AbortTransaction();
    throw;
  }
  transam::CommitTransaction();
  return login;
}

// PostgreSQL's get_role_password: the stored secret, unless the role is missing, has none, or
// its rolvaliduntil has passed.
protocol::RoleSecret SecretOf(const std::string& user,
                              const std::optional<commands::RoleInfo>& role) {
  if (!role) return protocol::RoleSecret::NoSuchRole(user);
  if (!role->password) return protocol::RoleSecret::NoPassword(user);
  if (role->valid_until && *role->valid_until < commands::CurrentTimestampTz()) {
    return protocol::RoleSecret::Expired(user);
  }
  return protocol::RoleSecret::Of(*role->password);
}

// The client's TCP port (P9: -1 for a Unix-domain socket).
int32_t ClientPort(const protocol::ClientConnection& connection) {
  if (connection.is_unix_socket()) return -1;
  const sockaddr_storage& peer = connection.peer();
  if (peer.ss_family == AF_INET) {
    return ntohs(reinterpret_cast<const sockaddr_in*>(&peer)->sin_port);
  }
  if (peer.ss_family == AF_INET6) {
    return ntohs(reinterpret_cast<const sockaddr_in6*>(&peer)->sin6_port);
  }
  return 0;
}

// Client backends whose proc slot names `user` (or `database`), this one included. Slots get
// those names only once their login passed the checks below, so connections still
// authenticating do not count (T9).
int CountBackendsOf(const char* user, const char* database) {
  int n = 0;
  storage::ProcArrayForEachInfo([&](const storage::ProcInfo& info) {
    if (info.kind != storage::ProcKind::kBackend) return;
    if (user != nullptr && strncmp(info.user, user, storage::kProcNameBytes - 1) == 0) ++n;
    if (database != nullptr &&
        strncmp(info.database, database, storage::kProcNameBytes - 1) == 0) {
      ++n;
    }
  });
  return n;
}

}  // namespace

Session::Session(int client_fd, const BackendResources& resources)
    : connection_(client_fd, [this](int fd, bool for_write) { WaitForSocket(fd, for_write); }),
      resources_(resources) {}

void Session::WaitForSocket(int fd, bool for_write) {
  using Clock = std::chrono::steady_clock;
  for (;;) {
    storage::ResetLatch(storage::MyLatch());
    CheckForInterrupts(/*cancel_allowed=*/false);
    // T7: idle, waiting for a command (between transactions or inside a transaction block,
    // as PostgreSQL's ProcessCatchupInterrupt), and asked to catch up with the invalidation
    // queue (a writer set our latch, storage/ipc Q6): read it now, before we fall behind and
    // are reset.
    if (reading_command_ && !for_write && established_at_ && storage::SInvalCatchupPending()) {
      (void)cache::AcceptInvalidationMessages();
    }
    PendingInterrupts& pending = Interrupts();
    if (pending.reload) {
      pending.reload = 0;
      config::ReloadConfigFile(ConfigFilePath(), Severity::kDebug2);  // the postmaster logs it
    }
    long timeout_ms = -1;
    int events = storage::kWaitLatchSet | storage::kWaitPostmasterDeath |
                 (for_write ? storage::kWaitSocketWritable : storage::kWaitSocketReadable);
    if (auth_deadline_) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(*auth_deadline_ -
                                                                        Clock::now());
      if (left.count() <= 0) {
        // T1: a client that never finishes its startup costs us nothing more. PostgreSQL says
        // nothing about one that never sent a startup packet.
        Log(startup_packet_seen_ ? Severity::kLog : Severity::kDebug1,
            "canceling authentication due to timeout");
        ProcessExit(1);
      }
      timeout_ms = static_cast<long>(left.count());
      events |= storage::kWaitTimeout;
    }
    int got = storage::WaitLatchOrSocket(storage::MyLatch(), events, fd, timeout_ms);
    if (got & storage::kWaitPostmasterDeath) {
      throw FatalError(sqlstate::kAdminShutdown,
                       "terminating connection due to unexpected postmaster exit");
    }
    if (got & (storage::kWaitSocketReadable | storage::kWaitSocketWritable)) return;
  }
}

void Session::Start(ConnectionRefusal refusal) {
  auth_deadline_ = std::chrono::steady_clock::now() +
                   std::chrono::seconds(settings::authentication_timeout_s);
  protocol::StartupParams params;
  bool tls_done = false;
  if (settings::log_connections) {
    Log(Severity::kLog, "connection received: host=%s", connection_.peer_host().c_str());
  }
  for (;;) {
    protocol::StartupPacket packet = protocol::ParseStartupPacket(connection_.ReadStartupPacket());
    startup_packet_seen_ = true;
    if (std::holds_alternative<protocol::SslRequest>(packet)) {
      if (tls_done) {
        throw FatalError(sqlstate::kProtocolViolation, "SSL negotiation already completed");
      }
      bool accept = resources_.ssl_ctx != nullptr;
      connection_.SendRawByte(accept ? 'S' : 'N');
      connection_.Flush();
      if (accept) connection_.StartTls(resources_.ssl_ctx);
      tls_done = true;
      continue;
    }
    if (std::holds_alternative<protocol::GssEncRequest>(packet)) {
      connection_.SendRawByte('N');  // no GSSAPI encryption
      connection_.Flush();
      continue;
    }
    if (auto* cancel = std::get_if<protocol::CancelRequest>(&packet)) {
      // T6: no reply, whether or not the key matched.
      storage::ProcArraySignalCancel(cancel->pid, cancel->key);
      ProcessExit(0);
    }
    params = std::get<protocol::StartupParams>(std::move(packet));
    break;
  }
  Refuse(refusal);
  if (params.minor > 0 || !params.unrecognized_protocol_options.empty()) {
    connection_.Send(protocol::NegotiateProtocolVersion(0, params.unrecognized_protocol_options));
  }
  user_ = params.user;
  database_ = params.database;

  // T2: a proc slot before authentication, so a full server says so to everyone alike.
  int32_t cancel_key = NewCancelKey();
  storage::ProcSlot* slot = storage::ProcArrayAcquireBackendSlot(getpid(), cancel_key);
  if (slot == nullptr) Refuse(ConnectionRefusal::kTooManyClients);
  OnProcessExit([slot] { storage::ProcArrayReleaseSlot(slot); });
  slot_ = slot;
  storage::ProcArraySetSessionInfo(slot, "", "", params.application_name.c_str());  // T9
  storage::ProcArraySetClientAddress(  // T10
      slot, connection_.is_unix_socket() ? nullptr : connection_.peer_host().c_str(),
      ClientPort(connection_));

  auth::HbaRequest request = protocol::MakeHbaRequest(connection_, database_, user_);
  const auth::HbaLine* line = resources_.hba->Match(request);
  if (line == nullptr) protocol::ThrowNoHbaEntry(connection_, user_, database_);
  const LoginCatalogs login = ReadLoginCatalogs(user_, database_);
  protocol::AuthenticateClient(connection_, *line, user_, SecretOf(user_, login.role), database_);
  const bool superuser = CheckLogin(slot, login);

  for (const auto& [name, value] : params.options) ApplyClientSetting(name, value, superuser);
  for (const auto& [name, value] : params.other) ApplyClientSetting(name, value, superuser);
  if (!params.application_name.empty()) {
    ApplyClientSetting("application_name", params.application_name, superuser);
  }
  auth_deadline_.reset();
  established_at_ = std::chrono::steady_clock::now();

  connection_.Send(protocol::AuthenticationOk());
  for (const auto& [name, value] : config::ReportedSettings()) {
    std::string shown = value;
    if (name == "is_superuser") shown = superuser ? "on" : "off";  // T3
    if (name == "session_authorization") shown = user_;
    connection_.Send(protocol::ParameterStatus(name, shown));
  }
  connection_.Send(protocol::BackendKeyData(getpid(), cancel_key));
  if (!connection_.is_tls()) SetQuickDieSocket(connection_.fd());
  if (settings::log_connections) {
    std::string tls = connection_.is_tls()
                          ? Format(" SSL enabled (protocol=%s, cipher=%s)",
                                   SSL_get_version(connection_.ssl()),
                                   SSL_get_cipher_name(connection_.ssl()))
                          : "";
    Log(Severity::kLog, "connection authorized: user=%s database=%s application_name=%s%s",
        user_.c_str(), database_.c_str(), params.application_name.c_str(), tls.c_str());
  }
}

bool Session::CheckLogin(storage::ProcSlot* slot, const LoginCatalogs& login) {
  // T8: PostgreSQL's InitializeSessionUserId, then CheckMyDatabase, after authentication.
  using storage::ProcArraySetSessionInfo;
  if (!login.role) {
    throw FatalError(sqlstate::kInvalidAuthorizationSpecification,
                     Format("role \"%s\" does not exist", user_.c_str()));
  }
  const commands::RoleInfo& role = *login.role;
  if (!role.can_login) {
    throw FatalError(sqlstate::kInvalidAuthorizationSpecification,
                     Format("role \"%s\" is not permitted to log in", user_.c_str()));
  }
  ProcArraySetSessionInfo(slot, user_.c_str(), nullptr, nullptr);
  // T9: the limits count this backend too (PostgreSQL's race: two at once may both fail).
  if (role.connection_limit >= 0 && !role.superuser &&
      CountBackendsOf(user_.c_str(), nullptr) > role.connection_limit) {
    throw FatalError(sqlstate::kTooManyConnections,
                     Format("too many connections for role \"%s\"", user_.c_str()));
  }
  const int free_slots = settings::max_connections - storage::ProcArrayCountBackends();
  if (!role.superuser && settings::superuser_reserved_connections > 0 &&
      free_slots < settings::superuser_reserved_connections) {
    throw FatalError(sqlstate::kTooManyConnections,
                     "remaining connection slots are reserved for non-replication superuser "
                     "connections");
  }
  if (!login.database) {
    throw FatalError(sqlstate::kInvalidCatalogName,
                     Format("database \"%s\" does not exist", database_.c_str()));
  }
  const DatabaseEntry db = LockMyDatabase(slot, *login.database, role.oid);  // T11
  if (!db.allow_connections) {
    throw FatalError(sqlstate::kObjectNotInPrerequisiteState,
                     Format("database \"%s\" is not currently accepting connections",
                            database_.c_str()));
  }
  ProcArraySetSessionInfo(slot, nullptr, database_.c_str(), nullptr);
  if (db.connection_limit >= 0 && !role.superuser &&
      CountBackendsOf(nullptr, database_.c_str()) > db.connection_limit) {
    throw FatalError(sqlstate::kTooManyConnections,
                     Format("too many connections for database \"%s\"", database_.c_str()));
  }
  SetMyDatabase(db.oid, db.tablespace);
  SetMyRole(role.oid);
  cache::SetInvalidationDatabase(db.oid);  // V7: other databases' messages are skipped
  return role.superuser;
}

DatabaseEntry Session::LockMyDatabase(storage::ProcSlot* slot, const DatabaseEntry& db,
                                      Oid role) {
  // T11, PostgreSQL's InitPostgres: RowExclusiveLock on the database object conflicts with
  // DROP / RENAME DATABASE (AccessExclusiveLock) and with CREATE DATABASE copying it
  // (ShareLock). Without session-level locks it is held for this transaction only, as
  // PostgreSQL does too: before it is released the slot names the database, so whoever locks
  // it next counts this session (ProcArrayDatabaseSessions), and a DROP that committed while
  // we waited is seen in the row read after the lock.
  std::optional<DatabaseEntry> again;
  transam::StartTransaction();
  try {
    (void)storage::LockAcquire(
        storage::ObjectLockTag(0, catalog::catalog_oid::kPgDatabase, db.oid.value(), 0),
        storage::LockMode::kRowExclusive);
    storage::ProcArraySetSessionIds(slot, db.oid.value(), role.value());
    (void)cache::LockRelationOid(kInvalidOid, Oid(catalog::catalog_oid::kPgDatabase),
                                 storage::LockMode::kAccessShare);
    again = FindDatabaseByName(db.name);
  } catch (...) {
    transam::AbortTransaction();
    throw;
  }
  transam::CommitTransaction();
  if (!again || again->oid != db.oid) {
    throw FatalError(sqlstate::kInvalidCatalogName,
                     Format("database \"%s\" does not exist", database_.c_str()))
        .WithDetail("It seems to have just been dropped or renamed.");
  }
  return *again;
}

void Session::ReportIdle() {
  if (slot_ == nullptr) return;
  storage::BackendState state = storage::BackendState::kIdle;
  if (transam::IsTransactionFailed()) {
    state = storage::BackendState::kIdleInTransactionAborted;
  } else if (transam::IsTransactionActive()) {
    state = storage::BackendState::kIdleInTransaction;
  }
  storage::ProcArrayReportActivity(slot_, state, nullptr);
}

std::string Session::DisconnectionLogLine() const {
  if (!established_at_) return "";
  double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() -
                                                 *established_at_).count();
  int hours = static_cast<int>(elapsed / 3600);
  int minutes = static_cast<int>(elapsed / 60) % 60;
  double seconds = elapsed - hours * 3600.0 - minutes * 60.0;
  return Format("disconnection: session time: %d:%02d:%06.3f user=%s database=%s host=%s", hours,
                minutes, seconds, user_.c_str(), database_.c_str(), connection_.peer_host().c_str());
}

}  // namespace keel::tcop
