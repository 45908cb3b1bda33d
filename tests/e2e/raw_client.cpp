// Raw protocol client for tests; see raw_client.h.
#include "tests/e2e/raw_client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>

namespace keel::testing {
namespace {

using Clock = std::chrono::steady_clock;

// Waits until `fd` is readable or `deadline` passes, then receives up to `size` bytes into
// `buf`. Returns recv()'s result, or -1 with errno ETIMEDOUT when nothing became readable in
// time (at once when the deadline has passed, so callers' loops always end).
ssize_t RecvBefore(int fd, Clock::time_point deadline, char* buf, size_t size) {
  int left = static_cast<int>(
      std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count());
  pollfd pfd{fd, POLLIN, 0};
  if (left <= 0 || poll(&pfd, 1, left) <= 0) {
    errno = ETIMEDOUT;
    return -1;
  }
  return recv(fd, buf, size, 0);
}

}  // namespace

RawClient::RawClient(int port) {
  fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    close(fd_);
    fd_ = -1;
    return;
  }
  int one = 1;
  setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

RawClient::~RawClient() {
  if (fd_ >= 0) close(fd_);
}

bool RawClient::Send(const std::string& bytes) {
  size_t sent = 0;
  while (sent < bytes.size()) {
    ssize_t n = send(fd_, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    sent += static_cast<size_t>(n);
  }
  return true;
}

std::string RawClient::Read(size_t max, int timeout_ms) {
  if (!buffer_.empty()) {
    std::string out = buffer_.substr(0, max);
    buffer_.erase(0, out.size());
    return out;
  }
  char buf[8192];
  ssize_t n = RecvBefore(fd_, Clock::now() + std::chrono::milliseconds(timeout_ms), buf,
                         std::min(max, sizeof(buf)));
  if (n <= 0) return "";
  return std::string(buf, static_cast<size_t>(n));
}

std::optional<RawClient::Message> RawClient::ReadMessage(int timeout_ms) {
  auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
  auto fill = [&](size_t need) {
    while (buffer_.size() < need) {
      char buf[8192];
      ssize_t n = RecvBefore(fd_, deadline, buf, sizeof(buf));
      if (n <= 0) return false;
      buffer_.append(buf, static_cast<size_t>(n));
    }
    return true;
  };
  if (!fill(5)) return std::nullopt;
  uint32_t len = (static_cast<uint8_t>(buffer_[1]) << 24) | (static_cast<uint8_t>(buffer_[2]) << 16) |
                 (static_cast<uint8_t>(buffer_[3]) << 8) | static_cast<uint8_t>(buffer_[4]);
  if (len < 4 || !fill(1 + len)) return std::nullopt;
  Message m{buffer_[0], buffer_.substr(5, len - 4)};
  buffer_.erase(0, 1 + len);
  return m;
}

std::optional<RawClient::Message> RawClient::ReadUntil(char type, int timeout_ms) {
  for (;;) {
    auto m = ReadMessage(timeout_ms);
    if (!m || m->type == type) return m;
  }
}

bool RawClient::WaitClosed(int timeout_ms) {
  auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
  buffer_.clear();
  for (;;) {
    char buf[8192];
    ssize_t n = RecvBefore(fd_, deadline, buf, sizeof(buf));
    if (n == 0 || (n < 0 && errno == ECONNRESET)) return true;
    if (n < 0 && errno == ETIMEDOUT) return false;
  }
}

std::string RawClient::Int32(uint32_t v) {
  std::string s(4, '\0');
  s[0] = static_cast<char>(v >> 24);
  s[1] = static_cast<char>(v >> 16);
  s[2] = static_cast<char>(v >> 8);
  s[3] = static_cast<char>(v);
  return s;
}

std::string RawClient::Int16(uint16_t v) {
  return std::string{static_cast<char>(v >> 8), static_cast<char>(v)};
}

std::string RawClient::StartupPacket(const std::vector<std::pair<std::string, std::string>>& params,
                                     uint32_t version) {
  std::string body = Int32(version);
  for (const auto& [k, v] : params) {
    body += k;
    body += '\0';
    body += v;
    body += '\0';
  }
  body += '\0';
  return Int32(static_cast<uint32_t>(body.size() + 4)) + body;
}

std::string RawClient::Msg(char type, const std::string& body) {
  return std::string(1, type) + Int32(static_cast<uint32_t>(body.size() + 4)) + body;
}

std::map<char, std::string> RawClient::Fields(const std::string& body) {
  std::map<char, std::string> fields;
  size_t i = 0;
  while (i < body.size() && body[i] != '\0') {
    char code = body[i++];
    size_t end = body.find('\0', i);
    if (end == std::string::npos) break;
    fields[code] = body.substr(i, end - i);
    i = end + 1;
  }
  return fields;
}

}  // namespace keel::testing
