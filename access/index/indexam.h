// The index access method interface (PostgreSQL's IndexAmRoutine): what CREATE INDEX, the
// executor's inserts and index scans, VACUUM and the planner call on an index, whatever its
// kind. Btree (access/nbtree) implements it; other kinds register their own.
// Promises, ownership, locking and invariants IX1-IX14: access/index/README.md.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string_view>

#include "access/common/datum.h"
#include "access/common/relation.h"
#include "access/index/index_cost.h"
#include "access/index/index_relation.h"
#include "access/index/scan_key.h"
#include "storage/common/ids.h"
#include "storage/page/item_pointer.h"

namespace keel::access {

// ---- building ---------------------------------------------------------------------------------

// One table row offered to an index build: its tid and the index columns' values
// (IndexInfo::heap_attnos order). Views valid until the source's next Next (IX8).
struct IndexBuildRow {
  storage::ItemPointer tid;
  std::span<const Datum> values;
  std::span<const bool> isnull;
  // False for a version some snapshot may still see but that is dead to new ones (PostgreSQL's
  // tupleIsAlive): it gets an entry, but does not count for uniqueness.
  bool alive = true;
};

// The rows an index is built from (PostgreSQL's table_index_build_scan, turned into a pull
// source so that an AM can be built from anything: index_build.h has the table-backed one).
class IndexBuildSource {
 public:
  IndexBuildSource() = default;
  virtual ~IndexBuildSource() = default;
  IndexBuildSource(const IndexBuildSource&) = delete;
  IndexBuildSource& operator=(const IndexBuildSource&) = delete;
  // The next row; false at the end (and after).
  [[nodiscard]] virtual bool Next(IndexBuildRow* out) = 0;
};

// PostgreSQL's IndexBuildResult.
struct IndexBuildResult {
  double heap_tuples = 0;   // rows the source offered
  double index_tuples = 0;  // entries the index holds afterwards
};

// PostgreSQL's IndexUniqueCheck.
enum class UniqueCheck : uint8_t {
  kNo,        // not a unique index (or the check is not wanted)
  kYes,       // error 23505 at once when a live conflicting entry exists
  kPartial,   // deferrable constraint: insert, return false when a conflict is possible
  kExisting,  // recheck of an entry already inserted (deferred trigger); insert nothing
};

// ---- scanning ---------------------------------------------------------------------------------

// One entry an index scan returned.
struct IndexScanEntry {
  storage::ItemPointer tid;   // the table row version the entry points at (heap tid)
  bool recheck = false;       // the quals must be rechecked on the table row (lossy AMs)
  // With want_itup: the entry's column values (IndexRelation::columns order); views into the
  // scan, valid until its next GetNextTid / Rescan / destruction (IX9). Empty otherwise.
  std::span<const Datum> values;
  std::span<const bool> isnull;
};

// An index scan in progress (PostgreSQL's IndexScanDesc + amrescan/amgettuple/ammarkpos/
// amrestrpos/amendscan). Owned by the caller: destroying it ends the scan and releases what it
// holds. Not shared between processes.
class IndexScan {
 public:
  IndexScan() = default;
  virtual ~IndexScan() = default;
  IndexScan(const IndexScan&) = delete;
  IndexScan& operator=(const IndexScan&) = delete;

