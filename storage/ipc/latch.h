// Latches: a process sleeps until its latch is set (by any process, or by its own signal
// handlers), a socket is ready, a timeout passes, or the postmaster dies. Wake-up protocol,
// memory orderings and invariants T1-T7: storage/ipc/README.md.
#pragma once

#include <atomic>
#include <cstdint>
#include <type_traits>

namespace keel::storage {

// Lives in shared memory (one per ProcSlot) or in process memory (ProcessLocalLatch()).
// All zero is an unowned, unset latch.
struct Latch {
  std::atomic<uint32_t> is_set;          // set by anyone, cleared by the owner (T1)
  std::atomic<uint32_t> maybe_sleeping;  // written by the owner around its poll (T2)
  std::atomic<int32_t> owner_pid;        // 0 = unowned; changed by Own/DisownLatch only
};
static_assert(std::is_standard_layout_v<Latch> && std::is_trivially_destructible_v<Latch>);
static_assert(std::atomic<uint32_t>::is_always_lock_free &&
              std::atomic<int32_t>::is_always_lock_free);

// Per process, after fork (process start-up calls it; WaitLatch and OwnLatch also call it
// on first use in a process): creates this process's self-pipe, installs the SIGURG handler,
// unblocks SIGURG, and makes ProcessLocalLatch() a fresh latch owned by this process.
// Throws FATAL keel::Error 58000 when the pipe cannot be created.
void InitLatchSupport();

// Set-up of a latch in shared memory. Requires: nobody uses it yet.
void InitSharedLatch(Latch* latch);

// This process will wait on `latch`. PANICs if another process owns it.
void OwnLatch(Latch* latch);
// Requires: owned by this process.
void DisownLatch(Latch* latch);

// Sets the latch and wakes its owner if it may be sleeping. Callable from any process and
// from signal handlers (async-signal-safe: atomics, getpid, kill, write). Orders the
// caller's earlier writes before the owner's reads after it wakes (T3).
void SetLatch(Latch* latch);

// Clears the latch. Requires: owned by this process. Call it before checking the condition
// you wait for, never between the check and WaitLatch (T4):
//   for (;;) { ResetLatch(l); if (work_to_do) { ... } WaitLatch(l, kWaitLatchSet, -1); }
void ResetLatch(Latch* latch);

enum WaitEvent : int {
  kWaitLatchSet = 1,
  kWaitSocketReadable = 2,
  kWaitSocketWritable = 4,
  kWaitTimeout = 8,
  kWaitPostmasterDeath = 16,
};

// Sleeps until one of `wake_events` happens and returns the bitmask of those that did
// (several bits may be set). timeout_ms >= 0 arms a timeout (kWaitTimeout need not be in
// `wake_events`); < 0 means none. kWaitPostmasterDeath in `wake_events` means "report it";
// when the postmaster dies and the caller did NOT ask for it the process exits at once with
// _exit(1) (T6). A socket at EOF or in error is reported as readable/writable so the
// caller's next read()/write() sees it.
// Requires: `latch` owned by this process when kWaitLatchSet is asked (nullptr allowed
// otherwise). Throws keel::Error XX000 if not owned; FATAL 58000 if poll() fails.
int WaitLatch(Latch* latch, int wake_events, long timeout_ms);
// As WaitLatch, also watching `socket_fd` for kWaitSocketReadable / kWaitSocketWritable.
int WaitLatchOrSocket(Latch* latch, int wake_events, int socket_fd, long timeout_ms);

// A latch in process memory, owned by the calling process, for processes without a proc
// slot (the postmaster, standalone mode). SetLatch on it from this process's signal handlers
// wakes its WaitLatch. Other processes must never use it (T7). Async-signal-safe once the
// process has called InitLatchSupport().
[[nodiscard]] Latch* ProcessLocalLatch();

}  // namespace keel::storage
