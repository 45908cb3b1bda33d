// Runs a program to completion from a test, with a time limit and environment changes, and
// collects its exit status, stdout and stderr; locates the built Keel binaries.
// See tests/support/README.md (P1-P4).
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace keel::testing {

// Absolute path of a binary built into the build tree's bin/ (keel, keel-initdb, keel-ctl ...).
// The file need not exist.
[[nodiscard]] std::string KeelBinary(const std::string& name);

// Environment changes for the child: name -> value, or nullopt to unset it.
using EnvChanges = std::vector<std::pair<std::string, std::optional<std::string>>>;

struct ProgramResult {
  int exit_code = -1;      // exit status; 128 + signal number when killed by a signal (P2);
                           // -1 when no child could be started or its status was lost
  bool timed_out = false;  // killed with SIGKILL after the time limit (P3)
  std::string out;         // everything written to stdout
  std::string err;         // everything written to stderr

  // stdout followed by stderr, for searching both and for failure messages.
  [[nodiscard]] std::string Output() const { return out + err; }
};

// Runs argv[0] (a path, or a name looked up in PATH) with `argv`, stdin from /dev/null and
// stdout/stderr captured through unlinked temporary files — not pipes: a server the program
// starts in the background keeps the inherited descriptors for its whole life, and a pipe would
// never reach end-of-file (P1). KEELDATA and KEELCTLTIMEOUT are removed from the child's
// environment unless `env` sets them (P4), then `env` is applied. Kills the child and reports
// timed_out after `timeout_s` seconds.
// Requires: argv is not empty. Errors: an exec failure is exit code 127 with a line on err.
[[nodiscard]] ProgramResult RunProgram(const std::vector<std::string>& argv,
                                       const EnvChanges& env = {}, int timeout_s = 60);

}  // namespace keel::testing
