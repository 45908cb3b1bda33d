// The proc array: one slot in shared memory per backend and per auxiliary process, holding
// its pid, cancel key, latch, session identity and (later) its xid/xmin. Invariants P1-P7 and
// locking: storage/ipc/README.md.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <type_traits>
#include <vector>

#include "storage/ipc/latch.h"

namespace keel::storage {

enum class ProcKind : uint8_t {
  kFree,
  kBackend,
  kStartup,
  kCheckpointer,
  kBgWriter,
  kWalWriter,
  kAutovacuum,          // an autovacuum worker
  kAutovacuumLauncher,
  kWalSender,
  kWalReceiver,
  kOther,
  kPrepared,  // a prepared transaction's slot: no process, pid 0 (access/transam twophase)
};

// "client backend", "checkpointer", ... as pg_stat_activity.backend_type shows them.
[[nodiscard]] const char* ProcKindName(ProcKind kind);

// What a backend is doing (PostgreSQL's BackendState; pg_stat_activity.state).
enum class BackendState : uint8_t {
  kUndefined,                 // not reported (auxiliary processes, a backend starting)
  kIdle,                      // waiting for a command
  kRunning,                   // executing a query
  kIdleInTransaction,
  kFastpath,                  // executing a fast-path function call
  kIdleInTransactionAborted,
  kDisabled,                  // track_activities off
};
// "idle", "active", "idle in transaction", "fastpath function call", "idle in transaction
// (aborted)", "disabled"; nullptr for kUndefined (NULL in pg_stat_activity).
[[nodiscard]] const char* BackendStateName(BackendState state);

inline constexpr int kProcNameBytes = 64;  // user, database, application_name incl. NUL
inline constexpr int kProcClientAddrBytes = 46;  // INET6_ADDRSTRLEN: "::ffff:192.168.100.200"
inline constexpr int kProcWaitEventBytes = 32;   // "Client", "ClientRead" ... incl. NUL
// Bytes of query text kept per slot (PostgreSQL's track_activity_query_size default and range);
// the text is cut at a character boundary below this, NUL included.
inline constexpr int kDefaultTrackActivityQuerySize = 1024;
inline constexpr int kMinTrackActivityQuerySize = 100;
inline constexpr int kMaxTrackActivityQuerySize = 1048576;
// Subtransaction xids a slot publishes before it overflows (PostgreSQL's PGPROC_MAX_CACHED_SUBXIDS).
inline constexpr int kProcMaxCachedSubxids = 64;

// One per process that may touch shared state. Slots of a kind are used only by one process
// at a time, between ProcArrayAcquire*Slot and ProcArrayReleaseSlot (P1).
struct alignas(64) ProcSlot {
  // Written only by the slot's process (or by acquire/release on its behalf) inside a
  // change_count bracket (odd while writing); readers copy then re-check it (P4).
  std::atomic<uint32_t> change_count;
  std::atomic<int32_t> pid;  // 0 when free; also read alone (cancel, counting)
  ProcKind kind;             // kFree when free
  int32_t cancel_key;
  int64_t start_time_us;  // wall clock, microseconds since the Unix epoch
  char user[kProcNameBytes];
  char database[kProcNameBytes];
  char application_name[kProcNameBytes];

  // Activity (pg_stat_activity; P9): written by the slot's process inside the change_count
  // bracket, like the fields above; cleared by acquire. The query text is in the proc array's
  // activity buffers (ProcArrayReportActivity), guarded the same way.
  uint32_t database_oid;       // 0 until the session has a database
  uint32_t role_oid;           // 0 until the session is authenticated
  BackendState state;
  int32_t client_port;         // TCP port; -1 Unix-domain socket; 0 no client
  char client_addr[kProcClientAddrBytes];  // numeric address; "" Unix socket or no client
  int64_t xact_start_us;       // wall clock, microseconds since the Unix epoch; 0 = none
  int64_t query_start_us;      // the last statement's start; 0 = none yet
  int64_t state_change_us;     // when `state` was last reported; 0 = never
  char wait_event_type[kProcWaitEventBytes];  // "" = not waiting
  char wait_event[kProcWaitEventBytes];

  // The slot's process waits on it; everybody may set it (T1).
  Latch latch;

