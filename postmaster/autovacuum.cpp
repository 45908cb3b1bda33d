// The autovacuum launcher and workers; see autovacuum.h and README.md ("Autovacuum").
#include "postmaster/autovacuum.h"

#include <signal.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <new>
#include <string>

#include "access/common/relation.h"
#include "access/heap/vacuum.h"
#include "access/transam/xact.h"
#include "backend/utils/activity/table_stats.h"
#include "backend/utils/config/settings.h"
#include "backend/utils/error/error.h"
#include "backend/utils/error/log.h"
#include "backend/utils/init/process_exit.h"
#include "postmaster/aux_process.h"
#include "storage/ipc/proc_array.h"
#include "storage/ipc/process_context.h"
#include "storage/ipc/shmem.h"
#include "storage/lmgr/spinlock.h"

namespace keel::postmaster {
namespace {

enum class ItemState : uint8_t { kFree, kRequested, kStarting, kRunning };

constexpr size_t kNameBytes = 64;

struct WorkItem {
  // AV2: changed with atomics only, so the postmaster never needs the lock.
  std::atomic<ItemState> state;
  int32_t worker_pid;
  uint32_t db;
  uint32_t rel_id;
  RelFileLocator locator;
  char name[kNameBytes];
};

struct AutovacuumShared {
  storage::SpinLock lock;  // serialises the launcher and workers over the items' fields (AV2)
  WorkItem items[1];       // max_workers of them
};

AutovacuumShared* shared = nullptr;
// Process-local copy, set at init and inherited: a corrupt region cannot send a scan astray.
int max_workers = 0;

int64_t NowMs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1'000'000;
}

// AV1: PostgreSQL's rule, with the live-tuple estimate standing in for reltuples.
bool NeedsVacuum(const stats::TableStats& t) {
  double live = static_cast<double>(t.live_tuples);
  double dead_limit = settings::autovacuum_vacuum_threshold +
                      settings::autovacuum_vacuum_scale_factor * live;
  if (static_cast<double>(t.dead_tuples) > dead_limit) return true;
  if (settings::autovacuum_vacuum_insert_threshold < 0) return false;
  double insert_limit = settings::autovacuum_vacuum_insert_threshold +
                        settings::autovacuum_vacuum_insert_scale_factor * live;
  return static_cast<double>(t.inserts_since_vacuum) > insert_limit;
}

// One launcher round: hands tables that need a vacuum to free work items, most dead tuples
// first, skipping tables a worker already has (AV3). Returns whether it asked for a worker.
bool LauncherRound() {
  std::vector<stats::TableStats> tables = stats::AllTableStats();
  std::erase_if(tables, [](const stats::TableStats& t) { return !NeedsVacuum(t); });
  std::sort(tables.begin(), tables.end(), [](const auto& a, const auto& b) {
    return a.dead_tuples + static_cast<int64_t>(a.inserts_since_vacuum) >
           b.dead_tuples + static_cast<int64_t>(b.inserts_since_vacuum);
  });
  bool requested = false;
  storage::SpinLockGuard guard(&shared->lock);
  for (const stats::TableStats& t : tables) {
    WorkItem* free_item = nullptr;
    bool taken = false;
    for (int i = 0; i < max_workers; ++i) {
      WorkItem& item = shared->items[i];
      if (item.state.load() == ItemState::kFree) {
        if (free_item == nullptr) free_item = &item;
      } else if (item.db == t.identity.db.value() && item.rel_id == t.identity.rel_id.value()) {
        taken = true;
      }
    }
    if (taken) continue;
    if (free_item == nullptr) break;
    free_item->worker_pid = 0;
    free_item->db = t.identity.db.value();
    free_item->rel_id = t.identity.rel_id.value();
    free_item->locator = t.identity.locator;
    size_t len = std::min(t.identity.name.size(), kNameBytes - 1);
    memcpy(free_item->name, t.identity.name.data(), len);
    free_item->name[len] = '\0';
    free_item->state.store(ItemState::kRequested);  // published last: the fields are complete
    requested = true;
  }
  return requested;
}

}  // namespace

size_t AutovacuumShmemSize(int workers) {
  return offsetof(AutovacuumShared, items) + sizeof(WorkItem) * static_cast<size_t>(workers);
}

