// Autovacuum end to end: the real launcher notices dead tuples through the table statistics,
// the postmaster starts a worker, the worker vacuums the table, and a table that is updated over
// and over stops growing. Through keel-heap-torture-server's line protocol.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <algorithm>
#include <sstream>
#include <string>

#include "tests/e2e/test_cluster.h"
#include "tests/support/wait_until.h"
#include "tests/torture/line_client.h"

namespace keel::torture {
namespace {

using testing::TestCluster;

struct Stats {
  int64_t live = -1, dead = -1, vacuums = -1, autovacuums = -1, blocks = -1;
};

Stats ReadStats(Client& client) {
  Stats s;
  std::istringstream in(client.Call("STATS").value_or(""));
  std::string word;
  in >> word >> s.live >> word >> s.dead >> word >> s.vacuums >> word >> s.autovacuums >> word >>
      s.blocks;
  return s;
}

void Send(Client& client, const std::string& line, const char* expect = "OK") {
  ASSERT_EQ(client.Call(line).value_or("no reply"), expect) << line;
}

class AutovacuumTest : public ::testing::Test {
 protected:
  void SetUp() override {
    prctl(PR_SET_CHILD_SUBREAPER, 1);
    cluster_.AppendConf("autovacuum_naptime = 1s\nlog_autovacuum_min_duration = 0\n"
                        "autovacuum_vacuum_threshold = 20\nautovacuum_vacuum_scale_factor = 0.1\n");
    ASSERT_TRUE(cluster_.Start());
    ASSERT_TRUE(WaitUntilServing(cluster_.port(), 30)) << cluster_.log();
  }
  TestCluster cluster_{{}, "keel-heap-torture-server"};
};

TEST_F(AutovacuumTest, DeadTuplesAreVacuumedAutomatically) {
  Client client(cluster_.port());
  Send(client, "INIT");
  Send(client, "BEGIN");
  for (int k = 0; k < 200; ++k) Send(client, "PUT " + std::to_string(k) + " " + std::to_string(k));
  Send(client, "COMMIT", "COMMITTED");
  Send(client, "BEGIN");
  for (int k = 0; k < 150; ++k) Send(client, "DEL " + std::to_string(k));
  Send(client, "COMMIT", "COMMITTED");
  Stats before = ReadStats(client);
  EXPECT_EQ(before.live, 50);
  EXPECT_EQ(before.dead, 150);
  ASSERT_TRUE(keel::testing::WaitUntil([&] { return ReadStats(client).autovacuums >= 1; }, 30))
      << cluster_.log();
  Stats after = ReadStats(client);
  EXPECT_EQ(after.dead, 0);
  EXPECT_EQ(after.live, 50);
  EXPECT_EQ(after.vacuums, 0);
  EXPECT_NE(cluster_.log().find("automatic vacuum of table \"torture_heap\""), std::string::npos)
      << cluster_.log();
  auto dump = client.Call("DUMP").value_or("");
  EXPECT_EQ(std::count(dump.begin(), dump.end(), '='), 50) << dump;
}

TEST_F(AutovacuumTest, RepeatedlyUpdatedTableStopsGrowing) {
  Client client(cluster_.port());
  Send(client, "INIT");
  Send(client, "BEGIN");
  for (int k = 0; k < 100; ++k) Send(client, "PUT " + std::to_string(k) + " 0");
  Send(client, "COMMIT", "COMMITTED");
  // Every round updates every row once (100 dead versions a round). Without any vacuum or
  // pruning the table would grow without bound; with autovacuum it settles.
  int64_t blocks_after_warmup = 0;
  for (int round = 1; round <= 40; ++round) {
    Send(client, "BEGIN");
    for (int k = 0; k < 100; ++k) {
      Send(client, "PUT " + std::to_string(k) + " " + std::to_string(round));
    }
    Send(client, "COMMIT", "COMMITTED");
    if (round == 20) {
      ASSERT_TRUE(keel::testing::WaitUntil([&] { return ReadStats(client).autovacuums >= 1; }, 30))
          << cluster_.log();
      blocks_after_warmup = ReadStats(client).blocks;
    }
  }
  Stats end = ReadStats(client);
  EXPECT_GE(end.autovacuums, 1);
  // 40 rounds × 100 versions of ~200 bytes would be ~100 blocks unvacuumed.
  EXPECT_LE(end.blocks, blocks_after_warmup + 4) << cluster_.log();
}

TEST_F(AutovacuumTest, OffMeansNoAutomaticVacuum) {
  Client client(cluster_.port());
  cluster_.AppendConf("autovacuum = off\n");
  ASSERT_EQ(kill(cluster_.postmaster_pid(), SIGHUP), 0);
  Send(client, "INIT");
  ASSERT_TRUE(keel::testing::WaitUntil(
      [&] { return cluster_.log().find("received SIGHUP") != std::string::npos; }, 10));
  Send(client, "BEGIN");
  for (int k = 0; k < 100; ++k) Send(client, "PUT " + std::to_string(k) + " 1");
  for (int k = 0; k < 100; ++k) Send(client, "DEL " + std::to_string(k));
  Send(client, "COMMIT", "COMMITTED");
  sleep(3);  // three naptimes: the launcher would have acted by now
  EXPECT_EQ(ReadStats(client).autovacuums, 0) << cluster_.log();
}

}  // namespace
}  // namespace keel::torture
