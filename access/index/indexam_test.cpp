// The index AM interface driven only through the registry and the abstract classes: a tiny
// in-memory AM (std::multimap-backed) registered by the test is built from a fake table,
// inserted into, scanned both ways with keys, marked and restored, vacuumed; registry errors;
// the table-backed build source over an in-memory table AM. README.md ("Tests").
#include "access/index/indexam.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "access/common/heap_form.h"
#include "access/common/tuple_desc.h"
#include "access/heap/vacuum.h"
#include "access/index/index_build.h"
#include "access/table/tableam.h"
#include "access/transam/snapshot.h"
#include "backend/utils/error/error.h"
#include "backend/utils/error/format.h"

namespace keel::access {
namespace {

using storage::ItemPointer;

constexpr Oid kMemTreeOid{16500};
using sqlstate::kUniqueViolation;

ItemPointer Tid(uint32_t block, uint16_t offset) { return {BlockNumber(block), offset}; }

int CompareInt64(Datum a, Datum b, const void*) {
  const int64_t x = DatumGetInt64(a);
  const int64_t y = DatumGetInt64(b);
  return x < y ? -1 : (x > y ? 1 : 0);
}

// ---- the test AM: entries in a std::multimap ordered by the key columns -------------------------

struct Key {
  std::vector<Datum> values;  // key columns only
  std::vector<char> isnull;
};

struct Payload {
  ItemPointer tid;
  std::vector<Datum> all_values;  // every column, key and INCLUDE (by-value types only)
  std::unique_ptr<bool[]> all_isnull;
  bool killed = false;
};

// Column order as btree: each column ascending or descending, NULLs last unless nulls_first.
struct KeyLess {
  const std::vector<IndexColumn>* columns;
  bool operator()(const Key& a, const Key& b) const {
    for (size_t i = 0; i < a.values.size(); ++i) {
      const IndexColumn& col = (*columns)[i];
      if (a.isnull[i] || b.isnull[i]) {
        if (a.isnull[i] && b.isnull[i]) continue;
        return a.isnull[i] ? col.nulls_first : !col.nulls_first;
      }
      int c = col.compare(a.values[i], b.values[i], col.compare_arg);
      if (col.descending) c = -c;
      if (c != 0) return c < 0;
    }
    return false;
  }
};

using Tree = std::multimap<Key, Payload, KeyLess>;

struct MemIndex {
  std::vector<IndexColumn> columns;
  int key_columns = 0;
  Tree tree{KeyLess{&columns}};
  explicit MemIndex(const IndexRelation& index)
      : columns(index.columns), key_columns(index.key_columns), tree(KeyLess{&columns}) {}
};

class MemTreeScan final : public IndexScan {
 public:
  MemTreeScan(MemIndex* index, int nkeys, bool want_itup)
      : index_(index), nkeys_(nkeys), want_itup_(want_itup) {}

  void Rescan(std::span<const ScanKey> keys) override {
    EXPECT_LE(keys.size(), static_cast<size_t>(nkeys_));
    keys_.assign(keys.begin(), keys.end());
    state_ = State::kStart;
  }

  bool GetNextTid(ScanDirection direction, IndexScanEntry* out) override {
    Tree& tree = index_->tree;
    for (;;) {
      if (direction == ScanDirection::kForward) {
        if (state_ == State::kAfter) return false;
        if (state_ == State::kStart || state_ == State::kBefore) {
          it_ = tree.begin();
        } else {
          ++it_;
        }
        if (it_ == tree.end()) {
          state_ = State::kAfter;
          return false;
        }
      } else {
        if (state_ == State::kBefore) return false;
        if (state_ == State::kStart || state_ == State::kAfter) it_ = tree.end();
        if (it_ == tree.begin()) {
          state_ = State::kBefore;
          return false;
        }
        --it_;
      }
      state_ = State::kOn;
      const Payload& p = it_->second;
      if (p.killed) continue;
      const std::span<const bool> isnull(p.all_isnull.get(), p.all_values.size());
      if (!ScanKeysMatch(keys_, p.all_values, isnull)) continue;
      out->tid = p.tid;
      out->recheck = false;
      out->values = want_itup_ ? std::span<const Datum>(p.all_values) : std::span<const Datum>();
      out->isnull = want_itup_ ? isnull : std::span<const bool>();
      return true;
    }
  }

  void MarkPos() override { mark_ = {state_, it_}; }
  void RestorePos() override {
    ASSERT_TRUE(mark_.has_value());
    state_ = mark_->first;
    it_ = mark_->second;
  }
  void KillPrior() override {
    if (state_ == State::kOn) it_->second.killed = true;
  }

