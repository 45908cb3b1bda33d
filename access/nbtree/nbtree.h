// The B+tree index access method: a Lehman–Yao B-link tree of 8 KiB pages with high keys and
// right links, heap tids as an implicit last key column, unique checks against the heap,
// forward/backward scans with mark/restore, bulk delete for VACUUM and a verifier. Every page
// change is WAL-logged (RmgrId::kBtree). Layout, algorithms, invariants BT1-BT12 and the lock
// order: access/nbtree/README.md.
//
// Callers hold a heavyweight lock on the index (and its heap) as the executor takes it:
// RowExclusiveLock to insert, AccessShareLock to scan, ShareUpdateExclusiveLock for VACUUM.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "access/common/datum.h"
#include "access/common/index_tuple.h"
#include "access/common/relation.h"
#include "storage/page/item_pointer.h"

namespace keel::access {
class IndexBuildSource;  // access/index/indexam.h
}

namespace keel::access::nbtree {

// An open B+tree index. `rel.locator` names its files, `rel.name` appears in messages.
// Owners: the caller keeps `keys` (and its tupdesc) alive while the index is used.
struct BtIndex {
  Relation rel;
  const IndexKeyDesc* keys = nullptr;
  bool unique = false;
  // PostgreSQL's deduplicate_items: equal keys share one posting-list tuple (README
  // "Deduplication"). Applies only to non-unique indexes without INCLUDE columns whose key
  // columns are all equal_image; false keeps one entry per heap tid.
  bool deduplicate = true;
};

// Creates the index's `fork` (main, or the init fork of an unlogged index: the AM's
// BuildEmpty) with a meta page (block 0) and an empty root leaf (block 1), WAL-logged. A fork
// that already exists (storage created by the caller) is used when it is empty; one holding
// blocks is refused with XX000 `index "%s" already contains data` before anything is written.
// Requires: an active transaction (for the storage-create record).
void BtCreateIndex(const BtIndex& index, ForkNumber fork = ForkNumber::kMain);

// Inserts the entry (values, heap_tid). values/isnull cover every column of keys->tupdesc (key
// then INCLUDE columns); by-reference values must be inline and uncompressed.
// With index.unique (and no null key column) first checks `heap` for live rows with an equal
// key (BT9): waits for in-progress inserters/deleters and re-checks; throws 23505
// `duplicate key value violates unique constraint "%s"` with detail `Key (%s)=(%s) already
// exists.` Throws 54000 `index row size %zu exceeds btree version %u maximum %zu for index
// "%s"` for too large entries. Requires: an active transaction when unique.
void BtInsert(const BtIndex& index, const Relation* heap, std::span<const Datum> values,
              std::span<const bool> isnull, storage::ItemPointer heap_tid);

// --- bulk build (CREATE INDEX) --------------------------------------------------------------
struct BtBuildOptions {
  int fillfactor = 90;             // leaf pages are filled to this percent (10..100)
  size_t sort_memory_bytes = 0;    // the sort's budget; 0: maintenance_work_mem
  const char* heap_name = nullptr; // the table's name, for the 54000 detail (may be null)
};
struct BtBuildStats {
  uint64_t heap_tuples = 0;        // rows the source offered
  uint64_t index_tuples = 0;       // entries made
  uint32_t levels = 0;             // levels of the built tree (1: the root is a leaf)
  uint64_t leaf_pages = 0;
  uint64_t pages = 0;              // blocks of the fork, meta page included
  bool sort_spilled = false;       // the sort went past its budget and used temporary files
  uint64_t sort_runs = 0;          // sorted runs written (0 when it stayed in memory)
  // Wall-clock seconds of the phases: reading + sorting (up to the merge), merging + loading +
  // writing pages, flushing WAL + syncing the fork.
  double sort_seconds = 0;
  double load_seconds = 0;
  double sync_seconds = 0;
};
// CREATE INDEX: creates the index's storage (as BtCreateIndex) and fills it with one entry per
// row of `source` (README "Bulk build", BT13-BT15): sorts them (spilling past the budget),
// loads the tree bottom-up with `fillfactor`% full leaves (internal pages 70%), writing pages
// directly to the fork with page-image WAL records, and syncs the fork before returning.
// With index.unique, two rows offered alive with equal keys and no NULL key column fail with
// 23505 `could not create unique index "%s"`, detail `Key (%s)=(%s) is duplicated.`.
// Throws 54000 for a too large entry (as BtInsert), 22023 for a fill factor outside 10..100, and the sort's temporary-file errors.
// Requires: an active transaction; nobody else uses the index (AccessExclusiveLock); the
// index's storage does not exist yet.
[[nodiscard]] BtBuildStats BtBuild(const BtIndex& index, IndexBuildSource& source,
                                   const BtBuildOptions& options = {});
#ifdef KEEL_DEBUG
// Test-only: called by BtBuild after each batch of pages is WAL-logged and written, with the
// number of pages written so far (crash tests stop a build there). nullptr removes it.
void TestOnlySetBuildHook(void (*hook)(uint64_t pages_written));
#endif

// --- scans ----------------------------------------------------------------------------------
enum class BtStrategy : uint8_t { kLess = 1, kLessEqual = 2, kEqual = 3, kGreaterEqual = 4, kGreater = 5 };
enum class ScanDirection : int8_t { kBackward = -1, kForward = 1 };

// A NULL test instead of an operator: `column IS NULL` / `column IS NOT NULL`.
enum class BtNullTest : uint8_t { kNone, kIsNull, kIsNotNull };

// `column op argument` on key column `attno` (0-based, < keys->nkeyatts()). Strict: a NULL
// index value never satisfies a key. The argument Datum is owned by the caller. With
// `null_test` set, the key is that NULL test and strategy/argument are ignored; IS NULL acts
// as an equality (it positions the scan and makes later columns' keys required) and IS NOT
// NULL as a bound on the side the column's NULLs sort (README "Index-AM interface").
struct BtScanKey {
  int attno = 0;
  BtStrategy strategy = BtStrategy::kEqual;
  Datum argument = 0;
  BtNullTest null_test = BtNullTest::kNone;
};

struct BtScanOptions {
  // Keep a pin (no lock) on the leaf whose entries are being returned, until the scan moves
  // to another leaf, reaches its end, is rescanned or destroyed (BT27): index-only scans and
  // non-MVCC snapshots need it, since BtBulkDelete cannot then remove those entries (BT28).
  bool keep_leaf_pin = false;
};

// An index scan: entries whose key columns satisfy every scan key, in index order (or its
// reverse), as heap tids. Pages are read one at a time under a share content lock; matching
// entries are copied out, so no lock (and, without keep_leaf_pin, no pin) is held between
// calls (BT10: safe for MVCC snapshots, see README; BT27 for the pin). Keeps a reference to
// `index`: the caller keeps it alive. Process-local object.
class BtScan {
 public:
  BtScan(const BtIndex& index, std::vector<BtScanKey> keys, ScanDirection dir = ScanDirection::kForward,
         BtScanOptions options = {});
  ~BtScan();
  BtScan(const BtScan&) = delete;
  BtScan& operator=(const BtScan&) = delete;

