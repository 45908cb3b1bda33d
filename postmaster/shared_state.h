// Creating all of shared memory, and what every process that uses it does first. Used by the
// postmaster (M6) and by the multi-process test harness (tests/server), so both build exactly
// the same shared state. See README.md.
#pragma once

#include <cstdint>

namespace keel::postmaster {

// Sizes every shared structure from the current settings, creates the region and initialises
// them all (proc array, lock table, buffer pool, WAL, sync queue, SLRUs, transaction state,
// checkpointer, quit reason). Requires: no region exists in this process. Throws shmem's errors.
void CreateSharedState(uint64_t system_identifier);

// Registers what the server has built in, in this process: every resource manager (WAL redo and
// description), the index access methods (btree) and the relation droppers of DDL
// (commands::RegisterTableCommands). Children inherit the tables through fork.
// Idempotent for the access methods; harnesses call it once per server they start.
void RegisterBuiltins();

// A freshly forked child that uses shared state: its private buffer pins, WAL access (the
// buffer manager's WAL-before-data hook) and transaction access.
void InitChildSharedAccess();

}  // namespace keel::postmaster
