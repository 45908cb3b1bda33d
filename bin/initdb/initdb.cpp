// keel-initdb's steps: check options, create the directory tree, write the configuration and
// control files, bootstrap the catalogs in a standalone server (template1, the superuser and its
// password), copy template1 to template0 and postgres, sync. See initdb.h and bin/README.md
// (I1-I10).
#include "bin/initdb/initdb.h"

#include <dirent.h>
#include <fcntl.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <optional>
#include <string_view>
#include <vector>

#include "access/transam/control_file.h"
#include "access/transam/xact.h"
#include "backend/catalog/bootstrap.h"
#include "backend/catalog/catalog_defs.h"
#include "backend/catalog/catalog_relation.h"
#include "backend/catalog/catalog_values.h"
#include "backend/catalog/catalog_write.h"
#include "backend/commands/user.h"
#include "backend/protocol/auth/scram.h"
#include "backend/utils/error/error.h"
#include "backend/utils/error/format.h"
#include "bin/common/shell_words.h"
#include "bin/common/tool_output.h"
#include "bin/initdb/config_files.h"
#include "postmaster/standalone.h"

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

// The databases every cluster starts with (PostgreSQL's oids; I9).
constexpr uint32_t kTemplate1 = catalog::kTemplate1Database;
constexpr uint32_t kTemplate0 = 4;
constexpr uint32_t kPostgres = 5;
constexpr int32_t kUtf8Encoding = 6;  // PostgreSQL's PG_UTF8
constexpr const char* kLocale = "C";

std::string ErrnoString() { return ErrnoText(errno); }

// I7: SIGHUP, SIGINT, SIGQUIT and SIGTERM end keel-initdb at the next step boundary, with the
// cleanup a failure gets (as PostgreSQL's initdb).
volatile sig_atomic_t g_caught_signal = 0;

void TrapSignal(int) { g_caught_signal = 1; }

void SetUpSignals() {
  struct sigaction sa {};
  sa.sa_handler = TrapSignal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;
  for (int signo : {SIGHUP, SIGINT, SIGQUIT, SIGTERM}) sigaction(signo, &sa, nullptr);
  signal(SIGPIPE, SIG_IGN);
}

// The end of a step: "ok", or "caught signal" and the failure path (PostgreSQL's check_ok).
void Ok() {
  if (g_caught_signal) {
    PrintProgress("caught signal\n");
    throw StepFailed{};
  }
  PrintProgress("ok\n");
}

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

