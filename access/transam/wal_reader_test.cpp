// The reader's end-of-log rules (README.md W8): torn tails, flipped bytes, zeroed pages, stale
// recycled segments, prev links, unknown resource managers; and restarting the log after them
// (W14).
#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "access/transam/wal.h"
#include "access/transam/wal_format_internal.h"
#include "access/transam/wal_reader.h"
#include "access/transam/wal_record.h"
#include "access/transam/wal_test_util.h"
#include "backend/utils/config/settings.h"

namespace keel::transam {
namespace {

using namespace testing;  // NOLINT

class WalReaderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    settings::fsync = false;
    cluster_.StartFresh();
  }

  // Inserts records of the given sizes (seeded by index), flushes, returns their ends.
  std::vector<Lsn> InsertAll(const std::vector<size_t>& sizes, uint32_t seed_base = 0) {
    std::vector<Lsn> ends;
    for (size_t i = 0; i < sizes.size(); ++i) {
      ends.push_back(InsertTestRecord(Pattern(sizes[i], seed_base + static_cast<uint32_t>(i))));
    }
    WalFlush(ends.back());
    return ends;
  }

  static void PatchFile(Lsn lsn, const void* bytes, size_t n) {
    const int fd = open(WalSegmentFileName(1, WalSegmentOf(lsn)).c_str(), O_RDWR);
    ASSERT_GE(fd, 0);
    ASSERT_EQ(pwrite(fd, bytes, n, static_cast<off_t>(lsn.value() % kWalSegmentSize)),
              static_cast<ssize_t>(n));
    close(fd);
  }

  WalTestCluster cluster_;
};

TEST_F(WalReaderTest, TruncatedSegmentEndsTheLogAtTheLastWholeRecord) {
  const std::vector<Lsn> ends = InsertAll({100, 9000, 300, 20000, 50});
  const ReadResult all = ReadAll();
  ASSERT_EQ(all.records.size(), 5u);
  // Cut the segment in the middle of record 3 (which spans pages).
  const Lsn cut = all.records[3].lsn + 10000;
  ASSERT_EQ(truncate(WalSegmentFileName(1, 1).c_str(),
                     static_cast<off_t>(internal::PageStart(cut.value()) % kWalSegmentSize)),
            0);
  const ReadResult r = ReadAll();
  ASSERT_EQ(r.records.size(), 3u);
  EXPECT_EQ(r.end, ends[2]);
  EXPECT_NE(r.error.find("could not read from WAL segment 000000010000000000000001"),
            std::string::npos)
      << r.error;
}

TEST_F(WalReaderTest, FlippedByteFailsTheCrcAndEndsTheLogThere) {
  InsertAll({100, 200, 5000, 300, 400});
  const ReadResult all = ReadAll();
  ASSERT_EQ(all.records.size(), 5u);
  const Lsn target = all.records[2].lsn + 3000;  // inside record 2's payload
  uint8_t byte;
  {
    const int fd = open(WalSegmentFileName(1, 1).c_str(), O_RDONLY);
    ASSERT_EQ(pread(fd, &byte, 1, static_cast<off_t>(target.value() % kWalSegmentSize)), 1);
    close(fd);
  }
  byte ^= 0x01;
  PatchFile(target, &byte, 1);
  const ReadResult r = ReadAll();
  ASSERT_EQ(r.records.size(), 2u);
  EXPECT_EQ(r.end, all.records[1].end_lsn);
  EXPECT_EQ(r.error, "incorrect resource manager data checksum in record at " +
                         LsnToString(all.records[2].lsn));
}

TEST_F(WalReaderTest, ZeroedPageInsideARecordEndsTheLog) {
  InsertAll({100, 30000, 100});
  const ReadResult all = ReadAll();
  ASSERT_EQ(all.records.size(), 3u);
  const uint64_t page = internal::PageStart(all.records[1].lsn.value()) + 2 * kWalPageSize;
  const std::vector<std::byte> zeros(kWalPageSize);
  PatchFile(Lsn(page), zeros.data(), zeros.size());
  const ReadResult r = ReadAll();
  ASSERT_EQ(r.records.size(), 1u);
  EXPECT_EQ(r.end, all.records[0].end_lsn);
  EXPECT_EQ(r.error, "invalid magic number 0000 in WAL segment 000000010000000000000001, offset " +
                         std::to_string(page % kWalSegmentSize));
}

