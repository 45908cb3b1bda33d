// The kHeap WAL records as keel-waldump shows them: each operation writes the record it should
// (INSERT+INIT on a fresh page, HOT_UPDATE, UPDATE, DELETE, LOCK) with PostgreSQL-style
// descriptions. README.md ("WAL records").
#include "access/heap/heap_wal.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "access/heap/heap_test_util.h"
#include "access/heap/heapam.h"
#include "access/transam/wal.h"
#include "access/transam/wal_reader.h"
#include "access/transam/xact.h"
#include "tests/server/server_harness.h"

namespace keel::access {
namespace {

using keel::testing::ServerHarness;
using testing::MakeTuple;

TEST(HeapWalTest, RecordsAndDescriptions) {
  ServerHarness harness;
  const Relation rel = testing::CreateTestHeap(16384);
  const Lsn start = transam::WalInsertPosition();
  transam::StartTransaction();
  HeapTuple a = MakeTuple("a");
  const storage::ItemPointer ta = HeapInsert(rel, a, transam::GetCurrentCommandId(true));
  HeapTuple b = MakeTuple("b");
  const storage::ItemPointer tb = HeapInsert(rel, b, transam::GetCurrentCommandId(true));
  transam::CommitTransaction();
  transam::StartTransaction();
  TmFailureData f;
  bool hot = false;
  HeapTuple a2 = MakeTuple("a2");
  ASSERT_EQ(HeapUpdate(rel, ta, a2, transam::GetCurrentCommandId(true), nullptr, true, &f, true, &hot),
            TmResult::kOk);
  HeapTuple b2 = MakeTuple("b2");
  ASSERT_EQ(HeapUpdate(rel, tb, b2, transam::GetCurrentCommandId(true), nullptr, true, &f, false, &hot),
            TmResult::kOk);
  transam::CommandCounterIncrement();
  ASSERT_EQ(HeapLockTuple(rel, a2.self, transam::GetCurrentCommandId(false), RowLockMode::kShare,
                          LockWaitPolicy::kBlock, nullptr, &f),
            TmResult::kOk);
  ASSERT_EQ(HeapDelete(rel, b2.self, transam::GetCurrentCommandId(true), nullptr, true, &f),
            TmResult::kOk);
  transam::CommitTransaction();
  transam::WalFlush(transam::WalInsertPosition());

  std::vector<std::string> lines;
  transam::WalReader reader(harness.dir() + "/wal", start);
  while (auto rec = reader.Next()) {
    if (rec->rmgr != transam::RmgrId::kHeap) continue;
    const transam::RmgrOps* ops = transam::GetRmgr(rec->rmgr);
    ASSERT_NE(ops, nullptr);
    EXPECT_STREQ(ops->name, "Heap");
    lines.push_back(std::string(ops->identify(rec->info)) + ": " + ops->describe(*rec));
  }
  ASSERT_EQ(lines.size(), 6u);
  EXPECT_EQ(lines[0], "INSERT+INIT: off 1 flags 0x00");
  EXPECT_EQ(lines[1], "INSERT: off 2 flags 0x00");
  EXPECT_EQ(lines[2].rfind("HOT_UPDATE: off 1 xmax ", 0), 0u) << lines[2];
  EXPECT_NE(lines[2].find("; new off 3 xmax 0"), std::string::npos) << lines[2];
  EXPECT_EQ(lines[3].rfind("UPDATE: off 2 xmax ", 0), 0u) << lines[3];
  EXPECT_NE(lines[3].find("KEYS_UPDATED ; new off 4 xmax 0"), std::string::npos) << lines[3];
  EXPECT_EQ(lines[4].rfind("LOCK: off 3: xid ", 0), 0u) << lines[4];
  EXPECT_NE(lines[4].find("SHR_LOCK LOCK_ONLY"), std::string::npos) << lines[4];
  EXPECT_EQ(lines[5], "DELETE: off 4 flags 0x00 KEYS_UPDATED");
  EXPECT_EQ(HeapIdentify(0x7F), nullptr);
}

}  // namespace
}  // namespace keel::access
