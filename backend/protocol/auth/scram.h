// SCRAM-SHA-256 (RFC 5802 / RFC 7677) as PostgreSQL uses it: stored verifiers and the server
// side of the exchange, with tls-server-end-point channel binding (-PLUS).
// See backend/protocol/auth/README.md ("SCRAM").
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "backend/protocol/auth/md5.h"  // Md5PasswordHash, the other kind of stored secret

namespace keel::auth {

inline constexpr int kScramDefaultIterations = 4096;
inline constexpr size_t kScramKeyLength = 32;   // SHA-256 digest
inline constexpr size_t kScramSaltLength = 16;  // what PostgreSQL generates
inline constexpr size_t kScramNonceBytes = 18;  // random bytes behind the server nonce
inline constexpr std::string_view kScramSha256 = "SCRAM-SHA-256";
inline constexpr std::string_view kScramSha256Plus = "SCRAM-SHA-256-PLUS";
inline constexpr std::string_view kScramChannelBindingType = "tls-server-end-point";

using ScramKey = std::array<uint8_t, kScramKeyLength>;

// A parsed stored verifier. `salt` holds raw bytes (not base64).
struct ScramVerifier {
  int iterations = 0;
  std::string salt;
  ScramKey stored_key{};
  ScramKey server_key{};
};

// Builds "SCRAM-SHA-256$<iterations>:<salt b64>$<StoredKey b64>:<ServerKey b64>" with a fresh
// random 16-byte salt. The password is used byte for byte (no SASLprep; see README A5).
// Requires: iterations >= 1. Throws FATAL XX000 if OpenSSL fails.
[[nodiscard]] std::string ScramBuildVerifier(std::string_view password,
                                             int iterations = kScramDefaultIterations);
// Same with a given salt (raw bytes); deterministic, for tests and known-answer checks.
[[nodiscard]] std::string ScramBuildVerifierWithSalt(std::string_view password,
                                                     std::string_view salt, int iterations);

// Parses a stored secret; nullopt when it is not a well-formed SCRAM-SHA-256 verifier.
[[nodiscard]] std::optional<ScramVerifier> ScramParseVerifier(std::string_view secret);
[[nodiscard]] inline bool IsScramVerifier(std::string_view secret) {
  return ScramParseVerifier(secret).has_value();
}

// Checks a cleartext password against a verifier (method `password` with a SCRAM secret).
[[nodiscard]] bool ScramVerifyPlainPassword(std::string_view password,
                                            const ScramVerifier& verifier);

// The secret that salts mock verifiers for unknown users (README A7). Every backend must see
// the same value so that repeated attempts for one unknown user get the same salt: the
// postmaster calls this once before forking (e.g. with bytes from the control file).
// Without a call, a random per-process value is used.
void SetScramMockNonce(std::string_view nonce);

// The connection's channel-binding state, fixed before the exchange starts.
struct ScramChannelBinding {
  // True on a TLS connection whose certificate hash is known: the server offers
  // SCRAM-SHA-256-PLUS, and a client flag 'y' ("I could bind but you cannot") is an error.
  bool offered = false;
  // tls-server-end-point data: the hash of the server certificate (README A4).
  std::string cert_hash;
};

// The server side of one SCRAM exchange. Not thread-safe; one per authentication attempt.
// Messages that break the SCRAM grammar throw keel::Error (FATAL, PostgreSQL's codes and texts,
// README A3). A well-formed exchange with a wrong proof, or run against a mock verifier, ends
// with ProcessClientFinal returning nullopt; failure_detail() then says why (for the log only).
class ScramServer {
 public:
  struct Options {
    // The server part of the nonce; empty = kScramNonceBytes random bytes, base64. Tests set it
    // to replay known exchanges. Must be printable ASCII without ','.
    std::string server_nonce;
  };

  // `mechanism` is the one the client selected (kScramSha256 or kScramSha256Plus; the caller
  // has checked it was offered). `secret` is the user's stored secret, or nullopt for an unknown
  // user; a missing or non-SCRAM secret runs the exchange against a mock verifier (README A7).
  ScramServer(std::string_view mechanism, std::string_view user,
              std::optional<std::string_view> secret, ScramChannelBinding channel_binding,
              Options options);
  ScramServer(std::string_view mechanism, std::string_view user,
              std::optional<std::string_view> secret, ScramChannelBinding channel_binding)
      : ScramServer(mechanism, user, secret, std::move(channel_binding), Options{}) {}

  // client-first-message -> server-first-message.
  // Requires: called once, first. Throws FATAL 08P01/0A000 on a malformed message.
  [[nodiscard]] std::string ProcessClientFirst(std::string_view message);

  // client-final-message -> server-final-message ("v=<ServerSignature>") on success,
  // nullopt on authentication failure. Throws FATAL 08P01 on a malformed message.
  // Requires: ProcessClientFirst succeeded.
  [[nodiscard]] std::optional<std::string> ProcessClientFinal(std::string_view message);

  // Why the exchange failed (PostgreSQL's log DETAIL), empty when it did not.
  [[nodiscard]] const std::string& failure_detail() const { return failure_detail_; }

 private:
  enum class State : uint8_t { kInit, kSentServerFirst, kFinished };

  State state_ = State::kInit;
  bool use_plus_;  // the client selected SCRAM-SHA-256-PLUS
  ScramChannelBinding channel_binding_;
  ScramVerifier verifier_;
  bool doomed_ = false;  // mock verifier: fail at the end whatever the proof
  std::string doomed_detail_;
  std::string user_;
  std::string server_nonce_part_;
  // Kept from the client-first message for the channel-binding and proof checks.
  std::string gs2_header_;  // "n,," / "y,," / "p=tls-server-end-point,,"
  std::string client_first_bare_;
  std::string server_first_;
  std::string nonce_;  // client nonce + server nonce
  std::string failure_detail_;
};

}  // namespace keel::auth
