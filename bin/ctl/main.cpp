// keel-ctl: command line. The operations are in ctl_commands.cpp; see bin/README.md.
#include <getopt.h>

#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>

#include "bin/common/tool_output.h"
#include "bin/common/tool_support.h"
#include "bin/ctl/ctl.h"

namespace {

using keel::tools::PrintPlain;

void PrintUsage() {
  printf(
      "keel-ctl is a utility to initialize, start, stop, or control a Keel server.\n"
      "\n"
      "Usage:\n"
      "  keel-ctl init[db]   [-D DATADIR] [-s] [-o OPTIONS]\n"
      "  keel-ctl start      [-D DATADIR] [-l FILENAME] [-W] [-t SECS] [-s]\n"
      "                      [-o OPTIONS] [-p PATH]\n"
      "  keel-ctl stop       [-D DATADIR] [-m SHUTDOWN-MODE] [-W] [-t SECS] [-s]\n"
      "  keel-ctl restart    [-D DATADIR] [-m SHUTDOWN-MODE] [-W] [-t SECS] [-s]\n"
      "                      [-o OPTIONS]\n"
      "  keel-ctl reload     [-D DATADIR] [-s]\n"
      "  keel-ctl status     [-D DATADIR]\n"
      "\n"
      "Common options:\n"
      "  -D, --pgdata=DATADIR   location of the database storage area\n"
      "  -s, --silent           only print errors, no informational messages\n"
      "  -t, --timeout=SECS     seconds to wait when using -w option\n"
      "  -V, --version          output version information, then exit\n"
      "  -w, --wait             wait until operation completes (default)\n"
      "  -W, --no-wait          do not wait until operation completes\n"
      "  -?, --help             show this help, then exit\n"
      "If the -D option is omitted, the environment variable KEELDATA is used.\n"
      "\n"
      "Options for start or restart:\n"
      "  -l, --log=FILENAME     write (or append) server log to FILENAME\n"
      "  -o, --options=OPTIONS  command line options to pass to keel\n"
      "                         (Keel server executable) or keel-initdb\n"
      "  -p PATH-TO-KEEL        normally not necessary\n"
      "\n"
      "Options for stop or restart:\n"
      "  -m, --mode=MODE        MODE can be \"smart\", \"fast\", or \"immediate\"\n"
      "\n"
      "Shutdown modes are:\n"
      "  smart       quit after all clients have disconnected\n"
      "  fast        quit directly, with proper shutdown (default)\n"
      "  immediate   quit without complete shutdown; will lead to recovery on restart\n");
}

void TryHelp() {
  fprintf(stderr, "Try \"%s --help\" for more information.\n", keel::tools::ProgramName());
}

bool ParseTimeout(const char* text, int* timeout_s) {
  char* end = nullptr;
  errno = 0;
  long value = strtol(text, &end, 10);
  if (errno != 0 || end == text || *end != '\0' || value <= 0 || value > INT_MAX) return false;
  *timeout_s = static_cast<int>(value);
  return true;
}

bool ParseMode(const char* text, keel::ctl::ShutdownMode* mode) {
  if (strcmp(text, "s") == 0 || strcmp(text, "smart") == 0) {
    *mode = keel::ctl::ShutdownMode::kSmart;
  } else if (strcmp(text, "f") == 0 || strcmp(text, "fast") == 0) {
    *mode = keel::ctl::ShutdownMode::kFast;
  } else if (strcmp(text, "i") == 0 || strcmp(text, "immediate") == 0) {
    *mode = keel::ctl::ShutdownMode::kImmediate;
  } else {
    return false;
  }
  return true;
}

// Parses the options into `options` and the operation into `command`. Returns an exit code
// when the program is done (help, version, usage error), nullopt to go on.
std::optional<int> ParseCommandLine(int argc, char** argv, keel::ctl::CtlOptions* options,
                                    std::string* command, const char** data_dir_option) {
  if (std::optional<int> done = keel::tools::HandleHelpOrVersion(argc, argv, PrintUsage)) {
    return done;
  }
  enum LongOnly { kHelp = 1000 };
  static const struct option kLongOptions[] = {
      {"help", no_argument, nullptr, kHelp},
      {"version", no_argument, nullptr, 'V'},
      {"log", required_argument, nullptr, 'l'},
      {"mode", required_argument, nullptr, 'm'},
      {"pgdata", required_argument, nullptr, 'D'},
      {"options", required_argument, nullptr, 'o'},
      {"silent", no_argument, nullptr, 's'},
      {"timeout", required_argument, nullptr, 't'},
      {"wait", no_argument, nullptr, 'w'},
      {"no-wait", no_argument, nullptr, 'W'},
      {nullptr, 0, nullptr, 0},
  };
  bool timeout_given = false;
  int c;
  while ((c = getopt_long(argc, argv, "D:l:m:o:p:st:VwW?", kLongOptions, nullptr)) != -1) {
    switch (c) {
      case 'D': *data_dir_option = optarg; break;
      case 'l': options->log_file = optarg; break;
      case 'm':
        if (!ParseMode(optarg, &options->mode)) {
          PrintPlain("unrecognized shutdown mode \"%s\"", optarg);
          TryHelp();
          return 1;
        }
        break;
      case 'o':
        // Several -o accumulate, as in pg_ctl.
        options->server_options = options->server_options
                                      ? *options->server_options + " " + optarg
                                      : std::string(optarg);
        break;
      case 'p': options->server_path = optarg; break;
      case 's': options->silent = true; break;
      case 't':
        if (!ParseTimeout(optarg, &options->timeout_s)) {
          PrintPlain("invalid timeout \"%s\"", optarg);
          TryHelp();
          return 1;
        }
        timeout_given = true;
        break;
      case 'V':
        keel::tools::PrintVersion();
        return 0;
      case 'w': options->wait = true; break;
      case 'W': options->wait = false; break;
      case kHelp:
        PrintUsage();
        return 0;
      default:
        if (keel::tools::IsHelpOption(c, argv)) {
          PrintUsage();
          return 0;
        }
        TryHelp();
        return 1;
    }
  }
  if (!timeout_given) {
    const char* env = getenv("KEELCTLTIMEOUT");
    if (env != nullptr && env[0] != '\0' && !ParseTimeout(env, &options->timeout_s)) {
      PrintPlain("invalid timeout \"%s\" in KEELCTLTIMEOUT", env);
      return 1;
    }
  }
  if (optind >= argc) {
    PrintPlain("no operation specified");
    TryHelp();
    return 1;
  }
  *command = argv[optind++];
  if (optind < argc) {
    PrintPlain("too many command-line arguments (first is \"%s\")", argv[optind]);
    TryHelp();
    return 1;
  }
  return std::nullopt;
}

using Handler = int (*)(const keel::ctl::CtlOptions&);

Handler HandlerFor(const std::string& command) {
  if (command == "init" || command == "initdb") return keel::ctl::DoInit;
  if (command == "start") return keel::ctl::DoStart;
  if (command == "stop") return keel::ctl::DoStop;
  if (command == "restart") return keel::ctl::DoRestart;
  if (command == "reload") return keel::ctl::DoReload;
  if (command == "status") return keel::ctl::DoStatus;
  return nullptr;
}

}  // namespace

int main(int argc, char** argv) {
  keel::tools::SetProgramName("keel-ctl");
  keel::ctl::CtlOptions options;
  std::string command;
  const char* data_dir_option = nullptr;
  if (std::optional<int> done =
          ParseCommandLine(argc, argv, &options, &command, &data_dir_option)) {
    return *done;
  }
  Handler handler = HandlerFor(command);
  if (handler == nullptr) {
    PrintPlain("unrecognized operation mode \"%s\"", command.c_str());
    TryHelp();
    return 1;
  }
  std::optional<std::string> data_dir = keel::tools::DataDirFromOptionOrEnv(data_dir_option);
  if (!data_dir) {
    PrintPlain("no database directory specified and environment variable KEELDATA unset");
    TryHelp();
    return 1;
  }
  options.data_dir = keel::tools::AbsolutePath(*data_dir);

  std::string bin_dir = keel::tools::SelfExecutableDir();
  if (options.server_path.empty()) options.server_path = bin_dir + "/keel";
  options.initdb_path = bin_dir + "/keel-initdb";
  return handler(options);
}
