// The auxiliary-process table and shared loop; see aux_process.h and README.md.
#include "postmaster/aux_process.h"

#include <signal.h>
#include <unistd.h>

#include "backend/utils/config/config.h"
#include "backend/utils/error/log.h"
#include "backend/utils/init/interrupts.h"
#include "backend/utils/init/paths.h"
#include "backend/utils/init/process_exit.h"
#include "postmaster/autovacuum.h"
#include "storage/ipc/latch.h"
#include "storage/ipc/proc_array.h"
#include "storage/ipc/process_context.h"

namespace keel::postmaster {
namespace {

// A2/A3: bgwriter and walwriter stop on SIGTERM; the checkpointer stops last, on SIGUSR2,
// because it writes the shutdown checkpoint once nothing else can change data.
constexpr AuxProcessSpec kSpecs[kAuxKindCount] = {
    {AuxKind::kCheckpointer, "checkpointer", storage::ProcessRole::kCheckpointer, SIGUSR2, true, &CheckpointerMain},
    {AuxKind::kBgWriter, "background writer", storage::ProcessRole::kBgWriter, SIGTERM, false, &BgWriterMain},
    {AuxKind::kWalWriter, "walwriter", storage::ProcessRole::kWalWriter, SIGTERM, false, &WalWriterMain},
    {AuxKind::kAutovacuumLauncher, "autovacuum launcher", storage::ProcessRole::kAutovacuum, SIGTERM,
     false, &AutovacuumLauncherMain},
};

storage::ProcKind ProcKindOf(AuxKind kind) {
  switch (kind) {
    case AuxKind::kCheckpointer: return storage::ProcKind::kCheckpointer;
    case AuxKind::kBgWriter: return storage::ProcKind::kBgWriter;
    case AuxKind::kWalWriter: return storage::ProcKind::kWalWriter;
    case AuxKind::kAutovacuumLauncher: return storage::ProcKind::kAutovacuumLauncher;
  }
  return storage::ProcKind::kOther;
}

}  // namespace

const AuxProcessSpec& GetAuxSpec(AuxKind kind) { return kSpecs[static_cast<int>(kind)]; }

void AuxProcessInit(AuxKind kind) {
  storage::ProcSlot* slot = storage::ProcArrayAcquireAuxSlot(ProcKindOf(kind), getpid());
  if (slot == nullptr) {
    Log(Severity::kFatal, "no free proc slot for the %s process", GetAuxSpec(kind).name);
    ProcessExit(1);
  }
  storage::SetCurrentProcSlot(slot);  // A1: waits use the slot's latch from now on
  OnProcessExit([slot] { storage::ProcArrayReleaseSlot(slot); });
}

bool AuxWaitForWork(long timeout_ms, bool exit_on_sigterm) {
  PendingInterrupts& pending = Interrupts();
  auto stop_requested = [&] { return pending.shutdown || (exit_on_sigterm && pending.die); };
  if (!stop_requested()) {
    int events = storage::WaitLatch(storage::MyLatch(),
                                    storage::kWaitLatchSet | storage::kWaitTimeout |
                                        storage::kWaitPostmasterDeath,
                                    timeout_ms);
    storage::ResetLatch(storage::MyLatch());
    if (events & storage::kWaitPostmasterDeath) ProcessExit(1);  // A4
  }
  if (pending.reload) {
    pending.reload = 0;
    config::ReloadConfigFile(ConfigFilePath(), Severity::kDebug2);  // the postmaster logs it
  }
  return stop_requested();
}

}  // namespace keel::postmaster
