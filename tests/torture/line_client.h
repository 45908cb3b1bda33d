// The client side of the torture tests' line protocol, and helpers both torture tests use to
// wait for a server. See tests/README.md.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <optional>
#include <string>

#include "tests/support/wait_until.h"

namespace keel::torture {

// A line-protocol connection to keel-torture-server.
class Client {
 public:
  explicit Client(int port) {
    fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
      close(fd_);
      fd_ = -1;
    }
    int one = 1;
    if (fd_ >= 0) setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  }
  ~Client() {
    if (fd_ >= 0) close(fd_);
  }
  [[nodiscard]] bool ok() const { return fd_ >= 0; }
  // The reply line, or nullopt when the connection failed or timed out.
  std::optional<std::string> Call(const std::string& line, int timeout_ms = 60000) {
    if (fd_ < 0) return std::nullopt;
    std::string out = line + "\n";
    if (send(fd_, out.data(), out.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(out.size())) {
      return std::nullopt;
    }
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    for (;;) {
      size_t nl = buffer_.find('\n');
      if (nl != std::string::npos) {
        std::string reply = buffer_.substr(0, nl);
        buffer_.erase(0, nl + 1);
        return reply;
      }
      int left = static_cast<int>(
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()).count());
      if (left <= 0) return std::nullopt;
      pollfd pfd{fd_, POLLIN, 0};
      if (poll(&pfd, 1, left) <= 0) continue;
      char chunk[65536];
      ssize_t n = recv(fd_, chunk, sizeof(chunk), 0);
      if (n <= 0) return std::nullopt;
      buffer_.append(chunk, static_cast<size_t>(n));
    }
  }

 private:
  int fd_ = -1;
  std::string buffer_;
};

inline bool WaitUntilServing(int port, int timeout_s) {
  return testing::WaitUntil(
      [port] {
        Client client(port);
        return client.ok() && client.Call("PING", 5000) == std::optional<std::string>("PONG");
      },
      timeout_s, /*poll_ms=*/50);
}

inline // True once `pid` has exited (reaping it if it is our child).
bool WaitGone(pid_t pid, int timeout_s) {
  return testing::WaitUntil(
      [pid] {
        waitpid(pid, nullptr, WNOHANG);
        return kill(pid, 0) != 0 && errno == ESRCH;
      },
      timeout_s);
}

}  // namespace keel::torture
