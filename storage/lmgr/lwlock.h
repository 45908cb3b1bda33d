// LwLock: a shared/exclusive lock in shared memory whose waiters sleep on a futex on the
// lock's state word. Content locks guard data structures for short periods; they are not
// part of deadlock detection. State word, wake protocol, invariants L1-L8 and lock-order
// rules: storage/lmgr/README.md.
#pragma once

#include <atomic>
#include <cstdint>
#include <type_traits>
#include <utility>

namespace keel::storage {

enum class LwLockMode : uint8_t { kShared, kExclusive };

// Tranche ids name groups of LWLocks for diagnostics. Built-in ones are listed here;
// modules may register more (LwLockRegisterTranche) from kFirstUserTranche on.
namespace lwtranche {
inline constexpr uint16_t kMain = 0;  // individually named locks; the default
inline constexpr uint16_t kBufferContent = 1;
inline constexpr uint16_t kBufferMapping = 2;
inline constexpr uint16_t kWalInsert = 3;
inline constexpr uint16_t kWalWrite = 4;
inline constexpr uint16_t kProcArray = 5;
inline constexpr uint16_t kLockManager = 6;
inline constexpr uint16_t kPredicateLockManager = 7;
inline constexpr uint16_t kXactSlru = 8;
inline constexpr uint16_t kSubtransSlru = 9;
inline constexpr uint16_t kCommitTsSlru = 10;
inline constexpr uint16_t kSInvalQueue = 11;
inline constexpr uint16_t kReplicationSlot = 12;
inline constexpr uint16_t kCheckpoint = 13;
inline constexpr uint16_t kTwoPhaseState = 14;
inline constexpr uint16_t kMultiXactGen = 15;
inline constexpr uint16_t kMultiXactOffsetSlru = 16;
inline constexpr uint16_t kMultiXactMemberSlru = 17;
inline constexpr uint16_t kFirstUserTranche = 64;
inline constexpr uint16_t kMaxTranches = 256;
}  // namespace lwtranche

// Lives in shared memory; all fields zero is a valid, unlocked lock of tranche kMain.
// Not recursive: a process never acquires a lock it already holds, in either mode (L5).
struct LwLock {
  // bits 0-23 shared holders | bit 24 exclusive | bit 25 writer waiting | bit 26 sleepers.
  // Changed only by atomic read-modify-writes; futex waiters sleep on this word (L1-L4).
  std::atomic<uint32_t> state;
  uint16_t tranche;  // constant after Init()
  uint16_t padding;

  // Requires: no process uses the lock yet (set-up time, before any fork).
  void Init(uint16_t tranche_id);

  // Blocks (sleeping, not spinning) until the lock is granted, then records it in this
  // process's held-locks list. Throws keel::Error XX000 "too many LWLocks taken" before
  // touching the lock when the list is full (kMaxHeldLwLocks).
  // Requires: the caller does not hold this lock (L5); no spinlock held; not in a signal handler.
  void Acquire(LwLockMode mode);

  // Never blocks: true when granted (and recorded), false when it would have to wait.
  // A shared TryAcquire also fails while an exclusive waiter is queued (L3).
  // Throws like Acquire when the held-locks list is full.
  [[nodiscard]] bool TryAcquire(LwLockMode mode);

  // Requires: held by this process. Wakes all sleepers when the lock becomes free (L4).
  // PANICs when the lock is not in this process's held list (shared state would be wrong).
  void Release();

  // Whether this process holds the lock (in any mode / in `mode`). Scans the short held list.
  [[nodiscard]] bool HeldByMe() const;
  [[nodiscard]] bool HeldByMeInMode(LwLockMode mode) const;
};
static_assert(std::is_standard_layout_v<LwLock> && std::is_trivially_destructible_v<LwLock>);
static_assert(sizeof(LwLock) == 8 && std::atomic<uint32_t>::is_always_lock_free);

// As PostgreSQL: at most this many LWLocks held at once by one process.
inline constexpr int kMaxHeldLwLocks = 200;

// Releases every LWLock this process holds, newest first. Called after an error (the backend
// loop's abort path) and on process exit. Safe to call when none is held.
void ReleaseAllLwLocks();

// Number of LWLocks this process holds.
[[nodiscard]] int NumHeldLwLocks();

// Forgets the held-locks list inherited from the parent. Every process calls it right after
// fork (process start-up does, see storage/ipc/process_context.h); the locks themselves are
// not touched: a forking process never holds any (L8).
void LwLockResetAfterFork();

// Diagnostic name of a tranche ("BufferContent", ...); "unknown" for unregistered ids.
// Never nullptr.
[[nodiscard]] const char* LwLockTrancheName(uint16_t tranche);

// Names a user tranche for diagnostics in this process (and its children forked later).
// Requires: kFirstUserTranche <= tranche < kMaxTranches; `name` lives as long as the process.
void LwLockRegisterTranche(uint16_t tranche, const char* name);

// Holds an LWLock for a scope; move-only. The destructor releases the lock only if this
// process still holds it, so a ReleaseAllLwLocks() in an error path that ran first is harmless.
class [[nodiscard]] LwLockGuard {
 public:
  LwLockGuard() = default;
  // Acquires `lock` in `mode` (see LwLock::Acquire for errors).
  LwLockGuard(LwLock* lock, LwLockMode mode) : lock_(lock) { lock_->Acquire(mode); }
  // Adopts a lock this process already holds (e.g. after a successful TryAcquire).
  static LwLockGuard Adopt(LwLock* lock) {
    LwLockGuard guard;
    guard.lock_ = lock;
    return guard;
  }
  ~LwLockGuard() { Reset(); }

  LwLockGuard(LwLockGuard&& other) noexcept : lock_(std::exchange(other.lock_, nullptr)) {}
  LwLockGuard& operator=(LwLockGuard&& other) noexcept {
    if (this != &other) {
      Reset();
      lock_ = std::exchange(other.lock_, nullptr);
    }
    return *this;
  }
  LwLockGuard(const LwLockGuard&) = delete;
  LwLockGuard& operator=(const LwLockGuard&) = delete;

  // Releases now (if still held); the guard becomes empty.
  void Reset() {
    if (lock_ != nullptr && lock_->HeldByMe()) lock_->Release();
    lock_ = nullptr;
  }
  [[nodiscard]] bool owns_lock() const { return lock_ != nullptr; }

 private:
  LwLock* lock_ = nullptr;
};

}  // namespace keel::storage
