// TRUNCATE as an internal statement function taking a struct shaped like PostgreSQL's
// TruncateStmt. README.md ("Truncate", B13-B15).
#pragma once

#include <string>
#include <vector>

#include "backend/catalog/dependency.h"
#include "backend/catalog/namespace.h"

namespace keel::commands {

// TRUNCATE [TABLE] relation [, ...] [CASCADE | RESTRICT] (RESTART IDENTITY needs sequences).
struct TruncateStmt {
  std::vector<catalog::RangeVar> relations;
  catalog::DropBehavior behavior = catalog::DropBehavior::kRestrict;
};

// PostgreSQL's ExecuteTruncate (B13-B15): AccessExclusiveLock on every table (and, with
// CASCADE, on every table referencing one through a foreign key: NOTICE `truncate cascades to
// table "%s"`), then each table and each of its indexes gets a new, empty relfilenumber (the
// indexes rebuilt empty); the old files are removed at commit, an abort keeps them.
// Requires: an active, non-failed transaction; MyDatabaseId() and MyRoleId() set.
// Throws 42P01 `relation "%s" does not exist`; 42809 `"%s" is not a table`; 42501 `permission
// denied for table %s` (not the owner: no GRANT yet), `permission denied: "%s" is a system
// catalog`; 0A000 `cannot truncate a table referenced in a foreign key constraint` DETAIL
// `Table "%s" references "%s".` HINT `Truncate table "%s" at the same time, or use TRUNCATE
// ... CASCADE.`
void ExecuteTruncate(const TruncateStmt& stmt, catalog::NoticeList* notices);

}  // namespace keel::commands
