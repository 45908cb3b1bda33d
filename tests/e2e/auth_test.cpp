// End to end: authentication methods of keel_hba.conf through real libpq, and TLS.
#include <gtest/gtest.h>
#include <libpq-fe.h>
#include <openssl/evp.h>
#include <sys/stat.h>

#include "backend/commands/user.h"
#include "tests/e2e/raw_client.h"
#include "tests/e2e/stopped_cluster.h"
#include "tests/e2e/test_cluster.h"
#include "tests/support/files.h"
#include "tests/support/run_program.h"
#include "tests/support/temp_dir.h"

namespace keel::testing {
namespace {

constexpr const char* kPassword = "s3cret pass";

// An md5 secret as PostgreSQL stores it, computed here independently of the server.
std::string Md5Secret(const std::string& password, const std::string& user) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  std::string input = password + user;
  EVP_Digest(input.data(), input.size(), digest, &len, EVP_md5(), nullptr);
  std::string hex = "md5";
  const char* digits = "0123456789abcdef";
  for (unsigned int i = 0; i < len; ++i) {
    hex += digits[digest[i] >> 4];
    hex += digits[digest[i] & 15];
  }
  return hex;
}

// A cluster whose superuser "keel" has kPassword, with `method` for local and host lines.
std::unique_ptr<TestCluster> PasswordCluster(const std::string& method, TempDir& tmp) {
  std::string pwfile = tmp.path() + "/pw";
  EXPECT_TRUE(WriteWholeFile(pwfile, std::string(kPassword) + "\n"));
  return std::make_unique<TestCluster>(
      std::vector<std::string>{"--auth=" + method, "--pwfile=" + pwfile});
}

// The authentication request code the server sends first (3 cleartext, 5 md5, 10 SASL).
int FirstAuthRequest(int port) {
  RawClient client(port);
  if (!client.ok()) return -1;
  client.Send(RawClient::StartupPacket({{"user", "keel"}, {"database", "postgres"}}));
  auto m = client.ReadMessage();
  if (!m || m->type != 'R' || m->body.size() < 4) return -1;
  return (static_cast<uint8_t>(m->body[0]) << 24) | (static_cast<uint8_t>(m->body[1]) << 16) |
         (static_cast<uint8_t>(m->body[2]) << 8) | static_cast<uint8_t>(m->body[3]);
}

TEST(AuthTest, TrustConnectsOverTcpAndUnixSocket) {
  TestCluster cluster;
  ASSERT_TRUE(cluster.Start());
  EXPECT_EQ(PQstatus(cluster.Connect().get()), CONNECTION_OK);
  std::string unix_info = "host=" + cluster.socket_dir() + " port=" + std::to_string(cluster.port()) +
                          " user=keel dbname=postgres";
  PgConn conn(PQconnectdb(unix_info.c_str()));
  EXPECT_EQ(PQstatus(conn.get()), CONNECTION_OK) << PQerrorMessage(conn.get());
  EXPECT_EQ(FirstAuthRequest(cluster.port()), 0);  // AuthenticationOk straight away
}

TEST(AuthTest, ScramSha256AcceptsRightPasswordAndRejectsWrongOne) {
  TempDir tmp;
  auto cluster = PasswordCluster("scram-sha-256", tmp);
  ASSERT_TRUE(cluster->Start());
  EXPECT_EQ(FirstAuthRequest(cluster->port()), 10);
  ConnectAttempt good = TryConnect(cluster->ConnInfo(std::string("password='") + kPassword + "'"));
  EXPECT_TRUE(good.conn) << good.error;
  ConnectAttempt bad = TryConnect(cluster->ConnInfo("password=wrong"));
  EXPECT_FALSE(bad.conn);
  EXPECT_EQ(bad.sqlstate, "28P01") << bad.error;
  EXPECT_NE(bad.error.find("password authentication failed for user \"keel\""), std::string::npos)
      << bad.error;
  ConnectAttempt unknown = TryConnect(cluster->ConnInfo("user=nobody password=x"));
  EXPECT_EQ(unknown.sqlstate, "28P01") << unknown.error;
  EXPECT_NE(unknown.error.find("password authentication failed for user \"nobody\""),
            std::string::npos);
}

TEST(AuthTest, Md5WithMd5SecretRunsMd5Exchange) {
  TempDir tmp;
  auto cluster = PasswordCluster("md5", tmp);
  // An md5 hash is stored as given (ALTER ROLE ... PASSWORD 'md5...', as PostgreSQL).
  EditStoppedCluster(*cluster, [] {
    (void)commands::AlterRole(
        {"keel", {commands::RoleOption::Password(Md5Secret(kPassword, "keel"))}});
  });
  ASSERT_TRUE(cluster->Start());
  EXPECT_EQ(FirstAuthRequest(cluster->port()), 5);
  ConnectAttempt good = TryConnect(cluster->ConnInfo(std::string("password='") + kPassword + "'"));
  EXPECT_TRUE(good.conn) << good.error;
  ConnectAttempt bad = TryConnect(cluster->ConnInfo("password=wrong"));
  EXPECT_EQ(bad.sqlstate, "28P01") << bad.error;
}

TEST(AuthTest, Md5WithScramSecretRunsScram) {
  TempDir tmp;
  auto cluster = PasswordCluster("md5", tmp);  // initdb stores a SCRAM verifier
  ASSERT_TRUE(cluster->Start());
  EXPECT_EQ(FirstAuthRequest(cluster->port()), 10);
  ConnectAttempt good = TryConnect(cluster->ConnInfo(std::string("password='") + kPassword + "'"));
  EXPECT_TRUE(good.conn) << good.error;
}

TEST(AuthTest, PasswordMethodChecksCleartextAgainstStoredSecret) {
  TempDir tmp;
  auto cluster = PasswordCluster("password", tmp);
  ASSERT_TRUE(cluster->Start());
  EXPECT_EQ(FirstAuthRequest(cluster->port()), 3);
  EXPECT_TRUE(TryConnect(cluster->ConnInfo(std::string("password='") + kPassword + "'")).conn);
  EXPECT_EQ(TryConnect(cluster->ConnInfo("password=nope")).sqlstate, "28P01");
}

TEST(AuthTest, RejectAndMissingHbaEntryGive28000) {
  TestCluster cluster;
  EditStoppedCluster(cluster, [] {
    (void)commands::CreateRole({commands::RoleStmtType::kUser, "other", {}});
  });
  cluster.WriteHba("host all other 127.0.0.1/32 trust\n"
                   "host all keel 127.0.0.1/32 reject\n");
  ASSERT_TRUE(cluster.Start());
  ConnectAttempt rejected = TryConnect(cluster.ConnInfo());
  EXPECT_EQ(rejected.sqlstate, "28000") << rejected.error;
  EXPECT_NE(rejected.error.find("keel_hba.conf rejects connection for host \"127.0.0.1\", user "
                                "\"keel\", database \"postgres\""),
            std::string::npos)
      << rejected.error;
  ConnectAttempt no_entry = TryConnect(cluster.ConnInfo("user=third"));
  EXPECT_EQ(no_entry.sqlstate, "28000") << no_entry.error;
  EXPECT_NE(no_entry.error.find("no keel_hba.conf entry for host \"127.0.0.1\", user \"third\", "
                                "database \"postgres\""),
            std::string::npos)
      << no_entry.error;
  EXPECT_TRUE(TryConnect(cluster.ConnInfo("user=other")).conn);
}

class TlsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ProgramResult r = RunProgram({"openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
                                  "-keyout", cluster_.data_dir() + "/server.key", "-out",
                                  cluster_.data_dir() + "/server.crt", "-days", "2", "-subj",
                                  "/CN=localhost"});
    ASSERT_EQ(r.exit_code, 0) << r.Output();
    chmod((cluster_.data_dir() + "/server.key").c_str(), 0600);
    cluster_.AppendConf("ssl = on");
  }
  TestCluster cluster_;
};