 private:
  enum class State { kStart, kOn, kBefore, kAfter };
  MemIndex* index_;
  int nkeys_;
  bool want_itup_;
  std::vector<ScanKey> keys_;
  State state_ = State::kStart;
  Tree::iterator it_;
  std::optional<std::pair<State, Tree::iterator>> mark_;
};

class MemTreeAm final : public IndexAm {
 public:
  explicit MemTreeAm(std::string name = "memtree") : name_(std::move(name)) {}

  std::string_view Name() const override { return name_; }
  const IndexAmProperties& Properties() const override {
    static const IndexAmProperties kProps{.can_order = true, .can_backward = true,
                                          .can_unique = true, .can_multi_col = true,
                                          .can_include = true, .optional_key = true,
                                          .search_nulls = true, .can_mark_pos = true,
                                          .clusterable = true, .max_strategy = 5};
    return kProps;
  }
  bool CanReturn(const IndexRelation& index, int column) const override {
    return column >= 1 && column <= index.total_columns();
  }

  IndexBuildResult Build(const Relation& heap, const IndexRelation& index, const IndexInfo& info,
                         IndexBuildSource& source) const override {
    EXPECT_EQ(heap.id, index.heap_id);
    BuildEmpty(index);
    IndexBuildResult result;
    IndexBuildRow row;
    while (source.Next(&row)) {
      ++result.heap_tuples;
      // A dead-but-visible-to-someone row gets an entry but takes no part in uniqueness.
      (void)Insert(index, row.values, row.isnull, row.tid, heap,
                   info.unique && row.alive ? UniqueCheck::kYes : UniqueCheck::kNo);
    }
    result.index_tuples = static_cast<double>(Index(index).tree.size());
    return result;
  }
  void BuildEmpty(const IndexRelation& index) const override {
    indexes_.erase(index.rel.id.value());
    indexes_.emplace(index.rel.id.value(), std::make_unique<MemIndex>(index));
  }

  bool Insert(const IndexRelation& index, std::span<const Datum> values,
              std::span<const bool> isnull, ItemPointer heap_tid, const Relation&,
              UniqueCheck check) const override {
    EXPECT_EQ(values.size(), static_cast<size_t>(index.total_columns()));
    MemIndex& mem = Index(index);
    Key key;
    for (int i = 0; i < index.key_columns; ++i) {
      key.values.push_back(values[static_cast<size_t>(i)]);
      key.isnull.push_back(isnull[static_cast<size_t>(i)]);
    }
    bool conflict = false;
    if (check != UniqueCheck::kNo) {
      const bool has_null = std::find(key.isnull.begin(), key.isnull.end(), 1) != key.isnull.end();
      if (!has_null || index.nulls_not_distinct) {
        auto [lo, hi] = mem.tree.equal_range(key);
        for (auto it = lo; it != hi; ++it) {
          if (!it->second.killed && it->second.tid != heap_tid) conflict = true;
        }
      }
    }
    if (check == UniqueCheck::kExisting) return !conflict;
    if (conflict && check == UniqueCheck::kYes) {
      throw Error(kUniqueViolation, Format("duplicate key value violates unique constraint \"%s\"",
                                           index.rel.name.c_str()));
    }
    Payload p{heap_tid, {values.begin(), values.end()}, std::make_unique<bool[]>(values.size())};
    std::copy(isnull.begin(), isnull.end(), p.all_isnull.get());
    mem.tree.emplace(std::move(key), std::move(p));
    return !(conflict && check == UniqueCheck::kPartial);
  }

  std::unique_ptr<IndexScan> BeginScan(const IndexRelation& index, int nkeys,
                                       bool want_itup) const override {
    return std::make_unique<MemTreeScan>(&Index(index), nkeys, want_itup);
  }

  void BulkDelete(const IndexVacuumInfo& info, IndexBulkDeleteResult* stats,
                  IndexBulkDeleteCallback callback, void* arg) const override {
    Tree& tree = Index(*info.index).tree;
    for (auto it = tree.begin(); it != tree.end();) {
      if (callback(it->second.tid, arg)) {
        it = tree.erase(it);
        ++stats->tuples_removed;
      } else {
        ++it;
      }
    }
    Fill(tree, stats);
  }
  void VacuumCleanup(const IndexVacuumInfo& info, IndexBulkDeleteResult* stats) const override {
    Fill(Index(*info.index).tree, stats);
  }
  IndexCostEstimate CostEstimate(const IndexRelation&,
                                 const IndexCostInputs& inputs) const override {
    return BtreeLikeCostEstimate(inputs);
  }

 private:
  static void Fill(const Tree& tree, IndexBulkDeleteResult* stats) {
    stats->num_index_tuples = static_cast<double>(tree.size());
    stats->num_pages = BlockNumber(static_cast<uint32_t>(1 + tree.size() / 100));
  }
  MemIndex& Index(const IndexRelation& index) const {
    auto it = indexes_.find(index.rel.id.value());
    EXPECT_NE(it, indexes_.end()) << "index " << index.rel.name << " never built";
    return *it->second;
  }

