// The postmaster; see postmaster.h and README.md (rules M1-M8).
#include "postmaster/postmaster.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <climits>
#include <cstdio>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "access/transam/control_file.h"
#include "backend/protocol/auth/hba.h"
#include "backend/protocol/auth/scram.h"
#include "backend/protocol/tls.h"
#include "backend/tcop/backend_main.h"
#include "backend/utils/config/config.h"
#include "backend/utils/config/settings.h"
#include "backend/utils/error/error.h"
#include "backend/utils/error/format.h"
#include "backend/utils/error/log.h"
#include "backend/utils/init/interrupts.h"
#include "backend/utils/init/paths.h"
#include "backend/utils/init/process_exit.h"
#include "postmaster/aux_process.h"
#include "postmaster/listen_sockets.h"
#include "postmaster/pid_file.h"
#include "postmaster/server_options.h"
#include "storage/ipc/latch.h"
#include "storage/ipc/postmaster_death.h"
#include "storage/ipc/proc_array.h"
#include "storage/ipc/process_context.h"
#include "storage/ipc/shmem.h"
#include "storage/ipc/shmem_interlock.h"

namespace keel::postmaster {
namespace {

using Clock = std::chrono::steady_clock;

// How long children get to obey SIGQUIT before SIGKILL (M5).
constexpr auto kSigkillDelay = std::chrono::seconds(5);

enum class PmState : uint8_t {
  kRun,               // accepting connections, aux processes running
  kStopBackends,      // shutdown: waiting for backends to leave
  kStopAux,           // shutdown: waiting for aux processes that stop early
  kStopLast,          // shutdown: waiting for the checkpointer
  kWaitDeadEnd,       // crash or immediate shutdown: waiting for every child to die
  kExit,
};

enum class ShutdownMode : uint8_t { kNone, kSmart, kFast, kImmediate };

enum class ChildKind : uint8_t { kBackend, kDeadEnd, kAux };

struct Child {
  pid_t pid;
  ChildKind kind;
  AuxKind aux;  // meaningful for kAux
};

// Set by signal handlers, read by the server loop (M2: handlers do nothing else).
volatile sig_atomic_t g_got_sighup = 0;
volatile sig_atomic_t g_got_sigterm = 0;
volatile sig_atomic_t g_got_sigint = 0;
volatile sig_atomic_t g_got_sigquit = 0;
volatile sig_atomic_t g_got_sigchld = 0;
int g_self_pipe[2] = {-1, -1};

void WakeServerLoop() {
  int saved = errno;
  ssize_t ignored = write(g_self_pipe[1], "", 1);
  (void)ignored;
  errno = saved;
}
void OnSighup(int) { g_got_sighup = 1; WakeServerLoop(); }
void OnSigterm(int) { g_got_sigterm = 1; WakeServerLoop(); }
void OnSigint(int) { g_got_sigint = 1; WakeServerLoop(); }
void OnSigquit(int) { g_got_sigquit = 1; WakeServerLoop(); }
void OnSigchld(int) { g_got_sigchld = 1; WakeServerLoop(); }

void InstallHandler(int signo, void (*handler)(int)) {
  struct sigaction sa {};
  sa.sa_handler = handler;
  sigfillset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;
  sigaction(signo, &sa, nullptr);
}

std::string DescribeExit(int status) {
  if (WIFEXITED(status)) return Format("exited with exit code %d", WEXITSTATUS(status));
  if (WIFSIGNALED(status)) {
    return Format("was terminated by signal %d: %s", WTERMSIG(status), strsignal(WTERMSIG(status)));
  }
  return Format("exited with unrecognized status %d", status);
}

class Postmaster {
 public:
  explicit Postmaster(ServerOptions options) : options_(std::move(options)) {}
  int Run();

 private:
  void StartUp();
  void CreateSharedState();
  void LoadHba(bool at_startup);
  void LoadTls(bool at_startup);
  void ServerLoop();
  void HandleSignals();
  void AcceptConnections(int listen_fd);
  void ReapChildren();
  void HandleChildCrash(const Child& child, int status);
  void AdvanceState();
  void StartAux(AuxKind kind);
  void StartAllAux();
  pid_t ForkChild(const char* log_kind, storage::ProcessRole role);
  void SignalChildren(int signo, bool backends, bool aux);
  [[nodiscard]] int CountChildren(ChildKind kind) const;
  [[nodiscard]] tcop::ConnectionRefusal Refusal() const;
  void ShutDown();

