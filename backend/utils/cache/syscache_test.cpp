// The catalog-row caches over a real bootstrapped database (ServerHarness): every row found by
// its key in every cache, hashes from rows equal hashes from keys, negative entries, lists,
// this transaction's changes (command end, abort, savepoint rollback), and other backends'
// committed changes seen at their next AcceptInvalidationMessages, also after a queue reset.
// README.md (K1-K12).
#include "backend/utils/cache/syscache.h"

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

#include "access/common/heap_form.h"
#include "access/common/varlena.h"
#include "backend/catalog/catalog_defs.h"
#include "backend/utils/cache/cache_test_util.h"
#include "backend/utils/cache/catcache_hash.h"
#include "backend/utils/error/error.h"
#include "storage/ipc/sinval.h"

namespace keel::cache {
namespace {

using namespace keel::cache::testing;  // NOLINT: test helpers
namespace type = access::type_oid;

// The lookup keys of `row` for cache `id`, read from the row by the key columns' types.
std::vector<SysCacheKey> KeysOf(SysCacheId id, const access::HeapTuple& row) {
  const catalog::CatalogRelation& cat = SysCacheCatalog(id);
  const catalog::CatalogIndex& idx = cat.Index(SysCacheDefOf(id).index_oid);
  std::vector<SysCacheKey> keys;
  for (int col : idx.heap_columns) {
    bool isnull = false;
    const access::Datum d = access::HeapGetAttr(cat.desc, row.header(), row.size(), col, &isnull);
    switch (cat.desc.attr(col).type_id.value()) {
      case type::kOid:
      case type::kRegproc: keys.emplace_back(int64_t{access::DatumGetUInt32(d)}); break;
      case type::kInt4: keys.emplace_back(int64_t{access::DatumGetInt32(d)}); break;
      case type::kInt2: keys.emplace_back(int64_t{access::DatumGetInt16(d)}); break;
      case type::kInt8: keys.emplace_back(access::DatumGetInt64(d)); break;
      case type::kChar: keys.emplace_back(int64_t{access::DatumGetChar(d)}); break;
      case type::kBool: keys.emplace_back(int64_t{access::DatumGetBool(d)}); break;
      case type::kName:
        keys.emplace_back(std::string(catalog::NameView(access::DatumGetPointer(d))));
        break;
      case type::kText:
        keys.emplace_back(std::string(access::VarTextView(access::DatumGetPointer(d))));
        break;
      case type::kOidVector:
        keys.emplace_back(catalog::OidArrayElements(access::DatumGetPointer(d)));
        break;
      default:
        ADD_FAILURE() << "key type " << cat.desc.attr(col).type_id.value();
    }
  }
  keys.resize(4);
  return keys;
}

SysCacheTuple Search(SysCacheId id, const std::vector<SysCacheKey>& k) {
  return SearchSysCache(id, k[0], k[1], k[2], k[3]);
}

bool SameTid(const storage::ItemPointer& a, const storage::ItemPointer& b) {
  return a.block == b.block && a.offset == b.offset;
}

// K1, K2: every cache's index is a unique index of its catalog, with key types that hash.
TEST(SysCacheDefsTest, EveryCacheIsOverAUniqueIndexWithHashableKeys) {
  std::set<uint32_t> indexes;
  for (const SysCacheDef& def : kSysCacheDefs) {
    SCOPED_TRACE(std::string(def.name));
    EXPECT_LE(SysCacheMessageId(def.id), storage::kSInvalMaxCacheId);
    EXPECT_TRUE(indexes.insert(def.index_oid).second) << "two caches over one index";
    const catalog::CatalogDef* cat = catalog::FindCatalog(Oid(def.catalog_oid));
    ASSERT_NE(cat, nullptr);
    const catalog::CatalogIndexDef* index = nullptr;
    for (const catalog::CatalogIndexDef& idx : cat->indexes) {
      if (idx.oid == def.index_oid) index = &idx;
    }
    ASSERT_NE(index, nullptr);
    EXPECT_TRUE(index->unique);
    for (int k = 0; k < index->nkeys; ++k) {
      const uint32_t t = cat->columns[static_cast<size_t>(cat->ColumnIndex(index->keys[k]))].type_oid;
      // A zero-filled name / an int value hash without throwing; varlena types are covered by
      // the row test below.
      if (t == type::kName) {
        const std::vector<std::byte> name = catalog::MakeName("x");
        EXPECT_NO_THROW((void)CatalogKeyValueHash(t, access::PointerGetDatum(name.data())));
      } else if (t == type::kOidVector) {
        const std::vector<std::byte> v = catalog::MakeOidArray(std::vector<uint32_t>{23, 25}, true);
        EXPECT_NO_THROW((void)CatalogKeyValueHash(t, access::PointerGetDatum(v.data())));
      } else {
        EXPECT_NO_THROW((void)CatalogKeyValueHash(t, access::Int32GetDatum(7))) << t;
      }
    }
  }
  EXPECT_EQ(static_cast<int>(std::size(kSysCacheDefs)), kNumSysCaches);
}

// K3: equal oidvectors hash alike whatever their encoding (an empty one with ndim 0 or 1).
TEST(SysCacheDefsTest, VectorHashesFollowTheElements) {
  const std::vector<std::byte> a = catalog::MakeOidArray(std::vector<uint32_t>{}, true);
  const std::vector<std::byte> b = catalog::MakeOidArray(std::vector<uint32_t>{}, false);
  EXPECT_NE(a.size(), b.size());
  EXPECT_EQ(CatalogKeyValueHash(type::kOidVector, access::PointerGetDatum(a.data())),
            CatalogKeyValueHash(type::kOidVector, access::PointerGetDatum(b.data())));
  const std::vector<std::byte> c = catalog::MakeOidArray(std::vector<uint32_t>{23}, true);
  const std::vector<std::byte> d = catalog::MakeOidArray(std::vector<uint32_t>{25}, true);
  EXPECT_NE(CatalogKeyValueHash(type::kOidVector, access::PointerGetDatum(c.data())),
            CatalogKeyValueHash(type::kOidVector, access::PointerGetDatum(d.data())));
}

class SysCacheTest : public CacheTest {};

// K3, K4, K7: every row of every cache's catalog is found through the cache by the key read
// from the row (the same version), the row's hash equals the key's, and a second search is
// answered from the cache without reading the catalog.
TEST_F(SysCacheTest, EveryRowIsFoundByItsKeyInEveryCache) {
  transam::StartTransaction();
  size_t checked = 0;
  for (const SysCacheDef& def : kSysCacheDefs) {
    SCOPED_TRACE(std::string(def.name));
    const catalog::CatalogRelation& cat = SysCacheCatalog(def.id);
    for (const access::HeapTuple& row : catalog::CatalogSeqScan(cat, transam::GetLatestSnapshot())) {
      const std::vector<SysCacheKey> keys = KeysOf(def.id, row);
      const SysCacheTuple found = Search(def.id, keys);
      ASSERT_TRUE(found);
      EXPECT_TRUE(SameTid(found.row().self, row.self));
      EXPECT_EQ(CatalogCacheHash(def.id, row),
                GetSysCacheHashValue(def.id, keys[0], keys[1], keys[2], keys[3]));
      const SysCacheStats before = GetSysCacheStats(def.id);
      EXPECT_TRUE(Search(def.id, keys));
      const SysCacheStats after = GetSysCacheStats(def.id);
      EXPECT_EQ(after.hits, before.hits + 1);
      EXPECT_EQ(after.loads, before.loads);
      ++checked;
    }
  }
  EXPECT_GT(checked, 1000u);  // pg_class, pg_attribute (two caches), pg_type (two) ...
  transam::CommitTransaction();
}

// Values of a few built-in rows through the typed readers and GetSysCacheOid / Exists.
TEST_F(SysCacheTest, BuiltinRowsAndOids) {
  transam::StartTransaction();
  EXPECT_EQ(GetSysCacheOid(SysCacheId::kNamespaceName, "public"), Oid(2200));
  EXPECT_EQ(GetSysCacheOid(SysCacheId::kTypeNameNsp, "int4", Oid(11)), Oid(23));
  EXPECT_EQ(GetSysCacheOid(SysCacheId::kRelNameNsp, std::string("pg_class"), Oid(11)), Oid(1259));
  EXPECT_EQ(GetSysCacheOid(SysCacheId::kAmName, "btree"), Oid(403));
  EXPECT_EQ(GetSysCacheOid(SysCacheId::kAuthName, "alice"), Oid(10));
  EXPECT_EQ(GetSysCacheOid(SysCacheId::kDatabaseName, "postgres"), kDb);
  EXPECT_EQ(GetSysCacheOid(SysCacheId::kNamespaceName, "nosuch"), kInvalidOid);
  EXPECT_TRUE(SysCacheExists(SysCacheId::kTypeOid, Oid(25)));
  EXPECT_FALSE(SysCacheExists(SysCacheId::kTypeOid, Oid(999999)));
  const SysCacheTuple att = SearchSysCache(SysCacheId::kAttNum, Oid(1259), 2);
  ASSERT_TRUE(att);
  EXPECT_EQ(att.GetName("attname"), "relname");
  EXPECT_EQ(att.GetOid("atttypid"), type::kName);
  const SysCacheTuple att2 = SearchSysCache(SysCacheId::kAttName, Oid(1259), "relkind");
  ASSERT_TRUE(att2);
  EXPECT_EQ(att2.GetInt("attnum"), 17);
  const SysCacheTuple cls = SearchSysCache(SysCacheId::kRelOid, Oid(1249));
  ASSERT_TRUE(cls);
  EXPECT_EQ(cls.GetName("relname"), "pg_attribute");
  EXPECT_EQ(cls.GetChar("relkind"), 'r');
  const SysCacheTuple idx = SearchSysCache(SysCacheId::kIndexRelId, Oid(2662));
  ASSERT_TRUE(idx);
  EXPECT_EQ(idx.GetOid("indrelid"), 1259u);
  EXPECT_TRUE(idx.GetBool("indisunique"));
  // ATTNUM's catalog has no oid column.
  EXPECT_THROW((void)GetSysCacheOid(SysCacheId::kAttNum, Oid(1259), 1), Error);
  transam::CommitTransaction();
}

// K7: a missing key is remembered (a negative entry: no second read); the row's insert
// replaces it, in this transaction after its next command (V2) and for good at commit.
TEST_F(SysCacheTest, NegativeEntriesAreCachedAndReplacedWhenTheRowAppears) {
  transam::StartTransaction();
  EXPECT_FALSE(SearchSysCache(SysCacheId::kNamespaceName, "later"));
  const SysCacheStats s1 = GetSysCacheStats(SysCacheId::kNamespaceName);
  EXPECT_FALSE(SearchSysCache(SysCacheId::kNamespaceName, "later"));
  const SysCacheStats s2 = GetSysCacheStats(SysCacheId::kNamespaceName);
  EXPECT_EQ(s2.negative_hits, s1.negative_hits + 1);
  EXPECT_EQ(s2.loads, s1.loads);
  (void)InsertNamespace(17000, "later");
  EXPECT_FALSE(SearchSysCache(SysCacheId::kNamespaceName, "later"));  // same command
  transam::CommandCounterIncrement();
  const SysCacheTuple t = SearchSysCache(SysCacheId::kNamespaceName, "later");
  ASSERT_TRUE(t);
  EXPECT_EQ(t.GetOid("oid"), 17000u);
  transam::CommitTransaction();
  transam::StartTransaction();
  EXPECT_EQ(CachedNamespaceName(17000), "later");
  transam::CommitTransaction();
}

// K9: a handle keeps its row after the entry was invalidated and rebuilt.
TEST_F(SysCacheTest, HandleOutlivesItsEntry) {
  transam::StartTransaction();
  const SysCacheTuple old = SearchSysCache(SysCacheId::kNamespaceOid, Oid(2200));
  ASSERT_TRUE(old);
  RenameNamespace(2200, "renamed");
  transam::CommandCounterIncrement();
  EXPECT_EQ(CachedNamespaceName(2200), "renamed");
  EXPECT_EQ(old.GetName("nspname"), "public");
  transam::AbortTransaction();
}

// V2, V3 through the cache: this transaction's change is seen from its next command on, the
// old key stops answering; an abort puts the cache back (the local messages of the abort), a
// rollback to savepoint too.
TEST_F(SysCacheTest, OwnChangesAbortAndSavepointRollback) {
  transam::StartTransaction();
  EXPECT_EQ(CachedNamespaceName(2200), "public");
  EXPECT_TRUE(SearchSysCache(SysCacheId::kNamespaceName, "public"));
  RenameNamespace(2200, "renamed");
  EXPECT_EQ(CachedNamespaceName(2200), "public");  // same command: the cached row
  transam::CommandCounterIncrement();
  EXPECT_EQ(CachedNamespaceName(2200), "renamed");
  EXPECT_FALSE(SearchSysCache(SysCacheId::kNamespaceName, "public"));
  EXPECT_TRUE(SearchSysCache(SysCacheId::kNamespaceName, "renamed"));
  transam::AbortTransaction();
  transam::StartTransaction();
  EXPECT_EQ(CachedNamespaceName(2200), "public");
  EXPECT_TRUE(SearchSysCache(SysCacheId::kNamespaceName, "public"));
  EXPECT_FALSE(SearchSysCache(SysCacheId::kNamespaceName, "renamed"));

  transam::DefineSavepoint("s");
  RenameNamespace(2200, "inner");
  transam::CommandCounterIncrement();
  EXPECT_EQ(CachedNamespaceName(2200), "inner");
  transam::RollbackToSavepoint("s");
  EXPECT_EQ(CachedNamespaceName(2200), "public");
  EXPECT_FALSE(SearchSysCache(SysCacheId::kNamespaceName, "inner"));
  RenameNamespace(2200, "kept");
  transam::ReleaseSavepoint("s");
  transam::CommitTransaction();
  transam::StartTransaction();
  EXPECT_EQ(CachedNamespaceName(2200), "kept");
  transam::CommitTransaction();
}

// K10: a list by key prefix, in index order, cached as a whole and dropped by a change of any
// row of its cache.
TEST_F(SysCacheTest, ListsByKeyPrefix) {
  const catalog::CatalogDef& pg_type = catalog::GetCatalog(Oid(catalog::catalog_oid::kPgType));
  transam::StartTransaction();
  const SysCacheList atts = SearchSysCacheList(SysCacheId::kAttNum, 1, Oid(1247));
  ASSERT_EQ(atts.size(), pg_type.columns.size() + 6);  // + the six system columns
  int64_t prev = -100;
  for (const access::HeapTuple& row : atts.rows()) {
    const int64_t attnum = catalog::CatalogGetInt(atts.catalog(), row, "attnum");
    EXPECT_GT(attnum, prev);
    prev = attnum;
  }
  EXPECT_EQ(SearchSysCacheList(SysCacheId::kAttName, 1, Oid(1247)).size(), atts.size());
  EXPECT_EQ(SearchSysCacheList(SysCacheId::kAttNum, 2, Oid(1247), 3).size(), 1u);
  const SysCacheStats s1 = GetSysCacheStats(SysCacheId::kAttNum);
  EXPECT_EQ(SearchSysCacheList(SysCacheId::kAttNum, 1, Oid(1247)).size(), atts.size());
  const SysCacheStats s2 = GetSysCacheStats(SysCacheId::kAttNum);
  EXPECT_EQ(s2.list_hits, s1.list_hits + 1);
  EXPECT_EQ(s2.loads, s1.loads);

  // A new attribute of pg_type (any row of the cache: every list goes).
  const catalog::CatalogRelation& pg_attribute = Cat(catalog::catalog_oid::kPgAttribute);
  catalog::CatalogRowBuilder b(*pg_attribute.def, pg_attribute.desc);
  b.From(atts[atts.size() - 1]).Name("attname", "extra").Int2("attnum", 1000);
  (void)catalog::CatalogInsert(pg_attribute, b);
  transam::CommandCounterIncrement();
  EXPECT_EQ(SearchSysCacheList(SysCacheId::kAttNum, 1, Oid(1247)).size(), atts.size() + 1);
  EXPECT_EQ(atts.size(), pg_type.columns.size() + 6);  // the old list, still held
  transam::AbortTransaction();
  transam::StartTransaction();
  EXPECT_EQ(SearchSysCacheList(SysCacheId::kAttNum, 1, Oid(1247)).size(), atts.size());
  transam::CommitTransaction();
}

// Wrong keys, and reads outside a transaction: errors; cached answers need no transaction.
TEST_F(SysCacheTest, KeyAndStateErrors) {
  transam::StartTransaction();
  EXPECT_THROW((void)SearchSysCache(SysCacheId::kAttNum, Oid(1259)), Error);         // too few
  EXPECT_THROW((void)SearchSysCache(SysCacheId::kTypeOid, Oid(23), Oid(1)), Error);  // too many
  EXPECT_THROW((void)SearchSysCache(SysCacheId::kTypeOid, "int4"), Error);           // kind
  EXPECT_THROW((void)SearchSysCache(SysCacheId::kNamespaceName, Oid(11)), Error);
  EXPECT_THROW((void)SearchSysCache(SysCacheId::kTypeOid, int64_t{1} << 40), Error);  // range
  EXPECT_THROW((void)SearchSysCacheList(SysCacheId::kAttNum, 3, Oid(1259), 1), Error);
  EXPECT_TRUE(SearchSysCache(SysCacheId::kTypeOid, Oid(23)));
  transam::CommitTransaction();
  EXPECT_TRUE(SearchSysCache(SysCacheId::kTypeOid, Oid(23)));  // cached
  try {
    (void)SearchSysCache(SysCacheId::kTypeOid, Oid(25));
    FAIL() << "catalog read outside a transaction";
  } catch (const Error& e) {
    EXPECT_EQ(e.sqlstate(), sqlstate::kInternalError);
    EXPECT_EQ(e.message(), "cannot read catalog \"pg_type\" outside a transaction");
  }
}

// V3 + K4 across backends: B keeps answering from its cache inside its transaction until it
// accepts invalidations, then sees A's committed rename (by oid and by name).
TEST_F(SysCacheTest, OtherBackendSeesCommittedChangeAtItsNextAccept) {
  Flags* flags = MapFlags();
  const pid_t b = harness_.ForkBackend([flags] {
    (void)AcceptInvalidationMessages();
    transam::StartTransaction();
    if (CachedNamespaceName(2200) != "public") return 1;
    if (!SearchSysCache(SysCacheId::kNamespaceName, "public")) return 2;
    flags->b_step.store(1);
    if (!WaitFor(flags->a_step, 1)) return 3;
    // A committed: without accepting, the cached rows answer (PostgreSQL does the same).
    if (CachedNamespaceName(2200) != "public") return 4;
    if (!SearchSysCache(SysCacheId::kNamespaceName, "public")) return 5;
    if (AcceptInvalidationMessages() == 0) return 6;
    if (CachedNamespaceName(2200) != "renamed") return 7;
    if (SearchSysCache(SysCacheId::kNamespaceName, "public")) return 8;
    if (GetSysCacheOid(SysCacheId::kNamespaceName, "renamed") != Oid(2200)) return 9;
    transam::CommitTransaction();
    return 0;
  });
  ASSERT_TRUE(WaitFor(flags->b_step, 1));
  transam::StartTransaction();
  RenameNamespace(2200, "renamed");
  transam::CommitTransaction();
  flags->a_step.store(1);
  EXPECT_EQ(harness_.Wait(b), 0);
}

// V3: a rolled-back change sends nothing; the other backend's entries stay (no invalidation
// applied there), and the aborting backend's own cache is repaired.
TEST_F(SysCacheTest, RollbackSendsNothing) {
  Flags* flags = MapFlags();
  const pid_t b = harness_.ForkBackend([flags] {
    (void)AcceptInvalidationMessages();
    transam::StartTransaction();
    if (CachedNamespaceName(2200) != "public") return 1;
    transam::CommitTransaction();
    const uint64_t before = GetSysCacheStats(SysCacheId::kNamespaceOid).invalidations;
    flags->b_step.store(1);
    if (!WaitFor(flags->a_step, 1)) return 3;
    (void)AcceptInvalidationMessages();
    if (GetSysCacheStats(SysCacheId::kNamespaceOid).invalidations != before) return 4;
    const uint64_t loads = GetSysCacheStats(SysCacheId::kNamespaceOid).loads;
    transam::StartTransaction();
    if (CachedNamespaceName(2200) != "public") return 5;
    transam::CommitTransaction();
    return GetSysCacheStats(SysCacheId::kNamespaceOid).loads == loads ? 0 : 6;  // a hit
  });
  ASSERT_TRUE(WaitFor(flags->b_step, 1));
  transam::StartTransaction();
  RenameNamespace(2200, "doomed");
  transam::CommandCounterIncrement();
  EXPECT_EQ(CachedNamespaceName(2200), "doomed");
  transam::AbortTransaction();
  flags->a_step.store(1);
  EXPECT_EQ(harness_.Wait(b), 0);
  transam::StartTransaction();
  EXPECT_EQ(CachedNamespaceName(2200), "public");
  EXPECT_FALSE(SearchSysCache(SysCacheId::kNamespaceName, "doomed"));
  transam::CommitTransaction();
}

// K7 across backends: B's negative entry goes when A's insert commits.
TEST_F(SysCacheTest, NegativeEntryReplacedWhenAnotherBackendAddsTheRow) {
  Flags* flags = MapFlags();
  const pid_t b = harness_.ForkBackend([flags] {
    (void)AcceptInvalidationMessages();
    transam::StartTransaction();
    if (SysCacheExists(SysCacheId::kNamespaceName, "appears")) return 1;
    transam::CommitTransaction();
    flags->b_step.store(1);
    if (!WaitFor(flags->a_step, 1)) return 2;
    transam::StartTransaction();
    if (SysCacheExists(SysCacheId::kNamespaceName, "appears")) return 3;  // not accepted yet
    (void)AcceptInvalidationMessages();
    if (GetSysCacheOid(SysCacheId::kNamespaceName, "appears") != Oid(17100)) return 4;
    transam::CommitTransaction();
    return 0;
  });
  ASSERT_TRUE(WaitFor(flags->b_step, 1));
  transam::StartTransaction();
  (void)InsertNamespace(17100, "appears");
  transam::CommitTransaction();
  flags->a_step.store(1);
  EXPECT_EQ(harness_.Wait(b), 0);
}

// K11: a backend that fell more than the queue behind is reset: everything it cached goes,
// including entries whose messages were lost, and it answers correctly afterwards.
TEST_F(SysCacheTest, LaggingReaderIsResetAndStillAnswersCorrectly) {
  Flags* flags = MapFlags();
  const pid_t b = harness_.ForkBackend([flags] {
    (void)AcceptInvalidationMessages();
    transam::StartTransaction();
    if (CachedNamespaceName(2200) != "public") return 1;
    if (SysCacheExists(SysCacheId::kNamespaceName, "flooded")) return 2;
    transam::CommitTransaction();
    flags->b_step.store(1);
    if (!WaitFor(flags->a_step, 1)) return 3;
    const uint64_t before = GetSysCacheStats(SysCacheId::kNamespaceOid).invalidations;
    (void)AcceptInvalidationMessages();
    const SysCacheStats after = GetSysCacheStats(SysCacheId::kNamespaceOid);
    if (after.invalidations <= before || after.entries != 0) return 4;  // reset: all gone
    transam::StartTransaction();
    if (CachedNamespaceName(2200) != "flooded") return 5;
    if (GetSysCacheOid(SysCacheId::kNamespaceName, "flooded") != Oid(2200)) return 6;
    transam::CommitTransaction();
    return 0;
  });
  ASSERT_TRUE(WaitFor(flags->b_step, 1));
  const uint64_t resets = storage::GetSInvalQueueStats().resets;
  transam::StartTransaction();
  RenameNamespace(2200, "flooded");
  transam::CommitTransaction();
  // More than the queue holds after the rename's messages: B loses them and is reset.
  std::vector<storage::SharedInvalidationMessage> noise(
      storage::kSInvalBufferSize + 10,
      storage::MakeCatalogRowInval(SysCacheMessageId(SysCacheId::kSeqRelId), 12345, kDb));
  storage::SendSharedInvalidMessages(noise);
  EXPECT_GT(storage::GetSInvalQueueStats().resets, resets);
  flags->a_step.store(1);
  EXPECT_EQ(harness_.Wait(b), 0);
}

// K13 / R10: a forked backend starts with empty caches. The parent holds a negative entry for
// "late", public's row and pg_class's descriptor; another backend then commits "late" and a
// rename of public, which the parent has not accepted yet. A backend forked now reads the
// queue only from its own attach on: had it inherited the parent's entries, it would never
// learn of either change.
TEST_F(SysCacheTest, AForkedBackendDoesNotInheritTheParentsEntries) {
  transam::StartTransaction();
  EXPECT_FALSE(SysCacheExists(SysCacheId::kNamespaceName, "late"));
  EXPECT_EQ(CachedNamespaceName(2200), "public");
  transam::CommitTransaction();
  const pid_t writer = harness_.ForkBackend([] {
    transam::StartTransaction();
    (void)InsertNamespace(20001, "late");
    RenameNamespace(2200, "renamed");
    transam::CommitTransaction();
    return 0;
  });
  ASSERT_EQ(harness_.Wait(writer), 0);
  transam::StartTransaction();  // not accepted yet: the parent still answers from its entries
  EXPECT_FALSE(SysCacheExists(SysCacheId::kNamespaceName, "late"));
  EXPECT_EQ(CachedNamespaceName(2200), "public");
  transam::CommitTransaction();
  const pid_t reader = harness_.ForkBackend([] {
    (void)AcceptInvalidationMessages();
    transam::StartTransaction();
    if (GetSysCacheOid(SysCacheId::kNamespaceName, "late") != Oid(20001)) return 1;
    if (CachedNamespaceName(2200) != "renamed") return 2;
    transam::CommitTransaction();
    return 0;
  });
  EXPECT_EQ(harness_.Wait(reader), 0);
}

// K13's note: a process that becomes a backend of another server (here: a second harness in
// the same test process, as every test binary does) keeps its pid, so ServerHarness empties
// its caches at each start: the first server's rows are no answers in the second.
TEST(SysCacheAcrossServers, ANewServerStartsWithEmptyCaches) {
  {
    keel::testing::ServerHarness first;
    (void)catalog::testing::BootstrapTestDatabase();
    SetMyDatabase(kDb, Oid(catalog::kDefaultTablespace));
    SetInvalidationDatabase(kDb);
    transam::StartTransaction();
    (void)InsertNamespace(20001, "only_in_first");
    transam::CommitTransaction();
    transam::StartTransaction();
    EXPECT_EQ(GetSysCacheOid(SysCacheId::kNamespaceName, "only_in_first"), Oid(20001));
    EXPECT_EQ(CachedNamespaceName(20001), "only_in_first");
    transam::CommitTransaction();
  }
  keel::testing::ServerHarness second;
  (void)catalog::testing::BootstrapTestDatabase();
  transam::StartTransaction();
  EXPECT_EQ(GetSysCacheOid(SysCacheId::kNamespaceName, "only_in_first"), kInvalidOid);
  EXPECT_EQ(CachedNamespaceName(20001), "");
  transam::CommitTransaction();
}

}  // namespace
}  // namespace keel::cache
