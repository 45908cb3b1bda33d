// Visibility rules over hand-built tuple headers: every branch of MVCC, Self, Any, Dirty, Update
// and Vacuum against committed, aborted, running (another backend), current and rolled-back
// subtransaction xids; hint bits and the checksum rule (HP7, HP8). README.md ("Tests").
#include "access/heap/visibility.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>

#include "access/heap/heap_test_util.h"
#include "access/heap/heapam_internal.h"
#include "access/transam/transam.h"
#include "access/transam/wal.h"
#include "access/transam/xact.h"
#include "backend/utils/config/settings.h"
#include "tests/server/server_harness.h"

namespace keel::access {
namespace {

using keel::testing::ServerHarness;
using testing::Channel;
using transam::Snapshot;
using Buf = storage::Buffer;
constexpr Buf kNoBuf = storage::kInvalidBuffer;

HeapTupleHeader Header(TransactionId xmin, TransactionId xmax = kInvalidTransactionId,
                       uint16_t infomask = 0, uint32_t cid = 0) {
  HeapTupleHeader h;
  std::memset(&h, 0, sizeof h);
  h.xmin = xmin.value();
  h.xmax = xmax.value();
  h.infomask = static_cast<uint16_t>(infomask | (xmax.value() == 0 ? kHeapXmaxInvalid : 0));
  h.cid = cid;
  h.infomask2 = 1;
  h.hoff = 32;
  return h;
}

class VisibilityTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // A committed and an aborted xid of this process.
    transam::StartTransaction();
    committed_ = transam::GetCurrentTransactionId();
    transam::CommitTransaction();
    transam::StartTransaction();
    aborted_ = transam::GetCurrentTransactionId();
    transam::AbortTransaction();
    // A transaction running in another backend until the test ends.
    child_ = harness_.ForkBackend([this] {
      transam::StartTransaction();
      chan_.SendToParent(transam::GetCurrentTransactionId().value());
      (void)chan_.RecvInChild(60000);
      transam::CommitTransaction();
      return 0;
    });
    running_ = TransactionId(chan_.RecvInParent().value());
    // The current transaction, with a rolled-back subtransaction.
    transam::StartTransaction();
    current_ = transam::GetCurrentTransactionId();
    transam::DefineSavepoint("s");
    rolled_back_sub_ = transam::GetCurrentTransactionId();
    transam::RollbackToSavepoint("s");
    ASSERT_NE(rolled_back_sub_, current_);
  }
  void TearDown() override {
    if (transam::IsTransactionActive()) transam::AbortTransaction();
    chan_.SendToChild(1);
    EXPECT_EQ(harness_.Wait(child_), 0);
  }

  // A snapshot taken "now" by hand: everything below next xid finished except `running`.
  Snapshot SnapshotNow(uint32_t curcid, std::vector<TransactionId> also_running = {}) {
    Snapshot s;
    s.xmin = std::min(running_, committed_);
    s.xmax = transam::ReadNextTransactionId();
    s.xip = {running_};
    for (TransactionId x : also_running) s.xip.push_back(x);
    std::sort(s.xip.begin(), s.xip.end());
    s.curcid = CommandId(curcid);
    return s;
  }

  ServerHarness harness_;
  Channel chan_;
  pid_t child_ = 0;
  TransactionId committed_, aborted_, running_, current_, rolled_back_sub_;
};

