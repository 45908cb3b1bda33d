// Catalog writes in a real server (ServerHarness): inserts, updates and deletes found (or no
// longer found) through every index of every catalog with rows, the errors of conflicting
// changes, and the invalidation messages each change registers (C13, C17). README.md.
#include "backend/catalog/catalog_write.h"

#include <gtest/gtest.h>
#include <sys/mman.h>

#include <algorithm>
#include <atomic>
#include <new>
#include <optional>
#include <string>
#include <vector>

#include "access/common/heap_form.h"
#include "access/transam/xact.h"
#include "backend/catalog/builtin_types.h"
#include "backend/catalog/catalog_defs.h"
#include "backend/catalog/catalog_lookup.h"
#include "backend/catalog/catalog_relation.h"
#include "backend/catalog/catalog_test_util.h"
#include "backend/catalog/catalog_values.h"
#include "backend/utils/cache/catcache_hash.h"
#include "backend/utils/cache/inval.h"
#include "backend/utils/cache/syscache_ids.h"
#include "backend/utils/error/error.h"
#include "storage/ipc/fork_test_util.h"
#include "storage/ipc/sinval.h"
#include "tests/server/server_harness.h"

namespace keel::catalog {
namespace {

using keel::testing::ServerHarness;
using storage::SharedInvalidationMessage;
constexpr Oid kDb{keel::testing::kTestDb};

const CatalogRelation& Cat(uint32_t oid) { return OpenCatalog(oid, kDb); }

// Catalogs the bootstrap fills: each gets rows inserted, updated and deleted generically.
constexpr uint32_t kCatalogsWithRows[] = {
    catalog_oid::kPgClass,     catalog_oid::kPgAttribute, catalog_oid::kPgIndex,
    catalog_oid::kPgType,      catalog_oid::kPgNamespace, catalog_oid::kPgAm,
    catalog_oid::kPgTablespace, catalog_oid::kPgCollation, catalog_oid::kPgDatabase,
    catalog_oid::kPgAuthid};

bool IsIndexKeyColumn(const CatalogDef& def, const std::string_view column) {
  for (const CatalogIndexDef& idx : def.indexes) {
    for (int k = 0; k < idx.nkeys; ++k) {
      if (idx.keys[k] == column) return true;
    }
  }
  return false;
}

// A copy of `row` whose oid and name index key columns get values no bootstrap row has
// (`tag` makes them distinct between calls), so every index key of the result is new.
CatalogRowBuilder Mutated(const CatalogRelation& cat, const access::HeapTuple& row, int tag) {
  CatalogRowBuilder b(*cat.def, cat.desc);
  b.From(row);
  for (const CatalogColumn& c : cat.def->columns) {
    if (!IsIndexKeyColumn(*cat.def, c.name)) continue;
    if (c.type_oid == type::kOid) b.Oid(c.name, 900000u + static_cast<uint32_t>(tag) * 10u);
    if (c.type_oid == type::kName) b.Name(c.name, "cw_" + std::to_string(tag));
  }
  return b;
}

// The rows an index returns for the full key of `row`.
std::vector<access::HeapTuple> FindByIndex(const CatalogRelation& cat, const CatalogIndex& idx,
                                           const access::HeapTuple& row) {
  std::vector<access::Datum> keys;
  for (int col : idx.heap_columns) {
    bool isnull = false;
    keys.push_back(access::HeapGetAttr(cat.desc, row.header(), row.size(), col, &isnull));
  }
  return CatalogIndexScan(cat, idx.def->oid, keys, transam::GetLatestSnapshot());
}

bool SameTid(const storage::ItemPointer& a, const storage::ItemPointer& b) {
  return a.block == b.block && a.offset == b.offset;
}

// Every index finds exactly `tid` by `row`'s key.
void ExpectFoundEverywhere(const CatalogRelation& cat, const access::HeapTuple& row,
                           storage::ItemPointer tid) {
  for (const auto& idx : cat.indexes) {
    std::vector<access::HeapTuple> found = FindByIndex(cat, *idx, row);
    // Non-unique indexes may hold bootstrap rows with the same key (none do for the mutated
    // columns); the new row must be among them exactly once.
    const auto n = std::count_if(found.begin(), found.end(),
                                 [&](const access::HeapTuple& r) { return SameTid(r.self, tid); });
    EXPECT_EQ(n, 1) << idx->def->name;
    if (idx->def->unique) {
      EXPECT_EQ(found.size(), 1u) << idx->def->name;
    }
  }
}

// No index finds `tid` (nor anything else with a unique key equal to `row`'s).
void ExpectFoundNowhere(const CatalogRelation& cat, const access::HeapTuple& row,
                        storage::ItemPointer tid) {
  for (const auto& idx : cat.indexes) {
    for (const access::HeapTuple& r : FindByIndex(cat, *idx, row)) {
      EXPECT_FALSE(SameTid(r.self, tid)) << idx->def->name;
    }
    if (idx->def->unique) {
      EXPECT_TRUE(FindByIndex(cat, *idx, row).empty()) << idx->def->name;
    }
  }
}

// The catalog-row messages a row of `cat` must cause: one per cache over the catalog (C17).
std::vector<SharedInvalidationMessage> RowMessages(const CatalogRelation& cat,
                                                   const access::HeapTuple& row) {
  std::vector<SharedInvalidationMessage> out;
  for (const cache::SysCacheDef& def : cache::kSysCacheDefs) {
    if (def.catalog_oid != cat.def->oid) continue;
    out.push_back(storage::MakeCatalogRowInval(cache::SysCacheMessageId(def.id),
                                               cache::CatalogRowHash(def.id, cat, row),
                                               cat.rel.db));
  }
  return out;
}

bool Contains(const std::vector<SharedInvalidationMessage>& msgs,
              const SharedInvalidationMessage& m) {
  return std::find(msgs.begin(), msgs.end(), m) != msgs.end();
}

size_t CountRowMessages(const std::vector<SharedInvalidationMessage>& msgs) {
  return static_cast<size_t>(std::count_if(msgs.begin(), msgs.end(),
                                           [](const auto& m) { return m.IsCatalogRow(); }));
}

class CatalogWriteTest : public ::testing::Test {
 protected:
  void SetUp() override { (void)catalog::testing::BootstrapTestDatabase(); }
  // A failed assertion may leave a transaction open: the next test starts clean.
  void TearDown() override {
    if (transam::IsTransactionActive()) transam::AbortTransaction();
  }

