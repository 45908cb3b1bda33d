// Runs the authentication method of the matched keel_hba.conf line over a client connection:
// trust, reject, password, md5, scram-sha-256 (with -PLUS on TLS) and peer.
// See backend/protocol/README.md ("Authentication") and auth/README.md.
#pragma once

#include <string>
#include <string_view>

#include <optional>

#include "backend/protocol/auth/hba.h"
#include "backend/protocol/connection.h"
#include "backend/utils/error/error.h"

namespace keel::protocol {

// The stored password of the role that is logging in, as the caller read it from pg_authid
// (PostgreSQL's get_role_password): a SCRAM verifier or an md5 hash, or none with the reason
// for the server log (A10).
struct RoleSecret {
  std::optional<std::string> secret;
  std::string missing_detail;  // log-only DETAIL when `secret` is empty

  [[nodiscard]] static RoleSecret Of(std::string secret) { return {std::move(secret), ""}; }
  // `Role "%s" does not exist.`
  [[nodiscard]] static RoleSecret NoSuchRole(const std::string& user);
  // `User "%s" has no password assigned.`
  [[nodiscard]] static RoleSecret NoPassword(const std::string& user);
  // `User "%s" has an expired password.` (rolvaliduntil in the past)
  [[nodiscard]] static RoleSecret Expired(const std::string& user);
};

// A failed login. What the client gets is the keel::Error part (no detail: it must not learn
// why, A8); log_detail() is PostgreSQL's log-only DETAIL ("Connection matched keel_hba.conf
// line 3: ..."). Callers log ForLog() and send the error itself.
class AuthFailedError : public Error {
 public:
  AuthFailedError(SqlState sqlstate, std::string message, std::string log_detail)
      : Error(sqlstate, std::move(message), Severity::kFatal), log_detail_(std::move(log_detail)) {}

  [[nodiscard]] const std::string& log_detail() const { return log_detail_; }
  // A copy carrying log_detail() as its detail, for LogError().
  [[nodiscard]] Error ForLog() const {
    Error copy(sqlstate(), message(), severity());
    copy.WithDetail(log_detail_);
    return copy;
  }

 private:
  std::string log_detail_;
};

// Runs the method of `line` for `user`, whose stored password is `secret`; returns on success
// (the caller then sends AuthenticationOk; a SCRAM AuthenticationSASLFinal may already be
// buffered). Trust and peer do not look at `secret`: whether the role exists is the caller's
// check after this returns. Throws FATAL:
//  28P01 `password authentication failed for user "%s"` (AuthFailedError) for password, md5
//    and SCRAM failures, unknown roles, roles without a (valid) password;
//  28000 `keel_hba.conf rejects connection for host "%s", user "%s", database "%s", %s`
//    for reject (the last part "SSL encryption" or "no encryption", PostgreSQL 15's words);
//  28000 `Peer authentication failed for user "%s"` (AuthFailedError) for peer;
//  08P01 `expected password response, got message type %d`, `expected SASL response, got
//    message type %d`, `invalid password packet size`; 28P01 `empty password returned by
//    client`; the SCRAM errors of auth::ScramServer.
// Throws ClientGone when the client hangs up instead of answering (psql does this to prompt
// for a password, A9). `database` is only used in the reject message; empty means `user`.
// md5 with a stored SCRAM verifier (or with no stored secret) runs SCRAM instead, as
// PostgreSQL does; password checks the cleartext against either kind of stored secret.
void AuthenticateClient(ClientConnection& conn, const auth::HbaLine& line, const std::string& user,
                        const RoleSecret& secret, std::string_view database = {});

// When no line matched: throws FATAL 28000 `no keel_hba.conf entry for host "%s", user "%s",
// database "%s", %s` (host "[local]" for a Unix socket; last part as for reject).
[[noreturn]] void ThrowNoHbaEntry(const ClientConnection& conn, const std::string& user,
                                  const std::string& database);

// The hba request that describes `conn` (peer address, socket kind, TLS). The views
// `database` and `user` must outlive the request.
[[nodiscard]] auth::HbaRequest MakeHbaRequest(const ClientConnection& conn,
                                              std::string_view database, std::string_view user,
                                              bool replication = false);

}  // namespace keel::protocol
