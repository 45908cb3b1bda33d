// SpinLock: a one-word test-and-test-and-set lock for shared memory, guarding a few
// instructions only. Algorithm, backoff and invariants (S1-S5): storage/lmgr/README.md.
#pragma once

#include <atomic>
#include <cstdint>
#include <source_location>
#include <type_traits>

namespace keel::storage {

// Lives in shared memory (or anywhere); zero bytes are an unlocked lock, so a zero-filled
// region needs no Init(). Never throw, allocate, sleep on I/O or take another lock while
// holding one (S1); a holder that dies leaves it locked and waiters PANIC after ~60 s (S4).
struct SpinLock {
  std::atomic<uint32_t> locked;  // 0 free, 1 held; changed only by the atomic operations below

  void Init() { locked.store(0, std::memory_order_relaxed); }

  // Acquire ordering on success (S2). Never blocks.
  [[nodiscard]] bool TryLock() {
    // Test before test-and-set: a failed exchange would still pull the cache line exclusive.
    return locked.load(std::memory_order_relaxed) == 0 &&
           locked.exchange(1, std::memory_order_acquire) == 0;
  }

  // Spins with `pause`, then sleeps with exponential backoff; PANICs ("stuck spinlock
  // detected") when the lock stays held for about a minute (S4). `where` names the caller in
  // that message.
  void Lock(std::source_location where = std::source_location::current()) {
    if (!TryLock()) LockSlow(where);
  }

  // Requires: held by the caller. Release ordering (S2).
  void Unlock() { locked.store(0, std::memory_order_release); }

  // For assertions only: another process may change it at any moment.
  [[nodiscard]] bool IsLocked() const { return locked.load(std::memory_order_relaxed) != 0; }

 private:
  void LockSlow(std::source_location where);
};
static_assert(std::is_standard_layout_v<SpinLock> && std::is_trivially_destructible_v<SpinLock>);
static_assert(sizeof(SpinLock) == 4 && std::atomic<uint32_t>::is_always_lock_free);

// Holds a SpinLock for one scope. Not movable: the scope is the critical section.
class SpinLockGuard {
 public:
  explicit SpinLockGuard(SpinLock* lock,
                         std::source_location where = std::source_location::current())
      : lock_(lock) {
    lock_->Lock(where);
  }
  ~SpinLockGuard() { lock_->Unlock(); }
  SpinLockGuard(const SpinLockGuard&) = delete;
  SpinLockGuard& operator=(const SpinLockGuard&) = delete;

 private:
  SpinLock* lock_;
};

#ifdef KEEL_DEBUG
// Test-only: how long Lock() waits before declaring the lock stuck (default 60 000 ms).
void TestOnlySetSpinLockStuckTimeoutMs(int64_t timeout_ms);
#endif

}  // namespace keel::storage
