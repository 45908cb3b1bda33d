// The one exit path of every Keel process: registered cleanups run in reverse order of
// registration, then _exit(). Nothing inherited from the postmaster (static destructors,
// atexit handlers) runs in a child. See README.md.
#pragma once

#include <functional>

namespace keel {

// Registers a cleanup to run at process exit. Cleanups must not throw.
void OnProcessExit(std::function<void()> cleanup);

// Runs the cleanups (most recent first) and leaves with _exit(code). Re-entrant: a
// cleanup that calls ProcessExit only skips the remaining cleanups.
[[noreturn]] void ProcessExit(int code);

// In a freshly forked child: forgets the parent's cleanups.
void ForgetProcessExitCleanups();

}  // namespace keel
