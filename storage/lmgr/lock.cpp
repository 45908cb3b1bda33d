// Heavyweight lock manager: shared partitioned table, per-process local table, waiting on
// the process latch. See lock.h and storage/lmgr/README.md ("Heavyweight locks", H1-H10).
#include "storage/lmgr/lock.h"

#include <time.h>

#include <algorithm>
#include <cstring>
#include <initializer_list>
#include <unordered_map>

#include "backend/utils/config/settings.h"
#include "backend/utils/error/error.h"
#include "backend/utils/error/format.h"
#include "backend/utils/error/log.h"
#include "backend/utils/init/interrupts.h"
#include "storage/ipc/latch.h"
#include "storage/ipc/proc_array.h"
#include "storage/ipc/process_context.h"
#include "storage/ipc/shmem.h"
#include "storage/lmgr/lock_internal.h"

namespace keel::storage {

using lockint::kNone;
using lockint::LockObject;
using lockint::LockProcState;
using lockint::LockTable;
using lockint::LockTableHeader;
using lockint::ModeBit;
using lockint::ProcLock;

namespace {

// Indexed by mode: the modes each one conflicts with (PostgreSQL's table, H4).
constexpr uint32_t Bits(std::initializer_list<int> modes) {
  uint32_t mask = 0;
  for (int m : modes) mask |= 1u << m;
  return mask;
}
constexpr uint32_t kConflicts[kNumLockModes + 1] = {
    0,
    /* AccessShare */ Bits({8}),
    /* RowShare */ Bits({7, 8}),
    /* RowExclusive */ Bits({5, 6, 7, 8}),
    /* ShareUpdateExclusive */ Bits({4, 5, 6, 7, 8}),
    /* Share */ Bits({3, 4, 6, 7, 8}),
    /* ShareRowExclusive */ Bits({3, 4, 5, 6, 7, 8}),
    /* Exclusive */ Bits({2, 3, 4, 5, 6, 7, 8}),
    /* AccessExclusive */ Bits({1, 2, 3, 4, 5, 6, 7, 8}),
};

constexpr const char* kModeNames[kNumLockModes + 1] = {
    "INVALID",          "AccessShareLock",       "RowShareLock",
    "RowExclusiveLock", "ShareUpdateExclusiveLock", "ShareLock",
    "ShareRowExclusiveLock", "ExclusiveLock",   "AccessExclusiveLock",
};

bool ValidMode(LockMode mode) {
  const int m = static_cast<int>(mode);
  return m >= 1 && m <= kNumLockModes;
}

int64_t NowMs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1'000'000;
}

uint32_t HashTag(const LockTag& tag) {
  uint64_t h = 0x9E3779B97F4A7C15ull ^ static_cast<uint64_t>(tag.type);
  auto mix = [&h](uint64_t v) {
    h ^= v + 0x9E3779B97F4A7C15ull + (h << 6) + (h >> 2);
    h *= 0xFF51AFD7ED558CCDull;
    h ^= h >> 33;
  };
  mix(tag.field1);
  mix(tag.field2);
  mix(tag.field3);
  mix(tag.field4);
  return static_cast<uint32_t>(h ^ (h >> 32));
}

// ---- process-local table (H7) ----

struct LockTagHasher {
  size_t operator()(const LockTag& tag) const { return HashTag(tag); }
};

struct LocalLock {
  uint32_t count[kNumLockModes + 1] = {};
  [[nodiscard]] uint32_t HeldMask() const {
    uint32_t mask = 0;
    for (int m = 1; m <= kNumLockModes; ++m) {
      if (count[m] > 0) mask |= 1u << m;
    }
    return mask;
  }
};

struct LocalTable {
  int32_t pid = 0;  // the process the entries belong to (H10)
  std::unordered_map<LockTag, LocalLock, LockTagHasher> map;
};

// The local table of this process. A child inherits its parent's copy with fork(); it
// belongs to the parent, so it is dropped (without touching shared memory) as soon as the
// child, after InitProcessContext, uses the lock manager (H10).
LocalTable& Local() {
  static LocalTable* table = new LocalTable();  // never destroyed: no static destructor
  const int32_t pid = CurrentProcess().pid;
  if (table->pid != pid) {
    table->map.clear();
    table->pid = pid;
  }
  return *table;
}

int32_t MyProcIndex() {
  ProcSlot* slot = CurrentProcess().proc;
  if (slot == nullptr) {
    throw Error(sqlstate::kInternalError, "cannot acquire a heavyweight lock without a proc slot");
  }
  return slot->slot_idx;
}

// ---- shared table helpers; all Require the partition LWLock of the lock involved ----

LockObject& LockAt(int32_t idx) { return lockint::Table().locks[idx]; }
ProcLock& ProcLockAt(int32_t idx) { return lockint::Table().proclocks[idx]; }
LockProcState& ProcAt(int32_t idx) { return lockint::Table().procs[idx]; }

int32_t* BucketFor(uint32_t hash) {
  const LockTable& t = lockint::Table();
  const uint32_t part = hash % kNumLockPartitions;
  const uint32_t bucket =
      (hash / kNumLockPartitions) & static_cast<uint32_t>(t.header->buckets_per_partition - 1);
  return &t.buckets[part * t.header->buckets_per_partition + bucket];
}

LwLock* PartitionLock(uint32_t part) { return &lockint::Table().header->partitions[part].lock; }

int32_t FindLock(const LockTag& tag, uint32_t hash) {
  for (int32_t idx = *BucketFor(hash); idx != kNone; idx = LockAt(idx).hash_next) {
    if (LockAt(idx).tag == tag) return idx;
  }
  return kNone;
}

[[noreturn]] void ThrowOutOfSharedMemory() {
  throw Error(sqlstate::kOutOfMemory, "out of shared memory")
      .WithHint("You might need to increase max_locks_per_transaction.");
}

// Pops a free entry (H3); kNone when the pool is exhausted.
int32_t PopFree(int32_t* head, int32_t* in_use, bool is_lock) {
  LockTableHeader* h = lockint::Table().header;
  SpinLockGuard guard(&h->free_lock);
  const int32_t idx = *head;
  if (idx != kNone) {
    *head = is_lock ? LockAt(idx).hash_next : ProcLockAt(idx).next;
    ++*in_use;
  }
  return idx;
}

int32_t FindOrCreateLock(const LockTag& tag, uint32_t hash) {
  int32_t idx = FindLock(tag, hash);
  if (idx != kNone) return idx;
  LockTableHeader* h = lockint::Table().header;
  idx = PopFree(&h->free_lock_head, &h->locks_in_use, true);
  if (idx == kNone) ThrowOutOfSharedMemory();
  LockObject& lock = LockAt(idx);
  lock.tag = tag;
  std::memset(lock.granted, 0, sizeof(lock.granted));
  lock.grant_mask = 0;
  lock.proclock_head = kNone;
  lock.wait_head = kNone;
  lock.in_use = 1;
  lock.partition = hash % kNumLockPartitions;
  int32_t* bucket = BucketFor(hash);
  lock.hash_next = *bucket;
  *bucket = idx;
  return idx;
}

// Frees the lock object when nobody holds or waits for it (H1).
void FreeLockIfUnused(int32_t lock_idx) {
  LockObject& lock = LockAt(lock_idx);
  if (lock.proclock_head != kNone || lock.wait_head != kNone) return;
  KEEL_ASSERT(lock.grant_mask == 0);
  int32_t* link = BucketFor(HashTag(lock.tag));
  while (*link != lock_idx) link = &LockAt(*link).hash_next;
  *link = lock.hash_next;
  lock.in_use = 0;
  LockTableHeader* h = lockint::Table().header;
  SpinLockGuard guard(&h->free_lock);
  lock.hash_next = h->free_lock_head;
  h->free_lock_head = lock_idx;
  --h->locks_in_use;
}

int32_t FindProcLock(int32_t lock_idx, int32_t proc_idx) {
  for (int32_t pl = LockAt(lock_idx).proclock_head; pl != kNone; pl = ProcLockAt(pl).next) {
    if (ProcLockAt(pl).proc_idx == proc_idx) return pl;
  }
  return kNone;
}

int32_t CreateProcLock(int32_t lock_idx, int32_t proc_idx) {
  LockTableHeader* h = lockint::Table().header;
  const int32_t idx = PopFree(&h->free_proclock_head, &h->proclocks_in_use, false);
  if (idx == kNone) return kNone;
  ProcLock& pl = ProcLockAt(idx);
  pl.lock_idx = lock_idx;
  pl.proc_idx = proc_idx;
  pl.held_mask = 0;
  pl.next = LockAt(lock_idx).proclock_head;
  LockAt(lock_idx).proclock_head = idx;
  return idx;
}

// Frees the entry when it holds nothing. Requires: its process is not waiting on the lock.
void FreeProcLockIfEmpty(int32_t pl_idx) {
  ProcLock& pl = ProcLockAt(pl_idx);
  if (pl.held_mask != 0) return;
  int32_t* link = &LockAt(pl.lock_idx).proclock_head;
  while (*link != pl_idx) link = &ProcLockAt(*link).next;
  *link = pl.next;
  LockTableHeader* h = lockint::Table().header;
  SpinLockGuard guard(&h->free_lock);
  pl.next = h->free_proclock_head;
  h->free_proclock_head = pl_idx;
  --h->proclocks_in_use;
}

// Modes granted to processes other than the owner of `own_held` (which holds those modes).
uint32_t OthersGranted(const LockObject& lock, uint32_t own_held) {
  uint32_t mask = 0;
  for (int m = 1; m <= kNumLockModes; ++m) {
    const uint32_t own = (own_held >> m) & 1u;
    if (lock.granted[m] > own) mask |= 1u << m;
  }
  return mask;
}

uint32_t WaitersMask(const LockObject& lock) {
  uint32_t mask = 0;
  for (int32_t w = lock.wait_head; w != kNone; w = ProcAt(w).wait_next) {
    mask |= ModeBit(ProcAt(w).wait_mode);
  }
  return mask;
}

void Grant(LockObject& lock, ProcLock& pl, LockMode mode) {
  const int m = static_cast<int>(mode);
  ++lock.granted[m];
  lock.grant_mask |= 1u << m;
  pl.held_mask |= 1u << m;
}

// Inserts proc `me` into the lock's queue (H5): at the tail, or, when it already holds modes
// on the lock, just before the first waiter whose request conflicts with what it holds (that
// waiter waits for it anyway, so letting it queue behind would be a certain deadlock).
void Enqueue(int32_t lock_idx, int32_t me, int32_t pl_idx, LockMode mode) {
  LockObject& lock = LockAt(lock_idx);
  const uint32_t held = ProcLockAt(pl_idx).held_mask;
  int32_t* link = &lock.wait_head;
  while (*link != kNone) {
    const LockProcState& w = ProcAt(*link);
    if (held != 0 && (lockint::ConflictMask(w.wait_mode) & held) != 0) break;
    link = &ProcAt(*link).wait_next;
  }
  LockProcState& ps = ProcAt(me);
  ps.wait_lock = lock_idx;
  ps.wait_proclock = pl_idx;
  ps.wait_mode = mode;
  ps.wait_next = *link;
  *link = me;
  ps.wait_status.store(lockint::kWaiting, std::memory_order_release);
}

void Unlink(int32_t lock_idx, int32_t proc_idx) {
  int32_t* link = &LockAt(lock_idx).wait_head;
  while (*link != proc_idx) {
    KEEL_ASSERT(*link != kNone);
    link = &ProcAt(*link).wait_next;
  }
  *link = ProcAt(proc_idx).wait_next;
  LockProcState& ps = ProcAt(proc_idx);
  ps.wait_next = kNone;
  ps.wait_lock = kNone;
  ps.wait_proclock = kNone;
}

}  // namespace

