// Redo with the buffer pool: ReadBufferForRedo's four outcomes, full-page images taken of
// shared buffers, the XLOG and Storage resource managers' redo and descriptions, and the
// Log* helpers (README.md W4, W20, "Redo").
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstring>
#include <string>
#include <vector>

#include "access/transam/redo_buffer.h"
#include "access/transam/rmgr.h"
#include "access/transam/wal.h"
#include "access/transam/wal_reader.h"
#include "access/transam/wal_record.h"
#include "access/transam/wal_test_util.h"
#include "access/transam/wal_xlog.h"
#include "backend/utils/config/settings.h"
#include "storage/buffer/bufmgr.h"
#include "storage/lmgr/lwlock.h"
#include "storage/page/page.h"
#include "storage/smgr/smgr.h"

namespace keel::transam {
namespace {

using namespace testing;  // NOLINT
using storage::Buffer;

constexpr int kBuffers = 64;
const RelFileLocator kRel{Oid(1663), Oid(5), Oid(16384)};
const RelFileLocator kGone{Oid(1663), Oid(5), Oid(16999)};

class WalRedoTest : public ::testing::Test {
 protected:
  WalRedoTest() : cluster_(16, storage::BufferPoolShmemSize(kBuffers)) {}

  void SetUp() override {
    settings::fsync = false;
    settings::data_checksums = false;
    settings::full_page_writes = true;
    ASSERT_EQ(mkdir("base/5", 0700), 0);
    storage::BufferPoolShmemInit(kBuffers);
    storage::InitBufferPoolAccess();
    InitWalAccess();
    cluster_.StartFresh();
  }
  void TearDown() override {
    storage::ReleaseAllLwLocks();
    (void)storage::ReleaseAllBufferPins();
    storage::SmgrCloseAll();
  }

  // Writes `n` pages straight to the file: page b has LSN lsns[b] and payload byte b + 1.
  static void WriteRelation(const RelFileLocator& rel, const std::vector<uint64_t>& lsns) {
    storage::SmgrCreate(rel, ForkNumber::kMain, false);
    alignas(4096) std::byte page[kBlockSize];
    for (uint32_t b = 0; b < lsns.size(); ++b) {
      storage::PageInit(page, 0);
      page[4096] = static_cast<std::byte>(b + 1);
      storage::PageSetLsn(page, Lsn(lsns[b]));
      storage::SmgrExtend(rel, ForkNumber::kMain, BlockNumber(b), page, true);
    }
  }

  static DecodedRecord RecordFor(BlockNumber block, uint64_t end_lsn, uint8_t flags = 0,
                                 const RelFileLocator& rel = kRel) {
    DecodedRecord r;
    r.lsn = Lsn(end_lsn - 64);
    r.end_lsn = Lsn(end_lsn);
    r.rmgr = RmgrId::kTest;
    r.info = 0;
    DecodedBlockRef ref;
    ref.block_id = 0;
    ref.rel = rel;
    ref.fork = ForkNumber::kMain;
    ref.block = block;
    ref.flags = flags;
    r.blocks.push_back(std::move(ref));
    return r;
  }

  static void Done(Buffer b) {
    storage::UnlockBuffer(b);
    storage::ReleaseBuffer(b);
  }

