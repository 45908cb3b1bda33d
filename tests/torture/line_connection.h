// The server side of the torture tests' line protocol: one request line in, one reply line out,
// over a client socket, waiting on the process latch so shutdown and die signals are honoured;
// and the backend loop both torture servers run.
// See tests/README.md.
#pragma once

#include <string>

namespace keel::torture {

class LineConnection {
 public:
  explicit LineConnection(int fd) : fd_(fd) {}
  // One line without the newline; exits the process when the client is gone or on die.
  std::string ReadLine();
  void WriteLine(const std::string& line);

 private:
  int fd_;
  std::string buffer_;
};

// A torture server's backend: takes a backend proc slot, then answers each line with
// `execute(line)`. An Error is answered "ERROR <message>" after `cleanup()` (which must release
// LWLocks, buffer pins and whatever else a failed command may hold); a FATAL one then ends the
// process. `cleanup` also runs at exit. Never returns.
[[noreturn]] void ServeLines(int client_fd, std::string (*execute)(const std::string& line),
                             void (*cleanup)());

}  // namespace keel::torture
