// The server's command line, data-directory checks and postmaster.opts. See README.md.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace keel::postmaster {

struct ServerOptions {
  std::string data_dir;               // -D, or $KEELDATA
  std::vector<std::string> settings;  // "name=value" from -c, --name=value, -p, -h, -k
  std::vector<std::string> argv;      // as given, for postmaster.opts
  bool exit_after_parse = false;      // --help / --version were answered
};

// Parses `keel` arguments. Prints usage errors to stderr and returns nullopt on bad input.
[[nodiscard]] std::optional<ServerOptions> ParseServerOptions(int argc, char** argv);

// Checks the data directory as PostgreSQL does (exists, is ours, mode 0700 or 0750, has
// KEEL_VERSION) and returns its absolute path. Throws FATAL with PostgreSQL's messages.
[[nodiscard]] std::string ValidateDataDirectory(const std::string& data_dir);

// Writes `<data_dir>/postmaster.opts`: the binary, then each argument double-quoted.
void WriteOptionsFile(const std::string& data_dir, const ServerOptions& options);

}  // namespace keel::postmaster
