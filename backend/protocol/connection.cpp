// Client socket I/O for the v3 protocol. See backend/protocol/README.md ("Connection").
#include "backend/protocol/connection.h"

#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <mutex>

#include "backend/utils/error/format.h"
#include "backend/utils/error/log.h"
#include "backend/utils/error/sqlstate.h"

namespace keel::protocol {
namespace {

constexpr size_t kReadChunk = 8192;
constexpr size_t kMaxReadChunk = size_t{1} << 20;
constexpr size_t kOutputFlushThreshold = 64 * 1024;

// C6: a BIO over the non-blocking socket that sends with MSG_NOSIGNAL, so OpenSSL's writes to a
// vanished client cannot raise SIGPIPE either. The fd is the BIO's data pointer.
int BioFd(BIO* bio) { return static_cast<int>(reinterpret_cast<intptr_t>(BIO_get_data(bio))); }

int BioRead(BIO* bio, char* buf, int len) {
  BIO_clear_retry_flags(bio);
  ssize_t n = recv(BioFd(bio), buf, static_cast<size_t>(len), 0);
  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
    BIO_set_retry_read(bio);
  }
  return static_cast<int>(n);
}

int BioWrite(BIO* bio, const char* buf, int len) {
  BIO_clear_retry_flags(bio);
  ssize_t n = send(BioFd(bio), buf, static_cast<size_t>(len), MSG_NOSIGNAL);
  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
    BIO_set_retry_write(bio);
  }
  return static_cast<int>(n);
}

long BioCtrl(BIO* bio, int cmd, long num, void* ptr) {  // NOLINT(runtime/int): OpenSSL's type
  return cmd == BIO_CTRL_FLUSH ? 1 : 0;
}

int BioCreate(BIO* bio) {
  BIO_set_init(bio, 1);
  return 1;
}

int BioDestroy(BIO* bio) { return bio != nullptr ? 1 : 0; }

BIO_METHOD* SocketBioMethod() {
  static BIO_METHOD* method = nullptr;
  static std::once_flag once;
  std::call_once(once, [] {
    method = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "keel client socket");
    if (method == nullptr) return;
    BIO_meth_set_read(method, BioRead);
    BIO_meth_set_write(method, BioWrite);
    BIO_meth_set_ctrl(method, BioCtrl);
    BIO_meth_set_create(method, BioCreate);
    BIO_meth_set_destroy(method, BioDestroy);
  });
  return method;
}

std::string OpenSslErrorText(unsigned long code) {  // NOLINT(runtime/int)
  if (code == 0) return "no SSL error reported";
  const char* reason = ERR_reason_error_string(code);
  if (reason != nullptr) return reason;
  return Format("SSL error code %lu", code);
}

[[noreturn]] void ThrowGoneAfterLog(const char* what, int errno_value) {
  Log(Severity::kLog, "%s: %s", what, ErrnoText(errno_value).c_str());
  throw ClientGone();
}

bool IsSmallMessageType(char type) {
  switch (type) {
    case 'S':  // Sync
    case 'H':  // Flush
    case 'X':  // Terminate
    case 'C':  // Close
    case 'D':  // Describe
    case 'E':  // Execute
    case 'p':  // password / SASL response
      return true;
    default:
      return false;
  }
}

}  // namespace

ClientConnection::ClientConnection(int fd, WaitFn wait) : fd_(fd), wait_(std::move(wait)) {
  KEEL_ASSERT(fd >= 0);
  int flags = fcntl(fd_, F_GETFL, 0);
  if (flags >= 0) (void)fcntl(fd_, F_SETFL, flags | O_NONBLOCK);
  sockaddr_storage local{};
  socklen_t len = sizeof(local);
  if (getsockname(fd_, reinterpret_cast<sockaddr*>(&local), &len) == 0) {
    is_unix_ = local.ss_family == AF_UNIX;
  }
  len = sizeof(peer_);
  if (getpeername(fd_, reinterpret_cast<sockaddr*>(&peer_), &len) != 0) {
    peer_ = sockaddr_storage{};
    peer_.ss_family = local.ss_family;
  }
  if (!is_unix_) {
    int on = 1;
    // Small protocol messages must not wait for Nagle; keepalive notices dead peers.
    (void)setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
    (void)setsockopt(fd_, SOL_SOCKET, SO_KEEPALIVE, &on, sizeof(on));
  }
}

