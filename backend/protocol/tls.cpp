// TLS context loading and the server-certificate hash. See backend/protocol/README.md ("TLS").
#include "backend/protocol/tls.h"

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "backend/utils/error/error.h"
#include "backend/utils/error/format.h"

namespace keel::protocol {
namespace {

std::string LastOpenSslError() {
  unsigned long code = ERR_get_error();  // NOLINT(runtime/int)
  if (code == 0) return "no SSL error reported";
  const char* reason = ERR_reason_error_string(code);
  return reason != nullptr ? reason : Format("SSL error code %lu", code);
}

[[noreturn]] void ThrowConfig(std::string message, std::string detail = "") {
  Error error = FatalError(sqlstate::kConfigFileError, std::move(message));
  if (!detail.empty()) error.WithDetail(std::move(detail));
  throw error;
}

// T3: the key must not be readable by others: 0600 or less when owned by us, 0640 or less when
// owned by root (so a system-managed key shared through a group works), as PostgreSQL allows.
void CheckKeyFilePermissions(const std::string& key_file) {
  struct stat st {};
  if (stat(key_file.c_str(), &st) != 0) {
    ThrowConfig(Format("could not access private key file \"%s\": %s", key_file.c_str(),
                       ErrnoText(errno).c_str()));
  }
  if (!S_ISREG(st.st_mode)) {
    ThrowConfig(Format("private key file \"%s\" is not a regular file", key_file.c_str()));
  }
  if (st.st_uid != geteuid() && st.st_uid != 0) {
    ThrowConfig(Format("private key file \"%s\" must be owned by the database user or root",
                       key_file.c_str()));
  }
  bool too_open = (st.st_uid == geteuid() && (st.st_mode & (S_IRWXG | S_IRWXO)) != 0) ||
                  (st.st_uid == 0 && (st.st_mode & (S_IWGRP | S_IXGRP | S_IRWXO)) != 0);
  if (too_open) {
    ThrowConfig(Format("private key file \"%s\" has group or world access", key_file.c_str()),
                "File must have permissions u=rw (0600) or less if owned by the database user, "
                "or permissions u=rw,g=r (0640) or less if owned by root.");
  }
}

}  // namespace

TlsContext TlsContext::Load(const std::string& cert_file, const std::string& key_file,
                            const std::string& ca_file) {
  ERR_clear_error();
  SSL_CTX* raw = SSL_CTX_new(TLS_server_method());
  if (raw == nullptr) ThrowConfig("could not create SSL context: " + LastOpenSslError());
  TlsContext ctx(raw);  // owns it from here on, also when we throw

  // T2: TLS 1.2 or newer; no renegotiation; unexpected EOF is plain EOF.
  SSL_CTX_set_min_proto_version(raw, TLS1_2_VERSION);
  SSL_CTX_set_options(raw, SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE |
                               SSL_OP_IGNORE_UNEXPECTED_EOF);
  SSL_CTX_set_mode(raw, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  SSL_CTX_set_session_cache_mode(raw, SSL_SESS_CACHE_OFF);

  if (SSL_CTX_use_certificate_chain_file(raw, cert_file.c_str()) != 1) {
    ThrowConfig(Format("could not load server certificate file \"%s\": %s", cert_file.c_str(),
                       LastOpenSslError().c_str()));
  }
  CheckKeyFilePermissions(key_file);
  ERR_clear_error();
  if (SSL_CTX_use_PrivateKey_file(raw, key_file.c_str(), SSL_FILETYPE_PEM) != 1) {
    ThrowConfig(Format("could not load private key file \"%s\": %s", key_file.c_str(),
                       LastOpenSslError().c_str()));
  }
  if (SSL_CTX_check_private_key(raw) != 1) {
    ThrowConfig(Format("check of private key failed: %s", LastOpenSslError().c_str()));
  }
  if (!ca_file.empty()) {
    STACK_OF(X509_NAME)* names = nullptr;
    if (SSL_CTX_load_verify_locations(raw, ca_file.c_str(), nullptr) != 1 ||
        (names = SSL_load_client_CA_file(ca_file.c_str())) == nullptr) {
      ThrowConfig(Format("could not load root certificate file \"%s\": %s", ca_file.c_str(),
                         LastOpenSslError().c_str()));
    }
    SSL_CTX_set_client_CA_list(raw, names);
    // Ask for a client certificate and verify one if sent; whether one is required is an
    // authentication decision, not a handshake one.
    SSL_CTX_set_verify(raw, SSL_VERIFY_PEER | SSL_VERIFY_CLIENT_ONCE, nullptr);
  }
  return ctx;
}

TlsContext::~TlsContext() {
  if (ctx_ != nullptr) SSL_CTX_free(ctx_);
}

TlsContext::TlsContext(TlsContext&& other) noexcept : ctx_(other.ctx_) { other.ctx_ = nullptr; }

TlsContext& TlsContext::operator=(TlsContext&& other) noexcept {
  if (this != &other) {
    if (ctx_ != nullptr) SSL_CTX_free(ctx_);
    ctx_ = other.ctx_;
    other.ctx_ = nullptr;
  }
  return *this;
}

std::string TlsServerEndPointHash(SSL* ssl) {
  if (ssl == nullptr) return "";
  X509* cert = SSL_get_certificate(ssl);  // our own certificate; not a new reference
  if (cert == nullptr) return "";
  int md_nid = NID_undef;
  if (OBJ_find_sigid_algs(X509_get_signature_nid(cert), &md_nid, nullptr) == 0) return "";
  // RFC 5929 section 4.1: MD5 and SHA-1 are replaced by SHA-256.
  const EVP_MD* md =
      (md_nid == NID_md5 || md_nid == NID_sha1) ? EVP_sha256() : EVP_get_digestbynid(md_nid);
  if (md == nullptr) return "";
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (X509_digest(cert, md, digest, &len) != 1) return "";
  return std::string(reinterpret_cast<char*>(digest), len);
}

}  // namespace keel::protocol
