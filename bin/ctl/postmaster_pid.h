// Reading DIR/postmaster.pid as keel-ctl needs it, and telling whether the process it names is
// alive. The file is written by the postmaster (postmaster/pid_file.h); its line layout is
// PostgreSQL's and is listed in bin/README.md (C1-C3).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace keel::ctl {

// 1-based line numbers in postmaster.pid.
inline constexpr int kPidLinePid = 1;
inline constexpr int kPidLineDataDir = 2;
inline constexpr int kPidLineStartTime = 3;
inline constexpr int kPidLinePort = 4;
inline constexpr int kPidLineSocketDir = 5;
inline constexpr int kPidLineListenAddress = 6;
inline constexpr int kPidLineShmemKey = 7;
inline constexpr int kPidLineStatus = 8;

struct PostmasterPid {
  pid_t pid = 0;
  std::vector<std::string> lines;  // every line, without its '\n'

  // Line `n` (1-based), or "" when the file has fewer lines.
  [[nodiscard]] std::string_view Line(int n) const;
  // Line 8 says "ready" or "standby": the server accepts connections.
  [[nodiscard]] bool IsReady() const;
};

enum class PidFileRead : uint8_t {
  kOk,
  kMissing,     // no such file: no server (or it has not written the file yet)
  kUnreadable,  // open/read failed with another errno
  kEmpty,       // zero bytes
  kInvalid,     // line 1 is not a positive integer
};

// Reads `path`. On kUnreadable, *saved_errno holds the errno; `out` is filled only on kOk.
[[nodiscard]] PidFileRead ReadPostmasterPid(const std::string& path, PostmasterPid* out,
                                            int* saved_errno);

// True when a process with this pid exists and is not a zombie (C2). Never true for this
// process or its parent: a stale file can name a pid that has since been reused by them.
[[nodiscard]] bool ProcessIsAlive(pid_t pid);

}  // namespace keel::ctl
