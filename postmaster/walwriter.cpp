// The WAL writer: flushes WAL of asynchronous commits within wal_writer_delay and writes full
// WAL pages ahead of committers. See README.md and access/transam/README.md.
#include "access/transam/wal.h"
#include "backend/utils/config/settings.h"
#include "backend/utils/init/process_exit.h"
#include "postmaster/aux_process.h"
#include "storage/ipc/process_context.h"

namespace keel::postmaster {

void WalWriterMain() {
  AuxProcessInit(AuxKind::kWalWriter);
  transam::WalSetWalWriterLatch(storage::MyLatch());
  bool idle = false;
  // Idle rounds nap 25 times longer; an async commit sets the latch.
  while (!AuxWaitForWork(idle ? 25L * settings::wal_writer_delay_ms : settings::wal_writer_delay_ms,
                         /*exit_on_sigterm=*/true)) {
    idle = transam::WalBackgroundFlush();
  }
  ProcessExit(0);
}

}  // namespace keel::postmaster
