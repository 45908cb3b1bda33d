// The checkpointer process: timed and WAL-volume checkpoints, and the shutdown checkpoint. For now its loop only sleeps on its latch and honours
// reload and shutdown requests; the page store fills in the work. See README.md.
#include "backend/utils/init/process_exit.h"
#include "postmaster/aux_process.h"

namespace keel::postmaster {

void CheckpointerMain() {
  AuxProcessInit(AuxKind::kCheckpointer);
  while (!AuxWaitForWork(/*timeout_ms=*/10000, /*exit_on_sigterm=*/false)) {
    // TODO(issue 3): checkpoints (issue 3).
  }
  ProcessExit(0);
}

}  // namespace keel::postmaster