ClientConnection::~ClientConnection() { Close(); }

void ClientConnection::Close() noexcept {
  if (ssl_ != nullptr) {
    if (!broken_) {
      ERR_clear_error();
      (void)SSL_shutdown(ssl_);  // best effort close_notify; never waits (non-blocking)
    }
    SSL_free(ssl_);
    ssl_ = nullptr;
  }
  if (fd_ >= 0) {
    close(fd_);
    fd_ = -1;
  }
}

ClientConnection::ClientConnection(ClientConnection&& other) noexcept
    : fd_(other.fd_),
      wait_(std::move(other.wait_)),
      ssl_(other.ssl_),
      is_unix_(other.is_unix_),
      in_transaction_(other.in_transaction_),
      broken_(other.broken_),
      peer_(other.peer_),
      in_buf_(std::move(other.in_buf_)),
      in_pos_(other.in_pos_),
      out_buf_(std::move(other.out_buf_)) {
  other.fd_ = -1;
  other.ssl_ = nullptr;
}

ClientConnection& ClientConnection::operator=(ClientConnection&& other) noexcept {
  if (this != &other) {
    Close();
    fd_ = other.fd_;
    wait_ = std::move(other.wait_);
    ssl_ = other.ssl_;
    is_unix_ = other.is_unix_;
    in_transaction_ = other.in_transaction_;
    broken_ = other.broken_;
    peer_ = other.peer_;
    in_buf_ = std::move(other.in_buf_);
    in_pos_ = other.in_pos_;
    out_buf_ = std::move(other.out_buf_);
    other.fd_ = -1;
    other.ssl_ = nullptr;
  }
  return *this;
}

void ClientConnection::SetWait(WaitFn wait) { wait_ = std::move(wait); }

void ClientConnection::Wait(bool for_write) {
  if (wait_) {
    wait_(fd_, for_write);
    return;
  }
  pollfd pfd{fd_, static_cast<short>(for_write ? POLLOUT : POLLIN), 0};
  while (poll(&pfd, 1, -1) < 0 && errno == EINTR) {
  }
}

std::string ClientConnection::peer_host() const {
  if (is_unix_) return "[local]";
  char host[NI_MAXHOST];
  socklen_t len = peer_.ss_family == AF_INET6 ? sizeof(sockaddr_in6) : sizeof(sockaddr_in);
  if (getnameinfo(reinterpret_cast<const sockaddr*>(&peer_), len, host, sizeof(host), nullptr, 0,
                  NI_NUMERICHOST) != 0) {
    return "[unknown]";
  }
  return host;
}

