// The shared invalidation queue: a fixed circular buffer of cache-invalidation messages in
// shared memory that every backend reads in order; a reader that falls too far behind is reset
// instead of holding writers up. Invariants Q1-Q9 and locking: storage/ipc/README.md
// ("Shared invalidation queue").
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <type_traits>

#include "storage/common/ids.h"

namespace keel::storage {

// What a message invalidates. A message whose `id` is >= 0 is a catalog-row cache message for
// the cache with that id; negative ids are the kinds below (PostgreSQL's layout).
enum class SInvalKind : int8_t {
  kCatalog = -1,   // every cached row of one catalog (u.catalog_oid)
  kRelcache = -2,  // one relation descriptor (u.rel_oid), or all of the database (rel 0)
  kSmgr = -3,      // the open files of one relation file locator (u.smgr)
  kSnapshot = -4,  // the catalog snapshot (u.catalog_oid names the catalog that changed)
};

// One message: a small fixed POD, 16 bytes. All-zero bytes except the fields that a kind uses
// (the Make* functions start from zero), so two messages are equal iff their bytes are.
struct SharedInvalidationMessage {
  int8_t id;           // >= 0: catalog-row cache id; < 0: an SInvalKind
  uint8_t reserved[3];  // zero
  uint32_t db_oid;     // database the object lives in; 0 = shared catalog (every database)
  union {
    uint32_t hash_value;   // catalog row: the cache's hash of the row's key
    uint32_t catalog_oid;  // kCatalog, kSnapshot
    uint32_t rel_oid;      // kRelcache; 0 = every relation of db_oid (0: of every database)
    struct {
      uint32_t spc_oid;
      uint32_t rel_number;  // the locator's db is db_oid
    } smgr;
  } u;

