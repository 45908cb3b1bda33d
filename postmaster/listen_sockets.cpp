// Listening sockets; see listen_sockets.h and README.md.
#include "postmaster/listen_sockets.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <set>

#include "backend/utils/error/error.h"
#include "backend/utils/error/format.h"
#include "backend/utils/error/log.h"

namespace keel::postmaster {
namespace {

std::string AddressText(const sockaddr* addr) {
  char host[NI_MAXHOST] = "";
  getnameinfo(addr, addr->sa_family == AF_INET ? sizeof(sockaddr_in) : sizeof(sockaddr_in6), host,
              sizeof(host), nullptr, 0, NI_NUMERICHOST);
  return host;
}

// Returns the fd, or -1 after logging why (PostgreSQL logs and goes on with other addresses).
int OpenTcp(const addrinfo* ai, int port, int backlog, std::string* description) {
  const char* family = ai->ai_family == AF_INET6 ? "IPv6" : "IPv4";
  std::string host = AddressText(ai->ai_addr);
  *description = Format("%s address \"%s\", port %d", family, host.c_str(), port);
  // L1: non-blocking, so the accept loop never stalls the server loop.
  int fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) {
    Log(Severity::kLog, "could not create %s socket for address \"%s\": %s", family, host.c_str(),
        ErrnoText(errno).c_str());
    return -1;
  }
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  if (ai->ai_family == AF_INET6) setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
  if (bind(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
    int saved = errno;
    Error e(sqlstate::kConnectionException,
            Format("could not bind %s address \"%s\": %s", family, host.c_str(),
                   ErrnoText(saved).c_str()),
            Severity::kLog);
    if (saved == EADDRINUSE) {
      e.WithHint(Format("Is another postmaster already running on port %d? If not, wait a few "
                        "seconds and retry.",
                        port));
    }
    LogError(e);
    close(fd);
    return -1;
  }
  if (listen(fd, backlog) != 0) {
    Log(Severity::kLog, "could not listen on %s address \"%s\": %s", family, host.c_str(),
        ErrnoText(errno).c_str());
    close(fd);
    return -1;
  }
  return fd;
}

bool ProcessAlive(pid_t pid) { return pid > 0 && (kill(pid, 0) == 0 || errno == EPERM); }

// The lock file beside a Unix socket keeps two servers off one socket path (L2).
void LockSocketFile(const std::string& lock_path, const std::string& socket_path) {
  for (int attempt = 0; attempt < 2; ++attempt) {
    int fd = open(lock_path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd >= 0) {
      std::string text = Format("%d\n", static_cast<int>(getpid()));
      bool ok = write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
      close(fd);
      if (!ok) break;
      return;
    }
    if (errno != EEXIST) break;
    pid_t other = 0;
    std::ifstream(lock_path) >> other;
    if (other != getpid() && ProcessAlive(other)) {
      throw FatalError(sqlstate::kObjectInUse,
                       Format("lock file \"%s\" already exists", lock_path.c_str()))
          .WithHint(Format("Is another postmaster (PID %d) using socket file \"%s\"?",
                           static_cast<int>(other), socket_path.c_str()));
    }
    unlink(lock_path.c_str());
  }
  throw FatalError(sqlstate::kIoError, Format("could not create lock file \"%s\": %s",
                                              lock_path.c_str(), ErrnoText(errno).c_str()));
}

ListenSocket OpenUnix(const std::string& dir, int port, int permissions, int backlog) {
  ListenSocket s;
  s.is_unix = true;
  s.unix_path = Format("%s/.s.PGSQL.%d", dir.c_str(), port);
  s.lock_path = s.unix_path + ".lock";
  s.description = Format("Unix socket \"%s\"", s.unix_path.c_str());
  sockaddr_un addr{};
  if (s.unix_path.size() >= sizeof(addr.sun_path)) {
    throw FatalError(sqlstate::kInvalidParameterValue,
                     Format("Unix-domain socket path \"%s\" is too long (maximum %d bytes)",
                            s.unix_path.c_str(), static_cast<int>(sizeof(addr.sun_path) - 1)));
  }
  LockSocketFile(s.lock_path, s.unix_path);
  unlink(s.unix_path.c_str());  // the lock says no live server owns it
  addr.sun_family = AF_UNIX;
  memcpy(addr.sun_path, s.unix_path.c_str(), s.unix_path.size() + 1);
  s.fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (s.fd < 0 || bind(s.fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      chmod(s.unix_path.c_str(), static_cast<mode_t>(permissions)) != 0 ||
      listen(s.fd, backlog) != 0) {
    int saved = errno;
    if (s.fd >= 0) close(s.fd);
    unlink(s.lock_path.c_str());
    throw FatalError(sqlstate::kIoError, Format("could not create Unix-domain socket in directory "
                                                "\"%s\": %s",
                                                dir.c_str(), ErrnoText(saved).c_str()));
  }
  return s;
}

}  // namespace

std::vector<std::string> SplitList(const std::string& value) {
  std::vector<std::string> items;
  std::string current;
  bool quoted = false;
  auto flush = [&] {
    size_t b = current.find_first_not_of(" \t");
    size_t e = current.find_last_not_of(" \t");
    if (b != std::string::npos) items.push_back(current.substr(b, e - b + 1));
    current.clear();
  };
  for (char c : value) {
    if (c == '"') {
      quoted = !quoted;
    } else if (c == ',' && !quoted) {
      flush();
    } else {
      current += c;
    }
  }
  flush();
  return items;
}

ListenSockets ListenSockets::Open(const std::string& listen_addresses,
                                  const std::string& socket_dirs, int port,
                                  int socket_permissions, int backlog) {
  ListenSockets result;
  try {
    result.OpenAll(listen_addresses, socket_dirs, port, socket_permissions, backlog);
  } catch (...) {
    result.CloseAndRemoveFiles();  // L4: a failed start leaves no socket files behind
    throw;
  }
  return result;
}

void ListenSockets::OpenAll(const std::string& listen_addresses, const std::string& socket_dirs,
                            int port, int socket_permissions, int backlog) {
  ListenSockets& result = *this;
  std::vector<std::string> hosts = SplitList(listen_addresses);
  std::set<std::string> bound;  // "localhost" may resolve to one address twice
  for (const std::string& host : hosts) {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE;
    addrinfo* list = nullptr;
    std::string service = std::to_string(port);
    const char* node = host == "*" ? nullptr : host.c_str();
    int rc = getaddrinfo(node, service.c_str(), &hints, &list);
    if (rc != 0) {
      Log(Severity::kWarning, "could not translate host name \"%s\", service \"%d\" to address: %s",
          host.c_str(), port, gai_strerror(rc));
      continue;
    }
    for (addrinfo* ai = list; ai != nullptr; ai = ai->ai_next) {
      if (ai->ai_family != AF_INET && ai->ai_family != AF_INET6) continue;
      std::string key = std::to_string(ai->ai_family) + AddressText(ai->ai_addr);
      if (!bound.insert(key).second) continue;
      ListenSocket s;
      s.fd = OpenTcp(ai, port, backlog, &s.description);
      if (s.fd < 0) continue;
      if (result.first_listen_address_.empty()) result.first_listen_address_ = host;
      result.sockets_.push_back(std::move(s));
    }
    freeaddrinfo(list);
  }
  if (!hosts.empty() && result.sockets_.empty()) {
    throw FatalError(sqlstate::kConnectionException, "could not create any TCP/IP sockets");
  }
  std::vector<std::string> dirs = SplitList(socket_dirs);
  for (const std::string& dir : dirs) {
    result.sockets_.push_back(OpenUnix(dir, port, socket_permissions, backlog));
    if (result.first_socket_dir_.empty()) result.first_socket_dir_ = dir;
  }
  if (result.sockets_.empty()) {
    throw FatalError(sqlstate::kConnectionException, "no socket created for listening");
  }
}

ListenSockets::~ListenSockets() = default;  // descriptors are closed explicitly (L3)

void ListenSockets::CloseInChild() {
  for (ListenSocket& s : sockets_) {
    if (s.fd >= 0) close(s.fd);
    s.fd = -1;
  }
}

void ListenSockets::CloseAndRemoveFiles() {
  for (ListenSocket& s : sockets_) {
    if (s.fd >= 0) close(s.fd);
    s.fd = -1;
    if (s.is_unix) {
      unlink(s.unix_path.c_str());
      unlink(s.lock_path.c_str());
    }
  }
}

}  // namespace keel::postmaster
