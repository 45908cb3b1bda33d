// The line protocol's server side; see line_connection.h.
#include "tests/torture/line_connection.h"

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

#include "backend/utils/error/error.h"
#include "backend/utils/init/interrupts.h"
#include "backend/utils/init/process_exit.h"
#include "storage/ipc/latch.h"
#include "storage/ipc/proc_array.h"
#include "storage/ipc/process_context.h"

namespace keel::torture {

std::string LineConnection::ReadLine() {
  for (;;) {
    size_t nl = buffer_.find('\n');
    if (nl != std::string::npos) {
      std::string line = buffer_.substr(0, nl);
      buffer_.erase(0, nl + 1);
      return line;
    }
    int events = storage::WaitLatchOrSocket(
        storage::MyLatch(), storage::kWaitLatchSet | storage::kWaitSocketReadable, fd_, -1);
    storage::ResetLatch(storage::MyLatch());
    if (Interrupts().die) ProcessExit(1);
    if (!(events & storage::kWaitSocketReadable)) continue;
    char chunk[4096];
    ssize_t n = recv(fd_, chunk, sizeof(chunk), 0);
    if (n == 0) ProcessExit(0);
    if (n < 0) {
      if (errno == EAGAIN || errno == EINTR) continue;
      ProcessExit(0);
    }
    buffer_.append(chunk, static_cast<size_t>(n));
  }
}

void LineConnection::WriteLine(const std::string& line) {
  std::string out = line + "\n";
  size_t sent = 0;
  while (sent < out.size()) {
    ssize_t n = send(fd_, out.data() + sent, out.size() - sent, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EAGAIN || errno == EINTR) {
        (void)storage::WaitLatchOrSocket(storage::MyLatch(), storage::kWaitSocketWritable, fd_, 1000);
        continue;
      }
      ProcessExit(0);
    }
    sent += static_cast<size_t>(n);
  }
}

void ServeLines(int client_fd, std::string (*execute)(const std::string& line),
                void (*cleanup)()) {
  storage::ProcSlot* slot = storage::ProcArrayAcquireBackendSlot(getpid(), 0);
  if (slot == nullptr) ProcessExit(1);
  OnProcessExit([slot, cleanup] {
    cleanup();
    storage::ProcArrayReleaseSlot(slot);
  });
  LineConnection connection(client_fd);
  for (;;) {
    std::string line = connection.ReadLine();
    std::string reply;
    try {
      reply = execute(line);
    } catch (const Error& e) {
      cleanup();
      reply = std::string("ERROR ") + e.message();
      if (e.severity() >= Severity::kFatal) {
        connection.WriteLine(reply);
        ProcessExit(1);
      }
    }
    connection.WriteLine(reply);
  }
}

}  // namespace keel::torture
