// The write-ahead log: shared WAL buffers filled by many inserters at once, written and
// fsynced by whoever needs it first (group commit), in 16 MiB segment files under wal/.
// Insertion, flushing, segment files and their recycling: README.md (W10-W20).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "storage/common/ids.h"

namespace keel::transam {

inline constexpr uint32_t kWalPageSize = 8192;
inline constexpr uint64_t kWalSegmentSize = 16ull << 20;
using TimeLineId = uint32_t;
// The segment directory, relative to the data directory (the current directory of a server).
inline constexpr char kWalDirectory[] = "wal";

// --- set-up ---------------------------------------------------------------------------------
[[nodiscard]] size_t WalShmemSize(int wal_buffer_pages);
void WalShmemInit(int wal_buffer_pages, uint64_t system_identifier);
// Each process at start: installs WalFlush as the buffer manager's WAL-before-data hook and
// registers the built-in resource managers.
void InitWalAccess();

// After recovery (or on a clean start), the startup process tells where the log ends: new
// records go at `end_of_log`, on `timeline`. The partial page up to end_of_log is re-read from
// its segment so the page stays intact (W14). Also sets the redo pointer.
// This form finds the last record (for the next record's prev link) by reading forward from
// redo_pointer; the startup process knows it already and should use the four-argument form.
void WalStartInsertingAt(Lsn end_of_log, TimeLineId timeline, Lsn redo_pointer);
// `last_record`: start of the last valid record (kInvalidLsn for a fresh cluster), which the
// first new record links back to (W8).
void WalStartInsertingAt(Lsn end_of_log, Lsn last_record, TimeLineId timeline, Lsn redo_pointer);

// --- inserting (see WalRecordBuilder) and flushing -------------------------------------------
// End of the last reserved record (W7: a page boundary when that record filled its page; the
// segment start for a log with no record yet).
[[nodiscard]] Lsn WalInsertPosition();
// Start of the last record THIS process inserted (e.g. the checkpoint record it just wrote);
// kInvalidLsn before its first insertion.
[[nodiscard]] Lsn WalLastRecordStart();
// Start of the last record this process inserted (the checkpoint record's own LSN, which the
// control file stores). Process-local.
[[nodiscard]] Lsn WalLastRecordStart();
[[nodiscard]] Lsn WalWritePosition();    // written to the kernel
[[nodiscard]] Lsn WalFlushPosition();    // durable
// Makes the log durable up to at least `up_to` (group commit, W16): returns at once if it
// already is; otherwise one process writes and fsyncs for everyone waiting. fsync failure:
// PANIC. With fsync = off it only writes.
void WalFlush(Lsn up_to);
// Whether WAL up to `lsn` is not yet durable (the buffer manager's bulk-read rings skip such
// buffers). False while nothing is being inserted (recovery).
[[nodiscard]] bool WalNeedsFlush(Lsn lsn);
// Asynchronous commit: note that `lsn` should be flushed within wal_writer_delay (wakes the
// WAL writer when a whole page is waiting).
void WalSetAsyncFlushTarget(Lsn lsn);
// The WAL writer's round: writes and flushes full pages and any async target. Returns true
// when there was nothing to do (it may hibernate).
[[nodiscard]] bool WalBackgroundFlush();
// Registers this process's latch as the WAL writer's, to be woken by async commits.
void WalSetWalWriterLatch(void* latch);

// --- checkpoints ----------------------------------------------------------------------------
// Full-page images are taken for the first change of a page after the redo pointer moved
// (W4). The checkpointer starts a checkpoint by fixing the redo pointer at the current insert
// position (all insertion locks held briefly) and returns it.
[[nodiscard]] Lsn WalBeginCheckpointRedoPointer();
[[nodiscard]] Lsn WalRedoPointer();
// Bytes of WAL inserted since the last checkpoint's redo pointer, for max_wal_size triggering.
[[nodiscard]] uint64_t WalBytesSinceRedo();
// Registers the checkpointer's latch so inserters can wake it when max_wal_size worth of WAL
// has been written since the last checkpoint (the checkpointer then reads the flag).
void WalSetCheckpointerLatch(void* latch);
[[nodiscard]] bool WalCheckpointRequestedBySize();
void WalClearCheckpointRequest();
// After a checkpoint whose redo pointer is `redo`: segments wholly before it are recycled
// (renamed to future segment names, up to what max_wal_size allows) or removed (W19).
void WalRemoveOldSegments(Lsn redo);

// --- files ----------------------------------------------------------------------------------
// "wal/000000010000000000000003": 8 hex digits timeline, 16 hex digits segment number.
[[nodiscard]] std::string WalSegmentFileName(TimeLineId timeline, uint64_t segno);
[[nodiscard]] uint64_t WalSegmentOf(Lsn lsn);
// Creates wal/ segment for `segno` (zero-filled, fsynced, atomically renamed into place).
void WalCreateSegment(const std::string& data_dir, TimeLineId timeline, uint64_t segno);
// The first LSN a fresh cluster uses (start of segment 1, after the long page header).
[[nodiscard]] Lsn WalFirstRecordLsn();

// --- statistics -----------------------------------------------------------------------------
struct WalStats {
  uint64_t records, fpi, bytes, writes, syncs, sync_time_us, flush_requests, flushes_done;
};
[[nodiscard]] WalStats GetWalStats();

}  // namespace keel::transam