TEST_F(VisibilityTest, MvccInserter) {
  Snapshot s = SnapshotNow(5);
  auto h = Header(committed_);
  EXPECT_TRUE(HeapTupleSatisfiesMvcc(&h, s, kNoBuf));
  h = Header(committed_, kInvalidTransactionId, kHeapXminCommitted);
  EXPECT_TRUE(HeapTupleSatisfiesMvcc(&h, s, kNoBuf));
  // Committed, but after the snapshot was taken (in its xip), with and without the hint.
  Snapshot later = SnapshotNow(5, {committed_});
  h = Header(committed_);
  EXPECT_FALSE(HeapTupleSatisfiesMvcc(&h, later, kNoBuf));
  h = Header(committed_, kInvalidTransactionId, kHeapXminCommitted);
  EXPECT_FALSE(HeapTupleSatisfiesMvcc(&h, later, kNoBuf));
  h = Header(aborted_);
  EXPECT_FALSE(HeapTupleSatisfiesMvcc(&h, s, kNoBuf));
  h = Header(committed_, kInvalidTransactionId, kHeapXminInvalid);
  EXPECT_FALSE(HeapTupleSatisfiesMvcc(&h, s, kNoBuf));
  h = Header(running_);
  EXPECT_FALSE(HeapTupleSatisfiesMvcc(&h, s, kNoBuf));
  h = Header(transam::kFrozenTransactionId);
  EXPECT_TRUE(HeapTupleSatisfiesMvcc(&h, s, kNoBuf));
  h = Header(rolled_back_sub_);
  EXPECT_FALSE(HeapTupleSatisfiesMvcc(&h, s, kNoBuf));
  // A snapshot whose xmax is below the xid: not yet started for it.
  Snapshot old = s;
  old.xmax = committed_;
  old.xmin = std::min(old.xmin, committed_);
  old.xip.clear();
  h = Header(committed_);
  EXPECT_FALSE(HeapTupleSatisfiesMvcc(&h, old, kNoBuf));
}

TEST_F(VisibilityTest, MvccOwnChanges) {
  Snapshot s = SnapshotNow(5);
  auto h = Header(current_, kInvalidTransactionId, 0, 4);
  EXPECT_TRUE(HeapTupleSatisfiesMvcc(&h, s, kNoBuf));   // inserted by an earlier command
  h = Header(current_, kInvalidTransactionId, 0, 5);
  EXPECT_FALSE(HeapTupleSatisfiesMvcc(&h, s, kNoBuf));  // by this or a later command
  // Deleted by us: visible iff the delete came at/after curcid (cid holds cmax here: a combo
  // id would be needed for both, the fetch/update tests cover combos).
  h = Header(current_, current_, 0, 3);
  EXPECT_FALSE(HeapTupleSatisfiesMvcc(&h, s, kNoBuf));
  h = Header(committed_, current_, kHeapXminCommitted, 7);
  EXPECT_TRUE(HeapTupleSatisfiesMvcc(&h, s, kNoBuf));
  h = Header(committed_, current_, kHeapXminCommitted, 2);
  EXPECT_FALSE(HeapTupleSatisfiesMvcc(&h, s, kNoBuf));
  // Inserted by us, locked by us: visible. Deleted by a rolled-back subtransaction: visible.
  h = Header(current_, current_, kHeapXmaxLockOnly | kHeapXmaxExclLock, 1);
  EXPECT_TRUE(HeapTupleSatisfiesMvcc(&h, s, kNoBuf));
  h = Header(current_, rolled_back_sub_, 0, 1);
  EXPECT_TRUE(HeapTupleSatisfiesMvcc(&h, s, kNoBuf));
  h = Header(committed_, rolled_back_sub_, kHeapXminCommitted, 1);
  EXPECT_TRUE(HeapTupleSatisfiesMvcc(&h, s, kNoBuf));
}

TEST_F(VisibilityTest, MvccDeleter) {
  Snapshot s = SnapshotNow(5);
  auto h = Header(committed_, committed_);
  EXPECT_FALSE(HeapTupleSatisfiesMvcc(&h, s, kNoBuf));
  h = Header(committed_, committed_, kHeapXmaxCommitted);
  EXPECT_FALSE(HeapTupleSatisfiesMvcc(&h, s, kNoBuf));
  Snapshot later = SnapshotNow(5, {committed_});  // delete committed after the snapshot
  h = Header(transam::kFrozenTransactionId, committed_, kHeapXmaxCommitted);
  EXPECT_TRUE(HeapTupleSatisfiesMvcc(&h, later, kNoBuf));
  h = Header(transam::kFrozenTransactionId, committed_);
  EXPECT_TRUE(HeapTupleSatisfiesMvcc(&h, later, kNoBuf));
  h = Header(committed_, running_);
  EXPECT_TRUE(HeapTupleSatisfiesMvcc(&h, s, kNoBuf));
  h = Header(committed_, aborted_);
  EXPECT_TRUE(HeapTupleSatisfiesMvcc(&h, s, kNoBuf));
  h = Header(committed_, committed_, kHeapXmaxInvalid);
  EXPECT_TRUE(HeapTupleSatisfiesMvcc(&h, s, kNoBuf));
  h = Header(committed_, committed_, kHeapXmaxLockOnly | kHeapXmaxKeyShrLock);
  EXPECT_TRUE(HeapTupleSatisfiesMvcc(&h, s, kNoBuf));
}

