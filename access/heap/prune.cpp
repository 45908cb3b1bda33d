// Page pruning: decides which tuple versions and HOT-chain members on one heap page no
// snapshot can see any more, removes them (redirecting chain roots), compacts the page and
// WAL-logs it as one kHeap2 prune record. README.md ("Pruning", P1-P8).
#include "access/heap/prune.h"

#include <algorithm>
#include <atomic>
#include <cstring>
#include <memory>
#include <vector>

#include "access/heap/heap_tuple.h"
#include "access/heap/heap_wal.h"
#include "access/heap/heapam_internal.h"
#include "access/heap/prune_internal.h"
#include "access/heap/visibility.h"
#include "access/transam/transam.h"
#include "access/transam/wal_record.h"
#include "backend/utils/error/error.h"

namespace keel::access {
namespace {

using storage::Buffer;
using storage::LinePointer;
using storage::LinePointerState;
using storage::OffsetNumber;
using storage::Page;

constexpr int kMaxLinePointers = static_cast<int>(kBlockSize / sizeof(LinePointer));

LinePointerState StateOf(const LinePointer* lp) { return static_cast<LinePointerState>(lp->state); }
HeapTupleHeader* TupleAt(Page page, LinePointer* lp) {
  return reinterpret_cast<HeapTupleHeader*>(storage::PageGetItem(page, lp));
}
bool IsHeapOnly(const HeapTupleHeader* t) { return (t->infomask2 & kHeapOnlyTuple) != 0; }
bool IsHotUpdated(const HeapTupleHeader* t) {
  // A HOT update whose updater aborted leaves the flag; the xmax then says "invalid". A version
  // whose inserter aborted is never HOT-updated either (PostgreSQL's HeapTupleHeaderIsHotUpdated):
  // PruneState::HotUpdated also covers an aborted xmin whose hint was not set (HP8, HP17).
  return (t->infomask2 & kHeapHotUpdated) != 0 && (t->infomask & kHeapXmaxInvalid) == 0 &&
         (t->infomask & kHeapXminInvalid) == 0 && (t->infomask & kHeapXmaxLockOnly) == 0;
}

// Whether a version that HeapTupleSatisfiesVacuum called kDead was inserted by an aborted
// transaction. The XMIN_INVALID hint may be missing (skipped with checksums, HP8), so clog
// decides when the xmin is not hinted either way.
bool XminAborted(const HeapTupleHeader* t) {
  if ((t->infomask & kHeapXminInvalid) != 0) return true;
  if ((t->infomask & kHeapXminCommitted) != 0 || !transam::TransactionIdIsNormal(t->Xmin())) {
    return false;
  }
  return !transam::TransactionIdDidCommit(t->Xmin());
}

// What pruning decided for one page, before anything is changed (P1: decide, then apply in
// one critical section, then log the same decision so redo applies exactly it).
struct PruneState {
  TransactionId oldest_xmin;
  bool no_indexes = false;
  BlockNumber block;
  int max_offset = 0;
  // Indexed by offset: visibility of each stored tuple, computed once up front (hint bits get
  // set then, outside the critical section); and whether a decision covers the offset.
  HtsvResult htsv[kMaxLinePointers + 1];
  bool has_htsv[kMaxLinePointers + 1] = {};
  bool marked[kMaxLinePointers + 1] = {};
  // kDead because the inserter aborted (computed with htsv, before the critical section).
  bool xmin_aborted[kMaxLinePointers + 1] = {};
  std::vector<internal::PruneRedirect> redirected;
  std::vector<OffsetNumber> now_dead;
  std::vector<OffsetNumber> now_unused;
  uint64_t latest_removed_xid = 0;
  uint64_t new_prune_xid = 0;
  int tuples_deleted = 0;

