// Test-only helpers for the multi-process tests of storage/ipc and storage/lmgr: run a
// function in a forked child that leaves with _exit(), wait for it with a deadline.
// Not part of any library; see storage/ipc/README.md ("Tests").
#pragma once

#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <exception>

#include "storage/ipc/process_context.h"

namespace keel::storage::testing {

inline int64_t NowMs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1'000'000;
}

inline void SleepMs(int ms) {
  timespec ts{ms / 1000, static_cast<long>(ms % 1000) * 1'000'000};
  while (nanosleep(&ts, &ts) != 0) {
  }
}

// Forks; the child starts a fresh process context, runs `fn` (returning its exit code) and
// leaves with _exit() so nothing of the test process (gtest, static destructors) runs twice.
// An exception in the child exits with 99.
template <typename Fn>
pid_t ForkChild(Fn&& fn, ProcessRole role = ProcessRole::kBackend) {
  fflush(stdout);
  fflush(stderr);
  const pid_t pid = fork();
  if (pid != 0) return pid;
  int code = 98;
  try {
    InitProcessContext(role);
    code = fn();
  } catch (const std::exception& e) {
    fprintf(stderr, "child %d: exception: %s\n", static_cast<int>(getpid()), e.what());
    code = 99;
  } catch (...) {
    code = 99;
  }
  _exit(code);
}

inline constexpr int kChildTimedOut = -1000;

// Waits for `pid` at most `timeout_ms`; returns its exit code, -signal when it was killed by
// a signal, or kChildTimedOut (after SIGKILLing and reaping it).
inline int WaitChild(pid_t pid, int timeout_ms = 30'000) {
  const int64_t deadline = NowMs() + timeout_ms;
  for (;;) {
    int status = 0;
    const pid_t rc = waitpid(pid, &status, WNOHANG);
    if (rc == pid) {
      if (WIFEXITED(status)) return WEXITSTATUS(status);
      if (WIFSIGNALED(status)) return -WTERMSIG(status);
      return kChildTimedOut;
    }
    if (rc < 0) return kChildTimedOut;
    if (NowMs() >= deadline) {
      kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
      return kChildTimedOut;
    }
    SleepMs(1);
  }
}

// Polls `pred` every millisecond until it holds (true) or `timeout_ms` passes (false).
template <typename Pred>
bool WaitUntil(Pred&& pred, int timeout_ms = 30'000) {
  const int64_t deadline = NowMs() + timeout_ms;
  while (!pred()) {
    if (NowMs() >= deadline) return false;
    SleepMs(1);
  }
  return true;
}

}  // namespace keel::storage::testing