void AutovacuumShmemInit(int workers) {
  bool found = false;
  void* memory = storage::ShmemInitStruct("autovacuum", AutovacuumShmemSize(workers), &found);
  shared = static_cast<AutovacuumShared*>(memory);
  max_workers = workers;
  if (found) return;
  memset(memory, 0, AutovacuumShmemSize(workers));  // kFree is 0
  shared->lock.Init();
}

void AutovacuumLauncherMain() {
  AuxProcessInit(AuxKind::kAutovacuumLauncher);
  int64_t next_round = NowMs() + 1000L * settings::autovacuum_naptime_s;
  for (;;) {
    long wait_ms = std::max<int64_t>(0, next_round - NowMs());
    if (AuxWaitForWork(wait_ms, /*exit_on_sigterm=*/true)) break;
    if (NowMs() < next_round) continue;
    next_round = NowMs() + 1000L * settings::autovacuum_naptime_s;
    // AV5: with autovacuum off the launcher idles; the postmaster keeps it for simplicity.
    if (settings::autovacuum && LauncherRound()) kill(getppid(), SIGUSR1);
  }
  ProcessExit(0);
}

int AutovacuumTakeStartRequest() {
  // AV2: no lock — a child that died holding it must not hang the postmaster.
  for (int i = 0; i < max_workers; ++i) {
    ItemState expected = ItemState::kRequested;
    if (shared->items[i].state.compare_exchange_strong(expected, ItemState::kStarting)) return i;
  }
  return -1;
}

void AutovacuumStartFailed(int item) { shared->items[item].state.store(ItemState::kFree); }

void AutovacuumWorkerMain(int item_index) {
  storage::ProcSlot* slot = storage::ProcArrayAcquireAuxSlot(storage::ProcKind::kAutovacuum, getpid());
  if (slot == nullptr) {
    AutovacuumStartFailed(item_index);
    Log(Severity::kFatal, "no free proc slot for an autovacuum worker");
    ProcessExit(1);
  }
  storage::SetCurrentProcSlot(slot);
  // AV4: whatever happens, the item is free again when this process is gone.
  OnProcessExit([slot, item_index] {
    transam::AbortTransaction();
    shared->items[item_index].state.store(ItemState::kFree);
    storage::ProcArrayReleaseSlot(slot);
  });
  access::Relation rel;
  {
    storage::SpinLockGuard guard(&shared->lock);
    WorkItem& item = shared->items[item_index];
    item.state.store(ItemState::kRunning);
    item.worker_pid = getpid();
    rel.id = Oid(item.rel_id);
    rel.db = Oid(item.db);
    rel.locator = item.locator;
    rel.name = item.name;
  }
  int64_t start = NowMs();
  try {
    transam::StartTransaction();
    access::VacuumParams params;
    params.autovacuum = true;
    access::VacuumStats result = access::HeapVacuum(rel, params);
    transam::CommitTransaction();
    int64_t elapsed = NowMs() - start;
    if (settings::log_autovacuum_min_duration_ms >= 0 &&
        elapsed >= settings::log_autovacuum_min_duration_ms) {
      Log(Severity::kLog,
          "automatic vacuum of table \"%s\": pages: %u removed, %u remain, %u scanned; "
          "tuples: %llu removed, %llu remain, %llu are dead but not yet removable; "
          "elapsed: %.3f s",
          rel.name.c_str(), result.pages_removed.value(), result.rel_pages.value(),
          result.pages_scanned.value(), static_cast<unsigned long long>(result.tuples_removed),
          static_cast<unsigned long long>(result.live_tuples),
          static_cast<unsigned long long>(result.dead_tuples_remaining),
          static_cast<double>(elapsed) / 1000.0);
    }
  } catch (const Error& e) {
    LogError(Error(e.sqlstate(), e.message(), Severity::kError).WithDetail(e.detail()));
    Log(Severity::kLog, "automatic vacuum of table \"%s\" failed", rel.name.c_str());
    ProcessExit(1);
  }
  ProcessExit(0);
}

#ifdef KEEL_DEBUG
void TestOnlyHoldAutovacuumLock(bool hold) {
  if (hold) {
    shared->lock.Lock();
  } else {
    shared->lock.Unlock();
  }
}
#endif

}  // namespace keel::postmaster
