// End-to-end tests of AuthenticateClient over a socketpair with a hand-written frontend in a
// second thread: trust, reject, password, md5, SCRAM (also -PLUS over TLS), peer, and the
// protocol errors of the exchange.
#include "backend/protocol/client_auth.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <poll.h>
#include <pwd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <functional>
#include <map>
#include <optional>
#include <stdexcept>
#include <thread>

#include "backend/protocol/auth/md5.h"
#include "backend/protocol/auth/scram.h"
#include "backend/protocol/auth/scram_test_client.h"
#include "backend/protocol/backend_messages.h"
#include "backend/protocol/tls.h"
#include "backend/protocol/tls_test_util.h"

namespace keel::protocol {
namespace {

using auth::testing::ScramTestClient;
using testing::TlsTestClient;

std::string Int32(int32_t value) {
  auto v = static_cast<uint32_t>(value);
  std::string out(4, '\0');
  out[0] = static_cast<char>(v >> 24);
  out[1] = static_cast<char>(v >> 16);
  out[2] = static_cast<char>(v >> 8);
  out[3] = static_cast<char>(v);
  return out;
}

int32_t ToInt32(std::string_view s) { return static_cast<int32_t>(ReadUint32(s.data())); }

// The client side: blocking reads and writes, optionally through TLS.
class Frontend {
 public:
  explicit Frontend(int fd) : fd_(fd) {}
  void set_tls(TlsTestClient* tls) { tls_ = tls; }
  [[nodiscard]] std::string ServerCertSha256() const {
    return tls_ != nullptr ? tls_->ServerCertSha256() : "";
  }

  bool Send(char type, const std::string& body) {
    std::string data = std::string(1, type) + Int32(static_cast<int32_t>(body.size() + 4)) + body;
    if (tls_ != nullptr) return tls_->WriteAll(data);
    size_t done = 0;
    while (done < data.size()) {
      ssize_t n = write(fd_, data.data() + done, data.size() - done);
      if (n <= 0) return false;
      done += static_cast<size_t>(n);
    }
    return true;
  }

  // The next server message; type 0 at EOF.
  std::pair<char, std::string> Receive() {
    std::string header;
    if (!ReadExactly(5, &header)) return {0, ""};
    std::string body;
    if (!ReadExactly(static_cast<size_t>(ToInt32(header.substr(1))) - 4, &body)) return {0, ""};
    return {header[0], body};
  }

  // Receives an 'R' message and returns its code (-1 on anything else); the rest in *data.
  int32_t ReceiveAuth(std::string* data = nullptr) {
    auto [type, body] = Receive();
    if (type != 'R' || body.size() < 4) return -1;
    if (data != nullptr) *data = body.substr(4);
    return ToInt32(body);
  }

  // Runs the client side of SCRAM after AuthenticationSASL; returns the server-final data or
  // "" on failure. `mechanism` and the test client decide the flags.
  std::string RunScram(ScramTestClient& client, const std::string& mechanism,
                       bool initial_response = true) {
    std::string first = client.FirstMessage();
    if (initial_response) {
      Send('p',
           mechanism + std::string(1, '\0') + Int32(static_cast<int32_t>(first.size())) + first);
    } else {
      Send('p', mechanism + std::string(1, '\0') + Int32(-1));
      std::string empty;
      if (ReceiveAuth(&empty) != 11 || !empty.empty()) return "";
      Send('p', first);
    }
    std::string server_first;
    if (ReceiveAuth(&server_first) != 11) return "";
    Send('p', client.FinalMessage(server_first));
    std::string server_final;
    if (ReceiveAuth(&server_final) != 12) return "";
    return server_final;
  }

 private:
  bool ReadExactly(size_t count, std::string* out) {
    if (tls_ != nullptr) return tls_->ReadExactly(count, out);
    out->clear();
    char buf[4096];
    while (out->size() < count) {
      ssize_t n = read(fd_, buf, std::min(sizeof(buf), count - out->size()));
      if (n <= 0) return false;
      out->append(buf, static_cast<size_t>(n));
    }
    return true;
  }