  ServerOptions options_;
  std::optional<PidFile> pid_file_;
  ListenSockets sockets_;
  std::unique_ptr<auth::HbaFile> hba_;
  std::unique_ptr<protocol::TlsContext> tls_;
  storage::InterlockId interlock_{};
  std::vector<Child> children_;
  PmState state_ = PmState::kRun;
  ShutdownMode shutdown_ = ShutdownMode::kNone;
  Clock::time_point dead_end_since_{};
  bool sent_sigkill_ = false;
};

int Postmaster::Run() {
  try {
    StartUp();
  } catch (const Error& e) {
    LogError(e);
    if (pid_file_) pid_file_->Remove();
    sockets_.CloseAndRemoveFiles();
    return 1;
  }
  ServerLoop();
  ShutDown();
  return 0;
}

void Postmaster::StartUp() {
  SetLogProcessKind("postmaster");
  storage::InitProcessContext(storage::ProcessRole::kPostmaster);

  std::string data_dir = ValidateDataDirectory(options_.data_dir);
  if (chdir(data_dir.c_str()) != 0) {
    throw FatalError(sqlstate::kIoError, Format("could not change directory to \"%s\": %s",
                                                data_dir.c_str(), ErrnoText(errno).c_str()));
  }
  SetDataDirectory(data_dir);
  for (const std::string& setting : options_.settings) config::SetFromCommandLine(setting);
  config::LoadConfigFile(ConfigFilePath());
  try {
    config::SetSetting("data_directory", data_dir, config::SettingSource::kCommandLine,
                       config::Phase::kStartup);
  } catch (const Error&) {
    // Shown only; a registry without the setting is not a reason to stop.
  }
  // M1: refuse a directory whose control file we cannot read.
  transam::ControlFileData control = transam::ReadControlFile(data_dir);
  // Mock SCRAM salts for unknown roles stay the same across backends and restarts.
  auth::SetScramMockNonce(std::string_view(reinterpret_cast<const char*>(control.mock_auth_nonce),
                                           sizeof(control.mock_auth_nonce)));

  pid_file_.emplace(PidFile::Acquire(data_dir));
  LoadHba(/*at_startup=*/true);
  LoadTls(/*at_startup=*/true);

  int backlog = std::min(settings::max_connections * 2, SOMAXCONN);
  sockets_ = ListenSockets::Open(settings::listen_addresses, settings::unix_socket_directories,
                                 settings::port, settings::unix_socket_permissions, backlog);
  for (const ListenSocket& s : sockets_.sockets()) {
    Log(Severity::kLog, "listening on %s", s.description.c_str());
  }

  if (pipe2(g_self_pipe, O_NONBLOCK | O_CLOEXEC) != 0) {
    throw FatalError(sqlstate::kSystemError,
                     Format("could not create self-pipe: %s", ErrnoText(errno).c_str()));
  }
  InstallHandler(SIGHUP, OnSighup);
  InstallHandler(SIGTERM, OnSigterm);
  InstallHandler(SIGINT, OnSigint);
  InstallHandler(SIGQUIT, OnSigquit);
  InstallHandler(SIGCHLD, OnSigchld);
  signal(SIGPIPE, SIG_IGN);
  signal(SIGUSR1, SIG_IGN);
  signal(SIGUSR2, SIG_IGN);

  storage::CreatePostmasterDeathPipe();
  interlock_ = storage::CreateShmemInterlock(data_dir);
  CreateSharedState();

  PidFileContents contents = pid_file_->contents();
  contents.start_time_s = static_cast<int64_t>(time(nullptr));
  contents.port = settings::port;
  contents.socket_dir = sockets_.first_socket_dir();
  contents.listen_address = sockets_.first_listen_address();
  contents.shmem_key = interlock_.key;
  contents.shmem_id = interlock_.shmid;
  contents.status = PidFileStatus::kStarting;
  pid_file_->Write(contents);
  WriteOptionsFile(data_dir, options_);

  StartAllAux();
  pid_file_->SetStatus(PidFileStatus::kReady);
  Log(Severity::kLog, "database system is ready to accept connections");
}

void Postmaster::CreateSharedState() {
  // M6: everything in shared memory is sized here, from settings, once per (re)start.
  size_t size = storage::AddSize(
      storage::ProcArrayShmemSize(settings::max_connections, kMaxAuxProcesses), 1 << 20);
  storage::ShmemCreate(size);
  storage::ProcArrayShmemInit(settings::max_connections, kMaxAuxProcesses);
}

void Postmaster::LoadHba(bool at_startup) {
  std::string path = settings::hba_file.empty() ? DataDirectory() + "/keel_hba.conf"
                                                : settings::hba_file;
  try {
    hba_ = std::make_unique<auth::HbaFile>(auth::HbaFile::Load(path));
  } catch (const Error& e) {
    if (at_startup) {
      LogError(e);
      throw FatalError(sqlstate::kConfigFileError, "could not load keel_hba.conf");
    }
    LogError(Error(e.sqlstate(), e.message(), Severity::kLog).WithDetail(e.detail()));
    Log(Severity::kWarning, "keel_hba.conf was not reloaded");
  }
}

void Postmaster::LoadTls(bool at_startup) {
  if (!settings::ssl) {
    tls_.reset();
    return;
  }
  try {
    tls_ = std::make_unique<protocol::TlsContext>(protocol::TlsContext::Load(
        settings::ssl_cert_file, settings::ssl_key_file, settings::ssl_ca_file));
  } catch (const Error& e) {
    if (at_startup) throw;
    LogError(Error(e.sqlstate(), e.message(), Severity::kLog).WithDetail(e.detail()));
    Log(Severity::kWarning, "SSL configuration was not reloaded");
  }
}

void Postmaster::ServerLoop() {
  while (state_ != PmState::kExit) {
    std::vector<pollfd> fds;
    fds.push_back({g_self_pipe[0], POLLIN, 0});
    for (const ListenSocket& s : sockets_.sockets()) fds.push_back({s.fd, POLLIN, 0});
    int timeout_ms = state_ == PmState::kWaitDeadEnd ? 100 : 1000;
    int n = poll(fds.data(), fds.size(), timeout_ms);
    if (n < 0 && errno != EINTR) {
      Log(Severity::kLog, "poll() failed in postmaster: %s", ErrnoText(errno).c_str());
    }
    char drain[64];
    while (read(g_self_pipe[0], drain, sizeof(drain)) > 0) {
    }
    HandleSignals();
    if (n > 0) {
      for (size_t i = 1; i < fds.size(); ++i) {
        if (fds[i].revents & POLLIN) AcceptConnections(fds[i].fd);
      }
    }
    AdvanceState();
  }
}

void Postmaster::HandleSignals() {
  if (g_got_sigchld) {
    g_got_sigchld = 0;
    ReapChildren();
  }
  if (g_got_sighup) {
    g_got_sighup = 0;
    Log(Severity::kLog, "received SIGHUP, reloading configuration files");
    config::ReloadConfigFile(ConfigFilePath());
    LoadHba(/*at_startup=*/false);
    LoadTls(/*at_startup=*/false);
    SignalChildren(SIGHUP, /*backends=*/true, /*aux=*/true);
  }
  if (g_got_sigquit) {
    g_got_sigquit = 0;
    if (shutdown_ != ShutdownMode::kImmediate) {
      Log(Severity::kLog, "received immediate shutdown request");
      shutdown_ = ShutdownMode::kImmediate;
      pid_file_->SetStatus(PidFileStatus::kStopping);
      SignalChildren(SIGQUIT, true, true);
      state_ = PmState::kWaitDeadEnd;
      dead_end_since_ = Clock::now();
    }
  }
  if (g_got_sigint) {
    g_got_sigint = 0;
    if (shutdown_ < ShutdownMode::kFast) {
      Log(Severity::kLog, "received fast shutdown request");
      shutdown_ = ShutdownMode::kFast;
      pid_file_->SetStatus(PidFileStatus::kStopping);
      if (state_ == PmState::kRun || state_ == PmState::kStopBackends) {
        Log(Severity::kLog, "aborting any active transactions");
        SignalChildren(SIGTERM, /*backends=*/true, /*aux=*/false);
        state_ = PmState::kStopBackends;
      }
    }
  }
  if (g_got_sigterm) {
    g_got_sigterm = 0;
    if (shutdown_ < ShutdownMode::kSmart) {
      Log(Severity::kLog, "received smart shutdown request");
      shutdown_ = ShutdownMode::kSmart;
      pid_file_->SetStatus(PidFileStatus::kStopping);
      if (state_ == PmState::kRun) state_ = PmState::kStopBackends;
    }
  }
}

tcop::ConnectionRefusal Postmaster::Refusal() const {
  if (state_ == PmState::kWaitDeadEnd) {
    return shutdown_ == ShutdownMode::kNone ? tcop::ConnectionRefusal::kRecovery
                                            : tcop::ConnectionRefusal::kShuttingDown;
  }
  if (shutdown_ != ShutdownMode::kNone) return tcop::ConnectionRefusal::kShuttingDown;
  // M4: the real limit is the proc array; this only bounds forks during a connection storm.
  if (CountChildren(ChildKind::kBackend) >= 2 * settings::max_connections) {
    return tcop::ConnectionRefusal::kTooManyClients;
  }
  return tcop::ConnectionRefusal::kNone;
}

void Postmaster::AcceptConnections(int listen_fd) {
  // A few per wake-up, so signals are never starved by a connection storm.
  for (int i = 0; i < 16; ++i) {
    int client = accept4(listen_fd, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
    if (client < 0) {
      if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
        Log(Severity::kLog, "could not accept new connection: %s", ErrnoText(errno).c_str());
      }
      return;
    }
    tcop::ConnectionRefusal refusal = Refusal();
    pid_t pid = ForkChild("backend", storage::ProcessRole::kBackend);
    if (pid == 0) {
      tcop::BackendResources resources{hba_.get(), tls_ ? tls_->get() : nullptr};
      tcop::BackendMain(client, refusal, resources);  // never returns
    }
    close(client);
    if (pid < 0) {
      Log(Severity::kLog, "could not fork new process for connection: %s", ErrnoText(errno).c_str());
      continue;
    }
    bool dead_end = refusal != tcop::ConnectionRefusal::kNone;
    children_.push_back({pid, dead_end ? ChildKind::kDeadEnd : ChildKind::kBackend, AuxKind{}});
  }
}

pid_t Postmaster::ForkChild(const char* log_kind, storage::ProcessRole role) {
  // M3: signals stay blocked across fork so no postmaster handler runs in the child.
  sigset_t all, saved;
  sigfillset(&all);
  sigprocmask(SIG_BLOCK, &all, &saved);
  pid_t pid = fork();
  if (pid == 0) {
    ForgetProcessExitCleanups();
    sockets_.CloseInChild();
    close(g_self_pipe[0]);
    close(g_self_pipe[1]);
    storage::PostmasterChildClosePipe();
    SetLogProcessKind(log_kind);
    storage::InitProcessContext(role);  // own pid, process-local latch, fresh self-pipe
    InstallChildSignalHandlers();       // also unblocks signals
    return 0;
  }
  sigprocmask(SIG_SETMASK, &saved, nullptr);
  return pid;
}

void Postmaster::StartAux(AuxKind kind) {
  const AuxProcessSpec& spec = GetAuxSpec(kind);
  pid_t pid = ForkChild(spec.name, spec.role);
  if (pid == 0) spec.main();  // never returns
  if (pid < 0) {
    Log(Severity::kLog, "could not fork %s process: %s", spec.name, ErrnoText(errno).c_str());
    return;  // retried by AdvanceState
  }
  children_.push_back({pid, ChildKind::kAux, kind});
}

void Postmaster::StartAllAux() {
  for (int i = 0; i < kAuxKindCount; ++i) StartAux(static_cast<AuxKind>(i));
}

void Postmaster::SignalChildren(int signo, bool backends, bool aux) {
  for (const Child& c : children_) {
    bool is_aux = c.kind == ChildKind::kAux;
    if ((is_aux && aux) || (!is_aux && backends)) kill(c.pid, signo);
  }
}

int Postmaster::CountChildren(ChildKind kind) const {
  int n = 0;
  for (const Child& c : children_) n += c.kind == kind;
  return n;
}

void Postmaster::ReapChildren() {
  int status = 0;
  pid_t pid;
  while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
    auto it = std::find_if(children_.begin(), children_.end(),
                           [pid](const Child& c) { return c.pid == pid; });
    if (it == children_.end()) continue;
    Child child = *it;
    children_.erase(it);
    if (child.kind == ChildKind::kDeadEnd) continue;  // never touched shared state
    if (state_ == PmState::kWaitDeadEnd) continue;     // we asked them all to die
    // M7: exit 0, or 1 for a backend (FATAL), is a clean exit; anything else is a crash.
    bool clean = WIFEXITED(status) &&
                 (WEXITSTATUS(status) == 0 ||
                  (child.kind == ChildKind::kBackend && WEXITSTATUS(status) == 1));
    if (!clean) {
      HandleChildCrash(child, status);
      continue;
    }
    if (child.kind == ChildKind::kAux && shutdown_ == ShutdownMode::kNone) {
      Log(Severity::kLog, "%s process (PID %d) %s; restarting it", GetAuxSpec(child.aux).name,
          static_cast<int>(pid), DescribeExit(status).c_str());
      StartAux(child.aux);
    }
  }
}

void Postmaster::HandleChildCrash(const Child& child, int status) {
  const char* what = child.kind == ChildKind::kAux ? GetAuxSpec(child.aux).name : "server";
  Log(Severity::kLog, "%s process (PID %d) %s", what, static_cast<int>(child.pid),
      DescribeExit(status).c_str());
  Log(Severity::kLog, "terminating any other active server processes");
  SignalChildren(SIGQUIT, true, true);
  state_ = PmState::kWaitDeadEnd;
  dead_end_since_ = Clock::now();
  sent_sigkill_ = false;
}

void Postmaster::AdvanceState() {
  auto live = [this] {
    return CountChildren(ChildKind::kBackend) + CountChildren(ChildKind::kAux);
  };
  switch (state_) {
    case PmState::kRun:
      break;
    case PmState::kStopBackends:
      if (CountChildren(ChildKind::kBackend) == 0) {
        for (const Child& c : children_) {
          if (c.kind == ChildKind::kAux && !GetAuxSpec(c.aux).stops_last) {
            kill(c.pid, GetAuxSpec(c.aux).stop_signal);
          }
        }
        state_ = PmState::kStopAux;
      }
      break;
    case PmState::kStopAux: {
      bool early_left = false;
      for (const Child& c : children_) {
        early_left |= c.kind == ChildKind::kAux && !GetAuxSpec(c.aux).stops_last;
      }
      if (!early_left) {
        for (const Child& c : children_) {
          if (c.kind == ChildKind::kAux) kill(c.pid, GetAuxSpec(c.aux).stop_signal);
        }
        state_ = PmState::kStopLast;
      }
      break;
    }
    case PmState::kStopLast:
      if (live() == 0) state_ = PmState::kExit;
      break;
    case PmState::kWaitDeadEnd:
      if (live() == 0) {
        if (shutdown_ != ShutdownMode::kNone) {
          state_ = PmState::kExit;
          break;
        }
        // M5: nobody is attached to the old region any more; build it afresh.
        Log(Severity::kLog, "all server processes terminated; reinitializing");
        storage::ShmemDestroy();
        CreateSharedState();
        StartAllAux();
        state_ = PmState::kRun;
        Log(Severity::kLog, "database system is ready to accept connections");
      } else if (!sent_sigkill_ && Clock::now() - dead_end_since_ > kSigkillDelay) {
        Log(Severity::kLog, "issuing SIGKILL to recalcitrant children");
        SignalChildren(SIGKILL, true, true);
        sent_sigkill_ = true;
      }
      break;
    case PmState::kExit:
      break;
  }
}

void Postmaster::ShutDown() {
  // Dead-end children hold no shared state; give them a moment, then stop waiting.
  for (const Child& c : children_) kill(c.pid, SIGKILL);
  while (waitpid(-1, nullptr, WNOHANG) > 0) {
  }
  sockets_.CloseAndRemoveFiles();
  storage::ReleaseShmemInterlock(interlock_);
  pid_file_->Remove();
  Log(Severity::kLog, "database system is shut down");
}

}  // namespace

int PostmasterMain(int argc, char** argv) {
  std::optional<ServerOptions> options = ParseServerOptions(argc, argv);
  if (!options) return 1;
  if (options->exit_after_parse) return 0;
  Postmaster postmaster(std::move(*options));
  return postmaster.Run();
}

}  // namespace keel::postmaster
