// The one exit path; see process_exit.h.
#include "backend/utils/init/process_exit.h"

#include <unistd.h>

#include <vector>

namespace keel {
namespace {

std::vector<std::function<void()>>& Cleanups() {
  // Leaked on purpose: it must survive until _exit and never be destroyed twice.
  static auto* cleanups = new std::vector<std::function<void()>>();
  return *cleanups;
}

bool g_exiting = false;

}  // namespace

void OnProcessExit(std::function<void()> cleanup) { Cleanups().push_back(std::move(cleanup)); }

void ProcessExit(int code) {
  if (!g_exiting) {
    g_exiting = true;
    auto& cleanups = Cleanups();
    while (!cleanups.empty()) {
      auto cleanup = std::move(cleanups.back());
      cleanups.pop_back();
      cleanup();
    }
  }
  _exit(code);
}

void ForgetProcessExitCleanups() {
  Cleanups().clear();
  g_exiting = false;
}

}  // namespace keel
