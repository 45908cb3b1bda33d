// One catalog-row cache; see catcache.h and README.md (K2-K12).
#include "backend/utils/cache/catcache.h"

#include <limits>
#include <utility>

#include "access/common/varlena.h"
#include "access/transam/snapshot.h"
#include "access/transam/xact.h"
#include "backend/catalog/catalog_lookup.h"
#include "backend/catalog/catalog_relation.h"
#include "backend/catalog/catalog_values.h"
#include "backend/utils/cache/catcache_hash.h"
#include "backend/utils/error/error.h"
#include "backend/utils/error/format.h"
#include "backend/utils/error/sqlstate.h"
#include "storage/lmgr/lock.h"

namespace keel::cache {
namespace {

namespace type = access::type_oid;

[[noreturn]] void ThrowBadKey(SysCacheId id, const char* what) {
  const SysCacheDef& def = SysCacheDefOf(id);
  throw Error(sqlstate::kInternalError,
              Format("%s for cache %.*s", what, static_cast<int>(def.name.size()),
                     def.name.data()));
}

// An integer key for a column of `bits` width (signed or unsigned range both accepted, as
// PostgreSQL's oid and int4 Datums are interchangeable bit patterns).
int64_t IntegerKey(SysCacheId id, const SysCacheKey& key, int bits) {
  if (key.kind() != SysCacheKey::Kind::kInteger) ThrowBadKey(id, "integer key expected");
  const int64_t v = key.integer();
  if (bits < 64) {
    const int64_t lo = -(int64_t{1} << (bits - 1));
    const int64_t hi = (int64_t{1} << bits) - 1;
    if (v < lo || v > hi) ThrowBadKey(id, "key out of range");
  }
  return v;
}

}  // namespace

void LockCatalogForRead(const catalog::CatalogRelation& cat) {
  // Taken directly, not through LockRelationOid: accepting invalidations here could not make
  // the read more current (its snapshot is taken afterwards anyway) and would let messages in
  // while a relation descriptor is being built from several reads (K12). Nothing takes a
  // conflicting lock on a catalog.
  const storage::LockTag tag = storage::RelationLockTag(cat.rel.db.value(), cat.rel.id.value());
  if (!storage::LockHeldByMe(tag, storage::LockMode::kAccessShare)) {
    (void)storage::LockAcquire(tag, storage::LockMode::kAccessShare);
  }
}

CatCache::CatCache(SysCacheId id, const catalog::CatalogRelation& cat)
    : id_(id), cat_(cat), index_(nullptr), nkeys_(0) {
  const SysCacheDef& def = SysCacheDefOf(id);
  for (const auto& idx : cat.indexes) {
    if (idx->def->oid == def.index_oid) index_ = idx.get();
  }
  // K2: the cache's index is a unique index of its catalog (syscache_test checks every one).
  if (index_ == nullptr || !index_->def->unique || cat.def->oid != def.catalog_oid) {
    ThrowBadKey(id, "no unique index");
  }
  nkeys_ = static_cast<int>(index_->heap_columns.size());
  for (int col : index_->heap_columns) key_types_.push_back(cat.desc.attr(col).type_id.value());
}

CatCacheKeys CatCache::MakeKeys(std::span<const SysCacheKey* const> keys, int expected) const {
  CatCacheKeys out;
  for (size_t k = 0; k < keys.size(); ++k) {
    const bool given = keys[k]->kind() != SysCacheKey::Kind::kNone;
    if (given != (static_cast<int>(k) < expected)) ThrowBadKey(id_, "wrong number of keys");
  }
  if (expected < 1 || expected > nkeys_) ThrowBadKey(id_, "wrong number of keys");
  for (int k = 0; k < expected; ++k) {
    const SysCacheKey& key = *keys[static_cast<size_t>(k)];
    const uint32_t t = key_types_[static_cast<size_t>(k)];
    switch (t) {
      case type::kOid:
      case type::kRegproc:
        out.values.push_back(access::UInt32GetDatum(static_cast<uint32_t>(IntegerKey(id_, key, 32))));
        break;
      case type::kInt4:
        out.values.push_back(access::Int32GetDatum(static_cast<int32_t>(IntegerKey(id_, key, 32))));
        break;
      case type::kInt2:
        out.values.push_back(access::Int16GetDatum(static_cast<int16_t>(IntegerKey(id_, key, 16))));
        break;
      case type::kInt8:
        out.values.push_back(access::Int64GetDatum(IntegerKey(id_, key, 64)));
        break;
      case type::kChar:
        out.values.push_back(access::CharGetDatum(static_cast<char>(IntegerKey(id_, key, 8))));
        break;
      case type::kBool:
        out.values.push_back(access::BoolGetDatum(IntegerKey(id_, key, 8) != 0));
        break;
      case type::kName:
      case type::kText: {
        if (key.kind() != SysCacheKey::Kind::kString) ThrowBadKey(id_, "string key expected");
        out.owned.push_back(t == type::kName ? catalog::MakeName(key.string())
                                             : access::MakeVarlena(std::string_view(key.string())));
        out.values.push_back(access::PointerGetDatum(out.owned.back().data()));
        break;
      }
      case type::kOidVector: {
        if (key.kind() != SysCacheKey::Kind::kOids) ThrowBadKey(id_, "oid list key expected");
        out.owned.push_back(catalog::MakeOidArray(key.oids(), /*vector_type=*/true));
        out.values.push_back(access::PointerGetDatum(out.owned.back().data()));
        break;
      }
      default:
        ThrowBadKey(id_, "unsupported key type");
    }
  }
  return out;
}

uint32_t CatCache::Hash(const CatCacheKeys& keys) const {
  return CatalogKeysHash(std::span<const uint32_t>(key_types_).first(keys.values.size()),
                         keys.values);
}

bool CatCache::KeysEqual(const CatCacheKeys& a, const CatCacheKeys& b) const {
  if (a.values.size() != b.values.size()) return false;
  for (size_t k = 0; k < a.values.size(); ++k) {
    const access::IndexColumn& c = index_->index.columns[k];
    if (c.compare(a.values[k], b.values[k], c.compare_arg) != 0) return false;
  }
  return true;
}

std::vector<access::HeapTuple> CatCache::Load(const CatCacheKeys& keys) {
  if (!transam::IsTransactionActive() || transam::IsTransactionFailed()) {
    throw Error(sqlstate::kInternalError,
                Format("cannot read catalog \"%s\" outside a transaction",
                       cat_.rel.name.c_str()));
  }
  ++stats_.loads;
  LockCatalogForRead(cat_);  // K8
  const transam::Snapshot snapshot = transam::GetLatestSnapshot();
  return catalog::CatalogIndexScan(cat_, index_->def->oid, keys.values, snapshot);
}

std::shared_ptr<const CatCacheEntry> CatCache::Search(CatCacheKeys keys) {
  ++stats_.searches;
  const uint32_t hash = Hash(keys);
  if (auto it = entries_.find(hash); it != entries_.end()) {
    for (const auto& entry : it->second) {
      if (!KeysEqual(entry->keys, keys)) continue;
      ++stats_.hits;
      if (entry->negative) ++stats_.negative_hits;
      return entry;
    }
  }
  const uint64_t generation = generation_;
  std::vector<access::HeapTuple> rows = Load(keys);
  auto entry = std::make_shared<CatCacheEntry>();
  entry->hash = hash;
  entry->keys = std::move(keys);
  entry->negative = rows.empty();
  if (!rows.empty()) entry->row = std::move(rows.front());  // unique index: at most one (K2)
  // K12: an invalidation applied while reading could concern this very row; the caller gets
  // the answer, the cache does not keep it.
  if (generation_ == generation) entries_[hash].push_back(entry);
  return entry;
}

std::shared_ptr<const CatCacheList> CatCache::SearchList(CatCacheKeys keys) {
  ++stats_.list_searches;
  const uint32_t hash = Hash(keys);
  if (auto it = lists_.find(hash); it != lists_.end()) {
    for (const auto& list : it->second) {
      if (!KeysEqual(list->keys, keys)) continue;
      ++stats_.list_hits;
      return list;
    }
  }
  const uint64_t generation = generation_;
  auto list = std::make_shared<CatCacheList>();
  list->rows = Load(keys);
  list->hash = hash;
  list->keys = std::move(keys);
  if (generation_ == generation) lists_[hash].push_back(list);  // K12
  return list;
}

void CatCache::Invalidate(uint32_t hash) {
  ++generation_;
  ++stats_.invalidations;
  entries_.erase(hash);
  // K10: a list is filed under the hash of a key prefix, which a row message cannot name.
  lists_.clear();
}

void CatCache::InvalidateAll() {
  ++generation_;
  ++stats_.invalidations;
  entries_.clear();
  lists_.clear();
}

SysCacheStats CatCache::Stats() const {
  SysCacheStats s = stats_;
  s.entries = 0;
  for (const auto& [hash, bucket] : entries_) s.entries += bucket.size();
  s.lists = 0;
  for (const auto& [hash, bucket] : lists_) s.lists += bucket.size();
  return s;
}

}  // namespace keel::cache
