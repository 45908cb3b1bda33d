// Commit timestamps: round trip across pages with eviction, durability across a restart,
// unset entries, tracking off, redo of zeroing and truncation (README.md T1-T4).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "access/transam/clog_test_util.h"
#include "access/transam/commit_ts.h"
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

constexpr int64_t kEpoch2026Us = 1'780'000'000'000'000;

int64_t TimeFor(uint64_t xid) { return kEpoch2026Us + static_cast<int64_t>(xid * 1'000'003 % 86'400'000'000); }

TransactionId FirstXidOfPage(int64_t page) {
  return TransactionId(static_cast<uint64_t>(page) * kCommitTsXidsPerPage);
}

TEST(CommitTsTest, RoundTripAcrossMorePagesThanBuffers) {
  ClogTestCluster cluster(4);
  constexpr int64_t kPages = 40;
  for (int64_t page = 0; page < kPages; ++page) {
    CommitTsExtend(FirstXidOfPage(page));
    for (uint64_t i = 0; i < kCommitTsXidsPerPage; i += 5) {
      const uint64_t xid = FirstXidOfPage(page).value() + i;
      CommitTsSet(TransactionId(xid), TimeFor(xid));
    }
  }
  EXPECT_TRUE(SlruSegmentExists(CommitTsCtl(), 0));
  EXPECT_EQ(SlruSegmentPath(CommitTsCtl(), 1), "committs/000000000000001");
  for (int64_t page = 0; page < kPages; ++page) {
    for (uint64_t i = 0; i < kCommitTsXidsPerPage; ++i) {
      const uint64_t xid = FirstXidOfPage(page).value() + i;
      const std::optional<int64_t> got = CommitTsGet(TransactionId(xid));
      if (i % 5 == 0) {
        ASSERT_TRUE(got.has_value()) << xid;
        ASSERT_EQ(*got, TimeFor(xid)) << xid;
      } else {
        ASSERT_FALSE(got.has_value()) << xid;  // T2
      }
    }
  }
}

TEST(CommitTsTest, SettersInSeveralProcessesAndRestart) {
  ClogTestCluster cluster(4);
  for (int64_t page = 0; page < 6; ++page) CommitTsExtend(FirstXidOfPage(page));
  const uint64_t xids = 6 * kCommitTsXidsPerPage;
  std::vector<pid_t> pids;
  for (int c = 0; c < 3; ++c) {
    pids.push_back(ForkChild([c, xids] {
      for (uint64_t xid = static_cast<uint64_t>(c); xid < xids; xid += 3) {
        CommitTsSet(TransactionId(xid), TimeFor(xid));
      }
      return 0;
    }));
  }
  for (const pid_t pid : pids) EXPECT_EQ(WaitChild(pid, 30'000), 0);
  CommitTsFlushAll();
  cluster.Restart();
  for (uint64_t xid = 0; xid < xids; ++xid) {
    const std::optional<int64_t> got = CommitTsGet(TransactionId(xid));
    ASSERT_TRUE(got.has_value()) << xid;
    ASSERT_EQ(*got, TimeFor(xid)) << xid;
  }
}

TEST(CommitTsTest, TrackingOffIsAnError) {
  ClogTestCluster cluster(4);
  CommitTsExtend(TransactionId(3));
  track_commit_timestamp = false;
  CommitTsSet(TransactionId(4), 12345);  // ignored
  try {
    (void)CommitTsGet(TransactionId(4));
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.message(), "could not get commit timestamp data");
    EXPECT_EQ(std::string(e.sqlstate().c_str()), "55000");
  }
  track_commit_timestamp = true;
  EXPECT_FALSE(CommitTsGet(TransactionId(4)).has_value());
}

TEST(CommitTsTest, ZeroingAndTruncationAreRedone) {
  ClogTestCluster cluster(4);
  for (int64_t seg = 0; seg < 3; ++seg) CommitTsExtend(FirstXidOfPage(seg * kSlruPagesPerSegment));
  const TransactionId late = FirstXidOfPage(2 * kSlruPagesPerSegment + 1);
  CommitTsExtend(late);
  CommitTsSet(late, 777);
  CommitTsTruncate(FirstXidOfPage(2 * kSlruPagesPerSegment));
  EXPECT_FALSE(SlruSegmentExists(CommitTsCtl(), 0));
  EXPECT_EQ(CommitTsGet(late), 777);
  const ReadResult wal = ReadAll();
  cluster.Restart();  // nothing of committs/ was flushed except through eviction
  EXPECT_EQ(ClogTestCluster::RedoAll(wal), 5);
  EXPECT_FALSE(SlruSegmentExists(CommitTsCtl(), 0));
  EXPECT_FALSE(SlruSegmentExists(CommitTsCtl(), 1));
  EXPECT_TRUE(SlruSegmentExists(CommitTsCtl(), 2));
  // The pages exist again, zeroed: the timestamp set after the zeroing was not logged.
  EXPECT_FALSE(CommitTsGet(late).has_value());
  for (const DecodedRecord& rec : wal.records) {
    if (rec.rmgr != RmgrId::kCommitTs) continue;
    EXPECT_STREQ(GetRmgr(rec.rmgr)->name, "CommitTs");
    EXPECT_NE(GetRmgr(rec.rmgr)->identify(rec.info), nullptr);
  }
}

}  // namespace
}  // namespace keel::transam
