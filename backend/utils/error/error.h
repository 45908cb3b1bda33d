// Keel's error: a C++ exception carrying what PostgreSQL's ErrorResponse carries.
// How errors travel and end statements, sessions and processes: README.md here.
#pragma once

#include <cstdint>
#include <exception>
#include <string>

#include "backend/utils/error/sqlstate.h"

namespace keel {

// Ordered by importance, as PostgreSQL's elevels. Values are not on disk or wire.
enum class Severity : uint8_t {
  kDebug5, kDebug4, kDebug3, kDebug2, kDebug1,
  kLog, kInfo, kNotice, kWarning,
  kError,  // aborts the statement (and transaction); the session goes on
  kFatal,  // ends the session / process after reporting
  kPanic,  // aborts the process; the postmaster restarts everything
};

// The severity word PostgreSQL puts in the 'S'/'V' fields and in log lines.
[[nodiscard]] const char* SeverityName(Severity severity);

class Error : public std::exception {
 public:
  Error(SqlState sqlstate, std::string message, Severity severity = Severity::kError)
      : sqlstate_(sqlstate), severity_(severity), message_(std::move(message)) {}

  // Builder-style setters for `throw Error(...).WithDetail(...)`.
  Error& WithDetail(std::string detail) { detail_ = std::move(detail); return *this; }
  Error& WithHint(std::string hint) { hint_ = std::move(hint); return *this; }
  // 1-based character position in the query text, 0 for none.
  Error& WithPosition(int position) { position_ = position; return *this; }

  [[nodiscard]] const char* what() const noexcept override { return message_.c_str(); }
  [[nodiscard]] SqlState sqlstate() const { return sqlstate_; }
  [[nodiscard]] Severity severity() const { return severity_; }
  [[nodiscard]] const std::string& message() const { return message_; }
  [[nodiscard]] const std::string& detail() const { return detail_; }
  [[nodiscard]] const std::string& hint() const { return hint_; }
  [[nodiscard]] int position() const { return position_; }

 private:
  SqlState sqlstate_;
  Severity severity_;
  std::string message_;
  std::string detail_;
  std::string hint_;
  int position_ = 0;
};

// Shorthand for a FATAL error: ends the session after it is reported.
[[nodiscard]] inline Error FatalError(SqlState sqlstate, std::string message) {
  return Error(sqlstate, std::move(message), Severity::kFatal);
}

// Logs the message at PANIC and aborts the process (the postmaster then restarts
// every child and runs crash recovery). Safe inside a critical section.
[[noreturn]] void Panic(const char* fmt, ...) __attribute__((format(printf, 1, 2)));

}  // namespace keel

// Assertions as executable documentation; on in Debug and sanitizer builds.
#ifdef KEEL_DEBUG
#define KEEL_ASSERT(cond) \
  ((cond) ? (void)0 : ::keel::Panic("assertion failed: %s at %s:%d", #cond, __FILE__, __LINE__))
#else
#define KEEL_ASSERT(cond) ((void)sizeof(cond))
#endif