namespace lockint {

uint32_t ConflictMask(LockMode mode) { return kConflicts[static_cast<int>(mode)]; }

LockTable& Table() {
  static LockTable table;
  return table;
}

// Grants every waiter that is compatible with the granted modes (its own excluded) and with
// the modes of the waiters still ahead of it (H5), and wakes it (H6).
// Requires: the lock's partition LWLock (or all of them) held exclusively.
void WakeWaiters(int32_t lock_idx) {
  LockObject& lock = LockAt(lock_idx);
  uint32_t ahead = 0;
  int32_t w = lock.wait_head;
  while (w != kNone) {
    LockProcState& ps = ProcAt(w);
    const int32_t next = ps.wait_next;
    const uint32_t conflicts = ConflictMask(ps.wait_mode);
    ProcLock& pl = ProcLockAt(ps.wait_proclock);
    if ((conflicts & OthersGranted(lock, pl.held_mask)) == 0 && (conflicts & ahead) == 0) {
      Grant(lock, pl, ps.wait_mode);
      Unlink(lock_idx, w);
      ps.wait_status.store(kGranted, std::memory_order_release);
      SetLatch(&ProcArraySlot(w)->latch);
    } else {
      ahead |= ModeBit(ps.wait_mode);
    }
    w = next;
  }
}

// Takes proc `me` out of the queue it waits in. Returns true when it had been granted
// meanwhile (it then holds the lock). Requires: the lock's partition LWLock (or all) held.
bool RemoveFromWaitQueueLocked(int32_t me) {
  LockProcState& ps = ProcAt(me);
  const uint32_t status = ps.wait_status.load(std::memory_order_acquire);
  if (status == kGranted) {
    ps.wait_status.store(kNotWaiting, std::memory_order_relaxed);
    return true;
  }
  if (status == kNotWaiting) return false;
  const int32_t lock_idx = ps.wait_lock;
  const int32_t pl_idx = ps.wait_proclock;
  Unlink(lock_idx, me);
  ps.wait_status.store(kNotWaiting, std::memory_order_relaxed);
  FreeProcLockIfEmpty(pl_idx);
  WakeWaiters(lock_idx);  // we may have been the one blocking later waiters (H5)
  FreeLockIfUnused(lock_idx);
  return false;
}

}  // namespace lockint

