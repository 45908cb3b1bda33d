// Test harness implementation; see test_cluster.h.
#include "tests/e2e/test_cluster.h"

#include <dirent.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

namespace keel::testing {
namespace {

using Clock = std::chrono::steady_clock;

void SleepMs(int ms) { std::this_thread::sleep_for(std::chrono::milliseconds(ms)); }

// Waits for `pid` to exit within `timeout_s`; returns its status or -1.
int WaitForExit(pid_t pid, int timeout_s) {
  auto deadline = Clock::now() + std::chrono::seconds(timeout_s);
  for (;;) {
    int status = 0;
    pid_t r = waitpid(pid, &status, WNOHANG);
    if (r == pid) return status;
    if (r < 0) return -1;
    if (Clock::now() > deadline) return -1;
    SleepMs(20);
  }
}

}  // namespace

CommandResult RunCommand(const std::vector<std::string>& argv, int timeout_s,
                         const std::string& input) {
  CommandResult result;
  int out[2], in[2];
  if (pipe2(out, O_CLOEXEC) != 0 || pipe2(in, O_CLOEXEC) != 0) return result;
  pid_t pid = fork();
  if (pid == 0) {
    dup2(in[0], STDIN_FILENO);
    dup2(out[1], STDOUT_FILENO);
    dup2(out[1], STDERR_FILENO);
    std::vector<char*> args;
    for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execvp(args[0], args.data());
    _exit(127);
  }
  close(out[1]);
  close(in[0]);
  if (!input.empty()) {
    ssize_t ignored = write(in[1], input.data(), input.size());
    (void)ignored;
  }
  close(in[1]);
  auto deadline = Clock::now() + std::chrono::seconds(timeout_s);
  char buf[4096];
  for (;;) {
    int left = static_cast<int>(
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count());
    if (left <= 0) {
      result.timed_out = true;
      kill(pid, SIGKILL);
      break;
    }
    pollfd pfd{out[0], POLLIN, 0};
    if (poll(&pfd, 1, left) <= 0) continue;
    ssize_t n = read(out[0], buf, sizeof(buf));
    if (n <= 0) break;
    result.output.append(buf, static_cast<size_t>(n));
  }
  close(out[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  if (!result.timed_out && WIFEXITED(status)) result.exit_code = WEXITSTATUS(status);
  return result;
}

std::string KeelBinary(const std::string& name) { return std::string(KEEL_BIN_DIR) + "/" + name; }

int FreePort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  socklen_t len = sizeof(addr);
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  close(fd);
  return ntohs(addr.sin_port);
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void WriteFile(const std::string& path, const std::string& contents) {
  std::ofstream out(path, std::ios::trunc);
  out << contents;
}

TempDir::TempDir() {
  char tmpl[] = "/tmp/keel-test-XXXXXX";
  const char* made = mkdtemp(tmpl);
  path_ = made != nullptr ? made : "";
}

TempDir::~TempDir() {
  if (path_.empty()) return;
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

TestCluster::TestCluster(std::vector<std::string> initdb_args) {
  data_dir_ = dir_.path() + "/data";
  socket_dir_ = dir_.path();
  log_path_ = dir_.path() + "/server.log";
  std::vector<std::string> argv = {KeelBinary("keel-initdb"), "-D", data_dir_, "-U", "keel",
                                   "--no-sync"};
  argv.insert(argv.end(), initdb_args.begin(), initdb_args.end());
  CommandResult r = RunCommand(argv);
  EXPECT_EQ(r.exit_code, 0) << r.output;
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
  std::ofstream out(data_dir_ + "/keel.conf", std::ios::app);
  out << "\n" << lines << "\n";
}

void TestCluster::WriteHba(const std::string& contents) {
  WriteFile(data_dir_ + "/keel_hba.conf", contents);
}

bool TestCluster::Start(const std::vector<std::string>& extra_args, int timeout_s) {
  if (port_ == 0) port_ = FreePort();
  std::vector<std::string> argv = {KeelBinary("keel"),
                                   "-D",
                                   data_dir_,
                                   "-c",
                                   "port=" + std::to_string(port_),
                                   "-c",
                                   "listen_addresses=127.0.0.1",
                                   "-c",
                                   "unix_socket_directories=" + socket_dir_};
  argv.insert(argv.end(), extra_args.begin(), extra_args.end());
  pid_ = fork();
  if (pid_ == 0) {
    int log_fd = open(log_path_.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
    dup2(log_fd, STDOUT_FILENO);
    dup2(log_fd, STDERR_FILENO);
    int null_fd = open("/dev/null", O_RDONLY);
    dup2(null_fd, STDIN_FILENO);
    std::vector<char*> args;
    for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execv(args[0], args.data());
    _exit(127);
  }
  auto deadline = Clock::now() + std::chrono::seconds(timeout_s);
  std::string pid_file = data_dir_ + "/postmaster.pid";
  while (Clock::now() < deadline) {
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      ADD_FAILURE() << "server exited during start-up; log:\n" << log();
      pid_ = -1;
      return false;
    }
    std::istringstream lines(ReadFile(pid_file));
    std::string line, first, eighth;
    for (int i = 1; std::getline(lines, line); ++i) {
      if (i == 1) first = line;
      if (i == 8) eighth = line;
    }
    if (first == std::to_string(pid_) && eighth.rfind("ready", 0) == 0) return true;
    SleepMs(20);
  }
  ADD_FAILURE() << "server did not become ready in " << timeout_s << " s; log:\n" << log();
  return false;
}

int TestCluster::StartExpectingFailure(const std::vector<std::string>& extra_args, int timeout_s) {
  if (port_ == 0) port_ = FreePort();
  std::vector<std::string> argv = {KeelBinary("keel"), "-D", data_dir_,
                                   "-c", "port=" + std::to_string(port_),
                                   "-c", "listen_addresses=127.0.0.1",
                                   "-c", "unix_socket_directories=" + socket_dir_};
  argv.insert(argv.end(), extra_args.begin(), extra_args.end());
  CommandResult r = RunCommand(argv, timeout_s);
  std::ofstream(log_path_, std::ios::app) << r.output;
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
  auto deadline = Clock::now() + std::chrono::seconds(timeout_s);
  while (Clock::now() < deadline) {
    PgConn conn = Connect();
    if (PQstatus(conn.get()) == CONNECTION_OK) return true;
    SleepMs(100);
  }
  return false;
}

std::vector<pid_t> TestCluster::ChildPids() const {
  std::vector<pid_t> children;
  std::string path = "/proc/" + std::to_string(pid_) + "/task/" + std::to_string(pid_) + "/children";
  std::istringstream in(ReadFile(path));
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
  auto deadline = Clock::now() + std::chrono::seconds(timeout_s);
  PostgresPollingStatusType poll_status = PGRES_POLLING_WRITING;
  while (poll_status != PGRES_POLLING_OK && poll_status != PGRES_POLLING_FAILED) {
    int left = static_cast<int>(
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count());
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
