// Buffer replacement: the clock sweep over all buffers with usage counts, and the rings of
// access strategies (bulk read, bulk write, vacuum) that recycle a few buffers instead of the
// whole pool. See storage/buffer/README.md (B8, B10).
#pragma once

#include <cstdint>
#include <memory>

#include "storage/buffer/buffer_internal.h"

namespace keel::storage {

// A process-local ring of buffers (B8). Made by GetAccessStrategy, owned by its caller.
class BufferAccessStrategy {
 public:
  BufferAccessStrategy(StrategyKind kind, int ring_size);
  [[nodiscard]] StrategyKind kind() const { return kind_; }
  [[nodiscard]] int ring_size() const { return ring_size_; }

  // Moves to the next ring slot and returns its buffer header-locked (state in *state) when
  // it is unpinned with usage <= 1; nullptr when the slot is empty or the buffer busy.
  bufpool::BufferDesc* NextFromRing(uint32_t* state);
  // Puts a buffer taken from the clock into the current slot.
  void AddToRing(bufpool::BufferDesc* desc) { ring_[current_] = bufpool::DescBuffer(desc); }
  // Bulk read only: forgets `desc` when it is the current slot's buffer (it was dirty and
  // would need a WAL flush to be reused); returns whether it did, and then the caller takes
  // another buffer instead.
  bool Reject(bufpool::BufferDesc* desc);

 private:
  StrategyKind kind_;
  int ring_size_;
  int current_ = -1;
  std::unique_ptr<Buffer[]> ring_;  // kInvalidBuffer: empty slot
};

namespace bufpool {

// Returns a buffer with refcount 0, header bit held (`*state` is its locked state), from the
// strategy's ring (`*from_ring` true) or from the clock sweep (B10): usage counts are
// decremented as the hand passes; the first unpinned buffer with usage 0 is the victim.
// Throws XX000 "no unpinned buffers available" after a whole pass over pinned buffers.
[[nodiscard]] BufferDesc* StrategyGetBuffer(BufferAccessStrategy* strategy, uint32_t* state,
                                            bool* from_ring);

// For the bgwriter: the clock tick now (hand = tick % NBuffers, complete passes =
// tick / NBuffers) and the number of victims requested since the previous call.
void StrategySyncStart(uint64_t* tick, uint32_t* recent_allocs);

}  // namespace bufpool
}  // namespace keel::storage
