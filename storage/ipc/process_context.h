// The per-process context: which kind of process this is, its proc slot and its latch.
// Process-global state lives behind it so that one engine can also run embedded, without a
// postmaster (DESIGN.md section 10). See storage/ipc/README.md ("Process context").
#pragma once

#include <cstdint>

namespace keel::storage {

struct Latch;
struct ProcSlot;

enum class ProcessRole : uint8_t {
  kPostmaster,
  kBackend,
  kStartup,
  kCheckpointer,
  kBgWriter,
  kWalWriter,
  kStandalone,  // embedded mode / single-user: no postmaster, no children
  kAutovacuum,
  kWalSender,
  kWalReceiver,
};

[[nodiscard]] const char* ProcessRoleName(ProcessRole role);

struct ProcessContext {
  ProcessRole role = ProcessRole::kStandalone;
  int32_t pid = 0;
  ProcSlot* proc = nullptr;  // this process's proc slot, if it has one
  Latch* latch = nullptr;    // own latch: proc's, or the process-local one
};

// This process's context. Process-local memory; a child inherits its parent's copy until it
// calls InitProcessContext().
[[nodiscard]] ProcessContext& CurrentProcess();

// This process's latch: CurrentProcess().latch, or ProcessLocalLatch() when none is set.
// Async-signal-safe after InitProcessContext(), so signal handlers may call
// SetLatch(MyLatch()).
[[nodiscard]] Latch* MyLatch();

// Every process at start (the postmaster at boot, a child right after fork, an embedded
// engine once): forgets inherited per-process state (held LWLocks, the parent's self-pipe),
// sets role and pid, no proc slot, and latch = ProcessLocalLatch(). Does NOT close the
// postmaster-death pipe's write end: children call PostmasterChildClosePipe() themselves.
// Throws what InitLatchSupport() throws.
void InitProcessContext(ProcessRole role);

// Records the proc slot this process acquired (latch becomes the slot's latch), or, with
// nullptr, drops it again (latch goes back to the process-local one). ProcArrayAcquire*Slot
// and ProcArrayReleaseSlot call it. Requires: InitProcessContext() ran in this process.
void SetCurrentProcSlot(ProcSlot* slot);

}  // namespace keel::storage
