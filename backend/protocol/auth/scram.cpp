// SCRAM-SHA-256 verifiers and the server side of the exchange.
// See backend/protocol/auth/README.md ("SCRAM", invariants A1-A7).
#include "backend/protocol/auth/scram.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <cerrno>
#include <cstdlib>

#include "backend/protocol/auth/base64.h"
#include "backend/utils/error/error.h"
#include "backend/utils/error/format.h"
#include "backend/utils/error/log.h"

namespace keel::auth {
namespace {

constexpr std::string_view kVerifierScheme = "SCRAM-SHA-256";

[[noreturn]] void ThrowCryptoFailure(const char* what) {
  throw FatalError(sqlstate::kInternalError, Format("could not %s", what));
}

std::string_view AsChars(const ScramKey& key) {
  return {reinterpret_cast<const char*>(key.data()), key.size()};
}

ScramKey Hmac(std::string_view key, std::string_view data) {
  ScramKey out{};
  unsigned int out_len = 0;
  if (HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
           reinterpret_cast<const unsigned char*>(data.data()), data.size(), out.data(),
           &out_len) == nullptr ||
      out_len != kScramKeyLength) {
    ThrowCryptoFailure("compute HMAC-SHA-256");
  }
  return out;
}

ScramKey Sha256(std::string_view data) {
  ScramKey out{};
  unsigned int out_len = 0;
  if (EVP_Digest(data.data(), data.size(), out.data(), &out_len, EVP_sha256(), nullptr) != 1 ||
      out_len != kScramKeyLength) {
    ThrowCryptoFailure("compute SHA-256 hash");
  }
  return out;
}

// SaltedPassword := Hi(password, salt, i), which is PBKDF2 with HMAC-SHA-256.
ScramKey SaltedPassword(std::string_view password, std::string_view salt, int iterations) {
  ScramKey out{};
  if (PKCS5_PBKDF2_HMAC(password.data(), static_cast<int>(password.size()),
                        reinterpret_cast<const unsigned char*>(salt.data()),
                        static_cast<int>(salt.size()), iterations, EVP_sha256(),
                        static_cast<int>(out.size()), out.data()) != 1) {
    ThrowCryptoFailure("compute salted password");
  }
  return out;
}

std::string RandomBytes(size_t count) {
  std::string out(count, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(count)) != 1) {
    throw FatalError(sqlstate::kInternalError, "could not generate random nonce");
  }
  return out;
}

bool KeysEqual(const ScramKey& a, const ScramKey& b) {
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

// Printable ASCII except ',' (RFC 5802 "printable").
bool IsScramPrintable(std::string_view text) {
  for (char c : text) {
    if (c < 0x21 || c > 0x7e || c == ',') return false;
  }
  return true;
}

// A byte of client input shown in an error: the character when printable, else hex.
std::string ShowChar(char c) {
  if (c >= 0x21 && c <= 0x7e) return Format("'%c'", c);
  return Format("0x%02x", static_cast<unsigned char>(c));
}

// Client input shown in an error: printable ASCII only (others become '?'), at most 30.
std::string ShowString(std::string_view text) {
  std::string out;
  for (char c : text.substr(0, 30)) out += (c >= 0x21 && c <= 0x7e) ? c : '?';
  return out;
}

[[noreturn]] void ThrowMalformed(std::string detail) {
  throw FatalError(sqlstate::kProtocolViolation, "malformed SCRAM message")
      .WithDetail(std::move(detail));
}

// Walks a SCRAM message "a=value,b=value,...". A3: all grammar errors are 08P01 "malformed
// SCRAM message" with PostgreSQL's details.
class AttributeReader {
 public:
  explicit AttributeReader(std::string_view text) : text_(text) {}

  [[nodiscard]] bool at_end() const { return pos_ >= text_.size(); }
  [[nodiscard]] char peek() const { return at_end() ? '\0' : text_[pos_]; }
  [[nodiscard]] size_t pos() const { return pos_; }
  [[nodiscard]] std::string_view rest() const { return text_.substr(pos_); }

  // Reads "<attr>=value" up to the next ',' (consumed) or the end.
  std::string_view Expect(char attr) {
    if (peek() != attr) {
      ThrowMalformed(
          Format("Expected attribute \"%c\" but found \"%s\".", attr, ShowChar(peek()).c_str()));
    }
    return ValueAfterName(attr);
  }

  // Reads any "<ALPHA>=value"; returns the attribute letter in *attr.
  std::string_view Any(char* attr) {
    if (at_end()) ThrowMalformed("Attribute expected, but found end of string.");
    char c = peek();
    if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'))) {
      ThrowMalformed(
          Format("Attribute expected, but found invalid character \"%s\".", ShowChar(c).c_str()));
    }
    *attr = c;
    return ValueAfterName(c);
  }

  // Consumes one expected character of the gs2 header.
  void Comma() {
    if (peek() != ',') {
      ThrowMalformed(
          Format("Comma expected, but found character \"%s\".", ShowChar(peek()).c_str()));
    }
    ++pos_;
  }

  void Skip() { ++pos_; }

 private:
  std::string_view ValueAfterName(char attr) {
    ++pos_;
    if (peek() != '=') {
      ThrowMalformed(Format("Expected character \"=\" for attribute \"%c\".", attr));
    }
    ++pos_;
    size_t end = text_.find(',', pos_);
    if (end == std::string_view::npos) end = text_.size();
    std::string_view value = text_.substr(pos_, end - pos_);
    pos_ = end < text_.size() ? end + 1 : end;
    return value;
  }

  std::string_view text_;
  size_t pos_ = 0;
};

