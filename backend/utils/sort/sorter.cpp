// The external merge sort: load and sort in memory, spill sorted runs, merge with a binary heap
// in passes of at most fan-in runs; optionally sorts one batch on a worker thread while the
// caller loads the next. README.md ("Algorithm", S5-S14).
#include "backend/utils/sort/sorter.h"

#include <pthread.h>
#include <signal.h>

#include <algorithm>
#include <cstring>
#include <exception>
#include <system_error>
#include <thread>
#include <utility>

#include "backend/utils/config/settings.h"
#include "backend/utils/error/error.h"
#include "backend/utils/error/format.h"
#include "backend/utils/error/log.h"
#include "backend/utils/error/sqlstate.h"
#include "backend/utils/init/interrupts.h"
#include "backend/utils/sort/run_file.h"

namespace keel::sort {
namespace {

// Smallest I/O buffer worth having; below it the system calls dominate.
constexpr size_t kMinIoBufferBytes = 8 * 1024;
// Most runs merged at once whatever the budget: file descriptors are not the limit (one file
// per generation, S6) but the heap's cache misses and the buffers' memory are.
constexpr int kMaxFanIn = 1024;
// Interrupts are checked once per this many records added or merged (S12).
constexpr uint64_t kInterruptCheckRecords = 1 << 14;
// A bounded sort trims its in-memory records back to k at most once per this many (S11).
constexpr uint64_t kMinTrimRecords = 1024;

constexpr size_t RoundUp8(size_t n) { return (n + 7) & ~size_t{7}; }

SortOptions OptionsWithBudgetKb(int budget_kb) {
  SortOptions options;
  options.memory_budget_bytes = static_cast<size_t>(budget_kb) * 1024;
  return options;
}

}  // namespace

SortOptions WorkMemSortOptions() { return OptionsWithBudgetKb(settings::work_mem_kb); }
SortOptions MaintenanceSortOptions() {
  // S14: CREATE INDEX sorts one batch in the background while the heap scan fills the next
  // (measured 2.3 s instead of 3.1 s for 10M int8 keys on a quiet 2-core machine; README.md).
  SortOptions options = OptionsWithBudgetKb(settings::maintenance_work_mem_kb);
  options.background_sort = true;
  return options;
}

// ---- Arena: the records held in memory while loading ---------------------------------------
// Records are copied into large chunks, 8-byte aligned; Reset forgets them all at once and keeps
// the standard-size chunks for the next run (no allocation per record, no free per record).
class Sorter::Arena {
 public:
  explicit Arena(size_t chunk_bytes) : chunk_bytes_(chunk_bytes) {}

  std::byte* Allocate(size_t len) {
    const size_t need = RoundUp8(std::max<size_t>(len, 1));
    charged_ += need;
    while (current_ < chunks_.size()) {
      Chunk& c = chunks_[current_];
      if (c.capacity - c.used >= need) {
        std::byte* p = c.bytes.get() + c.used;
        c.used += need;
        return p;
      }
      ++current_;
    }
    const size_t capacity = std::max(chunk_bytes_, need);
    chunks_.push_back({std::make_unique<std::byte[]>(capacity), capacity, need});
    current_ = chunks_.size() - 1;
    return chunks_.back().bytes.get();
  }

  void Reset() {
    // Oversize chunks (one big record each) are not worth keeping.
    std::erase_if(chunks_, [this](const Chunk& c) { return c.capacity != chunk_bytes_; });
    for (Chunk& c : chunks_) c.used = 0;
    current_ = 0;
    charged_ = 0;
  }

  void Release() {
    chunks_.clear();
    chunks_.shrink_to_fit();
    current_ = 0;
    charged_ = 0;
  }

  // Bytes charged to the budget: records rounded to 8 (S9).
  [[nodiscard]] size_t charged() const { return charged_; }

