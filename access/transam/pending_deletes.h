// Relation storage that follows the transaction (PostgreSQL's catalog/storage.c): files created
// by a transaction go away if it aborts, files it drops go away only when it commits, and both
// are carried by the commit / abort / prepare records so redo finishes the job after a crash.
// Also database directories (storage/smgr/database_dir.h). README.md ("Pending deletes", D1-D9).
#pragma once

#include <cstdint>

#include "storage/common/ids.h"

namespace keel::transam {

// pg_class.relpersistence.
enum class RelPersistence : char {
  kPermanent = 'p',  // WAL-logged
  kUnlogged = 'u',   // not WAL-logged (its init fork is the caller's business)
  kTemp = 't',       // not WAL-logged; session-local (no local buffers yet: see README)
};

// Creates the main fork of `locator` (empty; WAL-logged for kPermanent, so redo creates it too)
// and remembers it in the current (sub)transaction: if that aborts, the relation's files are
// removed (D2). Assigns the (sub)transaction an xid so the abort record can name the file (D1).
// Requires: an active, non-failed transaction; the directory exists. Throws 58P02
// `could not create file "%s": File exists` (nothing is remembered then), 25P02, smgr's errors.
void RelationCreateStorage(const RelFileLocator& locator, RelPersistence persistence);

// Schedules the relation's files (every fork) for removal when the top-level transaction
// commits; nothing happens if it (or the subtransaction that asked) aborts (D3). At commit the
// buffers are dropped without writing, pending fsyncs forgotten and the files unlinked — the
// main fork's first segment only after the next checkpoint (storage/smgr SM5), so its number
// is not reused too early. Assigns an xid (D1). Requires: an active, non-failed transaction;
// the caller holds AccessExclusiveLock on the relation (nobody else uses its buffers).
void RelationDropStorage(const RelFileLocator& locator);

// Database directories (storage/smgr/database_dir.h): schedules the removal of the whole
// directory of database `db` in tablespace `spc` (only pg_default, base/<db>, exists today)
// when the top-level transaction commits (`at_commit`) or when the current (sub)transaction
// aborts. Removal drops every buffer of the database, forgets its pending fsyncs and removes
// the files and the directory (D9). Assigns an xid (D1). Requires: as above.
void ScheduleDatabaseDirectoryRemoval(Oid spc, Oid db, bool at_commit);

// How pending deletes name a database directory in records and state files: a locator whose
// relation number is 0 (no relation file ever has relfilenumber 0).
[[nodiscard]] constexpr bool IsDatabaseDirectoryLocator(const RelFileLocator& locator) {
  return locator.rel == kInvalidOid;
}

}  // namespace keel::transam
