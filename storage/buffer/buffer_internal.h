// Internals of the shared buffer pool shared by its source files: the buffer descriptor and its
// state word, the header lock, pins, buffer I/O, the pool's shared control block and counters.
// Not for other modules. Algorithms and invariants B1-B10: storage/buffer/README.md.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <span>
#include <type_traits>

#include "storage/buffer/bufmgr.h"
#include "storage/lmgr/lwlock.h"

namespace keel::storage::bufpool {

// --- the state word (B3) ---------------------------------------------------------------------
// bits 0-17 refcount (shared pins: one per pinning process, B1) | bits 18-20 usage count |
// bits 21-31 flags. Changed only by a CAS that expects the header bit clear, or by the holder
// of the header bit, who publishes the whole word when it unlocks.
inline constexpr uint32_t kRefCountOne = 1;
inline constexpr uint32_t kRefCountMask = (1u << 18) - 1;
inline constexpr int kUsageShift = 18;
inline constexpr uint32_t kUsageOne = 1u << kUsageShift;
inline constexpr uint32_t kUsageMask = 7u << kUsageShift;
inline constexpr uint32_t kMaxUsageCount = 5;
inline constexpr uint32_t kHeaderLocked = 1u << 21;     // the header "spinlock" (B3)
inline constexpr uint32_t kDirty = 1u << 22;            // page differs from disk
inline constexpr uint32_t kValid = 1u << 23;            // page holds the block's contents
inline constexpr uint32_t kTagValid = 1u << 24;         // tag names a block, in the mapping (B4)
inline constexpr uint32_t kIoInProgress = 1u << 25;     // one process reads or writes it (B6)
inline constexpr uint32_t kIoError = 1u << 26;          // the last I/O failed
inline constexpr uint32_t kJustDirtied = 1u << 27;      // dirtied since the write began
inline constexpr uint32_t kPinCountWaiter = 1u << 28;   // a cleanup locker sleeps on `state`
inline constexpr uint32_t kCheckpointNeeded = 1u << 29; // must be written by this checkpoint (B7)
inline constexpr uint32_t kPermanent = 1u << 30;        // WAL-logged relation (B5 applies)
inline constexpr uint32_t kIoWaiters = 1u << 31;        // someone sleeps on `state` for I/O end

[[nodiscard]] constexpr uint32_t RefCount(uint32_t state) { return state & kRefCountMask; }
[[nodiscard]] constexpr uint32_t UsageCount(uint32_t state) {
  return (state & kUsageMask) >> kUsageShift;
}

// One per shared buffer, in shared memory.
struct alignas(64) BufferDesc {
  BufferTag tag;                  // written with the header bit held; stable while pinned (B4)
  int32_t buf_id;                 // 0-based index; constant after set-up
  std::atomic<uint32_t> state;    // see above; futex word for I/O and cleanup waiters (B6)
  int32_t wait_backend_pid;       // the one cleanup waiter (0: none); guarded by the header bit
  LwLock content_lock;            // guards the page bytes, not this header
};
static_assert(std::is_standard_layout_v<BufferDesc> &&
              std::is_trivially_destructible_v<BufferDesc>);
static_assert(sizeof(BufferDesc) == 64 && std::atomic<uint32_t>::is_always_lock_free);

// An LwLock alone on its cache line (mapping partitions, extension locks).
struct alignas(64) PaddedLwLock {
  LwLock lock;
};
static_assert(sizeof(PaddedLwLock) == 64 && std::is_trivially_destructible_v<PaddedLwLock>);

// Shared counters, striped over cache lines: a process adds to the slot its pid hashes to, so
// the hit path does not bounce one line between CPUs; GetBufferPoolStats sums the slots.
struct alignas(64) StatsSlot {
  std::atomic<uint64_t> hits, misses, reads, writes, extends;
  std::atomic<uint64_t> writes_by_backend, writes_by_bgwriter, writes_by_checkpoint;
};
static_assert(sizeof(StatsSlot) == 64);
inline constexpr int kStatsSlots = 64;

// Pool-wide shared state.
struct BufferPoolControl {
  int32_t n_buffers;  // constant after set-up
  // Clock sweep ticks ever made (B10): the hand is at tick % n_buffers, complete passes are
  // tick / n_buffers. 64 bits never wrap, so no lock is needed to count passes.
  alignas(64) std::atomic<uint64_t> clock_tick;
  // Victims requested since the bgwriter last looked (its allocation-rate estimate).
  alignas(64) std::atomic<uint32_t> num_allocs;
  // Relation truncations and drops so far (B11): read on insert paths, bumped rarely.
  alignas(64) std::atomic<uint64_t> relation_drops;
};
static_assert(std::is_standard_layout_v<BufferPoolControl> &&
              std::is_trivially_destructible_v<BufferPoolControl>);

// The checkpointer's list of buffers to write, in shared memory so a checkpoint never
// allocates (B7).
struct CheckpointItem {
  BufferTag tag;
  int32_t buf_id;
};

inline constexpr int kExtensionLocks = 64;  // B9

// Process-local pointers into the region; set by BufferPoolShmemInit (inherited by fork).
struct SharedPool {
  int n_buffers = 0;
  BufferDesc* descs = nullptr;
  std::byte* pages = nullptr;  // 4096-aligned, n_buffers * kBlockSize
  BufferPoolControl* control = nullptr;
  StatsSlot* stats = nullptr;
  PaddedLwLock* extension_locks = nullptr;
  CheckpointItem* checkpoint_items = nullptr;
};
extern SharedPool shared_pool;

// Who is writing, for the per-writer counters.
enum class Writer : uint8_t { kBackend, kBgWriter, kCheckpointer };

// Process-local: this process's pins (B1) and counters slot.
struct LocalPool {
  int32_t* private_refcount = nullptr;  // n_buffers entries, owned by this process
  int pinned_buffers = 0;               // entries > 0
  StatsSlot* stats = nullptr;
  WalFlushFn wal_flush = nullptr;
};
extern LocalPool local_pool;
// Changes BufferPinEpoch() (B13): this process's pins were just dropped or forgotten wholesale.
void BumpBufferPinEpoch();

[[nodiscard]] inline BufferDesc* GetDesc(Buffer buffer) {
  return &shared_pool.descs[buffer - 1];
}
[[nodiscard]] inline Buffer DescBuffer(const BufferDesc* desc) { return desc->buf_id + 1; }
[[nodiscard]] inline std::byte* DescPage(const BufferDesc* desc) {
  return shared_pool.pages + static_cast<size_t>(desc->buf_id) * kBlockSize;
}
// Throws XX000 "bad buffer ID: %d" unless 1 <= buffer <= NBuffers.
void CheckBufferId(Buffer buffer);

inline void CountStat(std::atomic<uint64_t> StatsSlot::*counter, uint64_t n = 1) {
  (local_pool.stats->*counter).fetch_add(n, std::memory_order_relaxed);
}

// --- header lock (B3) ------------------------------------------------------------------------
// Spins (pause, then yields) until the header bit is ours; returns the state with the bit set.
// Never held across anything that can block, throw or allocate.
[[nodiscard]] uint32_t LockBufHdr(BufferDesc* desc);
// Publishes `state` (release) with the header bit cleared.
inline void UnlockBufHdr(BufferDesc* desc, uint32_t state) {
  desc->state.store(state & ~kHeaderLocked, std::memory_order_release);
}
// Spins until the header bit is clear; returns the state seen.
[[nodiscard]] uint32_t WaitBufHdrUnlocked(BufferDesc* desc);

// Sleeps until `desc->state` may have changed from `seen` (FUTEX_WAIT, shared futex).
void StateFutexWait(BufferDesc* desc, uint32_t seen);
void StateFutexWakeAll(BufferDesc* desc);

// --- pins (B1, B2) ---------------------------------------------------------------------------
// Pins without holding the header bit; bumps the usage count (only to 1 with a strategy, B8).
// Returns whether the buffer was valid. Lock-free: a CAS, waiting only while the header bit
// is held.
bool PinBuffer(BufferDesc* desc, BufferAccessStrategy* strategy);
// Requires: the header bit is held and `state` is the locked state. Pins and unlocks.
// Usage count unchanged (victims, buffers pinned only to be written).
void PinBufferLocked(BufferDesc* desc, uint32_t state);
// Drops one private pin; the shared refcount when it was the last. Wakes a cleanup waiter.
void UnpinBuffer(BufferDesc* desc);

// RAII pin for internal paths: owns one pin taken elsewhere.
class DescPin {
 public:
  explicit DescPin(BufferDesc* desc) : desc_(desc) {}
  ~DescPin() { if (desc_ != nullptr) UnpinBuffer(desc_); }
  DescPin(const DescPin&) = delete;
  DescPin& operator=(const DescPin&) = delete;
  BufferDesc* Release() { BufferDesc* d = desc_; desc_ = nullptr; return d; }

