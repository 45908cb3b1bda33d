// Storage manager tests: file names, create/extend/read/write/nblocks, reads past the end
// and torn blocks, the 1 GiB segment boundary (with fallocate'd files), truncation, the
// descriptor cache limit, both I/O engines (each test body runs in a forked child with
// io_method = sync and = io_uring, and the two must leave identical files), rings after
// fork, the io_uring fallback, and injected faults. See README.md (SM1-SM7).
#include "storage/smgr/smgr.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "backend/utils/config/settings.h"
#include "backend/utils/error/error.h"
#include "backend/utils/error/format.h"
#include "storage/file/file_io.h"
#include "storage/ipc/fork_test_util.h"
#include "storage/smgr/fd_cache_internal.h"
#include "storage/smgr/io_engine_internal.h"

namespace keel::storage {
namespace {

using Block = std::vector<std::byte>;

constexpr RelFileLocator kRel{Oid(1663), Oid(5), Oid(16384)};

RelFileLocator Rel(uint32_t relno) { return RelFileLocator{Oid(1663), Oid(5), Oid(relno)}; }

// A block whose contents name its block number and a seed, so misplaced data is obvious.
Block Pattern(uint32_t block, uint32_t seed) {
  Block b(kBlockSize);
  for (size_t i = 0; i < kBlockSize; ++i) {
    b[i] = static_cast<std::byte>((block * 131u + seed * 31u + i * 7u) & 0xFF);
  }
  std::memcpy(b.data(), &block, 4);
  std::memcpy(b.data() + 4, &seed, 4);
  return b;
}

Block ReadBlock(const RelFileLocator& rel, ForkNumber fork, uint32_t block) {
  Block b(kBlockSize);
  SmgrRead(rel, fork, BlockNumber(block), b.data());
  return b;
}

std::vector<Block> ReadBlocksV(const RelFileLocator& rel, ForkNumber fork, uint32_t first,
                               int count) {
  std::vector<Block> blocks(static_cast<size_t>(count), Block(kBlockSize));
  std::vector<std::byte*> ptrs;
  for (Block& b : blocks) ptrs.push_back(b.data());
  SmgrReadV(rel, fork, BlockNumber(first), count, ptrs);
  return blocks;
}

off_t FileSize(const std::string& path) {
  struct stat st;
  if (stat(path.c_str(), &st) != 0) return -1;
  return st.st_size;
}

std::string FileBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// Runs `fn`, which must throw keel::Error, and returns the error.
template <typename Fn>
Error ExpectError(Fn&& fn) {
  try {
    fn();
  } catch (const Error& e) {
    return e;
  }
  ADD_FAILURE() << "expected a keel::Error";
  return Error(sqlstate::kSuccessfulCompletion, "");
}

int CountOpenFds() {
  int n = 0;
  if (DIR* d = opendir("/proc/self/fd")) {
    while (readdir(d) != nullptr) ++n;
    closedir(d);
  }
  return n;
}

class SmgrTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/keel_smgr_XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    old_cwd_ = std::filesystem::current_path();
    ASSERT_EQ(chdir(dir_.c_str()), 0);
    std::filesystem::create_directories("base/5");
    std::filesystem::create_directories("global");
    settings::fsync = true;
  }
  void TearDown() override {
    SmgrCloseAll();
#ifdef KEEL_DEBUG
    TestOnlyClearFaults();
#endif
    std::filesystem::current_path(old_cwd_);
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  std::string dir_;
  std::filesystem::path old_cwd_;
};

// The same test body under each engine, in a forked child so the engine is chosen afresh
// (SM7). The child's gtest failures are printed by the child and reported by its exit code.
class SmgrEngineTest : public SmgrTest, public ::testing::WithParamInterface<IoMethod> {
 protected:
  template <typename Fn>
  void InEngine(Fn&& body) {
    const IoMethod method = GetParam();
    const pid_t pid = testing::ForkChild([&] {
      settings::io_method = method == IoMethod::kIoUring ? settings::IoMethod::kIoUring
                                                         : settings::IoMethod::kSync;
      EXPECT_EQ(ActiveIoMethod(), method);
      body();
      return ::testing::Test::HasFailure() ? 1 : 0;
    });
    EXPECT_EQ(testing::WaitChild(pid, 120'000), 0);
  }
};

INSTANTIATE_TEST_SUITE_P(Engines, SmgrEngineTest,
                         ::testing::Values(IoMethod::kSync, IoMethod::kIoUring),
                         [](const ::testing::TestParamInfo<IoMethod>& info) {
                           return std::string(info.param == IoMethod::kSync ? "Sync" : "IoUring");
                         });

TEST(SmgrPathTest, FileNames) {
  EXPECT_EQ(RelationPath(kRel, ForkNumber::kMain), "base/5/16384");
  EXPECT_EQ(RelationPath(kRel, ForkNumber::kFsm), "base/5/16384_fsm");
  EXPECT_EQ(RelationPath(kRel, ForkNumber::kVisibilityMap), "base/5/16384_vm");
  EXPECT_EQ(RelationPath(kRel, ForkNumber::kInit), "base/5/16384_init");
  const RelFileLocator shared{Oid(1664), Oid(0), Oid(1262)};
  EXPECT_EQ(RelationPath(shared, ForkNumber::kMain), "global/1262");
  EXPECT_EQ(SegmentPath(kRel, ForkNumber::kMain, 0), "base/5/16384");
  EXPECT_EQ(SegmentPath(kRel, ForkNumber::kMain, 1), "base/5/16384.1");
  EXPECT_EQ(SegmentPath(kRel, ForkNumber::kVisibilityMap, 12), "base/5/16384_vm.12");
  EXPECT_EQ(SegmentPath(shared, ForkNumber::kFsm, 3), "global/1262_fsm.3");
}

TEST_F(SmgrTest, CreateExistsAndNBlocks) {
  EXPECT_FALSE(SmgrExists(kRel, ForkNumber::kMain));
  SmgrCreate(kRel, ForkNumber::kMain, false);
  EXPECT_TRUE(SmgrExists(kRel, ForkNumber::kMain));
  EXPECT_FALSE(SmgrExists(kRel, ForkNumber::kFsm));
  EXPECT_EQ(SmgrNBlocks(kRel, ForkNumber::kMain), BlockNumber(0));
  EXPECT_EQ(FileSize("base/5/16384"), 0);

  Error e = ExpectError([] { SmgrCreate(kRel, ForkNumber::kMain, false); });
  EXPECT_EQ(e.sqlstate().code(), "58P02");
  EXPECT_EQ(e.message(), "could not create file \"base/5/16384\": File exists");
  SmgrCreate(kRel, ForkNumber::kMain, /*is_redo=*/true);  // redo: an existing file is fine

  e = ExpectError([] { (void)SmgrNBlocks(kRel, ForkNumber::kFsm); });
  EXPECT_EQ(e.sqlstate().code(), "58P01");
  EXPECT_EQ(e.message(), "could not open file \"base/5/16384_fsm\": No such file or directory");

  const RelFileLocator shared{Oid(1664), Oid(0), Oid(1262)};
  SmgrCreate(shared, ForkNumber::kMain, false);
  EXPECT_EQ(FileSize("global/1262"), 0);
}

TEST_F(SmgrTest, ReadPastEndAndTornBlock) {
  SmgrCreate(kRel, ForkNumber::kMain, false);
  for (uint32_t b = 0; b < 3; ++b) {
    SmgrExtend(kRel, ForkNumber::kMain, BlockNumber(b), Pattern(b, 1).data(), true);
  }
  Error e = ExpectError([] { (void)ReadBlock(kRel, ForkNumber::kMain, 3); });
  EXPECT_EQ(e.sqlstate().code(), "XX001");
  EXPECT_EQ(e.message(),
            "could not read block 3 in file \"base/5/16384\": read only 0 of 8192 bytes");
  e = ExpectError([] { (void)ReadBlocksV(kRel, ForkNumber::kMain, 1, 4); });
  EXPECT_EQ(e.message(),
            "could not read block 3 in file \"base/5/16384\": read only 0 of 8192 bytes");

  // A torn extension: half a block at the end. It does not count, and reading it is XX001.
  {
    std::ofstream out("base/5/16384", std::ios::binary | std::ios::app);
    const Block half = Pattern(3, 2);
    out.write(reinterpret_cast<const char*>(half.data()), kBlockSize / 2);
  }
  SmgrCloseAll();
  EXPECT_EQ(SmgrNBlocks(kRel, ForkNumber::kMain), BlockNumber(3));
  e = ExpectError([] { (void)ReadBlock(kRel, ForkNumber::kMain, 3); });
  EXPECT_EQ(e.sqlstate().code(), "XX001");
  EXPECT_EQ(e.message(),
            "could not read block 3 in file \"base/5/16384\": read only 4096 of 8192 bytes");
  // Extending over it replaces the partial block.
  SmgrExtend(kRel, ForkNumber::kMain, BlockNumber(3), Pattern(3, 1).data(), true);
  EXPECT_EQ(ReadBlock(kRel, ForkNumber::kMain, 3), Pattern(3, 1));
  EXPECT_EQ(FileSize("base/5/16384"), 4 * kBlockSize);
}

TEST_F(SmgrTest, MissingSegmentNamesTheShortOne) {
  SmgrCreate(kRel, ForkNumber::kMain, false);
  SmgrZeroExtend(kRel, ForkNumber::kMain, BlockNumber(0), 10, true);
  const Error e =
      ExpectError([] { (void)ReadBlock(kRel, ForkNumber::kMain, kBlocksPerSegment + 5); });
  EXPECT_EQ(e.sqlstate().code(), "58P01");
  EXPECT_EQ(e.message(),
            "could not open file \"base/5/16384.1\" (target block 131077): previous segment is "
            "only 10 blocks");
}

TEST_F(SmgrTest, TruncateBeyondEndIsAnError) {
  SmgrCreate(kRel, ForkNumber::kMain, false);
  SmgrZeroExtend(kRel, ForkNumber::kMain, BlockNumber(0), 4, true);
  const Error e = ExpectError([] { SmgrTruncate(kRel, ForkNumber::kMain, BlockNumber(5)); });
  EXPECT_EQ(e.message(),
            "could not truncate file \"base/5/16384\" to 5 blocks: it's only 4 blocks now");
  SmgrTruncate(kRel, ForkNumber::kMain, BlockNumber(4));  // no change
  SmgrTruncate(kRel, ForkNumber::kMain, BlockNumber(1));
  EXPECT_EQ(FileSize("base/5/16384"), kBlockSize);
}

TEST_F(SmgrTest, ExtendLimit) {
  SmgrCreate(kRel, ForkNumber::kMain, false);
  const Error e = ExpectError([] {
    SmgrExtend(kRel, ForkNumber::kMain, kInvalidBlockNumber, Pattern(0, 0).data(), true);
  });
  EXPECT_EQ(e.sqlstate().code(), "54000");
  EXPECT_EQ(e.message(), "cannot extend file \"base/5/16384\" beyond 4294967295 blocks");
}

TEST_F(SmgrTest, UnlinkWithoutCheckpointerIsImmediate) {
  for (ForkNumber fork : {ForkNumber::kMain, ForkNumber::kFsm}) {
    SmgrCreate(kRel, fork, false);
    SmgrZeroExtend(kRel, fork, BlockNumber(0), 3, false);
  }
  SmgrUnlinkAfterCheckpoint(kRel);  // no sync queue at all: done at once (SY6)
  EXPECT_FALSE(SmgrExists(kRel, ForkNumber::kMain));
  EXPECT_FALSE(SmgrExists(kRel, ForkNumber::kFsm));
}

TEST_F(SmgrTest, DescriptorCacheStaysBounded) {
  const int fds_before = CountOpenFds();
  constexpr uint32_t kRelations = 300;
  std::vector<Block> pages;
  for (uint32_t r = 0; r < kRelations; ++r) {
    SmgrCreate(Rel(20000 + r), ForkNumber::kMain, false);
    SmgrExtend(Rel(20000 + r), ForkNumber::kMain, BlockNumber(0), Pattern(0, r).data(), true);
    pages.push_back(Pattern(0, r + 1000));
  }
  EXPECT_LE(smgr_internal::OpenFdCount(), smgr_internal::kMaxOpenSegments);
  // One batch touching more files than the cache holds.
  std::vector<BlockWrite> writes;
  for (uint32_t r = 0; r < kRelations; ++r) {
    writes.push_back(
        BlockWrite{Rel(20000 + r), ForkNumber::kMain, BlockNumber(0), pages[r].data()});
  }
  SmgrWriteV(writes, true);
  EXPECT_LE(smgr_internal::OpenFdCount(), smgr_internal::kMaxOpenSegments);
  EXPECT_LE(CountOpenFds() - fds_before, smgr_internal::kMaxOpenSegments + 8);
  for (uint32_t r = 0; r < kRelations; ++r) {
    ASSERT_EQ(ReadBlock(Rel(20000 + r), ForkNumber::kMain, 0), pages[r]) << r;
  }
  SmgrClose(Rel(20000 + kRelations - 1));
  SmgrCloseAll();
  EXPECT_EQ(smgr_internal::OpenFdCount(), 0);
}

TEST_P(SmgrEngineTest, ExtendReadWriteRoundTrip) {
  InEngine([] {
    SmgrCreate(kRel, ForkNumber::kMain, false);
    SmgrCreate(kRel, ForkNumber::kFsm, false);
    constexpr uint32_t kBlocks = 70;
    for (uint32_t b = 0; b < kBlocks; ++b) {
      SmgrExtend(kRel, ForkNumber::kMain, BlockNumber(b), Pattern(b, 1).data(), b % 2 == 0);
    }
    SmgrExtend(kRel, ForkNumber::kFsm, BlockNumber(0), Pattern(0, 9).data(), false);
    EXPECT_EQ(SmgrNBlocks(kRel, ForkNumber::kMain), BlockNumber(kBlocks));
    EXPECT_EQ(SmgrNBlocks(kRel, ForkNumber::kFsm), BlockNumber(1));
    EXPECT_EQ(FileSize("base/5/16384"), static_cast<off_t>(kBlocks) * kBlockSize);

    SmgrWrite(kRel, ForkNumber::kMain, BlockNumber(5), Pattern(5, 2).data(), false);
    EXPECT_EQ(ReadBlock(kRel, ForkNumber::kMain, 5), Pattern(5, 2));
    EXPECT_EQ(ReadBlock(kRel, ForkNumber::kMain, 6), Pattern(6, 1));

    // Batched reads of every size from 1 to 40 at several places.
    for (int count : {1, 2, 7, 8, 32, 40}) {
      SmgrPrefetch(kRel, ForkNumber::kMain, BlockNumber(10), count);
      const std::vector<Block> got = ReadBlocksV(kRel, ForkNumber::kMain, 10, count);
      for (int i = 0; i < count; ++i) {
        ASSERT_EQ(got[i], Pattern(10 + i, 1)) << "count " << count << " i " << i;
      }
    }
    // Batched writes: a run, a gap, another fork, a descending pair (separate runs).
    std::vector<Block> pages;
    for (uint32_t i = 0; i < 12; ++i) pages.push_back(Pattern(i, 3));
    std::vector<BlockWrite> writes;
    for (uint32_t b = 20; b < 28; ++b) {
      writes.push_back({kRel, ForkNumber::kMain, BlockNumber(b), pages[b - 20].data()});
    }
    writes.push_back({kRel, ForkNumber::kMain, BlockNumber(40), pages[8].data()});
    writes.push_back({kRel, ForkNumber::kFsm, BlockNumber(0), pages[9].data()});
    writes.push_back({kRel, ForkNumber::kMain, BlockNumber(61), pages[10].data()});
    writes.push_back({kRel, ForkNumber::kMain, BlockNumber(60), pages[11].data()});
    SmgrWriteV(writes, false);
    for (const BlockWrite& w : writes) {
      Block expect(w.page, w.page + kBlockSize);
      ASSERT_EQ(ReadBlock(w.rel, w.fork, w.block.value()), expect) << w.block.value();
    }
    EXPECT_EQ(ReadBlock(kRel, ForkNumber::kMain, 28), Pattern(28, 1));
    EXPECT_EQ(SmgrNBlocks(kRel, ForkNumber::kMain), BlockNumber(kBlocks));

    SmgrImmediateSync(kRel, ForkNumber::kMain);
    SmgrPrefetch(kRel, ForkNumber::kMain, BlockNumber(kBlocks + 100), 8);  // past the end: ok
    SmgrPrefetch(kRel, ForkNumber::kMain, BlockNumber(kBlocksPerSegment * 3), 8);
  });
}

TEST_P(SmgrEngineTest, SegmentBoundary) {
  InEngine([] {
    SmgrCreate(kRel, ForkNumber::kMain, false);
    constexpr uint32_t kSeg = kBlocksPerSegment;
    // A 1 GiB first segment by fallocate (cheap on ext4), then real blocks across the edge.
    SmgrZeroExtend(kRel, ForkNumber::kMain, BlockNumber(0), static_cast<int>(kSeg - 2), true);
    for (uint32_t b = kSeg - 2; b < kSeg + 2; ++b) {
      SmgrExtend(kRel, ForkNumber::kMain, BlockNumber(b), Pattern(b, 1).data(), false);
    }
    EXPECT_EQ(SmgrNBlocks(kRel, ForkNumber::kMain), BlockNumber(kSeg + 2));
    EXPECT_EQ(FileSize("base/5/16384"), static_cast<off_t>(1) << 30);
    EXPECT_EQ(FileSize("base/5/16384.1"), 2 * kBlockSize);

    std::vector<Block> got = ReadBlocksV(kRel, ForkNumber::kMain, kSeg - 2, 4);
    for (uint32_t i = 0; i < 4; ++i) EXPECT_EQ(got[i], Pattern(kSeg - 2 + i, 1)) << i;
    EXPECT_EQ(ReadBlock(kRel, ForkNumber::kMain, kSeg - 3), Block(kBlockSize));  // zeros
    EXPECT_EQ(ReadBlock(kRel, ForkNumber::kMain, kSeg + 1), Pattern(kSeg + 1, 1));

    // One batched write across the boundary: two runs, one per segment.
    std::vector<Block> pages;
    for (uint32_t i = 0; i < 4; ++i) pages.push_back(Pattern(kSeg - 2 + i, 2));
    std::vector<BlockWrite> writes;
    for (uint32_t i = 0; i < 4; ++i) {
      writes.push_back({kRel, ForkNumber::kMain, BlockNumber(kSeg - 2 + i), pages[i].data()});
    }
    SmgrWriteV(writes, false);
    got = ReadBlocksV(kRel, ForkNumber::kMain, kSeg - 2, 4);
    for (uint32_t i = 0; i < 4; ++i) EXPECT_EQ(got[i], pages[i]) << i;

    // Truncation across the boundary leaves the second segment as an empty file (SM3).
    SmgrTruncate(kRel, ForkNumber::kMain, BlockNumber(kSeg - 1));
    EXPECT_EQ(SmgrNBlocks(kRel, ForkNumber::kMain), BlockNumber(kSeg - 1));
    EXPECT_EQ(FileSize("base/5/16384.1"), 0);
    EXPECT_EQ(FileSize("base/5/16384"), static_cast<off_t>(kSeg - 1) * kBlockSize);
    // Growing again reuses it.
    SmgrZeroExtend(kRel, ForkNumber::kMain, BlockNumber(kSeg - 1), 3, true);
    EXPECT_EQ(SmgrNBlocks(kRel, ForkNumber::kMain), BlockNumber(kSeg + 2));
    EXPECT_EQ(FileSize("base/5/16384.1"), 2 * kBlockSize);
    EXPECT_EQ(ReadBlock(kRel, ForkNumber::kMain, kSeg + 1), Block(kBlockSize));
    SmgrImmediateSync(kRel, ForkNumber::kMain);
    SmgrTruncate(kRel, ForkNumber::kMain, BlockNumber(kSeg));  // exactly one full segment
    EXPECT_EQ(SmgrNBlocks(kRel, ForkNumber::kMain), BlockNumber(kSeg));
    EXPECT_EQ(FileSize("base/5/16384.1"), 0);
    SmgrTruncate(kRel, ForkNumber::kMain, BlockNumber(0));
    EXPECT_EQ(SmgrNBlocks(kRel, ForkNumber::kMain), BlockNumber(0));
    EXPECT_EQ(FileSize("base/5/16384"), 0);

    // Zero-extension straight across the boundary in one call.
    SmgrZeroExtend(kRel, ForkNumber::kMain, BlockNumber(0), static_cast<int>(kSeg + 3), true);
    EXPECT_EQ(SmgrNBlocks(kRel, ForkNumber::kMain), BlockNumber(kSeg + 3));
    EXPECT_EQ(FileSize("base/5/16384.1"), 3 * kBlockSize);
    got = ReadBlocksV(kRel, ForkNumber::kMain, kSeg - 1, 4);
    for (const Block& b : got) EXPECT_EQ(b, Block(kBlockSize));

    // Dropping takes every segment; with no checkpointer the first one goes at once too.
    SmgrUnlinkAfterCheckpoint(kRel);
    EXPECT_EQ(FileSize("base/5/16384"), -1);
    EXPECT_EQ(FileSize("base/5/16384.1"), -1);
  });
}

// Both engines, the same script on two relations: identical files (and reads) must result.
TEST_F(SmgrTest, EnginesLeaveIdenticalFiles) {
  auto script = [](const RelFileLocator& rel) {
    SmgrCreate(rel, ForkNumber::kMain, false);
    SmgrCreate(rel, ForkNumber::kVisibilityMap, false);
    for (uint32_t b = 0; b < 40; ++b) {
      SmgrExtend(rel, ForkNumber::kMain, BlockNumber(b), Pattern(b, 1).data(), true);
    }
    SmgrZeroExtend(rel, ForkNumber::kMain, BlockNumber(40), 20, true);
    SmgrZeroExtend(rel, ForkNumber::kVisibilityMap, BlockNumber(0), 2, true);
    std::vector<Block> pages;
    for (uint32_t i = 0; i < 30; ++i) pages.push_back(Pattern(i, 7));
    std::vector<BlockWrite> writes;
    for (uint32_t i = 0; i < 28; ++i) {
      writes.push_back({rel, ForkNumber::kMain, BlockNumber(55 - 2 * (i / 2) - (i % 2 ? 0 : 1)),
                        pages[i].data()});
    }
    writes.push_back({rel, ForkNumber::kVisibilityMap, BlockNumber(1), pages[28].data()});
    writes.push_back({rel, ForkNumber::kMain, BlockNumber(3), pages[29].data()});
    SmgrWriteV(writes, true);
    SmgrTruncate(rel, ForkNumber::kMain, BlockNumber(50));
    const std::vector<Block> got = ReadBlocksV(rel, ForkNumber::kMain, 0, 50);
    std::string all;
    for (const Block& b : got) all.append(reinterpret_cast<const char*>(b.data()), b.size());
    std::ofstream(Format("reads_%u", rel.rel.value()), std::ios::binary) << all;
  };
  const pid_t a = testing::ForkChild([&] {
    settings::io_method = settings::IoMethod::kSync;
    script(Rel(100));
    return ActiveIoMethod() == IoMethod::kSync ? 0 : 2;
  });
  ASSERT_EQ(testing::WaitChild(a), 0);
  const pid_t b = testing::ForkChild([&] {
    settings::io_method = settings::IoMethod::kIoUring;
    script(Rel(200));
    return ActiveIoMethod() == IoMethod::kIoUring ? 0 : 2;
  });
  ASSERT_EQ(testing::WaitChild(b), 0);
  const std::string main_a = FileBytes("base/5/100");
  EXPECT_EQ(main_a.size(), 50u * kBlockSize);
  EXPECT_EQ(main_a, FileBytes("base/5/200"));
  EXPECT_EQ(FileBytes("base/5/100_vm"), FileBytes("base/5/200_vm"));
  EXPECT_EQ(FileBytes("reads_100"), main_a);
  EXPECT_EQ(FileBytes("reads_200"), main_a);
}

// A child never uses its parent's ring (SM7): both keep working.
TEST_F(SmgrTest, RingIsPerProcess) {
  const pid_t pid = testing::ForkChild([] {
    settings::io_method = settings::IoMethod::kIoUring;
    SmgrCreate(kRel, ForkNumber::kMain, false);
    for (uint32_t b = 0; b < 16; ++b) {
      SmgrExtend(kRel, ForkNumber::kMain, BlockNumber(b), Pattern(b, 1).data(), true);
    }
    if (ActiveIoMethod() != IoMethod::kIoUring) return 2;
    if (ReadBlocksV(kRel, ForkNumber::kMain, 0, 16)[15] != Pattern(15, 1)) return 3;
    SmgrPrefetch(kRel, ForkNumber::kMain, BlockNumber(0), 16);  // leaves a prefetch in flight
    for (int generation = 0; generation < 3; ++generation) {
      const pid_t child = testing::ForkChild([] {
        if (ActiveIoMethod() != IoMethod::kIoUring) return 4;
        const std::vector<Block> got = ReadBlocksV(kRel, ForkNumber::kMain, 0, 16);
        for (uint32_t i = 0; i < 16; ++i) {
          if (got[i] != Pattern(i, 1)) return 5;
        }
        return 0;
      });
      if (testing::WaitChild(child) != 0) return 6;
      // The parent's ring is untouched by the child's exit.
      if (ReadBlocksV(kRel, ForkNumber::kMain, 8, 8)[0] != Pattern(8, 1)) return 7;
    }
    return 0;
  });
  EXPECT_EQ(testing::WaitChild(pid), 0);
}

#ifdef KEEL_DEBUG

TEST_F(SmgrTest, IoUringFallbackToSync) {
  const pid_t pid = testing::ForkChild([] {
    settings::io_method = settings::IoMethod::kIoUring;
    io_engine::TestOnlyResetEngine(/*fail_io_uring_init=*/true);
    if (ActiveIoMethod() != IoMethod::kSync) return 2;
    SmgrCreate(kRel, ForkNumber::kMain, false);
    SmgrZeroExtend(kRel, ForkNumber::kMain, BlockNumber(0), 4, true);
    if (ReadBlocksV(kRel, ForkNumber::kMain, 0, 4)[3] != Block(kBlockSize)) return 3;
    io_engine::TestOnlyResetEngine(false);
    return ActiveIoMethod() == IoMethod::kIoUring ? 0 : 4;
  });
  EXPECT_EQ(testing::WaitChild(pid), 0);
}

TEST_P(SmgrEngineTest, InjectedReadAndWriteFaults) {
  InEngine([] {
    SmgrCreate(kRel, ForkNumber::kMain, false);
    for (uint32_t b = 0; b < 8; ++b) {
      SmgrExtend(kRel, ForkNumber::kMain, BlockNumber(b), Pattern(b, 1).data(), true);
    }
    TestOnlyInjectFault(FaultKind::kEio, "base/5/16384");
    Error e = ExpectError([] { (void)ReadBlocksV(kRel, ForkNumber::kMain, 2, 4); });
    EXPECT_EQ(e.sqlstate().code(), "58030");
    EXPECT_EQ(e.message(), "could not read block 2 in file \"base/5/16384\": Input/output error");
    EXPECT_EQ(ReadBlocksV(kRel, ForkNumber::kMain, 2, 4)[0], Pattern(2, 1));  // used up

    TestOnlyInjectFault(FaultKind::kEio, "16384");
    e = ExpectError([] { (void)ReadBlock(kRel, ForkNumber::kMain, 5); });
    EXPECT_EQ(e.message(), "could not read block 5 in file \"base/5/16384\": Input/output error");

    TestOnlyInjectFault(FaultKind::kEio, "16384");
    std::vector<Block> pages = {Pattern(3, 5), Pattern(4, 5)};
    std::vector<BlockWrite> writes = {{kRel, ForkNumber::kMain, BlockNumber(3), pages[0].data()},
                                      {kRel, ForkNumber::kMain, BlockNumber(4), pages[1].data()}};
    e = ExpectError([&] { SmgrWriteV(writes, true); });
    EXPECT_EQ(e.sqlstate().code(), "58030");
    EXPECT_EQ(e.message(), "could not write block 3 in file \"base/5/16384\": Input/output error");

    // A short write of a two-block run: the first block lands, the second does not.
    TestOnlyInjectFault(FaultKind::kShortWrite, "16384");
    e = ExpectError([&] { SmgrWriteV(writes, true); });
    EXPECT_EQ(e.sqlstate().code(), "53100");
    EXPECT_EQ(e.message(),
              "could not write block 3 in file \"base/5/16384\": No space left on device");
    EXPECT_EQ(ReadBlock(kRel, ForkNumber::kMain, 3), pages[0]);
    EXPECT_EQ(ReadBlock(kRel, ForkNumber::kMain, 4), Pattern(4, 1));

    TestOnlyInjectFault(FaultKind::kEnospc, "16384");
    e = ExpectError(
        [&] { SmgrWrite(kRel, ForkNumber::kMain, BlockNumber(1), pages[0].data(), true); });
    EXPECT_EQ(e.sqlstate().code(), "53100");
    EXPECT_EQ(e.message(),
              "could not write block 1 in file \"base/5/16384\": No space left on device");

    // Other files are not hit.
    SmgrCreate(Rel(777), ForkNumber::kMain, false);
    TestOnlyInjectFault(FaultKind::kEio, "16384");
    SmgrExtend(Rel(777), ForkNumber::kMain, BlockNumber(0), Pattern(0, 1).data(), true);
    EXPECT_EQ(ReadBlocksV(Rel(777), ForkNumber::kMain, 0, 1)[0], Pattern(0, 1));
    TestOnlyClearFaults();
    EXPECT_EQ(ReadBlocksV(kRel, ForkNumber::kMain, 0, 8)[7], Pattern(7, 1));
  });
}

TEST_F(SmgrTest, InjectedExtendFaults) {
  SmgrCreate(kRel, ForkNumber::kMain, false);
  SmgrExtend(kRel, ForkNumber::kMain, BlockNumber(0), Pattern(0, 1).data(), true);

  TestOnlyInjectFault(FaultKind::kEnospc, "base/5/16384");
  Error e = ExpectError([] {
    SmgrExtend(kRel, ForkNumber::kMain, BlockNumber(1), Pattern(1, 1).data(), true);
  });
  EXPECT_EQ(e.sqlstate().code(), "53100");
  EXPECT_EQ(e.message(), "could not extend file \"base/5/16384\": No space left on device");
  EXPECT_EQ(e.hint(), "Check free disk space.");
  EXPECT_EQ(SmgrNBlocks(kRel, ForkNumber::kMain), BlockNumber(1));

  // Half a block reaches the disk: not counted, and the retry writes over it.
  TestOnlyInjectFault(FaultKind::kShortWrite, "16384");
  e = ExpectError([] {
    SmgrExtend(kRel, ForkNumber::kMain, BlockNumber(1), Pattern(1, 1).data(), true);
  });
  EXPECT_EQ(e.sqlstate().code(), "53100");
  EXPECT_EQ(FileSize("base/5/16384"), kBlockSize + kBlockSize / 2);
  EXPECT_EQ(SmgrNBlocks(kRel, ForkNumber::kMain), BlockNumber(1));
  e = ExpectError([] { (void)ReadBlock(kRel, ForkNumber::kMain, 1); });
  EXPECT_EQ(e.sqlstate().code(), "XX001");
  SmgrExtend(kRel, ForkNumber::kMain, BlockNumber(1), Pattern(1, 1).data(), true);
  EXPECT_EQ(ReadBlock(kRel, ForkNumber::kMain, 1), Pattern(1, 1));

  // fallocate path (more than 8 blocks) and the plain-write path.
  TestOnlyInjectFault(FaultKind::kEnospc, "16384");
  e = ExpectError([] { SmgrZeroExtend(kRel, ForkNumber::kMain, BlockNumber(2), 100, true); });
  EXPECT_EQ(e.sqlstate().code(), "53100");
  EXPECT_EQ(e.hint(), "Check free disk space.");
  TestOnlyInjectFault(FaultKind::kEio, "16384");
  e = ExpectError([] { SmgrZeroExtend(kRel, ForkNumber::kMain, BlockNumber(2), 3, true); });
  EXPECT_EQ(e.sqlstate().code(), "58030");
  EXPECT_EQ(e.message(), "could not extend file \"base/5/16384\": Input/output error");
  EXPECT_EQ(SmgrNBlocks(kRel, ForkNumber::kMain), BlockNumber(2));
}

TEST_F(SmgrTest, ImmediateSyncFailureIsPanic) {
  SmgrCreate(kRel, ForkNumber::kMain, false);
  SmgrZeroExtend(kRel, ForkNumber::kMain, BlockNumber(0), 2, true);
  // In a forked child whose stderr goes to a file (a death test would re-run SetUp and leave
  // its temporary directory behind).
  const pid_t pid = testing::ForkChild([] {
    const int fd = FileOpen("panic.log", O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd < 0 || dup2(fd, STDERR_FILENO) < 0) return 2;
    TestOnlyInjectFault(FaultKind::kFsyncFailure, "16384");
    SmgrImmediateSync(kRel, ForkNumber::kMain);
    return 0;
  });
  EXPECT_EQ(testing::WaitChild(pid), -SIGABRT);
  EXPECT_NE(FileBytes("panic.log").find(
                "PANIC:  could not fsync file \"base/5/16384\": Input/output error"),
            std::string::npos)
      << FileBytes("panic.log");
}

#endif  // KEEL_DEBUG

}  // namespace
}  // namespace keel::storage
