// Posting-list deduplication: index size with and without it, scans and mark/restore against a
// model, posting-list splits, text keys, bulk delete inside lists, crash recovery replaying the
// DEDUP / INSERT_POST / VACUUM_POSTING records (byte-exact pages), concurrent inserters of
// duplicates with scanners; lists met with dedup off for the insert (posting splits, unique
// checks), no lists in unique indexes, duplicate tids at a list's ends. README.md
// ("Deduplication", BT22-BT26).
#include <gtest/gtest.h>
#include <sched.h>
#include <sys/mman.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "access/heap/heap_test_util.h"
#include "access/nbtree/bt_test_util.h"
#include "access/nbtree/nbtree_internal.h"
#include "access/transam/wal.h"
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

using Entry = std::pair<int64_t, ItemPointer>;

ItemPointer SyntheticTid(uint64_t n) {
  return {BlockNumber(static_cast<uint32_t>(n / 100 + 1)), static_cast<storage::OffsetNumber>(n % 100 + 1)};
}

// An int8 index without a heap (synthetic tids), with or without deduplication.
struct Int8Index {
  TupleDesc desc{{AttributeForType("k", type_oid::kInt8)}};
  IndexKeyDesc keys;
  BtIndex index;

  Int8Index(uint32_t rel, bool dedup, uint32_t type = type_oid::kInt8) : desc({AttributeForType("k", type)}) {
    keys.tupdesc = &desc;
    keys.keys.push_back(IndexKeyColumnForType(type));
    keys.names = {"k"};
    index.rel = ServerHarness::TestRelation(rel, "t_k");
    index.keys = &keys;
    index.deduplicate = dedup;
  }
  void Create() {
    transam::StartTransaction();
    BtCreateIndex(index);
    transam::CommitTransaction();
  }
  void InsertDatum(Datum v, ItemPointer tid) {
    const bool n = false;
    BtInsert(index, nullptr, std::span<const Datum>(&v, 1), std::span<const bool>(&n, 1), tid);
  }
  void Insert(int64_t k, ItemPointer tid) { InsertDatum(Int64GetDatum(k), tid); }
  [[nodiscard]] uint32_t Pages() const {
    return storage::SmgrNBlocks(index.rel.locator, ForkNumber::kMain).value();
  }
  // (key, tid) entries a scan returns, in scan order.
  [[nodiscard]] std::vector<Entry> Scan(std::vector<BtScanKey> scan_keys, ScanDirection dir) const {
    std::vector<Entry> out;
    BtScan scan(index, std::move(scan_keys), dir);
    ItemPointer tid;
    IndexTuple t;
    while (scan.Next(&tid, &t)) {
      EXPECT_EQ(t.header()->Tid(), tid);
      Datum v;
      bool n;
      IndexDeformTuple(desc, t.header(), std::span<Datum>(&v, 1), std::span<bool>(&n, 1));
      out.emplace_back(DatumGetInt64(v), tid);
    }
    return out;
  }
  [[nodiscard]] std::vector<std::string> Verify(BtVerifyStats* stats) const { return BtVerify(index, {}, stats); }
};

std::vector<Entry> Range(const std::set<Entry>& model, int64_t lo, int64_t hi) {  // [lo, hi]
  std::vector<Entry> out;
  for (const Entry& e : model) {
    if (e.first >= lo && e.first <= hi) out.push_back(e);
  }
  return out;
}

std::vector<Entry> Reversed(std::vector<Entry> v) {
  std::reverse(v.begin(), v.end());
  return v;
}

// Full scans both ways, equality and range scans in both directions, against the model.
void ExpectScansMatch(const Int8Index& idx, const std::set<Entry>& model, std::mt19937_64& rng, int64_t nkeys) {
  const std::vector<Entry> all(model.begin(), model.end());
  EXPECT_EQ(idx.Scan({}, ScanDirection::kForward), all);
  EXPECT_EQ(idx.Scan({}, ScanDirection::kBackward), Reversed(all));
  for (int i = 0; i < 8; ++i) {
    const int64_t k = static_cast<int64_t>(rng() % static_cast<uint64_t>(nkeys + 2)) - 1;
    const std::vector<Entry> want = Range(model, k, k);
    const std::vector<BtScanKey> eq = {{0, BtStrategy::kEqual, Int64GetDatum(k)}};
    EXPECT_EQ(idx.Scan(eq, ScanDirection::kForward), want) << k;
    EXPECT_EQ(idx.Scan(eq, ScanDirection::kBackward), Reversed(want)) << k;
    const int64_t hi = k + static_cast<int64_t>(rng() % 5);
    const std::vector<BtScanKey> range = {{0, BtStrategy::kGreater, Int64GetDatum(k)},
                                          {0, BtStrategy::kLessEqual, Int64GetDatum(hi)}};
    EXPECT_EQ(idx.Scan(range, ScanDirection::kForward), Range(model, k + 1, hi));
    EXPECT_EQ(idx.Scan(range, ScanDirection::kBackward), Reversed(Range(model, k + 1, hi)));
  }
}

