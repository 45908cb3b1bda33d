// PostgreSQL's PreventInTransactionBlock for statements that must run alone in their own
// transaction (CREATE / DROP DATABASE ...), and the per-session "inside BEGIN ... COMMIT"
// flag it reads until access/transam grows PostgreSQL's transaction block states.
// README.md ("Databases", B9).
#pragma once

namespace keel::commands {

// tcop: true from BEGIN / START TRANSACTION until COMMIT / ROLLBACK (also while the block is
// failed), false for the implicit transaction of a single statement. Process-local.
void SetInTransactionBlock(bool in_block);
[[nodiscard]] bool IsInTransactionBlock();

// Refuses to run `stmt_type` (e.g. "CREATE DATABASE") unless it is a top-level statement in
// an implicit transaction of its own; the caller commits right after it (PostgreSQL's
// XACT_FLAGS_NEEDIMMEDIATECOMMIT). `is_top_level` is false when called from a function.
// Requires: a transaction is active.
// Throws 25001 `%s cannot run inside a transaction block` (explicit block), `%s cannot run
// inside a subtransaction` (a savepoint is open), `%s cannot be executed from a function`.
void PreventInTransactionBlock(bool is_top_level, const char* stmt_type);

}  // namespace keel::commands
