// Snapshots and the proc array's transaction fields: the completion seqlock (X5), snapshot
// building and re-use, in-progress checks, the VACUUM horizon, and transaction end.
// README.md ("Transactions", X3-X7, X10, X11).
#include "access/transam/snapshot.h"

#include <sched.h>

#include <algorithm>
#include <atomic>

#include "access/transam/subtrans.h"
#include "access/transam/transam.h"
#include "access/transam/transam_internal.h"
#include "backend/utils/error/error.h"
#include "storage/ipc/proc_array.h"
#include "storage/ipc/process_context.h"
#include "storage/lmgr/spinlock.h"

namespace keel::transam {
namespace {

using storage::ProcSlot;

// Every access to the fields the seqlock covers is seq_cst: the argument in the README (X5,
// X11) needs a single total order of the count, the slot fields and the xmin stores. On x86
// seq_cst loads are plain loads; the stores are few (assignment and transaction end).
constexpr std::memory_order kSc = std::memory_order_seq_cst;

// X5: the last snapshot this process built, re-used while the completion count is unchanged.
Snapshot cached_snapshot;
bool cached_valid = false;

// Waits for an even completion count (a bracket is a handful of stores).
uint64_t ReadEvenCount(const TransamShared* shared) {
  for (int spins = 0;; ++spins) {
    const uint64_t count = shared->completion_count.load(kSc);
    if (count % 2 == 0) return count;
    if (spins > 100) sched_yield();
  }
}

// Builds the running set from the slots (X6): xmax from latest_completed_xid, every other
// process's top-level and cached subtransaction xids below it.
void BuildSnapshot(const TransamShared* shared, const ProcSlot* self, Snapshot* snap) {
  const TransactionId xmax(shared->latest_completed_xid.load(kSc) + 1);
  TransactionId xmin = xmax;
  snap->xip.clear();
  snap->suboverflowed = false;
  const int num_slots = storage::ProcArrayNumSlots();
  for (int i = 0; i < num_slots; ++i) {
    const ProcSlot* slot = storage::ProcArraySlot(i);
    if (slot == self) continue;  // our own xids are never in our snapshot
    const TransactionId xid(slot->xid.load(kSc));
    if (!TransactionIdIsValid(xid)) continue;  // no xid: no subxids either (X4)
    if (xid < xmax) {
      snap->xip.push_back(xid);
      xmin = std::min(xmin, xid);
    }
    if (slot->subxid_overflowed.load(kSc) != 0) snap->suboverflowed = true;
    const uint32_t n = std::min<uint32_t>(slot->subxid_count.load(kSc),
                                          storage::kProcMaxCachedSubxids);
    for (uint32_t j = 0; j < n; ++j) {
      const TransactionId sub(slot->subxids[j].load(kSc));
      if (TransactionIdIsValid(sub) && sub < xmax) snap->xip.push_back(sub);
    }
  }
  std::sort(snap->xip.begin(), snap->xip.end());
  snap->xmin = xmin;
  snap->xmax = xmax;
  snap->curcid = CommandId(0);
}

// Whether `xid` is some slot's top-level xid (or, with `subxids`, a cached subxid) in one
// consistent pass (X5). `overflowed` reports whether any slot had overflowed its cache.
bool ScanForXid(const TransamShared* shared, TransactionId xid, bool subxids, bool* overflowed) {
  const int num_slots = storage::ProcArrayNumSlots();
  for (;;) {
    const uint64_t count = ReadEvenCount(shared);
    bool any_overflow = false;
    for (int i = 0; i < num_slots; ++i) {
      const ProcSlot* slot = storage::ProcArraySlot(i);
      const uint64_t top = slot->xid.load(kSc);
      if (top == 0) continue;
      if (top == xid.value()) return true;
      if (!subxids || top > xid.value()) continue;  // subxids are above their top xid (X4)
      if (slot->subxid_overflowed.load(kSc) != 0) any_overflow = true;
      const uint32_t n = std::min<uint32_t>(slot->subxid_count.load(kSc),
                                            storage::kProcMaxCachedSubxids);
      for (uint32_t j = 0; j < n; ++j) {
        if (slot->subxids[j].load(kSc) == xid.value()) return true;
      }
    }
    // Not found: only trustworthy when no slot lost an xid to a bracket meanwhile (entries
    // move when a ROLLBACK TO compacts a cache).
    if (shared->completion_count.load(kSc) == count) {
      *overflowed = any_overflow;
      return false;
    }
  }
}

}  // namespace

void ResetSnapshotCache() {
  cached_valid = false;
  cached_snapshot = Snapshot{};
}

Snapshot TakeSnapshot() {
  ProcSlot* self = storage::CurrentProcess().proc;
  KEEL_ASSERT(self != nullptr);
  const TransamShared* shared = Transam();
  const bool set_xmin = self->xmin.load(std::memory_order_relaxed) == 0;
  Snapshot snap;
  for (;;) {
    const uint64_t count = ReadEvenCount(shared);
    if (cached_valid && cached_snapshot.completion_count == count) {
      snap = cached_snapshot;  // X5: no transaction ended since, so the same set is running
    } else {
      BuildSnapshot(shared, self, &snap);
      snap.completion_count = count;
    }
    // X11: our xmin is visible before the re-check, so a GetOldestXmin that starts after a
    // transaction in our xip ends (which would change the count) sees it.
    if (set_xmin) self->xmin.store(snap.xmin.value(), kSc);
    if (shared->completion_count.load(kSc) == count) break;
  }
  cached_snapshot = snap;
  cached_valid = true;
  return snap;
}

bool XidInMvccSnapshot(TransactionId xid, const Snapshot& snapshot) {
  if (xid < snapshot.xmin) return false;
  if (xid >= snapshot.xmax) return true;
  if (std::binary_search(snapshot.xip.begin(), snapshot.xip.end(), xid)) return true;
  if (!snapshot.suboverflowed) return false;
  // A subxid that did not fit in its slot's cache: its top-level xid stands for it (X10).
  const TransactionId top = SubTransGetTopmostTransaction(xid);
  if (top == xid || top < snapshot.xmin) return false;
  return std::binary_search(snapshot.xip.begin(), snapshot.xip.end(), top);
}

bool TransactionIdIsInProgress(TransactionId xid) {
  if (!TransactionIdIsNormal(xid)) return false;
  const TransamShared* shared = Transam();
  if (xid.value() >= shared->next_xid.load(kSc)) return false;  // never assigned
  bool overflowed = false;
  if (ScanForXid(shared, xid, /*subxids=*/true, &overflowed)) return true;
  if (!overflowed) return false;
  // X10: an xid missing from every cache while some cache overflowed may be such a subxid;
  // it runs as long as its top-level transaction does -- unless it was rolled back (clog
  // says aborted before the rollback leaves the proc array, X7). Without this check a
  // rolled-back overflowed subxid would read as running until its top level ends: a heap
  // update waiting on such a tuple's xmax would find its lock free (XactLockTableWait
  // returns at once) and the tuple still "being modified", and spin (PostgreSQL also asks
  // clog first here).
  if (TransactionIdDidAbort(xid)) return false;
  const TransactionId top = SubTransGetTopmostTransaction(xid);
  if (top == xid) return false;
  return ScanForXid(shared, top, /*subxids=*/false, &overflowed);
}

TransactionId GetOldestXmin() {
  const TransamShared* shared = Transam();
  const int num_slots = storage::ProcArrayNumSlots();
  for (;;) {
    const uint64_t count = ReadEvenCount(shared);
    uint64_t result = shared->latest_completed_xid.load(kSc) + 1;
    for (int i = 0; i < num_slots; ++i) {
      const ProcSlot* slot = storage::ProcArraySlot(i);
      const uint64_t xid = slot->xid.load(kSc);
      const uint64_t xmin = slot->xmin.load(kSc);
      if (xid != 0 && xid < result) result = xid;
      if (xmin != 0 && xmin < result) result = xmin;
    }
    // X11: a retry when a transaction ended meanwhile; a snapshot being taken then either
    // published its xmin before that end (we see it now) or re-checks and retries itself.
    if (shared->completion_count.load(kSc) == count) return TransactionId(result);
  }
}

namespace {

// Clears a slot's transaction fields. Requires: inside a completion bracket.
void ClearSlotXids(ProcSlot* slot) {
  slot->xid.store(0, kSc);
  slot->subxid_count.store(0, kSc);
  slot->subxid_overflowed.store(0, kSc);
  slot->xmin.store(0, kSc);
}

// X6: latest_completed_xid moves up to `latest_xid` (invalid: unchanged). Requires: inside a
// completion bracket.
void AdvanceLatestCompleted(TransamShared* shared, TransactionId latest_xid) {
  if (TransactionIdIsValid(latest_xid) &&
      latest_xid.value() > shared->latest_completed_xid.load(std::memory_order_relaxed)) {
    shared->latest_completed_xid.store(latest_xid.value(), kSc);
  }
}

// A completion bracket (X5) around `fn`: one at a time, the count odd while it runs.
template <typename Fn>
void InCompletionBracket(Fn&& fn) {
  TransamShared* shared = Transam();
  storage::SpinLockGuard guard(&shared->completion_lock);
  shared->completion_count.fetch_add(1, kSc);  // odd: readers retry
  fn(shared);
  shared->completion_count.fetch_add(1, kSc);  // even again
}

}  // namespace

void ProcArrayEndTransaction(bool all, std::span<const TransactionId> subxids,
                             TransactionId latest_xid) noexcept {
  ProcSlot* self = storage::CurrentProcess().proc;
  if (self == nullptr) return;
  if (all && self->xid.load(std::memory_order_relaxed) == 0 &&
      self->subxid_count.load(std::memory_order_relaxed) == 0 &&
      self->subxid_overflowed.load(std::memory_order_relaxed) == 0) {
    self->xmin.store(0, kSc);  // read-only transaction: nothing any snapshot could contain
    return;
  }
  InCompletionBracket([&](TransamShared* shared) {
    if (all) {
      ClearSlotXids(self);
    } else {
      uint32_t n = std::min<uint32_t>(self->subxid_count.load(std::memory_order_relaxed),
                                      storage::kProcMaxCachedSubxids);
      uint32_t kept = 0;
      for (uint32_t j = 0; j < n; ++j) {
        const TransactionId sub(self->subxids[j].load(std::memory_order_relaxed));
        if (std::find(subxids.begin(), subxids.end(), sub) != subxids.end()) continue;
        self->subxids[kept++].store(sub.value(), kSc);
      }
      self->subxid_count.store(kept, kSc);
    }
    AdvanceLatestCompleted(shared, latest_xid);
  });
}

void ProcArrayTransferTransaction(ProcSlot* target) noexcept {
  ProcSlot* self = storage::CurrentProcess().proc;
  KEEL_ASSERT(self != nullptr && target != self && target->xid.load(kSc) == 0);
  InCompletionBracket([&](TransamShared*) {
    // T4: the target first, so a reader that misses one copy finds the other (and the odd
    // count makes every reader that overlaps the move retry anyway).
    const uint32_t n = std::min<uint32_t>(self->subxid_count.load(kSc),
                                          storage::kProcMaxCachedSubxids);
    for (uint32_t j = 0; j < n; ++j) target->subxids[j].store(self->subxids[j].load(kSc), kSc);
    target->subxid_count.store(n, kSc);
    target->subxid_overflowed.store(self->subxid_overflowed.load(kSc), kSc);
    target->xid.store(self->xid.load(kSc), kSc);
    ClearSlotXids(self);
  });
}

void ProcArrayEndPreparedTransaction(ProcSlot* slot, TransactionId latest_xid) noexcept {
  InCompletionBracket([&](TransamShared* shared) {
    ClearSlotXids(slot);
    AdvanceLatestCompleted(shared, latest_xid);
  });
}

void ProcArraySetPreparedTransaction(ProcSlot* slot, TransactionId xid,
                                     std::span<const TransactionId> subxids) noexcept {
  InCompletionBracket([&](TransamShared*) {
    const size_t n = std::min<size_t>(subxids.size(), storage::kProcMaxCachedSubxids);
    for (size_t j = 0; j < n; ++j) slot->subxids[j].store(subxids[j].value(), kSc);
    slot->subxid_count.store(static_cast<uint32_t>(n), kSc);
    slot->subxid_overflowed.store(subxids.size() > n ? 1 : 0, kSc);
    slot->xmin.store(0, kSc);
    slot->xid.store(xid.value(), kSc);
  });
}

}  // namespace keel::transam
