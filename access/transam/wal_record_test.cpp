// Record round trips through insert -> flush -> reader, and the full-page-image rule
// (README.md W1-W7, W4). Pages here are private copies registered with RegisterBlock.
#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "access/transam/wal.h"
#include "access/transam/wal_format_internal.h"
#include "access/transam/wal_reader.h"
#include "access/transam/wal_record.h"
#include "access/transam/wal_test_util.h"
#include "backend/utils/config/settings.h"
#include "storage/page/page.h"

namespace keel::transam {
namespace {

using namespace testing;  // NOLINT

class WalRecordTest : public ::testing::Test {
 protected:
  void SetUp() override {
    settings::fsync = false;
    settings::full_page_writes = true;
    settings::wal_compression = settings::WalCompression::kOff;
    cluster_.StartFresh();
  }
  WalTestCluster cluster_;
};

// A page with a standard header: lower/upper delimit a hole, the rest is patterned.
std::vector<std::byte> MakePage(uint64_t lsn, uint16_t lower, uint16_t upper, uint32_t seed) {
  std::vector<std::byte> page = Pattern(kBlockSize, seed);
  storage::PageHeader h{};
  h.lsn = lsn;
  h.lower = lower;
  h.upper = upper;
  h.special = kBlockSize;
  h.layout_version = storage::kPageLayoutVersion;
  std::memcpy(page.data(), &h, sizeof(h));
  return page;
}

const RelFileLocator kRel{Oid(1663), Oid(5), Oid(16384)};
const RelFileLocator kOtherRel{Oid(1663), Oid(5), Oid(16390)};

TEST_F(WalRecordTest, EmptyRecordRoundTrips) {
  const Lsn end = InsertTestRecord({}, 0x30, TransactionId(77));
  EXPECT_EQ(end.value(), WalFirstRecordLsn().value() + 32);  // 28 bytes, 8-aligned
  WalFlush(end);
  EXPECT_GE(WalFlushPosition(), end);
  const ReadResult r = ReadAll();
  ASSERT_EQ(r.records.size(), 1u);
  const DecodedRecord& rec = r.records[0];
  EXPECT_EQ(rec.lsn, WalFirstRecordLsn());
  EXPECT_EQ(rec.end_lsn, end);
  EXPECT_EQ(rec.prev_lsn, kInvalidLsn);
  EXPECT_EQ(rec.xid, TransactionId(77));
  EXPECT_EQ(rec.rmgr, RmgrId::kTest);
  EXPECT_EQ(rec.info, 0x30);
  EXPECT_EQ(rec.total_length, internal::kRecordHeaderSize);
  EXPECT_TRUE(rec.blocks.empty());
  EXPECT_TRUE(rec.main_data.empty());
  EXPECT_EQ(r.end, end);
  EXPECT_EQ(r.error, "invalid record length at " + LsnToString(end) + ": wanted 28, got 0");
}

TEST_F(WalRecordTest, MainDataOfEverySizeClassRoundTrips) {
  const std::vector<size_t> sizes = {1, 7, 255, 256, 1000, 8100, 8200, 70000, 300000};
  std::vector<Lsn> ends;
  for (size_t i = 0; i < sizes.size(); ++i) {
    ends.push_back(InsertTestRecord(Pattern(sizes[i], static_cast<uint32_t>(i))));
  }
  WalFlush(ends.back());
  const ReadResult r = ReadAll();
  ASSERT_EQ(r.records.size(), sizes.size()) << r.error;
  Lsn prev = kInvalidLsn;
  Lsn expected_start = WalFirstRecordLsn();
  for (size_t i = 0; i < sizes.size(); ++i) {
    const DecodedRecord& rec = r.records[i];
    EXPECT_EQ(rec.main_data, Pattern(sizes[i], static_cast<uint32_t>(i))) << i;
    EXPECT_EQ(rec.end_lsn, ends[i]);
    EXPECT_EQ(rec.prev_lsn, prev);
    // The next record starts where the previous ended (past a page header at a boundary).
    EXPECT_TRUE(rec.lsn == expected_start ||
                (expected_start.value() % kWalPageSize == 0 &&
                 rec.lsn.value() == expected_start.value() + internal::kShortPageHeaderSize));
    EXPECT_EQ(rec.lsn.value() % 8, 0u);
    prev = rec.lsn;
    expected_start = rec.end_lsn;
  }
}

TEST_F(WalRecordTest, RecordsSpanSegments) {
  // 5 MiB records: the third crosses from segment 1 into segment 2, the fourth spans 2..3.
  std::vector<Lsn> ends;
  for (uint32_t i = 0; i < 5; ++i) ends.push_back(InsertTestRecord(Pattern(5u << 20, i)));
  // One record bigger than a whole segment.
  ends.push_back(InsertTestRecord(Pattern(17u << 20, 99)));
  WalFlush(ends.back());
  EXPECT_GE(WalSegmentOf(ends.back()), 3u);
  const ReadResult r = ReadAll();
  ASSERT_EQ(r.records.size(), 6u) << r.error;
  for (uint32_t i = 0; i < 5; ++i) {
    EXPECT_TRUE(r.records[i].main_data == Pattern(5u << 20, i)) << i;
    EXPECT_EQ(r.records[i].end_lsn, ends[i]);
  }
  EXPECT_TRUE(r.records[5].main_data == Pattern(17u << 20, 99));
  EXPECT_EQ(r.end, ends.back());
  EXPECT_EQ(access(WalSegmentFileName(1, WalSegmentOf(ends.back())).c_str(), F_OK), 0);
}

TEST_F(WalRecordTest, ThirtyTwoBlockReferencesRoundTrip) {
  std::vector<std::vector<std::byte>> pages;
  for (int i = 0; i < kMaxBlockRefs; ++i) pages.push_back(MakePage(0, 64, 8000, 1000 + i));
  WalRecordBuilder b;
  for (int i = 0; i < kMaxBlockRefs; ++i) {
    const RelFileLocator& rel = (i % 3 == 0) ? kOtherRel : kRel;
    const auto fork = static_cast<ForkNumber>(i % 4);
    b.RegisterBlock(static_cast<uint8_t>(i), rel, fork, BlockNumber(static_cast<uint32_t>(i * 7)),
                    pages[i].data(), kRegNoImage);
    if (i % 2 == 0) {
      const auto data = Pattern(static_cast<size_t>(i) * 10 + 1, static_cast<uint32_t>(i));
      b.RegisterBufData(static_cast<uint8_t>(i), data.data(), data.size() / 2);
      b.RegisterBufData(static_cast<uint8_t>(i), data.data() + data.size() / 2,
                        data.size() - data.size() / 2);
    }
  }
  const auto main = Pattern(300, 5);
  b.RegisterData(main.data(), main.size());
  const Lsn end = b.Insert(RmgrId::kTest, 1);
  WalFlush(end);
  const ReadResult r = ReadAll();
  ASSERT_EQ(r.records.size(), 1u) << r.error;
  const DecodedRecord& rec = r.records[0];
  ASSERT_EQ(rec.blocks.size(), static_cast<size_t>(kMaxBlockRefs));
  for (int i = 0; i < kMaxBlockRefs; ++i) {
    const DecodedBlockRef* ref = rec.Block(static_cast<uint8_t>(i));
    ASSERT_NE(ref, nullptr);
    EXPECT_EQ(ref->rel, (i % 3 == 0) ? kOtherRel : kRel);
    EXPECT_EQ(ref->fork, static_cast<ForkNumber>(i % 4));
    EXPECT_EQ(ref->block, BlockNumber(static_cast<uint32_t>(i * 7)));
    EXPECT_EQ(ref->flags, kRegNoImage);
    EXPECT_FALSE(ref->has_image);
    if (i % 2 == 0) {
      EXPECT_EQ(ref->data, Pattern(static_cast<size_t>(i) * 10 + 1, static_cast<uint32_t>(i)));
    } else {
      EXPECT_TRUE(ref->data.empty());
    }
  }
  EXPECT_EQ(rec.main_data, main);
  EXPECT_EQ(rec.Block(40), nullptr);
}

TEST_F(WalRecordTest, SparseBlockIdsAndSameRelationCompression) {
  auto page = MakePage(0, 64, 8000, 3);
  WalRecordBuilder b;
  b.RegisterBlock(3, kRel, ForkNumber::kMain, BlockNumber(1), page.data(), kRegNoImage);
  b.RegisterBlock(9, kRel, ForkNumber::kFsm, BlockNumber(2), page.data(), kRegWillInit);
  b.RegisterBlock(31, kOtherRel, ForkNumber::kMain, BlockNumber(3), page.data(), kRegNoImage);
  const Lsn end = b.Insert(RmgrId::kTest, 0);
  WalFlush(end);
  const ReadResult r = ReadAll();
  ASSERT_EQ(r.records.size(), 1u) << r.error;
  const DecodedRecord& rec = r.records[0];
  ASSERT_EQ(rec.blocks.size(), 3u);
  EXPECT_EQ(rec.Block(9)->rel, kRel);
  EXPECT_EQ(rec.Block(9)->fork, ForkNumber::kFsm);
  EXPECT_EQ(rec.Block(9)->flags, kRegWillInit);
  EXPECT_EQ(rec.Block(31)->rel, kOtherRel);
  // 28 header + 3 block headers (9 + 12 rel, 9 same rel, 9 + 12) = 79 bytes.
  EXPECT_EQ(rec.total_length, 28u + 21 + 9 + 21);
}

TEST_F(WalRecordTest, ImageWithHoleRoundTrips) {
  auto page = MakePage(0, 200, 7000, 11);
  WalRecordBuilder b;
  b.RegisterBlock(0, kRel, ForkNumber::kMain, BlockNumber(4), page.data(),
                  kRegForceImage | kRegStandard);
  const auto data = Pattern(40, 1);
  b.RegisterBufData(0, data.data(), data.size());
  const Lsn end = b.Insert(RmgrId::kTest, 0);
  WalFlush(end);
  const ReadResult r = ReadAll();
  ASSERT_EQ(r.records.size(), 1u) << r.error;
  const DecodedBlockRef& ref = r.records[0].blocks.at(0);
  ASSERT_TRUE(ref.has_image);
  EXPECT_TRUE(ref.apply_image);
  ASSERT_EQ(ref.image.size(), kBlockSize);
  std::vector<std::byte> expected = page;
  std::memset(expected.data() + 200, 0, 7000 - 200);
  EXPECT_TRUE(ref.image == expected);
  EXPECT_EQ(ref.data, data);
  // Only the bytes outside the hole were logged.
  EXPECT_EQ(r.records[0].total_length, 28u + 9 + 7 + 12 + (kBlockSize - 6800) + 40);
}

TEST_F(WalRecordTest, NonStandardOrInvalidLayoutIsLoggedWhole) {
  auto bad_header = MakePage(0, 7000, 200, 12);  // upper < lower: no hole
  auto no_flag = MakePage(0, 200, 7000, 13);
  WalRecordBuilder b;
  b.RegisterBlock(0, kRel, ForkNumber::kMain, BlockNumber(0), bad_header.data(),
                  kRegForceImage | kRegStandard);
  b.RegisterBlock(1, kRel, ForkNumber::kMain, BlockNumber(1), no_flag.data(), kRegForceImage);
  WalFlush(b.Insert(RmgrId::kTest, 0));
  const ReadResult r = ReadAll();
  ASSERT_EQ(r.records.size(), 1u) << r.error;
  EXPECT_TRUE(r.records[0].blocks[0].image == bad_header);
  EXPECT_TRUE(r.records[0].blocks[1].image == no_flag);
}

TEST_F(WalRecordTest, CompressedImagesRoundTrip) {
  settings::wal_compression = settings::WalCompression::kZlib;
  // Compressible: a page of repeated text with a hole.
  std::vector<std::byte> text(kBlockSize);
  for (size_t i = 0; i < kBlockSize; ++i) text[i] = static_cast<std::byte>("keel wal "[i % 9]);
  storage::PageHeader h{};
  h.lower = 100;
  h.upper = 4000;
  h.special = kBlockSize;
  std::memcpy(text.data(), &h, sizeof(h));
  const auto random = Pattern(kBlockSize, 77);  // does not compress: logged plainly
  WalRecordBuilder b;
  b.RegisterBlock(0, kRel, ForkNumber::kMain, BlockNumber(0), text.data(),
                  kRegForceImage | kRegStandard);
  b.RegisterBlock(1, kRel, ForkNumber::kMain, BlockNumber(1), random.data(), kRegForceImage);
  b.RegisterBlock(2, kRel, ForkNumber::kMain, BlockNumber(2), text.data(), kRegForceImage);
  WalFlush(b.Insert(RmgrId::kTest, 0));
  const ReadResult r = ReadAll();
  ASSERT_EQ(r.records.size(), 1u) << r.error;
  const DecodedRecord& rec = r.records[0];
  std::vector<std::byte> text_with_hole = text;
  std::memset(text_with_hole.data() + 100, 0, 3900);
  EXPECT_TRUE(rec.blocks[0].image == text_with_hole);
  EXPECT_TRUE(rec.blocks[1].image == random);
  EXPECT_TRUE(rec.blocks[2].image == text);
  // The random page is stored whole; the two text images compress to far less.
  EXPECT_LT(rec.total_length, kBlockSize + 2000);
  EXPECT_GT(rec.total_length, kBlockSize);
}

TEST_F(WalRecordTest, FullPageImageOnFirstChangeAfterRedoPointer) {
  // Redo pointer = first record LSN; a page whose LSN is at or before it gets an image.
  auto old_page = MakePage(0, 64, 8000, 1);
  auto new_page = MakePage(0, 64, 8000, 2);
  const Lsn first = InsertTestRecord(Pattern(100, 1));
  storage::PageSetLsn(new_page.data(), first);  // changed after the redo pointer
  const auto register_both = [&](WalRecordBuilder& b, uint8_t extra) {
    b.RegisterBlock(0, kRel, ForkNumber::kMain, BlockNumber(0), old_page.data(), extra);
    b.RegisterBlock(1, kRel, ForkNumber::kMain, BlockNumber(1), new_page.data(), extra);
  };
  {
    WalRecordBuilder b;
    register_both(b, kRegStandard);
    (void)b.Insert(RmgrId::kTest, 0);
  }
  {
    WalRecordBuilder b;  // will-init / no-image: never an image
    b.RegisterBlock(0, kRel, ForkNumber::kMain, BlockNumber(0), old_page.data(), kRegWillInit);
    b.RegisterBlock(1, kRel, ForkNumber::kMain, BlockNumber(1), old_page.data(), kRegNoImage);
    (void)b.Insert(RmgrId::kTest, 0);
  }
  {
    WalRecordBuilder b;  // force: always
    b.RegisterBlock(0, kRel, ForkNumber::kMain, BlockNumber(1), new_page.data(), kRegForceImage);
    (void)b.Insert(RmgrId::kTest, 0);
  }
  // A checkpoint moves the redo pointer past new_page's LSN: now it needs an image too.
  const Lsn redo = WalBeginCheckpointRedoPointer();
  EXPECT_GT(redo, first);
  EXPECT_EQ(WalRedoPointer(), redo);
  {
    WalRecordBuilder b;
    b.RegisterBlock(0, kRel, ForkNumber::kMain, BlockNumber(1), new_page.data(), 0);
    (void)b.Insert(RmgrId::kTest, 0);
  }
  settings::full_page_writes = false;
  Lsn last;
  {
    WalRecordBuilder b;
    b.RegisterBlock(0, kRel, ForkNumber::kMain, BlockNumber(1), new_page.data(), 0);
    last = b.Insert(RmgrId::kTest, 0);
  }
  WalFlush(last);
  const ReadResult r = ReadAll();
  ASSERT_EQ(r.records.size(), 6u) << r.error;
  EXPECT_TRUE(r.records[1].blocks[0].has_image);
  EXPECT_FALSE(r.records[1].blocks[1].has_image);
  EXPECT_FALSE(r.records[2].blocks[0].has_image);
  EXPECT_FALSE(r.records[2].blocks[1].has_image);
  EXPECT_TRUE(r.records[3].blocks[0].has_image);
  EXPECT_TRUE(r.records[4].blocks[0].has_image);
  EXPECT_FALSE(r.records[5].blocks[0].has_image);
  EXPECT_EQ(GetWalStats().fpi, 3u);
  EXPECT_EQ(GetWalStats().records, 6u);
}

#ifdef KEEL_DEBUG
// The hook runs between assembly and reservation: it moves the redo pointer once, as a
// checkpoint starting at exactly that moment would.
int hook_calls = 0;
void MoveRedoPointerOnce() {
  if (hook_calls++ == 0) (void)WalBeginCheckpointRedoPointer();
}
#endif

TEST_F(WalRecordTest, RedoPointerMovedDuringAssemblyForcesReassembly) {
#ifndef KEEL_DEBUG
  GTEST_SKIP() << "needs the TestOnly insert hook (Debug builds)";
#else
  auto page = MakePage(0, 64, 8000, 1);
  const Lsn first = InsertTestRecord(Pattern(100, 1));
  storage::PageSetLsn(page.data(), first);   // newer than the redo pointer: no image at first
  hook_calls = 0;
  TestOnlySetInsertHook(&MoveRedoPointerOnce);
  WalRecordBuilder b;
  b.RegisterBlock(0, kRel, ForkNumber::kMain, BlockNumber(0), page.data(), kRegStandard);
  const Lsn end = b.Insert(RmgrId::kTest, 0);
  TestOnlySetInsertHook(nullptr);
  EXPECT_EQ(hook_calls, 2);  // assembled twice
  // A moved redo pointer that stays before the page's LSN changes nothing.
  storage::PageSetLsn(page.data(), end + 4096);
  hook_calls = 0;
  TestOnlySetInsertHook(&MoveRedoPointerOnce);
  WalRecordBuilder b2;
  b2.RegisterBlock(0, kRel, ForkNumber::kMain, BlockNumber(0), page.data(), kRegStandard);
  const Lsn end2 = b2.Insert(RmgrId::kTest, 0);
  TestOnlySetInsertHook(nullptr);
  EXPECT_EQ(hook_calls, 1);
  WalFlush(end2);
  const ReadResult r = ReadAll();
  ASSERT_EQ(r.records.size(), 3u) << r.error;
  EXPECT_TRUE(r.records[1].blocks[0].has_image);   // the image the moved pointer required
  EXPECT_FALSE(r.records[2].blocks[0].has_image);  // page LSN still past the redo pointer
#endif
}

TEST_F(WalRecordTest, BuildersNestAndReuseTheirMemory) {
  const auto a = Pattern(100, 1);
  const auto c = Pattern(200, 2);
  WalRecordBuilder outer;
  outer.RegisterData(a.data(), a.size());
  {
    WalRecordBuilder inner;  // e.g. a helper logging something while a record is being built
    inner.RegisterData(c.data(), c.size());
    (void)inner.Insert(RmgrId::kTest, 0);
  }
  const Lsn end = outer.Insert(RmgrId::kTest, 0);
  // A builder is reusable after Insert.
  outer.RegisterData(c.data(), 10);
  const Lsn end2 = outer.Insert(RmgrId::kTest, 0);
  EXPECT_GT(end2, end);
  WalFlush(end2);
  const ReadResult r = ReadAll();
  ASSERT_EQ(r.records.size(), 3u) << r.error;
  EXPECT_EQ(r.records[0].main_data, c);
  EXPECT_EQ(r.records[1].main_data, a);
  EXPECT_EQ(r.records[2].main_data, std::vector<std::byte>(c.begin(), c.begin() + 10));
}

TEST_F(WalRecordTest, FlushAdvancesPositionsAndCountsNoSyncWithFsyncOff) {
  const Lsn end = InsertTestRecord(Pattern(20000, 1));
  EXPECT_EQ(WalInsertPosition(), end);
  EXPECT_LT(WalFlushPosition(), end);
  WalFlush(end);
  EXPECT_EQ(WalWritePosition(), end);
  EXPECT_EQ(WalFlushPosition(), end);
  const WalStats s = GetWalStats();
  EXPECT_EQ(s.records, 1u);
  EXPECT_EQ(s.syncs, 0u);  // fsync = off: written, not synced
  EXPECT_GE(s.writes, 1u);
  EXPECT_EQ(s.flushes_done, 1u);
  WalFlush(end);  // already flushed: fast path
  EXPECT_EQ(GetWalStats().flush_requests, 1u);
  EXPECT_EQ(WalLastRecordStart(), WalFirstRecordLsn());
}

TEST(WalRecoveryModeTest, FlushIsANoOpUntilInsertingStarts) {
  settings::fsync = false;
  WalTestCluster cluster;
  // Recovery: the buffer manager may call WalFlush for replayed pages; nothing to do.
  WalFlush(Lsn(5 * kWalSegmentSize));
  EXPECT_FALSE(WalNeedsFlush(Lsn(5 * kWalSegmentSize)));
  cluster.StartFresh();
  const Lsn end = InsertTestRecord(Pattern(10, 1));
  EXPECT_TRUE(WalNeedsFlush(end));
  EXPECT_FALSE(WalNeedsFlush(WalFirstRecordLsn()));
  WalFlush(end);
  EXPECT_FALSE(WalNeedsFlush(end));
  // A request beyond what was inserted flushes what there is.
  WalFlush(end + 100000);
  EXPECT_EQ(WalFlushPosition(), end);
}

}  // namespace
}  // namespace keel::transam
