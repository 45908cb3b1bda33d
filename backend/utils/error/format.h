// printf-style formatting into std::string. libstdc++ 12 has no <format>;
// the compiler checks every format string through the attribute.
#pragma once

#include <cstdarg>
#include <string>

namespace keel {

[[nodiscard]] std::string Format(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
[[nodiscard]] std::string FormatV(const char* fmt, va_list args);

// "%m"-style: strerror of the given errno value, thread- and signal-safe enough for logs.
[[nodiscard]] std::string ErrnoText(int errno_value);

}  // namespace keel
