// Heavyweight locks: transactional locks on relations, tuples, transactions and objects in
// PostgreSQL's eight table-lock modes, with FIFO wait queues and deadlock detection.
// Shared tables, invariants H1-H10, lock order and the deadlock algorithm:
// storage/lmgr/README.md ("Heavyweight locks").
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <type_traits>
#include <vector>

namespace keel::storage {

// PostgreSQL's table-lock modes, weakest first. kNoLock is "none" (never requested).
enum class LockMode : uint8_t {
  kNoLock = 0,
  kAccessShare = 1,
  kRowShare = 2,
  kRowExclusive = 3,
  kShareUpdateExclusive = 4,
  kShare = 5,
  kShareRowExclusive = 6,
  kExclusive = 7,
  kAccessExclusive = 8,
};
inline constexpr int kNumLockModes = 8;

// "AccessShareLock" ... "AccessExclusiveLock" (PostgreSQL's names); "INVALID" otherwise.
[[nodiscard]] const char* LockModeName(LockMode mode);

// Whether a lock in mode `a` held by one process blocks mode `b` for another (symmetric).
[[nodiscard]] bool LockModesConflict(LockMode a, LockMode b);

enum class LockTagType : uint8_t {
  kRelation = 1,     // field1 = database oid, field2 = relation oid
  kTransaction = 2,  // field1 = 64-bit xid (wait for the transaction to end)
  kTuple = 3,        // field1 = database, field2 = relation, field3 = block, field4 = offset
  kObject = 4,       // field1 = database, field2 = class oid, field3 = object oid, field4 = sub id
  kAdvisory = 5,     // reserved (later issue)
};

// What a lock is on. Plain POD; compared field by field; build it with the helpers below so
// unused fields are zero.
struct LockTag {
  uint64_t field1;
  uint32_t field2;
  uint32_t field3;
  uint32_t field4;
  LockTagType type;
  uint8_t padding[3];
};
static_assert(std::is_standard_layout_v<LockTag> && std::is_trivially_copyable_v<LockTag>);
static_assert(sizeof(LockTag) == 24);

[[nodiscard]] bool operator==(const LockTag& a, const LockTag& b);

[[nodiscard]] LockTag RelationLockTag(uint32_t db_oid, uint32_t rel_oid);
[[nodiscard]] LockTag TransactionLockTag(uint64_t xid);
[[nodiscard]] LockTag TupleLockTag(uint32_t db_oid, uint32_t rel_oid, uint32_t block_no,
                                   uint16_t offset);
[[nodiscard]] LockTag ObjectLockTag(uint32_t db_oid, uint32_t class_oid, uint32_t object_oid,
                                    uint32_t sub_id);

// As PostgreSQL's messages: "relation 16384 of database 5", "transaction 742",
// "tuple (3,7) of relation 16384 of database 5", "object 12 of class 1259 of database 5".
[[nodiscard]] std::string DescribeLockTag(const LockTag& tag);

// Lock-table entries per process. PostgreSQL's max_locks_per_transaction default; a constant
// until a setting is added (the shared pools are sized from it × processes).
inline constexpr int kMaxLocksPerTransaction = 64;
// Partitions of the shared lock table, one LWLock each (H2).
inline constexpr int kNumLockPartitions = 16;

// Bytes of shared memory for a lock table serving `num_procs` proc slots
// (ProcArrayNumSlots()). Throws 54000 on overflow.
[[nodiscard]] size_t LockShmemSize(int num_procs);

// Postmaster, after ShmemCreate and ProcArrayShmemInit, before any fork: allocates
// "lock table" with ShmemInitStruct and initialises it; every process forked later uses it.
// Requires: num_procs == ProcArrayNumSlots() >= 1. Throws what ShmemInitStruct throws.
void LockShmemInit(int num_procs);

enum class LockResult : uint8_t { kAcquired, kNotAvailable };

// Acquires `mode` on `tag` for this process (re-entrant: a mode already held only bumps a
// local count, H7). Without `dont_wait` it waits in the lock's FIFO queue (H4, H5) sleeping
// on MyLatch(); with it, returns kNotAvailable instead of waiting, leaving no trace.
// Requires: this process has a proc slot (ProcArrayAcquire*Slot); mode != kNoLock; no
// LWLock or spinlock held.
// Throws: 53200 "out of shared memory" (pools exhausted, H3); 40P01 "deadlock detected";
// 55P03 "canceling statement due to lock timeout" (settings::lock_timeout_ms > 0);
// whatever CheckForInterrupts() throws (57014, FATAL 57P01). After any throw the shared
// tables are as before the call (H9), except that a grant racing with the error is kept
// and recorded locally (released by LockReleaseAll).
[[nodiscard]] LockResult LockAcquire(const LockTag& tag, LockMode mode, bool dont_wait = false);

// Releases one acquisition of `mode` on `tag`; the shared grant goes when the local count
// reaches zero, and waiters that became grantable are granted and woken (H6).
// Returns false (and logs a WARNING "you don't own a lock of type %s") when not held.
bool LockRelease(const LockTag& tag, LockMode mode);

// Releases every lock this process holds, whatever the counts (transaction end / abort).
// Safe to call when none is held. Requires: no LWLock held.
void LockReleaseAll();

// Whether this process holds `mode` on `tag` (local table only).
[[nodiscard]] bool LockHeldByMe(const LockTag& tag, LockMode mode);

// --- two-phase commit (access/transam, README "Two-phase commit") ------------------------
// One held (tag, mode) pair; stored as-is in prepare records and state files.
struct HeldLock {
  LockTag tag;
  LockMode mode;
  uint8_t padding[7];
};
static_assert(sizeof(HeldLock) == 32 && std::is_trivially_copyable_v<HeldLock>);

// Every (tag, mode) this process holds, one entry per mode (local table only).
[[nodiscard]] std::vector<HeldLock> LockListHeldByMe();

// PREPARE TRANSACTION: hands every lock this process holds to proc slot `target_proc_idx`
// (a prepared transaction's slot, storage/ipc P8), then empties the local table. Grants,
// counts and wait queues are unchanged, so no waiter can slip in between (H11).
// Requires: the target holds and waits for nothing; this process is not waiting.
void LockTransferAllTo(int32_t target_proc_idx);

// Startup, restoring a prepared transaction: grants `mode` on `tag` to `proc_idx` without a
// conflict check (nothing else runs yet; the locks were compatible when prepared, H11).
// Throws 53200 "out of shared memory" when the pools are exhausted.
void LockGrantToProc(int32_t proc_idx, const LockTag& tag, LockMode mode);

// COMMIT / ROLLBACK PREPARED: releases `mode` on `tag` held by `proc_idx` and wakes waiters.
// Returns false (WARNING) when that proc does not hold it.
bool LockReleaseOfProc(int32_t proc_idx, const LockTag& tag, LockMode mode);

// Diagnostics (tests, later pg_locks): processes waiting on `tag`; lock objects and
// per-(lock, process) entries in use in the whole table. Take the partition locks shared.
[[nodiscard]] int LockNumWaiters(const LockTag& tag);
struct LockTableUsage {
  int locks_in_use;
  int proclocks_in_use;
  int lock_capacity;
  int proclock_capacity;
};
[[nodiscard]] LockTableUsage LockTableUsageNow();

}  // namespace keel::storage
