// Redo, describe and identify of the kHeap2 records: prune, vacuum (dead -> unused) and
// visible (visibility-map bit set). Layouts in heap_wal.h; README.md ("WAL records").
#include <cinttypes>
#include <cstring>
#include <vector>

#include "access/heap/heap_wal.h"
#include "access/heap/prune_internal.h"
#include "access/heap/visibility_map.h"
#include "access/transam/redo_buffer.h"
#include "access/transam/wal_reader.h"
#include "backend/utils/error/error.h"
#include "backend/utils/error/format.h"
#include "storage/freespace/fsm.h"
#include "storage/page/page.h"

namespace keel::access {
namespace {

template <typename T>
bool MainDataAs(const transam::DecodedRecord& record, T* out) {
  if (record.main_data.size() < sizeof(T)) return false;
  std::memcpy(out, record.main_data.data(), sizeof(T));
  return true;
}

std::vector<uint16_t> Offsets(const transam::DecodedBlockRef& ref) {
  std::vector<uint16_t> offsets(ref.data.size() / sizeof(uint16_t));
  if (!offsets.empty()) std::memcpy(offsets.data(), ref.data.data(), offsets.size() * sizeof(uint16_t));
  return offsets;
}

[[noreturn]] void BadRecord(const transam::DecodedRecord& record, const char* what) {
  Panic("invalid heap2 %s record at %s", what, transam::LsnToString(record.lsn).c_str());
}

// Like the original, redo tells the free space map what the page has now: after a crash the
// map (not WAL-logged) would otherwise forget the space VACUUM freed.
void RecordFreeSpaceAfterRedo(const transam::DecodedBlockRef& ref, size_t free_bytes) {
  storage::FsmRecordFreeSpace(ref.rel, ref.block, free_bytes);
}

void RedoPrune(const transam::DecodedRecord& record) {
  WalHeap2Prune xl;
  if (!MainDataAs(record, &xl)) BadRecord(record, "prune");
  storage::Buffer buffer = storage::kInvalidBuffer;
  const transam::RedoAction action = transam::ReadBufferForRedo(record, 0, &buffer);
  if (action == transam::RedoAction::kNotFound) return;
  size_t free_bytes = 0;
  if (action == transam::RedoAction::kNeedsRedo) {
    const std::vector<uint16_t> offsets = Offsets(*record.Block(0));
    const size_t expected = 2u * xl.nredirected + xl.ndead + xl.nunused;
    if (offsets.size() != expected) BadRecord(record, "prune");
    std::vector<internal::PruneRedirect> redirected(xl.nredirected);
    for (size_t i = 0; i < xl.nredirected; ++i) {
      redirected[i] = {offsets[2 * i], offsets[2 * i + 1]};
    }
    const std::span<const uint16_t> rest(offsets.data() + 2u * xl.nredirected,
                                         offsets.size() - 2u * xl.nredirected);
    storage::Page page = storage::BufferGetPage(buffer);
    internal::HeapPagePruneExecute(page, redirected, rest.first(xl.ndead), rest.subspan(xl.ndead),
                                   xl.new_prune_xid);
    storage::PageSetLsn(page, record.end_lsn);
    storage::MarkBufferDirty(buffer);
  }
  free_bytes = storage::PageGetFreeSpace(storage::BufferGetPage(buffer));
  storage::UnlockBuffer(buffer);
  storage::ReleaseBuffer(buffer);
  RecordFreeSpaceAfterRedo(*record.Block(0), free_bytes);
}

void RedoVacuum(const transam::DecodedRecord& record) {
  WalHeap2Vacuum xl;
  if (!MainDataAs(record, &xl)) BadRecord(record, "vacuum");
  storage::Buffer buffer = storage::kInvalidBuffer;
  const transam::RedoAction action = transam::ReadBufferForRedo(record, 0, &buffer);
  if (action == transam::RedoAction::kNotFound) return;
  if (action == transam::RedoAction::kNeedsRedo) {
    const std::vector<uint16_t> offsets = Offsets(*record.Block(0));
    if (offsets.size() != xl.nunused) BadRecord(record, "vacuum");
    storage::Page page = storage::BufferGetPage(buffer);
    internal::HeapPageVacuumExecute(page, offsets);
    storage::PageSetLsn(page, record.end_lsn);
    storage::MarkBufferDirty(buffer);
  }
  const size_t free_bytes = storage::PageGetFreeSpace(storage::BufferGetPage(buffer));
  storage::UnlockBuffer(buffer);
  storage::ReleaseBuffer(buffer);
  RecordFreeSpaceAfterRedo(*record.Block(0), free_bytes);
}

void RedoVisible(const transam::DecodedRecord& record) {
  WalHeap2Visible xl;
  if (!MainDataAs(record, &xl)) BadRecord(record, "visible");
  const transam::DecodedBlockRef* map_ref = record.Block(kHeap2VisibleMapBlockId);
  if (map_ref == nullptr || record.Block(kHeap2VisibleHeapBlockId) == nullptr) {
    BadRecord(record, "visible");
  }
  // V5: the heap page's flag first, then the bit, each by its own page's LSN.
  storage::Buffer heap_buffer = storage::kInvalidBuffer;
  const transam::RedoAction heap_action =
      transam::ReadBufferForRedo(record, kHeap2VisibleHeapBlockId, &heap_buffer);
  if (heap_action == transam::RedoAction::kNeedsRedo) {
    storage::Page page = storage::BufferGetPage(heap_buffer);
    storage::GetPageHeader(page)->flags |= storage::kPageAllVisible;
    storage::PageSetLsn(page, record.end_lsn);
    storage::MarkBufferDirty(heap_buffer);
  }
  if (heap_buffer != storage::kInvalidBuffer) {
    storage::UnlockBuffer(heap_buffer);
    storage::ReleaseBuffer(heap_buffer);
  }
  storage::Buffer map_buffer = storage::kInvalidBuffer;
  const transam::RedoAction map_action =
      transam::ReadBufferForRedo(record, kHeap2VisibleMapBlockId, &map_buffer);
  if (map_action == transam::RedoAction::kNeedsRedo) {
    VisibilityMapRedoSet(map_ref->rel, BlockNumber(xl.heap_block), map_buffer);
    storage::PageSetLsn(storage::BufferGetPage(map_buffer), record.end_lsn);
    storage::MarkBufferDirty(map_buffer);
  }
  if (map_buffer != storage::kInvalidBuffer) {
    storage::UnlockBuffer(map_buffer);
    storage::ReleaseBuffer(map_buffer);
  }
}

}  // namespace

void Heap2Redo(const transam::DecodedRecord& record) {
  switch (record.info) {
    case kWalHeap2Prune: RedoPrune(record); return;
    case kWalHeap2Vacuum: RedoVacuum(record); return;
    case kWalHeap2Visible: RedoVisible(record); return;
    default:
      Panic("heap2_redo: unknown op code %u at %s", static_cast<unsigned>(record.info),
            transam::LsnToString(record.lsn).c_str());
  }
}

std::string Heap2Describe(const transam::DecodedRecord& record) {
  switch (record.info) {
    case kWalHeap2Prune: {
      WalHeap2Prune xl;
      if (!MainDataAs(record, &xl)) return "(invalid prune record)";
      return Format("latestRemovedXid %" PRIu64 " nredirected %u ndead %u nunused %u pruneXid %" PRIu64,
                    xl.latest_removed_xid, static_cast<unsigned>(xl.nredirected),
                    static_cast<unsigned>(xl.ndead), static_cast<unsigned>(xl.nunused),
                    xl.new_prune_xid);
    }
    case kWalHeap2Vacuum: {
      WalHeap2Vacuum xl;
      if (!MainDataAs(record, &xl)) return "(invalid vacuum record)";
      return Format("nunused %u", static_cast<unsigned>(xl.nunused));
    }
    case kWalHeap2Visible: {
      WalHeap2Visible xl;
      if (!MainDataAs(record, &xl)) return "(invalid visible record)";
      return Format("heap block %u", xl.heap_block);
    }
    default:
      return "";
  }
}

const char* Heap2Identify(uint8_t info) {
  switch (info) {
    case kWalHeap2Prune: return "PRUNE";
    case kWalHeap2Vacuum: return "VACUUM";
    case kWalHeap2Visible: return "VISIBLE";
    default: return nullptr;
  }
}

}  // namespace keel::access
