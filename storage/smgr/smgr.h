// Storage manager: the files of a relation fork as an array of 8 KiB blocks, in 1 GiB segment
// files (base/<db>/<rel>[_fsm|_vm|_init][.N]). Per process it caches open descriptors. Data
// files are never fsynced by backends: every write registers a sync request that the
// checkpointer carries out (storage/sync). See README.md (SM1-SM7).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

#include "storage/common/ids.h"

namespace keel::storage {

// Path of a fork's first segment relative to the data directory: "base/5/16384_fsm"
// (SM1; db 0 means "global/<rel>"; spc is not used yet: everything is in the default place).
[[nodiscard]] std::string RelationPath(const RelFileLocator& rel, ForkNumber fork);
// Path of segment `segno`: RelationPath for 0, then "base/5/16384.1", ".2", ... (SM1).
[[nodiscard]] std::string SegmentPath(const RelFileLocator& rel, ForkNumber fork, uint32_t segno);

// All functions throw keel::Error on I/O failure with PostgreSQL's texts:
//   58030 `could not read block %u in file "%s": %m`,
//   XX001 `could not read block %u in file "%s": read only %d of %d bytes`,
//   58030 `could not extend file "%s": %m` (53100 with ENOSPC, hint "Check free disk space."),
//   58030 `could not write block %u in file "%s": %m`, `could not open file "%s": %m`,
//   58P02 `could not create file "%s": %m`; the full table is in README.md.

// Creates the fork's first segment (empty). `is_redo`: an existing file is fine.
void SmgrCreate(const RelFileLocator& rel, ForkNumber fork, bool is_redo);
[[nodiscard]] bool SmgrExists(const RelFileLocator& rel, ForkNumber fork);
[[nodiscard]] BlockNumber SmgrNBlocks(const RelFileLocator& rel, ForkNumber fork);

// Reads one block. A block at or past the end is an error.
void SmgrRead(const RelFileLocator& rel, ForkNumber fork, BlockNumber block, std::byte* buffer);
// Reads `count` consecutive blocks in one submission where the engine can (read-ahead).
void SmgrReadV(const RelFileLocator& rel, ForkNumber fork, BlockNumber first, int count,
               std::span<std::byte*> buffers);
// Hints that these blocks will be read soon (posix_fadvise WILLNEED / io_uring).
void SmgrPrefetch(const RelFileLocator& rel, ForkNumber fork, BlockNumber first, int count);

// Writes one existing block. Registers a sync request for its segment unless `skip_fsync`.
void SmgrWrite(const RelFileLocator& rel, ForkNumber fork, BlockNumber block,
               const std::byte* buffer, bool skip_fsync);
// Writes several (fork, block, page) in one batched submission (checkpointer / bgwriter).
struct BlockWrite {
  RelFileLocator rel;
  ForkNumber fork;
  BlockNumber block;
  const std::byte* page;
};
void SmgrWriteV(std::span<const BlockWrite> writes, bool skip_fsync);
// Adds `block` (must equal the current number of blocks) with the given contents.
void SmgrExtend(const RelFileLocator& rel, ForkNumber fork, BlockNumber block,
                const std::byte* buffer, bool skip_fsync);
// Adds `count` zero blocks starting at `first` (== current size), using fallocate when it can.
void SmgrZeroExtend(const RelFileLocator& rel, ForkNumber fork, BlockNumber first, int count,
                    bool skip_fsync);

// Cuts the fork to `nblocks` (crossing segment boundaries); WAL-logging is the caller's job.
void SmgrTruncate(const RelFileLocator& rel, ForkNumber fork, BlockNumber nblocks);
// fsyncs every segment now (used for unlogged-to-permanent builds, CREATE INDEX, tests).
void SmgrImmediateSync(const RelFileLocator& rel, ForkNumber fork);
// Drops the relation's files: forgets pending sync requests, truncates the main fork's first
// segment to zero length now and unlinks it after the next checkpoint (SM5: so its
// relfilenumber cannot be reused before the checkpoint that made the drop durable); other
// segments and the other forks go at once. Removal failures are WARNINGs.
void SmgrUnlinkAfterCheckpoint(const RelFileLocator& rel);
// Closes this process's descriptors for the relation (all: SmgrCloseAll).
void SmgrClose(const RelFileLocator& rel);
void SmgrCloseAll();

// SM8. Forget notifications, for process-local caches above smgr keyed by a relation's file
// locator (access/heap's insert target): `hook(&rel)` runs whenever this process creates the
// relation's main fork (SmgrCreate: a file under that name is new, whatever was known about an
// earlier one is stale), closes its descriptors (SmgrClose: on an smgr invalidation, and from
// SmgrUnlinkAfterCheckpoint when the storage is dropped), and `hook(nullptr)` for all of them
// (SmgrCloseAll). A hook must not throw or call back into smgr. Registering the same hook again
// does nothing. Process-local; inherited by forked children.
using SmgrForgetHook = void (*)(const RelFileLocator* rel);
void RegisterSmgrForgetHook(SmgrForgetHook hook);

// The I/O engine, chosen by the io_method setting ("io_uring" or "sync") when a process first
// does I/O; io_uring falls back to sync with a LOG line when the kernel refuses it.
enum class IoMethod : uint8_t { kSync, kIoUring };
[[nodiscard]] IoMethod ActiveIoMethod();

}  // namespace keel::storage
