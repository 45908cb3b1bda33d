// End to end: a real server answers pg_isready, psql and libpq as PostgreSQL would, up to
// the SQL engine (every statement gets 0A000 until it lands).
#include <gtest/gtest.h>
#include <libpq-fe.h>

#include <thread>
#include <vector>

#include "tests/e2e/test_cluster.h"
#include "tests/support/run_program.h"

namespace keel::testing {
namespace {

TEST(ServerTest, PgIsReadyAnswersOverTcpAndUnixSocket) {
  TestCluster cluster;
  ASSERT_TRUE(cluster.Start());
  std::string port = std::to_string(cluster.port());
  ProgramResult tcp = RunProgram({"pg_isready", "-h", "127.0.0.1", "-p", port, "-t", "10"});
  EXPECT_EQ(tcp.exit_code, 0) << tcp.Output();
  EXPECT_NE(tcp.Output().find("accepting connections"), std::string::npos) << tcp.Output();
  ProgramResult unix_socket =
      RunProgram({"pg_isready", "-h", cluster.socket_dir(), "-p", port, "-t", "10"});
  EXPECT_EQ(unix_socket.exit_code, 0) << unix_socket.Output();
}

TEST(ServerTest, PsqlGetsNotSupportedErrorAndExitsCleanly) {
  TestCluster cluster;
  ASSERT_TRUE(cluster.Start());
  ProgramResult r = RunProgram({"psql", "-X", "-h", "127.0.0.1", "-p",
                                std::to_string(cluster.port()), "-U", "keel", "-d", "postgres",
                                "-c", "select 1"});
  // psql exits 1 when the server reports an error for -c; the session itself worked.
  EXPECT_EQ(r.exit_code, 1) << r.Output();
  EXPECT_NE(r.Output().find("ERROR:  statement not supported yet"), std::string::npos)
      << r.Output();
  EXPECT_EQ(r.Output().find("connection"), std::string::npos) << r.Output();
}

TEST(ServerTest, SessionStaysUsableAfterErrors) {
  TestCluster cluster;
  ASSERT_TRUE(cluster.Start());
  PgConn conn = cluster.Connect();
  ASSERT_EQ(PQstatus(conn.get()), CONNECTION_OK) << PQerrorMessage(conn.get());
  for (int i = 0; i < 3; ++i) {
    PGresult* res = PQexec(conn.get(), "select 1");
    EXPECT_EQ(PQresultStatus(res), PGRES_FATAL_ERROR);
    EXPECT_EQ(SqlStateOf(res), "0A000");
    PQclear(res);
  }
  PGresult* empty = PQexec(conn.get(), "  ; -- nothing here\n/* nor /* here */ */");
  EXPECT_EQ(PQresultStatus(empty), PGRES_EMPTY_QUERY);
  PQclear(empty);
  EXPECT_EQ(PQstatus(conn.get()), CONNECTION_OK);
  EXPECT_EQ(PQtransactionStatus(conn.get()), PQTRANS_IDLE);
}

TEST(ServerTest, ExtendedProtocolErrorLeavesSessionUsable) {
  TestCluster cluster;
  ASSERT_TRUE(cluster.Start());
  PgConn conn = cluster.Connect();
  ASSERT_EQ(PQstatus(conn.get()), CONNECTION_OK) << PQerrorMessage(conn.get());
  PGresult* res = PQprepare(conn.get(), "s1", "select $1::int", 0, nullptr);
  EXPECT_EQ(PQresultStatus(res), PGRES_FATAL_ERROR);
  EXPECT_EQ(SqlStateOf(res), "0A000");
  PQclear(res);
  const char* values[] = {"1"};
  res = PQexecParams(conn.get(), "select $1", 1, nullptr, values, nullptr, nullptr, 0);
  EXPECT_EQ(SqlStateOf(res), "0A000");
  PQclear(res);
  EXPECT_EQ(PQstatus(conn.get()), CONNECTION_OK);
}

TEST(ServerTest, ReportsParametersLikePostgres15) {
  TestCluster cluster;
  ASSERT_TRUE(cluster.Start());
  PgConn conn = cluster.Connect("application_name=e2e options='-c DateStyle=ISO,DMY'");
  ASSERT_EQ(PQstatus(conn.get()), CONNECTION_OK) << PQerrorMessage(conn.get());
  EXPECT_EQ(PQserverVersion(conn.get()) / 10000, 15);
  EXPECT_STREQ(PQparameterStatus(conn.get(), "server_encoding"), "UTF8");
  EXPECT_STREQ(PQparameterStatus(conn.get(), "client_encoding"), "UTF8");
  EXPECT_STREQ(PQparameterStatus(conn.get(), "integer_datetimes"), "on");
  EXPECT_STREQ(PQparameterStatus(conn.get(), "standard_conforming_strings"), "on");
  EXPECT_STREQ(PQparameterStatus(conn.get(), "application_name"), "e2e");
  EXPECT_STREQ(PQparameterStatus(conn.get(), "DateStyle"), "ISO, DMY");
  EXPECT_STREQ(PQparameterStatus(conn.get(), "is_superuser"), "on");
  EXPECT_STREQ(PQparameterStatus(conn.get(), "session_authorization"), "keel");
  EXPECT_NE(PQparameterStatus(conn.get(), "TimeZone"), nullptr);
  EXPECT_GT(PQbackendPID(conn.get()), 0);
}

TEST(ServerTest, BadStartupSettingIsFatalWithPostgresError) {
  TestCluster cluster;
  ASSERT_TRUE(cluster.Start());
  ConnectAttempt a = TryConnect(cluster.ConnInfo("options='-c no_such_setting=1'"));
  EXPECT_FALSE(a.conn);
  EXPECT_EQ(a.sqlstate, "42704") << a.error;
  EXPECT_NE(a.error.find("unrecognized configuration parameter \"no_such_setting\""),
            std::string::npos) << a.error;
  ConnectAttempt b = TryConnect(cluster.ConnInfo("options='-c port=1'"));
  EXPECT_EQ(b.sqlstate, "55P02") << b.error;
  EXPECT_TRUE(cluster.Connect().get() && PQstatus(cluster.Connect().get()) == CONNECTION_OK);
}

TEST(ServerTest, MaxConnectionsPlusOneGetsTooManyClients) {
  TestCluster cluster;
  cluster.AppendConf("max_connections = 4");
  ASSERT_TRUE(cluster.Start());
  std::vector<PgConn> held;
  for (int i = 0; i < 4; ++i) {
    held.push_back(cluster.Connect());
    ASSERT_EQ(PQstatus(held.back().get()), CONNECTION_OK) << i << PQerrorMessage(held.back().get());
  }
  ConnectAttempt extra = TryConnect(cluster.ConnInfo());
  EXPECT_FALSE(extra.conn);
  EXPECT_EQ(extra.sqlstate, "53300") << extra.error;
  EXPECT_NE(extra.error.find("sorry, too many clients already"), std::string::npos) << extra.error;
  held.pop_back();  // a slot frees up when a session ends
  bool reconnected = false;
  for (int i = 0; i < 100 && !reconnected; ++i) {
    PgConn again = cluster.Connect();
    reconnected = PQstatus(again.get()) == CONNECTION_OK;
    if (reconnected) held.push_back(std::move(again));
    else std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_TRUE(reconnected);
}

TEST(ServerTest, CancelRequestIsAcceptedAndSessionGoesOn) {
  TestCluster cluster;
  ASSERT_TRUE(cluster.Start());
  PgConn conn = cluster.Connect();
  ASSERT_EQ(PQstatus(conn.get()), CONNECTION_OK);
  PGcancel* cancel = PQgetCancel(conn.get());
  char err[256];
  EXPECT_EQ(PQcancel(cancel, err, sizeof(err)), 1) << err;
  PQfreeCancel(cancel);
  PGresult* res = PQexec(conn.get(), "");
  EXPECT_EQ(PQresultStatus(res), PGRES_EMPTY_QUERY);
  PQclear(res);
}

TEST(ServerTest, ManyConcurrentSessions) {
  TestCluster cluster;
  ASSERT_TRUE(cluster.Start());
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 10; ++i) {
        PgConn conn = cluster.Connect();
        if (PQstatus(conn.get()) != CONNECTION_OK) continue;
        PGresult* res = PQexec(conn.get(), "select 1");
        if (SqlStateOf(res) == "0A000") ok++;
        PQclear(res);
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), 80);
}

}  // namespace
}  // namespace keel::testing
