// Clock-sweep victim selection and strategy rings. See replacement_internal.h and
// storage/buffer/README.md (B8, B10).
#include "storage/buffer/replacement_internal.h"

#include <algorithm>
#include <memory>

#include "backend/utils/error/error.h"

namespace keel::storage {

namespace {

int RingBytes(StrategyKind kind) {
  switch (kind) {
    case StrategyKind::kBulkRead: return 256 * 1024;
    case StrategyKind::kBulkWrite: return 16 * 1024 * 1024;
    case StrategyKind::kVacuum: return 256 * 1024;
    case StrategyKind::kNormal: break;
  }
  return 0;
}

}  // namespace

BufferAccessStrategy::BufferAccessStrategy(StrategyKind kind, int ring_size)
    : kind_(kind),
      ring_size_(ring_size),
      ring_(std::make_unique<Buffer[]>(static_cast<size_t>(ring_size))) {}

bufpool::BufferDesc* BufferAccessStrategy::NextFromRing(uint32_t* state) {
  if (++current_ >= ring_size_) current_ = 0;
  const Buffer buffer = ring_[current_];
  if (buffer == kInvalidBuffer) return nullptr;
  bufpool::BufferDesc* desc = bufpool::GetDesc(buffer);
  // Unlocked peek first: a pinned ring buffer (someone else uses it) is common enough.
  const uint32_t peek = desc->state.load(std::memory_order_relaxed);
  if (bufpool::RefCount(peek) != 0 || bufpool::UsageCount(peek) > 1) return nullptr;
  const uint32_t locked = bufpool::LockBufHdr(desc);
  // B8: reuse only when nobody else has touched it since (usage <= 1).
  if (bufpool::RefCount(locked) == 0 && bufpool::UsageCount(locked) <= 1) {
    *state = locked;
    return desc;
  }
  bufpool::UnlockBufHdr(desc, locked);
  return nullptr;
}

bool BufferAccessStrategy::Reject(bufpool::BufferDesc* desc) {
  if (kind_ != StrategyKind::kBulkRead) return false;
  if (current_ < 0 || ring_[current_] != bufpool::DescBuffer(desc)) return false;
  ring_[current_] = kInvalidBuffer;
  return true;
}

BufferAccessStrategy* GetAccessStrategy(StrategyKind kind) {
  if (kind == StrategyKind::kNormal) return nullptr;  // the default: no ring
  // PostgreSQL's cap: a ring never takes more than 1/8 of the pool.
  const int ring = std::max(1, std::min(RingBytes(kind) / static_cast<int>(kBlockSize),
                                        bufpool::shared_pool.n_buffers / 8));
  return std::make_unique<BufferAccessStrategy>(kind, ring).release();
}

void FreeAccessStrategy(BufferAccessStrategy* strategy) { delete strategy; }

namespace bufpool {

BufferDesc* StrategyGetBuffer(BufferAccessStrategy* strategy, uint32_t* state, bool* from_ring) {
  *from_ring = false;
  if (strategy != nullptr) {
    if (BufferDesc* desc = strategy->NextFromRing(state)) {
      *from_ring = true;
      return desc;
    }
  }
  BufferPoolControl* control = shared_pool.control;
  control->num_allocs.fetch_add(1, std::memory_order_relaxed);
  const uint64_t n = static_cast<uint64_t>(shared_pool.n_buffers);
  int tries_left = shared_pool.n_buffers;
  for (;;) {
    BufferDesc* desc =
        &shared_pool.descs[control->clock_tick.fetch_add(1, std::memory_order_relaxed) % n];
    uint32_t seen = desc->state.load(std::memory_order_relaxed);
    if (RefCount(seen) == 0 && (seen & kHeaderLocked) == 0) {
      if (UsageCount(seen) > 0) {
        // B10: the hand takes one usage unit; a failed CAS (someone pinned it) just moves on.
        if (desc->state.compare_exchange_strong(seen, seen - kUsageOne,
                                                std::memory_order_relaxed)) {
          tries_left = shared_pool.n_buffers;
          continue;
        }
      } else {
        const uint32_t locked = LockBufHdr(desc);
        if (RefCount(locked) == 0 && UsageCount(locked) == 0) {
          if (strategy != nullptr) strategy->AddToRing(desc);
          *state = locked;
          return desc;
        }
        UnlockBufHdr(desc, locked);
      }
    }
    if (--tries_left == 0) {
      throw Error(sqlstate::kInternalError, "no unpinned buffers available");
    }
  }
}

void StrategySyncStart(uint64_t* tick, uint32_t* recent_allocs) {
  *tick = shared_pool.control->clock_tick.load(std::memory_order_relaxed);
  *recent_allocs = shared_pool.control->num_allocs.exchange(0, std::memory_order_relaxed);
}

}  // namespace bufpool
}  // namespace keel::storage
