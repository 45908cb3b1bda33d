// Proc array slots: free lists under a spinlock, slot contents under a per-slot change
// counter. See storage/ipc/README.md (P1-P7).
#include "storage/ipc/proc_array.h"

#include <sched.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>

#include <cstring>

#include "backend/utils/error/error.h"
#include "storage/ipc/process_context.h"
#include "storage/ipc/shmem.h"
#include "storage/lmgr/spinlock.h"

namespace keel::storage {
namespace {

struct ProcArrayHeader {
  int32_t max_backends;  // constant after init
  int32_t max_aux;       // constant after init
  SpinLock lock;         // guards the two free lists, slots' next_free and num_backends writes
  int32_t free_backend;  // head of the free backend slots, -1 when none
  int32_t free_aux;      // head of the free aux slots, -1 when none
  std::atomic<int32_t> num_backends;  // written under `lock`, read without it
};
static_assert(std::is_standard_layout_v<ProcArrayHeader> &&
              std::is_trivially_destructible_v<ProcArrayHeader>);

constexpr size_t kSlotsOffset = (sizeof(ProcArrayHeader) + 63) / 64 * 64;

// Process-local; set by the postmaster before any fork and inherited (P7). The slot counts
// are kept here too, so that scans never trust sizes read from shared memory.
ProcArrayHeader* header = nullptr;
ProcSlot* slots = nullptr;
int num_backend_slots = 0;
int num_prepared_slots = 0;
int num_slots_total = 0;

// P4: a reader gives up on a slot whose change count stays odd this long (its process died
// in the middle of a change, which only a crash restart repairs), rather than hang.
constexpr int kMaxReadAttempts = 100'000;

int64_t NowUs() {
  timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1'000'000 + ts.tv_nsec / 1000;
}

// P4: a seqlock bracket. Only the slot's own process writes, so writers never race.
void BeginChange(ProcSlot* slot) {
  const uint32_t count = slot->change_count.load(std::memory_order_relaxed);
  KEEL_ASSERT(count % 2 == 0);
  slot->change_count.store(count + 1, std::memory_order_relaxed);
  std::atomic_thread_fence(std::memory_order_release);  // odd count before the data writes
}

void EndChange(ProcSlot* slot) {
  slot->change_count.fetch_add(1, std::memory_order_release);  // data writes before even count
}

void CopyName(char (&dest)[kProcNameBytes], const char* src) {
  if (src == nullptr) return;
  const size_t len = strnlen(src, kProcNameBytes - 1);
  memcpy(dest, src, len);
  memset(dest + len, 0, kProcNameBytes - len);
}

// Reads a consistent copy of `slot` (P4); retries while its process is changing it.
// False when no consistent copy could be had (see kMaxReadAttempts).
[[nodiscard]] bool ReadSlot(const ProcSlot* slot, ProcInfo* info) {
  for (int attempt = 0;; ++attempt) {
    if (attempt == kMaxReadAttempts) return false;
    const uint32_t before = slot->change_count.load(std::memory_order_acquire);
    if (before % 2 != 0) {
      sched_yield();  // the writer is a few stores away from done, unless it was preempted
      continue;
    }
    info->slot_idx = slot->slot_idx;
    info->pid = slot->pid.load(std::memory_order_relaxed);
    info->kind = slot->kind;
    info->cancel_key = slot->cancel_key;
    info->start_time_us = slot->start_time_us;
    memcpy(info->user, slot->user, kProcNameBytes);
    memcpy(info->database, slot->database, kProcNameBytes);
    memcpy(info->application_name, slot->application_name, kProcNameBytes);
    std::atomic_thread_fence(std::memory_order_acquire);  // data reads before the re-check
    if (slot->change_count.load(std::memory_order_relaxed) == before) break;
  }
  info->user[kProcNameBytes - 1] = '\0';
  info->database[kProcNameBytes - 1] = '\0';
  info->application_name[kProcNameBytes - 1] = '\0';
  info->xid = slot->xid.load(std::memory_order_relaxed);
  info->xmin = slot->xmin.load(std::memory_order_relaxed);
  return true;
}

ProcSlot* AcquireSlot(bool backend, ProcKind kind, int32_t pid, int32_t cancel_key) {
  KEEL_ASSERT(header != nullptr);
  KEEL_ASSERT(pid == static_cast<int32_t>(getpid()));
  int32_t idx;
  {
    SpinLockGuard guard(&header->lock);  // P2
    int32_t* head = backend ? &header->free_backend : &header->free_aux;
    idx = *head;
    if (idx < 0) return nullptr;
    *head = slots[idx].next_free;
    slots[idx].next_free = -1;
    if (backend) {
      header->num_backends.store(header->num_backends.load(std::memory_order_relaxed) + 1,
                                 std::memory_order_relaxed);
    }
  }
  ProcSlot* slot = &slots[idx];
  KEEL_ASSERT(slot->kind == ProcKind::kFree);
  BeginChange(slot);
  slot->pid.store(pid, std::memory_order_relaxed);
  slot->kind = kind;
  slot->cancel_key = cancel_key;
  slot->start_time_us = NowUs();
  memset(slot->user, 0, kProcNameBytes);
  memset(slot->database, 0, kProcNameBytes);
  memset(slot->application_name, 0, kProcNameBytes);
  EndChange(slot);
  slot->xid.store(0, std::memory_order_relaxed);
  slot->xmin.store(0, std::memory_order_relaxed);
  slot->subxid_count.store(0, std::memory_order_relaxed);
  slot->subxid_overflowed.store(0, std::memory_order_relaxed);
  OwnLatch(&slot->latch);  // T1
  SetCurrentProcSlot(slot);
  return slot;
}

}  // namespace

const char* ProcKindName(ProcKind kind) {
  switch (kind) {
    case ProcKind::kFree: return "free";
    case ProcKind::kBackend: return "client backend";
    case ProcKind::kStartup: return "startup";
    case ProcKind::kCheckpointer: return "checkpointer";
    case ProcKind::kBgWriter: return "background writer";
    case ProcKind::kWalWriter: return "walwriter";
    case ProcKind::kAutovacuum: return "autovacuum worker";
    case ProcKind::kAutovacuumLauncher: return "autovacuum launcher";
    case ProcKind::kWalSender: return "walsender";
    case ProcKind::kWalReceiver: return "walreceiver";
    case ProcKind::kOther: return "other";
    case ProcKind::kPrepared: return "prepared transaction";
  }
  return "unknown";
}

size_t ProcArrayShmemSize(int max_backends, int max_aux, int max_prepared) {
  KEEL_ASSERT(max_backends >= 1 && max_aux >= 0 && max_prepared >= 0);
  const size_t num_slots =
      AddSize(AddSize(static_cast<size_t>(max_backends), static_cast<size_t>(max_aux)),
              static_cast<size_t>(max_prepared));
  return AddSize(kSlotsOffset, MulSize(num_slots, sizeof(ProcSlot)));
}

void ProcArrayShmemInit(int max_backends, int max_aux, int max_prepared) {
  KEEL_ASSERT(max_backends >= 1 && max_aux >= 0 && max_prepared >= 0);
  bool found = false;
  void* base = ShmemInitStruct("proc array",
                               ProcArrayShmemSize(max_backends, max_aux, max_prepared), &found);
  header = static_cast<ProcArrayHeader*>(base);
  slots = reinterpret_cast<ProcSlot*>(static_cast<char*>(base) + kSlotsOffset);
  num_backend_slots = max_backends;
  num_prepared_slots = max_prepared;
  num_slots_total = max_backends + max_aux + max_prepared;
  if (found) return;  // already set up (by this process, before a fork)

  header->max_backends = max_backends;
  header->max_aux = max_aux;
  header->lock.Init();
  header->num_backends.store(0, std::memory_order_relaxed);
  const int num_process_slots = max_backends + max_aux;
  for (int i = 0; i < num_slots_total; ++i) {
    ProcSlot* slot = &slots[i];  // zero-filled memory (M2): only non-zero fields are set
    slot->slot_idx = i;
    InitSharedLatch(&slot->latch);
    if (i >= num_process_slots) {  // P8: a prepared transaction's, never on a free list
      slot->kind = ProcKind::kPrepared;
      slot->next_free = -1;
      continue;
    }
    slot->kind = ProcKind::kFree;
    // Each class's free list runs in slot order, so low slots are reused first.
    const bool last_of_class = i == max_backends - 1 || i == num_process_slots - 1;
    slot->next_free = last_of_class ? -1 : i + 1;
  }
  header->free_backend = 0;
  header->free_aux = max_aux > 0 ? max_backends : -1;
}

ProcSlot* ProcArrayAcquireBackendSlot(int32_t pid, int32_t cancel_key) {
  return AcquireSlot(true, ProcKind::kBackend, pid, cancel_key);
}

ProcSlot* ProcArrayAcquireAuxSlot(ProcKind kind, int32_t pid) {
  KEEL_ASSERT(kind != ProcKind::kFree && kind != ProcKind::kBackend);
  return AcquireSlot(false, kind, pid, 0);
}

void ProcArrayReleaseSlot(ProcSlot* slot) {
  KEEL_ASSERT(header != nullptr && slot == &slots[slot->slot_idx]);
  KEEL_ASSERT(slot->kind != ProcKind::kFree && slot->next_free == -1);
  if (CurrentProcess().proc == slot) SetCurrentProcSlot(nullptr);
  if (slot->latch.owner_pid.load(std::memory_order_relaxed) == static_cast<int32_t>(getpid())) {
    DisownLatch(&slot->latch);
  }
  slot->xid.store(0, std::memory_order_relaxed);
  slot->xmin.store(0, std::memory_order_relaxed);
  slot->subxid_count.store(0, std::memory_order_relaxed);
  slot->subxid_overflowed.store(0, std::memory_order_relaxed);
  BeginChange(slot);
  slot->pid.store(0, std::memory_order_relaxed);
  slot->kind = ProcKind::kFree;
  slot->cancel_key = 0;
  slot->start_time_us = 0;
  EndChange(slot);

  const bool backend = slot->slot_idx < num_backend_slots;
  SpinLockGuard guard(&header->lock);  // P2
  int32_t* head = backend ? &header->free_backend : &header->free_aux;
  slot->next_free = *head;
  *head = slot->slot_idx;
  if (backend) {
    header->num_backends.store(header->num_backends.load(std::memory_order_relaxed) - 1,
                               std::memory_order_relaxed);
  }
}

void ProcArraySetSessionInfo(ProcSlot* slot, const char* user, const char* database,
                             const char* application_name) {
  KEEL_ASSERT(slot->pid.load(std::memory_order_relaxed) == static_cast<int32_t>(getpid()));
  BeginChange(slot);
  CopyName(slot->user, user);
  CopyName(slot->database, database);
  CopyName(slot->application_name, application_name);
  EndChange(slot);
}

bool ProcArraySignalCancel(int32_t pid, int32_t cancel_key) {
  if (header == nullptr || pid <= 0) return false;
  for (int i = 0; i < num_backend_slots; ++i) {
    if (slots[i].pid.load(std::memory_order_relaxed) != pid) continue;
    ProcInfo info;
    if (!ReadSlot(&slots[i], &info)) continue;
    // P5: both the pid and the key must match, and only client backends are cancelled.
    if (info.pid == pid && info.kind == ProcKind::kBackend && info.cancel_key == cancel_key) {
      kill(pid, SIGINT);
      return true;
    }
  }
  return false;
}

int ProcArrayCountBackends() {
  return header == nullptr ? 0 : header->num_backends.load(std::memory_order_relaxed);
}

ProcSlot* ProcArraySlot(int slot_idx) {
  KEEL_ASSERT(header != nullptr && slot_idx >= 0 && slot_idx < num_slots_total);
  return &slots[slot_idx];
}

int ProcArrayNumSlots() { return header == nullptr ? 0 : num_slots_total; }

ProcSlot* ProcArrayPreparedSlot(int i) {
  KEEL_ASSERT(header != nullptr && i >= 0 && i < num_prepared_slots);
  return &slots[num_slots_total - num_prepared_slots + i];
}

int ProcArrayNumPreparedSlots() { return header == nullptr ? 0 : num_prepared_slots; }

void ProcArrayForEach(ProcVisitor visit, void* arg) {
  const int num_slots = ProcArrayNumSlots();
  for (int i = 0; i < num_slots; ++i) {
    if (slots[i].pid.load(std::memory_order_relaxed) == 0) continue;
    ProcInfo info;
    if (!ReadSlot(&slots[i], &info)) continue;
    if (info.pid == 0 || info.kind == ProcKind::kFree) continue;
    visit(info, arg);
  }
}

}  // namespace keel::storage
