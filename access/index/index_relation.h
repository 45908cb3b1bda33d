// What the index access methods know about an open index (PostgreSQL's index Relation with its
// pg_index row and per-column options) and about the index being built or maintained
// (IndexInfo). Filled in by the catalog issue; tests fill them directly. README.md (IX1-IX4).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "access/common/index_tuple.h"
#include "access/common/relation.h"
#include "access/index/scan_key.h"

namespace keel::access {

// PostgreSQL's pg_am oid of btree.
inline constexpr Oid kBtreeIndexAmOid{403};

// One index column (pg_index.indkey / indoption / indclass / indcollation, and the support
// function the opclass provides). Key columns are ordered; INCLUDE columns only carried.
struct IndexColumn {
  AttrNumber heap_attno = 0;        // the table's column (1-based); 0: an expression (later)
  bool descending = false;          // indoption INDOPTION_DESC
  bool nulls_first = false;         // indoption INDOPTION_NULLS_FIRST
  Oid opclass;                      // pg_opclass oid (informational until the catalog exists)
  Oid collation;                    // pg_collation oid, 0 when not collatable
  DatumCompareFn compare = nullptr; // order of two non-null values (key columns; IX6)
  const void* compare_arg = nullptr;
  IndexOutputFn output = nullptr;   // text form of a value, for 23505's detail (key columns)
  // The opclass's "equalimage" (access/common IT7): values that compare equal are bytewise
  // equal, so an AM may store one copy for all of them (btree deduplication). True for the
  // built-in integer, oid, bool and text (C collation) opclasses; false for float8 and for any
  // comparator not known to have it (key columns).
  bool equal_image = false;
};

// An open index. `rel` is the index's own relation: its files, its name for messages, the
// descriptor of its tuples (rel.desc: one attribute per column, key columns first), and rel.am,
// the pg_am oid of its access method (IX1).
struct IndexRelation {
  Relation rel;
  Oid heap_id;                      // pg_index.indrelid: the table it indexes
  int key_columns = 0;              // indnkeyatts
  std::vector<IndexColumn> columns; // indnatts entries: key columns, then INCLUDE columns
  bool unique = false;              // indisunique
  bool nulls_not_distinct = false;  // indnullsnotdistinct (PostgreSQL 15)

  [[nodiscard]] int total_columns() const { return static_cast<int>(columns.size()); }
};

// What building or inserting into an index needs to know beyond the index itself
// (PostgreSQL's IndexInfo, without expressions and predicates yet).
struct IndexInfo {
  std::vector<AttrNumber> heap_attnos;  // per index column, as IndexColumn::heap_attno
  int key_columns = 0;
  bool unique = false;
  bool nulls_not_distinct = false;
  bool concurrent = false;              // CREATE INDEX CONCURRENTLY (not supported yet)
};

// PostgreSQL's BuildIndexInfo: the IndexInfo an open index implies.
[[nodiscard]] inline IndexInfo MakeIndexInfo(const IndexRelation& index) {
  IndexInfo info;
  info.heap_attnos.reserve(index.columns.size());
  for (const IndexColumn& c : index.columns) info.heap_attnos.push_back(c.heap_attno);
  info.key_columns = index.key_columns;
  info.unique = index.unique;
  info.nulls_not_distinct = index.nulls_not_distinct;
  return info;
}

}  // namespace keel::access
