// keel-initdb: command line. The work is in initdb.cpp; see bin/README.md.
#include <getopt.h>

#include <cstdio>
#include <cstring>
#include <optional>
#include <string>

#include "bin/common/tool_output.h"
#include "bin/common/tool_support.h"
#include "bin/initdb/initdb.h"

namespace {

void PrintUsage() {
  printf(
      "keel-initdb initializes a Keel database cluster.\n"
      "\n"
      "Usage:\n"
      "  keel-initdb [OPTION]... [DATADIR]\n"
      "\n"
      "Options:\n"
      "  -A, --auth=METHOD         default authentication method for local connections\n"
      "      --auth-host=METHOD    default authentication method for local TCP/IP connections\n"
      "      --auth-local=METHOD   default authentication method for local-socket connections\n"
      " [-D, --pgdata=]DATADIR     location for this database cluster\n"
      "  -E, --encoding=ENCODING   set default encoding for new databases (only UTF8)\n"
      "  -k, --data-checksums      use data page checksums (the default)\n"
      "      --no-data-checksums   do not use data page checksums\n"
      "      --pwfile=FILE         read password for the new superuser from file\n"
      "  -U, --username=NAME       database superuser name\n"
      "\n"
      "Less commonly used options:\n"
      "  -N, --no-sync             do not wait for changes to be written safely to disk\n"
      "      --no-instructions     do not print instructions for next steps\n"
      "\n"
      "Other options:\n"
      "  -V, --version             output version information, then exit\n"
      "  -?, --help                show this help, then exit\n"
      "\n"
      "Authentication methods: trust, reject, scram-sha-256, md5, password, peer (local only).\n"
      "\n"
      "If the data directory is not specified, the environment variable KEELDATA\n"
      "is used.\n");
}

bool IsUtf8Name(const char* name) {
  return strcasecmp(name, "UTF8") == 0 || strcasecmp(name, "UTF-8") == 0 ||
         strcasecmp(name, "UNICODE") == 0;
}

// Fills `options` from the command line. Returns an exit code when the program is done
// (help, version, usage error), nullopt to go on.
std::optional<int> ParseCommandLine(int argc, char** argv, keel::initdb::InitdbOptions* options) {
  using keel::tools::PrintError;
  if (std::optional<int> done = keel::tools::HandleHelpOrVersion(argc, argv, PrintUsage)) {
    return done;
  }
  enum LongOnly { kAuthHost = 1000, kAuthLocal, kPwfile, kNoDataChecksums, kNoInstructions,
                  kHelp };
  static const struct option kLongOptions[] = {
      {"auth", required_argument, nullptr, 'A'},
      {"auth-host", required_argument, nullptr, kAuthHost},
      {"auth-local", required_argument, nullptr, kAuthLocal},
      {"pgdata", required_argument, nullptr, 'D'},
      {"encoding", required_argument, nullptr, 'E'},
      {"data-checksums", no_argument, nullptr, 'k'},
      {"no-data-checksums", no_argument, nullptr, kNoDataChecksums},
      {"pwfile", required_argument, nullptr, kPwfile},
      {"username", required_argument, nullptr, 'U'},
      {"no-sync", no_argument, nullptr, 'N'},
      {"no-instructions", no_argument, nullptr, kNoInstructions},
      {"version", no_argument, nullptr, 'V'},
      {"help", no_argument, nullptr, kHelp},
      {nullptr, 0, nullptr, 0},
  };
  std::string auth_both;
  const char* data_dir_option = nullptr;
  int c;
  while ((c = getopt_long(argc, argv, "A:D:E:kNU:V?", kLongOptions, nullptr)) != -1) {
    switch (c) {
      case 'A': auth_both = optarg; break;
      case kAuthHost: options->auth_host = optarg; break;
      case kAuthLocal: options->auth_local = optarg; break;
      case 'D': data_dir_option = optarg; break;
      case 'E':
        if (!IsUtf8Name(optarg)) {
          PrintError("encoding \"%s\" is not supported", optarg);
          keel::tools::PrintHint("Keel stores text in UTF8 only.");
          return 1;
        }
        break;
      case 'k': options->data_checksums = true; break;
      case kNoDataChecksums: options->data_checksums = false; break;
      case kPwfile: options->pwfile = optarg; break;
      case 'U': options->superuser = optarg; break;
      case 'N': options->sync = false; break;
      case kNoInstructions: options->print_instructions = false; break;
      case 'V':
        keel::tools::PrintVersion();
        return 0;
      case kHelp:
        PrintUsage();
        return 0;
      default:
        if (keel::tools::IsHelpOption(c, argv)) {
          PrintUsage();
          return 0;
        }
        keel::tools::PrintTryHelpHint();
        return 1;
    }
  }
  // -A sets whichever of --auth-local / --auth-host was not given, as PostgreSQL's initdb.
  if (!auth_both.empty()) {
    if (options->auth_local.empty()) options->auth_local = auth_both;
    if (options->auth_host.empty()) options->auth_host = auth_both;
  }
  // A non-option argument is the data directory, as in initdb.
  if (!keel::tools::TakeDataDirArgument(argc, argv, &data_dir_option)) return 1;
  std::optional<std::string> data_dir = keel::tools::DataDirFromOptionOrEnv(data_dir_option);
  if (!data_dir) {
    PrintError("no data directory specified");
    keel::tools::PrintHint("You must identify the directory where the data for this database "
                           "system will reside.  Do this with either the invocation option -D "
                           "or the environment variable KEELDATA.");
    return 1;
  }
  options->data_dir = *data_dir;
  return std::nullopt;
}

}  // namespace

int main(int argc, char** argv) {
  keel::tools::SetProgramName("keel-initdb");
  keel::initdb::InitdbOptions options;
  if (std::optional<int> done = ParseCommandLine(argc, argv, &options)) return *done;
  return keel::initdb::RunInitdb(options);
}