// Mark inside a posting list, read on (past the list's end), restore: the scan continues right
// after the marked entry, in both directions.
void ExpectMarkRestoreInsideList(const Int8Index& idx, const std::set<Entry>& model, int64_t k) {
  for (ScanDirection dir : {ScanDirection::kForward, ScanDirection::kBackward}) {
    std::vector<Entry> want = Range(model, k, k + 1);
    if (dir == ScanDirection::kBackward) want = Reversed(want);
    ASSERT_GT(want.size(), 20u);
    BtScan scan(idx.index, {{0, BtStrategy::kGreaterEqual, Int64GetDatum(k)}, {0, BtStrategy::kLessEqual, Int64GetDatum(k + 1)}},
                dir);
    ItemPointer tid;
    for (size_t i = 0; i < 7; ++i) {
      ASSERT_TRUE(scan.Next(&tid));
      EXPECT_EQ(tid, want[i].second);
    }
    scan.Mark();
    for (size_t i = 7; i < want.size(); ++i) {  // through the rest of both keys' lists
      ASSERT_TRUE(scan.Next(&tid));
      EXPECT_EQ(tid, want[i].second);
    }
    EXPECT_FALSE(scan.Next(&tid));
    scan.Restore();
    for (size_t i = 7; i < 12; ++i) {
      ASSERT_TRUE(scan.Next(&tid));
      EXPECT_EQ(tid, want[i].second) << i;
    }
  }
}

TEST(BtDedupTest, DuplicateHeavyIndexIsSmallerAndScansMatch) {
  ServerHarness harness;
  Int8Index with(16400, true);
  Int8Index without(16401, false);
  with.Create();
  without.Create();
  constexpr int kRows = 200000;
  constexpr int64_t kKeys = 100;
  std::mt19937_64 rng(42);
  std::set<Entry> model;
  for (int i = 0; i < kRows; ++i) {  // heap order: tids ascend, keys random
    const int64_t k = static_cast<int64_t>(rng() % kKeys);
    const ItemPointer tid = SyntheticTid(static_cast<uint64_t>(i));
    with.Insert(k, tid);
    without.Insert(k, tid);
    model.emplace(k, tid);
  }
  BtVerifyStats sw, so;
  std::vector<std::string> problems = with.Verify(&sw);
  EXPECT_TRUE(problems.empty()) << Join(problems);
  problems = without.Verify(&so);
  EXPECT_TRUE(problems.empty()) << Join(problems);
  EXPECT_EQ(sw.leaf_entries, static_cast<uint64_t>(kRows));
  EXPECT_EQ(so.leaf_entries, static_cast<uint64_t>(kRows));
  EXPECT_GT(sw.posting_tuples, 0u);
  EXPECT_EQ(so.posting_tuples, 0u);
  fprintf(stderr, "pages: %u with deduplication, %u without (%u posting tuples)\n", with.Pages(), without.Pages(),
          static_cast<unsigned>(sw.posting_tuples));
  EXPECT_GE(without.Pages(), 3 * with.Pages());
  ExpectScansMatch(with, model, rng, kKeys);
  ExpectScansMatch(without, model, rng, kKeys);
  ExpectMarkRestoreInsideList(with, model, 37);
  const BtBulkDeleteStats cleanup = BtVacuumCleanup(with.index);
  EXPECT_EQ(cleanup.tuples_remaining, static_cast<uint64_t>(kRows));
}

// A unique index given many equal keys — aborted inserts, a committed row deleted and its key
// inserted again — across several leaves (splits): no posting tuple forms (BT23 keys it on
// `unique` as well as equal_image), and the unique check still sees the live row.
TEST(BtDedupTest, OnlyWhereEqualImageAndNonUnique) {
  ServerHarness harness;
  Int8Index floats(16402, true, type_oid::kFloat8);  // -0 = 0: not equal_image
  floats.Create();
  Int8Table unique(true, 16384, 16403);
  unique.Create();
  ASSERT_TRUE(unique.index.deduplicate);  // only `unique` keeps lists out
  for (int i = 0; i < 3000; ++i) floats.InsertDatum(Float8GetDatum(static_cast<double>(i % 3)), SyntheticTid(static_cast<uint64_t>(i)));
  constexpr int64_t kKeys = 12;
  constexpr int kAborted = 300;
  for (int round = 0; round < kAborted; ++round) {  // aborted inserts: dead entries, equal keys
    transam::StartTransaction();
    for (int64_t k = 0; k < kKeys; ++k) (void)unique.Insert(k);
    transam::AbortTransaction();
  }
  std::vector<ItemPointer> first;
  transam::StartTransaction();
  for (int64_t k = 0; k < kKeys; ++k) first.push_back(unique.Insert(k));
  transam::CommitTransaction();
  transam::StartTransaction();
  for (const ItemPointer& tid : first) {
    TmFailureData f;
    ASSERT_EQ(HeapDelete(unique.heap, tid, transam::GetCurrentCommandId(true), nullptr, true, &f), TmResult::kOk);
  }
  transam::CommitTransaction();
  transam::StartTransaction();
  for (int64_t k = 0; k < kKeys; ++k) (void)unique.Insert(k);  // re-inserted after the delete
  transam::CommitTransaction();
  BtVerifyStats sf, su;
  EXPECT_TRUE(floats.Verify(&sf).empty());
  EXPECT_EQ(sf.posting_tuples, 0u);
  EXPECT_EQ(sf.leaf_entries, 3000u);
  transam::StartTransaction();
  const std::vector<std::string> problems = BtVerify(unique.index, unique.VerifyWithHeap(), &su);
  transam::CommitTransaction();
  EXPECT_TRUE(problems.empty()) << Join(problems);
  EXPECT_EQ(su.leaf_entries, static_cast<uint64_t>(kKeys * (kAborted + 2)));
  EXPECT_GE(su.pages, 6u) << "the equal keys must fill and split several leaves";
  EXPECT_EQ(su.posting_tuples, 0u);
  // The live row of each key is found among its dead equal entries: 23505 with the key.
  for (int64_t k : {int64_t{0}, int64_t{7}, kKeys - 1}) {
    transam::StartTransaction();
    try {
      (void)unique.Insert(k);
      ADD_FAILURE() << "no 23505 for key " << k;
    } catch (const keel::Error& e) {
      EXPECT_EQ(std::string(e.sqlstate().code()), "23505");
      EXPECT_EQ(e.detail(), "Key (k)=(" + std::to_string(k) + ") already exists.");
    }
    transam::AbortTransaction();
  }
  // A key whose equal entries are all dead does not conflict.
  for (int i = 0; i < 50; ++i) {
    transam::StartTransaction();
    (void)unique.Insert(kKeys + 1);
    transam::AbortTransaction();
  }
  transam::StartTransaction();
  EXPECT_NO_THROW((void)unique.Insert(kKeys + 1));
  transam::CommitTransaction();
}

