// Tuple visibility: PostgreSQL's rules for MVCC snapshots, "self", "any", "dirty", for
// updaters and for VACUUM, over 64-bit xids; hint bits set as a side effect (WAL-safe).
// Rules and their justification: access/heap/README.md ("Visibility").
#pragma once

#include <cstdint>

#include "access/heap/heap_tuple.h"
#include "access/heap/heapam.h"
#include "access/transam/snapshot.h"
#include "storage/buffer/bufmgr.h"

namespace keel::access {

// Each takes the tuple in a page the caller holds pinned and at least share-locked, and the
// buffer (for hint bits; kInvalidBuffer = a private copy: no hints set).
[[nodiscard]] bool HeapTupleSatisfiesMvcc(HeapTupleHeader* tuple, const transam::Snapshot& snapshot,
                                          storage::Buffer buffer);
// Committed, or this transaction's and not deleted by it ("self": no snapshot).
[[nodiscard]] bool HeapTupleSatisfiesSelf(HeapTupleHeader* tuple, storage::Buffer buffer);
// Every version that was ever inserted (not aborted) — for tools and toast.
[[nodiscard]] bool HeapTupleSatisfiesAny(HeapTupleHeader* tuple, storage::Buffer buffer);
// Like self, but also counts in-progress inserts/deletes; reports them in *xmin / *xmax
// (invalid when none) so a uniqueness check can wait for them.
[[nodiscard]] bool HeapTupleSatisfiesDirty(HeapTupleHeader* tuple, storage::Buffer buffer,
                                           TransactionId* xmin, TransactionId* xmax);
// May the current command update/delete/lock this version? kOk, kInvisible, kSelfModified,
// kUpdated / kDeleted (committed change), kBeingModified (a running change or lock).
[[nodiscard]] TmResult HeapTupleSatisfiesUpdate(HeapTupleHeader* tuple, CommandId cid,
                                                storage::Buffer buffer);

enum class HtsvResult : uint8_t {
  kDead,              // no snapshot can see it: removable
  kLive,              // visible to everyone from now on
  kRecentlyDead,      // deleted by a committed xid someone might still not see
  kInsertInProgress,  // inserter still running
  kDeleteInProgress,  // deleter still running
};
// VACUUM's and pruning's view, against `oldest_xmin` (transam::GetOldestXmin()).
[[nodiscard]] HtsvResult HeapTupleSatisfiesVacuum(HeapTupleHeader* tuple, TransactionId oldest_xmin,
                                                  storage::Buffer buffer);

// Combo command ids (this transaction inserted and then deleted the tuple): cmin / cmax.
[[nodiscard]] CommandId HeapTupleGetCmin(const HeapTupleHeader* tuple);
[[nodiscard]] CommandId HeapTupleGetCmax(const HeapTupleHeader* tuple);
// Called at transaction end: forgets the combo-cid table.
void AtEndOfTransactionComboCids();

// Sets hint bits on a shared page: dirties it with MarkBufferDirtyHint, first WAL-logging a
// full-page image when data checksums are on and the page's LSN is older than the redo pointer
// (a torn write of a hint-only change must be repairable). Requires: pinned, share-locked.
void HeapSetHintBits(HeapTupleHeader* tuple, storage::Buffer buffer, uint16_t bits);

}  // namespace keel::access
