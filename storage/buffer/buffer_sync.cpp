// Writing dirty buffers in the background: the checkpoint's sorted, paced, batched write of
// everything dirty at its start (B7), and the bgwriter's cleaning ahead of the clock hand.
// See storage/buffer/README.md.
#include <algorithm>
#include <cmath>
#include <tuple>

#include "backend/utils/config/settings.h"
#include "backend/utils/error/error.h"
#include "storage/buffer/buffer_internal.h"
#include "storage/buffer/replacement_internal.h"

namespace keel::storage {

using namespace bufpool;  // NOLINT: this file implements part of the pool

namespace {

auto SortKey(const BufferTag& tag) {
  return std::make_tuple(tag.rel.spc.value(), tag.rel.db.value(), tag.rel.rel.value(),
                         static_cast<int>(tag.fork), tag.block.value());
}

bool SameFile(const BufferTag& a, const BufferTag& b) { return a.rel == b.rel && a.fork == b.fork; }

// A batch of buffers pinned by us for writing; unpins them when it goes.
class PinnedBatch {
 public:
  PinnedBatch() = default;
  PinnedBatch(const PinnedBatch&) = delete;
  PinnedBatch& operator=(const PinnedBatch&) = delete;
  ~PinnedBatch() { Clear(); }

  void Add(BufferDesc* desc) { descs_[size_++] = desc; }
  [[nodiscard]] int size() const { return size_; }
  [[nodiscard]] bool full() const { return size_ >= WriteBatchLimit(); }
  int Write(Writer writer) {
    return WriteBufferBatch(std::span<BufferDesc* const>(descs_, static_cast<size_t>(size_)),
                            writer);
  }
  void Clear() {
    for (int i = 0; i < size_; ++i) UnpinBuffer(descs_[i]);
    size_ = 0;
  }

 private:
  BufferDesc* descs_[kWriteBatchMax];
  int size_ = 0;
};

// Pins the buffer for writing when `state` (header locked) satisfies `wanted`; unlocks.
bool PinForWriteIf(BufferDesc* desc, uint32_t state, bool wanted) {
  if (!wanted) {
    UnlockBufHdr(desc, state);
    return false;
  }
  PinBufferLocked(desc, state);
  return true;
}

}  // namespace

CheckpointWriteStats CheckpointBuffers(bool immediate, CheckpointPaceFn pace, void* pace_arg) {
  constexpr uint32_t kValidDirty = kValid | kDirty;
  CheckpointItem* items = shared_pool.checkpoint_items;
  // B7: the set to write is fixed now; buffers dirtied later belong to the next checkpoint.
  int n = 0;
  for (int i = 0; i < shared_pool.n_buffers; ++i) {
    BufferDesc* desc = &shared_pool.descs[i];
    uint32_t state = LockBufHdr(desc);
    if ((state & kValidDirty) == kValidDirty) {
      state |= kCheckpointNeeded;
      items[n++] = CheckpointItem{desc->tag, desc->buf_id};
    }
    UnlockBufHdr(desc, state);
  }
  // File and block order: sequential writes, and one batch per run of one file.
  std::sort(items, items + n, [](const CheckpointItem& a, const CheckpointItem& b) {
    return SortKey(a.tag) < SortKey(b.tag);
  });

  uint64_t written = 0;
  int next = 0;
  while (next < n) {
    PinnedBatch batch;
    const BufferTag first = items[next].tag;
    while (next < n && !batch.full() && SameFile(items[next].tag, first)) {
      BufferDesc* desc = &shared_pool.descs[items[next].buf_id];
      const uint32_t state = LockBufHdr(desc);
      // Skip buffers written meanwhile (by a backend or the bgwriter) or reused.
      const bool wanted = (state & kCheckpointNeeded) != 0 && (state & kTagValid) != 0 &&
                          desc->tag == items[next].tag;
      if (PinForWriteIf(desc, state, wanted)) batch.Add(desc);
      ++next;
    }
    if (batch.size() > 0) written += static_cast<uint64_t>(batch.Write(Writer::kCheckpointer));
    batch.Clear();
    if (!immediate && pace != nullptr) pace(static_cast<double>(next) / n, pace_arg);
  }
  return CheckpointWriteStats{written};
}

namespace {

// The bgwriter's memory between rounds (process-local: only the bgwriter calls this).
struct BgWriterState {
  bool started = false;
  uint64_t next_to_clean = 0;     // clock tick of the next buffer to look at
  double smoothed_allocs = 0;     // recent victims per round
  double smoothed_density = 10;   // buffers scanned per reusable buffer found
};
BgWriterState bg;

constexpr double kSmoothingSamples = 16;  // as PostgreSQL's BgBufferSync
constexpr double kMinScanSeconds = 120;   // the whole pool at least this often when idle

}  // namespace

bool BgWriterWriteAhead() {
  uint64_t tick = 0;
  uint32_t recent_allocs = 0;
  StrategySyncStart(&tick, &recent_allocs);
  if (settings::bgwriter_lru_maxpages <= 0) {
    bg.started = false;
    return true;
  }
  const uint64_t n = static_cast<uint64_t>(shared_pool.n_buffers);
  // Ahead of the hand already? Only if the hand has not passed us.
  if (!bg.started || bg.next_to_clean < tick || bg.next_to_clean > tick + n) {
    bg.next_to_clean = tick;
    bg.started = true;
  }
  const uint64_t ahead = bg.next_to_clean - tick;

  // Allocation estimate: jump up at once, decay slowly.
  if (recent_allocs > bg.smoothed_allocs) {
    bg.smoothed_allocs = recent_allocs;
  } else {
    bg.smoothed_allocs += (recent_allocs - bg.smoothed_allocs) / kSmoothingSamples;
  }
  const double min_target = std::ceil(static_cast<double>(n) * settings::bgwriter_delay_ms /
                                      (kMinScanSeconds * 1000.0));
  const double target =
      std::max(bg.smoothed_allocs * settings::bgwriter_lru_multiplier, min_target);
  const double reusable_ahead = static_cast<double>(ahead) / bg.smoothed_density;

  uint64_t scanned = 0;
  int reusable = 0;
  int written = 0;
  int pinned = 0;
  PinnedBatch batch;
  while (ahead + scanned < n && reusable_ahead + reusable < target &&
         written + pinned < settings::bgwriter_lru_maxpages) {
    BufferDesc* desc = &shared_pool.descs[bg.next_to_clean % n];
    ++bg.next_to_clean;
    ++scanned;
    const uint32_t seen = desc->state.load(std::memory_order_relaxed);
    if (RefCount(seen) != 0 || UsageCount(seen) != 0) continue;  // the hand will not take it
    if ((seen & kDirty) == 0) {
      ++reusable;
      continue;
    }
    const uint32_t state = LockBufHdr(desc);
    const bool wanted = RefCount(state) == 0 && UsageCount(state) == 0 &&
                        (state & (kValid | kDirty)) == (kValid | kDirty);
    if (!PinForWriteIf(desc, state, wanted)) continue;
    batch.Add(desc);
    ++pinned;
    ++reusable;
    if (batch.full()) {
      written += batch.Write(Writer::kBgWriter);
      batch.Clear();
      pinned = 0;
    }
  }
  if (batch.size() > 0) written += batch.Write(Writer::kBgWriter);
  batch.Clear();
  if (scanned > 0 && reusable > 0) {
    bg.smoothed_density +=
        (static_cast<double>(scanned) / reusable - bg.smoothed_density) / kSmoothingSamples;
  }
  return recent_allocs == 0 && written == 0;
}

}  // namespace keel::storage