  std::string name_;
  mutable std::map<uint32_t, std::unique_ptr<MemIndex>> indexes_;  // test-only, one thread
};

// ---- fixtures -----------------------------------------------------------------------------------

// A fake table: rows with (a int8, b int8, c int8), any of them NULL.
struct FakeRow {
  ItemPointer tid;
  std::optional<int64_t> a, b, c;
  bool alive = true;
};

// Offers rows with the columns the index wants (heap_attnos 1..3 -> a, b, c).
class FakeHeapSource final : public IndexBuildSource {
 public:
  FakeHeapSource(const std::vector<FakeRow>& rows, const IndexInfo& info)
      : rows_(rows), info_(info) {}
  bool Next(IndexBuildRow* out) override {
    if (next_ >= rows_.size()) return false;
    const FakeRow& r = rows_[next_++];
    values_.clear();
    for (size_t i = 0; i < info_.heap_attnos.size(); ++i) {
      const std::optional<int64_t>& v =
          info_.heap_attnos[i] == 1 ? r.a : (info_.heap_attnos[i] == 2 ? r.b : r.c);
      values_.push_back(Int64GetDatum(v.value_or(0)));
      isnull_[i] = !v.has_value();
    }
    out->tid = r.tid;
    out->values = values_;
    out->isnull = std::span<const bool>(isnull_, info_.heap_attnos.size());
    out->alive = r.alive;
    return true;
  }

 private:
  const std::vector<FakeRow>& rows_;
  const IndexInfo& info_;
  size_t next_ = 0;
  std::vector<Datum> values_;
  bool isnull_[8] = {};
};

IndexColumn Int8Column(AttrNumber heap_attno, bool descending = false, bool nulls_first = false) {
  IndexColumn c;
  c.heap_attno = heap_attno;
  c.descending = descending;
  c.nulls_first = nulls_first;
  c.compare = CompareInt64;
  return c;
}

class IndexAmTest : public ::testing::Test {
 protected:
  // The AM is a process-lifetime object, registered once (IX4); Release builds have no
  // TestOnlyResetIndexAms.
  static MemTreeAm& Am() {
    static MemTreeAm am;
    return am;
  }
  void SetUp() override {
    if (FindIndexAm(kMemTreeOid) == nullptr) RegisterIndexAm(kMemTreeOid, Am());
    heap_.id = Oid(20000);
    heap_.name = "t";
  }

  // An index on (a, b) INCLUDE (c), relam = the test AM.
  IndexRelation MakeIndex(uint32_t id, const char* name, bool unique = false) const {
    IndexRelation index;
    index.rel.id = Oid(id);
    index.rel.name = name;
    index.rel.am = kMemTreeOid;
    index.heap_id = heap_.id;
    index.key_columns = 2;
    index.columns = {Int8Column(1), Int8Column(2), Int8Column(3)};
    index.unique = unique;
    return index;
  }

  static ScanKey Key(AttrNumber attno, StrategyNumber s, int64_t v) {
    return ScanKey{.attno = attno, .strategy = s, .argument = Int64GetDatum(v),
                   .compare = CompareInt64};
  }

  // Every tid a scan returns in `direction`.
  static std::vector<ItemPointer> Drain(IndexScan& scan, ScanDirection direction) {
    std::vector<ItemPointer> tids;
    IndexScanEntry e;
    while (scan.GetNextTid(direction, &e)) tids.push_back(e.tid);
    return tids;
  }

