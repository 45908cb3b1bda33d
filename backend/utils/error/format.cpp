// printf-style formatting helpers; see format.h.
#include "backend/utils/error/format.h"

#include <cstdio>
#include <cstring>

namespace keel {

std::string FormatV(const char* fmt, va_list args) {
  char stack_buf[512];
  va_list copy;
  va_copy(copy, args);
  int needed = vsnprintf(stack_buf, sizeof(stack_buf), fmt, copy);
  va_end(copy);
  if (needed < 0) return std::string(fmt);
  if (static_cast<size_t>(needed) < sizeof(stack_buf)) return std::string(stack_buf, needed);
  std::string out(static_cast<size_t>(needed), '\0');
  vsnprintf(out.data(), out.size() + 1, fmt, args);
  return out;
}

std::string Format(const char* fmt, ...) {
  va_list args;
  va_start(args, fmt);
  std::string out = FormatV(fmt, args);
  va_end(args);
  return out;
}

std::string ErrnoText(int errno_value) {
  char buf[256];
  // GNU strerror_r returns a pointer that may or may not be `buf`.
  const char* text = strerror_r(errno_value, buf, sizeof(buf));
  return std::string(text);
}

}  // namespace keel
