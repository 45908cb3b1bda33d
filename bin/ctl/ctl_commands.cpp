// keel-ctl's operations; see ctl.h and bin/README.md (C1-C8).
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdarg>
#include <cstdio>
#include <fstream>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "backend/utils/error/format.h"
#include "bin/common/shell_words.h"
#include "bin/common/tool_output.h"
#include "bin/ctl/ctl.h"
#include "bin/ctl/postmaster_pid.h"

namespace keel::ctl {
namespace {

using tools::PrintPlain;
using Clock = std::chrono::steady_clock;

constexpr auto kPollInterval = std::chrono::milliseconds(50);

// Thrown by helpers once they have printed why; the Do* functions turn it into their result.
struct ExitWith {
  int code;
};

void PrintMsg(const CtlOptions& options, const char* fmt, ...) __attribute__((format(printf, 2, 3)));
void PrintMsg(const CtlOptions& options, const char* fmt, ...) {
  if (options.silent) return;
  va_list args;
  va_start(args, fmt);
  tools::VPrintProgress(fmt, args);
  va_end(args);
}

std::string PidFilePath(const CtlOptions& options) { return options.data_dir + "/postmaster.pid"; }
std::string OptsFilePath(const CtlOptions& options) {
  return options.data_dir + "/postmaster.opts";
}

// pg_ctl's get_pgpid(): the directory must exist and be a cluster (C4), then the pid file is
// read. Returns nullopt when there is no pid file.
std::optional<PostmasterPid> GetPid(const CtlOptions& options, bool is_status) {
  const int dir_error_code = is_status ? kExitNoDataDir : kExitError;
  struct stat st;
  if (::stat(options.data_dir.c_str(), &st) != 0) {
    if (errno == ENOENT) {
      PrintPlain("directory \"%s\" does not exist", options.data_dir.c_str());
    } else {
      PrintPlain("could not access directory \"%s\": %s", options.data_dir.c_str(),
                 ErrnoText(errno).c_str());
    }
    throw ExitWith{dir_error_code};
  }
  std::string version_file = options.data_dir + "/KEEL_VERSION";
  if (::stat(version_file.c_str(), &st) != 0 && errno == ENOENT) {
    PrintPlain("directory \"%s\" is not a database cluster directory", options.data_dir.c_str());
    throw ExitWith{dir_error_code};
  }
  PostmasterPid pid;
  int saved_errno = 0;
  std::string path = PidFilePath(options);
  switch (ReadPostmasterPid(path, &pid, &saved_errno)) {
    case PidFileRead::kOk:
      return pid;
    case PidFileRead::kMissing:
      return std::nullopt;
    case PidFileRead::kUnreadable:
      PrintPlain("could not open PID file \"%s\": %s", path.c_str(),
                 ErrnoText(saved_errno).c_str());
      throw ExitWith{kExitError};
    case PidFileRead::kEmpty:
      PrintPlain("the PID file \"%s\" is empty", path.c_str());
      throw ExitWith{kExitError};
    case PidFileRead::kInvalid:
      PrintPlain("invalid data in PID file \"%s\"", path.c_str());
      throw ExitWith{kExitError};
  }
  return std::nullopt;
}

void ReportNoPidFile(const CtlOptions& options) {
  PrintPlain("PID file \"%s\" does not exist", PidFilePath(options).c_str());
  fprintf(stderr, "Is server running?\n");
}

// GetPid() for stop and reload, which need a pid file: without one, says so and exits 1.
PostmasterPid RequirePidFile(const CtlOptions& options) {
  std::optional<PostmasterPid> pid = GetPid(options, /*is_status=*/false);
  if (!pid) {
    ReportNoPidFile(options);
    throw ExitWith{kExitError};
  }
  return *pid;
}

// Splits -o OPTIONS (C6).
std::vector<std::string> SplitOptions(const std::string& text) {
  std::string error;
  std::optional<std::vector<std::string>> words = tools::SplitShellWords(text, &error);
  if (!words) {
    PrintPlain("could not parse options \"%s\": %s", text.c_str(), error.c_str());
    throw ExitWith{kExitError};
  }
  return *words;
}

// Drops -D DIR / -DDIR: keel-ctl always passes its own -D first (C6).
std::vector<std::string> WithoutDataDir(const std::vector<std::string>& args) {
  std::vector<std::string> kept;
  for (size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "-D") {
      ++i;
      continue;
    }
    if (args[i].size() > 2 && args[i].compare(0, 2, "-D") == 0) continue;
    kept.push_back(args[i]);
  }
  return kept;
}

// The arguments of the running server from postmaster.opts: the line is the binary path, then
// each argument double-quoted (C5). The binary is not reused; keel-ctl runs its own sibling.
std::vector<std::string> ReadOptsFileArgs(const CtlOptions& options) {
  std::ifstream in(OptsFilePath(options));
  std::string line;
  if (!in || !std::getline(in, line)) {
    PrintPlain("could not read file \"%s\"", OptsFilePath(options).c_str());
    throw ExitWith{kExitError};
  }
  size_t args_start = line.find(" \"");
  if (args_start == std::string::npos) return {};
  return WithoutDataDir(SplitOptions(line.substr(args_start + 1)));
}

// Server arguments after -D for start: -o when given, else (restart) postmaster.opts.
std::vector<std::string> ServerArgs(const CtlOptions& options, bool from_opts_file) {
  if (options.server_options) return WithoutDataDir(SplitOptions(*options.server_options));
  if (from_opts_file) return ReadOptsFileArgs(options);
  return {};
}

void CheckExecutable(const std::string& path, const char* program) {
  if (::access(path.c_str(), X_OK) != 0) {
    PrintPlain("program \"%s\" is needed by %s but was not found in the same directory as "
               "\"%s\"",
               program, tools::ProgramName(), tools::ProgramName());
    fprintf(stderr, "Check your installation.\n");
    throw ExitWith{kExitError};
  }
}

std::vector<char*> ArgvOf(std::vector<std::string>& args) {
  std::vector<char*> argv;
  for (std::string& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);
  return argv;
}

// fork() with stdio flushed first, so the child cannot write our buffered output again.
pid_t ForkFlushed() {
  fflush(stdout);
  fflush(stderr);
  return ::fork();
}

// In a forked child: execs argv[0]; if that fails, says so on stderr and exits 127.
// Requires: `argv` (from ArgvOf) was built before fork().
[[noreturn]] void ExecInChild(const std::vector<char*>& argv) {
  ::execv(argv[0], argv.data());
  dprintf(STDERR_FILENO, "%s: could not execute \"%s\": %s\n", tools::ProgramName(), argv[0],
          ErrnoText(errno).c_str());
  ::_exit(127);
}

// Forks and execs the server in its own session with stdin from /dev/null and output to the
// log file (C7). Returns the child's pid, which is the postmaster's.
pid_t LaunchServer(const CtlOptions& options, std::vector<std::string> args) {
  int log_fd = -1;
  if (!options.log_file.empty()) {
    log_fd = ::open(options.log_file.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (log_fd < 0) {
      PrintPlain("could not open log file \"%s\": %s", options.log_file.c_str(),
                 ErrnoText(errno).c_str());
      throw ExitWith{kExitError};
    }
  }
  std::vector<char*> argv = ArgvOf(args);
  pid_t child = ForkFlushed();
  if (child < 0) {
    PrintPlain("could not start server: could not fork: %s", ErrnoText(errno).c_str());
    if (log_fd >= 0) ::close(log_fd);
    throw ExitWith{kExitError};
  }
  if (child == 0) {
    ::setsid();  // C7: terminal signals (Ctrl-C to keel-ctl's group) must not reach the server
    // A shell may have started keel-ctl with signals ignored or blocked (`nohup`, `&`); exec
    // keeps both, and the server must start with the defaults.
    sigset_t all;
    sigemptyset(&all);
    ::sigprocmask(SIG_SETMASK, &all, nullptr);
    for (int sig : {SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGPIPE, SIGCHLD, SIGUSR1, SIGUSR2}) {
      ::signal(sig, SIG_DFL);
    }
    int null_fd = ::open("/dev/null", O_RDONLY);
    if (null_fd >= 0 && null_fd != STDIN_FILENO) {
      ::dup2(null_fd, STDIN_FILENO);
      ::close(null_fd);
    }
    if (log_fd >= 0) {
      ::dup2(log_fd, STDOUT_FILENO);
      ::dup2(log_fd, STDERR_FILENO);
    }
    ExecInChild(argv);
  }
  if (log_fd >= 0) ::close(log_fd);
  return child;
}

// Prints one dot per second of waiting, as pg_ctl does (the first at once).
class DotPrinter {
 public:
  explicit DotPrinter(const CtlOptions& options) : options_(options), start_(Clock::now()) {}
  void Tick() {
    auto elapsed = std::chrono::duration_cast<std::chrono::seconds>(Clock::now() - start_);
    while (dots_ <= elapsed.count()) {
      PrintMsg(options_, ".");
      ++dots_;
    }
  }

 private:
  const CtlOptions& options_;
  Clock::time_point start_;
  long dots_ = 0;
};

// C3: ready when line 1 is the pid we started and line 8 says ready/standby.
int WaitForStart(const CtlOptions& options, pid_t child) {
  PrintMsg(options, "waiting for server to start...");
  DotPrinter dots(options);
  const auto deadline = Clock::now() + std::chrono::seconds(options.timeout_s);
  const std::string pid_path = PidFilePath(options);
  while (true) {
    dots.Tick();
    PostmasterPid pid;
    int saved_errno = 0;
    if (ReadPostmasterPid(pid_path, &pid, &saved_errno) == PidFileRead::kOk &&
        pid.pid == child && pid.IsReady()) {
      PrintMsg(options, " done\n");
      PrintMsg(options, "server started\n");
      return kExitOk;
    }
    int status = 0;
    pid_t reaped = ::waitpid(child, &status, WNOHANG);
    if (reaped == child || (reaped < 0 && errno == ECHILD)) {
      PrintMsg(options, " stopped waiting\n");
      PrintPlain("could not start server");
      fprintf(stderr, "Examine the log output.\n");
      return kExitError;
    }
    if (Clock::now() >= deadline) {
      PrintMsg(options, " stopped waiting\n");
      PrintPlain("server did not start in time");
      return kExitError;
    }
    std::this_thread::sleep_for(kPollInterval);
  }
}

int StartServer(const CtlOptions& options, std::vector<std::string> server_args) {
  CheckExecutable(options.server_path, "keel");
  std::vector<std::string> args = {options.server_path, "-D", options.data_dir};
  for (std::string& arg : server_args) args.push_back(std::move(arg));
  pid_t child = LaunchServer(options, std::move(args));
  if (!options.wait) {
    PrintMsg(options, "server starting\n");
    return kExitOk;
  }
  return WaitForStart(options, child);
}

int SignalFor(ShutdownMode mode) {
  switch (mode) {
    case ShutdownMode::kSmart:
      return SIGTERM;
    case ShutdownMode::kFast:
      return SIGINT;
    case ShutdownMode::kImmediate:
      return SIGQUIT;
  }
  return SIGINT;
}

// Sends the shutdown signal and, when `wait`, waits until the process is gone (C8).
int StopServer(const CtlOptions& options, pid_t pid, bool wait) {
  if (::kill(pid, SignalFor(options.mode)) != 0) {
    PrintPlain("could not send stop signal (PID: %ld): %s", static_cast<long>(pid),
               ErrnoText(errno).c_str());
    return kExitError;
  }
  if (!wait) {
    PrintMsg(options, "server shutting down\n");
    return kExitOk;
  }
  PrintMsg(options, "waiting for server to shut down...");
  DotPrinter dots(options);
  const auto deadline = Clock::now() + std::chrono::seconds(options.timeout_s);
  while (true) {
    dots.Tick();
    // C8: the postmaster removes postmaster.pid as it exits; the process being gone is what
    // counts (a server killed by SIGKILL leaves the file behind, and never removes it).
    if (!ProcessIsAlive(pid)) break;
    if (Clock::now() >= deadline) {
      PrintMsg(options, " failed\n");
      PrintPlain("server does not shut down");
      if (options.mode == ShutdownMode::kSmart) {
        fprintf(stderr, "HINT: The \"-m fast\" option immediately disconnects sessions rather "
                        "than waiting for session-initiated disconnection.\n");
      }
      return kExitError;
    }
    std::this_thread::sleep_for(kPollInterval);
  }
  PrintMsg(options, " done\n");
  PrintMsg(options, "server stopped\n");
  return kExitOk;
}

template <typename F>
int Guarded(F&& body) {
  try {
    return body();
  } catch (const ExitWith& exit) {
    return exit.code;
  }
}

}  // namespace

int DoInit(const CtlOptions& options) {
  return Guarded([&] {
    CheckExecutable(options.initdb_path, "keel-initdb");
    std::vector<std::string> args = {options.initdb_path, "-D", options.data_dir};
    if (options.server_options) {
      for (std::string& arg : SplitOptions(*options.server_options)) args.push_back(arg);
    }
    std::vector<char*> argv = ArgvOf(args);
    pid_t child = ForkFlushed();
    if (child < 0) {
      PrintPlain("could not fork: %s", ErrnoText(errno).c_str());
      return kExitError;
    }
    if (child == 0) {
      if (options.silent) {
        int null_fd = ::open("/dev/null", O_WRONLY);
        if (null_fd >= 0) ::dup2(null_fd, STDOUT_FILENO);
      }
      ExecInChild(argv);
    }
    int status = 0;
    while (::waitpid(child, &status, 0) < 0 && errno == EINTR) {
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
      PrintPlain("database system initialization failed");
      return kExitError;
    }
    return kExitOk;
  });
}

int DoStart(const CtlOptions& options) {
  return Guarded([&] {
    std::optional<PostmasterPid> old = GetPid(options, /*is_status=*/false);
    if (old) PrintPlain("another server might be running; trying to start server anyway");
    return StartServer(options, ServerArgs(options, /*from_opts_file=*/false));
  });
}

int DoStop(const CtlOptions& options) {
  return Guarded([&] {
    PostmasterPid pid = RequirePidFile(options);
    if (!ProcessIsAlive(pid.pid)) {
      // C2: a stale file means no server is running.
      PrintPlain("PID file \"%s\" is stale: no process with PID %ld is running",
                 PidFilePath(options).c_str(), static_cast<long>(pid.pid));
      fprintf(stderr, "Is server running?\n");
      return kExitError;
    }
    return StopServer(options, pid.pid, options.wait);
  });
}

int DoRestart(const CtlOptions& options) {
  return Guarded([&] {
    std::optional<PostmasterPid> pid = GetPid(options, /*is_status=*/false);
    // Read the old options before stopping anything, so a missing file stops nothing.
    std::vector<std::string> args = ServerArgs(options, /*from_opts_file=*/true);
    if (!pid) {
      ReportNoPidFile(options);
      fprintf(stderr, "trying to start server anyway\n");
    } else if (ProcessIsAlive(pid->pid)) {
      int rc = StopServer(options, pid->pid, /*wait=*/true);
      if (rc != kExitOk) return rc;
    } else {
      PrintPlain("old server process (PID: %ld) seems to be gone", static_cast<long>(pid->pid));
      fprintf(stderr, "starting server anyway\n");
    }
    return StartServer(options, std::move(args));
  });
}

int DoReload(const CtlOptions& options) {
  return Guarded([&] {
    PostmasterPid pid = RequirePidFile(options);
    // C2: a stale file means no server; report it as pg_ctl reports the failed kill().
    int saved_errno = 0;
    if (!ProcessIsAlive(pid.pid)) {
      saved_errno = ESRCH;
    } else if (::kill(pid.pid, SIGHUP) != 0) {
      saved_errno = errno;
    }
    if (saved_errno != 0) {
      PrintPlain("could not send reload signal (PID: %ld): %s", static_cast<long>(pid.pid),
                 ErrnoText(saved_errno).c_str());
      return kExitError;
    }
    PrintMsg(options, "server signaled\n");
    return kExitOk;
  });
}

int DoStatus(const CtlOptions& options) {
  return Guarded([&] {
    std::optional<PostmasterPid> pid = GetPid(options, /*is_status=*/true);
    if (pid && ProcessIsAlive(pid->pid)) {
      printf("%s: server is running (PID: %ld)\n", tools::ProgramName(),
             static_cast<long>(pid->pid));
      std::ifstream opts(OptsFilePath(options));
      std::string line;
      while (std::getline(opts, line)) printf("%s\n", line.c_str());
      fflush(stdout);
      return kExitOk;
    }
    printf("%s: no server running\n", tools::ProgramName());
    fflush(stdout);
    return kExitNotRunning;
  });
}

}  // namespace keel::ctl
