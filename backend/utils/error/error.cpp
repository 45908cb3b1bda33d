// Severity names and PANIC; see error.h and README.md.
#include "backend/utils/error/error.h"

#include <cstdarg>
#include <cstdlib>

#include "backend/utils/error/format.h"
#include "backend/utils/error/log.h"

namespace keel {

const char* SeverityName(Severity severity) {
  switch (severity) {
    case Severity::kDebug5:
    case Severity::kDebug4:
    case Severity::kDebug3:
    case Severity::kDebug2:
    case Severity::kDebug1: return "DEBUG";
    case Severity::kLog: return "LOG";
    case Severity::kInfo: return "INFO";
    case Severity::kNotice: return "NOTICE";
    case Severity::kWarning: return "WARNING";
    case Severity::kError: return "ERROR";
    case Severity::kFatal: return "FATAL";
    case Severity::kPanic: return "PANIC";
  }
  return "ERROR";
}

void Panic(const char* fmt, ...) {
  va_list args;
  va_start(args, fmt);
  std::string message = FormatV(fmt, args);
  va_end(args);
  LogMessage(Severity::kPanic, message);
  std::abort();
}

}  // namespace keel
