// The relation cache (PostgreSQL's relcache): per backend, one descriptor per relation built
// from pg_class, pg_attribute (with pg_type's layouts) and pg_index — its tuple descriptor, the
// access::Relation the table AM works on, its index list, and for an index the
// access::IndexRelation the index AM works on. Catalogs and their indexes come from their
// definitions. Invariants R1-R9: backend/utils/cache/README.md.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "access/common/relation.h"
#include "access/common/tuple_desc.h"
#include "access/index/index_relation.h"
#include "storage/common/ids.h"
#include "storage/lmgr/lock.h"

namespace keel::cache {

// pg_class.relkind / relpersistence values (PostgreSQL's).
namespace relkind {
inline constexpr char kTable = 'r';
inline constexpr char kIndex = 'i';
inline constexpr char kSequence = 'S';
inline constexpr char kToast = 't';
inline constexpr char kView = 'v';
inline constexpr char kMatView = 'm';
inline constexpr char kComposite = 'c';
inline constexpr char kForeign = 'f';
inline constexpr char kPartitioned = 'p';
inline constexpr char kPartitionedIndex = 'I';
}  // namespace relkind
namespace relpersistence {
inline constexpr char kPermanent = 'p';
inline constexpr char kUnlogged = 'u';
inline constexpr char kTemp = 't';
}  // namespace relpersistence

// The pg_attribute facts of one column beyond what access::Attribute holds.
struct AttributeInfo {
  int16_t attnum = 0;
  bool has_default = false;   // atthasdef
  bool is_dropped = false;    // attisdropped (its layout stays, its type is 0)
  bool has_missing = false;   // atthasmissing
  char identity = '\0';       // attidentity
  char generated = '\0';      // attgenerated
  int32_t ndims = 0;          // attndims
  Oid collation;              // attcollation
};

// pg_index of an index relation.
struct IndexFacts {
  Oid heap_oid;                    // indrelid
  int16_t natts = 0;               // indnatts: key + INCLUDE columns
  int16_t nkeyatts = 0;            // indnkeyatts
  std::vector<int16_t> indkey;     // table column of each index column (0: expression)
  std::vector<Oid> indcollation;
  std::vector<Oid> indclass;       // operator class of each key column
  std::vector<int16_t> indoption;  // per key column: 1 DESC, 2 NULLS FIRST
  bool is_unique = false;
  bool nulls_not_distinct = false;
  bool is_primary = false;
  bool is_exclusion = false;
  bool immediate = true;
  bool is_valid = true;
  bool is_ready = true;
  bool is_live = true;
};

inline constexpr int16_t kIndexOptionDesc = 0x0001;        // PostgreSQL's INDOPTION_DESC
inline constexpr int16_t kIndexOptionNullsFirst = 0x0002;  // INDOPTION_NULLS_FIRST

// One relation descriptor. Immutable once built (R3): an invalidation makes the cache forget
// it and build a new one at the next open; whoever holds this one keeps a consistent picture.
struct RelationData {
  RelationData() = default;
  RelationData(const RelationData&) = delete;  // `rel` and `index` point into the object
  RelationData& operator=(const RelationData&) = delete;

  Oid oid;
  std::string name;            // relname
  Oid namespace_oid;           // relnamespace
  Oid type_oid;                // reltype
  Oid owner;                   // relowner
  Oid am;                      // relam: table AM (heap) or index AM (btree); 0 for a view
  Oid relfilenode;
  Oid tablespace;              // reltablespace as stored: 0 = the database's default
  Oid toast_oid;               // reltoastrelid
  char kind = relkind::kTable;
  char persistence = relpersistence::kPermanent;
  int16_t natts = 0;           // relnatts
  int16_t checks = 0;          // relchecks
  bool has_index = false;      // relhasindex
  bool is_shared = false;      // relisshared
  bool is_catalog = false;     // built from the catalog definitions (R2)

  // Columns attnum 1..natts (dropped ones included, R4).
  access::TupleDesc desc;
  std::vector<AttributeInfo> attrs;  // parallel to desc
  // For the access methods: id, db (0 when shared), locator, name, desc -> this->desc,
  // toast -> toast->rel, am (R5).
  access::Relation rel;
  std::shared_ptr<const RelationData> toast;  // its TOAST table's descriptor (keeps rel.toast)
  // Oids of the indexes on this relation (pg_index.indrelid, live ones), ascending (R6).
  std::vector<Oid> index_oids;
  // Index relations only (R7): pg_index, and the index AM's view (index.rel -> this->rel's
  // fields, key comparators by key type, key_support.h).
  std::optional<IndexFacts> index_facts;
  access::IndexRelation index;

  [[nodiscard]] bool IsIndex() const { return index_facts.has_value(); }
  // The column named `name` (not dropped): its 0-based position in desc, or -1.
  [[nodiscard]] int ColumnIndex(std::string_view column) const;
};

// Shared between the cache and its users: an invalidation drops the cache's reference while
// users keep theirs (R3).
using RelationRef = std::shared_ptr<const RelationData>;

// The descriptor of relation `oid` in this backend's database (shared catalogs: every
// database's), from the cache or built now; nullptr when no such relation is visible to a
// fresh snapshot (R8). Takes no lock on the relation itself (the caller should hold one: R1).
// Requires: an active, non-failed transaction when it is not cached; a database chosen
// (MyDatabaseId). Throws XX000 "catalog is missing %d attribute(s) for relation OID %u" for
// an inconsistent catalog, XX000 "missing support function for type %u" for an index key type
// without a comparator, and what the catalog reads throw.
[[nodiscard]] RelationRef RelationIdGetRelation(Oid oid);

// PostgreSQL's relation_open: takes `mode` on the relation (cache::LockRelationOid, which
// accepts invalidations when the lock is new to the transaction, R1) unless kNoLock, then
// RelationIdGetRelation. Throws XX000 "could not open relation with OID %u" when there is no
// such relation (the lock stays until the transaction ends, as in PostgreSQL), plus what
// RelationIdGetRelation and the lock manager throw.
[[nodiscard]] RelationRef RelationOpen(Oid oid, storage::LockMode mode);
// Releases `mode` on the relation (kNoLock: nothing; the lock is kept until the transaction
// ends, PostgreSQL's table_close(rel, NoLock)).
void RelationClose(const RelationData& rel, storage::LockMode mode);

// Whether `oid` is a shared catalog or an index of one (PostgreSQL's IsSharedRelation).
[[nodiscard]] bool IsSharedRelation(Oid oid);

// Forgets the descriptor of `oid` (and descriptors whose TOAST table it is); kInvalidOid
// forgets all (R9). What the invalidation callbacks do.
void RelationCacheInvalidateEntry(Oid oid);
void RelationCacheInvalidateAll();

// Counters, for tests and diagnostics (process-local).
struct RelationCacheStats {
  uint64_t opens = 0;          // RelationIdGetRelation calls
  uint64_t builds = 0;         // descriptors built
  uint64_t invalidations = 0;  // entries dropped by messages (all: counts once)
  size_t entries = 0;
};
[[nodiscard]] RelationCacheStats GetRelationCacheStats();

}  // namespace keel::cache
