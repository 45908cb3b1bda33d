// Relation storage that follows the transaction, over the real shared state and real files:
// creations undone by abort (live and by redo), drops done at commit only (live, and by redo
// when the crash comes right after the commit record), buffers of dropped relations gone,
// savepoints (rollback, release, nesting, redo of the abort-sub record), two-phase commit and
// rollback (live, across crashes, right after the COMMIT PREPARED record). README.md ("Pending
// deletes").
#include <gtest/gtest.h>

#include <unistd.h>

#include <string>

#include "access/transam/pending_deletes.h"
#include "access/transam/pending_deletes_internal.h"
#include "access/transam/rmgr.h"
#include "access/transam/storage_test_util.h"
#include "access/transam/transam.h"
#include "access/transam/twophase.h"
#include "access/transam/wal.h"
#include "access/transam/xact.h"
#include "backend/utils/config/settings.h"
#include "backend/utils/error/error.h"
#include "storage/buffer/bufmgr.h"
#include "storage/smgr/smgr.h"
#include "tests/server/server_harness.h"

namespace keel::transam {
namespace {

using keel::testing::HarnessOptions;
using keel::testing::ServerHarness;
using testing::AppendPage;
using testing::FileState;
using testing::IsDropped;
using testing::LastRecordText;
using testing::MainForkState;
using testing::ReadPayload;
using testing::TestLocator;

constexpr int kWaitMs = 30'000;

// A committed relation with one page holding `payload`.
void CreateCommitted(const RelFileLocator& rel, uint64_t payload) {
  StartTransaction();
  RelationCreateStorage(rel, RelPersistence::kPermanent);
  AppendPage(rel, payload);
  CommitTransaction();
}

// Whether reading block 0 fails: no buffer holds it and the file has no such block.
bool ReadFails(const RelFileLocator& rel) {
  try {
    (void)ReadPayload(rel);
    return false;
  } catch (const Error&) {
    return true;
  }
}

TEST(PendingDeletesTest, CreateThenAbortRemovesTheFiles) {
  ServerHarness harness;
  const RelFileLocator rel = TestLocator(20001);
  const Lsn start = WalInsertPosition();
  StartTransaction();
  RelationCreateStorage(rel, RelPersistence::kPermanent);
  EXPECT_TRUE(TransactionIdIsValid(GetCurrentTransactionIdIfAny())) << "D1: an xid";
  AppendPage(rel, 42);
  storage::SmgrCreate(rel, ForkNumber::kFsm, /*is_redo=*/false);  // another fork goes too
  EXPECT_EQ(ReadPayload(rel), 42u);
  AbortTransaction();
  EXPECT_TRUE(IsDropped(rel));
  EXPECT_EQ(testing::StateOf(storage::RelationPath(rel, ForkNumber::kFsm)), FileState::kMissing);
  EXPECT_TRUE(ReadFails(rel)) << "the buffer went with the file";
  harness.Checkpoint();  // SM5: the main fork's name goes with the next checkpoint
  EXPECT_EQ(MainForkState(rel), FileState::kMissing);
  const auto text = LastRecordText(harness.dir(), start, RmgrId::kXact, kXactAbort);
  ASSERT_TRUE(text.has_value());
  EXPECT_NE(text->find("; rels: base/5/20001"), std::string::npos) << *text;
}

TEST(PendingDeletesTest, CreateThenCommitSurvivesACrash) {
  ServerHarness harness;
  const RelFileLocator rel = TestLocator(20002);
  CreateCommitted(rel, 7);
  harness.Crash();
  EXPECT_EQ(MainForkState(rel), FileState::kHasData);
  EXPECT_EQ(ReadPayload(rel), 7u);
}

TEST(PendingDeletesTest, AbortedCreateStaysRemovedAfterACrash) {
  ServerHarness harness;
  const RelFileLocator rel = TestLocator(20003);
  StartTransaction();
  RelationCreateStorage(rel, RelPersistence::kPermanent);
  AppendPage(rel, 3);
  AbortTransaction();
  // Redo re-creates the file (CREATE, then the page image) and removes it again at the abort
  // record, which was flushed before the files went (D4).
  harness.Crash();
  EXPECT_EQ(MainForkState(rel), FileState::kMissing);
}

TEST(PendingDeletesTest, DropHappensAtCommitAndTakesTheBuffers) {
  ServerHarness harness;
  const RelFileLocator rel = TestLocator(20004);
  const RelFileLocator other = TestLocator(20005);
  CreateCommitted(rel, 11);
  CreateCommitted(other, 12);
  storage::SmgrCreate(rel, ForkNumber::kVisibilityMap, /*is_redo=*/false);
  EXPECT_EQ(ReadPayload(rel), 11u);  // cached in a buffer now
  const Lsn start = WalInsertPosition();
  StartTransaction();
  RelationDropStorage(rel);
  EXPECT_EQ(MainForkState(rel), FileState::kHasData) << "D3: nothing before commit";
  EXPECT_EQ(ReadPayload(rel), 11u);
  CommitTransaction();
  EXPECT_TRUE(IsDropped(rel));
  EXPECT_EQ(testing::StateOf(storage::RelationPath(rel, ForkNumber::kVisibilityMap)),
            FileState::kMissing);
  EXPECT_TRUE(ReadFails(rel)) << "a buffer of the dropped relation survived";
  EXPECT_EQ(ReadPayload(other), 12u) << "other relations are untouched";
  harness.Checkpoint();
  EXPECT_EQ(MainForkState(rel), FileState::kMissing);
  const auto text = LastRecordText(harness.dir(), start, RmgrId::kXact, kXactCommit);
  ASSERT_TRUE(text.has_value());
  EXPECT_NE(text->find("; rels: base/5/20004"), std::string::npos) << *text;
  harness.Crash();  // redo of a removal that already happened is fine (D6)
  EXPECT_EQ(MainForkState(rel), FileState::kMissing);
  EXPECT_EQ(ReadPayload(other), 12u);
}

TEST(PendingDeletesTest, DropThenAbortKeepsEverything) {
  ServerHarness harness;
  const RelFileLocator rel = TestLocator(20006);
  CreateCommitted(rel, 5);
  StartTransaction();
  RelationDropStorage(rel);
  AbortTransaction();
  EXPECT_EQ(MainForkState(rel), FileState::kHasData);
  EXPECT_EQ(ReadPayload(rel), 5u);
  harness.Checkpoint();
  harness.Crash();
  EXPECT_EQ(ReadPayload(rel), 5u);
}

TEST(PendingDeletesTest, SynchronousCommitOffStillFlushesADrop) {
  ServerHarness harness;
  const RelFileLocator rel = TestLocator(20007);
  CreateCommitted(rel, 9);
  const auto saved = settings::synchronous_commit;
  settings::synchronous_commit = settings::SynchronousCommit::kOff;
  StartTransaction();
  RelationDropStorage(rel);
  CommitTransaction();
  settings::synchronous_commit = saved;
  // D4: the files went, so the commit must be durable: the crash must not bring them back.
  EXPECT_GE(WalFlushPosition(), WalInsertPosition());
  harness.Crash();
  EXPECT_TRUE(IsDropped(rel));
}

#ifdef KEEL_DEBUG
TEST(PendingDeletesTest, CrashRightAfterTheCommitRecordStillDrops) {
  ServerHarness harness;
  const RelFileLocator rel = TestLocator(20008);
  CreateCommitted(rel, 21);
  harness.Checkpoint();  // redo will not even see the creation
  const pid_t child = harness.ForkBackend([&] {
    StartTransaction();
    RelationDropStorage(rel);
    // Dies after the commit record is durable, before anything else of the commit.
    TestOnlySetCommitHook([] { _exit(0); });
    CommitTransaction();
    return 1;
  });
  ASSERT_EQ(harness.Wait(child, kWaitMs), 0);
  EXPECT_EQ(MainForkState(rel), FileState::kHasData) << "the process died before removing";
  harness.Crash();
  // D8: redo of the commit record removed the files (the end-of-recovery checkpoint the name).
  EXPECT_EQ(MainForkState(rel), FileState::kMissing);
  EXPECT_TRUE(ReadFails(rel));
}
#endif

TEST(PendingDeletesTest, RollbackToSavepointRemovesCreationsAndForgetsDrops) {
  ServerHarness harness;
  const RelFileLocator kept = TestLocator(20010);
  const RelFileLocator created = TestLocator(20011);
  const RelFileLocator outer = TestLocator(20012);
  CreateCommitted(kept, 1);
  const Lsn start = WalInsertPosition();
  StartTransaction();
  RelationCreateStorage(outer, RelPersistence::kPermanent);  // level 1: survives ROLLBACK TO
  AppendPage(outer, 2);
  DefineSavepoint("s");
  RelationCreateStorage(created, RelPersistence::kPermanent);
  AppendPage(created, 3);
  RelationDropStorage(kept);
  RollbackToSavepoint("s");
  EXPECT_TRUE(IsDropped(created)) << "D5: created at a rolled-back level";
  EXPECT_EQ(MainForkState(kept), FileState::kHasData);
  EXPECT_EQ(MainForkState(outer), FileState::kHasData);
  const auto text = LastRecordText(harness.dir(), start, RmgrId::kXact, kXactAbortSub);
  ASSERT_TRUE(text.has_value());
  EXPECT_NE(text->find("; rels: base/5/20011"), std::string::npos) << *text;
  EXPECT_EQ(text->find("20012"), std::string::npos) << *text;
  CommitTransaction();
  EXPECT_EQ(ReadPayload(kept), 1u) << "the rolled-back drop was forgotten";
  EXPECT_EQ(ReadPayload(outer), 2u);
  EXPECT_TRUE(IsDropped(created));
}

// B14 / D10: a scan of the rolled-back level still pins a page of what that level created (no
// error released it): ROLLBACK TO lets go of the pin and removes the file anyway.
TEST(PendingDeletesTest, RollbackToSavepointReleasesPinsOnWhatItRemoves) {
  ServerHarness harness;
  const RelFileLocator created = TestLocator(20013);
  StartTransaction();
  DefineSavepoint("s");
  RelationCreateStorage(created, RelPersistence::kPermanent);
  AppendPage(created, 3);
  const storage::Buffer pinned = storage::ReadBuffer(created, ForkNumber::kMain, BlockNumber(0));
  const uint64_t epoch = storage::BufferPinEpoch();
  RollbackToSavepoint("s");
  EXPECT_TRUE(IsDropped(created)) << "the file must go although a pin was held";
  EXPECT_FALSE(storage::BufferIsPinnedByMe(pinned));
  EXPECT_NE(storage::BufferPinEpoch(), epoch) << "B13: the pin's owner must not unpin it again";
  EXPECT_TRUE(ReadFails(created)) << "the buffer went with the file";
  CommitTransaction();
  harness.Checkpoint();
  EXPECT_EQ(MainForkState(created), FileState::kMissing);
}

#ifndef KEEL_DEBUG
// D6 / B14: a pin this process should not hold (a bug: Debug asserts) does not keep the file.
TEST(PendingDeletesTest, OwnPinDoesNotKeepDroppedStorage) {
  ServerHarness harness;
  const RelFileLocator rel = TestLocator(20014);
  CreateCommitted(rel, 8);
  const storage::Buffer pinned = storage::ReadBuffer(rel, ForkNumber::kMain, BlockNumber(0));
  DropStorageNow({&rel, 1});
  EXPECT_TRUE(IsDropped(rel));
  EXPECT_FALSE(storage::BufferIsPinnedByMe(pinned));
  EXPECT_TRUE(ReadFails(rel));
}
#endif

TEST(PendingDeletesTest, ReleasedSavepointHandsItsListsToTheParent) {
  ServerHarness harness;
  const RelFileLocator a = TestLocator(20020);
  const RelFileLocator b = TestLocator(20021);
  const RelFileLocator c = TestLocator(20022);
  CreateCommitted(a, 1);
  // Released into the parent, which aborts: the creation goes, the drop never happens.
  StartTransaction();
  DefineSavepoint("s");
  RelationCreateStorage(b, RelPersistence::kPermanent);
  AppendPage(b, 2);
  RelationDropStorage(a);
  ReleaseSavepoint("s");
  AbortTransaction();
  EXPECT_TRUE(IsDropped(b));
  EXPECT_EQ(ReadPayload(a), 1u);
  // Released into the parent, which commits: the creation stays, the drop happens.
  StartTransaction();
  DefineSavepoint("s");
  RelationCreateStorage(c, RelPersistence::kPermanent);
  AppendPage(c, 3);
  RelationDropStorage(a);
  ReleaseSavepoint("s");
  CommitTransaction();
  EXPECT_EQ(ReadPayload(c), 3u);
  EXPECT_TRUE(IsDropped(a));
}

TEST(PendingDeletesTest, NestedSavepoints) {
  ServerHarness harness;
  const RelFileLocator e = TestLocator(20030);
  const RelFileLocator f = TestLocator(20031);
  const RelFileLocator g = TestLocator(20032);
  StartTransaction();
  DefineSavepoint("s1");
  RelationCreateStorage(e, RelPersistence::kPermanent);
  DefineSavepoint("s2");
  RelationCreateStorage(f, RelPersistence::kPermanent);
  ReleaseSavepoint("s2");  // f now belongs to s1's level
  DefineSavepoint("s3");
  RelationCreateStorage(g, RelPersistence::kPermanent);
  RollbackToSavepoint("s3");
  EXPECT_NE(MainForkState(e), FileState::kMissing);
  EXPECT_NE(MainForkState(f), FileState::kMissing);
  EXPECT_TRUE(IsDropped(g));
  RollbackToSavepoint("s1");  // f went up to s1's level, so it goes with it
  harness.Checkpoint();
  EXPECT_EQ(MainForkState(e), FileState::kMissing);
  EXPECT_EQ(MainForkState(f), FileState::kMissing);
  CommitTransaction();
}

TEST(PendingDeletesTest, AbortSubRecordRemovesFilesInRedo) {
  ServerHarness harness;
  const RelFileLocator rel = TestLocator(20040);
  const pid_t child = harness.ForkBackend([&] {
    StartTransaction();
    (void)GetCurrentTransactionId();
    DefineSavepoint("s");
    RelationCreateStorage(rel, RelPersistence::kPermanent);
    AppendPage(rel, 4);
    RollbackToSavepoint("s");
    // Die with the top-level transaction still open (and the emptied main fork's name still
    // there, SM5: no checkpoint ran).
    _exit(0);
    return 1;
  });
  ASSERT_EQ(harness.Wait(child, kWaitMs), 0);
  EXPECT_NE(MainForkState(rel), FileState::kMissing);
  harness.Crash();
  // D8: redo re-created the file (CREATE, page image) and the ABORT_SUB record removed it.
  EXPECT_EQ(MainForkState(rel), FileState::kMissing);
}

HarnessOptions TwoPhaseOptions() {
  HarnessOptions options;
  options.max_prepared_transactions = 2;
  return options;
}

TEST(PendingDeletesTest, PreparedTransactionRemovesStorageAtItsOutcome) {
  ServerHarness harness(TwoPhaseOptions());
  const RelFileLocator existing = TestLocator(20050);
  const RelFileLocator created1 = TestLocator(20051);
  const RelFileLocator created2 = TestLocator(20052);
  CreateCommitted(existing, 1);
  // ROLLBACK PREPARED: the creation goes, the drop never happens.
  StartTransaction();
  RelationCreateStorage(created1, RelPersistence::kPermanent);
  AppendPage(created1, 2);
  RelationDropStorage(existing);
  ASSERT_TRUE(PrepareTransaction("g1"));
  EXPECT_EQ(MainForkState(created1), FileState::kHasData) << "D7: nothing at PREPARE";
  EXPECT_EQ(MainForkState(existing), FileState::kHasData);
  FinishPreparedTransaction("g1", /*commit=*/false);
  EXPECT_TRUE(IsDropped(created1));
  EXPECT_EQ(ReadPayload(existing), 1u);
  // COMMIT PREPARED: the creation stays, the drop happens.
  const Lsn start = WalInsertPosition();
  StartTransaction();
  RelationCreateStorage(created2, RelPersistence::kPermanent);
  AppendPage(created2, 3);
  RelationDropStorage(existing);
  ASSERT_TRUE(PrepareTransaction("g2"));
  EXPECT_EQ(ReadPayload(existing), 1u);
  FinishPreparedTransaction("g2", /*commit=*/true);
  EXPECT_EQ(ReadPayload(created2), 3u);
  EXPECT_TRUE(IsDropped(existing));
  EXPECT_TRUE(ReadFails(existing));
  auto text = LastRecordText(harness.dir(), start, RmgrId::kXact, kXactPrepare);
  ASSERT_TRUE(text.has_value());
  EXPECT_NE(text->find("; rels(commit): base/5/20050; rels(abort): base/5/20052"),
            std::string::npos)
      << *text;
  text = LastRecordText(harness.dir(), start, RmgrId::kXact, kXactCommitPrepared);
  ASSERT_TRUE(text.has_value());
  EXPECT_NE(text->find("; rels: base/5/20050"), std::string::npos) << *text;
}

TEST(PendingDeletesTest, PreparedListsSurviveCrashes) {
  ServerHarness harness(TwoPhaseOptions());
  const RelFileLocator dropped = TestLocator(20060);
  const RelFileLocator created = TestLocator(20061);
  const RelFileLocator rolled_back = TestLocator(20062);
  CreateCommitted(dropped, 1);
  StartTransaction();
  RelationCreateStorage(created, RelPersistence::kPermanent);
  AppendPage(created, 2);
  RelationDropStorage(dropped);
  ASSERT_TRUE(PrepareTransaction("commit me"));
  StartTransaction();
  RelationCreateStorage(rolled_back, RelPersistence::kPermanent);
  AppendPage(rolled_back, 3);
  ASSERT_TRUE(PrepareTransaction("roll me back"));
  harness.Crash();  // both restored from redo of their PREPARE records
  EXPECT_EQ(ListPreparedTransactions().size(), 2u);
  EXPECT_EQ(ReadPayload(dropped), 1u);
  harness.Checkpoint();
  harness.Crash();  // now from the state files
  ASSERT_EQ(ListPreparedTransactions().size(), 2u);
  FinishPreparedTransaction("commit me", /*commit=*/true);
  FinishPreparedTransaction("roll me back", /*commit=*/false);
  EXPECT_TRUE(IsDropped(dropped));
  EXPECT_EQ(ReadPayload(created), 2u);
  EXPECT_TRUE(IsDropped(rolled_back));
  harness.Crash();  // redo of both outcomes again
  EXPECT_TRUE(IsDropped(dropped));
  EXPECT_TRUE(IsDropped(rolled_back));
  EXPECT_EQ(ReadPayload(created), 2u);
}

#ifdef KEEL_DEBUG
TEST(PendingDeletesTest, CrashRightAfterCommitPreparedRecordStillDrops) {
  ServerHarness harness(TwoPhaseOptions());
  const RelFileLocator dropped = TestLocator(20070);
  CreateCommitted(dropped, 1);
  StartTransaction();
  RelationDropStorage(dropped);
  ASSERT_TRUE(PrepareTransaction("g"));
  harness.Checkpoint();
  const pid_t child = harness.ForkBackend([] {
    TestOnlySetTwoPhaseHook([] { _exit(0); });  // after the durable COMMIT PREPARED record
    FinishPreparedTransaction("g", /*commit=*/true);
    return 1;
  });
  ASSERT_EQ(harness.Wait(child, kWaitMs), 0);
  EXPECT_EQ(MainForkState(dropped), FileState::kHasData);
  harness.Crash();
  EXPECT_TRUE(ListPreparedTransactions().empty());
  EXPECT_EQ(MainForkState(dropped), FileState::kMissing);
}
#endif

TEST(PendingDeletesTest, CreatingAnExistingFileRemembersNothing) {
  ServerHarness harness;
  const RelFileLocator rel = TestLocator(20080);
  CreateCommitted(rel, 8);
  StartTransaction();
  EXPECT_THROW(RelationCreateStorage(rel, RelPersistence::kPermanent), Error);  // 58P02
  AbortTransaction();
  EXPECT_EQ(ReadPayload(rel), 8u) << "the abort must not remove someone else's file";
  EXPECT_EQ(MainForkState(rel), FileState::kHasData);
}

}  // namespace
}  // namespace keel::transam
