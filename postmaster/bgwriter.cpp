// The bgwriter process: writes dirty buffers ahead of the clock hand. For now its loop only sleeps on its latch and honours
// reload and shutdown requests; the page store fills in the work. See README.md.
#include "backend/utils/init/process_exit.h"
#include "postmaster/aux_process.h"

namespace keel::postmaster {

void BgWriterMain() {
  AuxProcessInit(AuxKind::kBgWriter);
  while (!AuxWaitForWork(/*timeout_ms=*/10000, /*exit_on_sigterm=*/true)) {
    // TODO(issue 3): writing dirty buffers (issue 3).
  }
  ProcessExit(0);
}

}  // namespace keel::postmaster
