// Data directory, executable location and version for the tools; see tool_support.h.
#include "bin/common/tool_support.h"

#include <getopt.h>
#include <limits.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>

#include "bin/common/tool_output.h"

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

void PrintVersion() { std::printf("%s\n", VersionLine(ProgramName()).c_str()); }

std::optional<int> HandleHelpOrVersion(int argc, char** argv, void (*print_usage)()) {
  if (argc < 2) return std::nullopt;
  if (std::strcmp(argv[1], "--help") == 0 || std::strcmp(argv[1], "-?") == 0) {
    print_usage();
    return 0;
  }
  if (std::strcmp(argv[1], "--version") == 0 || std::strcmp(argv[1], "-V") == 0) {
    PrintVersion();
    return 0;
  }
  return std::nullopt;
}

bool IsHelpOption(int option, char** argv) {
  return option == '?' && optind > 0 && std::strcmp(argv[optind - 1], "-?") == 0;
}

bool TakeDataDirArgument(int argc, char** argv, const char** data_dir_option) {
  if (optind < argc && *data_dir_option == nullptr) *data_dir_option = argv[optind++];
  if (optind < argc) {
    PrintError("too many command-line arguments (first is \"%s\")", argv[optind]);
    PrintTryHelpHint();
    return false;
  }
  return true;
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
