// The bulk build (BtBuild): the built tree against a model (random keys with duplicates and
// NULLs, two columns DESC/INCLUDE, empty and one-row sources), the verifier with the heap check,
// the fill factor, a spilling sort giving the same pages, unique violations, normal inserts /
// scans / VACUUM on a built tree, and crashes after and during a build. README.md ("Bulk build").
#include <gtest/gtest.h>

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "access/heap/heap_test_util.h"
#include "access/index/indexam.h"
#include "access/nbtree/bt_test_util.h"
#include "access/transam/xact.h"
#include "backend/utils/error/error.h"
#include "storage/buffer/bufmgr.h"
#include "storage/smgr/smgr.h"
#include "tests/server/server_harness.h"

namespace keel::access::nbtree {
namespace {

using access::testing::Channel;
using keel::testing::ServerHarness;
using storage::ItemPointer;
using testing::Int8Table;
using testing::Join;

// A build source over rows kept in memory (up to 3 columns).
struct SourceRow {
  ItemPointer tid;
  Datum values[3] = {};
  bool isnull[3] = {};
  bool alive = true;
};
class VectorSource final : public IndexBuildSource {
 public:
  VectorSource(const std::vector<SourceRow>& rows, size_t ncols) : rows_(rows), ncols_(ncols) {}
  bool Next(IndexBuildRow* out) override {
    if (next_ >= rows_.size()) return false;
    const SourceRow& r = rows_[next_++];
    out->tid = r.tid;
    out->values = std::span<const Datum>(r.values, ncols_);
    out->isnull = std::span<const bool>(r.isnull, ncols_);
    out->alive = r.alive;
    return true;
  }