 private:
  struct Chunk {
    std::unique_ptr<std::byte[]> bytes;
    size_t capacity;
    size_t used;
  };
  const size_t chunk_bytes_;
  std::vector<Chunk> chunks_;
  size_t current_ = 0;
  size_t charged_ = 0;
};

// ---- Merger: k-way merge of runs through a binary min-heap ---------------------------------
class Sorter::Merger {
 public:
  Merger(TempFile* file, std::span<const Run> runs, size_t buffer_bytes, SortCompareFn compare,
         void* arg)
      : compare_(compare), arg_(arg) {
    readers_.reserve(runs.size());
    current_.resize(runs.size());
    for (const Run& run : runs) {
      readers_.emplace_back(file, run.offset, run.bytes, run.records, buffer_bytes);
    }
    for (size_t i = 0; i < readers_.size(); ++i) {
      if (readers_[i].Next(&current_[i])) heap_.push_back(static_cast<int>(i));
    }
    for (size_t i = heap_.size() / 2; i-- > 0;) SiftDown(i);
  }

  // S7: the record returned last stays where it is (in its reader's buffer) until this call,
  // which only then advances that reader.
  bool Next(std::span<const std::byte>* out) {
    if (pending_ >= 0) {
      const auto p = static_cast<size_t>(pending_);
      pending_ = -1;
      if (!readers_[p].Next(&current_[p])) {
        heap_.front() = heap_.back();
        heap_.pop_back();
      }
      if (!heap_.empty()) SiftDown(0);
    }
    if (heap_.empty()) return false;
    pending_ = heap_.front();
    *out = current_[static_cast<size_t>(pending_)];
    return true;
  }

 private:
  // Ties go to the earlier run, so equal records leave in input-run order.
  bool Less(int a, int b) const {
    const std::span<const std::byte>& x = current_[static_cast<size_t>(a)];
    const std::span<const std::byte>& y = current_[static_cast<size_t>(b)];
    const int c = compare_(x.data(), x.size(), y.data(), y.size(), arg_);
    return c != 0 ? c < 0 : a < b;
  }

  void SiftDown(size_t i) {
    const size_t n = heap_.size();
    const int moving = heap_[i];
    for (;;) {
      size_t child = 2 * i + 1;
      if (child >= n) break;
      if (child + 1 < n && Less(heap_[child + 1], heap_[child])) ++child;
      if (!Less(heap_[child], moving)) break;
      heap_[i] = heap_[child];
      i = child;
    }
    heap_[i] = moving;
  }

  const SortCompareFn compare_;
  void* const arg_;
  std::vector<RunReader> readers_;
  std::vector<std::span<const std::byte>> current_;  // each reader's head record
  std::vector<int> heap_;                            // reader indexes, min at front
  int pending_ = -1;  // reader whose head was returned last and must advance
};

// ---- Worker: the one thread sorting a batch in the background (S14) ------------------------
class Sorter::Worker {
 public:
  // Starts `sort` on a new thread with every signal blocked (signals are the caller thread's
  // business: interrupts are checked there). Throws std::system_error when no thread can be made.
  template <typename Fn>
  explicit Worker(Fn sort) {
    sigset_t all;
    sigset_t old;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, &old);  // the new thread inherits the mask
    try {
      thread_ = std::thread([this, sort] {
        try {
          sort();
        } catch (...) {
          error_ = std::current_exception();  // rethrown by Join, on the caller's thread
        }
      });
    } catch (...) {
      pthread_sigmask(SIG_SETMASK, &old, nullptr);
      throw;
    }
    pthread_sigmask(SIG_SETMASK, &old, nullptr);
  }
  // Waits for the sort (no I/O: bounded by one batch's in-memory sort).
  ~Worker() {
    if (thread_.joinable()) thread_.join();
  }
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  // Waits for the sort; rethrows what it threw (the comparator's keel::Error, bad_alloc).
  void Join() {
    if (thread_.joinable()) thread_.join();
    if (error_) std::rethrow_exception(std::exchange(error_, nullptr));
  }

 private:
  std::thread thread_;
  std::exception_ptr error_;  // written by thread_, read after the join
};

// ---- Sorter ---------------------------------------------------------------------------------

