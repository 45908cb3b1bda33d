// The text of the configuration files keel-initdb writes: keel.conf (a commented sample with
// the settings a fresh cluster needs made active) and keel_hba.conf. See bin/README.md (I5, I6).
#pragma once

#include <string>
#include <string_view>

namespace keel::initdb {

// Authentication methods keel-initdb accepts for --auth, --auth-local and --auth-host.
// `local` selects the set valid for Unix-socket ("local") lines, which adds "peer".
[[nodiscard]] bool IsValidAuthMethod(std::string_view method, bool local);
// md5, password and scram-sha-256: the ones that need the superuser to have a password.
[[nodiscard]] bool IsPasswordAuthMethod(std::string_view method);

// keel.conf with listen_addresses, port, max_connections, shared_buffers,
// unix_socket_directories and log_min_messages active, everything else commented out at its
// default.
[[nodiscard]] std::string KeelConfText();

// keel_hba.conf: an explanation of the format, then one "local" line with `local_method` and
// IPv4 and IPv6 loopback "host" lines with `host_method`.
[[nodiscard]] std::string HbaConfText(std::string_view local_method, std::string_view host_method);

}  // namespace keel::initdb
