// Reading, extending and replacing buffers; content locks; dirtying; dropping and flushing a
// relation's buffers. See storage/buffer/README.md (B1-B10).
#include "storage/buffer/bufmgr.h"

#include <time.h>
#include <unistd.h>

#include <cstring>

#include "backend/utils/error/error.h"
#include "backend/utils/error/format.h"
#include "backend/utils/error/log.h"
#include "backend/utils/init/interrupts.h"
#include "storage/buffer/buffer_internal.h"
#include "storage/buffer/buffer_table_internal.h"
#include "storage/buffer/replacement_internal.h"
#include "storage/smgr/smgr.h"

namespace keel::storage {

using namespace bufpool;  // NOLINT: this file implements the pool

namespace {

// An all-zero page for extension (process-local, never written to).
alignas(4096) const std::byte zero_page[kBlockSize] = {};

// Flags a victim loses when it forgets its block.
constexpr uint32_t kBlockFlags = kTagValid | kValid | kDirty | kJustDirtied | kIoError |
                                 kCheckpointNeeded | kPermanent | kUsageMask;

#ifdef KEEL_DEBUG
BeforeReadHook before_read_hook = nullptr;
BeforeReadHook after_extend_hook = nullptr;
#endif

LwLockMode ToLwLockMode(BufferLockMode mode) {
  return mode == BufferLockMode::kShare ? LwLockMode::kShared : LwLockMode::kExclusive;
}

[[noreturn]] void ThrowInvalidPage(const BufferTag& tag) {
  throw Error(sqlstate::kDataCorrupted,
              Format("invalid page in block %u of relation %s", tag.block.value(),
                     RelationPath(tag.rel, tag.fork).c_str()));
}

// Removes a victim's mapping (B4). Requires: pinned once by us. Fails (false) when somebody
// else pinned or dirtied it since it was chosen; the caller then picks another.
bool InvalidateVictimBuffer(BufferDesc* desc) {
  const BufferTag tag = desc->tag;  // stable while we hold a pin
  const uint32_t hash = BufferTagHash(tag);
  LwLockGuard partition(BufferPartitionLock(hash), LwLockMode::kExclusive);
  uint32_t state = LockBufHdr(desc);
  KEEL_ASSERT((state & kTagValid) != 0);
  if (RefCount(state) != 1 || (state & (kDirty | kIoInProgress)) != 0) {
    UnlockBufHdr(desc, state);
    return false;
  }
  desc->tag = BufferTag{};
  UnlockBufHdr(desc, state & ~kBlockFlags);
  BufferTableDelete(tag, hash);
  return true;
}

// Returns a buffer pinned once by us, with no block (not in the mapping table): the clock's
// or the ring's victim, written first when dirty (B5), its old mapping removed.
BufferDesc* GetVictimBuffer(BufferAccessStrategy* strategy) {
  for (;;) {
    uint32_t state = 0;
    bool from_ring = false;
    BufferDesc* desc = StrategyGetBuffer(strategy, &state, &from_ring);
    PinBufferLocked(desc, state);
    DescPin pin(desc);
    if ((state & kDirty) != 0) {
      // Conditional: it was unpinned when chosen, but someone may have pinned and locked it
      // since, and may wait for a lock we hold; rather take another victim than deadlock.
      LwLock* lock = &desc->content_lock;
      if (!lock->TryAcquire(LwLockMode::kShared)) continue;
      LwLockGuard guard = LwLockGuard::Adopt(lock);
      // B8: a bulk read does not flush WAL to reuse its own ring buffer; it takes another.
      if (from_ring && WalNeedsFlush(PageGetLsn(DescPage(desc))) && strategy->Reject(desc)) {
        continue;
      }
      FlushBufferLocked(desc, Writer::kBackend);
    }
    if ((state & kTagValid) != 0 && !InvalidateVictimBuffer(desc)) continue;
    return pin.Release();
  }
}

struct AllocResult {
  BufferDesc* desc;  // pinned by us
  bool valid;        // holds the block already
};

// Finds the block's buffer or gives it one (B4, B10); returns it pinned.
AllocResult BufferAlloc(const BufferTag& tag, BufferAccessStrategy* strategy) {
  const uint32_t hash = BufferTagHash(tag);
  LwLock* partition_lock = BufferPartitionLock(hash);
  {
    LwLockGuard partition(partition_lock, LwLockMode::kShared);
    const int id = BufferTableLookup(tag, hash);
    if (id >= 0) {
      // Pinned before the partition lock goes, so it cannot be evicted in between.
      BufferDesc* desc = &shared_pool.descs[id];
      return {desc, PinBuffer(desc, strategy)};
    }
  }
  BufferDesc* victim = GetVictimBuffer(strategy);
  DescPin victim_pin(victim);
  LwLockGuard partition(partition_lock, LwLockMode::kExclusive);
  const int existing = BufferTableInsert(tag, hash, victim->buf_id);
  if (existing >= 0) {
    // Another process loaded the block while we looked for a victim: use its buffer. Ours
    // goes back unpinned with no block and usage 0, the clock's next choice.
    BufferDesc* desc = &shared_pool.descs[existing];
    return {desc, PinBuffer(desc, strategy)};
  }
  uint32_t state = LockBufHdr(victim);
  KEEL_ASSERT((state & (kTagValid | kValid | kDirty | kIoInProgress)) == 0);
  victim->tag = tag;
  state &= ~kBlockFlags;
  // TODO(issue 3): unlogged relations are not permanent (they need no WAL flush, B5).
  state |= kTagValid | kPermanent | kUsageOne;
  UnlockBufHdr(victim, state);
  return {victim_pin.Release(), false};
}

}  // namespace

#ifdef KEEL_DEBUG
void bufpool::TestOnlySetBeforeReadHook(BeforeReadHook hook) { before_read_hook = hook; }
void bufpool::TestOnlySetAfterExtendHook(BeforeReadHook hook) { after_extend_hook = hook; }
#endif

Buffer ReadBuffer(const RelFileLocator& rel, ForkNumber fork, BlockNumber block, ReadMode mode,
                  BufferAccessStrategy* strategy) {
  const BufferTag tag{rel, fork, block};
  const AllocResult alloc = BufferAlloc(tag, strategy);
  BufferDesc* desc = alloc.desc;
  DescPin pin(desc);
  // B6: one process reads; the others sleep in StartBufferIO and then find it valid.
  if (!alloc.valid && StartBufferIO(desc, /*for_input=*/true)) {
    CountStat(&StatsSlot::misses);
    std::byte* page = DescPage(desc);
    LwLock* content = &desc->content_lock;
    try {
      if (mode == ReadMode::kZeroAndLock) {
        memset(page, 0, kBlockSize);
        // Locked before it becomes valid, so nobody sees the zeroes. Cannot block: a buffer
        // that was never valid is content-locked by no one.
        content->Acquire(LwLockMode::kExclusive);
      } else {
#ifdef KEEL_DEBUG
        if (before_read_hook != nullptr) before_read_hook(tag);
#endif
        SmgrRead(rel, fork, block, page);
        CountStat(&StatsSlot::reads);
        if (!PageLooksValid(page, block)) {
          if (mode != ReadMode::kZeroOnError) ThrowInvalidPage(tag);
          Log(Severity::kWarning, "invalid page in block %u of relation %s; zeroing out page",
              block.value(), RelationPath(rel, fork).c_str());
          memset(page, 0, kBlockSize);
        }
      }
    } catch (...) {
      if (content->HeldByMe()) content->Release();
      TerminateBufferIO(desc, false, 0, /*failed=*/true);
      throw;
    }
    TerminateBufferIO(desc, false, kValid);
    return DescBuffer(pin.Release());
  }
  CountStat(&StatsSlot::hits);
  if (mode == ReadMode::kZeroAndLock) desc->content_lock.Acquire(LwLockMode::kExclusive);
  return DescBuffer(pin.Release());
}

std::pair<Buffer, BlockNumber> ExtendBuffer(const RelFileLocator& rel, ForkNumber fork,
                                            BufferAccessStrategy* strategy) {
  // B9: one extender per relation at a time, so each gets its own new block.
  LwLockGuard extension(ExtensionLockFor(rel), LwLockMode::kExclusive);
  const BlockNumber block = SmgrNBlocks(rel, fork);
  CountStat(&StatsSlot::extends);
  // B12: the buffer is claimed (I/O in progress) before the file grows, so a process that sees
  // the new block in the file and reads it waits for us instead of reading it from disk and
  // using it (a heap insert into the "last page", an FSM page initialised) before we return.
  const BufferTag tag{rel, fork, block};
  const AllocResult alloc = BufferAlloc(tag, strategy);
  BufferDesc* desc = alloc.desc;
  DescPin pin(desc);
  LwLock* content = &desc->content_lock;
  if (!alloc.valid && StartBufferIO(desc, /*for_input=*/true)) {
    try {
      SmgrExtend(rel, fork, block, zero_page, /*skip_fsync=*/false);
#ifdef KEEL_DEBUG
      if (after_extend_hook != nullptr) after_extend_hook(tag);
#endif
      memset(DescPage(desc), 0, kBlockSize);
      content->Acquire(LwLockMode::kExclusive);  // before valid: nobody sees it unlocked
    } catch (...) {
      TerminateBufferIO(desc, false, 0, /*failed=*/true);
      throw;
    }
    TerminateBufferIO(desc, false, kValid);
  } else {
    // A valid buffer for a block past the end of the file (read as zeroes by a recovery tool):
    // the file still has to grow, and the page must still be new.
    if (SmgrNBlocks(rel, fork) == block) SmgrExtend(rel, fork, block, zero_page, false);
    content->Acquire(LwLockMode::kExclusive);
    if (!PageIsNew(DescPage(desc))) {
      content->Release();
      throw Error(sqlstate::kInternalError,
                  Format("unexpected data beyond EOF in block %u of relation %s", block.value(),
                         RelationPath(rel, fork).c_str()))
          .WithHint("This has been seen to occur with buggy kernels; consider updating your "
                    "system.");
    }
  }
  return {DescBuffer(pin.Release()), block};
}

// --- content locks ---------------------------------------------------------------------------

void LockBuffer(Buffer buffer, BufferLockMode mode) {
  CheckBufferId(buffer);
  KEEL_ASSERT(local_pool.private_refcount[buffer - 1] > 0);
  GetDesc(buffer)->content_lock.Acquire(ToLwLockMode(mode));
}

bool ConditionalLockBuffer(Buffer buffer, BufferLockMode mode) {
  CheckBufferId(buffer);
  KEEL_ASSERT(local_pool.private_refcount[buffer - 1] > 0);
  return GetDesc(buffer)->content_lock.TryAcquire(ToLwLockMode(mode));
}

void UnlockBuffer(Buffer buffer) {
  CheckBufferId(buffer);
  GetDesc(buffer)->content_lock.Release();
}

bool ConditionalLockBufferForCleanup(Buffer buffer) {
  CheckBufferId(buffer);
  // Our own second pin (a scan of this process stopped on the page) counts too: the shared
  // count has one per process (B1), so the local count is checked first.
  if (local_pool.private_refcount[buffer - 1] != 1) return false;
  if (!ConditionalLockBuffer(buffer, BufferLockMode::kExclusive)) return false;
  // Under the exclusive content lock nobody can newly look at the page; a pin taken after this
  // check cannot hold a pointer into it until we unlock.
  if (RefCount(GetDesc(buffer)->state.load(std::memory_order_acquire)) == 1) return true;
  UnlockBuffer(buffer);
  return false;
}

void LockBufferForCleanup(Buffer buffer) {
  CheckBufferId(buffer);
  BufferDesc* desc = GetDesc(buffer);
  const int32_t mine = local_pool.private_refcount[buffer - 1];
  if (mine != 1) {
    throw Error(sqlstate::kInternalError, Format("incorrect local pin count: %d", mine));
  }
  const int32_t my_pid = static_cast<int32_t>(getpid());
  for (;;) {
    desc->content_lock.Acquire(LwLockMode::kExclusive);
    uint32_t state = LockBufHdr(desc);
    if (RefCount(state) == 1) {  // only our pin is left
      if ((state & kPinCountWaiter) != 0 && desc->wait_backend_pid == my_pid) {
        state &= ~kPinCountWaiter;
        desc->wait_backend_pid = 0;
      }
      UnlockBufHdr(desc, state);
      return;
    }
    if ((state & kPinCountWaiter) != 0 && desc->wait_backend_pid != my_pid) {
      UnlockBufHdr(desc, state);
      desc->content_lock.Release();
      throw Error(sqlstate::kInternalError, "multiple backends attempting to wait for pincount 1");
    }
    // The unpin that leaves only our pin clears the flag under the header bit and wakes us;
    // any other change of the word makes the futex return at once and we look again.
    state |= kPinCountWaiter;
    desc->wait_backend_pid = my_pid;
    UnlockBufHdr(desc, state);
    desc->content_lock.Release();
    StateFutexWait(desc, state & ~kHeaderLocked);
  }
}

Page BufferGetPage(Buffer buffer) {
  CheckBufferId(buffer);
  KEEL_ASSERT(local_pool.private_refcount[buffer - 1] > 0);
  return DescPage(GetDesc(buffer));
}

BufferTag BufferGetTag(Buffer buffer) {
  CheckBufferId(buffer);
  KEEL_ASSERT(local_pool.private_refcount[buffer - 1] > 0);
  return GetDesc(buffer)->tag;  // stable while pinned (B4)
}

BlockNumber BufferGetBlockNumber(Buffer buffer) { return BufferGetTag(buffer).block; }

namespace {

void SetDirtyBits(BufferDesc* desc) {
  uint32_t old_state = desc->state.load(std::memory_order_relaxed);
  for (;;) {
    if ((old_state & kHeaderLocked) != 0) old_state = WaitBufHdrUnlocked(desc);
    KEEL_ASSERT((old_state & kValid) != 0);
    const uint32_t new_state = old_state | kDirty | kJustDirtied;
    if (desc->state.compare_exchange_weak(old_state, new_state, std::memory_order_relaxed)) {
      return;
    }
  }
}

}  // namespace

void MarkBufferDirty(Buffer buffer) {
  CheckBufferId(buffer);
  BufferDesc* desc = GetDesc(buffer);
  KEEL_ASSERT(local_pool.private_refcount[buffer - 1] > 0);
  KEEL_ASSERT(desc->content_lock.HeldByMeInMode(LwLockMode::kExclusive));
  SetDirtyBits(desc);
}

void MarkBufferDirtyHint(Buffer buffer) {
  CheckBufferId(buffer);
  BufferDesc* desc = GetDesc(buffer);
  KEEL_ASSERT(local_pool.private_refcount[buffer - 1] > 0);
  KEEL_ASSERT(desc->content_lock.HeldByMe());
  constexpr uint32_t kBoth = kDirty | kJustDirtied;
  if ((desc->state.load(std::memory_order_relaxed) & kBoth) == kBoth) return;  // common case
  SetDirtyBits(desc);
}

// --- relation-level operations ---------------------------------------------------------------

namespace {

// B14: a pin of this process on a buffer being dropped is a leak of the caller's (it must let
// go of the storage's buffers before the storage goes). A bug: Debug stops here; otherwise the
// pin is taken away (its owner's later unpin is stopped by the pin epoch, B13) so that the drop
// (and the unlink after it) still happens, rather than leave a buffer naming a gone file.
void TakeAwayOwnPins(BufferDesc* desc) {
  int32_t& mine = local_pool.private_refcount[desc->buf_id];
  KEEL_ASSERT(mine == 0 && "buffer of dropped storage is pinned by this process");
  Log(Severity::kWarning, "buffer %d of relation %s was still pinned by this process at its drop",
      desc->buf_id + 1, RelationPath(desc->tag.rel, desc->tag.fork).c_str());
  mine = 1;
  UnpinBuffer(desc);
  BumpBufferPinEpoch();
}

// Forgets the buffer's block without writing it when `matches(tag)` (B4). Waits for other
// processes' pins (a bgwriter or checkpointer writing it) to go: sleeping on the I/O, or
// polling; never throws (B14 for our own pins).
template <typename Match>
void InvalidateBuffer(BufferDesc* desc, Match&& matches) {
  for (;;) {
    uint32_t state = LockBufHdr(desc);
    if ((state & kTagValid) == 0 || !matches(desc->tag)) {
      UnlockBufHdr(desc, state);
      return;
    }
    const BufferTag tag = desc->tag;
    UnlockBufHdr(desc, state);
    const uint32_t hash = BufferTagHash(tag);
    LwLockGuard partition(BufferPartitionLock(hash), LwLockMode::kExclusive);
    state = LockBufHdr(desc);
    if ((state & kTagValid) == 0 || !(desc->tag == tag)) {  // replaced meanwhile
      UnlockBufHdr(desc, state);
      return;
    }
    if (RefCount(state) == 0) {
      desc->tag = BufferTag{};
      UnlockBufHdr(desc, state & ~kBlockFlags);
      BufferTableDelete(tag, hash);
      return;
    }
    UnlockBufHdr(desc, state);
    partition.Reset();
    if (local_pool.private_refcount[desc->buf_id] > 0) {
      TakeAwayOwnPins(desc);
    } else if ((state & kIoInProgress) != 0) {
      WaitIO(desc);
    } else {
      timespec ts{0, 200'000};  // a writer's pin between its checks; gone in microseconds
      nanosleep(&ts, nullptr);
    }
  }
}

// B14, interruptible drops: waits until no buffer whose tag satisfies `matches` is pinned by
// another process, checking for interrupts between rounds, before anything is dropped. An
// interrupt throws with nothing forgotten. Pins that appear after the wait (a writer's, the
// storage being unused) are short and waited for by InvalidateBuffer.
template <typename Maybe, typename Match>
void WaitForOtherPins(Maybe&& maybe, Match&& matches) {
  for (;;) {
    bool pinned = false;
    for (int i = 0; i < shared_pool.n_buffers && !pinned; ++i) {
      BufferDesc* desc = &shared_pool.descs[i];
      if (!maybe(desc)) continue;
      const uint32_t state = LockBufHdr(desc);
      const bool theirs = (state & kTagValid) != 0 && matches(desc->tag) &&
                          RefCount(state) > (local_pool.private_refcount[i] > 0 ? 1u : 0u);
      UnlockBufHdr(desc, state);
      pinned = theirs;
    }
    if (!pinned) return;
    CheckForInterrupts();
    timespec ts{0, 1'000'000};
    nanosleep(&ts, nullptr);
  }
}

// Cheap unlocked pre-check; the tag is re-read under the header bit before acting on it.
bool MaybeOfRelation(const BufferDesc* desc, const RelFileLocator& rel) {
  return desc->tag.rel == rel;
}

}  // namespace

void DropRelationBuffers(const RelFileLocator& rel, ForkNumber fork, BlockNumber first_block) {
  shared_pool.control->relation_drops.fetch_add(1);  // B11: before anything is gone
  auto matches = [&](const BufferTag& tag) {
    return tag.rel == rel && tag.fork == fork && tag.block >= first_block;
  };
  for (int i = 0; i < shared_pool.n_buffers; ++i) {
    BufferDesc* desc = &shared_pool.descs[i];
    if (MaybeOfRelation(desc, rel)) InvalidateBuffer(desc, matches);
  }
}

uint64_t RelationDropCount() { return shared_pool.control->relation_drops.load(); }

void DropRelationAllBuffers(const RelFileLocator& rel, DropWait wait) {
  auto maybe = [&](const BufferDesc* desc) { return MaybeOfRelation(desc, rel); };
  auto matches = [&](const BufferTag& tag) { return tag.rel == rel; };
  if (wait == DropWait::kInterruptible) WaitForOtherPins(maybe, matches);
  shared_pool.control->relation_drops.fetch_add(1);  // B11
  for (int i = 0; i < shared_pool.n_buffers; ++i) {
    BufferDesc* desc = &shared_pool.descs[i];
    if (maybe(desc)) InvalidateBuffer(desc, matches);
  }
}

namespace {

// Writes every valid dirty buffer whose tag satisfies `matches`; `maybe` is the unlocked
// pre-check on a descriptor (re-checked with `matches` under the header bit).
template <typename Maybe, typename Match>
void FlushMatchingBuffers(Maybe&& maybe, Match&& matches) {
  constexpr uint32_t kValidDirty = kValid | kDirty;
  for (int i = 0; i < shared_pool.n_buffers; ++i) {
    BufferDesc* desc = &shared_pool.descs[i];
    if (!maybe(desc)) continue;
    const uint32_t state = LockBufHdr(desc);
    if (!matches(desc->tag) || (state & kValidDirty) != kValidDirty) {
      UnlockBufHdr(desc, state);
      continue;
    }
    PinBufferLocked(desc, state);
    DescPin pin(desc);
    LwLockGuard content(&desc->content_lock, LwLockMode::kShared);
    FlushBufferLocked(desc, Writer::kBackend);
  }
}

}  // namespace

void FlushRelationBuffers(const RelFileLocator& rel) {
  FlushMatchingBuffers([&](const BufferDesc* desc) { return MaybeOfRelation(desc, rel); },
                       [&](const BufferTag& tag) { return tag.rel == rel; });
}

void FlushDatabaseBuffers(Oid db) {
  FlushMatchingBuffers([&](const BufferDesc* desc) { return desc->tag.rel.db == db; },
                       [&](const BufferTag& tag) { return tag.rel.db == db; });
}

void DropDatabaseBuffers(Oid db, DropWait wait) {
  auto maybe = [&](const BufferDesc* desc) { return desc->tag.rel.db == db; };
  auto matches = [&](const BufferTag& tag) { return tag.rel.db == db; };
  if (wait == DropWait::kInterruptible) WaitForOtherPins(maybe, matches);
  shared_pool.control->relation_drops.fetch_add(1);  // B11: before anything is gone
  for (int i = 0; i < shared_pool.n_buffers; ++i) {
    BufferDesc* desc = &shared_pool.descs[i];
    if (maybe(desc)) InvalidateBuffer(desc, matches);
  }
}

int ReleaseOwnPinsOfRelation(const RelFileLocator& rel) {
  int released = 0;
  for (int i = 0; i < shared_pool.n_buffers && local_pool.pinned_buffers > 0; ++i) {
    int32_t& mine = local_pool.private_refcount[i];
    BufferDesc* desc = &shared_pool.descs[i];
    if (mine == 0 || !(desc->tag.rel == rel)) continue;  // stable while we pin it (B4)
    released += mine;
    mine = 1;
    UnpinBuffer(desc);
  }
  if (released > 0) BumpBufferPinEpoch();  // B13: their owners must not unpin them again
  return released;
}

}  // namespace keel::storage
