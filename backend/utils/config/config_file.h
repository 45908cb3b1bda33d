// Parser for keel.conf (PostgreSQL's postgresql.conf syntax) and the files it includes.
// Module-internal: the loader in config_load.cpp applies what it returns. Syntax: README.md here.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "backend/utils/error/error.h"

namespace keel::config {

// One `name = value` line, in file order; the value is unquoted and unescaped.
struct ConfigEntry {
  std::string name;
  std::string value;
  std::string file;  // absolute path of the file the line is in
  int line = 0;
};

// An error found while reading: syntax, unreadable or missing files, nesting depth.
struct ConfigFileError {
  Error error;
  std::string file;  // the file the error belongs to (for an include: the including file)
  int line = 0;
};

struct ParsedConfig {
  std::vector<ConfigEntry> entries;
  std::vector<ConfigFileError> errors;
};

// Include files may nest this deep below the top-level file (C9).
inline constexpr int kMaxConfigFileDepth = 10;

// Reads `path` (made absolute against the working directory) and, in place, every file it
// includes. Never throws for problems in the files: they are returned in `errors`, and
// parsing goes on with the next line.
[[nodiscard]] ParsedConfig ParseConfigFile(const std::string& path);

// Parses `text` as the contents of the file `path` at include depth `depth`, appending to `out`.
void ParseConfigText(std::string_view text, const std::string& path, int depth,
                     ParsedConfig* out);

// `path` made absolute relative to the folder of `relative_to` (a file), or to the working
// directory when `relative_to` is empty.
[[nodiscard]] std::string AbsoluteConfigPath(const std::string& path,
                                             const std::string& relative_to);

}  // namespace keel::config
