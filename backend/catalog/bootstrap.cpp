// The catalog bootstrap; see bootstrap.h and README.md ("Bootstrap").
#include "backend/catalog/bootstrap.h"

#include <functional>
#include <vector>

#include "access/heap/heap_tuple.h"
#include "access/index/indexam.h"
#include "access/table/tableam.h"
#include "access/transam/xact.h"
#include "backend/catalog/builtin_types.h"
#include "backend/catalog/catalog_defs.h"
#include "backend/catalog/catalog_relation.h"
#include "backend/catalog/catalog_values.h"
#include "backend/catalog/catalog_write.h"
#include "backend/utils/error/error.h"

namespace keel::catalog {
namespace {

// An index build over no rows: the bootstrap creates empty indexes and inserts every row
// through them afterwards (C13).
class EmptySource final : public access::IndexBuildSource {
 public:
  bool Next(access::IndexBuildRow*) override { return false; }
};

// PostgreSQL's btree opclass oids for the key types catalog indexes use (pg_opclass.dat);
// informational until pg_opclass has rows.
uint32_t BtreeOpclassFor(uint32_t type_oid) {
  switch (type_oid) {
    case type::kBool: return 424;
    case type::kChar: return 429;
    case type::kName: return 1986;
    case type::kInt2: return 1979;
    case type::kInt4: return 1978;
    case type::kInt8: return 3124;
    case type::kOid: return 1981;
    case type::kRegproc: return 1981;  // regproc keys compare as oids
    case type::kOidVector: return 1991;
    case type::kText: return 3126;
    default: return 0;
  }
}

// PostgreSQL's system columns with their negative attnums (pg_attribute rows of every table).
struct SystemColumn {
  const char* name;
  int16_t attnum;
  uint32_t type_oid;
};
constexpr SystemColumn kSystemColumns[] = {
    {"ctid", -1, type::kTid},  {"xmin", -2, type::kXid}, {"cmin", -3, type::kCid},
    {"xmax", -4, type::kXid},  {"cmax", -5, type::kCid}, {"tableoid", -6, type::kOid},
};

class Bootstrapper {
 public:
  Bootstrapper(const BootstrapOptions& options, bool create_shared)
      : options_(options), create_shared_(create_shared) {}

  BootstrapResult Run() {
    for (const CatalogDef& def : AllCatalogs()) CreateStorage(def);  // C7
    for (const CatalogDef& def : AllCatalogs()) {
      if (def.shared && !create_shared_) continue;
      FillCatalog(def);
    }
    return std::move(result_);
  }

 private:
  const CatalogRelation& Open(uint32_t catalog) { return OpenCatalog(catalog, options_.database); }

  void CreateStorage(const CatalogDef& def) {
    if (def.shared && !create_shared_) return;
    const CatalogRelation& cat = Open(def.oid);
    access::TableAmOf(cat.rel).CreateStorage(cat.rel);
    ++result_.heaps_created;
    for (const auto& idx : cat.indexes) {
      EmptySource source;
      const access::IndexInfo info = access::MakeIndexInfo(idx->index);
      (void)access::IndexAmOf(idx->index).Build(cat.rel, idx->index, info, source);
      ++result_.indexes_created;
    }
  }

  // Inserts one row into the catalog's heap and an entry into each of its indexes (C13).
  void Insert(const CatalogRelation& cat, const CatalogRowBuilder& row) {
    (void)CatalogInsert(cat, row);
    ++result_.rows[cat.def->oid];
  }

  void FillCatalog(const CatalogDef& def) {
    switch (def.oid) {
      case catalog_oid::kPgNamespace: return FillNamespaces();
      case catalog_oid::kPgAm: return FillAms();
      case catalog_oid::kPgTablespace: return FillTablespaces();
      case catalog_oid::kPgCollation: return FillCollations();
      case catalog_oid::kPgDatabase: return FillDatabases();
      case catalog_oid::kPgAuthid: return FillAuthid();
      case catalog_oid::kPgType: return FillTypes();
      case catalog_oid::kPgClass: return FillClasses();
      case catalog_oid::kPgAttribute: return FillAttributes();
      case catalog_oid::kPgIndex: return FillIndexes();
      default: result_.rows[def.oid] += 0;  // C14: created empty (filled by later issues)
    }
  }

