// Polling with a deadline, for tests that wait on another process. See tests/support/README.md
// (P6).
#pragma once

#include <functional>

namespace keel::testing {

// Calls `condition` every `poll_ms` milliseconds until it returns true (then true) or
// `timeout_s` seconds have passed; then calls it once more and returns that result (P6).
[[nodiscard]] bool WaitUntil(const std::function<bool()>& condition, int timeout_s = 20,
                             int poll_ms = 20);

}  // namespace keel::testing
