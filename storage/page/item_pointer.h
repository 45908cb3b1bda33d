// A tuple's address: block number and line pointer offset (PostgreSQL's ctid). 6 bytes on disk,
// packed as u32 block + u16 offset. See storage/page/README.md.
#pragma once

#include <cstdint>
#include <string>

#include "storage/common/ids.h"
#include "storage/page/page.h"

namespace keel::storage {

struct ItemPointer {
  BlockNumber block = kInvalidBlockNumber;
  OffsetNumber offset = kInvalidOffsetNumber;

  [[nodiscard]] constexpr bool valid() const {
    return block != kInvalidBlockNumber && offset != kInvalidOffsetNumber;
  }
  friend constexpr bool operator==(const ItemPointer&, const ItemPointer&) = default;
  friend constexpr auto operator<=>(const ItemPointer& a, const ItemPointer& b) {
    if (auto c = a.block <=> b.block; c != 0) return c;
    return a.offset <=> b.offset;
  }
};

// "(block,offset)", as PostgreSQL prints a tid.
[[nodiscard]] inline std::string ItemPointerToString(const ItemPointer& tid) {
  return "(" + std::to_string(tid.block.value()) + "," + std::to_string(tid.offset) + ")";
}

}  // namespace keel::storage
