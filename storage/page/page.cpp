// Slotted-page operations and page checksums. Layout and invariants PG1-PG6: README.md.
#include "storage/page/page.h"

#include <algorithm>
#include <cstring>
#include <vector>

#include "backend/utils/error/error.h"
#include "backend/utils/error/format.h"
#include "backend/utils/error/log.h"
#include "backend/utils/hash/crc32c.h"

namespace keel::storage {

namespace {

constexpr size_t kHeaderSize = sizeof(PageHeader);
constexpr size_t kLinePointerSize = sizeof(LinePointer);
constexpr uint16_t kValidFlags = kPageHasFreeLinePointers | kPageFull | kPageAllVisible;
constexpr size_t kChecksumOffset = offsetof(PageHeader, checksum);
static_assert(kChecksumOffset == 8);
static_assert(kBlockSize <= 0x8000, "line pointer offsets and lengths have 15 bits");

const PageHeader* Header(const std::byte* page) {
  return reinterpret_cast<const PageHeader*>(page);
}

// PG2, checked before every change: a page whose pointers are wrong is not touched.
void CheckPagePointers(const std::byte* page) {
  const PageHeader* h = Header(page);
  if (h->lower < kHeaderSize || h->lower > h->upper || h->upper > h->special ||
      h->special > kBlockSize) {
    throw Error(sqlstate::kDataCorrupted,
                Format("corrupted page pointers: lower = %u, upper = %u, special = %u",
                       static_cast<unsigned>(h->lower), static_cast<unsigned>(h->upper),
                       static_cast<unsigned>(h->special)));
  }
}

LinePointer* LinePointerAt(std::byte* page, OffsetNumber offset) {
  return reinterpret_cast<LinePointer*>(page + kHeaderSize + (offset - 1) * kLinePointerSize);
}

bool HasStorage(const LinePointer& lp) { return lp.length != 0; }

// The checksum proper (PG5): CRC-32C over the page with the checksum field as zero, mixed
// with the block number, never 0.
uint32_t ComputeChecksum(const std::byte* page, BlockNumber block) {
  static constexpr std::byte kZeroField[4] = {};
  Crc32cBuilder crc;
  crc.Update(page, kChecksumOffset);
  crc.Update(kZeroField, sizeof(kZeroField));
  crc.Update(page + kChecksumOffset + 4, kBlockSize - kChecksumOffset - 4);
  // Multiplying by the 32-bit golden ratio spreads consecutive block numbers over all bits,
  // so a page read from a neighbouring block fails as surely as a random one.
  uint32_t sum = crc.Finish() ^ (block.value() * 0x9E3779B1u);
  return sum == 0 ? 1 : sum;  // PG6: 0 is reserved for new pages
}

}  // namespace

PageHeader* GetPageHeader(Page page) { return reinterpret_cast<PageHeader*>(page); }

void PageInit(Page page, size_t special_size) {
  special_size = MaxAlign(special_size);
  KEEL_ASSERT(special_size <= kBlockSize - kHeaderSize);
  std::memset(page, 0, kBlockSize);
  PageHeader* h = GetPageHeader(page);
  h->lower = static_cast<uint16_t>(kHeaderSize);
  h->upper = static_cast<uint16_t>(kBlockSize - special_size);
  h->special = static_cast<uint16_t>(kBlockSize - special_size);
  h->layout_version = kPageLayoutVersion;
}

bool PageIsNew(const std::byte* page) {
  // Word at a time; pages are at least 8-byte aligned in practice but memcpy keeps it legal.
  for (size_t i = 0; i < kBlockSize; i += sizeof(uint64_t)) {
    uint64_t word;
    std::memcpy(&word, page + i, sizeof(word));
    if (word != 0) return false;
  }
  return true;
}

Lsn PageGetLsn(const std::byte* page) { return Lsn(Header(page)->lsn); }

void PageSetLsn(Page page, Lsn lsn) { GetPageHeader(page)->lsn = lsn.value(); }

bool PageHeaderIsValid(const std::byte* page) {
  const PageHeader* h = Header(page);
  return (h->flags & ~kValidFlags) == 0 && h->layout_version == kPageLayoutVersion &&
         h->lower >= kHeaderSize && h->lower <= h->upper && h->upper <= h->special &&
         h->special <= kBlockSize && h->special == MaxAlign(h->special) &&
         h->upper == MaxAlign(h->upper) && (h->lower - kHeaderSize) % kLinePointerSize == 0 &&
         h->reserved == 0;
}

int PageMaxOffsetNumber(const std::byte* page) {
  const uint16_t lower = Header(page)->lower;
  return lower <= kHeaderSize ? 0 : static_cast<int>((lower - kHeaderSize) / kLinePointerSize);
}

LinePointer* PageGetLinePointer(Page page, OffsetNumber offset) {
  KEEL_ASSERT(offset >= kFirstOffsetNumber && offset <= PageMaxOffsetNumber(page));
  return LinePointerAt(page, offset);
}

std::byte* PageGetItem(Page page, const LinePointer* lp) {
  KEEL_ASSERT(HasStorage(*lp));
  return page + lp->offset;
}

std::byte* PageGetSpecial(Page page) { return page + GetPageHeader(page)->special; }

size_t PageGetFreeSpace(const std::byte* page) {
  const PageHeader* h = Header(page);
  const int space = static_cast<int>(h->upper) - static_cast<int>(h->lower);
  if (space < static_cast<int>(kLinePointerSize)) return 0;
  return static_cast<size_t>(space) - kLinePointerSize;
}

OffsetNumber PageAddItem(Page page, const void* item, size_t size, OffsetNumber offset,
                         bool overwrite, bool reuse_unused) {
  CheckPagePointers(page);
  PageHeader* h = GetPageHeader(page);
  const OffsetNumber limit = static_cast<OffsetNumber>(PageMaxOffsetNumber(page) + 1);
  bool shuffle = false;

  if (offset != kInvalidOffsetNumber) {
    if (overwrite) {
      if (offset < limit) {
        const LinePointer* lp = LinePointerAt(page, offset);
        if (lp->state != static_cast<uint32_t>(LinePointerState::kUnused) || HasStorage(*lp)) {
          Log(Severity::kWarning, "will not overwrite a used ItemId");
          return kInvalidOffsetNumber;
        }
      }
    } else if (offset < limit) {
      shuffle = true;  // index page: later items move up one slot (PG4)
    }
  } else if (reuse_unused && (h->flags & kPageHasFreeLinePointers) != 0) {
    // The flag is a hint set by PageRepairFragmentation; trust it only as far as the scan.
    for (offset = kFirstOffsetNumber; offset < limit; ++offset) {
      const LinePointer* lp = LinePointerAt(page, offset);
      if (lp->state == static_cast<uint32_t>(LinePointerState::kUnused) && !HasStorage(*lp)) break;
    }
    if (offset >= limit) h->flags &= static_cast<uint16_t>(~kPageHasFreeLinePointers);
  } else {
    offset = limit;
  }

  if (offset > limit) {
    Log(Severity::kWarning, "specified item offset is too large");
    return kInvalidOffsetNumber;
  }

  // PG3: a new line pointer is needed when appending or shifting.
  const size_t lower = h->lower + ((offset == limit || shuffle) ? kLinePointerSize : 0);
  const size_t aligned = MaxAlign(size);
  if (aligned > h->upper || size >= 0x8000) return kInvalidOffsetNumber;
  const size_t upper = h->upper - aligned;
  if (lower > upper) return kInvalidOffsetNumber;

  LinePointer* lp = LinePointerAt(page, offset);
  if (shuffle) {
    std::memmove(lp + 1, lp, (limit - offset) * kLinePointerSize);
  }
  lp->offset = static_cast<uint32_t>(upper);
  lp->state = static_cast<uint32_t>(LinePointerState::kNormal);
  lp->length = static_cast<uint32_t>(size);
  std::memcpy(page + upper, item, size);
  // Alignment padding is zeroed so that equal contents give equal pages (and checksums).
  std::memset(page + upper + size, 0, aligned - size);
  h->lower = static_cast<uint16_t>(lower);
  h->upper = static_cast<uint16_t>(upper);
  return offset;
}

void PageIndexTupleDelete(Page page, OffsetNumber offset) {
  CheckPagePointers(page);
  PageHeader* h = GetPageHeader(page);
  const int nline = PageMaxOffsetNumber(page);
  if (offset < kFirstOffsetNumber || offset > nline) {
    throw Error(sqlstate::kInternalError,
                Format("invalid index offnum: %u", static_cast<unsigned>(offset)));
  }
  const LinePointer victim = *LinePointerAt(page, offset);
  const size_t item_offset = victim.offset;
  size_t size = victim.length;
  if (item_offset < h->upper || item_offset + size > h->special ||
      item_offset != MaxAlign(item_offset)) {
    throw Error(sqlstate::kDataCorrupted,
                Format("corrupted line pointer: offset = %zu, size = %zu", item_offset, size));
  }
  size = MaxAlign(size);

  // Close the gap in the line pointer array (PG4: later offsets move down by one).
  LinePointer* lp = LinePointerAt(page, offset);
  std::memmove(lp, lp + 1, (nline - offset) * kLinePointerSize);

  // Close the gap in item space: everything between upper and the item moves up by `size`.
  if (item_offset > h->upper) {
    std::memmove(page + h->upper + size, page + h->upper, item_offset - h->upper);
  }
  std::memset(page + h->upper, 0, size);
  h->upper = static_cast<uint16_t>(h->upper + size);
  h->lower = static_cast<uint16_t>(h->lower - kLinePointerSize);
  std::memset(page + h->lower, 0, kLinePointerSize);

  // Items that sat below the deleted one moved: fix their pointers.
  for (int i = kFirstOffsetNumber; i < nline; ++i) {
    LinePointer* p = LinePointerAt(page, static_cast<OffsetNumber>(i));
    if (HasStorage(*p) && p->offset <= item_offset) p->offset += static_cast<uint32_t>(size);
  }
}

void PageRepairFragmentation(Page page) {
  CheckPagePointers(page);
  PageHeader* h = GetPageHeader(page);
  const int nline = PageMaxOffsetNumber(page);

  struct Stored {
    OffsetNumber offset_number;
    uint16_t item_offset;
    uint16_t aligned_length;
  };
  Stored stored[kBlockSize / kLinePointerSize];
  int nstored = 0;
  int nunused = 0;
  size_t total = 0;
  for (int i = kFirstOffsetNumber; i <= nline; ++i) {
    LinePointer* lp = LinePointerAt(page, static_cast<OffsetNumber>(i));
    if (lp->state == static_cast<uint32_t>(LinePointerState::kUnused)) {
      // An unused pointer never owns storage; make sure (PG3).
      lp->offset = 0;
      lp->length = 0;
      ++nunused;
      continue;
    }
    if (!HasStorage(*lp)) continue;  // dead / redirect without storage
    if (lp->offset < h->upper || lp->offset + lp->length > h->special ||
        lp->offset != MaxAlign(lp->offset)) {
      throw Error(sqlstate::kDataCorrupted,
                  Format("corrupted line pointer: %u", static_cast<unsigned>(lp->offset)));
    }
    const uint16_t aligned = static_cast<uint16_t>(MaxAlign(lp->length));
    stored[nstored++] = {static_cast<OffsetNumber>(i), static_cast<uint16_t>(lp->offset), aligned};
    total += aligned;
  }
  if (total > static_cast<size_t>(h->special - h->lower)) {
    throw Error(sqlstate::kDataCorrupted,
                Format("corrupted item lengths: total %zu, available space %u", total,
                       static_cast<unsigned>(h->special - h->lower)));
  }

  // Pack the items against the special space, highest item first, keeping their line
  // pointers (PG4). Items move only towards the end of the page, and in descending order of
  // their old offsets no move overwrites an item not yet moved.
  std::sort(stored, stored + nstored,
            [](const Stored& a, const Stored& b) { return a.item_offset > b.item_offset; });
  size_t upper = h->special;
  for (int i = 0; i < nstored; ++i) {
    upper -= stored[i].aligned_length;
    if (upper != stored[i].item_offset) {
      std::memmove(page + upper, page + stored[i].item_offset, stored[i].aligned_length);
    }
    LinePointerAt(page, stored[i].offset_number)->offset = static_cast<uint32_t>(upper);
  }
  std::memset(page + h->lower, 0, upper - h->lower);  // free space is zero (deterministic)
  h->upper = static_cast<uint16_t>(upper);

  if (nunused > 0) {
    h->flags |= kPageHasFreeLinePointers;
  } else {
    h->flags &= static_cast<uint16_t>(~kPageHasFreeLinePointers);
  }
}

void PageSetChecksum(Page page, BlockNumber block) {
  GetPageHeader(page)->checksum = ComputeChecksum(page, block);
}

bool PageVerifyChecksum(const std::byte* page, BlockNumber block) {
  const uint32_t stored = Header(page)->checksum;
  if (stored == 0) return PageIsNew(page);  // PG6
  return stored == ComputeChecksum(page, block);
}

}  // namespace keel::storage
