// What every tool needs besides messages: the data directory from -D or KEELDATA, the
// directory of the running executable (to find its sibling programs), the version line.
// See bin/README.md.
#pragma once

#include <optional>
#include <string>

namespace keel::tools {

// `option_value` when given and non-empty, else $KEELDATA when set and non-empty.
[[nodiscard]] std::optional<std::string> DataDirFromOptionOrEnv(const char* option_value);

// Absolute directory holding the running executable (/proc/self/exe), without a trailing
// slash. Empty when /proc is unavailable.
[[nodiscard]] std::string SelfExecutableDir();

// "<prog> (Keel) <version>", the --version line of every tool.
[[nodiscard]] std::string VersionLine(const char* program_name);

// `path` made absolute against the current directory and lexically normalised (no trailing
// slash, no "." or ".." components); the path need not exist.
[[nodiscard]] std::string AbsolutePath(const std::string& path);

}  // namespace keel::tools
