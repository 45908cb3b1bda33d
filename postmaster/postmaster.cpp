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
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "access/transam/checkpoint.h"
#include "access/transam/clog.h"
#include "access/transam/commit_ts.h"
#include "access/transam/control_file.h"
#include "access/transam/wal.h"
#include "backend/protocol/auth/hba.h"
#include "backend/protocol/auth/scram.h"
#include "backend/protocol/backend_messages.h"
#include "backend/protocol/tls.h"
#include "backend/tcop/backend_main.h"
#include "backend/utils/config/config.h"
#include "backend/utils/config/settings.h"
#include "backend/utils/error/error.h"
#include "backend/utils/error/format.h"
#include "backend/utils/error/log.h"
#include "backend/utils/init/interrupts.h"
#include "backend/utils/init/quit_reason.h"
#include "backend/utils/init/paths.h"
#include "backend/utils/init/process_exit.h"
#include "backend/utils/sort/temp_file.h"
#include "postmaster/autovacuum.h"
#include "postmaster/aux_process.h"
#include "postmaster/listen_sockets.h"
#include "postmaster/pid_file.h"
#include "postmaster/server_options.h"
#include "postmaster/shared_state.h"
#include "postmaster/startup.h"
#include "storage/buffer/bufmgr.h"
#include "storage/sync/sync.h"
#include "storage/ipc/latch.h"
#include "storage/ipc/postmaster_death.h"
#include "storage/ipc/proc_array.h"
#include "storage/ipc/process_context.h"
#include "storage/ipc/shmem.h"
#include "storage/ipc/shmem_interlock.h"
#include "storage/lmgr/lock.h"

namespace keel::postmaster {
namespace {

using Clock = std::chrono::steady_clock;

// How long children get to obey SIGQUIT before SIGKILL (M5).
constexpr auto kSigkillDelay = std::chrono::seconds(5);

enum class PmState : uint8_t {
  kStartup,           // the startup process recovers; connections are refused (S3)
  kRun,               // accepting connections, aux processes running
  kStopBackends,      // shutdown: waiting for backends to leave
  kStopAux,           // shutdown: waiting for aux processes that stop early
  kStopLast,          // shutdown: waiting for the checkpointer
  kWaitDeadEnd,       // crash or immediate shutdown: waiting for every child to die
  kExit,
};

enum class ShutdownMode : uint8_t { kNone, kSmart, kFast, kImmediate };

enum class ChildKind : uint8_t { kBackend, kDeadEnd, kAux, kStartup, kAutovacuumWorker };

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
volatile sig_atomic_t g_got_sigusr1 = 0;  // the autovacuum launcher wants workers
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
void OnSigusr1(int) { g_got_sigusr1 = 1; WakeServerLoop(); }

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
  Postmaster(ServerOptions options, const ServerHooks& hooks)
      : options_(std::move(options)), hooks_(hooks) {}
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
  void StartStartupProcess();
  void StartAutovacuumWorkers();
  void StartupProcessExited(int status);
  // Forks a child that runs `child_main` and leaves through ProcessExit; returns only in the
  // postmaster (the pid, or -1). `uses_shared_state`: dead-end children skip buffer/WAL set-up.
  pid_t ForkChild(const char* log_kind, storage::ProcessRole role, bool uses_shared_state,
                  const std::function<void()>& child_main);
  void EmergencyStop();
  void CheckPidFile();
  void SignalChildren(int signo, bool backends, bool aux);
  [[nodiscard]] int CountChildren(ChildKind kind) const;
  [[nodiscard]] tcop::ConnectionRefusal Refusal() const;
  void ShutDown();

