// Autovacuum: a launcher (an auxiliary process) that every autovacuum_naptime picks the tables
// whose dead (or newly inserted) tuples passed their thresholds, and worker processes — children
// of the postmaster, one table each — that VACUUM them. See README.md ("Autovacuum", AV1-AV6).
#pragma once

#include <cstddef>

namespace keel::postmaster {

// Shared work items: one per possible worker (autovacuum_max_workers).
[[nodiscard]] size_t AutovacuumShmemSize(int max_workers);
void AutovacuumShmemInit(int max_workers);

[[noreturn]] void AutovacuumLauncherMain();

// Postmaster: the next work item the launcher asked a worker for, now marked as being started;
// -1 when none is waiting. Takes no lock (AV2: the postmaster never waits on shared memory).
[[nodiscard]] int AutovacuumTakeStartRequest();
// Postmaster: a worker for `item` could not be forked; the item is given back (AV4).
void AutovacuumStartFailed(int item);

// A worker: vacuums the table of `item` in a transaction, then exits (0, or 1 after an error).
[[noreturn]] void AutovacuumWorkerMain(int item);

#ifdef KEEL_DEBUG
// Test-only: takes (true) or releases (false) the launcher/worker lock, as a process that died
// holding it would leave it.
void TestOnlyHoldAutovacuumLock(bool hold);
#endif

}  // namespace keel::postmaster
