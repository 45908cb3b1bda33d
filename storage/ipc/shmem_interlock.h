// The shared-memory interlock: a tiny System V segment that every server process stays
// attached to, so a new postmaster can tell whether processes of an old server still run on
// the same data directory (even if the old postmaster is dead). Invariants I1-I5:
// storage/ipc/README.md.
#pragma once

#include <cstdint>
#include <string>

namespace keel::storage {

// Recorded in postmaster.pid (line 7, "key shmid").
struct InterlockId {
  int64_t key;
  int64_t shmid;
};

// Postmaster, before any fork. Creates a segment (shmget with a key derived from the data
// directory's inode, trying the next keys while taken; IPC_CREAT|IPC_EXCL, 0600), attaches
// it (children inherit the attachment through fork) and writes a header (magic, creator
// pid, data directory dev+inode). The segment is marked IPC_RMID right away, so the kernel
// destroys it when the last attached process exits or detaches (I1).
// Throws FATAL keel::Error: 58030 when the data directory cannot be stat'ed, 53000 when no
// segment can be created or attached.
[[nodiscard]] InterlockId CreateShmemInterlock(const std::string& data_dir);

enum class InterlockState : uint8_t {
  kGone,     // no such segment, or nobody attached: safe to start
  kInUse,    // a segment of this data directory with attached processes: refuse to start
  kNotOurs,  // the id names someone else's segment (id reused, another directory): ignore it
};

// For the id recorded by a previous postmaster. kInUse also when the state cannot be
// determined (an unexpected error), so the caller errs on the side of not starting (I3).
[[nodiscard]] InterlockState CheckShmemInterlock(InterlockId id, const std::string& data_dir);

// Clean shutdown: detaches this process from the segment (which the kernel then destroys
// once no process is attached). No-op when this process is not attached to `id`.
void ReleaseShmemInterlock(InterlockId id);
// Detaches this process's inherited attachment without removing the segment (a forked process
// that is not part of the server, e.g. in tests).
void ReleaseShmemInterlockInChild();

}  // namespace keel::storage
