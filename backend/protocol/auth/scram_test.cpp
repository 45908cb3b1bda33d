// Tests for SCRAM-SHA-256 verifiers, the server exchange (RFC 7677 example, wrong passwords,
// mock verifiers, channel-binding rules, malformed messages) and md5 hashes.
#include "backend/protocol/auth/scram.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>

#include <functional>
#include <vector>

#include "backend/protocol/auth/base64.h"
#include "backend/protocol/auth/scram_test_client.h"
#include "backend/utils/error/error.h"

namespace keel::auth {
namespace {

using testing::ScramTestClient;

// RFC 7677 section 3.
constexpr const char* kRfcSaltB64 = "W22ZaJ0SNY7soEsUEjb6gQ==";
constexpr const char* kRfcClientNonce = "rOprNGfwEbeRWgbNEkqO";
constexpr const char* kRfcServerNonce = "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0";
constexpr const char* kRfcProof = "dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=";
constexpr const char* kRfcServerSignature = "6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=";

std::string RfcVerifier() {
  return ScramBuildVerifierWithSalt("pencil", *Base64Decode(kRfcSaltB64), 4096);
}

ScramServer::Options Nonce(std::string nonce) {
  ScramServer::Options options;
  options.server_nonce = std::move(nonce);
  return options;
}

// Runs `fn` and returns the keel::Error it throws (fails the test if it throws none).
Error Catch(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const Error& e) {
    return e;
  }
  ADD_FAILURE() << "no error thrown";
  return Error(sqlstate::kSuccessfulCompletion, "");
}

// Runs a whole exchange; returns the server-final message or nullopt on failure.
std::optional<std::string> RunExchange(ScramServer& server, ScramTestClient& client) {
  std::string server_first = server.ProcessClientFirst(client.FirstMessage());
  std::string final_message = client.FinalMessage(server_first);
  EXPECT_FALSE(final_message.empty());
  return server.ProcessClientFinal(final_message);
}

TEST(Base64Test, RoundTripsAllLengths) {
  std::string bytes;
  for (int i = 0; i < 40; ++i) {
    auto decoded = Base64Decode(Base64Encode(bytes));
    ASSERT_TRUE(decoded.has_value());
    EXPECT_EQ(*decoded, bytes);
    bytes += static_cast<char>(i * 37 + 200);
  }
  EXPECT_EQ(Base64Encode("n,,"), "biws");
  EXPECT_EQ(Base64Encode("y,,"), "eSws");
  EXPECT_FALSE(Base64Decode("abc").has_value());
  EXPECT_FALSE(Base64Decode("ab c").has_value());
  EXPECT_FALSE(Base64Decode("a===").has_value());
  EXPECT_FALSE(Base64Decode("ab=c").has_value());
}

TEST(ScramVerifierTest, RfcExampleExchange) {
  std::string verifier = RfcVerifier();
  ScramServer server(kScramSha256, "user", verifier, {}, Nonce(kRfcServerNonce));
  ScramTestClient client("pencil", kRfcClientNonce);
  client.set_user("user");
  std::string server_first = server.ProcessClientFirst(client.FirstMessage());
  EXPECT_EQ(server_first, std::string("r=") + kRfcClientNonce + kRfcServerNonce +
                              ",s=" + kRfcSaltB64 + ",i=4096");
  std::string final_message = client.FinalMessage(server_first);
  EXPECT_EQ(client.client_proof_b64(), kRfcProof);
  EXPECT_EQ(final_message,
            std::string("c=biws,r=") + kRfcClientNonce + kRfcServerNonce + ",p=" + kRfcProof);
  auto server_final = server.ProcessClientFinal(final_message);
  ASSERT_TRUE(server_final.has_value());
  EXPECT_EQ(*server_final, std::string("v=") + kRfcServerSignature);
  EXPECT_TRUE(server.failure_detail().empty());
}

TEST(ScramVerifierTest, FormatAndParse) {
  std::string verifier = ScramBuildVerifier("secret", 4096);
  ASSERT_EQ(verifier.rfind("SCRAM-SHA-256$4096:", 0), 0u) << verifier;
  auto parsed = ScramParseVerifier(verifier);
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(parsed->iterations, 4096);
  EXPECT_EQ(parsed->salt.size(), kScramSaltLength);
  // Rebuilding with the parsed salt gives the same verifier: the keys derive from it.
  EXPECT_EQ(ScramBuildVerifierWithSalt("secret", parsed->salt, 4096), verifier);
  // A fresh salt every time.
  EXPECT_NE(ScramBuildVerifier("secret", 4096), verifier);
  EXPECT_TRUE(IsScramVerifier(verifier));
  EXPECT_TRUE(ScramVerifyPlainPassword("secret", *parsed));
  EXPECT_FALSE(ScramVerifyPlainPassword("Secret", *parsed));
  EXPECT_FALSE(ScramVerifyPlainPassword("", *parsed));

  auto other_count = ScramParseVerifier(ScramBuildVerifier("x", 10));
  ASSERT_TRUE(other_count.has_value());
  EXPECT_EQ(other_count->iterations, 10);
}

TEST(ScramVerifierTest, RejectsMalformedSecrets) {
  std::string good = RfcVerifier();
  EXPECT_TRUE(IsScramVerifier(good));
  for (const std::string& bad : std::vector<std::string>{
           std::string(""), std::string("md5") + std::string(32, 'a'), std::string("plain"),
           "SCRAM-SHA-1" + good.substr(13), "SCRAM-SHA-256$x096" + good.substr(18),
           "SCRAM-SHA-256$0" + good.substr(18), good.substr(0, good.size() - 4), good + "AAAA",
           "SCRAM-SHA-256$4096:", "SCRAM-SHA-256$4096:$:"}) {
    EXPECT_FALSE(IsScramVerifier(bad)) << bad;
  }
}

TEST(ScramServerTest, WrongPasswordFails) {
  ScramServer server(kScramSha256, "user", RfcVerifier(), {});
  ScramTestClient client("pencils", "abcdefghijkl");
  EXPECT_FALSE(RunExchange(server, client).has_value());
}

TEST(ScramServerTest, RightPasswordSucceedsWithRandomNonce) {
  std::string verifier = ScramBuildVerifier("correct horse", 100);
  ScramServer server(kScramSha256, "alice", verifier, {});
  ScramTestClient client("correct horse", "0123456789abcdef");
  auto final_message = RunExchange(server, client);
  ASSERT_TRUE(final_message.has_value());
  EXPECT_EQ(*final_message, client.expected_server_final());
}

TEST(ScramServerTest, MockVerifierForUnknownUserFailsAtTheEnd) {
  SetScramMockNonce("cluster-mock-nonce");
  ScramServer a(kScramSha256, "nobody", std::nullopt, {});
  ScramServer b(kScramSha256, "nobody", std::nullopt, {});
  ScramServer c(kScramSha256, "someone", std::nullopt, {});
  std::string first = "n,,n=,r=clientnonce";
  std::string fa = a.ProcessClientFirst(first);
  std::string fb = b.ProcessClientFirst(first);
  std::string fc = c.ProcessClientFirst(first);
  auto salt_of = [](const std::string& server_first) {
    size_t s = server_first.find(",s=");
    size_t i = server_first.find(",i=");
    return server_first.substr(s + 3, i - s - 3);
  };
  // Looks like a real user: a 16-byte salt, stable per user name, default iterations.
  EXPECT_EQ(salt_of(fa), salt_of(fb));
  EXPECT_NE(salt_of(fa), salt_of(fc));
  EXPECT_EQ(Base64Decode(salt_of(fa))->size(), kScramSaltLength);
  EXPECT_NE(fa.find(",i=4096"), std::string::npos);
  ScramTestClient client("anything", "clientnonce");
  EXPECT_FALSE(a.ProcessClientFinal(client.FinalMessage(fa)).has_value());
  EXPECT_TRUE(a.failure_detail().empty());  // unknown user: no detail, as PostgreSQL
}

TEST(ScramServerTest, Md5SecretRunsMockAndSaysWhy) {
  ScramServer server(kScramSha256, "bob", Md5PasswordHash("pw", "bob"), {});
  ScramTestClient client("pw", "nonce1");
  EXPECT_FALSE(RunExchange(server, client).has_value());
  EXPECT_EQ(server.failure_detail(), "User \"bob\" does not have a valid SCRAM secret.");
}

TEST(ScramServerTest, ChannelBindingPlusSucceeds) {
  ScramChannelBinding cb{true, std::string("\x01\x02\x03\xff", 4)};
  std::string verifier = ScramBuildVerifier("pw", 50);
  ScramServer server(kScramSha256Plus, "u", verifier, cb);
  ScramTestClient client("pw", "nonce", "p=tls-server-end-point,,", cb.cert_hash);
  auto final_message = RunExchange(server, client);
  ASSERT_TRUE(final_message.has_value());
  EXPECT_EQ(*final_message, client.expected_server_final());
}

TEST(ScramServerTest, ChannelBindingWrongCertificateHashFails) {
  ScramChannelBinding cb{true, "real-hash"};
  ScramServer server(kScramSha256Plus, "u", ScramBuildVerifier("pw", 50), cb);
  ScramTestClient client("pw", "nonce", "p=tls-server-end-point,,", "other-hash");
  std::string first = server.ProcessClientFirst(client.FirstMessage());
  std::string final_message = client.FinalMessage(first);
  Error e = Catch([&] { (void)server.ProcessClientFinal(final_message); });
  EXPECT_EQ(e.sqlstate().code(), "28000");
  EXPECT_EQ(e.message(), "SCRAM channel binding check failed");
  EXPECT_EQ(e.severity(), Severity::kFatal);
}

TEST(ScramServerTest, ChannelBindingFlagRules) {
  std::string verifier = ScramBuildVerifier("pw", 20);
  ScramChannelBinding tls{true, "hash"};
  // 'y' while the server offered -PLUS: downgrade, must fail.
  {
    ScramServer server(kScramSha256, "u", verifier, tls);
    Error e = Catch([&] { (void)server.ProcessClientFirst("y,,n=,r=abc"); });
    EXPECT_EQ(e.sqlstate().code(), "28000");
    EXPECT_EQ(e.message(), "SCRAM channel binding negotiation error");
  }
  // 'y' without TLS is fine, and c= must then be "eSws".
  {
    ScramServer server(kScramSha256, "u", verifier, {});
    ScramTestClient client("pw", "abc", "y,,");
    auto result = RunExchange(server, client);
    EXPECT_TRUE(result.has_value());
  }
  // c= must repeat the flag of the first message.
  {
    ScramServer server(kScramSha256, "u", verifier, {});
    std::string first = server.ProcessClientFirst("y,,n=,r=abc");
    ScramTestClient client("pw", "abc", "n,,");
    Error e = Catch([&] { (void)server.ProcessClientFinal(client.FinalMessage(first)); });
    EXPECT_EQ(e.sqlstate().code(), "08P01");
    EXPECT_EQ(e.message(), "unexpected SCRAM channel-binding attribute in client-final-message");
  }
  // -PLUS selected but no binding in the message.
  {
    ScramServer server(kScramSha256Plus, "u", verifier, tls);
    Error e = Catch([&] { (void)server.ProcessClientFirst("n,,n=,r=abc"); });
    EXPECT_EQ(e.sqlstate().code(), "08P01");
    EXPECT_EQ(e.message(), "malformed SCRAM message");
    EXPECT_EQ(e.detail(),
              "The client selected SCRAM-SHA-256-PLUS, but the SCRAM message does not include "
              "channel binding data.");
  }
  // Plain SCRAM selected but binding data present.
  {
    ScramServer server(kScramSha256, "u", verifier, tls);
    Error e = Catch([&] { (void)server.ProcessClientFirst("p=tls-server-end-point,,n=,r=abc"); });
    EXPECT_EQ(e.sqlstate().code(), "08P01");
    EXPECT_NE(e.detail().find("without channel binding"), std::string::npos);
  }
  // Unsupported binding type.
  {
    ScramServer server(kScramSha256Plus, "u", verifier, tls);
    Error e = Catch([&] { (void)server.ProcessClientFirst("p=tls-unique,,n=,r=abc"); });
    EXPECT_EQ(e.message(), "unsupported SCRAM channel-binding type \"tls-unique\"");
  }
  // -PLUS when it was not offered (no TLS) is an invalid mechanism, like any unknown one.
  for (std::string_view mech : {kScramSha256Plus, std::string_view("SCRAM-SHA-1")}) {
    Error e = Catch([&] { ScramServer server(mech, "u", verifier, {}); });
    EXPECT_EQ(e.sqlstate().code(), "08P01");
    EXPECT_EQ(e.message(), "client selected an invalid SASL authentication mechanism");
  }
}

TEST(ScramServerTest, MalformedClientFirst) {
  std::string verifier = ScramBuildVerifier("pw", 20);
  struct Case {
    std::string message;
    const char* code;
    const char* text;
  };
  for (const Case& c : std::initializer_list<Case>{
           {"", "08P01", "The message is empty."},
           {std::string("n,,n=,r=a\0b", 11), "08P01",
            "Message length does not match input length."},
           {"x,,n=,r=abc", "08P01", "Unexpected channel-binding flag \"'x'\"."},
           {"n;,n=,r=abc", "08P01", "Comma expected, but found character \"';'\"."},
           {"n,a=bob,n=,r=abc", "0A000",
            "client uses authorization identity, but it is not supported"},
           {"n,b,n=,r=abc", "08P01", "Unexpected attribute \"'b'\" in client-first-message."},
           {"n,,m=ext,n=,r=abc", "0A000", "client requires an unsupported SCRAM extension"},
           {"n,,r=abc", "08P01", "Expected attribute \"n\" but found \"'r'\"."},
           {"n,,n=,rabc", "08P01", "Expected character \"=\" for attribute \"r\"."},
           {"n,,n=,r=a\x01", "08P01", "non-printable characters in SCRAM nonce"},
           {"n,,n=,r=abc,1=x", "08P01", "Attribute expected, but found invalid character \"'1'\"."},
       }) {
    ScramServer server(kScramSha256, "u", verifier, {});
    Error e = Catch([&] { (void)server.ProcessClientFirst(c.message); });
    EXPECT_EQ(e.sqlstate().code(), c.code) << c.message;
    EXPECT_TRUE(e.message() == c.text || e.detail() == c.text)
        << c.message << " -> " << e.message() << " / " << e.detail();
    EXPECT_EQ(e.severity(), Severity::kFatal);
  }
  // Extensions after the nonce are ignored.
  ScramServer server(kScramSha256, "u", verifier, {});
  EXPECT_NO_THROW((void)server.ProcessClientFirst("n,,n=,r=abc,x=ext"));
}

TEST(ScramServerTest, MalformedClientFinal) {
  std::string verifier = ScramBuildVerifier("pw", 20);
  auto start = [&](ScramServer& server) { return server.ProcessClientFirst("n,,n=,r=abc"); };
  std::string proof = Base64Encode(std::string(32, 'x'));
  struct Case {
    std::string message;  // "%N" is replaced with the full nonce
    const char* text;
  };
  for (Case c : std::initializer_list<Case>{
           {"r=%N,p=" + proof, "Expected attribute \"c\" but found \"'r'\"."},
           {"c=biws,r=%N", "Attribute expected, but found end of string."},
           {"c=biws,r=%N,p=abcd", "Malformed proof in client-final-message."},
           {"c=biws,r=%N,p=" + proof + ",x=1", "Garbage found at the end of client-final-message."},
           {"c=biws,r=wrong,p=" + proof, "Nonce does not match."},
       }) {
    ScramServer server(kScramSha256, "u", verifier, {}, Nonce("SERVERNONCE"));
    (void)start(server);
    size_t at = c.message.find("%N");
    if (at != std::string::npos) c.message.replace(at, 2, "abcSERVERNONCE");
    Error e = Catch([&] { (void)server.ProcessClientFinal(c.message); });
    EXPECT_EQ(e.sqlstate().code(), "08P01") << c.message;
    EXPECT_EQ(e.detail(), c.text) << c.message;
  }
  // Extensions before the proof are allowed and are part of the signed message.
  ScramServer server(kScramSha256, "u", verifier, {}, Nonce("SERVERNONCE"));
  (void)start(server);
  EXPECT_FALSE(server.ProcessClientFinal("c=biws,r=abcSERVERNONCE,x=1,p=" + proof).has_value());
}

std::string IndependentMd5Hex(const std::string& data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), digest, &len, EVP_md5(), nullptr);
  std::string out;
  char buf[3];
  for (unsigned int i = 0; i < len; ++i) {
    snprintf(buf, sizeof(buf), "%02x", digest[i]);
    out += buf;
  }
  return out;
}