TEST_F(TlsTest, SslModeRequireConnectsOverTls) {
  ASSERT_TRUE(cluster_.Start());
  ConnectAttempt a = TryConnect(cluster_.ConnInfo("sslmode=require"));
  ASSERT_TRUE(a.conn) << a.error;
  EXPECT_EQ(PQsslInUse(a.conn.get()), 1);
  EXPECT_NE(std::string(PQsslAttribute(a.conn.get(), "protocol")).find("TLS"), std::string::npos);
  PGresult* res = PQexec(a.conn.get(), "select 1");
  EXPECT_EQ(SqlStateOf(res), "0A000");
  PQclear(res);
}

TEST_F(TlsTest, ScramOverTlsWithChannelBinding) {
  TempDir tmp;
  ASSERT_TRUE(WriteWholeFile(tmp.path() + "/pw", std::string(kPassword) + "\n"));
  TestCluster cluster({"--auth=scram-sha-256", "--pwfile=" + tmp.path() + "/pw"});
  ASSERT_EQ(RunProgram({"cp", cluster_.data_dir() + "/server.key",
                        cluster_.data_dir() + "/server.crt", cluster.data_dir()})
                .exit_code,
            0);
  chmod((cluster.data_dir() + "/server.key").c_str(), 0600);
  cluster.AppendConf("ssl = on");
  ASSERT_TRUE(cluster.Start());
  ConnectAttempt a = TryConnect(cluster.ConnInfo(std::string("sslmode=require channel_binding=require "
                                                             "password='") + kPassword + "'"));
  EXPECT_TRUE(a.conn) << a.error;
  ConnectAttempt bad = TryConnect(cluster.ConnInfo("sslmode=require password=wrong"));
  EXPECT_EQ(bad.sqlstate, "28P01") << bad.error;
}

TEST_F(TlsTest, HostSslLinesMatchOnlyTls) {
  cluster_.WriteHba("hostssl all all 127.0.0.1/32 trust\n");
  ASSERT_TRUE(cluster_.Start());
  EXPECT_TRUE(TryConnect(cluster_.ConnInfo("sslmode=require")).conn);
  ConnectAttempt plain = TryConnect(cluster_.ConnInfo());  // ConnInfo has sslmode=disable
  EXPECT_EQ(plain.sqlstate, "28000") << plain.error;
}

TEST(AuthTest, SslRequiredButServerHasNone) {
  TestCluster cluster;
  ASSERT_TRUE(cluster.Start());
  ConnectAttempt a = TryConnect(cluster.ConnInfo("sslmode=require"));
  EXPECT_FALSE(a.conn);
  EXPECT_NE(a.error.find("server does not support SSL"), std::string::npos) << a.error;
}

}  // namespace
}  // namespace keel::testing
