// WAL byte formats shared by the inserter, the writer and the reader: page headers, the
// record header, block-reference headers, and the arithmetic between LSNs and "usable byte
// positions" (the log without page headers). Byte-by-byte layout: README.md (W1-W9).
// Internal to access/transam and its tools' tests; other modules use wal.h / wal_reader.h.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "access/transam/wal.h"

namespace keel::transam::internal {

// --- page headers (W2) ----------------------------------------------------------------------
inline constexpr uint16_t kWalPageMagic = 0x4B57;   // bytes 'W' 'K' on little-endian
inline constexpr uint16_t kPageFirstIsContRecord = 0x0001;
inline constexpr uint16_t kPageLongHeader = 0x0002;
inline constexpr uint16_t kPageInfoMask = kPageFirstIsContRecord | kPageLongHeader;

// Every page: 24 bytes.
struct WalPageHeader {
  uint16_t magic;
  uint16_t info;
  uint32_t timeline;
  uint64_t page_address;   // LSN of the first byte of this page
  uint32_t rem_len;        // bytes of a record continued from the previous page (W3)
  uint32_t reserved;       // zero
};
static_assert(sizeof(WalPageHeader) == 24);

// The first page of each segment: 40 bytes.
struct WalLongPageHeader {
  WalPageHeader std;
  uint64_t system_identifier;
  uint32_t segment_size;
  uint32_t page_size;
};
static_assert(sizeof(WalLongPageHeader) == 40);

inline constexpr uint32_t kShortPageHeaderSize = sizeof(WalPageHeader);
inline constexpr uint32_t kLongPageHeaderSize = sizeof(WalLongPageHeader);
inline constexpr uint64_t kPagesPerSegment = kWalSegmentSize / kWalPageSize;
inline constexpr uint64_t kUsableBytesInPage = kWalPageSize - kShortPageHeaderSize;
inline constexpr uint64_t kUsableBytesInFirstPage = kWalPageSize - kLongPageHeaderSize;
inline constexpr uint64_t kUsableBytesInSegment =
    kPagesPerSegment * kUsableBytesInPage - (kLongPageHeaderSize - kShortPageHeaderSize);

// Records start at 8-byte boundaries (W7).
inline constexpr uint64_t kWalAlign = 8;
[[nodiscard]] constexpr uint64_t WalAlign(uint64_t n) { return (n + kWalAlign - 1) & ~(kWalAlign - 1); }

[[nodiscard]] constexpr uint64_t PageStart(uint64_t lsn) { return lsn - lsn % kWalPageSize; }
[[nodiscard]] constexpr uint32_t PageHeaderSizeAt(uint64_t page_lsn) {
  return page_lsn % kWalSegmentSize == 0 ? kLongPageHeaderSize : kShortPageHeaderSize;
}

// Usable byte position (the log with page headers left out; W10) -> LSN of that byte. A
// position at a page boundary maps past the next page's header (where a record would start).
[[nodiscard]] constexpr uint64_t BytePosToLsn(uint64_t bytepos) {
  const uint64_t seg = bytepos / kUsableBytesInSegment;
  uint64_t left = bytepos % kUsableBytesInSegment;
  uint64_t offset;
  if (left < kUsableBytesInFirstPage) {
    offset = left + kLongPageHeaderSize;
  } else {
    left -= kUsableBytesInFirstPage;
    const uint64_t pages = left / kUsableBytesInPage + 1;
    offset = pages * kWalPageSize + left % kUsableBytesInPage + kShortPageHeaderSize;
  }
  return seg * kWalSegmentSize + offset;
}

// As BytePosToLsn, but a position exactly at a page boundary maps to the boundary itself: the
// end of a record that fills its page to the last byte (W10).
[[nodiscard]] constexpr uint64_t BytePosToEndLsn(uint64_t bytepos) {
  const uint64_t seg = bytepos / kUsableBytesInSegment;
  uint64_t left = bytepos % kUsableBytesInSegment;
  uint64_t offset;
  if (left < kUsableBytesInFirstPage) {
    offset = left == 0 ? 0 : left + kLongPageHeaderSize;
  } else {
    left -= kUsableBytesInFirstPage;
    const uint64_t pages = left / kUsableBytesInPage + 1;
    const uint64_t in_page = left % kUsableBytesInPage;
    offset = pages * kWalPageSize + (in_page == 0 ? 0 : in_page + kShortPageHeaderSize);
  }
  return seg * kWalSegmentSize + offset;
}

// LSN -> usable byte position. An LSN inside a page header counts as the first byte after it.
[[nodiscard]] constexpr uint64_t LsnToBytePos(uint64_t lsn) {
  const uint64_t seg = lsn / kWalSegmentSize;
  const uint64_t offset = lsn % kWalSegmentSize;
  const uint64_t page = offset / kWalPageSize;
  uint64_t in_page = offset % kWalPageSize;
  uint64_t result = seg * kUsableBytesInSegment;
  if (page == 0) {
    if (in_page < kLongPageHeaderSize) in_page = kLongPageHeaderSize;
    result += in_page - kLongPageHeaderSize;
  } else {
    if (in_page < kShortPageHeaderSize) in_page = kShortPageHeaderSize;
    result += kUsableBytesInFirstPage + (page - 1) * kUsableBytesInPage +
              (in_page - kShortPageHeaderSize);
  }
  return result;
}

// --- record header (W1) ---------------------------------------------------------------------
// 28 bytes, no padding, host byte order, written and read with memcpy at these offsets:
//   0 u32 total_length | 4 u64 xid | 12 u64 prev | 20 u8 rmgr | 21 u8 info | 22 u16 flags (0)
//   24 u32 crc
inline constexpr uint32_t kRecordHeaderSize = 28;
inline constexpr uint32_t kRecordCrcOffset = 24;
// Upper bound of a record's total length (as PostgreSQL's XLogRecordMaxSize); the reader treats
// anything longer as garbage.
inline constexpr uint32_t kMaxRecordSize = 1020u * 1024 * 1024;

struct RecordHeader {
  uint32_t total_length = 0;
  uint64_t xid = 0;
  uint64_t prev = 0;
  uint8_t rmgr = 0;
  uint8_t info = 0;
  uint16_t flags = 0;
  uint32_t crc = 0;
};

inline void EncodeRecordHeader(const RecordHeader& h, std::byte* out) {
  std::memcpy(out + 0, &h.total_length, 4);
  std::memcpy(out + 4, &h.xid, 8);
  std::memcpy(out + 12, &h.prev, 8);
  std::memcpy(out + 20, &h.rmgr, 1);
  std::memcpy(out + 21, &h.info, 1);
  std::memcpy(out + 22, &h.flags, 2);
  std::memcpy(out + 24, &h.crc, 4);
}

[[nodiscard]] inline RecordHeader DecodeRecordHeader(const std::byte* in) {
  RecordHeader h;
  std::memcpy(&h.total_length, in + 0, 4);
  std::memcpy(&h.xid, in + 4, 8);
  std::memcpy(&h.prev, in + 12, 8);
  std::memcpy(&h.rmgr, in + 20, 1);
  std::memcpy(&h.info, in + 21, 1);
  std::memcpy(&h.flags, in + 22, 2);
  std::memcpy(&h.crc, in + 24, 4);
  return h;
}

// --- block references and main data (W4, W5) ----------------------------------------------
// Block reference header: u8 block_id, u8 fork_flags, u8 reg_flags, u16 data_length,
// [image header], [RelFileLocator 12 bytes unless kBlockSameRel], u32 block number.
inline constexpr uint8_t kBlockForkMask = 0x0F;
inline constexpr uint8_t kBlockHasImage = 0x10;
inline constexpr uint8_t kBlockSameRel = 0x80;
inline constexpr uint8_t kBlockKnownFlags = kBlockForkMask | kBlockHasImage | kBlockSameRel;
// Image header: u16 stored_length, u16 hole_offset, u16 hole_length, u8 image_flags.
inline constexpr uint8_t kImageCompressed = 0x01;
inline constexpr uint8_t kImageApply = 0x02;
inline constexpr uint32_t kImageHeaderSize = 7;
inline constexpr uint32_t kRelFileLocatorSize = 12;
inline constexpr uint32_t kBlockRefFixedSize = 1 + 1 + 1 + 2 + 4;
// Main data header: u8 kBlockIdDataShort + u8 length, or u8 kBlockIdDataLong + u32 length.
inline constexpr uint8_t kBlockIdDataShort = 255;
inline constexpr uint8_t kBlockIdDataLong = 254;
inline constexpr uint32_t kMaxBlockRefHeaderBytes =
    kBlockRefFixedSize + kImageHeaderSize + kRelFileLocatorSize;
// Largest header part of a record: record header, 32 block references, main data header.
inline constexpr uint32_t kMaxHeaderBytes = kRecordHeaderSize + 32 * kMaxBlockRefHeaderBytes + 5;

// The sentinel of a WAL buffer slot that holds no page yet.
inline constexpr uint64_t kNoPage = ~uint64_t{0};

}  // namespace keel::transam::internal
