// keel.conf lexer and parser; see config_file.h and README.md here ("keel.conf syntax", C9).
#include "backend/utils/config/config_file.h"

#include <dirent.h>
#include <fcntl.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "backend/utils/error/format.h"
#include "backend/utils/error/log.h"

namespace keel::config {
namespace {

// PostgreSQL gives up on a file after this many syntax errors.
constexpr int kMaxSyntaxErrors = 100;

enum class TokenKind : uint8_t {
  kEnd, kEol, kEquals, kId, kQualifiedId, kString, kUnquoted, kNumber, kError,
};

struct Token {
  TokenKind kind;
  std::string_view text;  // points into the file text
  int line;
};

bool IsLetter(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
         static_cast<unsigned char>(c) >= 0x80;
}
bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsHexDigit(char c) {
  return IsDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}
bool IsLetterOrDigit(char c) { return IsLetter(c) || IsDigit(c); }
bool IsUnitLetter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

class Lexer {
 public:
  explicit Lexer(std::string_view text) : text_(text) {}

  Token Next() {
    // Blanks and comments.
    while (pos_ < text_.size()) {
      char c = text_[pos_];
      if (c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v') {
        ++pos_;
      } else if (c == '#') {
        while (pos_ < text_.size() && text_[pos_] != '\n') ++pos_;
      } else {
        break;
      }
    }
    if (pos_ >= text_.size()) return Token{TokenKind::kEnd, {}, line_};
    size_t start = pos_;
    char c = text_[pos_];
    if (c == '\n') {
      ++pos_;
      return Token{TokenKind::kEol, text_.substr(start, 1), line_++};
    }
    if (c == '=') {
      ++pos_;
      return Make(TokenKind::kEquals, start);
    }
    if (c == '\'') return QuotedString(start);
    if (IsLetter(c)) return Word(start);
    if (IsDigit(c) || c == '.' || c == '+' || c == '-') {
      size_t end = NumberEnd(start);
      if (end > start) {
        pos_ = end;
        return Make(TokenKind::kNumber, start);
      }
    }
    ++pos_;
    return Make(TokenKind::kError, start);
  }

  int line() const { return line_; }

 private:
  Token Make(TokenKind kind, size_t start) {
    return Token{kind, text_.substr(start, pos_ - start), line_};
  }

  // 'text' with '' and backslash escapes; no newline inside. Unterminated: an error token of
  // just the quote.
  Token QuotedString(size_t start) {
    size_t p = start + 1;
    while (p < text_.size()) {
      char c = text_[p];
      if (c == '\n') break;
      if (c == '\\') {
        if (p + 1 >= text_.size() || text_[p + 1] == '\n') break;
        p += 2;
      } else if (c == '\'') {
        if (p + 1 < text_.size() && text_[p + 1] == '\'') {
          p += 2;
        } else {
          pos_ = p + 1;
          return Make(TokenKind::kString, start);
        }
      } else {
        ++p;
      }
    }
    pos_ = start + 1;
    return Make(TokenKind::kError, start);
  }

  // The longest of: identifier, identifier.identifier, unquoted string (letters, digits and
  // -._:/ after a letter); on a tie the earlier kind in that list.
  Token Word(size_t start) {
    size_t id_end = start + 1;
    while (id_end < text_.size() && IsLetterOrDigit(text_[id_end])) ++id_end;
    size_t qualified_end = id_end;
    if (id_end + 1 < text_.size() && text_[id_end] == '.' && IsLetter(text_[id_end + 1])) {
      qualified_end = id_end + 2;
      while (qualified_end < text_.size() && IsLetterOrDigit(text_[qualified_end])) {
        ++qualified_end;
      }
    }
    size_t unquoted_end = start + 1;
    while (unquoted_end < text_.size()) {
      char c = text_[unquoted_end];
      if (!IsLetterOrDigit(c) && c != '-' && c != '.' && c != '_' && c != ':' && c != '/') break;
      ++unquoted_end;
    }
    TokenKind kind = TokenKind::kUnquoted;
    size_t end = unquoted_end;
    if (unquoted_end == id_end) {
      kind = TokenKind::kId;
    } else if (unquoted_end == qualified_end && qualified_end != id_end) {
      kind = TokenKind::kQualifiedId;
    }
    pos_ = end;
    return Make(kind, start);
  }

