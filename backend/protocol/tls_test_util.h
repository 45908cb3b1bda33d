// Test-only: self-signed certificates made with the OpenSSL API, and a blocking TLS client, for
// the TLS and authentication tests. Linked into tests only. See backend/protocol/README.md.
#pragma once

#include <string>

struct ssl_st;
struct ssl_ctx_st;

namespace keel::protocol::testing {

// A P-256 key and a self-signed certificate in a fresh temporary directory (key mode 0600).
// `digest` names the signature hash ("SHA256", "SHA1", "SHA384"). Removes the directory when
// destroyed.
class TestCertificate {
 public:
  explicit TestCertificate(const char* digest = "SHA256");
  ~TestCertificate();
  TestCertificate(const TestCertificate&) = delete;
  TestCertificate& operator=(const TestCertificate&) = delete;

  [[nodiscard]] const std::string& dir() const { return dir_; }
  [[nodiscard]] const std::string& cert_file() const { return cert_file_; }
  [[nodiscard]] const std::string& key_file() const { return key_file_; }
  [[nodiscard]] const std::string& cert_der() const { return cert_der_; }

 private:
  std::string dir_;
  std::string cert_file_;
  std::string key_file_;
  std::string cert_der_;
};

// A blocking TLS client on `fd` (which it does not own). Does not verify the server.
class TlsTestClient {
 public:
  // `max_version` 0 = no maximum; e.g. TLS1_1_VERSION to test the server's minimum.
  explicit TlsTestClient(int fd, int max_version = 0);
  ~TlsTestClient();
  TlsTestClient(const TlsTestClient&) = delete;
  TlsTestClient& operator=(const TlsTestClient&) = delete;

  [[nodiscard]] bool Handshake();
  [[nodiscard]] bool WriteAll(const std::string& data);
  // Reads exactly `count` bytes; false at EOF or error.
  [[nodiscard]] bool ReadExactly(size_t count, std::string* out);
  // SHA-256 of the server certificate's DER (the channel binding a client computes).
  [[nodiscard]] std::string ServerCertSha256() const;
  [[nodiscard]] ssl_st* ssl() const { return ssl_; }

 private:
  ssl_ctx_st* ctx_ = nullptr;
  ssl_st* ssl_ = nullptr;
};

}  // namespace keel::protocol::testing
