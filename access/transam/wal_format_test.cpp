// Tests of the WAL position arithmetic, segment names and LSN text (README.md W2, W10).
#include <gtest/gtest.h>

#include "access/transam/wal.h"
#include "access/transam/wal_format_internal.h"
#include "access/transam/wal_reader.h"

namespace keel::transam {
namespace {

using namespace internal;  // NOLINT

TEST(WalFormatTest, FirstRecordIsAfterTheLongHeaderOfSegmentOne) {
  EXPECT_EQ(WalFirstRecordLsn().value(), 0x1000028u);
  EXPECT_EQ(LsnToString(WalFirstRecordLsn()), "0/1000028");
  EXPECT_EQ(BytePosToLsn(kUsableBytesInSegment), WalFirstRecordLsn().value());
}

TEST(WalFormatTest, BytePositionsSkipPageHeaders) {
  // First page of a segment: 40-byte header; later pages: 24 bytes.
  EXPECT_EQ(BytePosToLsn(0), kLongPageHeaderSize);
  EXPECT_EQ(BytePosToLsn(kUsableBytesInFirstPage - 1), kWalPageSize - 1);
  EXPECT_EQ(BytePosToLsn(kUsableBytesInFirstPage), kWalPageSize + kShortPageHeaderSize);
  EXPECT_EQ(BytePosToEndLsn(kUsableBytesInFirstPage), kWalPageSize);
  EXPECT_EQ(BytePosToLsn(kUsableBytesInFirstPage + kUsableBytesInPage),
            2 * kWalPageSize + kShortPageHeaderSize);
  EXPECT_EQ(BytePosToEndLsn(kUsableBytesInFirstPage + kUsableBytesInPage), 2 * kWalPageSize);
  // The end of a segment is the start of the next one.
  EXPECT_EQ(BytePosToEndLsn(kUsableBytesInSegment), kWalSegmentSize);
  EXPECT_EQ(BytePosToLsn(kUsableBytesInSegment), kWalSegmentSize + kLongPageHeaderSize);
  EXPECT_EQ(BytePosToEndLsn(0), 0u);
}

TEST(WalFormatTest, ConversionsRoundTrip) {
  for (uint64_t pos = 0; pos < 3 * kUsableBytesInSegment; pos += 4093) {
    const uint64_t lsn = BytePosToLsn(pos);
    EXPECT_EQ(LsnToBytePos(lsn), pos);
    const uint64_t end = BytePosToEndLsn(pos);
    EXPECT_EQ(LsnToBytePos(end), pos) << pos;
    EXPECT_GE(lsn % kWalPageSize, PageHeaderSizeAt(PageStart(lsn)));
    EXPECT_TRUE(end == lsn || end % kWalPageSize == 0);
  }
  // Alignment in byte positions is alignment in LSNs (headers are multiples of 8).
  for (uint64_t pos = 0; pos < 2 * kUsableBytesInSegment; pos += 8 * 977) {
    EXPECT_EQ(BytePosToLsn(pos) % 8, 0u);
  }
}

TEST(WalFormatTest, LsnInsideAPageHeaderCountsAsAfterIt) {
  EXPECT_EQ(LsnToBytePos(kWalSegmentSize), kUsableBytesInSegment);
  EXPECT_EQ(LsnToBytePos(kWalSegmentSize + 10), kUsableBytesInSegment);
  EXPECT_EQ(LsnToBytePos(kWalPageSize + 3), kUsableBytesInFirstPage);
}

TEST(WalFormatTest, SegmentNames) {
  EXPECT_EQ(WalSegmentFileName(1, 3), "wal/000000010000000000000003");
  EXPECT_EQ(WalSegmentFileName(0xAB, 0x1234567890ull), "wal/000000AB0000001234567890");
  EXPECT_EQ(WalSegmentOf(Lsn(kWalSegmentSize - 1)), 0u);
  EXPECT_EQ(WalSegmentOf(Lsn(3 * kWalSegmentSize + 5)), 3u);
}

TEST(WalFormatTest, LsnText) {
  EXPECT_EQ(LsnToString(Lsn(0)), "0/0");
  EXPECT_EQ(LsnToString(Lsn(0x16B3748)), "0/16B3748");
  EXPECT_EQ(LsnToString(Lsn(0x1'0000'00FFull)), "1/FF");
  EXPECT_EQ(ParseLsn("0/16B3748"), Lsn(0x16B3748));
  EXPECT_EQ(ParseLsn("1/ff"), Lsn(0x1'0000'00FFull));
  EXPECT_EQ(ParseLsn("FFFFFFFF/FFFFFFFF"), Lsn(~uint64_t{0}));
  EXPECT_FALSE(ParseLsn("").has_value());
  EXPECT_FALSE(ParseLsn("0/").has_value());
  EXPECT_FALSE(ParseLsn("/1").has_value());
  EXPECT_FALSE(ParseLsn("0x1/2").has_value());
  EXPECT_FALSE(ParseLsn("1/2/3").has_value());
  EXPECT_FALSE(ParseLsn("123456789/0").has_value());
  EXPECT_FALSE(ParseLsn("12 /0").has_value());
}

TEST(WalFormatTest, RecordHeaderEncodingIsTheDocumentedLayout) {
  RecordHeader h;
  h.total_length = 0x11223344;
  h.xid = 0x0102030405060708ull;
  h.prev = 0x1112131415161718ull;
  h.rmgr = 0xAA;
  h.info = 0xBB;
  h.flags = 0;
  h.crc = 0xCCDDEEFF;
  std::byte bytes[kRecordHeaderSize];
  EncodeRecordHeader(h, bytes);
  EXPECT_EQ(bytes[0], std::byte{0x44});   // little-endian u32 at 0
  EXPECT_EQ(bytes[4], std::byte{0x08});   // xid at 4
  EXPECT_EQ(bytes[12], std::byte{0x18});  // prev at 12
  EXPECT_EQ(bytes[20], std::byte{0xAA});
  EXPECT_EQ(bytes[21], std::byte{0xBB});
  EXPECT_EQ(bytes[24], std::byte{0xFF});  // crc at 24
  const RecordHeader back = DecodeRecordHeader(bytes);
  EXPECT_EQ(back.total_length, h.total_length);
  EXPECT_EQ(back.xid, h.xid);
  EXPECT_EQ(back.prev, h.prev);
  EXPECT_EQ(back.crc, h.crc);
}

}  // namespace
}  // namespace keel::transam
