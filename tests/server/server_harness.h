// A multi-process test harness over the real shared state: a scratch data directory laid out
// as keel-initdb leaves it, shared memory created exactly as the postmaster creates it, the real
// startup process (WAL bootstrap or crash recovery), and forked backends. The test process itself
// is a backend. Used by the transaction, heap and VACUUM tests. See tests/README.md.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "access/common/relation.h"

namespace keel::testing {

inline constexpr uint32_t kTestDb = 5;

struct HarnessOptions {
  int shared_buffers_pages = 256;
  int max_connections = 16;
  bool data_checksums = true;
  bool fsync = false;  // crashes are simulated by throwing shared memory away, not power loss
  int max_prepared_transactions = 0;  // PostgreSQL's default: two-phase commit off
};

class ServerHarness {
 public:
  explicit ServerHarness(HarnessOptions options = {});
  ~ServerHarness();
  ServerHarness(const ServerHarness&) = delete;
  ServerHarness& operator=(const ServerHarness&) = delete;

  // Forks a backend that runs fn() and exits with its result: its own proc slot and shared
  // access; an exception exits 99 (after printing it); a transaction left active is aborted.
  pid_t ForkBackend(std::function<int()> fn);
  // Exit code of a ForkBackend child, -signal when killed, -1000 after `timeout_ms` (the child
  // is then killed).
  int Wait(pid_t pid, int timeout_ms = 30000);

  // Simulated crash: SIGKILLs every forked backend, throws shared memory away without writing
  // anything, re-creates it and runs crash recovery in a forked startup process. This process
  // is a backend again afterwards (its transaction state is reset: none is active).
  void Crash();
  // A real checkpoint (immediate), run in this process.
  void Checkpoint();

  [[nodiscard]] const std::string& dir() const { return dir_; }
  // A relation in kTestDb with relfilenode = id = rel_number (storage not created).
  [[nodiscard]] static access::Relation TestRelation(uint32_t rel_number, const char* name = "t");

 private:
  void StartServer();   // shared memory, startup process, become a backend
  void StopServer();    // kill children, destroy shared memory
  // Empties the process-local caches (catalog rows, relations, search path, temporary
  // namespace) that StartServer's new server makes stale.
  static void ForgetProcessLocalCaches();

  HarnessOptions options_;
  std::string dir_;
  std::string old_cwd_;
  uint64_t system_identifier_ = 0;
  std::vector<pid_t> children_;
};

}  // namespace keel::testing