  WalTestCluster cluster_;
};

TEST_F(WalRedoTest, ReadBufferForRedoComparesPageLsnWithRecordEnd) {
  WriteRelation(kRel, {0x100, 0x5000, 0});
  storage::SmgrZeroExtend(kRel, ForkNumber::kMain, BlockNumber(3), 1, true);
  Buffer b;
  // Page older than the record: apply it.
  EXPECT_EQ(ReadBufferForRedo(RecordFor(BlockNumber(0), 0x2000), 0, &b), RedoAction::kNeedsRedo);
  EXPECT_TRUE(storage::BufferIsPinnedByMe(b));
  EXPECT_EQ(storage::BufferGetPage(b)[4096], std::byte{1});
  Done(b);
  // Page at or past the record's end: already there.
  EXPECT_EQ(ReadBufferForRedo(RecordFor(BlockNumber(1), 0x5000), 0, &b), RedoAction::kDone);
  Done(b);
  EXPECT_EQ(ReadBufferForRedo(RecordFor(BlockNumber(1), 0x5008), 0, &b), RedoAction::kNeedsRedo);
  Done(b);
  // An all-zero page (never written before the crash): not found, as PostgreSQL.
  EXPECT_EQ(ReadBufferForRedo(RecordFor(BlockNumber(3), 0x2000), 0, &b), RedoAction::kNotFound);
  // Past the end of the file, or no file at all: dropped or truncated later in the log.
  EXPECT_EQ(ReadBufferForRedo(RecordFor(BlockNumber(4), 0x2000), 0, &b), RedoAction::kNotFound);
  EXPECT_EQ(b, storage::kInvalidBuffer);
  EXPECT_EQ(ReadBufferForRedo(RecordFor(BlockNumber(0), 0x2000, 0, kGone), 0, &b),
            RedoAction::kNotFound);
  EXPECT_FALSE(storage::SmgrExists(kGone, ForkNumber::kMain));
}

TEST_F(WalRedoTest, ImagesAreRestoredIntoMissingFilesAndBlocks) {
  DecodedRecord r = RecordFor(BlockNumber(6), 0x9000, 0, kGone);
  r.blocks[0].has_image = true;
  r.blocks[0].apply_image = true;
  r.blocks[0].image = Pattern(kBlockSize, 5);
  Buffer b;
  ASSERT_EQ(ReadBufferForRedo(r, 0, &b), RedoAction::kRestored);
  std::vector<std::byte> expected = r.blocks[0].image;
  storage::PageSetLsn(expected.data(), Lsn(0x9000));
  EXPECT_EQ(std::memcmp(storage::BufferGetPage(b), expected.data(), kBlockSize), 0);
  Done(b);
  // Blocks 0..5 were zero-extended.
  EXPECT_EQ(storage::SmgrNBlocks(kGone, ForkNumber::kMain), BlockNumber(7));
  storage::FlushRelationBuffers(kGone);
  alignas(4096) std::byte page[kBlockSize];
  storage::SmgrRead(kGone, ForkNumber::kMain, BlockNumber(6), page);
  EXPECT_EQ(storage::PageGetLsn(page), Lsn(0x9000));
  storage::SmgrRead(kGone, ForkNumber::kMain, BlockNumber(3), page);
  EXPECT_TRUE(storage::PageIsNew(page));
}

TEST_F(WalRedoTest, WillInitZeroesThePageWithoutReadingIt) {
  WriteRelation(kRel, {0x100, 0x100});
  Buffer b;
  ASSERT_EQ(ReadBufferForRedo(RecordFor(BlockNumber(0), 0x50, kRegWillInit), 0, &b),
            RedoAction::kNeedsRedo);
  EXPECT_TRUE(storage::PageIsNew(storage::BufferGetPage(b)));
  Done(b);
  ASSERT_EQ(ReadBufferForRedo(RecordFor(BlockNumber(3), 0x50, kRegWillInit), 0, &b),
            RedoAction::kNeedsRedo);
  Done(b);
  EXPECT_EQ(storage::SmgrNBlocks(kRel, ForkNumber::kMain), BlockNumber(4));
}

TEST_F(WalRedoTest, SharedBufferGetsAnImageOnlyOnItsFirstChange) {
  LogAndCreateRelationFork(kRel, ForkNumber::kMain);
  EXPECT_TRUE(storage::SmgrExists(kRel, ForkNumber::kMain));
  auto [buffer, block] = storage::ExtendBuffer(kRel, ForkNumber::kMain);
  ASSERT_EQ(block, BlockNumber(0));
  Lsn lsns[2];
  for (int i = 0; i < 2; ++i) {
    storage::Page page = storage::BufferGetPage(buffer);
    if (i == 0) {
      storage::PageInit(page, 0);
      storage::GetPageHeader(page)->upper = 4096;  // items from 4096 on: outside the hole
    }
    page[5000] = static_cast<std::byte>(i + 10);
    storage::MarkBufferDirty(buffer);
    WalRecordBuilder builder;
    builder.RegisterBuffer(0, buffer, kRegStandard);
    const uint8_t payload = static_cast<uint8_t>(i + 10);
    builder.RegisterBufData(0, &payload, 1);
    lsns[i] = builder.Insert(RmgrId::kTest, 0);
    storage::PageSetLsn(page, lsns[i]);
  }
  Done(buffer);
  WalFlush(lsns[1]);
  const ReadResult r = ReadAll();
  ASSERT_EQ(r.records.size(), 3u) << r.error;  // create, change 1, change 2
  EXPECT_EQ(r.records[0].rmgr, RmgrId::kStorage);
  const DecodedBlockRef& first = r.records[1].blocks.at(0);
  EXPECT_EQ(first.rel, kRel);
  EXPECT_EQ(first.fork, ForkNumber::kMain);
  EXPECT_EQ(first.block, BlockNumber(0));
  ASSERT_TRUE(first.has_image);
  EXPECT_EQ(first.image[5000], std::byte{10});
  EXPECT_FALSE(r.records[2].blocks.at(0).has_image);
  EXPECT_EQ(r.records[2].blocks.at(0).data, std::vector<std::byte>{std::byte{11}});
}

TEST_F(WalRedoTest, ReplayingFpiAndStorageRecordsRebuildsTheRelation) {
  LogAndCreateRelationFork(kRel, ForkNumber::kMain);
  alignas(4096) std::byte pages[3][kBlockSize];
  Lsn last;
  for (uint32_t b = 0; b < 3; ++b) {
    storage::PageInit(pages[b], 0);
    storage::GetPageHeader(pages[b])->upper = 4096;  // items from 4096 on: outside the hole
    pages[b][6000] = static_cast<std::byte>(b + 40);
    last = LogNewPage(kRel, ForkNumber::kMain, BlockNumber(b), pages[b], true);
    EXPECT_EQ(storage::PageGetLsn(pages[b]), last);
  }
  LogAndTruncateRelation(kRel, 1u << static_cast<int>(ForkNumber::kMain), BlockNumber(2));
  EXPECT_GE(WalFlushPosition(), last);  // the truncation flushed WAL first (W20)

  // "Crash": the relation's file is gone; replay everything.
  storage::DropRelationAllBuffers(kRel);
  storage::SmgrClose(kRel);
  ASSERT_EQ(unlink(storage::RelationPath(kRel, ForkNumber::kMain).c_str()), 0);
  const ReadResult r = ReadAll();
  ASSERT_EQ(r.records.size(), 5u) << r.error;
  for (const DecodedRecord& rec : r.records) GetRmgr(rec.rmgr)->redo(rec);
  storage::FlushRelationBuffers(kRel);
  ASSERT_EQ(storage::SmgrNBlocks(kRel, ForkNumber::kMain), BlockNumber(2));
  for (uint32_t b = 0; b < 2; ++b) {
    alignas(4096) std::byte page[kBlockSize];
    storage::SmgrRead(kRel, ForkNumber::kMain, BlockNumber(b), page);
    EXPECT_EQ(page[6000], static_cast<std::byte>(b + 40));
    EXPECT_EQ(storage::PageGetLsn(page), r.records[1 + b].end_lsn);
  }
}

TEST_F(WalRedoTest, DescriptionsForWaldump) {
  CheckpointRecord c{};
  c.redo_lsn = 0x1000028;
  c.timeline = 1;
  c.next_oid = 16384;
  c.next_xid = 3;
  c.time_s = 1700000000;
  c.full_page_writes = 1;
  {
    WalRecordBuilder b;
    b.RegisterData(&c, sizeof(c));
    (void)b.Insert(RmgrId::kXlog, kXlogCheckpointShutdown);
  }
  LogAndCreateRelationFork(kRel, ForkNumber::kFsm);
  LogAndTruncateRelation(kRel, 0x3, BlockNumber(0));
  alignas(4096) std::byte page[kBlockSize] = {};
  const Lsn end = LogNewPage(kRel, ForkNumber::kMain, BlockNumber(9), page, false);
  WalFlush(end);
  const ReadResult r = ReadAll();
  ASSERT_EQ(r.records.size(), 4u) << r.error;
  const RmgrOps* xlog = GetRmgr(RmgrId::kXlog);
  const RmgrOps* smgr = GetRmgr(RmgrId::kStorage);
  ASSERT_NE(xlog, nullptr);
  ASSERT_NE(smgr, nullptr);
  EXPECT_STREQ(xlog->name, "XLOG");
  EXPECT_STREQ(smgr->name, "Storage");
  EXPECT_STREQ(xlog->identify(r.records[0].info), "CHECKPOINT_SHUTDOWN");
  EXPECT_EQ(xlog->describe(r.records[0]),
            "redo 0/1000028; tli 1; fpw true; xid 3; oid 16384; multi 0; offset 0; time 1700000000; shutdown");
  EXPECT_STREQ(smgr->identify(r.records[1].info), "CREATE");
  EXPECT_EQ(smgr->describe(r.records[1]), "base/5/16384_fsm");
  EXPECT_STREQ(smgr->identify(r.records[2].info), "TRUNCATE");
  EXPECT_EQ(smgr->describe(r.records[2]), "base/5/16384 to 0 blocks forks main,fsm");
  EXPECT_STREQ(xlog->identify(r.records[3].info), "FPI");
  EXPECT_TRUE(r.records[3].blocks.at(0).has_image);
  EXPECT_EQ(xlog->identify(0xF0), nullptr);
  // An all-zero page keeps LSN 0 (it must still read as new).
  EXPECT_TRUE(storage::PageIsNew(page));
}

}  // namespace
}  // namespace keel::transam
