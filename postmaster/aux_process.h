// Auxiliary processes (checkpointer, bgwriter, walwriter ...): one table that says how to
// start and stop each, and the loop helper their mains share. See README.md (A1-A4).
#pragma once

#include <cstdint>

#include "storage/ipc/process_context.h"

namespace keel::postmaster {

enum class AuxKind : uint8_t { kCheckpointer, kBgWriter, kWalWriter, kAutovacuumLauncher };
inline constexpr int kAuxKindCount = 4;
// Shared-memory proc slots reserved for auxiliary processes (room for later kinds).
inline constexpr int kMaxAuxProcesses = 16;

struct AuxProcessSpec {
  AuxKind kind;
  const char* name;          // log prefix and `ps` title
  storage::ProcessRole role;
  int stop_signal;           // what the postmaster sends at shutdown (A2)
  bool stops_last;           // signalled only after every other child has exited (A3)
  [[noreturn]] void (*main)();
};

[[nodiscard]] const AuxProcessSpec& GetAuxSpec(AuxKind kind);

// Per-process set-up for an auxiliary process: shared proc slot, latch, log prefix.
void AuxProcessInit(AuxKind kind);

// Sleeps on the process latch for at most `timeout_ms`, re-reads the configuration after
// SIGHUP, and exits the process (code 1) if the postmaster died. Returns true when the
// process has been asked to stop (SIGTERM, or SIGUSR2 when `exit_on_sigterm` is false).
[[nodiscard]] bool AuxWaitForWork(long timeout_ms, bool exit_on_sigterm);

[[noreturn]] void CheckpointerMain();
[[noreturn]] void BgWriterMain();
[[noreturn]] void WalWriterMain();
// autovacuum.h: AutovacuumLauncherMain.

}  // namespace keel::postmaster