// ---- public API ----

const char* LockModeName(LockMode mode) {
  return ValidMode(mode) ? kModeNames[static_cast<int>(mode)] : kModeNames[0];
}

bool LockModesConflict(LockMode a, LockMode b) {
  if (!ValidMode(a) || !ValidMode(b)) return false;
  return (kConflicts[static_cast<int>(a)] & ModeBit(b)) != 0;
}

bool operator==(const LockTag& a, const LockTag& b) {
  return a.type == b.type && a.field1 == b.field1 && a.field2 == b.field2 &&
         a.field3 == b.field3 && a.field4 == b.field4;
}

LockTag RelationLockTag(uint32_t db_oid, uint32_t rel_oid) {
  return LockTag{db_oid, rel_oid, 0, 0, LockTagType::kRelation, {}};
}
LockTag TransactionLockTag(uint64_t xid) {
  return LockTag{xid, 0, 0, 0, LockTagType::kTransaction, {}};
}
LockTag TupleLockTag(uint32_t db_oid, uint32_t rel_oid, uint32_t block_no, uint16_t offset) {
  return LockTag{db_oid, rel_oid, block_no, offset, LockTagType::kTuple, {}};
}
LockTag ObjectLockTag(uint32_t db_oid, uint32_t class_oid, uint32_t object_oid,
                      uint32_t sub_id) {
  return LockTag{db_oid, class_oid, object_oid, sub_id, LockTagType::kObject, {}};
}

