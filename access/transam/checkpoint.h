// Checkpoints: the point from which crash recovery replays WAL. The checkpointer runs them
// on a timer, when max_wal_size worth of WAL has been written, on request, and at shutdown;
// the startup process runs the end-of-recovery one. Sequence and rules: README.md (K1-K7).
#pragma once

#include <cstddef>
#include <cstdint>

namespace keel::transam {

// Flags of a checkpoint (a request may combine several).
inline constexpr uint32_t kCheckpointShutdown = 1u << 0;       // last one before a clean stop
inline constexpr uint32_t kCheckpointEndOfRecovery = 1u << 1;  // after crash recovery
inline constexpr uint32_t kCheckpointImmediate = 1u << 2;      // no pacing
inline constexpr uint32_t kCheckpointForce = 1u << 3;          // even if nothing happened
inline constexpr uint32_t kCheckpointWait = 1u << 4;           // RequestCheckpoint waits
inline constexpr uint32_t kCheckpointCauseTime = 1u << 5;      // checkpoint_timeout elapsed
inline constexpr uint32_t kCheckpointCauseWal = 1u << 6;       // max_wal_size reached
inline constexpr uint32_t kCheckpointCauseRequest = 1u << 7;   // CHECKPOINT / a test

[[nodiscard]] size_t CheckpointerShmemSize();
void CheckpointerShmemInit();

// Performs a checkpoint in this process (the checkpointer, or the startup process at the end
// of recovery): fixes the redo pointer, writes every buffer dirty at that moment (spread over
// checkpoint_completion_target unless immediate), fsyncs the files written since the last
// checkpoint, inserts and flushes the checkpoint record, and updates the control file (K1-K4).
// Throws on I/O errors before the record is written; the previous checkpoint then stays valid.
void CreateCheckpoint(uint32_t flags);

// Any process: asks the checkpointer for a checkpoint; with kCheckpointWait, returns only after
// one that started after the request has completed (throws if it failed). In a process without
// a postmaster (standalone, the test harness) it runs CreateCheckpoint itself (K10) and throws
// what that throws; under a postmaster whose checkpointer is not registered (yet) it throws
// 55006 "checkpoint request failed".
void RequestCheckpoint(uint32_t flags);

// --- checkpointer side ---
// Registers the calling process as the checkpointer (its latch is woken by requests).
void CheckpointerRegister();
// Takes and clears the pending request flags (0 when none).
[[nodiscard]] uint32_t CheckpointerTakeRequest();
// Completed checkpoints so far (for waiters and tests).
[[nodiscard]] uint64_t CheckpointsCompleted();

}  // namespace keel::transam
