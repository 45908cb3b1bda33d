// Tests of the free space map: the page-level max-heap, addressing, recording and searching
// across many map pages and levels, truncation, damaged pages, and two processes recording at
// once. README.md ("Tests").
#include "storage/freespace/fsm.h"

#include <fcntl.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <random>
#include <vector>

#include "backend/utils/config/settings.h"
#include "storage/buffer/buffer_test_util.h"
#include "storage/freespace/fsm_page_internal.h"
#include "storage/smgr/smgr.h"

namespace keel::storage {
namespace {

using testing::BufferPoolTest;
using testing::ForkBufferChild;
using testing::TestRel;
using testing::WaitChild;
constexpr int S = fsm::kSlotsPerPage;

// A main fork of `nblocks` blocks made of sparse segment files: the map only asks its size.
void MakeSparseHeap(const RelFileLocator& rel, uint64_t nblocks) {
  SmgrCreate(rel, ForkNumber::kMain, /*is_redo=*/true);
  uint64_t left = nblocks;
  for (uint32_t segno = 0;; ++segno) {
    const uint64_t in_segment = std::min<uint64_t>(left, kBlocksPerSegment);
    const std::string path = SegmentPath(rel, ForkNumber::kMain, segno);
    const int fd = open(path.c_str(), O_RDWR | O_CREAT, 0600);
    ASSERT_GE(fd, 0) << path;
    ASSERT_EQ(ftruncate(fd, static_cast<off_t>(in_segment * kBlockSize)), 0);
    close(fd);
    left -= in_segment;
    if (left == 0 || in_segment < kBlocksPerSegment) break;
  }
}

std::array<std::byte, kBlockSize> EmptyMapPage() {
  std::array<std::byte, kBlockSize> page{};
  PageInit(page.data(), 0);
  return page;
}

// --- one page ---------------------------------------------------------------------------------

TEST(FsmPageTest, CategoriesRoundConservatively) {
  EXPECT_EQ(fsm::AvailToCategory(0), 0);
  EXPECT_EQ(fsm::AvailToCategory(31), 0);
  EXPECT_EQ(fsm::AvailToCategory(100), 3);          // 96 bytes promised, never more
  EXPECT_EQ(fsm::NeededToCategory(100), 4);         // 128 bytes asked for
  EXPECT_EQ(fsm::NeededToCategory(96), 3);
  EXPECT_EQ(fsm::AvailToCategory(8100), 253);
  EXPECT_EQ(fsm::AvailToCategory(fsm::kMaxRequestBytes - 1), 254);
  EXPECT_EQ(fsm::AvailToCategory(fsm::kMaxRequestBytes), 255);  // only an empty page
  EXPECT_EQ(fsm::NeededToCategory(fsm::kMaxRequestBytes), 255);
  EXPECT_THROW((void)fsm::NeededToCategory(fsm::kMaxRequestBytes + 1), Error);
  // A page recorded with `avail` is found for any request it can really take.
  for (size_t avail = 0; avail < kBlockSize; avail += 7) {
    for (size_t needed : {size_t{1}, avail / 2, avail}) {
      if (needed == 0 || needed > fsm::kMaxRequestBytes) continue;
      if (fsm::AvailToCategory(avail) >= fsm::NeededToCategory(needed)) {
        EXPECT_GE(avail, needed);
      }
    }
  }
}

TEST(FsmPageTest, SearchPrefersSlotsFromTheHintRightwards) {
  auto page = EmptyMapPage();
  bool inconsistent = false;
  EXPECT_EQ(fsm::PageSearch(page.data(), 1, false, &inconsistent), -1);
  EXPECT_TRUE(fsm::PageSetSlot(page.data(), 10, 5));
  EXPECT_TRUE(fsm::PageSetSlot(page.data(), 3000, 9));
  EXPECT_TRUE(fsm::PageSetSlot(page.data(), S - 1, 20));
  EXPECT_FALSE(fsm::PageSetSlot(page.data(), 10, 5));  // unchanged
  EXPECT_EQ(fsm::PageRootValue(page.data()), 20);
  EXPECT_EQ(fsm::PageSearch(page.data(), 5, false, &inconsistent), 10);
  EXPECT_FALSE(inconsistent);
  EXPECT_EQ(fsm::PageSearch(page.data(), 6, false, &inconsistent), 3000);
  EXPECT_EQ(fsm::PageSearch(page.data(), 10, true, &inconsistent), S - 1);
  // The hint moved past the last slot: the next search wraps around to the start.
  EXPECT_EQ(fsm::PageSearch(page.data(), 5, true, &inconsistent), 10);
  // Now it starts at slot 11: slot 3000 comes before wrapping back to 10.
  EXPECT_EQ(fsm::PageSearch(page.data(), 5, false, &inconsistent), 3000);
  EXPECT_EQ(fsm::PageSearch(page.data(), 21, false, &inconsistent), -1);
  EXPECT_TRUE(fsm::PageSetSlot(page.data(), S - 1, 0));
  EXPECT_EQ(fsm::PageRootValue(page.data()), 9);
}

TEST(FsmPageTest, RandomOperationsAgreeWithBruteForce) {
  auto page = EmptyMapPage();
  std::vector<uint8_t> expect(S, 0);
  std::mt19937 rng(42);
  for (int round = 0; round < 20000; ++round) {
    const int slot = static_cast<int>(rng() % S);
    const auto value = static_cast<uint8_t>(rng() % 4 == 0 ? rng() % 256 : rng() % 40);
    fsm::PageSetSlot(page.data(), slot, value);
    expect[slot] = value;
    if (round % 100 != 0) continue;
    EXPECT_EQ(fsm::PageRootValue(page.data()), *std::max_element(expect.begin(), expect.end()));
    const auto needed = static_cast<uint8_t>(1 + rng() % 255);
    bool inconsistent = false;
    const int found = fsm::PageSearch(page.data(), needed, rng() % 2 == 0, &inconsistent);
    EXPECT_FALSE(inconsistent);
    const bool any = std::any_of(expect.begin(), expect.end(), [&](uint8_t v) { return v >= needed; });
    if (any) {
      ASSERT_GE(found, 0);
      EXPECT_GE(expect[found], needed);
    } else {
      EXPECT_EQ(found, -1);
    }
  }
  for (int slot = 0; slot < S; ++slot) ASSERT_EQ(fsm::PageGetSlot(page.data(), slot), expect[slot]);
  EXPECT_FALSE(fsm::PageRebuild(page.data()));  // F5 held all along
  EXPECT_TRUE(fsm::PageClearFrom(page.data(), 0));
  EXPECT_EQ(fsm::PageRootValue(page.data()), 0);
}

TEST(FsmPageTest, InconsistentPageIsReportedAndRebuilt) {
  auto page = EmptyMapPage();
  fsm::PageSetSlot(page.data(), 7, 50);
  // Damage: the leaf is lost but the inner nodes still promise 50.
  std::memset(page.data() + fsm::kNodesOffset + fsm::kNonLeafNodes, 0, S);
  bool inconsistent = false;
  EXPECT_EQ(fsm::PageSearch(page.data(), 40, false, &inconsistent), -1);
  EXPECT_TRUE(inconsistent);
  EXPECT_TRUE(fsm::PageRebuild(page.data()));
  EXPECT_EQ(fsm::PageRootValue(page.data()), 0);
  EXPECT_EQ(fsm::PageSearch(page.data(), 40, false, &inconsistent), -1);
  EXPECT_FALSE(inconsistent);
}

// --- the map ----------------------------------------------------------------------------------

class FsmTest : public BufferPoolTest {
 protected:
  void SetUp() override {
    BufferPoolTest::SetUp();
    StartPool(64);
  }
  // Every map page is a consistent max-heap and every upper slot equals its child's maximum.
  void ExpectMapConsistent(const RelFileLocator& rel) {
    const BlockNumber map_blocks = SmgrNBlocks(rel, ForkNumber::kFsm);
    std::vector<std::array<std::byte, kBlockSize>> pages(map_blocks.value());
    for (uint32_t b = 0; b < map_blocks.value(); ++b) {
      PinnedBuffer pin(ReadBuffer(rel, ForkNumber::kFsm, BlockNumber(b)));
      BufferLockGuard lock(pin.get(), BufferLockMode::kShare);
      std::memcpy(pages[b].data(), BufferGetPage(pin.get()), kBlockSize);
      if (PageIsNew(pages[b].data())) continue;
      auto copy = pages[b];
      EXPECT_FALSE(fsm::PageRebuild(copy.data())) << "map block " << b;
    }
    // Root (block 0) and the first level-1 page (block 1) against their children (pre-order).
    if (map_blocks.value() >= 2) {
      EXPECT_EQ(fsm::PageGetSlot(pages[0].data(), 0), fsm::PageRootValue(pages[1].data()));
    }
    for (int child = 0; child < S && 2 + child < static_cast<int>(map_blocks.value()); ++child) {
      EXPECT_EQ(fsm::PageGetSlot(pages[1].data(), child), fsm::PageRootValue(pages[2 + child].data()))
          << "leaf page " << child;
    }
  }
};

TEST_F(FsmTest, MapSizeFollowsThePreOrderLayout) {
  EXPECT_EQ(FsmBlocksFor(BlockNumber(0)).value(), 0u);
  EXPECT_EQ(FsmBlocksFor(BlockNumber(1)).value(), 3u);         // root, level 1, one leaf
  EXPECT_EQ(FsmBlocksFor(BlockNumber(S)).value(), 3u);
  EXPECT_EQ(FsmBlocksFor(BlockNumber(S + 1)).value(), 4u);
  EXPECT_EQ(FsmBlocksFor(BlockNumber(S * S)).value(), static_cast<uint32_t>(S + 2));
  EXPECT_EQ(FsmBlocksFor(BlockNumber(S * S + 1)).value(), static_cast<uint32_t>(S + 4));
  EXPECT_EQ(FsmBlocksFor(BlockNumber(0xFFFFFFFEu)).value(),
            // 2^32 - 1 heap blocks: leaf pages up to 1057616, level-1 pages up to 260, root.
            static_cast<uint32_t>((0xFFFFFFFEull / S) + 1 + (0xFFFFFFFEull / S / S) + 1 + 1));
}

TEST_F(FsmTest, NothingRecordedNothingFound) {
  const RelFileLocator rel = TestRel(100);
  MakeSparseHeap(rel, 10);
  EXPECT_EQ(FsmGetPageWithFreeSpace(rel, 100), kInvalidBlockNumber);
  EXPECT_EQ(FsmGetAvail(rel, BlockNumber(3)), 0u);
  FsmRecordFreeSpace(rel, BlockNumber(3), 0);  // forgetting needs no map
  EXPECT_FALSE(SmgrExists(rel, ForkNumber::kFsm));
  FsmVacuum(rel);
  FsmTruncate(rel, BlockNumber(0));
}

TEST_F(FsmTest, RecordAndGetAcrossManyPages) {
  const RelFileLocator rel = TestRel(101);
  constexpr uint32_t kBlocks = 5 * S + 123;  // six leaf pages
  MakeSparseHeap(rel, kBlocks);
  std::vector<size_t> avail(kBlocks);
  std::mt19937 rng(7);
  for (uint32_t b = 0; b < kBlocks; ++b) {
    avail[b] = rng() % 1200;  // mostly small
    FsmRecordFreeSpace(rel, BlockNumber(b), avail[b]);
  }
  for (uint32_t b = 0; b < kBlocks; b += 37) {
    EXPECT_EQ(FsmGetAvail(rel, BlockNumber(b)), avail[b] / 32 * 32) << b;
  }
  // A few big holes far apart, one per leaf page except the first.
  const std::vector<uint32_t> holes = {S + 5, 2 * S + 4000, 5 * S + 100};
  for (uint32_t b : holes) {
    avail[b] = 6000 + b % 100;
    FsmRecordFreeSpace(rel, BlockNumber(b), avail[b]);
  }
  std::vector<uint32_t> got;
  for (int i = 0; i < 3; ++i) {
    const BlockNumber found = FsmGetPageWithFreeSpace(rel, 5000);
    ASSERT_NE(found, kInvalidBlockNumber);
    EXPECT_GE(avail[found.value()], 5000u);
    got.push_back(found.value());
    // The inserter used it up and says so.
    avail[found.value()] = 10;
    FsmRecordFreeSpace(rel, found, 10);
  }
  std::sort(got.begin(), got.end());
  EXPECT_EQ(got, holes);
  EXPECT_EQ(FsmGetPageWithFreeSpace(rel, 5000), kInvalidBlockNumber);
  // Random requests against a brute-force answer.
  for (int i = 0; i < 300; ++i) {
    const size_t needed = 1 + rng() % 1300;
    const BlockNumber found = FsmGetPageWithFreeSpace(rel, needed);
    const uint8_t need_cat = fsm::NeededToCategory(needed);
    const bool any = std::any_of(avail.begin(), avail.end(), [&](size_t a) {
      return fsm::AvailToCategory(a) >= need_cat;
    });
    if (!any) {
      EXPECT_EQ(found, kInvalidBlockNumber);
      continue;
    }
    ASSERT_NE(found, kInvalidBlockNumber) << needed;
    EXPECT_GE(avail[found.value()], needed);
  }
  ExpectMapConsistent(rel);
  EXPECT_EQ(SmgrNBlocks(rel, ForkNumber::kFsm), FsmBlocksFor(BlockNumber(kBlocks)));
}

TEST_F(FsmTest, SpansSeveralUpperLevelPages) {
  const RelFileLocator rel = TestRel(102);
  const uint32_t kBlocks = S * S + 2 * S;  // past the first level-1 page's subtree
  MakeSparseHeap(rel, kBlocks);
  const BlockNumber far(S * S + S + 17);
  FsmRecordFreeSpace(rel, BlockNumber(5), 200);
  FsmRecordFreeSpace(rel, far, 4000);
  EXPECT_EQ(FsmGetPageWithFreeSpace(rel, 3000), far);
  const BlockNumber either = FsmGetPageWithFreeSpace(rel, 100);
  EXPECT_TRUE(either == far || either == BlockNumber(5));
  EXPECT_EQ(FsmGetAvail(rel, far), 4000u);
  EXPECT_EQ(SmgrNBlocks(rel, ForkNumber::kFsm), FsmBlocksFor(BlockNumber(far.value() + 1)));
  // The page that filled up reports back and gets the next best one.
  EXPECT_EQ(FsmRecordAndGetPageWithFreeSpace(rel, far, 50, 150), BlockNumber(5));
  EXPECT_EQ(FsmGetPageWithFreeSpace(rel, 300), kInvalidBlockNumber);
  // Truncating into the second subtree, then before it.
  FsmTruncate(rel, BlockNumber(S * S + S));
  EXPECT_EQ(FsmGetAvail(rel, far), 0u);
  EXPECT_EQ(FsmGetAvail(rel, BlockNumber(5)), 192u);
  FsmTruncate(rel, BlockNumber(S));
  EXPECT_EQ(SmgrNBlocks(rel, ForkNumber::kFsm).value(), 3u);
  EXPECT_EQ(FsmGetPageWithFreeSpace(rel, 100), BlockNumber(5));
}

TEST_F(FsmTest, RecordAndGetPrefersTheSameMapPage) {
  const RelFileLocator rel = TestRel(103);
  MakeSparseHeap(rel, 3 * S);
  FsmRecordFreeSpace(rel, BlockNumber(2 * S + 9), 3000);  // another leaf page
  FsmRecordFreeSpace(rel, BlockNumber(40), 3000);
  FsmRecordFreeSpace(rel, BlockNumber(41), 3000);
  // Block 40 filled up: 41 is on the same map page, right after it.
  EXPECT_EQ(FsmRecordAndGetPageWithFreeSpace(rel, BlockNumber(40), 0, 2000), BlockNumber(41));
  EXPECT_EQ(FsmRecordAndGetPageWithFreeSpace(rel, BlockNumber(41), 0, 2000),
            BlockNumber(2 * S + 9));
  EXPECT_EQ(FsmRecordAndGetPageWithFreeSpace(rel, BlockNumber(2 * S + 9), 100, 2000),
            kInvalidBlockNumber);
  ExpectMapConsistent(rel);
}

TEST_F(FsmTest, TruncationForgetsTheTail) {
  const RelFileLocator rel = TestRel(104);
  constexpr uint32_t kBlocks = 3 * S;
  MakeSparseHeap(rel, kBlocks);
  for (uint32_t b = 0; b < kBlocks; ++b) FsmRecordFreeSpace(rel, BlockNumber(b), b % 2 == 0 ? 100 : 4000);
  constexpr uint32_t kKeep = S + 1000;
  MakeSparseHeap(rel, kKeep);  // the heap got shorter
  FsmTruncate(rel, BlockNumber(kKeep));
  EXPECT_EQ(SmgrNBlocks(rel, ForkNumber::kFsm), FsmBlocksFor(BlockNumber(kKeep)));
  EXPECT_EQ(FsmGetAvail(rel, BlockNumber(kKeep - 1)), 96u);
  EXPECT_EQ(FsmGetAvail(rel, BlockNumber(kKeep - 2)), 4000u);
  EXPECT_EQ(FsmGetAvail(rel, BlockNumber(kKeep + 1)), 0u);  // same map page, slot cleared
  // Every odd block below kKeep is handed out once, nothing past it.
  uint32_t handed_out = 0;
  for (;;) {
    const BlockNumber found = FsmGetPageWithFreeSpace(rel, 3000);
    if (found == kInvalidBlockNumber) break;
    ASSERT_LT(found.value(), kKeep);
    ASSERT_EQ(found.value() % 2, 1u);
    FsmRecordFreeSpace(rel, found, 0);
    ASSERT_LE(++handed_out, kKeep / 2);
  }
  EXPECT_EQ(handed_out, kKeep / 2);
  ExpectMapConsistent(rel);
  // At a map page boundary, and to nothing.
  FsmTruncate(rel, BlockNumber(S));
  EXPECT_EQ(SmgrNBlocks(rel, ForkNumber::kFsm).value(), 3u);
  FsmTruncate(rel, BlockNumber(0));
  EXPECT_EQ(SmgrNBlocks(rel, ForkNumber::kFsm).value(), 0u);
  EXPECT_EQ(FsmGetPageWithFreeSpace(rel, 10), kInvalidBlockNumber);
  FsmRecordFreeSpace(rel, BlockNumber(3), 500);  // grows again
  EXPECT_EQ(FsmGetPageWithFreeSpace(rel, 10), BlockNumber(3));
}

TEST_F(FsmTest, BlocksPastTheHeapEndAreNeverReturned) {
  const RelFileLocator rel = TestRel(105);
  MakeSparseHeap(rel, 50);
  // As after a crash that lost the map's (unlogged) truncation.
  FsmRecordFreeSpace(rel, BlockNumber(100), 5000);
  FsmRecordFreeSpace(rel, BlockNumber(20), 1000);
  EXPECT_EQ(FsmGetPageWithFreeSpace(rel, 500), BlockNumber(20));
  EXPECT_EQ(FsmGetPageWithFreeSpace(rel, 4000), kInvalidBlockNumber);
  EXPECT_EQ(FsmGetAvail(rel, BlockNumber(100)), 0u);  // forgotten on the way
}

TEST_F(FsmTest, DamagedMapPagesAreTolerated) {
  settings::data_checksums = true;
  const RelFileLocator rel = TestRel(106);
  constexpr uint32_t kBlocks = 3 * S;
  MakeSparseHeap(rel, kBlocks);
  for (uint32_t b = 0; b < kBlocks; ++b) {
    FsmRecordFreeSpace(rel, BlockNumber(b), (b / S == 1) ? 5000 : 200);
  }
  FlushRelationBuffers(rel);
  DropRelationAllBuffers(rel);
  // Leaf page 1 (map block 3) torn: bytes in its middle changed, the checksum no longer fits.
  // Leaf page 2 (map block 4) all zeroes, as a page extended but never written.
  const std::string path = RelationPath(rel, ForkNumber::kFsm);
  const int fd = open(path.c_str(), O_RDWR);
  ASSERT_GE(fd, 0);
  std::array<std::byte, 512> junk;
  junk.fill(std::byte{0x5A});
  ASSERT_EQ(pwrite(fd, junk.data(), junk.size(), 3 * kBlockSize + 5000), 512);
  std::array<std::byte, kBlockSize> zero{};
  ASSERT_EQ(pwrite(fd, zero.data(), zero.size(), 4 * kBlockSize), static_cast<ssize_t>(kBlockSize));
  close(fd);

  // The upper pages still promise 5000 bytes in leaf page 1: the search finds the promise
  // broken, corrects the upper slots and reports nothing.
  EXPECT_EQ(FsmGetPageWithFreeSpace(rel, 4000), kInvalidBlockNumber);
  EXPECT_EQ(FsmGetAvail(rel, BlockNumber(S + 3)), 0u);
  const BlockNumber small = FsmGetPageWithFreeSpace(rel, 100);
  ASSERT_NE(small, kInvalidBlockNumber);
  EXPECT_LT(small.value(), static_cast<uint32_t>(S));  // leaf page 2 was lost too
  // VACUUM records again and the map is whole.
  for (uint32_t b = S; b < kBlocks; ++b) FsmRecordFreeSpace(rel, BlockNumber(b), 5000);
  FsmVacuum(rel);
  const BlockNumber big = FsmGetPageWithFreeSpace(rel, 4000);
  ASSERT_NE(big, kInvalidBlockNumber);
  EXPECT_GE(big.value(), static_cast<uint32_t>(S));
  ExpectMapConsistent(rel);
  // And it is written out with valid checksums again.
  FlushRelationBuffers(rel);
  DropRelationAllBuffers(rel);
  EXPECT_EQ(FsmGetAvail(rel, BlockNumber(S + 3)), 4992u);
}

TEST_F(FsmTest, ZeroedUpperPageIsRebuiltByVacuum) {
  const RelFileLocator rel = TestRel(107);
  MakeSparseHeap(rel, 2 * S);
  FsmRecordFreeSpace(rel, BlockNumber(S + 1), 3000);
  FlushRelationBuffers(rel);
  DropRelationAllBuffers(rel);
  const int fd = open(RelationPath(rel, ForkNumber::kFsm).c_str(), O_RDWR);
  ASSERT_GE(fd, 0);
  std::array<std::byte, kBlockSize> zero{};
  ASSERT_EQ(pwrite(fd, zero.data(), zero.size(), 0), static_cast<ssize_t>(kBlockSize));  // root
  close(fd);
  EXPECT_EQ(FsmGetPageWithFreeSpace(rel, 1000), kInvalidBlockNumber);  // the root knows nothing
  EXPECT_EQ(FsmGetAvail(rel, BlockNumber(S + 1)), 2976u);              // the leaf still does
  FsmVacuum(rel);
  EXPECT_EQ(FsmGetPageWithFreeSpace(rel, 1000), BlockNumber(S + 1));
}

// One step of a process's seeded sequence in the concurrency test.
struct Step {
  uint32_t block;
  size_t avail;
  int op;
};
Step NextStep(std::mt19937& rng, uint32_t blocks, int parity) {
  Step step;
  step.block = static_cast<uint32_t>(rng() % (blocks / 2)) * 2 + static_cast<uint32_t>(parity);
  step.avail = rng() % 3 == 0 ? rng() % 8000 : rng() % 300;
  step.op = static_cast<int>(rng() % 4);
  return step;
}

TEST_F(FsmTest, ConcurrentRecordingFromTwoProcessesKeepsTheMapConsistent) {
  const RelFileLocator rel = TestRel(108);
  constexpr uint32_t kBlocks = 3 * S;
  constexpr int kOps = 30000;
  MakeSparseHeap(rel, kBlocks);
  // Each process owns the blocks of one parity (interleaved on the same map pages) and plays
  // a seeded sequence, so the final value of every block is known here afterwards.
  std::vector<pid_t> pids;
  for (int parity = 0; parity < 2; ++parity) {
    pids.push_back(ForkBufferChild([&rel, parity] {
      std::mt19937 rng(1000 + parity);
      for (int i = 0; i < kOps; ++i) {
        const Step step = NextStep(rng, kBlocks, parity);
        if (step.op == 0) {
          (void)FsmRecordAndGetPageWithFreeSpace(rel, BlockNumber(step.block), step.avail, 1000);
        } else {
          FsmRecordFreeSpace(rel, BlockNumber(step.block), step.avail);
          if (step.op == 1) (void)FsmGetPageWithFreeSpace(rel, 2000);
        }
      }
      return 0;
    }));
  }
  for (pid_t pid : pids) ASSERT_EQ(WaitChild(pid, 120'000), 0);

  std::vector<size_t> final_avail(kBlocks, 0);
  for (int parity = 0; parity < 2; ++parity) {
    std::mt19937 rng(1000 + parity);
    for (int i = 0; i < kOps; ++i) {
      const Step step = NextStep(rng, kBlocks, parity);
      final_avail[step.block] = step.avail;
    }
  }
  for (uint32_t b = 0; b < kBlocks; ++b) {
    ASSERT_EQ(FsmGetAvail(rel, BlockNumber(b)), final_avail[b] / 32 * 32) << "block " << b;
  }
  ExpectMapConsistent(rel);
  // No FsmVacuum needed: searches from the root agree with the leaves.
  for (size_t needed : {size_t{100}, size_t{1000}, size_t{5000}, size_t{7990}}) {
    const BlockNumber found = FsmGetPageWithFreeSpace(rel, needed);
    const bool any = std::any_of(final_avail.begin(), final_avail.end(), [&](size_t a) {
      return fsm::AvailToCategory(a) >= fsm::NeededToCategory(needed);
    });
    if (any) {
      ASSERT_NE(found, kInvalidBlockNumber);
      EXPECT_GE(final_avail[found.value()], needed);
    } else {
      EXPECT_EQ(found, kInvalidBlockNumber);
    }
  }
}

}  // namespace
}  // namespace keel::storage
