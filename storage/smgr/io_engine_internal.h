// The I/O engine under smgr: batches of block reads and writes, and prefetch hints, done with
// pread/pwrite ("sync") or with a per-process io_uring ring (SM7). Internal to storage/smgr
// (and its tests and bench/io); other modules go through smgr.h. See README.md.
#pragma once

#include <sys/types.h>

#include <span>

#include "storage/smgr/smgr.h"

namespace keel::storage::io_engine {

// Ring size: operations in flight at once per process (reads, writes and prefetches).
inline constexpr unsigned kRingEntries = 64;
// Longest run of consecutive blocks handed to the engine as one operation (1 MiB).
inline constexpr int kMaxBlocksPerRun = 128;

// `nblocks` consecutive blocks of one file, starting at byte `offset`; blocks[i] points at
// kBlockSize bytes (destination for reads, source for writes). The engine fills `result`:
// bytes transferred, or -errno. Reads are short only at end of file; writes are never short
// on success.
struct IoRun {
  int fd;
  off_t offset;
  void* const* blocks;
  int nblocks;
  ssize_t result;
};

// The engine this process uses, chosen at its first call (SM7): settings::io_method, or sync
// when io_uring_queue_init fails (logged once at LOG). Re-chosen in a forked child.
[[nodiscard]] IoMethod Method();

// Carries out every run and returns only when all have completed (SM7: no operation is left
// in flight on the caller's buffers, whatever happened). Requires: 1 <= nblocks <=
// kMaxBlocksPerRun; descriptors stay open until return.
void ReadRuns(std::span<IoRun> runs);
void WriteRuns(std::span<IoRun> runs);

// Asks the kernel to start reading [offset, offset + size_bytes): posix_fadvise(WILLNEED)
// with the sync engine, an IORING_OP_FADVISE that nobody waits for with io_uring.
void Prefetch(int fd, off_t offset, off_t size_bytes);

#ifdef KEEL_DEBUG
// Tests: forget the engine chosen in this process (the ring is closed), so the next call
// chooses again from settings::io_method; with `fail_io_uring_init` that choice behaves as
// if io_uring_queue_init had failed with ENOSYS.
void TestOnlyResetEngine(bool fail_io_uring_init);
#endif

}  // namespace keel::storage::io_engine