  int fd_;
  TlsTestClient* tls_ = nullptr;
};

struct Outcome {
  bool ok = false;
  bool client_gone = false;
  std::optional<Error> error;
  std::string log_detail;  // from AuthFailedError
};

struct AuthSetup {
  std::string hba = "local all all scram-sha-256\n";
  std::string user = "alice";
  std::string database = "sales";
  // Existing roles and their stored passwords (nullopt: none); a user not here does not exist.
  // `secret_override`, when set, is what the catalogs said instead (an expired password).
  std::map<std::string, std::optional<std::string>> roles;
  std::optional<RoleSecret> secret_override;
  ssl_ctx_st* tls = nullptr;  // when set, both sides start TLS first
};

// What the backend reads from pg_authid for the setup's user.
RoleSecret SecretOf(const AuthSetup& setup) {
  if (setup.secret_override) return *setup.secret_override;
  auto it = setup.roles.find(setup.user);
  if (it == setup.roles.end()) return RoleSecret::NoSuchRole(setup.user);
  if (!it->second) return RoleSecret::NoPassword(setup.user);
  return RoleSecret::Of(*it->second);
}

// Runs AuthenticateClient against `client` (in its own thread); sends AuthenticationOk on
// success as the backend would.
Outcome RunAuth(const AuthSetup& setup, const std::function<void(Frontend&)>& client) {
  int fds[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0) std::abort();
  std::thread thread([&, fd = fds[1]] {
    Frontend frontend(fd);
    std::optional<TlsTestClient> tls;
    if (setup.tls != nullptr) {
      tls.emplace(fd);
      EXPECT_TRUE(tls->Handshake());
      frontend.set_tls(&*tls);
    }
    client(frontend);
    tls.reset();
    close(fd);
  });
  Outcome outcome;
  {
    int polls = 0;
    ClientConnection conn(fds[0], [&polls](int fd, bool for_write) {
      pollfd pfd{fd, static_cast<short>(for_write ? POLLOUT : POLLIN), 0};
      if (poll(&pfd, 1, 100) == 0 && ++polls > 300) throw std::runtime_error("test timed out");
    });
    auth::HbaFile hba = auth::HbaFile::Parse(setup.hba, "keel_hba.conf");
    try {
      if (setup.tls != nullptr) conn.StartTls(setup.tls);
      const auth::HbaLine* line = hba.Match(MakeHbaRequest(conn, setup.database, setup.user));
      if (line == nullptr) ThrowNoHbaEntry(conn, setup.user, setup.database);
      AuthenticateClient(conn, *line, setup.user, SecretOf(setup), setup.database);
      outcome.ok = true;
      conn.SendAndFlush(AuthenticationOk());  // may find the client gone: fine
    } catch (const AuthFailedError& e) {
      outcome.error = e;
      outcome.log_detail = e.log_detail();
      EXPECT_EQ(e.ForLog().detail(), e.log_detail());
    } catch (const Error& e) {
      outcome.error = e;
    } catch (const ClientGone&) {
      outcome.client_gone = true;
    }
  }  // closes the server end, so a client still waiting sees EOF
  thread.join();
  return outcome;
}

using Roles = std::map<std::string, std::optional<std::string>>;

void ExpectError(const Outcome& outcome, const char* code, const std::string& message) {
  ASSERT_TRUE(outcome.error.has_value()) << "expected " << message;
  EXPECT_EQ(outcome.error->sqlstate().code(), code);
  EXPECT_EQ(outcome.error->message(), message);
  EXPECT_EQ(outcome.error->severity(), Severity::kFatal);
  if (outcome.error->sqlstate().code() == "28P01") {
    EXPECT_TRUE(outcome.error->detail().empty());  // nothing about the cause for the client
  }
}

std::string Md5Hex(const std::string& data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), digest, &len, EVP_md5(), nullptr);
  static const char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < len; ++i) {
    out += kHex[digest[i] >> 4];
    out += kHex[digest[i] & 15];
  }
  return out;
}

TEST(ClientAuthTest, TrustAndReject) {
  AuthSetup setup;
  setup.hba = "local all all trust\n";
  Outcome ok = RunAuth(setup, [](Frontend& f) { EXPECT_EQ(f.ReceiveAuth(), 0); });
  EXPECT_TRUE(ok.ok);

  setup.hba = "local all all reject\n";
  Outcome rejected = RunAuth(setup, [](Frontend&) {});
  ExpectError(rejected, "28000",
              "keel_hba.conf rejects connection for host \"[local]\", user \"alice\", database "
              "\"sales\", no encryption");
}

TEST(ClientAuthTest, NoHbaEntry) {
  AuthSetup setup;
  setup.hba = "host all all all trust\nlocal other all trust\n";
  Outcome outcome = RunAuth(setup, [](Frontend&) {});
  ExpectError(outcome, "28000",
              "no keel_hba.conf entry for host \"[local]\", user \"alice\", database \"sales\", "
              "no encryption");
}

