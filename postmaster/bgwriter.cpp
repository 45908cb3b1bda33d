// The background writer: writes dirty buffers just ahead of the clock hand so backends
// find clean victims. See README.md and storage/buffer/README.md.
#include "backend/utils/config/settings.h"
#include "backend/utils/init/process_exit.h"
#include "postmaster/aux_process.h"
#include "storage/buffer/bufmgr.h"

namespace keel::postmaster {

void BgWriterMain() {
  AuxProcessInit(AuxKind::kBgWriter);
  bool idle = false;
  // When a round found nothing to do, nap 50 times longer (hibernation).
  while (!AuxWaitForWork(idle ? 50L * settings::bgwriter_delay_ms : settings::bgwriter_delay_ms,
                         /*exit_on_sigterm=*/true)) {
    idle = storage::BgWriterWriteAhead();
  }
  ProcessExit(0);
}

}  // namespace keel::postmaster
