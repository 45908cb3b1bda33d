// Creating shared memory; see shared_state.h.
#include "postmaster/shared_state.h"

#include <unistd.h>

#include <algorithm>

#include "access/heap/heap_toast.h"
#include "access/heap/heapam.h"
#include "access/heap/visibility.h"
#include "access/nbtree/btree_am.h"
#include "access/nbtree/nbtree.h"
#include "access/transam/checkpoint.h"
#include "access/transam/clog.h"
#include "access/transam/commit_ts.h"
#include "access/transam/multixact.h"
#include "access/transam/rmgr.h"
#include "access/transam/transam.h"
#include "access/transam/twophase.h"
#include "access/transam/wal.h"
#include "access/transam/xact.h"
#include "backend/commands/table_commands.h"
#include "backend/utils/activity/table_stats.h"
#include "backend/utils/config/settings.h"
#include "backend/utils/error/error.h"
#include "backend/utils/init/process_exit.h"
#include "backend/utils/init/quit_reason.h"
#include "postmaster/autovacuum.h"
#include "postmaster/aux_process.h"
#include "storage/buffer/bufmgr.h"
#include "storage/ipc/proc_array.h"
#include "storage/ipc/process_context.h"
#include "storage/ipc/sinval.h"
#include "storage/ipc/shmem.h"
#include "storage/lmgr/lock.h"
#include "storage/smgr/database_dir.h"
#include "storage/sync/sync.h"

namespace keel::postmaster {

void CreateSharedState(uint64_t system_identifier) {
  // M6: everything in shared memory is sized here, from settings, once per (re)start.
  int n_buffers = settings::shared_buffers_pages;
  int wal_pages = settings::wal_buffers_pages;
  if (wal_pages < 0) wal_pages = std::clamp(n_buffers / 32, 8, 2048);  // as PostgreSQL's -1
  int sync_queue = std::max(n_buffers, 1024);
  // Autovacuum workers use auxiliary proc slots.
  int max_aux = kMaxAuxProcesses + settings::autovacuum_max_workers;
  // Prepared transactions get proc slots of their own (storage/ipc P8).
  const int max_prepared = settings::max_prepared_transactions;
  // P9: each slot's pg_stat_activity query buffer (track_activity_query_size).
  const int query_bytes = settings::track_activity_query_size_bytes;
  size_t size =
      storage::ProcArrayShmemSize(settings::max_connections, max_aux, max_prepared, query_bytes);
  size = storage::AddSize(
      size, storage::LockShmemSize(settings::max_connections + max_aux + max_prepared));
  size = storage::AddSize(size, transam::TwoPhaseShmemSize(max_prepared));
  size = storage::AddSize(size, transam::ClogShmemSize());
  size = storage::AddSize(size, transam::CommitTsShmemSize());
  size = storage::AddSize(size, transam::TransamShmemSize());
  size = storage::AddSize(size, storage::BufferPoolShmemSize(n_buffers));
  size = storage::AddSize(size, transam::WalShmemSize(wal_pages));
  size = storage::AddSize(size, storage::SyncShmemSize(sync_queue));
  size = storage::AddSize(size, transam::CheckpointerShmemSize());
  size = storage::AddSize(size, QuitReasonShmemSize());
  size = storage::AddSize(size, stats::TableStatsShmemSize());
  size = storage::AddSize(size, access::ToastShmemSize());
  size = storage::AddSize(size, AutovacuumShmemSize(settings::autovacuum_max_workers));
  // One invalidation reader slot per proc slot (storage/ipc Q1).
  const int num_proc_slots = settings::max_connections + max_aux + max_prepared;
  size = storage::AddSize(size, storage::SInvalShmemSize(num_proc_slots));
  size = storage::AddSize(size, 1 << 20);  // headroom for small structures
  storage::ShmemCreate(size);
  storage::ProcArrayShmemInit(settings::max_connections, max_aux, max_prepared, query_bytes);
  storage::LockShmemInit(storage::ProcArrayNumSlots());
  storage::BufferPoolShmemInit(n_buffers);
  transam::WalShmemInit(wal_pages, system_identifier);
  storage::SyncShmemInit(sync_queue);
  transam::ClogShmemInit();
  transam::CommitTsShmemInit();
  transam::TransamShmemInit();
  transam::TwoPhaseShmemInit(max_prepared);
  transam::CheckpointerShmemInit();
  QuitReasonShmemInit();
  stats::TableStatsShmemInit();
  access::ToastShmemInit();
  AutovacuumShmemInit(settings::autovacuum_max_workers);
  KEEL_ASSERT(storage::ProcArrayNumSlots() == num_proc_slots);
  storage::SInvalShmemInit(storage::ProcArrayNumSlots());  // Q9: empty after every (re)start
}

void RegisterBuiltins() {
  transam::RegisterBuiltinRmgrs();
  transam::RegisterClogRmgrs();
  transam::RegisterXactRmgr();
  transam::RegisterMultiXactRmgr();
  access::RegisterHeapRmgrs();
  access::nbtree::RegisterBtreeRmgr();
  storage::RegisterDatabaseRmgr();  // CREATE DATABASE's directory copy
  // IX4: every process that can open an index (forked from the postmaster, or a harness /
  // embedded process that calls this) knows btree.
  access::nbtree::RegisterBtreeIndexAm();
  // Catalog T18: every process that may drop a relation, type, constraint or default (DROP,
  // CASCADE, temporary objects at exit) has their droppers.
  commands::RegisterTableCommands();
}

namespace {

// What every transaction end does outside access/transam (registered below).
void AtTransactionEnd(bool commit) {
  access::AtEndOfTransactionComboCids();
  stats::AtTransactionEndTableStats(commit);
}

}  // namespace

void InitChildSharedAccess() {
  storage::InitBufferPoolAccess();
  transam::InitWalAccess();
  transam::InitTransamAccess();
  transam::RegisterXactCallback(&AtTransactionEnd);
  // storage/ipc Q4/Q5: a process that has its proc slot already reads invalidations from now
  // on; one that gets its slot later (a client backend) attaches at its first receive. Either
  // way its reader slot is given back at exit.
  if (storage::CurrentProcess().proc != nullptr) storage::SInvalAttach();
  static pid_t detach_registered_for = 0;
  if (detach_registered_for != getpid()) {
    detach_registered_for = getpid();
    OnProcessExit([] { storage::SInvalDetach(); });
  }
}

}  // namespace keel::postmaster
