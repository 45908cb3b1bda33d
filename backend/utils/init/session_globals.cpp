// The session's database and role; see session_globals.h.
#include "backend/utils/init/session_globals.h"

#include "backend/utils/error/error.h"
#include "backend/utils/error/format.h"

namespace keel {
namespace {

Oid my_database{kInvalidOid};
Oid my_database_tablespace{kInvalidOid};
Oid my_role{kInvalidOid};

}  // namespace

Oid MyDatabaseId() { return my_database; }
Oid MyDatabaseTableSpace() { return my_database_tablespace; }
Oid MyRoleId() { return my_role; }

void SetMyDatabase(Oid database, Oid tablespace) {
  if (my_database != kInvalidOid && my_database != database) {
    throw Error(sqlstate::kInternalError,
                Format("process is already connected to database %u", my_database.value()));
  }
  my_database = database;
  my_database_tablespace = tablespace;
}

void SetMyRole(Oid role) { my_role = role; }

}  // namespace keel
