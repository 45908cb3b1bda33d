// LwLock acquire/release over one atomic state word, futex sleeping, the per-process list
// of held locks, and tranche names. See storage/lmgr/README.md (L1-L8).
#include "storage/lmgr/lwlock.h"

#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <climits>

#include "backend/utils/error/error.h"

namespace keel::storage {
namespace {

constexpr uint32_t kSharedMask = (1u << 24) - 1;  // number of shared holders
constexpr uint32_t kExclusiveBit = 1u << 24;
constexpr uint32_t kWriterWaitingBit = 1u << 25;  // L3: blocks new shared acquisitions
constexpr uint32_t kSleepersBit = 1u << 26;       // L4: someone sleeps (or is about to)

[[nodiscard]] bool IsFree(uint32_t state) {
  return (state & (kSharedMask | kExclusiveBit)) == 0;
}

// Whether `mode` can be granted in `state` right now (L2, L3).
[[nodiscard]] bool CanGrant(uint32_t state, LwLockMode mode) {
  if (mode == LwLockMode::kExclusive) return IsFree(state);
  return (state & (kExclusiveBit | kWriterWaitingBit)) == 0 &&
         (state & kSharedMask) != kSharedMask;
}

// The state after granting `mode` in `state` (which CanGrant accepted).
[[nodiscard]] uint32_t Granted(uint32_t state, LwLockMode mode) {
  // An exclusive grant clears "writer waiting": every sleeper was woken by the release that
  // freed the lock, and writers still waiting set the bit again before they sleep (L3).
  if (mode == LwLockMode::kExclusive) return (state | kExclusiveBit) & ~kWriterWaitingBit;
  return state + 1;
}

// Not FUTEX_PRIVATE: the word is in a MAP_SHARED region used by many processes (L1).
void FutexWait(std::atomic<uint32_t>* word, uint32_t expected) {
  // EAGAIN (the word changed), EINTR (a signal) and spurious wake-ups all mean "look again".
  syscall(SYS_futex, reinterpret_cast<uint32_t*>(word), FUTEX_WAIT, expected, nullptr,
          nullptr, 0);
}

void FutexWakeAll(std::atomic<uint32_t>* word) {
  syscall(SYS_futex, reinterpret_cast<uint32_t*>(word), FUTEX_WAKE, INT_MAX, nullptr, nullptr,
          0);
}
static_assert(sizeof(std::atomic<uint32_t>) == sizeof(uint32_t));

// L6: this process's held locks, in acquisition order. Process-local memory; inherited by a
// fork and then reset by LwLockResetAfterFork().
struct HeldLwLock {
  LwLock* lock;
  LwLockMode mode;
};
HeldLwLock held_locks[kMaxHeldLwLocks];
int num_held_locks = 0;

void CheckRoomForOneMore() {
  if (num_held_locks >= kMaxHeldLwLocks) {
    throw keel::Error(keel::sqlstate::kInternalError, "too many LWLocks taken");
  }
}

void Remember(LwLock* lock, LwLockMode mode) { held_locks[num_held_locks++] = {lock, mode}; }

const char* tranche_names[lwtranche::kMaxTranches] = {
    "main",           "BufferContent", "BufferMapping", "WALInsert",  "WALWrite",
    "ProcArray",      "LockManager",   "PredicateLockManager",       "XactSLRU",
    "SubtransSLRU",   "CommitTsSLRU",  "SInvalQueue",   "ReplicationSlot", "Checkpoint",
    "TwoPhaseState",  "MultiXactGen",  "MultiXactOffsetSLRU",        "MultiXactMemberSLRU",
};

}  // namespace

void LwLock::Init(uint16_t tranche_id) {
  state.store(0, std::memory_order_relaxed);
  tranche = tranche_id;
  padding = 0;
}

void LwLock::Acquire(LwLockMode mode) {
  KEEL_ASSERT(!HeldByMe());  // L5
  CheckRoomForOneMore();     // throw before the lock is touched
  uint32_t state_now = state.load(std::memory_order_relaxed);
  for (;;) {
    if (CanGrant(state_now, mode)) {
      // L2: acquire ordering pairs with the release CAS of the previous holder.
      if (state.compare_exchange_weak(state_now, Granted(state_now, mode),
                                      std::memory_order_acquire, std::memory_order_relaxed)) {
        break;
      }
      continue;  // state_now was reloaded by the failed CAS
    }
    // Must wait. Announce ourselves in the word we sleep on, so the release that frees the
    // lock sees the sleepers bit in its own read-modify-write and wakes us (L4). The CAS
    // expects the lock held (state_now failed CanGrant), so a release in between makes it
    // fail and we look again instead of sleeping on a free lock.
    uint32_t announced = state_now | kSleepersBit;
    if (mode == LwLockMode::kExclusive) announced |= kWriterWaitingBit;
    if (announced != state_now &&
        !state.compare_exchange_weak(state_now, announced, std::memory_order_relaxed,
                                     std::memory_order_relaxed)) {
      continue;
    }
    // The kernel compares the word with `announced` atomically with queueing us: a release
    // after the CAS either changed the word (EAGAIN) or finds us queued.
    FutexWait(&state, announced);
    state_now = state.load(std::memory_order_relaxed);
  }
  Remember(this, mode);
}

bool LwLock::TryAcquire(LwLockMode mode) {
  KEEL_ASSERT(!HeldByMe());  // L5
  CheckRoomForOneMore();
  uint32_t state_now = state.load(std::memory_order_relaxed);
  while (CanGrant(state_now, mode)) {
    if (state.compare_exchange_weak(state_now, Granted(state_now, mode),
                                    std::memory_order_acquire, std::memory_order_relaxed)) {
      Remember(this, mode);
      return true;
    }
  }
  return false;
}

void LwLock::Release() {
  // Newest first: locks are usually released in reverse order of acquisition.
  int idx = num_held_locks - 1;
  while (idx >= 0 && held_locks[idx].lock != this) --idx;
  if (idx < 0) {
    keel::Panic("lock %s is not held", LwLockTrancheName(tranche));
  }
  const LwLockMode mode = held_locks[idx].mode;
  for (int i = idx; i + 1 < num_held_locks; ++i) held_locks[i] = held_locks[i + 1];
  --num_held_locks;

  uint32_t state_now = state.load(std::memory_order_relaxed);
  for (;;) {
    KEEL_ASSERT(mode == LwLockMode::kExclusive ? (state_now & kExclusiveBit) != 0
                                               : (state_now & kSharedMask) != 0);
    uint32_t released =
        mode == LwLockMode::kExclusive ? state_now & ~kExclusiveBit : state_now - 1;
    bool wake = false;
    if (IsFree(released) && (released & kSleepersBit) != 0) {
      // L4: the lock became free and someone sleeps: clear the bit and wake everybody; the
      // woken retry and those that still cannot proceed announce themselves again. "Writer
      // waiting" stays set so that a woken writer wins against new readers (L3).
      released &= ~kSleepersBit;
      wake = true;
    }
    if (state.compare_exchange_weak(state_now, released, std::memory_order_release,
                                    std::memory_order_relaxed)) {
      if (wake) FutexWakeAll(&state);
      return;
    }
  }
}

bool LwLock::HeldByMe() const {
  for (int i = 0; i < num_held_locks; ++i) {
    if (held_locks[i].lock == this) return true;
  }
  return false;
}

bool LwLock::HeldByMeInMode(LwLockMode mode) const {
  for (int i = 0; i < num_held_locks; ++i) {
    if (held_locks[i].lock == this && held_locks[i].mode == mode) return true;
  }
  return false;
}

void ReleaseAllLwLocks() {
  while (num_held_locks > 0) held_locks[num_held_locks - 1].lock->Release();
}

int NumHeldLwLocks() { return num_held_locks; }

void LwLockResetAfterFork() { num_held_locks = 0; }

const char* LwLockTrancheName(uint16_t tranche) {
  if (tranche >= lwtranche::kMaxTranches || tranche_names[tranche] == nullptr) return "unknown";
  return tranche_names[tranche];
}

void LwLockRegisterTranche(uint16_t tranche, const char* name) {
  KEEL_ASSERT(tranche >= lwtranche::kFirstUserTranche && tranche < lwtranche::kMaxTranches);
  KEEL_ASSERT(name != nullptr);
  if (tranche < lwtranche::kFirstUserTranche || tranche >= lwtranche::kMaxTranches) return;
  tranche_names[tranche] = name;
}

}  // namespace keel::storage
