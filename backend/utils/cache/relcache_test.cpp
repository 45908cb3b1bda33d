// The relation cache over a real bootstrapped database (ServerHarness): catalogs from their
// definitions, a user table and index built from pg_class / pg_attribute / pg_type / pg_index
// and used through the table and index AMs, rebuilds after catalog changes (this backend's and
// another's), dropped relations, index lists, TOAST links. README.md (R1-R9).
#include "backend/utils/cache/relcache.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "access/common/heap_form.h"
#include "access/common/varlena.h"
#include "access/index/indexam.h"
#include "access/table/tableam.h"
#include "backend/catalog/builtin_types.h"
#include "backend/utils/cache/cache_test_util.h"
#include "backend/utils/error/error.h"

namespace keel::cache {
namespace {

using namespace keel::cache::testing;  // NOLINT: test helpers
namespace type = access::type_oid;
namespace oids = catalog::catalog_oid;

constexpr uint32_t kTable = 16400;
constexpr uint32_t kIndex = 16401;
constexpr uint32_t kToast = 16402;
constexpr uint32_t kIndex2 = 16403;

void InsertClass(uint32_t oid, const std::string& name, char kind, int natts, uint32_t am,
                 bool has_index, uint32_t toast = 0) {
  const catalog::CatalogRelation& cat = Cat(oids::kPgClass);
  catalog::CatalogRowBuilder r(*cat.def, cat.desc);
  r.Oid("oid", oid).Name("relname", name).Oid("relnamespace", catalog::kPublicNamespace)
      .Oid("reltype", 0).Oid("reloftype", 0).Oid("relowner", 10).Oid("relam", am)
      .Oid("relfilenode", oid).Oid("reltablespace", 0).Int4("relpages", 0)
      .Float4("reltuples", -1).Int4("relallvisible", 0).Oid("reltoastrelid", toast)
      .Bool("relhasindex", has_index).Bool("relisshared", false).Char("relpersistence", 'p')
      .Char("relkind", kind).Int2("relnatts", static_cast<int16_t>(natts)).Int2("relchecks", 0)
      .Bool("relhasrules", false).Bool("relhastriggers", false).Bool("relhassubclass", false)
      .Bool("relrowsecurity", false).Bool("relforcerowsecurity", false)
      .Bool("relispopulated", true).Char("relreplident", 'd').Bool("relispartition", false)
      .Oid("relrewrite", 0).Oid("relfrozenxid", 0).Oid("relminmxid", 0);
  (void)catalog::CatalogInsert(cat, r);
}

void InsertAttribute(uint32_t relid, const std::string& name, uint32_t type_oid, int16_t attnum,
                     bool not_null, bool dropped = false) {
  const catalog::CatalogRelation& cat = Cat(oids::kPgAttribute);
  const catalog::TypeRow* t = catalog::FindBuiltinType(type_oid);
  ASSERT_NE(t, nullptr);
  catalog::CatalogRowBuilder r(*cat.def, cat.desc);
  r.Oid("attrelid", relid).Name("attname", name).Oid("atttypid", dropped ? 0 : type_oid)
      .Int4("attstattarget", -1).Int2("attlen", t->typlen).Int2("attnum", attnum)
      .Int4("attndims", 0).Int4("attcacheoff", -1).Int4("atttypmod", -1)
      .Bool("attbyval", t->typbyval).Char("attalign", t->typalign)
      .Char("attstorage", t->typstorage).Char("attcompression", '\0')
      .Bool("attnotnull", not_null).Bool("atthasdef", attnum == 2).Bool("atthasmissing", false)
      .Char("attidentity", '\0').Char("attgenerated", '\0').Bool("attisdropped", dropped)
      .Bool("attislocal", true).Int4("attinhcount", 0)
      .Oid("attcollation", t->typcollation != 0 ? catalog::kDefaultCollation : 0);
  (void)catalog::CatalogInsert(cat, r);
}

void InsertIndexRow(uint32_t index, uint32_t heap, int natts, int nkeyatts,
                    std::vector<int16_t> indkey, std::vector<int16_t> indoption,
                    std::vector<uint32_t> indclass) {
  const catalog::CatalogRelation& cat = Cat(oids::kPgIndex);
  std::vector<uint32_t> collations(static_cast<size_t>(nkeyatts), 0);
  catalog::CatalogRowBuilder r(*cat.def, cat.desc);
  r.Oid("indexrelid", index).Oid("indrelid", heap).Int2("indnatts", static_cast<int16_t>(natts))
      .Int2("indnkeyatts", static_cast<int16_t>(nkeyatts)).Bool("indisunique", true)
      .Bool("indnullsnotdistinct", false).Bool("indisprimary", false)
      .Bool("indisexclusion", false).Bool("indimmediate", true).Bool("indisclustered", false)
      .Bool("indisvalid", true).Bool("indcheckxmin", false).Bool("indisready", true)
      .Bool("indislive", true).Bool("indisreplident", false)
      .Bytes("indkey", catalog::MakeInt2Array(indkey, true))
      .Bytes("indcollation", catalog::MakeOidArray(collations, true))
      .Bytes("indclass", catalog::MakeOidArray(indclass, true))
      .Bytes("indoption", catalog::MakeInt2Array(indoption, true));
  (void)catalog::CatalogInsert(cat, r);
}

// Table t1 (id int4 NOT NULL, name text, <dropped int4>, d date) with a TOAST table, and
// index t1_idx on (id DESC, d) INCLUDE (name). Requires: an active transaction.
void CreateTestTable() {
  InsertClass(kTable, "t1", relkind::kTable, 4, 2, true, kToast);
  InsertAttribute(kTable, "id", type::kInt4, 1, true);
  InsertAttribute(kTable, "name", type::kText, 2, false);
  InsertAttribute(kTable, "........pg.dropped.3........", type::kInt4, 3, false, true);
  InsertAttribute(kTable, "d", type::kDate, 4, false);
  InsertClass(kToast, "pg_toast_16400", relkind::kToast, 3, 2, false);
  InsertAttribute(kToast, "chunk_id", type::kOid, 1, true);
  InsertAttribute(kToast, "chunk_seq", type::kInt4, 2, true);
  InsertAttribute(kToast, "chunk_data", type::kBytea, 3, true);
  InsertClass(kIndex, "t1_idx", relkind::kIndex, 3, 403, false);
  InsertAttribute(kIndex, "id", type::kInt4, 1, false);
  InsertAttribute(kIndex, "d", type::kDate, 2, false);
  InsertAttribute(kIndex, "name", type::kText, 3, false);
  InsertIndexRow(kIndex, kTable, 3, 2, {1, 4, 2},
                 {kIndexOptionDesc | kIndexOptionNullsFirst, 0}, {1978, 3122});  // DESC
}

class RelcacheTest : public CacheTest {
 protected:
  void SetUp() override {
    CacheTest::SetUp();
    transam::StartTransaction();
    CreateTestTable();
    transam::CommitTransaction();
  }
};

class EmptySource final : public access::IndexBuildSource {
 public:
  bool Next(access::IndexBuildRow*) override { return false; }
};

// R2: catalogs and catalog indexes from their definitions: names, columns, files, indexes.
TEST_F(RelcacheTest, CatalogsComeFromTheirDefinitions) {
  transam::StartTransaction();
  const RelationRef pg_class = RelationOpen(Oid(oids::kPgClass), storage::LockMode::kAccessShare);
  EXPECT_TRUE(pg_class->is_catalog);
  EXPECT_EQ(pg_class->name, "pg_class");
  EXPECT_EQ(pg_class->kind, relkind::kTable);
  EXPECT_EQ(pg_class->namespace_oid, Oid(11));
  const catalog::CatalogDef& def = catalog::GetCatalog(Oid(oids::kPgClass));
  ASSERT_EQ(pg_class->desc.natts(), static_cast<int>(def.columns.size()));
  EXPECT_EQ(pg_class->desc.attr(1).name, "relname");
  EXPECT_EQ(pg_class->rel.locator, (RelFileLocator{Oid(1663), kDb, Oid(1259)}));
  EXPECT_EQ(pg_class->rel.desc, &pg_class->desc);
  EXPECT_EQ(pg_class->index_oids, (std::vector<Oid>{Oid(2662), Oid(2663), Oid(3455)}));

  const RelationRef authid = RelationOpen(Oid(oids::kPgAuthid), storage::LockMode::kAccessShare);
  EXPECT_TRUE(authid->is_shared);
  EXPECT_EQ(authid->rel.locator, (RelFileLocator{Oid(1664), kInvalidOid, Oid(1260)}));
  EXPECT_TRUE(IsSharedRelation(Oid(2677)));
  EXPECT_FALSE(IsSharedRelation(Oid(2662)));

  const RelationRef idx = RelationOpen(Oid(2663), storage::LockMode::kAccessShare);
  ASSERT_TRUE(idx->IsIndex());
  EXPECT_EQ(idx->index_facts->heap_oid, Oid(1259));
  EXPECT_EQ(idx->index_facts->indkey, (std::vector<int16_t>{2, 3}));
  EXPECT_EQ(idx->index.key_columns, 2);
  EXPECT_TRUE(idx->index.unique);
  EXPECT_EQ(idx->index.rel.desc, &idx->desc);
  EXPECT_EQ(idx->index.rel.locator, (RelFileLocator{Oid(1663), kDb, Oid(2663)}));
  transam::CommitTransaction();
}

// R4-R7: a user table and its index from the catalogs, and the access methods working on what
// the descriptors give them: rows stored, indexed and found in the index's (DESC) order.
TEST_F(RelcacheTest, UserTableAndIndexFromTheCatalogs) {
  transam::StartTransaction();
  const RelationRef t = RelationOpen(Oid(kTable), storage::LockMode::kAccessShare);
  EXPECT_FALSE(t->is_catalog);
  EXPECT_EQ(t->name, "t1");
  EXPECT_EQ(t->namespace_oid, Oid(2200));
  ASSERT_EQ(t->desc.natts(), 4);
  EXPECT_EQ(t->desc.attr(0).name, "id");
  EXPECT_EQ(t->desc.attr(0).attlen, 4);
  EXPECT_TRUE(t->desc.attr(0).attbyval);
  EXPECT_TRUE(t->desc.attr(0).attnotnull);
  EXPECT_EQ(t->desc.attr(1).type_id, Oid(type::kText));
  EXPECT_EQ(t->desc.attr(1).attlen, -1);
  EXPECT_EQ(t->desc.attr(1).attstorage, 'x');
  EXPECT_TRUE(t->attrs[1].has_default);
  EXPECT_EQ(t->attrs[1].collation, Oid(catalog::kDefaultCollation));
  EXPECT_TRUE(t->attrs[2].is_dropped);
  EXPECT_EQ(t->desc.attr(2).type_id, kInvalidOid);
  EXPECT_EQ(t->desc.attr(2).attlen, 4);  // the dropped column keeps its layout
  EXPECT_EQ(t->desc.attr(3).type_id, Oid(type::kDate));
  EXPECT_EQ(t->ColumnIndex("d"), 3);
  EXPECT_EQ(t->ColumnIndex("........pg.dropped.3........"), -1);
  EXPECT_EQ(t->rel.locator, (RelFileLocator{Oid(1663), kDb, Oid(kTable)}));
  EXPECT_EQ(t->rel.am, access::kHeapTableAmOid);
  EXPECT_EQ(t->index_oids, std::vector<Oid>{Oid(kIndex)});
  ASSERT_NE(t->toast, nullptr);
  EXPECT_EQ(t->rel.toast, &t->toast->rel);
  EXPECT_EQ(t->toast->kind, relkind::kToast);
  EXPECT_EQ(t->toast->desc.attr(2).type_id, Oid(type::kBytea));

  const RelationRef i = RelationOpen(Oid(kIndex), storage::LockMode::kAccessShare);
  ASSERT_TRUE(i->IsIndex());
  EXPECT_EQ(i->index.heap_id, Oid(kTable));
  EXPECT_EQ(i->index.key_columns, 2);
  ASSERT_EQ(i->index.total_columns(), 3);
  EXPECT_TRUE(i->index.columns[0].descending);
  EXPECT_TRUE(i->index.columns[0].nulls_first);  // DESC's default, as pg_index stores it
  EXPECT_FALSE(i->index.columns[1].descending);
  EXPECT_FALSE(i->index.columns[1].nulls_first);
  EXPECT_EQ(i->index.columns[1].heap_attno, 4);
  EXPECT_EQ(i->index.columns[1].opclass, Oid(3122));
  EXPECT_NE(i->index.columns[1].compare, nullptr);
  EXPECT_EQ(i->index.columns[2].compare, nullptr);  // INCLUDE column
  EXPECT_EQ(i->index.rel.am, access::kBtreeIndexAmOid);
  EXPECT_EQ(i->index.rel.locator, (RelFileLocator{Oid(1663), kDb, Oid(kIndex)}));

  // The AMs on these descriptors.
  access::TableAmOf(t->rel).CreateStorage(t->rel);
  EmptySource empty;
  (void)access::IndexAmOf(i->index).Build(t->rel, i->index, access::MakeIndexInfo(i->index), empty);
  const CommandId cid = transam::GetCurrentCommandId(true);
  std::vector<storage::ItemPointer> tids;
  for (int32_t id : {5, 9, 7}) {
    const std::vector<std::byte> name = access::MakeVarlena("row " + std::to_string(id));
    const access::Datum values[] = {access::Int32GetDatum(id), access::PointerGetDatum(name.data()),
                                    0, access::Int32GetDatum(8000 + id)};
    const bool isnull[] = {false, false, true, false};
    access::HeapTuple tuple = access::HeapFormTuple(t->desc, values, isnull);
    const storage::ItemPointer tid = access::TableAmOf(t->rel).Insert(t->rel, tuple, cid);
    const access::Datum keys[] = {values[0], values[3], values[1]};
    const bool key_null[] = {false, false, false};
    (void)access::IndexAmOf(i->index).Insert(i->index, keys, key_null, tid, t->rel,
                                             access::UniqueCheck::kYes);
    tids.push_back(tid);
  }
  transam::CommandCounterIncrement();
  std::unique_ptr<access::IndexScan> scan = access::IndexAmOf(i->index).BeginScan(i->index, 0, false);
  scan->Rescan({});
  std::vector<storage::ItemPointer> order;
  access::IndexScanEntry entry;
  while (scan->GetNextTid(access::ScanDirection::kForward, &entry)) order.push_back(entry.tid);
  ASSERT_EQ(order.size(), 3u);  // id DESC: 9, 7, 5
  EXPECT_EQ(order[0], tids[1]);
  EXPECT_EQ(order[1], tids[2]);
  EXPECT_EQ(order[2], tids[0]);
  transam::CommitTransaction();
}

// R3, R9: this transaction's change of a column is seen by the next open after its next
// command; a holder of the old descriptor keeps it unchanged; an abort puts the old one back.
TEST_F(RelcacheTest, AttributeChangeRebuildsTheDescriptor) {
  transam::StartTransaction();
  const RelationRef before = RelationOpen(Oid(kTable), storage::LockMode::kAccessExclusive);
  EXPECT_EQ(RelationIdGetRelation(Oid(kTable)), before);  // cached
  const SysCacheTuple att = SearchSysCache(SysCacheId::kAttNum, Oid(kTable), 2);
  ASSERT_TRUE(att);
  const catalog::CatalogRelation& pg_attribute = Cat(oids::kPgAttribute);
  catalog::CatalogRowBuilder b(*pg_attribute.def, pg_attribute.desc);
  b.From(att.row()).Name("attname", "title").Bool("attnotnull", true);
  (void)catalog::CatalogUpdate(pg_attribute, att.row().self, b);
  transam::CommandCounterIncrement();
  const uint64_t builds = GetRelationCacheStats().builds;
  const RelationRef after = RelationOpen(Oid(kTable), storage::LockMode::kAccessExclusive);
  EXPECT_NE(after, before);
  EXPECT_EQ(GetRelationCacheStats().builds, builds + 1);
  EXPECT_EQ(after->desc.attr(1).name, "title");
  EXPECT_TRUE(after->desc.attr(1).attnotnull);
  EXPECT_EQ(before->desc.attr(1).name, "name");  // R3: the holder's picture
  transam::AbortTransaction();
  transam::StartTransaction();
  const RelationRef again = RelationOpen(Oid(kTable), storage::LockMode::kAccessShare);
  EXPECT_EQ(again->desc.attr(1).name, "name");
  transam::CommitTransaction();
}

// R6: a new index appears in the table's index list (pg_index's relcache message).
TEST_F(RelcacheTest, IndexListFollowsPgIndex) {
  transam::StartTransaction();
  EXPECT_EQ(RelationOpen(Oid(kTable), storage::LockMode::kShare)->index_oids.size(), 1u);
  InsertClass(kIndex2, "t1_d_idx", relkind::kIndex, 1, 403, false);
  InsertAttribute(kIndex2, "d", type::kDate, 1, false);
  InsertIndexRow(kIndex2, kTable, 1, 1, {4}, {0}, {3122});
  transam::CommandCounterIncrement();
  EXPECT_EQ(RelationOpen(Oid(kTable), storage::LockMode::kShare)->index_oids,
            (std::vector<Oid>{Oid(kIndex), Oid(kIndex2)}));
  const RelationRef i2 = RelationOpen(Oid(kIndex2), storage::LockMode::kShare);
  ASSERT_TRUE(i2->IsIndex());
  EXPECT_EQ(i2->index.columns[0].heap_attno, 4);
  transam::CommitTransaction();
}

// R8: a dropped relation cannot be opened (PostgreSQL's text); its TOAST table's invalidation
// takes the table's descriptor with it.
TEST_F(RelcacheTest, DroppedRelationAndToastInvalidation) {
  transam::StartTransaction();
  const RelationRef t = RelationOpen(Oid(kTable), storage::LockMode::kAccessExclusive);
  ASSERT_NE(t, nullptr);
  RelationCacheInvalidateEntry(Oid(kToast));
  EXPECT_NE(RelationIdGetRelation(Oid(kTable)), t);  // rebuilt: the TOAST link went with it
  catalog::CatalogDelete(Cat(oids::kPgClass), TidOf(oids::kPgClass, kTable));
  transam::CommandCounterIncrement();
  EXPECT_EQ(RelationIdGetRelation(Oid(kTable)), nullptr);
  try {
    (void)RelationOpen(Oid(kTable), storage::LockMode::kAccessShare);
    FAIL() << "opened a dropped relation";
  } catch (const Error& e) {
    EXPECT_EQ(e.sqlstate(), sqlstate::kInternalError);
    EXPECT_EQ(e.message(), "could not open relation with OID 16400");
  }
  EXPECT_THROW((void)RelationOpen(Oid(99999), storage::LockMode::kNoLock), Error);
  transam::AbortTransaction();
  transam::StartTransaction();
  EXPECT_NE(RelationOpen(Oid(kTable), storage::LockMode::kAccessShare), nullptr);
  transam::CommitTransaction();
}

// XX000 for a pg_class row whose columns are missing in pg_attribute (PostgreSQL's text).
TEST_F(RelcacheTest, MissingAttributesAreAnError) {
  transam::StartTransaction();
  InsertClass(16500, "broken", relkind::kTable, 3, 2, false);
  InsertAttribute(16500, "a", type::kInt4, 1, false);
  transam::CommandCounterIncrement();
  try {
    (void)RelationOpen(Oid(16500), storage::LockMode::kAccessShare);
    FAIL() << "opened a relation with missing attributes";
  } catch (const Error& e) {
    EXPECT_EQ(e.message(), "catalog is missing 2 attribute(s) for relation OID 16500");
  }
  transam::AbortTransaction();
}

// R1, R9 across backends: B's cached descriptor stays until B accepts invalidations; taking a
// lock on the relation does that (RelationOpen), so B then sees A's committed column addition.
// (B cannot hold its lock meanwhile: A's AccessExclusiveLock waits for it, as in PostgreSQL.)
TEST_F(RelcacheTest, OtherBackendSeesAlteredRelation) {
  Flags* flags = MapFlags();
  const pid_t b = harness_.ForkBackend([flags] {
    (void)AcceptInvalidationMessages();
    transam::StartTransaction();
    if (RelationOpen(Oid(kTable), storage::LockMode::kAccessShare)->desc.natts() != 4) return 1;
    transam::CommitTransaction();
    flags->b_step.store(1);
    if (!WaitFor(flags->a_step, 1)) return 2;
    transam::StartTransaction();
    // Without a lock nothing is accepted: the cached descriptor.
    if (RelationIdGetRelation(Oid(kTable))->desc.natts() != 4) return 3;
    // The lock is new to this transaction: invalidations are accepted first (R1).
    const RelationRef t = RelationOpen(Oid(kTable), storage::LockMode::kAccessShare);
    if (t->desc.natts() != 5 || t->desc.attr(4).name != "extra") return 4;
    transam::CommitTransaction();
    return 0;
  });
  ASSERT_TRUE(WaitFor(flags->b_step, 1));
  transam::StartTransaction();
  // ALTER TABLE t1 ADD COLUMN extra int8, by hand (as DDL takes AccessExclusiveLock).
  const RelationRef t = RelationOpen(Oid(kTable), storage::LockMode::kAccessExclusive);
  EXPECT_EQ(t->desc.natts(), 4);
  InsertAttribute(kTable, "extra", type::kInt8, 5, false);
  const catalog::CatalogRelation& pg_class = Cat(oids::kPgClass);
  const SysCacheTuple cls = SearchSysCache(SysCacheId::kRelOid, Oid(kTable));
  ASSERT_TRUE(cls);
  catalog::CatalogRowBuilder u(*pg_class.def, pg_class.desc);
  u.From(cls.row()).Int2("relnatts", 5);
  (void)catalog::CatalogUpdate(pg_class, cls.row().self, u);
  transam::CommandCounterIncrement();
  EXPECT_EQ(RelationOpen(Oid(kTable), storage::LockMode::kAccessExclusive)->desc.natts(), 5);
  transam::CommitTransaction();
  flags->a_step.store(1);
  EXPECT_EQ(harness_.Wait(b), 0);
}

// R9 + V5: a queue reset forgets every descriptor; the next open rebuilds.
TEST_F(RelcacheTest, ResetForgetsEveryDescriptor) {
  transam::StartTransaction();
  (void)RelationOpen(Oid(kTable), storage::LockMode::kAccessShare);
  (void)RelationOpen(Oid(oids::kPgClass), storage::LockMode::kAccessShare);
  transam::CommitTransaction();
  EXPECT_GE(GetRelationCacheStats().entries, 3u);  // t1, its TOAST table, pg_class
  std::vector<storage::SharedInvalidationMessage> noise(
      storage::kSInvalBufferSize + 1,
      storage::MakeCatalogRowInval(SysCacheMessageId(SysCacheId::kSeqRelId), 1, kDb));
  storage::SendSharedInvalidMessages(noise);
  (void)AcceptInvalidationMessages();
  EXPECT_EQ(GetRelationCacheStats().entries, 0u);
  transam::StartTransaction();
  EXPECT_EQ(RelationOpen(Oid(kTable), storage::LockMode::kAccessShare)->name, "t1");
  transam::CommitTransaction();
}

// R10: a forked backend does not inherit its parent's descriptors. The parent caches t1 (4
// columns); another backend adds a column and commits; the parent has not accepted that yet.
// A backend forked now reads the queue only from its own attach on, so an inherited
// descriptor would never be invalidated there.
TEST_F(RelcacheTest, AForkedBackendDoesNotInheritTheParentsDescriptors) {
  transam::StartTransaction();
  EXPECT_EQ(RelationOpen(Oid(kTable), storage::LockMode::kAccessShare)->desc.natts(), 4);
  transam::CommitTransaction();
  const pid_t writer = harness_.ForkBackend([] {
    transam::StartTransaction();
    const RelationRef t = RelationOpen(Oid(kTable), storage::LockMode::kAccessExclusive);
    InsertAttribute(kTable, "extra", type::kInt8, 5, false);
    const catalog::CatalogRelation& pg_class = Cat(oids::kPgClass);
    const SysCacheTuple cls = SearchSysCache(SysCacheId::kRelOid, Oid(kTable));
    if (!cls) return 1;
    catalog::CatalogRowBuilder u(*pg_class.def, pg_class.desc);
    u.From(cls.row()).Int2("relnatts", 5);
    (void)catalog::CatalogUpdate(pg_class, cls.row().self, u);
    transam::CommitTransaction();
    return 0;
  });
  ASSERT_EQ(harness_.Wait(writer), 0);
  EXPECT_EQ(RelationIdGetRelation(Oid(kTable))->desc.natts(), 4);  // not accepted here yet
  const pid_t reader = harness_.ForkBackend([] {
    transam::StartTransaction();
    const RelationRef t = RelationOpen(Oid(kTable), storage::LockMode::kAccessShare);
    if (t->desc.natts() != 5 || t->desc.attr(4).name != "extra") return 1;
    transam::CommitTransaction();
    return 0;
  });
  EXPECT_EQ(harness_.Wait(reader), 0);
}

}  // namespace
}  // namespace keel::cache
