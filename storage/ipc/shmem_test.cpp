// Shared-memory region tests: named lookup across processes, alignment, zero fill, the
// errors (exhausted region, full index, wrong size, failed mapping, size overflow).
// See storage/ipc/README.md.
#include "storage/ipc/shmem.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "backend/utils/error/error.h"
#include "backend/utils/error/format.h"
#include "storage/ipc/fork_test_util.h"

namespace keel::storage {
namespace {

using testing::ForkChild;
using testing::WaitChild;

class ShmemTest : public ::testing::Test {
 protected:
  void TearDown() override { ShmemDestroy(); }
};

TEST_F(ShmemTest, CreateAndDestroy) {
  EXPECT_FALSE(ShmemIsCreated());
  EXPECT_EQ(ShmemBase(), nullptr);
  ShmemCreate(100'000);
  EXPECT_TRUE(ShmemIsCreated());
  EXPECT_NE(ShmemBase(), nullptr);
  EXPECT_GE(ShmemBytesFree(), size_t{100'000});
  EXPECT_EQ(ShmemMappedBytes() % static_cast<size_t>(sysconf(_SC_PAGESIZE)), 0u);
  ShmemDestroy();
  EXPECT_FALSE(ShmemIsCreated());
  ShmemDestroy();  // no-op
  ShmemCreate(4096);  // again, as after a crash
  EXPECT_TRUE(ShmemIsCreated());
}

TEST_F(ShmemTest, StructuresAreAlignedZeroedAndDisjoint) {
  ShmemCreate(64 * 1024);
  const size_t sizes[] = {1, 3, 100, 64, 65, 4000};
  std::vector<std::pair<char*, size_t>> got;
  for (size_t i = 0; i < std::size(sizes); ++i) {
    bool found = true;
    const std::string name = "struct " + std::to_string(i);
    auto* p = static_cast<char*>(ShmemInitStruct(name.c_str(), sizes[i], &found));
    EXPECT_FALSE(found);
    EXPECT_EQ(reinterpret_cast<uintptr_t>(p) % kShmemAlignment, 0u) << name;
    EXPECT_TRUE(ShmemAddrIsValid(p));
    EXPECT_TRUE(ShmemAddrIsValid(p + sizes[i] - 1));
    for (size_t b = 0; b < sizes[i]; ++b) ASSERT_EQ(p[b], 0) << name;
    memset(p, static_cast<int>(i + 1), sizes[i]);
    got.emplace_back(p, sizes[i]);
  }
  // Writing each structure did not touch any other.
  for (size_t i = 0; i < got.size(); ++i) {
    for (size_t b = 0; b < got[i].second; ++b) ASSERT_EQ(got[i].first[b], static_cast<char>(i + 1));
  }
  int local = 0;
  EXPECT_FALSE(ShmemAddrIsValid(&local));
}

TEST_F(ShmemTest, LookupFromAChildFindsTheSameStructure) {
  ShmemCreate(64 * 1024);
  bool found = true;
  auto* mine = static_cast<uint64_t*>(ShmemInitStruct("from parent", sizeof(uint64_t), &found));
  ASSERT_FALSE(found);
  *mine = 0x1234;
  const pid_t child = ForkChild([&] {
    bool child_found = false;
    auto* seen = static_cast<uint64_t*>(
        ShmemInitStruct("from parent", sizeof(uint64_t), &child_found));
    if (!child_found || seen != mine || *seen != 0x1234) return 1;
    auto* made = static_cast<uint64_t*>(
        ShmemInitStruct("from child", sizeof(uint64_t), &child_found));
    if (child_found) return 2;
    *made = 0x5678;
    return 0;
  });
  ASSERT_EQ(WaitChild(child), 0);
  // The child's allocation is visible to the parent (and any later child): same index.
  auto* made = static_cast<uint64_t*>(ShmemInitStruct("from child", sizeof(uint64_t), &found));
  EXPECT_TRUE(found);
  EXPECT_EQ(*made, 0x5678u);
  // And asking again in the parent returns the same address.
  EXPECT_EQ(ShmemInitStruct("from parent", sizeof(uint64_t), &found), mine);
  EXPECT_TRUE(found);
}

TEST_F(ShmemTest, ConcurrentAllocationFromManyProcesses) {
  constexpr int kProcesses = 4;
  constexpr int kStructsEach = 20;
  ShmemCreate(256 * 1024);
  bool found = false;
  auto* first_creators =
      static_cast<std::atomic<int>*>(ShmemInitStruct("creators", sizeof(std::atomic<int>), &found));
  std::vector<pid_t> children;
  for (int p = 0; p < kProcesses; ++p) {
    children.push_back(ForkChild([&, p] {
      bool child_found = false;
      void* common = ShmemInitStruct("common", 128, &child_found);
      if (!child_found) first_creators->fetch_add(1);
      if (common == nullptr) return 1;
      for (int i = 0; i < kStructsEach; ++i) {
        const std::string name = keel::Format("proc %d struct %d", p, i);
        auto* mem = static_cast<int*>(ShmemInitStruct(name.c_str(), 256, &child_found));
        if (child_found) return 2;
        for (int w = 0; w < 64; ++w) mem[w] = p * 1000 + i;
      }
      return 0;
    }));
  }
  for (pid_t child : children) EXPECT_EQ(WaitChild(child), 0);
  EXPECT_EQ(first_creators->load(), 1);  // exactly one process created "common"
  for (int p = 0; p < kProcesses; ++p) {
    for (int i = 0; i < kStructsEach; ++i) {
      const std::string name = keel::Format("proc %d struct %d", p, i);
      auto* mem = static_cast<int*>(ShmemInitStruct(name.c_str(), 256, &found));
      ASSERT_TRUE(found) << name;
      for (int w = 0; w < 64; ++w) ASSERT_EQ(mem[w], p * 1000 + i) << name;
    }
  }
}

TEST_F(ShmemTest, ExhaustedRegionThrowsOutOfMemory) {
  ShmemCreate(8192);
  const size_t free_bytes = ShmemBytesFree();
  bool found = false;
  try {
    (void)ShmemInitStruct("too big", free_bytes + 1, &found);
    ADD_FAILURE() << "expected an error";
  } catch (const keel::Error& e) {
    EXPECT_EQ(e.sqlstate(), keel::sqlstate::kOutOfMemory);
    EXPECT_EQ(e.message(), keel::Format("not enough shared memory for data structure \"too big\" "
                                        "(%zu bytes requested)",
                                        free_bytes + 1));
  }
  // The failed request left no trace: the whole rest can still be had.
  EXPECT_EQ(ShmemBytesFree(), free_bytes);
  EXPECT_NE(ShmemInitStruct("just fits", free_bytes, &found), nullptr);
  EXPECT_EQ(ShmemBytesFree(), 0u);
  EXPECT_THROW((void)ShmemInitStruct("one more", 1, &found), keel::Error);
}

TEST_F(ShmemTest, FullIndexThrowsOutOfMemory) {
  ShmemCreate(kShmemMaxStructs * kShmemAlignment);
  bool found = false;
  for (int i = 0; i < kShmemMaxStructs; ++i) {
    (void)ShmemInitStruct(std::to_string(i).c_str(), 1, &found);
  }
  try {
    (void)ShmemInitStruct("one too many", 1, &found);
    ADD_FAILURE() << "expected an error";
  } catch (const keel::Error& e) {
    EXPECT_EQ(e.sqlstate(), keel::sqlstate::kOutOfMemory);
    EXPECT_STREQ(e.what(),
                 "could not create ShmemIndex entry for data structure \"one too many\"");
  }
  // Existing names are still found.
  (void)ShmemInitStruct("7", 1, &found);
  EXPECT_TRUE(found);
}

TEST_F(ShmemTest, SameNameWithAnotherSizeIsAnError) {
  ShmemCreate(8192);
  bool found = false;
  (void)ShmemInitStruct("thing", 100, &found);
  try {
    (void)ShmemInitStruct("thing", 200, &found);
    ADD_FAILURE() << "expected an error";
  } catch (const keel::Error& e) {
    EXPECT_EQ(e.sqlstate(), keel::sqlstate::kInternalError);
    EXPECT_STREQ(e.what(),
                 "ShmemIndex entry size is wrong for data structure \"thing\": expected 200, "
                 "actual 100");
  }
}

TEST_F(ShmemTest, BadNamesAreRejected) {
  ShmemCreate(8192);
  bool found = false;
  const std::string long_name(kShmemMaxNameBytes, 'x');
  EXPECT_THROW((void)ShmemInitStruct(long_name.c_str(), 8, &found), keel::Error);
  EXPECT_THROW((void)ShmemInitStruct("", 8, &found), keel::Error);
  const std::string longest(kShmemMaxNameBytes - 1, 'y');
  EXPECT_NE(ShmemInitStruct(longest.c_str(), 8, &found), nullptr);
}

TEST_F(ShmemTest, MappingFailureIsFatalWithAHint) {
  try {
    ShmemCreate(size_t{1} << 60);  // 1 EiB: larger than the address space
    ADD_FAILURE() << "expected an error";
  } catch (const keel::Error& e) {
    EXPECT_EQ(e.sqlstate(), keel::sqlstate::kOutOfMemory);
    EXPECT_EQ(e.severity(), keel::Severity::kFatal);
    EXPECT_EQ(e.message().rfind("could not map anonymous shared memory: ", 0), 0u) << e.message();
    EXPECT_NE(e.hint().find("shared_buffers"), std::string::npos);
  }
  EXPECT_FALSE(ShmemIsCreated());
}

TEST(ShmemSizeTest, AddAndMulSizeCheckOverflow) {
  EXPECT_EQ(AddSize(3, 4), 7u);
  EXPECT_EQ(MulSize(3, 4), 12u);
  EXPECT_EQ(MulSize(0, SIZE_MAX), 0u);
  EXPECT_EQ(AddSize(SIZE_MAX - 1, 1), SIZE_MAX);
  try {
    (void)AddSize(SIZE_MAX, 1);
    ADD_FAILURE() << "expected an error";
  } catch (const keel::Error& e) {
    EXPECT_EQ(e.sqlstate(), keel::sqlstate::kProgramLimitExceeded);
    EXPECT_STREQ(e.what(), "requested shared memory size overflows size_t");
  }
  EXPECT_THROW((void)MulSize(SIZE_MAX / 2 + 1, 2), keel::Error);
  EXPECT_THROW(ShmemCreate(SIZE_MAX - 10), keel::Error);
  EXPECT_FALSE(ShmemIsCreated());
}

}  // namespace
}  // namespace keel::storage
