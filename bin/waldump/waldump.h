// keel-waldump's work: reading WAL with the server's reader and printing records the way
// pg_waldump does, or per-resource-manager statistics. See bin/waldump/README.md and
// access/transam/README.md (the WAL format).
#pragma once

#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>

#include "access/transam/rmgr.h"
#include "access/transam/wal_reader.h"
#include "storage/common/ids.h"

namespace keel::tools {

struct WaldumpOptions {
  std::string wal_dir;                      // the wal/ directory
  std::optional<Lsn> start;                 // default: first record of the oldest segment
  std::optional<Lsn> end;                   // stop before the first record at or past it
  long limit = -1;                          // -n: at most this many records (-1: all)
  std::optional<transam::RmgrId> rmgr;      // -r: only this resource manager's records
  bool stats = false;                       // --stats: a summary instead of the records
};

// Registers the resource managers keel-waldump knows (the built-in ones, and a generic
// description for the tests' one). Call once before RunWaldump / FormatRecord.
void RegisterWaldumpRmgrs();

// One record as pg_waldump prints it (no newline):
// "rmgr: XLOG        len (rec/tot):    114/   114, tx:          0, lsn: 0/01000028,
//  prev 0/00000000, desc: CHECKPOINT_SHUTDOWN redo 0/1000028; ..., blkref #0: rel 1663/5/16384
//  blk 0 FPW"
[[nodiscard]] std::string FormatRecord(const transam::DecodedRecord& record);

// The resource manager called `name` (case-insensitive), if any.
[[nodiscard]] std::optional<transam::RmgrId> RmgrByName(const std::string& name);
// Every registered resource manager name, one per line (for "-r list").
[[nodiscard]] std::string RmgrNames();

// Reads and prints; returns the exit code: 0 when -e or -n ended the dump, 1 when the log
// ended (or was unreadable) first — as pg_waldump, whose run without -e always ends with
// "error in WAL record at ...". Errors go to stderr in the tools' style.
[[nodiscard]] int RunWaldump(const WaldumpOptions& options, FILE* out);

}  // namespace keel::tools