  [[nodiscard]] bool IsCatalogRow() const { return id >= 0; }
  [[nodiscard]] SInvalKind kind() const { return static_cast<SInvalKind>(id); }
};
static_assert(sizeof(SharedInvalidationMessage) == 16);
static_assert(std::is_standard_layout_v<SharedInvalidationMessage> &&
              std::is_trivially_copyable_v<SharedInvalidationMessage>);

// Largest catalog-row cache id a message can carry.
inline constexpr int kSInvalMaxCacheId = 127;

// Message builders. Requires: 0 <= cache_id <= kSInvalMaxCacheId.
[[nodiscard]] SharedInvalidationMessage MakeCatalogRowInval(int cache_id, uint32_t hash_value,
                                                            Oid db);
[[nodiscard]] SharedInvalidationMessage MakeCatalogInval(Oid catalog, Oid db);
// rel == kInvalidOid: every relation of `db`.
[[nodiscard]] SharedInvalidationMessage MakeRelcacheInval(Oid db, Oid rel);
[[nodiscard]] SharedInvalidationMessage MakeSmgrInval(const RelFileLocator& locator);
[[nodiscard]] SharedInvalidationMessage MakeSnapshotInval(Oid db, Oid catalog);
[[nodiscard]] RelFileLocator SmgrInvalLocator(const SharedInvalidationMessage& msg);
[[nodiscard]] bool operator==(const SharedInvalidationMessage& a,
                              const SharedInvalidationMessage& b);

// Messages in the circular buffer (Q1). A reader more than this many behind is reset.
inline constexpr uint32_t kSInvalBufferSize = 4096;
// A reader this many messages behind is nudged to catch up (Q6).
inline constexpr uint32_t kSInvalNudgeLag = kSInvalBufferSize / 2;

// Bytes of shared memory for a queue with one reader slot per proc slot.
// Throws 54000 on overflow.
[[nodiscard]] size_t SInvalShmemSize(int num_proc_slots);

// Postmaster (or harness), after ShmemCreate, before any fork, again after a crash: allocates
// "shared invalidation queue" and initialises it empty with no reader attached (Q9).
// Requires: num_proc_slots == ProcArrayNumSlots() (reader slot i belongs to proc slot i).
void SInvalShmemInit(int num_proc_slots);

// Makes this process a reader, starting at the current end of the queue (Q4): it sees only
// messages sent from now on. Idempotent for the same process. Takes the queue lock exclusive.
// Requires: this process has a proc slot (CurrentProcess().proc); SInvalShmemInit ran.
void SInvalAttach();

// Gives this process's reader slot back (no-op when not attached, or when the slot was
// already reclaimed after this process released its proc slot, Q5). Callable at process exit,
// also after the proc slot was released. Takes the queue lock exclusive.
void SInvalDetach();

// Whether this process is an attached reader.
[[nodiscard]] bool SInvalIsAttached();

// Appends `msgs` in order, in chunks of at most kSInvalWriteChunk under the queue lock (Q2).
// When the buffer is full, the readers that would lose unread messages are reset and skipped
// forward (Q3): a writer never waits for a reader. Any process may send (attached or not);
// the sender's own messages are delivered back to it like everyone else's (Q7).
// Requires: SInvalShmemInit ran; no LWLock of a later tranche held.
// Throws only what LwLock::Acquire throws (XX000 "too many LWLocks taken"), and, with more
// than 128 proc slots, std::bad_alloc before anything is sent (room for the latches, Q6).
void SendSharedInvalidMessages(std::span<const SharedInvalidationMessage> msgs);
inline constexpr uint32_t kSInvalWriteChunk = 64;

// Reads every message sent since this reader's position and calls apply(msg) for each, in
// send order; when this reader was reset (Q3), calls reset() once instead of applying the
// lost messages, then continues with messages sent after the reset. Nothing new: one atomic
// comparison, no lock (Q8). A process with a proc slot that is not attached yet attaches now
// and calls reset() (its caches may predate the attach). A process without a proc slot
// returns at once. The callbacks run without the queue lock held; if one throws, this reader
// is marked reset (the rest of its chunk is lost) and the exception propagates.
// Returns the number of messages applied.
template <typename Apply, typename Reset>
int ReceiveSharedInvalidMessages(Apply&& apply, Reset&& reset);

// Set by a writer when this reader lags by more than kSInvalNudgeLag (its latch is set too):
// the backend should call its receive path soon (at its next command, or now when idle).
// Cleared by the next receive.
[[nodiscard]] bool SInvalCatchupPending();

// Diagnostics for tests and views.
struct SInvalQueueStats {
  uint64_t max_msg_num;   // messages ever sent
  uint64_t min_msg_num;   // oldest message still needed by a non-reset reader
  int attached_readers;   // live attached reader slots
  uint64_t resets;        // readers reset since start
};
[[nodiscard]] SInvalQueueStats GetSInvalQueueStats();

// --- implementation of the template -------------------------------------------------------
namespace sinval_internal {
// Copies up to `capacity` new messages into `out` under the shared lock and advances this
// reader; sets *was_reset (and skips to the end) when the reader had been reset. Returns the
// count copied; 0 with !*was_reset means caught up. Attaches lazily (was_reset = true).
int ReadChunk(SharedInvalidationMessage* out, int capacity, bool* was_reset);
// Fast path: false when nothing new for this reader (or it cannot read at all).
[[nodiscard]] bool MaybeHasNew();
// Marks this reader reset (after a callback threw).
void MarkSelfReset();
inline constexpr int kReadChunk = 32;
}  // namespace sinval_internal

template <typename Apply, typename Reset>
int ReceiveSharedInvalidMessages(Apply&& apply, Reset&& reset) {
  int applied = 0;
  while (sinval_internal::MaybeHasNew()) {
    SharedInvalidationMessage chunk[sinval_internal::kReadChunk];
    bool was_reset = false;
    const int n = sinval_internal::ReadChunk(chunk, sinval_internal::kReadChunk, &was_reset);
    try {
      if (was_reset) reset();
      for (int i = 0; i < n; ++i) {
        apply(chunk[i]);
        ++applied;
      }
    } catch (...) {
      sinval_internal::MarkSelfReset();
      throw;
    }
    if (n == 0 && !was_reset) break;
  }
  return applied;
}

}  // namespace keel::storage
