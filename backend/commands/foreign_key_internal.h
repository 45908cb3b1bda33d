// FOREIGN KEY constraints of CREATE TABLE (PostgreSQL's ATAddForeignKeyConstraint's catalog
// part: transformFkeyGetPrimaryKey, transformFkeyCheckAttrs, the equality operators, the
// pg_constraint row). Implemented in foreign_key.cpp. README.md ("Tables", B6).
#pragma once

#include <string>
#include <vector>

#include "backend/commands/table_commands.h"

namespace keel::commands {

// Validates and records one foreign key of table `relid` (columns `fk_columns`), locking the
// referenced table with ShareRowExclusiveLock. Errors: table_commands.h CreateTable's FK list.
void AddForeignKey(Oid relid, const Constraint& c, const std::vector<std::string>& fk_columns);

}  // namespace keel::commands
