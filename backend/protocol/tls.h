// The server's TLS configuration (certificate, key, optional client CA) as an owned SSL_CTX,
// and the channel-binding hash of the server certificate. See backend/protocol/README.md ("TLS").
#pragma once

#include <string>

struct ssl_st;
struct ssl_ctx_st;

namespace keel::protocol {

// Move-only owner of an SSL_CTX. Load it in the postmaster before forking so every backend
// inherits it (T1).
class TlsContext {
 public:
  // Loads the certificate chain and the private key, and `ca_file` (may be empty) for client
  // certificates. TLS 1.2 is the minimum (T2). Throws FATAL F0000 with PostgreSQL's texts:
  // `could not load server certificate file "%s": %s`, `could not load private key file
  // "%s": %s`, `private key file "%s" has group or world access` (T3), `could not access
  // private key file "%s": %m`, `check of private key failed: %s`,
  // `could not load root certificate file "%s": %s`.
  [[nodiscard]] static TlsContext Load(const std::string& cert_file, const std::string& key_file,
                                       const std::string& ca_file);

  TlsContext() = default;
  ~TlsContext();
  TlsContext(TlsContext&& other) noexcept;
  TlsContext& operator=(TlsContext&& other) noexcept;
  TlsContext(const TlsContext&) = delete;
  TlsContext& operator=(const TlsContext&) = delete;

  // Borrowed; valid while this object lives.
  [[nodiscard]] ssl_ctx_st* get() const { return ctx_; }
  [[nodiscard]] explicit operator bool() const { return ctx_ != nullptr; }

 private:
  explicit TlsContext(ssl_ctx_st* ctx) : ctx_(ctx) {}

  ssl_ctx_st* ctx_ = nullptr;
};

// tls-server-end-point channel-binding data (RFC 5929): the hash of the server's own
// certificate with its signature's digest, SHA-256 when that is MD5 or SHA-1. Empty when it
// cannot be computed (then SCRAM-SHA-256-PLUS is not offered).
[[nodiscard]] std::string TlsServerEndPointHash(ssl_st* ssl);

}  // namespace keel::protocol