// Lists first made of even tids; odd tids then land inside them (posting list splits), in random
// order, interleaved with new keys; the verifier and the model after every phase.
TEST(BtDedupTest, InsertsInsideListsSplitThem) {
  ServerHarness harness;
  Int8Index idx(16404, true);
  idx.Create();
  constexpr uint64_t kPerKey = 1500;
  constexpr int64_t kKeys = 30;
  std::set<Entry> model;
  for (int64_t k = 0; k < kKeys; ++k) {
    for (uint64_t i = 0; i < kPerKey; i += 2) {
      const ItemPointer tid = SyntheticTid(static_cast<uint64_t>(k) * kPerKey + i);
      idx.Insert(k, tid);
      model.emplace(k, tid);
    }
  }
  BtVerifyStats before;
  std::vector<std::string> problems = idx.Verify(&before);
  ASSERT_TRUE(problems.empty()) << Join(problems);
  EXPECT_GT(before.posting_tuples, 0u);
  std::vector<Entry> odd;
  for (int64_t k = 0; k < kKeys; ++k) {
    for (uint64_t i = 1; i < kPerKey; i += 2) odd.emplace_back(k, SyntheticTid(static_cast<uint64_t>(k) * kPerKey + i));
  }
  std::mt19937_64 rng(7);
  std::shuffle(odd.begin(), odd.end(), rng);
  for (size_t i = 0; i < odd.size(); ++i) {
    idx.Insert(odd[i].first, odd[i].second);
    model.insert(odd[i]);
    if (i % 5000 == 4999) {
      problems = idx.Verify(nullptr);
      ASSERT_TRUE(problems.empty()) << "after " << i << " inserts\n" << Join(problems);
    }
  }
  BtVerifyStats after;
  problems = idx.Verify(&after);
  ASSERT_TRUE(problems.empty()) << Join(problems);
  EXPECT_EQ(after.leaf_entries, model.size());
  ExpectScansMatch(idx, model, rng, kKeys);
  ExpectMarkRestoreInsideList(idx, model, 11);
  // A tid already in a list is refused, the index unchanged.
  EXPECT_THROW(idx.Insert(5, SyntheticTid(5 * kPerKey + 3)), keel::Error);
  EXPECT_TRUE(idx.Verify(nullptr).empty());
}

