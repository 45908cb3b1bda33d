// Tests for ClientConnection over socketpair() and loopback TCP: startup packet limits,
// message framing and maximum lengths, EOF cases, partial reads from a byte-at-a-time writer,
// large Send/Flush against a slow reader, vanished clients, and WaitFn use.
#include "backend/protocol/connection.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <stdexcept>

#include "backend/protocol/backend_messages.h"
#include "backend/utils/error/error.h"

namespace keel::protocol {
namespace {

struct SocketPair {
  SocketPair() {
    int fds[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0) std::abort();
    server = fds[0];
    client = fds[1];
  }
  ~SocketPair() {
    if (client >= 0) close(client);
  }
  void CloseClient() {
    close(client);
    client = -1;
  }
  int server;  // handed to ClientConnection, which closes it
  int client;
};

void WriteAll(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = write(fd, data.data(), data.size());
    ASSERT_GT(n, 0);
    data.remove_prefix(static_cast<size_t>(n));
  }
}

std::string Int32(uint32_t v) {
  std::string out(4, '\0');
  out[0] = static_cast<char>(v >> 24);
  out[1] = static_cast<char>(v >> 16);
  out[2] = static_cast<char>(v >> 8);
  out[3] = static_cast<char>(v);
  return out;
}

std::string Packet(std::string_view body) {
  return Int32(static_cast<uint32_t>(body.size() + 4)) + std::string(body);
}

std::string Msg(char type, std::string_view body) {
  return std::string(1, type) + Int32(static_cast<uint32_t>(body.size() + 4)) + std::string(body);
}

// A WaitFn that counts its calls and polls briefly (so a broken test cannot hang forever:
// after ~30 s of waiting it throws).
struct CountingWait {
  int reads = 0;
  int writes = 0;
  int polls = 0;
  WaitFn Fn() {
    return [this](int fd, bool for_write) {
      (for_write ? writes : reads)++;
      pollfd pfd{fd, static_cast<short>(for_write ? POLLOUT : POLLIN), 0};
      if (poll(&pfd, 1, 100) == 0 && ++polls > 300) throw std::runtime_error("wait timed out");
    };
  }
};

std::string ErrorText(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const Error& e) {
    EXPECT_EQ(e.sqlstate().code(), "08P01");
    EXPECT_EQ(e.severity(), Severity::kFatal);
    return e.message();
  } catch (const ClientGone&) {
    return "ClientGone";
  }
  return "no error";
}

TEST(ConnectionTest, UnixSocketProperties) {
  SocketPair sp;
  ClientConnection conn(sp.server, nullptr);
  EXPECT_TRUE(conn.is_unix_socket());
  EXPECT_FALSE(conn.is_tls());
  EXPECT_EQ(conn.peer_host(), "[local]");
  EXPECT_EQ(conn.fd(), sp.server);
  EXPECT_NE(fcntl(conn.fd(), F_GETFL) & O_NONBLOCK, 0);

  ClientConnection moved(std::move(conn));
  EXPECT_EQ(conn.fd(), -1);  // NOLINT(bugprone-use-after-move): checking the moved-from state
  EXPECT_EQ(moved.fd(), sp.server);
}

TEST(ConnectionTest, StartupPacketLimits) {
  {
    SocketPair sp;
    ClientConnection conn(sp.server, nullptr);
    std::string body = Int32(196608) + std::string("user\0u\0\0", 8);
    WriteAll(sp.client, Packet(body) + Packet(std::string(kMaxStartupPacketLength, 'x')));
    EXPECT_EQ(conn.ReadStartupPacket(), body);
    EXPECT_EQ(conn.ReadStartupPacket().size(), kMaxStartupPacketLength);  // exactly the limit
  }
  for (uint32_t bad_length :
       {0u, 7u, static_cast<uint32_t>(kMaxStartupPacketLength + 5), 0xffffffffu}) {
    SocketPair sp;
    ClientConnection conn(sp.server, nullptr);
    WriteAll(sp.client, Int32(bad_length) + "abcd");
    EXPECT_EQ(ErrorText([&] { (void)conn.ReadStartupPacket(); }),
              "invalid length of startup packet")
        << bad_length;
  }
}

TEST(ConnectionTest, StartupEofCases) {
  {
    SocketPair sp;
    ClientConnection conn(sp.server, nullptr);
    sp.CloseClient();  // a probe: connect and go away
    EXPECT_EQ(ErrorText([&] { (void)conn.ReadStartupPacket(); }), "ClientGone");
  }
  {
    SocketPair sp;
    ClientConnection conn(sp.server, nullptr);
    WriteAll(sp.client, Int32(20) + "abc");  // incomplete
    sp.CloseClient();
    EXPECT_EQ(ErrorText([&] { (void)conn.ReadStartupPacket(); }), "ClientGone");
  }
}

