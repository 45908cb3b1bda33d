// Two-phase commit internals shared by xact.cpp (PREPARE), xact_redo.cpp (redo and description)
// and twophase.cpp. Not for other modules. Formats and T1-T9: README.md ("Two-phase commit").
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "storage/common/ids.h"
#include "storage/lmgr/lock.h"

namespace keel::transam {

inline constexpr uint32_t kTwoPhaseMagic = 0x4B325043;  // "K2PC"
inline constexpr size_t kGidBytes = 200;                // kMaxGidLength + NUL
inline constexpr size_t kTwoPhaseNameBytes = 64;        // owner / database, NUL-terminated

// Main data of kXactPrepare and, followed by a CRC-32C of it, the body of a state file:
// this header, `num_subxids` uint64 xids, `num_locks` storage::HeldLock entries, then
// `num_commit_rels` and `num_abort_rels` RelFileLocators (pending deletes, D7).
struct TwoPhaseStateHeader {
  uint32_t magic;  // kTwoPhaseMagic
  uint32_t num_subxids;
  uint64_t xid;
  int64_t prepared_at_us;
  uint32_t num_locks;
  uint32_t num_commit_rels;  // storage removed by COMMIT PREPARED (dropped)
  uint32_t num_abort_rels;   // storage removed by ROLLBACK PREPARED (created)
  uint32_t padding;
  char gid[kGidBytes];
  char owner[kTwoPhaseNameBytes];
  char database[kTwoPhaseNameBytes];
};
static_assert(sizeof(TwoPhaseStateHeader) == 368);

// A parsed prepare record / state file.
struct TwoPhaseState {
  TwoPhaseStateHeader header;
  std::vector<TransactionId> subxids;
  std::vector<storage::HeldLock> locks;
  std::vector<RelFileLocator> commit_rels;
  std::vector<RelFileLocator> abort_rels;
};

// Parses `data` (without the file's CRC); false when it is not a well-formed state.
[[nodiscard]] bool ParseTwoPhaseState(std::span<const std::byte> data, TwoPhaseState* out);

// --- PREPARE TRANSACTION (xact.cpp) ---------------------------------------------------------
// Claims a free entry for `gid`, marked as being prepared by this backend (T2).
// Throws 22023 (too long), 55000 (disabled), 42710 (in use), 53200 (all entries taken).
[[nodiscard]] int ReserveGlobalTransaction(std::string_view gid, TransactionId xid);
// Gives a reserved entry back (an error before the prepare record).
void CancelGlobalTransactionReservation(int entry) noexcept;
// T3-T4: writes and flushes the prepare record, writes the state file, then moves this
// process's xids and heavyweight locks to the entry's proc slot and marks it prepared. The
// record and file keep the pending deletes (D7). A failure after the record is a PANIC.
// Throws only before the record (locks list: bad_alloc).
void PrepareGlobalTransaction(int entry, TransactionId xid, std::span<const TransactionId> subxids,
                              std::span<const RelFileLocator> commit_rels,
                              std::span<const RelFileLocator> abort_rels);

// --- redo (xact_redo.cpp) --------------------------------------------------------------------
// kXactPrepare: (re)writes the state file from the record's main data (T6).
void RedoTwoPhasePrepare(TransactionId xid, std::span<const std::byte> data);
// kXactCommitPrepared / kXactAbortPrepared: the state file goes (a missing one is fine).
void RemoveTwoPhaseStateFile(TransactionId xid);
// "gid 'x' prepared at ...; subxacts: ...; locks: n" for pg_waldump-style output.
[[nodiscard]] std::string DescribeTwoPhaseState(std::span<const std::byte> data);

}  // namespace keel::transam
