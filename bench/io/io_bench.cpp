// Cold-cache read throughput of the two I/O engines (io_method = sync / io_uring) through
// smgr: sequential SmgrReadV in batches of 1, 8, 32 consecutive blocks, and random single
// blocks in batches of 1, 8, 32 (all in flight at once with io_uring; one after the other with
// pread), plus random reads hinted with SmgrPrefetch before SmgrRead. Results and method:
// bench/README.md ("io").
//
// Usage: io_bench [--size-mb N] [--random N] [--reps N] [--dir PATH]
#include <fcntl.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "backend/utils/config/settings.h"
#include "storage/smgr/fd_cache_internal.h"
#include "storage/smgr/io_engine_internal.h"
#include "storage/smgr/smgr.h"

namespace {

using namespace keel;
using namespace keel::storage;

constexpr RelFileLocator kRel{Oid(1663), Oid(5), Oid(16384)};

double NowSeconds() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

// Every segment file of the relation.
std::vector<std::string> SegmentFiles() {
  std::vector<std::string> files;
  for (uint32_t segno = 0;; ++segno) {
    const std::string path = SegmentPath(kRel, ForkNumber::kMain, segno);
    struct stat st;
    if (stat(path.c_str(), &st) != 0) break;
    files.push_back(path);
  }
  return files;
}

// "Cold": fsync (dirty pages cannot be dropped), then POSIX_FADV_DONTNEED over each file.
void DropCache() {
  for (const std::string& path : SegmentFiles()) {
    const int fd = open(path.c_str(), O_RDONLY);
    if (fd < 0) continue;
    (void)fsync(fd);
    (void)posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
    close(fd);
  }
}

// Share of the relation's pages in the page cache (mincore over a mapping of each file).
double ResidentPercent() {
  size_t resident = 0, total = 0;
  const size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  for (const std::string& path : SegmentFiles()) {
    const int fd = open(path.c_str(), O_RDONLY);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0 || st.st_size == 0) {
      if (fd >= 0) close(fd);
      continue;
    }
    const size_t size = static_cast<size_t>(st.st_size);
    void* map = mmap(nullptr, size, PROT_READ, MAP_SHARED, fd, 0);
    close(fd);
    if (map == MAP_FAILED) continue;
    std::vector<unsigned char> vec((size + page - 1) / page);
    if (mincore(map, size, vec.data()) == 0) {
      for (unsigned char v : vec) resident += v & 1;
      total += vec.size();
    }
    munmap(map, size);
  }
  return total == 0 ? 0.0 : 100.0 * static_cast<double>(resident) / static_cast<double>(total);
}

enum class Pattern { kSequential, kRandom, kRandomPrefetch };

const char* PatternName(Pattern p) {
  switch (p) {
    case Pattern::kSequential: return "sequential";
    case Pattern::kRandom: return "random";
    case Pattern::kRandomPrefetch: return "random+prefetch";
  }
  return "?";
}

struct Result {
  int active;  // IoMethod
  uint64_t blocks;
  double seconds;
};

