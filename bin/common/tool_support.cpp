// Data directory, executable location and version for the tools; see tool_support.h.
#include "bin/common/tool_support.h"

#include <limits.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>

#ifndef KEEL_VERSION_STRING
#define KEEL_VERSION_STRING "0.0.0"
#endif

namespace keel::tools {

std::optional<std::string> DataDirFromOptionOrEnv(const char* option_value) {
  if (option_value != nullptr && option_value[0] != '\0') return std::string(option_value);
  const char* env = std::getenv("KEELDATA");
  if (env != nullptr && env[0] != '\0') return std::string(env);
  return std::nullopt;
}

std::string SelfExecutableDir() {
  char buffer[PATH_MAX];
  ssize_t n = ::readlink("/proc/self/exe", buffer, sizeof(buffer) - 1);
  if (n <= 0) return "";
  std::string path(buffer, static_cast<size_t>(n));
  size_t slash = path.rfind('/');
  if (slash == std::string::npos) return "";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

std::string VersionLine(const char* program_name) {
  return std::string(program_name) + " (Keel) " KEEL_VERSION_STRING;
}

std::string AbsolutePath(const std::string& path) {
  std::error_code ec;
  std::filesystem::path absolute = std::filesystem::absolute(path, ec);
  if (ec) absolute = path;
  std::string normal = absolute.lexically_normal().string();
  while (normal.size() > 1 && normal.back() == '/') normal.pop_back();
  return normal;
}

}  // namespace keel::tools
