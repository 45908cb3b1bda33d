// The one shared-memory region and its allocator of named structures. Created by the
// postmaster before any fork, so every process sees it at the same address.
// Layout, invariants M1-M6 and locking: storage/ipc/README.md.
#pragma once

#include <cstddef>

namespace keel::storage {

// Alignment of every structure handed out by ShmemInitStruct (one cache line).
inline constexpr size_t kShmemAlignment = 64;
// Longest structure name, including the terminating NUL.
inline constexpr size_t kShmemMaxNameBytes = 64;
// Number of named structures the region can hold.
inline constexpr int kShmemMaxStructs = 256;

// Postmaster only, before any fork. Maps MAP_SHARED|MAP_ANONYMOUS memory for structures
// totalling `size_bytes` (the sum of their sizes, e.g. built with AddSize/MulSize): the
// header with the name index and per-structure alignment padding are added on top, and the
// total is rounded up to whole pages. The memory is zero-filled.
// Requires: !ShmemIsCreated().
// Throws: FATAL keel::Error 53200 "could not map anonymous shared memory: %m" (with a hint
// about shared_buffers / max_connections); 54000 if the size overflows.
void ShmemCreate(size_t size_bytes);

// Unmaps the region (clean shutdown, or before re-creating it after a crash). Pointers into
// it are dangling afterwards in this process. No-op when nothing is mapped.
void ShmemDestroy();

[[nodiscard]] bool ShmemIsCreated();

// Finds or allocates the structure called `name` (M2): on allocation the memory is zero and
// `*found` is false; otherwise `*found` is true and the same address is returned in every
// process. The result is kShmemAlignment-aligned. Safe from any process at any time (M3).
// Requires: ShmemIsCreated(); `name` shorter than kShmemMaxNameBytes.
// Throws keel::Error 53200 "not enough shared memory for data structure ..." when the
// region is exhausted (or its index is full), XX000 when `name` exists with another size
// or is too long.
[[nodiscard]] void* ShmemInitStruct(const char* name, size_t size_bytes, bool* found);

// Overflow-checked size arithmetic for computing the region size.
// Throws keel::Error 54000 "requested shared memory size overflows size_t".
[[nodiscard]] size_t AddSize(size_t a, size_t b);
[[nodiscard]] size_t MulSize(size_t a, size_t b);

// Bytes still available for ShmemInitStruct (ignoring the alignment of the next request).
// Requires: ShmemIsCreated().
[[nodiscard]] size_t ShmemBytesFree();

// Start and total mapped size of the region; nullptr / 0 when not created.
[[nodiscard]] void* ShmemBase();
[[nodiscard]] size_t ShmemMappedBytes();
// Whether `ptr` points into the region (for assertions).
[[nodiscard]] bool ShmemAddrIsValid(const void* ptr);

}  // namespace keel::storage
