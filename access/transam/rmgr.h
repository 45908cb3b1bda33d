// Resource managers: each kind of WAL record belongs to one, which knows how to redo it and
// how to describe it for keel-waldump. Registered from C++ tables. See README.md (W-section).
#pragma once

#include <cstdint>
#include <string>

namespace keel::transam {

class DecodedRecord;

enum class RmgrId : uint8_t {
  kXlog = 0,      // checkpoints, full-page images, no-ops, end of recovery (wal_xlog.h)
  kStorage = 1,   // relation file create / truncate
  kClog = 2,      // commit log page zeroing / truncation (clog.h)
  kCommitTs = 3,  // commit timestamp page zeroing / truncation (commit_ts.h)
  kXact = 4,      // commit, abort, subtransaction abort (xact.h)
  kHeap = 5,      // heap insert, delete, update, HOT update, lock, in-place (heap_wal.h)
  kHeap2 = 6,     // heap pruning, vacuum, visibility-map set, multi-insert (heap_wal.h)
  kMultiXact = 7, // multixact creation (multixact.h)
  kBtree = 8,     // B+tree index insert, split, new root, vacuum (access/nbtree/README.md)
  kDatabase = 9,  // database directory copy (storage/smgr/database_dir.h)
  // 10..239: table AM, index AMs, transactions, ... as later issues add them
  kTest = 250,    // the crash torture test's resource manager (tests/)
};
inline constexpr int kMaxRmgrs = 256;

struct RmgrOps {
  const char* name;  // "XLOG", "Storage", "Heap", ...
  // Applies the record during recovery. Runs in the startup process.
  void (*redo)(const DecodedRecord& record);
  // One line for keel-waldump: "checkpoint: redo 0/1000028; tli 1; ..." (no rmgr name).
  std::string (*describe)(const DecodedRecord& record);
  // Short name of the record type from its info byte: "CHECKPOINT_SHUTDOWN".
  const char* (*identify)(uint8_t info);
};

// Registers (or replaces) the ops of one id. Each process registers at start-up, before any
// redo or dump; the built-in ones are registered by RegisterBuiltinRmgrs().
void RegisterRmgr(RmgrId id, const RmgrOps& ops);
[[nodiscard]] const RmgrOps* GetRmgr(RmgrId id);   // nullptr when unknown
void RegisterBuiltinRmgrs();

}  // namespace keel::transam
