// keel_hba.conf parsing and matching. See backend/protocol/auth/README.md ("keel_hba.conf").
#include "backend/protocol/auth/hba.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <optional>

#include "backend/utils/error/error.h"
#include "backend/utils/error/format.h"

namespace keel::auth {
namespace {

// Where an entry came from, for error DETAILs.
struct LineContext {
  std::string_view file_name;
  int line_number;
};

[[noreturn]] void Fail(const LineContext& ctx, std::string message, std::string hint = "") {
  Error error = FatalError(sqlstate::kConfigFileError, std::move(message));
  error.WithDetail(Format("line %d of configuration file \"%.*s\"", ctx.line_number,
                          static_cast<int>(ctx.file_name.size()), ctx.file_name.data()));
  if (!hint.empty()) error.WithHint(std::move(hint));
  throw error;
}

using Field = std::vector<HbaToken>;

struct LogicalLine {
  int line_number;
  std::string text;
};

// Joins continuation lines (a backslash as the last character, H5) and drops blank ones.
std::vector<LogicalLine> SplitLines(std::string_view text) {
  std::vector<LogicalLine> out;
  int line_number = 0;
  std::string pending;
  int pending_start = 0;
  while (!text.empty()) {
    ++line_number;
    size_t end = text.find('\n');
    std::string_view line = text.substr(0, end);
    text = end == std::string_view::npos ? std::string_view() : text.substr(end + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (pending.empty()) pending_start = line_number;
    if (!line.empty() && line.back() == '\\') {
      pending.append(line.substr(0, line.size() - 1));
      pending += ' ';
      continue;
    }
    pending.append(line);
    out.push_back({pending_start, std::move(pending)});
    pending.clear();
  }
  if (!pending.empty()) out.push_back({pending_start, std::move(pending)});
  return out;
}

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v'; }

// Splits a logical line into fields; a field is a comma-separated list of tokens (whitespace
// after a comma is allowed). '#' outside quotes starts a comment.
std::vector<Field> Tokenize(std::string_view line, const LineContext& ctx) {
  std::vector<Field> fields;
  size_t i = 0;
  auto skip_space = [&] {
    while (i < line.size() && IsSpace(line[i])) ++i;
  };
  for (;;) {
    skip_space();
    if (i >= line.size() || line[i] == '#') break;
    Field field;
    for (;;) {
      HbaToken token;
      bool in_quote = false;
      bool any_char = false;
      while (i < line.size()) {
        char c = line[i];
        if (!in_quote && (IsSpace(c) || c == ',' || c == '#')) break;
        ++i;
        if (c == '"') {
          in_quote = !in_quote;
          token.quoted = true;
          any_char = true;
          continue;
        }
        token.text += c;
        any_char = true;
      }
      if (in_quote) Fail(ctx, "unterminated quoted string");
      bool comma = i < line.size() && line[i] == ',';
      if (!any_char) {
        Fail(ctx, comma ? "empty entry in list" : "missing entry at end of line");
      }
      field.push_back(std::move(token));
      if (!comma) break;
      ++i;  // the comma
      skip_space();
      if (i >= line.size() || line[i] == '#') Fail(ctx, "missing entry at end of line");
    }
    fields.push_back(std::move(field));
  }
  return fields;
}

bool IsKeyword(const HbaToken& token, std::string_view keyword) {
  return !token.quoted && token.text == keyword;  // H3
}

// Parses an IPv4 or IPv6 literal.
bool ParseIp(const std::string& text, int* family, std::array<uint8_t, 16>* out) {
  out->fill(0);
  if (inet_pton(AF_INET, text.c_str(), out->data()) == 1) {
    *family = AF_INET;
    return true;
  }
  if (inet_pton(AF_INET6, text.c_str(), out->data()) == 1) {
    *family = AF_INET6;
    return true;
  }
  return false;
}

bool CidrMask(std::string_view bits_text, int family, std::array<uint8_t, 16>* mask) {
  if (bits_text.empty() || bits_text.size() > 3) return false;
  int bits = 0;
  for (char c : bits_text) {
    if (c < '0' || c > '9') return false;
    bits = bits * 10 + (c - '0');
  }
  int max_bits = family == AF_INET ? 32 : 128;
  if (bits > max_bits) return false;
  mask->fill(0);
  for (int b = 0; b < bits; ++b) (*mask)[b / 8] |= static_cast<uint8_t>(0x80 >> (b % 8));
  return true;
}

const Field& SingleToken(const Field& field, const LineContext& ctx, const char* what,
                         const char* hint = "") {
  if (field.size() > 1) Fail(ctx, Format("multiple values specified for %s", what), hint);
  return field;
}

// Parses the address column(s) of a host line; `next` indexes the field after the users and is
// advanced past what was consumed.
void ParseAddress(const std::vector<Field>& fields, size_t* next, HbaLine* line,
                  const LineContext& ctx) {
  if (*next >= fields.size()) Fail(ctx, "end-of-line before IP address specification");
  const HbaToken& token =
      SingleToken(fields[*next], ctx, "host address", "Specify one address range per line.")[0];
  ++*next;
  if (IsKeyword(token, "all")) {
    line->address_match = HbaAddressMatch::kAll;
    return;
  }
  if (IsKeyword(token, "samehost")) {
    line->address_match = HbaAddressMatch::kSameHost;
    return;
  }
  if (IsKeyword(token, "samenet")) {
    line->address_match = HbaAddressMatch::kSameNet;
    return;
  }
  line->address_match = HbaAddressMatch::kMask;
  size_t slash = token.text.find('/');
  std::string ip_text = token.text.substr(0, slash);
  if (!ParseIp(ip_text, &line->family, &line->address)) {
    // PostgreSQL would try the word as a host name; Keel does not resolve names (H6).
    Fail(ctx, Format("invalid IP address \"%s\": host names are not supported", ip_text.c_str()),
         "Specify an IP address in numeric form, or all, samehost or samenet.");
  }
  if (slash != std::string::npos) {
    if (!CidrMask(std::string_view(token.text).substr(slash + 1), line->family, &line->mask)) {
      Fail(ctx, Format("invalid CIDR mask in address \"%s\"", token.text.c_str()));
    }
  } else {
    if (*next >= fields.size()) {
      Fail(ctx, "end-of-line before netmask specification",
           "Specify an address range in CIDR notation, or provide a separate netmask.");
    }
    const HbaToken& mask_token = SingleToken(fields[*next], ctx, "netmask")[0];
    ++*next;
    int mask_family = 0;
    if (!ParseIp(mask_token.text, &mask_family, &line->mask)) {
      Fail(ctx,
           Format("invalid IP mask \"%s\": Name or service not known", mask_token.text.c_str()));
    }
    if (mask_family != line->family) Fail(ctx, "IP address and mask do not match");
  }
  // Keep only the network part so that matching compares like with like.
  for (size_t b = 0; b < line->address.size(); ++b) line->address[b] &= line->mask[b];
}

HbaLine ParseLine(const std::vector<Field>& fields, const LineContext& ctx, std::string raw) {
  HbaLine line;
  line.line_number = ctx.line_number;
  line.raw_line = std::move(raw);

  const HbaToken& type = SingleToken(fields[0], ctx, "connection type",
                                     "Specify exactly one connection type per line.")[0];
  if (type.text == "local") {
    line.conn_type = HbaConnType::kLocal;
  } else if (type.text == "host") {
    line.conn_type = HbaConnType::kHost;
  } else if (type.text == "hostssl") {
    line.conn_type = HbaConnType::kHostSsl;
  } else if (type.text == "hostnossl") {
    line.conn_type = HbaConnType::kHostNoSsl;
  } else {
    Fail(ctx, Format("invalid connection type \"%s\"", type.text.c_str()));
  }

  if (fields.size() < 2) Fail(ctx, "end-of-line before database specification");
  for (const HbaToken& token : fields[1]) {
    if (IsKeyword(token, "samerole") || IsKeyword(token, "samegroup")) {
      Fail(ctx, Format("database keyword \"%s\" is not supported", token.text.c_str()),
           "Role membership is not implemented yet; list the databases instead.");
    }
    if (!token.quoted && !token.text.empty() && token.text[0] == '@') {
      Fail(ctx, Format("file inclusion is not supported: \"%s\"", token.text.c_str()));
    }
  }
  line.databases = fields[1];

  if (fields.size() < 3) Fail(ctx, "end-of-line before role specification");
  for (const HbaToken& token : fields[2]) {
    if (!token.quoted && !token.text.empty() && token.text[0] == '+') {
      Fail(ctx, Format("role membership is not supported: \"%s\"", token.text.c_str()),
           "List the roles instead.");
    }
    if (!token.quoted && !token.text.empty() && token.text[0] == '@') {
      Fail(ctx, Format("file inclusion is not supported: \"%s\"", token.text.c_str()));
    }
  }
  line.users = fields[2];

  size_t next = 3;
  if (line.conn_type != HbaConnType::kLocal) ParseAddress(fields, &next, &line, ctx);

  if (next >= fields.size()) Fail(ctx, "end-of-line before authentication method");
  const HbaToken& method = SingleToken(fields[next], ctx, "authentication type",
                                       "Specify exactly one authentication type per line.")[0];
  ++next;
  if (method.text == "trust") {
    line.method = HbaMethod::kTrust;
  } else if (method.text == "reject") {
    line.method = HbaMethod::kReject;
  } else if (method.text == "password") {
    line.method = HbaMethod::kPassword;
  } else if (method.text == "md5") {
    line.method = HbaMethod::kMd5;
  } else if (method.text == "scram-sha-256") {
    line.method = HbaMethod::kScramSha256;
  } else if (method.text == "peer") {
    line.method = HbaMethod::kPeer;
  } else {
    Fail(ctx, Format("invalid authentication method \"%s\"", method.text.c_str()));
  }
  if (line.method == HbaMethod::kPeer && line.conn_type != HbaConnType::kLocal) {
    Fail(ctx, "peer authentication is only supported on local sockets");
  }

  // Options ("name=value"): none are supported yet.
  for (; next < fields.size(); ++next) {
    for (const HbaToken& option : fields[next]) {
      size_t eq = option.text.find('=');
      if (eq == std::string::npos) {
        Fail(ctx,
             Format("authentication option not in name=value format: %s", option.text.c_str()));
      }
      Fail(ctx, Format("unrecognized authentication option name: \"%s\"",
                       option.text.substr(0, eq).c_str()));
    }
  }
  return line;
}

// The peer address as (family, 16 bytes); IPv4-mapped IPv6 addresses count as IPv4 (H2).
bool PeerBytes(const sockaddr_storage& peer, int* family, std::array<uint8_t, 16>* out) {
  out->fill(0);
  if (peer.ss_family == AF_INET) {
    const auto* sin = reinterpret_cast<const sockaddr_in*>(&peer);
    std::memcpy(out->data(), &sin->sin_addr, 4);
    *family = AF_INET;
    return true;
  }
  if (peer.ss_family == AF_INET6) {
    const auto* sin6 = reinterpret_cast<const sockaddr_in6*>(&peer);
    if (IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr)) {
      std::memcpy(out->data(), reinterpret_cast<const uint8_t*>(&sin6->sin6_addr) + 12, 4);
      *family = AF_INET;
    } else {
      std::memcpy(out->data(), &sin6->sin6_addr, 16);
      *family = AF_INET6;
    }
    return true;
  }
  return false;
}

bool InRange(int family, const std::array<uint8_t, 16>& addr, int range_family,
             const std::array<uint8_t, 16>& network, const std::array<uint8_t, 16>& mask) {
  if (family != range_family) return false;
  size_t len = family == AF_INET ? 4 : 16;
  for (size_t i = 0; i < len; ++i) {
    if ((addr[i] & mask[i]) != (network[i] & mask[i])) return false;
  }
  return true;
}

// samehost / samenet: compares with every interface address of this machine.
bool MatchesLocalInterfaces(int family, const std::array<uint8_t, 16>& addr, bool same_net) {
  ifaddrs* list = nullptr;
  if (getifaddrs(&list) != 0) return false;
  bool found = false;
  for (ifaddrs* ifa = list; ifa != nullptr && !found; ifa = ifa->ifa_next) {
    if (ifa->ifa_addr == nullptr) continue;
    sockaddr_storage storage{};
    size_t len = ifa->ifa_addr->sa_family == AF_INET    ? sizeof(sockaddr_in)
                 : ifa->ifa_addr->sa_family == AF_INET6 ? sizeof(sockaddr_in6)
                                                        : 0;
    if (len == 0) continue;
    std::memcpy(&storage, ifa->ifa_addr, len);
    int if_family = 0;
    std::array<uint8_t, 16> if_addr{};
    if (!PeerBytes(storage, &if_family, &if_addr)) continue;
    std::array<uint8_t, 16> mask{};
    if (same_net && ifa->ifa_netmask != nullptr) {
      sockaddr_storage mask_storage{};
      std::memcpy(&mask_storage, ifa->ifa_netmask, len);
      int mask_family = 0;
      (void)PeerBytes(mask_storage, &mask_family, &mask);
    } else {
      mask.fill(0xff);
    }
    found = InRange(family, addr, if_family, if_addr, mask);
  }
  freeifaddrs(list);
  return found;
}

bool MatchAddress(const HbaLine& line, const sockaddr_storage& peer) {
  int family = 0;
  std::array<uint8_t, 16> addr{};
  if (!PeerBytes(peer, &family, &addr)) return false;
  switch (line.address_match) {
    case HbaAddressMatch::kAll:
      return true;
    case HbaAddressMatch::kMask:
      return InRange(family, addr, line.family, line.address, line.mask);
    case HbaAddressMatch::kSameHost:
      return MatchesLocalInterfaces(family, addr, false);
    case HbaAddressMatch::kSameNet:
      return MatchesLocalInterfaces(family, addr, true);
    case HbaAddressMatch::kNone:
      return false;
  }
  return false;
}

bool MatchDatabase(const HbaLine& line, const HbaRequest& request) {
  for (const HbaToken& token : line.databases) {
    if (request.replication) {
      // H4: a physical replication connection matches only the "replication" keyword.
      if (IsKeyword(token, "replication")) return true;
      continue;
    }
    if (IsKeyword(token, "all")) return true;
    if (IsKeyword(token, "sameuser")) {
      if (request.database == request.user) return true;
      continue;
    }
    if (IsKeyword(token, "replication")) continue;
    if (token.text == request.database) return true;
  }
  return false;
}

bool MatchUser(const HbaLine& line, const HbaRequest& request) {
  for (const HbaToken& token : line.users) {
    if (IsKeyword(token, "all") || token.text == request.user) return true;
  }
  return false;
}

std::string TrimRight(std::string text) {
  while (!text.empty() && IsSpace(text.back())) text.pop_back();
  return text;
}

}  // namespace

const char* HbaMethodName(HbaMethod method) {
  switch (method) {
    case HbaMethod::kTrust:
      return "trust";
    case HbaMethod::kReject:
      return "reject";
    case HbaMethod::kPassword:
      return "password";
    case HbaMethod::kMd5:
      return "md5";
    case HbaMethod::kScramSha256:
      return "scram-sha-256";
    case HbaMethod::kPeer:
      return "peer";
  }
  return "unknown";
}

HbaFile HbaFile::Parse(std::string_view text, std::string_view file_name) {
  HbaFile file;
  file.file_name_ = std::string(file_name);
  for (LogicalLine& logical : SplitLines(text)) {
    LineContext ctx{file_name, logical.line_number};
    std::vector<Field> fields = Tokenize(logical.text, ctx);
    if (fields.empty()) continue;
    file.lines_.push_back(ParseLine(fields, ctx, TrimRight(std::move(logical.text))));
  }
  if (file.lines_.empty()) {
    throw FatalError(
        sqlstate::kConfigFileError,
        Format("configuration file \"%s\" contains no entries", file.file_name_.c_str()));
  }
  return file;
}

HbaFile HbaFile::Load(const std::string& path) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    throw FatalError(sqlstate::kIoError, Format("could not open configuration file \"%s\": %s",
                                                path.c_str(), ErrnoText(errno).c_str()));
  }
  std::string text;
  char buf[8192];
  for (;;) {
    ssize_t n = read(fd, buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int saved = errno;
      close(fd);
      throw FatalError(sqlstate::kIoError, Format("could not read configuration file \"%s\": %s",
                                                  path.c_str(), ErrnoText(saved).c_str()));
    }
    if (n == 0) break;
    text.append(buf, static_cast<size_t>(n));
  }
  close(fd);
  return Parse(text, path);
}

const HbaLine* HbaFile::Match(const HbaRequest& request) const {
  for (const HbaLine& line : lines_) {  // H1: first match wins
    if (line.conn_type == HbaConnType::kLocal) {
      if (!request.is_unix) continue;
    } else {
      if (request.is_unix) continue;
      if (line.conn_type == HbaConnType::kHostSsl && !request.is_ssl) continue;
      if (line.conn_type == HbaConnType::kHostNoSsl && request.is_ssl) continue;
      if (!MatchAddress(line, request.peer)) continue;
    }
    if (!MatchDatabase(line, request) || !MatchUser(line, request)) continue;
    return &line;
  }
  return nullptr;
}

}  // namespace keel::auth