TEST(ClientAuthTest, PasswordMethodWithBothSecretKinds) {
  AuthSetup setup;
  setup.hba = "local all all password\n";
  setup.roles = Roles{{"alice", auth::ScramBuildVerifier("pencil", 64)},
                      {"bob", auth::Md5PasswordHash("s3cret", "bob")}};
  Outcome ok = RunAuth(setup, [](Frontend& f) {
    EXPECT_EQ(f.ReceiveAuth(), 3);
    f.Send('p', std::string("pencil\0", 7));
    EXPECT_EQ(f.ReceiveAuth(), 0);
  });
  EXPECT_TRUE(ok.ok);

  setup.user = "bob";
  Outcome md5_ok = RunAuth(setup, [](Frontend& f) {
    EXPECT_EQ(f.ReceiveAuth(), 3);
    f.Send('p', std::string("s3cret\0", 7));
  });
  EXPECT_TRUE(md5_ok.ok);

  Outcome wrong = RunAuth(setup, [](Frontend& f) {
    EXPECT_EQ(f.ReceiveAuth(), 3);
    f.Send('p', std::string("pencil\0", 7));
    EXPECT_EQ(f.Receive().first, 0);  // the server just closes (the lead sends the error)
  });
  ExpectError(wrong, "28P01", "password authentication failed for user \"bob\"");
  EXPECT_EQ(wrong.log_detail,
            "Password does not match for user \"bob\".\n"
            "Connection matched keel_hba.conf line 1: \"local all all password\"");

  setup.user = "carol";
  Outcome unknown = RunAuth(setup, [](Frontend& f) {
    EXPECT_EQ(f.ReceiveAuth(), 3);
    f.Send('p', std::string("x\0", 2));
  });
  ExpectError(unknown, "28P01", "password authentication failed for user \"carol\"");
  EXPECT_EQ(unknown.log_detail.rfind("Role \"carol\" does not exist.\n", 0), 0u);

  // A role without a password, and one whose password expired (rolvaliduntil): the same
  // failure for the client, the reason in the log only (A8, A10).
  setup.roles["dave"] = std::nullopt;
  setup.user = "dave";
  Outcome none = RunAuth(setup, [](Frontend& f) {
    EXPECT_EQ(f.ReceiveAuth(), 3);
    f.Send('p', std::string("x\0", 2));
  });
  ExpectError(none, "28P01", "password authentication failed for user \"dave\"");
  EXPECT_EQ(none.log_detail.rfind("User \"dave\" has no password assigned.\n", 0), 0u);
  setup.user = "bob";
  setup.secret_override = RoleSecret::Expired("bob");
  Outcome expired = RunAuth(setup, [](Frontend& f) {
    EXPECT_EQ(f.ReceiveAuth(), 3);
    f.Send('p', std::string("s3cret\0", 7));  // right password, but expired
  });
  ExpectError(expired, "28P01", "password authentication failed for user \"bob\"");
  EXPECT_EQ(expired.log_detail.rfind("User \"bob\" has an expired password.\n", 0), 0u);
}

TEST(ClientAuthTest, PasswordProtocolErrors) {
  AuthSetup setup;
  setup.hba = "local all all password\n";
  setup.roles = Roles{{"alice", auth::Md5PasswordHash("pw", "alice")}};

  Outcome gone = RunAuth(setup, [](Frontend& f) { EXPECT_EQ(f.ReceiveAuth(), 3); });
  EXPECT_TRUE(gone.client_gone);  // psql hangs up to prompt for a password: no error

  Outcome empty = RunAuth(setup, [](Frontend& f) {
    (void)f.ReceiveAuth();
    f.Send('p', std::string("\0", 1));
  });
  ExpectError(empty, "28P01", "empty password returned by client");

  Outcome size = RunAuth(setup, [](Frontend& f) {
    (void)f.ReceiveAuth();
    f.Send('p', std::string("pw\0extra", 8));
  });
  ExpectError(size, "08P01", "invalid password packet size");

  Outcome type = RunAuth(setup, [](Frontend& f) {
    (void)f.ReceiveAuth();
    f.Send('Q', std::string("select 1\0", 9));
  });
  ExpectError(type, "08P01", "expected password response, got message type 81");
}

