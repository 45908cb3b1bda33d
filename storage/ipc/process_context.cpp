// The per-process context. See storage/ipc/README.md ("Process context").
#include "storage/ipc/process_context.h"

#include <unistd.h>

#include "backend/utils/error/error.h"
#include "storage/ipc/latch.h"
#include "storage/ipc/proc_array.h"
#include "storage/lmgr/lwlock.h"

namespace keel::storage {
namespace {

ProcessContext current_process;

}  // namespace

const char* ProcessRoleName(ProcessRole role) {
  switch (role) {
    case ProcessRole::kPostmaster: return "postmaster";
    case ProcessRole::kBackend: return "backend";
    case ProcessRole::kStartup: return "startup";
    case ProcessRole::kCheckpointer: return "checkpointer";
    case ProcessRole::kBgWriter: return "background writer";
    case ProcessRole::kWalWriter: return "walwriter";
    case ProcessRole::kStandalone: return "standalone";
    case ProcessRole::kAutovacuum: return "autovacuum";
    case ProcessRole::kWalSender: return "walsender";
    case ProcessRole::kWalReceiver: return "walreceiver";
  }
  return "unknown";
}

ProcessContext& CurrentProcess() { return current_process; }

Latch* MyLatch() {
  // A child that has not run InitProcessContext() yet must not use its parent's latch: a
  // SetLatch on it would signal the parent.
  Latch* latch = current_process.latch;
  if (latch == nullptr || current_process.pid != static_cast<int32_t>(getpid())) {
    return ProcessLocalLatch();
  }
  return latch;
}

void InitProcessContext(ProcessRole role) {
  LwLockResetAfterFork();
  InitLatchSupport();
  current_process.role = role;
  current_process.pid = static_cast<int32_t>(getpid());
  current_process.proc = nullptr;
  current_process.latch = ProcessLocalLatch();
}

void SetCurrentProcSlot(ProcSlot* slot) {
  KEEL_ASSERT(current_process.pid == static_cast<int32_t>(getpid()));
  current_process.proc = slot;
  current_process.latch = slot != nullptr ? &slot->latch : ProcessLocalLatch();
}

}  // namespace keel::storage
