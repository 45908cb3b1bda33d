// Interrupts: signal handlers only set flags and the process latch; the process acts on them
// at safe points (CheckForInterrupts, its wait loops). See README.md (I1-I4).
#pragma once

#include <csignal>

namespace keel {

struct PendingInterrupts {
  volatile sig_atomic_t die;       // SIGTERM: end the session / process now (fast shutdown)
  volatile sig_atomic_t cancel;    // SIGINT: cancel the running statement
  volatile sig_atomic_t reload;    // SIGHUP: re-read the configuration file
  volatile sig_atomic_t shutdown;  // SIGUSR2: auxiliary process, finish and exit
  volatile sig_atomic_t statement_timeout;  // SIGALRM from EnableStatementTimeout's timer
};

// This process's flags (zero after fork: children call InstallChildSignalHandlers).
[[nodiscard]] PendingInterrupts& Interrupts();

// Handlers for a child process: SIGTERM/SIGINT/SIGHUP/SIGUSR2 set flags and the latch, SIGQUIT
// sends the client a last WARNING naming the postmaster's reason (quit_reason.h) and leaves at
// once with _exit(2); SIGPIPE, SIGUSR1 and SIGALRM are ignored; SIGCHLD default; SIGURG is the
// latch's. All signals are unblocked.
void InstallChildSignalHandlers();

// For a backend: the socket to which the SIGQUIT handler writes a last NoticeResponse before
// exiting (plain TCP/Unix only; -1 for none or TLS).
void SetQuickDieSocket(int fd);

// Throws FATAL 57P01 "terminating connection due to administrator command" when `die` is set;
// ERROR 57014 "canceling statement due to statement timeout" when the statement timer fired, or
// "canceling statement due to user request" when `cancel` is set (either only when
// `cancel_allowed`). Reload is left to the caller's loop (it needs the config file path).
void CheckForInterrupts(bool cancel_allowed = true);

// statement_timeout (I5): arms a one-shot timer; when it fires, the process's latch is set and
// the next CheckForInterrupts throws 57014. `timeout_ms` <= 0 only disarms. The backend arms
// it when a statement starts and disarms it when the statement ends.
void EnableStatementTimeout(int timeout_ms);
void DisableStatementTimeout();

}  // namespace keel
