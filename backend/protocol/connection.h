// One client socket of a backend: buffered, non-blocking reads and writes of v3 protocol
// packets, optionally over TLS, with every wait handed to the caller's WaitFn.
// See backend/protocol/README.md ("Connection", invariants C1-C7).
#pragma once

#include <sys/socket.h>

#include <cstddef>
#include <exception>
#include <functional>
#include <string>
#include <string_view>

#include "backend/protocol/message.h"

struct ssl_st;
struct ssl_ctx_st;

namespace keel::protocol {

// Called when a read or write on the non-blocking socket would block. Returns when the socket
// may be ready (spurious returns are fine: the caller retries); may throw (timeout, shutdown
// request). Keeps the connection code free of latches. An empty WaitFn means poll() forever.
using WaitFn = std::function<void(int fd, bool for_write)>;

// The client went away (EOF, reset, broken pipe): end the session quietly (C5). Anything
// worth logging has been logged before this is thrown.
struct ClientGone : std::exception {
  [[nodiscard]] const char* what() const noexcept override { return "client connection closed"; }
};

// Largest startup packet body (after the length word), and largest message length word for
// the types that are always small; everything else may be up to kLargeMessageLimit.
inline constexpr size_t kMaxStartupPacketLength = 10000;
inline constexpr size_t kSmallMessageLimit = 10000;
inline constexpr size_t kLargeMessageLimit = (size_t{1} << 30) - 1;

// Move-only owner of the client socket (and of the SSL object once TLS is on). Not
// thread-safe; one per backend.
class ClientConnection {
 public:
  // Takes ownership of `fd`; sets O_NONBLOCK, and TCP_NODELAY + SO_KEEPALIVE for TCP.
  ClientConnection(int fd, WaitFn wait);
  ~ClientConnection();
  ClientConnection(ClientConnection&& other) noexcept;
  ClientConnection& operator=(ClientConnection&& other) noexcept;
  ClientConnection(const ClientConnection&) = delete;
  ClientConnection& operator=(const ClientConnection&) = delete;

  void SetWait(WaitFn wait);

  // After the server answered 'S' to SSLRequest: the TLS handshake. Throws FATAL 08P01
  // "received unencrypted data after SSL request" if bytes were already buffered (C3), and
  // "could not accept SSL connection: ..." when the handshake fails.
  // Requires: !is_tls(); `ctx` outlives this connection.
  void StartTls(ssl_ctx_st* ctx);
  [[nodiscard]] bool is_tls() const { return ssl_ != nullptr; }
  [[nodiscard]] ssl_st* ssl() const { return ssl_; }

  [[nodiscard]] bool is_unix_socket() const { return is_unix_; }
  [[nodiscard]] const sockaddr_storage& peer() const { return peer_; }
  // The numeric peer address ("192.0.2.1", "::1"), or "[local]" for a Unix socket.
  [[nodiscard]] std::string peer_host() const;

  // Startup phase: int32 length (counting itself) + body; returns the body. A length below 8
  // or a body above kMaxStartupPacketLength throws FATAL 08P01 "invalid length of startup
  // packet". EOF before any byte throws ClientGone without a log line (pg_isready, port
  // scanners); EOF inside the packet logs "incomplete startup packet" first.
  [[nodiscard]] std::string ReadStartupPacket();

  struct Message {
    char type;
    std::string body;
  };
  // Normal phase: type byte + int32 length + body (C2). A length word below 4 or above the
  // type's limit (kSmallMessageLimit for S, H, X, C, D, E and p; kLargeMessageLimit otherwise)
  // throws FATAL 08P01 "invalid message length". EOF between messages throws ClientGone (after
  // logging "unexpected EOF on client connection with an open transaction" when
  // set_in_transaction(true)); EOF inside a message logs "unexpected EOF within message
  // length word" or "incomplete message from client" and throws ClientGone.
  [[nodiscard]] Message ReadMessage();

  // Tells ReadMessage whether an EOF between messages abandons an open transaction.
  void set_in_transaction(bool in_transaction) { in_transaction_ = in_transaction; }

  // Bytes received but not yet consumed by ReadStartupPacket/ReadMessage.
  [[nodiscard]] size_t buffered_input() const { return in_buf_.size() - in_pos_; }

  // Appends to the output buffer; flushes first when the buffer passes 64 KiB (C4), so a
  // slow reader bounds memory rather than growing it.
  void Send(const MessageBuilder& message);
  // Appends raw bytes, e.g. the single 'S'/'N' answer to SSLRequest.
  void SendRaw(std::string_view bytes);
  void SendRawByte(char byte) { SendRaw(std::string_view(&byte, 1)); }
  // Writes everything buffered, waiting through WaitFn. A vanished client logs "could not
  // send data to client: ..." once and throws ClientGone; never raises SIGPIPE (C6).
  void Flush();
  void SendAndFlush(const MessageBuilder& message);

  [[nodiscard]] int fd() const { return fd_; }

 private:
  // Reads at most `capacity` bytes, waiting as needed. Returns 0 at EOF. Throws ClientGone
  // (after a LOG line) on a socket error.
  size_t ReadSome(char* buf, size_t capacity);
  // Writes at most data.size() bytes, waiting as needed; returns how many were written.
  size_t WriteSome(std::string_view data);
  // Buffers until at least `count` unconsumed bytes are there; false at EOF before that.
  bool Fill(size_t count);
  void Wait(bool for_write);
  void Close() noexcept;

  int fd_ = -1;
  WaitFn wait_;
  ssl_st* ssl_ = nullptr;
  bool is_unix_ = false;
  bool in_transaction_ = false;
  bool broken_ = false;  // a write failed: the client is gone, drop further output (C5)
  sockaddr_storage peer_{};
  std::string in_buf_;
  size_t in_pos_ = 0;
  std::string out_buf_;
};

}  // namespace keel::protocol
