// Multixacts: one 64-bit id standing for a set of (xid, status) members, so that several
// transactions can hold a row lock together (or lockers coexist with a no-key update). Two
// SLRUs (multixact/offsets, multixact/members), WAL-logged creation (RmgrId::kMultiXact), the
// next-multi counters kept across restarts like next_xid. README.md ("Multixacts", M1-M12).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "storage/common/ids.h"

namespace keel::transam {

struct SlruCtl;

// 64 bits: never wraps (no freezing, no wraparound protection needed). 0 is invalid.
struct MultiXactIdTag {};
using MultiXactId = StrongId<MultiXactIdTag, uint64_t>;
inline constexpr MultiXactId kInvalidMultiXactId{0};
inline constexpr MultiXactId kFirstMultiXactId{1};

// PostgreSQL's six member statuses: four row locks and two updates (an update also holds the
// row like the lock it implies: NoKeyUpdate as ForNoKeyUpdate, Update as ForUpdate). The
// values are on disk (members SLRU, WAL); never renumber.
enum class MultiXactStatus : uint8_t {
  kForKeyShare = 0,
  kForShare = 1,
  kForNoKeyUpdate = 2,
  kForUpdate = 3,
  kNoKeyUpdate = 4,  // an update that changed no key column
  kUpdate = 5,       // an update of key columns, or a delete
};

struct MultiXactMember {
  TransactionId xid;
  MultiXactStatus status;
  friend bool operator==(const MultiXactMember&, const MultiXactMember&) = default;
};

[[nodiscard]] constexpr bool MultiXactStatusIsUpdate(MultiXactStatus s) {
  return s == MultiXactStatus::kNoKeyUpdate || s == MultiXactStatus::kUpdate;
}
// The row-lock strength a status holds: 0 FOR KEY SHARE, 1 FOR SHARE, 2 FOR NO KEY UPDATE,
// 3 FOR UPDATE (the order of access::RowLockMode).
[[nodiscard]] constexpr int MultiXactStatusStrength(MultiXactStatus s) {
  switch (s) {
    case MultiXactStatus::kForKeyShare: return 0;
    case MultiXactStatus::kForShare: return 1;
    case MultiXactStatus::kForNoKeyUpdate:
    case MultiXactStatus::kNoKeyUpdate: return 2;
    case MultiXactStatus::kForUpdate:
    case MultiXactStatus::kUpdate: return 3;
  }
  return 3;
}
// M8: PostgreSQL's row-lock conflict table over strengths: KEY SHARE conflicts only with
// FOR UPDATE; SHARE with NO KEY UPDATE and UPDATE; NO KEY UPDATE with SHARE, NO KEY UPDATE,
// UPDATE; UPDATE with everything. That is exactly "the strengths add up to 3 or more".
[[nodiscard]] constexpr bool RowLockStrengthsConflict(int a, int b) { return a + b >= 3; }
[[nodiscard]] constexpr bool MultiXactStatusesConflict(MultiXactStatus a, MultiXactStatus b) {
  return RowLockStrengthsConflict(MultiXactStatusStrength(a), MultiXactStatusStrength(b));
}
[[nodiscard]] const char* MultiXactStatusName(MultiXactStatus s);

// --- layout (M1, M2) -------------------------------------------------------------------------
// offsets/: 16-byte entries {u64 first member offset, u32 member count, u32 0}, 512 per page.
// members/: 16-byte entries {u64 xid, u8 status, 7 zero bytes}, 512 per page.
inline constexpr uint64_t kMultiXactOffsetEntryBytes = 16;
inline constexpr uint64_t kMultiXactOffsetsPerPage = 8192 / kMultiXactOffsetEntryBytes;  // 512
inline constexpr uint64_t kMultiXactMemberEntryBytes = 16;
inline constexpr uint64_t kMultiXactMembersPerPage = 8192 / kMultiXactMemberEntryBytes;  // 512
inline constexpr int kMultiXactOffsetBuffers = 16;
inline constexpr int kMultiXactMemberBuffers = 16;
inline constexpr char kMultiXactDirectory[] = "multixact";
inline constexpr char kMultiXactOffsetsDirectory[] = "multixact/offsets";
inline constexpr char kMultiXactMembersDirectory[] = "multixact/members";
// Most members one multi may have (a row has at most this many lockers at once).
inline constexpr uint32_t kMaxMultiXactMembers = 65536;

[[nodiscard]] constexpr int64_t MultiXactOffsetsPageOf(MultiXactId multi) {
  return static_cast<int64_t>(multi.value() / kMultiXactOffsetsPerPage);
}
[[nodiscard]] constexpr int64_t MultiXactMembersPageOf(uint64_t member_offset) {
  return static_cast<int64_t>(member_offset / kMultiXactMembersPerPage);
}

// --- set-up --------------------------------------------------------------------------------
// Part of TransamShmemSize / TransamShmemInit (postmaster, before forking): the shared
// counters and both SLRUs (bounded: 16 + 16 buffers).
[[nodiscard]] size_t MultiXactShmemSize();
void MultiXactShmemInit();
[[nodiscard]] const SlruCtl& MultiXactOffsetsCtl();
[[nodiscard]] const SlruCtl& MultiXactMembersCtl();
// Registers RmgrId::kMultiXact (redo / describe / identify) in this process.
void RegisterMultiXactRmgr();

// --- counters (M4, M5) -----------------------------------------------------------------------
[[nodiscard]] MultiXactId ReadNextMultiXactId();
[[nodiscard]] uint64_t ReadNextMultiXactOffset();
// The startup process, from the control file and then the checkpoint record (M5).
// A next_multi of 0 (a control file written before multixacts) means kFirstMultiXactId.
void SetNextMultiXact(MultiXactId next_multi, uint64_t next_offset);
// Redo: `multi` and the members up to `end_offset` exist: the counters move past them (M5).
void AdvanceNextMultiXactPast(MultiXactId multi, uint64_t end_offset);
// Checkpoint, after the redo pointer is fixed: waits for creations in progress (M6), reads the
// counters for the checkpoint record / control file, then writes and fsyncs both SLRUs.
void MultiXactCheckpoint(uint64_t* next_multi, uint64_t* next_offset);

// --- creating -------------------------------------------------------------------------------
// PostgreSQL's MultiXactIdCreate generalised: de-duplicates `members` (M9: one entry per xid —
// the strongest lock, or the update holding the strongest of its lock and update strength)
// and keeps only lockers still running (this transaction's count as running) and the update
// unless it aborted, then creates a multi of what is left. Returns kInvalidMultiXactId when
// nothing is left. Requires: at most one update among `members` (M10). Throws on SLRU I/O
// failure (nothing is created then).
[[nodiscard]] MultiXactId MultiXactIdCreate(std::span<const MultiXactMember> members);
// The members of `multi` (as MultiXactIdCreate keeps them) plus (xid, status).
[[nodiscard]] MultiXactId MultiXactIdExpand(MultiXactId multi, TransactionId xid,
                                            MultiXactStatus status);
// Creates a multi of exactly `members` (no filtering): WAL record first in the SLRUs, then
// WAL, then the counters (M3, M6). Requires: 1 <= size <= kMaxMultiXactMembers; xids valid.
// Throws on SLRU I/O failure.
[[nodiscard]] MultiXactId MultiXactIdCreateFromMembers(std::span<const MultiXactMember> members);

// --- reading -------------------------------------------------------------------------------
// The members of `multi`; with `only_running`, only those whose xid is still running (current
// transaction included). Throws XX000 "MultiXactId %llu has not been created yet -- apparent
// wraparound" for an id at or past the next one, and SLRU read errors.
[[nodiscard]] std::vector<MultiXactMember> GetMultiXactIdMembers(MultiXactId multi,
                                                                 bool only_running = false);
// Whether any member is still running (this transaction's own members count).
[[nodiscard]] bool MultiXactIdIsRunning(MultiXactId multi);
// The update member's xid (NoKeyUpdate / Update), invalid when the multi only locks (M10).
[[nodiscard]] TransactionId MultiXactIdGetUpdateXid(MultiXactId multi);
// Whether a running member of another transaction holds a status conflicting with `status`;
// *current_is_member (optional) says whether this transaction is a member.
[[nodiscard]] bool DoesMultiXactIdConflict(MultiXactId multi, MultiXactStatus status,
                                           bool* current_is_member);
// Waits (XactLockTableWait) for every running member of another transaction whose status
// conflicts with `status`. With `nowait`, returns false instead of waiting when one is still
// running. Heavyweight-lock errors (deadlock, lock_timeout, cancel) come out as thrown.
[[nodiscard]] bool MultiXactIdWait(MultiXactId multi, MultiXactStatus status, bool nowait);

// --- WAL (RmgrId::kMultiXact) -----------------------------------------------------------------
// CREATE_ID: main data WalMultiXactCreate, then `nmembers` WalMultiXactMember.
inline constexpr uint8_t kMultiXactCreateId = 0x00;
struct WalMultiXactCreate {
  uint64_t multi;
  uint64_t first_offset;
  uint32_t nmembers;
  uint32_t pad;
};
static_assert(sizeof(WalMultiXactCreate) == 24);
struct WalMultiXactMember {
  uint64_t xid;
  uint8_t status;
  uint8_t pad[7];
};
static_assert(sizeof(WalMultiXactMember) == 16);

}  // namespace keel::transam
