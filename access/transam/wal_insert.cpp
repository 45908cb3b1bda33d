// WAL insertion: the shared state, reserving space on the insert spinlock, copying records
// into the WAL buffers under one of eight insertion locks, making buffer pages ready, waiting
// for in-progress insertions, the redo pointer and the max_wal_size trigger.
// See README.md (W10-W14, W17).
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>

#include "access/transam/wal.h"
#include "access/transam/wal_format_internal.h"
#include "access/transam/wal_reader.h"
#include "access/transam/wal_shared_internal.h"
#include "backend/utils/config/settings.h"
#include "backend/utils/error/error.h"
#include "backend/utils/error/log.h"
#include "storage/file/file_io.h"
#include "storage/ipc/latch.h"
#include "storage/ipc/shmem.h"

namespace keel::transam {

namespace internal {
WalShared* wal_shared = nullptr;
}  // namespace internal

using internal::wal_shared;
using namespace internal;  // NOLINT: the format constants are this file's vocabulary

namespace {

// Which insertion lock this process tries first; moves on after contention (as PostgreSQL).
int my_insert_lock = -1;
// Start of the last record this process inserted (WalLastRecordStart).
uint64_t my_last_record_start = 0;

[[nodiscard]] int ResolveWalBufferPages(int wal_buffer_pages) {
  if (wal_buffer_pages == -1) {
    // 1/32 of shared_buffers, clamped to [8 pages, one segment's worth (2048 pages)].
    return std::clamp(settings::shared_buffers_pages / 32, 8, 2048);
  }
  return std::max(wal_buffer_pages, 4);
}

inline void CpuRelax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#endif
}

// W12: publishes the holder's progress and wakes flushers sleeping on it. seq_cst on the
// counter and on `sleepers` pairs with the waiter's increment-then-recheck (no lost wake-up).
void SetInsertingAt(WalInsertLock* il, uint64_t value) {
  il->inserting_at.store(value, std::memory_order_release);
  il->progress_seq.fetch_add(1, std::memory_order_seq_cst);
  if (il->sleepers.load(std::memory_order_seq_cst) != 0) FutexWakeAll(&il->progress_seq);
}

[[nodiscard]] WalInsertLock* AcquireInsertLock() {
  WalShared* w = wal_shared;
  if (my_insert_lock < 0) my_insert_lock = static_cast<int>(getpid()) % kNumInsertLocks;
  WalInsertLock* il = &w->insert_locks[my_insert_lock];
  if (il->lock.TryAcquire(storage::LwLockMode::kExclusive)) return il;
  // Contention: sleep on the next one and keep it for next time (spreads processes out).
  my_insert_lock = (my_insert_lock + 1) % kNumInsertLocks;
  il = &w->insert_locks[my_insert_lock];
  il->lock.Acquire(storage::LwLockMode::kExclusive);
  return il;
}

// W13: makes the buffer pages up to and including `upto_page` ready for inserting. A buffer
// whose previous page is not yet written is written first (without fsync); buf_mapping_lock is
// never held while waiting for anything.
void AdvanceInsertBuffer(uint64_t upto_page) noexcept {
  WalShared* w = wal_shared;
  for (;;) {
    uint64_t must_write = 0;
    {
      storage::LwLockGuard guard(&w->buf_mapping_lock, storage::LwLockMode::kExclusive);
      for (;;) {
        const uint64_t next = w->initialized_upto.load(std::memory_order_relaxed);
        if (next > upto_page) return;
        const uint64_t idx = (next / kWalPageSize) % static_cast<uint64_t>(w->n_buffers);
        const uint64_t old = w->page_address[idx].load(std::memory_order_relaxed);
        if (old != kNoPage && w->write_pos.load(std::memory_order_acquire) < old + kWalPageSize) {
          must_write = old + kWalPageSize;
          break;
        }
        InitBufferPage(w->pages + idx * kWalPageSize, next,
                       w->timeline.load(std::memory_order_relaxed), w->system_identifier);
        w->page_address[idx].store(next, std::memory_order_release);
        w->initialized_upto.store(next + kWalPageSize, std::memory_order_release);
      }
    }
    WriteOldPages(must_write);
  }
}

// The buffer holding page `page_lsn`, made ready if needed. Before possibly waiting, the
// holder announces that its bytes before the page are copied (W13), so flushers that need
// those bytes do not wait for it (and it cannot deadlock with a flusher it waits for).
[[nodiscard]] std::byte* GetInsertPage(WalInsertLock* il, uint64_t page_lsn) noexcept {
  WalShared* w = wal_shared;
  const uint64_t idx = (page_lsn / kWalPageSize) % static_cast<uint64_t>(w->n_buffers);
  if (w->page_address[idx].load(std::memory_order_acquire) != page_lsn) {
    if (il->inserting_at.load(std::memory_order_relaxed) < page_lsn) SetInsertingAt(il, page_lsn);
    AdvanceInsertBuffer(page_lsn);
    KEEL_ASSERT(w->page_address[idx].load(std::memory_order_acquire) == page_lsn);
  }
  return w->pages + idx * kWalPageSize;
}

// Copies the record's chunks to the buffers from `lsn` on, setting the continuation flag and
// remaining length on every page the record continues into (W3).
void CopyToBuffers(WalInsertLock* il, uint64_t lsn, const RecordChunk* chunks, int n_chunks,
                   uint32_t total_length) noexcept {
  uint64_t page_lsn = PageStart(lsn);
  std::byte* page = GetInsertPage(il, page_lsn);
  uint64_t offset = lsn - page_lsn;
  uint32_t remaining = total_length;
  for (int i = 0; i < n_chunks; ++i) {
    const std::byte* src = chunks[i].data;
    size_t left = chunks[i].size_bytes;
    while (left > 0) {
      if (offset == kWalPageSize) {
        page_lsn += kWalPageSize;
        page = GetInsertPage(il, page_lsn);
        auto* header = reinterpret_cast<WalPageHeader*>(page);
        header->info |= kPageFirstIsContRecord;
        header->rem_len = remaining;
        offset = PageHeaderSizeAt(page_lsn);
      }
      const size_t n = std::min<size_t>(left, kWalPageSize - offset);
      std::memcpy(page + offset, src, n);
      offset += n;
      src += n;
      left -= n;
      remaining -= static_cast<uint32_t>(n);
    }
  }
  KEEL_ASSERT(remaining == 0);
}

// W17: max_wal_size worth of WAL since the redo pointer wakes the checkpointer (PostgreSQL's
// CheckPointSegments rule: max_wal_size / (1 + checkpoint_completion_target)).
void MaybeRequestCheckpoint(uint64_t end_lsn, uint64_t redo) {
  WalShared* w = wal_shared;
  if (end_lsn <= redo) return;
  const double threshold = static_cast<double>(settings::max_wal_size_mb) * 1024.0 * 1024.0 /
                           (1.0 + settings::checkpoint_completion_target);
  if (static_cast<double>(end_lsn - redo) < threshold) return;
  if (w->checkpoint_requested.load(std::memory_order_relaxed) != 0) return;
  if (w->checkpoint_requested.exchange(1, std::memory_order_acq_rel) == 0) {
    auto* latch = reinterpret_cast<storage::Latch*>(
        w->checkpointer_latch.load(std::memory_order_acquire));
    if (latch != nullptr) storage::SetLatch(latch);
  }
}

// Re-reads the page at `page_lsn` from its segment into `out`; false when the file is missing,
// short or the page is not the one expected (a recycled or zeroed segment).
[[nodiscard]] bool ReadPageFromSegment(uint64_t page_lsn, TimeLineId timeline, std::byte* out) {
  const std::string path = WalSegmentFileName(timeline, page_lsn / kWalSegmentSize);
  const int fd = storage::FileOpen(path, O_RDONLY);
  if (fd < 0) return false;
  const ssize_t n = storage::FileReadAt(fd, out, kWalPageSize,
                                        static_cast<off_t>(page_lsn % kWalSegmentSize));
  close(fd);
  if (n != static_cast<ssize_t>(kWalPageSize)) return false;
  WalPageHeader header;
  std::memcpy(&header, out, sizeof(header));
  return header.magic == kWalPageMagic && header.page_address == page_lsn;
}

}  // namespace

