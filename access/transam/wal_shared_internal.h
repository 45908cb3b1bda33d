// The WAL's shared-memory state and the functions the insertion, writing and segment files
// share inside access/transam. Protocols and invariants: README.md (W10-W20).
#pragma once

#include <linux/futex.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <climits>
#include <cstddef>
#include <cstdint>
#include <string>
#include <type_traits>

#include "access/transam/wal.h"
#include "backend/utils/hash/crc32c.h"
#include "storage/lmgr/lwlock.h"
#include "storage/lmgr/spinlock.h"

namespace keel::transam::internal {

inline constexpr int kNumInsertLocks = 8;

// One WAL insertion lock (W11). An inserter holds `lock` exclusively for the whole copy of its
// record into the WAL buffers.
struct alignas(64) WalInsertLock {
  storage::LwLock lock;
  // W12: 0 = the holder has no reserved record being copied (or there is no holder). Else an
  // LSN before which every byte of the holder's record is in the buffers. Set to the record's
  // start inside the insert spinlock, raised when the holder waits for a buffer page (W13),
  // reset to 0 when the copy is complete. Written only by the holder.
  std::atomic<uint64_t> inserting_at;
  // Bumped after every change of inserting_at; the futex word flushers sleep on.
  std::atomic<uint32_t> progress_seq;
  // Number of processes that may be sleeping on progress_seq.
  std::atomic<uint32_t> sleepers;
};
static_assert(std::is_standard_layout_v<WalInsertLock> &&
              std::is_trivially_destructible_v<WalInsertLock>);

struct WalStatsShared {
  std::atomic<uint64_t> records, fpi, bytes, writes, syncs, sync_time_us, flush_requests,
      flushes_done;
};

struct WalShared {
  // --- constant after WalShmemInit ----------------------------------------------------------
  int32_t n_buffers;
  uint64_t system_identifier;
  std::byte* pages;                       // n_buffers * kWalPageSize, page aligned
  std::atomic<uint64_t>* page_address;    // per buffer: LSN of the page it holds, or kNoPage

  // --- reservation (W10): guarded by insert_spin ----------------------------------------------
  alignas(64) storage::SpinLock insert_spin;
  uint64_t cur_bytepos;    // usable byte position where the next record goes
  uint64_t prev_lsn;       // start LSN of the last reserved record

  // --- changed only with every insertion lock held (W4) --------------------------------------
  alignas(64) std::atomic<uint64_t> redo_ptr;
  std::atomic<uint32_t> timeline;          // set by WalStartInsertingAt
  std::atomic<uint32_t> inserting_allowed; // 1 after WalStartInsertingAt

  // --- buffer initialisation (W13): initialized_upto is written under buf_mapping_lock ---------
  alignas(64) storage::LwLock buf_mapping_lock;
  std::atomic<uint64_t> initialized_upto;  // end of the last page made ready for inserting

  // --- writing (W15): written under write_lock, read anywhere ---------------------------------
  alignas(64) storage::LwLock write_lock;
  std::atomic<uint64_t> write_pos;    // bytes before it are written to the kernel
  std::atomic<uint64_t> flush_pos;    // bytes before it are durable
  // W16: bumped after every release of write_lock; WalFlush callers that find the lock taken
  // sleep on it (a futex word) instead of queueing for the lock, then re-check flush_pos.
  std::atomic<uint32_t> write_release_seq;
  std::atomic<uint32_t> write_waiters;    // processes that may sleep on write_release_seq

  // --- asynchronous commit and the WAL writer (W17) --------------------------------------------
  alignas(64) std::atomic<uint64_t> async_target;
  std::atomic<uintptr_t> walwriter_latch;      // storage::Latch* in shared memory, or 0
  std::atomic<uintptr_t> checkpointer_latch;   // storage::Latch* in shared memory, or 0
  std::atomic<uint32_t> checkpoint_requested;  // max_wal_size trigger flag (W17)
  std::atomic<uint32_t> flushers;              // processes inside WalFlush (commit_siblings)

  // --- segment files (W18, W19): guarded by segment_lock ---------------------------------------
  storage::LwLock segment_lock;
  uint64_t last_removal_redo;           // redo pointer of the previous WalRemoveOldSegments
  double checkpoint_distance_estimate;  // smoothed bytes between checkpoints