  ServerOptions options_;
  ServerHooks hooks_;
  transam::ControlFileData control_{};
  std::optional<PidFile> pid_file_;
  ListenSockets sockets_;
  std::unique_ptr<auth::HbaFile> hba_;
  std::unique_ptr<protocol::TlsContext> tls_;
  storage::InterlockId interlock_{};
  std::vector<Child> children_;
  PmState state_ = PmState::kStartup;
  ShutdownMode shutdown_ = ShutdownMode::kNone;
  Clock::time_point dead_end_since_{};
  bool crash_recovery_ = false;  // the startup process runs after a crash
  bool startup_failed_ = false;  // exit code 1 at the end
  bool sent_sigkill_ = false;
  bool abnormal_ = false;        // a child crashed during shutdown (M12)
  pid_t postmaster_pid_ = 0;
  Clock::time_point last_pid_file_check_{};
};

int Postmaster::Run() {
  postmaster_pid_ = getpid();
  try {
    StartUp();
  } catch (const Error& e) {
    if (getpid() != postmaster_pid_) _exit(1);  // M9: never clean up from a child
    LogError(e);
    EmergencyStop();
    if (pid_file_) pid_file_->Remove();
    sockets_.CloseAndRemoveFiles();
    return 1;
  }
  try {
    ServerLoop();
  } catch (const std::exception& e) {
    if (getpid() != postmaster_pid_) _exit(1);
    // M11: whatever the loop could not handle ends the server in order, never half-way.
    Log(Severity::kFatal, "%s", e.what());
    EmergencyStop();
    abnormal_ = true;
  }
  ShutDown();
  if (abnormal_ || startup_failed_) {
    Log(Severity::kLog, "abnormal database system shutdown");
    return 1;
  }
  Log(Severity::kLog, "database system is shut down");
  return 0;
}

void Postmaster::EmergencyStop() {
  SetQuitReason(QuitReason::kCrash);
  SignalChildren(SIGQUIT, true, true);
  auto deadline = Clock::now() + kSigkillDelay;
  while (!children_.empty() && Clock::now() < deadline) {
    pid_t pid = waitpid(-1, nullptr, WNOHANG);
    if (pid > 0) {
      std::erase_if(children_, [pid](const Child& c) { return c.pid == pid; });
    } else {
      poll(nullptr, 0, 20);
    }
  }
  SignalChildren(SIGKILL, true, true);
  for (const Child& c : children_) waitpid(c.pid, nullptr, 0);
  children_.clear();
}

void Postmaster::StartUp() {
  // M2: signals stay blocked until the server loop can act on them; a SIGTERM during start-up
  // must not kill us half-way with files left behind.
  sigset_t all;
  sigfillset(&all);
  sigprocmask(SIG_BLOCK, &all, nullptr);
  SetLogProcessKind("postmaster");
  storage::InitProcessContext(storage::ProcessRole::kPostmaster);
  postmaster::RegisterBuiltins();  // inherited by every child through fork

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
  control_ = transam::ReadControlFile(data_dir);
  config::SetSetting("data_checksums", control_.data_checksum_version != 0 ? "on" : "off",
                     config::SettingSource::kDefault, config::Phase::kStartup);
  // Mock SCRAM salts for unknown roles stay the same across backends and restarts.
  auth::SetScramMockNonce(std::string_view(reinterpret_cast<const char*>(control_.mock_auth_nonce),
                                           sizeof(control_.mock_auth_nonce)));

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
  InstallHandler(SIGUSR1, OnSigusr1);
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

  StartStartupProcess();  // S3: aux processes and connections once it succeeds
}

void Postmaster::CreateSharedState() {
  postmaster::CreateSharedState(control_.system_identifier);
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
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
  last_pid_file_check_ = Clock::now();
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
    CheckPidFile();
  }
}

void Postmaster::CheckPidFile() {
  // P5: like PostgreSQL, notice when postmaster.pid was removed or taken over: another server
  // could then start on this directory, so this one stops at once.
  if (Clock::now() - last_pid_file_check_ < std::chrono::seconds(10)) return;
  last_pid_file_check_ = Clock::now();
  if (shutdown_ == ShutdownMode::kImmediate) return;
  std::optional<PidFileContents> contents = ReadPidFile(DataDirectory() + "/postmaster.pid");
  if (contents && contents->pid == postmaster_pid_) return;
  Log(Severity::kLog, "performing immediate shutdown because data directory lock file is invalid");
  g_got_sigquit = 1;
  HandleSignals();
}

