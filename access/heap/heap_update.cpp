// Deleting and updating heap tuples: the concurrent-change check and wait (HTSU, tuple lock,
// XactLockTableWait), the new version and the ctid chain, HOT, TOAST, the visibility-map
// clearing and the WAL records. README.md ("The update protocol", HP2-HP5, HP9-HP14).
#include <optional>
#include <vector>

#include "access/heap/heap_toast.h"
#include "access/heap/heap_wal.h"
#include "access/heap/heapam.h"
#include "access/heap/heapam_internal.h"
#include "access/heap/hio.h"
#include "access/heap/prune.h"
#include "access/heap/visibility.h"
#include "access/heap/visibility_map.h"
#include "access/transam/transam.h"
#include "access/transam/wal_record.h"
#include "access/transam/xact.h"
#include "backend/utils/error/error.h"
#include "backend/utils/error/format.h"

namespace keel::access {
namespace {

using internal::PageRef;
using internal::VmPin;

// With `page` exclusively locked: may the current command change the tuple at `tid`? Waits for
// a running modifier when `wait` (the tuple lock in `mode` first, HP10). Keeps the map page
// pinned whenever the page is all-visible (HP14: the pin needs I/O, so never under the lock).
// Returns with the page locked. kInvisible is an error here (the caller saw the tuple).
TmResult CheckForModify(const Relation& rel, storage::ItemPointer tid, PageRef& page, VmPin& vm,
                        CommandId cid, const transam::Snapshot* crosscheck, bool wait,
                        RowLockMode mode, internal::TupleLockGuard& tuple_lock,
                        TmFailureData* tmfd, const char* verb) {
  for (;;) {
    if (internal::PageIsAllVisible(page.page()) && vm.buffer == storage::kInvalidBuffer) {
      page.Unlock();
      VisibilityMapPin(rel, tid.block, &vm.buffer);
      page.Lock();
      continue;
    }
    HeapTupleHeader* tuple = internal::GetTupleForChange(rel, page.page(), tid);
    TmResult result = HeapTupleSatisfiesUpdate(tuple, cid, page.get());
    if (result == TmResult::kInvisible) {
      throw Error(sqlstate::kObjectNotInPrerequisiteState,
                  Format("attempted to %s invisible tuple", verb));
    }
    if (result == TmResult::kBeingModified) {
      bool current_is_member = false;
      if (!internal::XmaxConflicts(tuple, mode, &current_is_member)) {
        // Only our own locks, or lockers our change may coexist with (FOR KEY SHARE against a
        // no-key update): they join the xmax (HP20, HP21). A committed update kept in a
        // multi by such lockers still makes this version updated.
        const TransactionId updater = internal::HeapTupleGetUpdateXid(tuple);
        result = transam::TransactionIdIsValid(updater) &&
                         !transam::TransactionIdIsCurrentTransactionId(updater) &&
                         !transam::TransactionIdIsInProgress(updater) &&
                         transam::TransactionIdDidCommit(updater)
                     ? TmResult::kUpdated
                     : TmResult::kOk;
      } else if (wait) {
        const uint64_t xwait = tuple->xmax;
        const uint16_t infomask = tuple->infomask;
        page.Unlock();
        if (!current_is_member) (void)tuple_lock.Acquire(mode, LockWaitPolicy::kBlock);
        (void)internal::WaitForXmax(rel, xwait, infomask, mode, LockWaitPolicy::kBlock);
        page.Lock();
        continue;  // re-check: committed update, aborted, or a new modifier
      }
    }
    // REPEATABLE READ cross-check: a version the transaction snapshot does not see counts as
    // concurrently updated.
    if (result == TmResult::kOk && crosscheck != nullptr &&
        !HeapTupleSatisfiesMvcc(tuple, *crosscheck, page.get())) {
      result = TmResult::kUpdated;
    }
    if (result == TmResult::kUpdated && tuple->Ctid() == tid) result = TmResult::kDeleted;  // HP4
    if (result != TmResult::kOk) {
      tmfd->ctid = tuple->Ctid();
      tmfd->xmax = internal::HeapTupleGetUpdateXid(tuple);
      if (!transam::TransactionIdIsValid(tmfd->xmax) && !internal::XmaxIsMulti(tuple->infomask)) {
        tmfd->xmax = tuple->Xmax();  // a plain locker (kBeingModified)
      }
      tmfd->cmax = result == TmResult::kSelfModified ? HeapTupleGetCmax(tuple)
                                                     : internal::kInvalidCommandId;
    }
    return result;
  }
}

// Reads and locks the page of `tid`, pinning its map page first when it looks all-visible.
void OpenForChange(const Relation& rel, storage::ItemPointer tid, PageRef& page, VmPin& vm) {
  if (internal::PageIsAllVisible(page.page())) VisibilityMapPin(rel, tid.block, &vm.buffer);
  page.Lock();
}

// HP5, HP20: the old version's xmax fields after this transaction's delete / update (`nx`:
// our xid, or a multi keeping compatible lockers and our earlier locks).
void StampXmax(HeapTupleHeader* tuple, const internal::NewXmax& nx, CommandId stored_cid,
               bool combo, uint16_t infomask2_set) {
  internal::SetXmax(tuple, nx);
  tuple->infomask = static_cast<uint16_t>((tuple->infomask & ~kHeapComboCid) |
                                          (combo ? kHeapComboCid : 0));
  tuple->infomask2 =
      static_cast<uint16_t>((tuple->infomask2 & ~kHeapHotUpdated) | infomask2_set);
  tuple->cid = stored_cid.value();
}

// Clears the all-visible flag and map bit of a page being changed (inside the critical
// section); returns whether it was set.
bool ClearAllVisible(const Relation& rel, storage::Buffer buffer, storage::Buffer vm_buffer) {
  storage::Page page = storage::BufferGetPage(buffer);
  if (!internal::PageIsAllVisible(page)) return false;
  internal::PageClearAllVisible(page);
  (void)VisibilityMapClear(rel, storage::BufferGetBlockNumber(buffer), vm_buffer);
  return true;
}

HeapTuple CopyTuple(storage::Page page, storage::ItemPointer tid) {
  const auto* lp = storage::PageGetLinePointer(page, tid.offset);
  HeapTuple copy(storage::PageGetItem(page, lp), lp->length);
  copy.self = tid;
  return copy;
}

}  // namespace

TmResult HeapDelete(const Relation& rel, storage::ItemPointer tid, CommandId cid,
                    const transam::Snapshot* crosscheck, bool wait, TmFailureData* tmfd) {
  TmFailureData unused_tmfd;
  if (tmfd == nullptr) tmfd = &unused_tmfd;
  const TransactionId xid = transam::GetCurrentTransactionId();
  PageRef page(storage::ReadBuffer(rel.locator, ForkNumber::kMain, tid.block));
  VmPin vm;
  internal::TupleLockGuard tuple_lock(rel, tid);
  OpenForChange(rel, tid, page, vm);
  const TmResult result = CheckForModify(rel, tid, page, vm, cid, crosscheck, wait,
                                         RowLockMode::kExclusive, tuple_lock, tmfd, "delete");
  if (result != TmResult::kOk) return result;

  HeapTupleHeader* tuple = internal::PageGetHeapTuple(page.page(), tid.offset);
  std::optional<HeapTuple> old_copy;  // for TOAST: its out-of-line values go too
  if (rel.toast != nullptr && (tuple->infomask & kHeapHasExternal) != 0) {
    old_copy = CopyTuple(page.page(), tid);
  }
  bool combo = false;
  const CommandId stored_cid = internal::ComputeCmaxToStore(tuple, cid, &combo);
  // HP20: keeps our own earlier locks of other subtransactions (ROLLBACK TO keeps them).
  const internal::NewXmax nx =
      internal::ComputeNewXmax(tuple, xid, transam::MultiXactStatus::kUpdate);
  transam::WalRecordBuilder wal;

  internal::CriticalSection([&] {
    storage::Page p = page.page();
    StampXmax(tuple, nx, stored_cid, combo, 0);
    tuple->SetCtid(tid);  // HP1: a deleted version's ctid is itself
    internal::PageSetPrunable(p, xid);
    WalHeapDelete rec{};
    if (ClearAllVisible(rel, page.get(), vm.buffer)) rec.flags |= kWalHeapAllVisibleCleared;
    storage::MarkBufferDirty(page.get());

    rec.xmax = nx.xmax;
    rec.offset = tid.offset;
    rec.infomask = tuple->infomask;
    rec.infomask2 = tuple->infomask2;
    rec.cid = tuple->cid;
    wal.SetTransactionId(xid);
    wal.RegisterData(&rec, sizeof(rec));
    wal.RegisterBuffer(0, page.get(), transam::kRegStandard);
    storage::PageSetLsn(p, wal.Insert(transam::RmgrId::kHeap, kWalHeapDelete));
  });
  page.Reset();
  if (old_copy) ToastDeleteValues(rel, old_copy->header(), old_copy->size());
  stats::CountTupleDeleted(internal::StatsRef(rel));
  return TmResult::kOk;
}

TmResult HeapUpdate(const Relation& rel, storage::ItemPointer otid, HeapTuple& newtup,
                    CommandId cid, const transam::Snapshot* crosscheck, bool wait,
                    TmFailureData* tmfd, bool hot_allowed, bool* used_hot) {
  TmFailureData unused_tmfd;
  if (tmfd == nullptr) tmfd = &unused_tmfd;
  bool unused_hot = false;
  if (used_hot == nullptr) used_hot = &unused_hot;
  *used_hot = false;
  KEEL_ASSERT(newtup.size() >= kHeapTupleHeaderSize);
  const TransactionId xid = transam::GetCurrentTransactionId();
  // HP9: an update that may change key columns (an indexed column changed, so HOT is not
  // allowed) locks the row like FOR UPDATE; otherwise like FOR NO KEY UPDATE.
  const RowLockMode mode = hot_allowed ? RowLockMode::kNoKeyExclusive : RowLockMode::kExclusive;

  PageRef old_page(storage::ReadBuffer(rel.locator, ForkNumber::kMain, otid.block));
  // Make room for a HOT version if the page has prunable garbage (pinned, not locked).
  HeapPagePruneOpt(rel, old_page.get());
  VmPin old_vm;
  internal::TupleLockGuard tuple_lock(rel, otid);
  OpenForChange(rel, otid, old_page, old_vm);
  const TmResult result = CheckForModify(rel, otid, old_page, old_vm, cid, crosscheck, wait, mode,
                                         tuple_lock, tmfd, "update");
  if (result != TmResult::kOk) return result;

  internal::PrepareNewTupleHeader(newtup.header(), xid, cid);
  newtup.header()->infomask |= kHeapUpdated;
  HeapTupleHeader* oldtup = internal::PageGetHeapTuple(old_page.page(), otid.offset);
  bool combo = false;
  const CommandId old_cid = internal::ComputeCmaxToStore(oldtup, cid, &combo);
  const bool need_toast = internal::NeedsToast(rel, newtup) ||
                          (rel.toast != nullptr && (oldtup->infomask & kHeapHasExternal) != 0);

  HeapTuple toasted;
  HeapTuple* heaptup = &newtup;
  PageRef new_page_ref(storage::kInvalidBuffer);
  VmPin new_vm;
  bool new_page = false;
  storage::Buffer newbuf = old_page.get();
  if (need_toast || storage::MaxAlign(newtup.size()) >
                        internal::HeapPageGetFreeSpace(old_page.page())) {
    // HP13: the page must be unlocked to TOAST or to find another page. Lock the old version
    // first with our xid (WAL-logged) so nobody changes it meanwhile.
    internal::ApplyTupleLock(old_page.get(), otid, xid,
                             internal::ComputeNewXmax(oldtup, xid, internal::LockStatus(mode)));
    std::optional<HeapTuple> old_copy;
    if (need_toast) old_copy = CopyTuple(old_page.page(), otid);
    old_page.Unlock();
    if (need_toast) {
      toasted = ToastTupleForStore(rel, newtup, &*old_copy);
      internal::PrepareNewTupleHeader(toasted.header(), xid, cid);
      toasted.header()->infomask |= kHeapUpdated;
      heaptup = &toasted;
    }
    for (;;) {
      const size_t needed = storage::MaxAlign(heaptup->size());
      if (needed > internal::HeapPageGetFreeSpace(old_page.page())) {  // racy peek; hio re-checks
        newbuf = RelationGetBufferForTuple(rel, heaptup->size(), old_page.get(), &new_vm.buffer,
                                           &old_vm.buffer, &new_page);
        // Both are locked now (once if the same page).
        if (newbuf != old_page.get()) new_page_ref.Adopt(newbuf, /*locked=*/true);
        old_page.AssumeLocked();
        break;
      }
      old_page.Lock();
      if (internal::PageIsAllVisible(old_page.page()) && old_vm.buffer == storage::kInvalidBuffer) {
        old_page.Unlock();
        VisibilityMapPin(rel, otid.block, &old_vm.buffer);
        continue;
      }
      if (needed <= internal::HeapPageGetFreeSpace(old_page.page())) {
        newbuf = old_page.get();
        break;
      }
      old_page.Unlock();
    }
    oldtup = internal::PageGetHeapTuple(old_page.page(), otid.offset);
  }

  const bool hot = hot_allowed && newbuf == old_page.get();
  // HP20/HP21: the old version's xmax (our update plus compatible lockers / our earlier
  // locks), and the lockers the new version inherits. May create multis: before the critical
  // section, with the old page locked (no one can change its xmax meanwhile).
  const internal::NewXmax old_nx =
      internal::ComputeNewXmax(oldtup, xid, internal::UpdateStatus(mode));
  const internal::NewXmax new_nx = internal::LockersForNewVersion(oldtup);
  if (new_nx.xmax != 0) internal::SetXmax(heaptup->header(), new_nx);
  const size_t len = heaptup->size();
  std::vector<std::byte> wal_tuple(internal::EncodedTupleSize(len));
  transam::WalRecordBuilder wal;
  wal.Reserve(wal_tuple.size() + sizeof(WalHeapUpdate) + 64);
  const BlockNumber new_block = storage::BufferGetBlockNumber(newbuf);
  storage::ItemPointer new_tid;

  internal::CriticalSection([&] {
    storage::Page npage = storage::BufferGetPage(newbuf);
    storage::Page opage = old_page.page();
    HeapTupleHeader* nh = heaptup->header();
    if (hot) nh->infomask2 |= kHeapOnlyTuple;  // HP12
    const storage::OffsetNumber noff =
        storage::PageAddItem(npage, heaptup->data(), len, storage::kInvalidOffsetNumber,
                             /*overwrite=*/false, /*reuse_unused=*/true);
    if (noff == storage::kInvalidOffsetNumber) Panic("failed to add tuple to page");
    new_tid = {new_block, noff};
    HeapTupleHeader* stored = internal::PageGetHeapTuple(npage, noff);
    stored->SetCtid(new_tid);

    HeapTupleHeader* old = internal::PageGetHeapTuple(opage, otid.offset);
    StampXmax(old, old_nx, old_cid, combo, hot ? kHeapHotUpdated : 0);
    old->SetCtid(new_tid);  // HP1: the chain link to the new version
    internal::PageSetPrunable(opage, xid);
    // No room for a HOT version: a hint that the page needs pruning (not WAL-logged).
    if (newbuf != old_page.get()) storage::GetPageHeader(opage)->flags |= storage::kPageFull;

    WalHeapUpdate rec{};
    if (ClearAllVisible(rel, old_page.get(), old_vm.buffer)) rec.flags |= kWalHeapAllVisibleCleared;
    if (newbuf != old_page.get() && ClearAllVisible(rel, newbuf, new_vm.buffer)) {
      rec.flags |= kWalHeapNewAllVisibleCleared;
    }
    storage::MarkBufferDirty(old_page.get());
    if (newbuf != old_page.get()) storage::MarkBufferDirty(newbuf);

    const bool init = newbuf != old_page.get() && new_page && noff == storage::kFirstOffsetNumber &&
                      storage::PageMaxOffsetNumber(npage) == storage::kFirstOffsetNumber;
    rec.old_xmax = old_nx.xmax;
    rec.new_xmax = new_nx.xmax;
    rec.old_offset = otid.offset;
    rec.old_infomask = old->infomask;
    rec.old_infomask2 = old->infomask2;
    rec.new_offset = noff;
    rec.old_cid = old->cid;
    rec.new_cid = cid.value();
    internal::EncodeTupleForWal(stored, len, wal_tuple.data());
    wal.SetTransactionId(xid);
    wal.RegisterData(&rec, sizeof(rec));
    wal.RegisterBuffer(0, newbuf, transam::kRegStandard | (init ? transam::kRegWillInit : 0));
    wal.RegisterBufData(0, wal_tuple.data(), wal_tuple.size());
    if (newbuf != old_page.get()) wal.RegisterBuffer(1, old_page.get(), transam::kRegStandard);
    const uint8_t info = static_cast<uint8_t>((hot ? kWalHeapHotUpdate : kWalHeapUpdate) |
                                              (init ? kWalHeapInitPage : 0));
    const Lsn lsn = wal.Insert(transam::RmgrId::kHeap, info);
    storage::PageSetLsn(npage, lsn);
    if (newbuf != old_page.get()) storage::PageSetLsn(opage, lsn);
  });
  new_page_ref.Reset();
  old_page.Reset();

  // The caller's tuple describes the stored version.
  if (heaptup != &newtup) newtup.header()->infomask2 = heaptup->header()->infomask2;
  newtup.header()->SetCtid(new_tid);
  newtup.self = new_tid;
  newtup.table = rel.id;
  *used_hot = hot;
  stats::CountTupleUpdated(internal::StatsRef(rel), hot);
  return TmResult::kOk;
}

}  // namespace keel::access