 private:
  const std::vector<SourceRow>& rows_;
  size_t ncols_;
  size_t next_ = 0;
};

ItemPointer TidFor(uint64_t i) {
  return {BlockNumber(static_cast<uint32_t>(i / 50 + 1)), static_cast<storage::OffsetNumber>(i % 50 + 1)};
}

// Inserts a heap row with key k (or NULL) in the caller's transaction (no index entry).
ItemPointer HeapRow(Int8Table& t, std::optional<int64_t> k) {
  const Datum v = Int64GetDatum(k.value_or(0));
  const bool n = !k.has_value();
  HeapTuple tuple = HeapFormTuple(t.desc, std::span<const Datum>(&v, 1), std::span<const bool>(&n, 1));
  return HeapInsert(t.heap, tuple, transam::GetCurrentCommandId(true));
}

SourceRow Int8Row(ItemPointer tid, std::optional<int64_t> k, bool alive = true) {
  SourceRow r;
  r.tid = tid;
  r.values[0] = Int64GetDatum(k.value_or(0));
  r.isnull[0] = !k.has_value();
  r.alive = alive;
  return r;
}

// Every entry's heap tid, in scan order.
std::vector<ItemPointer> ScanTids(const BtIndex& index, ScanDirection dir, std::vector<BtScanKey> keys = {}) {
  std::vector<ItemPointer> out;
  BtScan scan(index, std::move(keys), dir);
  ItemPointer tid;
  while (scan.Next(&tid)) out.push_back(tid);
  return out;
}

// The model order of int8 rows: key ASC NULLS LAST, then tid (BT1).
std::vector<ItemPointer> ModelOrder(std::vector<SourceRow> rows) {
  std::sort(rows.begin(), rows.end(), [](const SourceRow& a, const SourceRow& b) {
    if (a.isnull[0] != b.isnull[0]) return b.isnull[0];
    if (!a.isnull[0]) {
      const int64_t x = DatumGetInt64(a.values[0]);
      const int64_t y = DatumGetInt64(b.values[0]);
      if (x != y) return x < y;
    }
    return a.tid < b.tid;
  });
  std::vector<ItemPointer> out;
  for (const SourceRow& r : rows) out.push_back(r.tid);
  return out;
}

// Builds in its own committed transaction; returns the stats (or rethrows the error after
// aborting).
BtBuildStats BuildCommitted(const BtIndex& index, const std::vector<SourceRow>& rows, size_t ncols,
                            BtBuildOptions options = {}) {
  transam::StartTransaction();
  try {
    VectorSource source(rows, ncols);
    const BtBuildStats stats = BtBuild(index, source, options);
    transam::CommitTransaction();
    return stats;
  } catch (...) {
    transam::AbortTransaction();
    throw;
  }
}

// An int8 table with `n` heap rows: keys from a small range (duplicates) and ~5% NULLs.
std::vector<SourceRow> FillHeap(Int8Table& t, int n, uint64_t seed, int64_t key_range) {
  std::mt19937_64 rng(seed);
  std::vector<SourceRow> rows;
  transam::StartTransaction();
  for (int i = 0; i < n; ++i) {
    std::optional<int64_t> k;
    if (rng() % 20 != 0) k = static_cast<int64_t>(rng() % static_cast<uint64_t>(key_range)) - key_range / 2;
    rows.push_back(Int8Row(HeapRow(t, k), k));
  }
  transam::CommitTransaction();
  return rows;
}

void ExpectVerified(const Int8Table& t, BtVerifyStats* stats = nullptr) {
  transam::StartTransaction();
  const std::vector<std::string> problems = BtVerify(t.index, t.VerifyWithHeap(), stats);
  EXPECT_TRUE(problems.empty()) << Join(problems);
  transam::CommitTransaction();
}

TEST(BtBuildTest, RandomKeysWithDuplicatesAndNullsMatchModel) {
  ServerHarness harness;
  Int8Table t;
  t.heap = access::testing::CreateTestHeap(t.heap.locator.rel.value(), "t");
  t.heap.desc = &t.desc;
  const std::vector<SourceRow> rows = FillHeap(t, 60000, 11, 5000);
  const BtBuildStats stats = BuildCommitted(t.index, rows, 1);
  EXPECT_EQ(stats.heap_tuples, rows.size());
  EXPECT_EQ(stats.index_tuples, rows.size());
  EXPECT_GE(stats.levels, 2u);
  EXPECT_FALSE(stats.sort_spilled);

  BtVerifyStats vs;
  ExpectVerified(t, &vs);
  EXPECT_EQ(vs.leaf_entries, rows.size());
  EXPECT_EQ(static_cast<uint32_t>(vs.levels), stats.levels);
  EXPECT_EQ(vs.incomplete_splits, 0u);

  const std::vector<ItemPointer> model = ModelOrder(rows);
  transam::StartTransaction();
  EXPECT_EQ(ScanTids(t.index, ScanDirection::kForward), model);
  std::vector<ItemPointer> bwd = ScanTids(t.index, ScanDirection::kBackward);
  std::reverse(bwd.begin(), bwd.end());
  EXPECT_EQ(bwd, model);
  // Equality and range lookups agree with the model.
  for (int64_t k : {-2500, -1, 0, 7, 2499}) {
    std::vector<SourceRow> match;
    for (const SourceRow& r : rows) {
      if (!r.isnull[0] && DatumGetInt64(r.values[0]) == k) match.push_back(r);
    }
    EXPECT_EQ(ScanTids(t.index, ScanDirection::kForward, {{0, BtStrategy::kEqual, Int64GetDatum(k)}}),
              ModelOrder(match)) << k;
  }
  std::vector<SourceRow> below;
  for (const SourceRow& r : rows) {
    if (!r.isnull[0] && DatumGetInt64(r.values[0]) < 100) below.push_back(r);
  }
  EXPECT_EQ(ScanTids(t.index, ScanDirection::kForward, {{0, BtStrategy::kLess, Int64GetDatum(100)}}),
            ModelOrder(below));
  transam::CommitTransaction();
}

// --- two columns: (a int4 DESC NULLS LAST, b text) INCLUDE (c int4) --------------------------

// A duplicate-heavy build loads posting lists (BT22, BT23): 200k rows over 100 keys take at
// least 2.5x fewer leaves than with deduplication off, and scan back exactly.
TEST(BtBuildTest, DuplicateHeavyBuildLoadsPostingLists) {
  ServerHarness harness;
  std::vector<SourceRow> rows;
  std::mt19937_64 rng(5);
  for (uint64_t i = 0; i < 200000; ++i) rows.push_back(Int8Row(TidFor(i), static_cast<int64_t>(rng() % 100)));
  const std::vector<ItemPointer> want = ModelOrder(rows);
  BtBuildStats with[2];
  for (int off = 0; off < 2; ++off) {
    Int8Table t(false, 16384, 16390 + static_cast<uint32_t>(off));
    t.index.deduplicate = off == 0;
    with[off] = BuildCommitted(t.index, rows, 1);
    BtVerifyStats vs;
    const std::vector<std::string> problems = BtVerify(t.index, {}, &vs);
    ASSERT_TRUE(problems.empty()) << Join(problems);
    EXPECT_EQ(vs.leaf_entries, rows.size());
    if (off == 0) {
      EXPECT_GT(vs.posting_tuples, 100u);
    } else {
      EXPECT_EQ(vs.posting_tuples, 0u);
    }
    EXPECT_EQ(ScanTids(t.index, ScanDirection::kForward), want);
    std::vector<ItemPointer> back = ScanTids(t.index, ScanDirection::kBackward);
    std::reverse(back.begin(), back.end());
    EXPECT_EQ(back, want);
    const size_t n42 = static_cast<size_t>(std::count_if(rows.begin(), rows.end(), [](const SourceRow& r) {
      return DatumGetInt64(r.values[0]) == 42;
    }));
    EXPECT_EQ(ScanTids(t.index, ScanDirection::kForward, {{0, BtStrategy::kEqual, Int64GetDatum(42)}}).size(), n42);
  }
  EXPECT_EQ(with[0].index_tuples, rows.size());
  // 2.87x measured: plain entries take 28 bytes a row on 90%-full leaves, posting lists ~6.
  EXPECT_GE(with[1].leaf_pages * 10, with[0].leaf_pages * 25) << with[0].leaf_pages << " vs " << with[1].leaf_pages;
}

TEST(BtBuildTest, TwoColumnsDescNullsTextInclude) {
  ServerHarness harness;
  testing::TwoColumnIndex two;
  const TupleDesc& desc = two.desc;
  BtIndex& index = two.index;

  struct Model {
    std::optional<int32_t> a;
    std::optional<std::string> b;
    ItemPointer tid;
  };
  std::mt19937_64 rng(778);
  std::vector<Model> model;
  std::vector<std::vector<std::byte>> texts;
  std::vector<SourceRow> rows;
  constexpr int kRows = 20000;
  texts.reserve(kRows);
  for (int i = 0; i < kRows; ++i) {
    Model m;
    if (rng() % 10 != 0) m.a = static_cast<int32_t>(rng() % 200) - 100;
    if (rng() % 10 != 0) {
      m.b = std::string(rng() % 3 == 0 ? 200 : 5, static_cast<char>('a' + rng() % 26)) + std::to_string(rng() % 50);
    }
    m.tid = TidFor(static_cast<uint64_t>(i));
    texts.push_back(m.b ? MakeVarlena(*m.b) : std::vector<std::byte>{});
    SourceRow r;
    r.tid = m.tid;
    r.values[0] = Int32GetDatum(m.a.value_or(0));
    r.values[1] = m.b ? PointerGetDatum(texts.back().data()) : 0;
    r.values[2] = Int32GetDatum(i);
    r.isnull[0] = !m.a;
    r.isnull[1] = !m.b;
    rows.push_back(r);
    model.push_back(std::move(m));
  }
  // Spilling and in-memory builds give the same tree.
  for (size_t budget : {size_t{0}, size_t{128} * 1024}) {
    index.rel = ServerHarness::TestRelation(budget == 0 ? 16400 : 16401, "t_ab");
    BtBuildOptions options;
    options.sort_memory_bytes = budget;
    const BtBuildStats stats = BuildCommitted(index, rows, 3, options);
    EXPECT_EQ(stats.sort_spilled, budget != 0);
    const std::vector<std::string> problems = BtVerify(index);
    ASSERT_TRUE(problems.empty()) << Join(problems);
  }
  std::sort(model.begin(), model.end(), [](const Model& x, const Model& y) {
    if (x.a != y.a) {
      if (!x.a || !y.a) return !y.a;  // NULLS LAST
      return *x.a > *y.a;             // DESC
    }
    if (x.b != y.b) {
      if (!x.b || !y.b) return !y.b;
      return *x.b < *y.b;
    }
    return x.tid < y.tid;
  });
  std::vector<ItemPointer> expect;
  for (const Model& m : model) expect.push_back(m.tid);
  for (uint32_t rel : {16400u, 16401u}) {
    index.rel = ServerHarness::TestRelation(rel, "t_ab");
    EXPECT_EQ(ScanTids(index, ScanDirection::kForward), expect);
    std::vector<ItemPointer> bwd = ScanTids(index, ScanDirection::kBackward);
    std::reverse(bwd.begin(), bwd.end());
    EXPECT_EQ(bwd, expect);
    // The INCLUDE column comes back with each entry.
    BtScan scan(index, {{0, BtStrategy::kEqual, Int32GetDatum(42)}});
    ItemPointer tid;
    IndexTuple tuple;
    int found = 0;
    while (scan.Next(&tid, &tuple)) {
      Datum v[3];
      bool n[3];
      IndexDeformTuple(desc, tuple.header(), v, n);
      EXPECT_EQ(DatumGetInt32(v[0]), 42);
      EXPECT_EQ(TidFor(static_cast<uint64_t>(DatumGetInt32(v[2]))), tid);
      ++found;
    }
    EXPECT_EQ(found, std::count_if(model.begin(), model.end(), [](const Model& m) { return m.a == 42; }));
  }
}

TEST(BtBuildTest, EmptyAndOneRowSources) {
  ServerHarness harness;
  Int8Table t;
  t.heap = access::testing::CreateTestHeap(t.heap.locator.rel.value(), "t");
  t.heap.desc = &t.desc;
  const BtBuildStats empty = BuildCommitted(t.index, {}, 1);
  EXPECT_EQ(empty.index_tuples, 0u);
  EXPECT_EQ(empty.levels, 1u);
  EXPECT_EQ(empty.pages, 2u);  // meta + root leaf, as BtCreateIndex
  ExpectVerified(t);
  transam::StartTransaction();
  EXPECT_TRUE(ScanTids(t.index, ScanDirection::kForward).empty());
  EXPECT_TRUE(ScanTids(t.index, ScanDirection::kBackward).empty());
  // A normal insert into the empty built index.
  (void)t.Insert(5);
  transam::CommitTransaction();
  ExpectVerified(t);

  Int8Table one(false, 16500, 16510);
  one.heap = access::testing::CreateTestHeap(16500, "t1");
  one.heap.desc = &one.desc;
  transam::StartTransaction();
  const std::vector<SourceRow> rows{Int8Row(HeapRow(one, 77), 77)};
  transam::CommitTransaction();
  const BtBuildStats st = BuildCommitted(one.index, rows, 1);
  EXPECT_EQ(st.index_tuples, 1u);
  EXPECT_EQ(st.levels, 1u);
  ExpectVerified(one);
  transam::StartTransaction();
  EXPECT_EQ(ScanTids(one.index, ScanDirection::kForward), std::vector<ItemPointer>{rows[0].tid});
  EXPECT_EQ(ScanTids(one.index, ScanDirection::kBackward), std::vector<ItemPointer>{rows[0].tid});
  transam::CommitTransaction();
}

// Leaf pages: the count the fill factor implies (a leaf entry of an int8 index takes 16 bytes +
// a 4-byte line pointer; a page has 8136 bytes for items), counted independently by VACUUM's
// cleanup walk of the leaf level.
TEST(BtBuildTest, FillFactorHonoured) {
  ServerHarness harness;
  constexpr int kRows = 200000;
  std::vector<SourceRow> rows;
  std::mt19937_64 rng(5);
  for (int i = 0; i < kRows; ++i) rows.push_back(Int8Row(TidFor(static_cast<uint64_t>(i)), static_cast<int64_t>(rng())));
  uint32_t rel = 16600;
  for (int ff : {10, 50, 90, 100}) {
    Int8Table t(false, rel, rel + 1);
    rel += 2;
    BtBuildOptions options;
    options.fillfactor = ff;
    const BtBuildStats stats = BuildCommitted(t.index, rows, 1, options);
    transam::StartTransaction();
    const BtBulkDeleteStats cleanup = BtVacuumCleanup(t.index);
    transam::CommitTransaction();
    EXPECT_EQ(cleanup.pages, stats.leaf_pages);
    EXPECT_EQ(cleanup.tuples_remaining, static_cast<uint64_t>(kRows));
    const double per_page = 8136.0 * ff / 100.0 / 20.0;
    const double expect = kRows / per_page;
    EXPECT_NEAR(static_cast<double>(stats.leaf_pages), expect, expect * 0.03 + 2) << "fillfactor " << ff;
    const std::vector<std::string> problems = BtVerify(t.index);
    EXPECT_TRUE(problems.empty()) << Join(problems);
  }
  Int8Table bad(false, rel, rel + 1);
  BtBuildOptions options;
  options.fillfactor = 9;
  try {
    (void)BuildCommitted(bad.index, rows, 1, options);
    ADD_FAILURE() << "fillfactor 9 accepted";
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.sqlstate().code()), "22023");
    EXPECT_EQ(e.message(), "value 9 out of bounds for option \"fillfactor\"");
  }
}

