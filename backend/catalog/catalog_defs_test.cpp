// The catalog definitions and built-in types: internal consistency (C1-C10) and PostgreSQL 15's
// oids spot-checked for well-known objects. README.md ("Tests").
#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <string>

#include "backend/catalog/builtin_types.h"
#include "backend/catalog/catalog_defs.h"
#include "backend/catalog/catalog_relation.h"
#include "backend/catalog/catalog_values.h"
#include "backend/utils/error/error.h"

namespace keel::catalog {
namespace {

TEST(CatalogDefs, OidsAreUniqueAcrossCatalogsIndexesAndTypes) {  // C1
  std::set<uint32_t> rel_oids;
  std::set<std::string> rel_names;
  for (const CatalogDef& def : AllCatalogs()) {
    EXPECT_TRUE(rel_oids.insert(def.oid).second) << def.name;
    EXPECT_TRUE(rel_names.insert(std::string(def.name)).second) << def.name;
    for (const CatalogIndexDef& idx : def.indexes) {
      EXPECT_TRUE(rel_oids.insert(idx.oid).second) << idx.name;
      EXPECT_TRUE(rel_names.insert(std::string(idx.name)).second) << idx.name;
    }
  }
  std::set<uint32_t> type_oids;
  std::set<std::string> type_names;
  for (const TypeRow& t : BuiltinTypes()) {
    EXPECT_TRUE(type_oids.insert(t.oid).second) << t.name;
    EXPECT_TRUE(type_names.insert(t.name).second) << t.name;
    // pg_class and pg_type share PostgreSQL's oid counter: no type oid names a relation.
    EXPECT_EQ(rel_oids.count(t.oid), 0u) << t.name;
  }
  EXPECT_EQ(AllCatalogs().size(), 27u);
}

TEST(CatalogDefs, EveryIndexColumnExistsAndIsComparable) {  // C2
  for (const CatalogDef& def : AllCatalogs()) {
    std::set<std::string> cols;
    for (const CatalogColumn& c : def.columns) {
      EXPECT_TRUE(cols.insert(std::string(c.name)).second) << def.name << "." << c.name;
    }
    int primary = 0;
    for (const CatalogIndexDef& idx : def.indexes) {
      ASSERT_GE(idx.nkeys, 1) << idx.name;
      ASSERT_LE(idx.nkeys, kMaxCatalogIndexKeys) << idx.name;
      EXPECT_TRUE(idx.name.starts_with(def.name)) << idx.name;
      for (int k = 0; k < idx.nkeys; ++k) {
        const int col = def.ColumnIndex(idx.keys[k]);
        ASSERT_GE(col, 0) << idx.name << " key " << idx.keys[k];
        EXPECT_TRUE(def.columns[static_cast<size_t>(col)].not_null) << idx.name;
        EXPECT_NE(CatalogKeyColumnForType(def.columns[static_cast<size_t>(col)].type_oid).compare,
                  nullptr);
      }
      if (idx.primary) {
        ++primary;
        EXPECT_TRUE(idx.unique) << idx.name;
      }
    }
    // pg_depend and pg_shdepend have no unique index and so no primary key, as in PostgreSQL.
    const bool any_unique = std::any_of(def.indexes.begin(), def.indexes.end(),
                                        [](const CatalogIndexDef& i) { return i.unique; });
    EXPECT_EQ(primary, any_unique ? 1 : 0) << def.name;
    if (def.HasOidColumn()) {
      EXPECT_NE(OidIndexOf(def), nullptr) << def.name;
    }
  }
}

TEST(CatalogDefs, SharedCatalogsAndTheirIndexesLiveInGlobal) {  // C6
  const std::set<std::string> shared = {"pg_database", "pg_authid", "pg_auth_members",
                                        "pg_tablespace", "pg_shdepend", "pg_shdescription"};
  for (const CatalogDef& def : AllCatalogs()) {
    EXPECT_EQ(def.shared, shared.count(std::string(def.name)) == 1) << def.name;
    const CatalogRelation& cat = OpenCatalog(def.oid, Oid(5));
    EXPECT_EQ(cat.rel.locator.db, def.shared ? kInvalidOid : Oid(5)) << def.name;
    EXPECT_EQ(cat.rel.locator.rel, Oid(def.oid));
    EXPECT_EQ(cat.rel.locator.spc, Oid(def.shared ? kGlobalTablespace : kDefaultTablespace));
    for (const auto& idx : cat.indexes) {
      EXPECT_EQ(idx->index.rel.locator.db, cat.rel.locator.db) << idx->def->name;
      EXPECT_EQ(idx->index.rel.locator.spc, cat.rel.locator.spc) << idx->def->name;
      EXPECT_EQ(idx->index.heap_id, cat.rel.id);
      EXPECT_EQ(idx->index.rel.desc->natts(), idx->def->nkeys);
    }
  }
}

TEST(CatalogDefs, ColumnTypesAreKnownAndDescriptorsMatch) {  // C3
  for (const CatalogDef& def : AllCatalogs()) {
    const access::TupleDesc desc = CatalogTupleDesc(def);
    ASSERT_EQ(static_cast<size_t>(desc.natts()), def.columns.size());
    for (int i = 0; i < desc.natts(); ++i) {
      const TypeRow* t = FindBuiltinType(def.columns[static_cast<size_t>(i)].type_oid);
      ASSERT_NE(t, nullptr) << def.name << "." << def.columns[static_cast<size_t>(i)].name;
      EXPECT_EQ(desc.attr(i).attlen, t->typlen);
      EXPECT_EQ(desc.attr(i).attbyval, t->typbyval);
      EXPECT_EQ(desc.attr(i).attalign, t->typalign);
      EXPECT_EQ(desc.attr(i).attnotnull, def.columns[static_cast<size_t>(i)].not_null);
    }
  }
}

TEST(CatalogDefs, PostgresOidsOfWellKnownObjects) {
  struct Expect {
    const char* name;
    uint32_t oid;
    uint32_t rowtype;
    bool shared;
  };
  for (const Expect& e : {Expect{"pg_class", 1259, 83, false}, Expect{"pg_attribute", 1249, 75, false},
                          Expect{"pg_type", 1247, 71, false}, Expect{"pg_proc", 1255, 81, false},
                          Expect{"pg_database", 1262, 1248, true}, Expect{"pg_authid", 1260, 2842, true},
                          Expect{"pg_auth_members", 1261, 2843, true},
                          Expect{"pg_namespace", 2615, 0, false}, Expect{"pg_am", 2601, 0, false},
                          Expect{"pg_index", 2610, 0, false}, Expect{"pg_tablespace", 1213, 0, true},
                          Expect{"pg_collation", 3456, 0, false}}) {
    const CatalogDef* def = FindCatalog(e.name);
    ASSERT_NE(def, nullptr) << e.name;
    EXPECT_EQ(def->oid, e.oid) << e.name;
    EXPECT_EQ(def->shared, e.shared) << e.name;
    if (e.rowtype != 0) {
      EXPECT_EQ(def->rowtype_oid, e.rowtype) << e.name;
    } else {  // C4: assigned from the genbki range
      EXPECT_GE(def->rowtype_oid, kFirstAssignedOid) << e.name;
      EXPECT_LT(def->rowtype_oid, kFirstNormalObjectId) << e.name;
    }
    EXPECT_EQ(FindCatalog(Oid(e.oid)), def);
  }
  auto index_named = [](const char* cat, uint32_t oid) -> std::string {
    for (const CatalogIndexDef& idx : FindCatalog(cat)->indexes) {
      if (idx.oid == oid) return std::string(idx.name);
    }
    return "";
  };
  EXPECT_EQ(index_named("pg_class", 2662), "pg_class_oid_index");
  EXPECT_EQ(index_named("pg_class", 2663), "pg_class_relname_nsp_index");
  EXPECT_EQ(index_named("pg_type", 2703), "pg_type_oid_index");
  EXPECT_EQ(index_named("pg_type", 2704), "pg_type_typname_nsp_index");
  EXPECT_EQ(index_named("pg_attribute", 2659), "pg_attribute_relid_attnum_index");
  EXPECT_EQ(index_named("pg_attribute", 2658), "pg_attribute_relid_attnam_index");
  EXPECT_EQ(index_named("pg_namespace", 2684), "pg_namespace_nspname_index");
  EXPECT_EQ(index_named("pg_database", 2671), "pg_database_datname_index");
  EXPECT_EQ(index_named("pg_proc", 2690), "pg_proc_oid_index");
  EXPECT_EQ(index_named("pg_index", 2679), "pg_index_indexrelid_index");

  struct TypeExpect {
    uint32_t oid;
    const char* name;
    int16_t len;
    bool byval;
    char align;
    uint32_t array;
  };
  for (const TypeExpect& e :
       {TypeExpect{16, "bool", 1, true, 'c', 1000}, TypeExpect{19, "name", 64, false, 'c', 1003},
        TypeExpect{20, "int8", 8, true, 'd', 1016}, TypeExpect{21, "int2", 2, true, 's', 1005},
        TypeExpect{23, "int4", 4, true, 'i', 1007}, TypeExpect{25, "text", -1, false, 'i', 1009},
        TypeExpect{26, "oid", 4, true, 'i', 1028}, TypeExpect{700, "float4", 4, true, 'i', 1021},
        TypeExpect{701, "float8", 8, true, 'd', 1022}, TypeExpect{1043, "varchar", -1, false, 'i', 1015},
        TypeExpect{1700, "numeric", -1, false, 'i', 1231}, TypeExpect{2950, "uuid", 16, false, 'c', 2951},
        TypeExpect{3802, "jsonb", -1, false, 'i', 3807}, TypeExpect{1184, "timestamptz", 8, true, 'd', 1185},
        TypeExpect{2275, "cstring", -2, false, 'c', 1263}, TypeExpect{1007, "_int4", -1, false, 'i', 0},
        TypeExpect{1009, "_text", -1, false, 'i', 0}, TypeExpect{83, "pg_class", -1, false, 'd', 273}}) {
    const TypeRow* t = FindBuiltinType(e.oid);
    ASSERT_NE(t, nullptr) << e.name;
    EXPECT_EQ(t->name, e.name);
    EXPECT_EQ(t->typlen, e.len) << e.name;
    EXPECT_EQ(t->typbyval, e.byval) << e.name;
    EXPECT_EQ(t->typalign, e.align) << e.name;
    EXPECT_EQ(t->typarray, e.array) << e.name;
  }
  EXPECT_EQ(FindBuiltinType(16)->input, "boolin");
  EXPECT_EQ(FindBuiltinType(1082)->output, "date_out");
  EXPECT_EQ(FindBuiltinType(1007)->input, "array_in");
  EXPECT_EQ(FindBuiltinType(83)->typrelid, 1259u);
  EXPECT_EQ(FindBuiltinType(123456), nullptr);
}

TEST(CatalogDefs, ArrayTypePairsAreConsistent) {  // C8
  int arrays = 0;
  for (const TypeRow& t : BuiltinTypes()) {
    if (t.typarray != 0) {
      const TypeRow* a = FindBuiltinType(t.typarray);
      ASSERT_NE(a, nullptr) << t.name;
      EXPECT_EQ(a->typelem, t.oid) << a->name;
      EXPECT_EQ(a->name, "_" + t.name);
      EXPECT_EQ(a->typlen, -1);
      EXPECT_EQ(a->typarray, 0u);
      EXPECT_EQ(a->input, "array_in");
      ++arrays;
    }
    if (t.name.starts_with("_")) {
      const TypeRow* e = FindBuiltinType(t.typelem);
      ASSERT_NE(e, nullptr) << t.name;
      EXPECT_EQ(e->typarray, t.oid) << t.name;
    }
  }
  EXPECT_GE(arrays, 40);
  for (const CatalogDef& def : AllCatalogs()) {  // C10
    const TypeRow* row = FindBuiltinType(def.rowtype_oid);
    ASSERT_NE(row, nullptr) << def.name;
    EXPECT_EQ(row->typtype, 'c');
    EXPECT_EQ(row->typrelid, def.oid);
    EXPECT_EQ(row->name, def.name);
  }
}

TEST(CatalogDefs, ArrayValuesRoundTripAndCompare) {
  const std::vector<uint32_t> a = {23, 25, 26};
  const std::vector<uint32_t> b = {23, 25, 27};
  const std::vector<std::byte> va = MakeOidArray(a, true);
  const std::vector<std::byte> vb = MakeOidArray(b, true);
  EXPECT_EQ(OidArrayElements(va.data()), a);
  const access::IndexKeyColumn k = CatalogKeyColumnForType(type::kOidVector);
  EXPECT_LT(k.compare(access::PointerGetDatum(va.data()), access::PointerGetDatum(vb.data()), nullptr), 0);
  EXPECT_EQ(k.compare(access::PointerGetDatum(va.data()), access::PointerGetDatum(va.data()), nullptr), 0);
  const std::vector<int16_t> keys = {2, 1};
  EXPECT_EQ(Int2ArrayElements(MakeInt2Array(keys, true).data()), keys);
  EXPECT_TRUE(Int2ArrayElements(MakeInt2Array({}, false).data()).empty());
  const std::vector<std::byte> n1 = MakeName("pg_class");
  const std::vector<std::byte> n2 = MakeName("pg_type");
  EXPECT_EQ(NameView(n1.data()), "pg_class");
  EXPECT_EQ(MakeName(std::string(100, 'x')).size(), kNameDataLen);
  EXPECT_EQ(NameView(MakeName(std::string(100, 'x')).data()).size(), kNameDataLen - 1);
  const access::IndexKeyColumn nk = CatalogKeyColumnForType(type::kName);
  EXPECT_LT(nk.compare(access::PointerGetDatum(n1.data()), access::PointerGetDatum(n2.data()), nullptr), 0);
}

TEST(CatalogDefs, RowBuilderRejectsMissingNotNullAndWrongTypes) {  // C11
  const CatalogRelation& cat = OpenCatalog(catalog_oid::kPgNamespace, Oid(5));
  CatalogRowBuilder r(*cat.def, cat.desc);
  r.Oid("oid", 11).Name("nspname", "pg_catalog");
  EXPECT_THROW(r.Check(), Error);  // nspowner unset
  r.Oid("nspowner", 10);
  EXPECT_NO_THROW(r.Check());
  EXPECT_THROW(r.Int4("nspname", 3), Error);
  EXPECT_THROW(r.Oid("nosuchcolumn", 3), Error);
}

}  // namespace
}  // namespace keel::catalog
