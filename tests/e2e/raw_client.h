// A raw PostgreSQL-protocol client for tests that must send what libpq never would:
// malformed messages, odd versions, random bytes. See tests/README.md.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace keel::testing {

class RawClient {
 public:
  // Connects to 127.0.0.1:port; `ok()` says whether it worked.
  explicit RawClient(int port);
  ~RawClient();
  RawClient(const RawClient&) = delete;
  RawClient& operator=(const RawClient&) = delete;

  [[nodiscard]] bool ok() const { return fd_ >= 0; }
  // Sends everything; false if the server closed the connection.
  bool Send(const std::string& bytes);
  // Up to `max` bytes within `timeout_ms`; empty at EOF or timeout.
  [[nodiscard]] std::string Read(size_t max, int timeout_ms);
  struct Message {
    char type;
    std::string body;
  };
  // One server message, or nullopt at EOF / timeout.
  [[nodiscard]] std::optional<Message> ReadMessage(int timeout_ms = 10000);
  // Reads messages until one of `type` arrives (returned) or EOF/timeout (nullopt).
  [[nodiscard]] std::optional<Message> ReadUntil(char type, int timeout_ms = 10000);
  // True when the server closes the connection within `timeout_ms` (data before EOF is skipped).
  [[nodiscard]] bool WaitClosed(int timeout_ms);

  [[nodiscard]] static std::string Int32(uint32_t value);
  [[nodiscard]] static std::string Int16(uint16_t value);
  [[nodiscard]] static std::string StartupPacket(
      const std::vector<std::pair<std::string, std::string>>& params, uint32_t version = 196608);
  [[nodiscard]] static std::string Msg(char type, const std::string& body);
  // 'S','C','M',... fields of an ErrorResponse / NoticeResponse body.
  [[nodiscard]] static std::map<char, std::string> Fields(const std::string& body);

 private:
  int fd_ = -1;
  std::string buffer_;
};

}  // namespace keel::testing
