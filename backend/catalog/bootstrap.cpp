// The catalog bootstrap; see bootstrap.h and README.md ("Bootstrap").
#include "backend/catalog/bootstrap.h"

#include <functional>
#include <vector>

#include "access/common/varlena.h"
#include "access/heap/heap_tuple.h"
#include "access/index/indexam.h"
#include "access/table/tableam.h"
#include "access/transam/xact.h"
#include "backend/catalog/builtin_casts.h"
#include "backend/catalog/builtin_opclasses.h"
#include "backend/catalog/builtin_operators.h"
#include "backend/catalog/builtin_procs.h"
#include "backend/catalog/builtin_types.h"
#include "backend/catalog/catalog_arrays.h"
#include "backend/catalog/catalog_defs.h"
#include "backend/catalog/catalog_relation.h"
#include "backend/catalog/catalog_values.h"
#include "backend/catalog/catalog_write.h"
#include "backend/catalog/system_views.h"
#include "backend/utils/error/error.h"

namespace keel::catalog {
namespace {

// An index build over no rows: the bootstrap creates empty indexes and inserts every row
// through them afterwards (C13).
class EmptySource final : public access::IndexBuildSource {
 public:
  bool Next(access::IndexBuildRow*) override { return false; }
};

// The btree opclass of a catalog index key column: the key type's default class in pg_opclass
// (C23); regproc is binary coercible to oid and uses oid_ops, as in PostgreSQL.
uint32_t BtreeOpclassFor(uint32_t type_oid) {
  return DefaultBtreeOpclass(type_oid == type::kRegproc ? type::kOid : type_oid);
}

// The pg_proc oid a regproc column names ("-" or empty: none, 0).
uint32_t RegprocOid(std::string_view name) {
  return name.empty() || name == "-" ? 0 : BuiltinProcOidByName(name);
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
      case catalog_oid::kPgProc: return FillProcs();
      case catalog_oid::kPgOperator: return FillOperators();
      case catalog_oid::kPgOpfamily: return FillOpfamilies();
      case catalog_oid::kPgOpclass: return FillOpclasses();
      case catalog_oid::kPgAmop: return FillAmops();
      case catalog_oid::kPgAmproc: return FillAmprocs();
      case catalog_oid::kPgCast: return FillCasts();
      case catalog_oid::kPgRewrite: return FillRewrite();
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
      const char* handler;
      char type;
    };
    // PostgreSQL 15's pg_am.dat.
    const Am rows[] = {{2, "heap", "heap_tableam_handler", 't'},
                       {403, "btree", "bthandler", 'i'},
                       {405, "hash", "hashhandler", 'i'},
                       {783, "gist", "gisthandler", 'i'},
                       {2742, "gin", "ginhandler", 'i'},
                       {4000, "spgist", "spghandler", 'i'},
                       {3580, "brin", "brinhandler", 'i'}};
    for (const Am& am : rows) {
      CatalogRowBuilder r(*cat.def, cat.desc);
      r.Oid("oid", am.oid).Name("amname", am.name).Oid("amhandler", RegprocOid(am.handler))
          .Char("amtype", am.type);
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
      // C9: the I/O and support functions by their pg_proc oids.
      r.Oid("typsubscript", RegprocOid(t.subscript)).Oid("typinput", RegprocOid(t.input))
          .Oid("typoutput", RegprocOid(t.output)).Oid("typreceive", RegprocOid(t.receive))
          .Oid("typsend", RegprocOid(t.send)).Oid("typmodin", RegprocOid(t.typmodin))
          .Oid("typmodout", RegprocOid(t.typmodout)).Oid("typanalyze", RegprocOid(t.analyze));
      Insert(cat, r);
    }
  }

  // What differs between the pg_class rows of catalogs, catalog indexes and views.
  struct ClassInfo {
    uint32_t oid;
    std::string_view name;
    uint32_t rowtype;
    uint32_t am;         // 0 for a view
    uint32_t filenode;   // = oid for catalogs and indexes (C5), 0 for a view (no storage)
    bool shared;
    char kind;           // 'r', 'i', 'v'
    int natts;
    bool has_index;
    bool has_rules;      // a view's _RETURN rule (C18)
  };

