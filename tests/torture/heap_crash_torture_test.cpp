// The heap crash torture test: client threads run transactions (inserts, updates, deletes,
// savepoints rolled back, commits, rollbacks, and two-phase commits) through keel-heap-torture-server while VACUUM
// and checkpoints run and the test kills the postmaster, a random child or the whole server
// (SIGKILL, or SIGQUIT) at random moments. After every restart each worker's rows must be
// exactly what it committed (a transaction whose COMMIT got no reply may have gone either way,
// but wholly), a prepared transaction must still be prepared with its rows invisible until it
// is finished, nothing rolled back or in flight may be visible, no key may be visible twice,
// and every page must pass its checksum. Cycles: KEEL_TORTURE_CYCLES (default 30). To narrow a
// failure down: KEEL_TORTURE_NO_VACUUM (only checkpoints run meanwhile), KEEL_TORTURE_NO_KILL
// (each cycle stops the workers without a crash); a mismatch prints every stored version of the
// keys concerned (VERSIONS).
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/prctl.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <iostream>
#include <map>
#include <random>
#include <sstream>
#include <thread>
#include <vector>

#include "tests/e2e/test_cluster.h"
#include "tests/torture/kill_cycle.h"
#include "tests/torture/line_client.h"

namespace keel::torture {
namespace {

using testing::TestCluster;
using RowMap = std::map<int64_t, int64_t>;

void SleepMs(int ms) { std::this_thread::sleep_for(std::chrono::milliseconds(ms)); }

constexpr int kWorkers = 4;
constexpr int kKeysPerWorker = 40;

// A transaction the worker prepared (two-phase commit) and has not seen finished.
enum class PreparePhase { kPrepareSent, kPrepared, kCommitSent, kRollbackSent };
struct PendingPrepared {
  std::string gid;
  RowMap state;  // what COMMIT PREPARED leaves
  PreparePhase phase;
};

// Worker w owns keys k with k % kWorkers == w, so workers never conflict on a row (but share
// pages, buffers, the WAL and the proc array).
struct WorkerLedger {
  RowMap committed;               // what the worker's committed transactions left
  std::optional<RowMap> in_doubt; // the state had the unanswered COMMIT succeeded
  std::optional<PendingPrepared> prepared;
  uint64_t commits = 0;
  uint64_t rollbacks = 0;
  uint64_t prepares = 0;
  uint64_t prepared_across_crash = 0;  // found still prepared after a restart
};

RowMap OwnRows(const RowMap& all, int worker) {
  RowMap mine;
  for (const auto& [key, value] : all) {
    if (key % kWorkers == worker) mine.emplace(key, value);
  }
  return mine;
}

void Worker(int port, int worker, uint32_t seed, const std::atomic<bool>& stop,
            std::atomic<int64_t>& next_value, WorkerLedger& ledger) {
  Client client(port);
  if (!client.ok()) return;
  std::mt19937 rng(seed);
  auto ok = [](const std::optional<std::string>& reply) { return reply && *reply == "OK"; };
  while (!stop.load()) {
    if (!ok(client.Call("BEGIN"))) return;
    RowMap state = ledger.committed;
    RowMap at_savepoint;
    bool savepoint = false;
    int ops = 1 + static_cast<int>(rng() % 5);
    bool failed = false;
    std::string failure;
    for (int i = 0; i < ops && !failed; ++i) {
      if (!savepoint && rng() % 6 == 0) {
        if (!ok(client.Call("SAVEPOINT"))) return;
        savepoint = true;
        at_savepoint = state;
      }
      int64_t key = static_cast<int64_t>(rng() % kKeysPerWorker) * kWorkers + worker;
      std::optional<std::string> reply;
      if (rng() % 5 == 0) {
        reply = client.Call("DEL " + std::to_string(key));
        if (ok(reply)) state.erase(key);
      } else {
        int64_t value = next_value.fetch_add(1);
        reply = client.Call("PUT " + std::to_string(key) + " " + std::to_string(value));
        if (ok(reply)) state[key] = value;
      }
      if (!reply) return;  // the server went away: nothing of this transaction committed
      if (*reply != "OK") {  // the server rolled the transaction back
        failed = true;
        failure = *reply;
      }
      if (savepoint && !failed && rng() % 3 == 0) {
        if (!ok(client.Call("ROLLBACKTO"))) return;
        state = at_savepoint;
        savepoint = false;
      }
    }
    if (failed) {
      ADD_FAILURE() << "worker " << worker << ": an operation failed without a crash: " << failure;
      return;
    }
    if (rng() % 4 == 0) {
      if (client.Call("ABORT") != std::optional<std::string>("ABORTED")) return;
      ledger.rollbacks++;
      continue;
    }
    if (rng() % 4 == 0) {  // two-phase: PREPARE, then COMMIT or ROLLBACK PREPARED
      const std::string gid = "w" + std::to_string(worker) + "-" + std::to_string(ledger.prepares);
      ledger.prepared = PendingPrepared{gid, state, PreparePhase::kPrepareSent};
      auto reply = client.Call("PREPARE " + gid);
      if (!reply) return;
      if (*reply != "PREPARED") {
        ADD_FAILURE() << "worker " << worker << ": PREPARE answered " << *reply;
        return;
      }
      ledger.prepares++;
      ledger.prepared->phase = PreparePhase::kPrepared;
      if (rng() % 3 == 0) SleepMs(static_cast<int>(rng() % 20));  // prepared at a kill, sometimes
      const bool commit = rng() % 4 != 0;
      ledger.prepared->phase = commit ? PreparePhase::kCommitSent : PreparePhase::kRollbackSent;
      reply = client.Call((commit ? "COMMITPREPARED " : "ROLLBACKPREPARED ") + gid);
      if (!reply) return;
      if (*reply != (commit ? "COMMITTED" : "ABORTED")) {
        ADD_FAILURE() << "worker " << worker << ": finishing " << gid << " answered " << *reply;
        return;
      }
      if (commit) {
        ledger.committed = state;
        ledger.commits++;
      } else {
        ledger.rollbacks++;
      }
      ledger.prepared.reset();
      continue;
    }
    ledger.in_doubt = state;  // from here until the reply, either outcome is allowed
    auto reply = client.Call("COMMIT");
    if (!reply) return;
    if (*reply != "COMMITTED") {
      ADD_FAILURE() << "worker " << worker << ": COMMIT answered " << *reply;
      return;
    }
    ledger.committed = state;
    ledger.in_doubt.reset();
    ledger.commits++;
  }
}

RowMap ParseDump(const std::string& dump) {
  RowMap rows;
  std::istringstream in(dump);
  std::string word;
  in >> word;  // "ROWS"
  while (in >> word) {
    size_t eq = word.find('=');
    rows[std::stoll(word.substr(0, eq))] = std::stoll(word.substr(eq + 1));
  }
  return rows;
}

std::vector<std::string> ParseWords(const std::string& line) {
  std::vector<std::string> words;
  std::istringstream in(line);
  std::string word;
  in >> word;  // the reply's tag
  while (in >> word) words.push_back(word);
  return words;
}

// A prepared transaction must still be prepared after a restart; one whose PREPARE, COMMIT
// PREPARED or ROLLBACK PREPARED got no reply may be in either state, but wholly. Afterwards
// the rows of a still-prepared one are invisible (checked by Verify), and Verify finishes it.
void ResolvePrepared(Client& client, std::vector<WorkerLedger>& ledgers, const std::string& when) {
  auto reply = client.Call("PREPAREDLIST");
  ASSERT_TRUE(reply.has_value()) << when;
  ASSERT_EQ(reply->rfind("PREPAREDLIST", 0), 0u) << when << ": " << *reply;
  std::vector<std::string> listed = ParseWords(*reply);
  for (int w = 0; w < kWorkers; ++w) {
    WorkerLedger& ledger = ledgers[w];
    if (!ledger.prepared) continue;
    PendingPrepared& p = *ledger.prepared;
    auto it = std::find(listed.begin(), listed.end(), p.gid);
    const bool is_listed = it != listed.end();
    if (is_listed) listed.erase(it);
    switch (p.phase) {
      case PreparePhase::kPrepared:
        EXPECT_TRUE(is_listed) << when << ": prepared transaction " << p.gid << " is gone";
        break;
      case PreparePhase::kCommitSent:
        if (!is_listed) ledger.committed = p.state;  // that COMMIT PREPARED made it
        break;
      case PreparePhase::kPrepareSent:
      case PreparePhase::kRollbackSent:
        break;
    }
    if (is_listed) {
      p.phase = PreparePhase::kPrepared;
      ledger.prepared_across_crash++;
    } else {
      ledger.prepared.reset();
    }
  }
  EXPECT_TRUE(listed.empty()) << when << ": unexpected prepared transactions " << *reply;
}

void FinishPrepared(Client& client, std::vector<WorkerLedger>& ledgers, const std::string& when) {
  for (WorkerLedger& ledger : ledgers) {
    if (!ledger.prepared) continue;
    const bool commit = ledger.prepared_across_crash % 2 == 1;
    auto reply = client.Call((commit ? "COMMITPREPARED " : "ROLLBACKPREPARED ") +
                             ledger.prepared->gid);
    EXPECT_EQ(reply.value_or("no reply"), commit ? "COMMITTED" : "ABORTED") << when;
    if (commit) ledger.committed = ledger.prepared->state;
    ledger.prepared.reset();
  }
}

// Each worker's rows are exactly its committed state, or its in-doubt one (then adopted).
void Verify(int port, std::vector<WorkerLedger>& ledgers, const std::string& when) {
  Client client(port);
  ASSERT_TRUE(client.ok()) << when;
  ResolvePrepared(client, ledgers, when);
  auto dump = client.Call("DUMP");
  ASSERT_TRUE(dump.has_value()) << when;
  ASSERT_EQ(dump->rfind("ROWS", 0), 0u) << when << ": " << *dump;
  RowMap all = ParseDump(*dump);
  for (int w = 0; w < kWorkers; ++w) {
    WorkerLedger& ledger = ledgers[w];
    RowMap mine = OwnRows(all, w);
    if (ledger.in_doubt && mine == *ledger.in_doubt) {
      ledger.committed = mine;  // that COMMIT made it before the crash
    } else {
      EXPECT_EQ(mine, ledger.committed) << when << ": worker " << w;
      if (mine != ledger.committed) {  // what is stored for the keys that differ
        for (int64_t k = w; k < kKeysPerWorker * kWorkers; k += kWorkers) {
          auto a = mine.find(k);
          auto b = ledger.committed.find(k);
          bool same = (a == mine.end()) == (b == ledger.committed.end()) &&
                      (a == mine.end() || a->second == b->second);
          if (same) continue;
          ADD_FAILURE() << "key " << k << " expected "
                        << (b == ledger.committed.end() ? std::string("none")
                                                        : std::to_string(b->second))
                        << "; stored " << client.Call("VERSIONS " + std::to_string(k)).value_or("?");
        }
      }
    }
    ledger.in_doubt.reset();
  }
  FinishPrepared(client, ledgers, when);
  auto verify = client.Call("VERIFY");
  EXPECT_EQ(verify.value_or("no reply").rfind("OK", 0), 0u) << when << ": " << verify.value_or("");
}

TEST(HeapCrashTortureTest, CommittedTransactionsSurviveRandomKills) {
  prctl(PR_SET_CHILD_SUBREAPER, 1);
  const char* cycles_env = getenv("KEEL_TORTURE_CYCLES");
  int cycles = cycles_env != nullptr ? atoi(cycles_env) : 30;
  uint32_t seed = static_cast<uint32_t>(getpid()) * 2654435761u;
  SCOPED_TRACE("seed " + std::to_string(seed));
  std::mt19937 rng(seed);

  TestCluster cluster({}, "keel-heap-torture-server");
  cluster.AppendConf("shared_buffers = 32\nmax_wal_size = 4MB\nmin_wal_size = 2MB\n"
                     "checkpoint_timeout = 30s\nmax_prepared_transactions = 8\n");
  ASSERT_TRUE(cluster.Start());
  ASSERT_TRUE(WaitUntilServing(cluster.port(), 30)) << cluster.log();
  {
    Client client(cluster.port());
    ASSERT_EQ(client.Call("INIT").value_or("no reply"), "OK") << cluster.log();
  }
  std::vector<WorkerLedger> ledgers(kWorkers);
  std::atomic<int64_t> next_value{1};
  for (int cycle = 0; cycle < cycles; ++cycle) {
    std::atomic<bool> stop{false};
    std::vector<std::thread> threads;
    for (int w = 0; w < kWorkers; ++w) {
      threads.emplace_back(Worker, cluster.port(), w, static_cast<uint32_t>(rng()), std::cref(stop),
                           std::ref(next_value), std::ref(ledgers[w]));
    }
    threads.emplace_back([&] {  // maintenance: VACUUM and checkpoints meanwhile
      Client client(cluster.port());
      for (int i = 0; !stop.load() && client.ok(); ++i) {
        bool vacuum = i % 2 == 0 && getenv("KEEL_TORTURE_NO_VACUUM") == nullptr;
        auto reply = client.Call(vacuum ? "VACUUM" : "CHECKPOINT");
        if (!reply) break;
        if (reply->rfind("OK", 0) != 0) ADD_FAILURE() << "maintenance: " << *reply;
        SleepMs(50 + static_cast<int>(rng() % 150));
      }
    });
    SleepMs(200 + static_cast<int>(rng() % 800));

    KillMode mode = getenv("KEEL_TORTURE_NO_KILL") ? KillMode::kNone
                                                     : static_cast<KillMode>(rng() % 4);
    SCOPED_TRACE(std::string("cycle ") + std::to_string(cycle) + ": " + KillModeName(mode));
    KillResult killed = Kill(cluster, mode, rng);
    stop = true;
    for (auto& t : threads) t.join();
    ASSERT_TRUE(Recover(cluster, killed)) << cluster.log();
    Verify(cluster.port(), ledgers, "after cycle " + std::to_string(cycle));
    if (HasFatalFailure() || HasFailure()) {
      ADD_FAILURE() << "server log:\n" << cluster.log().substr(0, 20000);
      return;
    }
  }
  uint64_t commits = 0, rollbacks = 0, prepares = 0, across = 0;
  for (const WorkerLedger& l : ledgers) {
    commits += l.commits;
    rollbacks += l.rollbacks;
    prepares += l.prepares;
    across += l.prepared_across_crash;
  }
  EXPECT_GT(prepares, 0u) << "no transaction was ever prepared";
  EXPECT_GT(commits, static_cast<uint64_t>(cycles)) << "the workload barely ran";
  EXPECT_NE(cluster.Stop('f'), -1);
  ASSERT_TRUE(cluster.Start());
  ASSERT_TRUE(WaitUntilServing(cluster.port(), 30));
  Verify(cluster.port(), ledgers, "after a clean restart");
  std::cout << "heap torture: " << cycles << " cycles, " << commits << " commits, " << rollbacks
            << " rollbacks, " << prepares << " prepared (" << across
            << " still prepared after a restart)\n";
}

}  // namespace
}  // namespace keel::torture
