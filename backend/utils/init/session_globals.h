// Who this backend is: the database it is connected to and the role it runs as, set once when
// the session is established (and by the standalone/bootstrap paths, and tests). Process-local.
// README.md ("Session globals").
#pragma once

#include "storage/common/ids.h"

namespace keel {

// The connected database's pg_database oid; kInvalidOid before a database is chosen (the
// postmaster, auxiliary processes, a backend still authenticating).
[[nodiscard]] Oid MyDatabaseId();
// Its default tablespace (pg_database.dattablespace); kInvalidOid as above.
[[nodiscard]] Oid MyDatabaseTableSpace();
// The session user's pg_authid oid; kInvalidOid before authentication.
[[nodiscard]] Oid MyRoleId();

// Requires: not already connected to another database in this process (XX000 otherwise;
// setting the same database again is allowed).
void SetMyDatabase(Oid database, Oid tablespace);
void SetMyRole(Oid role);

}  // namespace keel