void ClientConnection::StartTls(ssl_ctx_st* ctx) {
  KEEL_ASSERT(ssl_ == nullptr);
  if (buffered_input() > 0) {  // C3
    throw FatalError(sqlstate::kProtocolViolation, "received unencrypted data after SSL request")
        .WithDetail(
            "This could be either a client-software bug or evidence of an attempted "
            "man-in-the-middle attack.");
  }
  ERR_clear_error();
  SSL* ssl = SSL_new(ctx);
  BIO_METHOD* method = SocketBioMethod();
  BIO* bio = method != nullptr ? BIO_new(method) : nullptr;
  if (ssl == nullptr || bio == nullptr) {
    if (ssl != nullptr) SSL_free(ssl);
    if (bio != nullptr) BIO_free(bio);
    throw FatalError(sqlstate::kProtocolViolation,
                     "could not initialize SSL connection: " + OpenSslErrorText(ERR_get_error()));
  }
  BIO_set_data(bio, reinterpret_cast<void*>(static_cast<intptr_t>(fd_)));
  SSL_set_bio(ssl, bio, bio);
  // Partial writes let Flush() make progress record by record on a slow reader; a peer that
  // drops TCP without close_notify reads as EOF, as PostgreSQL treats it.
  SSL_set_mode(ssl, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  SSL_set_options(ssl, SSL_OP_IGNORE_UNEXPECTED_EOF);
  SSL_set_accept_state(ssl);
  ssl_ = ssl;
  for (;;) {
    ERR_clear_error();
    errno = 0;
    int r = SSL_accept(ssl_);
    if (r == 1) break;
    int err = SSL_get_error(ssl_, r);
    if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) {
      Wait(err == SSL_ERROR_WANT_WRITE);
      continue;
    }
    std::string reason;
    if (err == SSL_ERROR_SYSCALL) {
      reason = errno != 0 ? ErrnoText(errno) : std::string("EOF detected");
    } else if (err == SSL_ERROR_ZERO_RETURN) {
      reason = "EOF detected";
    } else {
      reason = OpenSslErrorText(ERR_get_error());
    }
    // The half-made session is useless; nothing more may be written through it.
    broken_ = true;
    throw FatalError(sqlstate::kProtocolViolation, "could not accept SSL connection: " + reason);
  }
}

size_t ClientConnection::ReadSome(char* buf, size_t capacity) {
  for (;;) {
    if (ssl_ != nullptr) {
      ERR_clear_error();
      errno = 0;
      int n = SSL_read(ssl_, buf, static_cast<int>(std::min(capacity, size_t{1} << 30)));
      if (n > 0) return static_cast<size_t>(n);
      int err = SSL_get_error(ssl_, n);
      switch (err) {
        case SSL_ERROR_WANT_READ:
        case SSL_ERROR_WANT_WRITE:
          Wait(err == SSL_ERROR_WANT_WRITE);
          continue;
        case SSL_ERROR_ZERO_RETURN:
          return 0;
        case SSL_ERROR_SYSCALL:
          if (errno == 0) return 0;  // EOF without close_notify
          broken_ = true;
          ThrowGoneAfterLog("could not receive data from client", errno);
        default:
          broken_ = true;
          Log(Severity::kLog, "SSL error: %s", OpenSslErrorText(ERR_get_error()).c_str());
          throw ClientGone();
      }
    }
    ssize_t n = recv(fd_, buf, capacity, 0);
    if (n >= 0) return static_cast<size_t>(n);
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      Wait(false);
      continue;
    }
    broken_ = true;
    ThrowGoneAfterLog("could not receive data from client", errno);
  }
}

bool ClientConnection::Fill(size_t count) {
  while (buffered_input() < count) {
    // Drop consumed bytes before growing, so pipelined input cannot grow the buffer without
    // bound (C7); what is moved is the tail of the last read, not whole messages.
    if (in_pos_ > 0 && (in_pos_ == in_buf_.size() || in_pos_ >= kReadChunk)) {
      in_buf_.erase(0, in_pos_);
      in_pos_ = 0;
    }
    size_t need = count - buffered_input();
    size_t chunk = std::clamp(need, kReadChunk, kMaxReadChunk);
    size_t old_size = in_buf_.size();
    in_buf_.resize(old_size + chunk);
    size_t got = 0;
    try {
      got = ReadSome(in_buf_.data() + old_size, chunk);
    } catch (...) {
      in_buf_.resize(old_size);  // C7: an interrupted wait leaves the buffer as it was
      throw;
    }
    in_buf_.resize(old_size + got);
    if (got == 0) return false;
  }
  return true;
}

