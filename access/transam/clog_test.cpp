// The commit log: status round trips across many pages (eviction and re-reads), concurrent
// setters in several processes on one page, durability across a simulated restart, and redo
// of the page-zeroing and truncation records (README.md C1-C5).
#include <gtest/gtest.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "access/transam/clog.h"
#include "access/transam/clog_test_util.h"
#include "access/transam/rmgr.h"
#include "access/transam/slru.h"
#include "access/transam/wal.h"
#include "backend/utils/error/error.h"
#include "storage/ipc/fork_test_util.h"

namespace keel::transam {
namespace {

using namespace testing;  // NOLINT
using storage::testing::ForkChild;
using storage::testing::WaitChild;

// A status that varies with the xid, so neighbours in one byte differ.
XidStatus StatusFor(uint64_t xid) { return static_cast<XidStatus>((xid * 7 + xid / 5) % 4); }

TransactionId FirstXidOfPage(int64_t page) {
  return TransactionId(static_cast<uint64_t>(page) * kClogXidsPerPage);
}

TEST(ClogTest, RoundTripAcrossMorePagesThanBuffers) {
  ClogTestCluster cluster(4);
  constexpr int64_t kPages = 20;
  constexpr uint64_t kPerPage = 300;  // spread over the page: every 109th xid
  for (int64_t page = 0; page < kPages; ++page) {
    ClogExtend(FirstXidOfPage(page));
    for (uint64_t i = 0; i < kPerPage; ++i) {
      const uint64_t xid = FirstXidOfPage(page).value() + i * 109;
      TransactionIdSetStatus(TransactionId(xid), StatusFor(xid), kInvalidLsn);
    }
  }
  // Early pages were evicted to their segment (S4) and are read back from it.
  EXPECT_TRUE(SlruSegmentExists(ClogCtl(), 0));
  for (int64_t page = 0; page < kPages; ++page) {
    for (uint64_t i = 0; i < kPerPage; ++i) {
      const uint64_t xid = FirstXidOfPage(page).value() + i * 109;
      ASSERT_EQ(TransactionIdGetStatus(TransactionId(xid)), StatusFor(xid)) << xid;
      // Unset neighbours stay in progress.
      ASSERT_EQ(TransactionIdGetStatus(TransactionId(xid + 1)), XidStatus::kInProgress) << xid;
    }
  }
}

TEST(ClogTest, ConcurrentSettersOnOnePageKeepNeighbours) {
  ClogTestCluster cluster(4);
  ClogExtend(TransactionId(0));
  constexpr int kChildren = 4;
  constexpr uint64_t kXids = 8192;  // 2048 bytes, each shared by all four children
  std::vector<pid_t> pids;
  for (int c = 0; c < kChildren; ++c) {
    pids.push_back(ForkChild([c] {
      for (int round = 0; round < 3; ++round) {
        for (uint64_t xid = static_cast<uint64_t>(c); xid < kXids; xid += kChildren) {
          // Walk through statuses so the final one is StatusFor(xid).
          const auto status = round < 2 ? static_cast<XidStatus>((xid + round) % 4) : StatusFor(xid);
          TransactionIdSetStatus(TransactionId(xid), status, kInvalidLsn);
        }
      }
      for (uint64_t xid = static_cast<uint64_t>(c); xid < kXids; xid += kChildren) {
        if (TransactionIdGetStatus(TransactionId(xid)) != StatusFor(xid)) return 1;
      }
      return 0;
    }));
  }
  for (const pid_t pid : pids) EXPECT_EQ(WaitChild(pid, 30'000), 0);
  for (uint64_t xid = 0; xid < kXids; ++xid) {
    ASSERT_EQ(TransactionIdGetStatus(TransactionId(xid)), StatusFor(xid)) << xid;
  }
}

TEST(ClogTest, ChildrenReadWhileOthersEvict) {
  ClogTestCluster cluster(3);
  constexpr int64_t kPages = 8;
  for (int64_t page = 0; page < kPages; ++page) {
    ClogExtend(FirstXidOfPage(page));
    for (uint64_t i = 0; i < 64; ++i) {
      const uint64_t xid = FirstXidOfPage(page).value() + i;
      TransactionIdSetStatus(TransactionId(xid), StatusFor(xid), kInvalidLsn);
    }
  }
  std::vector<pid_t> pids;
  for (int c = 0; c < 3; ++c) {
    pids.push_back(ForkChild([c] {
      for (int round = 0; round < 20; ++round) {
        for (int64_t p = 0; p < kPages; ++p) {
          const int64_t page = (p + c * 3 + round) % kPages;
          for (uint64_t i = 0; i < 64; i += 7) {
            const uint64_t xid = FirstXidOfPage(page).value() + i;
            if (TransactionIdGetStatus(TransactionId(xid)) != StatusFor(xid)) return 1;
          }
        }
      }
      return 0;
    }));
  }
  for (const pid_t pid : pids) EXPECT_EQ(WaitChild(pid, 30'000), 0);
}

TEST(ClogTest, FlushedStatusSurvivesRestart) {
  ClogTestCluster cluster(4);
  for (int64_t page = 0; page < 6; ++page) {
    ClogExtend(FirstXidOfPage(page));
    for (uint64_t i = 0; i < 100; ++i) {
      const uint64_t xid = FirstXidOfPage(page).value() + i * 3;
      TransactionIdSetStatus(TransactionId(xid), StatusFor(xid), kInvalidLsn);
    }
  }
  ClogFlushAll();  // S6
  cluster.Restart();
  for (int64_t page = 0; page < 6; ++page) {
    for (uint64_t i = 0; i < 100; ++i) {
      const uint64_t xid = FirstXidOfPage(page).value() + i * 3;
      ASSERT_EQ(TransactionIdGetStatus(TransactionId(xid)), StatusFor(xid)) << xid;
    }
  }
}

TEST(ClogTest, UnflushedPageIsLostOnRestartButRedoZeroesIt) {
  ClogTestCluster cluster(4);
  const TransactionId xid = FirstXidOfPage(40);
  ClogExtend(xid);
  TransactionIdSetStatus(xid, XidStatus::kCommitted, kInvalidLsn);
  WalFlush(WalInsertPosition());
  const ReadResult wal = ReadAll();
  cluster.Restart();
  EXPECT_FALSE(SlruSegmentExists(ClogCtl(), 1));
  EXPECT_THROW((void)TransactionIdGetStatus(xid), Error);
  // C2: redo of the zero-page record recreates the page, on disk.
  EXPECT_EQ(ClogTestCluster::RedoAll(wal), 1);
  EXPECT_TRUE(SlruSegmentExists(ClogCtl(), 1));
  EXPECT_EQ(TransactionIdGetStatus(xid), XidStatus::kInProgress);
  cluster.Restart();
  EXPECT_EQ(TransactionIdGetStatus(xid), XidStatus::kInProgress);
}

TEST(ClogTest, TruncationIsRedone) {
  ClogTestCluster cluster(4);
  for (int64_t seg = 0; seg < 3; ++seg) ClogExtend(FirstXidOfPage(seg * kSlruPagesPerSegment));
  ClogFlushAll();
  ClogTruncate(FirstXidOfPage(2 * kSlruPagesPerSegment));
  const ReadResult wal = ReadAll();  // ClogTruncate flushed the WAL (C4)
  int truncates = 0;
  for (const DecodedRecord& rec : wal.records) {
    if (rec.rmgr != RmgrId::kClog) continue;
    const RmgrOps* ops = GetRmgr(rec.rmgr);
    ASSERT_NE(ops, nullptr);
    EXPECT_STREQ(ops->name, "CLOG");
    if (rec.info == kClogTruncate) {
      ++truncates;
      EXPECT_STREQ(ops->identify(rec.info), "TRUNCATE");
      EXPECT_EQ(ops->describe(rec), "page 64");
    } else {
      EXPECT_STREQ(ops->identify(rec.info), "ZEROPAGE");
    }
  }
  EXPECT_EQ(truncates, 1);
  // Put the removed files back (as if the crash came before the unlink), then redo.
  cluster.Restart();
  for (int64_t seg = 0; seg < 2; ++seg) {
    const std::string path = SlruSegmentPath(ClogCtl(), seg);
    FILE* f = fopen(path.c_str(), "w");
    ASSERT_NE(f, nullptr);
    fclose(f);
  }
  EXPECT_EQ(ClogTestCluster::RedoAll(wal), 4);
  EXPECT_FALSE(SlruSegmentExists(ClogCtl(), 0));
  EXPECT_FALSE(SlruSegmentExists(ClogCtl(), 1));
  EXPECT_TRUE(SlruSegmentExists(ClogCtl(), 2));
}

}  // namespace
}  // namespace keel::transam
