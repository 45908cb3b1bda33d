// Polling with a deadline; see wait_until.h.
#include "tests/support/wait_until.h"

#include <chrono>
#include <thread>

namespace keel::testing {

bool WaitUntil(const std::function<bool()>& condition, int timeout_s, int poll_ms) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_s);
  while (std::chrono::steady_clock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(poll_ms));
  }
  return condition();  // P6: a condition that became true during the last sleep still counts
}

}  // namespace keel::testing