TEST_F(WalReaderTest, GarbageLengthAfterTheLastRecordIsRejected) {
  const std::vector<Lsn> ends = InsertAll({100, 100});
  const uint32_t huge = 0x7FFFFFFF;
  PatchFile(ends.back(), &huge, sizeof(huge));
  ReadResult r = ReadAll();
  EXPECT_EQ(r.records.size(), 2u);
  EXPECT_EQ(r.error, "record length 2147483647 at " + LsnToString(ends.back()) + " too long");
  const uint32_t small = 12;
  PatchFile(ends.back(), &small, sizeof(small));
  r = ReadAll();
  EXPECT_EQ(r.error,
            "invalid record length at " + LsnToString(ends.back()) + ": wanted 28, got 12");
  // A plausible length with a garbage header: the prev link gives it away.
  std::byte fake[internal::kRecordHeaderSize] = {};
  internal::RecordHeader h;
  h.total_length = 64;
  h.prev = 0x123456;
  internal::EncodeRecordHeader(h, fake);
  PatchFile(ends.back(), fake, sizeof(fake));
  r = ReadAll();
  EXPECT_EQ(r.records.size(), 2u);
  EXPECT_EQ(r.error, "record with incorrect prev-link 0/123456 at " + LsnToString(ends.back()));
}

TEST_F(WalReaderTest, StaleRecycledSegmentIsNotReadAsValid) {
  // Fill segment 1 and a little of segment 2.
  std::vector<Lsn> ends;
  while (WalSegmentOf(WalInsertPosition()) < 2 || ends.size() < 3) {
    ends.push_back(InsertTestRecord(Pattern(300000, static_cast<uint32_t>(ends.size()))));
  }
  WalFlush(ends.back());
  // "Recycle" segment 1 as segment 3: it keeps segment 1's (valid-looking) pages.
  std::filesystem::copy_file(WalSegmentFileName(1, 1), WalSegmentFileName(1, 3));
  // One record from here to 200 bytes into segment 3, then one to the end of that page.
  const uint64_t target = internal::LsnToBytePos(3 * kWalSegmentSize) + 200;
  const uint64_t cur = internal::LsnToBytePos(WalInsertPosition().value());
  ends.push_back(InsertTestRecord(Pattern(target - cur - internal::kRecordHeaderSize - 5, 500)));
  ASSERT_EQ(ends.back().value(), 3 * kWalSegmentSize + internal::kLongPageHeaderSize + 200);
  const uint64_t pos = WalInsertPosition().value();
  ASSERT_LT(pos % kWalSegmentSize, kWalPageSize - 64) << "test assumes room in the first page";
  const uint64_t room = kWalPageSize - pos % kWalPageSize;
  // total = 28 header + 5 long-data header + n = room exactly.
  const size_t n = room - internal::kRecordHeaderSize - 5;
  ASSERT_GT(n, 255u);
  ends.push_back(InsertTestRecord(Pattern(n, 999)));
  ASSERT_EQ(ends.back().value(), 3 * kWalSegmentSize + kWalPageSize);
  WalFlush(ends.back());

  const ReadResult r = ReadAll();
  ASSERT_EQ(r.records.size(), ends.size()) << r.error;
  EXPECT_EQ(r.end, ends.back());
  EXPECT_EQ(r.error, "unexpected pageaddr 0/1002000 in WAL segment 000000010000000000000003, "
                     "offset 8192");
}

TEST_F(WalReaderTest, WrongPrevLinkAfterARestartIsDetected) {
  const std::vector<Lsn> ends = InsertAll({100, 200, 300});
  const ReadResult before = ReadAll();
  cluster_.Restart();
  // The new first record links to record 0 instead of record 2.
  WalStartInsertingAt(before.end, before.records[0].lsn, 1, WalFirstRecordLsn());
  WalFlush(InsertTestRecord(Pattern(50, 1)));
  const ReadResult r = ReadAll();
  ASSERT_EQ(r.records.size(), 3u);
  EXPECT_EQ(r.error, "record with incorrect prev-link " + LsnToString(before.records[0].lsn) +
                         " at " + LsnToString(ends.back()));
}