  void ClassRow(const ClassInfo& c) {
    const CatalogRelation& cat = Open(catalog_oid::kPgClass);
    CatalogRowBuilder r(*cat.def, cat.desc);
    r.Oid("oid", c.oid).Name("relname", c.name).Oid("relnamespace", kPgCatalogNamespace)
        .Oid("reltype", c.rowtype).Oid("reloftype", 0).Oid("relowner", kBootstrapSuperuser)
        .Oid("relam", c.am).Oid("relfilenode", c.filenode)
        .Oid("reltablespace", c.shared ? kGlobalTablespace : 0).Int4("relpages", 0)
        .Float4("reltuples", -1).Int4("relallvisible", 0).Oid("reltoastrelid", 0)
        .Bool("relhasindex", c.has_index).Bool("relisshared", c.shared)
        .Char("relpersistence", 'p').Char("relkind", c.kind)
        .Int2("relnatts", static_cast<int16_t>(c.natts)).Int2("relchecks", 0)
        .Bool("relhasrules", c.has_rules).Bool("relhastriggers", false)
        .Bool("relhassubclass", false).Bool("relrowsecurity", false)
        .Bool("relforcerowsecurity", false).Bool("relispopulated", true)
        .Char("relreplident", 'n').Bool("relispartition", false).Oid("relrewrite", 0)
        .Oid("relfrozenxid", 0).Oid("relminmxid", 0);
    Insert(cat, r);
  }

  void FillClasses() {
    for (const CatalogDef& def : AllCatalogs()) {
      ClassRow({def.oid, def.name, def.rowtype_oid, access::kHeapTableAmOid.value(), def.oid,
                def.shared, 'r', static_cast<int>(def.columns.size()), !def.indexes.empty(),
                false});
      for (const CatalogIndexDef& idx : def.indexes) {
        ClassRow({idx.oid, idx.name, 0, access::kBtreeIndexAmOid.value(), idx.oid, def.shared,
                  'i', idx.nkeys, false, false});
      }
    }
    for (const SystemViewDef& view : AllSystemViews()) {  // C18
      ClassRow({view.oid, view.name, view.rowtype_oid, 0, 0, false, 'v',
                static_cast<int>(view.columns.size()), false, true});
    }
  }

  // A catalog's or catalog index's column. As PostgreSQL's bootstrap: a varlena type with an
  // element type (arrays, and also int2vector / oidvector) is one-dimensional; collation-aware
  // catalog columns always use the C collation, whatever the type's default.
  void AttributeRow(uint32_t relid, std::string_view name, uint32_t type_oid, int16_t attnum,
                    bool not_null) {
    const TypeRow* t = FindBuiltinType(type_oid);
    KEEL_ASSERT(t != nullptr);  // C3
    const bool is_array = t->typelem != 0 && t->typlen < 0;
    AttributeRow(relid, name, type_oid, attnum, not_null, is_array ? 1 : 0,
                 t->typcollation != 0 ? kCCollation : 0);
  }