 private:
  BufferDesc* desc_;
};

// --- buffer I/O (B6) -------------------------------------------------------------------------
enum class IoStart : uint8_t { kStarted, kNotNeeded, kBusy };
// Requires: pinned. Claims the I/O without waiting: kBusy when another process's I/O is in
// progress, kNotNeeded when already valid (input) / no longer dirty (output).
[[nodiscard]] IoStart TryStartBufferIO(BufferDesc* desc, bool for_input);
// Requires: pinned. Waits (sleeping) for another process's I/O on the buffer, then claims the
// I/O: for input unless already valid, for output unless no longer dirty. Returns whether the
// caller now owns the I/O. Output clears just-dirtied.
[[nodiscard]] bool StartBufferIO(BufferDesc* desc, bool for_input);
// Requires: the caller owns the I/O. Ends it: clears io-in-progress and io-error, clears dirty
// (and checkpoint-needed) when `clear_dirty` unless just-dirtied, sets `set_flags`, wakes
// waiters. With `failed`, sets io-error instead (the next process retries the I/O).
void TerminateBufferIO(BufferDesc* desc, bool clear_dirty, uint32_t set_flags, bool failed = false);
// Sleeps until no I/O is in progress on the buffer.
void WaitIO(BufferDesc* desc);

// Requires: pinned and content-locked (either mode) by the caller. Writes the page if still
// dirty: WAL flush to its LSN first (B5), checksum stamped into a private copy. Returns
// whether it wrote. Throws smgr errors (the buffer stays dirty, io-error set).
bool FlushBufferLocked(BufferDesc* desc, Writer writer);

// Largest batch WriteBufferBatch accepts.
inline constexpr int kWriteBatchMax = 32;
// How many buffers a background writer may pin at once for one batch: at most 1/8 of the
// pool, so that a tiny pool (16 buffers) is not pinned whole by writers (B10).
[[nodiscard]] inline int WriteBatchLimit() {
  const int eighth = shared_pool.n_buffers / 8;
  return eighth < 1 ? 1 : (eighth < kWriteBatchMax ? eighth : kWriteBatchMax);
}
// Requires: every buffer pinned (not content-locked) by the caller; at most kWriteBatchMax.
// For each: share lock, claim output I/O (skips buffers cleaned meanwhile), copy + checksum,
// unlock. Then one WAL flush to the highest LSN (B5), one SmgrWriteV, end the I/Os. Never
// sleeps on a content lock while it owns an I/O: a contended lock first writes what it has.
// Returns the number written; throws smgr errors (those buffers stay dirty, io-error set).
int WriteBufferBatch(std::span<BufferDesc* const> descs, Writer writer);

// Verifies a page just read (PG5, PG6 of storage/page): an all-zero page is fine.
[[nodiscard]] bool PageLooksValid(const std::byte* page, BlockNumber block);

// Whether WAL up to `lsn` still needs a flush (the installed WalNeedsFlushFn; without one,
// any valid LSN does).
[[nodiscard]] bool WalNeedsFlush(Lsn lsn);

#ifdef KEEL_DEBUG
// Test-only: called by ReadBuffer after it claimed a read, before SmgrRead (forces two
// processes to overlap on one read). nullptr: none.
using BeforeReadHook = void (*)(const BufferTag& tag);
void TestOnlySetBeforeReadHook(BeforeReadHook hook);
// Called by ExtendBuffer right after the file grew, before the new buffer is valid (B12).
void TestOnlySetAfterExtendHook(BeforeReadHook hook);
#endif

// Extension lock of a relation (B9).
[[nodiscard]] LwLock* ExtensionLockFor(const RelFileLocator& rel);

}  // namespace keel::storage::bufpool