TEST_F(VisibilityTest, Self) {
  auto h = Header(committed_);
  EXPECT_TRUE(HeapTupleSatisfiesSelf(&h, kNoBuf));
  h = Header(aborted_);
  EXPECT_FALSE(HeapTupleSatisfiesSelf(&h, kNoBuf));
  h = Header(running_);
  EXPECT_FALSE(HeapTupleSatisfiesSelf(&h, kNoBuf));
  h = Header(current_, kInvalidTransactionId, 0, 99);  // all own commands count
  EXPECT_TRUE(HeapTupleSatisfiesSelf(&h, kNoBuf));
  h = Header(current_, current_);
  EXPECT_FALSE(HeapTupleSatisfiesSelf(&h, kNoBuf));
  h = Header(current_, rolled_back_sub_);
  EXPECT_TRUE(HeapTupleSatisfiesSelf(&h, kNoBuf));
  h = Header(current_, current_, kHeapXmaxLockOnly | kHeapXmaxExclLock);
  EXPECT_TRUE(HeapTupleSatisfiesSelf(&h, kNoBuf));
  h = Header(committed_, committed_);
  EXPECT_FALSE(HeapTupleSatisfiesSelf(&h, kNoBuf));
  h = Header(committed_, committed_, kHeapXmaxCommitted | kHeapXmaxLockOnly | kHeapXmaxExclLock);
  EXPECT_TRUE(HeapTupleSatisfiesSelf(&h, kNoBuf));
  h = Header(committed_, running_);
  EXPECT_TRUE(HeapTupleSatisfiesSelf(&h, kNoBuf));
  h = Header(committed_, aborted_);
  EXPECT_TRUE(HeapTupleSatisfiesSelf(&h, kNoBuf));
  h = Header(committed_, current_);
  EXPECT_FALSE(HeapTupleSatisfiesSelf(&h, kNoBuf));
}

TEST_F(VisibilityTest, Any) {
  auto h = Header(committed_, committed_);
  EXPECT_TRUE(HeapTupleSatisfiesAny(&h, kNoBuf));  // deleted versions too
  h = Header(running_);
  EXPECT_TRUE(HeapTupleSatisfiesAny(&h, kNoBuf));
  h = Header(current_);
  EXPECT_TRUE(HeapTupleSatisfiesAny(&h, kNoBuf));
  h = Header(aborted_);
  EXPECT_FALSE(HeapTupleSatisfiesAny(&h, kNoBuf));
  h = Header(committed_, kInvalidTransactionId, kHeapXminInvalid);
  EXPECT_FALSE(HeapTupleSatisfiesAny(&h, kNoBuf));
}

TEST_F(VisibilityTest, Dirty) {
  TransactionId xmin, xmax;
  auto h = Header(running_);
  EXPECT_TRUE(HeapTupleSatisfiesDirty(&h, kNoBuf, &xmin, &xmax));
  EXPECT_EQ(xmin, running_);
  EXPECT_EQ(xmax, kInvalidTransactionId);
  h = Header(committed_, running_);
  EXPECT_TRUE(HeapTupleSatisfiesDirty(&h, kNoBuf, &xmin, &xmax));
  EXPECT_EQ(xmin, kInvalidTransactionId);
  EXPECT_EQ(xmax, running_);
  h = Header(committed_, running_, kHeapXmaxLockOnly | kHeapXmaxExclLock);  // a lock: no wait
  EXPECT_TRUE(HeapTupleSatisfiesDirty(&h, kNoBuf, &xmin, &xmax));
  EXPECT_EQ(xmax, kInvalidTransactionId);
  h = Header(aborted_);
  EXPECT_FALSE(HeapTupleSatisfiesDirty(&h, kNoBuf, &xmin, &xmax));
  h = Header(committed_, committed_);
  EXPECT_FALSE(HeapTupleSatisfiesDirty(&h, kNoBuf, &xmin, &xmax));
  h = Header(committed_, aborted_);
  EXPECT_TRUE(HeapTupleSatisfiesDirty(&h, kNoBuf, &xmin, &xmax));
  h = Header(current_, current_);
  EXPECT_FALSE(HeapTupleSatisfiesDirty(&h, kNoBuf, &xmin, &xmax));
  h = Header(current_);
  EXPECT_TRUE(HeapTupleSatisfiesDirty(&h, kNoBuf, &xmin, &xmax));
  EXPECT_EQ(xmin, kInvalidTransactionId);
}

