// keel_hba.conf: which connections may log in and how (PostgreSQL's pg_hba.conf format).
// Parsing, and matching a connection to the first line that applies.
// See backend/protocol/auth/README.md ("keel_hba.conf", invariants H1-H6).
#pragma once

#include <sys/socket.h>

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace keel::auth {

enum class HbaConnType : uint8_t { kLocal, kHost, kHostSsl, kHostNoSsl };
enum class HbaMethod : uint8_t { kTrust, kReject, kPassword, kMd5, kScramSha256, kPeer };
enum class HbaAddressMatch : uint8_t {
  kNone,      // local lines have no address
  kMask,      // address + mask (CIDR or two fields)
  kAll,       // "all"
  kSameHost,  // any address of this machine
  kSameNet,   // any address on a subnet this machine is directly connected to
};

// The keyword as written in the file ("scram-sha-256" ...).
[[nodiscard]] const char* HbaMethodName(HbaMethod method);

// One database or user entry. A quoted entry is never a keyword (H3): "all" in quotes
// means a database or role named all.
struct HbaToken {
  std::string text;
  bool quoted = false;
};

struct HbaLine {
  int line_number = 0;   // first physical line of the entry (1-based)
  std::string raw_line;  // the entry as written, continuation lines joined, for log DETAILs
  HbaConnType conn_type = HbaConnType::kLocal;
  std::vector<HbaToken> databases;
  std::vector<HbaToken> users;
  HbaAddressMatch address_match = HbaAddressMatch::kNone;
  int family = 0;                     // AF_INET or AF_INET6 when address_match == kMask
  std::array<uint8_t, 16> address{};  // network byte order; first 4 bytes for IPv4
  std::array<uint8_t, 16> mask{};
  HbaMethod method = HbaMethod::kReject;
};

// What a connection looks like to the matcher.
struct HbaRequest {
  bool is_unix = false;
  bool is_ssl = false;
  // The peer's address (AF_INET or AF_INET6 for TCP; ignored for Unix sockets).
  sockaddr_storage peer{};
  std::string_view database;
  std::string_view user;
  // A physical replication connection (startup parameter replication=true): then only the
  // "replication" database keyword matches (H4). Logical ("database") connections use false.
  bool replication = false;
};

class HbaFile {
 public:
  // Reads and parses the file. Throws FATAL F0000 with PostgreSQL's messages and a DETAIL
  // `line N of configuration file "PATH"` for the first bad entry, F0000 when the file has no
  // entries, and 58030 when it cannot be read.
  [[nodiscard]] static HbaFile Load(const std::string& path);
  // Same from text; `file_name` appears in messages.
  [[nodiscard]] static HbaFile Parse(std::string_view text, std::string_view file_name);

  // The first line that applies to `request` (H1), or nullptr (the caller then refuses the
  // connection: "no keel_hba.conf entry ..."). The pointer lives as long as this HbaFile.
  [[nodiscard]] const HbaLine* Match(const HbaRequest& request) const;

  [[nodiscard]] const std::vector<HbaLine>& lines() const { return lines_; }
  [[nodiscard]] const std::string& file_name() const { return file_name_; }

 private:
  std::vector<HbaLine> lines_;
  std::string file_name_;
};

}  // namespace keel::auth
