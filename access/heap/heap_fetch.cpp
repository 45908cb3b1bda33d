// Fetching one version by tid, and the HOT-chain search index scans use. README.md
// ("Fetching", HP12).
#include "access/heap/heapam.h"
#include "access/heap/heapam_internal.h"
#include "access/heap/prune.h"
#include "access/heap/visibility.h"
#include "access/transam/transam.h"
#include "storage/smgr/smgr.h"

namespace keel::access {
namespace {

void CopyOut(storage::Page page, const storage::LinePointer* lp, storage::ItemPointer tid,
             const Relation& rel, HeapTuple* out) {
  *out = HeapTuple(storage::PageGetItem(page, lp), lp->length);
  out->self = tid;
  out->table = rel.id;
}

bool BlockExists(const Relation& rel, BlockNumber block) {
  return block != kInvalidBlockNumber && block < storage::SmgrNBlocks(rel.locator, ForkNumber::kMain);
}

}  // namespace

bool HeapFetch(const Relation& rel, const transam::Snapshot& snapshot, storage::ItemPointer tid,
               HeapTuple* out) {
  if (!BlockExists(rel, tid.block)) return false;
  storage::PinnedBuffer pin(storage::ReadBuffer(rel.locator, ForkNumber::kMain, tid.block));
  storage::BufferLockGuard lock(pin.get(), storage::BufferLockMode::kShare);
  storage::Page page = storage::BufferGetPage(pin.get());
  if (storage::PageIsNew(page) || tid.offset < storage::kFirstOffsetNumber ||
      tid.offset > storage::PageMaxOffsetNumber(page)) {
    return false;
  }
  const storage::LinePointer* lp = storage::PageGetLinePointer(page, tid.offset);
  if (lp->state != static_cast<uint32_t>(storage::LinePointerState::kNormal)) return false;
  auto* tuple = reinterpret_cast<HeapTupleHeader*>(storage::PageGetItem(page, lp));
  if (!HeapTupleSatisfiesMvcc(tuple, snapshot, pin.get())) return false;
  CopyOut(page, lp, tid, rel, out);
  return true;
}

bool HeapHotSearch(const Relation& rel, const transam::Snapshot& snapshot,
                   storage::ItemPointer root, HeapTuple* out) {
  if (!BlockExists(rel, root.block)) return false;
  storage::PinnedBuffer pin(storage::ReadBuffer(rel.locator, ForkNumber::kMain, root.block));
  HeapPagePruneOpt(rel, pin.get());  // index scans prune opportunistically, as PostgreSQL's
  storage::BufferLockGuard lock(pin.get(), storage::BufferLockMode::kShare);
  storage::Page page = storage::BufferGetPage(pin.get());
  if (storage::PageIsNew(page)) return false;
  const int max_off = storage::PageMaxOffsetNumber(page);

  storage::OffsetNumber off = root.offset;
  bool at_chain_start = true;
  TransactionId prev_xmax = kInvalidTransactionId;
  // HP12: follow the chain while each member was HOT-updated and the next one's xmin is the
  // updater (a recycled line pointer would break that link).
  for (int steps = 0; steps <= max_off; ++steps) {
    if (off < storage::kFirstOffsetNumber || off > max_off) return false;
    const storage::LinePointer* lp = storage::PageGetLinePointer(page, off);
    if (lp->state == static_cast<uint32_t>(storage::LinePointerState::kRedirect)) {
      if (!at_chain_start) return false;
      off = static_cast<storage::OffsetNumber>(lp->offset);  // HP12: redirect target
      at_chain_start = false;
      continue;
    }
    if (lp->state != static_cast<uint32_t>(storage::LinePointerState::kNormal)) return false;
    auto* tuple = reinterpret_cast<HeapTupleHeader*>(storage::PageGetItem(page, lp));
    if (at_chain_start && (tuple->infomask2 & kHeapOnlyTuple) != 0) return false;
    if (transam::TransactionIdIsValid(prev_xmax) && tuple->Xmin() != prev_xmax) return false;
    if (HeapTupleSatisfiesMvcc(tuple, snapshot, pin.get())) {
      CopyOut(page, lp, {root.block, off}, rel, out);
      return true;
    }
    if ((tuple->infomask2 & kHeapHotUpdated) == 0) return false;
    const storage::ItemPointer next = tuple->Ctid();
    if (next.block != root.block) return false;
    prev_xmax = internal::HeapTupleGetUpdateXid(tuple);  // HP18: a multi's updater
    // No updater (its update aborted, XMAX_INVALID): the chain ends here, as in PostgreSQL,
    // rather than following ctid into whatever now occupies that slot.
    if (!transam::TransactionIdIsValid(prev_xmax)) return false;
    off = next.offset;
    at_chain_start = false;
  }
  return false;
}

HotDirtyResult HeapHotSearchDirty(const Relation& rel, storage::ItemPointer root,
                                  TransactionId* xwait, storage::ItemPointer* found) {
  *xwait = kInvalidTransactionId;
  if (!BlockExists(rel, root.block)) return HotDirtyResult::kNone;
  storage::PinnedBuffer pin(storage::ReadBuffer(rel.locator, ForkNumber::kMain, root.block));
  storage::BufferLockGuard lock(pin.get(), storage::BufferLockMode::kShare);
  storage::Page page = storage::BufferGetPage(pin.get());
  if (storage::PageIsNew(page)) return HotDirtyResult::kNone;
  const int max_off = storage::PageMaxOffsetNumber(page);

  storage::OffsetNumber off = root.offset;
  bool at_chain_start = true;
  TransactionId prev_xmax = kInvalidTransactionId;
  // HP12, as HeapHotSearch: follow the chain while each member was HOT-updated and the next
  // one's xmin is the updater.
  for (int steps = 0; steps <= max_off; ++steps) {
    if (off < storage::kFirstOffsetNumber || off > max_off) return HotDirtyResult::kNone;
    const storage::LinePointer* lp = storage::PageGetLinePointer(page, off);
    if (lp->state == static_cast<uint32_t>(storage::LinePointerState::kRedirect)) {
      if (!at_chain_start) return HotDirtyResult::kNone;
      off = static_cast<storage::OffsetNumber>(lp->offset);
      at_chain_start = false;
      continue;
    }
    if (lp->state != static_cast<uint32_t>(storage::LinePointerState::kNormal)) {
      return HotDirtyResult::kNone;
    }
    auto* tuple = reinterpret_cast<HeapTupleHeader*>(storage::PageGetItem(page, lp));
    if (at_chain_start && (tuple->infomask2 & kHeapOnlyTuple) != 0) return HotDirtyResult::kNone;
    if (transam::TransactionIdIsValid(prev_xmax) && tuple->Xmin() != prev_xmax) {
      return HotDirtyResult::kNone;
    }
    TransactionId xmin = kInvalidTransactionId;
    TransactionId xmax = kInvalidTransactionId;
    if (HeapTupleSatisfiesDirty(tuple, pin.get(), &xmin, &xmax)) {
      if (found != nullptr) *found = {root.block, off};
      // A running inserter first: until it commits the version may never exist.
      *xwait = transam::TransactionIdIsValid(xmin) ? xmin : xmax;
      return transam::TransactionIdIsValid(*xwait) ? HotDirtyResult::kInProgress
                                                   : HotDirtyResult::kLive;
    }
    if ((tuple->infomask2 & kHeapHotUpdated) == 0) return HotDirtyResult::kNone;
    const storage::ItemPointer next = tuple->Ctid();
    if (next.block != root.block) return HotDirtyResult::kNone;
    prev_xmax = internal::HeapTupleGetUpdateXid(tuple);  // HP18: a multi's updater
    if (!transam::TransactionIdIsValid(prev_xmax)) return HotDirtyResult::kNone;
    off = next.offset;
    at_chain_start = false;
  }
  return HotDirtyResult::kNone;
}

}  // namespace keel::access
