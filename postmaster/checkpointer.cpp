// The checkpointer: timed (checkpoint_timeout), WAL-volume (max_wal_size) and requested
// checkpoints, the shutdown checkpoint, and the fsyncs of data files that every other process
// forwards to it. See README.md (A-section) and access/transam/README.md (K1-K7).
#include <chrono>

#include "access/transam/checkpoint.h"
#include "access/transam/wal.h"
#include "backend/utils/config/settings.h"
#include "backend/utils/error/log.h"
#include "backend/utils/init/interrupts.h"
#include "backend/utils/init/process_exit.h"
#include "postmaster/aux_process.h"
#include "storage/ipc/process_context.h"
#include "storage/sync/sync.h"

namespace keel::postmaster {
namespace {

using Clock = std::chrono::steady_clock;

// Runs one checkpoint; an error is logged and the next attempt comes with the next trigger.
bool TryCheckpoint(uint32_t flags) {
  try {
    transam::CreateCheckpoint(flags);
    return true;
  } catch (const Error& e) {
    LogError(Error(e.sqlstate(), e.message(), Severity::kError).WithDetail(e.detail()));
    return false;
  }
}

}  // namespace

void CheckpointerMain() {
  AuxProcessInit(AuxKind::kCheckpointer);
  storage::SetSyncRequestsLocal(true);
  transam::CheckpointerRegister();
  transam::WalSetCheckpointerLatch(storage::MyLatch());
  auto last_checkpoint = Clock::now();
  Lsn insert_at_last_checkpoint = transam::WalInsertPosition();
  for (;;) {
    storage::AbsorbSyncRequests();
    if (Interrupts().shutdown) {
      // A3: every other process has exited; what is in the buffers is final.
      bool ok = TryCheckpoint(transam::kCheckpointShutdown | transam::kCheckpointImmediate);
      ProcessExit(ok ? 0 : 1);
    }
    uint32_t flags = transam::CheckpointerTakeRequest();
    if (transam::WalCheckpointRequestedBySize()) {
      transam::WalClearCheckpointRequest();
      flags |= transam::kCheckpointCauseWal;
    }
    auto timeout = std::chrono::seconds(settings::checkpoint_timeout_s);
    if (Clock::now() - last_checkpoint >= timeout) {
      // A timed checkpoint with no WAL written since the last one would change nothing.
      if (transam::WalInsertPosition() != insert_at_last_checkpoint) {
        flags |= transam::kCheckpointCauseTime;
      }
      last_checkpoint = Clock::now();
    }
    if (flags != 0) {
      TryCheckpoint(flags);
      last_checkpoint = Clock::now();
      insert_at_last_checkpoint = transam::WalInsertPosition();
      continue;  // a request may have arrived meanwhile
    }
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        last_checkpoint + timeout - Clock::now());
    long wait_ms = std::clamp<long>(static_cast<long>(left.count()), 10, 1000);
    (void)AuxWaitForWork(wait_ms, /*exit_on_sigterm=*/false);
  }
}

}  // namespace keel::postmaster
