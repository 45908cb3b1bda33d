// The catalog bootstrap in a real server (ServerHarness): row counts per catalog, pg_class and
// pg_attribute rows against the definitions, every index against its heap both ways, lookups
// by oid and by name against sequential scans, and survival of crash recovery. README.md.
#include <gtest/gtest.h>

#include <cstring>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "access/index/indexam.h"
#include "access/transam/xact.h"
#include "backend/catalog/bootstrap.h"
#include "backend/catalog/builtin_casts.h"
#include "backend/catalog/builtin_opclasses.h"
#include "backend/catalog/builtin_operators.h"
#include "backend/catalog/builtin_procs.h"
#include "backend/catalog/builtin_types.h"
#include "backend/catalog/catalog_arrays.h"
#include "backend/catalog/catalog_defs.h"
#include "backend/catalog/catalog_lookup.h"
#include "backend/catalog/catalog_relation.h"
#include "backend/catalog/catalog_test_util.h"
#include "backend/catalog/catalog_values.h"
#include "backend/catalog/system_views.h"
#include "tests/server/server_harness.h"

namespace keel::catalog {
namespace {

using keel::testing::ServerHarness;
constexpr Oid kDb{keel::testing::kTestDb};

const CatalogRelation& Cat(uint32_t oid) { return OpenCatalog(oid, kDb); }

// Row counts the definitions imply, computed without the bootstrap's own bookkeeping.
std::map<uint32_t, size_t> ExpectedCounts() {
  size_t indexes = 0, attributes = 0;
  for (const CatalogDef& def : AllCatalogs()) {
    indexes += def.indexes.size();
    attributes += def.columns.size() + 6;  // + ctid, xmin, cmin, xmax, cmax, tableoid
    for (const CatalogIndexDef& idx : def.indexes) attributes += static_cast<size_t>(idx.nkeys);
  }
  size_t view_columns = 0, rules = 0;
  for (const SystemViewDef& view : AllSystemViews()) {
    view_columns += view.columns.size();  // views have no system columns
    rules += view.rules.size();
  }
  std::map<uint32_t, size_t> m;
  for (const CatalogDef& def : AllCatalogs()) m[def.oid] = 0;
  m[catalog_oid::kPgClass] = AllCatalogs().size() + indexes + AllSystemViews().size();
  m[catalog_oid::kPgAttribute] = attributes + view_columns;
  m[catalog_oid::kPgIndex] = indexes;
  m[catalog_oid::kPgType] = BuiltinTypes().size();
  m[catalog_oid::kPgNamespace] = 3;
  m[catalog_oid::kPgAm] = 7;
  m[catalog_oid::kPgTablespace] = 2;
  m[catalog_oid::kPgCollation] = 3;
  m[catalog_oid::kPgDatabase] = 2;  // template1 + the test database
  m[catalog_oid::kPgAuthid] = 1;
  m[catalog_oid::kPgProc] = BuiltinProcs().size();
  m[catalog_oid::kPgOperator] = BuiltinOperators().size();
  m[catalog_oid::kPgOpfamily] = BuiltinOpfamilies().size();
  m[catalog_oid::kPgOpclass] = BuiltinOpclasses().size();
  m[catalog_oid::kPgAmop] = BuiltinAmops().size();
  m[catalog_oid::kPgAmproc] = BuiltinAmprocs().size();
  m[catalog_oid::kPgCast] = BuiltinCasts().size();
  m[catalog_oid::kPgRewrite] = rules;
  return m;
}

class BootstrapTest : public ::testing::Test {
 protected:
  void SetUp() override { result_ = catalog::testing::BootstrapTestDatabase(); }

  void ExpectCounts() {
    transam::StartTransaction();
    const transam::Snapshot snap = transam::GetLatestSnapshot();
    for (const auto& [oid, count] : ExpectedCounts()) {
      EXPECT_EQ(CatalogSeqScan(Cat(oid), snap).size(), count) << GetCatalog(Oid(oid)).name;
    }
    transam::CommitTransaction();
  }

  // Every heap row is found through every index with its full key, and a keyless scan of
  // each index returns exactly the heap's tids.
  void ExpectIndexesMatchHeaps() {
    transam::StartTransaction();
    const transam::Snapshot snap = transam::GetLatestSnapshot();
    for (const CatalogDef& def : AllCatalogs()) {
      const CatalogRelation& cat = Cat(def.oid);
      const std::vector<access::HeapTuple> rows = CatalogSeqScan(cat, snap);
      std::multiset<storage::ItemPointer> heap_tids;
      for (const access::HeapTuple& r : rows) heap_tids.insert(r.self);
      for (const auto& idx : cat.indexes) {
        for (const access::HeapTuple& r : rows) {
          std::vector<access::Datum> keys;
          for (int col : idx->heap_columns) {
            keys.push_back(CatalogGetAttr(cat, r, def.columns[static_cast<size_t>(col)].name));
          }
          bool found = false;
          for (const access::HeapTuple& hit : CatalogIndexScan(cat, idx->def->oid, keys, snap)) {
            found = found || hit.self == r.self;
          }
          EXPECT_TRUE(found) << idx->def->name;
        }
        auto scan = access::IndexAmOf(idx->index).BeginScan(idx->index, 0, false);
        scan->Rescan({});
        std::multiset<storage::ItemPointer> index_tids;
        access::IndexScanEntry e;
        while (scan->GetNextTid(access::ScanDirection::kForward, &e)) index_tids.insert(e.tid);
        EXPECT_EQ(index_tids, heap_tids) << idx->def->name;
      }
    }
    transam::CommitTransaction();
  }

