// Server command line and data-directory checks; see server_options.h.
#include "postmaster/server_options.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <fstream>

#include "backend/utils/error/error.h"
#include "backend/utils/error/format.h"

namespace keel::postmaster {
namespace {

constexpr const char* kUsage =
    "keel is the Keel server.\n\n"
    "Usage:\n  keel [OPTION]...\n\n"
    "Options:\n"
    "  -D DATADIR         database directory (default: $KEELDATA)\n"
    "  -p PORT            port number to listen on\n"
    "  -h HOSTNAMES       host name or IP address to listen on\n"
    "  -k DIRECTORY       Unix-domain socket location\n"
    "  -c NAME=VALUE      set run-time parameter\n"
    "  --NAME=VALUE       set run-time parameter\n"
    "  -V, --version      output version information, then exit\n"
    "  -?, --help         show this help, then exit\n";

}  // namespace

std::optional<ServerOptions> ParseServerOptions(int argc, char** argv) {
  ServerOptions options;
  for (int i = 0; i < argc; ++i) options.argv.emplace_back(argv[i]);
  auto value_of = [&](int& i, const char* flag) -> const char* {
    std::string arg = argv[i];
    if (arg.size() > 2) return argv[i] + 2;  // -D/data
    if (i + 1 >= argc) {
      fprintf(stderr, "keel: option requires an argument -- '%s'\n", flag + 1);
      return nullptr;
    }
    return argv[++i];
  };
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--help" || arg == "-?") {
      fputs(kUsage, stdout);
      options.exit_after_parse = true;
      return options;
    }
    if (arg == "--version" || arg == "-V") {
      puts("keel (Keel) 0.1.0, PostgreSQL 15 compatible");
      options.exit_after_parse = true;
      return options;
    }
    if (arg.rfind("--", 0) == 0) {
      std::string setting = arg.substr(2);
      size_t eq = setting.find('=');
      if (eq == std::string::npos) {
        fprintf(stderr, "keel: --%s requires a value\n", setting.c_str());
        return std::nullopt;
      }
      for (size_t k = 0; k < eq; ++k) {
        if (setting[k] == '-') setting[k] = '_';
      }
      options.settings.push_back(setting);
      continue;
    }
    if (arg.size() < 2 || arg[0] != '-') {
      fprintf(stderr, "keel: invalid argument: \"%s\"\nTry \"keel --help\" for more information.\n",
              arg.c_str());
      return std::nullopt;
    }
    const char flag[3] = {'-', arg[1], '\0'};
    const char* value = nullptr;
    switch (arg[1]) {
      case 'D':
      case 'c':
      case 'p':
      case 'h':
      case 'k':
        value = value_of(i, flag);
        if (value == nullptr) return std::nullopt;
        break;
      default:
        fprintf(stderr, "keel: invalid option -- '%c'\nTry \"keel --help\" for more information.\n",
                arg[1]);
        return std::nullopt;
    }
    switch (arg[1]) {
      case 'D': options.data_dir = value; break;
      case 'c': {
        std::string setting = value;
        if (setting.find('=') == std::string::npos) {
          fprintf(stderr, "keel: -c %s requires a value\n", value);
          return std::nullopt;
        }
        options.settings.push_back(setting);
        break;
      }
      case 'p': options.settings.push_back(std::string("port=") + value); break;
      case 'h': options.settings.push_back(std::string("listen_addresses=") + value); break;
      case 'k': options.settings.push_back(std::string("unix_socket_directories=") + value); break;
    }
  }
  if (options.data_dir.empty()) {
    const char* env = getenv("KEELDATA");
    if (env != nullptr) options.data_dir = env;
  }
  if (options.data_dir.empty()) {
    fprintf(stderr,
            "keel does not know where to find the database system data.\n"
            "You must specify the -D invocation option or set the KEELDATA environment "
            "variable.\n");
    return std::nullopt;
  }
  return options;
}

std::string ValidateDataDirectory(const std::string& data_dir) {
  char resolved[PATH_MAX];
  if (realpath(data_dir.c_str(), resolved) == nullptr) {
    if (errno == ENOENT) {
      throw FatalError(sqlstate::kIoError,
                       Format("data directory \"%s\" does not exist", data_dir.c_str()));
    }
    throw FatalError(sqlstate::kIoError, Format("could not read permissions of directory \"%s\": %s",
                                                data_dir.c_str(), ErrnoText(errno).c_str()));
  }
  std::string path = resolved;
  struct stat st {};
  if (stat(path.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    throw FatalError(sqlstate::kIoError,
                     Format("specified data directory \"%s\" is not a directory", path.c_str()));
  }
  if (st.st_uid != geteuid()) {
    throw FatalError(sqlstate::kIoError,
                     Format("data directory \"%s\" has wrong ownership", path.c_str()))
        .WithHint("The server must be started by the user that owns the data directory.");
  }
  if ((st.st_mode & 0027) != 0) {
    throw FatalError(sqlstate::kIoError,
                     Format("data directory \"%s\" has invalid permissions", path.c_str()))
        .WithDetail("Permissions should be u=rwx (0700) or u=rwx,g=rx (0750).");
  }
  std::string version_file = path + "/KEEL_VERSION";
  if (access(version_file.c_str(), R_OK) != 0) {
    throw FatalError(sqlstate::kIoError,
                     Format("\"%s\" is not a valid data directory", path.c_str()))
        .WithDetail(Format("File \"%s\" is missing.", version_file.c_str()));
  }
  return path;
}

void WriteOptionsFile(const std::string& data_dir, const ServerOptions& options) {
  char exe[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
  std::string line = n > 0 ? std::string(exe, static_cast<size_t>(n)) : options.argv[0];
  for (size_t i = 1; i < options.argv.size(); ++i) line += " \"" + options.argv[i] + "\"";
  std::ofstream out(data_dir + "/postmaster.opts", std::ios::trunc);
  out << line << "\n";
}

}  // namespace keel::postmaster
