// Sync requests: the shared queue (senders), the checkpointer's pending tables, and the
// fsync / deferred-unlink passes of a checkpoint. Cycle logic and invariants SY1-SY7:
// README.md.
#include "storage/sync/sync.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <deque>
#include <type_traits>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "backend/utils/config/settings.h"
#include "backend/utils/error/error.h"
#include "backend/utils/error/format.h"
#include "backend/utils/error/log.h"
#include "storage/file/file_io.h"
#include "storage/ipc/latch.h"
#include "storage/ipc/process_context.h"
#include "storage/ipc/shmem.h"
#include "storage/lmgr/lwlock.h"
#include "storage/smgr/smgr.h"

namespace keel::storage {

namespace {

// One queued request. Plain data in shared memory.
struct SyncRequestEntry {
  FileTag tag;
  SyncRequestKind kind;
};
static_assert(std::is_trivially_copyable_v<SyncRequestEntry>);

// The shared part (SY1). `max_requests` entries follow the header in the same allocation.
struct SyncQueueShared {
  LwLock lock;                               // guards num_requests and the entries
  std::atomic<int32_t> checkpointer_pid;     // 0: none; set by SetSyncRequestsLocal
  std::atomic<Latch*> checkpointer_latch;    // its latch in shared memory, or nullptr
  int32_t max_requests;                      // constant after SyncShmemInit
  int32_t num_requests;                      // guarded by lock
  std::atomic<uint64_t> backend_fsyncs;      // SY3 / SY6 counter, relaxed
};
static_assert(std::is_standard_layout_v<SyncQueueShared> &&
              std::is_trivially_destructible_v<SyncQueueShared>);
static_assert(std::atomic<Latch*>::is_always_lock_free &&
              std::atomic<uint64_t>::is_always_lock_free);

constexpr size_t kEntriesOffset =
    (sizeof(SyncQueueShared) + alignof(SyncRequestEntry) - 1) & ~(alignof(SyncRequestEntry) - 1);
// How many fsyncs (or unlinks) between two absorbs inside the checkpoint passes, so the
// queue does not fill up while the checkpointer is busy (PostgreSQL uses 10 as well).
constexpr int kSyncsPerAbsorb = 10;
// SY3: how long a kSync sender waits for room before doing the fsync itself.
constexpr int kSyncWaitRounds = 10;
constexpr long kSyncWaitUs = 1000;
// Forget / unlink requests wait in rounds of this length until they fit.
constexpr long kOtherWaitUs = 10'000;

// Set by SyncShmemInit in the postmaster (or test), inherited by every child.
SyncQueueShared* g_queue = nullptr;

SyncQueueShared* Queue() {
  // The region may have been destroyed and re-created (tests, crash restart before the
  // next SyncShmemInit): only trust a pointer that lies in the current region.
  if (g_queue == nullptr || !ShmemIsCreated() || !ShmemAddrIsValid(g_queue)) return nullptr;
  return g_queue;
}

SyncRequestEntry* Entries(SyncQueueShared* q) {
  return reinterpret_cast<SyncRequestEntry*>(reinterpret_cast<char*>(q) + kEntriesOffset);
}

// ---- the checkpointer's process-local state (SY2, SY6) -------------------------------------

struct PendingSync {
  uint32_t cycle;  // sync_cycle when the entry was (re)made
  bool canceled;   // a forget came after it (SY5)
};

struct PendingUnlink {
  FileTag tag;
  uint32_t cycle;  // checkpoint_cycle when the request was absorbed
};

struct LocalState {
  pid_t pid = 0;  // the process that is the checkpointer; 0: none in this process
  std::unordered_map<FileTag, PendingSync> pending;
  std::deque<PendingUnlink> unlinks;  // in order of absorption, so in order of cycle
  uint32_t sync_cycle = 0;            // advanced by each ProcessSyncRequests
  uint32_t checkpoint_cycle = 0;      // advanced by each SyncPreCheckpoint
  bool sync_in_progress = false;      // a ProcessSyncRequests did not finish
  SyncStats last_stats{0, 0};
  std::vector<SyncRequestEntry> absorb_buffer;
#ifdef KEEL_DEBUG
  std::vector<FileTag> last_synced;
#endif
};

LocalState& Local() {
  static auto* state = new LocalState();  // never destroyed: used until _exit()
  return *state;
}

bool IAmCheckpointer() { return Local().pid != 0 && Local().pid == getpid(); }

uint64_t NowUs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1'000'000 + static_cast<uint64_t>(ts.tv_nsec) / 1000;
}

void SleepUs(long us) {
  timespec ts{us / 1'000'000, (us % 1'000'000) * 1000};
  while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
  }
}

