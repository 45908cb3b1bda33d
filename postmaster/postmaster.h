// The postmaster: owns shared memory and the listening sockets, forks one backend per
// connection and the auxiliary processes, restarts everything after a child crashes, and
// carries out the three shutdown modes. Process rules: README.md here and DESIGN.md §1.
#pragma once

namespace keel::postmaster {

// What a program embedding the postmaster may change. The `keel` binary uses the defaults;
// test servers (tests/torture) replace the per-connection backend with their own.
struct ServerHooks {
  // Runs in the forked child for each accepted connection instead of the SQL backend; must
  // leave through ProcessExit. Connections the server refuses never reach it (M4).
  [[noreturn]] void (*backend_main)(int client_fd) = nullptr;
};

// `keel -D DIR [-p PORT] [-h ADDRESSES] [-k SOCKETDIRS] [-c name=value] [--name=value]`.
// Returns the process exit code (0 after a clean shutdown).
[[nodiscard]] int PostmasterMain(int argc, char** argv, const ServerHooks& hooks = {});

}  // namespace keel::postmaster
