// Arenas: monotonic std::pmr memory resources for per-statement and per-transaction memory,
// released all at once by Reset(). Invariants M1-M5 in README.md here.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory_resource>

namespace keel {

// A monotonic allocator over a chain of blocks obtained from an upstream resource. Allocation
// bumps a pointer; deallocate() does nothing; Reset() frees every block but the first (M2).
// Hand `resource()` to pmr containers: std::pmr::vector<int> v(arena.resource());
// Not thread-safe: one arena belongs to one thread of one process (M5).
// Errors: allocate() throws keel::Error 53200 "out of memory" (detail names the arena) when the
// upstream resource fails.
class Arena final : public std::pmr::memory_resource {
 public:
  static constexpr size_t kDefaultBlockBytes = 8 * 1024;
  static constexpr size_t kMaxBlockBytes = 1024 * 1024;

  // Requires: `name` outlives the arena (a string literal); `upstream` outlives the arena.
  // `first_block_bytes` is the size of the first block; later blocks double up to
  // kMaxBlockBytes (or more for a single larger request). No memory is taken until first use.
  explicit Arena(const char* name = "arena", size_t first_block_bytes = kDefaultBlockBytes,
                 std::pmr::memory_resource* upstream = std::pmr::new_delete_resource());
  ~Arena() override;

  Arena(const Arena&) = delete;
  Arena& operator=(const Arena&) = delete;

  // Frees everything allocated from the arena. The first block is kept for reuse (M2).
  // Requires: nothing allocated from the arena is used afterwards (objects in it are not
  // destroyed: only trivially destructible objects or pmr containers that are themselves gone).
  void Reset();
  // Like Reset(), but returns the first block to the upstream resource too.
  void Release();

  // This arena as a pmr resource; valid as long as the arena.
  [[nodiscard]] std::pmr::memory_resource* resource() { return this; }
  [[nodiscard]] const char* name() const { return name_; }
  // Bytes handed out to callers since construction or the last Reset() (M3).
  [[nodiscard]] size_t bytes_allocated() const { return bytes_allocated_; }
  // Bytes of blocks currently held from the upstream resource, headers included.
  [[nodiscard]] size_t bytes_reserved() const { return bytes_reserved_; }
  [[nodiscard]] size_t block_count() const { return block_count_; }

 private:
  struct Block;

  void* do_allocate(size_t bytes, size_t alignment) override;
  void do_deallocate(void* p, size_t bytes, size_t alignment) override {}  // M1
  bool do_is_equal(const std::pmr::memory_resource& other) const noexcept override {
    return this == &other;
  }

  // Whether the current block has `bytes` free at `alignment`.
  [[nodiscard]] bool Fits(size_t bytes, size_t alignment) const;
  // Adds a block able to hold `bytes` at `alignment` and makes it current.
  void AddBlock(size_t bytes, size_t alignment);
  void FreeBlocksAfterFirst();

  const char* const name_;
  std::pmr::memory_resource* const upstream_;
  const size_t first_block_bytes_;
  size_t next_block_bytes_;
  Block* first_ = nullptr;    // oldest block; kept by Reset()
  Block* current_ = nullptr;  // newest block; allocations come from [cursor_, end_)
  unsigned char* cursor_ = nullptr;
  unsigned char* end_ = nullptr;
  size_t bytes_allocated_ = 0;
  size_t bytes_reserved_ = 0;
  size_t block_count_ = 0;
};

// RAII: resets the arena when the scope ends, e.g. around one statement. Move-only.
// Requires: the arena outlives the scope; nothing allocated in it is used after the scope.
class [[nodiscard]] ArenaScope {
 public:
  explicit ArenaScope(Arena& arena) : arena_(&arena) {}
  ~ArenaScope() {
    if (arena_ != nullptr) arena_->Reset();
  }
  ArenaScope(ArenaScope&& other) noexcept : arena_(other.arena_) { other.arena_ = nullptr; }
  ArenaScope& operator=(ArenaScope&&) = delete;
  ArenaScope(const ArenaScope&) = delete;
  ArenaScope& operator=(const ArenaScope&) = delete;

  [[nodiscard]] Arena& arena() const { return *arena_; }

 private:
  Arena* arena_;  // null once moved from
};

// The arenas of one session (backend): statement memory is reset at the end of each statement,
// transaction memory at the end of each transaction.
struct SessionArenas {
  Arena statement{"statement"};
  Arena transaction{"transaction"};
};

}  // namespace keel
