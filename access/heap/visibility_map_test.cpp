// The visibility map through its interface: set (WAL-logged with the heap page's flag), test,
// clear, count, truncation (its last page logged), damage tolerance, and crash recovery.
// README.md ("Tests").
#include "access/heap/visibility_map.h"

#include <fcntl.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <array>
#include <string>
#include <vector>

#include "access/heap/heap_test_util.h"
#include "access/heap/vacuum_test_util.h"
#include "access/transam/xact.h"
#include "storage/smgr/smgr.h"
#include "tests/server/server_harness.h"

namespace keel::access {
namespace {

using keel::testing::ServerHarness;
using testing::FlushAllWal;
using testing::MakeTuple;

// A table of at least `pages` heap pages.
void FillPages(const Relation& rel, uint32_t pages) {
  transam::StartTransaction();
  const CommandId cid = transam::GetCurrentCommandId(true);
  while (HeapRelationBlocks(rel).value() < pages) {
    HeapTuple t = MakeTuple(std::string(500, 'x'));
    (void)HeapInsert(rel, t, cid);
  }
  transam::CommitTransaction();
}

void SetBit(const Relation& rel, uint32_t block) {
  storage::Buffer vm = storage::kInvalidBuffer;
  VisibilityMapPin(rel, BlockNumber(block), &vm);
  {
    storage::PinnedBuffer heap(storage::ReadBuffer(rel.locator, ForkNumber::kMain, BlockNumber(block)));
    storage::BufferLockGuard lock(heap.get(), storage::BufferLockMode::kExclusive);
    VisibilityMapSet(rel, BlockNumber(block), heap.get(), vm);
  }
  storage::ReleaseBuffer(vm);
}

bool IsSet(const Relation& rel, uint32_t block) {
  storage::Buffer vm = storage::kInvalidBuffer;
  const bool set = VisibilityMapIsAllVisible(rel, BlockNumber(block), &vm);
  if (vm != storage::kInvalidBuffer) storage::ReleaseBuffer(vm);
  return set;
}

bool PageFlag(const Relation& rel, uint32_t block) {
  storage::PinnedBuffer heap(storage::ReadBuffer(rel.locator, ForkNumber::kMain, BlockNumber(block)));
  storage::BufferLockGuard lock(heap.get(), storage::BufferLockMode::kShare);
  return (storage::GetPageHeader(storage::BufferGetPage(heap.get()))->flags &
          storage::kPageAllVisible) != 0;
}

class VisibilityMapTest : public ::testing::Test {
 protected:
  ServerHarness harness_;
  Relation rel_ = testing::CreateTestHeap(16386);
};

TEST_F(VisibilityMapTest, MapSizeArithmetic) {
  constexpr uint32_t kPerPage = (kBlockSize - 32) * 8;  // 65280 heap pages per map page
  EXPECT_EQ(VisibilityMapBlocksFor(BlockNumber(0)).value(), 0u);
  EXPECT_EQ(VisibilityMapBlocksFor(BlockNumber(1)).value(), 1u);
  EXPECT_EQ(VisibilityMapBlocksFor(BlockNumber(kPerPage)).value(), 1u);
  EXPECT_EQ(VisibilityMapBlocksFor(BlockNumber(kPerPage + 1)).value(), 2u);
  EXPECT_EQ(VisibilityMapBlocksFor(BlockNumber(0xFFFFFFFEu)).value(), 0xFFFFFFFEu / kPerPage + 1);
}

TEST_F(VisibilityMapTest, SetTestClearCountAndSurviveACrash) {
  FillPages(rel_, 12);
  EXPECT_FALSE(IsSet(rel_, 3));  // no map yet: nothing set, nothing created
  EXPECT_FALSE(storage::SmgrExists(rel_.locator, ForkNumber::kVisibilityMap));
  EXPECT_EQ(VisibilityMapCountAllVisible(rel_).value(), 0u);
  for (uint32_t b : {0u, 3u, 7u, 8u, 11u}) SetBit(rel_, b);
  SetBit(rel_, 3);  // again: nothing changes
  EXPECT_EQ(VisibilityMapCountAllVisible(rel_).value(), 5u);
  for (uint32_t b = 0; b < 12; ++b) {
    const bool expect = b == 0 || b == 3 || b == 7 || b == 8 || b == 11;
    EXPECT_EQ(IsSet(rel_, b), expect) << b;
    EXPECT_EQ(PageFlag(rel_, b), expect) << b;  // V5: the flag goes with the bit
  }

  // Both are WAL-logged: after a crash they are back.
  FlushAllWal();
  harness_.Crash();
  EXPECT_EQ(VisibilityMapCountAllVisible(rel_).value(), 5u);
  EXPECT_TRUE(IsSet(rel_, 7));
  EXPECT_TRUE(PageFlag(rel_, 7));
  EXPECT_FALSE(IsSet(rel_, 6));

  storage::Buffer vm = storage::kInvalidBuffer;
  VisibilityMapPin(rel_, BlockNumber(7), &vm);
  EXPECT_TRUE(VisibilityMapClear(rel_, BlockNumber(7), vm));
  EXPECT_FALSE(VisibilityMapClear(rel_, BlockNumber(7), vm));
  // The pin is re-used for another block of the same map page.
  const storage::Buffer same = vm;
  VisibilityMapPin(rel_, BlockNumber(8), &vm);
  EXPECT_EQ(vm, same);
  storage::ReleaseBuffer(vm);
  EXPECT_FALSE(IsSet(rel_, 7));
  EXPECT_EQ(VisibilityMapCountAllVisible(rel_).value(), 4u);
}

// The heap's changes clear the bit and the flag, and their redo does too.
TEST_F(VisibilityMapTest, HeapChangesClearTheBitAlsoInRedo) {
  FillPages(rel_, 3);
  for (uint32_t b = 0; b < 3; ++b) SetBit(rel_, b);
  // Block 1 gets a delete, logged with "all-visible cleared".
  storage::ItemPointer victim;
  transam::StartTransaction();
  {
    HeapScan scan(rel_, transam::GetTransactionSnapshot());
    HeapTupleView v;
    while (scan.Next(&v)) {
      if (v.self.block.value() == 1) {
        victim = v.self;
        break;
      }
    }
  }
  transam::CommitTransaction();
  ASSERT_TRUE(victim.valid());
  harness_.Checkpoint();  // the bits are on disk; the clear is only in WAL
  testing::DeleteCommitted(rel_, victim);
  EXPECT_FALSE(IsSet(rel_, 1));
  EXPECT_FALSE(PageFlag(rel_, 1));
  EXPECT_TRUE(IsSet(rel_, 0));
  FlushAllWal();
  harness_.Crash();
  EXPECT_FALSE(IsSet(rel_, 1));
  EXPECT_FALSE(PageFlag(rel_, 1));
  EXPECT_TRUE(IsSet(rel_, 0));
  EXPECT_TRUE(IsSet(rel_, 2));
}

// An update that had to unlock its old page (TOAST, or no room: HP13) asks hio for room with
// the old page as `other`; when hio picks the old page itself and that page turned all-visible
// meanwhile (VACUUM's second pass), the old page's map page must be pinned in *vm_other: the
// update clears the bit through it inside its critical section.
TEST_F(VisibilityMapTest, HioPinsTheOtherPagesMapWhenTargetIsTheOtherPage) {
  const storage::ItemPointer tid = testing::InsertCommitted(rel_, "row");  // hio target: block 0
  ASSERT_EQ(tid.block.value(), 0u);
  SetBit(rel_, 0);
  ASSERT_TRUE(PageFlag(rel_, 0));
  transam::StartTransaction();
  storage::PinnedBuffer old_page(storage::ReadBuffer(rel_.locator, ForkNumber::kMain, BlockNumber(0)));
  storage::Buffer vm_new = storage::kInvalidBuffer;
  storage::Buffer vm_old = storage::kInvalidBuffer;
  bool new_page = false;
  const storage::Buffer target =
      RelationGetBufferForTuple(rel_, 64, old_page.get(), &vm_new, &vm_old, &new_page);
  EXPECT_EQ(target, old_page.get());
  EXPECT_FALSE(new_page);
  EXPECT_TRUE(VisibilityMapPinOk(rel_, BlockNumber(0), vm_old));
  storage::UnlockBuffer(target);
  if (vm_new != storage::kInvalidBuffer) storage::ReleaseBuffer(vm_new);
  if (vm_old != storage::kInvalidBuffer) storage::ReleaseBuffer(vm_old);
  transam::CommitTransaction();
}

TEST_F(VisibilityMapTest, TruncationKeepsThePrefixAcrossACrash) {
  FillPages(rel_, 12);
  for (uint32_t b = 0; b < 12; ++b) SetBit(rel_, b);
  harness_.Checkpoint();  // all bits on disk: only the truncation's own records can clear them
  VisibilityMapTruncate(rel_, BlockNumber(5));
  EXPECT_EQ(VisibilityMapCountAllVisible(rel_).value(), 5u);
  EXPECT_TRUE(IsSet(rel_, 4));
  EXPECT_FALSE(IsSet(rel_, 5));
  EXPECT_EQ(storage::SmgrNBlocks(rel_.locator, ForkNumber::kVisibilityMap).value(), 1u);
  FlushAllWal();
  harness_.Crash();
  EXPECT_EQ(VisibilityMapCountAllVisible(rel_).value(), 5u);
  EXPECT_FALSE(IsSet(rel_, 11));
  VisibilityMapTruncate(rel_, BlockNumber(0));
  EXPECT_EQ(storage::SmgrNBlocks(rel_.locator, ForkNumber::kVisibilityMap).value(), 0u);
  EXPECT_FALSE(IsSet(rel_, 0));
}

// A torn map page (checksum failure) reads as "nothing all-visible": always safe.
TEST_F(VisibilityMapTest, DamagedMapPageReadsAsNothingSet) {
  FillPages(rel_, 4);
  for (uint32_t b = 0; b < 4; ++b) SetBit(rel_, b);
  harness_.Checkpoint();
  storage::DropRelationAllBuffers(rel_.locator);
  const std::string path = storage::RelationPath(rel_.locator, ForkNumber::kVisibilityMap);
  const int fd = open(path.c_str(), O_RDWR);
  ASSERT_GE(fd, 0);
  std::array<std::byte, 64> junk;
  junk.fill(std::byte{0x77});
  ASSERT_EQ(pwrite(fd, junk.data(), junk.size(), 4000), 64);
  close(fd);
  EXPECT_FALSE(IsSet(rel_, 2));
  EXPECT_EQ(VisibilityMapCountAllVisible(rel_).value(), 0u);
  SetBit(rel_, 2);  // the flag is still set on the heap page, the bit is logged again
  EXPECT_TRUE(IsSet(rel_, 2));
  EXPECT_EQ(VisibilityMapCountAllVisible(rel_).value(), 1u);
}

}  // namespace
}  // namespace keel::access
