// Per-table activity counters in shared memory (PostgreSQL's pg_stat_all_tables figures):
// tuples inserted / updated / deleted, estimated live and dead tuples, changes since the last
// VACUUM, and vacuum times. Backends count privately and publish at transaction end; VACUUM
// resets the dead count; autovacuum reads it all to pick tables. See README.md (TS1-TS5).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "storage/common/ids.h"

namespace keel::stats {

// Tables tracked at once; further tables go uncounted (a WARNING is logged once per process).
inline constexpr int kMaxTrackedTables = 4096;

[[nodiscard]] size_t TableStatsShmemSize();
void TableStatsShmemInit();  // postmaster, with the rest of shared memory

// Who a table is (enough for autovacuum to vacuum it without catalogs).
struct TableIdentity {
  Oid db;
  Oid rel_id;
  RelFileLocator locator;
  std::string name;
};

// The same, borrowed: what the per-tuple counting calls take (no copy unless the table is new
// to this transaction).
struct TableRef {
  Oid db;
  Oid rel_id;
  RelFileLocator locator;
  std::string_view name;
};

// --- counting (process-local until transaction end, TS1) ------------------------------------
void CountTupleInserted(const TableRef& table);
void CountTupleUpdated(const TableRef& table, bool hot);
void CountTupleDeleted(const TableRef& table);
// Transaction end: publishes the counts. Committed: live += inserted - deleted, dead +=
// updated + deleted; rolled back: dead += inserted + updated (their new versions are dead).
void AtTransactionEndTableStats(bool commit);

// --- VACUUM ---------------------------------------------------------------------------------
// After a vacuum: live and dead estimates replaced, change counters since vacuum reset.
void ReportVacuum(const TableRef& table, uint64_t live_tuples, uint64_t dead_tuples,
                  bool autovacuum);

// --- reading ---------------------------------------------------------------------------------
struct TableStats {
  TableIdentity identity;
  uint64_t tuples_inserted, tuples_updated, tuples_hot_updated, tuples_deleted;
  int64_t live_tuples, dead_tuples;
  uint64_t changes_since_vacuum, inserts_since_vacuum;
  int64_t last_vacuum_us, last_autovacuum_us;  // wall clock; 0 = never
  uint64_t vacuum_count, autovacuum_count;
};
// Every tracked table, in no particular order. Takes the table lock shared briefly.
[[nodiscard]] std::vector<TableStats> AllTableStats();
// One table's figures; false when it is not tracked.
[[nodiscard]] bool GetTableStats(Oid db, Oid rel_id, TableStats* out);

}  // namespace keel::stats