std::string DescribeLockTag(const LockTag& tag) {
  const auto db = static_cast<unsigned>(tag.field1);
  switch (tag.type) {
    case LockTagType::kRelation:
      return Format("relation %u of database %u", tag.field2, db);
    case LockTagType::kTransaction:
      return Format("transaction %llu", static_cast<unsigned long long>(tag.field1));
    case LockTagType::kTuple:
      return Format("tuple (%u,%u) of relation %u of database %u", tag.field3, tag.field4,
                    tag.field2, db);
    case LockTagType::kObject:
      return Format("object %u of class %u of database %u", tag.field3, tag.field2, db);
    case LockTagType::kAdvisory:
      return Format("advisory lock [%u,%u,%u,%u]", db, tag.field2, tag.field3, tag.field4);
  }
  return Format("unrecognized locktag type %d", static_cast<int>(tag.type));
}

namespace {

struct Layout {
  int32_t num_locks;
  int32_t buckets_per_partition;
  size_t buckets_offset;
  size_t locks_offset;
  size_t proclocks_offset;
  size_t procs_offset;
  size_t total;
};

size_t AlignUp(size_t n) { return AddSize(n, 63) & ~static_cast<size_t>(63); }

Layout ComputeLayout(int num_procs) {
  Layout l{};
  const size_t entries = MulSize(static_cast<size_t>(num_procs), kMaxLocksPerTransaction);
  if (entries > 0x3FFFFFFF) {
    throw Error(sqlstate::kProgramLimitExceeded, "requested shared memory size overflows size_t");
  }
  l.num_locks = static_cast<int32_t>(entries);
  int32_t bpp = 16;
  while (bpp * kNumLockPartitions < l.num_locks) bpp *= 2;
  l.buckets_per_partition = bpp;
  l.buckets_offset = AlignUp(sizeof(LockTableHeader));
  l.locks_offset = AlignUp(AddSize(
      l.buckets_offset, MulSize(static_cast<size_t>(bpp) * kNumLockPartitions, sizeof(int32_t))));
  l.proclocks_offset = AlignUp(AddSize(l.locks_offset, MulSize(entries, sizeof(LockObject))));
  l.procs_offset = AlignUp(AddSize(l.proclocks_offset, MulSize(entries, sizeof(ProcLock))));
  l.total = AddSize(l.procs_offset,
                    MulSize(static_cast<size_t>(num_procs), sizeof(LockProcState)));
  return l;
}

}  // namespace

