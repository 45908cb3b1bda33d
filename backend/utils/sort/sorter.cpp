// The external merge sort: load and sort in memory, spill sorted runs, merge with a binary heap
// in passes of at most fan-in runs. README.md ("Algorithm", S5-S12).
#include "backend/utils/sort/sorter.h"

#include <algorithm>
#include <cstring>

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
  return OptionsWithBudgetKb(settings::maintenance_work_mem_kb);
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
}

Sorter::~Sorter() = default;  // S1: runs_file_'s destructor closes and unlinks it

void Sorter::SetBoundedLimit(uint64_t k) {
  KEEL_ASSERT(stats_.records == 0 && !finished_);
  bound_ = k;
}

size_t Sorter::MemoryUsed() const { return arena_->charged() + refs_.size() * sizeof(Ref); }

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
  if (!refs_.empty() && MemoryUsed() + cost > options_.memory_budget_bytes) {
    if (bound_ && refs_.size() > *bound_) TrimToBound();
    if (!refs_.empty() && MemoryUsed() + cost > options_.memory_budget_bytes) SpillRun();
  }
  std::byte* copy = arena_->Allocate(record.size());
  if (!record.empty()) memcpy(copy, record.data(), record.size());
  refs_.push_back({copy, record.size(), abbrev});
  stats_.peak_memory_bytes = std::max(stats_.peak_memory_bytes, MemoryUsed());
  // S11: a bounded sort keeps at most max(2k, kMinTrimRecords) records in memory, trimming
  // back to k (the floor keeps a tiny k from copying the arena on every record).
  if (bound_ && refs_.size() >= std::max<uint64_t>(2 * *bound_, kMinTrimRecords)) TrimToBound();
}

void Sorter::SortRefs() {
  // S13: most comparisons end at the abbreviated keys, read from the contiguous reference array;
  // only ties dereference the records (scattered through the arena: a cache miss each).
  std::sort(refs_.begin(), refs_.end(), [this](const Ref& a, const Ref& b) {
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
  SortRefs();
  if (!runs_file_.is_open()) runs_file_ = TempFile::Create(options_.temp_dir);
  RunWriter writer(&runs_file_, runs_file_bytes_, io_buffer_bytes_);
  // S11: of a run only the first k records can ever be returned.
  const size_t n = bound_ ? std::min<size_t>(refs_.size(), *bound_) : refs_.size();
  if (n < refs_.size()) stats_.bounded = true;
  for (size_t i = 0; i < n; ++i) writer.Append({refs_[i].data, refs_[i].len});
  writer.Finish();
  runs_.push_back({writer.start_offset(), writer.bytes(), writer.records()});
  runs_file_bytes_ += writer.bytes();
  ++stats_.initial_runs;
  ++stats_.runs_written;
  stats_.bytes_spilled += writer.bytes();
  refs_.clear();
  arena_->Reset();
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
  if (runs_.empty()) {
    // Everything fit: no disk at all.
    SortRefs();
    if (bound_ && refs_.size() > *bound_) {
      refs_.resize(static_cast<size_t>(*bound_));
      stats_.bounded = true;
    }
    in_memory_ = true;
    next_ref_ = 0;
    return;
  }
  if (!refs_.empty()) SpillRun();
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
    if (next_ref_ >= refs_.size()) return false;
    const Ref& r = refs_[next_ref_++];
    *out = {r.data, r.len};
    ++returned_;
    return true;
  }
  if (!merger_->Next(out)) return false;
  ++returned_;
  return true;
}

}  // namespace keel::sort
