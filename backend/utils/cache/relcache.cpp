// The relation cache of this backend; see relcache.h and README.md (R1-R9).
#include "backend/utils/cache/relcache.h"

#include <algorithm>
#include <unordered_map>
#include <utility>

#include "access/transam/snapshot.h"
#include "access/transam/xact.h"
#include "backend/catalog/builtin_types.h"
#include "backend/catalog/catalog_defs.h"
#include "backend/catalog/catalog_lookup.h"
#include "backend/catalog/catalog_relation.h"
#include "backend/catalog/catalog_values.h"
#include "backend/utils/cache/catcache.h"
#include "backend/utils/cache/inval.h"
#include "backend/utils/cache/key_support.h"
#include "backend/utils/cache/syscache.h"
#include "backend/utils/error/error.h"
#include "backend/utils/error/format.h"
#include "backend/utils/error/sqlstate.h"
#include "backend/utils/init/session_globals.h"
#include "storage/ipc/process_context.h"

namespace keel::cache {
namespace {

RelationCacheStats stats;
// Bumped by every invalidation: a build that saw it change is not kept (R9).
uint64_t inval_count = 0;

// Process-local: relation oid -> descriptor, built by process `pid` (storage::CurrentProcess())
// for database `db`.
struct Descriptors {
  int32_t pid = 0;
  Oid db{kInvalidOid};
  std::unordered_map<uint32_t, RelationRef> entries;
};

// R10: a forked child inherits its parent's descriptors but reads the invalidation queue only
// from its own attach on, so it would never hear of changes its parent had not yet applied;
// and descriptors carry MyDatabaseId() in their locators. Either change empties the map.
std::unordered_map<uint32_t, RelationRef>& Entries() {
  static Descriptors d;
  const int32_t pid = storage::CurrentProcess().pid;
  if (d.pid != pid || d.db != MyDatabaseId()) {
    d.entries.clear();
    d.pid = pid;
    d.db = MyDatabaseId();
    ++inval_count;
  }
  return d.entries;
}

constexpr uint32_t kPgIndexIndrelidIndex = 2678;
// Catalogs a whole-catalog message about which makes every descriptor suspect (R9).
constexpr uint32_t kDescriptorCatalogs[] = {
    catalog::catalog_oid::kPgClass, catalog::catalog_oid::kPgAttribute,
    catalog::catalog_oid::kPgIndex, catalog::catalog_oid::kPgType,
    catalog::catalog_oid::kPgAttrdef, catalog::catalog_oid::kPgConstraint};

void EnsureCallbacks() {
  static bool registered = false;
  if (registered) return;
  registered = true;
  CacheRegisterRelcacheCallback([](Oid rel) { RelationCacheInvalidateEntry(rel); });
  CacheRegisterCatalogCallback([](Oid catalog) {
    for (uint32_t c : kDescriptorCatalogs) {
      if (c == catalog.value()) RelationCacheInvalidateAll();
    }
  });
}

Oid RequireDatabase() {
  if (MyDatabaseId() == kInvalidOid) {
    throw Error(sqlstate::kInternalError, "cannot open relations before a database is chosen");
  }
  return MyDatabaseId();
}

// The tablespace a relation's files are in: pg_class.reltablespace, 0 meaning the database's
// default (pg_default when none is recorded for this backend).
Oid EffectiveTablespace(Oid reltablespace) {
  if (reltablespace != kInvalidOid) return reltablespace;
  if (MyDatabaseTableSpace() != kInvalidOid) return MyDatabaseTableSpace();
  return Oid(catalog::kDefaultTablespace);
}

// C3 of backend/catalog: the collation the bootstrap gives a catalog column.
AttributeInfo CatalogAttributeInfo(int16_t attnum, uint32_t type_oid) {
  AttributeInfo info;
  info.attnum = attnum;
  const catalog::TypeRow* t = catalog::FindBuiltinType(type_oid);
  if (t != nullptr) {
    info.ndims = t->typelem != 0 && t->typlen < 0 ? 1 : 0;
    info.collation = Oid(t->typcollation != 0 ? catalog::kCCollation : 0);
  }
  return info;
}

// --- catalogs and their indexes, from the definitions (R2) -----------------------------------

std::shared_ptr<RelationData> BuildCatalogTable(const catalog::CatalogDef& def) {
  const catalog::CatalogRelation& cat =
      catalog::OpenCatalog(def.oid, def.shared ? kInvalidOid : RequireDatabase());
  auto r = std::make_shared<RelationData>();
  r->oid = Oid(def.oid);
  r->name = std::string(def.name);
  r->namespace_oid = Oid(catalog::kPgCatalogNamespace);
  r->type_oid = Oid(def.rowtype_oid);
  r->owner = Oid(catalog::kBootstrapSuperuser);
  r->am = access::kHeapTableAmOid;
  r->relfilenode = Oid(def.oid);  // C5
  r->tablespace = Oid(def.shared ? catalog::kGlobalTablespace : 0);
  r->kind = relkind::kTable;
  r->natts = static_cast<int16_t>(def.columns.size());
  r->has_index = !def.indexes.empty();
  r->is_shared = def.shared;
  r->is_catalog = true;
  r->desc = cat.desc;
  for (size_t i = 0; i < def.columns.size(); ++i) {
    r->attrs.push_back(CatalogAttributeInfo(static_cast<int16_t>(i + 1), def.columns[i].type_oid));
  }
  r->rel = cat.rel;
  r->rel.desc = &r->desc;
  for (const catalog::CatalogIndexDef& idx : def.indexes) r->index_oids.push_back(Oid(idx.oid));
  std::sort(r->index_oids.begin(), r->index_oids.end());
  return r;
}

std::shared_ptr<RelationData> BuildCatalogIndex(const catalog::CatalogDef& def,
                                                const catalog::CatalogIndexDef& idef) {
  const catalog::CatalogRelation& cat =
      catalog::OpenCatalog(def.oid, def.shared ? kInvalidOid : RequireDatabase());
  const catalog::CatalogIndex* idx = nullptr;
  for (const auto& i : cat.indexes) {
    if (i->def == &idef) idx = i.get();
  }
  KEEL_ASSERT(idx != nullptr);
  auto r = std::make_shared<RelationData>();
  r->oid = Oid(idef.oid);
  r->name = std::string(idef.name);
  r->namespace_oid = Oid(catalog::kPgCatalogNamespace);
  r->owner = Oid(catalog::kBootstrapSuperuser);
  r->am = access::kBtreeIndexAmOid;
  r->relfilenode = Oid(idef.oid);  // C5
  r->tablespace = Oid(def.shared ? catalog::kGlobalTablespace : 0);
  r->kind = relkind::kIndex;
  r->natts = static_cast<int16_t>(idef.nkeys);
  r->is_shared = def.shared;
  r->is_catalog = true;
  r->desc = idx->desc;
  IndexFacts facts;
  facts.heap_oid = Oid(def.oid);
  facts.natts = facts.nkeyatts = static_cast<int16_t>(idef.nkeys);
  facts.is_unique = idef.unique;
  facts.is_primary = idef.primary;
  for (int k = 0; k < idef.nkeys; ++k) {
    const int col = idx->heap_columns[static_cast<size_t>(k)];
    const uint32_t t = def.columns[static_cast<size_t>(col)].type_oid;
    r->attrs.push_back(CatalogAttributeInfo(static_cast<int16_t>(k + 1), t));
    facts.indkey.push_back(static_cast<int16_t>(col + 1));
    facts.indcollation.push_back(idx->index.columns[static_cast<size_t>(k)].collation);
    // indclass: informational (pg_index holds PostgreSQL's opclass oids); the comparators
    // come from the definitions (C12).
    facts.indclass.push_back(kInvalidOid);
    facts.indoption.push_back(0);
  }
  r->index_facts = std::move(facts);
  r->rel = idx->index.rel;
  r->rel.desc = &r->desc;
  r->index = idx->index;
  r->index.rel.desc = &r->desc;
  return r;
}

// --- other relations, from pg_class / pg_attribute / pg_type / pg_index ---------------------

// R4: attnum 1..natts of `relid` (pg_attribute through ATTNUM's list), layouts from pg_type
// (dropped columns keep pg_attribute's own, their type being gone).
void BuildAttributes(RelationData* r) {
  const SysCacheList rows = SearchSysCacheList(SysCacheId::kAttNum, 1, r->oid);
  const catalog::CatalogRelation& cat = rows.catalog();
  std::vector<access::Attribute> attrs;
  for (const access::HeapTuple& row : rows.rows()) {
    const int64_t attnum = catalog::CatalogGetInt(cat, row, "attnum");
    if (attnum <= 0) continue;  // system columns
    if (attnum != static_cast<int64_t>(attrs.size()) + 1 || attnum > r->natts) break;
    access::Attribute a;
    a.name = catalog::CatalogGetName(cat, row, "attname");
    a.attnotnull = catalog::CatalogGetBool(cat, row, "attnotnull");
    a.atttypmod = static_cast<int32_t>(catalog::CatalogGetInt(cat, row, "atttypmod"));
    AttributeInfo info;
    info.attnum = static_cast<int16_t>(attnum);
    info.has_default = catalog::CatalogGetBool(cat, row, "atthasdef");
    info.is_dropped = catalog::CatalogGetBool(cat, row, "attisdropped");
    info.has_missing = catalog::CatalogGetBool(cat, row, "atthasmissing");
    info.identity = catalog::CatalogGetChar(cat, row, "attidentity");
    info.generated = catalog::CatalogGetChar(cat, row, "attgenerated");
    info.ndims = static_cast<int32_t>(catalog::CatalogGetInt(cat, row, "attndims"));
    info.collation = Oid(catalog::CatalogGetOid(cat, row, "attcollation"));
    const uint32_t type_oid = catalog::CatalogGetOid(cat, row, "atttypid");
    if (info.is_dropped || type_oid == 0) {
      a.type_id = kInvalidOid;
      a.attlen = static_cast<int16_t>(catalog::CatalogGetInt(cat, row, "attlen"));
      a.attbyval = catalog::CatalogGetBool(cat, row, "attbyval");
      a.attalign = catalog::CatalogGetChar(cat, row, "attalign");
      a.attstorage = catalog::CatalogGetChar(cat, row, "attstorage");
    } else {
      const SysCacheTuple t = SearchSysCache(SysCacheId::kTypeOid, Oid(type_oid));
      if (!t) {
        throw Error(sqlstate::kInternalError, Format("cache lookup failed for type %u", type_oid));
      }
      a.type_id = Oid(type_oid);
      a.attlen = static_cast<int16_t>(t.GetInt("typlen"));
      a.attbyval = t.GetBool("typbyval");
      a.attalign = t.GetChar("typalign");
      a.attstorage = t.GetChar("typstorage");
    }
    attrs.push_back(std::move(a));
    r->attrs.push_back(info);
  }
  if (static_cast<int>(attrs.size()) != r->natts) {
    // PostgreSQL's RelationBuildTupleDesc text.
    throw Error(sqlstate::kInternalError,
                Format("catalog is missing %d attribute(s) for relation OID %u",
                       r->natts - static_cast<int>(attrs.size()), r->oid.value()));
  }
  r->desc = access::TupleDesc(std::move(attrs));
}

// R6: the live indexes on the relation, by pg_index's indrelid index, ascending.
void BuildIndexList(RelationData* r) {
  const catalog::CatalogRelation& pg_index =
      catalog::OpenCatalog(catalog::catalog_oid::kPgIndex, RequireDatabase());
  LockCatalogForRead(pg_index);
  const access::Datum key = access::ObjectIdGetDatum(r->oid);
  for (const access::HeapTuple& row : catalog::CatalogIndexScan(
           pg_index, kPgIndexIndrelidIndex, {&key, 1}, transam::GetLatestSnapshot())) {
    if (!catalog::CatalogGetBool(pg_index, row, "indislive")) continue;
    r->index_oids.push_back(Oid(catalog::CatalogGetOid(pg_index, row, "indexrelid")));
  }
  std::sort(r->index_oids.begin(), r->index_oids.end());
}

// R7: pg_index and the index AM's view of an index relation.
void BuildIndexFacts(RelationData* r) {
  const SysCacheTuple row = SearchSysCache(SysCacheId::kIndexRelId, r->oid);
  if (!row) {
    throw Error(sqlstate::kInternalError,
                Format("cache lookup failed for index %u", r->oid.value()));
  }
  IndexFacts f;
  f.heap_oid = Oid(row.GetOid("indrelid"));
  f.natts = static_cast<int16_t>(row.GetInt("indnatts"));
  f.nkeyatts = static_cast<int16_t>(row.GetInt("indnkeyatts"));
  f.is_unique = row.GetBool("indisunique");
  f.nulls_not_distinct = row.GetBool("indnullsnotdistinct");
  f.is_primary = row.GetBool("indisprimary");
  f.is_exclusion = row.GetBool("indisexclusion");
  f.immediate = row.GetBool("indimmediate");
  f.is_valid = row.GetBool("indisvalid");
  f.is_ready = row.GetBool("indisready");
  f.is_live = row.GetBool("indislive");
  bool isnull = false;
  f.indkey = catalog::Int2ArrayElements(access::DatumGetPointer(row.GetAttr("indkey", &isnull)));
  for (uint32_t c : catalog::OidArrayElements(access::DatumGetPointer(row.GetAttr("indcollation", &isnull)))) {
    f.indcollation.push_back(Oid(c));
  }
  for (uint32_t c : catalog::OidArrayElements(access::DatumGetPointer(row.GetAttr("indclass", &isnull)))) {
    f.indclass.push_back(Oid(c));
  }
  f.indoption = catalog::Int2ArrayElements(access::DatumGetPointer(row.GetAttr("indoption", &isnull)));
  if (f.natts != r->natts || static_cast<int>(f.indkey.size()) != f.natts ||
      f.nkeyatts < 1 || f.nkeyatts > f.natts) {
    throw Error(sqlstate::kInternalError,
                Format("invalid pg_index row for index %u", r->oid.value()));
  }

  access::IndexRelation& index = r->index;
  index.rel = r->rel;
  index.heap_id = f.heap_oid;
  index.key_columns = f.nkeyatts;
  index.unique = f.is_unique;
  index.nulls_not_distinct = f.nulls_not_distinct;
  for (int i = 0; i < f.natts; ++i) {
    const size_t k = static_cast<size_t>(i);
    access::IndexColumn c;
    c.heap_attno = f.indkey[k];
    if (k < f.indcollation.size()) c.collation = f.indcollation[k];
    if (i < f.nkeyatts) {
      const int16_t option = k < f.indoption.size() ? f.indoption[k] : 0;
      c.descending = (option & kIndexOptionDesc) != 0;
      c.nulls_first = (option & kIndexOptionNullsFirst) != 0;
      if (k < f.indclass.size()) c.opclass = f.indclass[k];
      const access::IndexKeyColumn key = BtreeKeyColumnForType(r->desc.attr(i).type_id.value());
      c.compare = key.compare;
      c.compare_arg = key.compare_arg;
      c.output = key.output;
      c.equal_image = key.equal_image;
    }
    index.columns.push_back(c);
  }
  r->index_facts = std::move(f);
}

std::shared_ptr<RelationData> BuildFromCatalogs(Oid oid) {
  const SysCacheTuple row = SearchSysCache(SysCacheId::kRelOid, oid);
  if (!row) return nullptr;  // R8
  auto r = std::make_shared<RelationData>();
  r->oid = oid;
  r->name = row.GetName("relname");
  r->namespace_oid = Oid(row.GetOid("relnamespace"));
  r->type_oid = Oid(row.GetOid("reltype"));
  r->owner = Oid(row.GetOid("relowner"));
  r->am = Oid(row.GetOid("relam"));
  r->relfilenode = Oid(row.GetOid("relfilenode"));
  r->tablespace = Oid(row.GetOid("reltablespace"));
  r->toast_oid = Oid(row.GetOid("reltoastrelid"));
  r->kind = row.GetChar("relkind");
  r->persistence = row.GetChar("relpersistence");
  r->natts = static_cast<int16_t>(row.GetInt("relnatts"));
  r->checks = static_cast<int16_t>(row.GetInt("relchecks"));
  r->has_index = row.GetBool("relhasindex");
  r->is_shared = row.GetBool("relisshared");
  BuildAttributes(r.get());

  // R5: what the access methods need.
  const Oid db = r->is_shared ? kInvalidOid : RequireDatabase();
  r->rel.id = oid;
  r->rel.db = db;
  r->rel.locator = RelFileLocator{EffectiveTablespace(r->tablespace), db, r->relfilenode};
  r->rel.name = r->name;
  r->rel.desc = &r->desc;
  r->rel.am = r->am;
  if (r->toast_oid != kInvalidOid) {
    r->toast = RelationIdGetRelation(r->toast_oid);
    if (r->toast == nullptr) {
      throw Error(sqlstate::kInternalError,
                  Format("could not open relation with OID %u", r->toast_oid.value()));
    }
    r->rel.toast = &r->toast->rel;
  }
  if (r->kind == relkind::kIndex || r->kind == relkind::kPartitionedIndex) {
    BuildIndexFacts(r.get());
  } else {
    BuildIndexList(r.get());
  }
  return r;
}

std::shared_ptr<RelationData> Build(Oid oid) {
  if (oid.value() < catalog::kFirstNormalObjectId) {
    for (const catalog::CatalogDef& def : catalog::AllCatalogs()) {
      if (def.oid == oid.value()) return BuildCatalogTable(def);
      for (const catalog::CatalogIndexDef& idx : def.indexes) {
        if (idx.oid == oid.value()) return BuildCatalogIndex(def, idx);
      }
    }
  }
  return BuildFromCatalogs(oid);
}

}  // namespace

int RelationData::ColumnIndex(std::string_view column) const {
  for (int i = 0; i < desc.natts(); ++i) {
    if (!attrs[static_cast<size_t>(i)].is_dropped && desc.attr(i).name == column) return i;
  }
  return -1;
}

RelationRef RelationIdGetRelation(Oid oid) {
  EnsureCallbacks();
  ++stats.opens;
  auto& entries = Entries();
  if (auto it = entries.find(oid.value()); it != entries.end()) return it->second;
  // R9: a descriptor built while an invalidation arrived may mix old and new catalog rows:
  // build again; after a few tries hand it out without keeping it.
  for (int attempt = 0;; ++attempt) {
    const uint64_t seen = inval_count;
    std::shared_ptr<RelationData> built = Build(oid);
    ++stats.builds;
    if (built == nullptr) return nullptr;
    if (inval_count == seen) {
      entries[oid.value()] = built;
      return built;
    }
    if (attempt >= 3) return built;
  }
}

RelationRef RelationOpen(Oid oid, storage::LockMode mode) {
  if (mode != storage::LockMode::kNoLock) {
    const Oid db = IsSharedRelation(oid) ? kInvalidOid : RequireDatabase();
    (void)LockRelationOid(db, oid, mode);  // R1: accepts invalidations on a new lock
  }
  RelationRef r = RelationIdGetRelation(oid);
  if (r == nullptr) {
    throw Error(sqlstate::kInternalError,
                Format("could not open relation with OID %u", oid.value()));
  }
  return r;
}

void RelationClose(const RelationData& rel, storage::LockMode mode) {
  if (mode == storage::LockMode::kNoLock) return;
  (void)storage::LockRelease(storage::RelationLockTag(rel.rel.db.value(), rel.oid.value()), mode);
}

bool IsSharedRelation(Oid oid) {
  for (const catalog::CatalogDef& def : catalog::AllCatalogs()) {
    if (!def.shared) continue;
    if (def.oid == oid.value()) return true;
    for (const catalog::CatalogIndexDef& idx : def.indexes) {
      if (idx.oid == oid.value()) return true;
    }
  }
  return false;
}

void RelationCacheInvalidateEntry(Oid oid) {
  if (oid == kInvalidOid) {
    RelationCacheInvalidateAll();
    return;
  }
  ++inval_count;
  auto& entries = Entries();
  if (entries.erase(oid.value()) > 0) ++stats.invalidations;
  // A descriptor holds its TOAST table's: it goes with it.
  for (auto it = entries.begin(); it != entries.end();) {
    if (it->second->toast_oid == oid) {
      it = entries.erase(it);
      ++stats.invalidations;
    } else {
      ++it;
    }
  }
}

void RelationCacheInvalidateAll() {
  ++inval_count;
  ++stats.invalidations;
  Entries().clear();
}

RelationCacheStats GetRelationCacheStats() {
  RelationCacheStats s = stats;
  s.entries = Entries().size();
  return s;
}

}  // namespace keel::cache