// One measurement, in a forked child so the engine is chosen afresh (SM7); the result comes
// back through a pipe.
Result RunOne(settings::IoMethod method, Pattern pattern, int batch, uint32_t nblocks,
              const std::vector<uint32_t>& random_blocks, double* resident_out) {
  DropCache();
  *resident_out = ResidentPercent();
  int fds[2];
  if (pipe(fds) != 0) exit(1);
  fflush(stdout);
  const pid_t pid = fork();
  if (pid == 0) {
    close(fds[0]);
    settings::io_method = method;
    const IoMethod active = ActiveIoMethod();
    std::vector<std::vector<std::byte>> bufs(static_cast<size_t>(batch),
                                             std::vector<std::byte>(kBlockSize));
    std::vector<std::byte*> ptrs;
    for (auto& b : bufs) ptrs.push_back(b.data());
    uint64_t blocks_read = 0;
    const double start = NowSeconds();
    if (pattern == Pattern::kSequential) {
      for (uint32_t first = 0; first < nblocks; first += static_cast<uint32_t>(batch)) {
        const int n = static_cast<int>(std::min<uint32_t>(static_cast<uint32_t>(batch),
                                                          nblocks - first));
        SmgrReadV(kRel, ForkNumber::kMain, BlockNumber(first), n, ptrs);
        blocks_read += static_cast<uint64_t>(n);
      }
    } else if (pattern == Pattern::kRandom) {
      // Single-block runs straight to the engine: with io_uring all `batch` are in flight.
      std::vector<io_engine::IoRun> runs(static_cast<size_t>(batch));
      std::vector<void*> targets(static_cast<size_t>(batch));
      for (size_t i = 0; i + static_cast<size_t>(batch) <= random_blocks.size();
           i += static_cast<size_t>(batch)) {
        for (int j = 0; j < batch; ++j) {
          const size_t k = static_cast<size_t>(j);
          const uint32_t block = random_blocks[i + k];
          targets[k] = ptrs[k];
          runs[k] = io_engine::IoRun{
              smgr_internal::GetSegmentFd(kRel, ForkNumber::kMain, block / kBlocksPerSegment,
                                          smgr_internal::SegmentOpen::kMustExist,
                                          BlockNumber(block)),
              static_cast<off_t>(block % kBlocksPerSegment) * kBlockSize, &targets[k], 1, 0};
        }
        io_engine::ReadRuns(runs);
        for (const auto& run : runs) {
          if (run.result != static_cast<ssize_t>(kBlockSize)) _exit(3);
        }
        blocks_read += static_cast<uint64_t>(batch);
      }
    } else {
      // The access-method way: hint the whole batch, then read block by block.
      for (size_t i = 0; i + static_cast<size_t>(batch) <= random_blocks.size();
           i += static_cast<size_t>(batch)) {
        if (batch > 1) {
          for (int j = 0; j < batch; ++j) {
            SmgrPrefetch(kRel, ForkNumber::kMain,
                         BlockNumber(random_blocks[i + static_cast<size_t>(j)]), 1);
          }
        }
        for (int j = 0; j < batch; ++j) {
          SmgrRead(kRel, ForkNumber::kMain, BlockNumber(random_blocks[i + static_cast<size_t>(j)]),
                   ptrs[0]);
        }
        blocks_read += static_cast<uint64_t>(batch);
      }
    }
    const Result result{static_cast<int>(active), blocks_read, NowSeconds() - start};
    if (write(fds[1], &result, sizeof(result)) != sizeof(result)) _exit(4);
    _exit(0);
  }
  close(fds[1]);
  Result result{};
  const bool got = read(fds[0], &result, sizeof(result)) == sizeof(result);
  close(fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  if (!got || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    fprintf(stderr, "run failed (status %d)\n", status);
    exit(1);
  }
  return result;
}

}  // namespace