std::string TagPath(const FileTag& tag) { return SegmentPath(tag.rel, tag.fork, tag.segno); }

// Enters one request into the local tables (SY2, SY5, SY6).
void Remember(const FileTag& tag, SyncRequestKind kind) {
  LocalState& s = Local();
  switch (kind) {
    case SyncRequestKind::kSync: {
      auto [it, inserted] = s.pending.try_emplace(tag, PendingSync{s.sync_cycle, false});
      // An existing live entry already covers this write (its fsync comes later); a canceled
      // one is revived for the current cycle (SY5).
      if (!inserted && it->second.canceled) it->second = PendingSync{s.sync_cycle, false};
      break;
    }
    case SyncRequestKind::kForgetRelation:
      for (auto& [pending_tag, entry] : s.pending) {
        if (pending_tag.rel == tag.rel) entry.canceled = true;
      }
      break;
    case SyncRequestKind::kUnlinkAfterCheckpoint:
      s.unlinks.push_back(PendingUnlink{tag, s.checkpoint_cycle});
      break;
  }
}

// fsync of one file by name. Returns 0, or the errno of a failed open (ENOENT: the caller
// decides); a failed fsync itself is a PANIC (SY4).
int FsyncByName(const FileTag& tag) {
  const std::string path = TagPath(tag);
  const int fd = FileOpen(path, O_RDWR, 0600);
  if (fd < 0) return errno;
  if (FileSync(fd) != 0) {
    const int saved_errno = errno;
    (void)FileClose(fd);
    PanicOnFsyncFailure(path, saved_errno);
  }
  (void)FileClose(fd);
  return 0;
}

// The sender does the request itself (SY3 for kSync; SY6 without a checkpointer).
void DoItMyself(const FileTag& tag, SyncRequestKind kind, SyncQueueShared* q) {
  switch (kind) {
    case SyncRequestKind::kSync: {
      if (!settings::fsync) return;
      const int open_errno = FsyncByName(tag);
      // A file that is gone was dropped meanwhile: nothing left to make durable.
      if (open_errno != 0 && open_errno != ENOENT) {
        throw Error(FileAccessSqlState(open_errno),
                    Format("could not open file \"%s\": %s", TagPath(tag).c_str(),
                           ErrnoText(open_errno).c_str()));
      }
      if (q != nullptr) q->backend_fsyncs.fetch_add(1, std::memory_order_relaxed);
      return;
    }
    case SyncRequestKind::kForgetRelation:
      return;  // nothing is pending anywhere
    case SyncRequestKind::kUnlinkAfterCheckpoint: {
      const std::string path = TagPath(tag);
      if (unlink(path.c_str()) != 0 && errno != ENOENT) {
        Log(Severity::kWarning, "could not remove file \"%s\": %s", path.c_str(),
            ErrnoText(errno).c_str());
      }
      return;
    }
  }
}

// SY1: drops every request that a later identical request (same kind and tag) repeats,
// keeping the later one and the order of the rest. Returns whether anything was freed.
// Requires: the queue lock held exclusively.
bool CompactQueue(SyncQueueShared* q) {
  SyncRequestEntry* entries = Entries(q);
  const int n = q->num_requests;
  struct Key {
    FileTag tag;
    SyncRequestKind kind;
    bool operator==(const Key&) const = default;
  };
  struct KeyHash {
    size_t operator()(const Key& k) const noexcept {
      return std::hash<FileTag>{}(k.tag) * 31 + static_cast<size_t>(k.kind);
    }
  };
  std::unordered_set<Key, KeyHash> seen;
  seen.reserve(static_cast<size_t>(n));
  std::vector<bool> keep(static_cast<size_t>(n), true);
  int dropped = 0;
  for (int i = n - 1; i >= 0; --i) {
    if (!seen.insert(Key{entries[i].tag, entries[i].kind}).second) {
      keep[static_cast<size_t>(i)] = false;
      ++dropped;
    }
  }
  if (dropped == 0) return false;
  int out = 0;
  for (int i = 0; i < n; ++i) {
    if (keep[static_cast<size_t>(i)]) entries[out++] = entries[i];
  }
  q->num_requests = out;
  return true;
}

void WakeCheckpointer(SyncQueueShared* q) {
  if (Latch* latch = q->checkpointer_latch.load(std::memory_order_acquire)) SetLatch(latch);
}

bool CheckpointerGone(SyncQueueShared* q) {
  const int32_t pid = q->checkpointer_pid.load(std::memory_order_acquire);
  return pid == 0 || (kill(pid, 0) != 0 && errno == ESRCH);
}

