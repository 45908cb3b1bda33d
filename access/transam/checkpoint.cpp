// Checkpoints; see checkpoint.h and README.md (K1-K7).
#include "access/transam/checkpoint.h"

#include "access/transam/clog.h"
#include "access/transam/commit_ts.h"
#include "access/transam/multixact.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <ctime>

#include "access/transam/control_file.h"
#include "access/transam/transam.h"
#include "access/transam/wal.h"
#include "access/transam/wal_reader.h"
#include "access/transam/wal_record.h"
#include "access/transam/wal_xlog.h"
#include "access/transam/xact.h"
#include "backend/utils/config/settings.h"
#include "backend/utils/error/format.h"
#include "backend/utils/error/log.h"
#include "backend/utils/init/interrupts.h"
#include "backend/utils/init/paths.h"
#include "storage/buffer/bufmgr.h"
#include "storage/ipc/latch.h"
#include "storage/ipc/postmaster_death.h"
#include "storage/ipc/process_context.h"
#include "storage/ipc/shmem.h"
#include "storage/lmgr/spinlock.h"
#include "storage/sync/sync.h"

namespace keel::transam {
namespace {

using Clock = std::chrono::steady_clock;

static_assert(kControlWalSegmentSize == kWalSegmentSize, "control file and WAL disagree");

// Shared between requesters and the checkpointer (K6).
struct CheckpointerShared {
  storage::SpinLock lock;
  int32_t checkpointer_pid;          // guarded by lock; 0 = none running
  storage::Latch* latch;             // guarded by lock; the checkpointer's proc latch
  uint32_t requested_flags;          // guarded by lock
  uint64_t started;                  // guarded by lock: checkpoints begun
  uint64_t completed;                // guarded by lock: checkpoints finished
  uint64_t failed;                   // guarded by lock: checkpoints that threw
};
static_assert(std::is_standard_layout_v<CheckpointerShared> &&
              std::is_trivially_destructible_v<CheckpointerShared>);

CheckpointerShared* g_shared = nullptr;

CheckpointerShared* Shared() {
  if (g_shared == nullptr) {
    bool found = false;
    g_shared = static_cast<CheckpointerShared*>(
        storage::ShmemInitStruct("checkpointer", sizeof(CheckpointerShared), &found));
  }
  return g_shared;
}

struct PaceState {
  Clock::time_point start;
  uint32_t flags;
};

// K5: between write batches the checkpointer sleeps while it is ahead of schedule, where the
// schedule is the larger of elapsed time against checkpoint_timeout and WAL written against the
// size that would trigger the next checkpoint, both scaled by checkpoint_completion_target.
void Pace(double progress, void* arg) {
  auto* state = static_cast<PaceState*>(arg);
  storage::AbsorbSyncRequests();
  if (state->flags & (kCheckpointImmediate | kCheckpointShutdown | kCheckpointEndOfRecovery)) {
    return;
  }
  for (;;) {
    if (Interrupts().shutdown) return;  // a shutdown is waiting: finish quickly
    if (Shared()->requested_flags & kCheckpointImmediate) return;
    double target = std::max(settings::checkpoint_completion_target, 0.01);
    double elapsed_s = std::chrono::duration<double>(Clock::now() - state->start).count();
    double time_fraction = elapsed_s / settings::checkpoint_timeout_s;
    double wal_budget = static_cast<double>(settings::max_wal_size_mb) * 1048576.0 / (1.0 + target);
    double wal_fraction = static_cast<double>(WalBytesSinceRedo()) / wal_budget;
    if (progress * target <= std::max(time_fraction, wal_fraction)) return;  // behind: go on
    storage::WaitLatch(storage::MyLatch(), storage::kWaitLatchSet | storage::kWaitTimeout, 100);
    storage::ResetLatch(storage::MyLatch());
    storage::AbsorbSyncRequests();
  }
}

const char* CauseText(uint32_t flags) {
  if (flags & kCheckpointShutdown) return "shutdown";
  if (flags & kCheckpointEndOfRecovery) return "end-of-recovery";
  if (flags & kCheckpointCauseRequest) return "immediate";
  if (flags & kCheckpointCauseWal) return "wal";
  return "time";
}

}  // namespace

size_t CheckpointerShmemSize() { return sizeof(CheckpointerShared); }

void CheckpointerShmemInit() {
  g_shared = nullptr;
  bool found = false;
  auto* shared = static_cast<CheckpointerShared*>(
      storage::ShmemInitStruct("checkpointer", sizeof(CheckpointerShared), &found));
  if (!found) {
    shared->lock.Init();
    shared->checkpointer_pid = 0;
    shared->latch = nullptr;
    shared->requested_flags = 0;
    shared->started = shared->completed = shared->failed = 0;
  }
  g_shared = shared;
}

void CheckpointerRegister() {
  CheckpointerShared* shared = Shared();
  storage::SpinLockGuard guard(&shared->lock);
  shared->checkpointer_pid = getpid();
  shared->latch = storage::MyLatch();
}

uint32_t CheckpointerTakeRequest() {
  CheckpointerShared* shared = Shared();
  storage::SpinLockGuard guard(&shared->lock);
  return std::exchange(shared->requested_flags, 0);
}

uint64_t CheckpointsCompleted() {
  CheckpointerShared* shared = Shared();
  storage::SpinLockGuard guard(&shared->lock);
  return shared->completed;
}

void RequestCheckpoint(uint32_t flags) {
  CheckpointerShared* shared = Shared();
  uint64_t started_before = 0, failed_before = 0;
  storage::Latch* latch = nullptr;
  {
    storage::SpinLockGuard guard(&shared->lock);
    shared->requested_flags |= flags | kCheckpointCauseRequest;
    started_before = shared->started;
    failed_before = shared->failed;
    latch = shared->latch;
  }
  if (latch == nullptr && storage::PostmasterDeathFd() < 0) {
    // K10: no postmaster, hence no checkpointer (the test harness, keel-initdb's standalone
    // server): do it here, as a PostgreSQL standalone backend does. The request flags were only
    // for a checkpointer; take them back.
    {
      storage::SpinLockGuard guard(&shared->lock);
      shared->requested_flags = 0;
    }
    CreateCheckpoint(flags | kCheckpointCauseRequest);
    return;
  }
  storage::SetLatch(latch);
  if (!(flags & kCheckpointWait)) return;
  // K7: wait for a checkpoint that *started* after our request to complete.
  for (;;) {
    uint64_t started, completed, failed;
    {
      storage::SpinLockGuard guard(&shared->lock);
      started = shared->started;
      completed = shared->completed;
      failed = shared->failed;
    }
    // Checkpoints run one at a time, so number started_before + 1 is ours once it has begun.
    if (started > started_before && completed + failed >= started_before + 1) {
      if (failed > failed_before) {
        throw Error(sqlstate::kObjectInUse, "checkpoint request failed")
            .WithHint("Consult recent messages in the server log for details.");
      }
      return;
    }
    CheckForInterrupts();
    storage::WaitLatch(storage::MyLatch(), storage::kWaitLatchSet | storage::kWaitTimeout, 50);
    storage::ResetLatch(storage::MyLatch());
  }
}

void CreateCheckpoint(uint32_t flags) {
  // K11: the sync steps below are the checkpointer's; in any other process they would do
  // nothing while the record still moved the redo pointer past writes nobody fsynced.
  if (!storage::SyncRequestsAreLocal()) {
    throw Error(sqlstate::kObjectNotInPrerequisiteState, "cannot run a checkpoint in this process")
        .WithDetail("Another process is the checkpointer and holds the pending fsync requests.")
        .WithHint("Request the checkpoint from the checkpointer.");
  }
  CheckpointerShared* shared = Shared();
  {
    storage::SpinLockGuard guard(&shared->lock);
    shared->started++;
  }
  auto start = Clock::now();
  const std::string& data_dir = DataDirectory();
  try {
    ControlFileData control = ReadControlFile(data_dir);
    bool shutdown = flags & kCheckpointShutdown;
    if (settings::log_checkpoints) {
      Log(Severity::kLog, "checkpoint starting: %s", CauseText(flags));
    }
    if (shutdown) {
      control.state = ClusterState::kShuttingDown;
      WriteControlFile(data_dir, control);
    }
    // K1: requests registered from here on belong to the next checkpoint.
    storage::SyncPreCheckpoint();
    Lsn redo = WalBeginCheckpointRedoPointer();
    // X17: a commit whose record lies before `redo` must be in clog before clog is flushed.
    WaitForCommitsDelayingCheckpoint();

    // K9: the commit log and commit timestamps are made durable with the checkpoint, before
    // its record (their WAL-before-data rule flushes WAL as needed).
    ClogFlushAll();
    CommitTsFlushAll();
    // M6: waits for multixact creations in progress, then flushes both multixact SLRUs; the
    // counters read here go into the record and the control file (M5).
    uint64_t next_multi = 0;
    uint64_t next_multi_offset = 0;
    MultiXactCheckpoint(&next_multi, &next_multi_offset);

    PaceState pace{start, flags};
    storage::CheckpointWriteStats written =
        storage::CheckpointBuffers((flags & kCheckpointImmediate) || shutdown, &Pace, &pace);
    auto write_done = Clock::now();
    storage::ProcessSyncRequests();
    auto sync_done = Clock::now();

    // K2: the record names the redo pointer; only once it is durable may the control file
    // point at it.
    CheckpointRecord record{};
    record.redo_lsn = redo.value();
    record.timeline = control.timeline_id;
    // O3: the first oid not yet reserved, read after the redo pointer: a later reservation's
    // NEXTOID record lies after the redo pointer and is replayed.
    record.next_oid = ReadNextUnreservedObjectId().value();
    // X2: read after the redo pointer: an xid assigned later that reaches WAL does so after
    // the redo pointer, and redo advances past it.
    record.next_xid = ReadNextTransactionId().value();
    record.time_s = static_cast<int64_t>(time(nullptr));
    record.full_page_writes = settings::full_page_writes ? 1 : 0;
    record.next_multi = next_multi;
    record.next_multi_offset = next_multi_offset;
    WalRecordBuilder builder;
    builder.RegisterData(&record, sizeof(record));
    Lsn end = builder.Insert(RmgrId::kXlog, shutdown ? kXlogCheckpointShutdown
                                                     : kXlogCheckpointOnline);
    Lsn checkpoint_lsn = WalLastRecordStart();
    WalFlush(end);

    // K3: the control file moves to the new checkpoint atomically (write + rename).
    control.checkpoint_lsn = checkpoint_lsn.value();
    control.redo_lsn = redo.value();
    control.checkpoint_time = record.time_s;
    control.full_page_writes = record.full_page_writes;
    control.next_xid = record.next_xid;
    control.next_oid = record.next_oid;
    control.next_multi = record.next_multi;
    control.next_multi_offset = record.next_multi_offset;
    control.state = shutdown ? ClusterState::kShutDown : ClusterState::kInProduction;
    WriteControlFile(data_dir, control);

    // K4: only now may files dropped before this checkpoint go, and old WAL be recycled.
    storage::SyncPostCheckpoint();
    WalRemoveOldSegments(redo);

    if (settings::log_checkpoints) {
      auto secs = [](Clock::duration d) { return std::chrono::duration<double>(d).count(); };
      storage::SyncStats sync = storage::LastSyncStats();
      Log(Severity::kLog,
          "checkpoint complete: wrote %llu buffers (%.1f%%); write=%.3f s, sync=%.3f s, "
          "total=%.3f s; sync files=%llu; redo %s, checkpoint %s",
          static_cast<unsigned long long>(written.buffers_written),
          100.0 * static_cast<double>(written.buffers_written) / std::max(storage::NBuffers(), 1),
          secs(write_done - start), secs(sync_done - write_done), secs(Clock::now() - start),
          static_cast<unsigned long long>(sync.files_synced), LsnToString(redo).c_str(),
          LsnToString(checkpoint_lsn).c_str());
    }
  } catch (...) {
    storage::SpinLockGuard guard(&shared->lock);
    shared->failed++;
    throw;
  }
  storage::SpinLockGuard guard(&shared->lock);
  shared->completed++;
}

}  // namespace keel::transam