  // [+-]? (0x hex+ | digits [. digits*] | . digits+) [e [+-] digits+] unit-letters*;
  // returns `start` when there is no number here.
  size_t NumberEnd(size_t start) const {
    size_t p = start;
    auto at = [this](size_t i) { return i < text_.size() ? text_[i] : '\0'; };
    if (at(p) == '+' || at(p) == '-') ++p;
    if (at(p) == '0' && (at(p + 1) == 'x' || at(p + 1) == 'X') && IsHexDigit(at(p + 2))) {
      p += 2;
      while (IsHexDigit(at(p))) ++p;
    } else {
      size_t digits = 0;
      while (IsDigit(at(p))) { ++p; ++digits; }
      if (at(p) == '.') {
        size_t q = p + 1;
        size_t fraction = 0;
        while (IsDigit(at(q))) { ++q; ++fraction; }
        if (digits + fraction == 0) return start;
        p = q;
        digits += fraction;
      }
      if (digits == 0) return start;
      if (at(p) == 'e' || at(p) == 'E') {
        size_t q = p + 1;
        if (at(q) == '+' || at(q) == '-') ++q;
        if (IsDigit(at(q))) {
          while (IsDigit(at(q))) ++q;
          p = q;
        }
      }
    }
    while (IsUnitLetter(at(p))) ++p;
    return p;
  }

  std::string_view text_;
  size_t pos_ = 0;
  int line_ = 1;
};

// Removes the quotes and resolves '' and backslash escapes (\b \f \n \r \t, octal \ooo,
// anything else stands for itself).
std::string Unquote(std::string_view quoted) {
  std::string_view body = quoted.substr(1, quoted.size() - 2);
  std::string out;
  out.reserve(body.size());
  for (size_t i = 0; i < body.size(); ++i) {
    char c = body[i];
    if (c == '\'' && i + 1 < body.size() && body[i + 1] == '\'') {
      out += '\'';
      ++i;
    } else if (c == '\\' && i + 1 < body.size()) {
      char e = body[++i];
      switch (e) {
        case 'b': out += '\b'; break;
        case 'f': out += '\f'; break;
        case 'n': out += '\n'; break;
        case 'r': out += '\r'; break;
        case 't': out += '\t'; break;
        default:
          if (e >= '0' && e <= '7') {
            int value = e - '0';
            for (int k = 0; k < 2 && i + 1 < body.size() && body[i + 1] >= '0' &&
                            body[i + 1] <= '7';
                 ++k) {
              value = value * 8 + (body[++i] - '0');
            }
            out += static_cast<char>(value);
          } else {
            out += e;
          }
      }
    } else {
      out += c;
    }
  }
  return out;
}

SqlState FileErrorCode(int errno_value) {
  switch (errno_value) {
    case ENOENT: case ENOTDIR: return sqlstate::kUndefinedFile;
    case EACCES: case EPERM: return sqlstate::kInsufficientPrivilege;
    default: return sqlstate::kIoError;
  }
}

std::string DirName(const std::string& path) {
  size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

void AddError(ParsedConfig* out, Error error, const std::string& file, int line) {
  out->errors.push_back(ConfigFileError{std::move(error), file, line});
}

bool ReadWholeFile(const std::string& path, std::string* text, int* errno_out) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    *errno_out = errno;
    return false;
  }
  struct stat st;
  if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
    close(fd);
    *errno_out = EISDIR;
    return false;
  }
  char buffer[8192];
  for (;;) {
    ssize_t n = read(fd, buffer, sizeof(buffer));
    if (n < 0) {
      if (errno == EINTR) continue;
      *errno_out = errno;
      close(fd);
      return false;
    }
    if (n == 0) break;
    text->append(buffer, static_cast<size_t>(n));
  }
  close(fd);
  return true;
}

void ParseFileAt(const std::string& abs_path, bool missing_ok, int depth,
                 const std::string& from_file, int from_line, ParsedConfig* out);

// include_dir: every "*.conf" file of the folder that does not start with a dot, in name order.
void ParseDirectoryAt(const std::string& abs_dir, int depth, const std::string& from_file,
                      int from_line, ParsedConfig* out) {
  DIR* dir = opendir(abs_dir.c_str());
  if (dir == nullptr) {
    int saved = errno;
    AddError(out,
             Error(FileErrorCode(saved),
                   Format("could not open configuration directory \"%s\": %s", abs_dir.c_str(),
                          ErrnoText(saved).c_str())),
             from_file, from_line);
    return;
  }
  std::vector<std::string> names;
  while (struct dirent* entry = readdir(dir)) {
    std::string name = entry->d_name;
    if (name.empty() || name[0] == '.') continue;
    if (name.size() <= 5 || name.compare(name.size() - 5, 5, ".conf") != 0) continue;
    std::string full = abs_dir + "/" + name;
    struct stat st;
    if (stat(full.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) continue;
    names.push_back(std::move(full));
  }
  closedir(dir);
  std::sort(names.begin(), names.end());
  for (const std::string& file : names) ParseFileAt(file, false, depth, from_file, from_line, out);
}

void ParseFileAt(const std::string& abs_path, bool missing_ok, int depth,
                 const std::string& from_file, int from_line, ParsedConfig* out) {
  if (depth > kMaxConfigFileDepth) {
    AddError(out,
             Error(sqlstate::kProgramLimitExceeded,
                   Format("could not open configuration file \"%s\": maximum nesting depth "
                          "exceeded",
                          abs_path.c_str())),
             from_file.empty() ? abs_path : from_file, from_line);
    return;
  }
  std::string text;
  int err = 0;
  if (!ReadWholeFile(abs_path, &text, &err)) {
    if (missing_ok && err == ENOENT) {
      Log(Severity::kDebug1, "skipping missing configuration file \"%s\"", abs_path.c_str());
      return;
    }
    AddError(out,
             Error(FileErrorCode(err), Format("could not open configuration file \"%s\": %s",
                                              abs_path.c_str(), ErrnoText(err).c_str())),
             from_file.empty() ? abs_path : from_file, from_line);
    return;
  }
  ParseConfigText(text, abs_path, depth, out);
}

std::string TokenText(const Token& token) {
  return token.kind == TokenKind::kEol || token.kind == TokenKind::kEnd ? std::string()
                                                                        : std::string(token.text);
}

}  // namespace

