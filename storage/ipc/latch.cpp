// Latch set/reset/wait over a per-process self-pipe woken by SIGURG. See
// storage/ipc/README.md (T1-T7) for the protocol and its memory orderings.
#include "storage/ipc/latch.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>

#include "backend/utils/error/error.h"
#include "backend/utils/error/format.h"
#include "storage/ipc/postmaster_death.h"

namespace keel::storage {
namespace {

// Process-local, inherited through fork and replaced by InitLatchSupport() in the child.
// Changed only with every signal blocked, so handlers see a consistent pair (T5).
int self_pipe_read = -1;
int self_pipe_write = -1;
pid_t self_pipe_pid = 0;  // the process the pipe belongs to

Latch local_latch;  // ProcessLocalLatch(); owned by self_pipe_pid

// Async-signal-safe: wakes this process's poll() if it is in (or about to enter) one.
void WakeSelf() {
  if (self_pipe_write >= 0 && self_pipe_pid == getpid()) {
    const char byte = 0;
    // A full pipe (EAGAIN) is fine: a byte is already waiting to wake the poll.
    [[maybe_unused]] ssize_t n = write(self_pipe_write, &byte, 1);
  }
}

void SigUrgHandler(int) {
  const int saved_errno = errno;
  WakeSelf();  // T5
  errno = saved_errno;
}

void DrainSelfPipe() {
  char buf[64];
  for (;;) {
    const ssize_t n = read(self_pipe_read, buf, sizeof buf);
    if (n > 0) continue;
    if (n < 0 && errno == EINTR) continue;
    return;  // EAGAIN: empty
  }
}

void EnsureLatchSupport() {
  if (self_pipe_pid != getpid()) InitLatchSupport();
}

int64_t MonotonicMs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1'000'000;
}

[[nodiscard]] bool OwnedByMe(const Latch* latch) {
  return latch->owner_pid.load(std::memory_order_relaxed) == getpid();
}

}  // namespace

void InitLatchSupport() {
  // Block every signal while the process-local state changes, so no handler (ours or a
  // SetLatch in the lead's handlers) sees a half-replaced pipe.
  sigset_t all, old;
  sigfillset(&all);
  sigprocmask(SIG_BLOCK, &all, &old);

  // Close the parent's pipe inherited through fork: writing it would wake the parent.
  if (self_pipe_read >= 0) close(self_pipe_read);
  if (self_pipe_write >= 0) close(self_pipe_write);
  self_pipe_read = self_pipe_write = -1;
  self_pipe_pid = 0;

  int fds[2];
  if (pipe2(fds, O_NONBLOCK | O_CLOEXEC) != 0) {
    const int saved_errno = errno;
    sigprocmask(SIG_SETMASK, &old, nullptr);
    throw keel::FatalError(keel::sqlstate::kSystemError,
                           "could not create pipe for self-pipe: " + keel::ErrnoText(saved_errno));
  }
  self_pipe_read = fds[0];
  self_pipe_write = fds[1];
  self_pipe_pid = getpid();

  local_latch.is_set.store(0, std::memory_order_relaxed);
  local_latch.maybe_sleeping.store(0, std::memory_order_relaxed);
  local_latch.owner_pid.store(self_pipe_pid, std::memory_order_relaxed);

  struct sigaction action = {};
  action.sa_handler = SigUrgHandler;
  sigemptyset(&action.sa_mask);
  action.sa_flags = SA_RESTART;  // poll() is never restarted, so it still returns EINTR
  sigaction(SIGURG, &action, nullptr);

  sigdelset(&old, SIGURG);  // T5: SIGURG must reach us
  sigprocmask(SIG_SETMASK, &old, nullptr);
}

void InitSharedLatch(Latch* latch) {
  latch->is_set.store(0, std::memory_order_relaxed);
  latch->maybe_sleeping.store(0, std::memory_order_relaxed);
  latch->owner_pid.store(0, std::memory_order_relaxed);
}

void OwnLatch(Latch* latch) {
  EnsureLatchSupport();
  int32_t expected = 0;
  if (!latch->owner_pid.compare_exchange_strong(expected, static_cast<int32_t>(getpid()),
                                                std::memory_order_acq_rel)) {
    keel::Panic("latch already owned by PID %d", static_cast<int>(expected));
  }
  latch->maybe_sleeping.store(0, std::memory_order_relaxed);
}

void DisownLatch(Latch* latch) {
  KEEL_ASSERT(OwnedByMe(latch));
  latch->owner_pid.store(0, std::memory_order_release);
}

void SetLatch(Latch* latch) {
  // T3: the caller's writes (the condition the owner will check) are ordered before our
  // look at is_set; if it is already set, the owner has not reset it yet and will see them.
  std::atomic_thread_fence(std::memory_order_seq_cst);
  if (latch->is_set.load(std::memory_order_relaxed) != 0) return;
  // T2: store is_set, then load maybe_sleeping, both seq_cst; the owner stores
  // maybe_sleeping, then loads is_set. One of the two sides sees the other's store.
  latch->is_set.store(1, std::memory_order_seq_cst);
  if (latch->maybe_sleeping.load(std::memory_order_seq_cst) == 0) return;
  const pid_t owner = latch->owner_pid.load(std::memory_order_relaxed);
  if (owner == 0) return;
  if (owner == getpid()) {
    WakeSelf();  // our own latch, e.g. from a signal handler that interrupted WaitLatch
  } else {
    kill(owner, SIGURG);  // T5; a stale pid is harmless: SIGURG is ignored by default
  }
}

