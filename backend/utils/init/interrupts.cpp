// Interrupt flags and child signal handlers; see interrupts.h.
#include "backend/utils/init/interrupts.h"

#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "backend/utils/error/error.h"
#include "backend/utils/init/quit_reason.h"
#include "storage/ipc/latch.h"
#include "storage/ipc/process_context.h"

namespace keel {
namespace {

PendingInterrupts g_interrupts{};
volatile int g_quickdie_fd = -1;

// Complete NoticeResponse messages, built before any signal can arrive (I3: the handler only
// writes). PostgreSQL sends these as WARNINGs, then closes the connection.
struct QuitMessage {
  char bytes[640];
  size_t length;
};
QuitMessage g_quit_messages[3];  // indexed by QuitReason

void AppendField(QuitMessage& m, char type, const char* text, size_t* at) {
  size_t len = strlen(text);
  if (*at + 2 + len >= sizeof(m.bytes)) return;
  m.bytes[(*at)++] = type;
  memcpy(m.bytes + *at, text, len + 1);
  *at += len + 1;
}

void BuildQuitMessage(QuitMessage& m, const char* sqlstate, const char* message,
                      const char* detail, const char* hint) {
  size_t at = 5;
  AppendField(m, 'S', "WARNING", &at);
  AppendField(m, 'V', "WARNING", &at);
  AppendField(m, 'C', sqlstate, &at);
  AppendField(m, 'M', message, &at);
  if (detail != nullptr) AppendField(m, 'D', detail, &at);
  if (hint != nullptr) AppendField(m, 'H', hint, &at);
  m.bytes[at++] = '\0';
  m.bytes[0] = 'N';
  uint32_t len = static_cast<uint32_t>(at - 1);
  m.bytes[1] = static_cast<char>(len >> 24);
  m.bytes[2] = static_cast<char>(len >> 16);
  m.bytes[3] = static_cast<char>(len >> 8);
  m.bytes[4] = static_cast<char>(len);
  m.length = at;
}

void BuildQuitMessages() {
  BuildQuitMessage(g_quit_messages[static_cast<int>(QuitReason::kUnknown)], "57P01",
                   "terminating connection because of unexpected SIGQUIT signal", nullptr,
                   nullptr);
  BuildQuitMessage(g_quit_messages[static_cast<int>(QuitReason::kCrash)], "57P02",
                   "terminating connection because of crash of another server process",
                   "The postmaster has commanded this server process to roll back the current "
                   "transaction and exit, because another server process exited abnormally and "
                   "possibly corrupted shared memory.",
                   "In a moment you should be able to reconnect to the database and repeat "
                   "your command.");
  BuildQuitMessage(g_quit_messages[static_cast<int>(QuitReason::kImmediateShutdown)], "57P01",
                   "terminating connection due to immediate shutdown command", nullptr, nullptr);
}

void WakeSelf() {
  int saved = errno;
  if (storage::Latch* latch = storage::MyLatch()) storage::SetLatch(latch);
  errno = saved;
}

void HandleDie(int) { g_interrupts.die = 1; WakeSelf(); }
void HandleCancel(int) { g_interrupts.cancel = 1; WakeSelf(); }
void HandleReload(int) { g_interrupts.reload = 1; WakeSelf(); }
void HandleShutdown(int) { g_interrupts.shutdown = 1; WakeSelf(); }
void HandleTimeout(int) { g_interrupts.statement_timeout = 1; WakeSelf(); }

void HandleQuickDie(int) {
  int fd = g_quickdie_fd;
  int reason = static_cast<int>(GetQuitReason());
  if (reason < 0 || reason > 2) reason = 0;
  const QuitMessage& m = g_quit_messages[reason];
  if (fd >= 0 && m.length > 0) {
    // Best effort and non-blocking.
    ssize_t ignored = send(fd, m.bytes, m.length, MSG_NOSIGNAL | MSG_DONTWAIT);
    (void)ignored;
  }
  _exit(2);  // I2: no cleanups; shared memory may be corrupt
}

void Install(int signo, void (*handler)(int)) {
  struct sigaction sa {};
  sa.sa_handler = handler;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = 0;  // no SA_RESTART: waits see EINTR and re-check flags
  sigaction(signo, &sa, nullptr);
}

}  // namespace

PendingInterrupts& Interrupts() { return g_interrupts; }

void InstallChildSignalHandlers() {
  g_interrupts = PendingInterrupts{};
  if (g_quit_messages[0].length == 0) BuildQuitMessages();
  Install(SIGCHLD, SIG_DFL);
  // I4: signals nobody uses yet are ignored: their default action would end the process,
  // which the postmaster would take for a crash.
  for (int signo : {SIGPIPE, SIGUSR1, SIGALRM}) Install(signo, SIG_IGN);
  Install(SIGTERM, HandleDie);
  Install(SIGINT, HandleCancel);
  Install(SIGHUP, HandleReload);
  Install(SIGUSR2, HandleShutdown);
  Install(SIGQUIT, HandleQuickDie);
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
}

void SetQuickDieSocket(int fd) { g_quickdie_fd = fd; }

void CheckForInterrupts(bool cancel_allowed) {
  if (g_interrupts.die) {
    throw FatalError(sqlstate::kAdminShutdown, "terminating connection due to administrator command");
  }
  if (cancel_allowed && g_interrupts.statement_timeout) {
    g_interrupts.statement_timeout = 0;
    g_interrupts.cancel = 0;  // one statement, one error
    throw Error(sqlstate::kQueryCanceled, "canceling statement due to statement timeout");
  }
  if (cancel_allowed && g_interrupts.cancel) {
    g_interrupts.cancel = 0;
    throw Error(sqlstate::kQueryCanceled, "canceling statement due to user request");
  }
}

void EnableStatementTimeout(int timeout_ms) {
  DisableStatementTimeout();
  if (timeout_ms <= 0) return;
  Install(SIGALRM, HandleTimeout);
  itimerval timer{};
  timer.it_value.tv_sec = timeout_ms / 1000;
  timer.it_value.tv_usec = static_cast<suseconds_t>(timeout_ms % 1000) * 1000;
  setitimer(ITIMER_REAL, &timer, nullptr);
}

void DisableStatementTimeout() {
  itimerval off{};
  setitimer(ITIMER_REAL, &off, nullptr);
  g_interrupts.statement_timeout = 0;  // I6: a timer that fired after the statement is void
}

}  // namespace keel