  // 64-bit transaction ids, 0 = none. Written by the slot's process; read by everybody
  // (snapshots); their protocol belongs to access/transam (later issue).
  std::atomic<uint64_t> xid;
  std::atomic<uint64_t> xmin;
  // The running subtransaction xids of the slot's transaction (access/transam README,
  // "Transactions", X3/X5): appended by the slot's process under the xid generator lock
  // (entry first, then the count), removed only inside the completion bracket. When a
  // transaction has more, `subxid_overflowed` is 1 and readers consult subxact/.
  std::atomic<uint32_t> subxid_count;
  std::atomic<uint32_t> subxid_overflowed;
  std::atomic<uint64_t> subxids[kProcMaxCachedSubxids];
  // Odd while the slot's process is between inserting a commit record and recording the commit
  // in the commit log; a checkpoint waits for such commits before it flushes the commit log
  // (access/transam README, X17). A counter, so the checkpointer can tell a new commit from the
  // one it waits for. Only the slot's process changes it.
  std::atomic<uint64_t> delay_checkpoint;

  int32_t slot_idx;   // constant after ProcArrayShmemInit
  int32_t next_free;  // index of the next free slot of the same class; guarded by the
                      // proc array spinlock (P2)
};
static_assert(std::is_standard_layout_v<ProcSlot> && std::is_trivially_destructible_v<ProcSlot>);
static_assert(std::atomic<uint64_t>::is_always_lock_free);

// A consistent copy of a slot's descriptive fields (P4), for pg_stat_activity and the like.
struct ProcInfo {
  int32_t slot_idx;
  int32_t pid;
  ProcKind kind;
  int32_t cancel_key;
  int64_t start_time_us;
  char user[kProcNameBytes];
  char database[kProcNameBytes];
  char application_name[kProcNameBytes];
  uint64_t xid;
  uint64_t xmin;
};

// A consistent copy of a slot's activity (P4, P9): what pg_stat_activity shows of it.
// Process-local (not a shared type).
struct ProcActivity {
  ProcInfo info;
  uint32_t database_oid;
  uint32_t role_oid;
  BackendState state;
  int32_t client_port;
  char client_addr[kProcClientAddrBytes];
  int64_t xact_start_us;
  int64_t query_start_us;
  int64_t state_change_us;
  char wait_event_type[kProcWaitEventBytes];
  char wait_event[kProcWaitEventBytes];
  std::string query;  // the last reported query text ("" when none)
};

// Bytes of shared memory the proc array needs (for the postmaster's size sum), including one
// query-text buffer of `query_bytes` per slot (P9; the postmaster passes
// track_activity_query_size). Throws 54000 on overflow.
// Requires: kMinTrackActivityQuerySize <= query_bytes <= kMaxTrackActivityQuerySize.
[[nodiscard]] size_t ProcArrayShmemSize(int max_backends, int max_aux, int max_prepared = 0,
                                        int query_bytes = kDefaultTrackActivityQuerySize);

// Postmaster, after ShmemCreate and before any fork (again after a crash re-creation):
// allocates "proc array" with ShmemInitStruct and initialises every slot and its latch.
// The last `max_prepared` slots belong to prepared transactions (P8): kind kPrepared, pid 0,
// on no free list; access/transam's two-phase code owns them.
// `query_bytes` as given to ProcArrayShmemSize.
// Requires: max_backends >= 1, max_aux >= 0, max_prepared >= 0. Throws what ShmemInitStruct
// throws.
void ProcArrayShmemInit(int max_backends, int max_aux, int max_prepared = 0,
                        int query_bytes = kDefaultTrackActivityQuerySize);

// A backend claims a free backend slot for itself: stores pid, kind, cancel key and start
// time, clears the identity strings and xids, owns the slot's latch (T1) and makes the slot
// CurrentProcess().proc (so MyLatch() is the slot's latch).
// Returns nullptr when all max_backends backend slots are taken (the caller then reports
// 53300 "sorry, too many clients already").
// Requires: pid == getpid(); InitProcessContext() ran in this process; ProcArrayShmemInit ran.
[[nodiscard]] ProcSlot* ProcArrayAcquireBackendSlot(int32_t pid, int32_t cancel_key);

// The same for an auxiliary process (kind != kFree, kBackend); nullptr when all max_aux aux
// slots are taken.
[[nodiscard]] ProcSlot* ProcArrayAcquireAuxSlot(ProcKind kind, int32_t pid);

// On process exit: drops the slot from CurrentProcess() (MyLatch() becomes the process-local
// latch again), disowns the latch and returns the slot to its free list.
// Requires: `slot` was acquired by this process and not yet released.
void ProcArrayReleaseSlot(ProcSlot* slot);

// Sets user / database / application_name (truncated to kProcNameBytes - 1 bytes; nullptr
// leaves a field unchanged). Requires: `slot` acquired by this process.
void ProcArraySetSessionInfo(ProcSlot* slot, const char* user, const char* database,
                             const char* application_name);

// --- Activity (pg_stat_activity; P9) -----------------------------------------------------------
// Each setter changes this process's own slot inside its change_count bracket (P4), takes no
// lock and never throws. Requires: `slot` acquired by this process.

// The session's database and role oids (pg_stat_activity.datid / usesysid); 0 = none.
void ProcArraySetSessionIds(ProcSlot* slot, uint32_t database_oid, uint32_t role_oid);
// The client's numeric address (truncated to kProcClientAddrBytes - 1) and port; for a
// Unix-domain socket pass nullptr (or "") and -1.
void ProcArraySetClientAddress(ProcSlot* slot, const char* addr, int32_t port);
// Start of the current transaction (wall clock, us since the Unix epoch); 0 when none.
void ProcArraySetXactStart(ProcSlot* slot, int64_t xact_start_us);
// PostgreSQL's pgstat_report_activity: the new state, and when `query` is not nullptr the
// statement's text (cut at a UTF-8 character boundary to fit the buffer) and its start time.
// The state change time is now. kDisabled also clears the query text and times.
void ProcArrayReportActivity(ProcSlot* slot, BackendState state, const char* query);
// What the process waits for ("Lock" / "relation", "Client" / "ClientRead"); nullptr: nothing.
void ProcArraySetWaitEvent(ProcSlot* slot, const char* type, const char* event);
// Bytes of each slot's query buffer (query_bytes of ProcArrayShmemInit), 0 before it.
[[nodiscard]] int ProcArrayQueryBytes();

// Calls `visit(activity, arg)` with a consistent copy of every slot in use (as
// ProcArrayForEach), with its activity fields and query text. Takes no lock (P4).
using ProcActivityVisitor = void (*)(const ProcActivity& activity, void* arg);
void ProcArrayForEachActivity(ProcActivityVisitor visit, void* arg);

template <typename Fn>
void ProcArrayForEachActivityOf(Fn&& fn) {
  using Callable = std::remove_reference_t<Fn>;
  ProcArrayForEachActivity(
      [](const ProcActivity& a, void* arg) { (*static_cast<Callable*>(arg))(a); },
      const_cast<void*>(static_cast<const void*>(&fn)));
}

// CancelRequest: when a backend slot holds `pid` with `cancel_key`, sends it SIGINT.
// Returns whether such a backend was found (and signalled). Any process; takes no lock.
bool ProcArraySignalCancel(int32_t pid, int32_t cancel_key);

// A process whose slot names a database (ProcArraySetSessionIds): what CREATE / DROP / ALTER
// DATABASE need to find, count and signal the sessions of a database (PostgreSQL's
// CountOtherDBBackends / TerminateOtherDBBackends look at the same fields).
struct DatabaseSession {
  int32_t pid;
  ProcKind kind;
  uint32_t role_oid;
};
// Every process other than the caller (by pid) whose slot's database_oid is `database_oid`,
// from consistent copies (P4), in slot order. Takes no lock: a process connecting or leaving
// meanwhile may or may not be listed (callers that must exclude newcomers hold the lock a
// connection takes on its database). Prepared transactions' slots carry no database (their
// pid is 0) and are never listed.
[[nodiscard]] std::vector<DatabaseSession> ProcArrayDatabaseSessions(uint32_t database_oid);

// Number of backend slots in use (auxiliary processes are not counted).
[[nodiscard]] int ProcArrayCountBackends();

// Prepared-transaction slot `i` (0 <= i < ProcArrayNumPreparedSlots()); P8.
[[nodiscard]] ProcSlot* ProcArrayPreparedSlot(int i);
[[nodiscard]] int ProcArrayNumPreparedSlots();

// Slot `slot_idx` (0 <= slot_idx < ProcArrayNumSlots()); backends come first, then auxiliary
// processes, then prepared transactions.
[[nodiscard]] ProcSlot* ProcArraySlot(int slot_idx);
[[nodiscard]] int ProcArrayNumSlots();

// Calls `visit(info, arg)` with a consistent copy of every slot in use, in slot order.
// Takes no lock: a process starting or exiting meanwhile may or may not be visited.
using ProcVisitor = void (*)(const ProcInfo& info, void* arg);
void ProcArrayForEach(ProcVisitor visit, void* arg);

// Convenience: ProcArrayForEach with any callable `fn(const ProcInfo&)`.
template <typename Fn>
void ProcArrayForEachInfo(Fn&& fn) {
  using Callable = std::remove_reference_t<Fn>;
  ProcArrayForEach([](const ProcInfo& info, void* arg) { (*static_cast<Callable*>(arg))(info); },
                   const_cast<void*>(static_cast<const void*>(&fn)));
}

}  // namespace keel::storage