TEST(ClientAuthTest, Md5Challenge) {
  AuthSetup setup;
  setup.hba = "local all all md5\n";
  std::string stored = auth::Md5PasswordHash("s3cret", "alice");
  setup.roles = Roles{{"alice", stored}};
  for (const char* password : {"s3cret", "wrong"}) {
    Outcome outcome = RunAuth(setup, [&](Frontend& f) {
      std::string salt;
      ASSERT_EQ(f.ReceiveAuth(&salt), 5);
      ASSERT_EQ(salt.size(), 4u);
      std::string response = "md5" + Md5Hex(Md5Hex(std::string(password) + "alice") + salt);
      f.Send('p', response + std::string(1, '\0'));
    });
    if (std::string(password) == "s3cret") {
      EXPECT_TRUE(outcome.ok);
    } else {
      ExpectError(outcome, "28P01", "password authentication failed for user \"alice\"");
    }
  }
}

TEST(ClientAuthTest, Md5MethodWithScramSecretRunsScram) {
  AuthSetup setup;
  setup.hba = "local all all md5\n";
  setup.roles = Roles{{"alice", auth::ScramBuildVerifier("pencil", 64)}};
  Outcome outcome = RunAuth(setup, [](Frontend& f) {
    std::string mechanisms;
    ASSERT_EQ(f.ReceiveAuth(&mechanisms), 10);
    ScramTestClient client("pencil", "clientnonce123");
    EXPECT_EQ(f.RunScram(client, "SCRAM-SHA-256"), client.expected_server_final());
    EXPECT_EQ(f.ReceiveAuth(), 0);
  });
  EXPECT_TRUE(outcome.ok);
}

TEST(ClientAuthTest, ScramExchange) {
  AuthSetup setup;
  setup.roles = Roles{{"alice", auth::ScramBuildVerifier("pencil", 64)}};
  for (bool initial_response : {true, false}) {
    Outcome outcome = RunAuth(setup, [&](Frontend& f) {
      std::string mechanisms;
      ASSERT_EQ(f.ReceiveAuth(&mechanisms), 10);
      EXPECT_EQ(mechanisms, std::string("SCRAM-SHA-256\0\0", 15));  // no -PLUS without TLS
      ScramTestClient client("pencil", "rOprNGfwEbeRWgbNEkqO");
      EXPECT_EQ(f.RunScram(client, "SCRAM-SHA-256", initial_response),
                client.expected_server_final());
      EXPECT_EQ(f.ReceiveAuth(), 0);
    });
    EXPECT_TRUE(outcome.ok) << initial_response;
  }

  Outcome wrong = RunAuth(setup, [](Frontend& f) {
    (void)f.ReceiveAuth();
    ScramTestClient client("pencils", "nonce");
    EXPECT_EQ(f.RunScram(client, "SCRAM-SHA-256"), "");
  });
  ExpectError(wrong, "28P01", "password authentication failed for user \"alice\"");
  EXPECT_EQ(wrong.log_detail,
            "Connection matched keel_hba.conf line 1: \"local all all scram-sha-256\"");

  setup.user = "mallory";  // unknown: a full exchange against a mock verifier, then failure
  Outcome unknown = RunAuth(setup, [](Frontend& f) {
    (void)f.ReceiveAuth();
    ScramTestClient client("guess", "nonce");
    EXPECT_EQ(f.RunScram(client, "SCRAM-SHA-256"), "");
  });
  ExpectError(unknown, "28P01", "password authentication failed for user \"mallory\"");
  EXPECT_EQ(unknown.log_detail.rfind("Role \"mallory\" does not exist.\n", 0), 0u);

  setup.user = "alice";  // an expired password: the mock exchange, then failure
  setup.secret_override = RoleSecret::Expired("alice");
  Outcome expired = RunAuth(setup, [](Frontend& f) {
    std::string mechanisms;
    ASSERT_EQ(f.ReceiveAuth(&mechanisms), 10);
    ScramTestClient client("pencil", "nonce");
    EXPECT_EQ(f.RunScram(client, "SCRAM-SHA-256"), "");
  });
  ExpectError(expired, "28P01", "password authentication failed for user \"alice\"");
  EXPECT_EQ(expired.log_detail.rfind("User \"alice\" has an expired password.\n", 0), 0u);
}

