// Server log lines; see log.h and README.md.
#include "backend/utils/error/log.h"

#include <fcntl.h>
#include <sys/time.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdarg>
#include <ctime>
#include <string>

#include "backend/utils/error/format.h"

namespace keel {
namespace {

// Process-local state: each process has its own copy after fork.
Severity g_min_severity = Severity::kWarning;
const char* g_process_kind = "keel";
int g_log_fd = STDERR_FILENO;

void WriteAll(int fd, const char* data, size_t size) {
  while (size > 0) {
    ssize_t n = write(fd, data, size);
    if (n < 0) {
      if (errno == EINTR) continue;
      return;  // nowhere left to report a failing log write
    }
    data += n;
    size -= static_cast<size_t>(n);
  }
}

// "2026-11-22 10:00:00.123 UTC [4242] backend "
std::string LinePrefix() {
  struct timeval now;
  gettimeofday(&now, nullptr);
  struct tm tm_utc;
  gmtime_r(&now.tv_sec, &tm_utc);
  char stamp[64];
  size_t len = strftime(stamp, sizeof(stamp), "%Y-%m-%d %H:%M:%S", &tm_utc);
  return Format("%.*s.%03d UTC [%d] %s ", static_cast<int>(len), stamp,
                static_cast<int>(now.tv_usec / 1000), static_cast<int>(getpid()), g_process_kind);
}

}  // namespace

void SetLogMinSeverity(Severity severity) { g_min_severity = severity; }
Severity LogMinSeverity() { return g_min_severity; }
void SetLogProcessKind(const char* kind) { g_process_kind = kind; }

bool SetLogFile(std::string_view path) {
  if (path.empty()) {
    if (g_log_fd != STDERR_FILENO) close(g_log_fd);
    g_log_fd = STDERR_FILENO;
    return true;
  }
  std::string p(path);
  int fd = open(p.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (fd < 0) return false;
  if (g_log_fd != STDERR_FILENO) close(g_log_fd);
  g_log_fd = fd;
  return true;
}

bool LogEnabled(Severity severity) {
  // LOG ranks above ERROR for the server log, as in PostgreSQL's log_min_messages.
  auto rank = [](Severity s) {
    if (s == Severity::kLog) return static_cast<int>(Severity::kError) * 2 + 1;
    return static_cast<int>(s) * 2;
  };
  return rank(severity) >= rank(g_min_severity);
}

void LogMessage(Severity severity, std::string_view message) {
  if (!LogEnabled(severity)) return;
  std::string line = LinePrefix();
  line += SeverityName(severity);
  line += ":  ";
  line.append(message);
  line += '\n';
  WriteAll(g_log_fd, line.data(), line.size());
}

void Log(Severity severity, const char* fmt, ...) {
  if (!LogEnabled(severity)) return;
  va_list args;
  va_start(args, fmt);
  std::string message = FormatV(fmt, args);
  va_end(args);
  LogMessage(severity, message);
}

void LogError(const Error& error) {
  if (!LogEnabled(error.severity())) return;
  std::string text = error.message();
  if (!error.detail().empty()) text += "\n\tDETAIL:  " + error.detail();
  if (!error.hint().empty()) text += "\n\tHINT:  " + error.hint();
  LogMessage(error.severity(), text);
}

}  // namespace keel