  ServerHarness harness_;
  BootstrapResult result_;
};

TEST_F(BootstrapTest, EveryCatalogHasTheExpectedRowCount) {
  EXPECT_EQ(result_.heaps_created, static_cast<int>(AllCatalogs().size()));
  ExpectCounts();
  for (const auto& [oid, count] : ExpectedCounts()) {
    EXPECT_EQ(static_cast<size_t>(result_.rows[oid]), count) << GetCatalog(Oid(oid)).name;
  }
}

TEST_F(BootstrapTest, PgClassDescribesEveryCatalogAndIndex) {
  transam::StartTransaction();
  const transam::Snapshot snap = transam::GetLatestSnapshot();
  const CatalogRelation& pg_class = Cat(catalog_oid::kPgClass);
  auto check = [&](uint32_t oid, std::string_view name, char kind, bool shared, int natts,
                   uint32_t am) {
    std::optional<access::HeapTuple> row = CatalogLookupByOid(pg_class, Oid(oid), snap);
    ASSERT_TRUE(row.has_value()) << name;
    EXPECT_EQ(CatalogGetName(pg_class, *row, "relname"), name);
    EXPECT_EQ(CatalogGetChar(pg_class, *row, "relkind"), kind) << name;
    EXPECT_EQ(CatalogGetOid(pg_class, *row, "relnamespace"), kPgCatalogNamespace) << name;
    EXPECT_EQ(CatalogGetBool(pg_class, *row, "relisshared"), shared) << name;
    EXPECT_EQ(CatalogGetInt(pg_class, *row, "relnatts"), natts) << name;
    EXPECT_EQ(CatalogGetOid(pg_class, *row, "relam"), am) << name;
    EXPECT_EQ(CatalogGetOid(pg_class, *row, "relfilenode"), oid) << name;
    // The same row by name through pg_class_relname_nsp_index.
    const std::vector<std::byte> key_name = MakeName(name);
    const access::Datum keys[] = {access::PointerGetDatum(key_name.data()),
                                  access::ObjectIdGetDatum(Oid(kPgCatalogNamespace))};
    const std::vector<access::HeapTuple> by_name = CatalogIndexScan(pg_class, 2663, keys, snap);
    ASSERT_EQ(by_name.size(), 1u) << name;
    EXPECT_EQ(by_name[0].self, row->self);
  };
  for (const CatalogDef& def : AllCatalogs()) {
    check(def.oid, def.name, 'r', def.shared, static_cast<int>(def.columns.size()), 2);
    std::optional<access::HeapTuple> row = CatalogLookupByOid(pg_class, Oid(def.oid), snap);
    ASSERT_TRUE(row.has_value());
    EXPECT_EQ(CatalogGetOid(pg_class, *row, "reltype"), def.rowtype_oid);
    for (const CatalogIndexDef& idx : def.indexes) check(idx.oid, idx.name, 'i', def.shared, idx.nkeys, 403);
  }
  transam::CommitTransaction();
}

TEST_F(BootstrapTest, PgAttributeRowsEqualTheDefinitions) {
  transam::StartTransaction();
  const transam::Snapshot snap = transam::GetLatestSnapshot();
  const CatalogRelation& att = Cat(catalog_oid::kPgAttribute);
  for (const CatalogDef& def : AllCatalogs()) {
    // By (attrelid, attrelid prefix): all of one catalog's rows, in attnum order.
    const access::Datum rel_key = access::ObjectIdGetDatum(Oid(def.oid));
    const std::vector<access::HeapTuple> rows = CatalogIndexScan(att, 2659, {&rel_key, 1}, snap);
    ASSERT_EQ(rows.size(), def.columns.size() + 6) << def.name;
    int16_t prev = -100;
    size_t user = 0;
    for (const access::HeapTuple& r : rows) {
      const int64_t attnum = CatalogGetInt(att, r, "attnum");
      EXPECT_GT(attnum, prev);
      prev = static_cast<int16_t>(attnum);
      if (attnum < 0) continue;
      const CatalogColumn& c = def.columns[static_cast<size_t>(attnum - 1)];
      ++user;
      EXPECT_EQ(CatalogGetName(att, r, "attname"), c.name);
      EXPECT_EQ(CatalogGetOid(att, r, "atttypid"), c.type_oid);
      EXPECT_EQ(CatalogGetBool(att, r, "attnotnull"), c.not_null);
      EXPECT_EQ(CatalogGetInt(att, r, "attlen"), FindBuiltinType(c.type_oid)->typlen);
      // And by (attrelid, attname) through the other index.
      const std::vector<std::byte> name = MakeName(c.name);
      const access::Datum keys[] = {rel_key, access::PointerGetDatum(name.data())};
      const std::vector<access::HeapTuple> hit = CatalogIndexScan(att, 2658, keys, snap);
      ASSERT_EQ(hit.size(), 1u);
      EXPECT_EQ(hit[0].self, r.self);
    }
    EXPECT_EQ(user, def.columns.size());
    EXPECT_EQ(prev, static_cast<int16_t>(def.columns.size()));
    EXPECT_EQ(CatalogGetName(att, rows.front(), "attname"), "tableoid");  // attnum -6
  }
  transam::CommitTransaction();
}

// attndims and attcollation as PostgreSQL 15's initdb writes them (its pg_attribute rows):
// varlena types with an element type (arrays, int2vector, oidvector) have attndims 1;
// collation-aware catalog columns (name, text, text[], pg_node_tree) use "C" (950), not the
// type's default collation (100).
TEST_F(BootstrapTest, PgAttributeDimsAndCollationsArePostgres15s) {
  struct Expected {
    uint32_t catalog;
    const char* column;
    int ndims;
    uint32_t collation;
  };
  const Expected expected[] = {
      {catalog_oid::kPgClass, "oid", 0, 0},
      {catalog_oid::kPgClass, "relname", 0, 950},
      {catalog_oid::kPgClass, "relacl", 1, 0},
      {catalog_oid::kPgClass, "ctid", 0, 0},
      {catalog_oid::kPgIndex, "indkey", 1, 0},
      {catalog_oid::kPgIndex, "indclass", 1, 0},
      {catalog_oid::kPgIndex, "indcollation", 1, 0},
      {catalog_oid::kPgIndex, "indexprs", 0, 950},
      {catalog_oid::kPgProc, "proargtypes", 1, 0},
      {catalog_oid::kPgProc, "proallargtypes", 1, 0},
      {catalog_oid::kPgProc, "prosrc", 0, 950},
      {catalog_oid::kPgAttribute, "attoptions", 1, 950},
      {catalog_oid::kPgDatabase, "datcollate", 0, 950},
  };
  transam::StartTransaction();
  const transam::Snapshot snap = transam::GetLatestSnapshot();
  const CatalogRelation& att = Cat(catalog_oid::kPgAttribute);
  for (const Expected& e : expected) {
    const std::vector<std::byte> name = MakeName(e.column);
    const access::Datum keys[] = {access::ObjectIdGetDatum(Oid(e.catalog)),
                                  access::PointerGetDatum(name.data())};
    const std::vector<access::HeapTuple> hit = CatalogIndexScan(att, 2658, keys, snap);
    ASSERT_EQ(hit.size(), 1u) << e.column;
    EXPECT_EQ(CatalogGetInt(att, hit[0], "attndims"), e.ndims) << e.column;
    EXPECT_EQ(CatalogGetOid(att, hit[0], "attcollation"), e.collation) << e.column;
  }
  // No catalog column anywhere uses the default collation (view columns may: C18).
  for (const access::HeapTuple& r : CatalogSeqScan(att, snap)) {
    if (FindSystemView(Oid(CatalogGetOid(att, r, "attrelid"))) != nullptr) continue;
    EXPECT_NE(CatalogGetOid(att, r, "attcollation"), kDefaultCollation)
        << CatalogGetName(att, r, "attname");
  }
  transam::CommitTransaction();
}

TEST_F(BootstrapTest, EveryIndexMatchesItsHeap) { ExpectIndexesMatchHeaps(); }

TEST_F(BootstrapTest, LookupsByOidAgreeWithSequentialScans) {
  transam::StartTransaction();
  const transam::Snapshot snap = transam::GetLatestSnapshot();
  size_t checked = 0, expected = 0;
  for (const CatalogDef& def : AllCatalogs()) {
    if (!def.HasOidColumn()) continue;
    expected += ExpectedCounts()[def.oid];
    const CatalogRelation& cat = Cat(def.oid);
    for (const access::HeapTuple& r : CatalogSeqScan(cat, snap)) {
      const Oid oid(CatalogGetOid(cat, r, "oid"));
      std::optional<access::HeapTuple> by_index = CatalogLookupByOid(cat, oid, snap);
      std::optional<access::HeapTuple> by_scan = CatalogSeqScanByOid(cat, oid, snap);
      ASSERT_TRUE(by_index.has_value()) << def.name << " " << oid.value();
      ASSERT_TRUE(by_scan.has_value());
      EXPECT_EQ(by_index->self, by_scan->self);
      ASSERT_EQ(by_index->size(), by_scan->size());
      EXPECT_EQ(std::memcmp(by_index->data() + by_index->header()->hoff,
                            by_scan->data() + by_scan->header()->hoff,
                            by_index->size() - by_index->header()->hoff), 0);
      ++checked;
    }
    EXPECT_FALSE(CatalogLookupByOid(cat, Oid(999999), snap).has_value());
  }
  EXPECT_EQ(checked, expected);
  EXPECT_GT(checked, 200u);
  transam::CommitTransaction();
}

TEST_F(BootstrapTest, BuiltinRowsHavePostgresValues) {
  transam::StartTransaction();
  const transam::Snapshot snap = transam::GetLatestSnapshot();
  auto by_name = [&](uint32_t catalog, uint32_t index, std::string_view name) {
    const std::vector<std::byte> key = MakeName(name);
    const access::Datum k = access::PointerGetDatum(key.data());
    std::vector<access::HeapTuple> rows = CatalogIndexScan(Cat(catalog), index, {&k, 1}, snap);
    EXPECT_EQ(rows.size(), 1u) << name;
    return rows.empty() ? access::HeapTuple() : std::move(rows[0]);
  };
  const CatalogRelation& ns = Cat(catalog_oid::kPgNamespace);
  EXPECT_EQ(CatalogGetOid(ns, by_name(catalog_oid::kPgNamespace, 2684, "pg_catalog"), "oid"), 11u);
  EXPECT_EQ(CatalogGetOid(ns, by_name(catalog_oid::kPgNamespace, 2684, "public"), "oid"), 2200u);
  EXPECT_EQ(CatalogGetOid(Cat(catalog_oid::kPgAm), by_name(catalog_oid::kPgAm, 2651, "btree"), "oid"), 403u);
  const CatalogRelation& db = Cat(catalog_oid::kPgDatabase);
  EXPECT_EQ(CatalogGetOid(db, by_name(catalog_oid::kPgDatabase, 2671, "template1"), "oid"), 1u);
  EXPECT_EQ(CatalogGetOid(db, by_name(catalog_oid::kPgDatabase, 2671, "postgres"), "oid"), kDb.value());
  EXPECT_EQ(CatalogGetText(db, by_name(catalog_oid::kPgDatabase, 2671, "postgres"), "datcollate"), "C");
  const CatalogRelation& auth = Cat(catalog_oid::kPgAuthid);
  std::optional<access::HeapTuple> su = CatalogLookupByOid(auth, Oid(10), snap);
  ASSERT_TRUE(su.has_value());
  EXPECT_EQ(CatalogGetName(auth, *su, "rolname"), "alice");
  EXPECT_FALSE(CatalogGetText(auth, *su, "rolpassword").has_value());
  const CatalogRelation& ts = Cat(catalog_oid::kPgTablespace);
  EXPECT_EQ(CatalogGetOid(ts, by_name(catalog_oid::kPgTablespace, 2698, "pg_global"), "oid"), 1664u);
  // pg_type by (typname, typnamespace) and by oid.
  const CatalogRelation& ty = Cat(catalog_oid::kPgType);
  const std::vector<std::byte> int4 = MakeName("_int4");
  const access::Datum keys[] = {access::PointerGetDatum(int4.data()),
                                access::ObjectIdGetDatum(Oid(kPgCatalogNamespace))};
  std::vector<access::HeapTuple> t = CatalogIndexScan(ty, 2704, keys, snap);
  ASSERT_EQ(t.size(), 1u);
  EXPECT_EQ(CatalogGetOid(ty, t[0], "oid"), 1007u);
  EXPECT_EQ(CatalogGetOid(ty, t[0], "typelem"), 23u);
  std::optional<access::HeapTuple> name = CatalogLookupByOid(ty, Oid(19), snap);
  ASSERT_TRUE(name.has_value());
  EXPECT_EQ(CatalogGetInt(ty, *name, "typlen"), 64);
  EXPECT_EQ(CatalogGetChar(ty, *name, "typcategory"), 'S');
  // pg_index: pg_class_relname_nsp_index keys (relname, relnamespace) = attnums (2, 3).
  const CatalogRelation& ix = Cat(catalog_oid::kPgIndex);
  const access::Datum idx_key = access::ObjectIdGetDatum(Oid(2663));
  std::vector<access::HeapTuple> ir = CatalogIndexScan(ix, 2679, {&idx_key, 1}, snap);
  ASSERT_EQ(ir.size(), 1u);
  EXPECT_EQ(CatalogGetOid(ix, ir[0], "indrelid"), catalog_oid::kPgClass);
  EXPECT_TRUE(CatalogGetBool(ix, ir[0], "indisunique"));
  EXPECT_EQ(Int2ArrayElements(access::DatumGetPointer(CatalogGetAttr(ix, ir[0], "indkey"))),
            (std::vector<int16_t>{2, 3}));
  EXPECT_EQ(OidArrayElements(access::DatumGetPointer(CatalogGetAttr(ix, ir[0], "indcollation"))),
            (std::vector<uint32_t>{kCCollation, 0}));
  transam::CommitTransaction();
}

// pg_proc / pg_operator / pg_opclass / pg_amop / pg_amproc / pg_cast rows as PostgreSQL 15 has
// them, found through the catalogs' own name indexes; pg_type's and pg_am's regproc columns.
TEST_F(BootstrapTest, FunctionsOperatorsClassesAndCastsArePostgres15s) {
  transam::StartTransaction();
  const transam::Snapshot snap = transam::GetLatestSnapshot();
  const access::Datum nsp = access::ObjectIdGetDatum(Oid(kPgCatalogNamespace));
  auto oid_key = [](uint32_t v) { return access::ObjectIdGetDatum(Oid(v)); };

  // pg_proc by (proname, proargtypes, pronamespace).
  const CatalogRelation& proc = Cat(catalog_oid::kPgProc);
  auto proc_row = [&](std::string_view name, std::vector<uint32_t> args) {
    const std::vector<std::byte> n = MakeName(name);
    const std::vector<std::byte> a = MakeOidArray(args, true);
    const access::Datum keys[] = {access::PointerGetDatum(n.data()),
                                  access::PointerGetDatum(a.data()), nsp};
    std::vector<access::HeapTuple> rows = CatalogIndexScan(proc, 2691, keys, snap);
    EXPECT_EQ(rows.size(), 1u) << name;
    return rows.empty() ? access::HeapTuple() : std::move(rows[0]);
  };
  const access::HeapTuple int4eq = proc_row("int4eq", {23, 23});
  EXPECT_EQ(CatalogGetOid(proc, int4eq, "oid"), 65u);
  EXPECT_EQ(CatalogGetOid(proc, int4eq, "prorettype"), 16u);
  EXPECT_EQ(CatalogGetChar(proc, int4eq, "provolatile"), 'i');
  EXPECT_TRUE(CatalogGetBool(proc, int4eq, "proleakproof"));
  EXPECT_EQ(CatalogGetOid(proc, int4eq, "prolang"), 12u);
  EXPECT_EQ(CatalogGetText(proc, int4eq, "prosrc"), "int4eq");
  EXPECT_FALSE(CatalogGetText(proc, int4eq, "proargnames").has_value());
  const access::HeapTuple len = proc_row("length", {25});
  EXPECT_EQ(CatalogGetOid(proc, len, "oid"), 1317u);
  EXPECT_EQ(CatalogGetText(proc, len, "prosrc"), "textlen");
  const access::HeapTuple activity = proc_row("pg_stat_get_activity", {23});
  EXPECT_EQ(CatalogGetOid(proc, activity, "oid"), 2022u);
  EXPECT_TRUE(CatalogGetBool(proc, activity, "proretset"));
  EXPECT_EQ(CatalogGetInt(proc, activity, "pronargs"), 1);
  const ProcRow& expected = *FindBuiltinProc(2022);
  auto array = [&](const char* column) {
    return access::DatumGetPointer(CatalogGetAttr(proc, activity, column));
  };
  EXPECT_EQ(OidArrayElements(array("proallargtypes")), expected.all_arg_types);
  EXPECT_EQ(CharArrayElements(array("proargmodes")), expected.arg_modes);
  const std::vector<std::string> names = TextArrayElements(array("proargnames"));
  ASSERT_EQ(names.size(), 31u);
  EXPECT_EQ(names[1], "datid");
  EXPECT_EQ(names[30], "query_id");

  // pg_operator by (oprname, oprleft, oprright, oprnamespace).
  const CatalogRelation& opr = Cat(catalog_oid::kPgOperator);
  const std::vector<std::byte> eq = MakeName("=");
  const access::Datum op_keys[] = {access::PointerGetDatum(eq.data()), oid_key(23), oid_key(20),
                                   nsp};
  std::vector<access::HeapTuple> op = CatalogIndexScan(opr, 2689, op_keys, snap);
  ASSERT_EQ(op.size(), 1u);
  EXPECT_EQ(CatalogGetOid(opr, op[0], "oid"), 15u);
  EXPECT_EQ(CatalogGetOid(opr, op[0], "oprcode"), 852u);  // int48eq
  EXPECT_EQ(CatalogGetOid(opr, op[0], "oprcom"), 416u);
  EXPECT_EQ(CatalogGetOid(opr, op[0], "oprnegate"), 36u);
  EXPECT_EQ(CatalogGetOid(opr, op[0], "oprrest"), 101u);   // eqsel
  EXPECT_EQ(CatalogGetOid(opr, op[0], "oprjoin"), 105u);   // eqjoinsel
  EXPECT_TRUE(CatalogGetBool(opr, op[0], "oprcanhash"));

  // pg_opclass by (opcmethod, opcname, opcnamespace); its family; its members.
  const CatalogRelation& opc = Cat(catalog_oid::kPgOpclass);
  const std::vector<std::byte> int4_ops = MakeName("int4_ops");
  const access::Datum opc_keys[] = {oid_key(403), access::PointerGetDatum(int4_ops.data()), nsp};
  std::vector<access::HeapTuple> cls = CatalogIndexScan(opc, 2686, opc_keys, snap);
  ASSERT_EQ(cls.size(), 1u);
  EXPECT_EQ(CatalogGetOid(opc, cls[0], "oid"), 1978u);
  EXPECT_EQ(CatalogGetOid(opc, cls[0], "opcfamily"), 1976u);
  EXPECT_TRUE(CatalogGetBool(opc, cls[0], "opcdefault"));
  const CatalogRelation& amop = Cat(catalog_oid::kPgAmop);
  const access::Datum amop_keys[] = {oid_key(1976), oid_key(23), oid_key(20),
                                     access::Int16GetDatum(kBtreeEqualStrategy)};
  std::vector<access::HeapTuple> member = CatalogIndexScan(amop, 2653, amop_keys, snap);
  ASSERT_EQ(member.size(), 1u);
  EXPECT_EQ(CatalogGetOid(amop, member[0], "amopopr"), 15u);
  const access::Datum family_key = oid_key(1976);
  EXPECT_EQ(CatalogIndexScan(amop, 2653, {&family_key, 1}, snap).size(), 45u);  // 3 x 3 x 5
  const CatalogRelation& amproc = Cat(catalog_oid::kPgAmproc);
  const access::Datum amproc_keys[] = {oid_key(1976), oid_key(23), oid_key(23),
                                       access::Int16GetDatum(kBtreeOrderProc)};
  std::vector<access::HeapTuple> support = CatalogIndexScan(amproc, 2655, amproc_keys, snap);
  ASSERT_EQ(support.size(), 1u);
  EXPECT_EQ(CatalogGetOid(amproc, support[0], "amproc"), 351u);  // btint4cmp

  // pg_cast by (castsource, casttarget).
  const CatalogRelation& cast = Cat(catalog_oid::kPgCast);
  const access::Datum cast_keys[] = {oid_key(23), oid_key(20)};
  std::vector<access::HeapTuple> c = CatalogIndexScan(cast, 2661, cast_keys, snap);
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(CatalogGetOid(cast, c[0], "castfunc"), 481u);
  EXPECT_EQ(CatalogGetChar(cast, c[0], "castcontext"), 'i');
  EXPECT_EQ(CatalogGetChar(cast, c[0], "castmethod"), 'f');

  // pg_type's regproc columns (C9) and pg_am.amhandler.
  const CatalogRelation& ty = Cat(catalog_oid::kPgType);
  struct TypeFns {
    uint32_t type;
    const char* column;
    uint32_t proc;
  };
  for (const TypeFns& e : {TypeFns{23, "typinput", 42}, TypeFns{23, "typoutput", 43},
                           TypeFns{23, "typreceive", 2406}, TypeFns{23, "typsend", 2407},
                           TypeFns{23, "typmodin", 0}, TypeFns{1007, "typinput", 750},
                           TypeFns{1007, "typanalyze", 3816}, TypeFns{1007, "typsubscript", 6179},
                           TypeFns{19, "typsubscript", 6180}, TypeFns{1700, "typmodin", 2917},
                           TypeFns{1231, "typmodout", 2918}, TypeFns{83, "typinput", 2290},
                           TypeFns{3802, "typsubscript", 6098}, TypeFns{869, "typinput", 910}}) {
    std::optional<access::HeapTuple> row = CatalogLookupByOid(ty, Oid(e.type), snap);
    ASSERT_TRUE(row.has_value()) << e.type;
    EXPECT_EQ(CatalogGetOid(ty, *row, e.column), e.proc) << e.type << " " << e.column;
  }
  const CatalogRelation& am = Cat(catalog_oid::kPgAm);
  EXPECT_EQ(CatalogGetOid(am, *CatalogLookupByOid(am, Oid(403), snap), "amhandler"), 330u);
  EXPECT_EQ(CatalogGetOid(am, *CatalogLookupByOid(am, Oid(2), snap), "amhandler"), 3u);
  // Every regproc column of pg_type and pg_am names a pg_proc row.
  for (const access::HeapTuple& r : CatalogSeqScan(ty, snap)) {
    for (const char* col : {"typinput", "typoutput", "typreceive", "typsend", "typmodin",
                            "typmodout", "typanalyze", "typsubscript"}) {
      const uint32_t fn = CatalogGetOid(ty, r, col);
      if (fn == 0) continue;
      EXPECT_TRUE(CatalogLookupByOid(proc, Oid(fn), snap).has_value()) << col << " " << fn;
    }
  }
  transam::CommitTransaction();
}

// pg_index.indclass holds, for every key column, a pg_opclass row of the key's type (C23).
TEST_F(BootstrapTest, IndexClassesArePgOpclassRowsOfTheKeyTypes) {
  transam::StartTransaction();
  const transam::Snapshot snap = transam::GetLatestSnapshot();
  const CatalogRelation& ix = Cat(catalog_oid::kPgIndex);
  const CatalogRelation& opc = Cat(catalog_oid::kPgOpclass);
  size_t keys = 0;
  for (const access::HeapTuple& r : CatalogSeqScan(ix, snap)) {
    const CatalogDef& def = GetCatalog(Oid(CatalogGetOid(ix, r, "indrelid")));
    const std::vector<int16_t> attnums =
        Int2ArrayElements(access::DatumGetPointer(CatalogGetAttr(ix, r, "indkey")));
    const std::vector<uint32_t> classes =
        OidArrayElements(access::DatumGetPointer(CatalogGetAttr(ix, r, "indclass")));
    ASSERT_EQ(attnums.size(), classes.size());
    for (size_t k = 0; k < classes.size(); ++k) {
      uint32_t key_type = def.columns[static_cast<size_t>(attnums[k] - 1)].type_oid;
      if (key_type == type::kRegproc) key_type = type::kOid;  // binary coercible
      std::optional<access::HeapTuple> cls = CatalogLookupByOid(opc, Oid(classes[k]), snap);
      ASSERT_TRUE(cls.has_value()) << def.name << " " << classes[k];
      EXPECT_EQ(CatalogGetOid(opc, *cls, "opcintype"), key_type) << def.name;
      EXPECT_TRUE(CatalogGetBool(opc, *cls, "opcdefault"));
      ++keys;
    }
  }
  EXPECT_GT(keys, 60u);
  // pg_class_relname_nsp_index: name_ops (10028) and oid_ops (1981), as PostgreSQL 15.
  const access::Datum idx_key = access::ObjectIdGetDatum(Oid(2663));
  std::vector<access::HeapTuple> ir = CatalogIndexScan(ix, 2679, {&idx_key, 1}, snap);
  ASSERT_EQ(ir.size(), 1u);
  EXPECT_EQ(OidArrayElements(access::DatumGetPointer(CatalogGetAttr(ix, ir[0], "indclass"))),
            (std::vector<uint32_t>{10028, 1981}));
  transam::CommitTransaction();
}

// The system views: pg_class (relkind 'v', no storage), pg_type (row type and its array),
// pg_attribute (PostgreSQL 15's columns in order) and pg_rewrite ("_RETURN" with the SQL).
TEST_F(BootstrapTest, SystemViewsHaveClassTypeAttributeAndRewriteRows) {
  transam::StartTransaction();
  const transam::Snapshot snap = transam::GetLatestSnapshot();
  const CatalogRelation& cls = Cat(catalog_oid::kPgClass);
  const CatalogRelation& ty = Cat(catalog_oid::kPgType);
  const CatalogRelation& att = Cat(catalog_oid::kPgAttribute);
  const CatalogRelation& rw = Cat(catalog_oid::kPgRewrite);
  for (const SystemViewDef& view : AllSystemViews()) {
    const std::vector<std::byte> name = MakeName(view.name);
    const access::Datum name_keys[] = {access::PointerGetDatum(name.data()),
                                       access::ObjectIdGetDatum(Oid(kPgCatalogNamespace))};
    std::vector<access::HeapTuple> c = CatalogIndexScan(cls, 2663, name_keys, snap);
    ASSERT_EQ(c.size(), 1u) << view.name;
    EXPECT_EQ(CatalogGetOid(cls, c[0], "oid"), view.oid);
    EXPECT_EQ(CatalogGetChar(cls, c[0], "relkind"), 'v');
    EXPECT_EQ(CatalogGetOid(cls, c[0], "relfilenode"), 0u);
    EXPECT_EQ(CatalogGetOid(cls, c[0], "relam"), 0u);
    EXPECT_TRUE(CatalogGetBool(cls, c[0], "relhasrules"));
    EXPECT_EQ(CatalogGetInt(cls, c[0], "relnatts"), static_cast<int64_t>(view.columns.size()));
    EXPECT_EQ(CatalogGetOid(cls, c[0], "reltype"), view.rowtype_oid);

    std::vector<access::HeapTuple> t = CatalogIndexScan(ty, 2704, name_keys, snap);
    ASSERT_EQ(t.size(), 1u) << view.name;
    EXPECT_EQ(CatalogGetOid(ty, t[0], "oid"), view.rowtype_oid);
    EXPECT_EQ(CatalogGetOid(ty, t[0], "typrelid"), view.oid);
    EXPECT_EQ(CatalogGetChar(ty, t[0], "typtype"), 'c');
    EXPECT_EQ(CatalogGetOid(ty, t[0], "typarray"), view.array_type_oid);
    EXPECT_TRUE(CatalogLookupByOid(ty, Oid(view.array_type_oid), snap).has_value());

    const access::Datum rel_key = access::ObjectIdGetDatum(Oid(view.oid));
    std::vector<access::HeapTuple> cols = CatalogIndexScan(att, 2659, {&rel_key, 1}, snap);
    ASSERT_EQ(cols.size(), view.columns.size()) << view.name;
    for (size_t i = 0; i < cols.size(); ++i) {
      EXPECT_EQ(CatalogGetInt(att, cols[i], "attnum"), static_cast<int64_t>(i + 1));
      EXPECT_EQ(CatalogGetName(att, cols[i], "attname"), view.columns[i].name);
      EXPECT_EQ(CatalogGetOid(att, cols[i], "atttypid"), view.columns[i].type_oid);
      EXPECT_EQ(CatalogGetOid(att, cols[i], "attcollation"), view.columns[i].collation);
      EXPECT_FALSE(CatalogGetBool(att, cols[i], "attnotnull"));
    }

    std::vector<access::HeapTuple> rules = CatalogIndexScan(rw, 2693, {&rel_key, 1}, snap);
    EXPECT_EQ(rules.size(), view.rules.size()) << view.name;
    const std::vector<std::byte> ret = MakeName("_RETURN");
    const access::Datum rule_keys[] = {rel_key, access::PointerGetDatum(ret.data())};
    std::vector<access::HeapTuple> r = CatalogIndexScan(rw, 2693, rule_keys, snap);
    ASSERT_EQ(r.size(), 1u) << view.name;
    EXPECT_EQ(CatalogGetOid(rw, r[0], "oid"), view.rules[0].oid);
    EXPECT_EQ(CatalogGetChar(rw, r[0], "ev_type"), '1');
    EXPECT_EQ(CatalogGetChar(rw, r[0], "ev_enabled"), 'O');
    EXPECT_TRUE(CatalogGetBool(rw, r[0], "is_instead"));
    EXPECT_EQ(CatalogGetText(rw, r[0], "ev_qual"), "<>");
    EXPECT_EQ(CatalogGetText(rw, r[0], "ev_action"), std::string(SystemViewDefinition(view)));
  }
  // pg_settings' update rule calls set_config.
  const std::vector<std::byte> u = MakeName("pg_settings_u");
  const access::Datum u_keys[] = {access::ObjectIdGetDatum(Oid(12104)),
                                  access::PointerGetDatum(u.data())};
  std::vector<access::HeapTuple> rule = CatalogIndexScan(rw, 2693, u_keys, snap);
  ASSERT_EQ(rule.size(), 1u);
  EXPECT_EQ(CatalogGetChar(rw, rule[0], "ev_type"), '2');
  EXPECT_EQ(CatalogGetText(rw, rule[0], "ev_qual"), "new.name = old.name");
  EXPECT_NE(CatalogGetText(rw, rule[0], "ev_action")->find("set_config"), std::string::npos);
  transam::CommitTransaction();
}

TEST_F(BootstrapTest, CommittedBootstrapSurvivesCrashRecovery) {
  harness_.Crash();
  ExpectCounts();
  ExpectIndexesMatchHeaps();
  transam::StartTransaction();
  const transam::Snapshot snap = transam::GetLatestSnapshot();
  EXPECT_TRUE(CatalogLookupByOid(Cat(catalog_oid::kPgClass), Oid(catalog_oid::kPgAttribute), snap)
                  .has_value());
  transam::CommitTransaction();
}

TEST(BootstrapAbort, AnAbortedBootstrapLeavesNoVisibleRows) {
  ServerHarness harness;
  transam::StartTransaction();
  BootstrapOptions options;
  options.database = kDb;
  (void)BootstrapCatalogs(options);
  transam::AbortTransaction();
  transam::StartTransaction();
  const transam::Snapshot snap = transam::GetLatestSnapshot();
  EXPECT_TRUE(CatalogSeqScan(Cat(catalog_oid::kPgClass), snap).empty());
  EXPECT_FALSE(CatalogLookupByOid(Cat(catalog_oid::kPgType), Oid(23), snap).has_value());
  transam::CommitTransaction();
}

}  // namespace
}  // namespace keel::catalog
