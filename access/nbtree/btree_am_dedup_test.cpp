// The btree index AM with deduplication (IndexColumn::equal_image reaching BT23): posting lists
// made through Build and Insert, scans / index-only scans / direction changes / mark-restore
// and the unique-check modes over them, no lists in unique indexes; page-deletion counts in
// BulkDelete's result; BuildEmpty writing the init fork. README.md ("Index-AM interface",
// "Tests").
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <random>
#include <set>

#include "access/nbtree/bt_test_util.h"
#include "access/nbtree/btree_am_test_util.h"
#include "access/nbtree/nbtree_internal.h"
#include "backend/utils/error/error.h"
#include "storage/buffer/bufmgr.h"
#include "storage/smgr/smgr.h"

namespace keel::access::nbtree {
namespace {

using keel::testing::ServerHarness;
using storage::ItemPointer;
using testing::AmIndex;
using testing::AmRow;
using testing::AmTable;

// The BtIndex an AmIndex stands for, built by hand (for the verifier and page walks).
struct DirectView {
  IndexKeyDesc keys;
  BtIndex bt;
  explicit DirectView(const AmIndex& idx) {
    keys.tupdesc = &idx.desc;
    for (int i = 0; i < idx.rel.key_columns; ++i) {
      const IndexColumn& c = idx.rel.columns[static_cast<size_t>(i)];
      keys.keys.push_back(
          IndexKeyColumn{c.compare, c.compare_arg, c.output, c.descending, c.nulls_first, c.equal_image});
    }
    bt = BtIndex{idx.rel.rel, &keys, idx.rel.unique};
  }
  DirectView(const DirectView&) = delete;
  DirectView& operator=(const DirectView&) = delete;
};

BtVerifyStats VerifyIndex(const AmIndex& idx) {
  const DirectView view(idx);
  BtVerifyStats st;
  const std::vector<std::string> problems = BtVerify(view.bt, {}, &st);
  EXPECT_TRUE(problems.empty()) << idx.rel.rel.name << "\n" << testing::Join(problems);
  return st;
}

// Heap tids of the leaf items that are plain entries (not inside a posting list).
std::set<ItemPointer> PlainEntries(const AmIndex& idx) {
  using namespace internal;  // NOLINT: page layout helpers
  const DirectView view(idx);
  std::set<ItemPointer> plain;
  LockedPage page(view.bt, BlockNumber(LeftmostAtLevel(view.bt, 0)), storage::BufferLockMode::kShare);
  for (;;) {
    const storage::Page p = page.page();
    for (storage::OffsetNumber off = FirstData(p); off <= MaxOff(p); ++off) {
      if (!IsPosting(Item(p, off))) plain.insert(Item(p, off)->Tid());
    }
    if (IsRightmost(p)) return plain;
    page = LockedPage(view.bt, BlockNumber(Opaque(p)->right), storage::BufferLockMode::kShare);
  }
}

ScanKey OpKey(const AmIndex& idx, AttrNumber attno, StrategyNumber s, Datum arg) {
  const IndexColumn& c = idx.rel.columns[static_cast<size_t>(attno - 1)];
  return ScanKey{.attno = attno, .strategy = s, .argument = arg, .compare = c.compare,
                 .compare_arg = c.compare_arg};
}

std::vector<ItemPointer> Tids(const std::vector<AmRow>& rows) {
  std::vector<ItemPointer> out;
  for (const AmRow& r : rows) out.push_back(r.tid);
  return out;
}

// `rows` committed rows: a in 0..kValues-1 (10% NULL), b one of 4 texts, c the row number.
constexpr int kValues = 25;
void FillDuplicates(AmTable& t, int rows, uint32_t seed) {
  std::mt19937 rng(seed);
  transam::StartTransaction();
  for (int i = 0; i < rows; ++i) {
    std::optional<int32_t> a;
    if (rng() % 10 != 0) a = static_cast<int32_t>(rng() % kValues);
    (void)t.Insert(a, "v" + std::to_string(rng() % 4), i);
  }
  transam::CommitTransaction();
}

// A heap row (a, "x", c) inserted through the table AM only, in the caller's transaction.
ItemPointer HeapOnlyRow(AmTable& t, int32_t a, int64_t c) {
  const std::vector<std::byte> text = AmTable::Text("x");
  const Datum v[3] = {Int32GetDatum(a), PointerGetDatum(text.data()), Int64GetDatum(c)};
  const bool n[3] = {false, false, false};
  HeapTuple tup = HeapFormTuple(t.desc, v, n);
  return TableAmOf(t.heap).Insert(t.heap, tup, transam::GetCurrentCommandId(true));
}

bool AmInsert(AmTable& t, const AmIndex& idx, int32_t a, ItemPointer tid, UniqueCheck check) {
  const Datum v = Int32GetDatum(a);
  const bool n = false;
  return IndexAmOf(idx.rel).Insert(idx.rel, std::span<const Datum>(&v, 1), std::span<const bool>(&n, 1), tid,
                                   t.heap, check);
}

class BtreeAmDedupTest : public ::testing::Test {
 protected:
  void SetUp() override {
    t_.CreateHeap();
    FillDuplicates(t_, 6000, 11);
    a_ = &t_.Describe(16390, "t_a_idx", {{1}});
    a_desc_ = &t_.Describe(16391, "t_a_desc_idx", {{1, true, false}});
    for (AmIndex* idx : {a_, a_desc_}) {
      const IndexBuildResult r = t_.Build(*idx);
      EXPECT_EQ(r.index_tuples, 6000);
    }
    FillDuplicates(t_, 3000, 12);  // through the AM's Insert as well
  }

