// keel-initdb's steps: check options, create the directory tree, write the configuration,
// password and control files, sync. See initdb.h and bin/README.md (I1-I8).
#include "bin/initdb/initdb.h"

#include <dirent.h>
#include <fcntl.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string_view>
#include <vector>

#include "access/transam/control_file.h"
#include "backend/protocol/auth/password_file.h"
#include "backend/protocol/auth/scram.h"
#include "backend/utils/error/error.h"
#include "backend/utils/error/format.h"
#include "bin/common/shell_words.h"
#include "bin/common/tool_output.h"
#include "bin/initdb/config_files.h"

namespace keel::initdb {
namespace {

namespace fs = std::filesystem;
using tools::PrintError;
using tools::PrintHint;
using tools::PrintProgress;

// Thrown after the error has been printed; RunInitdb cleans up and exits 1.
struct StepFailed {};

constexpr const char* kVersionFileContents = "1\n";
constexpr const char* kSubdirectories[] = {"global", "base", "wal", "xact"};  // I2
constexpr const char* kPasswordFileName = "keel_passwd";

std::string ErrnoString() { return ErrnoText(errno); }

void Ok() { PrintProgress("ok\n"); }

// Writes a new file with `mode`; fails if it exists (I3: nothing is overwritten).
void WriteNewFile(const std::string& path, std::string_view contents, mode_t mode) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
  if (fd < 0) {
    PrintError("could not open file \"%s\" for writing: %s", path.c_str(), ErrnoString().c_str());
    throw StepFailed{};
  }
  size_t done = 0;
  while (done < contents.size()) {
    ssize_t n = ::write(fd, contents.data() + done, contents.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      if (n == 0) errno = ENOSPC;
      PrintError("could not write file \"%s\": %s", path.c_str(), ErrnoString().c_str());
      ::close(fd);
      throw StepFailed{};
    }
    done += static_cast<size_t>(n);
  }
  // umask may have narrowed the mode; the password file must be exactly 0600 (I4).
  if (::fchmod(fd, mode) != 0 || ::close(fd) != 0) {
    PrintError("could not write file \"%s\": %s", path.c_str(), ErrnoString().c_str());
    throw StepFailed{};
  }
}

enum class DirState : uint8_t { kMissing, kEmpty, kNotEmpty, kLostAndFound, kNotDirectory };

// What is at `path` now; prints an error and throws when it cannot be examined.
DirState ExamineDataDir(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return DirState::kMissing;
    PrintError("could not access directory \"%s\": %s", path.c_str(), ErrnoString().c_str());
    throw StepFailed{};
  }
  if (!S_ISDIR(st.st_mode)) return DirState::kNotDirectory;
  DIR* dir = ::opendir(path.c_str());
  if (dir == nullptr) {
    PrintError("could not open directory \"%s\": %s", path.c_str(), ErrnoString().c_str());
    throw StepFailed{};
  }
  DirState state = DirState::kEmpty;
  while (struct dirent* entry = ::readdir(dir)) {
    std::string_view name = entry->d_name;
    if (name == "." || name == "..") continue;
    if (name == "lost+found") {
      if (state == DirState::kEmpty) state = DirState::kLostAndFound;
      continue;
    }
    state = DirState::kNotEmpty;
  }
  ::closedir(dir);
  return state;
}

// mkdir -p: creates missing parents with the default mode and the last component with 0700.
void MakeDirectoryTree(const std::string& path) {
  std::error_code ec;
  fs::path parent = fs::path(path).parent_path();
  if (!parent.empty()) fs::create_directories(parent, ec);
  if (ec) {
    PrintError("could not create directory \"%s\": %s", parent.c_str(), ec.message().c_str());
    throw StepFailed{};
  }
  if (::mkdir(path.c_str(), 0700) != 0) {
    PrintError("could not create directory \"%s\": %s", path.c_str(), ErrnoString().c_str());
    throw StepFailed{};
  }
}

void FsyncPath(const std::string& path, bool is_dir) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | (is_dir ? O_DIRECTORY : 0));
  if (fd < 0) {
    PrintError("could not open file \"%s\": %s", path.c_str(), ErrnoString().c_str());
    throw StepFailed{};
  }
  int rc = ::fsync(fd);
  int saved_errno = errno;
  ::close(fd);
  if (rc != 0) {
    errno = saved_errno;
    PrintError("could not fsync file \"%s\": %s", path.c_str(), ErrnoString().c_str());
    throw StepFailed{};
  }
}

// I8: every file, then every directory bottom-up, then the directory holding the data dir.
void SyncDataDir(const std::string& data_dir) {
  std::vector<std::string> dirs = {data_dir};
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(data_dir, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (it->is_directory()) {
      dirs.push_back(it->path().string());
    } else if (it->is_regular_file()) {
      FsyncPath(it->path().string(), false);
    }
  }
  if (ec) {
    PrintError("could not read directory \"%s\": %s", data_dir.c_str(), ec.message().c_str());
    throw StepFailed{};
  }
  for (auto it = dirs.rbegin(); it != dirs.rend(); ++it) FsyncPath(*it, true);
  std::string parent = fs::path(data_dir).parent_path().string();
  FsyncPath(parent.empty() ? "." : parent, true);
}

