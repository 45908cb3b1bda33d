// Issue 4's session-level cases over the heap, each backend a real process: two sessions that
// update two rows in opposite order deadlock and exactly one is cancelled with 40P01 within
// deadlock_timeout + 1 s while the other completes; ROLLBACK TO SAVEPOINT restores exactly the
// rows as they were at the savepoint (inserts, updates and deletes after it undone, before it
// kept). README.md ("Tests").
#include <gtest/gtest.h>
#include <time.h>

#include <map>
#include <string>

#include "access/heap/heap_test_util.h"
#include "access/heap/heapam.h"
#include "access/transam/xact.h"
#include "backend/utils/config/settings.h"
#include "backend/utils/error/error.h"
#include "storage/lmgr/lock.h"
#include "tests/server/server_harness.h"

namespace keel::access {
namespace {

using keel::testing::ServerHarness;
using storage::ItemPointer;
using testing::Channel;
using testing::InsertCommitted;
using testing::MakeTuple;
using testing::Payload;

constexpr int kDeadlockExit = 41;

int64_t NowMs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1'000'000;
}

// Every visible row's payload, keyed by tid, under a fresh statement snapshot.
std::map<ItemPointer, std::string> Rows(const Relation& rel) {
  std::map<ItemPointer, std::string> rows;
  HeapScan scan(rel, transam::GetTransactionSnapshot());
  HeapTupleView v;
  while (scan.Next(&v)) rows[v.self] = Payload(v);
  return rows;
}

TmResult Update(const Relation& rel, ItemPointer tid, const std::string& payload) {
  HeapTuple t = MakeTuple(payload);
  TmFailureData tmfd;
  bool hot = false;
  return HeapUpdate(rel, tid, t, transam::GetCurrentCommandId(true), nullptr, /*wait=*/true,
                    &tmfd, /*hot_allowed=*/true, &hot);
}

TEST(HeapSessionTest, OppositeOrderUpdatesDeadlockAndOneSessionIsCancelled) {
  ServerHarness harness;
  Relation rel = testing::CreateTestHeap(16500);
  const ItemPointer a = InsertCommitted(rel, "a0");
  const ItemPointer b = InsertCommitted(rel, "b0");
  constexpr int kDeadlockTimeoutMs = 500;
  // Each session: update its first row, say so, wait for the go, update its second row.
  auto session = [&](Channel* chan, ItemPointer first, ItemPointer second, const char* tag) {
    settings::deadlock_timeout_ms = kDeadlockTimeoutMs;
    transam::StartTransaction();
    (void)storage::LockAcquire(storage::RelationLockTag(rel.db.value(), rel.id.value()),
                               storage::LockMode::kRowExclusive);
    if (Update(rel, first, std::string(tag) + "1") != TmResult::kOk) return 2;
    transam::CommandCounterIncrement();
    chan->SendToParent(1);
    if (!chan->RecvInChild()) return 3;
    const int64_t start = NowMs();
    try {
      if (Update(rel, second, std::string(tag) + "2") != TmResult::kOk) return 4;
    } catch (const Error& e) {
      if (e.sqlstate() != sqlstate::kTDeadlockDetected) return 5;
      if (e.message() != "deadlock detected") return 6;
      chan->SendToParent(static_cast<uint64_t>(NowMs() - start));
      transam::AbortTransaction();
      return kDeadlockExit;
    }
    chan->SendToParent(static_cast<uint64_t>(NowMs() - start));
    transam::CommitTransaction();
    return 0;
  };
  Channel chan1, chan2;
  const pid_t s1 = harness.ForkBackend([&] { return session(&chan1, a, b, "x"); });
  const pid_t s2 = harness.ForkBackend([&] { return session(&chan2, b, a, "y"); });
  ASSERT_EQ(chan1.RecvInParent(), std::optional<uint64_t>(1));
  ASSERT_EQ(chan2.RecvInParent(), std::optional<uint64_t>(1));
  chan1.SendToChild(1);
  chan2.SendToChild(1);
  const auto waited1 = chan1.RecvInParent();
  const auto waited2 = chan2.RecvInParent();
  ASSERT_TRUE(waited1 && waited2);
  const int code1 = harness.Wait(s1);
  const int code2 = harness.Wait(s2);
  // Exactly one victim; it learned so within deadlock_timeout + 1 s of starting to wait.
  EXPECT_TRUE((code1 == kDeadlockExit && code2 == 0) || (code1 == 0 && code2 == kDeadlockExit))
      << code1 << " " << code2;
  const uint64_t victim_wait = code1 == kDeadlockExit ? *waited1 : *waited2;
  EXPECT_LT(victim_wait, static_cast<uint64_t>(kDeadlockTimeoutMs + 1000));
  // The survivor's two updates are what is left.
  transam::StartTransaction();
  std::map<ItemPointer, std::string> rows = Rows(rel);
  transam::CommitTransaction();
  ASSERT_EQ(rows.size(), 2u);
  const std::string winner = code1 == 0 ? "x" : "y";
  for (const auto& [tid, payload] : rows) EXPECT_EQ(payload.substr(0, 1), winner) << payload;
}

TEST(HeapSessionTest, RollbackToSavepointRestoresExactlyTheEarlierState) {
  ServerHarness harness;
  Relation rel = testing::CreateTestHeap(16501);
  std::vector<ItemPointer> tids;
  for (int i = 0; i < 6; ++i) tids.push_back(InsertCommitted(rel, "r" + std::to_string(i)));

  transam::StartTransaction();
  // Before the savepoint: one update, one delete, one insert. These must survive.
  ASSERT_EQ(Update(rel, tids[0], "r0-before"), TmResult::kOk);
  TmFailureData tmfd;
  ASSERT_EQ(HeapDelete(rel, tids[1], transam::GetCurrentCommandId(true), nullptr, true, &tmfd),
            TmResult::kOk);
  HeapTuple before = MakeTuple("new-before");
  (void)HeapInsert(rel, before, transam::GetCurrentCommandId(true));
  transam::CommandCounterIncrement();
  const std::map<ItemPointer, std::string> at_savepoint = Rows(rel);

  transam::DefineSavepoint("s");
  // After it: change everything in every way, including rows changed before it.
  std::map<ItemPointer, std::string> now = Rows(rel);
  for (const auto& [tid, payload] : now) {
    if (payload == "r2") {
      ASSERT_EQ(HeapDelete(rel, tid, transam::GetCurrentCommandId(true), nullptr, true, &tmfd),
                TmResult::kOk);
    } else {
      ASSERT_EQ(Update(rel, tid, payload + "-after"), TmResult::kOk);
    }
  }
  for (int i = 0; i < 50; ++i) {
    HeapTuple t = MakeTuple("new-after-" + std::to_string(i));
    (void)HeapInsert(rel, t, transam::GetCurrentCommandId(true));
  }
  transam::CommandCounterIncrement();
  ASSERT_NE(Rows(rel), at_savepoint);

  transam::RollbackToSavepoint("s");
  transam::CommandCounterIncrement();
  EXPECT_EQ(Rows(rel), at_savepoint);  // exactly, in this transaction
  transam::CommitTransaction();

  // And for everyone else, after commit.
  Channel chan;
  std::map<ItemPointer, std::string> expected = at_savepoint;
  const pid_t other = harness.ForkBackend([&] {
    transam::StartTransaction();
    const bool same = Rows(rel) == expected;
    transam::CommitTransaction();
    return same ? 0 : 1;
  });
  EXPECT_EQ(harness.Wait(other), 0);
}

}  // namespace
}  // namespace keel::access