  CatalogRowBuilder Row(uint32_t catalog) {
    const CatalogRelation& cat = Open(catalog);
    return CatalogRowBuilder(*cat.def, cat.desc);
  }

  void FillNamespaces() {
    const CatalogRelation& cat = Open(catalog_oid::kPgNamespace);
    const std::pair<uint32_t, const char*> rows[] = {
        {kPgCatalogNamespace, "pg_catalog"}, {kPgToastNamespace, "pg_toast"},
        {kPublicNamespace, "public"}};
    for (const auto& [oid, name] : rows) {
      CatalogRowBuilder r(*cat.def, cat.desc);
      r.Oid("oid", oid).Name("nspname", name).Oid("nspowner", kBootstrapSuperuser);
      Insert(cat, r);
    }
  }

  void FillAms() {
    const CatalogRelation& cat = Open(catalog_oid::kPgAm);
    struct Am {
      uint32_t oid;
      const char* name;
      char type;
    };
    // PostgreSQL 15's pg_am.dat (amhandler: the handler function's pg_proc row comes later).
    const Am rows[] = {{2, "heap", 't'},  {403, "btree", 'i'}, {405, "hash", 'i'},
                       {783, "gist", 'i'}, {2742, "gin", 'i'}, {4000, "spgist", 'i'},
                       {3580, "brin", 'i'}};
    for (const Am& am : rows) {
      CatalogRowBuilder r(*cat.def, cat.desc);
      r.Oid("oid", am.oid).Name("amname", am.name).Oid("amhandler", 0).Char("amtype", am.type);
      Insert(cat, r);
    }
  }

  void FillTablespaces() {
    const CatalogRelation& cat = Open(catalog_oid::kPgTablespace);
    const std::pair<uint32_t, const char*> rows[] = {{kDefaultTablespace, "pg_default"},
                                                     {kGlobalTablespace, "pg_global"}};
    for (const auto& [oid, name] : rows) {
      CatalogRowBuilder r(*cat.def, cat.desc);
      r.Oid("oid", oid).Name("spcname", name).Oid("spcowner", kBootstrapSuperuser);
      Insert(cat, r);
    }
  }

  void FillCollations() {
    const CatalogRelation& cat = Open(catalog_oid::kPgCollation);
    struct Coll {
      uint32_t oid;
      const char* name;
      char provider;
      const char* locale;  // nullptr: NULL collcollate / collctype
    };
    const Coll rows[] = {{kDefaultCollation, "default", 'd', nullptr},
                         {kCCollation, "C", 'c', "C"},
                         {kPosixCollation, "POSIX", 'c', "POSIX"}};
    for (const Coll& c : rows) {
      CatalogRowBuilder r(*cat.def, cat.desc);
      r.Oid("oid", c.oid).Name("collname", c.name).Oid("collnamespace", kPgCatalogNamespace)
          .Oid("collowner", kBootstrapSuperuser).Char("collprovider", c.provider)
          .Bool("collisdeterministic", true).Int4("collencoding", -1);
      if (c.locale != nullptr) r.Text("collcollate", c.locale).Text("collctype", c.locale);
      Insert(cat, r);
    }
  }

  void FillDatabases() {
    const CatalogRelation& cat = Open(catalog_oid::kPgDatabase);
    std::vector<std::pair<uint32_t, std::string>> dbs = {{kTemplate1Database, "template1"}};
    if (options_.database.value() != kTemplate1Database) {
      dbs.emplace_back(options_.database.value(), options_.database_name);
    }
    for (const auto& [oid, name] : dbs) {
      CatalogRowBuilder r(*cat.def, cat.desc);
      r.Oid("oid", oid).Name("datname", name).Oid("datdba", kBootstrapSuperuser)
          .Int4("encoding", options_.encoding).Char("datlocprovider", 'c')
          .Bool("datistemplate", oid == kTemplate1Database).Bool("datallowconn", true)
          .Int4("datconnlimit", -1).Oid("datfrozenxid", 0).Oid("datminmxid", 0)
          .Oid("dattablespace", kDefaultTablespace).Text("datcollate", options_.locale)
          .Text("datctype", options_.locale);
      Insert(cat, r);
    }
  }

