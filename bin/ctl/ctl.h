// keel-ctl's operations: init, start, stop, restart, reload, status. Exit codes and messages
// follow pg_ctl; see bin/README.md (C1-C8).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace keel::ctl {

enum class ShutdownMode : uint8_t { kSmart, kFast, kImmediate };

// Exit codes, as pg_ctl's.
inline constexpr int kExitOk = 0;
inline constexpr int kExitError = 1;
inline constexpr int kExitNotRunning = 3;  // status: no server running
inline constexpr int kExitNoDataDir = 4;   // status: no such (cluster) directory

struct CtlOptions {
  std::string data_dir;                       // -D or KEELDATA, made absolute
  ShutdownMode mode = ShutdownMode::kFast;
  std::string log_file;                       // -l; empty = the server inherits our output
  bool wait = true;                           // -w (default) / -W
  int timeout_s = 60;                         // -t, or $KEELCTLTIMEOUT
  std::optional<std::string> server_options;  // -o, all of them joined by spaces
  bool silent = false;                        // -s
  std::string server_path;                    // -p, else "keel" beside keel-ctl
  std::string initdb_path;                    // "keel-initdb" beside keel-ctl
};

// Each returns the process exit code.
[[nodiscard]] int DoInit(const CtlOptions& options);
[[nodiscard]] int DoStart(const CtlOptions& options);
[[nodiscard]] int DoStop(const CtlOptions& options);
[[nodiscard]] int DoRestart(const CtlOptions& options);
[[nodiscard]] int DoReload(const CtlOptions& options);
[[nodiscard]] int DoStatus(const CtlOptions& options);

}  // namespace keel::ctl