namespace internal {

uint64_t ClampOutOfHeader(uint64_t pos) {
  const uint64_t in_page = pos % kWalPageSize;
  if (in_page != 0 && in_page <= PageHeaderSizeAt(PageStart(pos))) return PageStart(pos);
  return pos;
}

void InitBufferPage(std::byte* page, uint64_t page_lsn, TimeLineId timeline,
                    uint64_t system_identifier) {
  std::memset(page, 0, kWalPageSize);
  WalLongPageHeader header{};
  header.std.magic = kWalPageMagic;
  header.std.timeline = timeline;
  header.std.page_address = page_lsn;
  if (page_lsn % kWalSegmentSize == 0) {
    header.std.info = kPageLongHeader;
    header.system_identifier = system_identifier;
    header.segment_size = static_cast<uint32_t>(kWalSegmentSize);
    header.page_size = kWalPageSize;
    std::memcpy(page, &header, sizeof(WalLongPageHeader));
  } else {
    std::memcpy(page, &header.std, sizeof(WalPageHeader));
  }
}

uint64_t ReservedEnd() {
  WalShared* w = wal_shared;
  uint64_t bytepos;
  {
    storage::SpinLockGuard guard(&w->insert_spin);
    bytepos = w->cur_bytepos;
  }
  return BytePosToEndLsn(bytepos);
}

uint64_t FinishedInsertionsNow() {
  WalShared* w = wal_shared;
  uint64_t finished = ReservedEnd();
  for (auto& il : w->insert_locks) {
    const uint64_t v = il.inserting_at.load(std::memory_order_acquire);
    if (v != 0 && v < finished) finished = v;
  }
  return ClampOutOfHeader(finished);
}

uint64_t WaitInsertionsToFinish(uint64_t upto) {
  WalShared* w = wal_shared;
  const uint64_t reserved = ReservedEnd();
  upto = ClampOutOfHeader(std::min(upto, reserved));
  uint64_t finished = reserved;
  for (auto& il : w->insert_locks) {
    uint64_t v;
    int spins = 0;
    for (;;) {
      const uint32_t seq = il.progress_seq.load(std::memory_order_seq_cst);
      v = il.inserting_at.load(std::memory_order_acquire);
      if (v == 0 || v >= upto) break;
      // The holder is copying bytes we need; it never waits for us (W12, W13). Copies take
      // microseconds: spin briefly, then sleep on its progress counter.
      if (++spins < 64) {
        CpuRelax();
        continue;
      }
      il.sleepers.fetch_add(1, std::memory_order_seq_cst);
      if (il.progress_seq.load(std::memory_order_seq_cst) == seq) {
        FutexWait(&il.progress_seq, seq, 100);
      }
      il.sleepers.fetch_sub(1, std::memory_order_seq_cst);
    }
    if (v != 0 && v < finished) finished = v;
  }
  return std::max(ClampOutOfHeader(finished), upto);
}

uint64_t InsertAssembledRecord(RecordChunk* chunks, int n_chunks, uint32_t total_length,
                               Crc32cBuilder payload_crc, uint64_t redo_used, uint64_t fpw_lsn,
                               int n_images) noexcept {
  WalShared* w = wal_shared;
  if (w == nullptr || w->inserting_allowed.load(std::memory_order_acquire) == 0) {
    Panic("cannot make new WAL entries during recovery");
  }
  WalInsertLock* il = AcquireInsertLock();
  // W4: the redo pointer changes only with every insertion lock held, so it is stable now.
  const uint64_t redo = w->redo_ptr.load(std::memory_order_relaxed);
  if (redo != redo_used && fpw_lsn != 0 && fpw_lsn <= redo) {
    il->lock.Release();
    return 0;
  }
  const uint64_t size = WalAlign(total_length);
  uint64_t start_bytepos;
  uint64_t start_lsn;
  uint64_t prev_lsn;
  {
    // W10: the only serialised step of an insertion; a few instructions.
    storage::SpinLockGuard guard(&w->insert_spin);
    start_bytepos = w->cur_bytepos;
    w->cur_bytepos = start_bytepos + size;
    prev_lsn = w->prev_lsn;
    start_lsn = BytePosToLsn(start_bytepos);
    w->prev_lsn = start_lsn;
    // W12: published inside the spinlock, so whoever reads the reserved end afterwards sees it.
    il->inserting_at.store(start_lsn, std::memory_order_relaxed);
  }
  const uint64_t end_lsn = BytePosToEndLsn(start_bytepos + size);
  my_last_record_start = start_lsn;

  // W1: the prev link is known only now; the CRC ends with the header up to the CRC field.
  auto* header = const_cast<std::byte*>(chunks[0].data);
  std::memcpy(header + 12, &prev_lsn, sizeof(prev_lsn));
  payload_crc.Update(header, kRecordCrcOffset);
  const uint32_t crc = payload_crc.Finish();
  std::memcpy(header + kRecordCrcOffset, &crc, sizeof(crc));

  CopyToBuffers(il, start_lsn, chunks, n_chunks, total_length);
  SetInsertingAt(il, 0);
  il->lock.Release();

  w->stats.records.fetch_add(1, std::memory_order_relaxed);
  w->stats.bytes.fetch_add(size, std::memory_order_relaxed);
  if (n_images > 0) w->stats.fpi.fetch_add(static_cast<uint64_t>(n_images), std::memory_order_relaxed);
  MaybeRequestCheckpoint(end_lsn, redo);
  return end_lsn;
}

}  // namespace internal