std::string AbsoluteConfigPath(const std::string& path, const std::string& relative_to) {
  if (!path.empty() && path[0] == '/') return path;
  std::string base;
  if (!relative_to.empty()) {
    base = DirName(relative_to);
  } else {
    char cwd[4096];
    base = getcwd(cwd, sizeof(cwd)) != nullptr ? cwd : ".";
  }
  if (base == "/") return "/" + path;
  return base + "/" + path;
}

ParsedConfig ParseConfigFile(const std::string& path) {
  ParsedConfig out;
  ParseFileAt(AbsoluteConfigPath(path, ""), false, 0, "", 0, &out);
  return out;
}

void ParseConfigText(std::string_view text, const std::string& path, int depth,
                     ParsedConfig* out) {
  Lexer lexer(text);
  int syntax_errors = 0;
  auto syntax_error = [&](const Token& token) {
    std::string message =
        token.kind == TokenKind::kEol || token.kind == TokenKind::kEnd
            ? Format("syntax error in file \"%s\" line %d, near end of line", path.c_str(),
                     token.line)
            : Format("syntax error in file \"%s\" line %d, near token \"%s\"", path.c_str(),
                     token.line, TokenText(token).c_str());
    AddError(out, Error(sqlstate::kSyntaxError, message), path, token.line);
    ++syntax_errors;
  };
  auto skip_line = [&lexer](Token token) {
    while (token.kind != TokenKind::kEol && token.kind != TokenKind::kEnd) token = lexer.Next();
  };

  for (;;) {
    Token token = lexer.Next();
    if (token.kind == TokenKind::kEnd) break;
    if (token.kind == TokenKind::kEol) continue;
    if (syntax_errors >= kMaxSyntaxErrors) {
      AddError(out,
               Error(sqlstate::kSyntaxError,
                     Format("too many syntax errors found, abandoning file \"%s\"",
                            path.c_str())),
               path, token.line);
      return;
    }
    if (token.kind != TokenKind::kId && token.kind != TokenKind::kQualifiedId) {
      syntax_error(token);
      skip_line(token);
      continue;
    }
    std::string name(token.text);
    int line = token.line;
    token = lexer.Next();
    if (token.kind == TokenKind::kEquals) token = lexer.Next();
    if (token.kind != TokenKind::kId && token.kind != TokenKind::kQualifiedId &&
        token.kind != TokenKind::kString && token.kind != TokenKind::kUnquoted &&
        token.kind != TokenKind::kNumber) {
      syntax_error(token);
      skip_line(token);
      continue;
    }
    std::string value =
        token.kind == TokenKind::kString ? Unquote(token.text) : std::string(token.text);
    token = lexer.Next();
    if (token.kind != TokenKind::kEol && token.kind != TokenKind::kEnd) {
      syntax_error(token);
      skip_line(token);
      continue;
    }

    if (strcasecmp(name.c_str(), "include") == 0) {
      ParseFileAt(AbsoluteConfigPath(value, path), false, depth + 1, path, line, out);
    } else if (strcasecmp(name.c_str(), "include_if_exists") == 0) {
      ParseFileAt(AbsoluteConfigPath(value, path), true, depth + 1, path, line, out);
    } else if (strcasecmp(name.c_str(), "include_dir") == 0) {
      ParseDirectoryAt(AbsoluteConfigPath(value, path), depth + 1, path, line, out);
    } else {
      out->entries.push_back(ConfigEntry{std::move(name), std::move(value), path, line});
    }
    if (token.kind == TokenKind::kEnd) break;
  }
}

}  // namespace keel::config
