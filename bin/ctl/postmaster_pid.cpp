// postmaster.pid reading and the liveness check; see postmaster_pid.h.
#include "bin/ctl/postmaster_pid.h"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>

namespace keel::ctl {

std::string_view PostmasterPid::Line(int n) const {
  if (n < 1 || static_cast<size_t>(n) > lines.size()) return {};
  return lines[static_cast<size_t>(n) - 1];
}

bool PostmasterPid::IsReady() const {
  std::string_view status = Line(kPidLineStatus);
  return status.rfind("ready", 0) == 0 || status.rfind("standby", 0) == 0;
}

PidFileRead ReadPostmasterPid(const std::string& path, PostmasterPid* out, int* saved_errno) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    *saved_errno = errno;
    return errno == ENOENT ? PidFileRead::kMissing : PidFileRead::kUnreadable;
  }
  std::string text;
  char buffer[1024];
  while (true) {
    ssize_t n = ::read(fd, buffer, sizeof(buffer));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      *saved_errno = errno;
      ::close(fd);
      return PidFileRead::kUnreadable;
    }
    if (n == 0) break;
    text.append(buffer, static_cast<size_t>(n));
  }
  ::close(fd);
  if (text.empty()) return PidFileRead::kEmpty;
  PostmasterPid result;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    result.lines.emplace_back(text.substr(start, end - start));
    start = end + 1;
  }
  const std::string& first = result.lines.front();
  char* end = nullptr;
  errno = 0;
  long pid = std::strtol(first.c_str(), &end, 10);
  // C1: line 1 is the postmaster's pid, a positive decimal number.
  if (first.empty() || errno != 0 || pid <= 0 || static_cast<pid_t>(pid) != pid ||
      (*end != '\0' && *end != ' ')) {
    return PidFileRead::kInvalid;
  }
  result.pid = static_cast<pid_t>(pid);
  *out = std::move(result);
  return PidFileRead::kOk;
}

bool ProcessIsAlive(pid_t pid) {
  if (pid <= 0 || pid == ::getpid() || pid == ::getppid()) return false;
  if (::kill(pid, 0) != 0 && errno != EPERM) return false;
  // C2: an exited postmaster whose new parent does not reap it stays a zombie; kill() still
  // succeeds on it, but it is as dead as it gets.
  std::string stat_path = "/proc/" + std::to_string(pid) + "/stat";
  char buffer[512];
  ssize_t n = -1;
  int fd = ::open(stat_path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd >= 0) {
    n = ::read(fd, buffer, sizeof(buffer));
    ::close(fd);
  }
  if (n <= 0) return ::kill(pid, 0) == 0 || errno == EPERM;  // no /proc: trust kill()
  std::string_view text(buffer, static_cast<size_t>(n));
  size_t paren = text.rfind(')');
  if (paren != std::string_view::npos && paren + 2 < text.size()) {
    char state = text[paren + 2];
    if (state == 'Z' || state == 'X') return false;
  }
  return true;
}

}  // namespace keel::ctl