TEST(Md5Test, PasswordHashAndChallenge) {
  std::string hash = Md5PasswordHash("secret", "alice");
  EXPECT_EQ(hash, "md5" + IndependentMd5Hex("secretalice"));
  EXPECT_TRUE(IsMd5Hash(hash));
  EXPECT_FALSE(IsMd5Hash("md5" + std::string(31, 'a')));
  EXPECT_FALSE(IsMd5Hash("md5" + std::string(32, 'A')));
  EXPECT_FALSE(IsMd5Hash(RfcVerifier()));

  Md5Salt salt{0x01, 0xfe, 0x00, 0x7f};
  std::string expected =
      "md5" + IndependentMd5Hex(hash.substr(3) + std::string("\x01\xfe\x00\x7f", 4));
  EXPECT_EQ(Md5SaltedResponse(hash, salt), expected);
  EXPECT_TRUE(Md5CheckResponse(hash, salt, expected));
  Md5Salt other{0x01, 0xfe, 0x00, 0x7e};
  EXPECT_FALSE(Md5CheckResponse(hash, other, expected));
  EXPECT_FALSE(Md5CheckResponse(hash, salt, expected.substr(0, 34)));
  EXPECT_FALSE(Md5CheckResponse(RfcVerifier(), salt, expected));
}

}  // namespace
}  // namespace keel::auth