  void Redirect(OffsetNumber from, OffsetNumber to) {
    redirected.push_back({from, to});
    marked[from] = marked[to] = true;
  }
  // A root that leads nowhere any more: kDead, so index entries pointing at it can be found
  // and removed first — unless there are no indexes (P4).
  void Dead(OffsetNumber off) {
    (no_indexes ? now_unused : now_dead).push_back(off);
    marked[off] = true;
  }
  void Unused(OffsetNumber off) {
    now_unused.push_back(off);
    marked[off] = true;
  }
  void Prunable(TransactionId xmax) {
    if (!transam::TransactionIdIsValid(xmax)) return;
    if (new_prune_xid == 0 || xmax.value() < new_prune_xid) new_prune_xid = xmax.value();
  }
  void Removed(const HeapTupleHeader* t) {
    // HP18: a multi's update member, never the MultiXactId itself.
    const TransactionId updater = internal::HeapTupleGetUpdateXid(t);
    const uint64_t xid = transam::TransactionIdIsValid(updater) ? updater.value() : t->xmin;
    latest_removed_xid = std::max(latest_removed_xid, xid);
  }
  // P3/P4: HOT-updated, and not by a version whose inserter aborted (an aborted transaction's
  // sequence of HOT updates leaves orphans that are themselves flagged HOT-updated).
  [[nodiscard]] bool HotUpdated(OffsetNumber off, const HeapTupleHeader* t) const {
    return IsHotUpdated(t) && !xmin_aborted[off];
  }
  [[nodiscard]] bool changed() const {
    return !redirected.empty() || !now_dead.empty() || !now_unused.empty();
  }
};

bool InRange(const PruneState& st, OffsetNumber off) {
  return off >= storage::kFirstOffsetNumber && off <= st.max_offset;
}

// Follows the HOT chain that starts at line pointer `root` (a normal, non-heap-only tuple, or
// a redirect) and records what can go (P3). Members are removed up to the last one that is
// dead to everyone (a later member being dead means every earlier one is: versions of a row
// die in order); the root is then redirected to the first member that stays, or made dead when
// none stays.
void PruneChain(Page page, OffsetNumber root, PruneState& st) {
  LinePointer* root_lp = storage::PageGetLinePointer(page, root);
  if (StateOf(root_lp) == LinePointerState::kNormal) {
    HeapTupleHeader* tuple = TupleAt(page, root_lp);
    if (IsHeapOnly(tuple)) {
      // Not a root: its chain's walk reaches it. A dead heap-only tuple that is not HOT-updated
      // and was not reached (its predecessor's update aborted, or the chain was cut) is an
      // orphan: it has no index entries, so it goes at once.
      if (st.htsv[root] == HtsvResult::kDead && !st.HotUpdated(root, tuple)) {
        st.Unused(root);
        st.Removed(tuple);
        ++st.tuples_deleted;
      }
      return;
    }
  }

  OffsetNumber chain[kMaxLinePointers];
  int chain_len = 0;
  OffsetNumber latest_dead = storage::kInvalidOffsetNumber;
  TransactionId prior_xmax = kInvalidTransactionId;
  for (OffsetNumber off = root; InRange(st, off) && !st.marked[off];) {
    LinePointer* lp = storage::PageGetLinePointer(page, off);
    const LinePointerState state = StateOf(lp);
    if (state == LinePointerState::kUnused || state == LinePointerState::kDead) break;
    if (state == LinePointerState::kRedirect) {
      if (chain_len > 0) break;  // a redirect is only ever a chain's root
      chain[chain_len++] = off;
      off = static_cast<OffsetNumber>(lp->offset);
      continue;
    }
    HeapTupleHeader* tuple = TupleAt(page, lp);
    // The chain continues only where the next version was made by our xmax (P3).
    if (prior_xmax != kInvalidTransactionId && tuple->Xmin() != prior_xmax) break;
    if (!st.has_htsv[off]) break;
    chain[chain_len++] = off;
    bool dead = false;
    bool recently_dead = false;
    switch (st.htsv[off]) {
      case HtsvResult::kDead:
        dead = true;
        break;
      case HtsvResult::kRecentlyDead:
        recently_dead = true;
        st.Prunable(internal::HeapTupleGetUpdateXid(tuple));
        break;
      case HtsvResult::kDeleteInProgress:
        st.Prunable(internal::HeapTupleGetUpdateXid(tuple));
        break;
      case HtsvResult::kLive:
      case HtsvResult::kInsertInProgress:
        break;
    }
    if (dead) {
      latest_dead = off;
      st.Removed(tuple);
    } else if (!recently_dead) {
      break;  // this version may be seen by someone: it and its successors stay
    }
    if (!st.HotUpdated(off, tuple)) break;
    const storage::ItemPointer next = tuple->Ctid();
    if (next.block != st.block) break;
    prior_xmax = internal::HeapTupleGetUpdateXid(tuple);  // HP18: a multi's updater
    off = next.offset;
  }

  if (latest_dead != storage::kInvalidOffsetNumber) {
    int i = 1;
    for (; i < chain_len && chain[i - 1] != latest_dead; ++i) {
      st.Unused(chain[i]);  // heap-only members: no index entry points at them
      ++st.tuples_deleted;
    }
    if (StateOf(root_lp) == LinePointerState::kNormal) ++st.tuples_deleted;
    if (i >= chain_len) {
      st.Dead(root);
    } else {
      st.Redirect(root, chain[i]);
    }
  } else if (chain_len < 2 && StateOf(root_lp) == LinePointerState::kRedirect) {
    // A redirect whose chain is gone (its target was removed or reused earlier).
    st.Dead(root);
  }
}

void LogPrune(Buffer buffer, const PruneState& st, transam::WalRecordBuilder& builder,
              std::vector<uint16_t>& block_data) {
  WalHeap2Prune xl{};
  xl.latest_removed_xid = st.latest_removed_xid;
  xl.new_prune_xid = st.new_prune_xid;
  xl.nredirected = static_cast<uint16_t>(st.redirected.size());
  xl.ndead = static_cast<uint16_t>(st.now_dead.size());
  xl.nunused = static_cast<uint16_t>(st.now_unused.size());
  builder.RegisterBuffer(0, buffer, transam::kRegStandard);
  builder.RegisterBufData(0, block_data.data(), block_data.size() * sizeof(uint16_t));
  builder.RegisterData(&xl, sizeof xl);
  const Lsn lsn = builder.Insert(transam::RmgrId::kHeap2, kWalHeap2Prune);
  storage::PageSetLsn(storage::BufferGetPage(buffer), lsn);
}

// The remaining page's tuples counted, and whether every one is visible to everyone (P6).
void CountRemaining(Page page, const PruneState& st, PruneResult* result) {
  result->all_visible = true;
  for (OffsetNumber off = storage::kFirstOffsetNumber; off <= st.max_offset; ++off) {
    LinePointer* lp = storage::PageGetLinePointer(page, off);
    switch (StateOf(lp)) {
      case LinePointerState::kUnused:
      case LinePointerState::kRedirect:
        continue;
      case LinePointerState::kDead:
        result->dead_items.push_back(off);
        result->all_visible = false;  // its index entries are not gone yet
        continue;
      case LinePointerState::kNormal:
        break;
    }
    if (!st.has_htsv[off]) continue;
    switch (st.htsv[off]) {
      case HtsvResult::kLive: {
        ++result->live_tuples;
        const TransactionId xmin = TupleAt(page, lp)->Xmin();
        if (transam::TransactionIdIsNormal(xmin) && xmin >= st.oldest_xmin) {
          result->all_visible = false;  // some snapshot may still see its inserter running
        }
        break;
      }
      case HtsvResult::kInsertInProgress:
      case HtsvResult::kDeleteInProgress:
        ++result->live_tuples;
        result->all_visible = false;
        break;
      case HtsvResult::kRecentlyDead:
        ++result->recently_dead_tuples;
        result->all_visible = false;
        break;
      case HtsvResult::kDead:
        // Dead but unreachable by the chain rules (a HOT-updated orphan): stays until its
        // chain goes; never all-visible.
        result->all_visible = false;
        break;
    }
  }
}

}  // namespace

namespace internal {

void HeapPagePruneExecute(storage::Page page, std::span<const PruneRedirect> redirected,
                          std::span<const storage::OffsetNumber> now_dead,
                          std::span<const storage::OffsetNumber> now_unused,
                          uint64_t new_prune_xid) {
  for (const PruneRedirect& r : redirected) {
    LinePointer* lp = storage::PageGetLinePointer(page, r.from);
    lp->state = static_cast<uint32_t>(LinePointerState::kRedirect);
    lp->offset = r.to;  // P2
    lp->length = 0;
  }
  for (OffsetNumber off : now_dead) {
    LinePointer* lp = storage::PageGetLinePointer(page, off);
    lp->state = static_cast<uint32_t>(LinePointerState::kDead);
    lp->offset = 0;
    lp->length = 0;
  }
  for (OffsetNumber off : now_unused) {
    LinePointer* lp = storage::PageGetLinePointer(page, off);
    lp->state = static_cast<uint32_t>(LinePointerState::kUnused);
    lp->offset = 0;
    lp->length = 0;
  }
  storage::PageRepairFragmentation(page);
  storage::PageHeader* header = storage::GetPageHeader(page);
  header->prune_xid = new_prune_xid;
  header->flags &= static_cast<uint16_t>(~storage::kPageFull);
}

void HeapPageVacuumExecute(storage::Page page, std::span<const storage::OffsetNumber> now_unused) {
  for (OffsetNumber off : now_unused) {
    LinePointer* lp = storage::PageGetLinePointer(page, off);
    KEEL_ASSERT(StateOf(lp) == LinePointerState::kDead);
    lp->state = static_cast<uint32_t>(LinePointerState::kUnused);
    lp->offset = 0;
    lp->length = 0;
  }
  // P5: unused pointers at the end of the array are given back (lower moves down), so a page
  // emptied by VACUUM is as good as new; the others are flagged for reuse by PageAddItem.
  storage::PageHeader* header = storage::GetPageHeader(page);
  int max_offset = storage::PageMaxOffsetNumber(page);
  while (max_offset > 0 &&
         StateOf(storage::PageGetLinePointer(page, static_cast<OffsetNumber>(max_offset))) ==
             LinePointerState::kUnused) {
    --max_offset;
  }
  header->lower = static_cast<uint16_t>(sizeof(storage::PageHeader) +
                                        static_cast<size_t>(max_offset) * sizeof(LinePointer));
  bool any_unused = false;
  for (int off = 1; off <= max_offset && !any_unused; ++off) {
    any_unused = StateOf(storage::PageGetLinePointer(page, static_cast<OffsetNumber>(off))) ==
                 LinePointerState::kUnused;
  }
  if (any_unused) {
    header->flags |= storage::kPageHasFreeLinePointers;
  } else {
    header->flags &= static_cast<uint16_t>(~storage::kPageHasFreeLinePointers);
  }
  header->flags &= static_cast<uint16_t>(~storage::kPageFull);
}

}  // namespace internal

PruneResult HeapPagePrune(const Relation& rel, storage::Buffer buffer, TransactionId oldest_xmin,
                          bool no_indexes) {
  (void)rel;
  Page page = storage::BufferGetPage(buffer);
  auto st = std::make_unique<PruneState>();
  st->oldest_xmin = oldest_xmin;
  st->no_indexes = no_indexes;
  st->block = storage::BufferGetBlockNumber(buffer);
  st->max_offset = storage::PageMaxOffsetNumber(page);

  for (OffsetNumber off = storage::kFirstOffsetNumber; off <= st->max_offset; ++off) {
    LinePointer* lp = storage::PageGetLinePointer(page, off);
    if (StateOf(lp) != LinePointerState::kNormal) continue;
    HeapTupleHeader* tuple = TupleAt(page, lp);
    st->htsv[off] = HeapTupleSatisfiesVacuum(tuple, oldest_xmin, buffer);
    st->has_htsv[off] = true;
    st->xmin_aborted[off] = st->htsv[off] == HtsvResult::kDead && XminAborted(tuple);
  }
  for (OffsetNumber off = storage::kFirstOffsetNumber; off <= st->max_offset; ++off) {
    if (st->marked[off]) continue;
    LinePointer* lp = storage::PageGetLinePointer(page, off);
    const LinePointerState state = StateOf(lp);
    if (state == LinePointerState::kUnused) continue;
    if (state == LinePointerState::kDead) {
      if (no_indexes) st->Unused(off);  // P4: nothing can point at it
      continue;
    }
    PruneChain(page, off, *st);
  }

  if (st->changed()) {
    // Everything that may allocate happens before the critical section (W5, W6).
    std::vector<uint16_t> block_data;
    block_data.reserve(st->redirected.size() * 2 + st->now_dead.size() + st->now_unused.size());
    for (const internal::PruneRedirect& r : st->redirected) {
      block_data.push_back(r.from);
      block_data.push_back(r.to);
    }
    block_data.insert(block_data.end(), st->now_dead.begin(), st->now_dead.end());
    block_data.insert(block_data.end(), st->now_unused.begin(), st->now_unused.end());
    transam::WalRecordBuilder builder;
    builder.Reserve(block_data.size() * sizeof(uint16_t) + sizeof(WalHeap2Prune));
    [&]() noexcept {  // critical section
      internal::HeapPagePruneExecute(page, st->redirected, st->now_dead, st->now_unused,
                                     st->new_prune_xid);
      storage::MarkBufferDirty(buffer);
      LogPrune(buffer, *st, builder, block_data);
    }();
  } else {
    // Nothing removed, but the hints may be out of date: a change of hints only (P7).
    storage::PageHeader* header = storage::GetPageHeader(page);
    if (header->prune_xid != st->new_prune_xid || (header->flags & storage::kPageFull) != 0) {
      header->prune_xid = st->new_prune_xid;
      header->flags &= static_cast<uint16_t>(~storage::kPageFull);
      storage::MarkBufferDirtyHint(buffer);
    }
  }

  PruneResult result;
  result.tuples_deleted = st->tuples_deleted;
  CountRemaining(page, *st, &result);
  return result;
}

void HeapPagePruneOpt(const Relation& rel, storage::Buffer buffer) {
  Page page = storage::BufferGetPage(buffer);
  storage::PageHeader* header = storage::GetPageHeader(page);
  // P8: a first look without any lock. The fields may change under us; a wrong answer only
  // means pruning now or next time. Atomic loads keep the race benign.
  const uint64_t prune_xid =
      std::atomic_ref<uint64_t>(header->prune_xid).load(std::memory_order_relaxed);
  if (prune_xid == 0) return;
  const TransactionId oldest_xmin = transam::GetOldestXmin();
  if (TransactionId(prune_xid) >= oldest_xmin) return;  // nothing is dead to everyone yet
  auto worth_it = [&] {
    const uint16_t flags = std::atomic_ref<uint16_t>(header->flags).load(std::memory_order_relaxed);
    const uint16_t lower = std::atomic_ref<uint16_t>(header->lower).load(std::memory_order_relaxed);
    const uint16_t upper = std::atomic_ref<uint16_t>(header->upper).load(std::memory_order_relaxed);
    const size_t free_bytes = upper > lower ? static_cast<size_t>(upper - lower) : 0;
    return (flags & storage::kPageFull) != 0 || free_bytes < kBlockSize / 10;
  };
  if (!worth_it()) return;
  if (!storage::ConditionalLockBufferForCleanup(buffer)) return;
  // Under the lock: look again, the page may have been pruned meanwhile.
  if (header->prune_xid != 0 && TransactionId(header->prune_xid) < oldest_xmin && worth_it()) {
    try {
      (void)HeapPagePrune(rel, buffer, oldest_xmin, /*no_indexes=*/false);
    } catch (...) {
      storage::UnlockBuffer(buffer);
      throw;
    }
  }
  storage::UnlockBuffer(buffer);
}

}  // namespace keel::access
