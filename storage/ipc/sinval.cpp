// The shared invalidation queue; see sinval.h and storage/ipc/README.md ("Shared
// invalidation queue", Q1-Q9).
#include "storage/ipc/sinval.h"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <vector>

#include "backend/utils/error/error.h"
#include "storage/ipc/latch.h"
#include "storage/ipc/proc_array.h"
#include "storage/ipc/process_context.h"
#include "storage/ipc/shmem.h"
#include "storage/lmgr/lwlock.h"

namespace keel::storage {
namespace {

// One per proc slot (same index).
struct alignas(64) ReaderSlot {
  std::atomic<int32_t> owner_pid;  // 0 = not attached; changed under the lock exclusive (Q5)
  std::atomic<uint32_t> reset;     // set by writers (exclusive), cleared by the owner (Q3)
  std::atomic<uint32_t> catchup;   // set by writers (exclusive), cleared by the owner (Q6)
  // Absolute number of the next message to read. Only the owner moves it (under the lock
  // shared, or exclusive in SInvalAttach); a writer that resets the reader leaves it alone and
  // the owner's next ReadChunk moves it to the end (Q3, Q8).
  std::atomic<uint64_t> next_msg;
};
static_assert(std::is_standard_layout_v<ReaderSlot> && std::is_trivially_destructible_v<ReaderSlot>);
static_assert(std::atomic<uint64_t>::is_always_lock_free);

struct QueueHeader {
  LwLock lock;  // tranche kSInvalQueue: writers exclusive, readers shared (Q2)
  int32_t num_slots;  // constant after init
  // Messages ever sent; message n lives in buffer[n % kSInvalBufferSize]. Stored with release
  // ordering after the entries, under the lock exclusive; read without lock by the fast path.
  std::atomic<uint64_t> max_msg_num;
  uint64_t min_msg_num;      // lowest next_msg of non-reset live readers; lock exclusive
  uint64_t next_cleanup_at;  // max_msg_num at which writers next recompute min; lock exclusive
  std::atomic<uint64_t> resets;  // statistics; changed under the lock exclusive
};
static_assert(std::is_standard_layout_v<QueueHeader> && std::is_trivially_destructible_v<QueueHeader>);

// Process-local pointers into the region (inherited by children; re-set after a crash).
QueueHeader* queue = nullptr;
ReaderSlot* slots = nullptr;
SharedInvalidationMessage* buffer = nullptr;

size_t HeaderBytes() { return (sizeof(QueueHeader) + 63) / 64 * 64; }

// This process's reader slot, or nullptr when it has no proc slot.
ReaderSlot* MySlot() {
  const ProcSlot* proc = CurrentProcess().proc;
  if (queue == nullptr || proc == nullptr) return nullptr;
  KEEL_ASSERT(proc->slot_idx >= 0 && proc->slot_idx < queue->num_slots);
  return &slots[proc->slot_idx];
}

bool AttachedToMe(const ReaderSlot* slot) {
  return slot != nullptr &&
         slot->owner_pid.load(std::memory_order_relaxed) == static_cast<int32_t>(getpid());
}

// Lock held exclusive. Reclaims reader slots whose process released its proc slot (Q5),
// resets readers that would lose messages once `needed` more are written (Q3), recomputes
// min_msg_num, and collects the latches of readers to nudge (Q6): the catch-up flag is set
// only together with recording the latch, so a flagged reader has always been woken.
// Requires: nudge_capacity >= queue->num_slots (every reader can be nudged at once).
int Cleanup(uint64_t needed, Latch** to_nudge, int nudge_capacity) {
  KEEL_ASSERT(nudge_capacity >= queue->num_slots);
  const uint64_t max = queue->max_msg_num.load(std::memory_order_relaxed);
  // Readers whose position is below this would have unread messages overwritten.
  const uint64_t lowest_keepable = max + needed > kSInvalBufferSize
                                       ? max + needed - kSInvalBufferSize
                                       : 0;
  uint64_t min = max;
  int nudged = 0;
  for (int i = 0; i < queue->num_slots; ++i) {
    ReaderSlot& slot = slots[i];
    const int32_t owner = slot.owner_pid.load(std::memory_order_relaxed);
    if (owner == 0) continue;
    ProcSlot* proc = ProcArraySlot(i);
    if (proc->pid.load(std::memory_order_acquire) != owner) {
      slot.owner_pid.store(0, std::memory_order_relaxed);  // Q5: its process is gone
      continue;
    }
    if (slot.reset.load(std::memory_order_relaxed) != 0) continue;  // Q3: holds nothing back
    const uint64_t pos = slot.next_msg.load(std::memory_order_relaxed);
    if (pos < lowest_keepable) {
      // Q3/Q8: next_msg stays the owner's: were it moved to `max` here, the lock-free fast
      // path could see the old reset flag, the old max_msg_num and this new next_msg, answer
      // "nothing new" and lose the reset. Left alone, it stays below max_msg_num until the
      // owner's ReadChunk sees the flag and moves it.
      slot.reset.store(1, std::memory_order_release);
      queue->resets.fetch_add(1, std::memory_order_relaxed);
      continue;
    }
    min = std::min(min, pos);
    if (max - pos > kSInvalNudgeLag && slot.catchup.load(std::memory_order_relaxed) == 0 &&
        nudged < nudge_capacity) {
      slot.catchup.store(1, std::memory_order_release);
      to_nudge[nudged++] = &proc->latch;
    }
  }
  queue->min_msg_num = min;
  // Q6: look again after another 1/16 of the buffer, not at every write.
  queue->next_cleanup_at = max + kSInvalBufferSize / 16;
  return nudged;
}

}  // namespace

SharedInvalidationMessage MakeCatalogRowInval(int cache_id, uint32_t hash_value, Oid db) {
  KEEL_ASSERT(cache_id >= 0 && cache_id <= kSInvalMaxCacheId);
  SharedInvalidationMessage msg{};
  msg.id = static_cast<int8_t>(cache_id);
  msg.db_oid = db.value();
  msg.u.hash_value = hash_value;
  return msg;
}

SharedInvalidationMessage MakeCatalogInval(Oid catalog, Oid db) {
  SharedInvalidationMessage msg{};
  msg.id = static_cast<int8_t>(SInvalKind::kCatalog);
  msg.db_oid = db.value();
  msg.u.catalog_oid = catalog.value();
  return msg;
}

SharedInvalidationMessage MakeRelcacheInval(Oid db, Oid rel) {
  SharedInvalidationMessage msg{};
  msg.id = static_cast<int8_t>(SInvalKind::kRelcache);
  msg.db_oid = db.value();
  msg.u.rel_oid = rel.value();
  return msg;
}

SharedInvalidationMessage MakeSmgrInval(const RelFileLocator& locator) {
  SharedInvalidationMessage msg{};
  msg.id = static_cast<int8_t>(SInvalKind::kSmgr);
  msg.db_oid = locator.db.value();
  msg.u.smgr.spc_oid = locator.spc.value();
  msg.u.smgr.rel_number = locator.rel.value();
  return msg;
}

SharedInvalidationMessage MakeSnapshotInval(Oid db, Oid catalog) {
  SharedInvalidationMessage msg{};
  msg.id = static_cast<int8_t>(SInvalKind::kSnapshot);
  msg.db_oid = db.value();
  msg.u.catalog_oid = catalog.value();
  return msg;
}

RelFileLocator SmgrInvalLocator(const SharedInvalidationMessage& msg) {
  KEEL_ASSERT(msg.id == static_cast<int8_t>(SInvalKind::kSmgr));
  return RelFileLocator{Oid(msg.u.smgr.spc_oid), Oid(msg.db_oid), Oid(msg.u.smgr.rel_number)};
}

bool operator==(const SharedInvalidationMessage& a, const SharedInvalidationMessage& b) {
  return std::memcmp(&a, &b, sizeof(a)) == 0;
}

size_t SInvalShmemSize(int num_proc_slots) {
  size_t size = HeaderBytes();
  size = AddSize(size, MulSize(sizeof(ReaderSlot), static_cast<size_t>(num_proc_slots)));
  size = AddSize(size, MulSize(sizeof(SharedInvalidationMessage), kSInvalBufferSize));
  return size;
}

void SInvalShmemInit(int num_proc_slots) {
  KEEL_ASSERT(num_proc_slots >= 1);
  bool found = false;
  auto* base = static_cast<std::byte*>(
      ShmemInitStruct("shared invalidation queue", SInvalShmemSize(num_proc_slots), &found));
  queue = reinterpret_cast<QueueHeader*>(base);
  slots = reinterpret_cast<ReaderSlot*>(base + HeaderBytes());
  buffer = reinterpret_cast<SharedInvalidationMessage*>(
      base + HeaderBytes() + sizeof(ReaderSlot) * static_cast<size_t>(num_proc_slots));
  if (found) return;
  // Q9: zero memory (M2) is an empty queue with every reader slot free; only the lock needs
  // its tranche.
  queue->lock.Init(lwtranche::kSInvalQueue);
  queue->num_slots = num_proc_slots;
}

void SInvalAttach() {
  ReaderSlot* slot = MySlot();
  KEEL_ASSERT(slot != nullptr);
  if (slot == nullptr) throw Error(sqlstate::kInternalError, "process has no proc slot");
  LwLockGuard guard(&queue->lock, LwLockMode::kExclusive);
  // Q4: a new reader starts at the end; whatever its slot's previous owner left is forgotten.
  slot->next_msg.store(queue->max_msg_num.load(std::memory_order_relaxed),
                       std::memory_order_relaxed);
  slot->reset.store(0, std::memory_order_relaxed);
  slot->catchup.store(0, std::memory_order_relaxed);
  slot->owner_pid.store(static_cast<int32_t>(getpid()), std::memory_order_relaxed);
}

void SInvalDetach() {
  if (queue == nullptr) return;
  const int32_t me = static_cast<int32_t>(getpid());
  // The proc slot may already be released (exit cleanups run in any order): search by pid.
  LwLockGuard guard(&queue->lock, LwLockMode::kExclusive);
  for (int i = 0; i < queue->num_slots; ++i) {
    if (slots[i].owner_pid.load(std::memory_order_relaxed) == me) {
      slots[i].owner_pid.store(0, std::memory_order_relaxed);
    }
  }
}

bool SInvalIsAttached() { return AttachedToMe(MySlot()); }

void SendSharedInvalidMessages(std::span<const SharedInvalidationMessage> msgs) {
  KEEL_ASSERT(queue != nullptr);
  // Q6: room for every reader's latch, so that each lagging reader is nudged (they are set
  // after the lock is released). On the stack for the usual slot counts.
  constexpr int kStackLatches = 128;
  Latch* latches_on_stack[kStackLatches];
  std::vector<Latch*> latches_on_heap;
  Latch** to_nudge = latches_on_stack;
  if (queue->num_slots > kStackLatches && !msgs.empty()) {
    latches_on_heap.resize(static_cast<size_t>(queue->num_slots));  // before anything is sent
    to_nudge = latches_on_heap.data();
  }
  const int nudge_capacity = std::max(queue->num_slots, kStackLatches);
  size_t done = 0;
  while (done < msgs.size()) {
    const size_t n = std::min<size_t>(msgs.size() - done, kSInvalWriteChunk);
    int nudged = 0;
    {
      LwLockGuard guard(&queue->lock, LwLockMode::kExclusive);
      uint64_t max = queue->max_msg_num.load(std::memory_order_relaxed);
      if (max + n - queue->min_msg_num > kSInvalBufferSize || max >= queue->next_cleanup_at) {
        nudged = Cleanup(n, to_nudge, nudge_capacity);
      }
      // After Cleanup every non-reset reader is within the buffer for n more (Q3).
      KEEL_ASSERT(max + n - queue->min_msg_num <= kSInvalBufferSize);
      for (size_t i = 0; i < n; ++i) buffer[(max + i) % kSInvalBufferSize] = msgs[done + i];
      queue->max_msg_num.store(max + n, std::memory_order_release);  // Q8
    }
    // SetLatch after the lock is released: the woken reader wants the lock shared.
    for (int i = 0; i < nudged; ++i) SetLatch(to_nudge[i]);
    done += n;
  }
}

bool SInvalCatchupPending() {
  const ReaderSlot* slot = MySlot();
  return AttachedToMe(slot) && slot->catchup.load(std::memory_order_acquire) != 0;
}

SInvalQueueStats GetSInvalQueueStats() {
  KEEL_ASSERT(queue != nullptr);
  LwLockGuard guard(&queue->lock, LwLockMode::kShared);
  SInvalQueueStats stats{};
  stats.max_msg_num = queue->max_msg_num.load(std::memory_order_relaxed);
  stats.min_msg_num = queue->min_msg_num;
  stats.resets = queue->resets.load(std::memory_order_relaxed);
  for (int i = 0; i < queue->num_slots; ++i) {
    const int32_t owner = slots[i].owner_pid.load(std::memory_order_relaxed);
    if (owner != 0 && ProcArraySlot(i)->pid.load(std::memory_order_acquire) == owner) {
      ++stats.attached_readers;
    }
  }
  return stats;
}

namespace sinval_internal {

bool MaybeHasNew() {
  ReaderSlot* slot = MySlot();
  if (slot == nullptr) return false;
  if (!AttachedToMe(slot)) return true;  // ReadChunk attaches (lazily, as a reset)
  // Q8: only the owner (this process) moves next_msg, so it is exact here. A writer resets us
  // only when next_msg is below max_msg_num (and leaves next_msg alone), so while a reset is
  // pending either the flag or the difference shows it.
  return slot->reset.load(std::memory_order_acquire) != 0 ||
         queue->max_msg_num.load(std::memory_order_acquire) !=
             slot->next_msg.load(std::memory_order_relaxed);
}

int ReadChunk(SharedInvalidationMessage* out, int capacity, bool* was_reset) {
  ReaderSlot* slot = MySlot();
  *was_reset = false;
  if (slot == nullptr) return 0;
  if (!AttachedToMe(slot)) {
    SInvalAttach();  // caches filled before the attach may be stale: report a reset
    *was_reset = true;
    return 0;
  }
  LwLockGuard guard(&queue->lock, LwLockMode::kShared);
  slot->catchup.store(0, std::memory_order_relaxed);
  const uint64_t max = queue->max_msg_num.load(std::memory_order_relaxed);
  if (slot->reset.load(std::memory_order_relaxed) != 0) {
    // Q3: everything up to now is covered by the reset; continue with what comes after.
    slot->next_msg.store(max, std::memory_order_relaxed);
    slot->reset.store(0, std::memory_order_relaxed);
    *was_reset = true;
    return 0;
  }
  uint64_t pos = slot->next_msg.load(std::memory_order_relaxed);
  const int n = static_cast<int>(std::min<uint64_t>(max - pos, static_cast<uint64_t>(capacity)));
  for (int i = 0; i < n; ++i) out[i] = buffer[(pos + static_cast<uint64_t>(i)) % kSInvalBufferSize];
  slot->next_msg.store(pos + static_cast<uint64_t>(n), std::memory_order_relaxed);
  return n;
}

void MarkSelfReset() {
  ReaderSlot* slot = MySlot();
  if (AttachedToMe(slot)) slot->reset.store(1, std::memory_order_release);
}

}  // namespace sinval_internal

}  // namespace keel::storage
