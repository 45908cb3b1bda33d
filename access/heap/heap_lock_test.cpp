// Row locks across backends: the four modes' conflict table (observed through where a second
// waiter queues), NOWAIT and SKIP LOCKED, waiting for an updater, compatible lockers sharing
// the row (multixacts; more in heap_multixact_test.cpp). README.md (HP9, HP10, HP19, "Tests").
#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <string>
#include <thread>

#include "access/heap/heap_test_util.h"
#include "access/heap/heapam.h"
#include "access/heap/heapam_internal.h"
#include "access/transam/xact.h"
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

constexpr RowLockMode kModes[] = {RowLockMode::kKeyShare, RowLockMode::kShare,
                                  RowLockMode::kNoKeyExclusive, RowLockMode::kExclusive};

// PostgreSQL's row-lock conflict table (documentation, "Row-Level Locks"), written out
// independently of the code under test.
bool ExpectedConflict(RowLockMode held, RowLockMode requested) {
  static const bool kTable[4][4] = {
      //               KEY SHARE  SHARE  NO KEY UPD  UPDATE
      /* KEY SHARE */ {false, false, false, true},
      /* SHARE     */ {false, false, true, true},
      /* NO KEY UPD*/ {false, true, true, true},
      /* UPDATE    */ {true, true, true, true},
  };
  return kTable[static_cast<int>(held)][static_cast<int>(requested)];
}

