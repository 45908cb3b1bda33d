// Test-only: the client side of SCRAM-SHA-256, written straight from RFC 5802 with OpenSSL so
// the server's tests check it against an independent computation. Linked into tests only.
// See backend/protocol/auth/README.md ("Tests").
#pragma once

#include <string>
#include <string_view>

namespace keel::auth::testing {

class ScramTestClient {
 public:
  // `gs2_header` is "n,,", "y,," or "p=tls-server-end-point,,"; `cbind_data` is appended to
  // it in the final message's c= attribute (only meaningful with 'p').
  ScramTestClient(std::string password, std::string client_nonce, std::string gs2_header = "n,,",
                  std::string cbind_data = "");

  [[nodiscard]] std::string FirstMessage() const;  // gs2 header + "n=,r=<nonce>"
  // Computes the final message from the server-first message. Returns "" if it cannot parse it.
  [[nodiscard]] std::string FinalMessage(std::string_view server_first);
  // The expected server-final message ("v=..."), valid after FinalMessage().
  [[nodiscard]] const std::string& expected_server_final() const { return expected_final_; }
  [[nodiscard]] const std::string& client_proof_b64() const { return proof_b64_; }

  // Overrides the user name sent in n= (PostgreSQL ignores it; libpq sends "").
  void set_user(std::string user) { user_ = std::move(user); }

 private:
  std::string password_;
  std::string client_nonce_;
  std::string gs2_header_;
  std::string cbind_data_;
  std::string user_;
  std::string expected_final_;
  std::string proof_b64_;
};

}  // namespace keel::auth::testing
