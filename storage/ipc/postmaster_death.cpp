// The postmaster-death pipe. See storage/ipc/README.md (D1-D4).
#include "storage/ipc/postmaster_death.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

#include "backend/utils/error/error.h"
#include "backend/utils/error/format.h"

namespace keel::storage {
namespace {

// Process-local, inherited through fork. write_fd stays >= 0 only in the postmaster (D2).
int read_fd = -1;
int write_fd = -1;

}  // namespace

void CreatePostmasterDeathPipe() {
  KEEL_ASSERT(read_fd < 0 && write_fd < 0);
  int fds[2];
  // O_CLOEXEC: nothing we might ever exec should keep the postmaster "alive" (D1).
  if (pipe2(fds, O_CLOEXEC) != 0) {
    const int saved_errno = errno;
    throw keel::FatalError(keel::sqlstate::kSystemError,
                           "could not create pipe to monitor postmaster death: " +
                               keel::ErrnoText(saved_errno));
  }
  // D3: the read end is non-blocking so PostmasterIsAlive() can probe it with read().
  if (fcntl(fds[0], F_SETFL, O_NONBLOCK) != 0) {
    const int saved_errno = errno;
    close(fds[0]);
    close(fds[1]);
    throw keel::FatalError(keel::sqlstate::kSystemError,
                           "could not set postmaster death monitoring pipe to nonblocking mode: " +
                               keel::ErrnoText(saved_errno));
  }
  read_fd = fds[0];
  write_fd = fds[1];
}

void PostmasterChildClosePipe() {
  if (write_fd >= 0) {
    close(write_fd);  // D2
    write_fd = -1;
  }
}

int PostmasterDeathFd() { return read_fd; }

bool PostmasterDeathPipeIsOwnedByMe() { return write_fd >= 0; }

bool PostmasterIsAlive() {
  if (read_fd < 0 || write_fd >= 0) return true;
  char byte;
  for (;;) {
    const ssize_t n = read(read_fd, &byte, 1);
    if (n == 0) return false;  // D1: EOF, every write end is closed: the postmaster is gone
    if (n < 0 && errno == EINTR) continue;
    // EAGAIN: the write end is still open. Nobody ever writes (D4), but a byte would not
    // mean death either.
    return true;
  }
}

}  // namespace keel::storage