// --- set-up ---------------------------------------------------------------------------------

size_t WalShmemSize(int wal_buffer_pages) {
  const int n = ResolveWalBufferPages(wal_buffer_pages);
  size_t size = sizeof(WalShared);
  size = storage::AddSize(size, storage::MulSize(static_cast<size_t>(n), sizeof(uint64_t)));
  size = storage::AddSize(size, storage::MulSize(static_cast<size_t>(n), kWalPageSize));
  return storage::AddSize(size, kWalPageSize);  // room to align the pages
}

void WalShmemInit(int wal_buffer_pages, uint64_t system_identifier) {
  const int n = ResolveWalBufferPages(wal_buffer_pages);
  bool found = false;
  auto* base = static_cast<std::byte*>(
      storage::ShmemInitStruct("WAL control", WalShmemSize(wal_buffer_pages), &found));
  auto* w = reinterpret_cast<WalShared*>(base);
  wal_shared = w;
  // Process-local state of an earlier incarnation (a descriptor of a segment that may since
  // have been recycled, this process's last record) is stale now.
  CloseWalSegmentForWrite();
  my_last_record_start = 0;
  if (found) return;
  w->n_buffers = n;
  w->system_identifier = system_identifier;
  w->page_address = reinterpret_cast<std::atomic<uint64_t>*>(base + sizeof(WalShared));
  auto pages_at = reinterpret_cast<uintptr_t>(w->page_address + n);
  pages_at = (pages_at + kWalPageSize - 1) & ~static_cast<uintptr_t>(kWalPageSize - 1);
  w->pages = reinterpret_cast<std::byte*>(pages_at);
  for (int i = 0; i < n; ++i) w->page_address[i].store(kNoPage, std::memory_order_relaxed);
  w->insert_spin.Init();
  w->buf_mapping_lock.Init(storage::lwtranche::kWalInsert);
  w->write_lock.Init(storage::lwtranche::kWalWrite);
  w->segment_lock.Init(storage::lwtranche::kMain);
  for (auto& il : w->insert_locks) il.lock.Init(storage::lwtranche::kWalInsert);
  w->timeline.store(1, std::memory_order_relaxed);
}

