// Writing and flushing the WAL buffers: WalFlush (group commit on the WAL write lock), the WAL
// writer's background round, asynchronous-commit targets, and the write loop with segment
// switches and fsyncs. See README.md (W15-W17).
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <ctime>
#include <string>

#include "access/transam/wal.h"
#include "access/transam/wal_format_internal.h"
#include "access/transam/wal_shared_internal.h"
#include "backend/utils/config/settings.h"
#include "backend/utils/error/error.h"
#include "backend/utils/error/format.h"
#include "storage/file/file_io.h"
#include "storage/ipc/latch.h"

namespace keel::transam {

using internal::wal_shared;
using namespace internal;  // NOLINT: the format constants are this file's vocabulary

namespace {

// This process's open segment for writing (W15): one descriptor, reopened on a segment switch
// or when wal_sync_method changes the open flags.
struct OpenWriteSegment {
  uint64_t segno = ~uint64_t{0};
  TimeLineId timeline = 0;
  int flags = 0;
  int fd = -1;
  std::string path;
};
OpenWriteSegment open_segment;

[[nodiscard]] bool SyncByOpenFlags() {
  return settings::wal_sync_method == settings::WalSyncMethod::kOpenSync ||
         settings::wal_sync_method == settings::WalSyncMethod::kOpenDatasync;
}

[[nodiscard]] int SyncOpenFlags() {
  if (!settings::fsync) return 0;
  switch (settings::wal_sync_method) {
    case settings::WalSyncMethod::kOpenSync: return O_SYNC;
    case settings::WalSyncMethod::kOpenDatasync: return O_DSYNC;
    default: return 0;
  }
}

[[nodiscard]] uint64_t NowUs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1'000'000 + static_cast<uint64_t>(ts.tv_nsec) / 1000;
}

// fsync / fdatasync per wal_sync_method; nothing with fsync = off or an O_SYNC/O_DSYNC method
// (the writes were synchronous already). A failure PANICs (W16).
void SyncSegment(int fd, const std::string& path) {
  if (!settings::fsync || SyncByOpenFlags()) return;
  const uint64_t start_us = NowUs();
  const int rc = settings::wal_sync_method == settings::WalSyncMethod::kFsync
                     ? storage::FileSync(fd)
                     : storage::FileDataSync(fd);
  if (rc != 0) storage::PanicOnFsyncFailure(path, errno);
  wal_shared->stats.syncs.fetch_add(1, std::memory_order_relaxed);
  wal_shared->stats.sync_time_us.fetch_add(NowUs() - start_us, std::memory_order_relaxed);
}

void WriteUpToImpl(uint64_t upto, bool flush) {
  WalShared* w = wal_shared;
  const TimeLineId timeline = w->timeline.load(std::memory_order_relaxed);
  const auto n_buffers = static_cast<uint64_t>(w->n_buffers);
  uint64_t written = w->write_pos.load(std::memory_order_relaxed);
  if (upto > written) {
    uint64_t page = PageStart(written);
    const uint64_t end_page = PageStart(upto + kWalPageSize - 1);
    while (page < end_page) {
      // One write per run of pages that are contiguous in the buffers and in one segment.
      const uint64_t segno = page / kWalSegmentSize;
      const uint64_t idx = (page / kWalPageSize) % n_buffers;
      uint64_t run = 1;
      while (page + run * kWalPageSize < end_page && idx + run < n_buffers &&
             (page + run * kWalPageSize) / kWalSegmentSize == segno) {
        ++run;
      }
      for (uint64_t i = 0; i < run; ++i) {
        KEEL_ASSERT(w->page_address[idx + i].load(std::memory_order_acquire) ==
                    page + i * kWalPageSize);
      }
      std::string path;
      const int fd = OpenSegmentForWrite(segno, timeline, &path);
      const size_t bytes = run * kWalPageSize;
      const bool sync_write = settings::fsync && SyncByOpenFlags();
      const uint64_t start_us = sync_write ? NowUs() : 0;
      const ssize_t rc = storage::FileWriteAt(fd, w->pages + idx * kWalPageSize, bytes,
                                              static_cast<off_t>(page % kWalSegmentSize));
      if (rc != static_cast<ssize_t>(bytes)) {
        if (rc >= 0) errno = ENOSPC;
        Panic("could not write to log file %s at offset %llu, length %zu: %s", path.c_str(),
              static_cast<unsigned long long>(page % kWalSegmentSize), bytes,
              ErrnoText(errno).c_str());
      }
      w->stats.writes.fetch_add(1, std::memory_order_relaxed);
      if (sync_write) {
        // O_SYNC / O_DSYNC: the write was the sync; count it as one (as pg_stat_wal does).
        w->stats.syncs.fetch_add(1, std::memory_order_relaxed);
        w->stats.sync_time_us.fetch_add(NowUs() - start_us, std::memory_order_relaxed);
      }
      page += bytes;
      // W15: a finished segment is made durable at once, so a later flush only ever has to
      // fsync the segment holding its target.
      if (page % kWalSegmentSize == 0) SyncSegment(fd, path);
    }
    written = upto;
    w->write_pos.store(written, std::memory_order_release);
  }
  if (flush && w->flush_pos.load(std::memory_order_relaxed) < written) {
    if (written % kWalSegmentSize != 0) {
      std::string path;
      const int fd = OpenSegmentForWrite(written / kWalSegmentSize, timeline, &path);
      SyncSegment(fd, path);
    }
    w->flush_pos.store(written, std::memory_order_release);
    w->stats.flushes_done.fetch_add(1, std::memory_order_relaxed);
  }
}

// Holds write_lock; releasing it wakes the WalFlush callers sleeping on write_release_seq
// (W16). Every holder of write_lock uses this, so no waiter sleeps through a release.
class WriteLockGuard {
 public:
  // Blocks until the lock is granted.
  WriteLockGuard() { wal_shared->write_lock.Acquire(storage::LwLockMode::kExclusive); }
  // Adopts a lock this process just got with TryAcquire.
  struct AdoptTag {};
  explicit WriteLockGuard(AdoptTag) {}
  ~WriteLockGuard() {
    WalShared* w = wal_shared;
    w->write_lock.Release();
    // seq_cst with the waiters' increment-then-recheck: no lost wake-up.
    w->write_release_seq.fetch_add(1, std::memory_order_seq_cst);
    if (w->write_waiters.load(std::memory_order_seq_cst) != 0) FutexWakeAll(&w->write_release_seq);
  }
  WriteLockGuard(const WriteLockGuard&) = delete;
  WriteLockGuard& operator=(const WriteLockGuard&) = delete;
};

// Counts processes inside WalFlush, for commit_siblings.
class FlusherCount {
 public:
  FlusherCount() { wal_shared->flushers.fetch_add(1, std::memory_order_relaxed); }
  ~FlusherCount() { wal_shared->flushers.fetch_sub(1, std::memory_order_relaxed); }
  FlusherCount(const FlusherCount&) = delete;
  FlusherCount& operator=(const FlusherCount&) = delete;
};

}  // namespace

