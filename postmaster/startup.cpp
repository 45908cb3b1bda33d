// The startup process; see startup.h.
#include "postmaster/startup.h"

#include <unistd.h>

#include "access/transam/recovery.h"
#include "backend/utils/error/log.h"
#include "backend/utils/init/process_exit.h"
#include "storage/ipc/proc_array.h"
#include "storage/sync/sync.h"

namespace keel::postmaster {

void StartupProcessMain() {
  storage::ProcSlot* slot = storage::ProcArrayAcquireAuxSlot(storage::ProcKind::kStartup, getpid());
  if (slot == nullptr) {
    Log(Severity::kFatal, "no free proc slot for the startup process");
    ProcessExit(1);
  }
  OnProcessExit([slot] { storage::ProcArrayReleaseSlot(slot); });
  // S1: no checkpointer runs yet; files written during redo are fsynced by the
  // end-of-recovery checkpoint this process performs itself.
  storage::SetSyncRequestsLocal(true);
  try {
    transam::StartupXlog();
  } catch (const Error& e) {
    LogError(e);
    ProcessExit(1);  // S2: the postmaster stops the server
  }
  ProcessExit(0);
}

}  // namespace keel::postmaster