std::string ClientConnection::ReadStartupPacket() {
  if (!Fill(1)) throw ClientGone();  // nothing at all: a probe, not worth a log line
  if (!Fill(4)) {
    Log(Severity::kLog, "incomplete startup packet");
    throw ClientGone();
  }
  uint32_t length = ReadUint32(in_buf_.data() + in_pos_);
  // C1: the length counts itself; the body holds at least the protocol code.
  if (length < 8 || length - 4 > kMaxStartupPacketLength) {
    throw FatalError(sqlstate::kProtocolViolation, "invalid length of startup packet");
  }
  if (!Fill(length)) {
    Log(Severity::kLog, "incomplete startup packet");
    throw ClientGone();
  }
  std::string body = in_buf_.substr(in_pos_ + 4, length - 4);
  in_pos_ += length;
  return body;
}

ClientConnection::Message ClientConnection::ReadMessage() {
  if (!Fill(1)) {
    if (in_transaction_) {
      Log(Severity::kLog, "unexpected EOF on client connection with an open transaction");
    }
    throw ClientGone();
  }
  if (!Fill(5)) {
    Log(Severity::kLog, "unexpected EOF within message length word");
    throw ClientGone();
  }
  char type = in_buf_[in_pos_];
  uint32_t length = ReadUint32(in_buf_.data() + in_pos_ + 1);
  size_t limit = IsSmallMessageType(type) ? kSmallMessageLimit : kLargeMessageLimit;
  if (length < 4 || length > limit) {  // C2
    throw FatalError(sqlstate::kProtocolViolation, "invalid message length");
  }
  if (!Fill(size_t{1} + length)) {
    Log(Severity::kLog, "incomplete message from client");
    throw ClientGone();
  }
  Message message{type, in_buf_.substr(in_pos_ + 5, length - 4)};
  in_pos_ += 1 + length;
  return message;
}

size_t ClientConnection::WriteSome(std::string_view data) {
  for (;;) {
    if (ssl_ != nullptr) {
      ERR_clear_error();
      errno = 0;
      int n = SSL_write(ssl_, data.data(), static_cast<int>(std::min(data.size(), kMaxReadChunk)));
      if (n > 0) return static_cast<size_t>(n);
      int err = SSL_get_error(ssl_, n);
      if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) {
        Wait(err == SSL_ERROR_WANT_WRITE);
        continue;
      }
      broken_ = true;
      if (err == SSL_ERROR_SYSCALL && errno != 0) {
        ThrowGoneAfterLog("could not send data to client", errno);
      }
      Log(Severity::kLog, "SSL error: %s", OpenSslErrorText(ERR_get_error()).c_str());
      throw ClientGone();
    }
    ssize_t n = send(fd_, data.data(), data.size(), MSG_NOSIGNAL);  // C6
    if (n >= 0) return static_cast<size_t>(n);
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      Wait(true);
      continue;
    }
    broken_ = true;
    ThrowGoneAfterLog("could not send data to client", errno);
  }
}

void ClientConnection::Send(const MessageBuilder& message) { SendRaw(message.bytes()); }

void ClientConnection::SendRaw(std::string_view bytes) {
  if (out_buf_.size() + bytes.size() > kOutputFlushThreshold && !out_buf_.empty()) Flush();
  out_buf_.append(bytes);
  if (out_buf_.size() > kOutputFlushThreshold) Flush();
}

void ClientConnection::Flush() {
  if (broken_) {  // C5: the client is gone; the error was logged once already
    out_buf_.clear();
    throw ClientGone();
  }
  std::string_view pending = out_buf_;
  try {
    while (!pending.empty()) pending.remove_prefix(WriteSome(pending));
  } catch (...) {
    // Keep unsent bytes only if the wait was interrupted (timeout, shutdown) and the
    // connection is still usable; a broken one has nothing left to send to.
    if (broken_) {
      out_buf_.clear();
    } else {
      out_buf_.erase(0, out_buf_.size() - pending.size());
    }
    throw;
  }
  out_buf_.clear();
}

void ClientConnection::SendAndFlush(const MessageBuilder& message) {
  Send(message);
  Flush();
}

}  // namespace keel::protocol