TEST(ClientAuthTest, ScramProtocolErrors) {
  AuthSetup setup;
  setup.roles = Roles{{"alice", auth::ScramBuildVerifier("pencil", 64)}};
  Outcome mechanism = RunAuth(setup, [](Frontend& f) {
    (void)f.ReceiveAuth();
    f.Send('p', std::string("SCRAM-SHA-1\0", 12) + Int32(3) + "n,,");
  });
  ExpectError(mechanism, "08P01", "client selected an invalid SASL authentication mechanism");

  Outcome type = RunAuth(setup, [](Frontend& f) {
    (void)f.ReceiveAuth();
    ScramTestClient client("pencil", "nonce");
    std::string first = client.FirstMessage();
    f.Send('p',
           std::string("SCRAM-SHA-256\0", 14) + Int32(static_cast<int32_t>(first.size())) + first);
    (void)f.ReceiveAuth();
    f.Send('X', "");
  });
  ExpectError(type, "08P01", "expected SASL response, got message type 88");

  Outcome truncated = RunAuth(setup, [](Frontend& f) {
    (void)f.ReceiveAuth();
    f.Send('p', std::string("SCRAM-SHA-256\0", 14) + Int32(50) + "n,,");
  });
  ExpectError(truncated, "08P01", "insufficient data left in message");

  Outcome gone = RunAuth(setup, [](Frontend& f) { (void)f.ReceiveAuth(); });
  EXPECT_TRUE(gone.client_gone);
}

TEST(ClientAuthTest, Peer) {
  passwd* me = getpwuid(geteuid());
  ASSERT_NE(me, nullptr);
  AuthSetup setup;
  setup.hba = "local all all peer\n";
  setup.user = me->pw_name;
  EXPECT_TRUE(RunAuth(setup, [](Frontend&) {}).ok);

  setup.user = "someone_else";
  Outcome outcome = RunAuth(setup, [](Frontend&) {});
  ExpectError(outcome, "28000", "Peer authentication failed for user \"someone_else\"");
  EXPECT_EQ(outcome.log_detail.rfind("Provided user name (someone_else) and authenticated user "
                                     "name (" +
                                         std::string(me->pw_name) + ") do not match.",
                                     0),
            0u);
}

TEST(ClientAuthTest, ScramPlusOverTls) {
  testing::TestCertificate cert;
  TlsContext ctx = TlsContext::Load(cert.cert_file(), cert.key_file(), "");
  AuthSetup setup;
  setup.tls = ctx.get();
  setup.roles = Roles{{"alice", auth::ScramBuildVerifier("pencil", 64)}};
  Outcome plus = RunAuth(setup, [](Frontend& f) {
    std::string mechanisms;
    ASSERT_EQ(f.ReceiveAuth(&mechanisms), 10);
    EXPECT_EQ(mechanisms, std::string("SCRAM-SHA-256-PLUS\0SCRAM-SHA-256\0\0", 34));
    // The client binds to the hash of the certificate it actually received.
    ScramTestClient client("pencil", "tlsnonce", "p=tls-server-end-point,,", f.ServerCertSha256());
    EXPECT_EQ(f.RunScram(client, "SCRAM-SHA-256-PLUS"), client.expected_server_final());
    EXPECT_EQ(f.ReceiveAuth(), 0);
  });
  EXPECT_TRUE(plus.ok);

  // Plain SCRAM over TLS also works when the client says it cannot bind ('n').
  Outcome plain = RunAuth(setup, [](Frontend& f) {
    (void)f.ReceiveAuth();
    ScramTestClient client("pencil", "tlsnonce");
    EXPECT_EQ(f.RunScram(client, "SCRAM-SHA-256"), client.expected_server_final());
  });
  EXPECT_TRUE(plain.ok);

  // 'y' ("I could bind, but you cannot") after the server offered -PLUS: downgrade refused.
  Outcome downgrade = RunAuth(setup, [](Frontend& f) {
    (void)f.ReceiveAuth();
    ScramTestClient client("pencil", "tlsnonce", "y,,");
    (void)f.RunScram(client, "SCRAM-SHA-256");
  });
  ExpectError(downgrade, "28000", "SCRAM channel binding negotiation error");

  // A binding to some other certificate fails.
  Outcome mitm = RunAuth(setup, [](Frontend& f) {
    (void)f.ReceiveAuth();
    ScramTestClient client("pencil", "tlsnonce", "p=tls-server-end-point,,", std::string(32, 'x'));
    (void)f.RunScram(client, "SCRAM-SHA-256-PLUS");
  });
  ExpectError(mitm, "28000", "SCRAM channel binding check failed");

  // Messages name the encryption state.
  setup.hba = "local all all reject\n";
  ExpectError(RunAuth(setup, [](Frontend&) {}), "28000",
              "keel_hba.conf rejects connection for host \"[local]\", user \"alice\", database "
              "\"sales\", SSL encryption");
}

}  // namespace
}  // namespace keel::protocol