TEST_F(VisibilityTest, Update) {
  const CommandId cid(5);
  auto h = Header(committed_);
  EXPECT_EQ(HeapTupleSatisfiesUpdate(&h, cid, kNoBuf), TmResult::kOk);
  h = Header(aborted_);
  EXPECT_EQ(HeapTupleSatisfiesUpdate(&h, cid, kNoBuf), TmResult::kInvisible);
  h = Header(running_);
  EXPECT_EQ(HeapTupleSatisfiesUpdate(&h, cid, kNoBuf), TmResult::kInvisible);
  h = Header(current_, kInvalidTransactionId, 0, 5);
  EXPECT_EQ(HeapTupleSatisfiesUpdate(&h, cid, kNoBuf), TmResult::kInvisible);
  h = Header(current_, kInvalidTransactionId, 0, 4);
  EXPECT_EQ(HeapTupleSatisfiesUpdate(&h, cid, kNoBuf), TmResult::kOk);
  h = Header(committed_, running_);
  EXPECT_EQ(HeapTupleSatisfiesUpdate(&h, cid, kNoBuf), TmResult::kBeingModified);
  h = Header(committed_, running_, kHeapXmaxLockOnly | kHeapXmaxKeyShrLock);
  EXPECT_EQ(HeapTupleSatisfiesUpdate(&h, cid, kNoBuf), TmResult::kBeingModified);
  h = Header(committed_, current_, kHeapXmaxLockOnly | kHeapXmaxExclLock);
  EXPECT_EQ(HeapTupleSatisfiesUpdate(&h, cid, kNoBuf), TmResult::kBeingModified);
  h = Header(committed_, committed_, kHeapXmaxLockOnly | kHeapXmaxExclLock);
  EXPECT_EQ(HeapTupleSatisfiesUpdate(&h, cid, kNoBuf), TmResult::kOk);  // finished locker
  h = Header(committed_, committed_);
  EXPECT_EQ(HeapTupleSatisfiesUpdate(&h, cid, kNoBuf), TmResult::kUpdated);
  h = Header(committed_, committed_, kHeapXmaxCommitted);
  EXPECT_EQ(HeapTupleSatisfiesUpdate(&h, cid, kNoBuf), TmResult::kUpdated);
  h = Header(committed_, aborted_);
  EXPECT_EQ(HeapTupleSatisfiesUpdate(&h, cid, kNoBuf), TmResult::kOk);
  h = Header(committed_, current_, 0, 5);
  EXPECT_EQ(HeapTupleSatisfiesUpdate(&h, cid, kNoBuf), TmResult::kSelfModified);
  h = Header(committed_, current_, 0, 4);
  EXPECT_EQ(HeapTupleSatisfiesUpdate(&h, cid, kNoBuf), TmResult::kInvisible);
  h = Header(current_, current_, 0, 6);  // own insert+delete: cid is cmax without a combo
  EXPECT_EQ(HeapTupleSatisfiesUpdate(&h, CommandId(7), kNoBuf), TmResult::kInvisible);
  h = Header(current_, rolled_back_sub_, 0, 1);
  EXPECT_EQ(HeapTupleSatisfiesUpdate(&h, cid, kNoBuf), TmResult::kOk);
  h = Header(current_, current_, kHeapXmaxLockOnly | kHeapXmaxExclLock, 1);
  EXPECT_EQ(HeapTupleSatisfiesUpdate(&h, cid, kNoBuf), TmResult::kBeingModified);
}

