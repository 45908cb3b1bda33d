// Client authentication over a connection. See backend/protocol/README.md ("Authentication").
#include "backend/protocol/client_auth.h"

#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <pwd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <optional>
#include <vector>

#include "backend/protocol/auth/md5.h"
#include "backend/protocol/auth/scram.h"
#include "backend/protocol/backend_messages.h"
#include "backend/protocol/tls.h"
#include "backend/utils/error/format.h"
#include "backend/utils/error/log.h"

namespace keel::protocol {
namespace {

const char* EncryptionState(const ClientConnection& conn) {
  return conn.is_tls() ? "SSL encryption" : "no encryption";
}

std::string MatchedLine(const auth::HbaLine& line) {
  return Format("Connection matched keel_hba.conf line %d: \"%s\"", line.line_number,
                line.raw_line.c_str());
}

// A8: the reason goes to the log only; the client sees the same message for every cause.
[[noreturn]] void FailPassword(const auth::HbaLine& line, const std::string& user,
                               const std::string& why) {
  std::string detail = why.empty() ? MatchedLine(line) : why + "\n" + MatchedLine(line);
  throw AuthFailedError(sqlstate::kInvalidPassword,
                        Format("password authentication failed for user \"%s\"", user.c_str()),
                        std::move(detail));
}

std::string MismatchDetail(const std::string& user) {
  return Format("Password does not match for user \"%s\".", user.c_str());
}

// Reads the next 'p' message; any other type is a protocol violation. EOF: ClientGone (A9).
std::string ReadPasswordMessage(ClientConnection& conn, const char* expected) {
  ClientConnection::Message message = conn.ReadMessage();
  if (message.type != 'p') {
    throw FatalError(sqlstate::kProtocolViolation,
                     Format("expected %s response, got message type %d", expected,
                            static_cast<int>(static_cast<unsigned char>(message.type))));
  }
  return std::move(message.body);
}

// A PasswordMessage body: one NUL-terminated string filling the whole message.
std::string ReadCleartextOrMd5Response(ClientConnection& conn) {
  std::string body = ReadPasswordMessage(conn, "password");
  if (body.empty() || body.find('\0') != body.size() - 1) {
    throw FatalError(sqlstate::kProtocolViolation, "invalid password packet size");
  }
  body.pop_back();
  if (body.empty()) {
    throw FatalError(sqlstate::kInvalidPassword, "empty password returned by client");
  }
  return body;
}

void AuthenticatePassword(ClientConnection& conn, const auth::HbaLine& line,
                          const std::string& user, const RoleSecret& role_secret) {
  conn.SendAndFlush(AuthenticationCleartextPassword());
  std::string password = ReadCleartextOrMd5Response(conn);
  const std::optional<std::string>& secret = role_secret.secret;
  bool ok = false;
  if (!secret) {
    OPENSSL_cleanse(password.data(), password.size());
    FailPassword(line, user, role_secret.missing_detail);
  }
  if (auth::IsMd5Hash(*secret)) {
    std::string computed = auth::Md5PasswordHash(password, user);
    ok = CRYPTO_memcmp(computed.data(), secret->data(), computed.size()) == 0;
  } else if (auto verifier = auth::ScramParseVerifier(*secret)) {
    ok = auth::ScramVerifyPlainPassword(password, *verifier);
  } else {
    Log(Severity::kLog, "invalid password secret for user \"%s\"", user.c_str());
  }
  OPENSSL_cleanse(password.data(), password.size());
  if (!ok) FailPassword(line, user, MismatchDetail(user));
}

void AuthenticateMd5Challenge(ClientConnection& conn, const auth::HbaLine& line,
                              const std::string& user, const std::string& md5_hash) {
  auth::Md5Salt salt{};
  if (RAND_bytes(salt.data(), static_cast<int>(salt.size())) != 1) {
    throw FatalError(sqlstate::kInternalError, "could not generate random MD5 salt");
  }
  conn.SendAndFlush(AuthenticationMd5Password(
      std::string_view(reinterpret_cast<const char*>(salt.data()), salt.size())));
  std::string response = ReadCleartextOrMd5Response(conn);
  if (!auth::Md5CheckResponse(md5_hash, salt, response)) {
    FailPassword(line, user, MismatchDetail(user));
  }
}

void AuthenticateScram(ClientConnection& conn, const auth::HbaLine& line, const std::string& user,
                       const RoleSecret& role_secret) {
  const std::optional<std::string>& secret = role_secret.secret;
  auth::ScramChannelBinding binding;
  if (conn.is_tls()) {
    binding.cert_hash = TlsServerEndPointHash(conn.ssl());
    binding.offered = !binding.cert_hash.empty();
  }
  std::vector<std::string> mechanisms;
  if (binding.offered) mechanisms.emplace_back(auth::kScramSha256Plus);  // preferred first
  mechanisms.emplace_back(auth::kScramSha256);
  conn.SendAndFlush(AuthenticationSasl(mechanisms));

  // SASLInitialResponse: mechanism name, int32 length (-1: no initial response), data.
  std::string initial = ReadPasswordMessage(conn, "SASL");
  MessageReader reader(initial);
  std::string mechanism(reader.GetString());
  int32_t length = reader.GetInt32();
  std::optional<std::string> client_first;
  if (length != -1) {
    if (length < 0) throw FatalError(sqlstate::kProtocolViolation, "invalid message format");
    client_first = std::string(reader.GetBytes(static_cast<size_t>(length)));
  }
  reader.ExpectEnd();

  std::optional<std::string_view> secret_view;
  if (secret) secret_view = *secret;
  auth::ScramServer server(mechanism, user, secret_view, binding);
  if (!client_first) {
    // The client wants an empty challenge first, then sends the client-first message.
    conn.SendAndFlush(AuthenticationSaslContinue(""));
    client_first = ReadPasswordMessage(conn, "SASL");
  }
  conn.SendAndFlush(AuthenticationSaslContinue(server.ProcessClientFirst(*client_first)));

  std::string client_final = ReadPasswordMessage(conn, "SASL");
  std::optional<std::string> server_final = server.ProcessClientFinal(client_final);
  if (!server_final) {
    std::string why = server.failure_detail();
    if (why.empty() && !secret) why = role_secret.missing_detail;  // A10
    FailPassword(line, user, why);
  }
  // Not flushed: it travels with AuthenticationOk, as PostgreSQL sends it.
  conn.Send(AuthenticationSaslFinal(*server_final));
}

void AuthenticatePeer(ClientConnection& conn, const auth::HbaLine& line, const std::string& user) {
  auto fail = [&](const std::string& why) {
    std::string detail = why.empty() ? MatchedLine(line) : why + "\n" + MatchedLine(line);
    throw AuthFailedError(sqlstate::kInvalidAuthorizationSpecification,
                          Format("Peer authentication failed for user \"%s\"", user.c_str()),
                          std::move(detail));
  };
  if (!conn.is_unix_socket()) fail("Peer authentication is only supported on local sockets.");
  ucred cred{};
  socklen_t len = sizeof(cred);
  if (getsockopt(conn.fd(), SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0) {
    Log(Severity::kLog, "could not get peer credentials: %s", ErrnoText(errno).c_str());
    fail("");
  }
  passwd pw{};
  passwd* result = nullptr;
  std::vector<char> buf(16384);
  int rc = getpwuid_r(cred.uid, &pw, buf.data(), buf.size(), &result);
  if (rc != 0 || result == nullptr) {
    Log(Severity::kLog, "could not look up local user ID %ld: %s", static_cast<long>(cred.uid),
        rc != 0 ? ErrnoText(rc).c_str() : "user does not exist");
    fail("");
  }
  if (user != pw.pw_name) {
    fail(Format("Provided user name (%s) and authenticated user name (%s) do not match.",
                user.c_str(), pw.pw_name));
  }
}

}  // namespace

RoleSecret RoleSecret::NoSuchRole(const std::string& user) {
  return {std::nullopt, Format("Role \"%s\" does not exist.", user.c_str())};
}

RoleSecret RoleSecret::NoPassword(const std::string& user) {
  return {std::nullopt, Format("User \"%s\" has no password assigned.", user.c_str())};
}

RoleSecret RoleSecret::Expired(const std::string& user) {
  return {std::nullopt, Format("User \"%s\" has an expired password.", user.c_str())};
}

void AuthenticateClient(ClientConnection& conn, const auth::HbaLine& line, const std::string& user,
                        const RoleSecret& secret, std::string_view database) {
  switch (line.method) {
    case auth::HbaMethod::kTrust:
      return;
    case auth::HbaMethod::kReject: {
      std::string db = database.empty() ? user : std::string(database);
      throw FatalError(
          sqlstate::kInvalidAuthorizationSpecification,
          Format("keel_hba.conf rejects connection for host \"%s\", user \"%s\", "
                 "database \"%s\", %s",
                 conn.peer_host().c_str(), user.c_str(), db.c_str(), EncryptionState(conn)));
    }
    case auth::HbaMethod::kPassword:
      AuthenticatePassword(conn, line, user, secret);
      return;
    case auth::HbaMethod::kMd5:
      if (secret.secret && auth::IsMd5Hash(*secret.secret)) {
        AuthenticateMd5Challenge(conn, line, user, *secret.secret);
      } else {
        AuthenticateScram(conn, line, user, secret);
      }
      return;
    case auth::HbaMethod::kScramSha256:
      AuthenticateScram(conn, line, user, secret);
      return;
    case auth::HbaMethod::kPeer:
      AuthenticatePeer(conn, line, user);
      return;
  }
  KEEL_ASSERT(false);
}

void ThrowNoHbaEntry(const ClientConnection& conn, const std::string& user,
                     const std::string& database) {
  throw FatalError(
      sqlstate::kInvalidAuthorizationSpecification,
      Format("no keel_hba.conf entry for host \"%s\", user \"%s\", database \"%s\", "
             "%s",
             conn.peer_host().c_str(), user.c_str(), database.c_str(), EncryptionState(conn)));
}

auth::HbaRequest MakeHbaRequest(const ClientConnection& conn, std::string_view database,
                                std::string_view user, bool replication) {
  auth::HbaRequest request;
  request.is_unix = conn.is_unix_socket();
  request.is_ssl = conn.is_tls();
  request.peer = conn.peer();
  request.database = database;
  request.user = user;
  request.replication = replication;
  return request;
}

}  // namespace keel::protocol
