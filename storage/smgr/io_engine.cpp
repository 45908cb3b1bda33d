// The sync and io_uring I/O engines (SM7). See io_engine_internal.h and README.md.
#include "storage/smgr/io_engine_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <liburing.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cstring>
#include <limits>
#include <vector>

#include "backend/utils/config/settings.h"
#include "backend/utils/error/error.h"
#include "backend/utils/error/format.h"
#include "backend/utils/error/log.h"
#include "storage/file/file_io.h"

namespace keel::storage::io_engine {

namespace {

// Process-local engine state. `pid` says which process it belongs to: a forked child finds
// its parent's pid here and starts over with its own ring (SM7).
struct EngineState {
  pid_t pid = 0;
  IoMethod method = IoMethod::kSync;
  bool ring_ok = false;
  io_uring ring{};
  int in_flight = 0;           // our submitted, not yet reaped operations (incl. prefetches)
  int prefetches_in_flight = 0;
  bool logged_fallback = false;
#ifdef KEEL_DEBUG
  bool fail_init = false;
#endif
};

EngineState& RawState() {
  static EngineState state;
  return state;
}

EngineState& State() {
  EngineState& s = RawState();
  const pid_t me = getpid();
  if (s.pid == me) return s;
  if (s.ring_ok) {
    // Inherited across fork: unmap our copy of the parent's ring and close our descriptor
    // for it; the parent's ring is not affected. Never submit to it (SM7).
    io_uring_queue_exit(&s.ring);
    s.ring_ok = false;
  }
  s.pid = me;
  s.in_flight = 0;
  s.prefetches_in_flight = 0;
  s.method = IoMethod::kSync;
  if (settings::io_method != settings::IoMethod::kIoUring) return s;

  int rc;
#ifdef KEEL_DEBUG
  if (s.fail_init) {
    rc = -ENOSYS;
  } else
#endif
  {
    // Single issuer + cooperative task running: cheaper completions (Linux 6.0+); older
    // kernels refuse the flags with EINVAL, then plain set-up.
    rc = io_uring_queue_init(kRingEntries, &s.ring,
                             IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_COOP_TASKRUN);
    if (rc == -EINVAL) rc = io_uring_queue_init(kRingEntries, &s.ring, 0);
  }
  if (rc == 0) {
    s.ring_ok = true;
    s.method = IoMethod::kIoUring;
  } else if (!s.logged_fallback) {
    s.logged_fallback = true;
    Log(Severity::kLog, "io_uring is not available (%s); using io_method=sync",
        ErrnoText(-rc).c_str());
  }
  return s;
}

size_t RunBytes(const IoRun& run) { return static_cast<size_t>(run.nblocks) * kBlockSize; }

void FillIov(const IoRun& run, struct iovec* iov) {
  for (int i = 0; i < run.nblocks; ++i) iov[i] = {run.blocks[i], kBlockSize};
}

// Continues a run synchronously from byte `done` (a short completion, or the whole run).
void FinishSync(IoRun& run, struct iovec* iov, size_t done, bool write) {
  const size_t total = RunBytes(run);
  if (done >= total) return;
  int first = static_cast<int>(done / kBlockSize);
  const size_t skip = done % kBlockSize;
  struct iovec head = iov[first];
  iov[first].iov_base = static_cast<char*>(iov[first].iov_base) + skip;
  iov[first].iov_len -= skip;
  const ssize_t n = write ? FileWritevAt(run.fd, iov + first, run.nblocks - first,
                                         run.offset + static_cast<off_t>(done))
                          : FileReadvAt(run.fd, iov + first, run.nblocks - first,
                                        run.offset + static_cast<off_t>(done));
  iov[first] = head;
  run.result = n < 0 ? -errno : static_cast<ssize_t>(done) + n;
}

#ifdef KEEL_DEBUG
// The io_uring path bypasses the wrappers, so it asks for injected faults itself and makes
// them look as the wrappers would (storage/file README F2, F3). True when the run is done.
bool InjectFault(IoRun& run, bool write) {
  const std::optional<FaultKind> fault =
      TestOnlyTakeFault(run.fd, write ? FileOp::kWrite : FileOp::kRead);
  if (!fault) return false;
  if (*fault == FaultKind::kShortWrite) {
    size_t budget = RunBytes(run) / 2;
    off_t at = run.offset;
    for (int i = 0; i < run.nblocks && budget > 0; ++i) {
      const size_t n = budget < kBlockSize ? budget : kBlockSize;
      const char* p = static_cast<const char*>(run.blocks[i]);
      for (size_t done = 0; done < n;) {
        const ssize_t w = pwrite(run.fd, p + done, n - done, at + static_cast<off_t>(done));
        if (w <= 0 && errno != EINTR) break;
        if (w > 0) done += static_cast<size_t>(w);
      }
      at += static_cast<off_t>(n);
      budget -= n;
    }
    run.result = -ENOSPC;
  } else {
    run.result = *fault == FaultKind::kEnospc ? -ENOSPC : -EIO;
  }
  return true;
}
#endif

// Takes every completion that is ready; ours carry 1 + run index, prefetches 0.
void ReapReady(EngineState& s, std::span<IoRun> runs) {
  io_uring_cqe* cqe = nullptr;
  while (io_uring_peek_cqe(&s.ring, &cqe) == 0 && cqe != nullptr) {
    const uint64_t tag = io_uring_cqe_get_data64(cqe);
    if (tag == 0) {
      --s.prefetches_in_flight;
    } else {
      KEEL_ASSERT(tag <= runs.size());  // only SubmitRuns has operations of its own in flight
      runs[tag - 1].result = cqe->res;
    }
    --s.in_flight;
    io_uring_cqe_seen(&s.ring, cqe);
  }
}

void SubmitRuns(EngineState& s, std::span<IoRun> runs, std::vector<struct iovec>& iovs,
                const std::vector<size_t>& iov_start, bool write) {
  constexpr ssize_t kPending = std::numeric_limits<ssize_t>::min();
  for (IoRun& run : runs) run.result = kPending;
  size_t next = 0;
  int ours_in_flight = 0;
  while (next < runs.size() || ours_in_flight > 0) {
    while (next < runs.size() && s.in_flight < static_cast<int>(kRingEntries)) {
      IoRun& run = runs[next];
#ifdef KEEL_DEBUG
      if (InjectFault(run, write)) {
        ++next;
        continue;
      }
#endif
      io_uring_sqe* sqe = io_uring_get_sqe(&s.ring);
      if (sqe == nullptr) break;  // submission queue full: submit what we have first
      struct iovec* iov = iovs.data() + iov_start[next];
      if (write) {
        io_uring_prep_writev(sqe, run.fd, iov, static_cast<unsigned>(run.nblocks),
                             static_cast<uint64_t>(run.offset));
      } else {
        io_uring_prep_readv(sqe, run.fd, iov, static_cast<unsigned>(run.nblocks),
                            static_cast<uint64_t>(run.offset));
      }
      io_uring_sqe_set_data64(sqe, next + 1);
      ++next;
      ++s.in_flight;
      ++ours_in_flight;
    }
    const int rc = io_uring_submit_and_wait(&s.ring, ours_in_flight > 0 ? 1 : 0);
    if (rc < 0 && rc != -EINTR && rc != -EAGAIN && rc != -EBUSY) {
      // Operations on the caller's buffers may be in flight: unwinding now could let the
      // kernel write into freed memory, so this cannot be an ordinary error.
      Panic("could not submit I/O to io_uring: %s", ErrnoText(-rc).c_str());
    }
    const int before = s.in_flight;
    const int prefetch_before = s.prefetches_in_flight;
    ReapReady(s, runs);
    ours_in_flight -= (before - s.in_flight) - (prefetch_before - s.prefetches_in_flight);
  }
  // Completions that were short (or refused with EAGAIN/EINTR) are finished synchronously,
  // which also tells "end of file" from "interrupted".
  for (size_t i = 0; i < runs.size(); ++i) {
    IoRun& run = runs[i];
    KEEL_ASSERT(run.result != kPending);
    if (run.result == -EAGAIN || run.result == -EINTR) {
      FinishSync(run, iovs.data() + iov_start[i], 0, write);
    } else if (run.result >= 0 && static_cast<size_t>(run.result) < RunBytes(run)) {
      FinishSync(run, iovs.data() + iov_start[i], static_cast<size_t>(run.result), write);
    }
  }
}

void DoRuns(std::span<IoRun> runs, bool write) {
  if (runs.empty()) return;
  size_t total_blocks = 0;
  std::vector<size_t> iov_start(runs.size());
  for (size_t i = 0; i < runs.size(); ++i) {
    KEEL_ASSERT(runs[i].nblocks >= 1 && runs[i].nblocks <= kMaxBlocksPerRun);
    iov_start[i] = total_blocks;
    total_blocks += static_cast<size_t>(runs[i].nblocks);
  }
  std::vector<struct iovec> iovs(total_blocks);
  for (size_t i = 0; i < runs.size(); ++i) FillIov(runs[i], iovs.data() + iov_start[i]);

  EngineState& s = State();
  if (s.ring_ok) {
    SubmitRuns(s, runs, iovs, iov_start, write);
    return;
  }
  for (size_t i = 0; i < runs.size(); ++i) {
    runs[i].result = 0;
    FinishSync(runs[i], iovs.data() + iov_start[i], 0, write);
  }
}

}  // namespace

IoMethod Method() { return State().method; }

void ReadRuns(std::span<IoRun> runs) { DoRuns(runs, /*write=*/false); }

void WriteRuns(std::span<IoRun> runs) { DoRuns(runs, /*write=*/true); }

void Prefetch(int fd, off_t offset, off_t size_bytes) {
  EngineState& s = State();
  if (s.ring_ok) {
    ReapReady(s, {});
    // Keep half of the ring for reads and writes; beyond that the hint goes the sync way.
    if (s.prefetches_in_flight < static_cast<int>(kRingEntries / 2)) {
      if (io_uring_sqe* sqe = io_uring_get_sqe(&s.ring)) {
        io_uring_prep_fadvise(sqe, fd, static_cast<uint64_t>(offset), size_bytes,
                              POSIX_FADV_WILLNEED);
        io_uring_sqe_set_data64(sqe, 0);
        ++s.in_flight;
        ++s.prefetches_in_flight;
        // The descriptor is resolved at submission, so closing it afterwards is harmless.
        (void)io_uring_submit(&s.ring);
        return;
      }
    }
  }
  (void)posix_fadvise(fd, offset, size_bytes, POSIX_FADV_WILLNEED);  // a hint: errors ignored
}

#ifdef KEEL_DEBUG
void TestOnlyResetEngine(bool fail_io_uring_init) {
  EngineState& s = RawState();
  if (s.ring_ok && s.pid == getpid()) {
    // Drain what is in flight (prefetches) before closing the ring.
    while (s.in_flight > 0) {
      io_uring_cqe* cqe = nullptr;
      if (io_uring_wait_cqe(&s.ring, &cqe) != 0) break;
      --s.in_flight;
      io_uring_cqe_seen(&s.ring, cqe);
    }
    io_uring_queue_exit(&s.ring);
    s.ring_ok = false;
  }
  s.pid = 0;
  s.fail_init = fail_io_uring_init;
  s.logged_fallback = false;
}
#endif

}  // namespace keel::storage::io_engine