// The pages of two builds from the same rows, one sorted in memory and one spilling, are the
// same bytes (LSN and checksum aside).
TEST(BtBuildTest, SpillingSortBuildsTheSamePages) {
  ServerHarness harness;
  std::vector<SourceRow> rows;
  std::mt19937_64 rng(9);
  for (int i = 0; i < 150000; ++i) {
    std::optional<int64_t> k;
    if (rng() % 50 != 0) k = static_cast<int64_t>(rng() % 40000);
    rows.push_back(Int8Row(TidFor(static_cast<uint64_t>(i)), k));
  }
  Int8Table mem(false, 16700, 16701);
  Int8Table disk(false, 16702, 16703);
  const BtBuildStats a = BuildCommitted(mem.index, rows, 1);
  BtBuildOptions options;
  options.sort_memory_bytes = 64 * 1024;
  const BtBuildStats b = BuildCommitted(disk.index, rows, 1, options);
  EXPECT_FALSE(a.sort_spilled);
  EXPECT_TRUE(b.sort_spilled);
  EXPECT_GT(b.sort_runs, 10u);
  ASSERT_EQ(a.pages, b.pages);
  const BlockNumber n = storage::SmgrNBlocks(mem.index.rel.locator, ForkNumber::kMain);
  ASSERT_EQ(n.value(), a.pages);
  ASSERT_EQ(storage::SmgrNBlocks(disk.index.rel.locator, ForkNumber::kMain), n);
  alignas(8) std::byte pa[kBlockSize];
  alignas(8) std::byte pb[kBlockSize];
  for (uint32_t blk = 0; blk < n.value(); ++blk) {
    storage::SmgrRead(mem.index.rel.locator, ForkNumber::kMain, BlockNumber(blk), pa);
    storage::SmgrRead(disk.index.rel.locator, ForkNumber::kMain, BlockNumber(blk), pb);
    std::memset(pa, 0, 12);  // lsn + checksum
    std::memset(pb, 0, 12);
    ASSERT_EQ(std::memcmp(pa, pb, kBlockSize), 0) << "block " << blk;
  }
  EXPECT_EQ(ScanTids(disk.index, ScanDirection::kForward), ModelOrder(rows));
}

