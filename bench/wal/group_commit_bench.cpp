// Group commit: N forked committer processes each insert a ~100-byte WAL record and WalFlush
// its end, as a synchronous commit does, with fsync on, for a fixed time. Prints commits/s and
// commits per fsync for each N. Usage:
//   wal_group_commit_bench [--dir PARENT] [--seconds S] [--sync fdatasync|fsync|open_datasync]
//                          [N ...]            (default N: 1 8 32; PARENT: the current directory)
// See bench/README.md ("WAL group commit") and access/transam/README.md (W16).
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "access/transam/rmgr.h"
#include "access/transam/wal.h"
#include "access/transam/wal_record.h"
#include "backend/utils/config/settings.h"
#include "storage/ipc/process_context.h"
#include "storage/ipc/shmem.h"

namespace {

namespace transam = keel::transam;

struct Shared {
  std::atomic<uint32_t> go;
  std::atomic<uint32_t> stop;
  std::atomic<uint64_t> commits;
  std::atomic<uint64_t> max_latency_us;
};

uint64_t NowUs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1'000'000 + static_cast<uint64_t>(ts.tv_nsec) / 1000;
}

int Committer(Shared* shared, int id) {
  keel::storage::InitProcessContext(keel::storage::ProcessRole::kBackend);
  char payload[100];
  std::memset(payload, 'a' + id % 26, sizeof(payload));
  while (shared->go.load(std::memory_order_acquire) == 0) usleep(100);
  uint64_t commits = 0;
  uint64_t max_latency = 0;
  while (shared->stop.load(std::memory_order_relaxed) == 0) {
    const uint64_t start = NowUs();
    transam::WalRecordBuilder builder;
    builder.RegisterData(payload, sizeof(payload));
    const keel::Lsn end = builder.Insert(transam::RmgrId::kTest, 0);
    transam::WalFlush(end);
    ++commits;
    max_latency = std::max(max_latency, NowUs() - start);
  }
  shared->commits.fetch_add(commits);
  uint64_t seen = shared->max_latency_us.load();
  while (seen < max_latency && !shared->max_latency_us.compare_exchange_weak(seen, max_latency)) {
  }
  return 0;
}

void RunOne(const std::string& parent, int n, double seconds) {
  std::string templ = parent + "/keel_wal_bench_XXXXXX";
  std::vector<char> buf(templ.begin(), templ.end());
  buf.push_back('\0');
  if (mkdtemp(buf.data()) == nullptr) {
    perror("mkdtemp");
    std::exit(1);
  }
  const std::string dir = buf.data();
  const std::string old_cwd = std::filesystem::current_path().string();
  if (chdir(dir.c_str()) != 0 || mkdir("wal", 0700) != 0) {
    perror(dir.c_str());
    std::exit(1);
  }
  constexpr int kWalBuffers = 512;  // 4 MiB, as wal_buffers for shared_buffers = 128MB
  keel::storage::ShmemCreate(transam::WalShmemSize(kWalBuffers) + sizeof(Shared) + 4096);
  transam::WalShmemInit(kWalBuffers, 42);
  bool found = false;
  auto* shared = new (keel::storage::ShmemInitStruct("bench", sizeof(Shared), &found)) Shared{};
  // Segments are pre-created (as recycling does in a running server) so the run measures
  // commits, not 16 MiB zero fills.
  for (uint64_t s = 1; s <= 3; ++s) transam::WalCreateSegment(".", 1, s);
  transam::WalStartInsertingAt(transam::WalFirstRecordLsn(), keel::kInvalidLsn, 1,
                               transam::WalFirstRecordLsn());
  std::vector<pid_t> pids;
  for (int i = 0; i < n; ++i) {
    fflush(stdout);
    const pid_t pid = fork();
    if (pid == 0) _exit(Committer(shared, i));
    pids.push_back(pid);
  }
  usleep(200 * 1000);
  const transam::WalStats before = transam::GetWalStats();
  const uint64_t start = NowUs();
  shared->go.store(1, std::memory_order_release);
  usleep(static_cast<useconds_t>(seconds * 1e6));
  shared->stop.store(1);
  for (pid_t pid : pids) waitpid(pid, nullptr, 0);
  const double elapsed = static_cast<double>(NowUs() - start) / 1e6;
  const transam::WalStats after = transam::GetWalStats();
  const uint64_t commits = shared->commits.load();
  const uint64_t syncs = after.syncs - before.syncs;
  printf("%4d committers: %8llu commits in %.2f s = %9.0f commits/s; %6llu fsyncs "
         "(%.0f us each) = %6.1f commits per fsync; max commit latency %.1f ms\n",
         n, static_cast<unsigned long long>(commits), elapsed, static_cast<double>(commits) / elapsed,
         static_cast<unsigned long long>(syncs),
         syncs > 0 ? static_cast<double>(after.sync_time_us - before.sync_time_us) / static_cast<double>(syncs) : 0.0,
         syncs > 0 ? static_cast<double>(commits) / static_cast<double>(syncs) : 0.0,
         static_cast<double>(shared->max_latency_us.load()) / 1000.0);
  keel::storage::ShmemDestroy();
  if (chdir(old_cwd.c_str()) != 0) std::exit(1);
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
}

}  // namespace

int main(int argc, char** argv) {
  std::string parent = ".";
  double seconds = 5.0;
  std::vector<int> counts;
  keel::settings::fsync = true;
  keel::settings::wal_sync_method = keel::settings::WalSyncMethod::kFdatasync;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--dir" && i + 1 < argc) {
      parent = argv[++i];
    } else if (arg == "--seconds" && i + 1 < argc) {
      seconds = std::atof(argv[++i]);
    } else if (arg == "--sync" && i + 1 < argc) {
      const std::string m = argv[++i];
      using M = keel::settings::WalSyncMethod;
      keel::settings::wal_sync_method = m == "fsync"           ? M::kFsync
                                        : m == "open_datasync" ? M::kOpenDatasync
                                        : m == "open_sync"     ? M::kOpenSync
                                                               : M::kFdatasync;
    } else {
      counts.push_back(std::atoi(arg.c_str()));
    }
  }
  if (counts.empty()) counts = {1, 8, 32};
  keel::storage::InitProcessContext(keel::storage::ProcessRole::kStandalone);
  for (int n : counts) RunOne(parent, n, seconds);
  return 0;
}