  void FillAuthid() {
    const CatalogRelation& cat = Open(catalog_oid::kPgAuthid);
    CatalogRowBuilder r(*cat.def, cat.desc);
    r.Oid("oid", kBootstrapSuperuser).Name("rolname", options_.superuser);
    for (const char* flag : {"rolsuper", "rolinherit", "rolcreaterole", "rolcreatedb",
                             "rolcanlogin", "rolreplication", "rolbypassrls"}) {
      r.Bool(flag, true);
    }
    r.Int4("rolconnlimit", -1);
    Insert(cat, r);
  }

  void FillTypes() {
    const CatalogRelation& cat = Open(catalog_oid::kPgType);
    for (const TypeRow& t : BuiltinTypes()) {
      CatalogRowBuilder r(*cat.def, cat.desc);
      r.Oid("oid", t.oid).Name("typname", t.name).Oid("typnamespace", kPgCatalogNamespace)
          .Oid("typowner", kBootstrapSuperuser).Int2("typlen", t.typlen)
          .Bool("typbyval", t.typbyval).Char("typtype", t.typtype)
          .Char("typcategory", t.typcategory).Bool("typispreferred", t.typispreferred)
          .Bool("typisdefined", true).Char("typdelim", t.typdelim).Oid("typrelid", t.typrelid)
          .Oid("typelem", t.typelem).Oid("typarray", t.typarray)
          .Char("typalign", t.typalign).Char("typstorage", t.typstorage)
          .Bool("typnotnull", false).Oid("typbasetype", 0).Int4("typtypmod", -1)
          .Int4("typndims", 0).Oid("typcollation", t.typcollation);
      // C9: the I/O and support functions have no pg_proc rows yet.
      for (const char* fn : {"typsubscript", "typinput", "typoutput", "typreceive", "typsend",
                             "typmodin", "typmodout", "typanalyze"}) {
        r.Oid(fn, 0);
      }
      Insert(cat, r);
    }
  }

  void ClassRow(uint32_t oid, std::string_view name, uint32_t rowtype, uint32_t am, bool shared,
                char kind, int natts, bool has_index) {
    const CatalogRelation& cat = Open(catalog_oid::kPgClass);
    CatalogRowBuilder r(*cat.def, cat.desc);
    r.Oid("oid", oid).Name("relname", name).Oid("relnamespace", kPgCatalogNamespace)
        .Oid("reltype", rowtype).Oid("reloftype", 0).Oid("relowner", kBootstrapSuperuser)
        .Oid("relam", am).Oid("relfilenode", oid)  // C5
        .Oid("reltablespace", shared ? kGlobalTablespace : 0).Int4("relpages", 0)
        .Float4("reltuples", -1).Int4("relallvisible", 0).Oid("reltoastrelid", 0)
        .Bool("relhasindex", has_index).Bool("relisshared", shared).Char("relpersistence", 'p')
        .Char("relkind", kind).Int2("relnatts", static_cast<int16_t>(natts))
        .Int2("relchecks", 0).Bool("relhasrules", false).Bool("relhastriggers", false)
        .Bool("relhassubclass", false).Bool("relrowsecurity", false)
        .Bool("relforcerowsecurity", false).Bool("relispopulated", true)
        .Char("relreplident", 'n').Bool("relispartition", false).Oid("relrewrite", 0)
        .Oid("relfrozenxid", 0).Oid("relminmxid", 0);
    Insert(cat, r);
  }

  void FillClasses() {
    for (const CatalogDef& def : AllCatalogs()) {
      ClassRow(def.oid, def.name, def.rowtype_oid, access::kHeapTableAmOid.value(), def.shared,
               'r', static_cast<int>(def.columns.size()), !def.indexes.empty());
      for (const CatalogIndexDef& idx : def.indexes) {
        ClassRow(idx.oid, idx.name, 0, access::kBtreeIndexAmOid.value(), def.shared, 'i',
                 idx.nkeys, false);
      }
    }
  }