// Polls `cond` for up to 20 s.
bool Eventually(const std::function<bool()>& cond) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (std::chrono::steady_clock::now() < deadline) {
    if (cond()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return false;
}

class RowLockTest : public ::testing::Test {
 protected:
  // A backend that locks `tid` in `mode` (policy kBlock), reports the TmResult (+100) and its
  // xid, then commits when told.
  pid_t Locker(Channel& chan, ItemPointer tid, RowLockMode mode) {
    return harness_.ForkBackend([this, &chan, tid, mode] {
      transam::StartTransaction();
      chan.SendToParent(transam::GetCurrentTransactionId().value());
      TmFailureData f;
      const TmResult r = HeapLockTuple(rel_, tid, transam::GetCurrentCommandId(false), mode,
                                       LockWaitPolicy::kBlock, nullptr, &f);
      chan.SendToParent(100 + static_cast<uint64_t>(r));
      (void)chan.RecvInChild(60000);
      transam::CommitTransaction();
      return 0;
    });
  }

  static keel::testing::HarnessOptions Options() {
    keel::testing::HarnessOptions options;
    // The conflict-table test forks 48 backends; room for all of them even when their lives
    // overlap.
    options.max_connections = 64;
    return options;
  }
  ServerHarness harness_{Options()};
  Relation rel_ = testing::CreateTestHeap(16384);
};

TEST(RowLockModes, ConflictTableMatchesPostgres) {
  for (RowLockMode a : kModes) {
    for (RowLockMode b : kModes) {
      EXPECT_EQ(internal::RowLockModesConflict(a, b), ExpectedConflict(a, b))
          << internal::RowLockModeName(a) << " vs " << internal::RowLockModeName(b);
    }
  }
}

// With the row held by H, waiter W1 (mode m1) holds the tuple lock and waits for H. A second
// waiter W2 (mode m2) then queues behind W1 on the tuple lock exactly when m1 and m2 conflict;
// otherwise it also gets the tuple lock and waits for H's transaction directly.
TEST_F(RowLockTest, ConflictTableAcrossProcesses) {
  const ItemPointer tid = InsertCommitted(rel_, "row");
  const storage::LockTag tuple_tag = storage::TupleLockTag(rel_.db.value(), rel_.id.value(),
                                                           tid.block.value(), tid.offset);
  for (RowLockMode m1 : kModes) {
    for (RowLockMode m2 : kModes) {
      SCOPED_TRACE(std::string(internal::RowLockModeName(m1)) + " then " +
                   internal::RowLockModeName(m2));
      Channel ch, c1, c2;
      pid_t h = Locker(ch, tid, RowLockMode::kExclusive);
      const uint64_t hxid = ch.RecvInParent().value();
      ASSERT_EQ(ch.RecvInParent(), 100u + static_cast<uint64_t>(TmResult::kOk));
      const storage::LockTag xact_tag = storage::TransactionLockTag(hxid);

      pid_t w1 = Locker(c1, tid, m1);
      ASSERT_TRUE(c1.RecvInParent().has_value());
      ASSERT_TRUE(Eventually([&] { return storage::LockNumWaiters(xact_tag) == 1; }));
      pid_t w2 = Locker(c2, tid, m2);
      ASSERT_TRUE(c2.RecvInParent().has_value());
      bool queued_on_tuple = false;
      ASSERT_TRUE(Eventually([&] {
        queued_on_tuple = storage::LockNumWaiters(tuple_tag) == 1;
        return queued_on_tuple || storage::LockNumWaiters(xact_tag) == 2;
      }));
      EXPECT_EQ(queued_on_tuple, ExpectedConflict(m1, m2));
      EXPECT_FALSE(c1.ParentHasMessage(0));
      EXPECT_FALSE(c2.ParentHasMessage(0));

      // Release H; the waiters get the row one after the other.
      ch.SendToChild(1);
      EXPECT_EQ(harness_.Wait(h), 0);
      bool done1 = false, done2 = false;
      ASSERT_TRUE(Eventually([&] {
        if (!done1 && c1.ParentHasMessage(0)) {
          EXPECT_EQ(c1.RecvInParent(), 100u + static_cast<uint64_t>(TmResult::kOk));
          c1.SendToChild(1);
          done1 = true;
        }
        if (!done2 && c2.ParentHasMessage(0)) {
          EXPECT_EQ(c2.RecvInParent(), 100u + static_cast<uint64_t>(TmResult::kOk));
          c2.SendToChild(1);
          done2 = true;
        }
        return done1 && done2;
      }));
      EXPECT_EQ(harness_.Wait(w1), 0);
      EXPECT_EQ(harness_.Wait(w2), 0);
    }
  }
}

TEST_F(RowLockTest, NowaitAndSkipLocked) {
  const ItemPointer tid = InsertCommitted(rel_, "row");
  Channel ch;
  pid_t h = Locker(ch, tid, RowLockMode::kKeyShare);
  (void)ch.RecvInParent();
  ASSERT_EQ(ch.RecvInParent(), 100u + static_cast<uint64_t>(TmResult::kOk));

  transam::StartTransaction();
  const CommandId cid = transam::GetCurrentCommandId(false);
  TmFailureData f;
  try {
    (void)HeapLockTuple(rel_, tid, cid, RowLockMode::kExclusive, LockWaitPolicy::kError, nullptr, &f);
    ADD_FAILURE() << "NOWAIT did not fail";
  } catch (const Error& e) {
    EXPECT_EQ(e.sqlstate(), sqlstate::kLockNotAvailable);
    EXPECT_EQ(e.message(), "could not obtain lock on row in relation \"t\"");
  }
  transam::AbortTransaction();

  transam::StartTransaction();
  EXPECT_EQ(HeapLockTuple(rel_, tid, transam::GetCurrentCommandId(false), RowLockMode::kExclusive,
                          LockWaitPolicy::kSkip, nullptr, &f),
            TmResult::kWouldBlock);
  // A compatible mode joins the holder (HP19): SKIP LOCKED and NOWAIT look only at
  // conflicting members.
  EXPECT_EQ(HeapLockTuple(rel_, tid, transam::GetCurrentCommandId(false), RowLockMode::kKeyShare,
                          LockWaitPolicy::kSkip, nullptr, &f),
            TmResult::kOk);
  EXPECT_EQ(HeapLockTuple(rel_, tid, transam::GetCurrentCommandId(false), RowLockMode::kShare,
                          LockWaitPolicy::kError, nullptr, &f),
            TmResult::kOk);
  // An update of key columns (FOR UPDATE strength) that does not wait reports the holder.
  HeapTuple nt = MakeTuple("x");
  bool hot = false;
  EXPECT_EQ(HeapUpdate(rel_, tid, nt, transam::GetCurrentCommandId(true), nullptr, /*wait=*/false,
                       &f, /*hot_allowed=*/false, &hot),
            TmResult::kBeingModified);
  transam::CommitTransaction();

  ch.SendToChild(1);
  EXPECT_EQ(harness_.Wait(h), 0);
  transam::StartTransaction();
  HeapTuple locked;
  EXPECT_EQ(HeapLockTuple(rel_, tid, transam::GetCurrentCommandId(false), RowLockMode::kExclusive,
                          LockWaitPolicy::kError, &locked, &f),
            TmResult::kOk);
  EXPECT_EQ(Payload(locked), "row");
  transam::CommitTransaction();
}

TEST_F(RowLockTest, LockWaitsForUpdaterThenReportsUpdated) {
  const ItemPointer tid = InsertCommitted(rel_, "v1");
  Channel ch;
  pid_t updater = harness_.ForkBackend([&] {
    transam::StartTransaction();
    HeapTuple nt = MakeTuple("v2");
    TmFailureData f;
    bool hot = false;
    if (HeapUpdate(rel_, tid, nt, transam::GetCurrentCommandId(true), nullptr, true, &f, true,
                   &hot) != TmResult::kOk) {
      return 1;
    }
    ch.SendToParent(nt.self.offset);
    (void)ch.RecvInChild();
    transam::CommitTransaction();
    return 0;
  });
  const uint64_t new_offset = ch.RecvInParent().value();
  Channel me;
  pid_t locker = harness_.ForkBackend([&] {
    transam::StartTransaction();
    TmFailureData f;
    me.SendToParent(0);
    const TmResult r = HeapLockTuple(rel_, tid, transam::GetCurrentCommandId(false),
                                     RowLockMode::kShare, LockWaitPolicy::kBlock, nullptr, &f);
    me.SendToParent(1);
    transam::CommitTransaction();
    return r == TmResult::kUpdated && f.ctid.offset == new_offset ? 0 : 1;
  });
  ASSERT_EQ(me.RecvInParent(), 0u);
  EXPECT_FALSE(me.ParentHasMessage(500)) << "the locker did not wait for the updater";
  ch.SendToChild(1);
  EXPECT_EQ(harness_.Wait(updater), 0);
  EXPECT_EQ(me.RecvInParent(), 1u);
  EXPECT_EQ(harness_.Wait(locker), 0);
}

TEST_F(RowLockTest, CompatibleLockersShareTheRow) {
  // Every pair of non-conflicting modes: the second locker gets the row while the first holds
  // it (a multixact in xmax, HP19), without waiting.
  for (RowLockMode m1 : kModes) {
    for (RowLockMode m2 : kModes) {
      if (ExpectedConflict(m1, m2)) continue;
      const ItemPointer tid = InsertCommitted(rel_, "row");
      Channel c1, c2;
      pid_t a = Locker(c1, tid, m1);
      (void)c1.RecvInParent();
      ASSERT_EQ(c1.RecvInParent(), 100u + static_cast<uint64_t>(TmResult::kOk));
      pid_t b = Locker(c2, tid, m2);
      (void)c2.RecvInParent();
      EXPECT_EQ(c2.RecvInParent(), 100u + static_cast<uint64_t>(TmResult::kOk))
          << internal::RowLockModeName(m1) << " then " << internal::RowLockModeName(m2);
      c1.SendToChild(1);
      c2.SendToChild(1);
      EXPECT_EQ(harness_.Wait(a), 0);
      EXPECT_EQ(harness_.Wait(b), 0);
    }
  }
}

}  // namespace
}  // namespace keel::access