  ServerHarness harness_;
};

// C13 + C17 for every catalog with rows: an inserted row is found through every index with
// its key, an update moves it to the new key in every index and away from the old one, a
// delete removes it; each change registers a message per cache for the old and the new key.
TEST_F(CatalogWriteTest, InsertUpdateDeleteThroughEveryIndex) {
  int tag = 0;
  for (uint32_t catalog : kCatalogsWithRows) {
    const CatalogRelation& cat = Cat(catalog);
    SCOPED_TRACE(std::string(cat.def->name));
    transam::StartTransaction();
    const std::vector<access::HeapTuple> rows = CatalogSeqScan(cat, transam::GetLatestSnapshot());
    ASSERT_FALSE(rows.empty());

    // Insert.
    const CatalogRowBuilder first = Mutated(cat, rows.front(), ++tag);
    const access::HeapTuple inserted_row = first.Form();
    const storage::ItemPointer tid1 = CatalogInsert(cat, first);
    std::vector<SharedInvalidationMessage> msgs = cache::PendingInvalidationMessages();
    const std::vector<SharedInvalidationMessage> expect_insert = RowMessages(cat, inserted_row);
    for (const auto& m : expect_insert) EXPECT_TRUE(Contains(msgs, m));
    EXPECT_EQ(CountRowMessages(msgs), expect_insert.size());
    transam::CommandCounterIncrement();
    ExpectFoundEverywhere(cat, inserted_row, tid1);

    // Update: new key everywhere, the old key nowhere.
    const CatalogRowBuilder second = Mutated(cat, rows.front(), ++tag);
    const access::HeapTuple updated_row = second.Form();
    const size_t before = cache::PendingInvalidationMessages().size();
    const storage::ItemPointer tid2 = CatalogUpdate(cat, tid1, second);
    msgs = cache::PendingInvalidationMessages();
    const std::vector<SharedInvalidationMessage> change(msgs.begin() + static_cast<long>(before),
                                                        msgs.end());
    for (const auto& m : RowMessages(cat, inserted_row)) EXPECT_TRUE(Contains(change, m));
    for (const auto& m : RowMessages(cat, updated_row)) EXPECT_TRUE(Contains(change, m));
    EXPECT_EQ(CountRowMessages(change), 2 * expect_insert.size());
    transam::CommandCounterIncrement();
    ExpectFoundEverywhere(cat, updated_row, tid2);
    ExpectFoundNowhere(cat, inserted_row, tid1);

    // Delete.
    const size_t before_delete = cache::PendingInvalidationMessages().size();
    CatalogDelete(cat, tid2);
    msgs = cache::PendingInvalidationMessages();
    const std::vector<SharedInvalidationMessage> deletion(
        msgs.begin() + static_cast<long>(before_delete), msgs.end());
    for (const auto& m : RowMessages(cat, updated_row)) EXPECT_TRUE(Contains(deletion, m));
    EXPECT_EQ(CountRowMessages(deletion), expect_insert.size());
    transam::CommandCounterIncrement();
    ExpectFoundNowhere(cat, updated_row, tid2);
    transam::CommitTransaction();
  }
}

// C17: the relation-descriptor messages a row change causes: a pg_class row names its relation
// (db 0 when relisshared), pg_attribute its attrelid, pg_index both relations; rows of shared
// catalogs send their messages with db 0, the others with their database.
TEST_F(CatalogWriteTest, RelcacheMessagesAndDatabases) {
  transam::StartTransaction();
  const transam::Snapshot snap = transam::GetLatestSnapshot();

  const CatalogRelation& pg_class = Cat(catalog_oid::kPgClass);
  for (const bool shared : {false, true}) {
    std::optional<access::HeapTuple> row =
        CatalogLookupByOid(pg_class, Oid(shared ? catalog_oid::kPgAuthid : catalog_oid::kPgType), snap);
    ASSERT_TRUE(row.has_value());
    CatalogRowBuilder b(*pg_class.def, pg_class.desc);
    b.From(*row).Oid("oid", shared ? 990001 : 990002).Name("relname", shared ? "s1" : "s2");
    const size_t before = cache::PendingInvalidationMessages().size();
    (void)CatalogInsert(pg_class, b);
    const auto msgs = cache::PendingInvalidationMessages();
    const std::vector<SharedInvalidationMessage> mine(msgs.begin() + static_cast<long>(before),
                                                      msgs.end());
    EXPECT_TRUE(Contains(mine, storage::MakeRelcacheInval(shared ? kInvalidOid : kDb,
                                                           Oid(shared ? 990001 : 990002))));
    for (const auto& m : mine) {
      if (m.IsCatalogRow()) {
        EXPECT_EQ(m.db_oid, kDb.value());  // pg_class is per database
      }
    }
  }

  const CatalogRelation& pg_attribute = Cat(catalog_oid::kPgAttribute);
  {
    const access::Datum key = access::ObjectIdGetDatum(Oid(catalog_oid::kPgType));
    std::vector<access::HeapTuple> rows = CatalogIndexScan(pg_attribute, 2659, {&key, 1}, snap);
    ASSERT_FALSE(rows.empty());
    CatalogRowBuilder b(*pg_attribute.def, pg_attribute.desc);
    b.From(rows.front()).Oid("attrelid", 990003);
    const size_t before = cache::PendingInvalidationMessages().size();
    (void)CatalogInsert(pg_attribute, b);
    const auto msgs = cache::PendingInvalidationMessages();
    const std::vector<SharedInvalidationMessage> mine(msgs.begin() + static_cast<long>(before),
                                                      msgs.end());
    EXPECT_TRUE(Contains(mine, storage::MakeRelcacheInval(kDb, Oid(990003))));
    EXPECT_EQ(CountRowMessages(mine), 2u);  // ATTNAME, ATTNUM
  }

  const CatalogRelation& pg_index = Cat(catalog_oid::kPgIndex);
  {
    const access::Datum key = access::ObjectIdGetDatum(Oid(2662));  // pg_class_oid_index
    std::vector<access::HeapTuple> rows = CatalogIndexScan(pg_index, 2679, {&key, 1}, snap);
    ASSERT_EQ(rows.size(), 1u);
    CatalogRowBuilder b(*pg_index.def, pg_index.desc);
    b.From(rows.front()).Oid("indexrelid", 990004).Oid("indrelid", 990005);
    const size_t before = cache::PendingInvalidationMessages().size();
    (void)CatalogInsert(pg_index, b);
    const auto msgs = cache::PendingInvalidationMessages();
    const std::vector<SharedInvalidationMessage> mine(msgs.begin() + static_cast<long>(before),
                                                      msgs.end());
    EXPECT_TRUE(Contains(mine, storage::MakeRelcacheInval(kDb, Oid(990004))));
    EXPECT_TRUE(Contains(mine, storage::MakeRelcacheInval(kDb, Oid(990005))));
  }

  const CatalogRelation& pg_authid = Cat(catalog_oid::kPgAuthid);
  {
    std::optional<access::HeapTuple> row = CatalogLookupByOid(pg_authid, Oid(10), snap);
    ASSERT_TRUE(row.has_value());
    CatalogRowBuilder b(*pg_authid.def, pg_authid.desc);
    b.From(*row).Oid("oid", 990006).Name("rolname", "bob");
    const size_t before = cache::PendingInvalidationMessages().size();
    (void)CatalogInsert(pg_authid, b);
    const auto msgs = cache::PendingInvalidationMessages();
    const std::vector<SharedInvalidationMessage> mine(msgs.begin() + static_cast<long>(before),
                                                      msgs.end());
    EXPECT_EQ(CountRowMessages(mine), 2u);  // AUTHNAME, AUTHOID
    EXPECT_EQ(mine.size(), 2u);             // no relcache message for a role
    for (const auto& m : mine) EXPECT_EQ(m.db_oid, 0u);  // shared catalog
  }
  transam::AbortTransaction();
  EXPECT_EQ(cache::PendingInvalidationCount(), 0);
}

// A version changed by a committed concurrent transaction cannot be changed again:
// PostgreSQL's simple_heap_update / simple_heap_delete errors; the same command changing a
// row twice is "already updated by self".
TEST_F(CatalogWriteTest, ConcurrentAndRepeatedChangesAreErrors) {
  const CatalogRelation& ns = Cat(catalog_oid::kPgNamespace);
  transam::StartTransaction();
  CatalogRowBuilder b(*ns.def, ns.desc);
  b.Oid("oid", 990100).Name("nspname", "victim").Oid("nspowner", 10);
  const storage::ItemPointer tid = CatalogInsert(ns, b);
  CatalogRowBuilder b2(*ns.def, ns.desc);
  b2.Oid("oid", 990101).Name("nspname", "victim2").Oid("nspowner", 10);
  const storage::ItemPointer tid2 = CatalogInsert(ns, b2);
  transam::CommitTransaction();

  transam::StartTransaction();
  ASSERT_TRUE(CatalogLookupByOid(ns, Oid(990100), transam::GetLatestSnapshot()).has_value());
  // Another backend renames one and drops the other, and commits.
  pid_t child = harness_.ForkBackend([&] {
    const CatalogRelation& c = OpenCatalog(catalog_oid::kPgNamespace, kDb);
    transam::StartTransaction();
    CatalogRowBuilder u(*c.def, c.desc);
    u.Oid("oid", 990100).Name("nspname", "renamed").Oid("nspowner", 10);
    (void)CatalogUpdate(c, tid, u);
    CatalogDelete(c, tid2);
    transam::CommitTransaction();
    return 0;
  });
  ASSERT_EQ(harness_.Wait(child), 0);
  CatalogRowBuilder mine(*ns.def, ns.desc);
  mine.Oid("oid", 990100).Name("nspname", "mine").Oid("nspowner", 10);
  try {
    (void)CatalogUpdate(ns, tid, mine);
    FAIL() << "update of a concurrently updated row succeeded";
  } catch (const Error& e) {
    EXPECT_EQ(e.sqlstate(), sqlstate::kInternalError);
    EXPECT_EQ(e.message(), "tuple concurrently updated");
  }
  transam::AbortTransaction();
  transam::StartTransaction();
  try {
    CatalogDelete(ns, tid2);
    FAIL() << "delete of a concurrently deleted row succeeded";
  } catch (const Error& e) {
    EXPECT_EQ(e.message(), "tuple concurrently deleted");
  }
  transam::AbortTransaction();

  // The renamed row, changed twice in one command.
  transam::StartTransaction();
  std::optional<access::HeapTuple> row =
      CatalogLookupByOid(ns, Oid(990100), transam::GetLatestSnapshot());
  ASSERT_TRUE(row.has_value());
  EXPECT_EQ(CatalogGetName(ns, *row, "nspname"), "renamed");
  (void)CatalogUpdate(ns, row->self, mine);
  try {
    CatalogDelete(ns, row->self);
    FAIL() << "second change in one command succeeded";
  } catch (const Error& e) {
    EXPECT_EQ(e.message(), "tuple already updated by self");
  }
  transam::AbortTransaction();
}

// A row inserted by this very command cannot be changed before CommandCounterIncrement
// (PostgreSQL: "attempted to update invisible tuple"); afterwards it can, and the update's
// messages name its old and new key.
TEST_F(CatalogWriteTest, RowInsertedByTheSameCommandIsInvisibleUntilNextCommand) {
  const CatalogRelation& ns = Cat(catalog_oid::kPgNamespace);
  transam::StartTransaction();
  CatalogRowBuilder b(*ns.def, ns.desc);
  b.Oid("oid", 990200).Name("nspname", "fresh").Oid("nspowner", 10);
  const access::HeapTuple first = b.Form();
  const storage::ItemPointer tid = CatalogInsert(ns, b);
  CatalogRowBuilder u(*ns.def, ns.desc);
  u.Oid("oid", 990200).Name("nspname", "fresher").Oid("nspowner", 10);
  const access::HeapTuple second = u.Form();
  try {
    (void)CatalogUpdate(ns, tid, u);
    FAIL() << "update of a row of the same command succeeded";
  } catch (const Error& e) {
    EXPECT_EQ(e.sqlstate(), sqlstate::kObjectNotInPrerequisiteState);
    EXPECT_EQ(e.message(), "attempted to update invisible tuple");
  }
  transam::AbortTransaction();

  transam::StartTransaction();
  const storage::ItemPointer tid2 = CatalogInsert(ns, b);
  transam::CommandCounterIncrement();
  const size_t before = cache::PendingInvalidationMessages().size();
  (void)CatalogUpdate(ns, tid2, u);
  const auto msgs = cache::PendingInvalidationMessages();
  const std::vector<SharedInvalidationMessage> mine(msgs.begin() + static_cast<long>(before),
                                                    msgs.end());
  // NAMESPACENAME for both names, NAMESPACEOID once (the oid did not change: kept once, V1);
  // nothing about relations, nothing whole-catalog.
  for (const auto& m : RowMessages(ns, first)) EXPECT_TRUE(Contains(mine, m));
  for (const auto& m : RowMessages(ns, second)) EXPECT_TRUE(Contains(mine, m));
  EXPECT_EQ(mine.size(), 3u);
  for (const auto& m : mine) EXPECT_TRUE(m.IsCatalogRow());
  transam::AbortTransaction();
}

}  // namespace
}  // namespace keel::catalog
