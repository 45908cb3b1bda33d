// Per-process cache of open segment descriptors (SM6), keyed by (relation, fork, segment),
// at most kMaxOpenSegments, least recently used closed first. Internal to storage/smgr and
// storage/sync; other modules go through smgr.h. See README.md.
#pragma once

#include <cstdint>

#include "storage/common/ids.h"

namespace keel::storage::smgr_internal {

inline constexpr int kMaxOpenSegments = 256;

enum class SegmentOpen : uint8_t {
  kMustExist,  // a missing file is an error
  kCreate,     // created (empty) when missing: extension
  kIfExists,   // -1 when missing (ENOENT); other errors still throw
};

// The cached descriptor of segment `segno` (O_RDWR), opening it when needed.
// `target_block` (kInvalidBlockNumber when none) only shapes the error message.
// Throws keel::Error with PostgreSQL's texts: `could not open file "%s": %m` (segment 0),
// `could not open file "%s" (target block %u): %m`, or `could not open file "%s" (target
// block %u): previous segment is only %u blocks` (SQLSTATE from errno, 58P01 for the last).
// The descriptor stays owned by the cache: use it before the next cache call (which may
// close it when more than kMaxOpenSegments are open).
[[nodiscard]] int GetSegmentFd(const RelFileLocator& rel, ForkNumber fork, uint32_t segno,
                               SegmentOpen how, BlockNumber target_block);
// Puts a descriptor the caller opened (SmgrCreate) into the cache, closing any cached one
// for the same segment. The cache owns it afterwards.
void AdoptSegmentFd(const RelFileLocator& rel, ForkNumber fork, uint32_t segno, int fd);
// Closes this process's descriptors of the relation (every fork), or of everything.
void CloseRelationFds(const RelFileLocator& rel);
void CloseAllFds();
// Number of descriptors the cache holds.
[[nodiscard]] int OpenFdCount();

}  // namespace keel::storage::smgr_internal
