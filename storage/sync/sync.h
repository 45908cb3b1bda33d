// Sync requests: backends and the bgwriter write data files without fsyncing them; they
// forward "segment S of fork F of relation R is dirty" to the checkpointer through a queue in
// shared memory, and the checkpointer fsyncs each file once per checkpoint. Also carries the
// deferred unlink of dropped relations. See README.md (SY1-SY7).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#ifdef KEEL_DEBUG
#include <vector>
#endif

#include "storage/common/ids.h"

namespace keel::storage {

// One segment file of a relation fork (smgr.h: SegmentPath). For kForgetRelation only `rel`
// matters.
struct FileTag {
  RelFileLocator rel;
  ForkNumber fork;
  uint32_t segno;
  friend bool operator==(const FileTag&, const FileTag&) = default;
};

enum class SyncRequestKind : uint8_t { kSync, kForgetRelation, kUnlinkAfterCheckpoint };

[[nodiscard]] size_t SyncShmemSize(int queue_entries);
void SyncShmemInit(int queue_entries);

// Any process: queue a request. When the queue is full (after compaction) the checkpointer
// is woken and the caller retries for about 10 ms; then a kSync request is carried out by
// fsyncing the file directly (SY3), while forget and unlink requests keep waiting for room
// (unless the checkpointer died). In the checkpointer itself the request goes straight into
// its pending table. Without a checkpointer (tests, single process) requests are done at
// once (SY6). Errors: PANIC when an fsync fails (SY4); keel::Error when a file to fsync
// cannot be opened for another reason than being gone.
void RegisterSyncRequest(const FileTag& tag, SyncRequestKind kind);

// Checkpointer: moves queued requests into its process-local pending table (call often).
void AbsorbSyncRequests();
// Checkpointer, during a checkpoint: fsyncs every file with a pending request that was
// registered before the checkpoint began, then unlinks files whose unlink was requested before
// the previous checkpoint. An fsync failure is a PANIC (SY4). A file that vanished because its
// relation was dropped meanwhile is not an error.
void SyncPreCheckpoint();   // marks the cycle: requests after this belong to the next one
void SyncPostCheckpoint();  // after the checkpoint record is durable: deferred unlinks
void ProcessSyncRequests(); // between the two: the fsyncs

// SY8: whether a checkpoint may run in this process: it is the checkpointer, or no live
// checkpointer is registered (then every request was carried out by its sender, SY6, and
// SyncPreCheckpoint carries out whatever is left in the queue). False while another process is
// the checkpointer: its pending table holds fsyncs this process cannot do, so a checkpoint run
// here would advance the redo pointer over unsynced writes (checkpoint.cpp refuses, K11).
[[nodiscard]] bool SyncRequestsAreLocal();

// Marks this process as the checkpointer (requests go to its local table).
void SetSyncRequestsLocal(bool is_checkpointer);
// Statistics of the last ProcessSyncRequests: files synced, time spent.
struct SyncStats {
  uint64_t files_synced;
  uint64_t sync_time_us;
};
[[nodiscard]] SyncStats LastSyncStats();

// Cumulative over all processes since SyncShmemInit: kSync requests a sender carried out
// itself because the queue stayed full (SY3) or no checkpointer was registered (SY6). As
// PostgreSQL's pg_stat_bgwriter.buffers_backend_fsync. 0 before SyncShmemInit.
[[nodiscard]] uint64_t BackendFsyncCount();
// Requests waiting in the shared queue now (diagnostics, tests). 0 before SyncShmemInit.
[[nodiscard]] int SyncQueueLength();

#ifdef KEEL_DEBUG
// The files the last ProcessSyncRequests of this process fsynced, in order (tests only).
[[nodiscard]] std::vector<FileTag> TestOnlyLastSyncedFiles();
#endif

}  // namespace keel::storage

template <>
struct std::hash<keel::storage::FileTag> {
  size_t operator()(const keel::storage::FileTag& t) const noexcept {
    const size_t h = std::hash<keel::RelFileLocator>{}(t.rel);
    return h ^ ((static_cast<size_t>(t.segno) << 3 | static_cast<size_t>(t.fork)) *
                0x9E3779B97F4A7C15ull);
  }
};