Sorter::Sorter(SortCompareFn compare, void* arg, SortOptions options)
    : compare_(compare), arg_(arg), options_(std::move(options)) {
  KEEL_ASSERT(compare_ != nullptr);
  if (options_.temp_dir.empty()) options_.temp_dir = DefaultTempDirectory();
  const size_t budget = std::max<size_t>(options_.memory_budget_bytes, 1);
  // S10: a merge pass holds fan_in readers and one writer; at least two readers must fit.
  io_buffer_bytes_ = std::clamp(budget / 3, kMinIoBufferBytes,
                                std::max(options_.io_buffer_bytes, kMinIoBufferBytes));
  fan_in_ = static_cast<int>(std::clamp<size_t>(budget / io_buffer_bytes_, 3, kMaxFanIn + 1) - 1);
  if (options_.max_fan_in > 0) fan_in_ = std::min(fan_in_, std::max(options_.max_fan_in, 2));
  arena_ = std::make_unique<Arena>(std::clamp<size_t>(budget / 8, 4096, size_t{1} << 20));
  background_ = options_.background_sort;
}

Sorter::~Sorter() {
  worker_.reset();  // S14: joins before the batch it sorts goes; S1: runs_file_ unlinks itself
}

void Sorter::SetBoundedLimit(uint64_t k) {
  KEEL_ASSERT(stats_.records == 0 && !finished_);
  bound_ = k;
  background_ = false;  // S14: trimming compares on the caller's thread
}

size_t Sorter::BatchBytes() const { return arena_->charged() + refs_.size() * sizeof(Ref); }

size_t Sorter::MemoryUsed() const {
  size_t used = BatchBytes();
  if (bg_arena_) used += bg_arena_->charged() + bg_refs_.size() * sizeof(Ref);
  return used;
}

// S9/S14: a background sort holds two batches of half the budget each.
size_t Sorter::BatchLimit() const {
  return background_ ? options_.memory_budget_bytes / 2 : options_.memory_budget_bytes;
}

void Sorter::Add(std::span<const std::byte> record, uint64_t abbrev) {
  KEEL_ASSERT(!finished_);
  if (record.size() > kMaxRecordBytes) {
    throw Error(sqlstate::kProgramLimitExceeded,
                Format("sort record of %zu bytes is too large", record.size()))
        .WithDetail(Format("The maximum is %zu bytes.", kMaxRecordBytes));
  }
  if (++stats_.records % kInterruptCheckRecords == 0) CheckForInterrupts();  // S12
  if (bound_ && *bound_ == 0) {
    stats_.bounded = true;
    return;  // nothing is wanted
  }
  const size_t cost = RoundUp8(std::max<size_t>(record.size(), 1)) + sizeof(Ref);
  // S9: the record that would pass the budget first pushes the others out; a single record
  // larger than the budget still sorts (alone in memory).
  if (!refs_.empty() && BatchBytes() + cost > BatchLimit()) {
    if (bound_ && refs_.size() > *bound_) TrimToBound();
    if (!refs_.empty() && BatchBytes() + cost > BatchLimit()) {
      if (background_) {
        HandOff();
      } else {
        SpillRun();
      }
    }
  }
  std::byte* copy = arena_->Allocate(record.size());
  if (!record.empty()) memcpy(copy, record.data(), record.size());
  refs_.push_back({copy, record.size(), abbrev});
  stats_.peak_memory_bytes = std::max(stats_.peak_memory_bytes, MemoryUsed());
  // S11: a bounded sort keeps at most max(2k, kMinTrimRecords) records in memory, trimming
  // back to k (the floor keeps a tiny k from copying the arena on every record).
  if (bound_ && refs_.size() >= std::max<uint64_t>(2 * *bound_, kMinTrimRecords)) TrimToBound();
}

void Sorter::SortRefs(std::vector<Ref>& refs) {
  // S13: most comparisons end at the abbreviated keys, read from the contiguous reference array;
  // only ties dereference the records (scattered through the arena: a cache miss each).
  // S14: may run on the worker thread; touches only `refs`, the records and compare_/arg_.
  std::sort(refs.begin(), refs.end(), [this](const Ref& a, const Ref& b) {
    if (a.abbrev != b.abbrev) return a.abbrev < b.abbrev;
    return compare_(a.data, a.len, b.data, b.len, arg_) < 0;
  });
}