  WalStatsShared stats;
  WalInsertLock insert_locks[kNumInsertLocks];
};
static_assert(std::is_standard_layout_v<WalShared> && std::is_trivially_destructible_v<WalShared>);
static_assert(std::atomic<uint64_t>::is_always_lock_free &&
              std::atomic<uintptr_t>::is_always_lock_free);

// Futex wait/wake on a word in shared memory (not FUTEX_PRIVATE: many processes). EAGAIN,
// EINTR, timeouts and spurious wake-ups all mean "look again".
inline void FutexWait(std::atomic<uint32_t>* word, uint32_t expected, long timeout_ms) {
  timespec ts{timeout_ms / 1000, (timeout_ms % 1000) * 1'000'000};
  syscall(SYS_futex, reinterpret_cast<uint32_t*>(word), FUTEX_WAIT, expected, &ts, nullptr, 0);
}
inline void FutexWakeAll(std::atomic<uint32_t>* word) {
  syscall(SYS_futex, reinterpret_cast<uint32_t*>(word), FUTEX_WAKE, INT_MAX, nullptr, nullptr,
          0);
}
static_assert(sizeof(std::atomic<uint32_t>) == sizeof(uint32_t));

// This process's pointer to the shared state (set by WalShmemInit, inherited by children);
// nullptr when the WAL is not set up in this process.
extern WalShared* wal_shared;

// Positions inside a page header hold no record bytes: "up to P + header" means "up to P"
// (and page P may not even be initialised yet). Other positions are returned unchanged.
[[nodiscard]] uint64_t ClampOutOfHeader(uint64_t pos);

// The end of everything reserved so far (end form, W10).
[[nodiscard]] uint64_t ReservedEnd();
// Waits until every insertion into bytes before `upto` (clamped to ReservedEnd()) has been
// copied; returns a position (>= the clamped upto) before which all reserved bytes are in the
// buffers (W12). Requires: write_lock and buf_mapping_lock NOT held by the caller.
[[nodiscard]] uint64_t WaitInsertionsToFinish(uint64_t upto);
// Without waiting: the position before which all reserved bytes are in the buffers now.
[[nodiscard]] uint64_t FinishedInsertionsNow();

// Writes the buffers up to `upto` (whole pages up to the page holding upto - 1) and, with
// `flush`, fsyncs per wal_sync_method (W15). Failures PANIC.
// Requires: write_lock held; every byte before `upto` inserted; upto <= initialized_upto.
void WriteUpTo(uint64_t upto, bool flush) noexcept;
// Writes (without fsync) at least up to `upto`: waits for insertions, takes write_lock.
// Used by an inserter that needs a buffer whose old page is not yet written (W13).
void WriteOldPages(uint64_t upto) noexcept;

// Segment file of `segno` for writing, opened (and created if missing) in this process.
// Throws keel::Error on failure.
[[nodiscard]] int OpenSegmentForWrite(uint64_t segno, TimeLineId timeline, std::string* path);
// Forgets this process's open WAL segment descriptor (tests; after fork is fine to keep).
void CloseWalSegmentForWrite();

// One piece of an assembled record (W5): the header part, an image, registered data.
struct RecordChunk {
  const std::byte* data;
  size_t size_bytes;
};

// Reserves space for and copies one assembled record (W10-W13). `chunks[0]` starts with the
// kRecordHeaderSize-byte record header, whose prev link and CRC are filled in here; `payload_crc`
// has covered every byte after the header already. Returns the record's end LSN, or 0 when the
// redo pointer moved past `fpw_lsn` since `redo_used` was read: the caller must assemble again
// with full-page images (W4). Requires: WalStartInsertingAt ran; inside a critical section.
[[nodiscard]] uint64_t InsertAssembledRecord(RecordChunk* chunks, int n_chunks,
                                             uint32_t total_length, Crc32cBuilder payload_crc,
                                             uint64_t redo_used, uint64_t fpw_lsn,
                                             int n_images) noexcept;

// Memsets buffer `idx` and writes the header of the page at `page_lsn` (W2).
void InitBufferPage(std::byte* page, uint64_t page_lsn, TimeLineId timeline,
                    uint64_t system_identifier);

}  // namespace keel::transam::internal
