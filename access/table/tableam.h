// The table access method interface (PostgreSQL's TableAmRoutine): what the executor, VACUUM,
// index scans and the planner call to store and read a table's rows, whatever the storage.
// The heap implements it (access/heap/heapam_handler.cpp); other storage registers its own.
// Promises, ownership, locking and invariants TA1-TA11: access/table/README.md.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string_view>
#include <vector>

#include "access/common/relation.h"
// The common tuple format (HeapTuple owned copies, HeapTupleView borrowed views: TA4) and the
// AM-neutral outcome types TmResult, TmFailureData, RowLockMode, LockWaitPolicy (TA7). Both
// live in the heap's headers because the heap came first; README.md ("Shared types").
#include "access/heap/heap_tuple.h"
#include "access/heap/heapam.h"
#include "storage/common/ids.h"
#include "storage/page/item_pointer.h"

namespace keel::transam {
struct Snapshot;
}

namespace keel::access {

struct TupleDesc;    // access/common/tuple_desc.h
struct VacuumParams;  // access/heap/vacuum.h: include it to call Vacuum (it carries a
struct VacuumStats;   // std::function, kept out of this header)

// What an update asks of the table's indexes (PostgreSQL's TU_UpdateIndexes, without the
// summarizing-only case).
enum class UpdateIndexes : uint8_t {
  kNone,  // the new version is reachable through the old version's index entries (HOT): TA8
  kAll,   // the new version needs an entry in every index, at its tid
};

// What the catalog remembers about a table from its last VACUUM / ANALYZE (pg_class relpages,
// reltuples, relallvisible). reltuples < 0: never counted (PostgreSQL's -1).
struct TableSizeHint {
  BlockNumber relpages{0};
  double reltuples = -1;
  BlockNumber relallvisible{0};
};

// The planner's picture of a table now (PostgreSQL's estimate_rel_size results).
struct TableSizeEstimate {
  BlockNumber blocks{0};              // pages to cost a full scan with
  double tuples = 0;                  // rows expected
  double all_visible_fraction = 0;    // share of pages an index-only scan can skip the table for
};

// A sequential scan in progress. Owned by the caller (std::unique_ptr): destroying it ends the
// scan and releases whatever it holds (pins, ring buffers). Not shared between processes.
class TableScan {
 public:
  TableScan() = default;
  virtual ~TableScan() = default;
  TableScan(const TableScan&) = delete;
  TableScan& operator=(const TableScan&) = delete;

  // The next row version the scan's snapshot sees; false at the end (and on every call after).
  // *out is a view valid until the next Next() or Rescan() or the scan's destruction (TA3).
  [[nodiscard]] virtual bool Next(HeapTupleView* out) = 0;
  // Starts again from the beginning with the same snapshot; the table's size is looked at again.
  virtual void Rescan() = 0;
};

// Index scans' access to the table: turns a tid an index entry holds into the version a
// snapshot sees. Owned by the caller; destroying it ends the fetch state (TA6).
class IndexFetch {
 public:
  IndexFetch() = default;
  virtual ~IndexFetch() = default;
  IndexFetch(const IndexFetch&) = delete;
  IndexFetch& operator=(const IndexFetch&) = delete;

  // The version reachable from index entry `tid` that `snapshot` sees, copied into *out
  // (out->self is that version's own tid, which may differ from `tid`). False when none is.
  // Requires: an active transaction; AccessShareLock on the relation (TA2).
  [[nodiscard]] virtual bool Fetch(const transam::Snapshot& snapshot, storage::ItemPointer tid,
                                   HeapTuple* out) = 0;
};

// One table access method. Implementations are stateless process-wide singletons (const
// methods; per-scan state lives in TableScan / IndexFetch objects), registered once per oid.
// Every method takes the relation as it was opened; the caller keeps `rel` (and rel.desc,
// rel.toast) alive across the call, and across a scan's or fetch's lifetime.
// Errors: each method throws what its implementation documents (the heap's: heapam.h,
// vacuum.h, heap_toast.h), always keel::Error with PostgreSQL's SQLSTATE and text.
class TableAm {
 public:
  TableAm() = default;
  virtual ~TableAm() = default;
  TableAm(const TableAm&) = delete;
  TableAm& operator=(const TableAm&) = delete;

