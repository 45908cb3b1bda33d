// Tests of the per-table activity counters: publication at transaction end with commit and
// rollback semantics, VACUUM reports, several processes counting into one entry, and the
// tracked-table limit.
#include "backend/utils/activity/table_stats.h"

#include <gtest/gtest.h>

#include "storage/ipc/fork_test_util.h"
#include "storage/ipc/process_context.h"
#include "storage/ipc/shmem.h"
#include "storage/lmgr/lwlock.h"

namespace keel::stats {
namespace {

class TableStatsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    storage::InitProcessContext(storage::ProcessRole::kStandalone);
    storage::ShmemCreate(TableStatsShmemSize() + (1 << 16));
    TableStatsShmemInit();
  }
  void TearDown() override {
    storage::ReleaseAllLwLocks();
    storage::ShmemDestroy();
  }
};

TableRef Table(uint32_t id) {
  static thread_local std::string name;
  name = "t" + std::to_string(id);
  return TableRef{Oid(5), Oid(id), RelFileLocator{Oid(1663), Oid(5), Oid(id)}, name};
}

TEST_F(TableStatsTest, NothingIsPublishedBeforeTransactionEnd) {
  CountTupleInserted(Table(1));
  TableStats s;
  EXPECT_FALSE(GetTableStats(Oid(5), Oid(1), &s));
  AtTransactionEndTableStats(true);
  ASSERT_TRUE(GetTableStats(Oid(5), Oid(1), &s));
  EXPECT_EQ(s.tuples_inserted, 1u);
  EXPECT_EQ(s.identity.name, "t1");
  EXPECT_EQ(s.identity.locator, Table(1).locator);
}

TEST_F(TableStatsTest, CommitAndRollbackAccountLiveAndDeadTuples) {
  for (int i = 0; i < 10; ++i) CountTupleInserted(Table(1));
  AtTransactionEndTableStats(true);
  for (int i = 0; i < 3; ++i) CountTupleUpdated(Table(1), /*hot=*/i == 0);
  for (int i = 0; i < 2; ++i) CountTupleDeleted(Table(1));
  AtTransactionEndTableStats(true);
  for (int i = 0; i < 4; ++i) CountTupleInserted(Table(1));
  CountTupleUpdated(Table(1), false);
  AtTransactionEndTableStats(false);
  TableStats s;
  ASSERT_TRUE(GetTableStats(Oid(5), Oid(1), &s));
  EXPECT_EQ(s.live_tuples, 10 - 2);
  EXPECT_EQ(s.dead_tuples, 3 + 2 + 4 + 1);  // old versions, deleted rows, rolled-back work
  EXPECT_EQ(s.tuples_inserted, 14u);
  EXPECT_EQ(s.tuples_updated, 4u);
  EXPECT_EQ(s.tuples_hot_updated, 1u);
  EXPECT_EQ(s.tuples_deleted, 2u);
  EXPECT_EQ(s.changes_since_vacuum, 10u + 5u + 5u);
  EXPECT_EQ(s.inserts_since_vacuum, 10u);
}

TEST_F(TableStatsTest, VacuumReportResetsDeadAndChangeCounts) {
  for (int i = 0; i < 5; ++i) CountTupleDeleted(Table(2));
  AtTransactionEndTableStats(true);
  ReportVacuum(Table(2), 95, 1, /*autovacuum=*/true);
  TableStats s;
  ASSERT_TRUE(GetTableStats(Oid(5), Oid(2), &s));
  EXPECT_EQ(s.live_tuples, 95);
  EXPECT_EQ(s.dead_tuples, 1);
  EXPECT_EQ(s.changes_since_vacuum, 0u);
  EXPECT_EQ(s.autovacuum_count, 1u);
  EXPECT_EQ(s.vacuum_count, 0u);
  EXPECT_GT(s.last_autovacuum_us, 0);
  EXPECT_EQ(s.last_vacuum_us, 0);
}

TEST_F(TableStatsTest, ProcessesCountIntoTheSameEntry) {
  constexpr int kChildren = 4;
  constexpr int kPerChild = 500;
  pid_t pids[kChildren];
  for (pid_t& pid : pids) {
    pid = storage::testing::ForkChild([] {
      for (int txn = 0; txn < kPerChild; ++txn) {
        CountTupleInserted(Table(3));
        CountTupleInserted(Table(4 + txn % 50));  // new entries claimed concurrently
        AtTransactionEndTableStats(true);
      }
      return 0;
    });
  }
  for (pid_t pid : pids) EXPECT_EQ(storage::testing::WaitChild(pid), 0);
  TableStats s;
  ASSERT_TRUE(GetTableStats(Oid(5), Oid(3), &s));
  EXPECT_EQ(s.tuples_inserted, static_cast<uint64_t>(kChildren * kPerChild));
  EXPECT_EQ(AllTableStats().size(), 51u);  // one entry per table however many claimed it
}

TEST_F(TableStatsTest, TablesBeyondTheLimitAreNotTracked) {
  for (int i = 0; i < kMaxTrackedTables + 10; ++i) {
    CountTupleInserted(Table(100 + static_cast<uint32_t>(i)));
  }
  AtTransactionEndTableStats(true);
  EXPECT_EQ(AllTableStats().size(), static_cast<size_t>(kMaxTrackedTables));
}

}  // namespace
}  // namespace keel::stats