  Relation heap_;
};

std::vector<FakeRow> RandomRows(int n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<FakeRow> rows;
  for (int i = 0; i < n; ++i) {
    FakeRow r{Tid(static_cast<uint32_t>(i / 50), static_cast<uint16_t>(i % 50 + 1)), {}, {}, {}};
    if (rng() % 10 != 0) r.a = static_cast<int64_t>(rng() % 20);
    if (rng() % 10 != 0) r.b = static_cast<int64_t>(rng() % 100) - 50;
    r.c = i;
    rows.push_back(r);
  }
  return rows;
}

// Brute force: the rows matching `pred`, in index order (a, b NULLS LAST), ties by insertion.
template <typename Pred>
std::vector<ItemPointer> Expected(const std::vector<FakeRow>& rows, Pred pred) {
  std::vector<FakeRow> m;
  for (const FakeRow& r : rows) {
    if (pred(r)) m.push_back(r);
  }
  auto nl = [](const std::optional<int64_t>& x) {  // NULLS LAST
    return std::make_pair(!x.has_value(), x.value_or(0));
  };
  std::stable_sort(m.begin(), m.end(), [&](const FakeRow& x, const FakeRow& y) {
    return std::make_pair(nl(x.a), nl(x.b)) < std::make_pair(nl(y.a), nl(y.b));
  });
  std::vector<ItemPointer> tids;
  for (const FakeRow& r : m) tids.push_back(r.tid);
  return tids;
}

// ---- registry -----------------------------------------------------------------------------------

TEST_F(IndexAmTest, RegistryLookupsAndErrors) {
  EXPECT_EQ(&GetIndexAm(kMemTreeOid), &Am());
  EXPECT_EQ(GetIndexAmOid("memtree"), kMemTreeOid);
  EXPECT_EQ(FindIndexAm(Oid(9999)), nullptr);
  try {
    (void)GetIndexAm(Oid(9999));
    ADD_FAILURE();
  } catch (const Error& e) {
    EXPECT_EQ(e.sqlstate().code(), "XX000");
    EXPECT_EQ(e.message(), "cache lookup failed for access method 9999");
  }
  try {
    (void)GetIndexAmOid("hash");
    ADD_FAILURE();
  } catch (const Error& e) {
    EXPECT_EQ(e.sqlstate().code(), "42704");
    EXPECT_EQ(e.message(), "access method \"hash\" does not exist");
  }
  MemTreeAm same_name;
  MemTreeAm other("other");
  try {
    RegisterIndexAm(Oid(16501), same_name);
    ADD_FAILURE();
  } catch (const Error& e) {
    EXPECT_EQ(e.sqlstate().code(), "42710");
    EXPECT_EQ(e.message(), "access method \"memtree\" already exists");
  }
  try {
    RegisterIndexAm(kMemTreeOid, other);
    ADD_FAILURE();
  } catch (const Error& e) {
    EXPECT_EQ(e.sqlstate().code(), "42710");
  }
  try {
    RegisterIndexAm(kInvalidOid, other);
    ADD_FAILURE();
  } catch (const Error& e) {
    EXPECT_EQ(e.sqlstate().code(), "XX000");
  }
#ifdef KEEL_DEBUG
  // The table is fixed-size: the 17th registration fails.
  TestOnlyResetIndexAms();
  RegisterIndexAm(kMemTreeOid, Am());
  std::vector<std::unique_ptr<MemTreeAm>> ams;
  for (int i = 1; i < kMaxIndexAms; ++i) {
    ams.push_back(std::make_unique<MemTreeAm>("am" + std::to_string(i)));
    RegisterIndexAm(Oid(17000 + static_cast<uint32_t>(i)), *ams.back());
  }
  EXPECT_EQ(GetIndexAmOid("am15"), Oid(17015));
  try {
    RegisterIndexAm(Oid(18000), other);
    ADD_FAILURE();
  } catch (const Error& e) {
    EXPECT_EQ(e.sqlstate().code(), "54000");
  }
  TestOnlyResetIndexAms();  // before `ams` goes
  RegisterIndexAm(kMemTreeOid, Am());
#endif
}

TEST_F(IndexAmTest, DispatchByRelamAndProperties) {
  const IndexRelation index = MakeIndex(30001, "t_a_b_idx");
  const IndexAm& am = IndexAmOf(index);
  EXPECT_EQ(am.Name(), "memtree");
  EXPECT_TRUE(am.CanOrder() && am.CanBackward() && am.CanUnique() && am.CanMultiCol() &&
              am.CanInclude());
  EXPECT_TRUE(am.CanReturn(index, 3));
  EXPECT_FALSE(am.CanReturn(index, 4));
  IndexRelation btree_index = index;
  btree_index.rel.am = kBtreeIndexAmOid;  // not registered in this test
  try {
    (void)IndexAmOf(btree_index);
    ADD_FAILURE();
  } catch (const Error& e) {
    EXPECT_EQ(e.message(), "cache lookup failed for access method 403");
  }
  const IndexInfo info = MakeIndexInfo(index);
  EXPECT_EQ(info.heap_attnos, (std::vector<AttrNumber>{1, 2, 3}));
  EXPECT_EQ(info.key_columns, 2);
}

// ---- build, insert, scans -------------------------------------------------------------------------

TEST_F(IndexAmTest, BuildThenScanBothWaysWithKeys) {
  std::vector<FakeRow> rows = RandomRows(1000, 1);
  rows[7].alive = false;  // recently dead: still indexed
  const IndexRelation index = MakeIndex(30002, "t_a_b_idx");
  const IndexInfo info = MakeIndexInfo(index);
  const IndexAm& am = IndexAmOf(index);
  FakeHeapSource source(rows, info);
  const IndexBuildResult built = am.Build(heap_, index, info, source);
  EXPECT_EQ(built.heap_tuples, 1000);
  EXPECT_EQ(built.index_tuples, 1000);

  // Later inserts go through Insert.
  for (int i = 0; i < 200; ++i) {
    FakeRow r{Tid(1000, static_cast<uint16_t>(i + 1)), int64_t{i % 20}, int64_t{i % 7}, 5000 + i};
    if (i % 13 == 0) r.b.reset();
    const Datum values[3] = {Int64GetDatum(*r.a), Int64GetDatum(r.b.value_or(0)),
                             Int64GetDatum(*r.c)};
    const bool isnull[3] = {false, !r.b.has_value(), false};
    EXPECT_TRUE(am.Insert(index, values, isnull, r.tid, heap_, UniqueCheck::kNo));
    rows.push_back(r);
  }

  std::unique_ptr<IndexScan> scan = am.BeginScan(index, 3, false);
  struct Case {
    std::vector<ScanKey> keys;
    bool (*pred)(const FakeRow&);
  };
  const ScanKey is_null{.attno = 2, .flags = kSkSearchNull};
  const ScanKey not_null{.attno = 1, .flags = kSkSearchNotNull};
  const std::vector<Case> cases = {
      {{}, [](const FakeRow&) { return true; }},
      {{Key(1, strategy::kEqual, 7)}, [](const FakeRow& r) { return r.a == 7; }},
      {{Key(1, strategy::kGreaterEqual, 5), Key(1, strategy::kLess, 9)},
       [](const FakeRow& r) { return r.a && *r.a >= 5 && *r.a < 9; }},
      {{Key(1, strategy::kEqual, 3), Key(2, strategy::kGreater, 0)},
       [](const FakeRow& r) { return r.a == 3 && r.b && *r.b > 0; }},
      {{Key(2, strategy::kLessEqual, -40)}, [](const FakeRow& r) { return r.b && *r.b <= -40; }},
      {{is_null}, [](const FakeRow& r) { return !r.b; }},
      {{not_null, Key(1, strategy::kLess, 2)}, [](const FakeRow& r) { return r.a && *r.a < 2; }},
      {{Key(1, strategy::kEqual, 99)}, [](const FakeRow&) { return false; }},
  };
  for (size_t i = 0; i < cases.size(); ++i) {
    SCOPED_TRACE(testing::Message() << "case " << i);
    const std::vector<ItemPointer> expected = Expected(rows, cases[i].pred);
    scan->Rescan(cases[i].keys);
    EXPECT_EQ(Drain(*scan, ScanDirection::kForward), expected);
    scan->Rescan(cases[i].keys);
    std::vector<ItemPointer> backward = Drain(*scan, ScanDirection::kBackward);
    std::reverse(backward.begin(), backward.end());
    // Equal keys may come back in either order backwards only if the AM reorders ties; the
    // multimap keeps insertion order both ways.
    EXPECT_EQ(backward, expected);
  }
  EXPECT_FALSE(Expected(rows, cases[1].pred).empty());
  EXPECT_FALSE(Expected(rows, cases[5].pred).empty());
}

TEST_F(IndexAmTest, DirectionChangesAndMarkRestore) {
  const IndexRelation index = MakeIndex(30003, "t_a_idx");
  const IndexAm& am = IndexAmOf(index);
  am.BuildEmpty(index);
  for (int i = 1; i <= 10; ++i) {
    const Datum values[3] = {Int64GetDatum(i * 10), Int64GetDatum(0), Int64GetDatum(i)};
    const bool isnull[3] = {};
    ASSERT_TRUE(am.Insert(index, values, isnull, Tid(0, static_cast<uint16_t>(i)), heap_,
                          UniqueCheck::kNo));
  }
  std::unique_ptr<IndexScan> scan = am.BeginScan(index, 1, false);
  const ScanKey keys[] = {Key(1, strategy::kGreater, 20)};  // 30 .. 100: offsets 3 .. 10
  scan->Rescan(keys);
  IndexScanEntry e;
  ASSERT_TRUE(scan->GetNextTid(ScanDirection::kForward, &e));
  EXPECT_EQ(e.tid, Tid(0, 3));
  ASSERT_TRUE(scan->GetNextTid(ScanDirection::kForward, &e));
  EXPECT_EQ(e.tid, Tid(0, 4));
  scan->MarkPos();
  ASSERT_TRUE(scan->GetNextTid(ScanDirection::kForward, &e));
  EXPECT_EQ(e.tid, Tid(0, 5));
  ASSERT_TRUE(scan->GetNextTid(ScanDirection::kBackward, &e));  // turn around
  EXPECT_EQ(e.tid, Tid(0, 4));
  ASSERT_TRUE(scan->GetNextTid(ScanDirection::kBackward, &e));
  EXPECT_EQ(e.tid, Tid(0, 3));
  EXPECT_FALSE(scan->GetNextTid(ScanDirection::kBackward, &e));  // 20 does not match
  EXPECT_FALSE(scan->GetNextTid(ScanDirection::kBackward, &e));
  scan->RestorePos();
  ASSERT_TRUE(scan->GetNextTid(ScanDirection::kForward, &e));
  EXPECT_EQ(e.tid, Tid(0, 5));
  EXPECT_EQ(Drain(*scan, ScanDirection::kForward).size(), 5u);  // 6 .. 10
  ASSERT_TRUE(scan->GetNextTid(ScanDirection::kBackward, &e));   // back from past the end
  EXPECT_EQ(e.tid, Tid(0, 10));
}

TEST_F(IndexAmTest, IndexOnlyScanReturnsTheEntryValues) {
  const IndexRelation index = MakeIndex(30004, "t_a_b_incl_c");
  const IndexAm& am = IndexAmOf(index);
  am.BuildEmpty(index);
  const Datum values[3] = {Int64GetDatum(1), Int64GetDatum(0), Int64GetDatum(777)};
  const bool isnull[3] = {false, true, false};
  ASSERT_TRUE(am.Insert(index, values, isnull, Tid(4, 2), heap_, UniqueCheck::kNo));
  for (const bool want_itup : {false, true}) {
    std::unique_ptr<IndexScan> scan = am.BeginScan(index, 0, want_itup);
    scan->Rescan({});
    IndexScanEntry e;
    ASSERT_TRUE(scan->GetNextTid(ScanDirection::kForward, &e));
    EXPECT_EQ(e.tid, Tid(4, 2));
    if (!want_itup) {
      EXPECT_TRUE(e.values.empty());
      continue;
    }
    ASSERT_EQ(e.values.size(), 3u);
    ASSERT_EQ(e.isnull.size(), 3u);
    EXPECT_EQ(DatumGetInt64(e.values[0]), 1);
    EXPECT_TRUE(e.isnull[1]);
    EXPECT_EQ(DatumGetInt64(e.values[2]), 777);  // the INCLUDE column
  }
}

TEST_F(IndexAmTest, UniqueChecks) {
  const IndexRelation index = MakeIndex(30005, "t_pkey", /*unique=*/true);
  const IndexAm& am = IndexAmOf(index);
  // A unique build over duplicate live keys fails; a dead duplicate does not count.
  std::vector<FakeRow> rows = {{Tid(0, 1), 1, 1, 0}, {Tid(0, 2), 1, 1, 0, /*alive=*/false},
                               {Tid(0, 3), 2, 1, 0}, {Tid(0, 4), 2, {}, 0},
                               {Tid(0, 5), 2, {}, 0}};  // NULLs are distinct
  const IndexInfo info = MakeIndexInfo(index);
  FakeHeapSource ok_source(rows, info);
  EXPECT_EQ(am.Build(heap_, index, info, ok_source).index_tuples, 5);
  rows.push_back({Tid(0, 6), 2, 1, 0});
  FakeHeapSource dup_source(rows, info);
  try {
    (void)am.Build(heap_, index, info, dup_source);
    ADD_FAILURE();
  } catch (const Error& e) {
    EXPECT_EQ(e.sqlstate().code(), "23505");
    EXPECT_EQ(e.message(), "duplicate key value violates unique constraint \"t_pkey\"");
  }
  am.BuildEmpty(index);
  const Datum v[3] = {Int64GetDatum(5), Int64GetDatum(5), Int64GetDatum(0)};
  const bool n[3] = {};
  EXPECT_TRUE(am.Insert(index, v, n, Tid(1, 1), heap_, UniqueCheck::kYes));
  EXPECT_THROW((void)am.Insert(index, v, n, Tid(1, 2), heap_, UniqueCheck::kYes), Error);
  EXPECT_FALSE(am.Insert(index, v, n, Tid(1, 3), heap_, UniqueCheck::kPartial));  // deferred
  EXPECT_FALSE(am.Insert(index, v, n, Tid(1, 3), heap_, UniqueCheck::kExisting));
}

// ---- VACUUM -------------------------------------------------------------------------------------

TEST_F(IndexAmTest, BulkDeleteRemovesExactlyTheDeadTids) {
  std::vector<FakeRow> rows = RandomRows(500, 9);
  const IndexRelation index = MakeIndex(30006, "t_a_b_idx");
  const IndexInfo info = MakeIndexInfo(index);
  const IndexAm& am = IndexAmOf(index);
  FakeHeapSource source(rows, info);
  (void)am.Build(heap_, index, info, source);

  std::vector<ItemPointer> dead;
  for (size_t i = 0; i < rows.size(); i += 3) dead.push_back(rows[i].tid);
  std::sort(dead.begin(), dead.end());
  std::span<const ItemPointer> dead_span(dead);
  const IndexVacuumInfo vinfo{.index = &index, .heap = &heap_, .num_heap_tuples = 333};
  IndexBulkDeleteResult stats;
  am.BulkDelete(vinfo, &stats, TidIsInSortedSpan, &dead_span);
  EXPECT_EQ(stats.tuples_removed, static_cast<double>(dead.size()));
  EXPECT_EQ(stats.num_index_tuples, static_cast<double>(rows.size() - dead.size()));
  // A second call (VACUUM's dead-tid memory filled twice) accumulates.
  std::vector<ItemPointer> more = {rows[1].tid};
  std::span<const ItemPointer> more_span(more);
  am.BulkDelete(vinfo, &stats, TidIsInSortedSpan, &more_span);
  EXPECT_EQ(stats.tuples_removed, static_cast<double>(dead.size() + 1));
  am.VacuumCleanup(vinfo, &stats);
  EXPECT_EQ(stats.num_index_tuples, static_cast<double>(rows.size() - dead.size() - 1));

  std::unique_ptr<IndexScan> scan = am.BeginScan(index, 0, false);
  scan->Rescan({});
  std::vector<ItemPointer> left = Drain(*scan, ScanDirection::kForward);
  EXPECT_EQ(left.size(), rows.size() - dead.size() - 1);
  for (const ItemPointer& tid : left) {
    EXPECT_FALSE(std::binary_search(dead.begin(), dead.end(), tid));
    EXPECT_NE(tid, rows[1].tid);
  }
}

TEST_F(IndexAmTest, KillPriorHidesTheEntryFromLaterScans) {
  const IndexRelation index = MakeIndex(30007, "t_a_idx");
  const IndexAm& am = IndexAmOf(index);
  am.BuildEmpty(index);
  for (uint16_t i = 1; i <= 3; ++i) {
    const Datum values[3] = {Int64GetDatum(i), Int64GetDatum(0), Int64GetDatum(0)};
    const bool isnull[3] = {};
    ASSERT_TRUE(am.Insert(index, values, isnull, Tid(0, i), heap_, UniqueCheck::kNo));
  }
  std::unique_ptr<IndexScan> scan = am.BeginScan(index, 0, false);
  scan->Rescan({});
  IndexScanEntry e;
  ASSERT_TRUE(scan->GetNextTid(ScanDirection::kForward, &e));
  ASSERT_TRUE(scan->GetNextTid(ScanDirection::kForward, &e));
  scan->KillPrior();  // the heap said (0,2) is dead to everyone
  scan->Rescan({});
  EXPECT_EQ(Drain(*scan, ScanDirection::kForward), (std::vector<ItemPointer>{Tid(0, 1), Tid(0, 3)}));
}

// ---- scan key semantics -------------------------------------------------------------------------

TEST(ScanKeyTest, StrategiesAndNulls) {
  auto key = [](StrategyNumber s) {
    return ScanKey{.attno = 1, .strategy = s, .argument = Int64GetDatum(5),
                   .compare = CompareInt64};
  };
  const int64_t probe[] = {4, 5, 6};
  const bool expected[5][3] = {{true, false, false}, {true, true, false}, {false, true, false},
                               {false, true, true}, {false, false, true}};
  for (StrategyNumber s = 1; s <= 5; ++s) {
    for (int i = 0; i < 3; ++i) {
      EXPECT_EQ(ScanKeyMatches(key(s), Int64GetDatum(probe[i]), false), expected[s - 1][i])
          << "strategy " << s << " value " << probe[i];
    }
    EXPECT_FALSE(ScanKeyMatches(key(s), 0, true));  // NULL never satisfies an operator
    ScanKey null_arg = key(s);
    null_arg.flags = kSkIsNull;
    EXPECT_FALSE(ScanKeyMatches(null_arg, Int64GetDatum(5), false));
  }
  const ScanKey is_null{.attno = 1, .flags = kSkSearchNull};
  const ScanKey not_null{.attno = 1, .flags = kSkSearchNotNull};
  EXPECT_TRUE(ScanKeyMatches(is_null, 0, true));
  EXPECT_FALSE(ScanKeyMatches(is_null, 0, false));
  EXPECT_TRUE(ScanKeyMatches(not_null, 0, false));
  EXPECT_FALSE(ScanKeyMatches(not_null, 0, true));
  EXPECT_THROW((void)ScanKeyMatches(key(9), Int64GetDatum(1), false), Error);
}

// ---- the table-backed build source --------------------------------------------------------------

// A table AM over a vector of formed tuples: only BeginScan is used by index builds.
class VectorTableAm final : public TableAm {
 public:
  std::vector<HeapTuple> rows;

