// The external sort against std::sort: in memory, spilled with many runs and several merge
// passes, variable and oversized records, duplicates, bounded sorts, and temporary files gone
// after destruction, errors and interrupts — every test with and without background sorting
// (S14), plus background against foreground byte for byte. README.md ("Tests").
#include "backend/utils/sort/sorter.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "backend/utils/config/settings.h"
#include "backend/utils/error/error.h"
#include "backend/utils/init/interrupts.h"
#include "storage/file/file_io.h"

namespace keel::sort {
namespace {

namespace fs = std::filesystem;

int CompareInt64(const std::byte* a, size_t a_len, const std::byte* b, size_t b_len, void*) {
  EXPECT_EQ(a_len, 8u);
  EXPECT_EQ(b_len, 8u);
  int64_t x;
  int64_t y;
  memcpy(&x, a, 8);
  memcpy(&y, b, 8);
  return x < y ? -1 : (x > y ? 1 : 0);
}

int CompareBytes(const std::byte* a, size_t a_len, const std::byte* b, size_t b_len, void*) {
  const int c = memcmp(a, b, std::min(a_len, b_len));
  if (c != 0) return c;
  return a_len < b_len ? -1 : (a_len > b_len ? 1 : 0);
}

// Orders by the first 4 bytes (a key) only: the remaining bytes are a payload.
int CompareKey32(const std::byte* a, size_t, const std::byte* b, size_t, void* arg) {
  ++*static_cast<uint64_t*>(arg);
  uint32_t x;
  uint32_t y;
  memcpy(&x, a, 4);
  memcpy(&y, b, 4);
  return x < y ? -1 : (x > y ? 1 : 0);
}

// The parameter: SortOptions::background_sort.
class SorterTest : public ::testing::TestWithParam<bool> {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/keel_sort_test_XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    root_ = tmpl;
    temp_dir_ = root_ + "/base/pgsql_tmp";
  }
  void TearDown() override {
#ifdef KEEL_DEBUG
    storage::TestOnlyClearFaults();
#endif
    Interrupts().cancel = 0;
    std::error_code ec;
    fs::remove_all(root_, ec);
  }

  SortOptions Options(size_t budget, int max_fan_in = 0) const {
    SortOptions o;
    o.memory_budget_bytes = budget;
    o.temp_dir = temp_dir_;
    o.max_fan_in = max_fan_in;
    o.background_sort = GetParam();
    return o;
  }

  // Files in the temp directory now (0 when it does not exist).
  int TempFileCount() const {
    std::error_code ec;
    int n = 0;
    for (fs::directory_iterator it(temp_dir_, ec), end; !ec && it != end; it.increment(ec)) ++n;
    return n;
  }

  static std::vector<int64_t> DrainInt64(Sorter& sorter) {
    std::vector<int64_t> out;
    std::span<const std::byte> rec;
    while (sorter.Next(&rec)) {
      int64_t v;
      EXPECT_EQ(rec.size(), 8u);
      memcpy(&v, rec.data(), 8);
      out.push_back(v);
    }
    EXPECT_FALSE(sorter.Next(&rec));  // stays at the end
    return out;
  }

  static void AddInt64(Sorter& sorter, int64_t v) {
    sorter.Add({reinterpret_cast<const std::byte*>(&v), sizeof v});
  }