std::string BuildState(const BtIndex& index, const std::vector<SourceRow>& rows,
                       std::string* message = nullptr, std::string* detail = nullptr) {
  try {
    (void)BuildCommitted(index, rows, 1);
  } catch (const Error& e) {
    if (message != nullptr) *message = e.message();
    if (detail != nullptr) *detail = e.detail();
    return std::string(e.sqlstate().code());
  }
  return "00000";
}

TEST(BtBuildTest, UniqueViolations) {
  ServerHarness harness;
  std::vector<SourceRow> rows;
  for (int i = 0; i < 30000; ++i) rows.push_back(Int8Row(TidFor(static_cast<uint64_t>(i)), (i * 7919) % 30000));
  uint32_t rel = 16800;
  auto next_index = [&rel] {
    Int8Table* t = new Int8Table(true, rel, rel + 1);
    rel += 2;
    return std::unique_ptr<Int8Table>(t);
  };
  auto t = next_index();
  EXPECT_EQ(BuildState(t->index, rows), "00000");
  const std::vector<std::string> problems = BtVerify(t->index);
  EXPECT_TRUE(problems.empty()) << Join(problems);

  // A live duplicate anywhere (the last key here) fails with BtInsert's message and detail.
  std::vector<SourceRow> dup = rows;
  dup.push_back(Int8Row(TidFor(40000), 29999));
  t = next_index();
  std::string message, detail;
  EXPECT_EQ(BuildState(t->index, dup, &message, &detail), "23505");
  EXPECT_EQ(message, "could not create unique index \"t_k_key\"");
  EXPECT_EQ(detail, "Key (k)=(29999) is duplicated.");
  dup.back().values[0] = Int64GetDatum(0);  // the first key
  t = next_index();
  EXPECT_EQ(BuildState(t->index, dup, &message, &detail), "23505");
  EXPECT_EQ(detail, "Key (k)=(0) is duplicated.");

  // Not a violation: one of the equal rows is not alive (recently dead), or the keys are NULL.
  std::vector<SourceRow> dead = rows;
  dead.push_back(Int8Row(TidFor(40001), 123, /*alive=*/false));
  dead.push_back(Int8Row(TidFor(40002), 123, /*alive=*/false));
  dead.push_back(Int8Row(TidFor(40003), std::nullopt));
  dead.push_back(Int8Row(TidFor(40004), std::nullopt));
  t = next_index();
  EXPECT_EQ(BuildState(t->index, dead), "00000");
  EXPECT_EQ(ScanTids(t->index, ScanDirection::kForward).size(), dead.size());
  // Two dead and one alive: fine; two alive among dead ones: not.
  dead.push_back(Int8Row(TidFor(40005), 124, false));
  dead.push_back(Int8Row(TidFor(40006), 124, false));
  t = next_index();
  EXPECT_EQ(BuildState(t->index, dead), "00000");
  dead.push_back(Int8Row(TidFor(40007), 124, true));
  t = next_index();
  EXPECT_EQ(BuildState(t->index, dead, &message, &detail), "23505");
  EXPECT_EQ(detail, "Key (k)=(124) is duplicated.");
}