  // pg_am.amname ("heap"): for messages and USING clauses.
  [[nodiscard]] virtual std::string_view Name() const = 0;

  // ---- storage -------------------------------------------------------------------------------
  // Creates the relation's storage (empty). Requires: an active transaction, which created the
  // relation (so it holds AccessExclusiveLock).
  virtual void CreateStorage(const Relation& rel) const = 0;
  // Whether a table of this layout should get a TOAST relation when it is created.
  [[nodiscard]] virtual bool NeedsToastTable(const TupleDesc& desc) const = 0;

  // ---- modification (Requires: an active transaction; RowExclusiveLock on rel: TA2) --------
  // Stores `tuple` (formed by access/common/heap_form.h: the AM fills in the header, TA5) and
  // returns its tid, also set in tuple.self.
  virtual storage::ItemPointer Insert(const Relation& rel, HeapTuple& tuple,
                                      CommandId cid) const = 0;
  // Stores every tuple of `tuples` in order, each one's tid in its `self` (COPY, INSERT ...
  // SELECT). An error part-way leaves the earlier ones stored: the transaction's abort hides
  // them.
  virtual void MultiInsert(const Relation& rel, std::span<HeapTuple> tuples,
                           CommandId cid) const = 0;
  // Deletes the version at `tid` (TA7 for the outcomes; `wait`: wait for a concurrent modifier,
  // else kBeingModified; `crosscheck`: REPEATABLE READ's snapshot, a change it does not see is
  // reported as kUpdated).
  [[nodiscard]] virtual TmResult Delete(const Relation& rel, storage::ItemPointer tid,
                                        CommandId cid, const transam::Snapshot* crosscheck,
                                        bool wait, TmFailureData* tmfd) const = 0;
  // Replaces the version at `otid` with `newtup` (newtup.self set on kOk).
  // `indexed_columns_changed`: some column an index covers differs (the executor knows which
  // columns are indexed); when false the AM may keep the old index entries valid. On kOk
  // *update_indexes says whether the caller must insert index entries for newtup.self (TA8);
  // on any other outcome it is kNone.
  [[nodiscard]] virtual TmResult Update(const Relation& rel, storage::ItemPointer otid,
                                        HeapTuple& newtup, CommandId cid,
                                        const transam::Snapshot* crosscheck, bool wait,
                                        bool indexed_columns_changed, TmFailureData* tmfd,
                                        UpdateIndexes* update_indexes) const = 0;
  // SELECT ... FOR UPDATE / NO KEY UPDATE / SHARE / KEY SHARE of the version at `tid`. On kOk
  // *locked holds a copy of the locked version. kError policy throws 55P03; kSkip returns
  // kWouldBlock.
  [[nodiscard]] virtual TmResult LockTuple(const Relation& rel, storage::ItemPointer tid,
                                           CommandId cid, RowLockMode mode,
                                           LockWaitPolicy policy, HeapTuple* locked,
                                           TmFailureData* tmfd) const = 0;