void Postmaster::HandleSignals() {
  if (g_got_sigchld) {
    g_got_sigchld = 0;
    ReapChildren();
  }
  if (g_got_sigusr1) {
    g_got_sigusr1 = 0;
    StartAutovacuumWorkers();
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
      SetQuitReason(QuitReason::kImmediateShutdown);
      SignalChildren(SIGQUIT, true, true);
      state_ = PmState::kWaitDeadEnd;
      dead_end_since_ = Clock::now();
      sent_sigkill_ = false;
    }
  }
  if (g_got_sigint) {
    g_got_sigint = 0;
    if (shutdown_ < ShutdownMode::kFast) {
      Log(Severity::kLog, "received fast shutdown request");
      shutdown_ = ShutdownMode::kFast;
      pid_file_->SetStatus(PidFileStatus::kStopping);
      if (state_ == PmState::kStartup) {
        SignalChildren(SIGTERM, /*backends=*/false, /*aux=*/true);  // the startup process
      } else if (state_ == PmState::kRun || state_ == PmState::kStopBackends) {
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
      if (state_ == PmState::kStartup) SignalChildren(SIGTERM, false, true);
      // AV6: a smart shutdown waits for clients, not for autovacuum.
      for (const Child& c : children_) {
        if (c.kind == ChildKind::kAutovacuumWorker) kill(c.pid, SIGTERM);
      }
    }
  }
}

tcop::ConnectionRefusal Postmaster::Refusal() const {
  if (state_ == PmState::kWaitDeadEnd) {
    return shutdown_ == ShutdownMode::kNone ? tcop::ConnectionRefusal::kRecovery
                                            : tcop::ConnectionRefusal::kShuttingDown;
  }
  if (state_ == PmState::kStartup && shutdown_ == ShutdownMode::kNone) {
    return crash_recovery_ ? tcop::ConnectionRefusal::kRecovery
                           : tcop::ConnectionRefusal::kStartingUp;
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
        // M10: e.g. EMFILE leaves the connection in the backlog; without a pause this would
        // spin and flood the log.
        Log(Severity::kLog, "could not accept new connection: %s", ErrnoText(errno).c_str());
        poll(nullptr, 0, 100);
      }
      return;
    }
    tcop::ConnectionRefusal refusal = Refusal();
    bool dead_end = refusal != tcop::ConnectionRefusal::kNone;
    pid_t pid = ForkChild("backend", storage::ProcessRole::kBackend, !dead_end, [&] {
      if (hooks_.backend_main != nullptr) {
        if (dead_end) return;
        hooks_.backend_main(client);  // never returns
      }
      tcop::BackendResources resources{hba_.get(), tls_ ? tls_->get() : nullptr};
      tcop::BackendMain(client, refusal, resources);  // never returns
    });
    if (pid < 0) {
      int saved = errno;
      Log(Severity::kLog, "could not fork new process for connection: %s", ErrnoText(saved).c_str());
      // The client would otherwise only see the connection close.
      protocol::MessageBuilder message = protocol::ErrorResponse(
          FatalError(sqlstate::kInsufficientResources,
                     Format("could not fork new process for connection: %s",
                            ErrnoText(saved).c_str())));
      std::string_view bytes = message.bytes();
      ssize_t ignored = send(client, bytes.data(), bytes.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
      (void)ignored;
      close(client);
      continue;
    }
    close(client);
    children_.push_back({pid, dead_end ? ChildKind::kDeadEnd : ChildKind::kBackend, AuxKind{}});
  }
}

