// The storage crash torture test: client threads make WAL-logged page changes and commits
// through keel-torture-server while the test kills the postmaster, a random child, or the
// whole server with SIGKILL (or SIGQUIT) at random moments; after each restart every change
// reported committed must be there, nothing never written may appear, and every page must
// pass its checksum. Cycles: KEEL_TORTURE_CYCLES (default 30).
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <iostream>
#include <optional>
#include <random>
#include <sstream>
#include <thread>
#include <vector>

#include "tests/e2e/test_cluster.h"
#include "tests/support/files.h"
#include "tests/support/free_port.h"
#include "tests/support/wait_until.h"
#include "tests/torture/kill_cycle.h"
#include "tests/torture/line_client.h"
#include "tests/torture/torture_rmgr.h"

namespace keel::torture {
namespace {

using Clock = std::chrono::steady_clock;
using testing::TestCluster;

void SleepMs(int ms) { std::this_thread::sleep_for(std::chrono::milliseconds(ms)); }

constexpr int kWorkers = 4;

// Per-slot bookkeeping; slot s belongs to worker s % kWorkers, so no two threads share one.
struct Ledger {
  std::vector<uint64_t> written = std::vector<uint64_t>(kSlots, 0);    // highest value sent
  std::vector<uint64_t> committed = std::vector<uint64_t>(kSlots, 0);  // highest committed
  std::atomic<uint64_t> commits{0};
};

void Worker(int port, int worker, uint32_t seed, const std::atomic<bool>& stop, Ledger& ledger) {
  Client client(port);
  if (!client.ok()) return;
  std::mt19937 rng(seed);
  std::vector<std::pair<uint32_t, uint64_t>> pending;
  uint64_t sequence = 0;
  while (!stop.load()) {
    uint32_t slot = static_cast<uint32_t>(rng() % (kSlots / kWorkers)) * kWorkers + worker;
    uint64_t value = ledger.written[slot] + 1;
    ledger.written[slot] = value;  // before sending: the server may apply it and then die
    auto reply = client.Call("SET " + std::to_string(slot) + " " + std::to_string(value));
    if (!reply || reply->rfind("OK", 0) != 0) return;
    pending.emplace_back(slot, value);
    if (rng() % 4 == 0) {
      auto committed = client.Call("COMMIT " + std::to_string(++sequence));
      if (!committed || committed->rfind("COMMITTED", 0) != 0) return;
      for (auto [s, v] : pending) ledger.committed[s] = std::max(ledger.committed[s], v);
      pending.clear();
      ledger.commits++;
    }
  }
}

// Every committed value survived, nothing that was never written appeared, checksums hold.
void Verify(int port, const Ledger& ledger, const std::string& when) {
  Client client(port);
  ASSERT_TRUE(client.ok()) << when;
  auto dump = client.Call("DUMP");
  ASSERT_TRUE(dump.has_value()) << when;
  std::istringstream in(*dump);
  uint64_t value = 0;
  uint32_t slot = 0;
  int bad = 0;
  for (; slot < kSlots && in >> value; ++slot) {
    if (value < ledger.committed[slot] || value > ledger.written[slot]) {
      if (bad++ < 5) {
        ADD_FAILURE() << when << ": slot " << slot << " has " << value << ", committed "
                      << ledger.committed[slot] << ", written " << ledger.written[slot];
      }
    }
  }
  EXPECT_EQ(slot, kSlots) << when << ": " << dump->substr(0, 200);
  EXPECT_EQ(bad, 0) << when;
  auto verify = client.Call("VERIFY");
  EXPECT_EQ(verify.value_or("no reply"), "OK " + std::to_string(kBlocks)) << when;
}

TEST(CrashTortureTest, CommittedChangesSurviveRandomKills) {
  prctl(PR_SET_CHILD_SUBREAPER, 1);
  const char* cycles_env = getenv("KEEL_TORTURE_CYCLES");
  int cycles = cycles_env != nullptr ? atoi(cycles_env) : 30;
  uint32_t seed = static_cast<uint32_t>(getpid()) * 2654435761u;
  SCOPED_TRACE("seed " + std::to_string(seed));
  std::mt19937 rng(seed);

  TestCluster cluster({}, "keel-torture-server");
  // A pool smaller than the relation (evictions: WAL before data), frequent WAL-size
  // checkpoints (full-page images after each), compressed images.
  cluster.AppendConf("shared_buffers = 16\nmax_wal_size = 2MB\nmin_wal_size = 2MB\n"
                     "checkpoint_timeout = 30s\nwal_compression = on\n");
  ASSERT_TRUE(cluster.Start());
  ASSERT_TRUE(WaitUntilServing(cluster.port(), 30)) << cluster.log();
  {
    Client client(cluster.port());
    ASSERT_EQ(client.Call("INIT").value_or("no reply"), "OK") << cluster.log();
  }
  Ledger ledger;
  for (int cycle = 0; cycle < cycles; ++cycle) {
    std::atomic<bool> stop{false};
    std::vector<std::thread> threads;
    for (int w = 0; w < kWorkers; ++w) {
      threads.emplace_back(Worker, cluster.port(), w, static_cast<uint32_t>(rng()), std::cref(stop),
                           std::ref(ledger));
    }
    threads.emplace_back([&] {
      Client client(cluster.port());
      while (!stop.load() && client.ok()) {
        if (!client.Call("CHECKPOINT")) break;
        SleepMs(50 + static_cast<int>(rng() % 200));
      }
    });
    SleepMs(100 + static_cast<int>(rng() % 600));

    KillMode mode = static_cast<KillMode>(rng() % 4);
    SCOPED_TRACE(std::string("cycle ") + std::to_string(cycle) + ": " + KillModeName(mode));
    KillResult killed = Kill(cluster, mode, rng);
    stop = true;
    for (auto& t : threads) t.join();
    ASSERT_TRUE(Recover(cluster, killed)) << cluster.log();
    Verify(cluster.port(), ledger, "after cycle " + std::to_string(cycle));
    if (HasFatalFailure() || HasFailure()) {
      ADD_FAILURE() << "server log:\n" << cluster.log().substr(0, 20000);
      return;
    }
  }
  EXPECT_GT(ledger.commits.load(), static_cast<uint64_t>(cycles)) << "the workload barely ran";
  // A clean stop and start needs no recovery and keeps everything.
  EXPECT_NE(cluster.Stop('f'), -1);
  ASSERT_TRUE(cluster.Start());
  ASSERT_TRUE(WaitUntilServing(cluster.port(), 30));
  Verify(cluster.port(), ledger, "after a clean restart");
  std::string log = cluster.log();
  auto count = [&log](const std::string& text) {
    size_t n = 0;
    for (size_t at = log.find(text); at != std::string::npos; at = log.find(text, at + 1)) ++n;
    return n;
  };
  // What the run went through, for whoever reads the test output.
  std::cout << "torture: " << cycles << " cycles, " << ledger.commits.load() << " commits, "
            << count("redo done at") << " recoveries, " << count("checkpoint starting: wal")
            << " WAL-size checkpoints, " << count("checkpoint starting: immediate")
            << " requested checkpoints\n";
  size_t last_start = log.rfind("database system is ready");
  EXPECT_NE(log.find("redo done at"), std::string::npos) << "no crash recovery ever ran";
  EXPECT_EQ(log.find("redo starts at", log.rfind("received fast shutdown request")),
            std::string::npos)
      << "a clean restart replayed WAL";
  (void)last_start;
}

TEST(CheckpointerTest, WalVolumeTriggersACheckpointThatCompletes) {
  TestCluster cluster({}, "keel-torture-server");
  cluster.AppendConf("max_wal_size = 2MB\nmin_wal_size = 2MB\ncheckpoint_timeout = 1h\n");
  ASSERT_TRUE(cluster.Start());
  ASSERT_TRUE(WaitUntilServing(cluster.port(), 30)) << cluster.log();
  Client client(cluster.port());
  ASSERT_EQ(client.Call("INIT").value_or("no reply"), "OK");
  // About 2 MB of WAL: past max_wal_size / (1 + checkpoint_completion_target).
  for (uint32_t i = 0; i < 30000; ++i) {
    ASSERT_EQ(client.Call("SET " + std::to_string(i % kSlots) + " " + std::to_string(i + 1))
                  .value_or("no reply").rfind("OK", 0), 0u);
  }
  ASSERT_EQ(client.Call("COMMIT 1").value_or("no reply").rfind("COMMITTED", 0), 0u);
  EXPECT_TRUE(testing::WaitUntil(
      [&] { return cluster.log().find("checkpoint starting: wal") != std::string::npos; }, 30))
      << cluster.log();
  EXPECT_TRUE(testing::WaitUntil(
      [&] {
        std::string log = cluster.log();
        size_t start = log.find("checkpoint starting: wal");
        return start != std::string::npos &&
               log.find("checkpoint complete", start) != std::string::npos;
      },
      60))
      << cluster.log();
}

}  // namespace
}  // namespace keel::torture