  std::string root_;
  std::string temp_dir_;
};

TEST_P(SorterTest, EmptyInput) {
  Sorter sorter(CompareInt64, nullptr, Options(64 * 1024));
  sorter.Finish();
  EXPECT_TRUE(DrainInt64(sorter).empty());
  EXPECT_TRUE(sorter.in_memory());
  EXPECT_EQ(sorter.stats().records, 0u);
  EXPECT_EQ(sorter.stats().merge_passes, 0);
  EXPECT_EQ(TempFileCount(), 0);
}

TEST_P(SorterTest, OneRecord) {
  Sorter sorter(CompareInt64, nullptr, Options(64 * 1024));
  AddInt64(sorter, -42);
  sorter.Finish();
  EXPECT_EQ(DrainInt64(sorter), std::vector<int64_t>{-42});
}

TEST_P(SorterTest, InMemoryWhenItFits) {
  std::mt19937_64 rng(1);
  std::vector<int64_t> input(50'000);
  for (int64_t& v : input) v = static_cast<int64_t>(rng());
  Sorter sorter(CompareInt64, nullptr, Options(8 * 1024 * 1024));
  for (int64_t v : input) AddInt64(sorter, v);
  sorter.Finish();
  std::vector<int64_t> out = DrainInt64(sorter);
  std::sort(input.begin(), input.end());
  EXPECT_EQ(out, input);
  EXPECT_TRUE(sorter.in_memory());
  EXPECT_EQ(sorter.stats().runs_written, 0u);
  EXPECT_EQ(sorter.stats().bytes_spilled, 0u);
  EXPECT_LE(sorter.stats().peak_memory_bytes, size_t{8} * 1024 * 1024);
  EXPECT_GE(sorter.stats().peak_memory_bytes, input.size() * 8);
  EXPECT_FALSE(fs::exists(temp_dir_));  // never even created
}

// The brief's main case: 2 million random int64 through a tiny budget and a fan-in of 3, so
// there are dozens of initial runs and several merge passes.
TEST_P(SorterTest, TwoMillionRecordsMultiPassMerge) {
  constexpr size_t kCount = 2'000'000;
  constexpr size_t kBudget = 1024 * 1024;
  std::mt19937_64 rng(2024);
  std::vector<int64_t> input(kCount);
  for (int64_t& v : input) v = static_cast<int64_t>(rng() % 1'000'000'000) - 500'000'000;
  {
    Sorter sorter(CompareInt64, nullptr, Options(kBudget, /*max_fan_in=*/3));
    EXPECT_EQ(sorter.fan_in(), 3);
    for (int64_t v : input) AddInt64(sorter, v);
    EXPECT_GE(sorter.stats().initial_runs, 20u);  // runs were written while loading
    EXPECT_LE(sorter.stats().peak_memory_bytes, kBudget);
    sorter.Finish();
    const SortStats& st = sorter.stats();
    EXPECT_FALSE(sorter.in_memory());
    EXPECT_EQ(st.records, kCount);
    // ceil(log3(runs)) passes in all: at least three for >= 20 runs.
    int expected_passes = 0;
    for (uint64_t r = st.initial_runs; r > 1; r = (r + 2) / 3) ++expected_passes;
    EXPECT_EQ(st.merge_passes, expected_passes);
    EXPECT_GE(st.merge_passes, 3);
    EXPECT_GT(st.runs_written, st.initial_runs);
    // Every pass rewrote all of it: (passes - 1) intermediate + the initial runs.
    EXPECT_EQ(st.bytes_spilled, uint64_t{kCount} * 12 * static_cast<uint64_t>(st.merge_passes));
    EXPECT_EQ(TempFileCount(), 1);  // one generation file during the final merge (S6)
    std::vector<int64_t> out = DrainInt64(sorter);
    EXPECT_TRUE(std::is_sorted(out.begin(), out.end()));
    std::sort(input.begin(), input.end());
    ASSERT_EQ(out.size(), input.size());
    EXPECT_TRUE(out == input);  // same multiset, same order
  }
  EXPECT_EQ(TempFileCount(), 0);  // S1
}

TEST_P(SorterTest, VariableLengthAndOversizedRecords) {
  std::mt19937 rng(7);
  std::vector<std::string> input;
  for (int i = 0; i < 20'000; ++i) {
    std::string s(rng() % 200, '\0');
    for (char& c : s) c = static_cast<char>('a' + rng() % 3);  // short alphabet: shared prefixes
    input.push_back(std::move(s));
  }
  input.emplace_back();  // an empty record
  input.emplace_back();
  for (int i = 0; i < 3; ++i) {  // records larger than the budget and the I/O buffers
    input.push_back(std::string(600 * 1024 + static_cast<size_t>(i), static_cast<char>('b' + i)));
  }
  std::shuffle(input.begin(), input.end(), rng);
  Sorter sorter(CompareBytes, nullptr, Options(256 * 1024, /*max_fan_in=*/3));
  for (const std::string& s : input) {
    sorter.Add({reinterpret_cast<const std::byte*>(s.data()), s.size()});
  }
  sorter.Finish();
  EXPECT_GE(sorter.stats().merge_passes, 2);
  std::vector<std::string> out;
  std::span<const std::byte> rec;
  while (sorter.Next(&rec)) out.emplace_back(reinterpret_cast<const char*>(rec.data()), rec.size());
  std::sort(input.begin(), input.end());
  EXPECT_TRUE(out == input);
}

TEST_P(SorterTest, DuplicatesKeepEveryRecord) {
  // 200k records on 10 distinct keys, each with a unique payload: every record comes back
  // once, grouped by key.
  std::mt19937 rng(3);
  std::vector<std::pair<uint32_t, uint32_t>> input;
  for (uint32_t i = 0; i < 200'000; ++i) input.emplace_back(rng() % 10, i);
  uint64_t comparisons = 0;
  Sorter sorter(CompareKey32, &comparisons, Options(128 * 1024, 4));
  for (const auto& [key, payload] : input) {
    std::byte rec[8];
    memcpy(rec, &key, 4);
    memcpy(rec + 4, &payload, 4);
    sorter.Add(rec);
  }
  sorter.Finish();
  EXPECT_FALSE(sorter.in_memory());
  std::vector<std::pair<uint32_t, uint32_t>> out;
  std::span<const std::byte> rec;
  while (sorter.Next(&rec)) {
    std::pair<uint32_t, uint32_t> p;
    memcpy(&p.first, rec.data(), 4);
    memcpy(&p.second, rec.data() + 4, 4);
    out.push_back(p);
  }
  EXPECT_GT(comparisons, 0u);  // the comparator's arg reached it
  ASSERT_EQ(out.size(), input.size());
  EXPECT_TRUE(std::is_sorted(out.begin(), out.end(),
                             [](const auto& a, const auto& b) { return a.first < b.first; }));
  std::sort(out.begin(), out.end());
  std::sort(input.begin(), input.end());
  EXPECT_TRUE(out == input);
}

TEST_P(SorterTest, BoundedSortReturnsTheSmallestK) {
  std::mt19937_64 rng(11);
  std::vector<int64_t> input(300'000);
  for (int64_t& v : input) v = static_cast<int64_t>(rng() % 100'000);  // with duplicates
  std::vector<int64_t> expected = input;
  std::sort(expected.begin(), expected.end());
  for (const size_t budget : {size_t{64} * 1024 * 1024, size_t{64} * 1024}) {
    for (const uint64_t k : {uint64_t{0}, uint64_t{1}, uint64_t{100}, uint64_t{50'000}}) {
      SCOPED_TRACE(testing::Message() << "budget " << budget << " k " << k);
      Sorter sorter(CompareInt64, nullptr, Options(budget, 3));
      sorter.SetBoundedLimit(k);
      for (int64_t v : input) AddInt64(sorter, v);
      sorter.Finish();
      std::vector<int64_t> out = DrainInt64(sorter);
      EXPECT_EQ(out, std::vector<int64_t>(expected.begin(),
                                          expected.begin() + static_cast<ptrdiff_t>(k)));
      EXPECT_TRUE(sorter.stats().bounded);
      // Top-k with a small k never needs the disk, whatever the budget (S11).
      if (k <= 100) {
        EXPECT_TRUE(sorter.in_memory());
      }
    }
  }
  // A bound larger than the input changes nothing.
  Sorter sorter(CompareInt64, nullptr, Options(64 * 1024));
  sorter.SetBoundedLimit(1'000'000);
  for (int64_t v : input) AddInt64(sorter, v);
  sorter.Finish();
  EXPECT_EQ(DrainInt64(sorter), expected);
  EXPECT_FALSE(sorter.stats().bounded);
}

TEST_P(SorterTest, DestructionMidwayRemovesTempFiles) {
  {
    Sorter sorter(CompareInt64, nullptr, Options(64 * 1024, 2));
    for (int64_t v = 0; v < 100'000; ++v) AddInt64(sorter, (v * 7919) % 100'003);
    EXPECT_EQ(TempFileCount(), 1);
    sorter.Finish();
    std::span<const std::byte> rec;
    ASSERT_TRUE(sorter.Next(&rec));  // abandoned after one record
  }
  EXPECT_EQ(TempFileCount(), 0);
}

// A comparator that fails part-way through a merge (as a type's comparison function may): the
// error propagates and the files go with the sorter.
int ThrowingCompare(const std::byte* a, size_t a_len, const std::byte* b, size_t b_len,
                    void* arg) {
  auto* calls_left = static_cast<int64_t*>(arg);
  if (--*calls_left == 0) throw Error(sqlstate::kDataException, "comparison failed");
  return CompareInt64(a, a_len, b, b_len, nullptr);
}

TEST_P(SorterTest, ErrorsLeaveNoTempFiles) {
  // Count the comparisons of a complete sort, then fail at several points inside it.
  int64_t total = 1'000'000'000;
  const auto run = [&](int64_t* calls_left) {
    Sorter sorter(ThrowingCompare, calls_left, Options(64 * 1024, 2));
    for (int64_t v = 0; v < 60'000; ++v) AddInt64(sorter, (v * 7919) % 60'013);
    sorter.Finish();
    std::span<const std::byte> rec;
    while (sorter.Next(&rec)) {
    }
  };
  run(&total);
  const int64_t comparisons = 1'000'000'000 - total;
  ASSERT_GT(comparisons, 100'000);
  for (const int64_t fail_at : {int64_t{10}, comparisons / 2, comparisons - 5}) {
    int64_t calls_left = fail_at;
    try {
      run(&calls_left);
      ADD_FAILURE() << "no error at comparison " << fail_at;
    } catch (const Error& e) {
      EXPECT_EQ(e.message(), "comparison failed");
    }
    EXPECT_EQ(TempFileCount(), 0) << "failed at comparison " << fail_at;
  }
}

#ifdef KEEL_DEBUG
TEST_P(SorterTest, DiskFullIsAnErrorAndCleansUp) {
  for (const auto kind : {storage::FaultKind::kEnospc, storage::FaultKind::kShortWrite}) {
    storage::TestOnlyInjectFault(kind, "pgsql_tmp", 1);
    try {
      Sorter sorter(CompareInt64, nullptr, Options(64 * 1024));
      for (int64_t v = 0; v < 100'000; ++v) AddInt64(sorter, -v);
      sorter.Finish();
      ADD_FAILURE() << "no error";
    } catch (const Error& e) {
      EXPECT_EQ(e.sqlstate().code(), "53100");
      EXPECT_TRUE(e.message().starts_with("could not write to file \"" + temp_dir_ +
                                          "/pgsql_tmp"))
          << e.message();
      EXPECT_NE(e.message().find("No space left on device"), std::string::npos) << e.message();
    }
    EXPECT_EQ(TempFileCount(), 0);
  }
  storage::TestOnlyInjectFault(storage::FaultKind::kEio, "pgsql_tmp", 1);
  try {
    Sorter sorter(CompareInt64, nullptr, Options(64 * 1024));
    for (int64_t v = 0; v < 100'000; ++v) AddInt64(sorter, v);
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.sqlstate().code(), "58030");
  }
  EXPECT_EQ(TempFileCount(), 0);
}
#endif

TEST_P(SorterTest, CancelInterruptsALongSort) {
  Sorter sorter(CompareInt64, nullptr, Options(64 * 1024));
  for (int64_t v = 0; v < 10'000; ++v) AddInt64(sorter, v);
  Interrupts().cancel = 1;  // what SIGINT's handler sets
  try {
    for (int64_t v = 0; v < 100'000; ++v) AddInt64(sorter, v);
    ADD_FAILURE() << "not cancelled";
  } catch (const Error& e) {
    EXPECT_EQ(e.sqlstate().code(), "57014");
    EXPECT_EQ(e.message(), "canceling statement due to user request");
  }
}

TEST_P(SorterTest, RecordTooLarge) {
  Sorter sorter(CompareBytes, nullptr, Options(64 * 1024));
  std::byte one{};
  // The size is checked before any byte is read, so a span claiming 1 GiB is safe here.
  try {
    sorter.Add({&one, kMaxRecordBytes + 1});
    ADD_FAILURE() << "accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.sqlstate().code(), "54000");
  }
}

// S13: with abbreviated keys (here the top 16 bits of a 4-byte key, so many ties) the order is
// the comparator's, in memory, spilled and bounded; the comparator sees only the ties in memory.
TEST_P(SorterTest, AbbreviatedKeysOrderFirstAndFallBackOnTies) {
  std::mt19937_64 rng(13);
  std::vector<uint32_t> input(100'000);
  for (uint32_t& v : input) v = static_cast<uint32_t>(rng());
  std::vector<uint32_t> expect = input;
  std::sort(expect.begin(), expect.end());
  for (size_t budget : {size_t{16} * 1024 * 1024, size_t{256} * 1024}) {
    for (bool bounded : {false, true}) {
      uint64_t calls = 0;
      Sorter sorter(CompareKey32, &calls, Options(budget));
      if (bounded) sorter.SetBoundedLimit(1000);
      for (uint32_t v : input) {
        sorter.Add({reinterpret_cast<const std::byte*>(&v), sizeof v}, v >> 16);
      }
      sorter.Finish();
      if (!bounded) {  // a bounded sort trims in memory instead of spilling
        EXPECT_EQ(sorter.in_memory(), budget > 1024 * 1024);
      }
      std::vector<uint32_t> out;
      std::span<const std::byte> rec;
      while (sorter.Next(&rec)) {
        uint32_t v;
        memcpy(&v, rec.data(), 4);
        out.push_back(v);
      }
      const std::vector<uint32_t> want(expect.begin(), expect.begin() + (bounded ? 1000 : 100'000));
      EXPECT_EQ(out, want) << "budget " << budget << " bounded " << bounded;
      if (sorter.in_memory() && !bounded) {
        // ~1.5 records per abbreviation: a plain sort would call it ~1.7 million times.
        EXPECT_LT(calls, 400'000u);
      }
    }
  }
}

TEST_P(SorterTest, BudgetsComeFromSettings) {
  const int saved_work = settings::work_mem_kb;
  const int saved_maint = settings::maintenance_work_mem_kb;
  EXPECT_EQ(WorkMemSortOptions().memory_budget_bytes, size_t{4} * 1024 * 1024);
  EXPECT_EQ(MaintenanceSortOptions().memory_budget_bytes, size_t{64} * 1024 * 1024);
  settings::work_mem_kb = 64;  // tests may assign settings directly (settings.h)
  EXPECT_EQ(WorkMemSortOptions().memory_budget_bytes, size_t{64} * 1024);
  EXPECT_TRUE(WorkMemSortOptions().temp_dir.empty());
  settings::work_mem_kb = saved_work;
  settings::maintenance_work_mem_kb = saved_maint;
  // The fan-in follows the budget: 64 MB of 256 KiB buffers, less one for the output.
  Sorter big(CompareInt64, nullptr, MaintenanceSortOptions());
  EXPECT_EQ(big.fan_in(), 255);
  Sorter tiny(CompareInt64, nullptr, Options(64 * 1024));
  EXPECT_EQ(tiny.fan_in(), 2);
  EXPECT_TRUE(MaintenanceSortOptions().background_sort);  // S14: CREATE INDEX
  EXPECT_FALSE(WorkMemSortOptions().background_sort);
}

// ---- S14: background sorting ----------------------------------------------------------------

// Tests that set background_sort themselves (the fixture's parameter is not used).
class BackgroundSortTest : public SorterTest {};

// Records of 8..40 bytes: a 4-byte key with many duplicates, then payload bytes. The comparator
// orders by the whole byte string (a total order), so the sorted output is unique and the two
// modes must agree byte for byte; the abbreviation is the key (ties go to the comparator).
std::vector<std::string> MixedRecords(size_t count, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<std::string> input;
  input.reserve(count);
  for (size_t i = 0; i < count; ++i) {
    std::string s(8 + rng() % 33, '\0');
    const uint32_t key = static_cast<uint32_t>(rng() % 5000);
    const uint32_t big_endian = __builtin_bswap32(key);
    memcpy(s.data(), &big_endian, 4);
    for (size_t j = 4; j < s.size(); ++j) s[j] = static_cast<char>(rng() % 4);
    input.push_back(std::move(s));
  }
  return input;
}

// Sorts `input` and returns the output records, concatenated with their lengths.
std::string SortAll(const std::vector<std::string>& input, SortOptions options,
                    SortStats* stats = nullptr, bool* in_memory = nullptr) {
  Sorter sorter(CompareBytes, nullptr, std::move(options));
  for (const std::string& s : input) {
    uint32_t key;
    memcpy(&key, s.data(), 4);
    sorter.Add({reinterpret_cast<const std::byte*>(s.data()), s.size()},
               __builtin_bswap32(key));
  }
  sorter.Finish();
  std::string out;
  std::span<const std::byte> rec;
  while (sorter.Next(&rec)) {
    out += std::to_string(rec.size()) + ":";
    out.append(reinterpret_cast<const char*>(rec.data()), rec.size());
  }
  if (stats != nullptr) *stats = sorter.stats();
  if (in_memory != nullptr) *in_memory = sorter.in_memory();
  return out;
}

TEST_F(BackgroundSortTest, BackgroundOutputIsByteIdenticalToForeground) {
  const std::vector<std::string> input = MixedRecords(300'000, 99);
  std::vector<std::string> sorted = input;
  std::sort(sorted.begin(), sorted.end());
  std::string expect;
  for (const std::string& s : sorted) expect += std::to_string(s.size()) + ":" + s;
  // Budgets: everything in one batch, in two batches (between half and all of the budget: still
  // in memory), many runs with one final merge, many runs with several passes, a tiny budget
  // (a few records per batch).
  struct Case {
    size_t budget;
    int fan_in;
  };
  for (const Case c : {Case{64 << 20, 0}, Case{24 << 20, 0}, Case{1 << 20, 0}, Case{256 << 10, 3},
                       Case{2048, 0}}) {
    SCOPED_TRACE(testing::Message() << "budget " << c.budget << " fan-in " << c.fan_in);
    SortOptions o;
    o.memory_budget_bytes = c.budget;
    o.temp_dir = temp_dir_;
    o.max_fan_in = c.fan_in;
    SortStats fg_stats;
    SortStats bg_stats;
    bool fg_memory = false;
    bool bg_memory = false;
    o.background_sort = false;
    const std::string fg = SortAll(input, o, &fg_stats, &fg_memory);
    o.background_sort = true;
    const std::string bg = SortAll(input, o, &bg_stats, &bg_memory);
    EXPECT_TRUE(fg == expect);
    EXPECT_TRUE(bg == expect);
    // The same decision to go to disk: background sorting only halves the batches.
    EXPECT_EQ(fg_memory, bg_memory);
    EXPECT_EQ(fg_memory, c.budget >= (24 << 20));
    EXPECT_LE(bg_stats.peak_memory_bytes, c.budget + 64);  // S9: plus one record at most
    if (!fg_memory) {
      EXPECT_GE(bg_stats.initial_runs, 2 * fg_stats.initial_runs - 1);
      EXPECT_LE(bg_stats.initial_runs, 3 * fg_stats.initial_runs);
    }
    EXPECT_EQ(TempFileCount(), 0);
  }
}

// Records larger than half the budget (a batch of one) and empty records, in the background.
TEST_F(BackgroundSortTest, BackgroundWithOversizedRecords) {
  std::vector<std::string> input = MixedRecords(5000, 5);
  for (int i = 0; i < 4; ++i) input.push_back(std::string(100 * 1024, static_cast<char>(i)));
  std::shuffle(input.begin(), input.end(), std::mt19937(1));
  SortOptions o;
  o.memory_budget_bytes = 128 * 1024;
  o.temp_dir = temp_dir_;
  o.background_sort = false;
  const std::string fg = SortAll(input, o);
  o.background_sort = true;
  EXPECT_TRUE(SortAll(input, o) == fg);
}

// A comparator failing on the worker thread: the error reaches the caller (from Add or Finish),
// nothing hangs, no file is left. The calls counter is not atomic: S14 says the comparator never
// runs on two threads at once (TSan / helgrind check that too).
TEST_F(BackgroundSortTest, BackgroundComparatorErrorSurfacesOnTheCaller) {
  int64_t total = 1'000'000'000;
  const auto run = [&](int64_t* calls_left, int n) {
    SortOptions o;
    o.memory_budget_bytes = 64 * 1024;
    o.temp_dir = temp_dir_;
    o.background_sort = true;
    Sorter sorter(ThrowingCompare, calls_left, o);
    for (int64_t v = 0; v < n; ++v) AddInt64(sorter, (v * 7919) % 60'013);
    sorter.Finish();
    std::span<const std::byte> rec;
    while (sorter.Next(&rec)) {
    }
  };
  run(&total, 60'000);
  const int64_t comparisons = 1'000'000'000 - total;
  ASSERT_GT(comparisons, 100'000);
  for (const int64_t fail_at : {int64_t{1}, int64_t{10}, comparisons / 3, comparisons / 2}) {
    int64_t calls_left = fail_at;
    try {
      run(&calls_left, 60'000);
      ADD_FAILURE() << "no error at comparison " << fail_at;
    } catch (const Error& e) {
      EXPECT_EQ(e.message(), "comparison failed");
    }
    EXPECT_EQ(TempFileCount(), 0) << "failed at comparison " << fail_at;
  }
  // Failing in the second of two in-memory batches (the one sorted by Finish on the caller).
  int64_t calls_left = 10;
  {
    SortOptions o;
    o.memory_budget_bytes = 64 * 1024;
    o.background_sort = true;
    o.temp_dir = temp_dir_;
    int64_t count = 1'000'000'000;
    Sorter counting(ThrowingCompare, &count, o);
    for (int64_t v = 0; v < 1500; ++v) AddInt64(counting, (v * 7919) % 1511);  // ~47 KB
    counting.Finish();
    EXPECT_TRUE(counting.in_memory());
    calls_left = 1'000'000'000 - count - 3;  // in Finish's sort or Next's merge
  }
  try {
    SortOptions o;
    o.memory_budget_bytes = 64 * 1024;
    o.background_sort = true;
    o.temp_dir = temp_dir_;
    Sorter sorter(ThrowingCompare, &calls_left, o);
    for (int64_t v = 0; v < 1500; ++v) AddInt64(sorter, (v * 7919) % 1511);
    sorter.Finish();
    std::span<const std::byte> rec;
    while (sorter.Next(&rec)) {
    }
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.message(), "comparison failed");
  }
}

// Destroyed while the worker sorts a large batch, before Finish and after: joins, no files.
TEST_F(BackgroundSortTest, BackgroundDestroyedMidway) {
  for (int stop = 0; stop < 3; ++stop) {
    {
      SortOptions o;
      o.memory_budget_bytes = 8 << 20;
      o.temp_dir = temp_dir_;
      o.background_sort = true;
      Sorter sorter(CompareInt64, nullptr, o);
      // 400k records of 32 accounted bytes: batches of 4 MB = 131072 records, 3 hand-offs.
      const int64_t n = stop == 0 ? 140'000 : 400'000;
      for (int64_t v = 0; v < n; ++v) AddInt64(sorter, (v * 7919) % 400'009);
      if (stop == 2) {
        sorter.Finish();
        std::span<const std::byte> rec;
        ASSERT_TRUE(sorter.Next(&rec));
      }
    }
    EXPECT_EQ(TempFileCount(), 0) << "stop " << stop;
  }
}

INSTANTIATE_TEST_SUITE_P(Modes, SorterTest, ::testing::Bool(),
                         [](const testing::TestParamInfo<bool>& info) {
                           return std::string(info.param ? "Background" : "Foreground");
                         });

}  // namespace
}  // namespace keel::sort
