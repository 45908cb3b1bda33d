// Per-table activity counters; see table_stats.h and README.md.
#include "backend/utils/activity/table_stats.h"

#include <sys/time.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <vector>

#include "backend/utils/error/log.h"
#include "storage/ipc/shmem.h"
#include "storage/lmgr/lwlock.h"

namespace keel::stats {
namespace {

using storage::LwLock;
using storage::LwLockGuard;
using storage::LwLockMode;
namespace lwtranche = storage::lwtranche;

constexpr size_t kNameBytes = 64;
// Open addressing with linear probing; entries are never removed (TS3), so the table is
// sized at twice the tracked maximum to keep probe chains short.
constexpr int kSlots = 2 * kMaxTrackedTables;

struct Entry {
  // Set once under the exclusive lock when the slot is claimed (TS3); read under the shared one.
  std::atomic<bool> in_use;
  uint32_t db;
  uint32_t rel_id;
  RelFileLocator locator;
  char name[kNameBytes];
  // Counters: atomic adds, no lock (TS2).
  std::atomic<uint64_t> tuples_inserted, tuples_updated, tuples_hot_updated, tuples_deleted;
  std::atomic<int64_t> live_tuples, dead_tuples;
  std::atomic<uint64_t> changes_since_vacuum, inserts_since_vacuum;
  std::atomic<int64_t> last_vacuum_us, last_autovacuum_us;
  std::atomic<uint64_t> vacuum_count, autovacuum_count;
};

struct Shared {
  LwLock lock;  // shared: lookup; exclusive: claiming a slot
  int used;
  Entry entries[kSlots];
};

Shared* shared = nullptr;

int64_t NowUs() {
  timeval tv;
  gettimeofday(&tv, nullptr);
  return static_cast<int64_t>(tv.tv_sec) * 1'000'000 + tv.tv_usec;
}

size_t SlotOf(uint32_t db, uint32_t rel_id) {
  uint64_t h = (static_cast<uint64_t>(db) << 32 | rel_id) * 0x9E3779B97F4A7C15ull;
  return static_cast<size_t>(h >> 32) % kSlots;
}

Entry* FindLocked(uint32_t db, uint32_t rel_id) {
  for (size_t i = SlotOf(db, rel_id), n = 0; n < kSlots; i = (i + 1) % kSlots, ++n) {
    Entry& e = shared->entries[i];
    if (!e.in_use.load(std::memory_order_acquire)) return nullptr;
    if (e.db == db && e.rel_id == rel_id) return &e;
  }
  return nullptr;
}

// The entry of `table`, claimed when new; nullptr when the table is full (TS4).
Entry* FindOrCreate(const TableIdentity& table) {
  uint32_t db = table.db.value();
  uint32_t rel = table.rel_id.value();
  {
    LwLockGuard guard(&shared->lock, LwLockMode::kShared);
    if (Entry* e = FindLocked(db, rel)) return e;
  }
  LwLockGuard guard(&shared->lock, LwLockMode::kExclusive);
  if (Entry* e = FindLocked(db, rel)) return e;
  if (shared->used >= kMaxTrackedTables) {
    static bool warned = false;
    if (!warned) {
      warned = true;
      Log(Severity::kWarning, "too many tables to track activity for (%d); \"%s\" is not counted",
          kMaxTrackedTables, table.name.c_str());
    }
    return nullptr;
  }
  size_t i = SlotOf(db, rel);
  while (shared->entries[i].in_use.load(std::memory_order_relaxed)) i = (i + 1) % kSlots;
  Entry& e = shared->entries[i];
  e.db = db;
  e.rel_id = rel;
  e.locator = table.locator;
  size_t len = std::min(table.name.size(), kNameBytes - 1);
  memcpy(e.name, table.name.data(), len);
  e.name[len] = '\0';
  shared->used++;
  e.in_use.store(true, std::memory_order_release);
  return &e;
}

// TS1: a backend's counts for the current transaction, published at its end.
struct Pending {
  TableIdentity table;
  uint64_t inserted = 0, updated = 0, hot_updated = 0, deleted = 0;
};
std::vector<Pending> pending;

TableIdentity Own(const TableRef& table) {
  return TableIdentity{table.db, table.rel_id, table.locator, std::string(table.name)};
}

Pending& PendingFor(const TableRef& table) {
  // Most transactions touch one or two tables: the last one used is checked first.
  if (!pending.empty() && pending.back().table.rel_id == table.rel_id &&
      pending.back().table.db == table.db) {
    return pending.back();
  }
  for (Pending& p : pending) {
    if (p.table.db == table.db && p.table.rel_id == table.rel_id) return p;
  }
  pending.push_back(Pending{Own(table)});
  return pending.back();
}

TableStats Copy(const Entry& e) {
  TableStats s;
  s.identity = TableIdentity{Oid(e.db), Oid(e.rel_id), e.locator, e.name};
  s.tuples_inserted = e.tuples_inserted.load();
  s.tuples_updated = e.tuples_updated.load();
  s.tuples_hot_updated = e.tuples_hot_updated.load();
  s.tuples_deleted = e.tuples_deleted.load();
  s.live_tuples = std::max<int64_t>(0, e.live_tuples.load());
  s.dead_tuples = std::max<int64_t>(0, e.dead_tuples.load());
  s.changes_since_vacuum = e.changes_since_vacuum.load();
  s.inserts_since_vacuum = e.inserts_since_vacuum.load();
  s.last_vacuum_us = e.last_vacuum_us.load();
  s.last_autovacuum_us = e.last_autovacuum_us.load();
  s.vacuum_count = e.vacuum_count.load();
  s.autovacuum_count = e.autovacuum_count.load();
  return s;
}

}  // namespace

size_t TableStatsShmemSize() { return sizeof(Shared); }

void TableStatsShmemInit() {
  bool found = false;
  void* memory = storage::ShmemInitStruct("table statistics", sizeof(Shared), &found);
  shared = static_cast<Shared*>(memory);
  if (found) return;
  memset(memory, 0, sizeof(Shared));  // atomics of integral type: all-zero is their zero value
  shared->lock.Init(lwtranche::kMain);
  pending.clear();
}

void CountTupleInserted(const TableRef& table) { PendingFor(table).inserted++; }
void CountTupleUpdated(const TableRef& table, bool hot) {
  Pending& p = PendingFor(table);
  p.updated++;
  if (hot) p.hot_updated++;
}
void CountTupleDeleted(const TableRef& table) { PendingFor(table).deleted++; }

void AtTransactionEndTableStats(bool commit) {
  if (shared == nullptr) {
    pending.clear();
    return;
  }
  for (const Pending& p : pending) {
    Entry* e = FindOrCreate(p.table);
    if (e == nullptr) continue;
    e->tuples_inserted += p.inserted;
    e->tuples_updated += p.updated;
    e->tuples_hot_updated += p.hot_updated;
    e->tuples_deleted += p.deleted;
    if (commit) {
      e->live_tuples += static_cast<int64_t>(p.inserted) - static_cast<int64_t>(p.deleted);
      e->dead_tuples += static_cast<int64_t>(p.updated + p.deleted);
      e->inserts_since_vacuum += p.inserted;
    } else {
      e->dead_tuples += static_cast<int64_t>(p.inserted + p.updated);
    }
    e->changes_since_vacuum += p.inserted + p.updated + p.deleted;
  }
  pending.clear();
}

void ReportVacuum(const TableRef& table, uint64_t live_tuples, uint64_t dead_tuples,
                  bool autovacuum) {
  Entry* e = FindOrCreate(Own(table));
  if (e == nullptr) return;
  // TS5: changes made while VACUUM ran are lost from the estimate, as in PostgreSQL.
  e->live_tuples = static_cast<int64_t>(live_tuples);
  e->dead_tuples = static_cast<int64_t>(dead_tuples);
  e->changes_since_vacuum = 0;
  e->inserts_since_vacuum = 0;
  if (autovacuum) {
    e->last_autovacuum_us = NowUs();
    e->autovacuum_count++;
  } else {
    e->last_vacuum_us = NowUs();
    e->vacuum_count++;
  }
}

std::vector<TableStats> AllTableStats() {
  std::vector<TableStats> out;
  LwLockGuard guard(&shared->lock, LwLockMode::kShared);
  for (const Entry& e : shared->entries) {
    if (e.in_use.load(std::memory_order_acquire)) out.push_back(Copy(e));
  }
  return out;
}

bool GetTableStats(Oid db, Oid rel_id, TableStats* out) {
  LwLockGuard guard(&shared->lock, LwLockMode::kShared);
  const Entry* e = FindLocked(db.value(), rel_id.value());
  if (e == nullptr) return false;
  *out = Copy(*e);
  return true;
}

}  // namespace keel::stats