int main(int argc, char** argv) {
  uint32_t size_mb = 1024;
  size_t random_count = 20000;
  int reps = 5;
  std::string base = getenv("TMPDIR") != nullptr ? getenv("TMPDIR") : "/tmp";
  for (int i = 1; i + 1 < argc; i += 2) {
    if (strcmp(argv[i], "--size-mb") == 0) size_mb = static_cast<uint32_t>(atoi(argv[i + 1]));
    if (strcmp(argv[i], "--random") == 0) random_count = static_cast<size_t>(atol(argv[i + 1]));
    if (strcmp(argv[i], "--dir") == 0) base = argv[i + 1];
    if (strcmp(argv[i], "--reps") == 0) reps = atoi(argv[i + 1]);
  }
  const std::string dir = base + "/keel_io_bench_" + std::to_string(getpid());
  std::filesystem::create_directories(dir + "/base/5");
  if (chdir(dir.c_str()) != 0) return 1;
  settings::io_method = settings::IoMethod::kSync;
  settings::fsync = true;

  const uint32_t nblocks = size_mb * (1u << 20) / kBlockSize;
  printf("building a %u MiB relation (%u blocks) in %s ...\n", size_mb, nblocks, dir.c_str());
  fflush(stdout);
  const double t0 = NowSeconds();
  SmgrCreate(kRel, ForkNumber::kMain, false);
  {
    // Real data (fallocate'd blocks would read as zeros without touching the disk).
    constexpr int kChunk = 128;
    std::vector<std::vector<std::byte>> pages(kChunk, std::vector<std::byte>(kBlockSize));
    std::vector<BlockWrite> writes(kChunk);
    for (uint32_t first = 0; first < nblocks; first += kChunk) {
      const int n = static_cast<int>(std::min<uint32_t>(kChunk, nblocks - first));
      SmgrZeroExtend(kRel, ForkNumber::kMain, BlockNumber(first), n, true);
      for (int i = 0; i < n; ++i) {
        auto& p = pages[static_cast<size_t>(i)];
        for (size_t k = 0; k < kBlockSize; k += 8) {
          const uint64_t v =
              (static_cast<uint64_t>(first) + static_cast<uint64_t>(i)) * 0x9E3779B97F4A7C15ull + k;
          std::memcpy(p.data() + k, &v, 8);
        }
        writes[static_cast<size_t>(i)] =
            BlockWrite{kRel, ForkNumber::kMain, BlockNumber(first + static_cast<uint32_t>(i)),
                       p.data()};
      }
      SmgrWriteV(std::span(writes.data(), static_cast<size_t>(n)), true);
    }
  }
  SmgrImmediateSync(kRel, ForkNumber::kMain);
  SmgrCloseAll();
  printf("built in %.1f s\n\n", NowSeconds() - t0);

  std::mt19937 rng(20261122);
  std::vector<uint32_t> random_blocks(random_count);
  for (uint32_t& b : random_blocks) b = static_cast<uint32_t>(rng() % nblocks);

  printf("%d runs per row, each from a cold page cache; blocks/s median [min, max]\n\n", reps);
  printf("%-9s %-16s %5s %9s %10s %22s %9s %9s\n", "engine", "pattern", "batch", "blocks",
         "blocks/s", "[min, max]", "MiB/s", "resident");
  for (Pattern pattern : {Pattern::kSequential, Pattern::kRandom, Pattern::kRandomPrefetch}) {
    for (int batch : {1, 8, 32}) {
      std::vector<double> rates[2];
      Result last[2]{};
      double max_resident = 0;
      // Alternate the engines run by run, so drifts of the (shared, virtual) disk hit both.
      for (int rep = 0; rep < reps; ++rep) {
        for (int m = 0; m < 2; ++m) {
          double resident = 0;
          last[m] = RunOne(m == 0 ? settings::IoMethod::kSync : settings::IoMethod::kIoUring,
                           pattern, batch, nblocks, random_blocks, &resident);
          max_resident = std::max(max_resident, resident);
          rates[m].push_back(static_cast<double>(last[m].blocks) / last[m].seconds);
        }
      }
      for (int m = 0; m < 2; ++m) {
        std::sort(rates[m].begin(), rates[m].end());
        const double median = rates[m][rates[m].size() / 2];
        char range[64];
        snprintf(range, sizeof(range), "[%.0f, %.0f]", rates[m].front(), rates[m].back());
        printf("%-9s %-16s %5d %9llu %10.0f %22s %9.1f %8.1f%%\n",
               last[m].active == static_cast<int>(IoMethod::kIoUring) ? "io_uring" : "sync",
               PatternName(pattern), batch, static_cast<unsigned long long>(last[m].blocks),
               median, range, median * kBlockSize / (1 << 20), max_resident);
        fflush(stdout);
      }
    }
  }
  std::filesystem::current_path("/");
  std::filesystem::remove_all(dir);
  return 0;
}