// Tries once to queue the request. Requires: q != nullptr.
bool TryEnqueue(SyncQueueShared* q, const FileTag& tag, SyncRequestKind kind) {
  bool queued = false;
  bool wake = false;
  {
    LwLockGuard guard(&q->lock, LwLockMode::kExclusive);
    if (q->num_requests < q->max_requests || CompactQueue(q)) {
      Entries(q)[q->num_requests++] = SyncRequestEntry{tag, kind};
      queued = true;
      // Half full: wake the checkpointer so it absorbs before senders have to wait.
      wake = q->num_requests >= q->max_requests / 2;
    }
  }
  if (wake) WakeCheckpointer(q);
  return queued;
}

}  // namespace

size_t SyncShmemSize(int queue_entries) {
  return AddSize(kEntriesOffset,
                 MulSize(static_cast<size_t>(queue_entries), sizeof(SyncRequestEntry)));
}

void SyncShmemInit(int queue_entries) {
  KEEL_ASSERT(queue_entries >= 1);
  bool found = false;
  auto* q = static_cast<SyncQueueShared*>(
      ShmemInitStruct("sync request queue", SyncShmemSize(queue_entries), &found));
  g_queue = q;
  if (found) return;
  q->lock.Init(lwtranche::kCheckpoint);
  q->checkpointer_pid.store(0, std::memory_order_relaxed);
  q->checkpointer_latch.store(nullptr, std::memory_order_relaxed);
  q->max_requests = queue_entries;
  q->num_requests = 0;
  q->backend_fsyncs.store(0, std::memory_order_relaxed);
}

void RegisterSyncRequest(const FileTag& tag, SyncRequestKind kind) {
  if (IAmCheckpointer()) {
    Remember(tag, kind);
    return;
  }
  SyncQueueShared* q = Queue();
  if (q == nullptr || q->checkpointer_pid.load(std::memory_order_acquire) == 0) {
    DoItMyself(tag, kind, q);  // SY6: nobody would carry it out
    return;
  }
  for (int round = 0;; ++round) {
    if (TryEnqueue(q, tag, kind)) return;
    WakeCheckpointer(q);
    if (kind == SyncRequestKind::kSync && round >= kSyncWaitRounds) {
      Log(Severity::kDebug1, "could not forward fsync request because request queue is full");
      DoItMyself(tag, kind, q);  // SY3
      return;
    }
    if (CheckpointerGone(q)) {
      DoItMyself(tag, kind, q);
      return;
    }
    SleepUs(kind == SyncRequestKind::kSync ? kSyncWaitUs : kOtherWaitUs);
  }
}

void AbsorbSyncRequests() {
  if (!IAmCheckpointer()) return;
  SyncQueueShared* q = Queue();
  if (q == nullptr) return;
  LocalState& s = Local();
  {
    LwLockGuard guard(&q->lock, LwLockMode::kExclusive);
    // The buffer was sized by SetSyncRequestsLocal, so this does not allocate under the lock.
    s.absorb_buffer.assign(Entries(q), Entries(q) + q->num_requests);
    q->num_requests = 0;
  }
  for (const SyncRequestEntry& entry : s.absorb_buffer) Remember(entry.tag, entry.kind);
  s.absorb_buffer.clear();
}

bool SyncRequestsAreLocal() {
  if (IAmCheckpointer()) return true;
  SyncQueueShared* q = Queue();
  return q == nullptr || CheckpointerGone(q);
}

void SyncPreCheckpoint() {
  if (!IAmCheckpointer()) {
    // SY8: a checkpoint in place without a checkpointer. Senders did their requests at once
    // (SY6); what a checkpointer that stepped down or died left in the queue is done here, as
    // its sender would have (fsyncs now, unlinks now). Requires: SyncRequestsAreLocal().
    SyncQueueShared* q = Queue();
    if (q == nullptr) return;
    std::vector<SyncRequestEntry> left;
    {
      LwLockGuard guard(&q->lock, LwLockMode::kExclusive);
      left.reserve(static_cast<size_t>(q->num_requests));
      left.assign(Entries(q), Entries(q) + q->num_requests);
      q->num_requests = 0;
    }
    for (const SyncRequestEntry& entry : left) DoItMyself(entry.tag, entry.kind, q);
    return;
  }
  // SY6: requests sent before this point belong to the cycle that is ending.
  AbsorbSyncRequests();
  ++Local().checkpoint_cycle;
}

