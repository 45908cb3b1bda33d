// keel-ctl against the real server binary `keel` (postmaster/): start, status, reload, restart,
// stop in every mode, and a second start refused by the running server. See bin/README.md.
#include <arpa/inet.h>
#include <signal.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <iostream>
#include <string>
#include <thread>

#include <gtest/gtest.h>
#include <libpq-fe.h>

#include "bin/common/tool_test_support.h"
#include "bin/ctl/postmaster_pid.h"

namespace keel::ctl {
namespace {

namespace fs = std::filesystem;
using tools::testing::ReadWholeFile;
using tools::testing::RunTool;
using tools::testing::TempDir;
using tools::testing::ToolPath;
using tools::testing::ToolResult;

// A TCP port nobody listens on right now: bind to port 0, read the port, close.
int FreePort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return 0;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof(addr);
  int port = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    port = ntohs(addr.sin_port);
  }
  ::close(fd);
  return port;
}

class CtlServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!fs::exists(ToolPath("keel"))) GTEST_SKIP() << "server binary keel not built";
    data_ = tmp_.path() + "/data";
    log_ = tmp_.path() + "/server.log";
    ToolResult r = RunTool({ToolPath("keel-initdb"), "-D", data_, "--no-sync"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    port_ = FreePort();
    ASSERT_GT(port_, 0);
    server_options_ = "-c port=" + std::to_string(port_) +
                      " -c unix_socket_directories=" + tmp_.path() +
                      " -c listen_addresses=127.0.0.1";
  }

  void TearDown() override {
    if (data_.empty()) return;
    PostmasterPid pid;
    int saved_errno = 0;
    if (ReadPostmasterPid(data_ + "/postmaster.pid", &pid, &saved_errno) == PidFileRead::kOk &&
        ProcessIsAlive(pid.pid)) {
      (void)Ctl({"stop", "-D", data_, "-m", "immediate", "-t", "30"});
      if (ProcessIsAlive(pid.pid)) ::kill(pid.pid, SIGKILL);
    }
    if (HasFailure()) {
      std::cerr << "server log:\n" << ReadWholeFile(log_).value_or("(none)") << "\n";
    }
  }

  ToolResult Ctl(std::vector<std::string> args) {
    args.insert(args.begin(), ToolPath("keel-ctl"));
    return RunTool(args, {}, 90);
  }
  ToolResult Start() {
    return Ctl({"start", "-D", data_, "-l", log_, "-t", "30", "-o", server_options_});
  }

  pid_t RunningPid() {
    PostmasterPid pid;
    int saved_errno = 0;
    if (ReadPostmasterPid(data_ + "/postmaster.pid", &pid, &saved_errno) != PidFileRead::kOk) {
      return 0;
    }
    return pid.pid;
  }

  // The server answers on its Unix socket and on TCP (authentication is not attempted).
  void ExpectAcceptingConnections() {
    std::string port = std::to_string(port_);
    for (const std::string& host : {tmp_.path(), std::string("127.0.0.1")}) {
      const char* keys[] = {"host", "port", "dbname", "connect_timeout", nullptr};
      const char* values[] = {host.c_str(), port.c_str(), "postgres", "10", nullptr};
      EXPECT_EQ(PQpingParams(keys, values, 0), PQPING_OK) << host;
    }
  }

  TempDir tmp_;
  std::string data_;
  std::string log_;
  int port_ = 0;
  std::string server_options_;
};

