// Several row lockers per tuple through a multixact xmax, across real backend processes: two
// FOR SHARE lockers, FOR KEY SHARE beside a no-key UPDATE (and the lockers the new version
// inherits), NOWAIT / SKIP LOCKED against conflicting members only, locks kept across ROLLBACK
// TO SAVEPOINT, crash recovery of multis, and VACUUM's view. README.md (HP18-HP23, "Tests").
#include <gtest/gtest.h>

#include <functional>
#include <string>

#include "access/heap/heap_test_util.h"
#include "access/heap/heapam.h"
#include "access/heap/heapam_internal.h"
#include "access/heap/visibility.h"
#include "access/transam/multixact.h"
#include "access/transam/snapshot.h"
#include "access/transam/transam.h"
#include "access/transam/xact.h"
#include "backend/utils/error/error.h"
#include "storage/buffer/bufmgr.h"
#include "tests/server/server_harness.h"

namespace keel::access {
namespace {

using keel::testing::ServerHarness;
using storage::ItemPointer;
using testing::Channel;
using testing::InsertCommitted;
using testing::MakeTuple;
using testing::Payload;
using transam::MultiXactMember;
using transam::MultiXactStatus;

constexpr uint64_t kCommit = 1;
constexpr uint64_t kAbort = 2;

uint64_t Code(TmResult r) { return 100 + static_cast<uint64_t>(r); }

class MultiXactHeapTest : public ::testing::Test {
 protected:
  // A backend that starts a transaction, reports its xid, runs `fn` (a TmResult code),
  // reports Code(result), then commits or aborts when told (kCommit / kAbort).
  pid_t Session(Channel& chan, std::function<TmResult()> fn) {
    return harness_.ForkBackend([&chan, fn] {
      transam::StartTransaction();
      chan.SendToParent(transam::GetCurrentTransactionId().value());
      chan.SendToParent(Code(fn()));
      const auto cmd = chan.RecvInChild(60000);
      if (cmd && *cmd == kAbort) {
        transam::AbortTransaction();
      } else {
        transam::CommitTransaction();
      }
      return 0;
    });
  }
  std::function<TmResult()> Lock(ItemPointer tid, RowLockMode mode,
                                 LockWaitPolicy policy = LockWaitPolicy::kBlock) {
    return [this, tid, mode, policy] {
      TmFailureData f;
      return HeapLockTuple(rel_, tid, transam::GetCurrentCommandId(false), mode, policy, nullptr,
                           &f);
    };
  }
  std::function<TmResult()> Update(ItemPointer tid, std::string payload, bool hot_allowed) {
    return [this, tid, payload, hot_allowed] {
      HeapTuple nt = MakeTuple(payload);
      TmFailureData f;
      bool hot = false;
      return HeapUpdate(rel_, tid, nt, transam::GetCurrentCommandId(true), nullptr, true, &f,
                        hot_allowed, &hot);
    };
  }
  // This process, in its own transaction: the lock result under `policy` (kError's 55P03 is
  // reported as kWouldBlock so tests can compare).
  TmResult TryLock(ItemPointer tid, RowLockMode mode, LockWaitPolicy policy,
                   TmFailureData* tmfd = nullptr) {
    transam::StartTransaction();
    TmFailureData f;
    TmResult r;
    try {
      r = HeapLockTuple(rel_, tid, transam::GetCurrentCommandId(false), mode, policy, nullptr,
                        tmfd != nullptr ? tmfd : &f);
    } catch (const Error& e) {
      EXPECT_EQ(e.sqlstate(), sqlstate::kLockNotAvailable);
      EXPECT_EQ(e.message(), "could not obtain lock on row in relation \"t\"");
      transam::AbortTransaction();
      return TmResult::kWouldBlock;
    }
    transam::CommitTransaction();
    return r;
  }
  // A copy of the stored tuple header at `tid` (xmax, infomask, ctid).
  HeapTupleHeader RawHeader(ItemPointer tid) {
    storage::Buffer buf = storage::ReadBuffer(rel_.locator, ForkNumber::kMain, tid.block);
    storage::LockBuffer(buf, storage::BufferLockMode::kShare);
    HeapTupleHeader h = *internal::PageGetHeapTuple(storage::BufferGetPage(buf), tid.offset);
    storage::UnlockBuffer(buf);
    storage::ReleaseBuffer(buf);
    return h;
  }
  std::optional<std::string> Fetch(ItemPointer tid) {
    transam::StartTransaction();
    HeapTuple out;
    const bool seen = HeapFetch(rel_, transam::GetTransactionSnapshot(), tid, &out);
    transam::CommitTransaction();
    if (!seen) return std::nullopt;
    return Payload(out);
  }
  HtsvResult Vacuum(ItemPointer tid) {
    storage::Buffer buf = storage::ReadBuffer(rel_.locator, ForkNumber::kMain, tid.block);
    storage::LockBuffer(buf, storage::BufferLockMode::kShare);
    HeapTupleHeader* h = internal::PageGetHeapTuple(storage::BufferGetPage(buf), tid.offset);
    const HtsvResult r = HeapTupleSatisfiesVacuum(h, transam::GetOldestXmin(), buf);
    storage::UnlockBuffer(buf);
    storage::ReleaseBuffer(buf);
    return r;
  }

