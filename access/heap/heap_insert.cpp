// Creating a heap's storage and inserting tuples (TOAST first when needed, room found through
// hio, one WAL record per tuple). README.md ("Inserting", HP1-HP2, HP11, HP13-HP15).
#include <vector>

#include "access/heap/heap_toast.h"
#include "access/heap/heap_wal.h"
#include "access/heap/heapam.h"
#include "access/heap/heapam_internal.h"
#include "access/heap/hio.h"
#include "access/heap/visibility_map.h"
#include "access/transam/wal_record.h"
#include "access/transam/wal_xlog.h"
#include "access/transam/xact.h"
#include "backend/utils/error/error.h"
#include "storage/smgr/smgr.h"

namespace keel::access {

namespace internal {

// HP2: a new version's header before it goes to a page: xmin = xid, cmin = cid, no xmax, no
// hint or lock bits, no HOT bits (the update sets its own).
void PrepareNewTupleHeader(HeapTupleHeader* header, TransactionId xid, CommandId cid) {
  header->infomask &= static_cast<uint16_t>(kHeapHasNull | kHeapHasVarWidth | kHeapHasExternal);
  header->infomask |= kHeapXmaxInvalid;
  header->infomask2 &= kHeapNattsMask;
  header->xmin = xid.value();
  header->xmax = 0;
  header->cid = cid.value();
}

bool NeedsToast(const Relation& rel, const HeapTuple& tuple) {
  return rel.toast != nullptr &&
         (tuple.size() > kToastTupleThreshold || (tuple.header()->infomask & kHeapHasExternal) != 0);
}

}  // namespace internal

void HeapCreateStorage(const Relation& rel) {
  transam::LogAndCreateRelationFork(rel.locator, ForkNumber::kMain);
  HioForgetRelation(rel.locator);
}

BlockNumber HeapRelationBlocks(const Relation& rel) {
  return storage::SmgrNBlocks(rel.locator, ForkNumber::kMain);
}

storage::ItemPointer HeapInsert(const Relation& rel, HeapTuple& tuple, CommandId cid) {
  KEEL_ASSERT(tuple.size() >= kHeapTupleHeaderSize);
  const TransactionId xid = transam::GetCurrentTransactionId();
  internal::PrepareNewTupleHeader(tuple.header(), xid, cid);

  // TOAST may itself insert (into the TOAST table) and allocate: before any page lock.
  HeapTuple toasted;
  HeapTuple* heaptup = &tuple;
  if (internal::NeedsToast(rel, tuple)) {
    toasted = ToastTupleForStore(rel, tuple, nullptr);
    internal::PrepareNewTupleHeader(toasted.header(), xid, cid);
    heaptup = &toasted;
  }
  const size_t len = heaptup->size();

  std::vector<std::byte> wal_tuple(internal::EncodedTupleSize(len));
  transam::WalRecordBuilder wal;
  wal.Reserve(wal_tuple.size() + sizeof(WalHeapInsert) + 64);
  storage::Buffer vm_buffer = storage::kInvalidBuffer;
  storage::Buffer vm_unused = storage::kInvalidBuffer;
  bool new_page = false;
  const storage::Buffer buffer = RelationGetBufferForTuple(rel, len, storage::kInvalidBuffer,
                                                           &vm_buffer, &vm_unused, &new_page);
  const BlockNumber block = storage::BufferGetBlockNumber(buffer);

  storage::OffsetNumber offset = storage::kInvalidOffsetNumber;
  internal::CriticalSection([&] {
    storage::Page page = storage::BufferGetPage(buffer);
    offset = storage::PageAddItem(page, heaptup->data(), len, storage::kInvalidOffsetNumber,
                                  /*overwrite=*/false, /*reuse_unused=*/true);
    if (offset == storage::kInvalidOffsetNumber) Panic("failed to add tuple to page");
    HeapTupleHeader* stored = internal::PageGetHeapTuple(page, offset);
    stored->SetCtid({block, offset});  // HP1: a current version's ctid is its own tid

    WalHeapInsert rec{};
    rec.offset = offset;
    rec.cid = cid.value();
    if (internal::PageIsAllVisible(page)) {  // HP14
      internal::PageClearAllVisible(page);
      (void)VisibilityMapClear(rel, block, vm_buffer);
      rec.flags |= kWalHeapAllVisibleCleared;
    }
    storage::MarkBufferDirty(buffer);

    // A tuple alone on a just-extended page: redo re-initialises the page (no image needed).
    const bool init = new_page && offset == storage::kFirstOffsetNumber &&
                      storage::PageMaxOffsetNumber(page) == storage::kFirstOffsetNumber;
    internal::EncodeTupleForWal(stored, len, wal_tuple.data());
    wal.SetTransactionId(xid);
    wal.RegisterData(&rec, sizeof(rec));
    wal.RegisterBuffer(0, buffer, transam::kRegStandard | (init ? transam::kRegWillInit : 0));
    wal.RegisterBufData(0, wal_tuple.data(), wal_tuple.size());
    const Lsn lsn = wal.Insert(transam::RmgrId::kHeap,
                               static_cast<uint8_t>(kWalHeapInsert | (init ? kWalHeapInitPage : 0)));
    storage::PageSetLsn(page, lsn);
  });
  storage::UnlockBuffer(buffer);
  if (vm_buffer != storage::kInvalidBuffer) storage::ReleaseBuffer(vm_buffer);
  if (vm_unused != storage::kInvalidBuffer) storage::ReleaseBuffer(vm_unused);
  storage::ReleaseBuffer(buffer);

  const storage::ItemPointer tid{block, offset};
  tuple.self = tid;
  tuple.table = rel.id;
  tuple.header()->SetCtid(tid);
  if (heaptup != &tuple) heaptup->self = tid;
  stats::CountTupleInserted(internal::StatsRef(rel));
  return tid;
}

}  // namespace keel::access
