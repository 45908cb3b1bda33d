// CREATE INDEX and REINDEX as internal statement functions taking structs shaped like
// PostgreSQL's IndexStmt / IndexElem / ReindexStmt. README.md ("Indexes", B10-B12).
#pragma once

#include <string>
#include <vector>

#include "backend/catalog/dependency.h"
#include "backend/catalog/namespace.h"
#include "storage/common/ids.h"

namespace keel::commands {

enum class SortByDir : uint8_t { kDefault, kAsc, kDesc };
enum class SortByNulls : uint8_t { kDefault, kFirst, kLast };

// One index column: a table column (expressions come with the parser).
struct IndexElem {
  std::string name;
  SortByDir ordering = SortByDir::kDefault;
  SortByNulls nulls_ordering = SortByNulls::kDefault;
};

// CREATE [UNIQUE] INDEX [CONCURRENTLY] [IF NOT EXISTS] [name] ON relation [USING method]
// (params) [INCLUDE (including)].
struct IndexStmt {
  std::string idxname;               // empty: generated (t_a_idx, t_a_b_idx ...)
  catalog::RangeVar relation;
  std::string access_method = "btree";
  std::vector<IndexElem> index_params;
  std::vector<std::string> including;
  bool unique = false;
  bool concurrent = false;           // refused (0A000)
  bool if_not_exists = false;
};

enum class ReindexObjectType : uint8_t { kIndex, kTable };

// REINDEX INDEX name / REINDEX TABLE name.
struct ReindexStmt {
  ReindexObjectType kind = ReindexObjectType::kIndex;
  catalog::RangeVar relation;
  bool concurrently = false;         // refused (0A000)
};

// PostgreSQL's DefineIndex (B10): ShareLock on the table, then catalog::IndexCreate (rows,
// dependencies, build). Returns the index's oid, kInvalidOid when IF NOT EXISTS found the name
// taken (NOTICE 42P07 `relation "%s" already exists, skipping`).
// Requires: an active, non-failed transaction; MyDatabaseId() and MyRoleId() set.
// Throws 42P01 `relation "%s" does not exist`; 42809 `cannot create index on relation "%s"`;
// 42501 `must be owner of table %s`, `permission denied: "%s" is a system catalog`; 42704
// `access method "%s" does not exist`, no default operator class; 0A000 `access method "%s"
// does not support unique indexes` / `included columns` / `multicolumn indexes`, CONCURRENTLY;
// 54011 `cannot use more than 32 columns in an index`; 42703 `column "%s" does not exist`;
// 42P07 `relation "%s" already exists`; 23505 from a unique build.
Oid CreateIndex(const IndexStmt& stmt, catalog::NoticeList* notices);

// ReindexIndex / ReindexTable (B11): ShareLock on the table, AccessExclusiveLock on each index,
// a new relfilenumber and a build per index; transactional (the old files go at commit).
// REINDEX TABLE of a table without indexes: NOTICE `table "%s" has no indexes to reindex`.
// Throws 42P01 / 42704 for a missing relation, 42809 `"%s" is not an index` / `"%s" is not a
// table or materialized view`, 42501 ownership, 0A000 CONCURRENTLY.
void Reindex(const ReindexStmt& stmt, catalog::NoticeList* notices);

}  // namespace keel::commands