  std::string_view Name() const override { return "vector"; }
  void CreateStorage(const Relation&) const override {}
  bool NeedsToastTable(const TupleDesc&) const override { return false; }
  ItemPointer Insert(const Relation&, HeapTuple&, CommandId) const override { return Fail(); }
  void MultiInsert(const Relation&, std::span<HeapTuple>, CommandId) const override { Fail(); }
  TmResult Delete(const Relation&, ItemPointer, CommandId, const transam::Snapshot*, bool,
                  TmFailureData*) const override {
    Fail();
  }
  TmResult Update(const Relation&, ItemPointer, HeapTuple&, CommandId, const transam::Snapshot*,
                  bool, bool, TmFailureData*, UpdateIndexes*) const override {
    Fail();
  }
  TmResult LockTuple(const Relation&, ItemPointer, CommandId, RowLockMode, LockWaitPolicy,
                     HeapTuple*, TmFailureData*) const override {
    Fail();
  }
  bool FetchRowVersion(const Relation&, const transam::Snapshot&, ItemPointer,
                       HeapTuple*) const override {
    Fail();
  }
  std::unique_ptr<TableScan> BeginScan(const Relation&,
                                       const transam::Snapshot&) const override {
    return std::make_unique<Scan>(&rows);
  }
  std::unique_ptr<IndexFetch> BeginIndexFetch(const Relation&) const override { Fail(); }
  std::vector<std::byte> Detoast(const Relation&, const std::byte*,
                                 const transam::Snapshot&) const override {
    Fail();
  }
  BlockNumber RelationBlocks(const Relation&) const override { return BlockNumber(0); }
  TableSizeEstimate EstimateSize(const Relation&, const TableSizeHint&) const override {
    return {};
  }
  VacuumStats Vacuum(const Relation&, const VacuumParams&) const override { Fail(); }

