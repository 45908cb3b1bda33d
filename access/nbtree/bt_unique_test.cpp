// Unique indexes: a committed live duplicate raises 23505 with PostgreSQL's message and detail;
// deleted, aborted and NULL keys do not conflict; a concurrent inserter of the same key waits
// for the first and then fails (first committed) or succeeds (first aborted). README.md (BT9).
#include <gtest/gtest.h>

#include <string>

#include "access/heap/heap_test_util.h"
#include "access/nbtree/bt_test_util.h"
#include "access/transam/xact.h"
#include "backend/utils/error/error.h"
#include "tests/server/server_harness.h"

namespace keel::access::nbtree {
namespace {

using access::testing::Channel;
using keel::testing::ServerHarness;
using testing::Int8Table;
using testing::Join;

// Inserts k in its own transaction; returns the SQLSTATE ("00000" when it committed).
std::string InsertOne(Int8Table& t, int64_t k, std::string* message = nullptr, std::string* detail = nullptr) {
  transam::StartTransaction();
  try {
    (void)t.Insert(k);
  } catch (const Error& e) {
    if (message != nullptr) *message = e.message();
    if (detail != nullptr) *detail = e.detail();
    transam::AbortTransaction();
    return std::string(e.sqlstate().code());
  }
  transam::CommitTransaction();
  return "00000";
}

TEST(BtUniqueTest, DuplicateKeyViolation) {
  ServerHarness harness;
  Int8Table t(/*unique=*/true);
  t.Create();
  for (int64_t k = 0; k < 2000; ++k) ASSERT_EQ(InsertOne(t, k * 2), "00000");
  std::string message, detail;
  EXPECT_EQ(InsertOne(t, 42, &message, &detail), "23505");
  EXPECT_EQ(message, "duplicate key value violates unique constraint \"t_k_key\"");
  EXPECT_EQ(detail, "Key (k)=(42) already exists.");
  EXPECT_EQ(InsertOne(t, 3998), "23505");  // the last key, on the rightmost page
  EXPECT_EQ(InsertOne(t, 0), "23505");     // the first
  EXPECT_EQ(InsertOne(t, 43), "00000");
  EXPECT_EQ(InsertOne(t, 43), "23505");

  // Within one transaction: the second insert sees the first (ours, live).
  transam::StartTransaction();
  (void)t.Insert(100001);
  EXPECT_THROW((void)t.Insert(100001), Error);
  transam::AbortTransaction();
  // The aborted row does not conflict any more.
  EXPECT_EQ(InsertOne(t, 100001), "00000");

  // A deleted (committed) row does not conflict.
  transam::StartTransaction();
  storage::ItemPointer victim;
  {
    BtScan scan(t.index, {{0, BtStrategy::kEqual, Int64GetDatum(500)}});
    ASSERT_TRUE(scan.Next(&victim));
  }
  TmFailureData f;
  ASSERT_EQ(HeapDelete(t.heap, victim, transam::GetCurrentCommandId(true), nullptr, true, &f), TmResult::kOk);
  transam::CommitTransaction();
  EXPECT_EQ(InsertOne(t, 500), "00000");
  EXPECT_EQ(InsertOne(t, 500), "23505");

  const std::vector<std::string> problems = BtVerify(t.index);
  EXPECT_TRUE(problems.empty()) << Join(problems);
}

TEST(BtUniqueTest, NullsNeverConflict) {
  ServerHarness harness;
  Int8Table t(true);
  t.Create();
  transam::StartTransaction();
  for (int i = 0; i < 3; ++i) {
    const Datum v = 0;
    const bool n = true;
    HeapTuple tup = HeapFormTuple(t.desc, std::span<const Datum>(&v, 1), std::span<const bool>(&n, 1));
    const storage::ItemPointer tid = HeapInsert(t.heap, tup, transam::GetCurrentCommandId(true));
    BtInsert(t.index, &t.heap, std::span<const Datum>(&v, 1), std::span<const bool>(&n, 1), tid);
  }
  transam::CommitTransaction();
  int nulls = 0;
  BtScan scan(t.index, {});
  storage::ItemPointer tid;
  while (scan.Next(&tid)) ++nulls;
  EXPECT_EQ(nulls, 3);
}

// Backend A inserts key 7 and holds its transaction open; B inserts 7 and must wait; then A
// commits (B fails with 23505) or aborts (B succeeds).
void RunConcurrentSameKey(bool first_commits) {
  ServerHarness harness;
  Int8Table t(true);
  t.Create();
  for (int64_t k = 0; k < 1000; ++k) ASSERT_EQ(InsertOne(t, k * 10 + 1), "00000");  // a few pages
  Channel a, b;
  const pid_t pa = harness.ForkBackend([&] {
    transam::StartTransaction();
    (void)t.Insert(7);
    a.SendToParent(1);
    if (a.RecvInChild() != 1u) return 2;
    if (first_commits) {
      transam::CommitTransaction();
    } else {
      transam::AbortTransaction();
    }
    return 0;
  });
  ASSERT_EQ(a.RecvInParent(), 1u);
  const pid_t pb = harness.ForkBackend([&] {
    b.SendToParent(1);
    const std::string state = InsertOne(t, 7);
    b.SendToParent(state == "00000" ? 10 : state == "23505" ? 11 : 12);
    return 0;
  });
  ASSERT_EQ(b.RecvInParent(), 1u);
  // B must be waiting for A: no answer while A's transaction is open.
  EXPECT_FALSE(b.ParentHasMessage(500));
  a.SendToChild(1);
  EXPECT_EQ(b.RecvInParent(), first_commits ? 11u : 10u);
  EXPECT_EQ(harness.Wait(pa), 0);
  EXPECT_EQ(harness.Wait(pb), 0);
  // Exactly one live 7 either way.
  transam::StartTransaction();
  const std::vector<int64_t> sevens = t.IndexScanVisible(transam::GetTransactionSnapshot(),
                                                         {{0, BtStrategy::kEqual, Int64GetDatum(7)}},
                                                         ScanDirection::kForward);
  transam::CommitTransaction();
  EXPECT_EQ(sevens.size(), 1u);
  transam::StartTransaction();
  const std::vector<std::string> problems = BtVerify(t.index, t.VerifyWithHeap());
  transam::CommitTransaction();
  EXPECT_TRUE(problems.empty()) << Join(problems);
}

TEST(BtUniqueTest, ConcurrentInserterWaitsThenFailsWhenFirstCommits) { RunConcurrentSameKey(true); }
TEST(BtUniqueTest, ConcurrentInserterWaitsThenSucceedsWhenFirstAborts) { RunConcurrentSameKey(false); }

}  // namespace
}  // namespace keel::access::nbtree
