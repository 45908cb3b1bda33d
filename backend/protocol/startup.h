// The first packet of a connection: SSLRequest, GSSENCRequest, CancelRequest or a
// StartupMessage with its parameters. See backend/protocol/README.md ("Startup").
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace keel::protocol {

inline constexpr int32_t kSslRequestCode = 80877103;     // 1234 << 16 | 5679
inline constexpr int32_t kGssEncRequestCode = 80877104;  // 1234 << 16 | 5680
inline constexpr int32_t kCancelRequestCode = 80877102;  // 1234 << 16 | 5678
inline constexpr int32_t kProtocol30 = 196608;           // 3 << 16 | 0
inline constexpr uint16_t kNewestMinorVersion = 0;

struct SslRequest {};
struct GssEncRequest {};
struct CancelRequest {
  int32_t pid;
  int32_t key;
};

struct StartupParams {
  uint16_t major = 0;
  uint16_t minor = 0;
  std::string user;
  std::string database;  // defaults to user (S3)
  std::string application_name;
  // From the "options" parameter: `-c name=value` and `--name=value` (S4).
  std::vector<std::pair<std::string, std::string>> options;
  // Other parameters, in packet order (client_encoding, DateStyle, application_name ...):
  // the caller applies them as session settings.
  std::vector<std::pair<std::string, std::string>> other;
  // "_pq_.*" parameters: reported back in NegotiateProtocolVersion (S2).
  std::vector<std::string> unrecognized_protocol_options;
  // The "replication" parameter as sent ("", "true", "database", ...), already validated.
  std::string replication;
};

using StartupPacket = std::variant<SslRequest, GssEncRequest, CancelRequest, StartupParams>;

// Parses a startup packet body (after the length word). Throws FATAL:
//  0A000 `unsupported frontend protocol %u.%u: server supports 3.0 to 3.0` (major != 3),
//  28000 `no PostgreSQL user name specified in startup packet`,
//  08P01 `invalid startup packet layout: expected terminator as last byte`,
//  08P01 `invalid length of startup packet` (a request code with the wrong body size),
//  22023 for a bad "replication" value, 42601 for a bad "options" switch.
// A minor version above 0 is accepted: the caller then sends NegotiateProtocolVersion with
// kNewestMinorVersion when `minor > 0` or unrecognized_protocol_options is non-empty (S2).
[[nodiscard]] StartupPacket ParseStartupPacket(std::string_view body);

// Splits the "options" value like a command line: whitespace separates words, a backslash
// makes the next character literal (so "\ " is a space inside a word).
[[nodiscard]] std::vector<std::string> SplitOptions(std::string_view options);

}  // namespace keel::protocol