size_t LockShmemSize(int num_procs) { return ComputeLayout(num_procs).total; }

void LockShmemInit(int num_procs) {
  KEEL_ASSERT(num_procs >= 1);
  const Layout l = ComputeLayout(num_procs);
  bool found = false;
  auto* base = static_cast<char*>(ShmemInitStruct("lock table", l.total, &found));
  LockTable& t = lockint::Table();
  t.header = reinterpret_cast<LockTableHeader*>(base);
  t.buckets = reinterpret_cast<int32_t*>(base + l.buckets_offset);
  t.locks = reinterpret_cast<LockObject*>(base + l.locks_offset);
  t.proclocks = reinterpret_cast<ProcLock*>(base + l.proclocks_offset);
  t.procs = reinterpret_cast<LockProcState*>(base + l.procs_offset);
  if (found) return;
  LockTableHeader* h = t.header;
  h->num_procs = num_procs;
  h->num_locks = l.num_locks;
  h->num_proclocks = l.num_locks;
  h->buckets_per_partition = l.buckets_per_partition;
  h->free_lock.Init();
  for (int p = 0; p < kNumLockPartitions; ++p) h->partitions[p].lock.Init(lwtranche::kLockManager);
  for (int b = 0; b < l.buckets_per_partition * kNumLockPartitions; ++b) t.buckets[b] = kNone;
  for (int32_t i = 0; i < l.num_locks; ++i) {
    t.locks[i].hash_next = i + 1 < l.num_locks ? i + 1 : kNone;
    t.proclocks[i].next = i + 1 < l.num_locks ? i + 1 : kNone;
  }
  h->free_lock_head = 0;
  h->free_proclock_head = 0;
  for (int i = 0; i < num_procs; ++i) {
    t.procs[i].wait_lock = kNone;
    t.procs[i].wait_proclock = kNone;
    t.procs[i].wait_next = kNone;
  }
}

