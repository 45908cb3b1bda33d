// Buffer I/O: the io-in-progress protocol (one reader or writer per buffer, others sleep on
// the state word), and the write path (WAL before data, checksums stamped into private
// copies, batched writes). See storage/buffer/README.md (B5, B6).
#include <cstring>

#include "backend/utils/config/settings.h"
#include "backend/utils/error/error.h"
#include "storage/buffer/buffer_internal.h"
#include "storage/smgr/smgr.h"

namespace keel::storage::bufpool {
namespace {

// Private copies of pages being written (never stamp a checksum into a shared page that
// others may read under a share lock). Process-local; O_DIRECT-friendly alignment.
alignas(4096) std::byte write_copies[kWriteBatchMax][kBlockSize];

void CountWrites(Writer writer, uint64_t n) {
  if (n == 0) return;
  CountStat(&StatsSlot::writes, n);
  switch (writer) {
    case Writer::kBackend: CountStat(&StatsSlot::writes_by_backend, n); break;
    case Writer::kBgWriter: CountStat(&StatsSlot::writes_by_bgwriter, n); break;
    case Writer::kCheckpointer: CountStat(&StatsSlot::writes_by_checkpoint, n); break;
  }
}

// B5: WAL up to `lsn` is durable before a page carrying it reaches the file.
void FlushWalFor(Lsn lsn) {
  if (lsn.valid() && local_pool.wal_flush != nullptr) local_pool.wal_flush(lsn);
}

}  // namespace

IoStart TryStartBufferIO(BufferDesc* desc, bool for_input) {
  uint32_t state = LockBufHdr(desc);
  if ((state & kIoInProgress) != 0) {
    UnlockBufHdr(desc, state);
    return IoStart::kBusy;
  }
  if (for_input ? (state & kValid) != 0 : (state & kDirty) == 0) {
    UnlockBufHdr(desc, state);  // someone else did it meanwhile
    return IoStart::kNotNeeded;
  }
  state |= kIoInProgress;
  // A write copies the page as of now: a change after this sets just-dirtied again and keeps
  // the buffer dirty when the write ends.
  if (!for_input) state &= ~kJustDirtied;
  UnlockBufHdr(desc, state);
  return IoStart::kStarted;
}

bool StartBufferIO(BufferDesc* desc, bool for_input) {
  for (;;) {
    const IoStart result = TryStartBufferIO(desc, for_input);
    if (result != IoStart::kBusy) return result == IoStart::kStarted;
    WaitIO(desc);
  }
}

void TerminateBufferIO(BufferDesc* desc, bool clear_dirty, uint32_t set_flags, bool failed) {
  uint32_t state = LockBufHdr(desc);
  KEEL_ASSERT((state & kIoInProgress) != 0);
  state &= ~(kIoInProgress | kIoError);
  if (failed) {
    state |= kIoError;  // the buffer stays as it was (not valid / still dirty): B6
  } else {
    if (clear_dirty && (state & kJustDirtied) == 0) state &= ~(kDirty | kCheckpointNeeded);
    state |= set_flags;
  }
  const bool wake = (state & kIoWaiters) != 0;
  state &= ~kIoWaiters;
  UnlockBufHdr(desc, state);
  if (wake) StateFutexWakeAll(desc);
}

void WaitIO(BufferDesc* desc) {
  for (;;) {
    uint32_t state = LockBufHdr(desc);
    if ((state & kIoInProgress) == 0) {
      UnlockBufHdr(desc, state);
      return;
    }
    // B6: announce ourselves under the header bit; the I/O's end clears kIoWaiters under it
    // and then wakes. The kernel compares the word with what we published atomically with
    // queueing us, so a change in between (the end, or any pin) makes us look again.
    state |= kIoWaiters;
    UnlockBufHdr(desc, state);
    StateFutexWait(desc, state & ~kHeaderLocked);
  }
}

bool PageLooksValid(const std::byte* page, BlockNumber block) {
  if (PageIsNew(page)) return true;  // extended but never written (PG6)
  if (!PageHeaderIsValid(page)) return false;
  return !settings::data_checksums || PageVerifyChecksum(page, block);
}

bool FlushBufferLocked(BufferDesc* desc, Writer writer) {
  KEEL_ASSERT(desc->content_lock.HeldByMe());
  if (!StartBufferIO(desc, /*for_input=*/false)) return false;
  const BufferTag tag = desc->tag;  // stable: we hold a pin (B4)
  const std::byte* page = DescPage(desc);
  const std::byte* to_write = page;
  try {
    // Under our content lock only hint bits can change (MarkBufferDirtyHint); with checksums
    // the page is copied so the checksum matches the bytes written.
    if (settings::data_checksums && !PageIsNew(page)) {
      memcpy(write_copies[0], page, kBlockSize);
      PageSetChecksum(write_copies[0], tag.block);
      to_write = write_copies[0];
    }
    if ((desc->state.load(std::memory_order_relaxed) & kPermanent) != 0) {
      FlushWalFor(PageGetLsn(page));  // B5
    }
    SmgrWrite(tag.rel, tag.fork, tag.block, to_write, /*skip_fsync=*/false);
  } catch (...) {
    TerminateBufferIO(desc, false, 0, /*failed=*/true);
    throw;
  }
  TerminateBufferIO(desc, /*clear_dirty=*/true, 0);
  CountWrites(writer, 1);
  return true;
}

int WriteBufferBatch(std::span<BufferDesc* const> descs, Writer writer) {
  KEEL_ASSERT(descs.size() <= static_cast<size_t>(kWriteBatchMax));
  BufferDesc* started[kWriteBatchMax];
  BlockWrite writes[kWriteBatchMax];
  int n_started = 0;
  Lsn max_lsn = kInvalidLsn;
  int written = 0;

  auto abort_started = [&]() {
    for (int i = 0; i < n_started; ++i) TerminateBufferIO(started[i], false, 0, /*failed=*/true);
    n_started = 0;
  };
  // Writes what has been copied so far and ends those I/Os.
  auto write_started = [&]() {
    if (n_started == 0) return;
    try {
      FlushWalFor(max_lsn);  // B5, once for the batch
      if (n_started == 1) {
        SmgrWrite(writes[0].rel, writes[0].fork, writes[0].block, writes[0].page, false);
      } else {
        SmgrWriteV(std::span<const BlockWrite>(writes, static_cast<size_t>(n_started)), false);
      }
    } catch (...) {
      abort_started();
      throw;
    }
    for (int i = 0; i < n_started; ++i) TerminateBufferIO(started[i], /*clear_dirty=*/true, 0);
    written += n_started;
    n_started = 0;
    max_lsn = kInvalidLsn;
  };

  try {
    for (BufferDesc* desc : descs) {
      LwLock* lock = &desc->content_lock;
      // Never sleep on a lock or on another's I/O while owning I/Os: write them first (B6).
      if (!lock->TryAcquire(LwLockMode::kShared)) {
        write_started();
        lock->Acquire(LwLockMode::kShared);
      }
      LwLockGuard guard = LwLockGuard::Adopt(lock);
      IoStart start = TryStartBufferIO(desc, /*for_input=*/false);
      if (start == IoStart::kBusy) {
        write_started();
        start = StartBufferIO(desc, false) ? IoStart::kStarted : IoStart::kNotNeeded;
      }
      if (start != IoStart::kStarted) continue;  // cleaned meanwhile
      std::byte* copy = write_copies[n_started];
      memcpy(copy, DescPage(desc), kBlockSize);
      guard.Reset();  // the copy is what we write; later changes set just-dirtied
      const BufferTag tag = desc->tag;
      if (settings::data_checksums && !PageIsNew(copy)) PageSetChecksum(copy, tag.block);
      if ((desc->state.load(std::memory_order_relaxed) & kPermanent) != 0) {
        const Lsn lsn = PageGetLsn(copy);
        if (lsn > max_lsn) max_lsn = lsn;
      }
      started[n_started] = desc;
      writes[n_started] = BlockWrite{tag.rel, tag.fork, tag.block, copy};
      ++n_started;
    }
    write_started();
  } catch (...) {
    abort_started();
    CountWrites(writer, static_cast<uint64_t>(written));
    throw;
  }
  CountWrites(writer, static_cast<uint64_t>(written));
  return written;
}

}  // namespace keel::storage::bufpool
