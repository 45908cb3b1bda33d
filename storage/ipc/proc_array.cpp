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
char* query_buffers = nullptr;  // num_slots_total * query_bytes, after the slots (P9)
int query_bytes = 0;
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

template <size_t N>
void CopyName(char (&dest)[N], const char* src) {
  if (src == nullptr) return;
  const size_t len = strnlen(src, N - 1);
  memcpy(dest, src, len);
  memset(dest + len, 0, N - len);
}

char* QueryBuffer(const ProcSlot* slot) {
  return query_buffers + static_cast<size_t>(slot->slot_idx) * static_cast<size_t>(query_bytes);
}

// Length of the longest prefix of `text` (length `len`) that fits `limit` bytes without
// cutting a UTF-8 sequence (PostgreSQL's pg_mbcliplen for the server encoding).
size_t ClipUtf8(const char* text, size_t len, size_t limit) {
  if (len <= limit) return len;
  size_t cut = limit;
  // Back up over continuation bytes (10xxxxxx) to the start of the cut character.
  while (cut > 0 && (static_cast<uint8_t>(text[cut]) & 0xC0) == 0x80) --cut;
  return cut;
}

void ClearActivity(ProcSlot* slot) {
  slot->database_oid = 0;
  slot->role_oid = 0;
  slot->state = BackendState::kUndefined;
  slot->client_port = 0;
  memset(slot->client_addr, 0, kProcClientAddrBytes);
  slot->xact_start_us = 0;
  slot->query_start_us = 0;
  slot->state_change_us = 0;
  memset(slot->wait_event_type, 0, kProcWaitEventBytes);
  memset(slot->wait_event, 0, kProcWaitEventBytes);
  QueryBuffer(slot)[0] = '\0';
}

void AssertOwnSlot(const ProcSlot* slot) {
  KEEL_ASSERT(slot->pid.load(std::memory_order_relaxed) == static_cast<int32_t>(getpid()));  // P1
}

void CopyInfo(const ProcSlot* slot, ProcInfo* info) {
  info->slot_idx = slot->slot_idx;
  info->pid = slot->pid.load(std::memory_order_relaxed);
  info->kind = slot->kind;
  info->cancel_key = slot->cancel_key;
  info->start_time_us = slot->start_time_us;
  memcpy(info->user, slot->user, kProcNameBytes);
  memcpy(info->database, slot->database, kProcNameBytes);
  memcpy(info->application_name, slot->application_name, kProcNameBytes);
}

// After a consistent copy: terminate the strings (a torn copy never gets here, but a slot
// written by a buggy process must not send readers past the arrays) and read the xids, which
// have their own protocol (access/transam).
void FinishInfo(const ProcSlot* slot, ProcInfo* info) {
  info->user[kProcNameBytes - 1] = '\0';
  info->database[kProcNameBytes - 1] = '\0';
  info->application_name[kProcNameBytes - 1] = '\0';
  info->xid = slot->xid.load(std::memory_order_relaxed);
  info->xmin = slot->xmin.load(std::memory_order_relaxed);
}

// Runs `copy()` until it saw `slot` between two equal even change counts (P4): retries while
// its process is changing it. False when no consistent copy could be had (kMaxReadAttempts).
template <typename Copy>
[[nodiscard]] bool ReadConsistent(const ProcSlot* slot, Copy&& copy) {
  for (int attempt = 0; attempt < kMaxReadAttempts; ++attempt) {
    const uint32_t before = slot->change_count.load(std::memory_order_acquire);
    if (before % 2 != 0) {
      sched_yield();  // the writer is a few stores away from done, unless it was preempted
      continue;
    }
    copy();
    std::atomic_thread_fence(std::memory_order_acquire);  // data reads before the re-check
    if (slot->change_count.load(std::memory_order_relaxed) == before) return true;
  }
  return false;
}

// Reads a consistent copy of `slot`'s descriptive fields (P4).
[[nodiscard]] bool ReadSlot(const ProcSlot* slot, ProcInfo* info) {
  if (!ReadConsistent(slot, [&] { CopyInfo(slot, info); })) return false;
  FinishInfo(slot, info);
  return true;
}