void WalStartInsertingAt(Lsn end_of_log, Lsn last_record, TimeLineId timeline, Lsn redo_pointer) {
  WalShared* w = wal_shared;
  KEEL_ASSERT(w != nullptr);
  uint64_t end = end_of_log.value();
  const uint64_t page = PageStart(end);
  if (end != page && end - page < PageHeaderSizeAt(page)) end = page + PageHeaderSizeAt(page);
  w->timeline.store(timeline, std::memory_order_relaxed);
  {
    storage::SpinLockGuard guard(&w->insert_spin);
    w->cur_bytepos = LsnToBytePos(end);
    w->prev_lsn = last_record.value();
  }
  w->redo_ptr.store(redo_pointer.value(), std::memory_order_relaxed);
  for (int i = 0; i < w->n_buffers; ++i) w->page_address[i].store(kNoPage, std::memory_order_relaxed);
  if (end != page) {
    // W14: the partial last page is re-read so a later write of it keeps its earlier records;
    // whatever follows end_of_log there (a torn record) is zeroed.
    const uint64_t idx = (page / kWalPageSize) % static_cast<uint64_t>(w->n_buffers);
    std::byte* buf = w->pages + idx * kWalPageSize;
    if (!ReadPageFromSegment(page, timeline, buf)) {
      InitBufferPage(buf, page, timeline, w->system_identifier);
    }
    std::memset(buf + (end - page), 0, kWalPageSize - (end - page));
    w->page_address[idx].store(page, std::memory_order_relaxed);
    w->initialized_upto.store(page + kWalPageSize, std::memory_order_relaxed);
  } else {
    w->initialized_upto.store(page, std::memory_order_relaxed);
  }
  w->write_pos.store(end, std::memory_order_relaxed);
  w->flush_pos.store(end, std::memory_order_relaxed);
  w->async_target.store(end, std::memory_order_relaxed);
  w->last_removal_redo = redo_pointer.value();
  w->inserting_allowed.store(1, std::memory_order_release);
}

