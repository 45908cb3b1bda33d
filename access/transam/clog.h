// The commit log: two status bits per 64-bit transaction id in an SLRU under xact/, with WAL
// records for zeroing a new page and for truncation (resource manager kClog). Format and
// invariants C1-C5: README.md ("SLRU, commit log, commit timestamps").
#pragma once

#include <cstddef>
#include <cstdint>

#include "storage/common/ids.h"

namespace keel::transam {

struct SlruCtl;

enum class XidStatus : uint8_t {
  kInProgress = 0,
  kCommitted = 1,
  kAborted = 2,
  kSubCommitted = 3,
};

inline constexpr uint64_t kClogXidsPerByte = 4;
inline constexpr uint64_t kClogXidsPerPage = 8192 * kClogXidsPerByte;  // 32768
inline constexpr int kClogDefaultBuffers = 32;
inline constexpr char kClogDirectory[] = "xact";

// WAL info values of RmgrId::kClog; main data is one int64_t page number.
inline constexpr uint8_t kClogZeroPage = 0x00;
inline constexpr uint8_t kClogTruncate = 0x10;

[[nodiscard]] constexpr int64_t ClogPageOf(TransactionId xid) {
  return static_cast<int64_t>(xid.value() / kClogXidsPerPage);
}

// Set-up: shared memory size and creation (postmaster, before forking; a child calling
// ClogShmemInit finds the existing structure).
[[nodiscard]] size_t ClogShmemSize(int num_buffers = kClogDefaultBuffers);
void ClogShmemInit(int num_buffers = kClogDefaultBuffers);
// Requires: ClogShmemInit ran in this process or an ancestor.
[[nodiscard]] const SlruCtl& ClogCtl();

// Called for each new xid as it is assigned, in increasing order: when `xid` is the first of
// its page (or the first normal xid, 3), zeroes that page and WAL-logs the zeroing (C2).
// Requires: WAL insertion running; control lock not held.
void ClogExtend(TransactionId xid);
// Records the status of `xid`. `commit_lsn` is the end of the commit (or abort) record; for
// an asynchronous commit the page is not written before WAL is durable up to it (C3, S5).
// kInvalidLsn when no such constraint is needed (redo, synchronous commit already flushed).
// Requires: the page was zeroed by ClogExtend (or exists on disk).
// Throws keel::Error "could not access status of transaction ..." on I/O failure.
void TransactionIdSetStatus(TransactionId xid, XidStatus status, Lsn commit_lsn);
// Throws like TransactionIdSetStatus.
[[nodiscard]] XidStatus TransactionIdGetStatus(TransactionId xid);
// An LSN at or past the end of `xid`'s commit record when that commit may not be durable yet
// (asynchronous commit), else kInvalidLsn: the WAL-flush position of its clog page (C3), a
// conservative bound shared by the page's xids. Hint bits saying "committed" must not reach
// disk before WAL is durable up to it (C6). Throws like TransactionIdGetStatus.
[[nodiscard]] Lsn TransactionIdGetCommitLsnBound(TransactionId xid);

// Checkpoint: every dirty clog page written and fsynced (SlruFlushAll).
void ClogFlushAll();
// Removes segments wholly below the page of `oldest_xid`: WAL-logs the truncation, flushes
// WAL to it (W20's rule), then removes the files (C4).
void ClogTruncate(TransactionId oldest_xid);

// Registers the kClog and kCommitTs resource managers (redo/describe/identify) in this
// process. The lead wires this into RegisterBuiltinRmgrs.
void RegisterClogRmgrs();

}  // namespace keel::transam