pid_t Postmaster::ForkChild(const char* log_kind, storage::ProcessRole role,
                            bool uses_shared_state, const std::function<void()>& child_main) {
  // M3: signals stay blocked across fork so no postmaster handler runs in the child.
  sigset_t all, saved;
  sigfillset(&all);
  sigprocmask(SIG_BLOCK, &all, &saved);
  pid_t pid = fork();
  if (pid != 0) {
    sigprocmask(SIG_SETMASK, &saved, nullptr);
    return pid;
  }
  // M9: from here on this is the child; nothing may return or unwind into the postmaster's
  // frames, whatever its set-up or main throws.
  int exit_code = 1;
  try {
    ForgetProcessExitCleanups();
    sockets_.CloseInChild();
    close(g_self_pipe[0]);
    close(g_self_pipe[1]);
    storage::PostmasterChildClosePipe();
    SetLogProcessKind(log_kind);
    storage::InitProcessContext(role);  // own pid, process-local latch, fresh self-pipe
    InstallChildSignalHandlers();       // also unblocks signals
    if (uses_shared_state) {
      postmaster::InitChildSharedAccess();
    }
    child_main();
    exit_code = 0;
  } catch (const Error& e) {
    LogError(Error(e.sqlstate(), e.message(), Severity::kFatal).WithDetail(e.detail()));
  } catch (const std::exception& e) {
    Log(Severity::kFatal, "%s", e.what());
  } catch (...) {
    Log(Severity::kFatal, "unexpected exception in %s process", log_kind);
  }
  ProcessExit(exit_code);
}

void Postmaster::StartAux(AuxKind kind) {
  const AuxProcessSpec& spec = GetAuxSpec(kind);
  pid_t pid = ForkChild(spec.name, spec.role, /*uses_shared_state=*/true, [&] { spec.main(); });
  if (pid < 0) {
    Log(Severity::kLog, "could not fork %s process: %s", spec.name, ErrnoText(errno).c_str());
    return;  // M8: retried by AdvanceState
  }
  children_.push_back({pid, ChildKind::kAux, kind});
}

void Postmaster::StartAllAux() {
  for (int i = 0; i < kAuxKindCount; ++i) StartAux(static_cast<AuxKind>(i));
}

void Postmaster::StartStartupProcess() {
  // Temporary files (sorts) of processes that no longer exist: at every start and after a
  // crash, before any backend could have made new ones (backend/utils/sort S-invariants).
  (void)sort::RemoveTempFiles(DataDirectory());
  pid_t pid = ForkChild("startup", storage::ProcessRole::kStartup, /*uses_shared_state=*/true,
                        [] { StartupProcessMain(); });
  if (pid < 0) {
    throw FatalError(sqlstate::kSystemError,
                     Format("could not fork startup process: %s", ErrnoText(errno).c_str()));
  }
  children_.push_back({pid, ChildKind::kStartup, AuxKind{}});
  state_ = PmState::kStartup;
}

void Postmaster::StartAutovacuumWorkers() {
  // AV4: only while serving; a request left over is dropped with shared memory on a crash.
  if (state_ != PmState::kRun || shutdown_ != ShutdownMode::kNone) return;
  for (int item = AutovacuumTakeStartRequest(); item >= 0; item = AutovacuumTakeStartRequest()) {
    pid_t pid = ForkChild("autovacuum worker", storage::ProcessRole::kAutovacuum,
                          /*uses_shared_state=*/true, [item] { AutovacuumWorkerMain(item); });
    if (pid < 0) {
      Log(Severity::kLog, "could not fork autovacuum worker process: %s", ErrnoText(errno).c_str());
      AutovacuumStartFailed(item);
      return;
    }
    children_.push_back({pid, ChildKind::kAutovacuumWorker, AuxKind{}});
  }
}

void Postmaster::StartupProcessExited(int status) {
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0 && shutdown_ == ShutdownMode::kNone) {
    crash_recovery_ = false;
    StartAllAux();
    state_ = PmState::kRun;
    // Log first: tools (and tests) that see "ready" in the pid file may read the log at once.
    Log(Severity::kLog, "database system is ready to accept connections");
    pid_file_->SetStatus(PidFileStatus::kReady);
    return;
  }
  if (shutdown_ != ShutdownMode::kNone) {
    state_ = PmState::kStopBackends;  // nothing else runs yet; the state machine ends it
    return;
  }
  // S2: without a recovered database there is nothing to serve.
  Log(Severity::kLog, "startup process %s", DescribeExit(status).c_str());
  Log(Severity::kLog, "aborting startup due to startup process failure");
  startup_failed_ = true;
  SetQuitReason(QuitReason::kCrash);
  SignalChildren(SIGQUIT, true, true);
  shutdown_ = ShutdownMode::kImmediate;
  state_ = PmState::kWaitDeadEnd;
  dead_end_since_ = Clock::now();
}

