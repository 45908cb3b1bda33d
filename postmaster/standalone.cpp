// The in-process server; see standalone.h and README.md ("Standalone server", SA1-SA6).
#include "postmaster/standalone.h"

#include <unistd.h>

#include <cerrno>
#include <ctime>
#include <filesystem>

#include "access/transam/checkpoint.h"
#include "access/transam/control_file.h"
#include "access/transam/recovery.h"
#include "access/transam/xact.h"
#include "backend/catalog/catalog_defs.h"
#include "backend/catalog/catalog_lookup.h"
#include "backend/catalog/catalog_relation.h"
#include "backend/utils/cache/inval.h"
#include "backend/utils/config/config.h"
#include "backend/utils/error/error.h"
#include "backend/utils/error/format.h"
#include "backend/utils/error/log.h"
#include "backend/utils/init/paths.h"
#include "backend/utils/init/session_globals.h"
#include "postmaster/server_options.h"
#include "postmaster/shared_state.h"
#include "storage/buffer/bufmgr.h"
#include "storage/ipc/proc_array.h"
#include "storage/ipc/process_context.h"
#include "storage/ipc/shmem.h"
#include "storage/ipc/sinval.h"
#include "storage/lmgr/lwlock.h"
#include "storage/smgr/smgr.h"
#include "storage/sync/sync.h"