namespace internal {

int OpenSegmentForWrite(uint64_t segno, TimeLineId timeline, std::string* path) {
  const int flags = O_RDWR | SyncOpenFlags();
  if (open_segment.fd >= 0 && open_segment.segno == segno && open_segment.timeline == timeline &&
      open_segment.flags == flags) {
    *path = open_segment.path;
    return open_segment.fd;
  }
  CloseWalSegmentForWrite();
  std::string name = WalSegmentFileName(timeline, segno);
  int fd = storage::FileOpen(name, flags);
  if (fd < 0 && errno == ENOENT) {
    // W18: not pre-created by recycling: make a fresh zero-filled one.
    WalCreateSegment(".", timeline, segno);
    fd = storage::FileOpen(name, flags);
  }
  if (fd < 0) {
    const int saved = errno;
    throw Error(sqlstate::kIoError,
                Format("could not open file \"%s\": %s", name.c_str(), ErrnoText(saved).c_str()));
  }
  open_segment = OpenWriteSegment{segno, timeline, flags, fd, name};
  *path = std::move(name);
  return fd;
}

void CloseWalSegmentForWrite() {
  if (open_segment.fd >= 0) close(open_segment.fd);
  open_segment = OpenWriteSegment{};
}

void WriteUpTo(uint64_t upto, bool flush) noexcept {
  // Any failure here leaves the log in an unknown state: PANIC, recovery redoes from WAL.
  try {
    WriteUpToImpl(upto, flush);
  } catch (const Error& e) {
    Panic("%s", e.message().c_str());
  } catch (const std::exception& e) {
    Panic("could not write WAL: %s", e.what());
  }
}

void WriteOldPages(uint64_t upto) noexcept {
  WalShared* w = wal_shared;
  // Not holding write_lock or buf_mapping_lock here: the insertions we wait for never wait for
  // us (W13).
  (void)WaitInsertionsToFinish(upto);
  try {
    WriteLockGuard guard;
    if (w->write_pos.load(std::memory_order_relaxed) < upto) WriteUpTo(upto, false);
  } catch (const std::exception& e) {
    Panic("could not write WAL: %s", e.what());
  }
}

}  // namespace internal

