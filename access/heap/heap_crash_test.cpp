// Crash recovery of heap changes: several backends insert, update (HOT and not), delete and
// lock; some transactions commit, others are still open when the server "crashes". After
// recovery (with and without a checkpoint in between, and again after a second crash) every
// committed change is there and nothing uncommitted is visible. README.md (HP15, "Tests").
#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

#include "access/heap/heap_test_util.h"
#include "access/heap/heapam.h"
#include "access/transam/xact.h"
#include "tests/server/server_harness.h"

namespace keel::access {
namespace {

using keel::testing::ServerHarness;
using storage::ItemPointer;
using testing::Channel;
using testing::MakeTuple;
using testing::Payload;

constexpr int kBackends = 3;
constexpr int kRows = 150;

std::string Name(int b, int k) { return "b" + std::to_string(b) + "-" + std::to_string(k); }

// The committed end state of backend b's work (what its first two transactions leave).
void ExpectedRows(int b, std::multiset<std::string>* out) {
  for (int k = 0; k < kRows; ++k) {
    if (k % 5 == 0) continue;  // deleted
    out->insert(k % 3 == 0 ? Name(b, k) + "-u" : Name(b, k));
  }
}

std::multiset<std::string> ScanCommitted(const Relation& rel) {
  std::multiset<std::string> out;
  transam::StartTransaction();
  HeapScan scan(rel, transam::GetTransactionSnapshot());
  HeapTupleView v;
  while (scan.Next(&v)) out.insert(Payload(v));
  transam::CommitTransaction();
  return out;
}

int BackendWork(const Relation& rel, int b, Channel& chan) {
  std::vector<ItemPointer> tids(kRows);
  // 1: inserts, committed.
  transam::StartTransaction();
  for (int k = 0; k < kRows; ++k) {
    HeapTuple t = MakeTuple(Name(b, k));
    tids[k] = HeapInsert(rel, t, transam::GetCurrentCommandId(true));
  }
  transam::CommitTransaction();
  chan.SendToParent(1);
  (void)chan.RecvInChild();  // the parent may checkpoint here
  // 2: updates (alternately HOT-allowed) and deletes, committed.
  transam::StartTransaction();
  for (int k = 0; k < kRows; ++k) {
    TmFailureData f;
    if (k % 5 == 0) {
      if (HeapDelete(rel, tids[k], transam::GetCurrentCommandId(true), nullptr, true, &f) !=
          TmResult::kOk) {
        return 2;
      }
    } else if (k % 3 == 0) {
      HeapTuple nt = MakeTuple(Name(b, k) + "-u");
      bool hot = false;
      if (HeapUpdate(rel, tids[k], nt, transam::GetCurrentCommandId(true), nullptr, true, &f,
                     /*hot_allowed=*/k % 2 == 0, &hot) != TmResult::kOk) {
        return 3;
      }
      tids[k] = nt.self;
    }
  }
  transam::CommitTransaction();
  // 3: more of everything, never committed: the crash comes first.
  transam::StartTransaction();
  for (int k = 0; k < 40; ++k) {
    HeapTuple t = MakeTuple(Name(b, k) + "-lost");
    (void)HeapInsert(rel, t, transam::GetCurrentCommandId(true));
  }
  for (int k = 1; k < kRows; ++k) {
    if (k % 5 == 0) continue;
    TmFailureData f;
    if (k % 7 == 1) {
      HeapTuple nt = MakeTuple(Name(b, k) + "-lost-u");
      bool hot = false;
      if (HeapUpdate(rel, tids[k], nt, transam::GetCurrentCommandId(true), nullptr, true, &f,
                     k % 2 == 0, &hot) != TmResult::kOk) {
        return 4;
      }
    } else if (k % 11 == 2) {
      if (HeapDelete(rel, tids[k], transam::GetCurrentCommandId(true), nullptr, true, &f) !=
          TmResult::kOk) {
        return 5;
      }
    } else if (k % 13 == 3) {
      if (HeapLockTuple(rel, tids[k], transam::GetCurrentCommandId(false), RowLockMode::kExclusive,
                        LockWaitPolicy::kBlock, nullptr, &f) != TmResult::kOk) {
        return 6;
      }
    }
  }
  chan.SendToParent(2);
  (void)chan.RecvInChild(120000);  // killed by the crash before this returns
  return 0;
}

void RunCrashScenario(bool checkpoint_between, bool checksums) {
  keel::testing::HarnessOptions options;
  options.data_checksums = checksums;
  options.shared_buffers_pages = 64;  // small: pages get evicted and written before the crash
  ServerHarness harness(options);
  const Relation rel = testing::CreateTestHeap(16384);
  std::vector<std::unique_ptr<Channel>> chans;
  for (int b = 0; b < kBackends; ++b) {
    chans.push_back(std::make_unique<Channel>());
    Channel* chan = chans.back().get();
    (void)harness.ForkBackend([&rel, b, chan] { return BackendWork(rel, b, *chan); });
  }
  for (auto& c : chans) ASSERT_EQ(c->RecvInParent(), 1u);
  if (checkpoint_between) harness.Checkpoint();
  for (auto& c : chans) c->SendToChild(1);
  for (auto& c : chans) ASSERT_EQ(c->RecvInParent(), 2u);

  std::multiset<std::string> expected;
  for (int b = 0; b < kBackends; ++b) ExpectedRows(b, &expected);
  harness.Crash();
  EXPECT_EQ(ScanCommitted(rel), expected);
  // Redo is idempotent: crash again right away.
  harness.Crash();
  EXPECT_EQ(ScanCommitted(rel), expected);

  // The table is fully usable: the crashed lockers and updaters hold nothing.
  transam::StartTransaction();
  int changed = 0;
  {
    HeapScan scan(rel, transam::GetTransactionSnapshot());
    HeapTupleView v;
    std::vector<ItemPointer> all;
    while (scan.Next(&v)) all.push_back(v.self);
    for (const ItemPointer& tid : all) {
      TmFailureData f;
      HeapTuple locked;
      EXPECT_EQ(HeapLockTuple(rel, tid, transam::GetCurrentCommandId(false),
                              RowLockMode::kExclusive, LockWaitPolicy::kError, &locked, &f),
                TmResult::kOk);
      HeapTuple nt = MakeTuple(Payload(locked) + "!");
      bool hot = false;
      EXPECT_EQ(HeapUpdate(rel, tid, nt, transam::GetCurrentCommandId(true), nullptr, false, &f,
                           true, &hot),
                TmResult::kOk);
      ++changed;
    }
  }
  transam::CommitTransaction();
  EXPECT_EQ(changed, static_cast<int>(expected.size()));
  std::multiset<std::string> bang;
  for (const std::string& s : expected) bang.insert(s + "!");
  harness.Crash();
  EXPECT_EQ(ScanCommitted(rel), bang);
}

TEST(HeapCrashTest, CommittedSurviveUncommittedVanish) { RunCrashScenario(false, true); }
TEST(HeapCrashTest, WithCheckpointInBetween) { RunCrashScenario(true, true); }
TEST(HeapCrashTest, WithoutChecksums) { RunCrashScenario(true, false); }

}  // namespace
}  // namespace keel::access