namespace {

// Takes this waiting process out of the queue (idempotent). True when it was granted meanwhile.
bool CancelWait(int32_t me, uint32_t part) {
  LwLockGuard guard(PartitionLock(part), LwLockMode::kExclusive);
  return lockint::RemoveFromWaitQueueLocked(me);
}

// H8: runs the detector with every partition lock held (in order, H2). Throws 40P01 after
// taking this process out of the queue when it closes a cycle.
void CheckDeadlock(int32_t me) {
  std::string detail;
  bool deadlock = false;
  {
    LwLockGuard guards[kNumLockPartitions];
    for (int p = 0; p < kNumLockPartitions; ++p) {
      guards[p] = LwLockGuard(PartitionLock(p), LwLockMode::kExclusive);
    }
    if (ProcAt(me).wait_status.load(std::memory_order_acquire) != lockint::kWaiting) return;
    deadlock = lockint::FindDeadlock(me, &detail);
    if (deadlock) (void)lockint::RemoveFromWaitQueueLocked(me);
    for (int p = kNumLockPartitions - 1; p >= 0; --p) guards[p].Reset();
  }
  if (deadlock) {
    Log(Severity::kLog, "process %d detected deadlock: %s", static_cast<int>(CurrentProcess().pid),
        detail.c_str());
    throw Error(sqlstate::kTDeadlockDetected, "deadlock detected")
        .WithDetail(detail)
        .WithHint("See server log for query details.");
  }
}

// Sleeps until granted (H6, H8). Throws on deadlock, lock timeout, interrupts; the caller
// takes the process out of the queue.
void WaitForGrant(int32_t me) {
  LockProcState& ps = ProcAt(me);
  Latch* latch = MyLatch();
  const int64_t start_ms = NowMs();
  const int deadlock_ms = settings::deadlock_timeout_ms;
  const int lock_timeout_ms = settings::lock_timeout_ms;
  bool deadlock_checked = false;
  for (;;) {
    ResetLatch(latch);  // before the check (T4)
    if (ps.wait_status.load(std::memory_order_acquire) == lockint::kGranted) return;
    CheckForInterrupts();
    const int64_t elapsed = NowMs() - start_ms;
    if (lock_timeout_ms > 0 && elapsed >= lock_timeout_ms) {
      throw Error(sqlstate::kLockNotAvailable, "canceling statement due to lock timeout");
    }
    if (!deadlock_checked && elapsed >= deadlock_ms) {
      deadlock_checked = true;
      CheckDeadlock(me);
      continue;
    }
    long timeout = -1;
    if (!deadlock_checked) timeout = deadlock_ms - elapsed;
    if (lock_timeout_ms > 0) {
      const long left = lock_timeout_ms - elapsed;
      timeout = timeout < 0 ? left : std::min(timeout, left);
    }
    (void)WaitLatch(latch, kWaitLatchSet, timeout);
  }
}

// Drops the local entry again when the call that created it ends holding nothing.
class LocalEntryScope {
 public:
  LocalEntryScope(LocalTable& table, const LockTag& tag) : table_(table), tag_(tag) {}
  ~LocalEntryScope() {
    auto it = table_.map.find(tag_);
    if (it != table_.map.end() && it->second.HeldMask() == 0) table_.map.erase(it);
  }
  LocalEntryScope(const LocalEntryScope&) = delete;
  LocalEntryScope& operator=(const LocalEntryScope&) = delete;

