// Helpers for the tests of storage that follows transactions (pending_deletes_test,
// storage/smgr/database_dir_test): WAL-logged pages with a payload, reading them back through
// the buffer pool, the state of a relation's main fork on disk, and the description of the
// last record of a kind. Requires a ServerHarness (this process is a backend).
#pragma once

#include <sys/stat.h>

#include <cstdint>
#include <cstring>
#include <optional>
#include <string>

#include "access/transam/rmgr.h"
#include "access/transam/wal.h"
#include "access/transam/wal_reader.h"
#include "access/transam/wal_record.h"
#include "access/transam/wal_xlog.h"
#include "storage/buffer/bufmgr.h"
#include "storage/page/page.h"
#include "storage/smgr/smgr.h"
#include "tests/server/server_harness.h"

namespace keel::transam::testing {

[[nodiscard]] inline RelFileLocator TestLocator(uint32_t rel,
                                                uint32_t db = keel::testing::kTestDb) {
  return RelFileLocator{Oid(1663), Oid(db), Oid(rel)};
}

// Appends a page holding one item, `payload`, to the main fork, WAL-logged as a full-page
// image (redo restores it: the file and the page survive a crash once the WAL is durable).
inline void AppendPage(const RelFileLocator& rel, uint64_t payload) {
  const auto [buffer, block] = storage::ExtendBuffer(rel, ForkNumber::kMain);
  storage::Page page = storage::BufferGetPage(buffer);
  storage::PageInit(page, 0);
  (void)storage::PageAddItem(page, &payload, sizeof(payload), storage::kInvalidOffsetNumber,
                             false, false);
  storage::MarkBufferDirty(buffer);
  WalRecordBuilder builder;
  builder.RegisterBuffer(0, buffer, kRegForceImage | kRegStandard);
  const Lsn lsn = builder.Insert(RmgrId::kXlog, kXlogFpi);
  storage::PageSetLsn(page, lsn);
  storage::UnlockBuffer(buffer);
  storage::ReleaseBuffer(buffer);
}

// The payload of `block` read through the buffer pool. Throws when the block cannot be read
// (the file is gone or empty and no buffer holds the page).
[[nodiscard]] inline uint64_t ReadPayload(const RelFileLocator& rel, uint32_t block = 0) {
  storage::PinnedBuffer pin(storage::ReadBuffer(rel, ForkNumber::kMain, BlockNumber(block)));
  storage::BufferLockGuard lock(pin.get(), storage::BufferLockMode::kShare);
  storage::Page page = storage::BufferGetPage(pin.get());
  uint64_t payload = 0;
  std::memcpy(&payload, storage::PageGetItem(page, storage::PageGetLinePointer(page, 1)),
              sizeof(payload));
  return payload;
}

enum class FileState { kMissing, kEmpty, kHasData };

// What is on disk at `path` (relative to the harness's data directory, which is the cwd).
[[nodiscard]] inline FileState StateOf(const std::string& path) {
  struct stat st;
  if (stat(path.c_str(), &st) != 0) return FileState::kMissing;
  return st.st_size == 0 ? FileState::kEmpty : FileState::kHasData;
}
[[nodiscard]] inline FileState MainForkState(const RelFileLocator& rel) {
  return StateOf(storage::RelationPath(rel, ForkNumber::kMain));
}
// Dropped: the main fork's name may stay (empty) until the next checkpoint (storage/smgr SM5).
[[nodiscard]] inline bool IsDropped(const RelFileLocator& rel) {
  return MainForkState(rel) != FileState::kHasData;
}

// The description ("identify: describe") of the last record of `rmgr` with `info` at or after
// `start`, or nullopt.
[[nodiscard]] inline std::optional<std::string> LastRecordText(const std::string& dir, Lsn start,
                                                               RmgrId rmgr, uint8_t info) {
  WalFlush(WalInsertPosition());
  WalReader reader(dir + "/wal", start);
  std::optional<std::string> text;
  while (std::optional<DecodedRecord> record = reader.Next()) {
    if (record->rmgr != rmgr || record->info != info) continue;
    const RmgrOps* ops = GetRmgr(rmgr);
    text = std::string(ops->identify(info)) + ": " + ops->describe(*record);
  }
  return text;
}

}  // namespace keel::transam::testing
