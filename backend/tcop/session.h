// The state of one client session in a backend, shared by the startup exchange and the
// command loop. Internal to backend/tcop.
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "backend/protocol/connection.h"
#include "backend/tcop/backend_main.h"
#include "storage/common/ids.h"

namespace keel::storage {
struct ProcSlot;
}

namespace keel::tcop {

struct LoginCatalogs;
struct DatabaseEntry;

class Session {
 public:
  Session(int client_fd, const BackendResources& resources);

  // Startup packet, TLS, cancel requests, refusals, authentication, proc slot, and the
  // messages up to (not including) the first ReadyForQuery. Throws FATAL on failure.
  void Start(ConnectionRefusal refusal);
  // Reads and answers messages until Terminate (returns) or a FATAL error (throws).
  void RunCommandLoop();

  [[nodiscard]] protocol::ClientConnection& connection() { return connection_; }
  // PostgreSQL's log_disconnections line; empty when the session never got established.
  [[nodiscard]] std::string DisconnectionLogLine() const;

 private:
  // The WaitFn of the connection: sleeps on the latch and the socket, acts on interrupts,
  // enforces authentication_timeout until the session is established.
  void WaitForSocket(int fd, bool for_write);
  void HandleSimpleQuery(const std::string& body);
  // pg_stat_activity (T10): the idle state matching the transaction state, before
  // ReadyForQuery.
  void ReportIdle();
  // After authentication: the role and database checks with PostgreSQL's FATALs (28000, 53300,
  // 3D000, 55000), then this backend's database and role (session globals, proc slot,
  // invalidation database). Returns whether the role is a superuser.
  bool CheckLogin(storage::ProcSlot* slot, const LoginCatalogs& login);
  // T11: the database's lock for the login, this backend's ids in the proc slot, and the
  // pg_database row read again under the lock (FATAL 3D000 when it went meanwhile).
  [[nodiscard]] DatabaseEntry LockMyDatabase(storage::ProcSlot* slot, const DatabaseEntry& db,
                                             Oid role);

  protocol::ClientConnection connection_;
  BackendResources resources_;
  std::optional<std::chrono::steady_clock::time_point> auth_deadline_;
  std::string user_;
  std::string database_;
  bool startup_packet_seen_ = false;
  std::optional<std::chrono::steady_clock::time_point> established_at_;
  storage::ProcSlot* slot_ = nullptr;  // this backend's proc slot, once acquired
  bool reading_command_ = false;       // waiting for the next command message (T7)
};

}  // namespace keel::tcop