TEST(BtDedupTest, TextKeysWithNulls) {
  ServerHarness harness;
  TupleDesc desc{{AttributeForType("k", type_oid::kText)}};
  IndexKeyDesc keys;
  keys.tupdesc = &desc;
  keys.keys.push_back(IndexKeyColumnForType(type_oid::kText));
  keys.names = {"k"};
  BtIndex index{ServerHarness::TestRelation(16405, "t_k"), &keys, false};
  transam::StartTransaction();
  BtCreateIndex(index);
  transam::CommitTransaction();
  std::vector<std::vector<std::byte>> values;
  for (int i = 0; i < 40; ++i) values.push_back(MakeVarlena("value-" + std::to_string(i * 7919 % 1000) + std::string(static_cast<size_t>(i % 9) * 5, 'x')));
  // Model: (value index or -1 for NULL, tid), ordered as the index (bytewise, NULLS LAST).
  auto text_of = [&](int v) {
    const std::byte* p = values[static_cast<size_t>(v)].data();
    return std::string(reinterpret_cast<const char*>(VarDataAny(p)), VarSizeAnyExhdr(p));
  };
  using TEntry = std::pair<std::string, ItemPointer>;
  std::vector<TEntry> model;  // "\xff\xff" stands for NULL (sorts last)
  std::vector<uint64_t> order(12000);
  for (uint64_t i = 0; i < order.size(); ++i) order[i] = i;
  std::mt19937_64 rng(3);
  std::shuffle(order.begin(), order.end(), rng);  // tids in random order: posting splits
  for (uint64_t n : order) {
    const int v = static_cast<int>(n % 41);
    const bool isnull = v == 40;
    const Datum d = isnull ? Datum{0} : PointerGetDatum(values[static_cast<size_t>(v)].data());
    BtInsert(index, nullptr, std::span<const Datum>(&d, 1), std::span<const bool>(&isnull, 1), SyntheticTid(n));
    model.emplace_back(isnull ? std::string("\xff\xff") : text_of(v), SyntheticTid(n));
  }
  std::sort(model.begin(), model.end());
  BtVerifyStats stats;
  const std::vector<std::string> problems = BtVerify(index, {}, &stats);
  ASSERT_TRUE(problems.empty()) << Join(problems);
  EXPECT_GT(stats.posting_tuples, 0u);
  EXPECT_EQ(stats.leaf_entries, model.size());
  auto scan = [&](std::vector<BtScanKey> k, ScanDirection dir) {
    std::vector<TEntry> out;
    BtScan s(index, std::move(k), dir);
    ItemPointer tid;
    IndexTuple t;
    while (s.Next(&tid, &t)) {
      Datum d;
      bool n;
      IndexDeformTuple(desc, t.header(), std::span<Datum>(&d, 1), std::span<bool>(&n, 1));
      out.emplace_back(n ? std::string("\xff\xff") : std::string(reinterpret_cast<const char*>(VarDataAny(DatumGetPointer(d))), VarSizeAnyExhdr(DatumGetPointer(d))), tid);
    }
    return out;
  };
  const std::vector<TEntry> fwd = scan({}, ScanDirection::kForward);
  EXPECT_EQ(fwd, model);
  std::vector<TEntry> bwd = scan({}, ScanDirection::kBackward);
  std::reverse(bwd.begin(), bwd.end());
  EXPECT_EQ(bwd, model);
  for (int v : {0, 13, 39}) {
    std::vector<TEntry> want;
    for (const TEntry& e : model) {
      if (e.first == text_of(v)) want.push_back(e);
    }
    EXPECT_EQ(scan({{0, BtStrategy::kEqual, PointerGetDatum(values[static_cast<size_t>(v)].data())}}, ScanDirection::kForward), want);
  }
}

// Bulk delete of a random half of the tids, then of every tid of some keys, then all but one tid
// of a key (its list becomes a plain entry): stats, verifier and scans against the model.
TEST(BtDedupTest, BulkDeleteInsideLists) {
  ServerHarness harness;
  Int8Index idx(16406, true);
  idx.Create();
  constexpr int kRows = 60000;
  constexpr int64_t kKeys = 100;
  std::mt19937_64 rng(11);
  std::set<Entry> model;
  for (int i = 0; i < kRows; ++i) {
    const int64_t k = static_cast<int64_t>(rng() % kKeys);
    idx.Insert(k, SyntheticTid(static_cast<uint64_t>(i)));
    model.emplace(k, SyntheticTid(static_cast<uint64_t>(i)));
  }
  auto run = [&](const std::set<ItemPointer>& dead) {
    const BtBulkDeleteStats st = BtBulkDelete(idx.index, [&](ItemPointer tid) { return dead.count(tid) != 0; });
    uint64_t removed = 0;
    for (auto it = model.begin(); it != model.end();) {
      if (dead.count(it->second) != 0) {
        it = model.erase(it);
        ++removed;
      } else {
        ++it;
      }
    }
    EXPECT_EQ(st.tuples_removed, removed);
    EXPECT_EQ(st.tuples_remaining, model.size());
    BtVerifyStats vs;
    const std::vector<std::string> problems = idx.Verify(&vs);
    EXPECT_TRUE(problems.empty()) << Join(problems);
    EXPECT_EQ(vs.leaf_entries, model.size());
    ExpectScansMatch(idx, model, rng, kKeys);
    return vs;
  };
  std::set<ItemPointer> dead;
  for (const Entry& e : model) {
    if (rng() % 2 == 0) dead.insert(e.second);
  }
  const BtVerifyStats half = run(dead);
  EXPECT_GT(half.posting_tuples, 0u);
  dead.clear();
  for (const Entry& e : model) {
    if (e.first % 10 == 3) dead.insert(e.second);
  }
  (void)run(dead);
  EXPECT_TRUE(idx.Scan({{0, BtStrategy::kEqual, Int64GetDatum(43)}}, ScanDirection::kForward).empty());
  dead.clear();
  const std::vector<Entry> k50 = Range(model, 50, 50);
  ASSERT_GT(k50.size(), 2u);
  for (size_t i = 0; i + 1 < k50.size(); ++i) dead.insert(k50[i].second);  // all but the last
  (void)run(dead);
  EXPECT_EQ(idx.Scan({{0, BtStrategy::kEqual, Int64GetDatum(50)}}, ScanDirection::kForward),
            std::vector<Entry>{k50.back()});
  // The index keeps working: new duplicates go in (dedup passes, posting splits) and verify.
  for (int i = 0; i < 5000; ++i) {
    const int64_t k = static_cast<int64_t>(rng() % kKeys);
    const ItemPointer tid = SyntheticTid(static_cast<uint64_t>(kRows) + rng() % 100000);
    if (!model.emplace(k, tid).second) continue;
    idx.Insert(k, tid);
  }
  const BtVerifyStats final_stats = run({});
  EXPECT_EQ(final_stats.leaf_entries, model.size());
}

