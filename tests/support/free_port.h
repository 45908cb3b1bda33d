// A TCP port for a test server. See tests/support/README.md.
#pragma once

namespace keel::testing {

// A TCP port on 127.0.0.1 nobody listens on at the moment of the call (bind to port 0, read
// the port the kernel chose, close), or 0 when no socket could be bound. Another process may
// take it before the caller binds it; tests accept that small race.
[[nodiscard]] int FreePort();

}  // namespace keel::testing