// Full leaves (fill factor 100), then ordinary inserts split them; scans both ways, bulk delete
// and the verifier (with heap check) on the result.
TEST(BtBuildTest, InsertsScansAndVacuumOnABuiltTree) {
  ServerHarness harness;
  Int8Table t;
  t.heap = access::testing::CreateTestHeap(t.heap.locator.rel.value(), "t");
  t.heap.desc = &t.desc;
  t.index.unique = true;
  std::vector<SourceRow> rows;
  std::multiset<int64_t> model;
  transam::StartTransaction();
  for (int64_t k = 0; k < 40000; ++k) {
    rows.push_back(Int8Row(HeapRow(t, k * 2), k * 2));
    model.insert(k * 2);
  }
  transam::CommitTransaction();
  BtBuildOptions options;
  options.fillfactor = 100;
  const BtBuildStats stats = BuildCommitted(t.index, rows, 1, options);
  ExpectVerified(t);

  // Odd keys in random order: nearly every leaf splits.
  std::vector<int64_t> odd;
  for (int64_t k = 0; k < 40000; ++k) odd.push_back(k * 2 + 1);
  std::shuffle(odd.begin(), odd.end(), std::mt19937_64(3));
  transam::StartTransaction();
  for (int64_t k : odd) {
    (void)t.Insert(k);
    model.insert(k);
  }
  // The unique check works on the built part too.
  EXPECT_THROW((void)t.Insert(4000), Error);
  transam::AbortTransaction();
  model.clear();
  for (int64_t k = 0; k < 40000; ++k) model.insert(k * 2);
  transam::StartTransaction();
  for (int64_t k : odd) {
    (void)t.Insert(k);
    model.insert(k);
  }
  transam::CommitTransaction();
  transam::StartTransaction();
  const BtBulkDeleteStats before = BtVacuumCleanup(t.index);
  transam::CommitTransaction();
  EXPECT_GT(before.pages, stats.leaf_pages * 3 / 2);  // the full leaves split
  BtVerifyStats vs;
  ExpectVerified(t, &vs);
  EXPECT_EQ(vs.leaf_entries, 120000u);  // the aborted batch's entries are still there

  transam::StartTransaction();
  const transam::Snapshot& snap = transam::GetTransactionSnapshot();
  const std::vector<int64_t> want(model.begin(), model.end());
  EXPECT_EQ(t.IndexScanVisible(snap, {}, ScanDirection::kForward), want);
  std::vector<int64_t> bwd = t.IndexScanVisible(snap, {}, ScanDirection::kBackward);
  std::reverse(bwd.begin(), bwd.end());
  EXPECT_EQ(bwd, want);
  EXPECT_EQ(t.IndexScanVisible(snap, {{0, BtStrategy::kGreaterEqual, Int64GetDatum(79990)}},
                               ScanDirection::kBackward),
            (std::vector<int64_t>{79999, 79998, 79997, 79996, 79995, 79994, 79993, 79992, 79991, 79990}));
  transam::CommitTransaction();

  // VACUUM-style bulk delete of the built entries with keys divisible by 4 (by heap tid).
  std::set<ItemPointer> doomed;
  for (const SourceRow& r : rows) {
    if (DatumGetInt64(r.values[0]) % 4 == 0) doomed.insert(r.tid);
  }
  transam::StartTransaction();
  const BtBulkDeleteStats del = BtBulkDelete(t.index, [&doomed](ItemPointer tid) { return doomed.count(tid) != 0; });
  transam::CommitTransaction();
  EXPECT_EQ(del.tuples_removed, doomed.size());
  EXPECT_EQ(del.tuples_remaining, 120000u - doomed.size());
  const std::vector<std::string> problems = BtVerify(t.index);
  EXPECT_TRUE(problems.empty()) << Join(problems);
  EXPECT_EQ(ScanTids(t.index, ScanDirection::kForward).size(), 120000u - doomed.size());
}

