// MD5 password hashes and the md5 challenge check. See backend/protocol/auth/README.md.
#include "backend/protocol/auth/md5.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "backend/utils/error/error.h"

namespace keel::auth {

std::string Md5Hex(std::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int digest_len = 0;
  if (EVP_Digest(data.data(), data.size(), digest, &digest_len, EVP_md5(), nullptr) != 1 ||
      digest_len != 16) {
    // MD5 is unavailable only under a FIPS-restricted OpenSSL; nothing sensible to do.
    throw FatalError(sqlstate::kInternalError, "could not compute MD5 hash");
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(32, '0');
  for (unsigned int i = 0; i < 16; ++i) {
    out[2 * i] = kHex[digest[i] >> 4];
    out[2 * i + 1] = kHex[digest[i] & 15];
  }
  return out;
}

std::string Md5PasswordHash(std::string_view password, std::string_view user) {
  std::string input;
  input.reserve(password.size() + user.size());
  input.append(password).append(user);
  std::string out = "md5" + Md5Hex(input);
  OPENSSL_cleanse(input.data(), input.size());
  return out;
}

bool IsMd5Hash(std::string_view secret) {
  if (secret.size() != 35 || secret.substr(0, 3) != "md5") return false;
  for (char c : secret.substr(3)) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

std::string Md5SaltedResponse(std::string_view md5_hash, const Md5Salt& salt) {
  KEEL_ASSERT(IsMd5Hash(md5_hash));
  std::string input(md5_hash.substr(3));
  input.append(reinterpret_cast<const char*>(salt.data()), salt.size());
  return "md5" + Md5Hex(input);
}

bool Md5CheckResponse(std::string_view md5_hash, const Md5Salt& salt, std::string_view response) {
  if (!IsMd5Hash(md5_hash) || response.size() != 35) return false;
  std::string expected = Md5SaltedResponse(md5_hash, salt);
  return CRYPTO_memcmp(expected.data(), response.data(), expected.size()) == 0;
}

}  // namespace keel::auth
