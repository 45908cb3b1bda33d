// The buffer pool's hit path: ReadBuffer + ReleaseBuffer of a cached block, alone and with a
// share content lock, in 1 process and in 2 processes on distinct and on the same block.
// Prints ns per operation (per process), min and median of several runs.
// See bench/README.md ("Buffer pool hit path").
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "storage/buffer/bufmgr.h"
#include "storage/ipc/process_context.h"
#include "storage/ipc/shmem.h"
#include "storage/page/page.h"
#include "storage/smgr/smgr.h"

namespace {

using namespace keel;           // NOLINT: benchmark program
using namespace keel::storage;  // NOLINT

const RelFileLocator kRel{Oid(1663), Oid(5), Oid(16384)};

int64_t NowNs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

struct Shared {
  std::atomic<int> ready;
  std::atomic<int> go;
  std::atomic<int64_t> elapsed_ns[2];
};

// Runs `iterations` hit-path operations on `block`; returns elapsed ns.
int64_t RunLoop(uint32_t block, bool with_lock, int64_t iterations) {
  // Warm: the block is cached and this process's private refcount array is touched.
  ReleaseBuffer(ReadBuffer(kRel, ForkNumber::kMain, BlockNumber(block)));
  const int64_t start = NowNs();
  for (int64_t i = 0; i < iterations; ++i) {
    const Buffer b = ReadBuffer(kRel, ForkNumber::kMain, BlockNumber(block));
    if (with_lock) {
      LockBuffer(b, BufferLockMode::kShare);
      UnlockBuffer(b);
    }
    ReleaseBuffer(b);
  }
  return NowNs() - start;
}

double RunCase(Shared* shared, int processes, bool same_block, bool with_lock,
               int64_t iterations) {
  shared->ready.store(0);
  shared->go.store(0);
  pid_t pids[2];
  for (int p = 0; p < processes; ++p) {
    pids[p] = fork();
    if (pids[p] == 0) {
      InitProcessContext(ProcessRole::kBackend);
      InitBufferPoolAccess();
      shared->ready.fetch_add(1);
      while (shared->go.load() == 0) {
      }
      const uint32_t block = same_block ? 0 : static_cast<uint32_t>(p) * 7;
      shared->elapsed_ns[p].store(RunLoop(block, with_lock, iterations));
      _exit(ReleaseAllBufferPins() == 0 ? 0 : 1);
    }
  }
  while (shared->ready.load() < processes) {
  }
  shared->go.store(1);
  double total_ns = 0;
  for (int p = 0; p < processes; ++p) {
    int status = 0;
    waitpid(pids[p], &status, 0);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
      fprintf(stderr, "child failed\n");
      exit(1);
    }
    total_ns += static_cast<double>(shared->elapsed_ns[p].load());
  }
  return total_ns / processes / static_cast<double>(iterations);  // per op, per process
}

}  // namespace

int main(int argc, char** argv) {
  const int64_t iterations = argc > 1 ? atoll(argv[1]) : 2'000'000;
  const int repetitions = argc > 2 ? atoi(argv[2]) : 7;
  char tmpl[] = "/tmp/keel_bench_buffer_XXXXXX";
  if (mkdtemp(tmpl) == nullptr || chdir(tmpl) != 0) return 1;
  mkdir("base", 0700);
  mkdir("base/5", 0700);
  constexpr int kBuffers = 1024;
  ShmemCreate(BufferPoolShmemSize(kBuffers) + (1 << 20));
  BufferPoolShmemInit(kBuffers);
  InitProcessContext(ProcessRole::kPostmaster);
  InitBufferPoolAccess();
  SmgrCreate(kRel, ForkNumber::kMain, false);
  alignas(4096) std::byte page[kBlockSize];
  for (uint32_t b = 0; b < 16; ++b) {
    PageInit(page, 0);
    PageSetChecksum(page, BlockNumber(b));  // data_checksums is on by default
    SmgrExtend(kRel, ForkNumber::kMain, BlockNumber(b), page, true);
  }
  bool found = false;
  auto* shared = new (ShmemInitStruct("bench", sizeof(Shared), &found)) Shared{};

  printf("iterations per process: %lld, repetitions: %d\n", static_cast<long long>(iterations),
         repetitions);
  printf("%-44s %10s %10s\n", "case", "min ns/op", "median");
  struct Case {
    const char* name;
    int processes;
    bool same_block;
    bool with_lock;
  } cases[] = {
      {"1 process, read+release", 1, true, false},
      {"1 process, read+lock share+unlock+release", 1, true, true},
      {"2 processes distinct blocks, read+release", 2, false, false},
      {"2 processes distinct blocks, +lock share", 2, false, true},
      {"2 processes same block, read+release", 2, true, false},
      {"2 processes same block, +lock share", 2, true, true},
  };
  for (const Case& c : cases) {
    // The machine is shared: the minimum is the least disturbed run, the median the typical.
    std::vector<double> ns;
    for (int r = 0; r < repetitions; ++r) {
      ns.push_back(RunCase(shared, c.processes, c.same_block, c.with_lock, iterations));
    }
    std::sort(ns.begin(), ns.end());
    printf("%-44s %10.1f %10.1f\n", c.name, ns.front(), ns[ns.size() / 2]);
  }
  const BufferPoolStats stats = GetBufferPoolStats();
  printf("hits %llu, reads %llu\n", static_cast<unsigned long long>(stats.hits),
         static_cast<unsigned long long>(stats.reads));
  ShmemDestroy();
  const std::string cmd = std::string("rm -rf ") + tmpl;
  return system(cmd.c_str()) == 0 ? 0 : 1;
}
