// COMMENT ON: object comments in pg_description (objects of one database) and
// pg_shdescription (roles, databases, tablespaces), set, replaced and removed transactionally.
// README.md ("Comments").
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "backend/catalog/dependency.h"
#include "backend/catalog/object_address.h"
#include "storage/common/ids.h"

namespace keel::commands {

// COMMENT ON <objtype> <object> IS '<comment>' | NULL.
struct CommentStmt {
  catalog::ObjectType objtype = catalog::ObjectType::kTable;
  catalog::ObjectName object;
  std::optional<std::string> comment;  // nullopt: IS NULL (remove)
};

// PostgreSQL's CommentObject: resolves the object with ShareUpdateExclusiveLock
// (GetObjectAddress), checks ownership, stores the comment. Returns the object's address (an
// invalid one when a COMMENT ON DATABASE names a database that does not exist: that is a
// WARNING `database "%s" does not exist`, as PostgreSQL makes it for pg_restore's sake).
// Requires: an active, non-failed transaction; MyDatabaseId() and MyRoleId() set.
// Throws what GetObjectAddress and CheckObjectOwnership throw; 42809 `cannot set comment on
// relation "%s"` (DETAIL `This operation is not supported for indexes.` ...) for a column of a
// relation kind without column comments.
catalog::ObjectAddress CommentObject(const CommentStmt& stmt, catalog::NoticeList* notices);

// Stores `comment` for `object` (no lookup, lock or permission check): pg_shdescription for
// shared classes (sub-id ignored), pg_description otherwise. nullopt or an empty string
// removes the comment. Requires: an active, non-failed transaction; MyDatabaseId() set.
void CommentObject(const catalog::ObjectAddress& object, std::optional<std::string_view> comment);

// PostgreSQL's CreateComments / CreateSharedComments / DeleteComments /
// DeleteSharedComments. DeleteComments with objsubid 0 removes the object's and all its
// sub-objects' comments. Requires: as above.
void CreateComments(Oid objoid, Oid classoid, int32_t objsubid,
                    std::optional<std::string_view> comment);
void CreateSharedComments(Oid objoid, Oid classoid, std::optional<std::string_view> comment);
void DeleteComments(Oid objoid, Oid classoid, int32_t objsubid);
void DeleteSharedComments(Oid objoid, Oid classoid);

// The comment on `object` (obj_description / col_description / shobj_description), nullopt
// when it has none. Requires: an active transaction; MyDatabaseId() set.
[[nodiscard]] std::optional<std::string> GetComment(const catalog::ObjectAddress& object);

}  // namespace keel::commands
