// Open catalogs built from the definitions; see catalog_relation.h.
#include "backend/catalog/catalog_relation.h"

#include <map>
#include <utility>

#include "backend/catalog/builtin_types.h"
#include "backend/catalog/catalog_values.h"
#include "backend/utils/error/error.h"
#include "backend/utils/error/format.h"
#include "backend/utils/error/sqlstate.h"

namespace keel::catalog {

access::TupleDesc CatalogTupleDesc(const CatalogDef& def) {
  std::vector<access::Attribute> attrs;
  attrs.reserve(def.columns.size());
  for (const CatalogColumn& c : def.columns) {
    attrs.push_back(AttributeForBuiltinType(c.name, c.type_oid, c.not_null));
  }
  return access::TupleDesc(std::move(attrs));
}

RelFileLocator CatalogLocator(uint32_t rel_oid, bool shared, Oid db) {
  if (shared) return RelFileLocator{Oid(kGlobalTablespace), kInvalidOid, Oid(rel_oid)};
  return RelFileLocator{Oid(kDefaultTablespace), db, Oid(rel_oid)};
}

const CatalogIndex& CatalogRelation::Index(uint32_t index_oid) const {
  for (const auto& idx : indexes) {
    if (idx->def->oid == index_oid) return *idx;
  }
  throw Error(sqlstate::kInternalError,
              Format("cache lookup failed for index %u", index_oid));
}

namespace {

std::unique_ptr<CatalogRelation> Build(const CatalogDef& def, Oid db) {
  auto cat = std::make_unique<CatalogRelation>();
  cat->def = &def;
  cat->desc = CatalogTupleDesc(def);
  cat->rel.id = Oid(def.oid);
  cat->rel.db = def.shared ? kInvalidOid : db;
  cat->rel.locator = CatalogLocator(def.oid, def.shared, db);
  cat->rel.name = std::string(def.name);
  cat->rel.desc = &cat->desc;
  for (const CatalogIndexDef& idef : def.indexes) {
    auto idx = std::make_unique<CatalogIndex>();
    idx->def = &idef;
    std::vector<access::Attribute> attrs;
    for (int k = 0; k < idef.nkeys; ++k) {
      const int col = def.ColumnIndex(idef.keys[k]);
      if (col < 0) {  // C2; the definitions test keeps this from happening
        throw Error(sqlstate::kInternalError,
                    Format("index \"%.*s\" names an unknown column",
                           static_cast<int>(idef.name.size()), idef.name.data()));
      }
      idx->heap_columns.push_back(col);
      attrs.push_back(cat->desc.attr(col));
      attrs.back().attcacheoff = -1;
    }
    idx->desc = access::TupleDesc(std::move(attrs));
    access::IndexRelation& ir = idx->index;
    ir.rel.id = Oid(idef.oid);
    ir.rel.db = cat->rel.db;
    ir.rel.locator = CatalogLocator(idef.oid, def.shared, db);
    ir.rel.name = std::string(idef.name);
    ir.rel.desc = &idx->desc;
    ir.rel.am = access::kBtreeIndexAmOid;
    ir.heap_id = Oid(def.oid);
    ir.key_columns = idef.nkeys;
    ir.unique = idef.unique;
    for (int k = 0; k < idef.nkeys; ++k) {
      const uint32_t t = def.columns[static_cast<size_t>(idx->heap_columns[static_cast<size_t>(k)])].type_oid;
      const access::IndexKeyColumn key = CatalogKeyColumnForType(t);
      access::IndexColumn c;
      c.heap_attno = static_cast<access::AttrNumber>(idx->heap_columns[static_cast<size_t>(k)] + 1);
      c.compare = key.compare;
      c.compare_arg = key.compare_arg;
      c.output = key.output;
      c.collation = Oid(t == type::kName ? kCCollation : 0);
      ir.columns.push_back(c);
    }
    cat->indexes.push_back(std::move(idx));
  }
  return cat;
}

}  // namespace

const CatalogRelation& OpenCatalog(uint32_t catalog_oid, Oid db) {
  static std::map<std::pair<uint32_t, uint32_t>, std::unique_ptr<CatalogRelation>> open;
  const CatalogDef& def = GetCatalog(Oid(catalog_oid));
  const std::pair<uint32_t, uint32_t> key{catalog_oid, def.shared ? 0u : db.value()};
  auto it = open.find(key);
  if (it == open.end()) it = open.emplace(key, Build(def, db)).first;
  return *it->second;
}

}  // namespace keel::catalog
