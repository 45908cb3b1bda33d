// Test harness implementation; see test_cluster.h.
#include "tests/e2e/test_cluster.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <sstream>

#include "tests/support/files.h"
#include "tests/support/free_port.h"
#include "tests/support/run_program.h"
#include "tests/support/wait_until.h"

namespace keel::testing {
namespace {

// Waits for our child `pid` to exit within `timeout_s`; returns its status, or -1 on timeout
// or when it is not (any more) our child.
int WaitForExit(pid_t pid, int timeout_s) {
  int status = -1;
  bool gone = WaitUntil(
      [pid, &status] {
        int s = 0;
        pid_t r = waitpid(pid, &s, WNOHANG);
        if (r == pid) status = s;
        return r != 0;  // exited, or an error (ECHILD): either way nothing more to wait for
      },
      timeout_s);
  return gone ? status : -1;
}

}  // namespace

TestCluster::TestCluster(std::vector<std::string> initdb_args, std::string server_binary)
    : server_binary_(std::move(server_binary)) {
  data_dir_ = dir_.path() + "/data";
  socket_dir_ = dir_.path();
  log_path_ = dir_.path() + "/server.log";
  std::vector<std::string> argv = {KeelBinary("keel-initdb"), "-D", data_dir_, "-U", "keel",
                                   "--no-sync"};
  argv.insert(argv.end(), initdb_args.begin(), initdb_args.end());
  ProgramResult r = RunProgram(argv);
  EXPECT_EQ(r.exit_code, 0) << r.Output();
}

void TestCluster::SetEnv(const std::string& name, const std::string& value) {
  env_.emplace_back(name, value);
}

TestCluster::~TestCluster() {
  if (pid_ > 0) {
    kill(pid_, SIGQUIT);
    if (WaitForExit(pid_, 10) == -1) {
      kill(pid_, SIGKILL);
      WaitForExit(pid_, 10);
    }
  }
}

void TestCluster::AppendConf(const std::string& lines) {
  EXPECT_TRUE(AppendToFile(data_dir_ + "/keel.conf", "\n" + lines + "\n"));
}

void TestCluster::WriteHba(const std::string& contents) {
  EXPECT_TRUE(WriteWholeFile(data_dir_ + "/keel_hba.conf", contents));
}

std::string TestCluster::log() const { return ReadWholeFile(log_path_).value_or(""); }

std::vector<std::string> TestCluster::ServerArgv(const std::vector<std::string>& extra_args) {
  if (port_ == 0) port_ = FreePort();
  std::vector<std::string> argv = {KeelBinary(server_binary_),
                                   "-D",
                                   data_dir_,
                                   "-c",
                                   "port=" + std::to_string(port_),
                                   "-c",
                                   "listen_addresses=127.0.0.1",
                                   "-c",
                                   "unix_socket_directories=" + socket_dir_};
  argv.insert(argv.end(), extra_args.begin(), extra_args.end());
  return argv;
}

bool TestCluster::Start(const std::vector<std::string>& extra_args, int timeout_s) {
  std::vector<std::string> argv = ServerArgv(extra_args);
  pid_ = fork();
  if (pid_ == 0) {
    int log_fd = open(log_path_.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
    dup2(log_fd, STDOUT_FILENO);
    dup2(log_fd, STDERR_FILENO);
    int null_fd = open("/dev/null", O_RDONLY);
    dup2(null_fd, STDIN_FILENO);
    for (const auto& [name, value] : env_) {
      if (value) setenv(name.c_str(), value->c_str(), 1);
      else unsetenv(name.c_str());
    }
    std::vector<char*> args;
    for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execv(args[0], args.data());
    _exit(127);
  }
  const std::string pid_file = data_dir_ + "/postmaster.pid";
  bool exited = false;
  bool ready = WaitUntil(
      [&] {
        int status = 0;
        if (waitpid(pid_, &status, WNOHANG) == pid_) {
          exited = true;
          return true;
        }
        std::istringstream lines(ReadWholeFile(pid_file).value_or(""));
        std::string line, first, eighth;
        for (int i = 1; std::getline(lines, line); ++i) {
          if (i == 1) first = line;
          if (i == 8) eighth = line;
        }
        return first == std::to_string(pid_) && eighth.rfind("ready", 0) == 0;
      },
      timeout_s);
  if (exited) {
    ADD_FAILURE() << "server exited during start-up; log:\n" << log();
    pid_ = -1;
    return false;
  }
  if (!ready) {
    ADD_FAILURE() << "server did not become ready in " << timeout_s << " s; log:\n" << log();
  }
  return ready;
}

int TestCluster::StartExpectingFailure(const std::vector<std::string>& extra_args, int timeout_s) {
  ProgramResult r = RunProgram(ServerArgv(extra_args), env_, timeout_s);
  EXPECT_TRUE(AppendToFile(log_path_, r.Output()));
  return r.timed_out ? -1 : r.exit_code;
}

int TestCluster::Stop(char mode, int timeout_s) {
  if (pid_ <= 0) return -1;
  int signo = mode == 's' ? SIGTERM : mode == 'i' ? SIGQUIT : SIGINT;
  kill(pid_, signo);
  int status = WaitForExit(pid_, timeout_s);
  if (status != -1) pid_ = -1;
  return status;
}

void TestCluster::Forget() { pid_ = -1; }

std::string TestCluster::ConnInfo(const std::string& extra) const {
  return "host=127.0.0.1 port=" + std::to_string(port_) +
         " user=keel dbname=postgres connect_timeout=10 sslmode=disable " + extra;
}

PgConn TestCluster::Connect(const std::string& extra) const {
  return PgConn(PQconnectdb(ConnInfo(extra).c_str()));
}

bool TestCluster::WaitUntilAccepting(int timeout_s) const {
  return WaitUntil([this] { return PQstatus(Connect().get()) == CONNECTION_OK; }, timeout_s, 100);
}

std::vector<pid_t> TestCluster::ChildPids() const {
  std::vector<pid_t> children;
  std::string path = "/proc/" + std::to_string(pid_) + "/task/" + std::to_string(pid_) + "/children";
  std::istringstream in(ReadWholeFile(path).value_or(""));
  pid_t child;
  while (in >> child) children.push_back(child);
  return children;
}

ConnectAttempt TryConnect(const std::string& conninfo, int timeout_s) {
  ConnectAttempt attempt;
  PgConn conn(PQconnectStart(conninfo.c_str()));
  if (!conn) {
    attempt.error = "out of memory";
    return attempt;
  }
  PQsetErrorVerbosity(conn.get(), PQERRORS_VERBOSE);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_s);
  PostgresPollingStatusType poll_status = PGRES_POLLING_WRITING;
  while (poll_status != PGRES_POLLING_OK && poll_status != PGRES_POLLING_FAILED) {
    int left = static_cast<int>(
        std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now()).count());
    if (left <= 0) {
      attempt.error = "timeout";
      return attempt;
    }
    pollfd pfd{PQsocket(conn.get()),
               static_cast<short>(poll_status == PGRES_POLLING_READING ? POLLIN : POLLOUT), 0};
    if (pfd.fd >= 0) poll(&pfd, 1, left);
    poll_status = PQconnectPoll(conn.get());
  }
  if (poll_status == PGRES_POLLING_OK) {
    attempt.conn = std::move(conn);
    return attempt;
  }
  attempt.error = PQerrorMessage(conn.get());
  // Verbose form: "...FATAL:  28P01: password authentication failed ..."
  for (const char* word : {"FATAL:  ", "ERROR:  "}) {
    size_t at = attempt.error.find(word);
    if (at != std::string::npos && attempt.error.size() > at + 14 && attempt.error[at + 13] == ':') {
      attempt.sqlstate = attempt.error.substr(at + 8, 5);
      break;
    }
  }
  return attempt;
}

std::string SqlStateOf(const PGresult* result) {
  const char* code = PQresultErrorField(result, PG_DIAG_SQLSTATE);
  return code != nullptr ? code : "";
}

}  // namespace keel::testing