void ResetLatch(Latch* latch) {
  KEEL_ASSERT(OwnedByMe(latch));
  latch->is_set.store(0, std::memory_order_relaxed);
  // T4: the owner's following reads of its wake-up condition happen after the reset.
  std::atomic_thread_fence(std::memory_order_seq_cst);
}

int WaitLatch(Latch* latch, int wake_events, long timeout_ms) {
  return WaitLatchOrSocket(latch, wake_events & ~(kWaitSocketReadable | kWaitSocketWritable),
                           -1, timeout_ms);
}

int WaitLatchOrSocket(Latch* latch, int wake_events, int socket_fd, long timeout_ms) {
  EnsureLatchSupport();
  const bool want_latch = (wake_events & kWaitLatchSet) != 0;
  if (want_latch && (latch == nullptr || !OwnedByMe(latch))) {
    throw keel::Error(keel::sqlstate::kInternalError,
                      "cannot wait on a latch owned by another process");
  }
  const int64_t deadline_ms = timeout_ms >= 0 ? MonotonicMs() + timeout_ms : 0;

  pollfd fds[3];
  int nfds = 0;
  fds[nfds++] = {self_pipe_read, POLLIN, 0};
  int pm_idx = -1;
  // The postmaster keeps the write end: its own read end never fires (D2).
  if (PostmasterDeathFd() >= 0 && !PostmasterDeathPipeIsOwnedByMe()) {
    pm_idx = nfds;
    fds[nfds++] = {PostmasterDeathFd(), POLLIN, 0};
  }
  int sock_idx = -1;
  short sock_events = 0;
  if ((wake_events & kWaitSocketReadable) != 0) sock_events |= POLLIN;
  if ((wake_events & kWaitSocketWritable) != 0) sock_events |= POLLOUT;
  if (socket_fd >= 0 && sock_events != 0) {
    sock_idx = nfds;
    fds[nfds++] = {socket_fd, sock_events, 0};
  }

  for (;;) {
    int result = 0;
    if (want_latch) {
      // T2: announce the sleep before the last look at is_set.
      latch->maybe_sleeping.store(1, std::memory_order_seq_cst);
      if (latch->is_set.load(std::memory_order_seq_cst) != 0) {
        latch->maybe_sleeping.store(0, std::memory_order_relaxed);
        return kWaitLatchSet;
      }
    }
    int poll_timeout_ms = -1;
    if (timeout_ms >= 0) {
      const int64_t remaining_ms = deadline_ms - MonotonicMs();
      poll_timeout_ms = remaining_ms <= 0 ? 0
                        : remaining_ms > 1'000'000'000 ? 1'000'000'000
                                                        : static_cast<int>(remaining_ms);
    }
    for (int i = 0; i < nfds; ++i) fds[i].revents = 0;
    const int rc = poll(fds, static_cast<nfds_t>(nfds), poll_timeout_ms);
    const int saved_errno = errno;
    if (want_latch) latch->maybe_sleeping.store(0, std::memory_order_relaxed);
    if (rc < 0 && saved_errno != EINTR) {
      throw keel::FatalError(keel::sqlstate::kSystemError,
                             "poll() failed: " + keel::ErrnoText(saved_errno));
    }
    if (rc > 0) {
      if (fds[0].revents != 0) DrainSelfPipe();
      if (pm_idx >= 0 && fds[pm_idx].revents != 0 && !PostmasterIsAlive()) {
        // T6: as PostgreSQL's WL_EXIT_ON_PM_DEATH when the caller did not ask for it.
        if ((wake_events & kWaitPostmasterDeath) == 0) _exit(1);
        result |= kWaitPostmasterDeath;
      }
      if (sock_idx >= 0) {
        const short revents = fds[sock_idx].revents;
        constexpr short kTrouble = POLLHUP | POLLERR | POLLNVAL;
        if ((sock_events & POLLIN) != 0 && (revents & (POLLIN | kTrouble)) != 0) {
          result |= kWaitSocketReadable;
        }
        if ((sock_events & POLLOUT) != 0 && (revents & (POLLOUT | kTrouble)) != 0) {
          result |= kWaitSocketWritable;
        }
      }
    }
    // After draining: SetLatch stores is_set before it writes the pipe or signals (T2).
    if (want_latch && latch->is_set.load(std::memory_order_acquire) != 0) result |= kWaitLatchSet;
    if (timeout_ms >= 0 && MonotonicMs() >= deadline_ms) result |= kWaitTimeout;
    if (result != 0) return result;
  }
}

Latch* ProcessLocalLatch() {
  EnsureLatchSupport();
  return &local_latch;
}

}  // namespace keel::storage