void ProcessSyncRequests() {
  if (!IAmCheckpointer()) return;
  LocalState& s = Local();
  const uint64_t start_us = NowUs();
  AbsorbSyncRequests();
  if (s.sync_in_progress) {
    // A previous pass stopped half-way (an error): what it left is still owed (SY2).
    for (auto& [tag, entry] : s.pending) entry.cycle = s.sync_cycle;
  }
  // SY2: entries made from now on carry the new cycle and wait for the next checkpoint.
  ++s.sync_cycle;
  s.sync_in_progress = true;

  std::vector<FileTag> todo;
  todo.reserve(s.pending.size());
  for (const auto& [tag, entry] : s.pending) {
    if (entry.cycle != s.sync_cycle) todo.push_back(tag);
  }
#ifdef KEEL_DEBUG
  s.last_synced.clear();
#endif
  uint64_t synced = 0;
  int since_absorb = 0;
  for (const FileTag& tag : todo) {
    if (++since_absorb >= kSyncsPerAbsorb) {
      AbsorbSyncRequests();
      since_absorb = 0;
    }
    auto it = s.pending.find(tag);
    if (it == s.pending.end()) continue;
    // Canceled and re-requested during this pass: the fresh entry waits for the next one.
    if (it->second.cycle == s.sync_cycle) continue;
    if (!it->second.canceled && settings::fsync) {
      int open_errno = FsyncByName(tag);
      if (open_errno == ENOENT) {
        // SY4: the file may have been dropped; the forget request is then in the queue.
        AbsorbSyncRequests();
        it = s.pending.find(tag);  // absorbing may have rehashed; it never erases
        KEEL_ASSERT(it != s.pending.end());
        if (!it->second.canceled) open_errno = FsyncByName(tag);
      }
      if (open_errno != 0 && !it->second.canceled) {
        PanicOnFsyncFailure(TagPath(tag), open_errno);
      }
      if (open_errno == 0) {
        ++synced;
#ifdef KEEL_DEBUG
        s.last_synced.push_back(tag);
#endif
      }
    }
    s.pending.erase(it);
  }
  s.sync_in_progress = false;
  s.last_stats = SyncStats{synced, NowUs() - start_us};
}

void SyncPostCheckpoint() {
  if (!IAmCheckpointer()) return;
  LocalState& s = Local();
  int since_absorb = 0;
  while (!s.unlinks.empty()) {
    const PendingUnlink& entry = s.unlinks.front();
    // SY6: the list is in cycle order; what was absorbed after this checkpoint's
    // SyncPreCheckpoint waits for the next checkpoint.
    if (entry.cycle == s.checkpoint_cycle) break;
    const std::string path = TagPath(entry.tag);
    if (unlink(path.c_str()) != 0 && errno != ENOENT) {
      Log(Severity::kWarning, "could not remove file \"%s\": %s", path.c_str(),
          ErrnoText(errno).c_str());
    }
    s.unlinks.pop_front();
    if (++since_absorb >= kSyncsPerAbsorb) {
      AbsorbSyncRequests();  // appends at the back: later cycle, the loop stops before it
      since_absorb = 0;
    }
  }
}

void SetSyncRequestsLocal(bool is_checkpointer) {
  LocalState& s = Local();
  // A fresh start either way (SY7): a new checkpointer has nothing pending; one that steps
  // down has finished its last checkpoint.
  s.pending.clear();
  s.unlinks.clear();
  s.sync_in_progress = false;
  s.last_stats = SyncStats{0, 0};
  s.pid = is_checkpointer ? getpid() : 0;
  SyncQueueShared* q = Queue();
  if (is_checkpointer && q != nullptr) {
    s.absorb_buffer.reserve(static_cast<size_t>(q->max_requests));
  }
  if (q == nullptr) return;
  if (is_checkpointer) {
    Latch* latch = MyLatch();
    q->checkpointer_latch.store(ShmemAddrIsValid(latch) ? latch : nullptr,
                                std::memory_order_release);
    q->checkpointer_pid.store(getpid(), std::memory_order_release);
  } else if (q->checkpointer_pid.load(std::memory_order_acquire) == getpid()) {
    q->checkpointer_pid.store(0, std::memory_order_release);
    q->checkpointer_latch.store(nullptr, std::memory_order_release);
  }
}

SyncStats LastSyncStats() { return Local().last_stats; }

uint64_t BackendFsyncCount() {
  SyncQueueShared* q = Queue();
  return q == nullptr ? 0 : q->backend_fsyncs.load(std::memory_order_relaxed);
}

int SyncQueueLength() {
  SyncQueueShared* q = Queue();
  if (q == nullptr) return 0;
  LwLockGuard guard(&q->lock, LwLockMode::kShared);
  return q->num_requests;
}

#ifdef KEEL_DEBUG
std::vector<FileTag> TestOnlyLastSyncedFiles() { return Local().last_synced; }
#endif

}  // namespace keel::storage
