// One catalog-row cache (PostgreSQL's catcache): entries filed by the hash of their full key,
// negative entries, key-prefix lists, and their invalidation by hash. syscache.cpp keeps one
// per SysCacheId; other code uses syscache.h. README.md (K2-K12).
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <span>
#include <unordered_map>
#include <vector>

#include "access/common/datum.h"
#include "access/heap/heap_tuple.h"
#include "backend/utils/cache/syscache.h"
#include "backend/utils/cache/syscache_ids.h"

namespace keel::catalog {
struct CatalogIndex;
}

namespace keel::cache {

// Key values with their own storage: by-reference values (names, varlenas) are copied, so the
// Datums stay valid while the object lives (moving keeps them valid, copying is not allowed).
struct CatCacheKeys {
  CatCacheKeys() = default;
  CatCacheKeys(CatCacheKeys&&) = default;  // moves keep the byte buffers in place
  CatCacheKeys& operator=(CatCacheKeys&&) = default;
  CatCacheKeys(const CatCacheKeys&) = delete;  // a copy's Datums would point into the original
  CatCacheKeys& operator=(const CatCacheKeys&) = delete;
  ~CatCacheKeys() = default;

  std::vector<access::Datum> values;
  std::deque<std::vector<std::byte>> owned;  // deque: element addresses stay put
};

// One entry (K7): a copy of the row with this key, or a negative entry (no such row).
struct CatCacheEntry {
  uint32_t hash = 0;
  CatCacheKeys keys;  // the full key
  bool negative = false;
  access::HeapTuple row;  // empty when negative
};

// One list (K10): every row whose first keys.values.size() key columns equal keys.
struct CatCacheList {
  uint32_t hash = 0;
  CatCacheKeys keys;
  std::vector<access::HeapTuple> rows;
};

// K8: AccessShareLock on a catalog before reading it, as the executor locks tables it reads
// (once per transaction). Requires: an active transaction. Throws what LockAcquire throws.
void LockCatalogForRead(const catalog::CatalogRelation& cat);

class CatCache {
 public:
  // Requires: `cat` is the catalog of `id` opened for this backend, alive for the process.
  CatCache(SysCacheId id, const catalog::CatalogRelation& cat);
  CatCache(const CatCache&) = delete;
  CatCache& operator=(const CatCache&) = delete;

  [[nodiscard]] SysCacheId id() const { return id_; }
  [[nodiscard]] const catalog::CatalogRelation& catalog() const { return cat_; }
  [[nodiscard]] int nkeys() const { return nkeys_; }

  // Converts lookup keys to the key columns' formats. Throws XX000 for a wrong count (other
  // than `expected`) or kind.
  [[nodiscard]] CatCacheKeys MakeKeys(std::span<const SysCacheKey* const> keys,
                                      int expected) const;
  [[nodiscard]] uint32_t Hash(const CatCacheKeys& keys) const;

  // The entry for a full key (cached, or read now). Requires: keys from MakeKeys(.., nkeys()).
  [[nodiscard]] std::shared_ptr<const CatCacheEntry> Search(CatCacheKeys keys);
  // The list for a key prefix (cached, or read now).
  [[nodiscard]] std::shared_ptr<const CatCacheList> SearchList(CatCacheKeys keys);

  // K10: drops the entries filed under `hash` and every list.
  void Invalidate(uint32_t hash);
  // K11: drops everything.
  void InvalidateAll();

  [[nodiscard]] SysCacheStats Stats() const;

 private:
  [[nodiscard]] bool KeysEqual(const CatCacheKeys& a, const CatCacheKeys& b) const;
  // Rows matching `keys` (a prefix of the index key), read from the catalog (K8).
  [[nodiscard]] std::vector<access::HeapTuple> Load(const CatCacheKeys& keys);

  const SysCacheId id_;
  const catalog::CatalogRelation& cat_;
  const catalog::CatalogIndex* index_;  // the cache's index in cat_ (lives as cat_)
  int nkeys_;
  std::vector<uint32_t> key_types_;     // per key column
  // Filed by hash (K7). shared_ptr: a caller's handle keeps an entry alive after an
  // invalidation dropped it from here (K9).
  std::unordered_map<uint32_t, std::vector<std::shared_ptr<CatCacheEntry>>> entries_;
  std::unordered_map<uint32_t, std::vector<std::shared_ptr<CatCacheList>>> lists_;
  // Bumped by every invalidation: a load that saw it change does not file its result (K12).
  uint64_t generation_ = 0;
  SysCacheStats stats_;
};

}  // namespace keel::cache