  void AttributeRow(uint32_t relid, std::string_view name, uint32_t type_oid, int16_t attnum,
                    bool not_null) {
    const CatalogRelation& cat = Open(catalog_oid::kPgAttribute);
    const TypeRow* t = FindBuiltinType(type_oid);
    KEEL_ASSERT(t != nullptr);  // C3
    // As PostgreSQL's bootstrap: a varlena type with an element type (arrays, and also
    // int2vector / oidvector) is one-dimensional; collation-aware catalog columns always use
    // the C collation, whatever the type's default.
    const bool is_array = t->typelem != 0 && t->typlen < 0;
    const uint32_t collation = t->typcollation != 0 ? kCCollation : 0;
    CatalogRowBuilder r(*cat.def, cat.desc);
    r.Oid("attrelid", relid).Name("attname", name).Oid("atttypid", type_oid)
        .Int4("attstattarget", -1).Int2("attlen", t->typlen).Int2("attnum", attnum)
        .Int4("attndims", is_array ? 1 : 0).Int4("attcacheoff", -1).Int4("atttypmod", -1)
        .Bool("attbyval", t->typbyval).Char("attalign", t->typalign)
        .Char("attstorage", t->typstorage).Char("attcompression", '\0')
        .Bool("attnotnull", not_null).Bool("atthasdef", false).Bool("atthasmissing", false)
        .Char("attidentity", '\0').Char("attgenerated", '\0').Bool("attisdropped", false)
        .Bool("attislocal", true).Int4("attinhcount", 0).Oid("attcollation", collation);
    Insert(cat, r);
  }

  void FillAttributes() {
    for (const CatalogDef& def : AllCatalogs()) {
      for (size_t i = 0; i < def.columns.size(); ++i) {
        const CatalogColumn& c = def.columns[i];
        AttributeRow(def.oid, c.name, c.type_oid, static_cast<int16_t>(i + 1), c.not_null);
      }
      for (const SystemColumn& s : kSystemColumns) {
        AttributeRow(def.oid, s.name, s.type_oid, s.attnum, true);
      }
      for (const CatalogIndexDef& idx : def.indexes) {
        for (int k = 0; k < idx.nkeys; ++k) {
          const CatalogColumn& c = def.columns[static_cast<size_t>(def.ColumnIndex(idx.keys[k]))];
          AttributeRow(idx.oid, c.name, c.type_oid, static_cast<int16_t>(k + 1), false);
        }
      }
    }
  }

  void FillIndexes() {
    const CatalogRelation& cat = Open(catalog_oid::kPgIndex);
    for (const CatalogDef& def : AllCatalogs()) {
      for (const CatalogIndexDef& idx : def.indexes) {
        std::vector<int16_t> keys, options;
        std::vector<uint32_t> collations, opclasses;
        for (int k = 0; k < idx.nkeys; ++k) {
          const int col = def.ColumnIndex(idx.keys[k]);
          const uint32_t t = def.columns[static_cast<size_t>(col)].type_oid;
          keys.push_back(static_cast<int16_t>(col + 1));
          options.push_back(0);
          collations.push_back(t == type::kName ? kCCollation : 0);
          opclasses.push_back(BtreeOpclassFor(t));
        }
        CatalogRowBuilder r(*cat.def, cat.desc);
        r.Oid("indexrelid", idx.oid).Oid("indrelid", def.oid)
            .Int2("indnatts", static_cast<int16_t>(idx.nkeys))
            .Int2("indnkeyatts", static_cast<int16_t>(idx.nkeys)).Bool("indisunique", idx.unique)
            .Bool("indnullsnotdistinct", false).Bool("indisprimary", idx.primary)
            .Bool("indisexclusion", false).Bool("indimmediate", true)
            .Bool("indisclustered", false).Bool("indisvalid", true).Bool("indcheckxmin", false)
            .Bool("indisready", true).Bool("indislive", true).Bool("indisreplident", false)
            .Bytes("indkey", MakeInt2Array(keys, true))
            .Bytes("indcollation", MakeOidArray(collations, true))
            .Bytes("indclass", MakeOidArray(opclasses, true))
            .Bytes("indoption", MakeInt2Array(options, true));
        Insert(cat, r);
      }
    }
  }

  const BootstrapOptions& options_;
  const bool create_shared_;
  BootstrapResult result_;
};

}  // namespace

BootstrapResult BootstrapCatalogs(const BootstrapOptions& options, bool create_shared) {
  return Bootstrapper(options, create_shared).Run();
}

}  // namespace keel::catalog
