// Redo, describe and identify of the kHeap records (insert, delete, update, HOT update, lock),
// and the registration of both heap resource managers. README.md ("WAL records", HP15).
#include "access/heap/heap_wal.h"

#include <cinttypes>
#include <cstring>
#include <vector>

#include "access/heap/heapam.h"
#include "access/heap/heapam_internal.h"
#include "access/heap/visibility_map.h"
#include "access/transam/redo_buffer.h"
#include "access/transam/transam.h"
#include "access/transam/wal_reader.h"
#include "backend/utils/error/error.h"
#include "backend/utils/error/format.h"

namespace keel::access {
namespace {

using transam::DecodedRecord;
using transam::RedoAction;

// Bits of the old version's header a delete / update / lock record carries (HP15): everything
// about xmax; the xmin hints on the page are left as they are.
constexpr uint16_t kLoggedInfomask = kHeapXmaxBits | kHeapComboCid;
constexpr uint16_t kLoggedInfomask2 = kHeapKeysUpdated | kHeapHotUpdated;

template <typename T>
bool ReadMain(const DecodedRecord& record, T* out) {
  if (record.main_data.size() < sizeof(T)) return false;
  std::memcpy(out, record.main_data.data(), sizeof(T));
  return true;
}

template <typename T>
T MainOrPanic(const DecodedRecord& record, const char* what) {
  T rec{};
  if (!ReadMain(record, &rec)) {
    Panic("%s: record at %s too short", what, transam::LsnToString(record.lsn).c_str());
  }
  return rec;
}

const transam::DecodedBlockRef& BlockOrPanic(const DecodedRecord& record, uint8_t id,
                                             const char* what) {
  const transam::DecodedBlockRef* ref = record.Block(id);
  if (ref == nullptr) {
    Panic("%s: record at %s has no block %u", what, transam::LsnToString(record.lsn).c_str(), id);
  }
  return *ref;
}

void FinishRedo(const DecodedRecord& record, storage::Buffer buffer) {
  storage::PageSetLsn(storage::BufferGetPage(buffer), record.end_lsn);
  storage::MarkBufferDirty(buffer);
}

void Release(RedoAction action, storage::Buffer buffer) {
  if (action == RedoAction::kNotFound) return;
  storage::UnlockBuffer(buffer);
  storage::ReleaseBuffer(buffer);
}

HeapTupleHeader* RedoTuple(storage::Page page, storage::OffsetNumber off, const char* what) {
  if (off < storage::kFirstOffsetNumber || off > storage::PageMaxOffsetNumber(page) ||
      storage::PageGetLinePointer(page, off)->state !=
          static_cast<uint32_t>(storage::LinePointerState::kNormal)) {
    Panic("%s: invalid line pointer %u", what, off);
  }
  return internal::PageGetHeapTuple(page, off);
}

// Re-creates a tuple logged as WalHeapHeader + body (HP15) at `off` of `page`.
void RedoAddTuple(storage::Page page, const std::vector<std::byte>& data, storage::OffsetNumber off,
                  BlockNumber block, TransactionId xmin, uint32_t cid, const char* what,
                  uint64_t xmax = 0) {
  if (data.size() < 5) Panic("%s: tuple data too short", what);
  const size_t len = kHeapTupleHeaderSize + (data.size() - 5);
  HeapTuple tuple(len);
  HeapTupleHeader* h = tuple.header();
  std::memcpy(&h->infomask2, data.data(), 2);
  std::memcpy(&h->infomask, data.data() + 2, 2);
  std::memcpy(&h->hoff, data.data() + 4, 1);
  std::memcpy(tuple.data() + kHeapTupleHeaderSize, data.data() + 5, data.size() - 5);
  h->xmin = xmin.value();
  h->xmax = xmax;  // HP21: an update's new version may inherit lockers
  h->cid = cid;
  h->SetCtid({block, off});
  if (storage::PageMaxOffsetNumber(page) + 1 < off) Panic("%s: invalid max offset number", what);
  if (storage::PageAddItem(page, tuple.data(), len, off, /*overwrite=*/true,
                           /*reuse_unused=*/false) != off) {
    const int max_off = storage::PageMaxOffsetNumber(page);
    Panic("%s: failed to add tuple at offset %u of block %u (max offset %d, line pointer state "
          "%u, %zu bytes, %zu free)",
          what, off, block.value(), max_off,
          off <= max_off ? static_cast<unsigned>(storage::PageGetLinePointer(page, off)->state) : 0u,
          len, storage::PageGetFreeSpace(page));
  }
}

void StampOld(HeapTupleHeader* tuple, uint64_t xmax, uint16_t infomask, uint16_t infomask2,
              uint32_t cid, storage::ItemPointer ctid) {
  tuple->infomask = static_cast<uint16_t>((tuple->infomask & ~kLoggedInfomask) |
                                          (infomask & kLoggedInfomask));
  tuple->infomask2 = static_cast<uint16_t>((tuple->infomask2 & ~kLoggedInfomask2) |
                                           (infomask2 & kLoggedInfomask2));
  tuple->xmax = xmax;
  tuple->cid = cid;
  tuple->SetCtid(ctid);
}

void RedoInsert(const DecodedRecord& record) {
  const auto rec = MainOrPanic<WalHeapInsert>(record, "heap insert redo");
  const transam::DecodedBlockRef& ref = BlockOrPanic(record, 0, "heap insert redo");
  if (rec.flags & kWalHeapAllVisibleCleared) VisibilityMapRedoClear(ref.rel, ref.block);
  storage::Buffer buffer = storage::kInvalidBuffer;
  const RedoAction action = transam::ReadBufferForRedo(record, 0, &buffer);
  if (action == RedoAction::kNeedsRedo) {
    storage::Page page = storage::BufferGetPage(buffer);
    if (record.info & kWalHeapInitPage) storage::PageInit(page, 0);
    RedoAddTuple(page, ref.data, rec.offset, ref.block, record.xid, rec.cid, "heap insert redo");
    if (rec.flags & kWalHeapAllVisibleCleared) internal::PageClearAllVisible(page);
    FinishRedo(record, buffer);
  }
  Release(action, buffer);
}

void RedoDelete(const DecodedRecord& record) {
  const auto rec = MainOrPanic<WalHeapDelete>(record, "heap delete redo");
  const transam::DecodedBlockRef& ref = BlockOrPanic(record, 0, "heap delete redo");
  if (rec.flags & kWalHeapAllVisibleCleared) VisibilityMapRedoClear(ref.rel, ref.block);
  storage::Buffer buffer = storage::kInvalidBuffer;
  const RedoAction action = transam::ReadBufferForRedo(record, 0, &buffer);
  if (action == RedoAction::kNeedsRedo) {
    storage::Page page = storage::BufferGetPage(buffer);
    HeapTupleHeader* tuple = RedoTuple(page, rec.offset, "heap delete redo");
    StampOld(tuple, rec.xmax, rec.infomask, rec.infomask2, rec.cid, {ref.block, rec.offset});
    internal::PageSetPrunable(page, record.xid);  // the deleter (rec.xmax may be a multi)
    if (rec.flags & kWalHeapAllVisibleCleared) internal::PageClearAllVisible(page);
    FinishRedo(record, buffer);
  }
  Release(action, buffer);
}

void RedoUpdate(const DecodedRecord& record) {
  const char* what = "heap update redo";
  const auto rec = MainOrPanic<WalHeapUpdate>(record, what);
  const transam::DecodedBlockRef& new_ref = BlockOrPanic(record, 0, what);
  const transam::DecodedBlockRef* old_ref = record.Block(1);
  const storage::ItemPointer new_tid{new_ref.block, rec.new_offset};
  const bool same_page = old_ref == nullptr;

  // The old page first (a different block: its own buffer).
  if (!same_page) {
    if (rec.flags & kWalHeapAllVisibleCleared) VisibilityMapRedoClear(old_ref->rel, old_ref->block);
    storage::Buffer obuf = storage::kInvalidBuffer;
    const RedoAction action = transam::ReadBufferForRedo(record, 1, &obuf);
    if (action == RedoAction::kNeedsRedo) {
      storage::Page page = storage::BufferGetPage(obuf);
      HeapTupleHeader* old = RedoTuple(page, rec.old_offset, what);
      StampOld(old, rec.old_xmax, rec.old_infomask, rec.old_infomask2, rec.old_cid, new_tid);
      internal::PageSetPrunable(page, record.xid);
      if (rec.flags & kWalHeapAllVisibleCleared) internal::PageClearAllVisible(page);
      FinishRedo(record, obuf);
    }
    Release(action, obuf);
  }

  const bool clear_new = same_page ? (rec.flags & kWalHeapAllVisibleCleared) != 0
                                   : (rec.flags & kWalHeapNewAllVisibleCleared) != 0;
  if (clear_new) VisibilityMapRedoClear(new_ref.rel, new_ref.block);
  storage::Buffer nbuf = storage::kInvalidBuffer;
  const RedoAction action = transam::ReadBufferForRedo(record, 0, &nbuf);
  if (action == RedoAction::kNeedsRedo) {
    storage::Page page = storage::BufferGetPage(nbuf);
    if (record.info & kWalHeapInitPage) storage::PageInit(page, 0);
    RedoAddTuple(page, new_ref.data, rec.new_offset, new_ref.block, record.xid, rec.new_cid, what,
                 rec.new_xmax);
    if (same_page) {
      HeapTupleHeader* old = RedoTuple(page, rec.old_offset, what);
      StampOld(old, rec.old_xmax, rec.old_infomask, rec.old_infomask2, rec.old_cid, new_tid);
      internal::PageSetPrunable(page, record.xid);
    }
    if (clear_new) internal::PageClearAllVisible(page);
    FinishRedo(record, nbuf);
  }
  Release(action, nbuf);
}

void RedoLock(const DecodedRecord& record) {
  const auto rec = MainOrPanic<WalHeapLock>(record, "heap lock redo");
  const transam::DecodedBlockRef& ref = BlockOrPanic(record, 0, "heap lock redo");
  storage::Buffer buffer = storage::kInvalidBuffer;
  const RedoAction action = transam::ReadBufferForRedo(record, 0, &buffer);
  if (action == RedoAction::kNeedsRedo) {
    storage::Page page = storage::BufferGetPage(buffer);
    HeapTupleHeader* tuple = RedoTuple(page, rec.offset, "heap lock redo");
    const uint32_t cid = tuple->cid;  // a lock leaves the command id alone
    const uint16_t combo = tuple->infomask & kHeapComboCid;
    // HP3 / HP22: a lock-only xmax has no successor; a lock that keeps a committed update
    // (a multi) keeps the chain link.
    const storage::ItemPointer ctid = (rec.infomask & kHeapXmaxLockOnly) != 0
                                          ? storage::ItemPointer{ref.block, rec.offset}
                                          : tuple->Ctid();
    StampOld(tuple, rec.locker, static_cast<uint16_t>((rec.infomask & ~kHeapComboCid) | combo),
             rec.infomask2, cid, ctid);
    FinishRedo(record, buffer);
  }
  Release(action, buffer);
}

// PostgreSQL's out_infobits: the xmax bits a record sets, as words.
std::string InfoBits(uint16_t infomask, uint16_t infomask2) {
  std::string out;
  if ((infomask & kHeapXmaxExclLock) && !(infomask & kHeapXmaxKeyShrLock)) out += "EXCL_LOCK ";
  if ((infomask & kHeapXmaxShrLock) == kHeapXmaxShrLock) out += "SHR_LOCK ";
  if ((infomask & kHeapXmaxKeyShrLock) && !(infomask & kHeapXmaxExclLock)) out += "KEYSHR_LOCK ";
  if (infomask & kHeapXmaxLockOnly) out += "LOCK_ONLY ";
  if (infomask & kHeapXmaxIsMulti) out += "IS_MULTI ";
  if (infomask2 & kHeapKeysUpdated) out += "KEYS_UPDATED ";
  return out;
}

std::string TrimRight(std::string s) {
  while (!s.empty() && s.back() == ' ') s.pop_back();
  return s;
}

}  // namespace

void HeapRedo(const transam::DecodedRecord& record) {
  // X2: xids seen in WAL must stay below the next xid even when their commit record is lost.
  if (transam::TransactionIdIsNormal(record.xid)) transam::AdvanceNextTransactionIdPast(record.xid);
  switch (record.info & kWalHeapOpMask) {
    case kWalHeapInsert: RedoInsert(record); break;
    case kWalHeapDelete: RedoDelete(record); break;
    case kWalHeapUpdate:
    case kWalHeapHotUpdate: RedoUpdate(record); break;
    case kWalHeapLock: RedoLock(record); break;
    default: Panic("heap redo: unknown op code %u", record.info);
  }
}

std::string HeapDescribe(const transam::DecodedRecord& record) {
  switch (record.info & kWalHeapOpMask) {
    case kWalHeapInsert: {
      WalHeapInsert rec{};
      if (!ReadMain(record, &rec)) break;
      return Format("off %u flags 0x%02X", rec.offset, rec.flags);
    }
    case kWalHeapDelete: {
      WalHeapDelete rec{};
      if (!ReadMain(record, &rec)) break;
      return TrimRight(Format("off %u flags 0x%02X ", rec.offset, rec.flags) +
                       InfoBits(rec.infomask, rec.infomask2));
    }
    case kWalHeapUpdate:
    case kWalHeapHotUpdate: {
      WalHeapUpdate rec{};
      if (!ReadMain(record, &rec)) break;
      return Format("off %u xmax %" PRIu64 " flags 0x%02X ", rec.old_offset, rec.old_xmax,
                    rec.flags) +
             InfoBits(rec.old_infomask, rec.old_infomask2) +
             Format("; new off %u xmax %" PRIu64, rec.new_offset, rec.new_xmax);
    }
    case kWalHeapLock: {
      WalHeapLock rec{};
      if (!ReadMain(record, &rec)) break;
      return TrimRight(Format("off %u: xid %" PRIu64 ": flags 0x%02X ", rec.offset, rec.locker,
                              rec.flags) +
                       InfoBits(rec.infomask, rec.infomask2));
    }
    default:
      break;
  }
  return "<invalid>";
}

const char* HeapIdentify(uint8_t info) {
  const bool init = (info & kWalHeapInitPage) != 0;
  switch (info & kWalHeapOpMask) {
    case kWalHeapInsert: return init ? "INSERT+INIT" : "INSERT";
    case kWalHeapDelete: return "DELETE";
    case kWalHeapUpdate: return init ? "UPDATE+INIT" : "UPDATE";
    case kWalHeapHotUpdate: return init ? "HOT_UPDATE+INIT" : "HOT_UPDATE";
    case kWalHeapLock: return "LOCK";
    default: return nullptr;
  }
}

void RegisterHeapRmgrs() {
  transam::RegisterRmgr(transam::RmgrId::kHeap,
                        transam::RmgrOps{"Heap", &HeapRedo, &HeapDescribe, &HeapIdentify});
  transam::RegisterRmgr(transam::RmgrId::kHeap2,
                        transam::RmgrOps{"Heap2", &Heap2Redo, &Heap2Describe, &Heap2Identify});
}

}  // namespace keel::access