// Every page of the index as bytes, checksum field cleared (it is stamped at write time).
std::vector<std::vector<std::byte>> ReadAllPages(const BtIndex& index) {
  std::vector<std::vector<std::byte>> out;
  const uint32_t n = storage::SmgrNBlocks(index.rel.locator, ForkNumber::kMain).value();
  for (uint32_t b = 0; b < n; ++b) {
    storage::PinnedBuffer pin(storage::ReadBuffer(index.rel.locator, ForkNumber::kMain, BlockNumber(b)));
    storage::BufferLockGuard lock(pin.get(), storage::BufferLockMode::kShare);
    const std::byte* p = storage::BufferGetPage(pin.get());
    out.emplace_back(p, p + kBlockSize);
    std::memset(out.back().data() + offsetof(storage::PageHeader, checksum), 0, sizeof(uint32_t));
  }
  return out;
}

// Redo reproduces the pages exactly: dedup passes, posting splits and posting-list vacuum done in
// this process, then a crash; recovery replays every record since the checkpoint (or since the
// page's image) and each page must come back byte for byte.
TEST(BtDedupTest, RedoReproducesPagesExactly) {
  keel::testing::HarnessOptions options;
  options.shared_buffers_pages = 512;
  ServerHarness harness(options);
  Int8Index idx(16407, true);
  idx.Create();
  std::mt19937_64 rng(5);
  std::set<Entry> model;
  for (int i = 0; i < 6000; ++i) {  // even tids first
    const int64_t k = static_cast<int64_t>(rng() % 40);
    idx.Insert(k, SyntheticTid(static_cast<uint64_t>(2 * i)));
    model.emplace(k, SyntheticTid(static_cast<uint64_t>(2 * i)));
  }
  harness.Checkpoint();  // later records apply to pages with images only at first touch
  for (int i = 0; i < 6000; ++i) {  // odd tids: most land inside lists
    const int64_t k = static_cast<int64_t>(rng() % 40);
    idx.Insert(k, SyntheticTid(static_cast<uint64_t>(2 * i + 1)));
    model.emplace(k, SyntheticTid(static_cast<uint64_t>(2 * i + 1)));
  }
  (void)BtBulkDelete(idx.index, [](ItemPointer tid) { return tid.offset % 3 == 0; });
  for (int i = 0; i < 2000; ++i) idx.Insert(static_cast<int64_t>(rng() % 40), SyntheticTid(20000 + static_cast<uint64_t>(i)));
  const std::vector<std::vector<std::byte>> before = ReadAllPages(idx.index);
  BtVerifyStats stats;
  ASSERT_TRUE(idx.Verify(&stats).empty());
  EXPECT_GT(stats.posting_tuples, 0u);
  transam::WalFlush(transam::WalInsertPosition());  // no commit flushed the index records
  harness.Crash();
  const std::vector<std::vector<std::byte>> after = ReadAllPages(idx.index);
  ASSERT_EQ(after.size(), before.size());
  for (size_t b = 0; b < before.size(); ++b) {
    size_t first_diff = kBlockSize, ndiff = 0;
    for (size_t i = 0; i < before[b].size(); ++i) {
      if (before[b][i] != after[b][i]) {
        first_diff = std::min(first_diff, i);
        ++ndiff;
      }
    }
    EXPECT_EQ(ndiff, 0u) << "block " << b << ": first differing byte " << first_diff;
  }
  EXPECT_TRUE(idx.Verify(nullptr).empty());
}

// Inserts rows into the heap first, then their index entries in random order (tids land inside
// existing posting lists), in one committed transaction.
void InsertShuffled(Int8Table& t, const std::vector<int64_t>& keys, std::mt19937_64& rng) {
  std::vector<std::pair<int64_t, ItemPointer>> rows;
  for (int64_t k : keys) {
    const Datum v = Int64GetDatum(k);
    const bool n = false;
    HeapTuple tuple = HeapFormTuple(t.desc, std::span<const Datum>(&v, 1), std::span<const bool>(&n, 1));
    rows.emplace_back(k, HeapInsert(t.heap, tuple, transam::GetCurrentCommandId(true)));
  }
  std::shuffle(rows.begin(), rows.end(), rng);
  for (const auto& [k, tid] : rows) {
    const Datum v = Int64GetDatum(k);
    const bool n = false;
    BtInsert(t.index, &t.heap, std::span<const Datum>(&v, 1), std::span<const bool>(&n, 1), tid);
  }
}

void ExpectIndexMatchesHeap(Int8Table& t, const std::multiset<int64_t>& committed) {
  transam::StartTransaction();
  BtVerifyStats stats;
  const std::vector<std::string> problems = BtVerify(t.index, t.VerifyWithHeap(), &stats);
  EXPECT_TRUE(problems.empty()) << Join(problems);
  EXPECT_GT(stats.posting_tuples, 0u);
  const transam::Snapshot& snap = transam::GetTransactionSnapshot();
  const std::multiset<int64_t> heap_rows = t.HeapVisible(snap);
  const std::vector<int64_t> fwd = t.IndexScanVisible(snap, {}, ScanDirection::kForward);
  EXPECT_EQ(fwd, std::vector<int64_t>(heap_rows.begin(), heap_rows.end()));
  std::vector<int64_t> bwd = t.IndexScanVisible(snap, {}, ScanDirection::kBackward);
  std::reverse(bwd.begin(), bwd.end());
  EXPECT_EQ(bwd, fwd);
  for (int64_t k = 0; k < 60; ++k) {
    EXPECT_GE(heap_rows.count(k), committed.count(k)) << k;
    const std::vector<int64_t> got =
        t.IndexScanVisible(snap, {{0, BtStrategy::kEqual, Int64GetDatum(k)}}, ScanDirection::kForward);
    EXPECT_EQ(got.size(), heap_rows.count(k)) << k;
  }
  transam::CommitTransaction();
}