TEST(ConnectionTest, MessageFraming) {
  SocketPair sp;
  ClientConnection conn(sp.server, nullptr);
  WriteAll(sp.client, Msg('Q', std::string("select 1\0", 9)) + Msg('S', "") +
                          Msg('d', std::string(100000, 'z')) + Msg('X', ""));
  ClientConnection::Message m = conn.ReadMessage();
  EXPECT_EQ(m.type, 'Q');
  EXPECT_EQ(m.body, std::string("select 1\0", 9));
  m = conn.ReadMessage();
  EXPECT_EQ(m.type, 'S');
  EXPECT_TRUE(m.body.empty());
  m = conn.ReadMessage();
  EXPECT_EQ(m.type, 'd');
  EXPECT_EQ(m.body, std::string(100000, 'z'));
  m = conn.ReadMessage();
  EXPECT_EQ(m.type, 'X');
  EXPECT_EQ(conn.buffered_input(), 0u);
}

TEST(ConnectionTest, MessageLengthLimits) {
  struct Case {
    char type;
    uint32_t length;
    bool ok;
  };
  for (const Case& c : std::initializer_list<Case>{
           {'Q', 3, false},
           {'Q', 0, false},
           {'S', 10000, true},
           {'S', 10001, false},
           {'p', 10001, false},
           {'E', 10001, false},
           {'Q', 10001, true},
           {'Q', static_cast<uint32_t>(kLargeMessageLimit) + 1, false},
           {'d', 0x80000000u, false},
       }) {
    SocketPair sp;
    ClientConnection conn(sp.server, nullptr);
    std::string header = std::string(1, c.type) + Int32(c.length);
    if (c.ok) {
      WriteAll(sp.client, header + std::string(c.length - 4, 'a'));
      EXPECT_EQ(conn.ReadMessage().body.size(), c.length - 4);
    } else {
      WriteAll(sp.client, header);  // the body is never needed: the length is checked first
      EXPECT_EQ(ErrorText([&] { (void)conn.ReadMessage(); }), "invalid message length")
          << c.type << " " << c.length;
    }
  }
}

TEST(ConnectionTest, MessageEofCases) {
  for (const std::string& sent : {std::string(), std::string("Q"), std::string("Q\0\0", 3),
                                  Msg('Q', "abcdef").substr(0, 8)}) {
    SocketPair sp;
    ClientConnection conn(sp.server, nullptr);
    WriteAll(sp.client, sent);
    sp.CloseClient();
    EXPECT_EQ(ErrorText([&] { (void)conn.ReadMessage(); }), "ClientGone") << sent.size();
  }
  // With an open transaction it is still ClientGone (the LOG line differs).
  SocketPair sp;
  ClientConnection conn(sp.server, nullptr);
  conn.set_in_transaction(true);
  sp.CloseClient();
  EXPECT_EQ(ErrorText([&] { (void)conn.ReadMessage(); }), "ClientGone");
}

TEST(ConnectionTest, PartialReadsFromByteAtATimeWriter) {
  SocketPair sp;
  SocketPair go;  // lock step: the child writes one byte each time the reader waits
  std::string stream = Packet(Int32(196608) + std::string("user\0bob\0\0", 10)) +
                       Msg('Q', std::string("select 42\0", 10)) + Msg('P', std::string(300, 'p')) +
                       Msg('X', "");
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    close(sp.server);
    close(go.server);
    for (char c : stream) {
      char token;
      if (read(go.client, &token, 1) != 1) _exit(1);
      if (write(sp.client, &c, 1) != 1) _exit(2);
    }
    _exit(0);
  }
  close(sp.client);
  sp.client = -1;
  int reads_waited = 0;
  ClientConnection conn(sp.server, [&](int fd, bool for_write) {
    EXPECT_FALSE(for_write);
    ++reads_waited;
    (void)send(go.server, "g", 1, MSG_NOSIGNAL);  // fails harmlessly once the child is done
    pollfd pfd{fd, POLLIN, 0};
    ASSERT_EQ(poll(&pfd, 1, 30000), 1);
  });
  EXPECT_EQ(conn.ReadStartupPacket(), Int32(196608) + std::string("user\0bob\0\0", 10));
  ClientConnection::Message m = conn.ReadMessage();
  EXPECT_EQ(m.type, 'Q');
  EXPECT_EQ(m.body, std::string("select 42\0", 10));
  m = conn.ReadMessage();
  EXPECT_EQ(m.type, 'P');
  EXPECT_EQ(m.body, std::string(300, 'p'));
  EXPECT_EQ(conn.ReadMessage().type, 'X');
  // Every byte arrived on its own, after the reader found the socket empty.
  EXPECT_EQ(reads_waited, static_cast<int>(stream.size()));
  EXPECT_EQ(ErrorText([&] { (void)conn.ReadMessage(); }), "ClientGone");
  close(go.server);
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

