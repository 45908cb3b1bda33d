// Test-only helpers for the buffer pool tests: a fixture that makes a fresh data directory
// (chdir'ed into) and a pool in a new shared-memory region, relations with numbered pages,
// and a counter stored in each page. Not part of any library; see README.md ("Tests").
#pragma once

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>

#include "backend/utils/config/settings.h"
#include "storage/buffer/buffer_internal.h"
#include "storage/buffer/bufmgr.h"
#include "storage/ipc/fork_test_util.h"
#include "storage/ipc/shmem.h"
#include "storage/lmgr/lwlock.h"
#include "storage/page/page.h"
#include "storage/smgr/smgr.h"

namespace keel::storage::testing {

inline constexpr uint32_t kTestDb = 5;
// Where the test payload lives in a page: past the header, inside the free space.
inline constexpr size_t kPayloadOffset = 4096;

[[nodiscard]] inline RelFileLocator TestRel(uint32_t rel_number) {
  return RelFileLocator{Oid(1663), Oid(kTestDb), Oid(rel_number)};
}

[[nodiscard]] inline uint64_t PagePayload(const std::byte* page) {
  uint64_t value;
  memcpy(&value, page + kPayloadOffset, sizeof value);
  return value;
}
inline void SetPagePayload(std::byte* page, uint64_t value) {
  memcpy(page + kPayloadOffset, &value, sizeof value);
}

// A valid page carrying `value` (checksummed for `block` when data_checksums is on).
inline void MakeTestPage(std::byte* page, BlockNumber block, uint64_t value) {
  PageInit(page, 0);
  SetPagePayload(page, value);
  if (settings::data_checksums) PageSetChecksum(page, block);
}

// Creates the relation's main fork with `n_blocks` pages whose payload is `base + block`.
inline void CreateTestRelation(const RelFileLocator& rel, uint32_t n_blocks, uint64_t base = 0) {
  SmgrCreate(rel, ForkNumber::kMain, /*is_redo=*/false);
  alignas(4096) std::byte page[kBlockSize];
  for (uint32_t b = 0; b < n_blocks; ++b) {
    MakeTestPage(page, BlockNumber(b), base + b);
    SmgrExtend(rel, ForkNumber::kMain, BlockNumber(b), page, /*skip_fsync=*/true);
  }
}

// The payload of a block as it is in the file now (bypassing the pool).
[[nodiscard]] inline uint64_t FilePayload(const RelFileLocator& rel, uint32_t block) {
  const std::string path = RelationPath(rel, ForkNumber::kMain);
  const int fd = open(path.c_str(), O_RDONLY);
  EXPECT_GE(fd, 0) << path;
  uint64_t value = 0;
  const off_t at = static_cast<off_t>(block) * kBlockSize + static_cast<off_t>(kPayloadOffset);
  EXPECT_EQ(pread(fd, &value, sizeof value, at), static_cast<ssize_t>(sizeof value));
  close(fd);
  return value;
}

// Reads a block through the pool and returns its payload.
[[nodiscard]] inline uint64_t ReadPayload(const RelFileLocator& rel, uint32_t block) {
  PinnedBuffer pin(ReadBuffer(rel, ForkNumber::kMain, BlockNumber(block)));
  BufferLockGuard lock(pin.get(), BufferLockMode::kShare);
  return PagePayload(BufferGetPage(pin.get()));
}

// Adds `delta` to a block's payload under an exclusive lock and marks it dirty.
inline void AddToPayload(const RelFileLocator& rel, uint32_t block, uint64_t delta,
                         BufferAccessStrategy* strategy = nullptr) {
  PinnedBuffer pin(ReadBuffer(rel, ForkNumber::kMain, BlockNumber(block), ReadMode::kNormal,
                              strategy));
  BufferLockGuard lock(pin.get(), BufferLockMode::kExclusive);
  std::byte* page = BufferGetPage(pin.get());
  SetPagePayload(page, PagePayload(page) + delta);
  MarkBufferDirty(pin.get());
}

// Fixture: a temp data directory (cwd) with base/<kTestDb>/, and a pool of `n_buffers`
// (call StartPool in the test). Each test runs in its own process under ctest.
class BufferPoolTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/keel_buffer_test_XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    ASSERT_EQ(getcwd(old_cwd_, sizeof old_cwd_), old_cwd_);
    ASSERT_EQ(chdir(dir_.c_str()), 0);
    ASSERT_EQ(mkdir("base", 0700), 0);
    ASSERT_EQ(mkdir(("base/" + std::to_string(kTestDb)).c_str(), 0700), 0);
    settings::data_checksums = false;
    settings::fsync = false;  // durability is storage/sync's to test; spare the shared disk
    SetWalFlushFunction(nullptr);
    SetWalNeedsFlushFunction(nullptr);
  }
  void TearDown() override {
    ReleaseAllLwLocks();
    if (bufpool::local_pool.private_refcount != nullptr) (void)ReleaseAllBufferPins();
    ShmemDestroy();
    EXPECT_EQ(chdir(old_cwd_), 0);
    const std::string cmd = "rm -rf '" + dir_ + "'";
    EXPECT_EQ(system(cmd.c_str()), 0);
  }

  // Region with the pool plus `extra_bytes` for test structures.
  void StartPool(int n_buffers, size_t extra_bytes = 1 << 20) {
    ShmemCreate(BufferPoolShmemSize(n_buffers) + extra_bytes);
    BufferPoolShmemInit(n_buffers);
    InitBufferPoolAccess();
  }

  template <typename T>
  T* SharedStruct(const char* name) {
    bool found = false;
    return new (ShmemInitStruct(name, sizeof(T), &found)) T{};
  }

  std::string dir_;
  char old_cwd_[4096];
};

// Forks a child that sets up its buffer access, runs `fn` and exits with its result.
template <typename Fn>
pid_t ForkBufferChild(Fn&& fn) {
  return ForkChild([&] {
    InitBufferPoolAccess();
    const int code = fn();
    // B2: a child that leaks pins fails.
    if (ReleaseAllBufferPins() != 0) return 77;
    return code;
  });
}

}  // namespace keel::storage::testing
