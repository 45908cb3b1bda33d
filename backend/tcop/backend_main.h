// A backend: the process forked for one client connection. It runs the startup and
// authentication exchange, then the command loop, then exits. See README.md (T1-T6).
#pragma once

#include <cstdint>

typedef struct ssl_ctx_st SSL_CTX;

namespace keel::auth {
class HbaFile;
}

namespace keel::tcop {

// Why the postmaster will not let this connection in; reported after the startup packet
// is read, as PostgreSQL does (T2).
enum class ConnectionRefusal : uint8_t {
  kNone,
  kStartingUp,      // 57P03 "the database system is starting up"
  kShuttingDown,    // 57P03 "the database system is shutting down"
  kRecovery,        // 57P03 "the database system is in recovery mode"
  kTooManyClients,  // 53300 "sorry, too many clients already"
};

// What the postmaster lends a backend. Both live in the postmaster's memory and reach the
// child as copies through fork(); nothing is shared after that.
struct BackendResources {
  const auth::HbaFile* hba = nullptr;
  SSL_CTX* ssl_ctx = nullptr;  // nullptr when ssl = off
};

// Runs the whole life of a backend on `client_fd` and leaves through ProcessExit: 0 after
// Terminate or a client that went away, 1 after a FATAL error.
// Requires: called in a freshly forked child set up by the postmaster (signal handlers,
// latch support, postmaster-death pipe).
[[noreturn]] void BackendMain(int client_fd, ConnectionRefusal refusal,
                              const BackendResources& resources);

}  // namespace keel::tcop