  // The next entry's heap tid; false at the end. `tuple` (optional) receives a copy of the index
  // tuple (for index-only scans).
  [[nodiscard]] bool Next(storage::ItemPointer* heap_tid, IndexTuple* tuple = nullptr);
  // The next entry in `dir`, which may differ from the previous call's: a change of direction
  // continues from the current position (the entries before it, nearest first; after the end
  // in one direction, the last entry again: IX10). The first call after construction / Rescan
  // starts in `dir`. `*tuple` (optional) points at the scan's copy of the index tuple, valid
  // until the next call, Rescan, Restore or destruction. False at the end in `dir`.
  [[nodiscard]] bool Next(ScanDirection dir, storage::ItemPointer* heap_tid,
                          const IndexTupleHeader** tuple);
  // Starts again, optionally with new keys / direction.
  void Rescan(std::vector<BtScanKey> keys, ScanDirection dir);
  // Remembers the current position (the entry last returned) / goes back to it: the next
  // Next() after Restore returns the entry after the marked one.
  void Mark();
  void Restore();

 private:
  struct State;
  std::unique_ptr<State> state_;
};

// --- VACUUM ---------------------------------------------------------------------------------
struct BtBulkDeleteStats {
  uint64_t pages = 0;            // leaf pages visited
  uint64_t tuples_removed = 0;   // heap tids removed (each tid of a posting list counts)
  uint64_t tuples_remaining = 0; // heap tids left
  uint64_t pages_deleted = 0;    // pages this call marked DELETED (leaves and internal pages)
  uint64_t pages_free = 0;       // DELETED pages found recyclable and put in the free space map
};
// Removes every heap tid that `dead(tid)` says is dead: plain entries are deleted, posting lists
// shrink (or go when all their tids die) (WAL-logged per page). Walks the leaf level left to
// right by right links, one cleanup lock at a time (exclusive and no other pin: waits for scans
// keeping their leaf pin, BT28). `dead` must not take content locks or throw. Then deletes the
// pages left empty and records recyclable ones in the free space map (README "Page deletion and
// recycling"). Requires: the only VACUUM of the index (ShareUpdateExclusiveLock).
[[nodiscard]] BtBulkDeleteStats BtBulkDelete(const BtIndex& index,
                                             const std::function<bool(storage::ItemPointer)>& dead);
// VACUUM's cleanup pass: deletes empty pages, finishes half-dead ones (a crash between the two
// stages), records recyclable pages in the free space map; counts pages and entries.
[[nodiscard]] BtBulkDeleteStats BtVacuumCleanup(const BtIndex& index);

// --- verification ---------------------------------------------------------------------------
struct BtVerifyOptions {
  // When set, every row of `heap` visible to a fresh snapshot and not heap-only must have an
  // entry (key, tid): `extract(header, size, values, isnull)` computes its index columns.
  const Relation* heap = nullptr;
  std::function<void(const void* heap_tuple_header, uint32_t size, std::span<Datum> values,
                     std::span<bool> isnull)>
      extract;
};
struct BtVerifyStats {
  int levels = 0;
  uint64_t pages = 0;
  uint64_t leaf_entries = 0;       // heap tids (each tid of a posting list counts)
  uint64_t posting_tuples = 0;     // posting-list tuples among the leaf items
  uint64_t incomplete_splits = 0;  // pages still flagged INCOMPLETE_SPLIT (allowed, BT7)
  uint64_t deleted_pages = 0;      // DELETED pages in the file (not in any level's chain)
  uint64_t half_dead_pages = 0;    // HALF_DEAD leaves (a deletion whose stage 2 is pending)
};
// amcheck-like: checks BT1-BT8 (key order within pages and across right links, high keys
// bound their pages, children lie within their parent's separator range, levels, sibling
// links, meta page). Returns one line per problem; empty = OK. Requires: no concurrent writers
// (results are not meaningful otherwise). Needs an active transaction for the heap check.
[[nodiscard]] std::vector<std::string> BtVerify(const BtIndex& index,
                                                const BtVerifyOptions& options = {},
                                                BtVerifyStats* stats = nullptr);

// Registers the kBtree resource manager (redo, describe, identify).
void RegisterBtreeRmgr();

#ifdef KEEL_DEBUG
// Test-only: called after a page split's WAL record is inserted and before the downlink is
// inserted into the parent (left and right pages still locked). nullptr removes it.
void TestOnlySetSplitHook(void (*hook)(uint32_t level));
// Test-only: called after a page deletion record is inserted (stage 1: the leaf is half-dead;
// stage 2: a page was unlinked), with no page locked. nullptr removes it.
void TestOnlySetPageDelHook(void (*hook)(int stage));
#endif

}  // namespace keel::access::nbtree
