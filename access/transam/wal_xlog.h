// Records of the XLOG resource manager: checkpoints, standalone full-page images, no-ops,
// end of recovery; and of the Storage resource manager: relation file create and truncate.
// Main-data layouts: README.md.
#pragma once

#include <cstdint>

#include "access/transam/wal.h"
#include "storage/common/ids.h"

namespace keel::transam {

// XLOG info values.
inline constexpr uint8_t kXlogCheckpointShutdown = 0x00;
inline constexpr uint8_t kXlogCheckpointOnline = 0x10;
inline constexpr uint8_t kXlogNoop = 0x20;
inline constexpr uint8_t kXlogFpi = 0x30;            // one or more page images, nothing else
inline constexpr uint8_t kXlogEndOfRecovery = 0x40;
inline constexpr uint8_t kXlogNextOid = 0x50;        // main data: u32, the first oid not reserved

struct CheckpointRecord {   // main data of both checkpoint kinds
  uint64_t redo_lsn;        // where replay must start
  uint32_t timeline;
  uint32_t next_oid;
  uint64_t next_xid;
  int64_t time_s;           // wall-clock time the checkpoint started
  uint8_t full_page_writes;
  uint8_t padding[7];
  uint64_t next_multi;      // next MultiXactId to assign (multixact.h, M5)
  uint64_t next_multi_offset;  // next multixact member offset
};
static_assert(sizeof(CheckpointRecord) == 56);

struct EndOfRecoveryRecord {  // main data of kXlogEndOfRecovery
  int64_t time_s;             // wall-clock time recovery ended
  uint32_t timeline;          // the timeline new WAL is written on
  uint32_t prev_timeline;     // the timeline recovery replayed
};
static_assert(sizeof(EndOfRecoveryRecord) == 16);

// Storage info values.
inline constexpr uint8_t kStorageCreate = 0x10;
inline constexpr uint8_t kStorageTruncate = 0x20;
struct StorageCreateRecord {
  RelFileLocator rel;
  ForkNumber fork;
  uint8_t padding[3];
};
struct StorageTruncateRecord {
  RelFileLocator rel;
  BlockNumber nblocks;      // new length of every fork named in fork_mask
  uint8_t fork_mask;        // bit per ForkNumber
  uint8_t padding[3];
};

// The oid counter lives with the transaction system (transam.h), above this library: redo of
// NEXTOID and of shutdown checkpoints hands the value to the function installed here
// (RegisterXactRmgr installs SetNextObjectId). Redo of NEXTOID without one is a PANIC.
using NextOidRedoFn = void (*)(Oid next_oid);
void SetNextOidRedoFunction(NextOidRedoFn fn);

// WAL-logs a relation file creation (redo creates it) and performs it.
void LogAndCreateRelationFork(const RelFileLocator& rel, ForkNumber fork);
// WAL-logs a truncation, flushes WAL up to it (W20: the file must not be shorter than WAL
// expects after a crash), drops buffers and truncates.
void LogAndTruncateRelation(const RelFileLocator& rel, uint8_t fork_mask, BlockNumber nblocks);
// Writes one page image record for a page built outside shared buffers (bulk loads).
[[nodiscard]] Lsn LogNewPage(const RelFileLocator& rel, ForkNumber fork, BlockNumber block,
                             std::byte* page, bool standard_layout);

}  // namespace keel::transam
