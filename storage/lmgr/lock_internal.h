// Shared-memory layout of the heavyweight lock table, shared by lock.cpp and deadlock.cpp.
// Not for other modules. Invariants H1-H10: storage/lmgr/README.md ("Heavyweight locks").
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <type_traits>

#include "storage/lmgr/lock.h"
#include "storage/lmgr/lwlock.h"
#include "storage/lmgr/spinlock.h"

namespace keel::storage::lockint {

inline constexpr int32_t kNone = -1;

[[nodiscard]] constexpr uint32_t ModeBit(LockMode mode) {
  return 1u << static_cast<unsigned>(mode);
}
// Bitmask of the modes that conflict with `mode`.
[[nodiscard]] uint32_t ConflictMask(LockMode mode);

// One lockable object in use (H1). Guarded by its partition's LWLock.
struct LockObject {
  LockTag tag;
  uint32_t granted[kNumLockModes + 1];  // holders per mode
  uint32_t grant_mask;                  // bit m set iff granted[m] > 0 (H4)
  int32_t hash_next;                    // next in the bucket chain, or in the free list
  int32_t proclock_head;                // per-process entries of this lock
  int32_t wait_head;                    // proc index of the first waiter (FIFO, H5)
  int32_t in_use;                       // 1 while in a bucket chain
  uint32_t partition;                   // constant while in use
};
static_assert(std::is_standard_layout_v<LockObject> &&
              std::is_trivially_destructible_v<LockObject>);

// One (lock, process) pair: the modes the process holds on the lock. Exists while the
// process holds a mode or waits on the lock (H1). Guarded by the lock's partition LWLock.
struct ProcLock {
  int32_t lock_idx;
  int32_t proc_idx;
  uint32_t held_mask;
  int32_t next;  // next entry of the same lock, or in the free list
};
static_assert(std::is_standard_layout_v<ProcLock> && std::is_trivially_destructible_v<ProcLock>);

enum WaitStatus : uint32_t { kNotWaiting = 0, kWaiting = 1, kGranted = 2 };

// Per proc slot (same index). wait_* fields are guarded by the partition LWLock of the lock
// waited on; wait_status is also read by the owner without it (H8).
struct LockProcState {
  std::atomic<uint32_t> wait_status;
  int32_t wait_lock;      // LockObject index, or kNone
  int32_t wait_proclock;  // this process's ProcLock on that lock
  int32_t wait_next;      // next waiter on the same lock
  LockMode wait_mode;
  uint8_t padding[3];
};
static_assert(std::is_standard_layout_v<LockProcState> &&
              std::is_trivially_destructible_v<LockProcState>);

struct alignas(64) LockPartition {
  LwLock lock;
};

// Header of the "lock table" structure; the arrays follow it in the same allocation.
struct LockTableHeader {
  int32_t num_procs;
  int32_t num_locks;
  int32_t num_proclocks;
  int32_t buckets_per_partition;  // power of two
  SpinLock free_lock;             // guards the two free lists and counters below (S1)
  int32_t free_lock_head;
  int32_t free_proclock_head;
  int32_t locks_in_use;
  int32_t proclocks_in_use;
  LockPartition partitions[kNumLockPartitions];
};
static_assert(std::is_standard_layout_v<LockTableHeader> &&
              std::is_trivially_destructible_v<LockTableHeader>);

// Process-local pointers into the table, set by LockShmemInit (inherited by children).
struct LockTable {
  LockTableHeader* header = nullptr;
  int32_t* buckets = nullptr;  // [kNumLockPartitions * buckets_per_partition]
  LockObject* locks = nullptr;
  ProcLock* proclocks = nullptr;
  LockProcState* procs = nullptr;
};
LockTable& Table();

// Grants every waiter of the lock that has become grantable and wakes it (H5, H6).
// Requires: the lock's partition LWLock (or all of them) held exclusively.
void WakeWaiters(int32_t lock_idx);

// Takes proc `me` out of the wait queue it is in (idempotent); true when it had been granted
// meanwhile and so holds the lock. Requires: that lock's partition LWLock (or all) held.
[[nodiscard]] bool RemoveFromWaitQueueLocked(int32_t me);

// Deadlock detector (deadlock.cpp). Requires: every partition LWLock held exclusively by this
// process, which waits (wait_status kWaiting) as proc `me`. Returns true on a cycle through
// `me` and sets `*detail` to PostgreSQL's per-edge lines.
[[nodiscard]] bool FindDeadlock(int32_t me, std::string* detail);

}  // namespace keel::storage::lockint
