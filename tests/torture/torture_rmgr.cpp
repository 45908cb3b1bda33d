// The torture test's resource manager; see torture_rmgr.h.
#include "tests/torture/torture_rmgr.h"

#include <cstring>

#include "access/transam/redo_buffer.h"
#include "access/transam/rmgr.h"
#include "access/transam/wal_reader.h"
#include "backend/utils/error/error.h"
#include "backend/utils/error/format.h"
#include "storage/buffer/bufmgr.h"
#include "storage/page/page.h"

namespace keel::torture {
namespace {

struct SetSlotData {
  uint32_t index;
  uint32_t padding;
  uint64_t value;
};

void InitPage(storage::Page page) {
  storage::PageInit(page, 0);
  uint64_t slots[kSlotsPerPage] = {};
  if (storage::PageAddItem(page, slots, sizeof(slots), storage::kInvalidOffsetNumber, false,
                           false) != storage::kFirstOffsetNumber) {
    Panic("torture page item does not fit");
  }
}

void Redo(const transam::DecodedRecord& record) {
  if (record.info == kCommit) return;
  storage::Buffer buffer = storage::kInvalidBuffer;
  transam::RedoAction action = transam::ReadBufferForRedo(record, 0, &buffer);
  if (action == transam::RedoAction::kNotFound) return;
  if (action == transam::RedoAction::kNeedsRedo) {
    storage::Page page = storage::BufferGetPage(buffer);
    if (record.info == kInitPage) {
      InitPage(page);
    } else {
      const transam::DecodedBlockRef* ref = record.Block(0);
      SetSlotData data;
      if (ref == nullptr || ref->data.size() != sizeof(data)) Panic("bad torture record");
      memcpy(&data, ref->data.data(), sizeof(data));
      auto* slots = reinterpret_cast<uint64_t*>(
          storage::PageGetItem(page, storage::PageGetLinePointer(page, storage::kFirstOffsetNumber)));
      slots[data.index] = data.value;
    }
    storage::PageSetLsn(page, record.end_lsn);
    storage::MarkBufferDirty(buffer);
  }
  storage::UnlockBuffer(buffer);
  storage::ReleaseBuffer(buffer);
}

std::string Describe(const transam::DecodedRecord& record) {
  if (record.info == kSetSlot) {
    const transam::DecodedBlockRef* ref = record.Block(0);
    SetSlotData data{};
    if (ref != nullptr && ref->data.size() == sizeof(data)) memcpy(&data, ref->data.data(), sizeof(data));
    return Format("index %u value %llu", data.index, static_cast<unsigned long long>(data.value));
  }
  return "";
}

const char* Identify(uint8_t info) {
  switch (info) {
    case kInitPage: return "INIT_PAGE";
    case kSetSlot: return "SET_SLOT";
    case kCommit: return "COMMIT";
  }
  return nullptr;
}

}  // namespace

void RegisterTortureRmgr() {
  transam::RegisterRmgr(transam::RmgrId::kTest, transam::RmgrOps{"Torture", &Redo, &Describe, &Identify});
}

// Exposed to the backend (same library).
void TortureInitPage(storage::Page page) { InitPage(page); }

}  // namespace keel::torture
