// Crash during DDL: a forked backend runs CREATE TABLE, fills the table and runs CREATE INDEX
// (a build over 30000 rows), committing after each; the harness crashes at a random moment
// (simulated kill -9 of everything + recovery). Afterwards the catalogs are consistent (every
// catalog index matches its heap, no relation without its pg_attribute / pg_type / pg_index
// rows, no orphan rows) and the statements can be repeated. README.md ("Tests").
#include <gtest/gtest.h>

#include <chrono>
#include <random>
#include <thread>

#include "backend/commands/table_test_util.h"

namespace keel::commands {
namespace {

using namespace keel::commands::testing;  // NOLINT: test helpers

class DdlCrashTest : public TableTest {};

int RunDdl(int round) {
  const std::string name = "big" + std::to_string(round);
  transam::StartTransaction();
  catalog::NoticeList notices;
  CreateStmt s = Table(name, {Col("a", Type("int4")), Col("b", Type("text"))});
  s.if_not_exists = true;
  Oid t = CreateTable(s, &notices);
  if (t == kInvalidOid) t = catalog::GetRelnameRelid(name, Oid(catalog::kPublicNamespace));
  InsertRows(t, 1, 30000);
  transam::CommitTransaction();
  transam::StartTransaction();
  IndexStmt ix = Index(name + "_a", name, {"a"});
  ix.if_not_exists = true;
  (void)CreateIndex(ix, &notices);
  transam::CommitTransaction();
  transam::StartTransaction();
  CreateStmt k = Table(name + "_k", {Col("k", Type("int4"), {Con(ConstrType::kPrimary)})});
  k.if_not_exists = true;
  (void)CreateTable(k, &notices);
  transam::CommitTransaction();
  return 0;
}

TEST_F(DdlCrashTest, CrashDuringCreateTableAndIndexLeavesConsistentCatalogs) {
  std::mt19937 rng(std::random_device{}());
  for (int round = 0; round < 4; ++round) {
    const pid_t child = harness_.ForkBackend([round] { return RunDdl(round); });
    std::this_thread::sleep_for(std::chrono::milliseconds(std::uniform_int_distribution<int>(50, 1500)(rng)));
    harness_.Crash();  // kills the child wherever it is
    (void)cache::AcceptInvalidationMessages();
    transam::StartTransaction();
    EXPECT_EQ(CheckCatalogConsistency(), "") << "round " << round;
    // Whatever was committed is complete and usable.
    const std::string name = "big" + std::to_string(round);
    const Oid t = catalog::GetRelnameRelid(name, Oid(catalog::kPublicNamespace));
    if (t != kInvalidOid) {
      EXPECT_EQ(CountTableRows(t), 30000u);
      const Oid idx = catalog::GetRelnameRelid(name + "_a", Oid(catalog::kPublicNamespace));
      if (idx != kInvalidOid) {
        EXPECT_EQ(IndexLookup(idx, 777), std::vector<int32_t>{777});
      }
    }
    transam::CommitTransaction();
    (void)child;
    // The statements can be repeated (IF NOT EXISTS for what committed) and complete.
    const pid_t again = harness_.ForkBackend([round] {
      (void)cache::AcceptInvalidationMessages();
      return RunDdl(round);
    });
    EXPECT_EQ(harness_.Wait(again, 120000), 0);
    (void)cache::AcceptInvalidationMessages();
    transam::StartTransaction();
    EXPECT_EQ(CheckCatalogConsistency(), "") << "round " << round << " after repeat";
    transam::CommitTransaction();
  }
}

}  // namespace
}  // namespace keel::commands