  // (Re)starts the scan with these keys (all must hold: AND), positioned before the first
  // entry in either direction. Keys are copied; by-reference arguments must outlive the scan
  // (IX7). Requires: keys.size() <= the nkeys given to BeginScan; each attno in 1..key columns.
  virtual void Rescan(std::span<const ScanKey> keys) = 0;
  // The next matching entry in `direction` (IX10: the AM's order when CanOrder, else any);
  // false at the end. Changing direction mid-scan continues from the current position
  // (returns the entries before it, nearest first) when CanBackward.
  // Requires: Rescan called; direction != kNoMovement; kBackward only when CanBackward.
  [[nodiscard]] virtual bool GetNextTid(ScanDirection direction, IndexScanEntry* out) = 0;
  // Remembers the current position / goes back to it (merge joins). Requires: CanMarkPos.
  virtual void MarkPos() = 0;
  virtual void RestorePos() = 0;
  // Hint: the entry returned last points at a row version dead to every snapshot (the heap
  // fetch found it so); the AM may mark it so later scans skip it. Default: ignored.
  virtual void KillPrior() {}
};

// ---- VACUUM -------------------------------------------------------------------------------------

// Whether the entry for `heap_tid` must go (its row version is dead). Must not throw or
// call back into the index.
using IndexBulkDeleteCallback = bool (*)(storage::ItemPointer heap_tid, void* arg);

// A callback for the heap's index_cleanup (access/heap/vacuum.h): `arg` is a
// `std::span<const storage::ItemPointer>*` sorted ascending; binary search.
[[nodiscard]] bool TidIsInSortedSpan(storage::ItemPointer heap_tid, void* arg);

// PostgreSQL's IndexVacuumInfo.
struct IndexVacuumInfo {
  const IndexRelation* index = nullptr;
  const Relation* heap = nullptr;
  bool analyze_only = false;      // ANALYZE, no VACUUM: cleanup only refreshes statistics
  bool estimated_count = false;   // num_heap_tuples is an estimate
  double num_heap_tuples = 0;     // live rows in the table (after VACUUM's heap pass)
};

// PostgreSQL's IndexBulkDeleteResult. Accumulates across BulkDelete calls of one VACUUM and
// its VacuumCleanup: the caller zero-initialises it once.
struct IndexBulkDeleteResult {
  BlockNumber num_pages{0};          // pages in the index now
  double num_index_tuples = 0;       // entries remaining
  double tuples_removed = 0;         // entries removed (all calls)
  BlockNumber pages_newly_deleted{0};
  BlockNumber pages_deleted{0};      // deleted pages, not yet reusable
  BlockNumber pages_free{0};         // reusable pages
  bool estimated_count = false;      // num_index_tuples is an estimate
};

// ---- the access method ------------------------------------------------------------------------

// What an AM can do (PostgreSQL's am* flags); the planner and DDL check them (IX11).
struct IndexAmProperties {
  bool can_order = false;        // amcanorder: returns entries in key order (ORDER BY)
  bool can_backward = false;     // amcanbackward: GetNextTid(kBackward)
  bool can_unique = false;       // amcanunique
  bool can_multi_col = false;    // amcanmulticol
  bool can_include = false;      // amcaninclude: INCLUDE columns
  bool optional_key = false;     // amoptionalkey: a scan needs no key on the first column
  bool search_nulls = false;     // amsearchnulls: IS NULL / IS NOT NULL keys
  bool can_mark_pos = false;     // ammarkpos/amrestrpos exist
  bool clusterable = false;      // amclusterable
  StrategyNumber max_strategy = 0;  // amstrategies
};

// One index access method. Implementations are stateless process-wide singletons (const
// methods; per-scan state lives in IndexScan objects), registered once per pg_am oid.
// Every method takes the relations as they were opened; the caller keeps them (and their
// descriptors) alive across the call and a scan's lifetime (IX2).
// Errors: keel::Error with PostgreSQL's SQLSTATE and text, as each implementation documents.
class IndexAm {
 public:
  IndexAm() = default;
  virtual ~IndexAm() = default;
  IndexAm(const IndexAm&) = delete;
  IndexAm& operator=(const IndexAm&) = delete;

  // pg_am.amname ("btree").
  [[nodiscard]] virtual std::string_view Name() const = 0;
  [[nodiscard]] virtual const IndexAmProperties& Properties() const = 0;
  // amcanreturn: whether an index-only scan can return column `column` (1-based) from the
  // entry itself.
  [[nodiscard]] virtual bool CanReturn(const IndexRelation& index, int column) const = 0;

  [[nodiscard]] bool CanOrder() const { return Properties().can_order; }
  [[nodiscard]] bool CanBackward() const { return Properties().can_backward; }
  [[nodiscard]] bool CanUnique() const { return Properties().can_unique; }
  [[nodiscard]] bool CanMultiCol() const { return Properties().can_multi_col; }
  [[nodiscard]] bool CanInclude() const { return Properties().can_include; }