TEST(ConnectionTest, ManyPipelinedMessagesOfVaryingSize) {
  SocketPair sp;
  constexpr int kMessages = 5000;
  auto body_of = [](int i) {
    return std::string(static_cast<size_t>(i * 7 % 3001), static_cast<char>('a' + i % 26));
  };
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    close(sp.server);
    std::string stream;
    for (int i = 0; i < kMessages; ++i) stream += Msg('d', body_of(i));
    size_t done = 0;
    while (done < stream.size()) {
      ssize_t n =
          write(sp.client, stream.data() + done, std::min<size_t>(stream.size() - done, 5000));
      if (n <= 0) _exit(1);
      done += static_cast<size_t>(n);
    }
    _exit(0);
  }
  close(sp.client);
  sp.client = -1;
  ClientConnection conn(sp.server, nullptr);
  for (int i = 0; i < kMessages; ++i) {
    ClientConnection::Message m = conn.ReadMessage();
    ASSERT_EQ(m.type, 'd');
    ASSERT_EQ(m.body, body_of(i)) << i;
  }
  EXPECT_EQ(ErrorText([&] { (void)conn.ReadMessage(); }), "ClientGone");
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

TEST(ConnectionTest, LargeSendWithSlowReader) {
  SocketPair sp;
  constexpr int kMessages = 64;
  constexpr size_t kBodySize = 64 * 1024;
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    // Reads slowly and checks every byte; exit status 0 only if the stream is exact.
    close(sp.server);
    std::string got;
    char buf[4096];
    const size_t total = kMessages * (kBodySize + 5);
    while (got.size() < total) {
      ssize_t n = read(sp.client, buf, sizeof(buf));
      if (n <= 0) _exit(2);
      got.append(buf, static_cast<size_t>(n));
      if (got.size() % (64 * 4096) < static_cast<size_t>(n)) usleep(2000);
    }
    for (int i = 0; i < kMessages; ++i) {
      const char* m = got.data() + static_cast<size_t>(i) * (kBodySize + 5);
      if (m[0] != 'd') _exit(3);
      if (static_cast<uint8_t>(m[3]) != ((kBodySize + 4) >> 8 & 0xff)) _exit(4);
      for (size_t j = 0; j < kBodySize; ++j) {
        if (m[5 + j] != static_cast<char>('a' + (i + j) % 26)) _exit(5);
      }
    }
    _exit(0);
  }
  close(sp.client);
  sp.client = -1;
  CountingWait wait;
  ClientConnection conn(sp.server, wait.Fn());
  for (int i = 0; i < kMessages; ++i) {
    std::string body(kBodySize, '\0');
    for (size_t j = 0; j < kBodySize; ++j) body[j] = static_cast<char>('a' + (i + j) % 26);
    MessageBuilder message('d');
    message.AddBytes(body);
    conn.Send(message);
  }
  conn.Flush();
  EXPECT_GT(wait.writes, 0);  // 4 MiB cannot fit in the socket buffer of a slow reader
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
}

TEST(ConnectionTest, WritingToVanishedClientDoesNotRaiseSigpipe) {
  signal(SIGPIPE, SIG_DFL);  // the process would die here if a write raised it
  SocketPair sp;
  ClientConnection conn(sp.server, nullptr);
  sp.CloseClient();
  conn.Send(ReadyForQuery('I'));
  EXPECT_EQ(ErrorText([&] { conn.Flush(); }), "ClientGone");
  // Later output is dropped quietly with the same outcome.
  conn.Send(ReadyForQuery('I'));
  EXPECT_EQ(ErrorText([&] { conn.Flush(); }), "ClientGone");
}

TEST(ConnectionTest, WaitFnExceptionsPropagate) {
  SocketPair sp;
  struct Timeout {};
  ClientConnection conn(sp.server, [](int, bool) { throw Timeout{}; });
  EXPECT_THROW((void)conn.ReadMessage(), Timeout);
  // The connection is still usable afterwards.
  conn.SetWait(nullptr);
  WriteAll(sp.client, Msg('S', ""));
  EXPECT_EQ(conn.ReadMessage().type, 'S');
}

TEST(ConnectionTest, TcpPeerAndConnectionReset) {
  int listener = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(listener, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  ASSERT_EQ(listen(listener, 1), 0);
  socklen_t len = sizeof(addr);
  ASSERT_EQ(getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  int client = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ASSERT_EQ(connect(client, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  int server = accept(listener, nullptr, nullptr);
  ASSERT_GE(server, 0);
  close(listener);

  ClientConnection conn(server, nullptr);
  EXPECT_FALSE(conn.is_unix_socket());
  EXPECT_EQ(conn.peer_host(), "127.0.0.1");
  EXPECT_EQ(conn.peer().ss_family, AF_INET);
  int nodelay = 0;
  socklen_t optlen = sizeof(nodelay);
  ASSERT_EQ(getsockopt(server, IPPROTO_TCP, TCP_NODELAY, &nodelay, &optlen), 0);
  EXPECT_NE(nodelay, 0);

  WriteAll(client, Msg('Q', std::string("x\0", 2)));
  EXPECT_EQ(conn.ReadMessage().type, 'Q');
  // An abortive close sends RST: the next read fails with ECONNRESET.
  linger lg{1, 0};
  ASSERT_EQ(setsockopt(client, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)), 0);
  close(client);
  EXPECT_EQ(ErrorText([&] { (void)conn.ReadMessage(); }), "ClientGone");
}

}  // namespace
}  // namespace keel::protocol
