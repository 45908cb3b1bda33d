// The postmaster's listening sockets: TCP per listen_addresses and one Unix-domain socket per
// unix_socket_directories entry, named `.s.PGSQL.<port>` like PostgreSQL's. See README.md.
#pragma once

#include <string>
#include <vector>

namespace keel::postmaster {

struct ListenSocket {
  int fd = -1;
  bool is_unix = false;
  std::string description;   // "IPv4 address \"127.0.0.1\", port 5432" / Unix path
  std::string unix_path;     // socket file, for removal at shutdown
  std::string lock_path;     // its ".lock" file
};

class ListenSockets {
 public:
  // Opens every socket the settings ask for. Addresses that fail to bind are logged and
  // skipped as PostgreSQL does; throws FATAL when a kind of socket was asked for and none
  // could be made, or when nothing at all listens.
  static ListenSockets Open(const std::string& listen_addresses, const std::string& socket_dirs,
                            int port, int socket_permissions, int backlog);

  ListenSockets() = default;
  ListenSockets(ListenSockets&&) noexcept = default;
  ListenSockets& operator=(ListenSockets&&) noexcept = default;
  ~ListenSockets();

  [[nodiscard]] const std::vector<ListenSocket>& sockets() const { return sockets_; }
  [[nodiscard]] const std::string& first_socket_dir() const { return first_socket_dir_; }
  [[nodiscard]] const std::string& first_listen_address() const { return first_listen_address_; }

  // In a forked child: closes the descriptors, leaves the files alone.
  void CloseInChild();
  // Postmaster at exit: closes and removes socket and lock files.
  void CloseAndRemoveFiles();

 private:
  void OpenAll(const std::string& listen_addresses, const std::string& socket_dirs, int port,
               int socket_permissions, int backlog);

  std::vector<ListenSocket> sockets_;
  std::string first_socket_dir_;
  std::string first_listen_address_;
};

// Splits a comma-separated setting ("a, b,c") into trimmed, non-empty items; a
// double-quoted item keeps its commas and spaces.
[[nodiscard]] std::vector<std::string> SplitList(const std::string& value);

}  // namespace keel::postmaster