  void AttributeRow(uint32_t relid, std::string_view name, uint32_t type_oid, int16_t attnum,
                    bool not_null, int ndims, uint32_t collation) {
    const CatalogRelation& cat = Open(catalog_oid::kPgAttribute);
    const TypeRow* t = FindBuiltinType(type_oid);
    KEEL_ASSERT(t != nullptr);  // C3, C18
    CatalogRowBuilder r(*cat.def, cat.desc);
    r.Oid("attrelid", relid).Name("attname", name).Oid("atttypid", type_oid)
        .Int4("attstattarget", -1).Int2("attlen", t->typlen).Int2("attnum", attnum)
        .Int4("attndims", ndims).Int4("attcacheoff", -1).Int4("atttypmod", -1)
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
    // C18: a view's columns as PostgreSQL's CREATE VIEW records them (nullable, attndims 0,
    // the collation derived from the query); views have no system columns.
    for (const SystemViewDef& view : AllSystemViews()) {
      for (size_t i = 0; i < view.columns.size(); ++i) {
        const SystemViewColumn& c = view.columns[i];
        AttributeRow(view.oid, c.name, c.type_oid, static_cast<int16_t>(i + 1), false, 0,
                     c.collation);
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

  // C21: every built-in function, language internal, owned by the bootstrap superuser.
  void FillProcs() {
    const CatalogRelation& cat = Open(catalog_oid::kPgProc);
    for (const ProcRow& p : BuiltinProcs()) {
      CatalogRowBuilder r(*cat.def, cat.desc);
      r.Oid("oid", p.oid).Name("proname", p.name).Oid("pronamespace", kPgCatalogNamespace)
          .Oid("proowner", kBootstrapSuperuser).Oid("prolang", kInternalLanguage)
          .Float4("procost", p.cost).Float4("prorows", p.rows).Oid("provariadic", 0)
          .Oid("prosupport", 0).Char("prokind", 'f').Bool("prosecdef", false)
          .Bool("proleakproof", p.leakproof).Bool("proisstrict", p.strict)
          .Bool("proretset", p.retset).Char("provolatile", p.volatility)
          .Char("proparallel", p.parallel)
          .Int2("pronargs", static_cast<int16_t>(p.arg_types.size()))
          .Int2("pronargdefaults", 0).Oid("prorettype", p.result_type)
          .Bytes("proargtypes", MakeOidArray(p.arg_types, true)).Text("prosrc", p.prosrc);
      if (!p.all_arg_types.empty()) {
        r.Bytes("proallargtypes", MakeOidArray(p.all_arg_types, false))
            .Bytes("proargmodes", MakeCharArray(p.arg_modes))
            .Bytes("proargnames", MakeTextArray(p.arg_names));
      }
      Insert(cat, r);
    }
  }

  // C22.
  void FillOperators() {
    const CatalogRelation& cat = Open(catalog_oid::kPgOperator);
    for (const OperatorRow& o : BuiltinOperators()) {
      CatalogRowBuilder r(*cat.def, cat.desc);
      r.Oid("oid", o.oid).Name("oprname", o.name).Oid("oprnamespace", kPgCatalogNamespace)
          .Oid("oprowner", kBootstrapSuperuser).Char("oprkind", o.kind)
          .Bool("oprcanmerge", o.can_merge).Bool("oprcanhash", o.can_hash)
          .Oid("oprleft", o.left_type).Oid("oprright", o.right_type)
          .Oid("oprresult", o.result_type).Oid("oprcom", o.commutator)
          .Oid("oprnegate", o.negator).Oid("oprcode", o.code)
          .Oid("oprrest", o.restrict_estimator).Oid("oprjoin", o.join_estimator);
      Insert(cat, r);
    }
  }

  // C23: btree operator families, classes and their members.
  void FillOpfamilies() {
    const CatalogRelation& cat = Open(catalog_oid::kPgOpfamily);
    for (const OpfamilyRow& f : BuiltinOpfamilies()) {
      CatalogRowBuilder r(*cat.def, cat.desc);
      r.Oid("oid", f.oid).Oid("opfmethod", f.method).Name("opfname", f.name)
          .Oid("opfnamespace", kPgCatalogNamespace).Oid("opfowner", kBootstrapSuperuser);
      Insert(cat, r);
    }
  }

  void FillOpclasses() {
    const CatalogRelation& cat = Open(catalog_oid::kPgOpclass);
    for (const OpclassRow& c : BuiltinOpclasses()) {
      CatalogRowBuilder r(*cat.def, cat.desc);
      r.Oid("oid", c.oid).Oid("opcmethod", c.method).Name("opcname", c.name)
          .Oid("opcnamespace", kPgCatalogNamespace).Oid("opcowner", kBootstrapSuperuser)
          .Oid("opcfamily", c.family).Oid("opcintype", c.input_type)
          .Bool("opcdefault", c.is_default).Oid("opckeytype", c.key_type);
      Insert(cat, r);
    }
  }

  void FillAmops() {
    const CatalogRelation& cat = Open(catalog_oid::kPgAmop);
    for (const AmopRow& a : BuiltinAmops()) {
      CatalogRowBuilder r(*cat.def, cat.desc);
      r.Oid("oid", a.oid).Oid("amopfamily", a.family).Oid("amoplefttype", a.left_type)
          .Oid("amoprighttype", a.right_type).Int2("amopstrategy", a.strategy)
          .Char("amoppurpose", a.purpose).Oid("amopopr", a.op).Oid("amopmethod", a.method)
          .Oid("amopsortfamily", a.sort_family);
      Insert(cat, r);
    }
  }

  void FillAmprocs() {
    const CatalogRelation& cat = Open(catalog_oid::kPgAmproc);
    for (const AmprocRow& a : BuiltinAmprocs()) {
      CatalogRowBuilder r(*cat.def, cat.desc);
      r.Oid("oid", a.oid).Oid("amprocfamily", a.family).Oid("amproclefttype", a.left_type)
          .Oid("amprocrighttype", a.right_type).Int2("amprocnum", a.number)
          .Oid("amproc", a.proc);
      Insert(cat, r);
    }
  }

  // C24.
  void FillCasts() {
    const CatalogRelation& cat = Open(catalog_oid::kPgCast);
    for (const CastRow& c : BuiltinCasts()) {
      CatalogRowBuilder r(*cat.def, cat.desc);
      r.Oid("oid", c.oid).Oid("castsource", c.source).Oid("casttarget", c.target)
          .Oid("castfunc", c.func).Char("castcontext", c.context).Char("castmethod", c.method);
      Insert(cat, r);
    }
  }

  // C18, C19: the system views' rules, their actions as SQL text.
  void FillRewrite() {
    const CatalogRelation& cat = Open(catalog_oid::kPgRewrite);
    for (const SystemViewDef& view : AllSystemViews()) {
      for (const SystemViewRule& rule : view.rules) {
        CatalogRowBuilder r(*cat.def, cat.desc);
        r.Oid("oid", rule.oid).Name("rulename", rule.name).Oid("ev_class", view.oid)
            .Char("ev_type", rule.event).Char("ev_enabled", 'O')
            .Bool("is_instead", rule.is_instead)
            .Bytes("ev_qual", access::MakeVarlena(rule.qualification))
            .Bytes("ev_action", access::MakeVarlena(rule.action));
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