void CheckMessageBytes(std::string_view message) {
  if (message.empty()) ThrowMalformed("The message is empty.");
  if (message.find('\0') != std::string_view::npos) {
    ThrowMalformed("Message length does not match input length.");
  }
}

std::string& MockNonce() {
  static std::string nonce;
  return nonce;
}

// A7: the mock salt depends only on the user name and the cluster-wide mock nonce, so an
// attacker sees the same salt on every try, exactly as for a real user.
std::string MockSalt(std::string_view user) {
  std::string& nonce = MockNonce();
  if (nonce.empty()) nonce = RandomBytes(32);
  std::string input(user);
  input.append(nonce);
  return std::string(AsChars(Sha256(input)).substr(0, kScramSaltLength));
}

}  // namespace

std::string ScramBuildVerifierWithSalt(std::string_view password, std::string_view salt,
                                       int iterations) {
  KEEL_ASSERT(iterations >= 1);
  ScramKey salted = SaltedPassword(password, salt, iterations);
  ScramKey client_key = Hmac(AsChars(salted), "Client Key");
  ScramKey stored_key = Sha256(AsChars(client_key));
  ScramKey server_key = Hmac(AsChars(salted), "Server Key");
  OPENSSL_cleanse(salted.data(), salted.size());
  OPENSSL_cleanse(client_key.data(), client_key.size());
  // A1: the stored format is PostgreSQL's, so verifiers move between the two unchanged.
  return Format("%s$%d:%s$%s:%s", std::string(kVerifierScheme).c_str(), iterations,
                Base64Encode(salt).c_str(), Base64Encode(AsChars(stored_key)).c_str(),
                Base64Encode(AsChars(server_key)).c_str());
}

std::string ScramBuildVerifier(std::string_view password, int iterations) {
  return ScramBuildVerifierWithSalt(password, RandomBytes(kScramSaltLength), iterations);
}

std::optional<ScramVerifier> ScramParseVerifier(std::string_view secret) {
  // SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>
  size_t dollar1 = secret.find('$');
  if (dollar1 == std::string_view::npos || secret.substr(0, dollar1) != kVerifierScheme) {
    return std::nullopt;
  }
  size_t colon1 = secret.find(':', dollar1 + 1);
  if (colon1 == std::string_view::npos) return std::nullopt;
  size_t dollar2 = secret.find('$', colon1 + 1);
  if (dollar2 == std::string_view::npos) return std::nullopt;
  size_t colon2 = secret.find(':', dollar2 + 1);
  if (colon2 == std::string_view::npos) return std::nullopt;

  std::string iterations_text(secret.substr(dollar1 + 1, colon1 - dollar1 - 1));
  if (iterations_text.empty() || iterations_text.size() > 9) return std::nullopt;
  for (char c : iterations_text) {
    if (c < '0' || c > '9') return std::nullopt;
  }
  ScramVerifier verifier;
  verifier.iterations = std::atoi(iterations_text.c_str());
  if (verifier.iterations < 1) return std::nullopt;

  auto salt = Base64Decode(secret.substr(colon1 + 1, dollar2 - colon1 - 1));
  auto stored = Base64Decode(secret.substr(dollar2 + 1, colon2 - dollar2 - 1));
  auto server = Base64Decode(secret.substr(colon2 + 1));
  if (!salt || salt->empty() || !stored || stored->size() != kScramKeyLength || !server ||
      server->size() != kScramKeyLength) {
    return std::nullopt;
  }
  verifier.salt = std::move(*salt);
  std::copy(stored->begin(), stored->end(), verifier.stored_key.begin());
  std::copy(server->begin(), server->end(), verifier.server_key.begin());
  return verifier;
}

