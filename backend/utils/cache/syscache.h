// Catalog-row caches (PostgreSQL's syscache over catcache): per backend, a copy of each catalog
// row looked up by a unique index key, and the fact that none exists (negative entries), kept
// until an invalidation message names it; lists of the rows matching a key prefix. Invariants
// K1-K12: backend/utils/cache/README.md.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "access/common/datum.h"
#include "access/heap/heap_tuple.h"
#include "backend/utils/cache/syscache_ids.h"
#include "storage/common/ids.h"

namespace keel::catalog {
struct CatalogRelation;
}

namespace keel::cache {

struct CatCacheEntry;  // catcache.h
struct CatCacheList;

// One key value of a lookup, converted to the key column's type when the cache is searched:
// an integer (oid, int2/4/8, "char", bool columns), a string (name, text), or a list of oids
// (oidvector). An empty key stands for "not given".
class SysCacheKey {
 public:
  enum class Kind : uint8_t { kNone, kInteger, kString, kOids };

  SysCacheKey() = default;
  SysCacheKey(Oid v) : kind_(Kind::kInteger), integer_(v.value()) {}  // NOLINT: implicit
  SysCacheKey(int64_t v) : kind_(Kind::kInteger), integer_(v) {}      // NOLINT
  SysCacheKey(std::string_view v) : kind_(Kind::kString), string_(v) {}  // NOLINT
  SysCacheKey(const std::string& v) : kind_(Kind::kString), string_(v) {}  // NOLINT
  template <size_t N>
  SysCacheKey(const char (&v)[N]) : kind_(Kind::kString), string_(v) {}  // NOLINT: literals
  SysCacheKey(std::span<const uint32_t> oids)  // NOLINT
      : kind_(Kind::kOids), oids_(oids.begin(), oids.end()) {}
  SysCacheKey(const std::vector<uint32_t>& oids) : kind_(Kind::kOids), oids_(oids) {}  // NOLINT

  [[nodiscard]] Kind kind() const { return kind_; }
  [[nodiscard]] int64_t integer() const { return integer_; }
  [[nodiscard]] const std::string& string() const { return string_; }
  [[nodiscard]] const std::vector<uint32_t>& oids() const { return oids_; }

 private:
  Kind kind_ = Kind::kNone;
  int64_t integer_ = 0;
  std::string string_;
  std::vector<uint32_t> oids_;
};

// A cached catalog row, or nothing (the key has no row: `!handle`). Move-only; the row stays
// valid while the handle lives, also after an invalidation dropped it from the cache (K9).
class SysCacheTuple {
 public:
  SysCacheTuple() = default;
  SysCacheTuple(std::shared_ptr<const CatCacheEntry> entry, const catalog::CatalogRelation* cat);
  SysCacheTuple(SysCacheTuple&&) noexcept = default;
  SysCacheTuple& operator=(SysCacheTuple&&) noexcept = default;
  SysCacheTuple(const SysCacheTuple&) = delete;
  SysCacheTuple& operator=(const SysCacheTuple&) = delete;
  ~SysCacheTuple() = default;

  [[nodiscard]] explicit operator bool() const { return row_ != nullptr; }
  // Requires: *this (a row was found).
  [[nodiscard]] const access::HeapTuple& row() const { return *row_; }
  [[nodiscard]] const catalog::CatalogRelation& catalog() const { return *cat_; }

  // Column readers (catalog_lookup.h's, by column name). Requires: *this. Throw XX000 for an
  // unknown column, and for a NULL in GetOid / GetInt / GetBool / GetChar / GetName.
  [[nodiscard]] uint32_t GetOid(std::string_view column) const;
  [[nodiscard]] int64_t GetInt(std::string_view column) const;
  [[nodiscard]] bool GetBool(std::string_view column) const;
  [[nodiscard]] char GetChar(std::string_view column) const;
  [[nodiscard]] std::string GetName(std::string_view column) const;
  [[nodiscard]] std::optional<std::string> GetText(std::string_view column) const;
  // The raw value (by-reference values point into row(): valid while the handle lives).
  [[nodiscard]] access::Datum GetAttr(std::string_view column, bool* isnull) const;

 private:
  std::shared_ptr<const CatCacheEntry> entry_;  // shared with the cache: see K9
  const access::HeapTuple* row_ = nullptr;      // into *entry_; nullptr when empty
  const catalog::CatalogRelation* cat_ = nullptr;  // OpenCatalog's: lives for the process
};

// The rows whose first nkeys key columns equal the given keys, in index order (K8). Move-only;
// valid while it lives, as SysCacheTuple.
class SysCacheList {
 public:
  SysCacheList() = default;
  SysCacheList(std::shared_ptr<const CatCacheList> list, const catalog::CatalogRelation* cat);
  SysCacheList(SysCacheList&&) noexcept = default;
  SysCacheList& operator=(SysCacheList&&) noexcept = default;
  SysCacheList(const SysCacheList&) = delete;
  SysCacheList& operator=(const SysCacheList&) = delete;
  ~SysCacheList() = default;