  // ---- DDL (Requires: an active transaction; ShareLock on heap, AccessExclusiveLock on the
  // new index: IX3) ------------------------------------------------------------------------
  // CREATE INDEX: creates the index's storage and fills it from `source` (IX12).
  // Throws 23505 for a unique index with duplicate live keys, plus storage errors.
  [[nodiscard]] virtual IndexBuildResult Build(const Relation& heap, const IndexRelation& index,
                                               const IndexInfo& info,
                                               IndexBuildSource& source) const = 0;
  // Creates an empty index (the init fork of an unlogged index; TRUNCATE).
  virtual void BuildEmpty(const IndexRelation& index) const = 0;

  // ---- modification (Requires: an active transaction; RowExclusiveLock on both) -----------
  // Adds the entry (values, isnull) -> heap_tid (IX13). For kYes on a unique index, throws
  // 23505 `duplicate key value violates unique constraint "%s"` when a conflicting live entry
  // exists. Returns false only for kPartial when a conflict is possible (the caller rechecks
  // later with kExisting); true otherwise.
  // Requires: values.size() == isnull.size() == index.total_columns().
  [[nodiscard]] virtual bool Insert(const IndexRelation& index, std::span<const Datum> values,
                                    std::span<const bool> isnull, storage::ItemPointer heap_tid,
                                    const Relation& heap, UniqueCheck check) const = 0;

  // ---- scans (Requires: an active transaction; AccessShareLock on both) -------------------
  // A scan that will take at most `nkeys` keys; with `want_itup` (index-only scans) each
  // entry comes back with its values (IndexScanEntry). Keeps a pointer to `index`.
  // Requires: want_itup only when CanReturn holds for the columns the caller needs.
  [[nodiscard]] virtual std::unique_ptr<IndexScan> BeginScan(const IndexRelation& index,
                                                             int nkeys, bool want_itup) const = 0;

  // ---- VACUUM (Requires: the caller holds ShareUpdateExclusiveLock on the table) ---------
  // Removes every entry whose heap tid the callback names, adding to *stats (IX14).
  virtual void BulkDelete(const IndexVacuumInfo& info, IndexBulkDeleteResult* stats,
                          IndexBulkDeleteCallback callback, void* arg) const = 0;
  // End of VACUUM (or ANALYZE): page recycling, statistics; *stats as BulkDelete left it
  // (zero when BulkDelete was not called).
  virtual void VacuumCleanup(const IndexVacuumInfo& info, IndexBulkDeleteResult* stats) const = 0;

  // ---- planning (no transaction, no locks needed) -----------------------------------------
  [[nodiscard]] virtual IndexCostEstimate CostEstimate(const IndexRelation& index,
                                                       const IndexCostInputs& inputs) const = 0;
};

// ---- the registry (IX4) -----------------------------------------------------------------------

// Index access methods one process can know (a fixed table: no allocation, no locking).
inline constexpr int kMaxIndexAms = 16;

// Makes `am` the access method of indexes whose pg_class.relam is `am_oid`.
// Requires: `am` lives as long as the process; called at start-up before backends fork (or in
// one process before any index of that AM is opened), never concurrently with lookups.
// Throws 42710 `access method "%s" already exists` when the oid or the name is registered,
// 54000 when kMaxIndexAms are, XX000 for kInvalidOid.
void RegisterIndexAm(Oid am_oid, const IndexAm& am);

// The access method registered under `am_oid`.
// Throws XX000 "cache lookup failed for access method %u" for an unregistered oid.
[[nodiscard]] const IndexAm& GetIndexAm(Oid am_oid);
// The same, or nullptr for an unregistered oid.
[[nodiscard]] const IndexAm* FindIndexAm(Oid am_oid) noexcept;
// The oid registered under `name` (CREATE INDEX ... USING name).
// Throws 42704 `access method "%s" does not exist`.
[[nodiscard]] Oid GetIndexAmOid(std::string_view name);

// The access method of `index` (index.rel.am). Throws as GetIndexAm.
[[nodiscard]] inline const IndexAm& IndexAmOf(const IndexRelation& index) {
  return GetIndexAm(index.rel.am);
}

#ifdef KEEL_DEBUG
// Forgets every registration (tests that register their own AMs in one process).
void TestOnlyResetIndexAms();
#endif

}  // namespace keel::access