TEST_F(VisibilityTest, Vacuum) {
  const TransactionId horizon = std::min(running_, current_);
  auto h = Header(aborted_);
  EXPECT_EQ(HeapTupleSatisfiesVacuum(&h, horizon, kNoBuf), HtsvResult::kDead);
  h = Header(running_);
  EXPECT_EQ(HeapTupleSatisfiesVacuum(&h, horizon, kNoBuf), HtsvResult::kInsertInProgress);
  h = Header(current_);
  EXPECT_EQ(HeapTupleSatisfiesVacuum(&h, horizon, kNoBuf), HtsvResult::kInsertInProgress);
  h = Header(current_, current_);
  EXPECT_EQ(HeapTupleSatisfiesVacuum(&h, horizon, kNoBuf), HtsvResult::kDeleteInProgress);
  h = Header(committed_);
  EXPECT_EQ(HeapTupleSatisfiesVacuum(&h, horizon, kNoBuf), HtsvResult::kLive);
  h = Header(committed_, running_);
  EXPECT_EQ(HeapTupleSatisfiesVacuum(&h, horizon, kNoBuf), HtsvResult::kDeleteInProgress);
  h = Header(committed_, running_, kHeapXmaxLockOnly | kHeapXmaxExclLock);
  EXPECT_EQ(HeapTupleSatisfiesVacuum(&h, horizon, kNoBuf), HtsvResult::kLive);
  h = Header(committed_, aborted_);
  EXPECT_EQ(HeapTupleSatisfiesVacuum(&h, horizon, kNoBuf), HtsvResult::kLive);
  // Deleted by a committed xid: dead below the horizon, recently dead at or above it.
  h = Header(committed_, committed_);
  EXPECT_EQ(HeapTupleSatisfiesVacuum(&h, TransactionId(committed_.value() + 1), kNoBuf),
            HtsvResult::kDead);
  h = Header(committed_, committed_);
  EXPECT_EQ(HeapTupleSatisfiesVacuum(&h, committed_, kNoBuf), HtsvResult::kRecentlyDead);
}

TEST_F(VisibilityTest, ComboCids) {
  // The same transaction inserts at command 2 and deletes at command 4.
  auto h = Header(current_, kInvalidTransactionId, 0, 2);
  bool combo = false;
  const CommandId stored = internal::ComputeCmaxToStore(&h, CommandId(4), &combo);
  ASSERT_TRUE(combo);
  h.xmax = current_.value();
  h.infomask = static_cast<uint16_t>((h.infomask & ~kHeapXmaxBits) | kHeapComboCid);
  h.cid = stored.value();
  EXPECT_EQ(HeapTupleGetCmin(&h), CommandId(2));
  EXPECT_EQ(HeapTupleGetCmax(&h), CommandId(4));
  EXPECT_FALSE(HeapTupleSatisfiesMvcc(&h, SnapshotNow(2), kNoBuf));  // not yet inserted
  EXPECT_TRUE(HeapTupleSatisfiesMvcc(&h, SnapshotNow(3), kNoBuf));   // inserted, not deleted
  EXPECT_TRUE(HeapTupleSatisfiesMvcc(&h, SnapshotNow(4), kNoBuf));
  EXPECT_FALSE(HeapTupleSatisfiesMvcc(&h, SnapshotNow(5), kNoBuf));  // deleted
  // The same pair maps to the same id; another transaction's tuple gets no combo.
  auto h2 = Header(current_, kInvalidTransactionId, 0, 2);
  EXPECT_EQ(internal::ComputeCmaxToStore(&h2, CommandId(4), &combo), stored);
  auto h3 = Header(committed_, kInvalidTransactionId, kHeapXminCommitted, 2);
  EXPECT_EQ(internal::ComputeCmaxToStore(&h3, CommandId(4), &combo), CommandId(4));
  EXPECT_FALSE(combo);
}

