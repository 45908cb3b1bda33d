// Builders for the server messages of the startup and authentication phases, and for errors
// and notices. Formats: backend/protocol/README.md ("Messages").
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "backend/protocol/message.h"
#include "backend/utils/error/error.h"

namespace keel::protocol {

// Authentication request codes carried by 'R' messages.
enum class AuthRequest : int32_t {
  kOk = 0,
  kCleartextPassword = 3,
  kMd5Password = 5,
  kSasl = 10,
  kSaslContinue = 11,
  kSaslFinal = 12,
};

// 'E' / 'N' with fields S, V, C, M and, when present, D, H, P.
[[nodiscard]] MessageBuilder ErrorResponse(const Error& error);
[[nodiscard]] MessageBuilder NoticeResponse(const Error& notice);

[[nodiscard]] MessageBuilder AuthenticationOk();
[[nodiscard]] MessageBuilder AuthenticationCleartextPassword();
// Requires: salt.size() == 4.
[[nodiscard]] MessageBuilder AuthenticationMd5Password(std::string_view salt);
// The mechanisms in order of preference, each NUL-terminated, then an empty name.
[[nodiscard]] MessageBuilder AuthenticationSasl(const std::vector<std::string>& mechanisms);
[[nodiscard]] MessageBuilder AuthenticationSaslContinue(std::string_view data);
[[nodiscard]] MessageBuilder AuthenticationSaslFinal(std::string_view data);

[[nodiscard]] MessageBuilder ParameterStatus(std::string_view name, std::string_view value);
[[nodiscard]] MessageBuilder BackendKeyData(int32_t pid, int32_t key);
// `status`: 'I' idle, 'T' in a transaction block, 'E' in a failed transaction block.
[[nodiscard]] MessageBuilder ReadyForQuery(char status);
[[nodiscard]] MessageBuilder EmptyQueryResponse();
[[nodiscard]] MessageBuilder NegotiateProtocolVersion(
    int32_t newest_minor, const std::vector<std::string>& unrecognized_options);

}  // namespace keel::protocol
