// What every tool needs besides messages: --help / --version, the data directory from -D, an
// argument or KEELDATA, the directory of the running executable (to find its sibling
// programs), the version line. See bin/README.md (T4, T5).
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
// Prints VersionLine(ProgramName()) and a newline on stdout. Requires: SetProgramName().
void PrintVersion();

// T4: `--help` or `-?` as the first argument prints the usage (`print_usage`), `--version` or
// `-V` PrintVersion(); either returns exit code 0. nullopt otherwise.
// Requires: SetProgramName() was called.
[[nodiscard]] std::optional<int> HandleHelpOrVersion(int argc, char** argv,
                                                     void (*print_usage)());

// T4: whether getopt_long's result `option` is a literal `-?` (getopt reports it as '?', as it
// does an unknown option). Requires: called right after getopt_long returned `option`.
[[nodiscard]] bool IsHelpOption(int option, char** argv);

// T5: after option parsing, takes the next non-option argument as the data directory when -D
// did not give one (as initdb and pg_controldata do). When arguments are left over, prints
// `too many command-line arguments (first is "...")` and the --help hint and returns false.
// Requires: getopt_long has returned -1 (uses optind).
[[nodiscard]] bool TakeDataDirArgument(int argc, char** argv, const char** data_dir_option);

// `path` made absolute against the current directory and lexically normalised (no trailing
// slash, no "." or ".." components); the path need not exist.
[[nodiscard]] std::string AbsolutePath(const std::string& path);

}  // namespace keel::tools
