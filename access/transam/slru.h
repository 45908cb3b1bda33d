// SLRU ("simple LRU"): a few 8 KiB page buffers in shared memory caching a file-backed array
// of fixed-size entries (commit log, commit timestamps), stored as 32-page segment files.
// Buffer states, group LSNs, locking and invariants S1-S9: README.md ("SLRU, commit log,
// commit timestamps").
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string>
#include <type_traits>

#include "storage/common/ids.h"
#include "storage/lmgr/lwlock.h"

namespace keel::transam {

inline constexpr uint32_t kSlruPageSize = 8192;
inline constexpr int64_t kSlruPagesPerSegment = 32;
inline constexpr int kSlruMaxBuffers = 1024;
inline constexpr size_t kSlruMaxDirBytes = 64;

enum class SlruPageState : uint8_t {
  kEmpty = 0,            // slot holds no page
  kReadInProgress = 1,   // being read by the holder of the slot's io_lock (S3)
  kValid = 2,            // page bytes valid
  kWriteInProgress = 3,  // valid, being written by the holder of the slot's io_lock (S3)
};

// One buffer slot's header. Shared memory; guarded as each field says.
struct SlruSlot {
  int64_t page_no;               // control_lock
  SlruPageState state;           // control_lock (exclusive to change)
  bool dirty;                    // control_lock (exclusive to change)
  uint8_t padding[6];
  uint64_t group_lsn;            // highest LSN whose WAL must be durable before the page is
                                 // written (S5); control_lock exclusive
  std::atomic<uint64_t> lru_count;  // last use; relaxed stores under either lock mode
  storage::LwLock io_lock;       // held exclusive by the process doing this slot's I/O (S3)
};
static_assert(std::is_standard_layout_v<SlruSlot> && std::is_trivially_destructible_v<SlruSlot>);

// The shared control block, followed in the same allocation by `num_buffers` SlruSlots and
// then `num_buffers` page images (kSlruPageSize each, page-aligned).
struct SlruShared {
  storage::LwLock control_lock;      // guards the slot headers and page bytes (S2)
  int32_t num_buffers;               // constant after init
  std::atomic<uint64_t> lru_clock;   // bumped on every use
  int64_t latest_page_no;            // newest page zeroed; control_lock
  char dir[kSlruMaxDirBytes];        // "xact", relative to the data directory; constant
};
static_assert(std::is_standard_layout_v<SlruShared> &&
              std::is_trivially_destructible_v<SlruShared>);

// Process-local handle of one SLRU (a pointer into shared memory, valid in every process).
struct SlruCtl {
  SlruShared* shared = nullptr;
  SlruSlot* slots = nullptr;
  std::byte* pages = nullptr;
};

// Bytes of shared memory for an SLRU with `num_buffers` buffers.
// Requires: 1 <= num_buffers <= kSlruMaxBuffers.
[[nodiscard]] size_t SlruShmemSize(int num_buffers);
// Finds or creates the SLRU `name` in shared memory (ShmemInitStruct); on creation all slots
// are empty and the control and I/O locks get `tranche`. `dir` is the segment directory
// relative to the data directory (the current directory of a server).
// Requires: ShmemIsCreated(); strlen(dir) < kSlruMaxDirBytes.
void SlruShmemInit(SlruCtl* ctl, const char* name, int num_buffers, const char* dir,
                   uint16_t tranche);

// Returns the slot holding `page_no`, reading it from its segment file if needed (possibly
// evicting the least recently used page, writing it first when dirty). With `for_write`, the
// page is not being written when this returns, so the caller may change it (S4).
// Requires: control_lock held exclusive by the caller; it is still held on return (and when
// this throws), though it may have been released and re-acquired meanwhile (S3).
// Throws keel::Error "could not access status of transaction %llu" (`xid` is only for the
// message) when the segment is missing or short or I/O fails.
[[nodiscard]] int SlruReadPage(const SlruCtl& ctl, int64_t page_no, bool for_write,
                               TransactionId xid);
// Fast path for readers: takes control_lock shared and, when the page is resident, returns
// its slot with control_lock held SHARED; otherwise re-takes it exclusive and reads the page
// (SlruReadPage, for_write false), returning with it held EXCLUSIVE. Either way the caller
// releases control_lock (LwLockGuard::Adopt); when this throws, the lock is not held.
// Requires: control_lock not held by the caller.
[[nodiscard]] int SlruReadPageReadOnly(const SlruCtl& ctl, int64_t page_no, TransactionId xid);
// Puts an all-zero image of `page_no` in a buffer (dirty) without reading the file; the
// segment file is created when the page is first written. Updates latest_page_no.
// Requires: control_lock held exclusive (held on return).
[[nodiscard]] int SlruZeroPage(const SlruCtl& ctl, int64_t page_no);
// The page bytes of `slot` (kSlruPageSize). Requires: control_lock held while used.
[[nodiscard]] std::byte* SlruPageData(const SlruCtl& ctl, int slot);
// Marks a changed page dirty; raises its group LSN to `lsn` when later (S5; kInvalidLsn: no
// WAL constraint). Requires: control_lock exclusive; slot state kValid.
void SlruMarkDirty(const SlruCtl& ctl, int slot, Lsn lsn);
// Writes the page in `slot` now if dirty (flushing WAL to its group LSN first, S5), fsyncing
// the segment file. Requires: control_lock exclusive (held on return).
void SlruWriteSlot(const SlruCtl& ctl, int slot);

// Checkpoint: writes every dirty page (WAL first, S5) and fsyncs the segment files written,
// so everything dirty at the call is durable on return (S6). Takes control_lock itself.
// Throws keel::Error on write failure; PANICs on fsync failure.
void SlruFlushAll(const SlruCtl& ctl);
// Removes every segment file all of whose pages are below `cutoff_page`, dropping their
// buffers (dirty or not) first (S7). Takes control_lock itself. Missing files are fine.
void SlruTruncate(const SlruCtl& ctl, int64_t cutoff_page);

// "xact/0000000000000A3": 15 upper-case hex digits, enough for any 64-bit xid's segment
// (S8). Relative to the data directory.
[[nodiscard]] std::string SlruSegmentPath(const SlruCtl& ctl, int64_t segno);
[[nodiscard]] bool SlruSegmentExists(const SlruCtl& ctl, int64_t segno);

}  // namespace keel::transam
