// Pins: the shared refcount in the state word plus this process's private refcounts, so a
// process touches the shared word only for its first pin and last unpin of a buffer (B1).
// See storage/buffer/README.md (B1, B2).
#include "backend/utils/error/error.h"
#include "storage/buffer/buffer_internal.h"

namespace keel::storage {

namespace bufpool {

bool PinBuffer(BufferDesc* desc, BufferAccessStrategy* strategy) {
  int32_t& mine = local_pool.private_refcount[desc->buf_id];
  if (mine > 0) {  // B1: already counted in the shared word
    ++mine;
    return (desc->state.load(std::memory_order_acquire) & kValid) != 0;
  }
  uint32_t old_state = desc->state.load(std::memory_order_relaxed);
  uint32_t new_state;
  for (;;) {
    if ((old_state & kHeaderLocked) != 0) old_state = WaitBufHdrUnlocked(desc);
    new_state = old_state + kRefCountOne;
    // B8: a ring's buffer climbs to usage 1 only, so the ring can take it back.
    const uint32_t usage = UsageCount(old_state);
    if (strategy == nullptr ? usage < kMaxUsageCount : usage == 0) new_state += kUsageOne;
    // Acquire: a valid page's bytes, published by the I/O's release, are visible after this.
    if (desc->state.compare_exchange_weak(old_state, new_state, std::memory_order_acquire,
                                          std::memory_order_relaxed)) {
      break;
    }
  }
  mine = 1;
  ++local_pool.pinned_buffers;
  return (new_state & kValid) != 0;
}

void PinBufferLocked(BufferDesc* desc, uint32_t state) {
  int32_t& mine = local_pool.private_refcount[desc->buf_id];
  KEEL_ASSERT((state & kHeaderLocked) != 0);
  if (mine > 0) {  // B1: already counted in the shared word
    UnlockBufHdr(desc, state);
    ++mine;
    return;
  }
  UnlockBufHdr(desc, state + kRefCountOne);
  mine = 1;
  ++local_pool.pinned_buffers;
}

void UnpinBuffer(BufferDesc* desc) {
  int32_t& mine = local_pool.private_refcount[desc->buf_id];
  KEEL_ASSERT(mine > 0);
  if (--mine > 0) return;
  --local_pool.pinned_buffers;
  uint32_t old_state = desc->state.load(std::memory_order_relaxed);
  uint32_t new_state;
  for (;;) {
    if ((old_state & kHeaderLocked) != 0) old_state = WaitBufHdrUnlocked(desc);
    KEEL_ASSERT(RefCount(old_state) > 0);
    new_state = old_state - kRefCountOne;
    // Release: our changes to the page happen-before whoever pins it next.
    if (desc->state.compare_exchange_weak(old_state, new_state, std::memory_order_release,
                                          std::memory_order_relaxed)) {
      break;
    }
  }
  // A cleanup locker waits for the pin count to reach 1 (its own pin).
  if ((new_state & kPinCountWaiter) != 0 && RefCount(new_state) == 1) {
    uint32_t locked = LockBufHdr(desc);
    const bool wake = (locked & kPinCountWaiter) != 0 && RefCount(locked) == 1;
    if (wake) {
      locked &= ~kPinCountWaiter;
      desc->wait_backend_pid = 0;
    }
    UnlockBufHdr(desc, locked);
    if (wake) StateFutexWakeAll(desc);
  }
}

}  // namespace bufpool

using namespace bufpool;  // NOLINT: this file implements the pins

void ReleaseBuffer(Buffer buffer) {
  CheckBufferId(buffer);
  KEEL_ASSERT(local_pool.private_refcount[buffer - 1] > 0);
  UnpinBuffer(GetDesc(buffer));
}

void IncrBufferRefCount(Buffer buffer) {
  CheckBufferId(buffer);
  KEEL_ASSERT(local_pool.private_refcount[buffer - 1] > 0);
  ++local_pool.private_refcount[buffer - 1];  // B1: the shared word already counts us
}

bool BufferIsPinnedByMe(Buffer buffer) {
  CheckBufferId(buffer);
  return local_pool.private_refcount[buffer - 1] > 0;
}

namespace {
uint64_t pin_epoch = 0;  // process-local (B13)
}  // namespace

uint64_t BufferPinEpoch() { return pin_epoch; }

void bufpool::BumpBufferPinEpoch() { ++pin_epoch; }

int ReleaseAllBufferPins() {
  ++pin_epoch;  // B13: every pin held so far is gone (also when there was none)
  if (local_pool.pinned_buffers == 0) return 0;
  int leaked = 0;
  for (int i = 0; i < shared_pool.n_buffers && local_pool.pinned_buffers > 0; ++i) {
    int32_t& mine = local_pool.private_refcount[i];
    if (mine == 0) continue;
    leaked += mine;
    mine = 1;
    UnpinBuffer(&shared_pool.descs[i]);
  }
  return leaked;
}

PinnedBuffer& PinnedBuffer::operator=(PinnedBuffer&& other) noexcept {
  if (this != &other) {
    if (buffer_ != kInvalidBuffer) ReleaseBuffer(buffer_);
    buffer_ = std::exchange(other.buffer_, kInvalidBuffer);
  }
  return *this;
}

PinnedBuffer::~PinnedBuffer() {
  if (buffer_ != kInvalidBuffer && BufferIsPinnedByMe(buffer_)) ReleaseBuffer(buffer_);
}

}  // namespace keel::storage