// A crash after the build committed: recovery replays the page images; with the index file
// emptied before the crash (its writes "lost"), recovery alone must rebuild every page from WAL.
TEST(BtBuildTest, CrashAfterCommittedBuild) {
  ServerHarness harness;
  Int8Table t;
  t.heap = access::testing::CreateTestHeap(t.heap.locator.rel.value(), "t");
  t.heap.desc = &t.desc;
  const std::vector<SourceRow> rows = FillHeap(t, 30000, 21, 1000000);
  (void)BuildCommitted(t.index, rows, 1);
  harness.Crash();
  ExpectVerified(t);
  transam::StartTransaction();
  EXPECT_EQ(ScanTids(t.index, ScanDirection::kForward), ModelOrder(rows));
  transam::CommitTransaction();

  Int8Table lost(false, t.heap.locator.rel.value(), 16920);
  lost.heap = t.heap;
  lost.heap.desc = &lost.desc;
  (void)BuildCommitted(lost.index, rows, 1);
  storage::SmgrClose(lost.index.rel.locator);
  ASSERT_EQ(truncate(storage::RelationPath(lost.index.rel.locator, ForkNumber::kMain).c_str(), 0), 0);
  harness.Crash();
  BtVerifyStats vs;
  ExpectVerified(lost, &vs);
  EXPECT_EQ(vs.leaf_entries, rows.size());
  transam::StartTransaction();
  const transam::Snapshot& snap = transam::GetTransactionSnapshot();
  for (size_t i = 0; i < rows.size(); i += 97) {
    if (rows[i].isnull[0]) continue;
    const int64_t k = DatumGetInt64(rows[i].values[0]);
    const std::vector<int64_t> got = lost.IndexScanVisible(snap, {{0, BtStrategy::kEqual, Int64GetDatum(k)}},
                                                           ScanDirection::kForward);
    EXPECT_FALSE(got.empty()) << k;
    for (int64_t g : got) EXPECT_EQ(g, k);
  }
  // Still usable: inserts after recovery.
  for (int64_t k = 0; k < 2000; ++k) (void)lost.Insert(k * 1000 + 1);
  transam::CommitTransaction();
  ExpectVerified(lost);
}

