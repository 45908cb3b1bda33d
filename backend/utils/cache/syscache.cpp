// The catalog-row caches of this backend and their invalidation callbacks; see syscache.h and
// README.md (K1-K12).
#include "backend/utils/cache/syscache.h"

#include <array>
#include <memory>

#include "backend/catalog/catalog_defs.h"
#include "backend/catalog/catalog_lookup.h"
#include "backend/catalog/catalog_relation.h"
#include "backend/utils/cache/catcache.h"
#include "backend/utils/cache/catcache_hash.h"
#include "backend/utils/cache/inval.h"
#include "backend/utils/error/error.h"
#include "backend/utils/error/format.h"
#include "backend/utils/error/sqlstate.h"
#include "backend/utils/init/session_globals.h"
#include "storage/ipc/process_context.h"

namespace keel::cache {
namespace {

// Process-local; created on first use, by process `pid` (storage::CurrentProcess().pid: set
// by every process at its start, and cheaper than asking the kernel at every lookup).
struct CacheSet {
  int32_t pid = 0;
  std::array<std::unique_ptr<CatCache>, kNumSysCaches> caches;
};

// K13: a forked child inherits the parent's caches (and the callbacks) but reads the
// invalidation queue only from its own attach on, so it would never hear of changes its
// parent had not yet applied: a new process starts with none. Handles still held keep their
// entries (K9).
std::array<std::unique_ptr<CatCache>, kNumSysCaches>& Caches() {
  static CacheSet set;
  const int32_t pid = storage::CurrentProcess().pid;
  if (set.pid != pid) {
    for (std::unique_ptr<CatCache>& cache : set.caches) cache.reset();
    set.pid = pid;
  }
  return set.caches;
}

CatCache* FindCache(int message_id) {
  if (message_id < 0 || message_id >= kNumSysCaches) return nullptr;
  return Caches()[static_cast<size_t>(message_id)].get();
}

// K11: the invalidation callbacks, registered once per process before the first entry.
void EnsureCallbacks() {
  static bool registered = false;
  if (registered) return;
  registered = true;
  for (const SysCacheDef& def : kSysCacheDefs) {
    const int message_id = SysCacheMessageId(def.id);
    CacheRegisterCatalogRowCallback(message_id, [message_id](uint32_t hash, bool all_rows) {
      CatCache* cache = FindCache(message_id);
      if (cache == nullptr) return;
      if (all_rows) {
        cache->InvalidateAll();
      } else {
        cache->Invalidate(hash);
      }
    });
  }
  CacheRegisterCatalogCallback([](Oid catalog) {
    for (const SysCacheDef& def : kSysCacheDefs) {
      if (def.catalog_oid != catalog.value()) continue;
      if (CatCache* cache = FindCache(SysCacheMessageId(def.id))) cache->InvalidateAll();
    }
  });
}

const catalog::CatalogRelation& OpenCacheCatalog(uint32_t catalog_oid) {
  const catalog::CatalogDef& def = catalog::GetCatalog(Oid(catalog_oid));
  if (def.shared) return catalog::OpenCatalog(catalog_oid, kInvalidOid);
  if (MyDatabaseId() == kInvalidOid) {
    throw Error(sqlstate::kInternalError,
                Format("cannot read catalog \"%.*s\" before a database is chosen",
                       static_cast<int>(def.name.size()), def.name.data()));
  }
  return catalog::OpenCatalog(catalog_oid, MyDatabaseId());
}

CatCache& GetCache(SysCacheId id) {
  std::unique_ptr<CatCache>& slot = Caches()[static_cast<size_t>(id)];
  // K13: a cache over a per-database catalog is for MyDatabaseId() only.
  if (slot != nullptr && slot->catalog().rel.db != kInvalidOid &&
      slot->catalog().rel.db != MyDatabaseId()) {
    slot.reset();
  }
  if (slot == nullptr) {
    EnsureCallbacks();
    slot = std::make_unique<CatCache>(id, OpenCacheCatalog(SysCacheDefOf(id).catalog_oid));
  }
  return *slot;
}

std::shared_ptr<const CatCacheEntry> Lookup(SysCacheId id, const SysCacheKey& k1,
                                            const SysCacheKey& k2, const SysCacheKey& k3,
                                            const SysCacheKey& k4) {
  CatCache& cache = GetCache(id);
  const SysCacheKey* keys[] = {&k1, &k2, &k3, &k4};
  return cache.Search(cache.MakeKeys(keys, cache.nkeys()));
}

}  // namespace

// --- handles ------------------------------------------------------------------------------

SysCacheTuple::SysCacheTuple(std::shared_ptr<const CatCacheEntry> entry,
                             const catalog::CatalogRelation* cat)
    : entry_(std::move(entry)), cat_(cat) {
  if (entry_ != nullptr && !entry_->negative) row_ = &entry_->row;
}

uint32_t SysCacheTuple::GetOid(std::string_view column) const {
  KEEL_ASSERT(row_ != nullptr);
  return catalog::CatalogGetOid(*cat_, *row_, column);
}
int64_t SysCacheTuple::GetInt(std::string_view column) const {
  KEEL_ASSERT(row_ != nullptr);
  return catalog::CatalogGetInt(*cat_, *row_, column);
}
bool SysCacheTuple::GetBool(std::string_view column) const {
  KEEL_ASSERT(row_ != nullptr);
  return catalog::CatalogGetBool(*cat_, *row_, column);
}
char SysCacheTuple::GetChar(std::string_view column) const {
  KEEL_ASSERT(row_ != nullptr);
  return catalog::CatalogGetChar(*cat_, *row_, column);
}
std::string SysCacheTuple::GetName(std::string_view column) const {
  KEEL_ASSERT(row_ != nullptr);
  return catalog::CatalogGetName(*cat_, *row_, column);
}
std::optional<std::string> SysCacheTuple::GetText(std::string_view column) const {
  KEEL_ASSERT(row_ != nullptr);
  return catalog::CatalogGetText(*cat_, *row_, column);
}
access::Datum SysCacheTuple::GetAttr(std::string_view column, bool* isnull) const {
  KEEL_ASSERT(row_ != nullptr);
  return catalog::CatalogGetAttr(*cat_, *row_, column, isnull);
}

SysCacheList::SysCacheList(std::shared_ptr<const CatCacheList> list,
                           const catalog::CatalogRelation* cat)
    : list_(std::move(list)), cat_(cat) {}

size_t SysCacheList::size() const { return list_ == nullptr ? 0 : list_->rows.size(); }

const access::HeapTuple& SysCacheList::operator[](size_t i) const { return list_->rows[i]; }

std::span<const access::HeapTuple> SysCacheList::rows() const {
  if (list_ == nullptr) return {};
  return list_->rows;
}

// --- lookups ------------------------------------------------------------------------------

SysCacheTuple SearchSysCache(SysCacheId id, const SysCacheKey& k1, const SysCacheKey& k2,
                             const SysCacheKey& k3, const SysCacheKey& k4) {
  std::shared_ptr<const CatCacheEntry> entry = Lookup(id, k1, k2, k3, k4);
  return SysCacheTuple(std::move(entry), &GetCache(id).catalog());
}

SysCacheList SearchSysCacheList(SysCacheId id, int nkeys, const SysCacheKey& k1,
                                const SysCacheKey& k2, const SysCacheKey& k3) {
  CatCache& cache = GetCache(id);
  const SysCacheKey none;
  const SysCacheKey* keys[] = {&k1, &k2, &k3, &none};
  return SysCacheList(cache.SearchList(cache.MakeKeys(keys, nkeys)), &cache.catalog());
}

Oid GetSysCacheOid(SysCacheId id, const SysCacheKey& k1, const SysCacheKey& k2,
                   const SysCacheKey& k3, const SysCacheKey& k4) {
  CatCache& cache = GetCache(id);
  if (!cache.catalog().def->HasOidColumn()) {
    const SysCacheDef& def = SysCacheDefOf(id);
    throw Error(sqlstate::kInternalError,
                Format("cache %.*s has no oid column", static_cast<int>(def.name.size()),
                       def.name.data()));
  }
  const std::shared_ptr<const CatCacheEntry> entry = Lookup(id, k1, k2, k3, k4);
  if (entry->negative) return kInvalidOid;
  return Oid(catalog::CatalogGetOid(cache.catalog(), entry->row, "oid"));
}

bool SysCacheExists(SysCacheId id, const SysCacheKey& k1, const SysCacheKey& k2,
                    const SysCacheKey& k3, const SysCacheKey& k4) {
  return !Lookup(id, k1, k2, k3, k4)->negative;
}

uint32_t GetSysCacheHashValue(SysCacheId id, const SysCacheKey& k1, const SysCacheKey& k2,
                              const SysCacheKey& k3, const SysCacheKey& k4) {
  CatCache& cache = GetCache(id);
  const SysCacheKey* keys[] = {&k1, &k2, &k3, &k4};
  return cache.Hash(cache.MakeKeys(keys, cache.nkeys()));
}

uint32_t CatalogCacheHash(SysCacheId id, const access::HeapTuple& row) {
  return CatalogRowHash(id, GetCache(id).catalog(), row);
}

const catalog::CatalogRelation& SysCacheCatalog(SysCacheId id) { return GetCache(id).catalog(); }

void SysCacheResetAll() {
  for (const auto& cache : Caches()) {
    if (cache != nullptr) cache->InvalidateAll();
  }
}

SysCacheStats GetSysCacheStats(SysCacheId id) {
  const CatCache* cache = Caches()[static_cast<size_t>(id)].get();
  return cache == nullptr ? SysCacheStats{} : cache->Stats();
}

}  // namespace keel::cache
