// Tests for TLS: context loading errors, the handshake over a socketpair with a forked OpenSSL
// client, the unencrypted-data check, failed handshakes, and the channel-binding hash.
#include "backend/protocol/tls.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>

#include "backend/protocol/backend_messages.h"
#include "backend/protocol/connection.h"
#include "backend/protocol/tls_test_util.h"
#include "backend/utils/error/error.h"

namespace keel::protocol {
namespace {

using testing::TestCertificate;
using testing::TlsTestClient;

std::string LoadError(const std::string& cert, const std::string& key, const std::string& ca) {
  try {
    (void)TlsContext::Load(cert, key, ca);
  } catch (const Error& e) {
    EXPECT_EQ(e.sqlstate().code(), "F0000");
    EXPECT_EQ(e.severity(), Severity::kFatal);
    return e.message();
  }
  return "loaded";
}

TEST(TlsContextTest, LoadsAndReportsErrors) {
  TestCertificate cert;
  TlsContext ctx = TlsContext::Load(cert.cert_file(), cert.key_file(), "");
  EXPECT_TRUE(ctx);
  EXPECT_EQ(SSL_CTX_get_min_proto_version(ctx.get()), TLS1_2_VERSION);
  TlsContext moved = std::move(ctx);
  EXPECT_FALSE(ctx);  // NOLINT(bugprone-use-after-move)
  EXPECT_TRUE(moved);

  // The certificate doubles as a CA file for client certificates.
  EXPECT_EQ(LoadError(cert.cert_file(), cert.key_file(), cert.cert_file()), "loaded");

  std::string missing = cert.dir() + "/missing.crt";
  EXPECT_EQ(LoadError(missing, cert.key_file(), "")
                .rfind("could not load server certificate file \"" + missing + "\": ", 0),
            0u);
  EXPECT_EQ(LoadError(cert.cert_file(), missing, "")
                .rfind("could not access private key file \"" + missing + "\": ", 0),
            0u);
  EXPECT_EQ(LoadError(cert.cert_file(), cert.key_file(), missing)
                .rfind("could not load root certificate file \"" + missing + "\": ", 0),
            0u);

  ASSERT_EQ(chmod(cert.key_file().c_str(), 0640), 0);
  EXPECT_EQ(LoadError(cert.cert_file(), cert.key_file(), ""),
            "private key file \"" + cert.key_file() + "\" has group or world access");
  ASSERT_EQ(chmod(cert.key_file().c_str(), 0600), 0);

  // A key file that is not a key.
  std::string bad_key = cert.dir() + "/bad.key";
  { std::ofstream(bad_key) << "not a key\n"; }
  ASSERT_EQ(chmod(bad_key.c_str(), 0600), 0);
  EXPECT_EQ(LoadError(cert.cert_file(), bad_key, "")
                .rfind("could not load private key file \"" + bad_key + "\": ", 0),
            0u);
  unlink(bad_key.c_str());

  // A key that does not belong to the certificate.
  TestCertificate other;
  // OpenSSL notices the mismatch while loading the key, as PostgreSQL reports it then too.
  EXPECT_EQ(LoadError(cert.cert_file(), other.key_file(), ""),
            "could not load private key file \"" + other.key_file() + "\": key values mismatch");
}

std::string Sha(const std::string& data, const EVP_MD* md) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), out, &len, md, nullptr);
  return std::string(reinterpret_cast<char*>(out), len);
}

TEST(TlsContextTest, ServerEndPointHashFollowsSignatureDigest) {
  struct Case {
    const char* digest;
    const EVP_MD* expected;
  };
  for (const Case& c :
       {Case{"SHA256", EVP_sha256()}, Case{"SHA1", EVP_sha256()}, Case{"SHA384", EVP_sha384()}}) {
    TestCertificate cert(c.digest);
    TlsContext ctx = TlsContext::Load(cert.cert_file(), cert.key_file(), "");
    SSL* ssl = SSL_new(ctx.get());
    EXPECT_EQ(TlsServerEndPointHash(ssl), Sha(cert.cert_der(), c.expected)) << c.digest;
    SSL_free(ssl);
  }
  EXPECT_EQ(TlsServerEndPointHash(nullptr), "");
}

struct Pair {
  Pair() {
    int fds[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0) std::abort();
    server = fds[0];
    client = fds[1];
  }
  int server;
  int client;
};