#ifdef KEEL_DEBUG
Channel* g_build_channel = nullptr;
void StopBuild(uint64_t pages_written) {
  if (pages_written < 200) return;
  g_build_channel->SendToParent(pages_written);
  for (;;) pause();  // killed by the crash
}

// A crash in the middle of a build (pages and their WAL partly written, nothing committed):
// recovery succeeds, the table is intact, and a new build of the same rows works.
TEST(BtBuildTest, CrashDuringBuild) {
  ServerHarness harness;
  Int8Table t;
  t.heap = access::testing::CreateTestHeap(t.heap.locator.rel.value(), "t");
  t.heap.desc = &t.desc;
  const std::vector<SourceRow> rows = FillHeap(t, 100000, 31, 1000000);
  Channel chan;
  (void)harness.ForkBackend([&] {
    g_build_channel = &chan;
    TestOnlySetBuildHook(&StopBuild);
    transam::StartTransaction();
    VectorSource source(rows, 1);
    (void)BtBuild(t.index, source);
    return 1;  // not reached
  });
  const std::optional<uint64_t> written = chan.RecvInParent();
  ASSERT_TRUE(written.has_value());
  EXPECT_GE(*written, 200u);
  harness.Crash();
  transam::StartTransaction();
  EXPECT_EQ(t.HeapVisible(transam::GetTransactionSnapshot()).size(), rows.size());
  transam::CommitTransaction();
  // The half-built index was never committed: build again under another relfilenode.
  Int8Table again(false, t.heap.locator.rel.value(), 16930);
  again.heap = t.heap;
  again.heap.desc = &again.desc;
  (void)BuildCommitted(again.index, rows, 1);
  ExpectVerified(again);
}
#endif

}  // namespace
}  // namespace keel::access::nbtree
