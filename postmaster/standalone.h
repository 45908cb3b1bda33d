// A server inside the calling process, without a postmaster: the configuration, shared memory
// exactly as the postmaster creates it, startup / crash recovery, and this process as a backend
// with a proc slot. keel-initdb bootstraps the catalogs through it, and tests change a stopped
// cluster with it. Also the building blocks the test harness (tests/server) shares.
// See README.md ("Standalone server", SA1-SA6).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "postmaster/pid_file.h"
#include "storage/common/ids.h"
#include "storage/ipc/shmem_interlock.h"

namespace keel::storage {
struct ProcSlot;
}

namespace keel::postmaster {

struct StandaloneOptions {
  // "name=value" as given with -c on the server's command line; keel.conf cannot override them.
  std::vector<std::string> settings;
  // The database this process works in (SetMyDatabase with its dattablespace); it must exist
  // in pg_database. kInvalidOid: none (the catalog bootstrap, or shared catalogs only).
  Oid database{kInvalidOid};
  // The role this process acts as (SetMyRole); not checked against pg_authid, so that the
  // bootstrap can run before pg_authid exists. Default: the bootstrap superuser (oid 10).
  Oid role{10};
};

class StandaloneServer {
 public:
  // Checks the data directory as the postmaster does, changes into it, reads the settings
  // (options first, then keel.conf) and the control file, takes postmaster.pid and the
  // shared-memory interlock (SA1), creates shared memory, runs startup / crash recovery in
  // this process (SA2) and makes it a backend (SA3).
  // Requires: no StandaloneServer or ServerHarness is active in this process; no transaction.
  // Throws FATAL: the data directory errors of ValidateDataDirectory, settings / keel.conf
  // errors, 55006 `lock file "postmaster.pid" already exists` (with the hint naming the running
  // server's PID) or `pre-existing shared memory block ... is still in use` when a server runs
  // on the directory, the control file's and recovery's errors, 3D000 `database %u does not
  // exist`. On a throw nothing is left behind (pid file removed, memory released, working
  // directory restored).
  explicit StandaloneServer(const std::string& data_dir, StandaloneOptions options = {});
  // Shutdown() if it was not called; errors are logged, not thrown.
  ~StandaloneServer();
  StandaloneServer(const StandaloneServer&) = delete;
  StandaloneServer& operator=(const StandaloneServer&) = delete;

  // An immediate checkpoint (everything written so far reaches the data files).
  // Requires: no transaction of this process holds buffer content locks (none between calls).
  void Checkpoint();
  // Aborts a transaction left open, writes the shutdown checkpoint (the control file says
  // "shut down"), releases the proc slot, shared memory, the interlock and postmaster.pid, and
  // changes back to the previous working directory (SA4). Idempotent. Throws the checkpoint's
  // errors; everything is released anyway.
  void Shutdown();

  [[nodiscard]] const std::string& data_dir() const { return data_dir_; }

 private:
  void Start(const std::string& data_dir, const StandaloneOptions& options);
  void ConnectToDatabase(Oid database);
  void Release();  // everything but the checkpoint; safe at any stage of Start

  std::string data_dir_;
  std::string old_cwd_;
  std::optional<PidFile> pid_file_;
  std::optional<storage::InterlockId> interlock_;
  bool shmem_created_ = false;
  storage::ProcSlot* slot_ = nullptr;
  bool running_ = false;
};

// --- building blocks (shared with tests/server's ServerHarness) ------------------------------

// The work of the startup process, in this process: takes an auxiliary proc slot, runs
// transam::StartupXlog (WAL bootstrap or crash recovery) and gives the slot back.
// Requires: shared memory created (CreateSharedState) in this process, which has no proc slot.
// Throws what StartupXlog throws.
void RunStartupInProcess();

// Makes this process a backend of the shared state it created or inherited, without a
// postmaster: a backend proc slot, shared access (InitChildSharedAccess), fsync requests kept
// local (there is no checkpointer; checkpoints in this process absorb them).
// Throws FATAL 53300 `sorry, too many clients already` when no backend slot is free.
storage::ProcSlot* BecomeLocalBackend();

// Lets go of shared state in this process and unmaps it: releases the LWLocks and buffer pins
// this process holds, drops its proc slot from the process context and closes open relation
// files. Takes no shared lock, so it is safe after other processes were killed anywhere (a
// simulated crash). Requires: no transaction active (abort it first). Never throws.
void DetachFromSharedState();

}  // namespace keel::postmaster