int WaitChild(pid_t child) {
  int status = 0;
  if (waitpid(child, &status, 0) != child || !WIFEXITED(status)) return -1;
  return WEXITSTATUS(status);
}

TEST(TlsHandshakeTest, MessagesFlowOverTls) {
  TestCertificate cert;
  TlsContext ctx = TlsContext::Load(cert.cert_file(), cert.key_file(), "");
  Pair p;
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    close(p.server);
    // SSLRequest, wait for 'S', handshake, send a Query, expect ReadyForQuery back.
    std::string request("\0\0\0\x08\x04\xd2\x16\x2f", 8);
    if (write(p.client, request.data(), request.size()) != 8) _exit(1);
    char answer = 0;
    if (read(p.client, &answer, 1) != 1 || answer != 'S') _exit(2);
    TlsTestClient tls(p.client);
    if (!tls.Handshake()) _exit(3);
    if (SSL_version(tls.ssl()) < TLS1_2_VERSION) _exit(4);
    if (!tls.WriteAll(std::string("Q\0\0\0\x0ahello\0", 11))) _exit(5);
    std::string reply;
    if (!tls.ReadExactly(6, &reply) || reply != std::string("Z\0\0\0\x05I", 6)) _exit(6);
    _exit(0);
  }
  close(p.client);
  ClientConnection conn(p.server, nullptr);
  std::string body = conn.ReadStartupPacket();
  ASSERT_EQ(body, std::string("\x04\xd2\x16\x2f", 4));
  conn.SendRawByte('S');
  conn.Flush();
  conn.StartTls(ctx.get());
  EXPECT_TRUE(conn.is_tls());
  EXPECT_NE(conn.ssl(), nullptr);
  EXPECT_EQ(TlsServerEndPointHash(conn.ssl()), Sha(cert.cert_der(), EVP_sha256()));
  ClientConnection::Message message = conn.ReadMessage();
  EXPECT_EQ(message.type, 'Q');
  EXPECT_EQ(message.body, std::string("hello\0", 6));
  conn.SendAndFlush(ReadyForQuery('I'));
  EXPECT_EQ(WaitChild(child), 0);
}

TEST(TlsHandshakeTest, UnencryptedDataAfterSslRequest) {
  TestCertificate cert;
  TlsContext ctx = TlsContext::Load(cert.cert_file(), cert.key_file(), "");
  Pair p;
  std::string request("\0\0\0\x08\x04\xd2\x16\x2fGARBAGE", 15);
  ASSERT_EQ(write(p.client, request.data(), request.size()), 15);
  ClientConnection conn(p.server, nullptr);
  (void)conn.ReadStartupPacket();
  try {
    conn.StartTls(ctx.get());
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.sqlstate().code(), "08P01");
    EXPECT_EQ(e.message(), "received unencrypted data after SSL request");
  }
  close(p.client);
}

TEST(TlsHandshakeTest, FailedHandshakes) {
  TestCertificate cert;
  TlsContext ctx = TlsContext::Load(cert.cert_file(), cert.key_file(), "");
  // A client that speaks plain text, one that hangs up, and one limited to TLS 1.1.
  for (int kind = 0; kind < 3; ++kind) {
    Pair p;
    pid_t child = fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
      close(p.server);
      if (kind == 0) {
        const char text[] = "GET / HTTP/1.0\r\n\r\n";
        (void)!write(p.client, text, sizeof(text) - 1);
      } else if (kind == 2) {
        TlsTestClient tls(p.client, TLS1_1_VERSION);
        (void)tls.Handshake();
      }
      close(p.client);
      _exit(0);
    }
    close(p.client);
    ClientConnection conn(p.server, nullptr);
    try {
      conn.StartTls(ctx.get());
      ADD_FAILURE() << "handshake succeeded, kind " << kind;
    } catch (const Error& e) {
      EXPECT_EQ(e.sqlstate().code(), "08P01");
      EXPECT_EQ(e.message().rfind("could not accept SSL connection: ", 0), 0u) << e.message();
      if (kind == 1) {
        EXPECT_EQ(e.message(), "could not accept SSL connection: EOF detected");
      }
    }
    EXPECT_EQ(WaitChild(child), 0);
  }
}

}  // namespace
}  // namespace keel::protocol
