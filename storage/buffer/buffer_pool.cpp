// Set-up of the buffer pool in shared memory, per-process access state, the header lock,
// the futex helpers and the statistics. See storage/buffer/README.md.
#include <linux/futex.h>
#include <sched.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <climits>
#include <functional>
#include <memory>
#include <new>

#include "backend/utils/error/error.h"
#include "backend/utils/error/format.h"
#include "backend/utils/error/log.h"
#include "backend/utils/init/process_exit.h"
#include "storage/buffer/buffer_internal.h"
#include "storage/buffer/buffer_table_internal.h"
#include "storage/ipc/shmem.h"

namespace keel::storage {

namespace bufpool {

SharedPool shared_pool;
LocalPool local_pool;

namespace {

// Owner of this process's private refcount array (B1); replaced by InitBufferPoolAccess.
std::unique_ptr<int32_t[]> private_refcount_owner;
WalNeedsFlushFn wal_needs_flush = nullptr;

constexpr size_t kPageAlignment = 4096;  // O_DIRECT-friendly page array

size_t DescriptorsSize(int n) { return MulSize(static_cast<size_t>(n), sizeof(BufferDesc)); }
size_t PagesSize(int n) {
  return AddSize(MulSize(static_cast<size_t>(n), kBlockSize), kPageAlignment);
}
size_t CheckpointListSize(int n) {
  return MulSize(static_cast<size_t>(n), sizeof(CheckpointItem));
}
// The mapping table never holds more than n entries (a victim loses its old entry before it
// gets the new one); the extra entries per partition are slack.
int TableEntries(int n) { return n + kBufferPartitions; }

void SpinDelay(int* spins) {
  if (++*spins < 1000) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    asm volatile("yield");
#endif
    return;
  }
  // The holder was probably preempted (2 cores, many processes): sleep a little. A header
  // held for a minute means its holder died or loops (shared memory is broken).
  if (*spins > 1000 + 600'000) Panic("stuck buffer header lock detected");
  timespec ts{0, 100'000};
  nanosleep(&ts, nullptr);
}

}  // namespace

void CheckBufferId(Buffer buffer) {
  if (buffer < 1 || buffer > shared_pool.n_buffers) {
    throw Error(sqlstate::kInternalError, Format("bad buffer ID: %d", buffer));
  }
}

uint32_t LockBufHdr(BufferDesc* desc) {
  int spins = 0;
  for (;;) {
    const uint32_t old = desc->state.fetch_or(kHeaderLocked, std::memory_order_acquire);
    if ((old & kHeaderLocked) == 0) return old | kHeaderLocked;
    while ((desc->state.load(std::memory_order_relaxed) & kHeaderLocked) != 0) SpinDelay(&spins);
  }
}

uint32_t WaitBufHdrUnlocked(BufferDesc* desc) {
  int spins = 0;
  uint32_t state = desc->state.load(std::memory_order_relaxed);
  while ((state & kHeaderLocked) != 0) {
    SpinDelay(&spins);
    state = desc->state.load(std::memory_order_relaxed);
  }
  return state;
}

// Not FUTEX_PRIVATE_FLAG: the word is in a MAP_SHARED region used by many processes.
void StateFutexWait(BufferDesc* desc, uint32_t seen) {
  // EAGAIN (the word changed), EINTR and spurious wake-ups all mean "look again".
  syscall(SYS_futex, reinterpret_cast<uint32_t*>(&desc->state), FUTEX_WAIT, seen, nullptr,
          nullptr, 0);
}

void StateFutexWakeAll(BufferDesc* desc) {
  syscall(SYS_futex, reinterpret_cast<uint32_t*>(&desc->state), FUTEX_WAKE, INT_MAX, nullptr,
          nullptr, 0);
}
static_assert(sizeof(std::atomic<uint32_t>) == sizeof(uint32_t));

LwLock* ExtensionLockFor(const RelFileLocator& rel) {
  const size_t h = std::hash<RelFileLocator>{}(rel);
  return &shared_pool.extension_locks[h % kExtensionLocks].lock;
}

bool WalNeedsFlush(Lsn lsn) {
  if (wal_needs_flush != nullptr) return wal_needs_flush(lsn);
  return lsn.valid();  // unknown: assume it does (B8)
}

}  // namespace bufpool

using namespace bufpool;  // NOLINT: this file implements the pool

size_t BufferPoolShmemSize(int n_buffers) {
  size_t size = DescriptorsSize(n_buffers);
  size = AddSize(size, PagesSize(n_buffers));
  size = AddSize(size, sizeof(BufferPoolControl));
  size = AddSize(size, MulSize(kStatsSlots, sizeof(StatsSlot)));
  size = AddSize(size, MulSize(kExtensionLocks, sizeof(PaddedLwLock)));
  size = AddSize(size, CheckpointListSize(n_buffers));
  size = AddSize(size, BufferTableShmemSize(TableEntries(n_buffers)));
  return size;
}

void BufferPoolShmemInit(int n_buffers) {
  if (n_buffers < 16) {
    throw Error(sqlstate::kInvalidParameterValue,
                Format("shared_buffers must be at least 16 pages (got %d)", n_buffers));
  }
  bool found_descs = false;
  bool found = false;
  shared_pool.n_buffers = n_buffers;
  shared_pool.descs = static_cast<BufferDesc*>(
      ShmemInitStruct("Buffer Descriptors", DescriptorsSize(n_buffers), &found_descs));
  auto* raw_pages =
      static_cast<std::byte*>(ShmemInitStruct("Buffer Blocks", PagesSize(n_buffers), &found));
  const uintptr_t p = reinterpret_cast<uintptr_t>(raw_pages);
  shared_pool.pages = raw_pages + ((kPageAlignment - p % kPageAlignment) % kPageAlignment);
  shared_pool.control = static_cast<BufferPoolControl*>(
      ShmemInitStruct("Buffer Pool Control", sizeof(BufferPoolControl), &found));
  shared_pool.stats = static_cast<StatsSlot*>(
      ShmemInitStruct("Buffer Statistics", kStatsSlots * sizeof(StatsSlot), &found));
  shared_pool.extension_locks = static_cast<PaddedLwLock*>(
      ShmemInitStruct("Buffer Extension Locks", kExtensionLocks * sizeof(PaddedLwLock), &found));
  shared_pool.checkpoint_items = static_cast<CheckpointItem*>(
      ShmemInitStruct("Buffer Checkpoint List", CheckpointListSize(n_buffers), &found));
  BufferTableShmemInit(TableEntries(n_buffers));
  if (found_descs) return;  // attached to an existing pool

  for (int i = 0; i < n_buffers; ++i) {
    BufferDesc* desc = new (&shared_pool.descs[i]) BufferDesc{};
    desc->buf_id = i;
    desc->state.store(0, std::memory_order_relaxed);
    desc->wait_backend_pid = 0;
    desc->content_lock.Init(lwtranche::kBufferContent);
  }
  BufferPoolControl* control = new (shared_pool.control) BufferPoolControl{};
  control->n_buffers = n_buffers;
  for (int i = 0; i < kStatsSlots; ++i) new (&shared_pool.stats[i]) StatsSlot{};
  // TODO(issue 3): a dedicated "RelationExtension" tranche once lwlock.h names one.
  for (int i = 0; i < kExtensionLocks; ++i) {
    shared_pool.extension_locks[i].lock.Init(lwtranche::kMain);
  }
}

void InitBufferPoolAccess() {
  KEEL_ASSERT(shared_pool.n_buffers > 0);
  // A child forgets the pins of the process it was forked from (B1: those are the parent's).
  private_refcount_owner = std::make_unique<int32_t[]>(static_cast<size_t>(shared_pool.n_buffers));
  local_pool.private_refcount = private_refcount_owner.get();
  local_pool.pinned_buffers = 0;
  BumpBufferPinEpoch();  // B13: pin owners copied from the parent must not release
  local_pool.stats = &shared_pool.stats[static_cast<unsigned>(getpid()) % kStatsSlots];
  // B2: a process that leaves (even by FATAL) gives its pins back, or its buffers could never
  // be replaced again. Registered once per process (a child forgets its parent's cleanups).
  static pid_t registered_for = 0;
  if (registered_for != getpid()) {
    registered_for = getpid();
    OnProcessExit([] {
      const int leaked = ReleaseAllBufferPins();
      if (leaked > 0) Log(Severity::kWarning, "%d buffer pins leaked at process exit", leaked);
    });
  }
}

void SetWalFlushFunction(WalFlushFn fn) { local_pool.wal_flush = fn; }
void SetWalNeedsFlushFunction(WalNeedsFlushFn fn) { wal_needs_flush = fn; }

BufferPoolStats GetBufferPoolStats() {
  BufferPoolStats total{};
  for (int i = 0; i < kStatsSlots; ++i) {
    const StatsSlot& s = shared_pool.stats[i];
    total.hits += s.hits.load(std::memory_order_relaxed);
    total.misses += s.misses.load(std::memory_order_relaxed);
    total.reads += s.reads.load(std::memory_order_relaxed);
    total.writes += s.writes.load(std::memory_order_relaxed);
    total.extends += s.extends.load(std::memory_order_relaxed);
    total.writes_by_backend += s.writes_by_backend.load(std::memory_order_relaxed);
    total.writes_by_bgwriter += s.writes_by_bgwriter.load(std::memory_order_relaxed);
    total.writes_by_checkpoint += s.writes_by_checkpoint.load(std::memory_order_relaxed);
  }
  return total;
}

int NBuffers() { return shared_pool.n_buffers; }

}  // namespace keel::storage
