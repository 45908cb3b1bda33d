// The heap through the table access method interface only (TableAmOf), over the real buffer
// pool and shared state (tests/server harness): insert / multi-insert / scan / fetch, updates
// and their index outcome, index fetches along HOT chains, deletes, row locks against another
// backend, VACUUM with index cleanup, TOAST, size estimates. README.md ("Tests").
#include "access/table/tableam.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "access/common/datum.h"
#include "access/common/heap_form.h"
#include "access/common/tuple_desc.h"
#include "access/common/varlena.h"
#include "access/heap/heap_test_util.h"  // MakeTuple / Payload / Channel: test plumbing only
#include "access/heap/heap_toast.h"      // ToastRelationDesc: the TOAST relation's layout
#include "access/heap/vacuum.h"          // VacuumParams / VacuumStats
#include "access/transam/xact.h"
#include "backend/utils/error/error.h"
#include "tests/server/server_harness.h"

namespace keel::access {
namespace {

using keel::testing::ServerHarness;
using storage::ItemPointer;
using testing::MakeTuple;
using testing::Payload;

// Every test gets relation numbers of its own, so no per-process cache (the heap's insert
// target) can remember a relation of an earlier test's data directory.
uint32_t NextRelNumber() {
  static uint32_t next = 16384;
  return next++;
}

class TableAmHeapTest : public ::testing::Test {
 protected:
  TableAmHeapTest() : rel_(ServerHarness::TestRelation(NextRelNumber(), "t")) { Create(rel_); }

  static void Create(const Relation& rel) {
    transam::StartTransaction();
    TableAmOf(rel).CreateStorage(rel);
    transam::CommitTransaction();
  }

  const TableAm& am() const { return TableAmOf(rel_); }

  ItemPointer InsertCommitted(const std::string& payload) {
    transam::StartTransaction();
    HeapTuple t = MakeTuple(payload);
    const ItemPointer tid = am().Insert(rel_, t, transam::GetCurrentCommandId(true));
    transam::CommitTransaction();
    return tid;
  }

  std::vector<ItemPointer> MultiInsertCommitted(int rows, const std::string& prefix) {
    std::vector<HeapTuple> tuples;
    for (int i = 0; i < rows; ++i) tuples.push_back(MakeTuple(prefix + std::to_string(i)));
    transam::StartTransaction();
    am().MultiInsert(rel_, tuples, transam::GetCurrentCommandId(true));
    transam::CommitTransaction();
    std::vector<ItemPointer> tids;
    for (const HeapTuple& t : tuples) tids.push_back(t.self);
    return tids;
  }

  std::map<ItemPointer, std::string> ScanAll(const transam::Snapshot& snapshot) {
    std::map<ItemPointer, std::string> out;
    std::unique_ptr<TableScan> scan = am().BeginScan(rel_, snapshot);
    HeapTupleView v;
    while (scan->Next(&v)) EXPECT_TRUE(out.emplace(v.self, Payload(v)).second);
    return out;
  }

  std::multiset<std::string> ScanCommitted() {
    transam::StartTransaction();
    std::multiset<std::string> out;
    for (const auto& [tid, payload] : ScanAll(transam::GetTransactionSnapshot())) {
      out.insert(payload);
    }
    transam::CommitTransaction();
    return out;
  }

  // A snapshot that sees everything committed so far and nothing after.
  static transam::Snapshot SnapshotNow() {
    transam::StartTransaction();
    transam::Snapshot s = transam::GetTransactionSnapshot();
    transam::CommitTransaction();
    return s;
  }

