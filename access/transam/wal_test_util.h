// Test-only helpers for the WAL tests: a scratch data directory (the test chdirs into it),
// shared memory with the WAL in it, a test resource manager, and record builders.
// Not part of any library; see README.md ("WAL tests").
#pragma once

#include <sys/stat.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "access/transam/rmgr.h"
#include "access/transam/wal.h"
#include "access/transam/wal_reader.h"
#include "access/transam/wal_record.h"
#include "backend/utils/config/settings.h"
#include "storage/ipc/process_context.h"
#include "storage/ipc/shmem.h"

namespace keel::transam::testing {

inline constexpr uint64_t kTestSystemId = 0x5EED0000CAFEull;

inline std::string TestDescribe(const DecodedRecord& r) {
  return "len " + std::to_string(r.main_data.size());
}
inline const char* TestIdentify(uint8_t info) { return info == 0 ? "TEST" : "TEST_OTHER"; }
inline void TestRedo(const DecodedRecord&) {}

inline void RegisterTestRmgr() {
  RegisterRmgr(RmgrId::kTest, RmgrOps{"Test", TestRedo, TestDescribe, TestIdentify});
}

// A fresh directory under $TMPDIR (or /tmp) with wal/ and base/, made the current directory;
// shared memory holding the WAL (and `extra_shmem` bytes for other modules). Restores the old
// directory and removes everything on destruction. One per test (each test is a process).
class WalTestCluster {
 public:
  explicit WalTestCluster(int wal_buffers = 16, size_t extra_shmem = 0,
                          const char* parent_dir = nullptr) {
    const char* tmp = parent_dir != nullptr ? parent_dir : std::getenv("TMPDIR");
    std::string base = (tmp != nullptr && *tmp != '\0') ? tmp : "/tmp";
    std::string templ = base + "/keel_wal_XXXXXX";
    std::vector<char> buf(templ.begin(), templ.end());
    buf.push_back('\0');
    if (mkdtemp(buf.data()) == nullptr) std::abort();
    dir_ = buf.data();
    old_cwd_ = std::filesystem::current_path().string();
    if (chdir(dir_.c_str()) != 0) std::abort();
    mkdir("wal", 0700);
    mkdir("base", 0700);
    mkdir("global", 0700);
    storage::InitProcessContext(storage::ProcessRole::kStandalone);
    storage::ShmemCreate(WalShmemSize(wal_buffers) + extra_shmem);
    WalShmemInit(wal_buffers, kTestSystemId);
    RegisterTestRmgr();
  }
  ~WalTestCluster() {
    storage::ShmemDestroy();
    if (chdir(old_cwd_.c_str()) != 0) std::abort();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  WalTestCluster(const WalTestCluster&) = delete;
  WalTestCluster& operator=(const WalTestCluster&) = delete;

  [[nodiscard]] const std::string& dir() const { return dir_; }

  // Starts inserting at the first record of a fresh cluster.
  void StartFresh() {
    WalStartInsertingAt(WalFirstRecordLsn(), kInvalidLsn, 1, WalFirstRecordLsn());
  }

  // Simulates a restart: forgets the shared WAL state (as the postmaster re-creating shared
  // memory after a crash) and makes a new one. Unwritten buffers are lost.
  void Restart(int wal_buffers = 16) {
    storage::ShmemDestroy();
    storage::ShmemCreate(WalShmemSize(wal_buffers));
    WalShmemInit(wal_buffers, kTestSystemId);
  }

 private:
  std::string dir_;
  std::string old_cwd_;
};

// Bytes 0, 1, 2, ... seeded so every record's payload differs.
inline std::vector<std::byte> Pattern(size_t n, uint32_t seed) {
  std::vector<std::byte> out(n);
  uint32_t x = seed * 2654435761u + 12345;
  for (size_t i = 0; i < n; ++i) {
    x = x * 1103515245u + 12345;
    out[i] = static_cast<std::byte>(x >> 16);
  }
  return out;
}

// Inserts a test-rmgr record whose main data is `data`; returns its end.
inline Lsn InsertTestRecord(const std::vector<std::byte>& data, uint8_t info = 0,
                            TransactionId xid = TransactionId{}) {
  WalRecordBuilder b;
  b.Reserve(data.size());
  if (!data.empty()) b.RegisterData(data.data(), data.size());
  b.SetTransactionId(xid);
  return b.Insert(RmgrId::kTest, info);
}

// Every record readable from `start`, plus the reader's verdict.
struct ReadResult {
  std::vector<DecodedRecord> records;
  Lsn end;
  std::string error;
};
inline ReadResult ReadAll(Lsn start = WalFirstRecordLsn()) {
  WalReader reader(kWalDirectory, start);
  ReadResult r;
  while (std::optional<DecodedRecord> rec = reader.Next()) r.records.push_back(std::move(*rec));
  r.end = reader.EndOfValidWal();
  r.error = reader.error();
  return r;
}

}  // namespace keel::transam::testing
