// End to end: the postmaster's process lifecycle — crash restart, the three shutdown modes,
// the data-directory interlocks, reload, timeouts — with real processes killed for real.
#include <gtest/gtest.h>
#include <libpq-fe.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "tests/e2e/raw_client.h"
#include "tests/e2e/test_cluster.h"
#include "tests/support/files.h"
#include "tests/support/free_port.h"
#include "tests/support/run_program.h"
#include "tests/support/wait_until.h"

namespace keel::testing {
namespace {

using Clock = std::chrono::steady_clock;

void SleepMs(int ms) { std::this_thread::sleep_for(std::chrono::milliseconds(ms)); }

// Orphaned server processes become our children, so they can be reaped and waited for.
class LifecycleTest : public ::testing::Test {
 protected:
  void SetUp() override { prctl(PR_SET_CHILD_SUBREAPER, 1); }
  void TearDown() override {
    while (waitpid(-1, nullptr, WNOHANG) > 0) {
    }
  }
};

// True once `pid` has exited (reaping it if it is our child).
bool WaitGone(pid_t pid, int timeout_s) {
  return WaitUntil(
      [pid] {
        waitpid(pid, nullptr, WNOHANG);
        return kill(pid, 0) != 0 && errno == ESRCH;
      },
      timeout_s);
}

bool SessionWorks(PGconn* conn) {
  PGresult* res = PQexec(conn, "");
  bool ok = PQresultStatus(res) == PGRES_EMPTY_QUERY;
  PQclear(res);
  return ok;
}

TEST_F(LifecycleTest, AuxiliaryProcessesRun) {
  TestCluster cluster;
  ASSERT_TRUE(cluster.Start());
  EXPECT_GE(cluster.ChildPids().size(), 3u);
  std::string log = cluster.log();
  EXPECT_NE(log.find("database system is ready to accept connections"), std::string::npos) << log;
}

TEST_F(LifecycleTest, SigkillOfBackendRestartsEverything) {
  TestCluster cluster;
  ASSERT_TRUE(cluster.Start());
  PgConn victim = cluster.Connect();
  PgConn bystander = cluster.Connect();
  ASSERT_EQ(PQstatus(victim.get()), CONNECTION_OK);
  ASSERT_EQ(PQstatus(bystander.get()), CONNECTION_OK);
  std::vector<pid_t> before = cluster.ChildPids();
  kill(PQbackendPID(victim.get()), SIGKILL);
  // The bystander is told to go away: its shared memory may be corrupt.
  EXPECT_TRUE(WaitUntil([&bystander] { return !SessionWorks(bystander.get()); }, 10, 50));
  auto start = Clock::now();
  ASSERT_TRUE(cluster.WaitUntilAccepting(15)) << cluster.log();
  EXPECT_LT(Clock::now() - start, std::chrono::seconds(10));
  std::string log = cluster.log();
  EXPECT_NE(log.find("was terminated by signal 9"), std::string::npos) << log;
  EXPECT_NE(log.find("all server processes terminated; reinitializing"), std::string::npos) << log;
  // Every auxiliary process is a new one.
  std::vector<pid_t> after = cluster.ChildPids();
  for (pid_t p : before) EXPECT_EQ(std::count(after.begin(), after.end(), p), 0);
}

TEST_F(LifecycleTest, SigkillOfAuxiliaryProcessRestartsEverything) {
  TestCluster cluster;
  ASSERT_TRUE(cluster.Start());
  std::vector<pid_t> aux = cluster.ChildPids();
  ASSERT_FALSE(aux.empty());
  kill(aux.front(), SIGKILL);
  SleepMs(200);
  ASSERT_TRUE(cluster.WaitUntilAccepting(15)) << cluster.log();
  EXPECT_NE(cluster.log().find("reinitializing"), std::string::npos);
}

TEST_F(LifecycleTest, FastStopWithClientsTakesUnderTwoSeconds) {
  TestCluster cluster;
  ASSERT_TRUE(cluster.Start());
  std::vector<PgConn> clients;
  for (int i = 0; i < 5; ++i) {
    clients.push_back(cluster.Connect());
    ASSERT_EQ(PQstatus(clients.back().get()), CONNECTION_OK);
  }
  auto start = Clock::now();
  ProgramResult r =
      RunProgram({KeelBinary("keel-ctl"), "stop", "-D", cluster.data_dir(), "-m", "fast"}, {}, 30);
  auto elapsed = Clock::now() - start;
  EXPECT_EQ(r.exit_code, 0) << r.Output();
  EXPECT_LT(elapsed, std::chrono::seconds(2));
  EXPECT_TRUE(WaitGone(cluster.postmaster_pid(), 10));
  cluster.Forget();
  // Clients were told why.
  PGresult* res = PQexec(clients[0].get(), "");
  EXPECT_NE(std::string(PQerrorMessage(clients[0].get())).find("terminating connection due to "
                                                                  "administrator command"),
            std::string::npos)
      << PQerrorMessage(clients[0].get());
  PQclear(res);
  EXPECT_NE(cluster.log().find("database system is shut down"), std::string::npos);
  EXPECT_NE(access((cluster.data_dir() + "/postmaster.pid").c_str(), F_OK), 0);
}

TEST_F(LifecycleTest, SmartShutdownWaitsForClientsAndRefusesNewOnes) {
  TestCluster cluster;
  ASSERT_TRUE(cluster.Start());
  PgConn client = cluster.Connect();
  ASSERT_EQ(PQstatus(client.get()), CONNECTION_OK);
  kill(cluster.postmaster_pid(), SIGTERM);
  SleepMs(500);
  EXPECT_EQ(kill(cluster.postmaster_pid(), 0), 0);  // still running for our client
  EXPECT_TRUE(SessionWorks(client.get()));
  ConnectAttempt refused = TryConnect(cluster.ConnInfo());
  EXPECT_EQ(refused.sqlstate, "57P03") << refused.error;
  EXPECT_NE(refused.error.find("the database system is shutting down"), std::string::npos);
  client.reset();
  EXPECT_NE(cluster.Stop('s', 15), -1) << cluster.log();
}

TEST_F(LifecycleTest, ImmediateShutdownAndRestart) {
  TestCluster cluster;
  ASSERT_TRUE(cluster.Start());
  PgConn client = cluster.Connect();
  ASSERT_EQ(PQstatus(client.get()), CONNECTION_OK);
  int status = cluster.Stop('i', 10);
  ASSERT_NE(status, -1);
  EXPECT_TRUE(WIFEXITED(status));
  EXPECT_FALSE(SessionWorks(client.get()));
  ASSERT_TRUE(cluster.Start());
  EXPECT_TRUE(cluster.WaitUntilAccepting(10));
}

TEST_F(LifecycleTest, SecondPostmasterOnSameDirectoryIsRefused) {
  TestCluster cluster;
  ASSERT_TRUE(cluster.Start());
  int code = cluster.StartExpectingFailure({"-c", "port=" + std::to_string(FreePort())});
  EXPECT_EQ(code, 1);
  std::string log = cluster.log();
  EXPECT_NE(log.find("lock file \"postmaster.pid\" already exists"), std::string::npos) << log;
  EXPECT_TRUE(cluster.WaitUntilAccepting(5));  // the first one is untouched
}

TEST_F(LifecycleTest, StalePidFileIsRemoved) {
  TestCluster cluster;
  pid_t dead = fork();
  if (dead == 0) _exit(0);
  waitpid(dead, nullptr, 0);
  ASSERT_TRUE(WriteWholeFile(cluster.data_dir() + "/postmaster.pid",
                             std::to_string(dead) + "\n" + cluster.data_dir() + "\n"));
  ASSERT_TRUE(cluster.Start());
  EXPECT_NE(cluster.log().find("removing stale lock file"), std::string::npos);
}

TEST_F(LifecycleTest, BackendsExitWhenPostmasterDies) {
  TestCluster cluster;
  ASSERT_TRUE(cluster.Start());
  PgConn client = cluster.Connect();
  ASSERT_EQ(PQstatus(client.get()), CONNECTION_OK);
  pid_t backend = PQbackendPID(client.get());
  std::vector<pid_t> children = cluster.ChildPids();
  kill(cluster.postmaster_pid(), SIGKILL);
  EXPECT_TRUE(WaitGone(cluster.postmaster_pid(), 10));
  cluster.Forget();
  EXPECT_TRUE(WaitGone(backend, 10));
  for (pid_t p : children) EXPECT_TRUE(WaitGone(p, 10)) << p;
  ASSERT_TRUE(cluster.Start()) << cluster.log();  // stale pid file, nobody attached
}

TEST_F(LifecycleTest, OrphanedChildStillAttachedBlocksNewPostmaster) {
  TestCluster cluster;
  ASSERT_TRUE(cluster.Start());
  PgConn client = cluster.Connect();
  ASSERT_EQ(PQstatus(client.get()), CONNECTION_OK);
  pid_t backend = PQbackendPID(client.get());
  kill(backend, SIGSTOP);  // frozen: it cannot notice the postmaster's death
  kill(cluster.postmaster_pid(), SIGKILL);
  EXPECT_TRUE(WaitGone(cluster.postmaster_pid(), 10));
  cluster.Forget();
  SleepMs(300);
  int code = cluster.StartExpectingFailure();
  EXPECT_EQ(code, 1);
  std::string log = cluster.log();
  EXPECT_NE(log.find("pre-existing shared memory block"), std::string::npos) << log;
  EXPECT_NE(log.find("is still in use"), std::string::npos) << log;
  kill(backend, SIGKILL);
  EXPECT_TRUE(WaitGone(backend, 10));
  ASSERT_TRUE(cluster.Start()) << cluster.log();
}

TEST_F(LifecycleTest, ReloadAppliesNewHbaToNewConnectionsOnly) {
  TestCluster cluster;
  ASSERT_TRUE(cluster.Start());
  PgConn existing = cluster.Connect();
  ASSERT_EQ(PQstatus(existing.get()), CONNECTION_OK);
  cluster.WriteHba("host all all 127.0.0.1/32 reject\n");
  ProgramResult r = RunProgram({KeelBinary("keel-ctl"), "reload", "-D", cluster.data_dir()});
  EXPECT_EQ(r.exit_code, 0) << r.Output();
  std::string sqlstate;
  EXPECT_TRUE(WaitUntil(
      [&] { return (sqlstate = TryConnect(cluster.ConnInfo()).sqlstate) == "28000"; }, 10, 100))
      << "last SQLSTATE: " << sqlstate;
  EXPECT_TRUE(SessionWorks(existing.get()));
  EXPECT_NE(cluster.log().find("received SIGHUP, reloading configuration files"), std::string::npos);
}

TEST_F(LifecycleTest, BrokenHbaOnReloadKeepsOldRules) {
  TestCluster cluster;
  ASSERT_TRUE(cluster.Start());
  cluster.WriteHba("host all all 127.0.0.1/32 no-such-method\n");
  kill(cluster.postmaster_pid(), SIGHUP);
  SleepMs(500);
  EXPECT_TRUE(TryConnect(cluster.ConnInfo()).conn) << cluster.log();
  EXPECT_NE(cluster.log().find("keel_hba.conf was not reloaded"), std::string::npos) << cluster.log();
}

TEST_F(LifecycleTest, SilentClientIsDroppedAfterAuthenticationTimeout) {
  TestCluster cluster;
  cluster.AppendConf("authentication_timeout = 1s");
  ASSERT_TRUE(cluster.Start());
  RawClient silent(cluster.port());
  ASSERT_TRUE(silent.ok());
  RawClient half(cluster.port());
  ASSERT_TRUE(half.ok());
  half.Send(RawClient::Int32(100));  // announces a packet that never comes
  auto start = Clock::now();
  EXPECT_TRUE(silent.WaitClosed(15000));
  EXPECT_TRUE(half.WaitClosed(15000));
  EXPECT_LT(Clock::now() - start, std::chrono::seconds(10));
  EXPECT_TRUE(cluster.WaitUntilAccepting(5));
}

TEST_F(LifecycleTest, BadSettingOnCommandLineStopsStartWithClearError) {
  TestCluster cluster;
  EXPECT_EQ(cluster.StartExpectingFailure({"-c", "max_connections=many"}), 1);
  std::string log = cluster.log();
  EXPECT_NE(log.find("invalid value for parameter \"max_connections\": \"many\""),
            std::string::npos) << log;
  EXPECT_NE(access((cluster.data_dir() + "/postmaster.pid").c_str(), F_OK), 0);
}

TEST_F(LifecycleTest, BadConfigFileNamesFileAndLine) {
  TestCluster cluster;
  cluster.AppendConf("no_such_parameter = 1");
  EXPECT_EQ(cluster.StartExpectingFailure(), 1);
  std::string log = cluster.log();
  EXPECT_NE(log.find("unrecognized configuration parameter \"no_such_parameter\" in file"),
            std::string::npos) << log;
  EXPECT_NE(log.find("keel.conf\" line"), std::string::npos) << log;
}

}  // namespace
}  // namespace keel::testing