  [[nodiscard]] size_t size() const;
  [[nodiscard]] bool empty() const { return size() == 0; }
  // Requires: i < size().
  [[nodiscard]] const access::HeapTuple& operator[](size_t i) const;
  [[nodiscard]] const catalog::CatalogRelation& catalog() const { return *cat_; }
  [[nodiscard]] std::span<const access::HeapTuple> rows() const;

 private:
  std::shared_ptr<const CatCacheList> list_;  // shared with the cache: see K9
  const catalog::CatalogRelation* cat_ = nullptr;
};

// The row of cache `id` whose key equals k1..kN (N = the cache's key count; later keys must be
// empty), or an empty handle. A miss reads the catalog through the cache's index with a fresh
// snapshot (GetLatestSnapshot: committed rows plus this transaction's earlier commands) under
// AccessShareLock on the catalog, and caches the answer, a negative one too (K7, K8).
// Requires: for a miss, an active, non-failed transaction and, for a per-database catalog,
// a database (MyDatabaseId). Throws XX000 for a wrong number or kind of keys, outside a
// transaction, before a database is chosen; what the lock manager and index scan throw.
[[nodiscard]] SysCacheTuple SearchSysCache(SysCacheId id, const SysCacheKey& k1,
                                           const SysCacheKey& k2 = {},
                                           const SysCacheKey& k3 = {},
                                           const SysCacheKey& k4 = {});

// The rows whose first `nkeys` key columns equal k1..k<nkeys>, in index order: e.g. the
// attributes of a relation (kAttNum, 1, relid), the functions of one name
// (kProcNameArgsNsp, 1, name). Cached as a whole; any invalidation of the cache drops every
// list (K10). Requires and throws as SearchSysCache; 1 <= nkeys <= the cache's key count.
[[nodiscard]] SysCacheList SearchSysCacheList(SysCacheId id, int nkeys, const SysCacheKey& k1,
                                              const SysCacheKey& k2 = {},
                                              const SysCacheKey& k3 = {});

// The "oid" column of the row found, or kInvalidOid. Throws as SearchSysCache, and XX000 for
// a catalog without an oid column.
[[nodiscard]] Oid GetSysCacheOid(SysCacheId id, const SysCacheKey& k1, const SysCacheKey& k2 = {},
                                 const SysCacheKey& k3 = {}, const SysCacheKey& k4 = {});
// Whether a row exists for the key.
[[nodiscard]] bool SysCacheExists(SysCacheId id, const SysCacheKey& k1,
                                  const SysCacheKey& k2 = {}, const SysCacheKey& k3 = {},
                                  const SysCacheKey& k4 = {});

// The hash an invalidation message for a row with this key carries (K3), from the key.
[[nodiscard]] uint32_t GetSysCacheHashValue(SysCacheId id, const SysCacheKey& k1,
                                            const SysCacheKey& k2 = {},
                                            const SysCacheKey& k3 = {},
                                            const SysCacheKey& k4 = {});
// The same from a row of the cache's catalog (K4; catcache_hash.h's CatalogRowHash over the
// catalog of this database).
[[nodiscard]] uint32_t CatalogCacheHash(SysCacheId id, const access::HeapTuple& row);

// The catalog a cache reads, opened for this backend's database (for column readers).
[[nodiscard]] const catalog::CatalogRelation& SysCacheCatalog(SysCacheId id);

// Drops every entry and list of every cache (what a queue reset does, K11).
void SysCacheResetAll();

// Counters per cache, for tests and diagnostics (process-local, since process start).
struct SysCacheStats {
  uint64_t searches = 0;       // SearchSysCache calls
  uint64_t hits = 0;           // answered from the cache (positive or negative)
  uint64_t negative_hits = 0;  // ... by a negative entry
  uint64_t loads = 0;          // catalog reads (entries and lists)
  uint64_t list_searches = 0;
  uint64_t list_hits = 0;
  uint64_t invalidations = 0;  // row messages and resets applied
  size_t entries = 0;          // now cached (negative included)
  size_t lists = 0;
};
[[nodiscard]] SysCacheStats GetSysCacheStats(SysCacheId id);

}  // namespace keel::cache