  // ---- reading (Requires: an active transaction; AccessShareLock on rel: TA2) --------------
  // The version at exactly `tid` when `snapshot` sees it, copied into *out. False when the tid
  // does not exist or the version is invisible.
  [[nodiscard]] virtual bool FetchRowVersion(const Relation& rel,
                                             const transam::Snapshot& snapshot,
                                             storage::ItemPointer tid, HeapTuple* out) const = 0;
  // A sequential scan of every version `snapshot` sees, in the AM's physical order. The scan
  // copies the snapshot (TA10) and keeps a pointer to `rel`.
  [[nodiscard]] virtual std::unique_ptr<TableScan> BeginScan(
      const Relation& rel, const transam::Snapshot& snapshot) const = 0;
  // State for fetching many index entries' rows (one index scan). Keeps a pointer to `rel`.
  [[nodiscard]] virtual std::unique_ptr<IndexFetch> BeginIndexFetch(const Relation& rel) const = 0;
  // The full value behind a varlena column value of one of this table's rows (`value` points
  // into a tuple that `snapshot` saw: TA9), as a plain 4-byte-header varlena.
  [[nodiscard]] virtual std::vector<std::byte> Detoast(
      const Relation& rel, const std::byte* value, const transam::Snapshot& snapshot) const = 0;

  // Index-only scans (access/index/index_only_scan.h): whether every row version on `block`
  // is visible to every snapshot now and later (the heap's visibility-map bit, PostgreSQL's
  // VM_ALL_VISIBLE), so the index entry's values may be returned without fetching the row.
  // May be stale towards false only: a change that makes the answer false afterwards comes
  // from a transaction no snapshot taken before it sees (TA12). No lock needed beyond TA2's;
  // takes no content lock. The default (an AM without such a map) always says false, so
  // every entry is fetched.
  [[nodiscard]] virtual bool PageIsAllVisible(const Relation& rel, BlockNumber block) const {
    (void)rel;
    (void)block;
    return false;
  }

  // ---- size and maintenance ----------------------------------------------------------------
  // Blocks the table occupies now (no transaction needed).
  [[nodiscard]] virtual BlockNumber RelationBlocks(const Relation& rel) const = 0;
  // The planner's size estimate from the current size and the catalog's figures (no
  // transaction needed).
  [[nodiscard]] virtual TableSizeEstimate EstimateSize(const Relation& rel,
                                                       const TableSizeHint& hint) const = 0;
  // VACUUM: reclaims space of versions no one can see any more; index entries pointing at them
  // go through params.index_cleanup first. Requires: an active transaction, not inside a
  // transaction block (the SQL layer checks); the AM takes its own relation lock (TA2).
  virtual VacuumStats Vacuum(const Relation& rel, const VacuumParams& params) const = 0;
};

// ---- the registry (TA11) ------------------------------------------------------------------

// Table access methods one process can know (a fixed table: no allocation, no locking).
inline constexpr int kMaxTableAms = 16;

// Makes `am` the access method of relations whose pg_class.relam is `am_oid`.
// Requires: `am` lives as long as the process (a static object); called at start-up before
// backends fork (or, in one process, before any relation of that AM is opened) and never
// concurrently with lookups.
// Throws 42710 `access method "%s" already exists` when the oid or the name is registered,
// 54000 when kMaxTableAms are, XX000 for kInvalidOid.
void RegisterTableAm(Oid am_oid, const TableAm& am);

// The access method registered under `am_oid`. The heap (kHeapTableAmOid) always is.
// Throws XX000 "cache lookup failed for access method %u" for an unregistered oid.
[[nodiscard]] const TableAm& GetTableAm(Oid am_oid);
// The same, or nullptr for an unregistered oid.
[[nodiscard]] const TableAm* FindTableAm(Oid am_oid) noexcept;
// The oid registered under `name` (CREATE TABLE ... USING name).
// Throws 42704 `access method "%s" does not exist`.
[[nodiscard]] Oid GetTableAmOid(std::string_view name);

// The access method of `rel` (rel.am). Throws as GetTableAm.
[[nodiscard]] inline const TableAm& TableAmOf(const Relation& rel) { return GetTableAm(rel.am); }

// The heap's implementation (access/heap/heapam_handler.cpp), registered under
// kHeapTableAmOid as "heap". Other AMs may delegate to it (TA1).
[[nodiscard]] const TableAm& GetHeapTableAm();

}  // namespace keel::access
