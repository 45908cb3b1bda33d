// SLRU machinery through the commit log: segment names, the group-LSN rule (WAL before data)
// at checkpoint and at eviction, truncation and read errors (README.md S1-S9).
#include <gtest/gtest.h>

#include <string>

#include "access/transam/clog.h"
#include "access/transam/clog_test_util.h"
#include "access/transam/slru.h"
#include "access/transam/wal.h"
#include "backend/utils/error/error.h"
#include "storage/file/file_io.h"
#include "storage/lmgr/lwlock.h"

namespace keel::transam {
namespace {

using namespace testing;  // NOLINT

TransactionId FirstXidOfPage(int64_t page) {
  return TransactionId(static_cast<uint64_t>(page) * kClogXidsPerPage);
}

TEST(SlruTest, SegmentNamesAre15HexDigits) {
  ClogTestCluster cluster(4);
  EXPECT_EQ(SlruSegmentPath(ClogCtl(), 0), "xact/000000000000000");
  EXPECT_EQ(SlruSegmentPath(ClogCtl(), 0xA3), "xact/0000000000000A3");
  // S8: the segment of the largest 64-bit xid fits.
  const int64_t last_page = ClogPageOf(TransactionId(UINT64_MAX));
  EXPECT_EQ(SlruSegmentPath(ClogCtl(), last_page / kSlruPagesPerSegment), "xact/0000FFFFFFFFFFF");
}

TEST(SlruTest, FlushAllFlushesWalToGroupLsnFirst) {
  ClogTestCluster cluster(4);
  const TransactionId xid(5);
  ClogExtend(TransactionId(3));
  // An asynchronous commit: its record is inserted but not flushed.
  const Lsn commit_lsn = InsertTestRecord(Pattern(100, 1));
  ASSERT_LT(WalFlushPosition(), commit_lsn);
  TransactionIdSetStatus(xid, XidStatus::kCommitted, commit_lsn);
  EXPECT_FALSE(SlruSegmentExists(ClogCtl(), 0));
  ClogFlushAll();
  EXPECT_TRUE(SlruSegmentExists(ClogCtl(), 0));
  EXPECT_GE(WalFlushPosition(), commit_lsn);  // S5
}

TEST(SlruTest, EvictionFlushesWalToGroupLsnFirst) {
  ClogTestCluster cluster(3);
  ClogExtend(FirstXidOfPage(0));
  const Lsn commit_lsn = InsertTestRecord(Pattern(64, 2));
  TransactionIdSetStatus(TransactionId(7), XidStatus::kCommitted, commit_lsn);
  ASSERT_LT(WalFlushPosition(), commit_lsn);
  // More new pages than buffers: page 0 is the least recently used and gets evicted.
  for (int64_t page = 1; page <= 4; ++page) ClogExtend(FirstXidOfPage(page));
  EXPECT_TRUE(SlruSegmentExists(ClogCtl(), 0));
  EXPECT_GE(WalFlushPosition(), commit_lsn);  // S5
  EXPECT_EQ(TransactionIdGetStatus(TransactionId(7)), XidStatus::kCommitted);  // re-read
}

TEST(SlruTest, TruncateRemovesWholeSegmentsBelowCutoff) {
  ClogTestCluster cluster(4);
  for (int64_t seg = 0; seg < 3; ++seg) {
    const TransactionId xid = FirstXidOfPage(seg * kSlruPagesPerSegment);
    ClogExtend(xid);
    TransactionIdSetStatus(TransactionId(xid.value() + 1), XidStatus::kAborted, kInvalidLsn);
  }
  ClogFlushAll();
  for (int64_t seg = 0; seg < 3; ++seg) EXPECT_TRUE(SlruSegmentExists(ClogCtl(), seg)) << seg;
  // Cutoff in the middle of segment 2: segments 0 and 1 go, 2 stays.
  const TransactionId oldest = FirstXidOfPage(2 * kSlruPagesPerSegment + 5);
  ClogTruncate(oldest);
  EXPECT_FALSE(SlruSegmentExists(ClogCtl(), 0));
  EXPECT_FALSE(SlruSegmentExists(ClogCtl(), 1));
  EXPECT_TRUE(SlruSegmentExists(ClogCtl(), 2));
  EXPECT_EQ(TransactionIdGetStatus(TransactionId(FirstXidOfPage(64).value() + 1)),
            XidStatus::kAborted);
  // The truncated page's buffer was dropped too (S7): reading it now fails.
  EXPECT_THROW((void)TransactionIdGetStatus(TransactionId(1)), Error);
}

TEST(SlruTest, MissingSegmentIsAnError) {
  ClogTestCluster cluster(4);
  const TransactionId xid = FirstXidOfPage(100);
  try {
    (void)TransactionIdGetStatus(xid);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.message()),
              "could not access status of transaction " + std::to_string(xid.value()));
    EXPECT_EQ(e.detail(), "Could not open file \"xact/000000000000003\": No such file or directory.");
    EXPECT_EQ(std::string(e.sqlstate().c_str()), "58P01");
  }
  // The failed read left no half-claimed buffer behind: the page can be zeroed and used.
  ClogExtend(xid);
  TransactionIdSetStatus(xid, XidStatus::kCommitted, kInvalidLsn);
  EXPECT_EQ(TransactionIdGetStatus(xid), XidStatus::kCommitted);
}

TEST(SlruTest, ShortSegmentIsAnError) {
  ClogTestCluster cluster(4);
  ClogExtend(FirstXidOfPage(0));
  ClogFlushAll();  // segment 0 holds page 0 only
  cluster.Restart();
  try {
    (void)TransactionIdGetStatus(FirstXidOfPage(1));
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.detail(),
              "Could not read from file \"xact/000000000000000\" at offset 8192: read too few bytes.");
  }
}

#ifdef KEEL_DEBUG
TEST(SlruTest, FailedWriteKeepsPageDirtyAndRetries) {
  ClogTestCluster cluster(4);
  ClogExtend(TransactionId(3));
  TransactionIdSetStatus(TransactionId(9), XidStatus::kCommitted, kInvalidLsn);
  storage::TestOnlyInjectFault(storage::FaultKind::kEio, "xact/");
  EXPECT_THROW(ClogFlushAll(), Error);
  storage::TestOnlyClearFaults();
  EXPECT_EQ(storage::NumHeldLwLocks(), 0);
  ClogFlushAll();  // the page stayed dirty and is written now
  cluster.Restart();
  EXPECT_EQ(TransactionIdGetStatus(TransactionId(9)), XidStatus::kCommitted);
}

TEST(SlruTest, FailedReadLeavesNoBufferClaimed) {
  ClogTestCluster cluster(2);
  ClogExtend(TransactionId(3));
  TransactionIdSetStatus(TransactionId(9), XidStatus::kAborted, kInvalidLsn);
  ClogFlushAll();
  cluster.Restart();
  storage::TestOnlyInjectFault(storage::FaultKind::kEio, "xact/");
  EXPECT_THROW((void)TransactionIdGetStatus(TransactionId(9)), Error);
  storage::TestOnlyClearFaults();
  EXPECT_EQ(storage::NumHeldLwLocks(), 0);
  EXPECT_EQ(TransactionIdGetStatus(TransactionId(9)), XidStatus::kAborted);
}
#endif

}  // namespace
}  // namespace keel::transam