 private:
  LocalTable& table_;
  LockTag tag_;
};

// Releases the shared grants of `modes` held by proc `proc_idx` on `tag` (H6). With
// `must_hold`, a missing grant is a PANIC (the local table said we hold it); otherwise false.
bool ReleaseSharedOf(int32_t proc_idx, const LockTag& tag, uint32_t modes, bool must_hold) {
  const uint32_t hash = HashTag(tag);
  LwLockGuard guard(PartitionLock(hash % kNumLockPartitions), LwLockMode::kExclusive);
  const int32_t lock_idx = FindLock(tag, hash);
  const int32_t pl_idx = lock_idx == kNone ? kNone : FindProcLock(lock_idx, proc_idx);
  if (pl_idx == kNone || (ProcLockAt(pl_idx).held_mask & modes) != modes) {
    if (!must_hold) return false;
    Panic("heavyweight lock on %s is not in the shared table", DescribeLockTag(tag).c_str());
  }
  LockObject& lock = LockAt(lock_idx);
  ProcLock& pl = ProcLockAt(pl_idx);
  for (int m = 1; m <= kNumLockModes; ++m) {
    if ((modes >> m & 1u) == 0) continue;
    KEEL_ASSERT(lock.granted[m] > 0);
    if (--lock.granted[m] == 0) lock.grant_mask &= ~(1u << m);
  }
  pl.held_mask &= ~modes;
  FreeProcLockIfEmpty(pl_idx);  // the holder is running (or a prepared transaction): not waiting
  lockint::WakeWaiters(lock_idx);
  FreeLockIfUnused(lock_idx);
  return true;
}

void ReleaseShared(const LockTag& tag, uint32_t modes) {
  (void)ReleaseSharedOf(MyProcIndex(), tag, modes, /*must_hold=*/true);
}

}  // namespace

LockResult LockAcquire(const LockTag& tag, LockMode mode, bool dont_wait) {
  KEEL_ASSERT(ValidMode(mode));
  const int m = static_cast<int>(mode);
  LocalTable& local = Local();
  LocalEntryScope scope(local, tag);
  LocalLock& entry = local.map[tag];
  if (entry.count[m] > 0) {  // H7
    ++entry.count[m];
    return LockResult::kAcquired;
  }
  const int32_t me = MyProcIndex();
  const uint32_t hash = HashTag(tag);
  const uint32_t part = hash % kNumLockPartitions;
  {
    LwLockGuard guard(PartitionLock(part), LwLockMode::kExclusive);
    const int32_t lock_idx = FindOrCreateLock(tag, hash);  // H3
    int32_t pl_idx = FindProcLock(lock_idx, me);
    if (pl_idx == kNone) {
      pl_idx = CreateProcLock(lock_idx, me);
      if (pl_idx == kNone) {
        FreeLockIfUnused(lock_idx);
        ThrowOutOfSharedMemory();
      }
    }
    LockObject& lock = LockAt(lock_idx);
    ProcLock& pl = ProcLockAt(pl_idx);
    const uint32_t conflicts = lockint::ConflictMask(mode);
    bool must_wait = (conflicts & OthersGranted(lock, pl.held_mask)) != 0;
    // H5: a newcomer also queues behind conflicting waiters; a holder may go ahead of them.
    if (!must_wait && pl.held_mask == 0 && (conflicts & WaitersMask(lock)) != 0) must_wait = true;
    if (!must_wait) {
      Grant(lock, pl, mode);
      entry.count[m] = 1;
      return LockResult::kAcquired;
    }
    if (dont_wait) {
      FreeProcLockIfEmpty(pl_idx);
      FreeLockIfUnused(lock_idx);
      return LockResult::kNotAvailable;
    }
    Enqueue(lock_idx, me, pl_idx, mode);
  }
  try {
    WaitForGrant(me);
  } catch (...) {
    if (CancelWait(me, part)) entry.count[m] = 1;  // granted meanwhile: keep it (H9)
    throw;
  }
  ProcAt(me).wait_status.store(lockint::kNotWaiting, std::memory_order_relaxed);
  entry.count[m] = 1;
  return LockResult::kAcquired;
}

bool LockRelease(const LockTag& tag, LockMode mode) {
  const int m = static_cast<int>(mode);
  LocalTable& local = Local();
  auto it = local.map.find(tag);
  if (!ValidMode(mode) || it == local.map.end() || it->second.count[m] == 0) {
    Log(Severity::kWarning, "you don't own a lock of type %s", LockModeName(mode));
    return false;
  }
  if (--it->second.count[m] > 0) return true;
  ReleaseShared(tag, 1u << m);
  if (it->second.HeldMask() == 0) local.map.erase(it);
  return true;
}

void LockReleaseAll() {
  LocalTable& local = Local();
  for (auto& [tag, entry] : local.map) {
    const uint32_t modes = entry.HeldMask();
    if (modes != 0) ReleaseShared(tag, modes);
  }
  local.map.clear();
}