// Copies the regular file `src` to the new file `dst` (mode 0600, created exclusively).
void CopyFile(const std::string& src, const std::string& dst) {
  int in = ::open(src.c_str(), O_RDONLY | O_CLOEXEC);
  if (in < 0) {
    PrintError("could not open file \"%s\": %s", src.c_str(), ErrnoString().c_str());
    throw StepFailed{};
  }
  int out = ::open(dst.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (out < 0) {
    PrintError("could not create file \"%s\": %s", dst.c_str(), ErrnoString().c_str());
    ::close(in);
    throw StepFailed{};
  }
  auto fail = [&](const char* what, const std::string& path) {
    PrintError("could not %s file \"%s\": %s", what, path.c_str(), ErrnoString().c_str());
    ::close(in);
    ::close(out);
    throw StepFailed{};
  };
  std::vector<char> buf(1 << 16);
  for (;;) {
    ssize_t n = ::read(in, buf.data(), buf.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) fail("read", src);
    if (n == 0) break;
    for (ssize_t done = 0; done < n;) {
      ssize_t w = ::write(out, buf.data() + done, static_cast<size_t>(n - done));
      if (w < 0 && errno == EINTR) continue;
      if (w <= 0) {
        if (w == 0) errno = ENOSPC;
        fail("write", dst);
      }
      done += w;
    }
  }
  ::close(in);
  if (::close(out) != 0) {
    PrintError("could not write file \"%s\": %s", dst.c_str(), ErrnoString().c_str());
    throw StepFailed{};
  }
}

// Copies every file of database directory `from` into the new directory `to` (0700). Only
// while nothing else can write to `from` (I9).
void CopyDatabaseDirectory(const std::string& from, const std::string& to) {
  if (::mkdir(to.c_str(), 0700) != 0) {
    PrintError("could not create directory \"%s\": %s", to.c_str(), ErrnoString().c_str());
    throw StepFailed{};
  }
  std::error_code ec;
  for (auto it = fs::directory_iterator(from, ec); !ec && it != fs::directory_iterator();
       it.increment(ec)) {
    if (!it->is_regular_file()) continue;
    CopyFile(it->path().string(), to + "/" + it->path().filename().string());
  }
  if (ec) {
    PrintError("could not read directory \"%s\": %s", from.c_str(), ec.message().c_str());
    throw StepFailed{};
  }
}

// The pg_database row of a database made by copying template1 (PostgreSQL 15's values, I9).
void InsertDatabaseRow(uint32_t oid, std::string_view name, bool is_template, bool allow_conn) {
  const catalog::CatalogRelation& cat =
      catalog::OpenCatalog(catalog::catalog_oid::kPgDatabase, kInvalidOid);
  catalog::CatalogRowBuilder row(*cat.def, cat.desc);
  row.Oid("oid", oid).Name("datname", name).Oid("datdba", catalog::kBootstrapSuperuser)
      .Int4("encoding", kUtf8Encoding).Char("datlocprovider", 'c')
      .Bool("datistemplate", is_template).Bool("datallowconn", allow_conn)
      .Int4("datconnlimit", -1).Oid("datfrozenxid", 0).Oid("datminmxid", 0)
      .Oid("dattablespace", catalog::kDefaultTablespace).Text("datcollate", kLocale)
      .Text("datctype", kLocale);
  (void)catalog::CatalogInsert(cat, row);
}

// The catalog server keel-initdb runs: fsync off (the sync step makes everything durable, I8)
// and quiet (errors reach keel-initdb as exceptions and are printed as its own).
postmaster::StandaloneOptions BootstrapServerOptions() {
  postmaster::StandaloneOptions options;
  options.settings = {"fsync=off", "log_min_messages=fatal", "log_checkpoints=off"};
  return options;
}

// "running bootstrap script": the catalogs of template1 in one transaction, with the
// superuser and its password (I9, I10).
void RunBootstrap(std::optional<postmaster::StandaloneServer>* server,
                  const std::string& data_dir, const std::string& superuser,
                  const std::string& password, bool with_password) {
  const std::string template1_dir = data_dir + "/base/" + std::to_string(kTemplate1);
  if (::mkdir(template1_dir.c_str(), 0700) != 0) {
    PrintError("could not create directory \"%s\": %s", template1_dir.c_str(),
               ErrnoString().c_str());
    throw StepFailed{};
  }
  ReportingErrors([&] {
    server->emplace(data_dir, BootstrapServerOptions());
    transam::StartTransaction();
    catalog::BootstrapOptions boot;
    boot.database = Oid(kTemplate1);
    boot.superuser = superuser;
    boot.encoding = kUtf8Encoding;
    boot.locale = kLocale;
    (void)catalog::BootstrapCatalogs(boot);
    if (with_password) {
      transam::CommandCounterIncrement();  // the superuser's row is visible from here on
      // I10: a SCRAM verifier, whatever password_encryption says (stored as given).
      (void)commands::AlterRole(
          {superuser, {commands::RoleOption::Password(auth::ScramBuildVerifier(password))}});
    }
    transam::CommitTransaction();
  });
}

// "performing post-bootstrap initialization": template0 and postgres as file copies of
// template1 and their pg_database rows, then the shutdown checkpoint (I9).
void RunPostBootstrap(postmaster::StandaloneServer& server, const std::string& data_dir) {
  // Every page of template1 reaches its file; nothing writes to it afterwards. The copies are
  // not WAL-logged: the shutdown checkpoint comes after them, so redo never needs them.
  ReportingErrors([&] { server.Checkpoint(); });
  const std::string base = data_dir + "/base/";
  CopyDatabaseDirectory(base + std::to_string(kTemplate1), base + std::to_string(kTemplate0));
  CopyDatabaseDirectory(base + std::to_string(kTemplate1), base + std::to_string(kPostgres));
  ReportingErrors([&] {
    transam::StartTransaction();
    InsertDatabaseRow(kTemplate0, "template0", /*is_template=*/true, /*allow_conn=*/false);
    InsertDatabaseRow(kPostgres, "postgres", /*is_template=*/false, /*allow_conn=*/true);
    transam::CommitTransaction();
    server.Shutdown();
  });
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

  PrintProgress("writing control file ... ");
  ReportingErrors([&] {
    transam::WriteControlFile(data_dir, transam::NewControlFile(options.data_checksums));
  });
  Ok();

  {
    // Destroyed (shut down and released) before CleanUp can remove the directory.
    std::optional<postmaster::StandaloneServer> server;
    PrintProgress("running bootstrap script ... ");
    RunBootstrap(&server, data_dir, superuser, password, !options.pwfile.empty());
    Ok();

    PrintProgress("performing post-bootstrap initialization ... ");
    RunPostBootstrap(*server, data_dir);
    server.reset();
    Ok();
  }

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
  SetUpSignals();
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