void Sorter::TrimToBound() {
  const size_t k = static_cast<size_t>(*bound_);
  if (refs_.size() <= k) return;
  std::nth_element(refs_.begin(), refs_.begin() + static_cast<ptrdiff_t>(k), refs_.end(),
                   [this](const Ref& a, const Ref& b) {
                     if (a.abbrev != b.abbrev) return a.abbrev < b.abbrev;
                     return compare_(a.data, a.len, b.data, b.len, arg_) < 0;
                   });
  refs_.resize(k);
  stats_.bounded = true;
  // Copy the survivors into a fresh arena so the dropped records' memory comes back.
  auto fresh = std::make_unique<Arena>(std::clamp<size_t>(
      std::max<size_t>(options_.memory_budget_bytes, 1) / 8, 4096, size_t{1} << 20));
  for (Ref& r : refs_) {
    std::byte* copy = fresh->Allocate(r.len);
    if (r.len > 0) memcpy(copy, r.data, r.len);
    r.data = copy;
  }
  arena_ = std::move(fresh);
}

void Sorter::SpillRun() {
  CheckForInterrupts();  // S12
  SortRefs(refs_);
  WriteRun(refs_, *arena_);
}

// Writes sorted `refs` as the next initial run, then empties the batch (refs and its arena).
void Sorter::WriteRun(std::vector<Ref>& refs, Arena& arena) {
  if (!runs_file_.is_open()) runs_file_ = TempFile::Create(options_.temp_dir);
  RunWriter writer(&runs_file_, runs_file_bytes_, io_buffer_bytes_);
  // S11: of a run only the first k records can ever be returned.
  const size_t n = bound_ ? std::min<size_t>(refs.size(), *bound_) : refs.size();
  if (n < refs.size()) stats_.bounded = true;
  for (size_t i = 0; i < n; ++i) writer.Append({refs[i].data, refs[i].len});
  writer.Finish();
  runs_.push_back({writer.start_offset(), writer.bytes(), writer.records()});
  runs_file_bytes_ += writer.bytes();
  ++stats_.initial_runs;
  ++stats_.runs_written;
  stats_.bytes_spilled += writer.bytes();
  refs.clear();
  arena.Reset();
}

// S14: the batch being loaded is full. Wait for the worker's batch (sorted, input order first),
// give the worker the full batch, and write the sorted one as a run while the worker sorts —
// then its memory takes the next records. The first hand-off writes nothing, so an input of at
// most the whole budget still sorts in memory (two batches, merged by Next).
void Sorter::HandOff() {
  CheckForInterrupts();  // S12
  JoinWorker();
  if (!bg_arena_) {
    bg_arena_ = std::make_unique<Arena>(std::clamp<size_t>(
        std::max<size_t>(options_.memory_budget_bytes, 1) / 8, 4096, size_t{1} << 20));
  }
  std::swap(arena_, bg_arena_);
  std::swap(refs_, bg_refs_);
  StartWorker();
  if (!refs_.empty()) WriteRun(refs_, *arena_);
}

void Sorter::StartWorker() {
  KEEL_ASSERT(worker_ == nullptr);
  try {
    worker_ = std::make_unique<Worker>([this] { SortRefs(bg_refs_); });
  } catch (const std::system_error&) {
    SortRefs(bg_refs_);  // no thread to be had (EAGAIN): sort here instead
  }
}

// Waits for the worker's sort, if one runs, and rethrows its error on this thread (S8, S14).
void Sorter::JoinWorker() {
  if (worker_ == nullptr) return;
  const std::unique_ptr<Worker> worker = std::move(worker_);
  worker->Join();
}

