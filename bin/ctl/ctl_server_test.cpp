// keel-ctl against the real server binary `keel` (postmaster/): start, status, reload, restart,
// stop in every mode, and a second start refused by the running server. See bin/README.md.
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <iostream>
#include <string>
#include <thread>
#include <utility>

#include <gtest/gtest.h>
#include <libpq-fe.h>

#include "bin/ctl/ctl_test_fixture.h"
#include "bin/ctl/postmaster_pid.h"
#include "tests/support/files.h"
#include "tests/support/free_port.h"
#include "tests/support/run_program.h"

namespace keel::ctl {
namespace {

namespace fs = std::filesystem;
using keel::testing::FreePort;
using keel::testing::KeelBinary;
using keel::testing::ProgramResult;
using keel::testing::ReadWholeFile;

class CtlServerTest : public CtlTestBase {
 protected:
  void SetUp() override {
    if (!fs::exists(KeelBinary("keel"))) GTEST_SKIP() << "server binary keel not built";
    CtlTestBase::SetUp();
    if (HasFatalFailure()) return;
    port_ = FreePort();
    ASSERT_GT(port_, 0);
    server_options_ = "-c port=" + std::to_string(port_) +
                      " -c unix_socket_directories=" + tmp_.path() +
                      " -c listen_addresses=127.0.0.1";
  }

  void TearDown() override {
    if (data_.empty()) return;  // skipped
    if (pid_t pid = LiveServerPid()) {
      (void)Ctl({"stop", "-D", data_, "-m", "immediate", "-t", "30"});
      if (ProcessIsAlive(pid)) ::kill(pid, SIGKILL);
    }
    if (HasFailure()) {
      std::cerr << "server log:\n" << ReadWholeFile(log_).value_or("(none)") << "\n";
    }
  }

  // keel-ctl with a time limit above the -t 30 the tests pass it.
  ProgramResult Ctl(std::vector<std::string> args) const {
    return CtlTestBase::Ctl(std::move(args), {}, 90);
  }
  ProgramResult Start() const {
    return Ctl({"start", "-D", data_, "-l", log_, "-t", "30", "-o", server_options_});
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

  int port_ = 0;
  std::string server_options_;
};

TEST_F(CtlServerTest, StartStatusStop) {
  ProgramResult r = Start();
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
    ProgramResult r = Start();
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
  ProgramResult r = Ctl({"reload", "-D", data_});
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
  ProgramResult r = Ctl({"restart", "-D", data_, "-l", log_, "-t", "30"});
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
  ProgramResult r = Start();
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
