// The multi-process test harness; see server_harness.h.
#include "tests/server/server_harness.h"

#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>

#include "access/transam/checkpoint.h"
#include "access/transam/control_file.h"
#include "access/transam/xact.h"
#include "backend/catalog/namespace.h"
#include "backend/utils/cache/relcache.h"
#include "backend/utils/cache/syscache.h"
#include "backend/utils/config/settings.h"
#include "backend/utils/init/paths.h"
#include "backend/utils/init/process_exit.h"
#include "postmaster/shared_state.h"
#include "postmaster/standalone.h"
#include "postmaster/startup.h"
#include "storage/ipc/fork_test_util.h"
#include "storage/ipc/proc_array.h"
#include "storage/ipc/process_context.h"
#include "storage/smgr/smgr.h"

namespace keel::testing {
namespace {

[[noreturn]] void Die(const char* what) {
  perror(what);
  std::abort();
}

}  // namespace

ServerHarness::ServerHarness(HarnessOptions options) : options_(options) {
  const char* tmp = std::getenv("TMPDIR");
  std::string templ = std::string(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp") +
                      "/keel_harness_XXXXXX";
  if (mkdtemp(templ.data()) == nullptr) Die("mkdtemp");
  dir_ = templ;
  old_cwd_ = std::filesystem::current_path().string();
  if (chdir(dir_.c_str()) != 0) Die("chdir");
  for (const char* sub : {"global", "wal", "base", "xact", "committs", "subxact"}) {
    if (mkdir(sub, 0700) != 0) Die("mkdir");
  }
  if (mkdir(("base/" + std::to_string(kTestDb)).c_str(), 0700) != 0) Die("mkdir");
  SetDataDirectory(dir_);
  settings::shared_buffers_pages = options_.shared_buffers_pages;
  settings::max_connections = options_.max_connections;
  settings::data_checksums = options_.data_checksums;
  settings::fsync = options_.fsync;
  settings::max_prepared_transactions = options_.max_prepared_transactions;
  settings::log_checkpoints = false;
  transam::ControlFileData control = transam::NewControlFile(options_.data_checksums);
  system_identifier_ = control.system_identifier;
  transam::WriteControlFile(dir_, control);
  storage::InitProcessContext(storage::ProcessRole::kBackend);
  postmaster::RegisterBuiltins();
  StartServer();
}

ServerHarness::~ServerHarness() {
  StopServer();
  if (chdir(old_cwd_.c_str()) != 0) Die("chdir");
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

void ServerHarness::StartServer() {
  // Descriptors of an earlier harness in this process point into a removed directory, and
  // children would inherit them.
  storage::SmgrCloseAll();
  postmaster::CreateSharedState(system_identifier_);
  pid_t startup = storage::testing::ForkChild(
      [] {
        ForgetProcessExitCleanups();
        postmaster::InitChildSharedAccess();
        postmaster::StartupProcessMain();  // exits 0 after recovery, 1 on failure
        return 1;
      },
      storage::ProcessRole::kStartup);
  int code = storage::testing::WaitChild(startup, 120'000);
  if (code != 0) {
    fprintf(stderr, "startup process failed: %d\n", code);
    std::abort();
  }
  (void)postmaster::BecomeLocalBackend();  // shared with the standalone server
  ForgetProcessLocalCaches();
}

void ServerHarness::ForgetProcessLocalCaches() {
  // This process is a new backend of a new (or crashed and recovered) server: nothing it
  // cached from the earlier one may survive — catalog rows and relation descriptors (whose
  // rows, files and oids may differ now), the search path and the temporary namespace.
  cache::SysCacheResetAll();
  cache::RelationCacheInvalidateAll();
  catalog::ResetNamespaceState();
}

void ServerHarness::StopServer() {
  for (pid_t pid : children_) kill(pid, SIGKILL);
  for (pid_t pid : children_) waitpid(pid, nullptr, 0);
  children_.clear();
  // Takes no shared lock: a killed child may have held any of them.
  postmaster::DetachFromSharedState();
}

pid_t ServerHarness::ForkBackend(std::function<int()> fn) {
  pid_t pid = storage::testing::ForkChild([&fn] {
    ForgetProcessExitCleanups();
    storage::ProcSlot* slot = postmaster::BecomeLocalBackend();
    int code = 0;
    try {
      code = fn();
    } catch (const std::exception& e) {
      fprintf(stderr, "backend %d: exception: %s\n", static_cast<int>(getpid()), e.what());
      code = 99;
    }
    // As a backend leaving: its transaction aborted (which also drops pins and locks), and its
    // proc slot given back so long tests do not run out of slots.
    transam::AbortTransaction();
    storage::ProcArrayReleaseSlot(slot);
    return code;
  });
  children_.push_back(pid);
  return pid;
}

int ServerHarness::Wait(pid_t pid, int timeout_ms) {
  int code = storage::testing::WaitChild(pid, timeout_ms);
  std::erase(children_, pid);
  return code;
}

void ServerHarness::Crash() {
  // This process's own transaction, if any, dies with the crash: its locks and pins go with
  // the old shared memory (abort cleans the process-local tables).
  if (transam::IsTransactionActive()) transam::AbortTransaction();
  StopServer();
  StartServer();
}

void ServerHarness::Checkpoint() {
  transam::CreateCheckpoint(transam::kCheckpointImmediate | transam::kCheckpointForce |
                            transam::kCheckpointCauseRequest);
}

access::Relation ServerHarness::TestRelation(uint32_t rel_number, const char* name) {
  access::Relation rel;
  rel.id = Oid(rel_number);
  rel.db = Oid(kTestDb);
  rel.locator = RelFileLocator{Oid(1663), Oid(kTestDb), Oid(rel_number)};
  rel.name = name;
  return rel;
}

}  // namespace keel::testing