bool ScramVerifyPlainPassword(std::string_view password, const ScramVerifier& verifier) {
  ScramKey salted = SaltedPassword(password, verifier.salt, verifier.iterations);
  ScramKey server_key = Hmac(AsChars(salted), "Server Key");
  OPENSSL_cleanse(salted.data(), salted.size());
  return KeysEqual(server_key, verifier.server_key);
}

void SetScramMockNonce(std::string_view nonce) { MockNonce() = std::string(nonce); }

ScramServer::ScramServer(std::string_view mechanism, std::string_view user,
                         std::optional<std::string_view> secret,
                         ScramChannelBinding channel_binding, Options options)
    : channel_binding_(std::move(channel_binding)), user_(user) {
  // A2: -PLUS only when it was offered; anything else is an unknown mechanism.
  if (mechanism == kScramSha256Plus && channel_binding_.offered) {
    use_plus_ = true;
  } else if (mechanism == kScramSha256) {
    use_plus_ = false;
  } else {
    throw FatalError(sqlstate::kProtocolViolation,
                     "client selected an invalid SASL authentication mechanism");
  }

  std::optional<ScramVerifier> parsed;
  if (secret) {
    parsed = ScramParseVerifier(*secret);
    if (!parsed) {
      if (secret->substr(0, kVerifierScheme.size() + 1) == "SCRAM-SHA-256$") {
        Log(Severity::kLog, "invalid SCRAM secret for user \"%s\"", user_.c_str());
      } else {
        doomed_detail_ = Format("User \"%s\" does not have a valid SCRAM secret.", user_.c_str());
      }
    }
  }
  if (parsed) {
    verifier_ = std::move(*parsed);
  } else {
    // A7: go through the motions with a mock verifier and fail at the end.
    doomed_ = true;
    verifier_.iterations = kScramDefaultIterations;
    verifier_.salt = MockSalt(user_);
  }

  server_nonce_part_ = options.server_nonce.empty() ? Base64Encode(RandomBytes(kScramNonceBytes))
                                                    : std::move(options.server_nonce);
  KEEL_ASSERT(IsScramPrintable(server_nonce_part_));
}

std::string ScramServer::ProcessClientFirst(std::string_view message) {
  KEEL_ASSERT(state_ == State::kInit);
  CheckMessageBytes(message);
  AttributeReader reader(message);

  // gs2-cbind-flag: "n" | "y" | "p=" cb-name, then ',' [authzid] ','.
  switch (reader.peek()) {
    case 'n':
    case 'y':
      if (use_plus_) {
        ThrowMalformed(
            "The client selected SCRAM-SHA-256-PLUS, but the SCRAM message does not include "
            "channel binding data.");
      }
      // A2: 'y' means "I can bind but the server cannot"; when we offered -PLUS that is
      // either a confused client or a downgrade attack, and must fail (RFC 5802 section 6).
      if (reader.peek() == 'y' && channel_binding_.offered) {
        throw FatalError(sqlstate::kInvalidAuthorizationSpecification,
                         "SCRAM channel binding negotiation error")
            .WithDetail(
                "The client supports SCRAM channel binding but thinks the server does not.  "
                "However, this server does support channel binding.");
      }
      reader.Skip();
      reader.Comma();
      break;
    case 'p': {
      if (!use_plus_) {
        ThrowMalformed(
            "The client selected SCRAM-SHA-256 without channel binding, but the SCRAM message "
            "includes channel binding data.");
      }
      std::string_view type = reader.Expect('p');
      if (type != kScramChannelBindingType) {
        throw FatalError(
            sqlstate::kProtocolViolation,
            Format("unsupported SCRAM channel-binding type \"%s\"", ShowString(type).c_str()));
      }
      break;
    }
    default:
      ThrowMalformed(
          Format("Unexpected channel-binding flag \"%s\".", ShowChar(reader.peek()).c_str()));
  }
  if (reader.peek() == 'a') {
    throw FatalError(sqlstate::kFeatureNotSupported,
                     "client uses authorization identity, but it is not supported");
  }
  if (reader.peek() != ',') {
    ThrowMalformed(Format("Unexpected attribute \"%s\" in client-first-message.",
                          ShowChar(reader.peek()).c_str()));
  }
  reader.Skip();
  gs2_header_ = std::string(message.substr(0, reader.pos()));
  client_first_bare_ = std::string(reader.rest());

  if (reader.peek() == 'm') {
    throw FatalError(sqlstate::kFeatureNotSupported,
                     "client requires an unsupported SCRAM extension");
  }
  (void)reader.Expect('n');  // the user name comes from the startup packet (A6)
  std::string_view client_nonce = reader.Expect('r');
  if (!IsScramPrintable(client_nonce)) {
    throw FatalError(sqlstate::kProtocolViolation, "non-printable characters in SCRAM nonce");
  }
  while (!reader.at_end()) {
    char attr = 0;
    (void)reader.Any(&attr);  // optional extensions: none supported, ignored
  }

  nonce_ = std::string(client_nonce) + server_nonce_part_;
  server_first_ = Format("r=%s,s=%s,i=%d", nonce_.c_str(), Base64Encode(verifier_.salt).c_str(),
                         verifier_.iterations);
  state_ = State::kSentServerFirst;
  return server_first_;
}

