// Interim role password store. See backend/protocol/auth/README.md ("Password file").
#include "backend/protocol/auth/password_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "backend/utils/error/error.h"
#include "backend/utils/error/format.h"

namespace keel::auth {
namespace {

[[noreturn]] void ThrowIo(const char* what, const std::string& path, int errno_value) {
  throw FatalError(sqlstate::kIoError, Format("could not %s file \"%s\": %s", what, path.c_str(),
                                              ErrnoText(errno_value).c_str()));
}

// Reads a whole file; nullopt when it does not exist.
std::optional<std::string> ReadWholeFile(const std::string& path) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return std::nullopt;
    ThrowIo("open", path, errno);
  }
  std::string text;
  char buf[8192];
  for (;;) {
    ssize_t n = read(fd, buf, sizeof(buf));
    if (n < 0) {
      if (errno == EINTR) continue;
      int saved = errno;
      close(fd);
      ThrowIo("read", path, saved);
    }
    if (n == 0) break;
    text.append(buf, static_cast<size_t>(n));
  }
  close(fd);
  return text;
}

void WriteAll(int fd, std::string_view data, const std::string& path) {
  while (!data.empty()) {
    ssize_t n = write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      int saved = errno;
      close(fd);
      ThrowIo("write", path, saved);
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
}

}  // namespace

PasswordFile PasswordFile::Parse(std::string_view text, std::string_view file_name) {
  PasswordFile file;
  int line_number = 0;
  while (!text.empty()) {
    ++line_number;
    size_t end = text.find('\n');
    std::string_view line = text.substr(0, end);
    text = end == std::string_view::npos ? std::string_view() : text.substr(end + 1);
    while (!line.empty() && (line.back() == ' ' || line.back() == '\t' || line.back() == '\r')) {
      line.remove_suffix(1);
    }
    if (line.empty() || line.front() == '#') continue;
    // P2: the role ends at the first ':'; the secret (which contains ':') is the rest.
    size_t colon = line.find(':');
    std::string context = Format("line %d of password file \"%.*s\"", line_number,
                                 static_cast<int>(file_name.size()), file_name.data());
    if (colon == std::string_view::npos || colon == 0 || colon + 1 == line.size()) {
      throw FatalError(sqlstate::kConfigFileError, "invalid entry in password file")
          .WithDetail(context);
    }
    std::string role(line.substr(0, colon));
    if (!file.secrets_.emplace(role, std::string(line.substr(colon + 1))).second) {
      throw FatalError(sqlstate::kConfigFileError,
                       Format("duplicate entry for role \"%s\" in password file", role.c_str()))
          .WithDetail(context);
    }
  }
  return file;
}

PasswordFile PasswordFile::Load(const std::string& path) {
  std::optional<std::string> text = ReadWholeFile(path);
  if (!text) return PasswordFile();  // P1
  return Parse(*text, path);
}

std::optional<std::string> PasswordFile::Lookup(std::string_view user) const {
  auto it = secrets_.find(user);
  if (it == secrets_.end()) return std::nullopt;
  return it->second;
}

void PasswordFile::Write(const std::string& path,
                         const std::vector<std::pair<std::string, std::string>>& entries) {
  std::string text = "# role:secret (SCRAM-SHA-256 verifier or md5 hash); see keel docs\n";
  for (const auto& [role, secret] : entries) {
    if (role.empty() || role.find_first_of(":\n\r") != std::string::npos || role[0] == '#' ||
        secret.empty() || secret.find_first_of("\n\r") != std::string::npos) {
      throw FatalError(sqlstate::kInvalidParameterValue,
                       Format("cannot store password for role \"%s\"", role.c_str()));
    }
    text.append(role).append(":").append(secret).append("\n");
  }
  std::string temp_path = path + ".tmp";
  // P3: created 0600 and renamed into place, so no reader sees a partial file and no other
  // user can read the secrets at any moment.
  int fd = open(temp_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) ThrowIo("create", temp_path, errno);
  if (fchmod(fd, 0600) != 0) {
    int saved = errno;
    close(fd);
    ThrowIo("change permissions of", temp_path, saved);
  }
  WriteAll(fd, text, temp_path);
  if (fsync(fd) != 0) {
    int saved = errno;
    close(fd);
    ThrowIo("fsync", temp_path, saved);
  }
  if (close(fd) != 0) ThrowIo("close", temp_path, errno);
  if (rename(temp_path.c_str(), path.c_str()) != 0) ThrowIo("rename", temp_path, errno);
}

}  // namespace keel::auth