bool LockHeldByMe(const LockTag& tag, LockMode mode) {
  if (!ValidMode(mode)) return false;
  LocalTable& local = Local();
  auto it = local.map.find(tag);
  return it != local.map.end() && it->second.count[static_cast<int>(mode)] > 0;
}

std::vector<HeldLock> LockListHeldByMe() {
  std::vector<HeldLock> held;
  for (const auto& [tag, entry] : Local().map) {
    for (int m = 1; m <= kNumLockModes; ++m) {
      if (entry.count[m] > 0) held.push_back(HeldLock{tag, static_cast<LockMode>(m), {}});
    }
  }
  return held;
}

void LockTransferAllTo(int32_t target_proc_idx) {
  const int32_t me = MyProcIndex();
  KEEL_ASSERT(target_proc_idx != me && target_proc_idx >= 0 &&
              target_proc_idx < lockint::Table().header->num_procs);
  LocalTable& local = Local();
  for (const auto& [tag, entry] : local.map) {
    if (entry.HeldMask() == 0) continue;
    const uint32_t hash = HashTag(tag);
    LwLockGuard guard(PartitionLock(hash % kNumLockPartitions), LwLockMode::kExclusive);
    const int32_t lock_idx = FindLock(tag, hash);
    const int32_t pl_idx = lock_idx == kNone ? kNone : FindProcLock(lock_idx, me);
    if (pl_idx == kNone) {
      Panic("heavyweight lock on %s is not in the shared table", DescribeLockTag(tag).c_str());
    }
    KEEL_ASSERT(FindProcLock(lock_idx, target_proc_idx) == kNone);
    // H11: the entry changes owner in place; the lock's grant counts stay exactly as they were.
    ProcLockAt(pl_idx).proc_idx = target_proc_idx;
  }
  local.map.clear();
}

void LockGrantToProc(int32_t proc_idx, const LockTag& tag, LockMode mode) {
  KEEL_ASSERT(ValidMode(mode) && proc_idx >= 0 && proc_idx < lockint::Table().header->num_procs);
  const uint32_t hash = HashTag(tag);
  LwLockGuard guard(PartitionLock(hash % kNumLockPartitions), LwLockMode::kExclusive);
  const int32_t lock_idx = FindOrCreateLock(tag, hash);
  int32_t pl_idx = FindProcLock(lock_idx, proc_idx);
  if (pl_idx == kNone) pl_idx = CreateProcLock(lock_idx, proc_idx);
  if (pl_idx == kNone) {
    FreeLockIfUnused(lock_idx);
    ThrowOutOfSharedMemory();
  }
  ProcLock& pl = ProcLockAt(pl_idx);
  if ((pl.held_mask & ModeBit(mode)) == 0) Grant(LockAt(lock_idx), pl, mode);
}

bool LockReleaseOfProc(int32_t proc_idx, const LockTag& tag, LockMode mode) {
  if (!ValidMode(mode) || !ReleaseSharedOf(proc_idx, tag, ModeBit(mode), /*must_hold=*/false)) {
    Log(Severity::kWarning, "you don't own a lock of type %s", LockModeName(mode));
    return false;
  }
  return true;
}

int LockNumWaiters(const LockTag& tag) {
  const uint32_t hash = HashTag(tag);
  LwLockGuard guard(PartitionLock(hash % kNumLockPartitions), LwLockMode::kShared);
  const int32_t lock_idx = FindLock(tag, hash);
  if (lock_idx == kNone) return 0;
  int n = 0;
  for (int32_t w = LockAt(lock_idx).wait_head; w != kNone; w = ProcAt(w).wait_next) ++n;
  return n;
}

LockTableUsage LockTableUsageNow() {
  LockTableHeader* h = lockint::Table().header;
  SpinLockGuard guard(&h->free_lock);
  return LockTableUsage{h->locks_in_use, h->proclocks_in_use, h->num_locks, h->num_proclocks};
}

}  // namespace keel::storage
