// Standard base64 (RFC 4648, with padding) as SCRAM messages and verifiers use it.
// See backend/protocol/auth/README.md.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace keel::auth {

[[nodiscard]] std::string Base64Encode(std::string_view bytes);

// Strict decoding: only the 64 letters, '=' padding to a multiple of four characters, no
// whitespace. Returns nullopt for anything else (callers turn that into their own error).
[[nodiscard]] std::optional<std::string> Base64Decode(std::string_view text);

}  // namespace keel::auth