std::string CurrentUserName() {
  errno = 0;
  struct passwd* pw = ::getpwuid(::geteuid());
  if (pw == nullptr) {
    PrintError("could not look up effective user ID %ld: %s", static_cast<long>(::geteuid()),
               errno != 0 ? ErrnoString().c_str() : "user does not exist");
    throw StepFailed{};
  }
  return pw->pw_name;
}

// The first line of --pwfile, without its line ending.
std::string ReadPasswordFile(const std::string& path) {
  FILE* file = ::fopen(path.c_str(), "r");
  if (file == nullptr) {
    PrintError("could not open file \"%s\" for reading: %s", path.c_str(), ErrnoString().c_str());
    throw StepFailed{};
  }
  std::string line;
  int c;
  while ((c = ::fgetc(file)) != EOF && c != '\n') line += static_cast<char>(c);
  bool read_error = ::ferror(file) != 0;
  ::fclose(file);
  if (read_error) {
    PrintError("could not read password from file \"%s\": %s", path.c_str(),
               ErrnoString().c_str());
    throw StepFailed{};
  }
  while (!line.empty() && line.back() == '\r') line.pop_back();
  if (line.empty()) {
    PrintError("password file \"%s\" is empty", path.c_str());
    throw StepFailed{};
  }
  return line;
}

void CheckSuperuserName(const std::string& name) {
  if (name.empty()) {
    PrintError("superuser name must not be empty");
    throw StepFailed{};
  }
  if (name.rfind("pg_", 0) == 0) {
    PrintError("superuser name \"%s\" is disallowed; role names cannot begin with \"pg_\"",
               name.c_str());
    throw StepFailed{};
  }
  // keel_passwd is "name:secret" per line, '#' starting a comment (I4).
  bool storable = name[0] != '#';
  for (char c : name) storable = storable && c != ':' && c != '\n' && c != '\r';
  if (!storable) {
    PrintError("superuser name \"%s\" is disallowed; it must not contain \":\" or line breaks "
               "or begin with \"#\"",
               name.c_str());
    throw StepFailed{};
  }
}

struct ResolvedAuth {
  std::string local;
  std::string host;
  bool warn_trust = false;  // a method defaulted to trust (I6)
};

ResolvedAuth ResolveAuth(const InitdbOptions& options) {
  ResolvedAuth auth{options.auth_local, options.auth_host, false};
  if (auth.local.empty()) {
    auth.local = "trust";
    auth.warn_trust = true;
  }
  if (auth.host.empty()) {
    auth.host = "trust";
    auth.warn_trust = true;
  }
  if (!IsValidAuthMethod(auth.local, /*local=*/true)) {
    PrintError("invalid authentication method \"%s\" for \"%s\" connections", auth.local.c_str(),
               "local");
    throw StepFailed{};
  }
  if (!IsValidAuthMethod(auth.host, /*local=*/false)) {
    PrintError("invalid authentication method \"%s\" for \"%s\" connections", auth.host.c_str(),
               "host");
    throw StepFailed{};
  }
  if ((IsPasswordAuthMethod(auth.local) || IsPasswordAuthMethod(auth.host)) &&
      options.pwfile.empty()) {
    PrintError("must specify a password for the superuser to enable password authentication");
    throw StepFailed{};
  }
  return auth;
}

// Runs `step`, which reports failures by throwing keel::Error (code shared with the server);
// prints such an error in the frontend style and fails the step.
template <typename F>
auto ReportingErrors(F&& step) -> decltype(step()) {
  try {
    return step();
  } catch (const Error& e) {
    tools::PrintErrorReport(e);
    throw StepFailed{};
  }
}

// Creates the data directory or takes over an empty one (I1); sets `*created` /
// `*fixed_existing` as soon as there is something to clean up (I7).
void PrepareDataDir(const std::string& data_dir, bool* created, bool* fixed_existing) {
  switch (ExamineDataDir(data_dir)) {
    case DirState::kMissing:
      PrintProgress("creating directory %s ... ", data_dir.c_str());
      MakeDirectoryTree(data_dir);
      *created = true;
      Ok();
      return;
    case DirState::kEmpty:
      PrintProgress("fixing permissions on existing directory %s ... ", data_dir.c_str());
      *fixed_existing = true;
      if (::chmod(data_dir.c_str(), 0700) != 0) {
        PrintError("could not change permissions of directory \"%s\": %s", data_dir.c_str(),
                   ErrnoString().c_str());
        throw StepFailed{};
      }
      Ok();
      return;
    case DirState::kLostAndFound:
      PrintError("directory \"%s\" exists but is not empty", data_dir.c_str());
      tools::PrintDetail("It contains a lost+found directory, perhaps due to it being a mount "
                         "point.");
      PrintHint("Using a mount point directly as the data directory is not recommended.\n"
                "Create a subdirectory under the mount point.");
      throw StepFailed{};
    case DirState::kNotEmpty:
      // I1: never write into a directory that holds anything.
      PrintError("directory \"%s\" exists but is not empty", data_dir.c_str());
      PrintHint("If you want to create a new database system, either remove or empty the "
                "directory \"%s\" or run %s with an argument other than \"%s\".",
                data_dir.c_str(), tools::ProgramName(), data_dir.c_str());
      throw StepFailed{};
    case DirState::kNotDirectory:
      PrintError("could not access directory \"%s\": %s", data_dir.c_str(),
                 ErrnoText(ENOTDIR).c_str());
      throw StepFailed{};
  }
}

