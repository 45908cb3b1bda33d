// Checks the relation commands share (table_commands, index_commands, truncate): the facts of
// a pg_class row, ownership, system catalogs. Implemented in table_commands.cpp. Not for other
// modules. README.md ("Tables").
#pragma once

#include <string>

#include "storage/common/ids.h"

namespace keel::commands::internal {

struct RelationFacts {
  Oid oid;
  std::string name;
  Oid namespace_oid;
  Oid owner;
  char kind = 'r';
  char persistence = 'p';
};

// The pg_class row of `relid` under a fresh snapshot. Throws XX000 `cache lookup failed for
// relation %u`.
[[nodiscard]] RelationFacts GetRelationFacts(Oid relid);
// The session's role (XX000 when none is set).
[[nodiscard]] Oid CurrentUser();
// IsSystemClass: a relation in pg_catalog or pg_toast (or an initdb oid below 16384).
[[nodiscard]] bool IsSystemRelation(const RelationFacts& rel);
// 42501 `must be owner of <kind> %s` unless the user owns it (or is a superuser / member).
void CheckRelationOwner(Oid user, const RelationFacts& rel);
// 42501 `permission denied: "%s" is a system catalog` for a system relation.
void CheckNotSystemCatalog(const RelationFacts& rel);

}  // namespace keel::commands::internal
