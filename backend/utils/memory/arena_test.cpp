// Tests for arenas: pmr containers, Reset, many blocks, alignment, scopes, out of memory.
#include "backend/utils/memory/arena.h"

#include <gtest/gtest.h>

#include <cstring>
#include <map>
#include <memory_resource>
#include <string>
#include <string_view>
#include <vector>

#include "backend/utils/error/error.h"

namespace keel {
namespace {

// Upstream that counts what it hands out and can be told to fail.
class CountingResource : public std::pmr::memory_resource {
 public:
  size_t outstanding_bytes = 0;
  size_t outstanding_blocks = 0;
  size_t total_allocations = 0;
  bool fail = false;

 private:
  void* do_allocate(size_t bytes, size_t alignment) override {
    if (fail) throw std::bad_alloc();
    outstanding_bytes += bytes;
    ++outstanding_blocks;
    ++total_allocations;
    return std::pmr::new_delete_resource()->allocate(bytes, alignment);
  }
  void do_deallocate(void* p, size_t bytes, size_t alignment) override {
    outstanding_bytes -= bytes;
    --outstanding_blocks;
    std::pmr::new_delete_resource()->deallocate(p, bytes, alignment);
  }
  bool do_is_equal(const std::pmr::memory_resource& other) const noexcept override {
    return this == &other;
  }
};

TEST(ArenaTest, NoMemoryUntilFirstUse) {
  CountingResource upstream;
  Arena arena("test", 4096, &upstream);
  EXPECT_EQ(arena.bytes_allocated(), 0u);
  EXPECT_EQ(arena.bytes_reserved(), 0u);
  EXPECT_EQ(upstream.outstanding_blocks, 0u);
  EXPECT_STREQ(arena.name(), "test");
}

TEST(ArenaTest, PmrVectorAndStringLiveInTheArena) {
  CountingResource upstream;
  Arena arena("test", 4096, &upstream);
  {
    std::pmr::vector<int> numbers(arena.resource());
    for (int i = 0; i < 10000; ++i) numbers.push_back(i * 3);
    std::pmr::string text("a string long enough to leave the small-string buffer behind",
                          arena.resource());
    for (int i = 0; i < 100; ++i) text += std::to_string(i);
    std::pmr::map<int, std::pmr::string> by_id(arena.resource());
    for (int i = 0; i < 200; ++i) by_id.emplace(i, std::pmr::string(50, 'x'));

    for (int i = 0; i < 10000; ++i) ASSERT_EQ(numbers[static_cast<size_t>(i)], i * 3);
    EXPECT_EQ(std::string_view(text).substr(0, 8), "a string");
    EXPECT_EQ(std::string_view(text).substr(text.size() - 4), "9899");
    EXPECT_EQ(by_id.size(), 200u);
    EXPECT_EQ(std::string_view(by_id.at(199)), std::string(50, 'x'));
    // Every byte the containers asked for was counted, at least the final vector buffer.
    EXPECT_GE(arena.bytes_allocated(), 10000 * sizeof(int));
    EXPECT_EQ(upstream.outstanding_bytes, arena.bytes_reserved());
    EXPECT_GT(arena.block_count(), 1u);
  }
  // The containers' deallocations gave nothing back (M1).
  EXPECT_GE(arena.bytes_allocated(), 10000 * sizeof(int));
}

TEST(ArenaTest, ResetReleasesBackToInitial) {
  CountingResource upstream;
  Arena arena("test", 4096, &upstream);
  void* first = arena.allocate(16);
  size_t initial_reserved = arena.bytes_reserved();
  EXPECT_EQ(initial_reserved, 4096u);
  EXPECT_EQ(arena.block_count(), 1u);
  for (int i = 0; i < 1000; ++i) (void)arena.allocate(100);
  EXPECT_GT(arena.bytes_reserved(), initial_reserved);
  EXPECT_GT(arena.block_count(), 1u);

  arena.Reset();
  EXPECT_EQ(arena.bytes_allocated(), 0u);
  EXPECT_EQ(arena.bytes_reserved(), initial_reserved);  // M2: the first block is kept
  EXPECT_EQ(arena.block_count(), 1u);
  EXPECT_EQ(upstream.outstanding_bytes, initial_reserved);
  EXPECT_EQ(upstream.outstanding_blocks, 1u);
  // The kept block is reused from its start.
  size_t allocations_before = upstream.total_allocations;
  EXPECT_EQ(arena.allocate(16), first);
  EXPECT_EQ(upstream.total_allocations, allocations_before);
  EXPECT_EQ(arena.bytes_allocated(), 16u);
}

TEST(ArenaTest, RepeatedResetCyclesDoNotGrow) {
  CountingResource upstream;
  Arena arena("test", 8192, &upstream);
  size_t reserved_after_first_cycle = 0;
  for (int cycle = 0; cycle < 50; ++cycle) {
    std::pmr::vector<std::pmr::string> rows(arena.resource());
    for (int i = 0; i < 500; ++i) rows.emplace_back(std::string(40, 'r'));
    rows.clear();
    arena.Reset();
    if (cycle == 0) reserved_after_first_cycle = upstream.outstanding_bytes;
    ASSERT_EQ(upstream.outstanding_bytes, reserved_after_first_cycle);
  }
}

TEST(ArenaTest, ManyBlocksKeepDataIntactAndDisjoint) {
  CountingResource upstream;
  Arena arena("test", 1024, &upstream);
  std::vector<std::pair<unsigned char*, size_t>> pieces;
  for (size_t i = 0; i < 20000; ++i) {
    size_t size = 1 + (i * 7919) % 300;
    auto* p = static_cast<unsigned char*>(arena.allocate(size, 1));
    std::memset(p, static_cast<int>(i & 0xFF), size);
    pieces.emplace_back(p, size);
  }
  EXPECT_GT(arena.block_count(), 5u);
  // Doubling up to 1 MiB: a few MB of requests need only a handful of blocks.
  EXPECT_LT(arena.block_count(), 20u);
  for (size_t i = 0; i < pieces.size(); ++i) {
    for (size_t k = 0; k < pieces[i].second; ++k) {
      ASSERT_EQ(pieces[i].first[k], static_cast<unsigned char>(i & 0xFF)) << i;
    }
  }
  size_t sum = 0;
  for (auto& piece : pieces) sum += piece.second;
  EXPECT_EQ(arena.bytes_allocated(), sum);
  EXPECT_GE(arena.bytes_reserved(), sum);
}

TEST(ArenaTest, HonoursAlignment) {
  Arena arena("test", 1024);
  for (size_t alignment : {1u, 2u, 4u, 8u, 16u, 64u, 256u, 4096u}) {
    (void)arena.allocate(3, 1);  // misalign the cursor
    void* p = arena.allocate(24, alignment);
    EXPECT_EQ(reinterpret_cast<uintptr_t>(p) % alignment, 0u) << alignment;
    std::memset(p, 0xAB, 24);
  }
}

TEST(ArenaTest, LargeRequestGetsItsOwnBlockAndIsReleasedByReset) {
  CountingResource upstream;
  Arena arena("test", 4096, &upstream);
  (void)arena.allocate(10);
  void* big = arena.allocate(5 * 1024 * 1024);
  std::memset(big, 1, 5 * 1024 * 1024);
  EXPECT_GE(upstream.outstanding_bytes, 5u * 1024 * 1024);
  arena.Reset();
  EXPECT_EQ(upstream.outstanding_bytes, 4096u);
}

TEST(ArenaTest, OversizedFirstBlockIsNotKeptByReset) {
  CountingResource upstream;
  Arena arena("test", 4096, &upstream);
  (void)arena.allocate(100000);
  arena.Reset();
  EXPECT_EQ(upstream.outstanding_blocks, 0u);
  EXPECT_EQ(arena.bytes_reserved(), 0u);
  (void)arena.allocate(8);
  EXPECT_EQ(arena.bytes_reserved(), 4096u);
}

TEST(ArenaTest, ReleaseAndDestructorReturnEverything) {
  CountingResource upstream;
  {
    Arena arena("test", 4096, &upstream);
    for (int i = 0; i < 100; ++i) (void)arena.allocate(1000);
    arena.Release();
    EXPECT_EQ(upstream.outstanding_blocks, 0u);
    EXPECT_EQ(arena.bytes_reserved(), 0u);
    EXPECT_EQ(arena.block_count(), 0u);
    for (int i = 0; i < 100; ++i) (void)arena.allocate(1000);
    EXPECT_GT(upstream.outstanding_blocks, 0u);
  }
  EXPECT_EQ(upstream.outstanding_blocks, 0u);
  EXPECT_EQ(upstream.outstanding_bytes, 0u);
}

TEST(ArenaTest, ZeroByteRequestsGetDistinctAddresses) {
  Arena arena;
  void* a = arena.allocate(0);
  void* b = arena.allocate(0);
  EXPECT_NE(a, b);
}

TEST(ArenaTest, EqualOnlyToItself) {
  Arena a;
  Arena b;
  EXPECT_TRUE(a.is_equal(a));
  EXPECT_FALSE(a.is_equal(b));
  EXPECT_FALSE(a.is_equal(*std::pmr::new_delete_resource()));
}

TEST(ArenaTest, UpstreamFailureIsOutOfMemoryError) {
  CountingResource upstream;
  Arena arena("ExecutorState", 4096, &upstream);
  upstream.fail = true;
  try {
    (void)arena.allocate(1234);
    FAIL() << "no exception";
  } catch (const Error& e) {
    EXPECT_EQ(e.sqlstate().code(), "53200");
    EXPECT_EQ(e.message(), "out of memory");
    EXPECT_EQ(e.detail(), "Failed on request of size 1234 in memory context \"ExecutorState\".");
  }
  upstream.fail = false;
  EXPECT_NE(arena.allocate(8), nullptr);
}

TEST(ArenaTest, ScopeResetsOnExit) {
  CountingResource upstream;
  Arena arena("statement", 4096, &upstream);
  {
    ArenaScope scope(arena);
    std::pmr::vector<int> v(scope.arena().resource());
    v.resize(100000);
    EXPECT_GT(arena.bytes_allocated(), 0u);
  }
  EXPECT_EQ(arena.bytes_allocated(), 0u);
  EXPECT_LE(upstream.outstanding_bytes, 4096u);
}

TEST(ArenaTest, ScopeResetsWhenUnwindingAnError) {
  Arena arena;
  try {
    ArenaScope scope(arena);
    (void)arena.allocate(500);
    throw Error(sqlstate::kDataException, "boom");
  } catch (const Error&) {
  }
  EXPECT_EQ(arena.bytes_allocated(), 0u);
}

TEST(ArenaTest, MovedScopeResetsOnlyOnce) {
  Arena arena;
  (void)arena.allocate(10);
  {
    ArenaScope outer(arena);
    {
      ArenaScope inner(std::move(outer));
      (void)arena.allocate(20);
    }
    EXPECT_EQ(arena.bytes_allocated(), 0u);
    (void)arena.allocate(30);
  }
  // `outer` was moved from: it must not reset again.
  EXPECT_EQ(arena.bytes_allocated(), 30u);
}

TEST(ArenaTest, SessionArenasAreIndependent) {
  SessionArenas arenas;
  EXPECT_STREQ(arenas.statement.name(), "statement");
  EXPECT_STREQ(arenas.transaction.name(), "transaction");
  (void)arenas.statement.allocate(100);
  (void)arenas.transaction.allocate(200);
  arenas.statement.Reset();
  EXPECT_EQ(arenas.statement.bytes_allocated(), 0u);
  EXPECT_EQ(arenas.transaction.bytes_allocated(), 200u);
}

}  // namespace
}  // namespace keel