std::optional<std::string> ScramServer::ProcessClientFinal(std::string_view message) {
  KEEL_ASSERT(state_ == State::kSentServerFirst);
  CheckMessageBytes(message);
  AttributeReader reader(message);

  // c=base64(gs2-header [cbind-data]): must repeat the header exactly (A4).
  std::string_view channel_binding = reader.Expect('c');
  if (use_plus_) {
    std::string expected = Base64Encode(gs2_header_ + channel_binding_.cert_hash);
    if (channel_binding != expected) {
      throw FatalError(sqlstate::kInvalidAuthorizationSpecification,
                       "SCRAM channel binding check failed");
    }
  } else if (channel_binding != Base64Encode(gs2_header_)) {
    throw FatalError(sqlstate::kProtocolViolation,
                     "unexpected SCRAM channel-binding attribute in client-final-message");
  }
  std::string_view final_nonce = reader.Expect('r');

  // Extensions may precede the proof; the proof is the last attribute.
  size_t proof_start = 0;
  std::string_view proof_text;
  for (;;) {
    proof_start = reader.pos();
    char attr = 0;
    std::string_view value = reader.Any(&attr);
    if (attr == 'p') {
      proof_text = value;
      break;
    }
  }
  auto proof = Base64Decode(proof_text);
  if (!proof || proof->size() != kScramKeyLength) {
    ThrowMalformed("Malformed proof in client-final-message.");
  }
  if (!reader.at_end()) ThrowMalformed("Garbage found at the end of client-final-message.");
  // proof_start points after the ',' that precedes "p="; drop that comma too.
  std::string_view without_proof = message.substr(0, proof_start - 1);

  if (final_nonce != nonce_) {
    throw FatalError(sqlstate::kProtocolViolation, "invalid SCRAM response")
        .WithDetail("Nonce does not match.");
  }

  std::string auth_message = client_first_bare_;
  auth_message.append(",").append(server_first_).append(",").append(without_proof);

  // A7: the proof is checked even when doomed, so timing does not tell users apart.
  ScramKey client_signature = Hmac(AsChars(verifier_.stored_key), auth_message);
  ScramKey client_key{};
  for (size_t i = 0; i < kScramKeyLength; ++i) {
    client_key[i] = static_cast<uint8_t>(static_cast<uint8_t>((*proof)[i]) ^ client_signature[i]);
  }
  bool proof_ok = KeysEqual(Sha256(AsChars(client_key)), verifier_.stored_key);
  state_ = State::kFinished;
  if (!proof_ok || doomed_) {
    failure_detail_ = doomed_ ? doomed_detail_ : "";
    return std::nullopt;
  }
  ScramKey server_signature = Hmac(AsChars(verifier_.server_key), auth_message);
  return "v=" + Base64Encode(AsChars(server_signature));
}

}  // namespace keel::auth
