// External merge sort of opaque variable-length records (PostgreSQL's tuplesort idea): sorts in
// memory while the records fit the budget, otherwise writes sorted runs to temporary files and
// merges them with a heap, in several passes when there are more runs than buffers.
// Algorithm, memory accounting, invariants S1-S14: backend/utils/sort/README.md.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "backend/utils/sort/run_file.h"  // kMaxRecordBytes
#include "backend/utils/sort/temp_file.h"

namespace keel::sort {

// Orders two records: < 0, 0, > 0 as a sorts before, with, after b. Must be a consistent total
// preorder (S8). Records carry no alignment (S5): read multi-byte fields with memcpy.
// May throw keel::Error (the sort is then abandoned; its destructor cleans up).
// With SortOptions::background_sort it may run on the sorter's worker thread while the caller's
// thread goes on (S14): it is never called by two threads at once, so it may keep scratch state
// in *arg, but it must not touch process state the caller may be using meanwhile (buffers,
// catalog caches, transaction state, logging): read only its records and *arg.
using SortCompareFn = int (*)(const std::byte* a, size_t a_len, const std::byte* b, size_t b_len,
                              void* arg);

inline constexpr size_t kDefaultSortIoBufferBytes = size_t{256} * 1024;

struct SortOptions {
  // Bytes the sorter may hold: records in memory while loading (S9), or read buffers while
  // merging. Small budgets still make progress (at least one record in memory, fan-in >= 2).
  size_t memory_budget_bytes = size_t{4} * 1024 * 1024;
  // Where run files go; empty: DefaultTempDirectory() (<data dir>/base/pgsql_tmp).
  std::string temp_dir;
  // Buffer per run file being written or read; shrunk so that a merge of two runs plus the
  // output fits the budget (S10).
  size_t io_buffer_bytes = kDefaultSortIoBufferBytes;
  // Most runs merged at once; 0: as many as the budget has buffers for (S10). Tests set it
  // small to force several merge passes.
  int max_fan_in = 0;
  // Sort a full batch of records on one worker thread while the caller goes on adding into a
  // second batch (each batch gets half the budget); runs are still written by the caller (S14).
  // Ignored by bounded sorts. On for maintenance sorts (CREATE INDEX), off for work_mem sorts
  // until measured there (README.md S14).
  bool background_sort = false;
};

// The budget of a query's sort (ORDER BY, merge join input): work_mem.
[[nodiscard]] SortOptions WorkMemSortOptions();
// The budget of a maintenance sort (CREATE INDEX): maintenance_work_mem.
[[nodiscard]] SortOptions MaintenanceSortOptions();

struct SortStats {
  uint64_t records = 0;          // added
  uint64_t initial_runs = 0;     // runs written from memory
  uint64_t runs_written = 0;     // initial runs + runs written by intermediate merge passes
  int merge_passes = 0;          // 0 when sorted in memory; the final merge counts as one
  uint64_t bytes_spilled = 0;    // bytes written to temporary files, every pass included
  size_t peak_memory_bytes = 0;  // highest accounted memory (S9)
  bool bounded = false;          // a bounded (top-k) sort dropped records early
};

// One sort. Single-use: Add every record, Finish, then Next until false.
// Not thread-safe (one caller thread); not shared between processes. Destroying it at any point
// waits for its worker thread, if any (S14), and closes and removes its temporary files (S1),
// including after an exception from Add/Finish/Next.
class Sorter {
 public:
  // `compare` and `arg` are kept (the caller keeps *arg alive for the sorter's life).
  Sorter(SortCompareFn compare, void* arg, SortOptions options);
  ~Sorter();
  Sorter(const Sorter&) = delete;
  Sorter& operator=(const Sorter&) = delete;

  // Only the first `k` records in order are wanted (LIMIT k / top-k): the sorter may drop the
  // others early and Next stops after k. Requires: before the first Add.
  void SetBoundedLimit(uint64_t k);

