// MD5 password hashes ("md5" + md5hex(password + user)) and the md5 challenge check.
// See backend/protocol/auth/README.md ("md5").
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace keel::auth {

inline constexpr size_t kMd5SaltLength = 4;
using Md5Salt = std::array<uint8_t, kMd5SaltLength>;

// 32 lower-case hex digits of the MD5 digest of `data`.
[[nodiscard]] std::string Md5Hex(std::string_view data);

// PostgreSQL's stored md5 secret: "md5" + md5hex(password + user) (35 characters).
[[nodiscard]] std::string Md5PasswordHash(std::string_view password, std::string_view user);

// True when `secret` has the form of an md5 hash ("md5" + 32 lower-case hex digits).
[[nodiscard]] bool IsMd5Hash(std::string_view secret);

// What a client answers to AuthenticationMD5Password(salt) when the stored secret is
// `md5_hash`: "md5" + md5hex(md5_hash without its "md5" prefix + salt).
// Requires: IsMd5Hash(md5_hash).
[[nodiscard]] std::string Md5SaltedResponse(std::string_view md5_hash, const Md5Salt& salt);

// Checks a client's md5 response against the stored md5 hash (constant-time compare).
// Returns false for a malformed response or a stored secret that is not an md5 hash.
[[nodiscard]] bool Md5CheckResponse(std::string_view md5_hash, const Md5Salt& salt,
                                    std::string_view response);

}  // namespace keel::auth