// The same with the activity fields and the query text (P9). `query` is scratch space of
// query_bytes.
[[nodiscard]] bool ReadActivity(const ProcSlot* slot, ProcActivity* a, std::string* query) {
  const bool ok = ReadConsistent(slot, [&] {
    CopyInfo(slot, &a->info);
    a->database_oid = slot->database_oid;
    a->role_oid = slot->role_oid;
    a->state = slot->state;
    a->client_port = slot->client_port;
    memcpy(a->client_addr, slot->client_addr, kProcClientAddrBytes);
    a->xact_start_us = slot->xact_start_us;
    a->query_start_us = slot->query_start_us;
    a->state_change_us = slot->state_change_us;
    memcpy(a->wait_event_type, slot->wait_event_type, kProcWaitEventBytes);
    memcpy(a->wait_event, slot->wait_event, kProcWaitEventBytes);
    memcpy(query->data(), QueryBuffer(slot), static_cast<size_t>(query_bytes));
  });
  if (!ok) return false;
  FinishInfo(slot, &a->info);
  a->client_addr[kProcClientAddrBytes - 1] = '\0';
  a->wait_event_type[kProcWaitEventBytes - 1] = '\0';
  a->wait_event[kProcWaitEventBytes - 1] = '\0';
  a->query.assign(query->data(), strnlen(query->data(), static_cast<size_t>(query_bytes)));
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
  ClearActivity(slot);
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

const char* BackendStateName(BackendState state) {
  switch (state) {
    case BackendState::kUndefined: return nullptr;
    case BackendState::kIdle: return "idle";
    case BackendState::kRunning: return "active";
    case BackendState::kIdleInTransaction: return "idle in transaction";
    case BackendState::kFastpath: return "fastpath function call";
    case BackendState::kIdleInTransactionAborted: return "idle in transaction (aborted)";
    case BackendState::kDisabled: return "disabled";
  }
  return nullptr;
}

size_t ProcArrayShmemSize(int max_backends, int max_aux, int max_prepared, int query_size) {
  KEEL_ASSERT(max_backends >= 1 && max_aux >= 0 && max_prepared >= 0);
  KEEL_ASSERT(query_size >= kMinTrackActivityQuerySize &&
              query_size <= kMaxTrackActivityQuerySize);
  const size_t num_slots =
      AddSize(AddSize(static_cast<size_t>(max_backends), static_cast<size_t>(max_aux)),
              static_cast<size_t>(max_prepared));
  const size_t slot_bytes = AddSize(kSlotsOffset, MulSize(num_slots, sizeof(ProcSlot)));
  return AddSize(slot_bytes, MulSize(num_slots, static_cast<size_t>(query_size)));  // P9
}

void ProcArrayShmemInit(int max_backends, int max_aux, int max_prepared, int query_size) {
  KEEL_ASSERT(max_backends >= 1 && max_aux >= 0 && max_prepared >= 0);
  bool found = false;
  void* base = ShmemInitStruct(
      "proc array", ProcArrayShmemSize(max_backends, max_aux, max_prepared, query_size), &found);
  header = static_cast<ProcArrayHeader*>(base);
  slots = reinterpret_cast<ProcSlot*>(static_cast<char*>(base) + kSlotsOffset);
  query_bytes = query_size;
  query_buffers = reinterpret_cast<char*>(slots + max_backends + max_aux + max_prepared);
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
  AssertOwnSlot(slot);
  BeginChange(slot);
  CopyName(slot->user, user);
  CopyName(slot->database, database);
  CopyName(slot->application_name, application_name);
  EndChange(slot);
}

void ProcArraySetSessionIds(ProcSlot* slot, uint32_t database_oid, uint32_t role_oid) {
  AssertOwnSlot(slot);
  BeginChange(slot);
  slot->database_oid = database_oid;
  slot->role_oid = role_oid;
  EndChange(slot);
}

void ProcArraySetClientAddress(ProcSlot* slot, const char* addr, int32_t port) {
  AssertOwnSlot(slot);
  BeginChange(slot);
  memset(slot->client_addr, 0, kProcClientAddrBytes);
  CopyName(slot->client_addr, addr);
  slot->client_port = port;
  EndChange(slot);
}

void ProcArraySetXactStart(ProcSlot* slot, int64_t xact_start_us) {
  AssertOwnSlot(slot);
  BeginChange(slot);
  slot->xact_start_us = xact_start_us;
  EndChange(slot);
}

void ProcArrayReportActivity(ProcSlot* slot, BackendState state, const char* query) {
  AssertOwnSlot(slot);
  const int64_t now = NowUs();
  BeginChange(slot);
  slot->state = state;
  slot->state_change_us = now;
  char* buffer = QueryBuffer(slot);
  if (state == BackendState::kDisabled) {  // as PostgreSQL with track_activities off
    buffer[0] = '\0';
    slot->query_start_us = 0;
    slot->state_change_us = 0;
    slot->xact_start_us = 0;
  } else if (query != nullptr) {
    const size_t len = ClipUtf8(query, strlen(query), static_cast<size_t>(query_bytes) - 1);
    memcpy(buffer, query, len);
    buffer[len] = '\0';
    slot->query_start_us = now;
  }
  EndChange(slot);
}

void ProcArraySetWaitEvent(ProcSlot* slot, const char* type, const char* event) {
  AssertOwnSlot(slot);
  BeginChange(slot);
  memset(slot->wait_event_type, 0, kProcWaitEventBytes);
  memset(slot->wait_event, 0, kProcWaitEventBytes);
  CopyName(slot->wait_event_type, type);
  CopyName(slot->wait_event, event);
  EndChange(slot);
}

int ProcArrayQueryBytes() { return header == nullptr ? 0 : query_bytes; }

void ProcArrayForEachActivity(ProcActivityVisitor visit, void* arg) {
  const int num_slots = ProcArrayNumSlots();
  if (num_slots == 0) return;
  std::string scratch(static_cast<size_t>(query_bytes), '\0');
  ProcActivity activity;
  for (int i = 0; i < num_slots; ++i) {
    if (slots[i].pid.load(std::memory_order_relaxed) == 0) continue;
    if (!ReadActivity(&slots[i], &activity, &scratch)) continue;
    if (activity.info.pid == 0 || activity.info.kind == ProcKind::kFree) continue;
    visit(activity, arg);
  }
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

std::vector<DatabaseSession> ProcArrayDatabaseSessions(uint32_t database_oid) {
  std::vector<DatabaseSession> sessions;
  if (header == nullptr || database_oid == 0) return sessions;
  const int32_t me = static_cast<int32_t>(getpid());
  for (int i = 0; i < num_slots_total; ++i) {
    const int32_t pid = slots[i].pid.load(std::memory_order_relaxed);
    if (pid == 0 || pid == me) continue;
    DatabaseSession s{};
    uint32_t db = 0;
    if (!ReadConsistent(&slots[i], [&] {  // P4
          s.pid = slots[i].pid.load(std::memory_order_relaxed);
          s.kind = slots[i].kind;
          s.role_oid = slots[i].role_oid;
          db = slots[i].database_oid;
        })) {
      continue;
    }
    if (s.pid == 0 || s.pid == me || s.kind == ProcKind::kFree || db != database_oid) continue;
    sessions.push_back(s);
  }
  return sessions;
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
