// keel-initdb: creates a new data directory (layout, configuration files, control file,
// superuser password). Steps and invariants I1-I8: bin/README.md.
#pragma once

#include <string>

namespace keel::initdb {

struct InitdbOptions {
  std::string data_dir;     // -D / KEELDATA; required
  std::string superuser;    // -U; empty = the effective OS user
  std::string auth_local;   // --auth-local (or --auth); empty = default "trust" with a warning
  std::string auth_host;    // --auth-host (or --auth); same
  std::string pwfile;       // --pwfile; empty = no password
  bool sync = true;         // false with --no-sync
  bool data_checksums = true;
  bool print_instructions = true;  // false with --no-instructions
};

// Creates the cluster. Progress goes to stdout, errors to stderr ("keel-initdb: error: ...").
// On failure removes what it created (I7). Returns the process exit code: 0 or 1.
[[nodiscard]] int RunInitdb(const InitdbOptions& options);

}  // namespace keel::initdb
