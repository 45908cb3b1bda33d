// The shared buffer pool: shared_buffers pages in shared memory, found through a partitioned
// mapping table, kept by pins, guarded by per-buffer content locks, replaced by clock sweep.
// WAL before data: a dirty page is written only after WAL is flushed up to its LSN.
// Algorithms, invariants (B1-B10), lock order: README.md.
#pragma once

#include <cstdint>
#include <utility>

#include "storage/common/ids.h"
#include "storage/page/page.h"

namespace keel::storage {

// 1-based index of a shared buffer; 0 = invalid.
using Buffer = int32_t;
inline constexpr Buffer kInvalidBuffer = 0;

struct BufferTag {
  RelFileLocator rel;
  ForkNumber fork;
  BlockNumber block;
  friend bool operator==(const BufferTag&, const BufferTag&) = default;
};

// --- set-up ---------------------------------------------------------------------------------
[[nodiscard]] size_t BufferPoolShmemSize(int n_buffers);
// Postmaster, before forking (again after a crash restart re-created the region). Requires:
// ShmemCreate'd region with BufferPoolShmemSize(n_buffers) available; n_buffers >= 16
// (22023 otherwise). Throws shmem's errors.
void BufferPoolShmemInit(int n_buffers);
// Each process once at start, before any other call here: its private pin counts (B1; a
// child does not inherit its parent's pins) and an exit cleanup that drops leaked pins (B2).
void InitBufferPoolAccess();

// WAL before data (B5): the buffer manager calls this with a page's LSN before writing the page;
// access/transam installs its flush function at process start. Storage does not know WAL.
using WalFlushFn = void (*)(Lsn up_to);
void SetWalFlushFunction(WalFlushFn fn);
// Optional companion (B8): whether WAL up to `lsn` is not yet durable. A bulk-read ring skips a
// dirty buffer whose write would need a WAL flush, as PostgreSQL does; without this function
// every dirty ring buffer with a valid LSN counts as needing one. Installed like the above.
using WalNeedsFlushFn = bool (*)(Lsn lsn);
void SetWalNeedsFlushFunction(WalNeedsFlushFn fn);
// Whether the page needs a full-page image is WAL's business; it reads the buffer's LSN.

// --- access strategies (ring buffers) -------------------------------------------------------
// A large sequential scan, bulk write or vacuum recycles a small ring of buffers instead of
// flushing the whole cache (B8). Process-local object.
enum class StrategyKind : uint8_t { kNormal, kBulkRead, kBulkWrite, kVacuum };
class BufferAccessStrategy;   // opaque
[[nodiscard]] BufferAccessStrategy* GetAccessStrategy(StrategyKind kind);
void FreeAccessStrategy(BufferAccessStrategy* strategy);

// --- reading and pinning --------------------------------------------------------------------
enum class ReadMode : uint8_t {
  kNormal,            // read from disk if not cached; verify the checksum (XX001 on mismatch)
  kZeroOnError,       // a corrupt page comes back zeroed, with a WARNING (recovery tools)
  kZeroAndLock,       // don't read: the caller overwrites the whole page (redo of an FPI);
                      // returned exclusively content-locked
};
// Returns the buffer pinned (B1). Throws XX001 `invalid page in block %u of relation %s` for a
// checksum or header failure, and I/O errors from smgr. `block` must exist (SmgrNBlocks).
[[nodiscard]] Buffer ReadBuffer(const RelFileLocator& rel, ForkNumber fork, BlockNumber block,
                                ReadMode mode = ReadMode::kNormal,
                                BufferAccessStrategy* strategy = nullptr);
// Appends a new zeroed block to the fork and returns it pinned and exclusively locked, with
// its block number. Concurrent extenders of one relation are serialised (B9).
[[nodiscard]] std::pair<Buffer, BlockNumber> ExtendBuffer(const RelFileLocator& rel,
                                                          ForkNumber fork,
                                                          BufferAccessStrategy* strategy = nullptr);
void ReleaseBuffer(Buffer buffer);                 // drop one pin
void IncrBufferRefCount(Buffer buffer);            // one more pin on a pinned buffer
[[nodiscard]] bool BufferIsPinnedByMe(Buffer buffer);
// Drops every pin this process holds (error cleanup); returns how many were leaked (B2: a
// leak at transaction end is a bug and is logged as a WARNING by the caller). Call it after
// ReleaseAllLwLocks(), which drops content locks.
int ReleaseAllBufferPins();
// This process's pin epoch: changes whenever its pins are dropped wholesale
// (ReleaseAllBufferPins, and a forked child's InitBufferPoolAccess, which forgets the parent's).
// An object holding a pin across calls records it when pinning and drops / copies its pin only
// while the epoch is unchanged: after a change, its pin is gone and the buffer may be pinned
// again by someone else in this process (BufferIsPinnedByMe cannot tell whose pin it is). B13.
[[nodiscard]] uint64_t BufferPinEpoch();

// --- content locks --------------------------------------------------------------------------
enum class BufferLockMode : uint8_t { kShare, kExclusive };
void LockBuffer(Buffer buffer, BufferLockMode mode);   // requires: pinned
[[nodiscard]] bool ConditionalLockBuffer(Buffer buffer, BufferLockMode mode);
void UnlockBuffer(Buffer buffer);
// Exclusive lock and the only pin (waits for other pins to go: VACUUM page cleanup).
void LockBufferForCleanup(Buffer buffer);
// The same without waiting: false (and no lock) when another pin exists — this process's own
// second pin included — or the content lock is not free. Pruning uses it. Requires: pinned.
[[nodiscard]] bool ConditionalLockBufferForCleanup(Buffer buffer);

[[nodiscard]] Page BufferGetPage(Buffer buffer);       // requires: pinned
[[nodiscard]] BufferTag BufferGetTag(Buffer buffer);
[[nodiscard]] BlockNumber BufferGetBlockNumber(Buffer buffer);
// Requires: exclusive content lock. The page must get its WAL record's LSN before unlock (B6).
void MarkBufferDirty(Buffer buffer);
// Hint-bit style change under a share lock: dirty without WAL. With checksums on, the caller
// must WAL-log a full-page image first if the page's LSN is older than the redo pointer (the
// heap issue adds that); here the buffer only becomes dirty.
void MarkBufferDirtyHint(Buffer buffer);

// RAII owners (move-only): a pin, and a content lock on a pinned buffer.
class PinnedBuffer {
 public:
  PinnedBuffer() = default;
  explicit PinnedBuffer(Buffer buffer) : buffer_(buffer) {}
  PinnedBuffer(PinnedBuffer&& other) noexcept : buffer_(std::exchange(other.buffer_, kInvalidBuffer)) {}
  PinnedBuffer& operator=(PinnedBuffer&& other) noexcept;
  ~PinnedBuffer();
  [[nodiscard]] Buffer get() const { return buffer_; }
  [[nodiscard]] Buffer release() { return std::exchange(buffer_, kInvalidBuffer); }

