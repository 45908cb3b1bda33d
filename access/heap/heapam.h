// The heap table access method: insert, delete, update (HOT when no indexed column changed),
// row locks, fetch by tid, HOT-chain search for index scans, and sequential scans with
// page-at-a-time visibility and read-ahead. Every page change is WAL-logged (heap_wal.h).
// Algorithms, invariants HP1-HP23, locking: access/heap/README.md.
//
// Callers hold a heavyweight lock on the relation for the whole transaction, as the executor
// takes it: at least RowExclusiveLock to insert, update, delete or lock rows, AccessShareLock to
// scan or fetch. VACUUM truncates empty tail pages under AccessExclusiveLock and relies on it.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "access/common/relation.h"
#include "access/heap/heap_tuple.h"
#include "access/transam/snapshot.h"
#include "storage/common/ids.h"
#include "storage/page/item_pointer.h"

namespace keel::access {

// Outcome of a delete / update / lock attempt (PostgreSQL's TM_Result).
enum class TmResult : uint8_t {
  kOk,             // done
  kInvisible,      // the target was never visible to us (a bug in the caller, or a race)
  kSelfModified,   // already changed by a later command of this transaction
  kUpdated,        // changed by a committed concurrent transaction: tmfd.ctid is the successor
  kDeleted,        // deleted by a committed concurrent transaction
  kBeingModified,  // a concurrent transaction holds it and `wait` was false
  kWouldBlock,     // lock not available under kSkip
};

// Details of a failure (kUpdated / kDeleted / kSelfModified / kBeingModified).
struct TmFailureData {
  storage::ItemPointer ctid;  // the successor version (== tid when deleted)
  TransactionId xmax;         // who changed it
  CommandId cmax;             // for kSelfModified: which command
};

enum class RowLockMode : uint8_t { kKeyShare, kShare, kNoKeyExclusive, kExclusive };
enum class LockWaitPolicy : uint8_t { kBlock, kSkip, kError };

// Creates the relation's main fork (WAL-logged). Requires: a transaction is active.
void HeapCreateStorage(const Relation& rel);

// Inserts `tuple` (header space formed by the caller, e.g. access/common/heap_form.h; the heap
// sets xmin, cid, infomask visibility bits, ctid). Values too large are TOASTed first when
// rel.toast is set. Finds room through the free space map, else extends. Sets tuple.self.
// Requires: an active transaction (assigns its xid). Throws 54000 "row is too big: size %zu,
// maximum size %zu" when it cannot fit even after TOAST.
storage::ItemPointer HeapInsert(const Relation& rel, HeapTuple& tuple, CommandId cid);

// Deletes the version at `tid` if it is visible and not concurrently changed. With `wait`, a
// running modifier is waited for (XactLockTableWait) and the check repeated. `crosscheck`
// (REPEATABLE READ) turns a change invisible to that snapshot into kUpdated.
[[nodiscard]] TmResult HeapDelete(const Relation& rel, storage::ItemPointer tid, CommandId cid,
                                  const transam::Snapshot* crosscheck, bool wait,
                                  TmFailureData* tmfd);

// Replaces the version at `otid` with `newtup` (new version, old one's xmax and ctid chain).
// HOT (same page, heap-only version, no new index entries) when `hot_allowed` (no indexed
// column changed) and it fits on the page; `*used_hot` says which happened. Sets newtup.self.
[[nodiscard]] TmResult HeapUpdate(const Relation& rel, storage::ItemPointer otid,
                                  HeapTuple& newtup, CommandId cid,
                                  const transam::Snapshot* crosscheck, bool wait,
                                  TmFailureData* tmfd, bool hot_allowed, bool* used_hot);

// SELECT ... FOR UPDATE / NO KEY UPDATE / SHARE / KEY SHARE of the version at `tid` through
// its xmax (lock-only bits). kError: 55P03 `could not obtain lock on row in relation "%s"`.
// On kOk `*locked` holds a copy of the locked version.
[[nodiscard]] TmResult HeapLockTuple(const Relation& rel, storage::ItemPointer tid,
                                     CommandId cid, RowLockMode mode, LockWaitPolicy policy,
                                     HeapTuple* locked, TmFailureData* tmfd);

// The version at `tid` when `snapshot` sees it (copied into *out).
[[nodiscard]] bool HeapFetch(const Relation& rel, const transam::Snapshot& snapshot,
                             storage::ItemPointer tid, HeapTuple* out);

// Index scans (issue 5): from the root of a HOT chain, the member visible to `snapshot`
// (copied into *out, out->self is its tid). False when none is.
[[nodiscard]] bool HeapHotSearch(const Relation& rel, const transam::Snapshot& snapshot,
                                 storage::ItemPointer root, HeapTuple* out);

// What a dirty-snapshot HOT-chain search found (HeapHotSearchDirty).
enum class HotDirtyResult : uint8_t {
  kNone,        // no member is live: all dead, aborted or deleted by a committed xact (or no such tid)
  kLive,        // a member inserted by a committed transaction (or ours) and not deleted
  kInProgress,  // a member a running transaction inserted or is deleting: *xwait names it
};
// Unique checks (PostgreSQL's heap_hot_search_buffer with SnapshotDirty, for nbtree's BT9):
// from the root of a HOT chain, the first member HeapTupleSatisfiesDirty accepts. For
// kInProgress *xwait is the running inserter (first) or deleter; `found` (optional) receives
// the member's tid for kLive / kInProgress. Share-locks the heap page briefly; takes no other
// lock, does no pruning, so callers may hold index page locks (index before heap).
// Requires: an active transaction. A tid beyond the relation or not a chain root gives kNone.
[[nodiscard]] HotDirtyResult HeapHotSearchDirty(const Relation& rel, storage::ItemPointer root,
                                                TransactionId* xwait,
                                                storage::ItemPointer* found = nullptr);

// Number of blocks of the main fork.
[[nodiscard]] BlockNumber HeapRelationBlocks(const Relation& rel);

// A sequential scan: visits pages in order, decides visibility for a whole page under one
// share lock, then hands out views of the visible tuples while the page stays pinned. Large
// tables use a bulk-read ring (does not flush the cache) and read ahead.
class HeapScan {
 public:
  HeapScan(const Relation& rel, const transam::Snapshot& snapshot);
  ~HeapScan();
  HeapScan(const HeapScan&) = delete;
  HeapScan& operator=(const HeapScan&) = delete;

  // The next visible tuple; false at the end. The view is valid until the next call.
  [[nodiscard]] bool Next(HeapTupleView* out);
  void Rescan();

 private:
  struct State;
  std::unique_ptr<State> state_;
};

// Registers the kHeap and kHeap2 resource managers (redo, describe, identify).
void RegisterHeapRmgrs();

}  // namespace keel::access
