// End to end: regressions from the review of the postmaster — a child whose set-up fails, a
// removed postmaster.pid, SIGKILL escalation after an earlier crash, what clients are told on
// SIGQUIT, reload logging, stray signals, crashes during shutdown, failed starts, log lines.
#include <gtest/gtest.h>
#include <libpq-fe.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <thread>

#include "tests/e2e/test_cluster.h"
#include "tests/support/files.h"
#include "tests/support/free_port.h"
#include "tests/support/wait_until.h"

namespace keel::testing {
namespace {

using Clock = std::chrono::steady_clock;

void SleepMs(int ms) { std::this_thread::sleep_for(std::chrono::milliseconds(ms)); }

class RobustnessTest : public ::testing::Test {
 protected:
  void SetUp() override { prctl(PR_SET_CHILD_SUBREAPER, 1); }
  void TearDown() override {
    while (waitpid(-1, nullptr, WNOHANG) > 0) {
    }
  }
};

// True once `pid` has exited (reaping it if it is our child).
bool WaitGone(pid_t pid, int timeout_s) {
  return testing::WaitUntil(
      [pid] {
        waitpid(pid, nullptr, WNOHANG);
        return kill(pid, 0) != 0 && errno == ESRCH;
      },
      timeout_s);
}

bool WaitForLog(const TestCluster& cluster, const std::string& text, int timeout_s) {
  return WaitUntil([&] { return cluster.log().find(text) != std::string::npos; }, timeout_s);
}

size_t Count(const std::string& haystack, const std::string& needle) {
  size_t n = 0;
  for (size_t at = haystack.find(needle); at != std::string::npos; at = haystack.find(needle, at + 1)) ++n;
  return n;
}

void CollectNotice(void* arg, const PGresult* result) {
  auto* notices = static_cast<std::string*>(arg);
  *notices += PQresultErrorMessage(result);
}

TEST_F(RobustnessTest, ChildWhoseSetUpFailsEndsAloneWithoutCrashRestart) {
  TestCluster cluster;
  std::string marker = cluster.data_dir() + "/../fail_pipe2";
  cluster.SetEnv("LD_PRELOAD", KEEL_FAIL_PIPE2_SHIM);
  cluster.SetEnv("KEEL_TEST_FAIL_CHILD_PIPE2", marker);
  cluster.SetEnv("ASAN_OPTIONS", "detect_leaks=0:verify_asan_link_order=0");
  ASSERT_TRUE(cluster.Start());
  ASSERT_TRUE(WriteWholeFile(marker, "x"));
  ConnectAttempt refused = TryConnect(cluster.ConnInfo());
  EXPECT_FALSE(refused.conn);
  std::filesystem::remove(marker);
  ASSERT_TRUE(cluster.WaitUntilAccepting(10)) << cluster.log();
  std::string log = cluster.log();
  EXPECT_NE(log.find("FATAL"), std::string::npos) << log;
  EXPECT_EQ(log.find("terminated by signal"), std::string::npos) << log;
  EXPECT_EQ(log.find("reinitializing"), std::string::npos) << log;
  EXPECT_EQ(access((cluster.data_dir() + "/postmaster.pid").c_str(), F_OK), 0);
}

TEST_F(RobustnessTest, RemovedPidFileNeitherAdmitsASecondServerNorGoesUnnoticed) {
  TestCluster cluster;
  ASSERT_TRUE(cluster.Start());
  ASSERT_EQ(unlink((cluster.data_dir() + "/postmaster.pid").c_str()), 0);
  pid_t first = cluster.postmaster_pid();
  cluster.Forget();
  EXPECT_EQ(cluster.StartExpectingFailure({"-c", "port=" + std::to_string(FreePort())}), 1);
  EXPECT_NE(cluster.log().find("pre-existing shared memory block"), std::string::npos)
      << cluster.log();
  // The first server notices within its 10 s check interval and stops.
  EXPECT_TRUE(WaitForLog(cluster, "data directory lock file is invalid", 30)) << cluster.log();
  EXPECT_TRUE(WaitGone(first, 30));
}

TEST_F(RobustnessTest, ImmediateShutdownEscalatesToSigkillAgainAfterAnEarlierCrash) {
  TestCluster cluster;
  ASSERT_TRUE(cluster.Start());
  std::vector<pid_t> aux = cluster.ChildPids();
  ASSERT_GE(aux.size(), 2u);
  kill(aux[0], SIGSTOP);  // will ignore SIGQUIT
  kill(aux[1], SIGKILL);  // crash: everyone gets SIGQUIT, then SIGKILL after 5 s
  ASSERT_TRUE(WaitForLog(cluster, "issuing SIGKILL", 20)) << cluster.log();
  ASSERT_TRUE(cluster.WaitUntilAccepting(30)) << cluster.log();
  std::vector<pid_t> again = cluster.ChildPids();
  ASSERT_FALSE(again.empty());
  kill(again[0], SIGSTOP);
  auto start = Clock::now();
  EXPECT_NE(cluster.Stop('i', 20), -1) << cluster.log();
  EXPECT_LT(Clock::now() - start, std::chrono::seconds(15));
}

TEST_F(RobustnessTest, ImmediateShutdownAndCrashTellClientsWhy) {
  TestCluster cluster;
  ASSERT_TRUE(cluster.Start());
  PgConn bystander = cluster.Connect();
  PgConn victim = cluster.Connect();
  ASSERT_EQ(PQstatus(bystander.get()), CONNECTION_OK);
  std::string crash_notices;
  PQsetNoticeReceiver(bystander.get(), CollectNotice, &crash_notices);
  kill(PQbackendPID(victim.get()), SIGKILL);
  SleepMs(500);
  PQclear(PQexec(bystander.get(), ""));
  std::string seen = crash_notices + PQerrorMessage(bystander.get());
  EXPECT_NE(seen.find("terminating connection because of crash of another server process"),
            std::string::npos) << seen;
  ASSERT_TRUE(cluster.WaitUntilAccepting(30));

  PgConn client = cluster.Connect();
  ASSERT_EQ(PQstatus(client.get()), CONNECTION_OK);
  std::string notices;
  PQsetNoticeReceiver(client.get(), CollectNotice, &notices);
  EXPECT_NE(cluster.Stop('i'), -1);
  PQclear(PQexec(client.get(), ""));
  seen = notices + PQerrorMessage(client.get());
  EXPECT_NE(seen.find("terminating connection due to immediate shutdown command"),
            std::string::npos) << seen;
}

TEST_F(RobustnessTest, ReloadIsLoggedOnceNotByEveryProcess) {
  TestCluster cluster;
  ASSERT_TRUE(cluster.Start());
  PgConn client = cluster.Connect();
  ASSERT_EQ(PQstatus(client.get()), CONNECTION_OK);
  cluster.AppendConf("log_connections = on");
  kill(cluster.postmaster_pid(), SIGHUP);
  ASSERT_TRUE(WaitForLog(cluster, "changed to \"on\"", 10));
  SleepMs(1000);  // give every child time to (not) log it too
  EXPECT_EQ(Count(cluster.log(), "parameter \"log_connections\" changed to \"on\""), 1u)
      << cluster.log();
}

TEST_F(RobustnessTest, StraySignalsDoNotCrashTheServer) {
  TestCluster cluster;
  ASSERT_TRUE(cluster.Start());
  PgConn client = cluster.Connect();
  ASSERT_EQ(PQstatus(client.get()), CONNECTION_OK);
  kill(PQbackendPID(client.get()), SIGUSR1);
  kill(PQbackendPID(client.get()), SIGALRM);
  for (pid_t aux : cluster.ChildPids()) kill(aux, SIGUSR1);
  SleepMs(300);
  PGresult* res = PQexec(client.get(), "");
  EXPECT_EQ(PQresultStatus(res), PGRES_EMPTY_QUERY);
  PQclear(res);
  EXPECT_EQ(cluster.log().find("terminated by signal"), std::string::npos) << cluster.log();
}

TEST_F(RobustnessTest, CrashDuringShutdownIsReportedAsAbnormal) {
  TestCluster cluster;
  ASSERT_TRUE(cluster.Start());
  PgConn client = cluster.Connect();
  ASSERT_EQ(PQstatus(client.get()), CONNECTION_OK);
  kill(cluster.postmaster_pid(), SIGTERM);  // smart: waits for our client
  SleepMs(300);
  kill(PQbackendPID(client.get()), SIGKILL);
  int status = cluster.Stop('s', 20);
  ASSERT_NE(status, -1);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 1) << status;
  EXPECT_NE(cluster.log().find("abnormal database system shutdown"), std::string::npos)
      << cluster.log();
}

TEST_F(RobustnessTest, FailedStartLeavesNoSocketFiles) {
  TestCluster cluster;
  TempDir sockets;
  EXPECT_EQ(cluster.StartExpectingFailure(
                {"-c", "unix_socket_directories=" + sockets.path() + ",/nonexistent/dir"}),
            1);
  for (const auto& entry : std::filesystem::directory_iterator(sockets.path())) {
    ADD_FAILURE() << "left behind: " << entry.path();
  }
  EXPECT_NE(access((cluster.data_dir() + "/postmaster.pid").c_str(), F_OK), 0);
}

TEST_F(RobustnessTest, ConnectionAndDisconnectionLogLinesAsPostgres) {
  TestCluster cluster;
  cluster.AppendConf("log_connections = on\nlog_disconnections = on");
  ASSERT_TRUE(cluster.Start());
  {
    PgConn client = cluster.Connect();
    ASSERT_EQ(PQstatus(client.get()), CONNECTION_OK);
  }
  EXPECT_TRUE(WaitForLog(cluster, "disconnection: session time: ", 10)) << cluster.log();
  std::string log = cluster.log();
  EXPECT_NE(log.find("connection received: host=127.0.0.1"), std::string::npos) << log;
  EXPECT_NE(log.find("connection authorized: user=keel database=postgres"), std::string::npos);
  EXPECT_NE(log.find("user=keel database=postgres host=127.0.0.1"), std::string::npos) << log;
}

}  // namespace
}  // namespace keel::testing
