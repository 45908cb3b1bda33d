// Commit timestamps: per transaction id its commit time (µs since the Unix epoch) and origin
// node, in an SLRU under committs/, with WAL records for page zeroing and truncation
// (resource manager kCommitTs). Format and invariants T1-T4: README.md ("SLRU, commit log,
// commit timestamps").
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>

#include "storage/common/ids.h"

namespace keel::transam {

struct SlruCtl;

// track_commit_timestamp: on by default in Keel (time travel, DESIGN.md §10). Process-global;
// set before forking.
extern bool track_commit_timestamp;

// On disk: int64 commit time (µs since 1970-01-01 UTC; 0 = not recorded) then uint32 origin
// node (0 = local), packed, host byte order.
inline constexpr uint32_t kCommitTsEntryBytes = 12;
inline constexpr uint64_t kCommitTsXidsPerPage = 8192 / kCommitTsEntryBytes;  // 682
inline constexpr int kCommitTsDefaultBuffers = 16;
inline constexpr char kCommitTsDirectory[] = "committs";

// WAL info values of RmgrId::kCommitTs; main data is one int64_t page number.
inline constexpr uint8_t kCommitTsZeroPage = 0x00;
inline constexpr uint8_t kCommitTsTruncate = 0x10;

[[nodiscard]] constexpr int64_t CommitTsPageOf(TransactionId xid) {
  return static_cast<int64_t>(xid.value() / kCommitTsXidsPerPage);
}

[[nodiscard]] size_t CommitTsShmemSize(int num_buffers = kCommitTsDefaultBuffers);
void CommitTsShmemInit(int num_buffers = kCommitTsDefaultBuffers);
// Requires: CommitTsShmemInit ran in this process or an ancestor.
[[nodiscard]] const SlruCtl& CommitTsCtl();

// As ClogExtend: zeroes and WAL-logs the page of `xid` when `xid` is the first of its page
// (or the first normal xid). No-op when track_commit_timestamp is off.
void CommitTsExtend(TransactionId xid);
// Records `time_us` (node 0) for `xid`. No-op when track_commit_timestamp is off.
// Requires: time_us != 0; the page was zeroed by CommitTsExtend (or exists on disk).
// Throws keel::Error "could not access status of transaction ..." on I/O failure.
void CommitTsSet(TransactionId xid, int64_t time_us);
// The recorded commit time of `xid`; nullopt when none was recorded (T2).
// Throws keel::Error 55000 "could not get commit timestamp data" when tracking is off, and
// like CommitTsSet on I/O failure (e.g. a truncated page).
[[nodiscard]] std::optional<int64_t> CommitTsGet(TransactionId xid);

void CommitTsFlushAll();
// Removes segments wholly below the page of `oldest_xid` (WAL first, as ClogTruncate).
void CommitTsTruncate(TransactionId oldest_xid);

// Registers RmgrId::kCommitTs (called by RegisterClogRmgrs).
void RegisterCommitTsRmgr();

}  // namespace keel::transam
