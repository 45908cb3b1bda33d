// Helpers for the transaction tests: a pipe carrying 64-bit values between forked processes
// (with a timeout, so a broken peer fails the test instead of hanging it), and polling.
#pragma once

#include <poll.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <optional>

namespace keel::transam::testing {

class ValuePipe {
 public:
  ValuePipe() {
    if (pipe(fds_) != 0) fds_[0] = fds_[1] = -1;
  }
  ~ValuePipe() {
    close(fds_[0]);
    close(fds_[1]);
  }
  ValuePipe(const ValuePipe&) = delete;
  ValuePipe& operator=(const ValuePipe&) = delete;

  bool Send(uint64_t value) const {
    return write(fds_[1], &value, sizeof(value)) == static_cast<ssize_t>(sizeof(value));
  }
  // The next value, or nullopt after `timeout_ms` (or on error).
  std::optional<uint64_t> Receive(int timeout_ms = 30'000) const {
    uint64_t value = 0;
    size_t got = 0;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    while (got < sizeof(value)) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now()).count();
      if (left <= 0) return std::nullopt;
      pollfd pfd{fds_[0], POLLIN, 0};
      if (poll(&pfd, 1, static_cast<int>(left)) <= 0) continue;
      const ssize_t n = read(fds_[0], reinterpret_cast<char*>(&value) + got, sizeof(value) - got);
      if (n <= 0) return std::nullopt;
      got += static_cast<size_t>(n);
    }
    return value;
  }

 private:
  int fds_[2];
};

// Polls `cond` every 10 ms for up to 20 s; whether it became true.
template <typename Fn>
bool Eventually(Fn&& cond) {
  for (int i = 0; i < 2000; ++i) {
    if (cond()) return true;
    usleep(10'000);
  }
  return false;
}

}  // namespace keel::transam::testing