  ServerHarness harness_;
  Relation rel_;
};

TEST_F(TableAmHeapTest, RelationsUseTheHeapByDefault) {
  EXPECT_EQ(rel_.am, kHeapTableAmOid);
  EXPECT_EQ(&am(), &GetHeapTableAm());
  EXPECT_EQ(&GetTableAm(Oid(2)), &GetHeapTableAm());
  EXPECT_EQ(am().Name(), "heap");
  EXPECT_EQ(GetTableAmOid("heap"), kHeapTableAmOid);
}

TEST_F(TableAmHeapTest, InsertMultiInsertScanAndFetchRoundTrip) {
  std::map<ItemPointer, std::string> expected;
  expected.emplace(InsertCommitted("single"), "single");
  std::vector<HeapTuple> tuples;
  for (int i = 0; i < 1500; ++i) {
    const std::string pad(static_cast<size_t>(i % 40), 'x');
    tuples.push_back(MakeTuple("m" + std::to_string(i) + pad));
  }
  transam::StartTransaction();
  am().MultiInsert(rel_, tuples, transam::GetCurrentCommandId(true));
  transam::CommitTransaction();
  for (const HeapTuple& t : tuples) {
    ASSERT_TRUE(t.self.valid());
    EXPECT_TRUE(expected.emplace(t.self, Payload(t)).second) << "tid reused";
  }
  EXPECT_GT(am().RelationBlocks(rel_).value(), 5u);

  // An aborted multi-insert leaves nothing visible.
  std::vector<HeapTuple> aborted{MakeTuple("gone1"), MakeTuple("gone2")};
  transam::StartTransaction();
  am().MultiInsert(rel_, aborted, transam::GetCurrentCommandId(true));
  transam::AbortTransaction();

  transam::StartTransaction();
  const transam::Snapshot& snap = transam::GetTransactionSnapshot();
  EXPECT_EQ(ScanAll(snap), expected);  // a std::map: also proves tids are unique
  {
    std::unique_ptr<TableScan> scan = am().BeginScan(rel_, snap);
    HeapTupleView v;
    ItemPointer prev;
    int n = 0;
    while (scan->Next(&v)) {
      if (n++ > 0) {
        EXPECT_LT(prev, v.self);  // physical order
      }
      prev = v.self;
    }
    EXPECT_EQ(n, static_cast<int>(expected.size()));
    EXPECT_FALSE(scan->Next(&v));  // stays at the end
    scan->Rescan();
    int again = 0;
    while (scan->Next(&v)) ++again;
    EXPECT_EQ(again, n);
  }
  for (const auto& [tid, payload] : expected) {
    HeapTuple out;
    ASSERT_TRUE(am().FetchRowVersion(rel_, snap, tid, &out));
    EXPECT_EQ(Payload(out), payload);
    EXPECT_EQ(out.self, tid);
    EXPECT_EQ(out.table, rel_.id);
  }
  HeapTuple out;
  EXPECT_FALSE(am().FetchRowVersion(rel_, snap, aborted[0].self, &out));
  EXPECT_FALSE(am().FetchRowVersion(rel_, snap, {BlockNumber(100000), 1}, &out));
  transam::CommitTransaction();
}

TEST_F(TableAmHeapTest, UpdateSaysWhetherIndexesNeedEntriesAndIndexFetchFollowsChains) {
  const ItemPointer root = InsertCommitted("v0");
  const transam::Snapshot s0 = SnapshotNow();

  // No indexed column changed: HOT, the indexes' entry for root still finds the new version.
  transam::StartTransaction();
  HeapTuple v1 = MakeTuple("v1");
  TmFailureData tmfd;
  UpdateIndexes update_indexes = UpdateIndexes::kAll;
  ASSERT_EQ(am().Update(rel_, root, v1, transam::GetCurrentCommandId(true), nullptr, true,
                        /*indexed_columns_changed=*/false, &tmfd, &update_indexes),
            TmResult::kOk);
  EXPECT_EQ(update_indexes, UpdateIndexes::kNone);
  EXPECT_EQ(v1.self.block, root.block);
  EXPECT_NE(v1.self, root);
  transam::CommitTransaction();
  const transam::Snapshot s1 = SnapshotNow();

  // An indexed column changed: the new version needs index entries of its own.
  transam::StartTransaction();
  HeapTuple v2 = MakeTuple("v2");
  update_indexes = UpdateIndexes::kNone;
  ASSERT_EQ(am().Update(rel_, v1.self, v2, transam::GetCurrentCommandId(true), nullptr, true,
                        /*indexed_columns_changed=*/true, &tmfd, &update_indexes),
            TmResult::kOk);
  EXPECT_EQ(update_indexes, UpdateIndexes::kAll);
  transam::CommitTransaction();
  const transam::Snapshot s2 = SnapshotNow();

  transam::StartTransaction();
  std::unique_ptr<IndexFetch> fetch = am().BeginIndexFetch(rel_);
  HeapTuple out;
  ASSERT_TRUE(fetch->Fetch(s0, root, &out));
  EXPECT_EQ(Payload(out), "v0");
  EXPECT_EQ(out.self, root);
  ASSERT_TRUE(fetch->Fetch(s1, root, &out));
  EXPECT_EQ(Payload(out), "v1");
  EXPECT_EQ(out.self, v1.self);  // the version found, not the entry's tid
  EXPECT_FALSE(fetch->Fetch(s2, root, &out));  // v2 is reached only through its own entries
  ASSERT_TRUE(fetch->Fetch(s2, v2.self, &out));
  EXPECT_EQ(Payload(out), "v2");
  EXPECT_FALSE(fetch->Fetch(s2, v1.self, &out));  // a HOT member is no index entry's target
  // FetchRowVersion looks at exactly the tid it is given.
  EXPECT_FALSE(am().FetchRowVersion(rel_, s1, root, &out));
  ASSERT_TRUE(am().FetchRowVersion(rel_, s1, v1.self, &out));
  EXPECT_EQ(Payload(out), "v1");

  // Updating a superseded version reports the successor; the indexes are left alone.
  HeapTuple late = MakeTuple("late");
  update_indexes = UpdateIndexes::kAll;
  EXPECT_EQ(am().Update(rel_, root, late, transam::GetCurrentCommandId(true), nullptr, true, false,
                        &tmfd, &update_indexes),
            TmResult::kUpdated);
  EXPECT_EQ(tmfd.ctid, v1.self);
  EXPECT_EQ(update_indexes, UpdateIndexes::kNone);
  transam::CommitTransaction();
  EXPECT_EQ(ScanCommitted(), (std::multiset<std::string>{"v2"}));
}

TEST_F(TableAmHeapTest, LockThenDeleteThenDeletedAgain) {
  const ItemPointer tid = InsertCommitted("row");
  const ItemPointer other = InsertCommitted("other");
  transam::StartTransaction();
  HeapTuple locked;
  TmFailureData tmfd;
  ASSERT_EQ(am().LockTuple(rel_, tid, transam::GetCurrentCommandId(false), RowLockMode::kExclusive,
                           LockWaitPolicy::kBlock, &locked, &tmfd),
            TmResult::kOk);
  EXPECT_EQ(Payload(locked), "row");
  EXPECT_EQ(locked.self, tid);
  ASSERT_EQ(am().Delete(rel_, tid, transam::GetCurrentCommandId(true), nullptr, true, &tmfd),
            TmResult::kOk);
  transam::CommandCounterIncrement();
  HeapTuple out;
  EXPECT_FALSE(am().FetchRowVersion(rel_, transam::GetTransactionSnapshot(), tid, &out));
  transam::CommitTransaction();
  EXPECT_EQ(ScanCommitted(), (std::multiset<std::string>{"other"}));

  transam::StartTransaction();
  EXPECT_EQ(am().Delete(rel_, tid, transam::GetCurrentCommandId(true), nullptr, true, &tmfd),
            TmResult::kDeleted);
  EXPECT_EQ(tmfd.ctid, tid);
  EXPECT_EQ(am().LockTuple(rel_, tid, transam::GetCurrentCommandId(false), RowLockMode::kShare,
                           LockWaitPolicy::kBlock, &locked, &tmfd),
            TmResult::kDeleted);
  EXPECT_EQ(am().Delete(rel_, other, transam::GetCurrentCommandId(true), nullptr, true, &tmfd),
            TmResult::kOk);
  transam::AbortTransaction();
  EXPECT_EQ(ScanCommitted(), (std::multiset<std::string>{"other"}));
}

// Another backend holds the row FOR UPDATE: the wait policies behave as documented, and the
// lock is ours once it commits.
TEST_F(TableAmHeapTest, LockWaitPoliciesAgainstAnotherBackend) {
  const ItemPointer tid = InsertCommitted("contended");
  testing::Channel ch;
  const Relation rel = rel_;
  const pid_t child = harness_.ForkBackend([&ch, rel, tid]() -> int {
    transam::StartTransaction();
    HeapTuple locked;
    TmFailureData tmfd;
    if (TableAmOf(rel).LockTuple(rel, tid, transam::GetCurrentCommandId(false),
                                 RowLockMode::kExclusive, LockWaitPolicy::kBlock, &locked,
                                 &tmfd) != TmResult::kOk) {
      return 1;
    }
    ch.SendToParent(1);
    if (!ch.RecvInChild()) return 2;
    transam::CommitTransaction();
    ch.SendToParent(2);
    return 0;
  });
  ASSERT_EQ(ch.RecvInParent(), std::optional<uint64_t>(1));

  transam::StartTransaction();
  HeapTuple locked;
  TmFailureData tmfd;
  const CommandId cid = transam::GetCurrentCommandId(false);
  EXPECT_EQ(am().LockTuple(rel_, tid, cid, RowLockMode::kShare, LockWaitPolicy::kSkip, &locked,
                           &tmfd),
            TmResult::kWouldBlock);
  try {
    (void)am().LockTuple(rel_, tid, cid, RowLockMode::kKeyShare, LockWaitPolicy::kError, &locked,
                         &tmfd);
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.sqlstate(), sqlstate::kLockNotAvailable);
    EXPECT_EQ(e.message(), "could not obtain lock on row in relation \"t\"");
  }
  EXPECT_EQ(am().Delete(rel_, tid, transam::GetCurrentCommandId(true), nullptr, /*wait=*/false,
                        &tmfd),
            TmResult::kBeingModified);
  transam::AbortTransaction();