  // Copies `record` in. May sort what is in memory and write it as a run (S9), or hand the
  // batch in memory to the worker thread and write the batch it sorted before (S14).
  // Requires: Finish not called yet; record.size() <= kMaxRecordBytes (1 GiB - 1), else
  // 54000. Throws the temporary file errors of temp_file.h (disk full: 53100), the comparator's
  // errors, and 57014 / 57P01 from the interrupt checks.
  void Add(std::span<const std::byte> record) { Add(record, 0); }
  // The same with an abbreviated key (S13): the in-memory sort orders by `abbrev` first and
  // calls the comparator only when two abbreviated keys are equal.
  // Requires: for every two records a, b added: abbrev(a) < abbrev(b) implies compare(a, b) < 0
  // (so all-equal abbreviations, e.g. always 0, are always correct).
  void Add(std::span<const std::byte> record, uint64_t abbrev);

  // Ends input: sorts in memory when nothing was spilled, else writes the last run and merges
  // runs until at most fan-in remain (intermediate passes), leaving the final merge to Next.
  // Requires: called once. Throws as Add.
  void Finish();

  // The next record in order: *out is a view valid until the next Next() or the sorter's
  // destruction (S7). False after the last (and on every later call).
  // Requires: Finish called. Throws read errors and the comparator's errors.
  [[nodiscard]] bool Next(std::span<const std::byte>* out);

  [[nodiscard]] const SortStats& stats() const { return stats_; }
  // The number of runs merged at once (for tests and EXPLAIN-style reporting).
  [[nodiscard]] int fan_in() const { return fan_in_; }
  // True when the result came from memory without touching disk.
  [[nodiscard]] bool in_memory() const { return in_memory_; }

 private:
  struct Ref {  // a record held in memory: points into arena_
    const std::byte* data;
    size_t len;
    uint64_t abbrev;  // S13: orders before the comparator is asked (kept here: no cache miss)
  };
  struct Run {  // a sorted run in runs_file_ (S6)
    uint64_t offset;
    uint64_t bytes;
    uint64_t records;
  };
  class Arena;
  class Merger;
  class Worker;

  [[nodiscard]] size_t MemoryUsed() const;
  [[nodiscard]] size_t BatchBytes() const;
  [[nodiscard]] size_t BatchLimit() const;
  void SortRefs(std::vector<Ref>& refs);
  void TrimToBound();
  void SpillRun();
  void WriteRun(std::vector<Ref>& refs, Arena& arena);
  void HandOff();
  void StartWorker();
  void JoinWorker();
  [[nodiscard]] bool NextInMemory(std::span<const std::byte>* out);
  void MergePass();

  const SortCompareFn compare_;
  void* const arg_;
  SortOptions options_;
  size_t io_buffer_bytes_ = 0;  // per run reader/writer, after fitting the budget
  int fan_in_ = 2;
  std::optional<uint64_t> bound_;
  uint64_t returned_ = 0;

  std::unique_ptr<Arena> arena_;
  std::vector<Ref> refs_;
  size_t next_ref_ = 0;  // in-memory result: next index of refs_ to return
  // S14 (background sorting): the other batch, handed to worker_ to sort (input order: before
  // arena_/refs_). While worker_ runs, only its thread touches bg_refs_ and the comparator.
  bool background_ = false;
  std::unique_ptr<Arena> bg_arena_;
  std::vector<Ref> bg_refs_;
  size_t next_bg_ref_ = 0;  // in-memory result of two batches: next index of bg_refs_
  std::unique_ptr<Worker> worker_;  // the thread sorting bg_refs_, when one runs
  TempFile runs_file_;        // every run of runs_ (one merge generation); opened lazily
  uint64_t runs_file_bytes_ = 0;
  std::vector<Run> runs_;
  std::unique_ptr<Merger> merger_;  // the final merge, after Finish
  bool finished_ = false;
  bool in_memory_ = false;
  SortStats stats_;
};

}  // namespace keel::sort
