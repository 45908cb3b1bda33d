// Interrupt flags and child signal handlers; see interrupts.h.
#include "backend/utils/init/interrupts.h"

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "backend/utils/error/error.h"
#include "storage/ipc/latch.h"
#include "storage/ipc/process_context.h"

namespace keel {
namespace {

PendingInterrupts g_interrupts{};
volatile int g_quickdie_fd = -1;

// A complete ErrorResponse, built before any signal can arrive (I3: the handler only writes).
char g_quickdie_message[512];
size_t g_quickdie_length = 0;

void AppendField(char type, const char* text, size_t* at) {
  size_t len = strlen(text);
  if (*at + 2 + len >= sizeof(g_quickdie_message)) return;
  g_quickdie_message[(*at)++] = type;
  memcpy(g_quickdie_message + *at, text, len + 1);
  *at += len + 1;
}

void BuildQuickDieMessage() {
  size_t at = 5;
  AppendField('S', "FATAL", &at);
  AppendField('V', "FATAL", &at);
  AppendField('C', "57P02", &at);
  AppendField('M', "terminating connection because of crash of another server process", &at);
  AppendField('D', "The postmaster has commanded this server process to roll back the current "
              "transaction and exit, because another server process exited abnormally and "
              "possibly corrupted shared memory.", &at);
  AppendField('H', "In a moment you should be able to reconnect to the database and repeat "
              "your command.", &at);
  g_quickdie_message[at++] = '\0';
  g_quickdie_message[0] = 'E';
  uint32_t len = static_cast<uint32_t>(at - 1);
  g_quickdie_message[1] = static_cast<char>(len >> 24);
  g_quickdie_message[2] = static_cast<char>(len >> 16);
  g_quickdie_message[3] = static_cast<char>(len >> 8);
  g_quickdie_message[4] = static_cast<char>(len);
  g_quickdie_length = at;
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

void HandleQuickDie(int) {
  int fd = g_quickdie_fd;
  if (fd >= 0 && g_quickdie_length > 0) {
    // Best effort and non-blocking: the socket is O_NONBLOCK.
    ssize_t ignored = send(fd, g_quickdie_message, g_quickdie_length, MSG_NOSIGNAL | MSG_DONTWAIT);
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
  if (g_quickdie_length == 0) BuildQuickDieMessage();
  for (int signo : {SIGCHLD, SIGALRM, SIGUSR1}) Install(signo, SIG_DFL);
  Install(SIGPIPE, SIG_IGN);
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
  if (cancel_allowed && g_interrupts.cancel) {
    g_interrupts.cancel = 0;
    throw Error(sqlstate::kQueryCanceled, "canceling statement due to user request");
  }
}

}  // namespace keel
