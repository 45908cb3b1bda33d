// The buffer mapping table: BufferTag -> buffer id, a fixed-size chained hash table in shared
// memory split into 128 partitions, each guarded by its own LwLock. No allocation after
// set-up: entries come from a preallocated free list. See storage/buffer/README.md (B4).
#pragma once

#include <cstddef>
#include <cstdint>

#include "storage/buffer/bufmgr.h"
#include "storage/lmgr/lwlock.h"

namespace keel::storage::bufpool {

inline constexpr int kBufferPartitions = 128;  // power of two

// Size of the table for `n_entries` entries (buckets, entries, partition locks).
[[nodiscard]] size_t BufferTableShmemSize(int n_entries);
// Creates (or, when already there, attaches to) the table in the region; sets this process's
// pointers. Requires: ShmemIsCreated(). Postmaster before forking (children inherit).
void BufferTableShmemInit(int n_entries);

// Hash of a tag; the low bits pick the partition and the bucket (a bucket always belongs to
// the partition of the tags it holds, so one partition lock covers a whole chain).
[[nodiscard]] uint32_t BufferTagHash(const BufferTag& tag);
[[nodiscard]] LwLock* BufferPartitionLock(uint32_t hash);

// Requires: the partition lock of `hash` held (any mode). Buffer id (0-based) or -1.
[[nodiscard]] int BufferTableLookup(const BufferTag& tag, uint32_t hash);
// Requires: the partition lock held exclusively. Inserts tag -> buf_id and returns -1, or
// returns the id already mapped (and inserts nothing). PANICs when the free list is empty
// (it holds more entries than there are buffers, so this means corrupted shared memory).
[[nodiscard]] int BufferTableInsert(const BufferTag& tag, uint32_t hash, int buf_id);
// Requires: the partition lock held exclusively; the tag is present (PANIC otherwise).
void BufferTableDelete(const BufferTag& tag, uint32_t hash);

// Number of entries in use (tests; takes the free-list spinlock only).
[[nodiscard]] int BufferTableEntriesInUse();

}  // namespace keel::storage::bufpool
