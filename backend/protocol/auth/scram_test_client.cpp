// Test-only SCRAM client (RFC 5802 section 3). See scram_test_client.h.
#include "backend/protocol/auth/scram_test_client.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <cstdlib>
#include <vector>

namespace keel::auth::testing {
namespace {

std::string B64(std::string_view bytes) {
  std::vector<unsigned char> out(4 * ((bytes.size() + 2) / 3) + 1);
  int n = EVP_EncodeBlock(out.data(), reinterpret_cast<const unsigned char*>(bytes.data()),
                          static_cast<int>(bytes.size()));
  return std::string(reinterpret_cast<char*>(out.data()), static_cast<size_t>(n));
}

std::string Unb64(std::string_view text) {
  std::vector<unsigned char> out(text.size() + 4);
  int n = EVP_DecodeBlock(out.data(), reinterpret_cast<const unsigned char*>(text.data()),
                          static_cast<int>(text.size()));
  if (n < 0) return "";
  size_t len = static_cast<size_t>(n);
  // EVP_DecodeBlock counts padding as zero bytes.
  if (text.size() >= 1 && text[text.size() - 1] == '=') --len;
  if (text.size() >= 2 && text[text.size() - 2] == '=') --len;
  return std::string(reinterpret_cast<char*>(out.data()), len);
}

std::string HmacSha256(std::string_view key, std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), out, &len);
  return std::string(reinterpret_cast<char*>(out), len);
}

std::string Sha256(std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), out, &len, EVP_sha256(), nullptr);
  return std::string(reinterpret_cast<char*>(out), len);
}

// Hi() written out as in RFC 5802 rather than through PKCS5_PBKDF2_HMAC, so the server's use
// of PBKDF2 is checked against a separate computation.
std::string Hi(std::string_view password, std::string_view salt, int iterations) {
  std::string u = HmacSha256(password, std::string(salt) + std::string("\0\0\0\1", 4));
  std::string result = u;
  for (int i = 1; i < iterations; ++i) {
    u = HmacSha256(password, u);
    for (size_t j = 0; j < result.size(); ++j) result[j] = static_cast<char>(result[j] ^ u[j]);
  }
  return result;
}

}  // namespace

ScramTestClient::ScramTestClient(std::string password, std::string client_nonce,
                                 std::string gs2_header, std::string cbind_data)
    : password_(std::move(password)),
      client_nonce_(std::move(client_nonce)),
      gs2_header_(std::move(gs2_header)),
      cbind_data_(std::move(cbind_data)) {}

std::string ScramTestClient::FirstMessage() const {
  return gs2_header_ + "n=" + user_ + ",r=" + client_nonce_;
}

std::string ScramTestClient::FinalMessage(std::string_view server_first) {
  // r=<nonce>,s=<salt>,i=<iterations>
  std::string nonce, salt_b64;
  int iterations = 0;
  size_t pos = 0;
  std::string text(server_first);
  while (pos < text.size()) {
    size_t end = text.find(',', pos);
    if (end == std::string::npos) end = text.size();
    std::string attr = text.substr(pos, end - pos);
    if (attr.size() >= 2 && attr[1] == '=') {
      if (attr[0] == 'r') nonce = attr.substr(2);
      if (attr[0] == 's') salt_b64 = attr.substr(2);
      if (attr[0] == 'i') iterations = std::atoi(attr.c_str() + 2);
    }
    pos = end + 1;
  }
  if (nonce.empty() || salt_b64.empty() || iterations <= 0) return "";
  std::string salted = Hi(password_, Unb64(salt_b64), iterations);
  std::string client_key = HmacSha256(salted, "Client Key");
  std::string stored_key = Sha256(client_key);
  std::string server_key = HmacSha256(salted, "Server Key");
  std::string without_proof = "c=" + B64(gs2_header_ + cbind_data_) + ",r=" + nonce;
  std::string client_first_bare = "n=" + user_ + ",r=" + client_nonce_;
  std::string auth_message =
      client_first_bare + "," + std::string(server_first) + "," + without_proof;
  std::string signature = HmacSha256(stored_key, auth_message);
  std::string proof = client_key;
  for (size_t i = 0; i < proof.size(); ++i) proof[i] = static_cast<char>(proof[i] ^ signature[i]);
  proof_b64_ = B64(proof);
  expected_final_ = "v=" + B64(HmacSha256(server_key, auth_message));
  return without_proof + ",p=" + proof_b64_;
}

}  // namespace keel::auth::testing