 private:
  Buffer buffer_ = kInvalidBuffer;
};
class BufferLockGuard {
 public:
  BufferLockGuard(Buffer buffer, BufferLockMode mode) : buffer_(buffer) { LockBuffer(buffer, mode); }
  BufferLockGuard(BufferLockGuard&& other) noexcept : buffer_(std::exchange(other.buffer_, kInvalidBuffer)) {}
  BufferLockGuard& operator=(BufferLockGuard&&) = delete;
  ~BufferLockGuard() { if (buffer_ != kInvalidBuffer) UnlockBuffer(buffer_); }
  void Unlock() { UnlockBuffer(std::exchange(buffer_, kInvalidBuffer)); }

 private:
  Buffer buffer_;
};

// --- relation-level operations --------------------------------------------------------------
// Writes out every dirty buffer of the relation (all forks) — before SmgrImmediateSync.
// Requires: the caller holds no content lock on them. Throws smgr's write errors.
void FlushRelationBuffers(const RelFileLocator& rel);
// Forgets the relation's buffers at or past `first_block` of `fork` without writing them
// (truncate / drop). Requires: nobody else can be using them (a bgwriter or checkpointer
// writing one is waited for) and the caller pins none of them (B14: a bug, asserted in Debug;
// otherwise a WARNING and the pin is taken away). Never throws in the kUninterruptible form.
// kInterruptible (before a commit record: DROP TABLE, DROP DATABASE) first waits, checking for
// interrupts, until no other process pins one, so a stuck pin can be cancelled; an interrupt
// throws (57014 / 57P01) before anything is forgotten.
enum class DropWait : uint8_t { kUninterruptible, kInterruptible };
void DropRelationBuffers(const RelFileLocator& rel, ForkNumber fork, BlockNumber first_block);
void DropRelationAllBuffers(const RelFileLocator& rel,
                            DropWait wait = DropWait::kUninterruptible);
// Database-wide forms (CREATE / DROP DATABASE, storage/smgr/database_dir.h): every buffer whose
// relation lives in database `db` (any tablespace, any fork). Flush writes the dirty ones
// (requires: no content lock held on them; throws smgr's write errors); Drop forgets them all
// without writing (requires: nobody uses the database any more; waits and B14 as above).
// B11 counts a database drop as a relation drop.
void FlushDatabaseBuffers(Oid db);
void DropDatabaseBuffers(Oid db, DropWait wait = DropWait::kUninterruptible);
// Drops every pin this process holds on buffers of `rel` (ROLLBACK TO, before the storage its
// rolled-back levels created goes: their scans are dead). Bumps the pin epoch when it dropped
// any (B13). Returns how many pins it dropped. Requires: no content lock held on them.
int ReleaseOwnPinsOfRelation(const RelFileLocator& rel);
// How many times Drop*Buffers ran (every truncation and drop calls one), pool-wide (B11). A
// process that caches something about a relation's size (the heap's insert target) keeps the
// count it saw: while it is unchanged, no relation shrank since, and the cache needs no check
// against the file. One atomic load.
[[nodiscard]] uint64_t RelationDropCount();

// --- checkpoints and the background writer --------------------------------------------------
// Writes every buffer that was dirty when the call began (B7: buffers dirtied later belong to
// the next checkpoint), sorted by file and block for sequential I/O, in batches. Between
// batches it calls `pace(progress)` with the fraction done (0..1): the checkpointer sleeps
// there to spread the writes over checkpoint_completion_target and absorbs sync requests.
// `immediate`: no pacing (shutdown, CHECKPOINT command).
using CheckpointPaceFn = void (*)(double progress, void* arg);
struct CheckpointWriteStats {
  uint64_t buffers_written;
};
[[nodiscard]] CheckpointWriteStats CheckpointBuffers(bool immediate, CheckpointPaceFn pace,
                                                     void* pace_arg);
// Background writer round: writes dirty, unpinned, zero-usage buffers just ahead of the clock
// hand so backends find clean victims (bgwriter_lru_maxpages, bgwriter_lru_multiplier).
// Returns true when it found nothing to do (the bgwriter may then hibernate).
[[nodiscard]] bool BgWriterWriteAhead();

// --- statistics (shared counters, for pg_stat_* later and the tests) ------------------------
struct BufferPoolStats {
  uint64_t hits, misses, reads, writes, extends;
  uint64_t writes_by_backend, writes_by_bgwriter, writes_by_checkpoint;
};
[[nodiscard]] BufferPoolStats GetBufferPoolStats();
[[nodiscard]] int NBuffers();

}  // namespace keel::storage
