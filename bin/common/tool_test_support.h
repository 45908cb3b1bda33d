// Test helpers for the tools: run a built binary with a clean environment and collect its exit
// status and output; temporary directories. Used only by tests (bin/README.md, "Tests").
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace keel::tools::testing {

// Absolute path of a built tool: KEEL_BIN_DIR "/" name.
[[nodiscard]] std::string ToolPath(const std::string& name);

struct ToolResult {
  int exit_code = -1;      // the exit status; 128 + signal number when killed by a signal
  bool timed_out = false;  // killed after the time limit
  std::string out;         // everything written to stdout
  std::string err;         // everything written to stderr
};

// Environment changes for the child: name -> value, or nullopt to unset it.
using EnvChanges = std::vector<std::pair<std::string, std::optional<std::string>>>;

// Runs argv[0] (a path) with argv, stdin from /dev/null and stdout/stderr captured through
// temporary files (not pipes: a server the tool starts may keep inherited descriptors open
// for its whole life). KEELDATA is unset unless `env` sets it. Kills the child and reports
// timed_out after `timeout_s` seconds.
[[nodiscard]] ToolResult RunTool(const std::vector<std::string>& argv, const EnvChanges& env = {},
                                 int timeout_s = 60);

// A directory under $TMPDIR (or /tmp), removed with its contents on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  [[nodiscard]] const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// The whole file, or nullopt when it cannot be read.
[[nodiscard]] std::optional<std::string> ReadWholeFile(const std::string& path);
// Creates or replaces the file with `contents`; returns false on failure.
[[nodiscard]] bool WriteWholeFile(const std::string& path, const std::string& contents);

}  // namespace keel::tools::testing