void Postmaster::SignalChildren(int signo, bool backends, bool aux) {
  for (const Child& c : children_) {
    bool is_aux = c.kind == ChildKind::kAux || c.kind == ChildKind::kStartup;
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
    if (child.kind == ChildKind::kStartup) {
      StartupProcessExited(status);
      continue;
    }
    // M7: exit 0, or 1 for a backend (FATAL), is a clean exit; anything else is a crash.
    bool clean = WIFEXITED(status) &&
                 (WEXITSTATUS(status) == 0 ||
                  ((child.kind == ChildKind::kBackend ||
                    child.kind == ChildKind::kAutovacuumWorker) &&
                   WEXITSTATUS(status) == 1));
    if (!clean) {
      HandleChildCrash(child, status);
      continue;
    }
    if (child.kind == ChildKind::kAux && shutdown_ == ShutdownMode::kNone &&
        state_ == PmState::kRun) {
      Log(Severity::kLog, "%s process (PID %d) %s; restarting it", GetAuxSpec(child.aux).name,
          static_cast<int>(pid), DescribeExit(status).c_str());  // M8: AdvanceState restarts it
    }
  }
}

void Postmaster::HandleChildCrash(const Child& child, int status) {
  const char* what = child.kind == ChildKind::kAux ? GetAuxSpec(child.aux).name
                     : child.kind == ChildKind::kAutovacuumWorker ? "autovacuum worker"
                                                                   : "server";
  Log(Severity::kLog, "%s process (PID %d) %s", what, static_cast<int>(child.pid),
      DescribeExit(status).c_str());
  Log(Severity::kLog, "terminating any other active server processes");
  if (shutdown_ != ShutdownMode::kNone) abnormal_ = true;  // M12
  SetQuitReason(QuitReason::kCrash);
  SignalChildren(SIGQUIT, true, true);
  state_ = PmState::kWaitDeadEnd;
  dead_end_since_ = Clock::now();
  sent_sigkill_ = false;
}

void Postmaster::AdvanceState() {
  auto live = [this] {
    return CountChildren(ChildKind::kBackend) + CountChildren(ChildKind::kAux) +
           CountChildren(ChildKind::kStartup) + CountChildren(ChildKind::kAutovacuumWorker);
  };
  switch (state_) {
    case PmState::kStartup:
      break;
    case PmState::kRun:
      // M8: an auxiliary process that could not be forked, or exited cleanly, is started again.
      for (int i = 0; i < kAuxKindCount; ++i) {
        auto kind = static_cast<AuxKind>(i);
        bool running = std::any_of(children_.begin(), children_.end(), [kind](const Child& c) {
          return c.kind == ChildKind::kAux && c.aux == kind;
        });
        if (!running) StartAux(kind);
      }
      break;
    case PmState::kStopBackends:
      if (CountChildren(ChildKind::kBackend) + CountChildren(ChildKind::kAutovacuumWorker) == 0) {
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
        // M5: nobody is attached to the old region any more; build it afresh and recover.
        Log(Severity::kLog, "all server processes terminated; reinitializing");
        storage::ShmemDestroy();
        CreateSharedState();
        crash_recovery_ = true;
        sent_sigkill_ = false;
        StartStartupProcess();
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
  // Dead-end children hold no shared state, but they hold the interlock: end and reap them
  // before releasing it.
  for (const Child& c : children_) kill(c.pid, SIGKILL);
  for (const Child& c : children_) waitpid(c.pid, nullptr, 0);
  children_.clear();
  sockets_.CloseAndRemoveFiles();
  storage::ReleaseShmemInterlock(interlock_);
  pid_file_->Remove();
}

}  // namespace

int PostmasterMain(int argc, char** argv, const ServerHooks& hooks) {
  std::optional<ServerOptions> options = ParseServerOptions(argc, argv);
  if (!options) return 1;
  if (options->exit_after_parse) return 0;
  Postmaster postmaster(std::move(*options), hooks);
  return postmaster.Run();
}

}  // namespace keel::postmaster