void Sorter::MergePass() {
  // Balanced groups of at most fan_in runs each; every run of this generation is rewritten
  // into the next generation's file, then this generation's file goes (S6).
  const size_t count = runs_.size();
  const size_t fan_in = static_cast<size_t>(fan_in_);
  const size_t groups = (count + fan_in - 1) / fan_in;
  TempFile next_file = TempFile::Create(options_.temp_dir);
  uint64_t next_bytes = 0;
  std::vector<Run> next_runs;
  size_t first = 0;
  uint64_t merged = 0;
  for (size_t g = 0; g < groups; ++g) {
    const size_t size = count / groups + (g < count % groups ? 1 : 0);
    Merger merger(&runs_file_, std::span<const Run>(runs_).subspan(first, size),
                  io_buffer_bytes_, compare_, arg_);
    RunWriter writer(&next_file, next_bytes, io_buffer_bytes_);
    std::span<const std::byte> record;
    while ((!bound_ || writer.records() < *bound_) && merger.Next(&record)) {
      writer.Append(record);
      if (++merged % kInterruptCheckRecords == 0) CheckForInterrupts();  // S12
    }
    if (bound_ && merger.Next(&record)) stats_.bounded = true;  // the rest is dropped (S11)
    writer.Finish();
    next_runs.push_back({writer.start_offset(), writer.bytes(), writer.records()});
    next_bytes += writer.bytes();
    ++stats_.runs_written;
    stats_.bytes_spilled += writer.bytes();
    first += size;
  }
  runs_file_ = std::move(next_file);  // closes and unlinks the old generation
  runs_file_bytes_ = next_bytes;
  runs_ = std::move(next_runs);
  ++stats_.merge_passes;
}

void Sorter::Finish() {
  KEEL_ASSERT(!finished_);
  finished_ = true;
  JoinWorker();
  if (runs_.empty() && !bg_refs_.empty()) {
    // S14: everything fit in two batches: the worker's is sorted, sort this one and let Next
    // merge the two; no disk at all.
    CheckForInterrupts();  // S12
    SortRefs(refs_);
    in_memory_ = true;
    return;
  }
  if (runs_.empty()) {
    // Everything fit: no disk at all.
    SortRefs(refs_);
    if (bound_ && refs_.size() > *bound_) {
      refs_.resize(static_cast<size_t>(*bound_));
      stats_.bounded = true;
    }
    in_memory_ = true;
    next_ref_ = 0;
    return;
  }
  if (background_) {
    // S14: the worker's batch is sorted; hand it this one and write that meanwhile.
    if (!refs_.empty()) HandOff();
    JoinWorker();
    if (!bg_refs_.empty()) WriteRun(bg_refs_, *bg_arena_);
    bg_refs_ = {};
    if (bg_arena_) bg_arena_->Release();
  } else if (!refs_.empty()) {
    SpillRun();
  }
  refs_ = {};
  arena_->Release();
  while (runs_.size() > static_cast<size_t>(fan_in_)) MergePass();
  merger_ = std::make_unique<Merger>(&runs_file_, runs_, io_buffer_bytes_, compare_, arg_);
  ++stats_.merge_passes;  // the final, on-the-fly merge
  if (LogEnabled(Severity::kDebug1)) {
    Log(Severity::kDebug1,
        "external sort: %llu records, %llu initial runs, %d merge passes, fan-in %d, "
        "%llu bytes written to temporary files",
        static_cast<unsigned long long>(stats_.records),
        static_cast<unsigned long long>(stats_.initial_runs), stats_.merge_passes, fan_in_,
        static_cast<unsigned long long>(stats_.bytes_spilled));
  }
}

bool Sorter::Next(std::span<const std::byte>* out) {
  KEEL_ASSERT(finished_);
  if (bound_ && returned_ >= *bound_) return false;
  if (in_memory_) {
    if (!NextInMemory(out)) return false;
    ++returned_;
    return true;
  }
  if (!merger_->Next(out)) return false;
  ++returned_;
  return true;
}

// The in-memory result: refs_ alone, or (S14) the two sorted batches merged, ties to the
// worker's batch (the earlier input).
bool Sorter::NextInMemory(std::span<const std::byte>* out) {
  const bool have_a = next_bg_ref_ < bg_refs_.size();
  const bool have_b = next_ref_ < refs_.size();
  if (!have_a && !have_b) return false;
  bool take_a = have_a;
  if (have_a && have_b) {
    const Ref& a = bg_refs_[next_bg_ref_];
    const Ref& b = refs_[next_ref_];
    take_a = a.abbrev != b.abbrev ? a.abbrev < b.abbrev
                                  : compare_(b.data, b.len, a.data, a.len, arg_) >= 0;
  }
  const Ref& r = take_a ? bg_refs_[next_bg_ref_++] : refs_[next_ref_++];
  *out = {r.data, r.len};
  return true;
}

}  // namespace keel::sort