void WalFlush(Lsn up_to) {
  WalShared* w = wal_shared;
  // During recovery nothing is inserted and the log being replayed is on disk already.
  if (w == nullptr || w->inserting_allowed.load(std::memory_order_acquire) == 0) return;
  uint64_t target = up_to.value();
  if (w->flush_pos.load(std::memory_order_acquire) >= target) return;  // W16 fast path
  w->stats.flush_requests.fetch_add(1, std::memory_order_relaxed);
  FlusherCount counted;
  target = ClampOutOfHeader(std::min(target, ReservedEnd()));
  // Every record before the target must be in the buffers before it can be written. This
  // waits without the write lock held (W12, W13).
  const uint64_t finished = WaitInsertionsToFinish(target);
  for (;;) {
    if (w->flush_pos.load(std::memory_order_acquire) >= target) return;
    const uint32_t seq = w->write_release_seq.load(std::memory_order_seq_cst);
    if (w->write_lock.TryAcquire(storage::LwLockMode::kExclusive)) {
      WriteLockGuard guard{WriteLockGuard::AdoptTag{}};
      if (w->flush_pos.load(std::memory_order_acquire) >= target) return;
      if (settings::commit_delay_us > 0 && settings::fsync &&
          static_cast<int>(w->flushers.load(std::memory_order_relaxed)) >=
              settings::commit_siblings) {
        // commit_delay: give other committers a moment to insert, then flush for them too.
        timespec ts{0, static_cast<long>(settings::commit_delay_us) * 1000};
        nanosleep(&ts, nullptr);
      }
      // Group commit: everything completely inserted by now goes out with this one fsync. We
      // never wait for insertions here (an inserter may need the write lock to free a buffer).
      WriteUpTo(std::max(finished, FinishedInsertionsNow()), true);
      return;
    }
    // W16, PostgreSQL's LWLockAcquireOrWait: someone is writing, probably our record too.
    // Sleep until the write lock is released, then re-check instead of queueing for the lock:
    // a committer whose record went out with that flush returns without taking it at all.
    w->write_waiters.fetch_add(1, std::memory_order_seq_cst);
    if (w->write_release_seq.load(std::memory_order_seq_cst) == seq) {
      FutexWait(&w->write_release_seq, seq, 100);
    }
    w->write_waiters.fetch_sub(1, std::memory_order_seq_cst);
  }
}

bool WalNeedsFlush(Lsn lsn) {
  WalShared* w = wal_shared;
  if (w == nullptr || w->inserting_allowed.load(std::memory_order_acquire) == 0) return false;
  return lsn.value() > w->flush_pos.load(std::memory_order_acquire);
}

void WalSetAsyncFlushTarget(Lsn lsn) {
  WalShared* w = wal_shared;
  if (w == nullptr) return;
  uint64_t current = w->async_target.load(std::memory_order_relaxed);
  while (current < lsn.value() &&
         !w->async_target.compare_exchange_weak(current, lsn.value(), std::memory_order_acq_rel)) {
  }
  // W17: wake the WAL writer once a whole page of asynchronously committed WAL is waiting.
  if (PageStart(lsn.value()) > w->flush_pos.load(std::memory_order_acquire)) {
    auto* latch = reinterpret_cast<storage::Latch*>(
        w->walwriter_latch.load(std::memory_order_acquire));
    if (latch != nullptr) storage::SetLatch(latch);
  }
}

bool WalBackgroundFlush() {
  WalShared* w = wal_shared;
  if (w == nullptr || w->inserting_allowed.load(std::memory_order_acquire) == 0) return true;
  const uint64_t flushed = w->flush_pos.load(std::memory_order_acquire);
  const uint64_t written = w->write_pos.load(std::memory_order_acquire);
  const uint64_t async = w->async_target.load(std::memory_order_acquire);
  const uint64_t flush_after_bytes =
      static_cast<uint64_t>(std::max(settings::wal_writer_flush_after_pages, 0)) * kWalPageSize;
  bool flush = async > flushed;
  // Whole pages only, unless an asynchronous commit is waiting (W17).
  uint64_t target = flush ? async : PageStart(ReservedEnd());
  if (!flush && target <= written) {
    if (written <= flushed) return true;
    // Written but not yet durable: flush once wal_writer_flush_after worth has piled up.
    if (written - flushed < flush_after_bytes) return true;
    flush = true;
    target = written;
  }
  const uint64_t finished = WaitInsertionsToFinish(target);
  WriteLockGuard guard;
  const uint64_t upto = flush ? std::max(finished, target) : target;
  if (!flush) flush = upto - w->flush_pos.load(std::memory_order_relaxed) >= flush_after_bytes;
  if (w->write_pos.load(std::memory_order_relaxed) >= upto &&
      (!flush || w->flush_pos.load(std::memory_order_relaxed) >= upto)) {
    return false;
  }
  WriteUpTo(upto, flush);
  return false;
}

void WalSetWalWriterLatch(void* latch) {
  wal_shared->walwriter_latch.store(reinterpret_cast<uintptr_t>(latch), std::memory_order_release);
}

}  // namespace keel::transam
