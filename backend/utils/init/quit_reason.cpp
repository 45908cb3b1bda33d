// The SIGQUIT reason in shared memory; see quit_reason.h.
#include "backend/utils/init/quit_reason.h"

#include <atomic>

#include "storage/ipc/shmem.h"

namespace keel {
namespace {

struct QuitReasonShared {
  std::atomic<int32_t> reason;  // written by the postmaster only; read in signal handlers
};
static_assert(std::atomic<int32_t>::is_always_lock_free);

// Set in the postmaster by QuitReasonShmemInit and inherited by every child through fork.
QuitReasonShared* g_shared = nullptr;

}  // namespace

size_t QuitReasonShmemSize() { return sizeof(QuitReasonShared); }

void QuitReasonShmemInit() {
  bool found = false;
  g_shared = static_cast<QuitReasonShared*>(
      storage::ShmemInitStruct("quit reason", sizeof(QuitReasonShared), &found));
  g_shared->reason.store(static_cast<int32_t>(QuitReason::kUnknown), std::memory_order_relaxed);
}

void SetQuitReason(QuitReason reason) {
  if (g_shared == nullptr || !storage::ShmemIsCreated()) return;
  g_shared->reason.store(static_cast<int32_t>(reason), std::memory_order_release);
}

QuitReason GetQuitReason() {
  if (g_shared == nullptr) return QuitReason::kUnknown;
  return static_cast<QuitReason>(g_shared->reason.load(std::memory_order_acquire));
}

}  // namespace keel
