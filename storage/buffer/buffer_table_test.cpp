// Buffer mapping table tests: insert / lookup / delete under the partition locks, duplicate
// inserts, entry accounting, and how evenly tags spread over the partitions.
// See storage/buffer/README.md (B4).
#include "storage/buffer/buffer_table_internal.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <vector>

#include "storage/ipc/shmem.h"
#include "storage/lmgr/lwlock.h"

namespace keel::storage::bufpool {
namespace {

BufferTag Tag(uint32_t rel, uint32_t block, ForkNumber fork = ForkNumber::kMain) {
  return BufferTag{RelFileLocator{Oid(1663), Oid(5), Oid(rel)}, fork, BlockNumber(block)};
}

class BufferTableTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ShmemCreate(BufferTableShmemSize(kEntries) + 4096);
    BufferTableShmemInit(kEntries);
  }
  void TearDown() override {
    ReleaseAllLwLocks();
    ShmemDestroy();
  }
  static constexpr int kEntries = 300;
};

int Insert(const BufferTag& tag, int id) {
  const uint32_t hash = BufferTagHash(tag);
  LwLockGuard guard(BufferPartitionLock(hash), LwLockMode::kExclusive);
  return BufferTableInsert(tag, hash, id);
}

int Lookup(const BufferTag& tag) {
  const uint32_t hash = BufferTagHash(tag);
  LwLockGuard guard(BufferPartitionLock(hash), LwLockMode::kShared);
  return BufferTableLookup(tag, hash);
}

void Delete(const BufferTag& tag) {
  const uint32_t hash = BufferTagHash(tag);
  LwLockGuard guard(BufferPartitionLock(hash), LwLockMode::kExclusive);
  BufferTableDelete(tag, hash);
}

TEST_F(BufferTableTest, InsertLookupDelete) {
  EXPECT_EQ(BufferTableEntriesInUse(), 0);
  for (int i = 0; i < kEntries; ++i) {
    // Tags differing in each field: relation, fork, block.
    const BufferTag tag = Tag(16384 + i % 3, i / 6, i % 2 ? ForkNumber::kFsm : ForkNumber::kMain);
    ASSERT_EQ(Lookup(tag), -1) << i;
    ASSERT_EQ(Insert(tag, i), -1) << i;
  }
  EXPECT_EQ(BufferTableEntriesInUse(), kEntries);
  for (int i = 0; i < kEntries; ++i) {
    const BufferTag tag = Tag(16384 + i % 3, i / 6, i % 2 ? ForkNumber::kFsm : ForkNumber::kMain);
    ASSERT_EQ(Lookup(tag), i);
    EXPECT_EQ(Insert(tag, 9999), i) << "a duplicate insert returns the existing id";
  }
  EXPECT_EQ(BufferTableEntriesInUse(), kEntries);
  for (int i = 0; i < kEntries; i += 2) {
    Delete(Tag(16384 + i % 3, i / 6, i % 2 ? ForkNumber::kFsm : ForkNumber::kMain));
  }
  EXPECT_EQ(BufferTableEntriesInUse(), kEntries / 2);
  for (int i = 0; i < kEntries; ++i) {
    const BufferTag tag = Tag(16384 + i % 3, i / 6, i % 2 ? ForkNumber::kFsm : ForkNumber::kMain);
    EXPECT_EQ(Lookup(tag), i % 2 ? i : -1);
  }
  // Freed entries are reused.
  for (int i = 0; i < kEntries / 2; ++i) ASSERT_EQ(Insert(Tag(20000, i), i), -1);
  EXPECT_EQ(BufferTableEntriesInUse(), kEntries);
  EXPECT_EQ(Lookup(Tag(20000, 7)), 7);
}

TEST_F(BufferTableTest, TagsSpreadOverPartitions) {
  // Consecutive blocks of one relation, the common case, must not crowd a few partitions.
  std::vector<int> per_partition(kBufferPartitions, 0);
  const int n = 128 * 100;
  for (int b = 0; b < n; ++b) {
    const uint32_t hash = BufferTagHash(Tag(16384, static_cast<uint32_t>(b)));
    ++per_partition[hash & (kBufferPartitions - 1)];
  }
  const auto [lo, hi] = std::minmax_element(per_partition.begin(), per_partition.end());
  EXPECT_GT(*lo, 50);
  EXPECT_LT(*hi, 150);
  // The lock of a partition is the same for equal hashes and distinct across partitions.
  EXPECT_EQ(BufferPartitionLock(5), BufferPartitionLock(5 + kBufferPartitions));
  EXPECT_NE(BufferPartitionLock(5), BufferPartitionLock(6));
}

}  // namespace
}  // namespace keel::storage::bufpool
