// The crash torture test's relation and resource manager: a relation of kBlocks pages, each
// holding one item of kSlotsPerPage 64-bit slots; WAL records set one slot, initialise a page,
// or mark a "commit". See tests/README.md.
#pragma once

#include <cstdint>

#include "storage/common/ids.h"

namespace keel::torture {

inline constexpr uint32_t kBlocks = 64;
inline constexpr uint32_t kSlotsPerPage = 100;
inline constexpr uint32_t kSlots = kBlocks * kSlotsPerPage;
inline const RelFileLocator kRelation{Oid(1663), Oid(1), Oid(16384)};

// Test resource manager record kinds (info byte).
inline constexpr uint8_t kInitPage = 0x10;  // block 0: page init (will-init); data: none
inline constexpr uint8_t kSetSlot = 0x20;   // block 0: {uint32 index in page, uint64 value}
inline constexpr uint8_t kCommit = 0x30;    // main data: uint64 sequence

// Registers the test resource manager in this process (before forking: children inherit it).
void RegisterTortureRmgr();

}  // namespace keel::torture