namespace keel::postmaster {

void RunStartupInProcess() {
  InitChildSharedAccess();  // no proc slot yet: not an invalidation reader (storage/ipc Q4)
  storage::ProcSlot* slot = storage::ProcArrayAcquireAuxSlot(storage::ProcKind::kStartup, getpid());
  if (slot == nullptr) {
    throw FatalError(sqlstate::kTooManyConnections, "no free proc slot for the startup process");
  }
  // S1: no checkpointer; the end-of-recovery checkpoint fsyncs what redo wrote.
  storage::SetSyncRequestsLocal(true);
  try {
    transam::StartupXlog();
  } catch (...) {
    storage::ProcArrayReleaseSlot(slot);
    throw;
  }
  storage::ProcArrayReleaseSlot(slot);
}

storage::ProcSlot* BecomeLocalBackend() {
  storage::ProcSlot* slot = storage::ProcArrayAcquireBackendSlot(getpid(), 0);
  if (slot == nullptr) {
    throw FatalError(sqlstate::kTooManyConnections, "sorry, too many clients already");
  }
  InitChildSharedAccess();              // with the slot: an invalidation reader from now on
  storage::SetSyncRequestsLocal(true);  // SA3: no checkpointer to forward fsyncs to
  return slot;
}

void DetachFromSharedState() {
  storage::ReleaseAllLwLocks();
  (void)storage::ReleaseAllBufferPins();
  storage::SetCurrentProcSlot(nullptr);
  storage::ShmemDestroy();
  storage::SmgrCloseAll();
}

StandaloneServer::StandaloneServer(const std::string& data_dir, StandaloneOptions options) {
  if (storage::ShmemIsCreated()) {
    throw Error(sqlstate::kInternalError, "shared memory already exists in this process");
  }
  std::error_code ec;
  old_cwd_ = std::filesystem::current_path(ec).string();
  if (ec) {
    throw FatalError(sqlstate::kIoError,
                     Format("could not identify current directory: %s", ec.message().c_str()));
  }
  try {
    Start(data_dir, options);
  } catch (...) {
    Release();
    throw;
  }
}

StandaloneServer::~StandaloneServer() {
  try {
    Shutdown();
  } catch (const Error& e) {
    LogError(e);
  } catch (const std::exception& e) {
    Log(Severity::kWarning, "%s", e.what());
  }
}

void StandaloneServer::Start(const std::string& data_dir, const StandaloneOptions& options) {
  // The postmaster's order (README "Start-up order", steps 1-4 and 7; SA1).
  data_dir_ = ValidateDataDirectory(data_dir);
  if (chdir(data_dir_.c_str()) != 0) {
    throw FatalError(sqlstate::kIoError, Format("could not change directory to \"%s\": %s",
                                                data_dir_.c_str(), ErrnoText(errno).c_str()));
  }
  SetDataDirectory(data_dir_);
  for (const std::string& setting : options.settings) config::SetFromCommandLine(setting);
  config::LoadConfigFile(ConfigFilePath());
  const transam::ControlFileData control = transam::ReadControlFile(data_dir_);
  config::SetSetting("data_checksums", control.data_checksum_version != 0 ? "on" : "off",
                     config::SettingSource::kDefault, config::Phase::kStartup);

  pid_file_.emplace(PidFile::Acquire(data_dir_));
  interlock_ = storage::CreateShmemInterlock(data_dir_);
  PidFileContents contents = pid_file_->contents();
  contents.start_time_s = static_cast<int64_t>(time(nullptr));
  contents.shmem_key = interlock_->key;
  contents.shmem_id = interlock_->shmid;
  contents.status = PidFileStatus::kStarting;  // never "ready": nobody can connect to it
  pid_file_->Write(contents);

  // A process that never was a server process yet (keel-initdb) gets its context once.
  if (storage::CurrentProcess().pid != static_cast<int32_t>(getpid())) {
    storage::InitProcessContext(storage::ProcessRole::kStandalone);
  }
  RegisterBuiltins();
  CreateSharedState(control.system_identifier);  // SA2: exactly the postmaster's shared state
  shmem_created_ = true;
  RunStartupInProcess();
  slot_ = BecomeLocalBackend();
  SetMyRole(options.role);
  if (options.database != kInvalidOid) ConnectToDatabase(options.database);
  running_ = true;
}

void StandaloneServer::ConnectToDatabase(Oid database) {
  transam::StartTransaction();
  std::optional<access::HeapTuple> row;
  uint32_t tablespace = 0;
  try {
    const catalog::CatalogRelation& cat =
        catalog::OpenCatalog(catalog::catalog_oid::kPgDatabase, kInvalidOid);
    row = catalog::CatalogLookupByOid(cat, database, transam::GetLatestSnapshot());
    if (row) tablespace = catalog::CatalogGetOid(cat, *row, "dattablespace");
  } catch (...) {
    transam::AbortTransaction();
    throw;
  }
  transam::CommitTransaction();
  if (!row) {
    throw FatalError(sqlstate::kInvalidCatalogName,
                     Format("database %u does not exist", database.value()));
  }
  SetMyDatabase(database, Oid(tablespace));
  cache::SetInvalidationDatabase(database);
}

void StandaloneServer::Checkpoint() {
  transam::CreateCheckpoint(transam::kCheckpointImmediate | transam::kCheckpointForce |
                            transam::kCheckpointCauseRequest);
}

void StandaloneServer::Shutdown() {
  if (!running_) return;
  running_ = false;
  try {
    if (transam::IsTransactionActive()) transam::AbortTransaction();
    // SA4: what the checkpointer does last; the control file then says "shut down".
    transam::CreateCheckpoint(transam::kCheckpointShutdown | transam::kCheckpointImmediate);
  } catch (...) {
    Release();
    throw;
  }
  Release();
}

void StandaloneServer::Release() {
  if (shmem_created_) {
    // Nothing else runs on this shared memory, so the slot and the reader slot of the
    // invalidation queue can be given back in order before it goes (SA5).
    if (transam::IsTransactionActive()) transam::AbortTransaction();
    storage::SInvalDetach();
    if (slot_ != nullptr) storage::ProcArrayReleaseSlot(slot_);
    slot_ = nullptr;
    DetachFromSharedState();
    shmem_created_ = false;
  }
  if (interlock_) storage::ReleaseShmemInterlock(*interlock_);
  interlock_.reset();
  if (pid_file_) pid_file_->Remove();
  pid_file_.reset();
  if (!old_cwd_.empty() && chdir(old_cwd_.c_str()) != 0) {
    Log(Severity::kWarning, "could not change directory to \"%s\": %s", old_cwd_.c_str(),
        ErrnoText(errno).c_str());
  }
}

}  // namespace keel::postmaster
