// Property tests of the B+tree against an ordered model: random inserts (many duplicates), bulk
// deletes, equality lookups and range scans in both directions, with the verifier after every
// phase; and a two-column index (DESC, NULLs, text, an INCLUDE column) against a model sorted by
// the same column rules. Release builds run 2 million operations, others 200k;
// KEEL_BT_PROPERTY_OPS=<n> overrides. README.md ("Tests").
#include <gtest/gtest.h>

#include <algorithm>
#include <climits>
#include <cstdlib>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "access/common/varlena.h"
#include "access/nbtree/bt_test_util.h"
#include "access/nbtree/nbtree.h"
#include "access/nbtree/nbtree_internal.h"
#include "access/transam/xact.h"
#include "backend/utils/error/error.h"
#include "tests/server/server_harness.h"

namespace keel::access::nbtree {
namespace {

using keel::testing::ServerHarness;
using storage::ItemPointer;
using testing::Join;

using Entry = std::pair<int64_t, ItemPointer>;

ItemPointer TidFor(uint64_t n) {
  return {BlockNumber(static_cast<uint32_t>(n / 200)), static_cast<storage::OffsetNumber>(n % 200 + 1)};
}

std::vector<ItemPointer> ScanTids(const BtIndex& index, std::vector<BtScanKey> keys, ScanDirection dir,
                                  std::vector<int64_t>* keys_out = nullptr) {
  std::vector<ItemPointer> out;
  BtScan scan(index, std::move(keys), dir);
  ItemPointer tid;
  IndexTuple t;
  while (scan.Next(&tid, keys_out != nullptr ? &t : nullptr)) {
    out.push_back(tid);
    if (keys_out != nullptr) {
      Datum v;
      bool n;
      IndexDeformTuple(*index.keys->tupdesc, t.header(), std::span<Datum>(&v, 1), std::span<bool>(&n, 1));
      keys_out->push_back(DatumGetInt64(v));
    }
  }
  return out;
}

bool Matches(BtStrategy s, int64_t v, int64_t arg) {
  switch (s) {
    case BtStrategy::kLess: return v < arg;
    case BtStrategy::kLessEqual: return v <= arg;
    case BtStrategy::kEqual: return v == arg;
    case BtStrategy::kGreaterEqual: return v >= arg;
    case BtStrategy::kGreater: return v > arg;
  }
  return false;
}

std::vector<ItemPointer> ModelScan(const std::set<Entry>& model, const std::vector<BtScanKey>& keys,
                                   ScanDirection dir) {
  std::vector<ItemPointer> out;
  // Start at the greatest lower bound, stop past the least upper bound (the model must stay
  // cheap: 40k lookups over 140k entries).
  int64_t lo = INT64_MIN;
  int64_t hi = INT64_MAX;
  for (const BtScanKey& k : keys) {
    const int64_t a = DatumGetInt64(k.argument);
    if (k.strategy == BtStrategy::kEqual || k.strategy == BtStrategy::kGreater ||
        k.strategy == BtStrategy::kGreaterEqual) {
      lo = std::max(lo, a);
    }
    if (k.strategy == BtStrategy::kEqual || k.strategy == BtStrategy::kLess ||
        k.strategy == BtStrategy::kLessEqual) {
      hi = std::min(hi, a);
    }
  }
  for (auto it = model.lower_bound({lo, ItemPointer{BlockNumber(0), 0}}); it != model.end(); ++it) {
    const Entry& e = *it;
    if (e.first > hi) break;
    bool ok = true;
    for (const BtScanKey& k : keys) ok &= Matches(k.strategy, e.first, DatumGetInt64(k.argument));
    if (ok) out.push_back(e.second);
  }
  if (dir == ScanDirection::kBackward) std::reverse(out.begin(), out.end());
  return out;
}

void RunInt8Property(uint64_t total_ops, uint64_t seed) {
  keel::testing::HarnessOptions options;
  // Far fewer buffers than the index's pages: eviction and re-reads (the index of a million-entry
  // round has ~8000 pages).
  options.shared_buffers_pages = total_ops > 500000 ? 2048 : 128;
  ServerHarness harness(options);
  testing::Int8Table table;
  transam::StartTransaction();
  BtCreateIndex(table.index);
  transam::CommitTransaction();
  const BtIndex& index = table.index;

  std::mt19937_64 rng(seed);
  std::set<Entry> model;
  std::set<ItemPointer> doomed;  // removed by the next bulk delete
  uint64_t next_tid = 0;
  // ~10 entries per key whatever the size; ten phases (each ends with the verifier) at most.
  const int64_t key_range = std::max<int64_t>(20000, static_cast<int64_t>(total_ops / 10));
  const uint64_t phase_ops = std::max<uint64_t>(50000, total_ops / 10);
  for (uint64_t done = 0; done < total_ops;) {
    const uint64_t phase_end = std::min(total_ops, done + phase_ops);
    for (; done < phase_end; ++done) {
      const uint64_t r = rng() % 100;
      if (r < 70) {
        // Ascending runs now and then (the rightmost-split path), random keys otherwise.
        const int64_t k = r < 7 ? static_cast<int64_t>(key_range + next_tid)
                                : static_cast<int64_t>(rng() % key_range) - key_range / 2;
        const ItemPointer tid = TidFor(next_tid++);
        const Datum v = Int64GetDatum(k);
        const bool n = false;
        BtInsert(index, nullptr, std::span<const Datum>(&v, 1), std::span<const bool>(&n, 1), tid);
        model.insert({k, tid});
      } else if (r < 90) {
        const int64_t k = static_cast<int64_t>(rng() % key_range) - key_range / 2;
        const std::vector<BtScanKey> keys{{0, BtStrategy::kEqual, Int64GetDatum(k)}};
        const ScanDirection dir = (r & 1) != 0 ? ScanDirection::kForward : ScanDirection::kBackward;
        ASSERT_EQ(ScanTids(index, keys, dir), ModelScan(model, keys, dir)) << "key " << k;
      } else if (!model.empty()) {
        // Pick a random existing entry to delete at the next bulk delete.
        const int64_t k = static_cast<int64_t>(rng() % key_range) - key_range / 2;
        auto it = model.lower_bound({k, ItemPointer{BlockNumber(0), 0}});
        if (it != model.end()) doomed.insert(it->second);
      }
    }
    // Bulk delete the doomed entries; then the whole index against the model.
    const BtBulkDeleteStats st =
        BtBulkDelete(index, [&doomed](ItemPointer tid) { return doomed.count(tid) != 0; });
    EXPECT_EQ(st.tuples_removed, doomed.size());
    for (auto it = model.begin(); it != model.end();) {
      it = doomed.count(it->second) != 0 ? model.erase(it) : std::next(it);
    }
    doomed.clear();
    EXPECT_EQ(st.tuples_remaining, model.size());
    BtVerifyStats vs;
    const std::vector<std::string> problems = BtVerify(index, {}, &vs);
    ASSERT_TRUE(problems.empty()) << Join(problems);
    EXPECT_EQ(vs.leaf_entries, model.size());
    EXPECT_EQ(vs.incomplete_splits, 0u);
    if (total_ops >= 100000) {
      EXPECT_GE(vs.levels, 2);
    }
    std::vector<int64_t> got_keys;
    ASSERT_EQ(ScanTids(index, {}, ScanDirection::kForward, &got_keys), ModelScan(model, {}, ScanDirection::kForward));
    ASSERT_TRUE(std::is_sorted(got_keys.begin(), got_keys.end()));
    ASSERT_EQ(ScanTids(index, {}, ScanDirection::kBackward), ModelScan(model, {}, ScanDirection::kBackward));
    // Range scans with every strategy pair, both directions.
    const BtStrategy lows[] = {BtStrategy::kGreater, BtStrategy::kGreaterEqual};
    const BtStrategy highs[] = {BtStrategy::kLess, BtStrategy::kLessEqual};
    for (int i = 0; i < 40; ++i) {
      const int64_t a = static_cast<int64_t>(rng() % key_range) - key_range / 2;
      const int64_t b = a + static_cast<int64_t>(rng() % 2000);
      std::vector<BtScanKey> keys;
      keys.reserve(2);  // also keeps g++ 12 -O3 from a false -Wstringop-overflow in push_back
      // The first eight are one-sided (they run to an end of the index: kept few, the model walk
      // is linear in what they cover).
      if (i >= 8 || i % 4 != 3) keys.push_back({0, lows[i % 2], Int64GetDatum(a)});
      if (i >= 8 || i % 4 != 2) keys.push_back({0, highs[(i / 2) % 2], Int64GetDatum(b)});
      for (ScanDirection dir : {ScanDirection::kForward, ScanDirection::kBackward}) {
        ASSERT_EQ(ScanTids(index, keys, dir), ModelScan(model, keys, dir)) << "range " << a << ".." << b;
      }
    }
  }
}

TEST(BtPropertyTest, RandomInsertsDeletesLookupsAgainstModel) {
#ifdef NDEBUG
  uint64_t ops = 2000000;  // the optimised build runs the millions-of-operations round
#else
  uint64_t ops = 200000;   // Debug and sanitizer builds: the same test, a tenth of the size
#endif
  if (const char* env = std::getenv("KEEL_BT_PROPERTY_OPS"); env != nullptr && *env != '\0') {
    ops = std::strtoull(env, nullptr, 10);
  }
  RunInt8Property(ops, 12345);
}

TEST(BtPropertyTest, MarkAndRestore) {
  ServerHarness harness;
  testing::Int8Table table;
  transam::StartTransaction();
  BtCreateIndex(table.index);
  transam::CommitTransaction();
  for (int64_t k = 0; k < 3000; ++k) {
    const Datum v = Int64GetDatum(k % 1000);
    const bool n = false;
    BtInsert(table.index, nullptr, std::span<const Datum>(&v, 1), std::span<const bool>(&n, 1),
             TidFor(static_cast<uint64_t>(k)));
  }
  for (ScanDirection dir : {ScanDirection::kForward, ScanDirection::kBackward}) {
    BtScan scan(table.index, {{0, BtStrategy::kGreaterEqual, Int64GetDatum(100)}}, dir);
    ItemPointer tid;
    std::vector<ItemPointer> first;
    for (int i = 0; i < 500; ++i) {
      ASSERT_TRUE(scan.Next(&tid));
      first.push_back(tid);
    }
    scan.Mark();  // after the 500th entry (crosses several pages)
    std::vector<ItemPointer> after;
    for (int i = 0; i < 700; ++i) {
      ASSERT_TRUE(scan.Next(&tid));
      after.push_back(tid);
    }
    scan.Restore();
    for (int i = 0; i < 700; ++i) {
      ASSERT_TRUE(scan.Next(&tid));
      ASSERT_EQ(tid, after[static_cast<size_t>(i)]) << i;
    }
    EXPECT_EQ(std::set<ItemPointer>(first.begin(), first.end()).size(), 500u);
  }
}

// --- two columns: (a int4 DESC NULLS LAST, b text) INCLUDE (c int4) -------------------------

struct Row {
  std::optional<int32_t> a;
  std::optional<std::string> b;
  int32_t c;
  ItemPointer tid;
};

TEST(BtPropertyTest, TwoColumnsDescNullsTextInclude) {
  ServerHarness harness;
  testing::TwoColumnIndex two;
  const TupleDesc& desc = two.desc;
  const BtIndex& index = two.index;
  transam::StartTransaction();
  BtCreateIndex(index);
  transam::CommitTransaction();

  std::mt19937_64 rng(777);
  std::vector<Row> rows;
  for (uint64_t i = 0; i < 20000; ++i) {
    Row r;
    if (rng() % 10 != 0) r.a = static_cast<int32_t>(rng() % 200) - 100;
    if (rng() % 10 != 0) r.b = std::string(rng() % 3 == 0 ? 200 : 5, static_cast<char>('a' + rng() % 26)) + std::to_string(rng() % 50);
    r.c = static_cast<int32_t>(i);
    r.tid = TidFor(i);
    std::vector<std::byte> text;
    if (r.b) text = MakeVarlena(*r.b);
    const Datum values[3] = {Int32GetDatum(r.a.value_or(0)), r.b ? PointerGetDatum(text.data()) : 0,
                             Int32GetDatum(r.c)};
    const bool isnull[3] = {!r.a, !r.b, false};
    BtInsert(index, nullptr, values, isnull, r.tid);
    rows.push_back(std::move(r));
  }
  // The model order: a DESC NULLS LAST, b ASC (bytewise) NULLS LAST, then tid.
  auto less = [](const Row& x, const Row& y) {
    if (x.a != y.a) {
      if (!x.a || !y.a) return !y.a;  // null last
      return *x.a > *y.a;
    }
    if (x.b != y.b) {
      if (!x.b || !y.b) return !y.b;
      return *x.b < *y.b;
    }
    return x.tid < y.tid;
  };
  std::sort(rows.begin(), rows.end(), less);

  const std::vector<std::string> problems = BtVerify(index);
  ASSERT_TRUE(problems.empty()) << Join(problems);

  auto scan = [&](std::vector<BtScanKey> k, ScanDirection dir) {
    std::vector<ItemPointer> out;
    BtScan s(index, std::move(k), dir);
    ItemPointer tid;
    IndexTuple t;
    while (s.Next(&tid, &t)) {
      out.push_back(tid);
      // The INCLUDE column comes back with the entry.
      Datum v[3];
      bool n[3];
      IndexDeformTuple(desc, t.header(), v, n);
      EXPECT_EQ(TidFor(static_cast<uint64_t>(DatumGetInt32(v[2]))), tid);
    }
    return out;
  };
  auto model = [&](auto pred, ScanDirection dir) {
    std::vector<ItemPointer> out;
    for (const Row& r : rows) {
      if (pred(r)) out.push_back(r.tid);
    }
    if (dir == ScanDirection::kBackward) std::reverse(out.begin(), out.end());
    return out;
  };
  for (ScanDirection dir : {ScanDirection::kForward, ScanDirection::kBackward}) {
    EXPECT_EQ(scan({}, dir), model([](const Row&) { return true; }, dir));
    for (int32_t a : {-100, -3, 0, 42, 99}) {
      EXPECT_EQ(scan({{0, BtStrategy::kEqual, Int32GetDatum(a)}}, dir),
                model([a](const Row& r) { return r.a && *r.a == a; }, dir));
      EXPECT_EQ(scan({{0, BtStrategy::kLess, Int32GetDatum(a)}}, dir),
                model([a](const Row& r) { return r.a && *r.a < a; }, dir));
      EXPECT_EQ(scan({{0, BtStrategy::kGreaterEqual, Int32GetDatum(a)}}, dir),
                model([a](const Row& r) { return r.a && *r.a >= a; }, dir));
      for (const char* b : {"a", "m", "q7", "zzzzz"}) {
        const std::vector<std::byte> text = MakeVarlena(std::string_view(b));
        const Datum bd = PointerGetDatum(text.data());
        const std::string bs(b);
        EXPECT_EQ(scan({{0, BtStrategy::kEqual, Int32GetDatum(a)}, {1, BtStrategy::kGreater, bd}}, dir),
                  model([&](const Row& r) { return r.a && *r.a == a && r.b && *r.b > bs; }, dir));
        EXPECT_EQ(scan({{1, BtStrategy::kLessEqual, bd}, {0, BtStrategy::kEqual, Int32GetDatum(a)}}, dir),
                  model([&](const Row& r) { return r.a && *r.a == a && r.b && *r.b <= bs; }, dir));
        // A key on the second column alone (not required: the whole index is read).
        EXPECT_EQ(scan({{1, BtStrategy::kEqual, bd}}, dir),
                  model([&](const Row& r) { return r.b && *r.b == bs; }, dir));
      }
    }
  }
}

// Wide keys (2000-byte texts, random order) grow a tall tree with few entries: split cascades
// from a leaf up to a new root at every height (each split's WAL builder must be released
// before its parent is split, or the per-process pool of builders runs out at 4 levels).
TEST(BtPropertyTest, WideKeysTallTree) {
  ServerHarness harness;
  testing::WideTextIndex t(2000);
  t.Create();
  std::vector<uint64_t> keys(4000);
  for (uint64_t i = 0; i < keys.size(); ++i) keys[i] = i;
  std::shuffle(keys.begin(), keys.end(), std::mt19937_64(1));
  size_t n = 0;
  int levels = 0;
  while (n < keys.size() && levels < 6) {
    transam::StartTransaction();
    for (size_t end = n + 50; n < end && n < keys.size(); ++n) t.Insert(keys[n]);
    transam::CommitTransaction();
    BtVerifyStats stats;
    const std::vector<std::string> problems = BtVerify(t.index, {}, &stats);
    ASSERT_TRUE(problems.empty()) << Join(problems);
    EXPECT_EQ(stats.incomplete_splits, 0u);
    EXPECT_EQ(stats.leaf_entries, n);
    levels = stats.levels;
  }
  ASSERT_GE(levels, 6) << "after " << n << " keys";
  for (size_t i = 0; i < n; ++i) {
    const std::vector<ItemPointer> got = t.Find(keys[i]);
    ASSERT_EQ(got.size(), 1u) << keys[i];
    EXPECT_EQ(got[0], testing::WideTextIndex::Tid(keys[i]));
  }
  EXPECT_EQ(t.Count(ScanDirection::kForward), n);
  EXPECT_EQ(t.Count(ScanDirection::kBackward), n);
}

// BT12: entries of exactly the maximum size (2696 bytes) in random order always find a split
// point, up to a 4-level tree; one byte more (2697, 2704 once MAXALIGNed) is refused with
// PostgreSQL's 54000 message, which reports the MAXALIGNed size.
TEST(BtPropertyTest, MaxSizeEntries) {
  ServerHarness harness;
  testing::WideTextIndex t(2684);  // 8-byte header + 4-byte varlena header + 2684 = 2696
  t.Create();
  std::vector<uint64_t> keys(400);
  for (uint64_t i = 0; i < keys.size(); ++i) keys[i] = i;
  std::shuffle(keys.begin(), keys.end(), std::mt19937_64(7));
  size_t n = 0;
  BtVerifyStats stats;
  transam::StartTransaction();
  for (; n < keys.size() && stats.levels < 4; ++n) {
    t.Insert(keys[n]);
    stats = {};
    const std::vector<std::string> problems = BtVerify(t.index, {}, &stats);
    ASSERT_TRUE(problems.empty()) << Join(problems);
  }
  transam::CommitTransaction();
  EXPECT_GE(stats.levels, 4);
  EXPECT_EQ(stats.leaf_entries, n);
  for (size_t i = 0; i < n; ++i) EXPECT_EQ(t.Find(keys[i]).size(), 1u) << keys[i];

  testing::WideTextIndex big(2685, 16401);  // 2697 bytes
  big.Create();
  try {
    big.Insert(1);
    FAIL() << "an oversized entry was accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.sqlstate().code(), "54000");
    EXPECT_STREQ(e.what(), "index row size 2704 exceeds btree version 4 maximum 2696 for index \"t_k\"");
  }
}

// BT7 in the verifier: a page flagged INCOMPLETE_SPLIT whose right sibling has a downlink (a
// flag that was not cleared) is reported; clearing it makes the tree verify again.
TEST(BtPropertyTest, VerifierReportsStaleIncompleteSplitFlag) {
  ServerHarness harness;
  testing::WideTextIndex t(1000);
  t.Create();
  transam::StartTransaction();
  for (uint64_t n = 0; n < 40; ++n) t.Insert(n);
  transam::CommitTransaction();
  BtVerifyStats stats;
  ASSERT_TRUE(BtVerify(t.index, {}, &stats).empty());
  ASSERT_GE(stats.levels, 2);
  const BlockNumber leftmost = internal::LeftmostAtLevel(t.index, 0);
  auto set_flag = [&](bool on) {
    internal::LockedPage page(t.index, leftmost, storage::BufferLockMode::kExclusive);
    uint16_t& flags = internal::Opaque(page.page())->flags;
    flags = on ? static_cast<uint16_t>(flags | internal::kBtIncompleteSplit)
               : static_cast<uint16_t>(flags & ~internal::kBtIncompleteSplit);
  };
  set_flag(true);
  std::vector<std::string> problems = BtVerify(t.index, {}, &stats);
  ASSERT_EQ(problems.size(), 1u) << Join(problems);
  EXPECT_NE(problems[0].find("is flagged INCOMPLETE_SPLIT but its right sibling"), std::string::npos)
      << problems[0];
  set_flag(false);
  problems = BtVerify(t.index, {}, &stats);
  EXPECT_TRUE(problems.empty()) << Join(problems);
}

}  // namespace
}  // namespace keel::access::nbtree