  std::vector<AmRow> Expected(const AmIndex& idx, const std::vector<ScanKey>& keys) {
    return AmTable::Expected(idx, t_.Visible(transam::GetTransactionSnapshot()), keys);
  }

  ServerHarness harness_;
  AmTable t_;
  AmIndex* a_ = nullptr;
  AmIndex* a_desc_ = nullptr;
};

TEST_F(BtreeAmDedupTest, BuildAndInsertMakePostingLists) {
  ASSERT_TRUE(a_->rel.columns[0].equal_image);
  for (const AmIndex* idx : {a_, a_desc_}) {
    const BtVerifyStats st = VerifyIndex(*idx);
    EXPECT_EQ(st.leaf_entries, 9000u);
    EXPECT_GT(st.posting_tuples, 0u) << idx->rel.rel.name;
  }
  const uint64_t dedup_pages = VerifyIndex(*a_).pages;
  // The same rows under a comparator without equal_image stay plain (nothing else differs).
  AmIndex& plain = t_.Describe(16393, "t_a_plain_idx", {{1}});
  plain.rel.columns[0].equal_image = false;
  (void)t_.Build(plain);
  const BtVerifyStats sp = VerifyIndex(plain);
  EXPECT_EQ(sp.posting_tuples, 0u);
  EXPECT_EQ(sp.leaf_entries, 9000u);
  fprintf(stderr, "pages: %llu with deduplication, %llu without\n", static_cast<unsigned long long>(dedup_pages),
          static_cast<unsigned long long>(sp.pages));
  EXPECT_GE(sp.pages, 2 * dedup_pages);
}

TEST_F(BtreeAmDedupTest, ScansOverPostingListsMatchTheHeap) {
  transam::StartTransaction();
  for (const AmIndex* idx : {a_, a_desc_}) {
    const std::vector<std::vector<ScanKey>> key_sets = {
        {},
        {OpKey(*idx, 1, strategy::kEqual, Int32GetDatum(7))},
        {OpKey(*idx, 1, strategy::kEqual, Int32GetDatum(0))},
        {OpKey(*idx, 1, strategy::kLess, Int32GetDatum(5))},
        {OpKey(*idx, 1, strategy::kGreaterEqual, Int32GetDatum(20))},
        {OpKey(*idx, 1, strategy::kGreater, Int32GetDatum(3)), OpKey(*idx, 1, strategy::kLessEqual, Int32GetDatum(6))},
        {ScanKey{.attno = 1, .flags = kSkSearchNull}},
    };
    for (const std::vector<ScanKey>& keys : key_sets) {
      const std::vector<AmRow> want = Expected(*idx, keys);
      std::map<ItemPointer, AmRow> by_tid;
      for (const AmRow& r : want) by_tid[r.tid] = r;
      for (bool itup : {false, true}) {
        for (access::ScanDirection dir : {access::ScanDirection::kForward, access::ScanDirection::kBackward}) {
          auto scan = IndexAmOf(idx->rel).BeginScan(idx->rel, static_cast<int>(keys.size()), itup);
          scan->Rescan(keys);
          std::vector<ItemPointer> got;
          IndexScanEntry e;
          while (scan->GetNextTid(dir, &e)) {
            got.push_back(e.tid);
            if (!itup) continue;
            const auto it = by_tid.find(e.tid);
            ASSERT_NE(it, by_tid.end());
            ASSERT_EQ(e.values.size(), 1u);
            ASSERT_EQ(e.isnull[0], !it->second.a.has_value());
            if (it->second.a) {
              EXPECT_EQ(DatumGetInt32(e.values[0]), *it->second.a);
            }
          }
          std::vector<ItemPointer> expect = Tids(want);
          if (dir == access::ScanDirection::kBackward) std::reverse(expect.begin(), expect.end());
          EXPECT_EQ(got, expect) << idx->rel.rel.name << " keys " << keys.size() << " itup " << itup;
        }
      }
    }
  }
  transam::CommitTransaction();
}

// Direction changes and mark/restore inside posting lists, against a position model (IX10).
TEST_F(BtreeAmDedupTest, DirectionChangesAndMarksInsideLists) {
  transam::StartTransaction();
  const std::vector<ScanKey> keys = {OpKey(*a_, 1, strategy::kGreaterEqual, Int32GetDatum(9)),
                                     OpKey(*a_, 1, strategy::kLessEqual, Int32GetDatum(10))};
  const std::vector<ItemPointer> all = Tids(Expected(*a_, keys));
  ASSERT_GT(all.size(), 400u);
  const ptrdiff_t n = static_cast<ptrdiff_t>(all.size());
  auto scan = IndexAmOf(a_->rel).BeginScan(a_->rel, 2, true);
  scan->Rescan(keys);
  std::mt19937 rng(5);
  ptrdiff_t pos = 0;  // model: index of the entry returned last; -1 / n off either end
  bool started = false;
  ptrdiff_t mark = 0;
  bool marked = false;
  int run = 0;
  bool forward = true;
  for (int step = 0; step < 6000; ++step) {
    const uint32_t r = rng() % 100;
    if (r < 2 && started) {
      scan->MarkPos();
      mark = pos;
      marked = true;
      continue;
    }
    if (r < 4 && marked) {
      scan->RestorePos();
      pos = mark;
      continue;
    }
    // Runs of one direction, long enough to cross lists and leaves and to reach both ends.
    if (run == 0) {
      run = 1 + static_cast<int>(rng() % 150);
      forward = rng() % 2 == 0;
    }
    --run;
    ptrdiff_t want;
    if (!started) {
      want = forward ? 0 : n - 1;
    } else {
      want = forward ? std::min(pos + 1, n) : std::max(pos - 1, ptrdiff_t{-1});
    }
    IndexScanEntry e;
    const bool got = scan->GetNextTid(forward ? access::ScanDirection::kForward : access::ScanDirection::kBackward, &e);
    started = true;
    pos = want;
    if (want < 0 || want >= n) {
      ASSERT_FALSE(got) << "step " << step;
    } else {
      ASSERT_TRUE(got) << "step " << step;
      ASSERT_EQ(e.tid, all[static_cast<size_t>(want)]) << "step " << step;
    }
  }
  transam::CommitTransaction();
}

// kYes / kPartial / kExisting on an index whose live rows of a key are all inside posting
// lists (the AM allows them on any btree index; they must look at every tid of a list).
TEST_F(BtreeAmDedupTest, UniqueCheckModesSeeInsideLists) {
  constexpr int32_t kKey = 13;
  const std::set<ItemPointer> plain = PlainEntries(*a_);
  transam::StartTransaction();
  std::vector<ItemPointer> in_lists;
  for (const AmRow& r : t_.Visible(transam::GetTransactionSnapshot())) {
    if (r.a != kKey) continue;
    if (plain.count(r.tid) != 0) {
      TmFailureData f;
      ASSERT_EQ(TableAmOf(t_.heap).Delete(t_.heap, r.tid, transam::GetCurrentCommandId(true), nullptr, true, &f),
                TmResult::kOk);
    } else {
      in_lists.push_back(r.tid);
    }
  }
  transam::CommitTransaction();
  ASSERT_GT(in_lists.size(), 50u);

  transam::StartTransaction();
  const ItemPointer fresh = HeapOnlyRow(t_, kKey, 100000);
  try {
    (void)AmInsert(t_, *a_, kKey, fresh, UniqueCheck::kYes);
    ADD_FAILURE() << "kYes missed the live rows inside posting lists";
  } catch (const keel::Error& e) {
    EXPECT_EQ(std::string(e.sqlstate().code()), "23505");
    EXPECT_EQ(e.detail(), "Key (a)=(13) already exists.");
  }
  transam::AbortTransaction();

  transam::StartTransaction();
  const ItemPointer partial = HeapOnlyRow(t_, kKey, 100001);
  EXPECT_FALSE(AmInsert(t_, *a_, kKey, partial, UniqueCheck::kPartial));
  EXPECT_FALSE(AmInsert(t_, *a_, kKey, in_lists[in_lists.size() / 2], UniqueCheck::kExisting));
  transam::AbortTransaction();

  // All but one row of the key gone: that one is unique again.
  transam::StartTransaction();
  for (size_t i = 1; i < in_lists.size(); ++i) {
    TmFailureData f;
    ASSERT_EQ(TableAmOf(t_.heap).Delete(t_.heap, in_lists[i], transam::GetCurrentCommandId(true), nullptr, true, &f),
              TmResult::kOk);
  }
  transam::CommitTransaction();
  transam::StartTransaction();
  EXPECT_TRUE(AmInsert(t_, *a_, kKey, in_lists[0], UniqueCheck::kExisting));
  transam::CommitTransaction();
  (void)VerifyIndex(*a_);
}

// A unique index given equal keys through the calls that insert without the check (kNo,
// kPartial: deferrable constraints) never gets posting lists (BT23), and kYes / kExisting still
// see every live row.
TEST(BtreeAmDedupUniqueTest, UniqueIndexNeverDeduplicates) {
  ServerHarness harness;
  AmTable t;
  t.CreateHeap();
  AmIndex& idx = t.Describe(16392, "t_a_key", {{1}}, {}, true);
  ASSERT_TRUE(idx.rel.columns[0].equal_image);
  (void)t.Build(idx);
  transam::StartTransaction();
  for (int i = 0; i < 3000; ++i) (void)t.Insert(i % 10, "x", i, i % 2 == 0 ? UniqueCheck::kNo : UniqueCheck::kPartial);
  transam::CommitTransaction();
  const BtVerifyStats st = VerifyIndex(idx);
  EXPECT_EQ(st.leaf_entries, 3000u);
  EXPECT_GE(st.pages, 6u);
  EXPECT_EQ(st.posting_tuples, 0u);
  transam::StartTransaction();
  const ItemPointer tid = HeapOnlyRow(t, 4, 5000);
  EXPECT_THROW((void)AmInsert(t, idx, 4, tid, UniqueCheck::kYes), keel::Error);
  transam::AbortTransaction();
  transam::StartTransaction();
  const std::vector<AmRow> rows = t.Visible(transam::GetTransactionSnapshot());
  EXPECT_FALSE(AmInsert(t, idx, *rows[5].a, rows[5].tid, UniqueCheck::kExisting));
  transam::CommitTransaction();
}

// BulkDelete / VacuumCleanup report page deletion: pages this VACUUM deleted (newly deleted and
// not yet reusable), and in a later VACUUM those pages as free.
TEST(BtreeAmVacuumStatsTest, PageDeletionCountsReachTheResult) {
  ServerHarness harness;
  AmTable t;
  t.CreateHeap();
  AmIndex& idx = t.Describe(16392, "t_c_key", {{3}}, {}, true);
  (void)t.Build(idx);
  constexpr int kRows = 20000;
  transam::StartTransaction();
  for (int i = 0; i < kRows; ++i) (void)t.Insert(i % 7, "x", i, UniqueCheck::kYes);
  transam::CommitTransaction();
  transam::StartTransaction();
  std::vector<ItemPointer> dead;
  for (const AmRow& r : t.Visible(transam::GetTransactionSnapshot())) {
    if (r.c >= 1000 && r.c < kRows - 1000) dead.push_back(r.tid);
  }
  transam::CommitTransaction();
  std::sort(dead.begin(), dead.end());
  std::span<const ItemPointer> span(dead);
  IndexVacuumInfo info;
  info.index = &idx.rel;
  info.heap = &t.heap;
  IndexBulkDeleteResult result;
  transam::StartTransaction();
  IndexAmOf(idx.rel).BulkDelete(info, &result, TidIsInSortedSpan, &span);
  IndexAmOf(idx.rel).VacuumCleanup(info, &result);
  transam::CommitTransaction();
  EXPECT_EQ(result.tuples_removed, static_cast<double>(dead.size()));
  const BtVerifyStats st = VerifyIndex(idx);
  ASSERT_GT(st.deleted_pages, 10u);
  EXPECT_EQ(result.pages_newly_deleted.value(), st.deleted_pages);
  EXPECT_EQ(result.pages_deleted.value(), st.deleted_pages);
  EXPECT_EQ(result.pages_free.value(), 0u) << "deleted pages are not reusable in the same VACUUM";
  // A later VACUUM, once an xid was used after the deletion: every deleted page is free.
  transam::StartTransaction();
  (void)t.Insert(0, "x", kRows + 1, UniqueCheck::kYes);
  transam::CommitTransaction();
  IndexBulkDeleteResult later;
  transam::StartTransaction();
  IndexAmOf(idx.rel).VacuumCleanup(info, &later);
  transam::CommitTransaction();
  EXPECT_EQ(later.pages_newly_deleted.value(), 0u);
  EXPECT_EQ(later.pages_free.value(), st.deleted_pages);
}

// BuildEmpty writes the init fork (meta page + empty root leaf) and leaves the main fork alone;
// a fork that already holds blocks is refused before anything is added to it.
TEST(BtreeAmBuildEmptyTest, WritesTheInitFork) {
  using namespace internal;  // NOLINT: page layout helpers
  ServerHarness harness;
  AmTable t;
  t.CreateHeap();
  AmIndex& idx = t.Describe(16395, "t_a_unlogged_idx", {{1}});
  const RelFileLocator& loc = idx.rel.rel.locator;
  transam::StartTransaction();
  IndexAmOf(idx.rel).BuildEmpty(idx.rel);
  transam::CommitTransaction();
  EXPECT_FALSE(storage::SmgrExists(loc, ForkNumber::kMain));
  ASSERT_TRUE(storage::SmgrExists(loc, ForkNumber::kInit));
  ASSERT_EQ(storage::SmgrNBlocks(loc, ForkNumber::kInit).value(), 2u);
  {
    storage::PinnedBuffer meta(storage::ReadBuffer(loc, ForkNumber::kInit, BlockNumber(0)));
    const BtMetaData* m = Meta(storage::BufferGetPage(meta.get()));
    EXPECT_EQ(m->magic, kBtMagic);
    EXPECT_EQ(m->root, 1u);
    EXPECT_EQ(m->level, 0u);
    storage::PinnedBuffer root(storage::ReadBuffer(loc, ForkNumber::kInit, BlockNumber(1)));
    const storage::Page p = storage::BufferGetPage(root.get());
    EXPECT_EQ(Opaque(p)->flags, kBtLeaf | kBtRoot);
    EXPECT_EQ(MaxOff(p), 0);
  }
  transam::StartTransaction();
  try {
    IndexAmOf(idx.rel).BuildEmpty(idx.rel);
    ADD_FAILURE() << "a second BuildEmpty was accepted";
  } catch (const keel::Error& e) {
    EXPECT_EQ(std::string(e.sqlstate().code()), "XX000");
    EXPECT_EQ(std::string(e.message()), "index \"t_a_unlogged_idx\" already contains data");
  }
  transam::AbortTransaction();
  EXPECT_EQ(storage::SmgrNBlocks(loc, ForkNumber::kInit).value(), 2u) << "the refused call extended the fork";
  // The main fork is still built normally, and refused the same way once it has data.
  (void)t.Build(idx);
  ASSERT_EQ(storage::SmgrNBlocks(loc, ForkNumber::kMain).value(), 2u);
  const DirectView view(idx);
  transam::StartTransaction();
  EXPECT_THROW(BtCreateIndex(view.bt), keel::Error);
  transam::AbortTransaction();
  EXPECT_EQ(storage::SmgrNBlocks(loc, ForkNumber::kMain).value(), 2u);
  EXPECT_EQ(storage::SmgrNBlocks(loc, ForkNumber::kInit).value(), 2u);
}

}  // namespace
}  // namespace keel::access::nbtree
