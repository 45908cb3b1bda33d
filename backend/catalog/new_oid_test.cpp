// New oids over bootstrapped catalogs (ServerHarness): GetNewOidWithIndex skips every oid its
// oid index holds — committed, deleted, aborted, or inserted by a transaction still running in
// another process — and GetNewRelFileNumber also skips existing files (in base/ or global/).
// README.md ("Object ids"; access/transam "The oid counter").
#include "backend/catalog/new_oid.h"

#include <gtest/gtest.h>

#include <fcntl.h>
#include <unistd.h>

#include <string>

#include "access/transam/transam.h"
#include "access/transam/xact.h"
#include "backend/catalog/catalog_defs.h"
#include "backend/catalog/catalog_lookup.h"
#include "backend/catalog/catalog_relation.h"
#include "backend/catalog/catalog_test_util.h"
#include "backend/catalog/catalog_values.h"
#include "backend/catalog/catalog_write.h"
#include "backend/utils/error/error.h"
#include "storage/page/item_pointer.h"
#include "tests/server/server_harness.h"

namespace keel::catalog {
namespace {

using keel::testing::ServerHarness;
constexpr Oid kDb{keel::testing::kTestDb};
constexpr int kWaitMs = 30'000;

const CatalogRelation& Namespaces() { return OpenCatalog(catalog_oid::kPgNamespace, kDb); }

storage::ItemPointer InsertNamespace(uint32_t oid) {
  const CatalogRelation& cat = Namespaces();
  CatalogRowBuilder row(*cat.def, cat.desc);
  row.Oid("oid", oid)
      .Name("nspname", "ns" + std::to_string(oid))
      .Oid("nspowner", kBootstrapSuperuser)
      .Null("nspacl");
  return CatalogInsert(cat, row);
}

class NewOidTest : public ::testing::Test {
 protected:
  void SetUp() override { (void)catalog::testing::BootstrapTestDatabase(); }

  ServerHarness harness_;
};

TEST_F(NewOidTest, GetNewOidWithIndexSkipsEveryVersionInTheIndex) {
  constexpr uint32_t kBase = 20000;
  // kBase: committed. kBase + 1: committed, then deleted. kBase + 2: aborted.
  transam::StartTransaction();
  (void)InsertNamespace(kBase);
  const storage::ItemPointer doomed = InsertNamespace(kBase + 1);
  transam::CommitTransaction();
  transam::StartTransaction();
  CatalogDelete(Namespaces(), doomed);
  transam::CommitTransaction();
  transam::StartTransaction();
  (void)InsertNamespace(kBase + 2);
  transam::AbortTransaction();
  // kBase + 3: inserted by another process whose transaction is still running.
  int ready[2], release[2];
  ASSERT_EQ(pipe(ready), 0);
  ASSERT_EQ(pipe(release), 0);
  const pid_t child = harness_.ForkBackend([&] {
    transam::StartTransaction();
    (void)InsertNamespace(kBase + 3);
    char c = 1;
    if (write(ready[1], &c, 1) != 1 || read(release[0], &c, 1) != 1) return 2;
    transam::AbortTransaction();
    return 0;
  });
  char c = 0;
  ASSERT_EQ(read(ready[0], &c, 1), 1);

  transam::SetNextObjectId(Oid(kBase));
  transam::StartTransaction();
  EXPECT_EQ(GetNewOidWithIndex(Namespaces()), Oid(kBase + 4));
  EXPECT_EQ(GetNewOidWithIndex(Namespaces()), Oid(kBase + 5)) << "the counter moved on";
  transam::CommitTransaction();
  ASSERT_EQ(write(release[1], &c, 1), 1);
  EXPECT_EQ(harness_.Wait(child, kWaitMs), 0);
  for (int fd : {ready[0], ready[1], release[0], release[1]}) close(fd);

  // An oid not in this catalog is taken as is.
  transam::SetNextObjectId(Oid(kBase + 100));
  transam::StartTransaction();
  EXPECT_EQ(GetNewOidWithIndex(Namespaces()), Oid(kBase + 100));
  // A catalog without an oid column has no oid index.
  EXPECT_THROW((void)GetNewOidWithIndex(OpenCatalog(catalog_oid::kPgIndex, kDb)), Error);
  transam::CommitTransaction();
}

TEST_F(NewOidTest, GetNewRelFileNumberSkipsExistingFiles) {
  constexpr uint32_t kBase = 30000;
  // kBase: a file of that name exists (a relation dropped since the last checkpoint keeps its
  // name, storage/smgr SM5). Skipping pg_class oids is GetNewOidWithIndex's test above.
  const std::string file = "base/" + std::to_string(kDb.value()) + "/" + std::to_string(kBase);
  const int fd = open(file.c_str(), O_WRONLY | O_CREAT | O_EXCL, 0600);
  ASSERT_GE(fd, 0);
  close(fd);
  transam::SetNextObjectId(Oid(kBase));
  transam::StartTransaction();
  const Oid first = GetNewRelFileNumber(Oid(kDefaultTablespace), kDb);
  EXPECT_EQ(first, Oid(kBase + 1));
  transam::CommitTransaction();
  // A shared relation's file lives in global/: a file there counts, one in base/ does not.
  const int gfd = open(("global/" + std::to_string(kBase + 2)).c_str(),
                       O_WRONLY | O_CREAT | O_EXCL, 0600);
  ASSERT_GE(gfd, 0);
  close(gfd);
  transam::StartTransaction();
  EXPECT_EQ(GetNewRelFileNumber(Oid(kGlobalTablespace), kDb), Oid(kBase + 3));
  transam::CommitTransaction();
}

}  // namespace
}  // namespace keel::catalog
