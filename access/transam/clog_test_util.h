// Test-only helpers for the SLRU, commit log and commit timestamp tests: a scratch data
// directory with the WAL, the xact and committs SLRUs in fresh shared memory, and a simulated
// restart. Not part of any library; see README.md ("SLRU, commit log, commit timestamps").
#pragma once

#include <string>
#include <vector>

#include "access/transam/clog.h"
#include "access/transam/commit_ts.h"
#include "access/transam/rmgr.h"
#include "access/transam/slru.h"
#include "access/transam/wal.h"
#include "access/transam/wal_reader.h"
#include "access/transam/wal_test_util.h"
#include "backend/utils/config/settings.h"
#include "storage/ipc/shmem.h"
#include "storage/lmgr/lwlock.h"

namespace keel::transam::testing {

class ClogTestCluster {
 public:
  explicit ClogTestCluster(int slru_buffers)
      : buffers_(slru_buffers), cluster_(kWalBuffers, ExtraShmem(slru_buffers)) {
    settings::fsync = false;
    track_commit_timestamp = true;
    InitSlrus();
    InitWalAccess();
    RegisterClogRmgrs();
    cluster_.StartFresh();
  }
  ~ClogTestCluster() { storage::ReleaseAllLwLocks(); }
  ClogTestCluster(const ClogTestCluster&) = delete;
  ClogTestCluster& operator=(const ClogTestCluster&) = delete;

  // Simulates a crash/restart: shared memory (WAL buffers, SLRU buffers) is thrown away and
  // made afresh; only what reached the files survives. WAL insertion is not restarted.
  void Restart() {
    storage::ReleaseAllLwLocks();
    storage::ShmemDestroy();
    storage::ShmemCreate(WalShmemSize(kWalBuffers) + ExtraShmem(buffers_));
    WalShmemInit(kWalBuffers, kTestSystemId);
    InitSlrus();
  }

  // Runs the redo of every kClog / kCommitTs record in `wal` (read after a WalFlush);
  // returns how many there were.
  static int RedoAll(const ReadResult& wal) {
    int applied = 0;
    for (const DecodedRecord& rec : wal.records) {
      if (rec.rmgr != RmgrId::kClog && rec.rmgr != RmgrId::kCommitTs) continue;
      GetRmgr(rec.rmgr)->redo(rec);
      ++applied;
    }
    return applied;
  }

  [[nodiscard]] const std::string& dir() const { return cluster_.dir(); }

 private:
  static constexpr int kWalBuffers = 16;
  static size_t ExtraShmem(int buffers) {
    return ClogShmemSize(buffers) + CommitTsShmemSize(buffers) + 4 * storage::kShmemAlignment;
  }
  void InitSlrus() {
    ClogShmemInit(buffers_);
    CommitTsShmemInit(buffers_);
  }

  int buffers_;
  WalTestCluster cluster_;
};

}  // namespace keel::transam::testing
