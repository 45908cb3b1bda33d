// Catalog cache key hashes; see catcache_hash.h and README.md (K3, K4).
#include "backend/utils/cache/catcache_hash.h"

#include <cstring>

#include "access/common/heap_form.h"
#include "access/common/tuple_desc.h"
#include "access/common/varlena.h"
#include "backend/catalog/catalog_relation.h"
#include "backend/utils/error/error.h"
#include "backend/utils/error/format.h"
#include "backend/utils/error/sqlstate.h"

namespace keel::cache {
namespace {

namespace type = access::type_oid;

constexpr size_t kNameBytes = 64;  // NAMEDATALEN, with the final NUL

// MurmurHash3's finaliser: every input bit affects every output bit.
uint32_t Mix32(uint32_t h) {
  h ^= h >> 16;
  h *= 0x85EBCA6Bu;
  h ^= h >> 13;
  h *= 0xC2B2AE35u;
  h ^= h >> 16;
  return h;
}

uint32_t Mix64(uint64_t v) {
  return Mix32(static_cast<uint32_t>(v) ^ Mix32(static_cast<uint32_t>(v >> 32) + 0x9E3779B9u));
}

// FNV-1a over bytes, finalised.
uint32_t HashBytes(const void* data, size_t len) {
  const auto* p = static_cast<const uint8_t*>(data);
  uint32_t h = 0x811C9DC5u;
  for (size_t i = 0; i < len; ++i) {
    h ^= p[i];
    h *= 0x01000193u;
  }
  return Mix32(h ^ static_cast<uint32_t>(len));
}

// int2vector / oidvector: hashed by their elements, so every encoding of the same elements
// (PostgreSQL's array layout with ndim 1, or an empty array with ndim 0, any varlena header)
// hashes alike, as the comparators (catalog_values) compare elements only. Layout after the
// varlena header: ndim, dataoffset, elemtype, dim[0], lbound[0], elements (from offset 20).
uint32_t HashVector(const std::byte* value, size_t elem_size) {
  const std::span<const std::byte> data = access::VarDataSpan(value);
  int32_t ndim = -1;
  int32_t n = 0;
  if (data.size() >= 4) std::memcpy(&ndim, data.data(), 4);
  if (ndim == 0) return HashBytes(nullptr, 0);  // an empty array without dimensions
  if (ndim == 1 && data.size() >= 16) std::memcpy(&n, data.data() + 12, 4);
  constexpr size_t kElemOffset = 20;
  if (ndim != 1 || n < 0 || kElemOffset + static_cast<size_t>(n) * elem_size > data.size()) {
    return HashBytes(data.data(), data.size());  // not a vector we know: bytes
  }
  return HashBytes(data.data() + kElemOffset, static_cast<size_t>(n) * elem_size);
}

}  // namespace

uint32_t CatalogKeyValueHash(uint32_t type_oid, access::Datum value) {
  switch (type_oid) {
    case type::kBool:
      return Mix32(access::DatumGetBool(value) ? 1u : 0u);
    case type::kChar:
      return Mix32(static_cast<uint8_t>(access::DatumGetChar(value)));
    case type::kInt2:
      return Mix32(static_cast<uint16_t>(access::DatumGetInt16(value)));
    case type::kInt4:
    case type::kOid:
    case type::kRegproc:
      return Mix32(access::DatumGetUInt32(value));
    case type::kInt8:
      return Mix64(static_cast<uint64_t>(access::DatumGetInt64(value)));
    case type::kName: {
      const char* s = access::DatumGetCString(value);
      return HashBytes(s, strnlen(s, kNameBytes));
    }
    case type::kText:
    case type::kVarchar: {
      const std::span<const std::byte> data = access::VarDataSpan(access::DatumGetPointer(value));
      return HashBytes(data.data(), data.size());
    }
    case type::kInt2Vector:
      return HashVector(access::DatumGetPointer(value), sizeof(int16_t));
    case type::kOidVector:
      return HashVector(access::DatumGetPointer(value), sizeof(uint32_t));
    default:
      throw Error(sqlstate::kInternalError,
                  Format("no hash function for catalog key type %u", type_oid));
  }
}

uint32_t CatalogKeysHash(std::span<const uint32_t> type_oids, std::span<const access::Datum> keys) {
  KEEL_ASSERT(type_oids.size() == keys.size() && !keys.empty());
  uint32_t h = 0x2545F491u;
  for (size_t k = 0; k < keys.size(); ++k) {
    // Order matters: (a, b) and (b, a) are different keys.
    h = Mix32(h * 31u + CatalogKeyValueHash(type_oids[k], keys[k]) + static_cast<uint32_t>(k));
  }
  return h;
}

uint32_t CatalogRowHash(SysCacheId id, const catalog::CatalogRelation& cat,
                        const access::HeapTuple& row) {
  const SysCacheDef& def = SysCacheDefOf(id);
  // The catalog's own index list (not CatalogRelation::Index: this library sits below
  // backend/catalog and uses its structures only).
  const catalog::CatalogIndex* index = nullptr;
  for (const auto& idx : cat.indexes) {
    if (idx->def->oid == def.index_oid) index = idx.get();
  }
  if (index == nullptr || cat.def->oid != def.catalog_oid) {
    throw Error(sqlstate::kInternalError,
                Format("catalog %u has no index %u for cache %.*s", cat.def->oid, def.index_oid,
                       static_cast<int>(def.name.size()), def.name.data()));
  }
  const size_t nkeys = index->heap_columns.size();
  uint32_t types[catalog::kMaxCatalogIndexKeys] = {};
  access::Datum keys[catalog::kMaxCatalogIndexKeys] = {};
  for (size_t k = 0; k < nkeys; ++k) {
    const int col = index->heap_columns[k];
    bool isnull = false;
    keys[k] = access::HeapGetAttr(cat.desc, row.header(), row.size(), col, &isnull);
    types[k] = cat.desc.attr(col).type_id.value();
    if (isnull) {  // C2: index key columns are NOT NULL
      throw Error(sqlstate::kInternalError,
                  Format("null key column in a row of catalog %u", cat.def->oid));
    }
  }
  return CatalogKeysHash({types, nkeys}, {keys, nkeys});
}

}  // namespace keel::cache
