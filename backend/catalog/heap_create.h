// Creating a table's catalog entries and storage (PostgreSQL's heap.c heap_create_with_catalog):
// the pg_class row, pg_attribute rows (user and system columns), the composite row type and
// its array type in pg_type, the pg_depend / pg_shdepend rows, and the relation file through
// the transaction's pending creates; plus giving a relation a new, empty file (TRUNCATE,
// REINDEX). README.md ("Relations", T1-T12).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "storage/common/ids.h"

namespace keel::catalog {

// PostgreSQL's MaxHeapAttributeNumber.
inline constexpr int kMaxHeapAttributeNumber = 1600;

// One user column of a new relation, its type already resolved.
struct NewColumn {
  std::string name;
  Oid type;                 // pg_type oid
  int32_t typmod = -1;      // atttypmod (-1: none)
  int32_t ndims = 0;        // attndims: array dimensions as declared (int[] -> 1)
  bool not_null = false;    // attnotnull
  bool has_default = false; // atthasdef (the pg_attrdef row is the caller's: StoreAttrDefault)
  Oid collation;            // attcollation; kInvalidOid: the type's (typcollation)
};

// What heap_create_with_catalog needs.
struct NewRelation {
  std::string name;
  Oid namespace_oid;
  Oid owner;
  char kind = 'r';          // relkind: tables only here ('r'); indexes: index_create.h
  char persistence = 'p';   // relpersistence: 'p', 'u', 't'
  Oid am{2};                // relam: the heap
  std::vector<NewColumn> columns;
};

// Creates the relation: checks the name (42P07 `relation "%s" already exists`; 42710 `type
// "%s" already exists` HINT `A relation has an associated type of the same name, so you must
// use a name that doesn't conflict with any existing type.`), the column count (54011 `tables
// can have at most %d columns`), the column names (42701 `column "%s" specified more than
// once`) and types (42P16 `column "%s" has pseudo-type %s`), then inserts pg_class (T1),
// pg_attribute (T2), the row type and its array type (T3), the dependencies (T4), creates the
// file with RelationCreateStorage (T5) and ends with CommandCounterIncrement so the relation
// cache can open it. Returns the new relation's oid.
// Requires: an active, non-failed transaction; MyDatabaseId() set; the caller holds what
// serialises creation in the namespace (RangeVarGetAndCheckCreationNamespace's lock).
[[nodiscard]] Oid HeapCreateWithCatalog(const NewRelation& rel);

// Inserts the pg_attribute row of one column of relation `relid` (attnum >= 1 for user
// columns), with the layout of its type. Used for tables and (with attstattarget -1 and no
// NOT NULL) for index columns. Requires: as HeapCreateWithCatalog.
void InsertColumnRow(Oid relid, int16_t attnum, const NewColumn& column);

// Gives relation `relid` (table or index) a new, empty main fork: a new relfilenode
// (GetNewRelFileNumber), RelationCreateStorage, the old file scheduled for removal at commit
// (RelationDropStorage), pg_class.relfilenode updated (and relpages / reltuples / relallvisible
// reset), CommandCounterIncrement (T6). Returns the new relfilenode. The caller rebuilds what
// must not stay empty (an index's metapage). Requires: AccessExclusiveLock on the relation.
Oid RelationSetNewRelfilenumber(Oid relid);

}  // namespace keel::catalog