// A crash while three backends insert duplicates (after a phase of shuffled inserts, aborted
// rows and a bulk delete): recovery replays DEDUP, INSERT_POST and VACUUM_POSTING records; the
// verifier (with the heap check inside lists) passes and every committed row is found; again
// after more work and a second crash.
TEST(BtDedupTest, CrashDuringDuplicateInserts) {
  keel::testing::HarnessOptions options;
  options.shared_buffers_pages = 64;  // pages are evicted and written before the crash
  ServerHarness harness(options);
  Int8Table t(false, 16384, 16408);
  t.Create();
  std::mt19937_64 rng(9);
  std::multiset<int64_t> committed;
  std::set<ItemPointer> aborted;
  for (int batch = 0; batch < 10; ++batch) {
    std::vector<int64_t> keys;
    for (int i = 0; i < 800; ++i) keys.push_back(static_cast<int64_t>(rng() % 60));
    transam::StartTransaction();
    if (batch % 4 == 3) {
      for (int64_t k : keys) aborted.insert(t.Insert(k));
      transam::AbortTransaction();
    } else {
      InsertShuffled(t, keys, rng);
      transam::CommitTransaction();
      committed.insert(keys.begin(), keys.end());
    }
  }
  const BtBulkDeleteStats vac = BtBulkDelete(t.index, [&](ItemPointer tid) { return aborted.count(tid) != 0; });
  EXPECT_EQ(vac.tuples_removed, aborted.size());
  constexpr int kBackends = 3;
  std::vector<std::unique_ptr<Channel>> chans;
  for (int b = 0; b < kBackends; ++b) {
    chans.push_back(std::make_unique<Channel>());
    Channel* chan = chans.back().get();
    (void)harness.ForkBackend([&t, b, chan] {
      std::mt19937_64 r(static_cast<uint64_t>(b) + 100);
      for (;;) {
        std::vector<int64_t> keys;
        for (int i = 0; i < 40; ++i) keys.push_back(static_cast<int64_t>(r() % 60));
        transam::StartTransaction();
        InsertShuffled(t, keys, r);
        transam::CommitTransaction();
        for (int64_t k : keys) chan->SendToParent(static_cast<uint64_t>(k));
        chan->SendToParent(~0ull);
      }
      return 0;
    });
  }
  std::vector<std::vector<int64_t>> pending(kBackends);
  for (int batches = 0; batches < 60;) {
    for (int b = 0; b < kBackends; ++b) {
      const std::optional<uint64_t> v = chans[static_cast<size_t>(b)]->RecvInParent();
      ASSERT_TRUE(v.has_value());
      auto& p = pending[static_cast<size_t>(b)];
      if (*v == ~0ull) {
        committed.insert(p.begin(), p.end());
        p.clear();
        ++batches;
      } else {
        p.push_back(static_cast<int64_t>(*v));
      }
    }
  }
  harness.Crash();
  ExpectIndexMatchesHeap(t, committed);
  transam::StartTransaction();
  std::vector<int64_t> more;
  for (int i = 0; i < 3000; ++i) more.push_back(static_cast<int64_t>(rng() % 60));
  InsertShuffled(t, more, rng);
  transam::CommitTransaction();
  committed.insert(more.begin(), more.end());
  harness.Crash();
  ExpectIndexMatchesHeap(t, committed);
}

