// Database directories over the real shared state: the copy is byte-identical, readable through
// the buffer pool and durable across a crash; an aborted create leaves no directory; an
// existing directory is refused; a drop removes the directory and the buffers at commit only,
// also through redo; redo of the copy record copies again; redo of a relation's records in a
// database dropped later in the log. README.md ("Database directories").
#include "storage/smgr/database_dir.h"

#include <gtest/gtest.h>

#include <dirent.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <string>

#include "access/transam/control_file.h"
#include "access/transam/pending_deletes.h"
#include "access/transam/rmgr.h"
#include "access/transam/storage_test_util.h"
#include "access/transam/wal.h"
#include "access/transam/wal_reader.h"
#include "access/transam/xact.h"
#include "backend/utils/error/error.h"
#include "backend/utils/error/sqlstate.h"
#include "backend/utils/init/interrupts.h"
#include "storage/buffer/bufmgr.h"
#include "storage/smgr/smgr.h"
#include "tests/server/server_harness.h"

namespace keel::storage {
namespace {

using keel::testing::HarnessOptions;
using keel::testing::kTestDb;
using keel::testing::ServerHarness;
using transam::RelPersistence;
using transam::testing::AppendPage;
using transam::testing::FileState;
using transam::testing::LastRecordText;
using transam::testing::MainForkState;
using transam::testing::ReadPayload;
using transam::testing::TestLocator;

constexpr int kWaitMs = 30'000;
constexpr uint32_t kNewDb = 7;

bool DirectoryExists(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

// Every regular file of `dir` with its bytes.
std::map<std::string, std::string> FilesOf(const std::string& dir) {
  std::map<std::string, std::string> files;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (!entry.is_regular_file()) continue;
    std::ifstream in(entry.path(), std::ios::binary);
    files[entry.path().filename().string()] =
        std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  return files;
}

// Relations 30001 (three pages) and 30002 (one page, plus an FSM fork) in the test database,
// committed; their last pages are still dirty in shared buffers.
void FillTemplate() {
  transam::StartTransaction();
  transam::RelationCreateStorage(TestLocator(30001), RelPersistence::kPermanent);
  for (uint64_t i = 0; i < 3; ++i) AppendPage(TestLocator(30001), 100 + i);
  transam::RelationCreateStorage(TestLocator(30002), RelPersistence::kPermanent);
  AppendPage(TestLocator(30002), 200);
  SmgrCreate(TestLocator(30002), ForkNumber::kFsm, /*is_redo=*/false);
  transam::CommitTransaction();
}

void CreateDatabase(uint32_t db) {
  transam::StartTransaction();
  CreateDatabaseDirectory(Oid(kTestDb), Oid(db));
  transam::CommitTransaction();
}

void ExpectReadableCopy(uint32_t db) {
  for (uint32_t b = 0; b < 3; ++b) EXPECT_EQ(ReadPayload(TestLocator(30001, db), b), 100 + b);
  EXPECT_EQ(ReadPayload(TestLocator(30002, db)), 200u);
}

bool ReadFails(const RelFileLocator& rel) {
  try {
    (void)ReadPayload(rel);
    return false;
  } catch (const Error&) {
    return true;
  }
}

TEST(DatabaseDirTest, CopyIsByteIdenticalReadableAndNeverReplayed) {
  ServerHarness harness;
  FillTemplate();
  // A relation dropped in the template keeps its emptied main fork's name until a checkpoint
  // (SM5); the copy must not take it along (DB1).
  const RelFileLocator dropped = TestLocator(30003);
  transam::StartTransaction();
  transam::RelationCreateStorage(dropped, RelPersistence::kPermanent);
  transam::CommitTransaction();
  transam::StartTransaction();
  transam::RelationDropStorage(dropped);
  transam::CommitTransaction();
  ASSERT_EQ(MainForkState(dropped), FileState::kEmpty);

  const Lsn start = transam::WalInsertPosition();
  CreateDatabase(kNewDb);
  const auto src = FilesOf("base/5");
  const auto dst = FilesOf("base/7");
  EXPECT_EQ(src, dst) << "DB4: every file, byte for byte";
  EXPECT_EQ(dst.count("30001"), 1u);
  EXPECT_EQ(dst.count("30002_fsm"), 1u);
  EXPECT_EQ(dst.count("30003"), 0u) << "DB1: the deferred unlink ran before the copy";
  ExpectReadableCopy(kNewDb);

  // DB5: the record lies before the redo pointer of the latest checkpoint.
  transam::WalFlush(transam::WalInsertPosition());
  transam::WalReader reader(harness.dir() + "/wal", start);
  Lsn copy_lsn;
  while (auto record = reader.Next()) {
    if (record->rmgr != transam::RmgrId::kDatabase) continue;
    copy_lsn = record->lsn;
    const transam::RmgrOps* ops = transam::GetRmgr(transam::RmgrId::kDatabase);
    EXPECT_STREQ(ops->identify(record->info), "CREATE_FILE_COPY");
    EXPECT_EQ(ops->describe(*record), "copy dir 1663/5 to 1663/7");
  }
  ASSERT_TRUE(copy_lsn.valid());
  EXPECT_GT(transam::ReadControlFile(harness.dir()).redo_lsn, copy_lsn.value());
}

TEST(DatabaseDirTest, SurvivesACrashRightAfterCommit) {
  ServerHarness harness;
  FillTemplate();
  CreateDatabase(kNewDb);
  harness.Crash();
  EXPECT_EQ(FilesOf("base/5"), FilesOf("base/7"));
  ExpectReadableCopy(kNewDb);
}

TEST(DatabaseDirTest, AbortedCreateLeavesNoDirectory) {
  ServerHarness harness;
  FillTemplate();
  const Lsn start = transam::WalInsertPosition();
  transam::StartTransaction();
  CreateDatabaseDirectory(Oid(kTestDb), Oid(8));
  EXPECT_TRUE(DirectoryExists("base/8"));
  transam::AbortTransaction();
  EXPECT_FALSE(DirectoryExists("base/8")) << "DB3";
  const auto text =
      LastRecordText(harness.dir(), start, transam::RmgrId::kXact, transam::kXactAbort);
  ASSERT_TRUE(text.has_value());
  EXPECT_NE(text->find("; dbs: base/8"), std::string::npos) << *text;
  harness.Crash();
  EXPECT_FALSE(DirectoryExists("base/8"));
  // The same with a savepoint rolled back around it.
  transam::StartTransaction();
  transam::DefineSavepoint("s");
  CreateDatabaseDirectory(Oid(kTestDb), Oid(8));
  transam::RollbackToSavepoint("s");
  EXPECT_FALSE(DirectoryExists("base/8"));
  transam::CommitTransaction();
  EXPECT_FALSE(DirectoryExists("base/8"));
}

TEST(DatabaseDirTest, ExistingDirectoryIsRefusedAndKept) {
  ServerHarness harness;
  ASSERT_EQ(mkdir("base/9", 0700), 0);
  transam::StartTransaction();
  try {
    CreateDatabaseDirectory(Oid(kTestDb), Oid(9));
    ADD_FAILURE() << "an existing directory was accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.sqlstate().code(), "58P02");
    EXPECT_STREQ(e.what(), "could not create directory \"base/9\": File exists");
  }
  transam::AbortTransaction();
  EXPECT_TRUE(DirectoryExists("base/9")) << "DB2: not ours, not removed";
}

TEST(DatabaseDirTest, DropRemovesDirectoryAndBuffersAtCommitOnly) {
  HarnessOptions options;
  options.fsync = true;  // a pending fsync of a vanished file would PANIC the checkpoint (SY4)
  ServerHarness harness(options);
  FillTemplate();
  CreateDatabase(kNewDb);
  // Dirty pages of the new database: one written out (a pending fsync), one only in a buffer.
  transam::StartTransaction();
  AppendPage(TestLocator(30001, kNewDb), 103);
  FlushDatabaseBuffers(Oid(kNewDb));
  AppendPage(TestLocator(30001, kNewDb), 104);
  transam::CommitTransaction();
  EXPECT_EQ(ReadPayload(TestLocator(30001, kNewDb), 4), 104u);

  transam::StartTransaction();
  DropDatabaseDirectory(Oid(kNewDb));
  transam::AbortTransaction();
  EXPECT_TRUE(DirectoryExists("base/7")) << "DB6: an aborted drop does nothing";
  EXPECT_EQ(ReadPayload(TestLocator(30001, kNewDb), 4), 104u);

  const Lsn start = transam::WalInsertPosition();
  transam::StartTransaction();
  DropDatabaseDirectory(Oid(kNewDb));
  EXPECT_TRUE(DirectoryExists("base/7"));
  transam::CommitTransaction();
  EXPECT_FALSE(DirectoryExists("base/7"));
  EXPECT_TRUE(ReadFails(TestLocator(30001, kNewDb))) << "a buffer of the database survived";
  EXPECT_EQ(ReadPayload(TestLocator(30001)), 100u) << "the template is untouched";
  harness.Checkpoint();  // no fsync of a vanished file, no write of a dropped buffer
  const auto text =
      LastRecordText(harness.dir(), start, transam::RmgrId::kXact, transam::kXactCommit);
  ASSERT_TRUE(text.has_value());
  EXPECT_NE(text->find("; dbs: base/7"), std::string::npos) << *text;
  harness.Crash();
  EXPECT_FALSE(DirectoryExists("base/7"));
  EXPECT_TRUE(DirectoryExists("base/5"));
}

// One byte through a pipe (tests that script forked backends); false on EOF or error.
bool SendByte(int fd) {
  const char c = 1;
  return write(fd, &c, 1) == 1;
}
bool RecvByte(int fd) {
  char c = 0;
  return read(fd, &c, 1) == 1;
}

// D10: a pin that another process keeps on a buffer of the database being dropped (a stuck
// session) makes the dropping COMMIT wait before its record, outside the checkpoint-delay
// bracket: checkpoints go on meanwhile, and a cancel ends the wait with nothing forgotten.
TEST(DatabaseDirTest, StuckPinDelaysTheDropNotCheckpoints) {
  ServerHarness harness;
  FillTemplate();
  CreateDatabase(kNewDb);
  int to_holder[2], from_holder[2], from_dropper[2];
  ASSERT_EQ(pipe(to_holder), 0);
  ASSERT_EQ(pipe(from_holder), 0);
  ASSERT_EQ(pipe(from_dropper), 0);
  const pid_t holder = harness.ForkBackend([&] {
    const Buffer buffer = ReadBuffer(TestLocator(30001, kNewDb), ForkNumber::kMain, BlockNumber(0));
    if (!SendByte(from_holder[1]) || !RecvByte(to_holder[0])) return 2;
    ReleaseBuffer(buffer);
    return 0;
  });
  ASSERT_TRUE(RecvByte(from_holder[0]));
  const pid_t dropper = harness.ForkBackend([&] {
    InstallChildSignalHandlers();
    transam::StartTransaction();
    DropDatabaseDirectory(Oid(kNewDb));
    if (!SendByte(from_dropper[1])) return 2;
    try {
      transam::CommitTransaction();
      return 3;  // the pin cannot have gone
    } catch (const Error& e) {
      transam::AbortTransaction();
      return e.sqlstate() == sqlstate::kQueryCanceled && DirectoryExists("base/7") ? 0 : 4;
    }
  });
  ASSERT_TRUE(RecvByte(from_dropper[0]));
  usleep(200'000);  // let the dropper reach its wait (the check below holds either way)
  const pid_t checkpointer = harness.ForkBackend([&] {
    harness.Checkpoint();
    return 0;
  });
  EXPECT_EQ(harness.Wait(checkpointer, kWaitMs), 0) << "a checkpoint waited for the stuck drop";
  EXPECT_TRUE(DirectoryExists("base/7"));
  ASSERT_EQ(kill(dropper, SIGINT), 0);
  EXPECT_EQ(harness.Wait(dropper, kWaitMs), 0);
  ASSERT_TRUE(SendByte(to_holder[1]));
  EXPECT_EQ(harness.Wait(holder, kWaitMs), 0);
  ExpectReadableCopy(kNewDb);  // nothing of the database was forgotten
  for (int fd : {to_holder[0], to_holder[1], from_holder[0], from_holder[1], from_dropper[0],
                 from_dropper[1]}) {
    close(fd);
  }
}

#ifdef KEEL_DEBUG
TEST(DatabaseDirTest, DropIsRedoneAfterACrashRightAfterTheCommitRecord) {
  ServerHarness harness;
  FillTemplate();
  CreateDatabase(kNewDb);
  const pid_t child = harness.ForkBackend([] {
    transam::StartTransaction();
    DropDatabaseDirectory(Oid(kNewDb));
    transam::TestOnlySetCommitHook([] { _exit(0); });  // after the durable commit record
    transam::CommitTransaction();
    return 1;
  });
  ASSERT_EQ(harness.Wait(child, kWaitMs), 0);
  EXPECT_TRUE(DirectoryExists("base/7")) << "the process died before removing it";
  harness.Crash();
  EXPECT_FALSE(DirectoryExists("base/7")) << "redo of the commit record removes it";
}
#endif

TEST(DatabaseDirTest, RedoOfTheCopyRecordCopiesAgain) {
  ServerHarness harness;
  FillTemplate();
  const Lsn start = transam::WalInsertPosition();
  CreateDatabase(kNewDb);
  transam::WalReader reader(harness.dir() + "/wal", start);
  std::optional<transam::DecodedRecord> copy;
  while (auto record = reader.Next()) {
    if (record->rmgr == transam::RmgrId::kDatabase) copy = std::move(record);
  }
  ASSERT_TRUE(copy.has_value());
  const transam::RmgrOps* ops = transam::GetRmgr(transam::RmgrId::kDatabase);
  // A half-done copy (a stray file, a missing one) is replaced by a complete one (DB8).
  ASSERT_EQ(unlink("base/7/30002"), 0);
  { std::ofstream stray("base/7/99999"); stray << "left by a crash"; }
  ops->redo(*copy);
  EXPECT_EQ(FilesOf("base/5"), FilesOf("base/7"));
  // And from nothing at all.
  std::filesystem::remove_all("base/7");
  ops->redo(*copy);
  EXPECT_EQ(FilesOf("base/5"), FilesOf("base/7"));
  ExpectReadableCopy(kNewDb);
}

TEST(DatabaseDirTest, RedoMeetsRelationsOfADatabaseDroppedLaterInTheLog) {
  ServerHarness harness;
  FillTemplate();
  CreateDatabase(kNewDb);  // ends with a checkpoint: redo starts after it
  transam::StartTransaction();
  transam::RelationCreateStorage(TestLocator(30010, kNewDb), RelPersistence::kPermanent);
  AppendPage(TestLocator(30010, kNewDb), 1);
  transam::CommitTransaction();
  transam::StartTransaction();
  DropDatabaseDirectory(Oid(kNewDb));
  transam::CommitTransaction();
  ASSERT_FALSE(DirectoryExists("base/7"));
  // Redo creates base/7/30010 and restores its page although base/7 is gone (D9: the directory
  // is made again), then the drop's commit record removes it.
  harness.Crash();
  EXPECT_FALSE(DirectoryExists("base/7"));
  ExpectReadableCopy(kTestDb);  // the template is what it was: pages 100.., 200
}

}  // namespace
}  // namespace keel::storage
