// The per-process insert target (hio.cpp) against relation files that are dropped and whose
// relfilenumber comes back: the cached block of the old file must not be used for the new one.
// README.md ("Inserting", HP17).
#include "access/heap/hio.h"

#include <gtest/gtest.h>

#include <string>

#include "access/heap/heap_test_util.h"
#include "access/heap/heapam.h"
#include "access/transam/pending_deletes.h"
#include "access/transam/xact.h"
#include "storage/smgr/smgr.h"
#include "tests/server/server_harness.h"

namespace keel::access {
namespace {

using keel::testing::ServerHarness;
using testing::InsertCommitted;

// Creates the relation's storage the way CREATE TABLE does (pending deletes, not
// HeapCreateStorage, which also forgets the insert target).
void CreateLikeCatalog(const Relation& rel) {
  transam::StartTransaction();
  transam::RelationCreateStorage(rel.locator, transam::RelPersistence::kPermanent);
  transam::CommitTransaction();
}

void DropLikeCatalog(const Relation& rel) {
  transam::StartTransaction();
  transam::RelationDropStorage(rel.locator);
  transam::CommitTransaction();
}

// Fills the relation past its first page; returns the last insert's block.
uint32_t Fill(const Relation& rel) {
  const std::string payload(500, 'x');
  uint32_t last = 0;
  for (int i = 0; i < 60; ++i) last = InsertCommitted(rel, payload).block.value();
  return last;
}

TEST(HioTest, ReusedRelfilenumberAfterDropAndCheckpoint) {
  ServerHarness harness;
  Relation rel = ServerHarness::TestRelation(30001);
  HioForgetRelation(rel.locator);  // an earlier test of this process may have used the number
  CreateLikeCatalog(rel);
  ASSERT_GT(Fill(rel), 1u) << "the cached target must be past the new file's end";
  DropLikeCatalog(rel);
  harness.Checkpoint();  // SM5: the main fork's name goes now, so the number is free again
  ASSERT_FALSE(storage::SmgrExists(rel.locator, ForkNumber::kMain));
  CreateLikeCatalog(rel);  // the same relfilenumber, as a new table could get it
  const storage::ItemPointer tid = InsertCommitted(rel, "after");
  EXPECT_EQ(tid.block.value(), 0u);
  EXPECT_EQ(storage::SmgrNBlocks(rel.locator, ForkNumber::kMain).value(), 1u);
}

TEST(HioTest, ReusedRelfilenumberAfterAbortedCreate) {
  ServerHarness harness;
  Relation rel = ServerHarness::TestRelation(30002);
  HioForgetRelation(rel.locator);
  // Created and filled by a transaction that rolls back: its files go at abort.
  transam::StartTransaction();
  transam::RelationCreateStorage(rel.locator, transam::RelPersistence::kPermanent);
  const std::string payload(500, 'y');
  for (int i = 0; i < 60; ++i) {
    HeapTuple t = testing::MakeTuple(payload);
    (void)HeapInsert(rel, t, transam::GetCurrentCommandId(true));
  }
  transam::AbortTransaction();
  harness.Checkpoint();
  CreateLikeCatalog(rel);
  EXPECT_EQ(InsertCommitted(rel, "after").block.value(), 0u);
}

// The same relfilenumber in a new server of this process (embedded mode, the test harness):
// a fresh pool's relation-drop count starts again at zero, so the count alone cannot tell the
// cached block is stale. Creating the file (and closing all files with the old server) must
// forget it.
TEST(HioTest, ReusedRelfilenumberInANewServerOfThisProcess) {
  Relation rel = ServerHarness::TestRelation(30003);
  HioForgetRelation(rel.locator);
  {
    ServerHarness first;
    CreateLikeCatalog(rel);
    ASSERT_GT(Fill(rel), 1u);
  }
  ServerHarness second;
  CreateLikeCatalog(rel);
  EXPECT_EQ(InsertCommitted(rel, "after").block.value(), 0u);
}

}  // namespace
}  // namespace keel::access
