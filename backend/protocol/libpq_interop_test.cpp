// Interoperability with the real client library: libpq in a forked child connects over
// loopback TCP to a server side built from this module (startup packet, SSLRequest + TLS,
// hba match, AuthenticateClient, ReadyForQuery). Covers SCRAM-SHA-256-PLUS with
// channel_binding=require, md5 and password, and a wrong password's error text.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <libpq-fe.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <map>
#include <string>
#include <variant>

#include "backend/protocol/auth/md5.h"
#include "backend/protocol/auth/scram.h"
#include "backend/protocol/backend_messages.h"
#include "backend/protocol/client_auth.h"
#include "backend/protocol/startup.h"
#include "backend/protocol/tls.h"
#include "backend/protocol/tls_test_util.h"

namespace keel::protocol {
namespace {

struct Listener {
  Listener() {
    fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 || listen(fd, 4) != 0) {
      std::abort();
    }
    socklen_t len = sizeof(addr);
    getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
    port = ntohs(addr.sin_port);
  }
  ~Listener() { close(fd); }
  int fd;
  int port;
};

// Child: connects with libpq; exit 0 when the outcome is the expected one.
[[noreturn]] void RunLibpq(const std::string& conninfo, bool expect_ok, const char* expect_error) {
  PGconn* conn = PQconnectdb(conninfo.c_str());
  bool ok = PQstatus(conn) == CONNECTION_OK;
  int code = 0;
  if (ok != expect_ok) {
    fprintf(stderr, "libpq: %s\n", PQerrorMessage(conn));
    code = 1;
  } else if (!ok && std::string(PQerrorMessage(conn)).find(expect_error) == std::string::npos) {
    fprintf(stderr, "libpq error text: %s\n", PQerrorMessage(conn));
    code = 2;
  } else if (ok && conninfo.find("channel_binding=require") != std::string::npos &&
             PQsslInUse(conn) != 1) {
    code = 3;
  }
  PQfinish(conn);
  _exit(code);
}

// Server side of one connection; returns the FATAL error text, or "" on success.
// `passwords`: the stored passwords of the roles that exist.
std::string Serve(int listen_fd, const std::string& hba_text,
                  const std::map<std::string, std::string>& passwords, const TlsContext* tls) {
  int fd = accept4(listen_fd, nullptr, nullptr, SOCK_CLOEXEC);
  ClientConnection conn(fd, nullptr);
  auth::HbaFile hba = auth::HbaFile::Parse(hba_text, "keel_hba.conf");
  try {
    StartupParams params;
    for (;;) {
      StartupPacket packet = ParseStartupPacket(conn.ReadStartupPacket());
      if (std::holds_alternative<SslRequest>(packet)) {
        conn.SendRawByte(tls != nullptr ? 'S' : 'N');
        conn.Flush();
        if (tls != nullptr) conn.StartTls(tls->get());
        continue;
      }
      params = std::get<StartupParams>(std::move(packet));
      break;
    }
    const auth::HbaLine* line = hba.Match(MakeHbaRequest(conn, params.database, params.user));
    if (line == nullptr) ThrowNoHbaEntry(conn, params.user, params.database);
    auto it = passwords.find(params.user);
    AuthenticateClient(conn, *line, params.user,
                       it != passwords.end() ? RoleSecret::Of(it->second)
                                               : RoleSecret::NoSuchRole(params.user),
                       params.database);
    conn.Send(AuthenticationOk());
    conn.Send(ParameterStatus("server_version", "15.0"));
    conn.Send(ParameterStatus("client_encoding", "UTF8"));
    conn.Send(BackendKeyData(getpid(), 12345));
    conn.SendAndFlush(ReadyForQuery('I'));
    EXPECT_EQ(conn.ReadMessage().type, 'X');  // PQfinish sends Terminate
    return "";
  } catch (const Error& e) {
    try {
      conn.SendAndFlush(ErrorResponse(e));
    } catch (const ClientGone&) {
    }
    return e.message();
  } catch (const ClientGone&) {
    return "ClientGone";
  }
}

int WaitChild(pid_t child) {
  int status = 0;
  if (waitpid(child, &status, 0) != child || !WIFEXITED(status)) return -1;
  return WEXITSTATUS(status);
}

struct Case {
  const char* name;
  std::string hba;
  std::string conninfo;  // appended to host/port/user/dbname
  bool use_tls;
  bool expect_ok;
  const char* error;
};

TEST(LibpqInteropTest, AuthenticationMethods) {
  testing::TestCertificate cert;
  TlsContext tls = TlsContext::Load(cert.cert_file(), cert.key_file(), "");
  const std::map<std::string, std::string> passwords = {
      {"alice", auth::ScramBuildVerifier("pencil")}, {"bob", auth::Md5PasswordHash("s3cret", "bob")}};
  for (const Case& c : std::initializer_list<Case>{
           {"scram-plus", "hostssl all all 127.0.0.1/32 scram-sha-256\n",
            "user=alice password=pencil sslmode=require channel_binding=require", true, true, ""},
           {"scram-plain", "host all all 127.0.0.1/32 scram-sha-256\n",
            "user=alice password=pencil sslmode=disable", false, true, ""},
           {"scram-wrong", "host all all all scram-sha-256\n",
            "user=alice password=pencils sslmode=disable", false, false,
            "password authentication failed for user \"alice\""},
           {"md5", "host all all 127.0.0.1 255.255.255.255 md5\n",
            "user=bob password=s3cret sslmode=disable", false, true, ""},
           {"password-tls", "hostssl all all all password\n",
            "user=alice password=pencil sslmode=require", true, true, ""},
           {"reject", "host all all all reject\n", "user=bob password=x sslmode=disable", false,
            false,
            "keel_hba.conf rejects connection for host \"127.0.0.1\", user \"bob\", "
            "database \"db\", no encryption"},
       }) {
    Listener listener;
    std::string conninfo = "host=127.0.0.1 port=" + std::to_string(listener.port) +
                           " dbname=db connect_timeout=20 " + c.conninfo;
    pid_t child = fork();
    ASSERT_GE(child, 0);
    if (child == 0) RunLibpq(conninfo, c.expect_ok, c.error);
    std::string result = Serve(listener.fd, c.hba, passwords, c.use_tls ? &tls : nullptr);
    if (c.expect_ok) {
      EXPECT_EQ(result, "") << c.name;
    } else {
      EXPECT_EQ(result, c.error) << c.name;
    }
    EXPECT_EQ(WaitChild(child), 0) << c.name;
  }
}

}  // namespace
}  // namespace keel::protocol