TEST_F(WalReaderTest, RestartContinuesThePartialPage) {
  InsertAll({100, 9000, 333});
  const ReadResult before = ReadAll();
  ASSERT_EQ(before.records.size(), 3u);
  ASSERT_NE(before.end.value() % kWalPageSize, 0u);
  cluster_.Restart();
  WalStartInsertingAt(before.end, before.records.back().lsn, 1, WalFirstRecordLsn());
  EXPECT_EQ(WalInsertPosition(), before.end);
  EXPECT_EQ(WalFlushPosition(), before.end);
  const std::vector<Lsn> ends = InsertAll({10, 20000, 30}, 100);
  const ReadResult after = ReadAll();
  ASSERT_EQ(after.records.size(), 6u) << after.error;
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(after.records[i].main_data, before.records[i].main_data);
    EXPECT_EQ(after.records[3 + i].end_lsn, ends[i]);
    EXPECT_EQ(after.records[3 + i].main_data.size(), std::vector<size_t>({10, 20000, 30})[i]);
  }
  EXPECT_EQ(after.records[3].prev_lsn, before.records[2].lsn);
}

TEST_F(WalReaderTest, RestartAfterATornTailOverwritesIt) {
  InsertAll({100, 200});
  const ReadResult before = ReadAll();
  // A torn record after the end: a header claiming 5000 bytes, then garbage.
  std::vector<std::byte> garbage = Pattern(3000, 42);
  internal::RecordHeader h;
  h.total_length = 5000;
  h.prev = before.records.back().lsn.value();
  internal::EncodeRecordHeader(h, garbage.data());
  PatchFile(before.end, garbage.data(), garbage.size());
  EXPECT_EQ(ReadAll().records.size(), 2u);

  cluster_.Restart();
  // The three-argument form finds the last record by reading from the redo pointer.
  WalStartInsertingAt(before.end, 1, WalFirstRecordLsn());
  InsertAll({64}, 7);
  const ReadResult after = ReadAll();
  ASSERT_EQ(after.records.size(), 3u) << after.error;
  EXPECT_EQ(after.records[2].main_data, Pattern(64, 7));
  EXPECT_EQ(after.records[2].prev_lsn, before.records[1].lsn);
  EXPECT_EQ(after.error, "invalid record length at " + LsnToString(after.end) +
                             ": wanted 28, got 0");
}

TEST_F(WalReaderTest, ReadRecordAtAndMissingSegment) {
  InsertAll({100, 200, 300});
  const ReadResult all = ReadAll();
  std::string error;
  std::optional<DecodedRecord> rec = ReadRecordAt(kWalDirectory, all.records[1].lsn, &error);
  ASSERT_TRUE(rec.has_value()) << error;
  EXPECT_EQ(rec->main_data, Pattern(200, 1));
  EXPECT_EQ(rec->end_lsn, all.records[1].end_lsn);
  // Not a record start: the length read there is nonsense (or the prev link is).
  EXPECT_FALSE(ReadRecordAt(kWalDirectory, all.records[1].lsn + 16, &error).has_value());
  EXPECT_FALSE(error.empty());
  EXPECT_FALSE(ReadRecordAt(kWalDirectory, Lsn(5 * kWalSegmentSize + 40), &error).has_value());
  EXPECT_EQ(error, "missing WAL segment 000000010000000000000005");
}

TEST_F(WalReaderTest, UnknownResourceManagerEndsTheLog) {
  InsertAll({100});
  WalRecordBuilder b;
  const Lsn end = b.Insert(static_cast<RmgrId>(77), 0);
  WalFlush(end);
  const ReadResult r = ReadAll();
  ASSERT_EQ(r.records.size(), 1u);
  EXPECT_EQ(r.error, "invalid resource manager ID 77 at " + LsnToString(r.end));
}

TEST_F(WalReaderTest, ReaderStartingAtAPageBoundarySkipsTheHeader) {
  // Fill exactly to the end of the first page, then a record on the next page. (The insert
  // position of a fresh log is the segment start: an end position never points past a page
  // header.)
  EXPECT_EQ(WalInsertPosition().value(), kWalSegmentSize);
  const uint64_t pos = WalFirstRecordLsn().value();
  const size_t n = kWalPageSize - pos % kWalPageSize - internal::kRecordHeaderSize - 5;
  const Lsn first_end = InsertTestRecord(Pattern(n, 1));
  ASSERT_EQ(first_end.value() % kWalPageSize, 0u);
  WalFlush(InsertTestRecord(Pattern(10, 2)));
  const ReadResult r = ReadAll(first_end);
  ASSERT_EQ(r.records.size(), 1u) << r.error;
  EXPECT_EQ(r.records[0].lsn.value(), first_end.value() + internal::kShortPageHeaderSize);
  EXPECT_EQ(r.records[0].prev_lsn, WalFirstRecordLsn());
  EXPECT_EQ(r.records[0].main_data, Pattern(10, 2));
}

}  // namespace
}  // namespace keel::transam