// The part of RunInitdb that creates things; `created` / `fixed_existing` tell the caller
// what to clean up if it throws (I7).
void CreateCluster(const InitdbOptions& options, const std::string& data_dir,
                   const std::string& superuser, const ResolvedAuth& methods,
                   const std::string& password, bool* created, bool* fixed_existing) {
  PrepareDataDir(data_dir, created, fixed_existing);

  PrintProgress("creating subdirectories ... ");
  for (const char* sub : kSubdirectories) {
    std::string path = data_dir + "/" + sub;
    if (::mkdir(path.c_str(), 0700) != 0) {
      PrintError("could not create directory \"%s\": %s", path.c_str(), ErrnoString().c_str());
      throw StepFailed{};
    }
  }
  Ok();

  PrintProgress("creating configuration files ... ");
  WriteNewFile(data_dir + "/KEEL_VERSION", kVersionFileContents, 0600);
  WriteNewFile(data_dir + "/keel.conf", KeelConfText(), 0600);
  WriteNewFile(data_dir + "/keel_hba.conf", HbaConfText(methods.local, methods.host), 0600);
  Ok();

  if (!options.pwfile.empty()) {
    PrintProgress("setting password for superuser \"%s\" ... ", superuser.c_str());
    std::string verifier = ReportingErrors([&] { return auth::ScramBuildVerifier(password); });
    ReportingErrors([&] {
      auth::PasswordFile::Write(data_dir + "/" + kPasswordFileName, {{superuser, verifier}});
    });
    Ok();
  }

  PrintProgress("writing control file ... ");
  ReportingErrors([&] {
    transam::WriteControlFile(data_dir, transam::NewControlFile(options.data_checksums));
  });
  Ok();

  if (options.sync) {
    PrintProgress("syncing data to disk ... ");
    SyncDataDir(data_dir);
    Ok();
  }
}

void CleanUp(const std::string& data_dir, bool created, bool fixed_existing) {
  std::error_code ec;
  if (created) {
    fprintf(stderr, "%s: removing data directory \"%s\"\n", tools::ProgramName(),
            data_dir.c_str());
    fs::remove_all(data_dir, ec);
    if (ec) PrintError("failed to remove data directory");
  } else if (fixed_existing) {
    fprintf(stderr, "%s: removing contents of data directory \"%s\"\n", tools::ProgramName(),
            data_dir.c_str());
    for (auto it = fs::directory_iterator(data_dir, ec); !ec && it != fs::directory_iterator();
         it.increment(ec)) {
      fs::remove_all(it->path(), ec);
    }
    if (ec) PrintError("failed to remove contents of data directory");
  }
}

}  // namespace

int RunInitdb(const InitdbOptions& options) {
  ::umask(0077);  // I3: nothing in the data directory is readable by others
  std::string data_dir = options.data_dir;
  while (data_dir.size() > 1 && data_dir.back() == '/') data_dir.pop_back();

  bool created = false;
  bool fixed_existing = false;
  try {
    std::string superuser = options.superuser.empty() ? CurrentUserName() : options.superuser;
    CheckSuperuserName(superuser);
    ResolvedAuth methods = ResolveAuth(options);
    std::string password;
    if (!options.pwfile.empty()) password = ReadPasswordFile(options.pwfile);

    printf("The files belonging to this database system will be owned by user \"%s\".\n"
           "This user must also own the server process.\n\n",
           CurrentUserName().c_str());
    printf("The database cluster will be initialized with encoding \"UTF8\".\n");
    printf("The superuser will be \"%s\".\n\n", superuser.c_str());
    printf("Data page checksums are %s.\n\n", options.data_checksums ? "enabled" : "disabled");
    fflush(stdout);

    CreateCluster(options, data_dir, superuser, methods, password, &created, &fixed_existing);

    if (!options.sync) {
      printf("\nSync to disk skipped.\n"
             "The data directory might become corrupt if the operating system crashes.\n");
    }
    if (methods.warn_trust) {
      printf("\n");
      tools::PrintWarning("enabling \"trust\" authentication for local connections");
      PrintHint("You can change this by editing keel_hba.conf or using the option -A, or "
                "--auth-local and --auth-host, the next time you run %s.",
                tools::ProgramName());
    }
    if (options.print_instructions) {
      printf("\nSuccess. You can now start the database server using:\n\n"
             "    keel-ctl -D %s -l logfile start\n\n",
             tools::ShellQuote(data_dir).c_str());
    }
    fflush(stdout);
    return 0;
  } catch (const StepFailed&) {
    CleanUp(data_dir, created, fixed_existing);
    return 1;
  }
}

}  // namespace keel::initdb