// Hint bits go to the shared page (and are then trusted) unless checksums are on and the page
// has not been WAL-logged since the redo pointer (HP8).
TEST(VisibilityHintTest, HintsSetAndSkippedAfterCheckpoint) {
  ServerHarness harness;
  Relation rel = testing::CreateTestHeap(16400);
  const storage::ItemPointer tid = testing::InsertCommitted(rel, "hello");
  auto xmin_hint = [&] {
    transam::StartTransaction();
    Snapshot s = transam::GetTransactionSnapshot();
    uint16_t infomask;
    {
      storage::PinnedBuffer pin(storage::ReadBuffer(rel.locator, ForkNumber::kMain, tid.block));
      storage::BufferLockGuard lock(pin.get(), storage::BufferLockMode::kShare);
      HeapTupleHeader* t = internal::PageGetHeapTuple(storage::BufferGetPage(pin.get()), tid.offset);
      EXPECT_TRUE(HeapTupleSatisfiesMvcc(t, s, pin.get()));
      infomask = t->infomask;
    }
    transam::CommitTransaction();
    return (infomask & kHeapXminCommitted) != 0;
  };
  harness.Checkpoint();  // the page's LSN is now older than the redo pointer
  EXPECT_FALSE(xmin_hint());
  EXPECT_FALSE(xmin_hint());
  // A WAL-logged change to the page (another insert there) makes hints settable again.
  const storage::ItemPointer tid2 = testing::InsertCommitted(rel, "again");
  ASSERT_EQ(tid2.block, tid.block);
  EXPECT_TRUE(xmin_hint());
}

TEST(VisibilityHintTest, HintsWithoutChecksums) {
  keel::testing::HarnessOptions options;
  options.data_checksums = false;
  ServerHarness harness(options);
  Relation rel = testing::CreateTestHeap(16401);
  const storage::ItemPointer tid = testing::InsertCommitted(rel, "x");
  harness.Checkpoint();
  transam::StartTransaction();
  Snapshot s = transam::GetTransactionSnapshot();
  {
    storage::PinnedBuffer pin(storage::ReadBuffer(rel.locator, ForkNumber::kMain, tid.block));
    storage::BufferLockGuard lock(pin.get(), storage::BufferLockMode::kShare);
    HeapTupleHeader* t = internal::PageGetHeapTuple(storage::BufferGetPage(pin.get()), tid.offset);
    EXPECT_EQ(t->infomask & kHeapXminCommitted, 0);
    EXPECT_TRUE(HeapTupleSatisfiesMvcc(t, s, pin.get()));
    EXPECT_NE(t->infomask & kHeapXminCommitted, 0);
  }
  transam::CommitTransaction();
}

// HP17: a commit that is not yet durable (synchronous_commit = off) gets no "committed" hint;
// once WAL is flushed past it, it does.
TEST(VisibilityHintTest, NoCommittedHintBeforeAnAsynchronousCommitIsDurable) {
  keel::testing::HarnessOptions options;
  options.data_checksums = false;
  ServerHarness harness(options);
  Relation rel = testing::CreateTestHeap(16402);
  transam::WalFlush(transam::WalInsertPosition());
  settings::synchronous_commit = settings::SynchronousCommit::kOff;
  const storage::ItemPointer tid = testing::InsertCommitted(rel, "async");
  settings::synchronous_commit = settings::SynchronousCommit::kOn;
  auto read_hint = [&] {
    transam::StartTransaction();
    Snapshot s = transam::GetTransactionSnapshot();
    uint16_t infomask;
    {
      storage::PinnedBuffer pin(storage::ReadBuffer(rel.locator, ForkNumber::kMain, tid.block));
      storage::BufferLockGuard lock(pin.get(), storage::BufferLockMode::kShare);
      HeapTupleHeader* t = internal::PageGetHeapTuple(storage::BufferGetPage(pin.get()), tid.offset);
      EXPECT_TRUE(HeapTupleSatisfiesMvcc(t, s, pin.get()));
      infomask = t->infomask;
    }
    transam::CommitTransaction();
    return (infomask & kHeapXminCommitted) != 0;
  };
  ASSERT_TRUE(transam::WalNeedsFlush(transam::WalInsertPosition())) << "nothing flushed the commit";
  EXPECT_FALSE(read_hint());
  transam::WalFlush(transam::WalInsertPosition());
  EXPECT_TRUE(read_hint());
}

}  // namespace
}  // namespace keel::access
