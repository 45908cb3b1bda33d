// The slow path of SpinLock::Lock: spin, then back off with sleeps, then declare the lock
// stuck. See storage/lmgr/README.md (S3, S4).
#include "storage/lmgr/spinlock.h"

#include <time.h>
#include <unistd.h>

#include "backend/utils/error/error.h"

namespace keel::storage {
namespace {

// Spin this many rounds (each a read + pause) before the first sleep. About 10-50 us of
// spinning, longer than any legitimate critical section (S1).
constexpr int kSpinsBeforeSleep = 1000;
// Sleeps start here and double (with jitter) up to the cap. The cap stays short: a holder is
// usually a preempted process that runs again within one scheduler tick (~4 ms).
constexpr int64_t kMinDelayNs = 10'000;
constexpr int64_t kMaxDelayNs = 1'000'000;
constexpr int64_t kDefaultStuckTimeoutMs = 60'000;

int64_t stuck_timeout_ms = kDefaultStuckTimeoutMs;

inline void CpuRelax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  asm volatile("yield" ::: "memory");
#else
  std::atomic_signal_fence(std::memory_order_seq_cst);
#endif
}

int64_t MonotonicNs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

// xorshift32 jitter so processes that collided once do not wake in lock-step again.
uint32_t NextRandom(uint32_t* seed) {
  uint32_t x = *seed;
  x ^= x << 13;
  x ^= x >> 17;
  x ^= x << 5;
  *seed = x;
  return x;
}

}  // namespace

void SpinLock::LockSlow(std::source_location where) {
  // S3: test-and-test-and-set. Read until it looks free, then try the exchange.
  for (int spins = 0; spins < kSpinsBeforeSleep; ++spins) {
    if (TryLock()) return;
    CpuRelax();
  }
  const int64_t start_ns = MonotonicNs();
  uint32_t seed = static_cast<uint32_t>(getpid()) * 2654435761u | 1u;
  int64_t delay_ns = kMinDelayNs;
  for (;;) {
    if (TryLock()) return;
    const int64_t waited_ms = (MonotonicNs() - start_ns) / 1'000'000;
    if (waited_ms >= stuck_timeout_ms) {
      // S4: the holder died or is stuck with the lock; only a restart repairs shared memory.
      keel::Panic("stuck spinlock detected at %s, %s:%u", where.function_name(),
                  where.file_name(), static_cast<unsigned>(where.line()));
    }
    const int64_t sleep_ns = delay_ns + static_cast<int64_t>(NextRandom(&seed) % delay_ns);
    timespec ts{static_cast<time_t>(sleep_ns / 1'000'000'000),
                static_cast<long>(sleep_ns % 1'000'000'000)};
    nanosleep(&ts, nullptr);  // EINTR is fine: we only retry sooner
    delay_ns = delay_ns * 2 > kMaxDelayNs ? kMaxDelayNs : delay_ns * 2;
    // A few spins after each sleep: the holder may be just about to release.
    for (int spins = 0; spins < 100; ++spins) {
      if (TryLock()) return;
      CpuRelax();
    }
  }
}

#ifdef KEEL_DEBUG
void TestOnlySetSpinLockStuckTimeoutMs(int64_t timeout_ms) {
  stuck_timeout_ms = timeout_ms > 0 ? timeout_ms : kDefaultStuckTimeoutMs;
}
#endif

}  // namespace keel::storage
