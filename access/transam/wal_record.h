// Building and inserting one WAL record: the record header, block references (with optional
// full-page images) and main data of DESIGN.md §5. The byte format is in README.md (W1-W9).
//
// The recipe for a change to a shared page (W5):
//   1. pin and exclusively lock the buffer(s); check there is room etc. (may throw)
//   2. enter a critical section (no throwing, no allocation until 5)
//   3. change the page(s) and MarkBufferDirty
//   4. WalRecordBuilder b; b.RegisterBuffer(0, buf, flags); b.RegisterData(...); lsn = b.Insert(rmgr, info)
//   5. PageSetLsn(page, lsn) for every registered buffer, leave the critical section, unlock.
// WalRecordBuilder reserves its memory up front (W6) so step 4 does not allocate: create it
// (and Reserve if large) before step 2.
#pragma once

#include <cstddef>
#include <cstdint>

#include "access/transam/rmgr.h"
#include "storage/buffer/bufmgr.h"
#include "storage/common/ids.h"

namespace keel::transam {

// RegisterBuffer flags.
inline constexpr uint8_t kRegWillInit = 0x01;    // redo re-initialises the page: never an image
inline constexpr uint8_t kRegForceImage = 0x02;  // always include a full-page image
inline constexpr uint8_t kRegNoImage = 0x04;     // never include an image (caller knows why)
inline constexpr uint8_t kRegStandard = 0x08;    // standard page layout: the hole between lower
                                                 // and upper is left out of the image
inline constexpr int kMaxBlockRefs = 32;

class WalRecordBuilder {
 public:
  WalRecordBuilder();
  ~WalRecordBuilder();
  WalRecordBuilder(const WalRecordBuilder&) = delete;
  WalRecordBuilder& operator=(const WalRecordBuilder&) = delete;

  // Makes room for `data_bytes` of registered data without allocating later.
  void Reserve(size_t data_bytes);
  // A shared buffer the record changes. Requires: pinned and exclusively locked by the caller.
  void RegisterBuffer(uint8_t block_id, storage::Buffer buffer, uint8_t flags);
  // A page outside shared buffers (bulk builds write pages directly): same as RegisterBuffer.
  void RegisterBlock(uint8_t block_id, const RelFileLocator& rel, ForkNumber fork,
                     BlockNumber block, const std::byte* page, uint8_t flags);
  // Data that redo needs only when it has to apply the change to this block (not when a
  // full-page image was restored).
  void RegisterBufData(uint8_t block_id, const void* data, size_t size_bytes);
  // The record's main data.
  void RegisterData(const void* data, size_t size_bytes);
  void SetTransactionId(TransactionId xid);

  // Assembles and inserts the record; returns the LSN just past its end (what a commit must
  // flush to and what pages get as their LSN). Decides full-page images against the current
  // redo pointer (W4) and re-decides if a checkpoint moved it meanwhile. noexcept: a failure
  // here is a PANIC (we are in a critical section).
  Lsn Insert(RmgrId rmgr, uint8_t info) noexcept;

 private:
  struct Impl;
  Impl* impl_;  // preallocated per process and reused; not owned
};

#ifdef KEEL_DEBUG
// Test-only: called inside Insert after the record is assembled and before its space is
// reserved (every attempt), so a test can move the redo pointer exactly there (W4).
// nullptr removes it. Process-local.
void TestOnlySetInsertHook(void (*hook)());
#endif

}  // namespace keel::transam
