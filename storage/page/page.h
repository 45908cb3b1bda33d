// The 8 KiB slotted page every table and index page is made of: header, line pointers growing
// up, items growing down, special space at the end; CRC-32C checksum. Layout byte by byte:
// README.md (invariants PG1-PG6).
#pragma once

#include <cstddef>
#include <cstdint>

#include "storage/common/ids.h"

namespace keel::storage {

using Page = std::byte*;  // points at kBlockSize bytes (a buffer or a private copy)

// Item offset within a page: 1-based index into the line pointer array; 0 = invalid.
using OffsetNumber = uint16_t;
inline constexpr OffsetNumber kInvalidOffsetNumber = 0;
inline constexpr OffsetNumber kFirstOffsetNumber = 1;

enum class LinePointerState : uint8_t { kUnused = 0, kNormal = 1, kRedirect = 2, kDead = 3 };

struct PageHeader {          // 32 bytes at offset 0
  uint64_t lsn;              // LSN of the last WAL record that changed the page
  uint32_t checksum;         // CRC-32C of the page with this field zero, mixed with the block no
  uint16_t flags;            // kPageHasFreeLinePointers, kPageFull, kPageAllVisible, ...
  uint16_t lower;            // end of the line pointer array
  uint16_t upper;            // start of item space
  uint16_t special;          // start of special space (kBlockSize when none)
  uint16_t layout_version;   // kPageLayoutVersion
  uint16_t reserved;
  uint64_t prune_xid;        // oldest xmax that pruning could remove (heap); 0 none
};
static_assert(sizeof(PageHeader) == 32);
inline constexpr uint16_t kPageLayoutVersion = 1;
inline constexpr uint16_t kPageHasFreeLinePointers = 0x0001;
inline constexpr uint16_t kPageFull = 0x0002;
inline constexpr uint16_t kPageAllVisible = 0x0004;

// 4-byte line pointer: offset 15 bits, state 2 bits, length 15 bits (as PostgreSQL's).
struct LinePointer {
  uint32_t offset : 15;
  uint32_t state : 2;
  uint32_t length : 15;
};
static_assert(sizeof(LinePointer) == 4);

// Items are aligned to 8 bytes.
inline constexpr size_t kMaxAlign = 8;
[[nodiscard]] constexpr size_t MaxAlign(size_t n) { return (n + kMaxAlign - 1) & ~(kMaxAlign - 1); }

[[nodiscard]] PageHeader* GetPageHeader(Page page);
// A fresh empty page with `special_size` bytes of special space (MAXALIGNed).
void PageInit(Page page, size_t special_size);
// True when every byte is zero (a block that was extended but never written: PG6).
[[nodiscard]] bool PageIsNew(const std::byte* page);
[[nodiscard]] Lsn PageGetLsn(const std::byte* page);
void PageSetLsn(Page page, Lsn lsn);
// Checks the header fields for sanity (lower <= upper <= special <= kBlockSize, aligned, version).
[[nodiscard]] bool PageHeaderIsValid(const std::byte* page);

[[nodiscard]] int PageMaxOffsetNumber(const std::byte* page);
[[nodiscard]] LinePointer* PageGetLinePointer(Page page, OffsetNumber offset);
[[nodiscard]] std::byte* PageGetItem(Page page, const LinePointer* lp);
[[nodiscard]] std::byte* PageGetSpecial(Page page);
// Free bytes between lower and upper, less one line pointer (0 if negative).
[[nodiscard]] size_t PageGetFreeSpace(const std::byte* page);

// Adds an item; `offset` = kInvalidOffsetNumber picks the first unused line pointer (when
// `reuse_unused`) or appends. With a given offset and `overwrite` false, later line pointers
// shift up (index pages). Returns the offset, or kInvalidOffsetNumber when it does not fit.
[[nodiscard]] OffsetNumber PageAddItem(Page page, const void* item, size_t size,
                                       OffsetNumber offset, bool overwrite, bool reuse_unused);
// Removes an item and closes the gap in item space and line pointers (index pages).
void PageIndexTupleDelete(Page page, OffsetNumber offset);
// Compacts item space so free space is contiguous; line pointers keep their offsets (heap).
void PageRepairFragmentation(Page page);

// Checksums (PG5): stamped just before a write, verified just after a read. The block number
// is mixed in so a page written to the wrong place is caught.
void PageSetChecksum(Page page, BlockNumber block);
[[nodiscard]] bool PageVerifyChecksum(const std::byte* page, BlockNumber block);

}  // namespace keel::storage