  ch.SendToChild(1);
  ASSERT_EQ(ch.RecvInParent(), std::optional<uint64_t>(2));
  EXPECT_EQ(harness_.Wait(child), 0);
  transam::StartTransaction();
  EXPECT_EQ(am().LockTuple(rel_, tid, transam::GetCurrentCommandId(false), RowLockMode::kExclusive,
                           LockWaitPolicy::kError, &locked, &tmfd),
            TmResult::kOk);
  EXPECT_EQ(Payload(locked), "contended");
  transam::CommitTransaction();
}

TEST_F(TableAmHeapTest, VacuumHandsDeadTidsToIndexCleanupAndTruncates) {
  const std::vector<ItemPointer> tids = MultiInsertCommitted(600, "r");
  std::vector<ItemPointer> doomed;
  for (size_t i = 0; i < tids.size(); ++i) {
    if (i % 3 != 0) doomed.push_back(tids[i]);
  }
  transam::StartTransaction();
  TmFailureData tmfd;
  for (const ItemPointer& tid : doomed) {
    ASSERT_EQ(am().Delete(rel_, tid, transam::GetCurrentCommandId(true), nullptr, true, &tmfd),
              TmResult::kOk);
  }
  transam::CommitTransaction();

  std::vector<ItemPointer> cleaned;
  VacuumParams params;
  params.index_cleanup = [&](std::span<const ItemPointer> dead) {
    cleaned.insert(cleaned.end(), dead.begin(), dead.end());
  };
  transam::StartTransaction();
  const VacuumStats stats = am().Vacuum(rel_, params);
  transam::CommitTransaction();
  EXPECT_EQ(stats.tuples_removed, doomed.size());
  EXPECT_EQ(stats.live_tuples, tids.size() - doomed.size());
  std::sort(cleaned.begin(), cleaned.end());
  EXPECT_EQ(cleaned, doomed);
  EXPECT_EQ(ScanCommitted().size(), tids.size() - doomed.size());

  // Everything gone: VACUUM gives the pages back.
  const BlockNumber before = am().RelationBlocks(rel_);
  ASSERT_GT(before.value(), 1u);
  transam::StartTransaction();
  for (size_t i = 0; i < tids.size(); i += 3) {
    ASSERT_EQ(am().Delete(rel_, tids[i], transam::GetCurrentCommandId(true), nullptr, true, &tmfd),
              TmResult::kOk);
  }
  transam::CommitTransaction();
  transam::StartTransaction();
  const VacuumStats last = am().Vacuum(rel_, VacuumParams{});
  transam::CommitTransaction();
  EXPECT_EQ(last.live_tuples, 0u);
  EXPECT_EQ(last.rel_pages.value(), 0u);
  EXPECT_EQ(last.pages_removed, before);
  EXPECT_EQ(am().RelationBlocks(rel_).value(), 0u);
  EXPECT_TRUE(ScanCommitted().empty());
}

TEST_F(TableAmHeapTest, SizeEstimates) {
  // Never counted and (almost) empty: costed as 10 pages, rows from the assumed width.
  TableSizeEstimate est = am().EstimateSize(rel_, TableSizeHint{});
  EXPECT_EQ(est.blocks.value(), 10u);
  EXPECT_GT(est.tuples, 0);
  EXPECT_EQ(est.all_visible_fraction, 0);
  // Counted empty by VACUUM: empty it is.
  est = am().EstimateSize(rel_, TableSizeHint{BlockNumber(0), 0, BlockNumber(0)});
  EXPECT_EQ(est.blocks.value(), 0u);
  EXPECT_EQ(est.tuples, 0);

  // Opaque rows of 32 data bytes: the width the estimate assumes without a descriptor, so the
  // width-based guess must land near the real count.
  constexpr int kRows = 3000;
  (void)MultiInsertCommitted(kRows, std::string(27, 'p') + "-");  // 28 + up to 4 digits
  const BlockNumber blocks = am().RelationBlocks(rel_);
  ASSERT_GE(blocks.value(), 10u);
  est = am().EstimateSize(rel_, TableSizeHint{});
  EXPECT_EQ(est.blocks, blocks);
  EXPECT_NEAR(est.tuples, kRows, kRows * 0.1);

  // The catalog's density wins over the width, scaled to the current size.
  const BlockNumber half(blocks.value() / 2);
  est = am().EstimateSize(rel_, TableSizeHint{BlockNumber(4), 200, half});
  EXPECT_EQ(est.tuples, 50.0 * blocks.value());
  EXPECT_DOUBLE_EQ(est.all_visible_fraction,
                   static_cast<double>(blocks.value() / 2) / blocks.value());
  const BlockNumber more(blocks.value() + 7);
  est = am().EstimateSize(rel_, TableSizeHint{BlockNumber(4), 200, more});
  EXPECT_EQ(est.all_visible_fraction, 1.0);
}

TEST_F(TableAmHeapTest, SizeEstimateUsesColumnWidths) {
  TupleDesc desc({AttributeForType("a", type_oid::kInt4), AttributeForType("b", type_oid::kInt8)});
  Relation rel = ServerHarness::TestRelation(NextRelNumber(), "w");
  rel.desc = &desc;
  Create(rel);
  constexpr int kRows = 4000;
  std::vector<HeapTuple> tuples;
  for (int i = 0; i < kRows; ++i) {
    Datum values[2] = {Int32GetDatum(i), Int64GetDatum(int64_t{i} * 7)};
    bool isnull[2] = {false, false};
    tuples.push_back(HeapFormTuple(desc, values, isnull));
  }
  transam::StartTransaction();
  TableAmOf(rel).MultiInsert(rel, tuples, transam::GetCurrentCommandId(true));
  transam::CommitTransaction();
  const TableSizeEstimate est = TableAmOf(rel).EstimateSize(rel, TableSizeHint{});
  EXPECT_EQ(est.blocks, TableAmOf(rel).RelationBlocks(rel));
  EXPECT_NEAR(est.tuples, kRows, kRows * 0.1);
}

TEST_F(TableAmHeapTest, NeedsToastTableOnlyForToastableColumns) {
  const TableAm& heap = GetHeapTableAm();
  EXPECT_FALSE(heap.NeedsToastTable(
      TupleDesc({AttributeForType("a", type_oid::kInt4), AttributeForType("b", type_oid::kInt8)})));
  EXPECT_TRUE(heap.NeedsToastTable(
      TupleDesc({AttributeForType("a", type_oid::kInt4), AttributeForType("b", type_oid::kText)})));
  Attribute plain = AttributeForType("b", type_oid::kText);
  plain.attstorage = kStoragePlain;
  EXPECT_FALSE(heap.NeedsToastTable(TupleDesc({AttributeForType("a", type_oid::kInt4), plain})));
  EXPECT_FALSE(heap.NeedsToastTable(ToastRelationDesc()));  // chunk_data is 'p'
}

TEST_F(TableAmHeapTest, ToastedValueComesBackThroughDetoast) {
  TupleDesc desc(
      {AttributeForType("id", type_oid::kInt4), AttributeForType("body", type_oid::kText)});
  ASSERT_TRUE(GetHeapTableAm().NeedsToastTable(desc));
  Relation rel = ServerHarness::TestRelation(NextRelNumber(), "docs");
  Relation toast = ServerHarness::TestRelation(NextRelNumber(), "pg_toast_docs");
  toast.desc = &ToastRelationDesc();
  rel.desc = &desc;
  rel.toast = &toast;
  Create(rel);
  Create(toast);

  std::mt19937 rng(7);
  std::vector<std::byte> body(200 * 1024);
  for (auto& b : body) b = static_cast<std::byte>(rng() & 0xFF);  // incompressible: out of line
  const std::vector<std::byte> varlena = MakeVarlena(body);
  Datum values[2] = {Int32GetDatum(1), PointerGetDatum(varlena.data())};
  bool isnull[2] = {false, false};
  HeapTuple t = HeapFormTuple(desc, values, isnull);
  transam::StartTransaction();
  const ItemPointer tid = TableAmOf(rel).Insert(rel, t, transam::GetCurrentCommandId(true));
  transam::CommitTransaction();
  EXPECT_GT(TableAmOf(toast).RelationBlocks(toast).value(), 20u);  // the chunks

  transam::StartTransaction();
  const transam::Snapshot& snap = transam::GetTransactionSnapshot();
  HeapTuple out;
  ASSERT_TRUE(TableAmOf(rel).FetchRowVersion(rel, snap, tid, &out));
  EXPECT_LT(out.size(), 200u);  // only the pointer is in the row
  bool null = true;
  const std::byte* stored = DatumGetPointer(HeapGetAttr(desc, out.header(), out.size(), 1, &null));
  ASSERT_FALSE(null);
  ASSERT_TRUE(VarIsExternal(stored));
  const std::vector<std::byte> full = TableAmOf(rel).Detoast(rel, stored, snap);
  ASSERT_TRUE(VarIs4BUncompressed(full.data()));
  const auto data = VarDataSpan(full.data());
  EXPECT_TRUE(std::equal(data.begin(), data.end(), body.begin(), body.end()));
  transam::CommitTransaction();
}

}  // namespace
}  // namespace keel::access