TEST_F(CtlServerTest, StartStatusStop) {
  ToolResult r = Start();
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find(" done\nserver started\n"), std::string::npos) << r.out;
  pid_t pid = RunningPid();
  ASSERT_GT(pid, 0);

  PostmasterPid contents;
  int saved_errno = 0;
  ASSERT_EQ(ReadPostmasterPid(data_ + "/postmaster.pid", &contents, &saved_errno),
            PidFileRead::kOk);
  EXPECT_TRUE(contents.IsReady());
  EXPECT_EQ(contents.Line(kPidLineDataDir), fs::canonical(data_).string());
  EXPECT_EQ(contents.Line(kPidLinePort), std::to_string(port_));
  ExpectAcceptingConnections();

  r = Ctl({"status", "-D", data_});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.out.rfind("keel-ctl: server is running (PID: " + std::to_string(pid) + ")\n", 0),
            0u)
      << r.out;
  EXPECT_NE(r.out.find("\"port=" + std::to_string(port_) + "\""), std::string::npos) << r.out;

  r = Ctl({"stop", "-D", data_, "-t", "30"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find(" done\nserver stopped\n"), std::string::npos) << r.out;
  EXPECT_FALSE(fs::exists(data_ + "/postmaster.pid"));
  EXPECT_FALSE(ProcessIsAlive(pid));
  r = Ctl({"status", "-D", data_});
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_EQ(r.out, "keel-ctl: no server running\n");
}

TEST_F(CtlServerTest, EveryShutdownMode) {
  for (const char* mode : {"smart", "fast", "immediate"}) {
    ToolResult r = Start();
    ASSERT_EQ(r.exit_code, 0) << mode << r.out << r.err;
    pid_t pid = RunningPid();
    r = Ctl({"stop", "-D", data_, "-m", mode, "-t", "30"});
    ASSERT_EQ(r.exit_code, 0) << mode << r.out << r.err;
    EXPECT_FALSE(ProcessIsAlive(pid)) << mode;
    EXPECT_FALSE(fs::exists(data_ + "/postmaster.pid")) << mode;
  }
}

TEST_F(CtlServerTest, ReloadKeepsServerRunning) {
  ASSERT_EQ(Start().exit_code, 0);
  pid_t pid = RunningPid();
  ToolResult r = Ctl({"reload", "-D", data_});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "server signaled\n");
  std::this_thread::sleep_for(std::chrono::milliseconds(200));  // let it handle SIGHUP
  EXPECT_TRUE(ProcessIsAlive(pid));
  EXPECT_EQ(RunningPid(), pid);
  ExpectAcceptingConnections();
  EXPECT_EQ(Ctl({"stop", "-D", data_, "-t", "30"}).exit_code, 0);
}

TEST_F(CtlServerTest, RestartKeepsOptions) {
  ASSERT_EQ(Start().exit_code, 0);
  pid_t first = RunningPid();
  ToolResult r = Ctl({"restart", "-D", data_, "-l", log_, "-t", "30"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("server stopped\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("server started\n"), std::string::npos) << r.out;
  pid_t second = RunningPid();
  EXPECT_NE(second, first);
  EXPECT_FALSE(ProcessIsAlive(first));
  EXPECT_TRUE(ProcessIsAlive(second));
  ExpectAcceptingConnections();  // same port and socket directory as before
  EXPECT_EQ(Ctl({"stop", "-D", data_, "-t", "30"}).exit_code, 0);
}

TEST_F(CtlServerTest, SecondStartIsRefusedByServer) {
  ASSERT_EQ(Start().exit_code, 0);
  pid_t first = RunningPid();
  ToolResult r = Start();
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err.rfind("keel-ctl: another server might be running; trying to start server "
                        "anyway\n",
                        0),
            0u)
      << r.err;
  EXPECT_NE(r.err.find("keel-ctl: could not start server\nExamine the log output.\n"),
            std::string::npos)
      << r.err;
  EXPECT_EQ(RunningPid(), first);
  EXPECT_TRUE(ProcessIsAlive(first));
  EXPECT_NE(ReadWholeFile(log_).value_or("").find("lock file \"postmaster.pid\" already exists"),
            std::string::npos);
  EXPECT_EQ(Ctl({"stop", "-D", data_, "-t", "30"}).exit_code, 0);
}

}  // namespace
}  // namespace keel::ctl
