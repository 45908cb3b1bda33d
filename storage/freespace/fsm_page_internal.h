// One page of the free space map: a binary max-heap of 1-byte free-space categories whose
// leaves are the page's slots. Used only by fsm.cpp and its tests. README.md (F1-F8).
#pragma once

#include <cstddef>
#include <cstdint>

#include "storage/common/ids.h"
#include "storage/page/page.h"

namespace keel::storage::fsm {

// A category is free space in units of kCategoryBytes, rounded down when recorded (F1).
inline constexpr size_t kCategoryBytes = kBlockSize / 256;          // 32
// Requests of at least this many bytes need the maximum category (an empty heap page).
inline constexpr size_t kMaxRequestBytes = kBlockSize - 32 - 4;     // kMaxHeapTupleSize

// Page layout (F2): the standard page header, a 4-byte search start hint, then the nodes.
inline constexpr size_t kNextSlotOffset = sizeof(PageHeader);       // 32
inline constexpr size_t kNodesOffset = kNextSlotOffset + 4;          // 36
inline constexpr int kNodesPerPage = static_cast<int>(kBlockSize - kNodesOffset);      // 8156
inline constexpr int kNonLeafNodes = static_cast<int>(kBlockSize / 2 - 1);             // 4095
inline constexpr int kSlotsPerPage = kNodesPerPage - kNonLeafNodes;                     // 4061
// Three levels of pages: kSlotsPerPage^3 > 2^32 heap blocks (F3).
inline constexpr int kTreeDepth = 3;
static_assert(static_cast<uint64_t>(kSlotsPerPage) * kSlotsPerPage * kSlotsPerPage >
              0xFFFFFFFFull);

[[nodiscard]] uint8_t AvailToCategory(size_t avail_bytes);
[[nodiscard]] uint8_t NeededToCategory(size_t needed_bytes);
[[nodiscard]] constexpr size_t CategoryToAvail(uint8_t category) {
  return static_cast<size_t>(category) * kCategoryBytes;
}

// All of these take a page (a buffer page or a private copy) initialised with PageInit; the
// caller holds the buffer's content lock: share for reads and PageSearch, exclusive for the
// rest (F6).
[[nodiscard]] uint8_t PageGetSlot(const std::byte* page, int slot);
[[nodiscard]] uint8_t PageRootValue(const std::byte* page);
// Sets one slot and fixes its ancestors. Returns whether the page changed.
bool PageSetSlot(Page page, int slot, uint8_t value);
// A slot whose category is >= `needed`, searching rightwards from the page's start hint and
// widening the range level by level, so nearby slots are preferred; -1 when the root says
// none. Updates the start hint (an atomic store: allowed under a share lock) to the slot found
// (+1 with `advance`). Sets *inconsistent and returns -1 when an inner node promised more than
// its children hold (a zeroed or torn page): the caller rebuilds the page.
[[nodiscard]] int PageSearch(Page page, uint8_t needed, bool advance, bool* inconsistent);
// Recomputes every inner node from the leaves. Returns whether anything changed.
bool PageRebuild(Page page);
// Zeroes the slots from `first_slot` on and rebuilds. Returns whether anything changed.
bool PageClearFrom(Page page, int first_slot);

}  // namespace keel::storage::fsm
