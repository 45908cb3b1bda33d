// Database directories (base/<db>): the storage side of CREATE DATABASE (PostgreSQL 15's
// FILE_COPY strategy: copy every file of the template's directory) and DROP DATABASE (remove
// the directory at commit), both transactional, with the WAL record of the copy (resource
// manager kDatabase). Built as library keel_database_dir, which sits above access/transam
// (WAL, checkpoints, pending deletes). README.md ("Database directories", DB1-DB8).
#pragma once

#include <cstdint>
#include <string>

#include "storage/common/ids.h"

namespace keel::storage {

// Every database lives in the default tablespace (pg_default, 1663) until tablespaces exist.
inline constexpr uint32_t kDatabaseDirTablespace = 1663;

// "base/<db>", relative to the data directory.
[[nodiscard]] std::string DatabaseDirectoryPath(Oid db);

// CREATE DATABASE dst TEMPLATE src (FILE_COPY): an immediate checkpoint (src's dirty buffers
// reach its files, deferred unlinks of dropped relations are done: DB1), base/<dst> created
// (DB2) and scheduled for removal should the current (sub)transaction abort (DB3), every file
// of base/<src> copied byte for byte and fsynced with the directory (DB4), the CREATE_FILE_COPY
// record inserted, then a second immediate checkpoint so crash recovery never replays the copy
// (DB5). Runs in the caller's transaction; the caller inserts the pg_database row after it.
// Requires: an active, non-failed transaction; nobody connected to src or changing it (the
// caller holds the lock PostgreSQL takes: ShareLock on the template database); dst is a new
// oid. Throws 58P02 `could not create directory "%s": File exists` (nothing changed), file
// errors (`could not open directory`, `could not read file`, `could not write to file`, with
// errcode_for_file_access SQLSTATEs; the caller's abort removes the partial copy), and what a
// checkpoint throws. A failed fsync is a PANIC (storage/file F5).
void CreateDatabaseDirectory(Oid src_db, Oid dst_db);

// DROP DATABASE db: schedules the removal of base/<db> when the top-level transaction commits
// (DB6): then — after the durable commit record, which names the directory so redo repeats it —
// every buffer of the database is dropped unwritten, its pending fsyncs are forgotten, and the
// files and the directory are removed. Nothing happens if the transaction aborts. PostgreSQL
// runs DROP DATABASE outside any transaction block (the caller refuses it inside one: 25001)
// because its removal is not transactional; here it is, so the block rule is only kept for
// compatibility (DB7). Requires: an active, non-failed transaction; nobody connected to db and
// no new connection possible (the caller holds AccessExclusiveLock on the database and has
// checked for sessions: 55006). Throws 25P02 in a failed transaction.
void DropDatabaseDirectory(Oid db);

// RmgrId::kDatabase ("Database"): redo and description of CREATE_FILE_COPY. Every process
// registers it at start (postmaster::RegisterBuiltins; keel-waldump).
void RegisterDatabaseRmgr();

// --- WAL (RmgrId::kDatabase) ------------------------------------------------------------------
inline constexpr uint8_t kDatabaseCreateFileCopy = 0x00;
struct DatabaseCreateRecord {  // main data of kDatabaseCreateFileCopy (16 bytes)
  Oid db;
  Oid tablespace;
  Oid src_db;
  Oid src_tablespace;
};
static_assert(sizeof(DatabaseCreateRecord) == 16);

}  // namespace keel::storage