 private:
  class Scan final : public TableScan {
   public:
    explicit Scan(const std::vector<HeapTuple>* rows) : rows_(rows) {}
    bool Next(HeapTupleView* out) override {
      if (next_ >= rows_->size()) return false;
      const HeapTuple& t = (*rows_)[next_];
      *out = {t.self, t.header(), t.size()};
      ++next_;
      return true;
    }
    void Rescan() override { next_ = 0; }

   private:
    const std::vector<HeapTuple>* rows_;
    size_t next_ = 0;
  };
  [[noreturn]] static ItemPointer Fail() { throw Error(sqlstate::kInternalError, "unused"); }
};

TEST(TableIndexBuildSourceTest, OffersTheIndexColumnsOfEveryRow) {
  static VectorTableAm table_am;  // registered for the process's life (TA11)
  constexpr Oid kVectorAmOid{16600};
  if (FindTableAm(kVectorAmOid) == nullptr) RegisterTableAm(kVectorAmOid, table_am);
  const TupleDesc desc({AttributeForType("x", type_oid::kInt4),
                        AttributeForType("name", type_oid::kText),
                        AttributeForType("y", type_oid::kInt8)});
  Relation heap;
  heap.id = Oid(20001);
  heap.name = "vt";
  heap.desc = &desc;
  heap.am = kVectorAmOid;
  table_am.rows.clear();
  for (int i = 0; i < 5; ++i) {
    const Datum values[3] = {Int32GetDatum(i * 10), 0, Int64GetDatum(-i)};
    const bool isnull[3] = {false, true, i == 3};  // "name" always NULL here
    HeapTuple t = HeapFormTuple(desc, values, isnull);
    t.self = Tid(0, static_cast<uint16_t>(i + 1));
    table_am.rows.push_back(std::move(t));
  }
  IndexInfo info;
  info.heap_attnos = {3, 1};  // an index on (y, x)
  info.key_columns = 2;
  const transam::Snapshot snapshot{};
  TableIndexBuildSource source(heap, info, snapshot);
  IndexBuildRow row;
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(source.Next(&row));
    EXPECT_EQ(row.tid, Tid(0, static_cast<uint16_t>(i + 1)));
    ASSERT_EQ(row.values.size(), 2u);
    EXPECT_EQ(row.isnull[0], i == 3);
    if (i != 3) {
      EXPECT_EQ(DatumGetInt64(row.values[0]), -i);
    }
    EXPECT_FALSE(row.isnull[1]);
    EXPECT_EQ(DatumGetInt32(row.values[1]), i * 10);
    EXPECT_TRUE(row.alive);
  }
  EXPECT_FALSE(source.Next(&row));
  info.heap_attnos = {0};
  EXPECT_THROW(TableIndexBuildSource(heap, info, snapshot), Error);
}

}  // namespace
}  // namespace keel::access