  ServerHarness harness_;
  Relation rel_ = testing::CreateTestHeap(16384);
};

TEST_F(MultiXactHeapTest, TwoShareLockersHoldTogetherAndForUpdateWaitsForBoth) {
  const ItemPointer tid = InsertCommitted(rel_, "row");
  Channel a, b, c;
  const pid_t pa = Session(a, Lock(tid, RowLockMode::kShare));
  const TransactionId xa(*a.RecvInParent());
  ASSERT_EQ(a.RecvInParent(), Code(TmResult::kOk));
  const pid_t pb = Session(b, Lock(tid, RowLockMode::kShare));
  const TransactionId xb(*b.RecvInParent());
  ASSERT_EQ(b.RecvInParent(), Code(TmResult::kOk));  // at once: no waiting for A

  const HeapTupleHeader h = RawHeader(tid);
  ASSERT_TRUE(h.infomask & kHeapXmaxIsMulti);
  EXPECT_TRUE(h.infomask & kHeapXmaxLockOnly);
  const std::vector<MultiXactMember> want = {{xa, MultiXactStatus::kForShare},
                                             {xb, MultiXactStatus::kForShare}};
  EXPECT_EQ(transam::GetMultiXactIdMembers(transam::MultiXactId(h.xmax)), want);

  // NOWAIT and SKIP LOCKED see the conflicting members; compatible modes join.
  EXPECT_EQ(TryLock(tid, RowLockMode::kExclusive, LockWaitPolicy::kError), TmResult::kWouldBlock);
  EXPECT_EQ(TryLock(tid, RowLockMode::kNoKeyExclusive, LockWaitPolicy::kSkip),
            TmResult::kWouldBlock);
  EXPECT_EQ(TryLock(tid, RowLockMode::kKeyShare, LockWaitPolicy::kError), TmResult::kOk);
  EXPECT_EQ(Fetch(tid), "row");  // locks never change visibility

  // FOR UPDATE waits until both lockers are gone.
  const pid_t pc = Session(c, Lock(tid, RowLockMode::kExclusive));
  (void)c.RecvInParent();
  EXPECT_FALSE(c.ParentHasMessage(300));
  a.SendToChild(kCommit);
  EXPECT_EQ(harness_.Wait(pa), 0);
  EXPECT_FALSE(c.ParentHasMessage(300)) << "FOR UPDATE did not wait for the second locker";
  b.SendToChild(kAbort);
  EXPECT_EQ(harness_.Wait(pb), 0);
  EXPECT_EQ(c.RecvInParent(), Code(TmResult::kOk));
  c.SendToChild(kCommit);
  EXPECT_EQ(harness_.Wait(pc), 0);
}

TEST_F(MultiXactHeapTest, KeyShareAndNoKeyUpdateCoexistForUpdateWaitsForBoth) {
  const ItemPointer tid = InsertCommitted(rel_, "v1");
  Channel a, b, c;
  const pid_t pa = Session(a, Lock(tid, RowLockMode::kKeyShare));
  const TransactionId xa(*a.RecvInParent());
  ASSERT_EQ(a.RecvInParent(), Code(TmResult::kOk));
  const pid_t pb = Session(b, Update(tid, "v2", /*hot_allowed=*/true));
  const TransactionId xb(*b.RecvInParent());
  ASSERT_EQ(b.RecvInParent(), Code(TmResult::kOk));  // a no-key update does not wait

  const HeapTupleHeader old_h = RawHeader(tid);
  ASSERT_TRUE(old_h.infomask & kHeapXmaxIsMulti);
  EXPECT_FALSE(old_h.infomask & kHeapXmaxLockOnly);
  EXPECT_FALSE(old_h.infomask2 & kHeapKeysUpdated);
  const std::vector<MultiXactMember> want = {{xa, MultiXactStatus::kForKeyShare},
                                             {xb, MultiXactStatus::kNoKeyUpdate}};
  EXPECT_EQ(transam::GetMultiXactIdMembers(transam::MultiXactId(old_h.xmax)), want);
  const ItemPointer new_tid = old_h.Ctid();
  ASSERT_NE(new_tid, tid);
  // HP21: the new version inherits A's FOR KEY SHARE lock.
  const HeapTupleHeader new_h = RawHeader(new_tid);
  EXPECT_EQ(new_h.Xmax(), xa);
  EXPECT_EQ(new_h.infomask & (kHeapXmaxLockOnly | kHeapXmaxShrLock | kHeapXmaxIsMulti),
            kHeapXmaxLockOnly | kHeapXmaxKeyShrLock);
  EXPECT_EQ(Fetch(tid), "v1");  // B has not committed

  const pid_t pc = Session(c, Lock(tid, RowLockMode::kExclusive));
  (void)c.RecvInParent();
  EXPECT_FALSE(c.ParentHasMessage(300));
  a.SendToChild(kCommit);
  EXPECT_EQ(harness_.Wait(pa), 0);
  EXPECT_FALSE(c.ParentHasMessage(300)) << "FOR UPDATE did not wait for the updater";
  b.SendToChild(kCommit);
  EXPECT_EQ(harness_.Wait(pb), 0);
  EXPECT_EQ(c.RecvInParent(), Code(TmResult::kUpdated));
  c.SendToChild(kCommit);
  EXPECT_EQ(harness_.Wait(pc), 0);

  EXPECT_EQ(Fetch(tid), std::nullopt);
  EXPECT_EQ(Fetch(new_tid), "v2");
  // HP22: every mode, FOR KEY SHARE included, reports the committed update (with its
  // successor), so the caller locks the newest version; that one locks fine.
  TmFailureData f;
  EXPECT_EQ(TryLock(tid, RowLockMode::kKeyShare, LockWaitPolicy::kError, &f), TmResult::kUpdated);
  EXPECT_EQ(f.ctid, new_tid);
  EXPECT_EQ(TryLock(new_tid, RowLockMode::kKeyShare, LockWaitPolicy::kError), TmResult::kOk);
  EXPECT_EQ(TryLock(tid, RowLockMode::kShare, LockWaitPolicy::kError, &f), TmResult::kUpdated);
  EXPECT_EQ(f.ctid, new_tid);
  EXPECT_EQ(f.xmax, xb);
  EXPECT_EQ(Fetch(tid), std::nullopt);  // still updated: the multi keeps the committed update
  EXPECT_EQ(RawHeader(tid).Ctid(), new_tid);
}

// HP22: FOR KEY SHARE of a version a running no-key update has changed waits for the updater
// (NOWAIT errors, SKIP LOCKED skips) and then reports the update, so the lock ends up on the
// newest version, where a DELETE must wait for it. (Joining the old version's xmax instead would
// leave the new version unprotected: a reviewer's reproduction.)
TEST_F(MultiXactHeapTest, KeyShareAfterARunningNoKeyUpdateLocksTheNewVersion) {
  const ItemPointer tid = InsertCommitted(rel_, "v1");
  Channel b, a;
  const pid_t pb = Session(b, Update(tid, "v2", /*hot_allowed=*/true));
  (void)b.RecvInParent();
  ASSERT_EQ(b.RecvInParent(), Code(TmResult::kOk));
  EXPECT_EQ(TryLock(tid, RowLockMode::kKeyShare, LockWaitPolicy::kError), TmResult::kWouldBlock);
  EXPECT_EQ(TryLock(tid, RowLockMode::kKeyShare, LockWaitPolicy::kSkip), TmResult::kWouldBlock);
  const pid_t pa = Session(a, [this, tid] {
    TmFailureData f;
    const TmResult first = HeapLockTuple(rel_, tid, transam::GetCurrentCommandId(false),
                                         RowLockMode::kKeyShare, LockWaitPolicy::kBlock, nullptr,
                                         &f);
    if (first != TmResult::kUpdated) return first;
    return HeapLockTuple(rel_, f.ctid, transam::GetCurrentCommandId(false),
                         RowLockMode::kKeyShare, LockWaitPolicy::kBlock, nullptr, &f);
  });
  (void)a.RecvInParent();
  EXPECT_FALSE(a.ParentHasMessage(300)) << "FOR KEY SHARE did not wait for the running update";
  b.SendToChild(kCommit);
  EXPECT_EQ(harness_.Wait(pb), 0);
  ASSERT_EQ(a.RecvInParent(), Code(TmResult::kOk));
  const ItemPointer v2 = RawHeader(tid).Ctid();
  ASSERT_NE(v2, tid);
  transam::StartTransaction();
  TmFailureData f;
  EXPECT_EQ(HeapDelete(rel_, v2, transam::GetCurrentCommandId(true), nullptr, /*wait=*/false, &f),
            TmResult::kBeingModified);
  transam::AbortTransaction();
  a.SendToChild(kCommit);
  EXPECT_EQ(harness_.Wait(pa), 0);
}

TEST_F(MultiXactHeapTest, InheritedKeyShareLockProtectsTheNewVersion) {
  const ItemPointer tid = InsertCommitted(rel_, "v1");
  Channel a;
  const pid_t pa = Session(a, Lock(tid, RowLockMode::kKeyShare));
  (void)a.RecvInParent();
  ASSERT_EQ(a.RecvInParent(), Code(TmResult::kOk));
  transam::StartTransaction();
  ASSERT_EQ(Update(tid, "v2", true)(), TmResult::kOk);
  transam::CommitTransaction();
  const ItemPointer v2 = RawHeader(tid).Ctid();

  transam::StartTransaction();
  TmFailureData f;
  EXPECT_EQ(HeapDelete(rel_, v2, transam::GetCurrentCommandId(true), nullptr, /*wait=*/false, &f),
            TmResult::kBeingModified);  // the key may not go while A holds FOR KEY SHARE
  HeapTuple key_update = MakeTuple("v3-key");
  bool hot = false;
  EXPECT_EQ(HeapUpdate(rel_, v2, key_update, transam::GetCurrentCommandId(true), nullptr, false,
                       &f, /*hot_allowed=*/false, &hot),
            TmResult::kBeingModified);
  HeapTuple nokey = MakeTuple("v3");
  EXPECT_EQ(HeapUpdate(rel_, v2, nokey, transam::GetCurrentCommandId(true), nullptr, false, &f,
                       /*hot_allowed=*/true, &hot),
            TmResult::kOk);
  transam::CommitTransaction();
  a.SendToChild(kCommit);
  EXPECT_EQ(harness_.Wait(pa), 0);
  transam::StartTransaction();
  EXPECT_EQ(HeapDelete(rel_, nokey.self, transam::GetCurrentCommandId(true), nullptr, false, &f),
            TmResult::kOk);
  transam::CommitTransaction();
}

TEST_F(MultiXactHeapTest, ShareLockAgainstUpdateNowaitAndSkipLocked) {
  const ItemPointer tid = InsertCommitted(rel_, "v1");
  Channel a, b;
  const pid_t pa = Session(a, Lock(tid, RowLockMode::kShare));
  (void)a.RecvInParent();
  ASSERT_EQ(a.RecvInParent(), Code(TmResult::kOk));
  transam::StartTransaction();
  TmFailureData f;
  HeapTuple nt = MakeTuple("v2");
  bool hot = false;
  EXPECT_EQ(HeapUpdate(rel_, tid, nt, transam::GetCurrentCommandId(true), nullptr, false, &f, true,
                       &hot),
            TmResult::kBeingModified);
  EXPECT_EQ(HeapDelete(rel_, tid, transam::GetCurrentCommandId(true), nullptr, false, &f),
            TmResult::kBeingModified);
  transam::CommitTransaction();
  EXPECT_EQ(TryLock(tid, RowLockMode::kNoKeyExclusive, LockWaitPolicy::kError),
            TmResult::kWouldBlock);
  EXPECT_EQ(TryLock(tid, RowLockMode::kExclusive, LockWaitPolicy::kSkip), TmResult::kWouldBlock);
  EXPECT_EQ(TryLock(tid, RowLockMode::kShare, LockWaitPolicy::kSkip), TmResult::kOk);

  const pid_t pb = Session(b, Update(tid, "v2", true));  // waits for A
  (void)b.RecvInParent();
  EXPECT_FALSE(b.ParentHasMessage(300)) << "the update did not wait for FOR SHARE";
  a.SendToChild(kCommit);
  EXPECT_EQ(harness_.Wait(pa), 0);
  EXPECT_EQ(b.RecvInParent(), Code(TmResult::kOk));
  b.SendToChild(kCommit);
  EXPECT_EQ(harness_.Wait(pb), 0);
  EXPECT_EQ(Fetch(RawHeader(tid).Ctid()), "v2");
}

// `SELECT ... FOR UPDATE; SAVEPOINT s; UPDATE ...; ROLLBACK TO s` keeps the row locked.
TEST_F(MultiXactHeapTest, RollbackToSavepointKeepsTheParentsLock) {
  const ItemPointer tid = InsertCommitted(rel_, "v1");
  Channel p;
  const pid_t pid = harness_.ForkBackend([&] {
    transam::StartTransaction();
    TmFailureData f;
    if (HeapLockTuple(rel_, tid, transam::GetCurrentCommandId(false), RowLockMode::kExclusive,
                      LockWaitPolicy::kBlock, nullptr, &f) != TmResult::kOk) {
      return 1;
    }
    transam::DefineSavepoint("s");
    HeapTuple nt = MakeTuple("v2");
    bool hot = false;
    if (HeapUpdate(rel_, tid, nt, transam::GetCurrentCommandId(true), nullptr, true, &f, true,
                   &hot) != TmResult::kOk) {
      return 2;
    }
    transam::CommandCounterIncrement();
    transam::RollbackToSavepoint("s");
    p.SendToParent(1);
    (void)p.RecvInChild();
    // Our own lock: the row is still ours to update.
    HeapTuple again = MakeTuple("v3");
    if (HeapUpdate(rel_, tid, again, transam::GetCurrentCommandId(true), nullptr, false, &f, true,
                   &hot) != TmResult::kOk) {
      return 3;
    }
    p.SendToParent(again.self.offset);
    (void)p.RecvInChild();
    transam::CommitTransaction();
    return 0;
  });
  ASSERT_EQ(p.RecvInParent(), 1u);
  const HeapTupleHeader h = RawHeader(tid);
  EXPECT_TRUE(h.infomask & kHeapXmaxIsMulti);  // {parent: FOR UPDATE, subxact: update}
  EXPECT_EQ(TryLock(tid, RowLockMode::kExclusive, LockWaitPolicy::kError), TmResult::kWouldBlock);
  EXPECT_EQ(TryLock(tid, RowLockMode::kKeyShare, LockWaitPolicy::kSkip), TmResult::kWouldBlock);
  EXPECT_EQ(Fetch(tid), "v1");  // the rolled-back update is invisible
  transam::StartTransaction();
  TmFailureData f;
  EXPECT_EQ(HeapDelete(rel_, tid, transam::GetCurrentCommandId(true), nullptr, false, &f),
            TmResult::kBeingModified);
  transam::CommitTransaction();

  p.SendToChild(1);
  const auto v3_offset = p.RecvInParent();
  ASSERT_TRUE(v3_offset.has_value());
  p.SendToChild(1);
  EXPECT_EQ(harness_.Wait(pid), 0);
  EXPECT_EQ(Fetch(tid), std::nullopt);
  EXPECT_EQ(Fetch(RawHeader(tid).Ctid()), "v3");
  EXPECT_EQ(RawHeader(tid).Ctid().offset, *v3_offset);
}

TEST_F(MultiXactHeapTest, RollbackToSavepointAfterDeleteKeepsASharedLock) {
  const ItemPointer tid = InsertCommitted(rel_, "v1");
  Channel p;
  const pid_t pid = harness_.ForkBackend([&] {
    transam::StartTransaction();
    TmFailureData f;
    if (HeapLockTuple(rel_, tid, transam::GetCurrentCommandId(false), RowLockMode::kShare,
                      LockWaitPolicy::kBlock, nullptr, &f) != TmResult::kOk) {
      return 1;
    }
    transam::DefineSavepoint("s");
    if (HeapDelete(rel_, tid, transam::GetCurrentCommandId(true), nullptr, true, &f) !=
        TmResult::kOk) {
      return 2;
    }
    transam::RollbackToSavepoint("s");
    p.SendToParent(1);
    (void)p.RecvInChild();
    transam::CommitTransaction();
    return 0;
  });
  ASSERT_EQ(p.RecvInParent(), 1u);
  EXPECT_EQ(TryLock(tid, RowLockMode::kShare, LockWaitPolicy::kError), TmResult::kOk);
  EXPECT_EQ(TryLock(tid, RowLockMode::kNoKeyExclusive, LockWaitPolicy::kError),
            TmResult::kWouldBlock);
  EXPECT_EQ(Fetch(tid), "v1");
  p.SendToChild(1);
  EXPECT_EQ(harness_.Wait(pid), 0);
  EXPECT_EQ(TryLock(tid, RowLockMode::kExclusive, LockWaitPolicy::kError), TmResult::kOk);
  EXPECT_EQ(Fetch(tid), "v1");
}

TEST_F(MultiXactHeapTest, MultisSurviveCrashRecovery) {
  const ItemPointer t1 = InsertCommitted(rel_, "a");
  const ItemPointer t2 = InsertCommitted(rel_, "b");
  Channel a, b, c;
  // In flight at the crash: two FOR SHARE lockers of t1, a FOR KEY SHARE locker of t2.
  const pid_t pa = Session(a, Lock(t1, RowLockMode::kShare));
  const TransactionId xa(*a.RecvInParent());
  ASSERT_EQ(a.RecvInParent(), Code(TmResult::kOk));
  const pid_t pb = Session(b, Lock(t1, RowLockMode::kShare));
  const TransactionId xb(*b.RecvInParent());
  ASSERT_EQ(b.RecvInParent(), Code(TmResult::kOk));
  const pid_t pc = Session(c, Lock(t2, RowLockMode::kKeyShare));
  (void)c.RecvInParent();
  ASSERT_EQ(c.RecvInParent(), Code(TmResult::kOk));
  // Committed: a no-key update of t2 beside C's lock (a multi of C and the update).
  transam::StartTransaction();
  const TransactionId updater = transam::GetCurrentTransactionId();
  ASSERT_EQ(Update(t2, "b2", true)(), TmResult::kOk);
  transam::CommitTransaction();
  EXPECT_EQ(TryLock(t2, RowLockMode::kKeyShare, LockWaitPolicy::kError), TmResult::kUpdated);
  const ItemPointer t2_new = RawHeader(t2).Ctid();
  const transam::MultiXactId m1(RawHeader(t1).xmax);
  const transam::MultiXactId m2(RawHeader(t2).xmax);
  ASSERT_TRUE(RawHeader(t1).infomask & kHeapXmaxIsMulti);
  ASSERT_TRUE(RawHeader(t2).infomask & kHeapXmaxIsMulti);
  // A committed transaction's WAL (flushed) follows every record above.
  (void)InsertCommitted(rel_, "flush");
  (void)pa;
  (void)pb;
  (void)pc;
  harness_.Crash();

  // Redo re-created the multis and the tuple headers naming them.
  EXPECT_GT(transam::ReadNextMultiXactId(), m2);
  const std::vector<MultiXactMember> want1 = {{xa, MultiXactStatus::kForShare},
                                              {xb, MultiXactStatus::kForShare}};
  EXPECT_EQ(transam::GetMultiXactIdMembers(m1), want1);
  EXPECT_EQ(transam::MultiXactIdGetUpdateXid(m2), updater);
  EXPECT_EQ(RawHeader(t1).xmax, m1.value());
  EXPECT_TRUE(RawHeader(t1).infomask & kHeapXmaxIsMulti);
  EXPECT_EQ(RawHeader(t2).xmax, m2.value());
  EXPECT_EQ(RawHeader(t2).Ctid(), t2_new);
  // The crashed lockers are gone; the committed update still decides t2's visibility.
  EXPECT_EQ(Fetch(t1), "a");
  EXPECT_EQ(Fetch(t2), std::nullopt);
  EXPECT_EQ(Fetch(t2_new), "b2");
  EXPECT_EQ(TryLock(t1, RowLockMode::kExclusive, LockWaitPolicy::kError), TmResult::kOk);
  EXPECT_EQ(TryLock(t2_new, RowLockMode::kExclusive, LockWaitPolicy::kError), TmResult::kOk);
  EXPECT_EQ(TryLock(t2, RowLockMode::kShare, LockWaitPolicy::kError), TmResult::kUpdated);
  // New multis continue after the recovered ones.
  Channel d;
  const pid_t pd = Session(d, Lock(t1, RowLockMode::kKeyShare));
  (void)d.RecvInParent();
  ASSERT_EQ(d.RecvInParent(), Code(TmResult::kOk));
  EXPECT_EQ(TryLock(t1, RowLockMode::kKeyShare, LockWaitPolicy::kError), TmResult::kOk);
  d.SendToChild(kCommit);
  EXPECT_EQ(harness_.Wait(pd), 0);
}

TEST_F(MultiXactHeapTest, VacuumViewOfMultiXmax) {
  const ItemPointer locked = InsertCommitted(rel_, "locked");
  const ItemPointer updated = InsertCommitted(rel_, "updated");
  Channel a, b;
  const pid_t pa = Session(a, Lock(locked, RowLockMode::kShare));
  (void)a.RecvInParent();
  ASSERT_EQ(a.RecvInParent(), Code(TmResult::kOk));
  EXPECT_EQ(TryLock(locked, RowLockMode::kShare, LockWaitPolicy::kError), TmResult::kOk);
  const pid_t pb = Session(b, Lock(updated, RowLockMode::kKeyShare));
  (void)b.RecvInParent();
  ASSERT_EQ(b.RecvInParent(), Code(TmResult::kOk));
  transam::StartTransaction();
  ASSERT_EQ(Update(updated, "updated2", true)(), TmResult::kOk);
  transam::CommitTransaction();

  EXPECT_EQ(Vacuum(locked), HtsvResult::kLive);  // a lock never kills a tuple
  // Updated by a committed transaction while a locker still runs: dead once nobody can see
  // it, locker or not (the locker also holds the new version).
  const HtsvResult while_locked = Vacuum(updated);
  EXPECT_TRUE(while_locked == HtsvResult::kDead || while_locked == HtsvResult::kRecentlyDead);
  a.SendToChild(kCommit);
  b.SendToChild(kAbort);
  EXPECT_EQ(harness_.Wait(pa), 0);
  EXPECT_EQ(harness_.Wait(pb), 0);
  EXPECT_EQ(Vacuum(locked), HtsvResult::kLive);
  EXPECT_EQ(Vacuum(updated), HtsvResult::kDead);  // no snapshot is left that sees it
  // A lock-only multi with no member left reads as "xmax invalid".
  EXPECT_EQ(TryLock(locked, RowLockMode::kExclusive, LockWaitPolicy::kError), TmResult::kOk);

  // An aborted update kept in a multi by a locker: live again once the locker is gone.
  const ItemPointer aborted = InsertCommitted(rel_, "aborted");
  Channel c;
  const pid_t pc = Session(c, Lock(aborted, RowLockMode::kKeyShare));
  (void)c.RecvInParent();
  ASSERT_EQ(c.RecvInParent(), Code(TmResult::kOk));
  transam::StartTransaction();
  ASSERT_EQ(Update(aborted, "never", true)(), TmResult::kOk);
  transam::AbortTransaction();
  EXPECT_EQ(Vacuum(aborted), HtsvResult::kLive);
  c.SendToChild(kCommit);
  EXPECT_EQ(harness_.Wait(pc), 0);
  EXPECT_EQ(Vacuum(aborted), HtsvResult::kLive);
  EXPECT_EQ(Fetch(aborted), "aborted");
  EXPECT_EQ(TryLock(aborted, RowLockMode::kExclusive, LockWaitPolicy::kError), TmResult::kOk);
}

}  // namespace
}  // namespace keel::access
