// Why the postmaster sends SIGQUIT: a child crashed, or an immediate shutdown. Kept in shared
// memory so a backend's SIGQUIT handler can tell its client the right reason (I5).
#pragma once

#include <cstddef>
#include <cstdint>

namespace keel {

enum class QuitReason : int32_t { kUnknown = 0, kCrash = 1, kImmediateShutdown = 2 };

[[nodiscard]] size_t QuitReasonShmemSize();
void QuitReasonShmemInit();  // postmaster, with the rest of shared memory
// Postmaster, before signalling. A no-op before shared memory exists.
void SetQuitReason(QuitReason reason);
// Async-signal-safe (a lock-free atomic load); kUnknown before shared memory exists.
[[nodiscard]] QuitReason GetQuitReason();

}  // namespace keel
