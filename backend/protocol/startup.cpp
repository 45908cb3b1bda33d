// Startup packet parsing. See backend/protocol/README.md ("Startup", S1-S5).
#include "backend/protocol/startup.h"

#include <strings.h>

#include "backend/protocol/message.h"
#include "backend/utils/error/error.h"
#include "backend/utils/error/format.h"

namespace keel::protocol {
namespace {

bool IsSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

// PostgreSQL's boolean spellings: true/false/yes/no/on/off/1/0 and unique prefixes of the
// words, case-insensitively.
bool IsBoolean(std::string_view value) {
  if (value.empty()) return false;
  std::string lower;
  for (char c : value) lower += static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  if (lower == "1" || lower == "0") return true;
  for (std::string_view word : {"true", "false", "yes", "no"}) {
    if (word.substr(0, lower.size()) == lower) return true;
  }
  // "o" alone is ambiguous between on and off.
  return lower == "on" || lower == "of" || lower == "off";
}

// "name=value" from -c or --; dashes in the name become underscores, as the server's own
// command line treats them.
std::pair<std::string, std::string> SplitSetting(const std::string& text, bool long_form) {
  size_t eq = text.find('=');
  if (eq == std::string::npos) {
    throw FatalError(sqlstate::kSyntaxError, long_form
                                                 ? Format("--%s requires a value", text.c_str())
                                                 : Format("-c %s requires a value", text.c_str()));
  }
  std::string name = text.substr(0, eq);
  for (char& c : name) {
    if (c == '-') c = '_';
  }
  return {name, text.substr(eq + 1)};
}

std::vector<std::pair<std::string, std::string>> ParseOptions(std::string_view options) {
  std::vector<std::pair<std::string, std::string>> out;
  std::vector<std::string> words = SplitOptions(options);
  for (size_t i = 0; i < words.size(); ++i) {
    const std::string& word = words[i];
    if (word == "-c") {
      if (i + 1 >= words.size()) {
        throw FatalError(sqlstate::kSyntaxError,
                         "invalid command-line argument for server process: -c")
            .WithHint("Use -c name=value.");
      }
      out.push_back(SplitSetting(words[++i], false));
    } else if (word.size() > 2 && word.compare(0, 2, "-c") == 0) {
      out.push_back(SplitSetting(word.substr(2), false));
    } else if (word.size() > 2 && word.compare(0, 2, "--") == 0) {
      out.push_back(SplitSetting(word.substr(2), true));
    } else {
      throw FatalError(sqlstate::kSyntaxError,
                       Format("invalid command-line argument for server process: %s", word.c_str()))
          .WithHint("Only -c name=value and --name=value are accepted in \"options\".");
    }
  }
  return out;
}

}  // namespace

std::vector<std::string> SplitOptions(std::string_view options) {
  std::vector<std::string> words;
  size_t i = 0;
  while (i < options.size()) {
    while (i < options.size() && IsSpace(options[i])) ++i;
    if (i >= options.size()) break;
    std::string word;
    while (i < options.size() && !IsSpace(options[i])) {
      if (options[i] == '\\' && i + 1 < options.size()) ++i;  // S4: escaped character
      word += options[i++];
    }
    words.push_back(std::move(word));
  }
  return words;
}

StartupPacket ParseStartupPacket(std::string_view body) {
  if (body.size() < 4) {
    throw FatalError(sqlstate::kProtocolViolation, "invalid length of startup packet");
  }
  auto code = static_cast<int32_t>(ReadUint32(body.data()));
  if (code == kSslRequestCode || code == kGssEncRequestCode) {
    if (body.size() != 4) {
      throw FatalError(sqlstate::kProtocolViolation, "invalid length of startup packet");
    }
    if (code == kSslRequestCode) return SslRequest{};
    return GssEncRequest{};
  }
  if (code == kCancelRequestCode) {
    if (body.size() != 12) {
      throw FatalError(sqlstate::kProtocolViolation, "invalid length of startup packet");
    }
    return CancelRequest{static_cast<int32_t>(ReadUint32(body.data() + 4)),
                         static_cast<int32_t>(ReadUint32(body.data() + 8))};
  }

  StartupParams params;
  params.major = static_cast<uint16_t>(static_cast<uint32_t>(code) >> 16);
  params.minor = static_cast<uint16_t>(static_cast<uint32_t>(code) & 0xffff);
  if (params.major != 3) {  // S1
    throw FatalError(
        sqlstate::kFeatureNotSupported,
        Format("unsupported frontend protocol %u.%u: server supports 3.0 to 3.0",
               static_cast<unsigned>(params.major), static_cast<unsigned>(params.minor)));
  }

  // S5: name\0value\0 ... \0, the final terminator being exactly the last byte.
  std::string_view rest = body.substr(4);
  bool terminated = false;
  while (!rest.empty()) {
    size_t name_end = rest.find('\0');
    if (name_end == 0) {
      terminated = rest.size() == 1;
      break;
    }
    if (name_end == std::string_view::npos) break;
    std::string_view name = rest.substr(0, name_end);
    std::string_view after = rest.substr(name_end + 1);
    size_t value_end = after.find('\0');
    if (value_end == std::string_view::npos) break;
    std::string_view value = after.substr(0, value_end);
    rest = after.substr(value_end + 1);

    if (name == "user") {
      params.user = std::string(value);
    } else if (name == "database") {
      params.database = std::string(value);
    } else if (name == "options") {
      auto parsed = ParseOptions(value);
      params.options.insert(params.options.end(), parsed.begin(), parsed.end());
    } else if (name == "replication") {
      if (value != "database" && !IsBoolean(value)) {
        throw FatalError(sqlstate::kInvalidParameterValue,
                         Format("invalid value for parameter \"%s\": \"%.*s\"", "replication",
                                static_cast<int>(value.size()), value.data()))
            .WithHint("Valid values are: \"false\", 0, \"true\", 1, \"database\".");
      }
      params.replication = std::string(value);
    } else if (name.substr(0, 5) == "_pq_.") {
      params.unrecognized_protocol_options.emplace_back(name);
    } else {
      if (name == "application_name") params.application_name = std::string(value);
      params.other.emplace_back(std::string(name), std::string(value));
    }
  }
  if (!terminated) {
    throw FatalError(sqlstate::kProtocolViolation,
                     "invalid startup packet layout: expected terminator as last byte");
  }
  if (params.user.empty()) {
    throw FatalError(sqlstate::kInvalidAuthorizationSpecification,
                     "no PostgreSQL user name specified in startup packet");
  }
  if (params.database.empty()) params.database = params.user;  // S3
  return params;
}

}  // namespace keel::protocol
