// Test-only certificate generation and TLS client. See tls_test_util.h.
#include "backend/protocol/tls_test_util.h"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <stdexcept>

namespace keel::protocol::testing {

TestCertificate::TestCertificate(const char* digest) {
  char tmpl[] = "/tmp/keel_tls_XXXXXX";
  if (mkdtemp(tmpl) == nullptr) throw std::runtime_error("mkdtemp");
  dir_ = tmpl;
  cert_file_ = dir_ + "/server.crt";
  key_file_ = dir_ + "/server.key";

  EVP_PKEY* key = EVP_EC_gen("P-256");
  X509* cert = X509_new();
  if (key == nullptr || cert == nullptr) throw std::runtime_error("key/cert allocation");
  X509_set_version(cert, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
  X509_gmtime_adj(X509_getm_notBefore(cert), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert), 86400);
  X509_set_pubkey(cert, key);
  X509_NAME* name = X509_get_subject_name(cert);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("keel-test"), -1, -1, 0);
  X509_set_issuer_name(cert, name);
  if (X509_sign(cert, key, EVP_get_digestbyname(digest)) == 0) {
    throw std::runtime_error("X509_sign");
  }
  unsigned char* der = nullptr;
  int der_len = i2d_X509(cert, &der);
  cert_der_.assign(reinterpret_cast<char*>(der), static_cast<size_t>(der_len));
  OPENSSL_free(der);

  FILE* f = fopen(cert_file_.c_str(), "w");
  PEM_write_X509(f, cert);
  fclose(f);
  f = fopen(key_file_.c_str(), "w");
  PEM_write_PrivateKey(f, key, nullptr, nullptr, 0, nullptr, nullptr);
  fclose(f);
  chmod(key_file_.c_str(), 0600);
  X509_free(cert);
  EVP_PKEY_free(key);
}

TestCertificate::~TestCertificate() {
  unlink(cert_file_.c_str());
  unlink(key_file_.c_str());
  rmdir(dir_.c_str());
}

TlsTestClient::TlsTestClient(int fd, int max_version) {
  ctx_ = SSL_CTX_new(TLS_client_method());
  if (max_version != 0) {
    SSL_CTX_set_min_proto_version(ctx_, 0);
    SSL_CTX_set_max_proto_version(ctx_, max_version);
    SSL_CTX_set_security_level(ctx_, 0);  // let the client offer the old version at all
  }
  ssl_ = SSL_new(ctx_);
  SSL_set_fd(ssl_, fd);
}

TlsTestClient::~TlsTestClient() {
  SSL_free(ssl_);
  SSL_CTX_free(ctx_);
}

bool TlsTestClient::Handshake() { return SSL_connect(ssl_) == 1; }

bool TlsTestClient::WriteAll(const std::string& data) {
  size_t done = 0;
  while (done < data.size()) {
    int n = SSL_write(ssl_, data.data() + done, static_cast<int>(data.size() - done));
    if (n <= 0) return false;
    done += static_cast<size_t>(n);
  }
  return true;
}

bool TlsTestClient::ReadExactly(size_t count, std::string* out) {
  out->clear();
  char buf[4096];
  while (out->size() < count) {
    int want = static_cast<int>(std::min(sizeof(buf), count - out->size()));
    int n = SSL_read(ssl_, buf, want);
    if (n <= 0) return false;
    out->append(buf, static_cast<size_t>(n));
  }
  return true;
}

std::string TlsTestClient::ServerCertSha256() const {
  X509* cert = SSL_get1_peer_certificate(ssl_);
  if (cert == nullptr) return "";
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  X509_digest(cert, EVP_sha256(), md, &len);
  X509_free(cert);
  return std::string(reinterpret_cast<char*>(md), len);
}

}  // namespace keel::protocol::testing
