// The invalidation messages of a catalog row change; see catalog_tuple_inval.h and README.md
// (K4-K6).
#include "backend/utils/cache/catalog_tuple_inval.h"

#include <string_view>

#include "access/common/heap_form.h"
#include "backend/catalog/catalog_relation.h"
#include "backend/utils/cache/catcache_hash.h"
#include "backend/utils/cache/inval.h"
#include "backend/utils/cache/syscache_ids.h"
#include "backend/utils/error/error.h"
#include "backend/utils/error/format.h"
#include "backend/utils/error/sqlstate.h"

namespace keel::cache {
namespace {

// Catalog oids whose rows describe (a part of) one relation, and the column naming it (K5).
// pg_class and pg_index are handled on their own (own oid / two relations).
struct RelationColumn {
  uint32_t catalog_oid;
  std::string_view column;
};
constexpr uint32_t kPgClass = 1259;
constexpr uint32_t kPgIndex = 2610;
constexpr RelationColumn kRelationColumns[] = {
    {1249, "attrelid"},  // pg_attribute
    {2604, "adrelid"},   // pg_attrdef
    {2606, "conrelid"},  // pg_constraint (0 for a domain's constraint)
    {2618, "ev_class"},  // pg_rewrite
    {2620, "tgrelid"},   // pg_trigger
};

// Column `name` of the catalog's row (this library uses backend/catalog's structures only,
// not its functions). Returns false when the catalog has no such column or it is null.
bool ReadColumn(const catalog::CatalogRelation& cat, const access::HeapTuple& row,
                std::string_view name, access::Datum* out) {
  for (size_t i = 0; i < cat.def->columns.size(); ++i) {
    if (cat.def->columns[i].name != name) continue;
    bool isnull = false;
    *out = access::HeapGetAttr(cat.desc, row.header(), row.size(), static_cast<int>(i), &isnull);
    return !isnull;
  }
  return false;
}

Oid ReadOid(const catalog::CatalogRelation& cat, const access::HeapTuple& row,
            std::string_view name) {
  access::Datum d = 0;
  return ReadColumn(cat, row, name, &d) ? access::DatumGetObjectId(d) : kInvalidOid;
}

// K5: the relation descriptors `row` is part of.
void RegisterRelcacheMessages(const catalog::CatalogRelation& cat, const access::HeapTuple& row) {
  const Oid db = cat.rel.db;
  const uint32_t catalog_oid = cat.def->oid;
  if (catalog_oid == kPgClass) {
    access::Datum shared = 0;
    const bool is_shared = ReadColumn(cat, row, "relisshared", &shared) &&
                           access::DatumGetBool(shared);
    const Oid rel = ReadOid(cat, row, "oid");
    if (rel != kInvalidOid) CacheInvalidateRelcache(is_shared ? kInvalidOid : db, rel);
    return;
  }
  if (catalog_oid == kPgIndex) {
    for (std::string_view column : {"indrelid", "indexrelid"}) {
      const Oid rel = ReadOid(cat, row, column);
      if (rel != kInvalidOid) CacheInvalidateRelcache(db, rel);
    }
    return;
  }
  for (const RelationColumn& rc : kRelationColumns) {
    if (rc.catalog_oid != catalog_oid) continue;
    const Oid rel = ReadOid(cat, row, rc.column);
    if (rel != kInvalidOid) CacheInvalidateRelcache(db, rel);
  }
}

// K4: one message per cache over the catalog.
void RegisterRowMessages(const catalog::CatalogRelation& cat, const access::HeapTuple& row) {
  for (const SysCacheDef& def : kSysCacheDefs) {
    if (def.catalog_oid != cat.def->oid) continue;
    CacheInvalidateCatalogRow(SysCacheMessageId(def.id), CatalogRowHash(def.id, cat, row),
                              cat.rel.db);
  }
}

}  // namespace

void CacheInvalidateCatalogTuple(const catalog::CatalogRelation& cat,
                                 const access::HeapTuple* old_row,
                                 const access::HeapTuple* new_row) {
  for (const access::HeapTuple* row : {old_row, new_row}) {
    if (row == nullptr) continue;
    RegisterRowMessages(cat, *row);
    RegisterRelcacheMessages(cat, *row);
  }
}

}  // namespace keel::cache