void WalStartInsertingAt(Lsn end_of_log, TimeLineId timeline, Lsn redo_pointer) {
  // The previous record is found by reading forward from the redo pointer (the startup process
  // knows it already and should call the four-argument form).
  Lsn last = kInvalidLsn;
  if (redo_pointer.valid() && redo_pointer < end_of_log) {
    WalReader reader(kWalDirectory, redo_pointer);
    while (auto record = reader.Next()) {
      if (record->end_lsn > end_of_log) break;
      last = record->lsn;
      if (record->end_lsn == end_of_log) break;
    }
  }
  WalStartInsertingAt(end_of_log, last, timeline, redo_pointer);
}

// --- positions, redo pointer, size trigger --------------------------------------------------

Lsn WalInsertPosition() { return Lsn(internal::ReservedEnd()); }
Lsn WalLastRecordStart() { return Lsn(my_last_record_start); }
Lsn WalWritePosition() { return Lsn(wal_shared->write_pos.load(std::memory_order_acquire)); }
Lsn WalFlushPosition() { return Lsn(wal_shared->flush_pos.load(std::memory_order_acquire)); }

Lsn WalBeginCheckpointRedoPointer() {
  WalShared* w = wal_shared;
  // All insertion locks, in index order (the only place that takes more than one): no record
  // is between assembly and copy, so each one either saw the old or the new pointer (W4).
  for (auto& il : w->insert_locks) il.lock.Acquire(storage::LwLockMode::kExclusive);
  uint64_t redo;
  {
    storage::SpinLockGuard guard(&w->insert_spin);
    redo = BytePosToLsn(w->cur_bytepos);
  }
  w->redo_ptr.store(redo, std::memory_order_release);
  for (int i = kNumInsertLocks - 1; i >= 0; --i) w->insert_locks[i].lock.Release();
  return Lsn(redo);
}

Lsn WalRedoPointer() { return Lsn(wal_shared->redo_ptr.load(std::memory_order_acquire)); }

uint64_t WalBytesSinceRedo() {
  const uint64_t end = internal::ReservedEnd();
  const uint64_t redo = wal_shared->redo_ptr.load(std::memory_order_acquire);
  return end > redo ? end - redo : 0;
}

void WalSetCheckpointerLatch(void* latch) {
  wal_shared->checkpointer_latch.store(reinterpret_cast<uintptr_t>(latch),
                                       std::memory_order_release);
}

bool WalCheckpointRequestedBySize() {
  return wal_shared->checkpoint_requested.load(std::memory_order_acquire) != 0;
}

void WalClearCheckpointRequest() {
  wal_shared->checkpoint_requested.store(0, std::memory_order_release);
}

Lsn WalFirstRecordLsn() { return Lsn(kWalSegmentSize + kLongPageHeaderSize); }

WalStats GetWalStats() {
  const WalStatsShared& s = wal_shared->stats;
  return WalStats{s.records.load(), s.fpi.load(), s.bytes.load(), s.writes.load(),
                  s.syncs.load(), s.sync_time_us.load(), s.flush_requests.load(),
                  s.flushes_done.load()};
}

}  // namespace keel::transam
