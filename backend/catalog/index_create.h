// Creating an index's catalog entries and building it (PostgreSQL's index.c index_create /
// index_build / reindex_index): the pg_class row (relkind 'i'), pg_attribute rows for its
// columns, the pg_index row, the constraint row of a PRIMARY KEY / UNIQUE index, the
// dependencies, the file through the transaction's pending creates, and the build through the
// index access method from the table's rows. README.md ("Indexes", T11-T16).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "storage/common/ids.h"

namespace keel::catalog {

// What index_create needs (columns resolved to attnums already).
struct NewIndex {
  std::string name;
  Oid heap;                       // indrelid
  Oid am{403};                    // btree
  std::vector<int16_t> attnums;   // indkey: key columns, then INCLUDE columns
  int nkeyatts = 0;               // indnkeyatts
  std::vector<int16_t> options;   // indoption per key column (cache::kIndexOption*)
  bool unique = false;
  bool primary = false;
  // PRIMARY KEY / UNIQUE constraint (index_constraint_create): contype 'p' / 'u', 0 for none.
  char constraint_type = 0;
  bool deferrable = false;
  bool deferred = false;
};

struct CreatedIndex {
  Oid index;
  Oid constraint;                 // kInvalidOid unless constraint_type was set
};

// index_create + index_build: checks the name (42P07 `relation "%s" already exists`), finds
// each key column's default operator class (42704 `data type %s has no default operator class
// for access method "%s"` HINT `You must specify an operator class for the index or define a
// default operator class for the data type.`), inserts the rows (T11), records the
// dependencies (T12), creates the file and builds the index from every row the table holds
// (T13; a unique index with duplicates: the btree's 23505 `could not create unique index
// "%s"` with DETAIL `Key (%s)=(%s) is duplicated.`), sets the table's relhasindex, and ends
// with CommandCounterIncrement.
// Requires: an active, non-failed transaction; ShareLock (or stronger) on the table; the
// table's descriptor opens through the relation cache.
[[nodiscard]] CreatedIndex IndexCreate(const NewIndex& index);

// index_build for an existing index whose file is new and empty (REINDEX, TRUNCATE): fills
// it from the table's rows under a fresh snapshot (T13). Requires: AccessExclusiveLock on the
// index and ShareLock on the table.
void IndexBuild(Oid heap, Oid index);

// reindex_index: a new relfilenumber (RelationSetNewRelfilenumber) and a build (T14).
// Requires: ShareLock on the table, AccessExclusiveLock on the index.
void ReindexIndex(Oid index);

// RelationGetIndexList: the live indexes of `heap`, ascending oids (through pg_index).
[[nodiscard]] std::vector<Oid> RelationIndexOids(Oid heap);

// The pg_index.indrelid of `index`, kInvalidOid when it is not an index.
[[nodiscard]] Oid IndexGetRelation(Oid index);

}  // namespace keel::catalog