// Forked inserters of heavily duplicated keys (shuffled index order: posting splits and dedup
// passes race with scans) while scanners compare REPEATABLE READ index scans with heap scans of
// the same snapshot.
TEST(BtDedupTest, ConcurrentDuplicateInsertersAndScanners) {
  keel::testing::HarnessOptions options;
  options.shared_buffers_pages = 96;
  ServerHarness harness(options);
  Int8Table t(false, 16384, 16409);
  t.Create();
  constexpr int kInserters = 3;
  constexpr int kBatches = 150;
  // The inserters start once both scanners have finished a round, so that scans overlap the
  // inserts even when the scanners' forks are slow (a Release build inserts in milliseconds).
  void* mem = mmap(nullptr, sizeof(std::atomic<int>), PROT_READ | PROT_WRITE,
                   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  ASSERT_NE(mem, MAP_FAILED);
  auto* scanners_started = new (mem) std::atomic<int>(0);
  std::vector<pid_t> pids;
  for (int b = 0; b < kInserters; ++b) {
    pids.push_back(harness.ForkBackend([&t, b, scanners_started] {
      while (scanners_started->load() < 2) sched_yield();
      std::mt19937_64 r(static_cast<uint64_t>(b) * 31 + 7);
      for (int batch = 0; batch < kBatches; ++batch) {
        std::vector<int64_t> keys;
        for (int i = 0; i < 40; ++i) keys.push_back(static_cast<int64_t>(r() % 50));
        transam::StartTransaction();
        InsertShuffled(t, keys, r);
        if (batch % 5 == 4) {
          transam::AbortTransaction();
        } else {
          transam::CommitTransaction();
        }
      }
      return 0;
    }));
  }
  std::vector<std::unique_ptr<Channel>> stops;
  for (int s = 0; s < 2; ++s) {
    stops.push_back(std::make_unique<Channel>());
    Channel* stop = stops.back().get();
    pids.push_back(harness.ForkBackend([&t, s, stop, scanners_started] {
      std::mt19937_64 r(static_cast<uint64_t>(s) + 500);
      int rounds = 0;
      for (int round = 0;; ++round) {
        const int64_t lo = static_cast<int64_t>(r() % 50);
        const int64_t hi = lo + static_cast<int64_t>(r() % 6);
        const ScanDirection dir = round % 2 == 0 ? ScanDirection::kForward : ScanDirection::kBackward;
        const std::string who = "scanner " + std::to_string(s) + " round " + std::to_string(round);
        if (!t.ScanRoundMatchesHeap(lo, hi, true, round % 3 == 0, dir, who.c_str()).has_value()) return 11;
        if (++rounds == 1) scanners_started->fetch_add(1);
        if (stop->RecvInChild(0).has_value()) break;
      }
      stop->SendToParent(static_cast<uint64_t>(rounds));
      return 0;
    }));
  }
  for (int b = 0; b < kInserters; ++b) EXPECT_EQ(harness.Wait(pids[static_cast<size_t>(b)], 300000), 0);
  for (auto& stop : stops) stop->SendToChild(1);
  for (auto& stop : stops) {
    const std::optional<uint64_t> rounds = stop->RecvInParent(300000);
    ASSERT_TRUE(rounds.has_value());
    EXPECT_GE(*rounds, 2u);
  }
  for (int s = 0; s < 2; ++s) EXPECT_EQ(harness.Wait(pids[static_cast<size_t>(kInserters + s)], 300000), 0);
  transam::StartTransaction();
  BtVerifyStats stats;
  const std::vector<std::string> problems = BtVerify(t.index, t.VerifyWithHeap(), &stats);
  EXPECT_TRUE(problems.empty()) << Join(problems);
  EXPECT_EQ(stats.leaf_entries, static_cast<uint64_t>(kInserters * kBatches * 40));
  EXPECT_GT(stats.posting_tuples, 0u);
  const transam::Snapshot& snap = transam::GetTransactionSnapshot();
  const std::multiset<int64_t> heap_rows = t.HeapVisible(snap);
  EXPECT_EQ(heap_rows.size(), static_cast<size_t>(kInserters * kBatches * 40 * 4 / 5));
  const std::vector<int64_t> fwd = t.IndexScanVisible(snap, {}, ScanDirection::kForward);
  EXPECT_EQ(fwd, std::vector<int64_t>(heap_rows.begin(), heap_rows.end()));
  transam::CommitTransaction();
  munmap(mem, sizeof(std::atomic<int>));
}

// The first posting tuple of the leaf level (copied) and the leaf's block.
std::optional<IndexTuple> FirstPosting(const BtIndex& index) {
  using namespace internal;  // NOLINT: page layout helpers
  internal::LockedPage page(index, BlockNumber(LeftmostAtLevel(index, 0)), storage::BufferLockMode::kShare);
  for (;;) {
    const storage::Page p = page.page();
    for (storage::OffsetNumber off = FirstData(p); off <= MaxOff(p); ++off) {
      const IndexTupleHeader* it = Item(p, off);
      if (IsPosting(it)) return IndexTuple(it->bytes(), it->Size());
    }
    if (IsRightmost(p)) return std::nullopt;
    page = internal::LockedPage(index, BlockNumber(Opaque(p)->right), storage::BufferLockMode::kShare);
  }
}

// (review) `deduplicate` turned off on an index that holds posting lists: a tid inside a list
// must still split it (BT24), else it lands as a plain entry after the list, out of BT1 order;
// and a tid already in a list must still be refused.
TEST(BtDedupTest, PostingSplitWhenDedupOff) {
  ServerHarness harness;
  Int8Index idx(16410, true);
  idx.Create();
  std::set<Entry> model;
  for (uint64_t i = 0; i < 4000; i += 2) {  // lists of even tids
    idx.Insert(5, SyntheticTid(i));
    model.emplace(5, SyntheticTid(i));
  }
  BtVerifyStats st;
  ASSERT_TRUE(idx.Verify(&st).empty());
  ASSERT_GT(st.posting_tuples, 0u);
  Int8Index off(16410, false);  // the same index, seen with deduplicate = false
  ASSERT_FALSE(internal::DedupEnabled(off.index));
  for (uint64_t i : {uint64_t{101}, uint64_t{1}, uint64_t{2001}, uint64_t{3999}}) {
    off.Insert(5, SyntheticTid(i));  // inside a list's tid range
    model.emplace(5, SyntheticTid(i));
  }
  BtVerifyStats after;
  const std::vector<std::string> problems = idx.Verify(&after);
  EXPECT_TRUE(problems.empty()) << Join(problems);
  EXPECT_EQ(after.leaf_entries, model.size());
  const std::vector<Entry> all(model.begin(), model.end());
  EXPECT_EQ(idx.Scan({}, ScanDirection::kForward), all);
  EXPECT_EQ(idx.Scan({}, ScanDirection::kBackward), Reversed(all));
  EXPECT_THROW(off.Insert(5, SyntheticTid(100)), keel::Error);  // already in a list
  EXPECT_TRUE(idx.Verify(nullptr).empty());
}

// (review) The unique check (BT9) over posting tuples: every live row with the key is inside a
// list (the rows whose entries stayed plain are deleted), and a checked insert of the key must
// fail with 23505 — as the AM's kYes does on a non-unique index.
TEST(BtDedupTest, UniqueCheckSeesPostingLists) {
  ServerHarness harness;
  Int8Table t(false, 16384, 16411);
  t.Create();
  transam::StartTransaction();
  for (int i = 0; i < 1500; ++i) (void)t.Insert(7);
  transam::CommitTransaction();
  std::set<ItemPointer> plain;
  {
    using namespace internal;  // NOLINT: page layout helpers
    internal::LockedPage page(t.index, BlockNumber(LeftmostAtLevel(t.index, 0)), storage::BufferLockMode::kShare);
    for (;;) {
      const storage::Page p = page.page();
      for (storage::OffsetNumber off = FirstData(p); off <= MaxOff(p); ++off) {
        if (!IsPosting(Item(p, off))) plain.insert(Item(p, off)->Tid());
      }
      if (IsRightmost(p)) break;
      page = internal::LockedPage(t.index, BlockNumber(Opaque(p)->right), storage::BufferLockMode::kShare);
    }
  }
  ASSERT_LT(plain.size(), 1000u) << "most rows must be inside posting lists";
  transam::StartTransaction();
  for (const ItemPointer& tid : plain) {
    TmFailureData f;
    ASSERT_EQ(HeapDelete(t.heap, tid, transam::GetCurrentCommandId(true), nullptr, true, &f), TmResult::kOk);
  }
  transam::CommitTransaction();
  BtIndex checked = t.index;
  checked.unique = true;
  const Datum v = Int64GetDatum(7);
  const bool n = false;
  transam::StartTransaction();
  HeapTuple tup = HeapFormTuple(t.desc, std::span<const Datum>(&v, 1), std::span<const bool>(&n, 1));
  const ItemPointer tid = HeapInsert(t.heap, tup, transam::GetCurrentCommandId(true));
  try {
    BtInsert(checked, &t.heap, std::span<const Datum>(&v, 1), std::span<const bool>(&n, 1), tid);
    ADD_FAILURE() << "23505 expected: live rows with k = 7 exist inside posting lists";
  } catch (const keel::Error& e) {
    EXPECT_EQ(std::string(e.sqlstate().code()), "23505");
  }
  transam::AbortTransaction();
  // With every row of the key deleted, the checked insert goes in.
  transam::StartTransaction();
  {
    HeapScan scan(t.heap, transam::GetTransactionSnapshot());
    HeapTupleView row;
    std::vector<ItemPointer> live;
    while (scan.Next(&row)) live.push_back(row.self);
    for (const ItemPointer& l : live) {
      TmFailureData f;
      ASSERT_EQ(HeapDelete(t.heap, l, transam::GetCurrentCommandId(true), nullptr, true, &f), TmResult::kOk);
    }
  }
  transam::CommitTransaction();
  transam::StartTransaction();
  const ItemPointer tid2 = HeapInsert(t.heap, tup, transam::GetCurrentCommandId(true));
  EXPECT_NO_THROW(BtInsert(checked, &t.heap, std::span<const Datum>(&v, 1), std::span<const bool>(&n, 1), tid2));
  transam::CommitTransaction();
}

// BT24: a tid equal to a list's highest (or lowest) tid is already in it and is refused like
// any other tid of the list; the index is unchanged.
TEST(BtDedupTest, TidEqualToListEndsIsRefused) {
  ServerHarness harness;
  Int8Index idx(16412, true);
  idx.Create();
  for (uint64_t i = 0; i < 3000; ++i) idx.Insert(static_cast<int64_t>(i % 3), SyntheticTid(i));
  BtVerifyStats before;
  ASSERT_TRUE(idx.Verify(&before).empty());
  const std::optional<IndexTuple> list = FirstPosting(idx.index);
  ASSERT_TRUE(list.has_value());
  const IndexTupleHeader* h = list->header();
  Datum v;
  bool isnull;
  IndexDeformTuple(idx.desc, h, std::span<Datum>(&v, 1), std::span<bool>(&isnull, 1));
  const ItemPointer highest = internal::MaxLeafTid(h);
  const ItemPointer lowest = internal::LeafTid(h, 0);
  ASSERT_LT(lowest, highest);
  for (const ItemPointer& tid : {highest, lowest}) {
    try {
      idx.InsertDatum(v, tid);
      ADD_FAILURE() << "duplicate tid " << storage::ItemPointerToString(tid) << " accepted";
    } catch (const keel::Error& e) {
      EXPECT_EQ(std::string(e.sqlstate().code()), "XX000");
      EXPECT_NE(std::string(e.message()).find("overlaps with invalid duplicate tuple"), std::string::npos)
          << e.message();
    }
  }
  BtVerifyStats after;
  const std::vector<std::string> problems = idx.Verify(&after);
  EXPECT_TRUE(problems.empty()) << Join(problems);
  EXPECT_EQ(after.leaf_entries, before.leaf_entries);
  EXPECT_EQ(after.leaf_entries, 3000u);
}

}  // namespace
}  // namespace keel::access::nbtree
