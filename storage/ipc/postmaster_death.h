// Lets children notice promptly that the postmaster is gone: a pipe whose write end only
// the postmaster keeps open, so its read end reports EOF once the postmaster exits.
// Invariants D1-D4: storage/ipc/README.md.
#pragma once

namespace keel::storage {

// Postmaster only, once, before any fork. Throws FATAL keel::Error 58000 when pipe() fails.
void CreatePostmasterDeathPipe();

// Every child, right after fork and before anything that may wait: closes the inherited
// write end (D2). No-op when no pipe was created.
void PostmasterChildClosePipe();

// Read end of the pipe, for poll(): readable or POLLHUP means the postmaster is gone.
// -1 when no pipe was created (standalone mode, tests).
[[nodiscard]] int PostmasterDeathFd();

// False once the postmaster has exited. Cheap (one non-blocking read()). True in the
// postmaster itself and in a process without a pipe (standalone mode has no postmaster).
[[nodiscard]] bool PostmasterIsAlive();

// Whether this process is the one that created the pipe (and keeps its write end), i.e.
// the postmaster; WaitLatch does not poll the read end there.
[[nodiscard]] bool PostmasterDeathPipeIsOwnedByMe();

}  // namespace keel::storage
