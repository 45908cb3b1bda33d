// The registry and dispatch by pg_class.relam: two access methods registered by the test (a
// call-counting wrapper around the heap, and an in-memory append-only table) get exactly the
// relations carrying their oid; unknown oids and names, and clashing registrations, error.
// README.md ("Tests").
#include "access/table/tableam.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "access/common/varlena.h"
#include "access/heap/heap_test_util.h"  // MakeTuple / Payload: test plumbing only
#include "access/heap/vacuum.h"
#include "access/transam/snapshot.h"
#include "access/transam/xact.h"
#include "backend/utils/error/error.h"
#include "tests/server/server_harness.h"

namespace keel::access {
namespace {

using keel::testing::ServerHarness;
using storage::ItemPointer;
using testing::MakeTuple;
using testing::Payload;

constexpr Oid kCountingAmOid{16400};
constexpr Oid kMemoryAmOid{16401};

// ---- a wrapper that counts calls and delegates to the heap (TA1: AMs may delegate) ----------

enum Call : int {
  kCreate, kInsert, kMultiInsert, kDelete, kUpdate, kLock, kFetch, kScan, kIndexFetch,
  kDetoast, kBlocks, kEstimate, kVacuum, kNeedsToast, kNumCalls
};

class CountingAm final : public TableAm {
 public:
  std::string_view Name() const override { return "counting_heap"; }
  void CreateStorage(const Relation& rel) const override {
    Count(kCreate);
    heap().CreateStorage(rel);
  }
  bool NeedsToastTable(const TupleDesc& desc) const override {
    Count(kNeedsToast);
    return heap().NeedsToastTable(desc);
  }
  ItemPointer Insert(const Relation& rel, HeapTuple& tuple, CommandId cid) const override {
    Count(kInsert);
    return heap().Insert(rel, tuple, cid);
  }
  void MultiInsert(const Relation& rel, std::span<HeapTuple> tuples,
                   CommandId cid) const override {
    Count(kMultiInsert);
    heap().MultiInsert(rel, tuples, cid);
  }
  TmResult Delete(const Relation& rel, ItemPointer tid, CommandId cid,
                  const transam::Snapshot* crosscheck, bool wait,
                  TmFailureData* tmfd) const override {
    Count(kDelete);
    return heap().Delete(rel, tid, cid, crosscheck, wait, tmfd);
  }
  TmResult Update(const Relation& rel, ItemPointer otid, HeapTuple& newtup, CommandId cid,
                  const transam::Snapshot* crosscheck, bool wait, bool indexed_columns_changed,
                  TmFailureData* tmfd, UpdateIndexes* update_indexes) const override {
    Count(kUpdate);
    return heap().Update(rel, otid, newtup, cid, crosscheck, wait, indexed_columns_changed, tmfd,
                         update_indexes);
  }
  TmResult LockTuple(const Relation& rel, ItemPointer tid, CommandId cid, RowLockMode mode,
                     LockWaitPolicy policy, HeapTuple* locked,
                     TmFailureData* tmfd) const override {
    Count(kLock);
    return heap().LockTuple(rel, tid, cid, mode, policy, locked, tmfd);
  }
  bool FetchRowVersion(const Relation& rel, const transam::Snapshot& snapshot, ItemPointer tid,
                       HeapTuple* out) const override {
    Count(kFetch);
    return heap().FetchRowVersion(rel, snapshot, tid, out);
  }
  std::unique_ptr<TableScan> BeginScan(const Relation& rel,
                                       const transam::Snapshot& snapshot) const override {
    Count(kScan);
    return heap().BeginScan(rel, snapshot);
  }
  std::unique_ptr<IndexFetch> BeginIndexFetch(const Relation& rel) const override {
    Count(kIndexFetch);
    return heap().BeginIndexFetch(rel);
  }
  std::vector<std::byte> Detoast(const Relation& rel, const std::byte* value,
                                 const transam::Snapshot& snapshot) const override {
    Count(kDetoast);
    return heap().Detoast(rel, value, snapshot);
  }
  BlockNumber RelationBlocks(const Relation& rel) const override {
    Count(kBlocks);
    return heap().RelationBlocks(rel);
  }
  TableSizeEstimate EstimateSize(const Relation& rel, const TableSizeHint& hint) const override {
    Count(kEstimate);
    return heap().EstimateSize(rel, hint);
  }
  VacuumStats Vacuum(const Relation& rel, const VacuumParams& params) const override {
    Count(kVacuum);
    return heap().Vacuum(rel, params);
  }

  int calls(Call c) const { return calls_[c]; }
  int total() const {
    int n = 0;
    for (int c : calls_) n += c;
    return n;
  }
  void Reset() const { calls_.fill(0); }

 private:
  static const TableAm& heap() { return GetHeapTableAm(); }
  void Count(Call c) const { ++calls_[c]; }
  mutable std::array<int, kNumCalls> calls_{};  // test-only state: one process, one thread
};

// ---- an in-memory, append-only table: no heap, no buffers, no MVCC -------------------------
// Rows live in this process's memory per relation id; tids are (0, 1..n) in insertion order;
// every row not deleted is visible to every snapshot. Enough to prove routing reaches storage
// that has nothing to do with the heap.

class MemoryAm final : public TableAm {
 public:
  std::string_view Name() const override { return "memory_append"; }
  void CreateStorage(const Relation& rel) const override { tables_[rel.id.value()].clear(); }
  bool NeedsToastTable(const TupleDesc&) const override { return false; }
  ItemPointer Insert(const Relation& rel, HeapTuple& tuple, CommandId) const override {
    std::vector<Row>& rows = Rows(rel);
    tuple.self = {BlockNumber(0), static_cast<storage::OffsetNumber>(rows.size() + 1)};
    tuple.table = rel.id;
    tuple.header()->SetCtid(tuple.self);
    rows.push_back({tuple, false});
    return tuple.self;
  }
  void MultiInsert(const Relation& rel, std::span<HeapTuple> tuples,
                   CommandId cid) const override {
    for (HeapTuple& t : tuples) (void)Insert(rel, t, cid);
  }
  TmResult Delete(const Relation& rel, ItemPointer tid, CommandId, const transam::Snapshot*, bool,
                  TmFailureData* tmfd) const override {
    Row* row = Find(rel, tid);
    if (row == nullptr) return TmResult::kInvisible;
    if (row->deleted) {
      tmfd->ctid = tid;
      return TmResult::kDeleted;
    }
    row->deleted = true;
    return TmResult::kOk;
  }
  TmResult Update(const Relation& rel, ItemPointer otid, HeapTuple& newtup, CommandId cid,
                  const transam::Snapshot* crosscheck, bool wait, bool, TmFailureData* tmfd,
                  UpdateIndexes* update_indexes) const override {
    *update_indexes = UpdateIndexes::kNone;
    const TmResult r = Delete(rel, otid, cid, crosscheck, wait, tmfd);
    if (r != TmResult::kOk) return r;
    (void)Insert(rel, newtup, cid);
    *update_indexes = UpdateIndexes::kAll;  // appended elsewhere: never reachable from otid
    return r;
  }
  TmResult LockTuple(const Relation& rel, ItemPointer tid, CommandId, RowLockMode, LockWaitPolicy,
                     HeapTuple* locked, TmFailureData* tmfd) const override {
    Row* row = Find(rel, tid);
    if (row == nullptr) return TmResult::kInvisible;
    if (row->deleted) {
      tmfd->ctid = tid;
      return TmResult::kDeleted;
    }
    *locked = row->tuple;
    return TmResult::kOk;
  }
  bool FetchRowVersion(const Relation& rel, const transam::Snapshot&, ItemPointer tid,
                       HeapTuple* out) const override {
    Row* row = Find(rel, tid);
    if (row == nullptr || row->deleted) return false;
    *out = row->tuple;
    return true;
  }
  std::unique_ptr<TableScan> BeginScan(const Relation& rel,
                                       const transam::Snapshot&) const override {
    return std::make_unique<Scan>(&Rows(rel));
  }
  std::unique_ptr<IndexFetch> BeginIndexFetch(const Relation& rel) const override {
    return std::make_unique<Fetcher>(this, &rel);
  }
  std::vector<std::byte> Detoast(const Relation&, const std::byte* value,
                                 const transam::Snapshot&) const override {
    return {value, value + VarSizeAny(value)};
  }
  BlockNumber RelationBlocks(const Relation&) const override { return BlockNumber(0); }
  TableSizeEstimate EstimateSize(const Relation& rel, const TableSizeHint&) const override {
    TableSizeEstimate est;
    for (const Row& r : Rows(rel)) est.tuples += r.deleted ? 0 : 1;
    return est;
  }
  VacuumStats Vacuum(const Relation& rel, const VacuumParams&) const override {
    VacuumStats stats;
    for (const Row& r : Rows(rel)) (r.deleted ? stats.tuples_removed : stats.live_tuples)++;
    return stats;  // append-only: nothing is reclaimed, only counted
  }

 private:
  struct Row {
    HeapTuple tuple;
    bool deleted;
  };
  class Scan final : public TableScan {
   public:
    explicit Scan(const std::vector<Row>* rows) : rows_(rows) {}
    bool Next(HeapTupleView* out) override {
      while (next_ < rows_->size()) {
        const Row& r = (*rows_)[next_++];
        if (r.deleted) continue;
        *out = {r.tuple.self, r.tuple.header(), r.tuple.size()};
        return true;
      }
      return false;
    }
    void Rescan() override { next_ = 0; }

   private:
    const std::vector<Row>* rows_;  // owned by the AM's table, which outlives the test's scans
    size_t next_ = 0;
  };
  class Fetcher final : public IndexFetch {
   public:
    Fetcher(const MemoryAm* am, const Relation* rel) : am_(am), rel_(rel) {}
    bool Fetch(const transam::Snapshot& snapshot, ItemPointer tid, HeapTuple* out) override {
      return am_->FetchRowVersion(*rel_, snapshot, tid, out);
    }

   private:
    const MemoryAm* am_;
    const Relation* rel_;
  };

  std::vector<Row>& Rows(const Relation& rel) const { return tables_[rel.id.value()]; }
  Row* Find(const Relation& rel, ItemPointer tid) const {
    std::vector<Row>& rows = Rows(rel);
    if (tid.block.value() != 0 || tid.offset < 1 || tid.offset > rows.size()) return nullptr;
    return &rows[tid.offset - 1u];
  }
  mutable std::map<uint32_t, std::vector<Row>> tables_;  // test-only: one process, one thread
};

CountingAm& Counting() {
  static CountingAm am;
  return am;
}
MemoryAm& Memory() {
  static MemoryAm am;
  return am;
}

// Registers both test AMs once per process (registrations are never undone: TA11).
void RegisterTestAms() {
  if (FindTableAm(kCountingAmOid) == nullptr) RegisterTableAm(kCountingAmOid, Counting());
  if (FindTableAm(kMemoryAmOid) == nullptr) RegisterTableAm(kMemoryAmOid, Memory());
}

template <typename Fn>
Error CaptureError(Fn&& fn) {
  try {
    fn();
  } catch (const Error& e) {
    return e;
  }
  ADD_FAILURE() << "no error";
  return Error(sqlstate::kSuccessfulCompletion, "");
}

// ---- registry ------------------------------------------------------------------------------

TEST(TableAmRegistryTest, HeapIsRegisteredUnderPgAmOid2) {
  EXPECT_EQ(kHeapTableAmOid, Oid(2));
  EXPECT_EQ(Relation{}.am, kHeapTableAmOid);
  EXPECT_EQ(FindTableAm(Oid(2)), &GetHeapTableAm());
  EXPECT_EQ(GetTableAm(Oid(2)).Name(), "heap");
  EXPECT_EQ(GetTableAmOid("heap"), Oid(2));
}

TEST(TableAmRegistryTest, UnknownOidOrNameIsAClearError) {
  Relation rel;
  rel.am = Oid(9999);
  EXPECT_EQ(FindTableAm(rel.am), nullptr);
  const Error e = CaptureError([&] { (void)TableAmOf(rel); });
  EXPECT_EQ(e.sqlstate(), sqlstate::kInternalError);
  EXPECT_EQ(e.message(), "cache lookup failed for access method 9999");
  EXPECT_EQ(e.detail(), "No table access method is registered under oid 9999.");
  const Error by_name = CaptureError([] { (void)GetTableAmOid("lsm"); });
  EXPECT_EQ(by_name.sqlstate(), sqlstate::kUndefinedObject);
  EXPECT_EQ(by_name.message(), "access method \"lsm\" does not exist");
}

TEST(TableAmRegistryTest, ClashingRegistrationsAreRefused) {
  RegisterTestAms();
  EXPECT_EQ(GetTableAmOid("counting_heap"), kCountingAmOid);
  EXPECT_EQ(GetTableAmOid("memory_append"), kMemoryAmOid);
  // The heap object again under a new oid: its name is taken.
  Error e = CaptureError([] { RegisterTableAm(Oid(16500), GetHeapTableAm()); });
  EXPECT_EQ(e.sqlstate(), sqlstate::kDuplicateObject);
  EXPECT_EQ(e.message(), "access method \"heap\" already exists");
  // Another object with a registered name (under a free or a taken oid), or a registered
  // object again under a taken oid.
  static CountingAm another_counting;
  e = CaptureError([] { RegisterTableAm(Oid(16501), another_counting); });
  EXPECT_EQ(e.sqlstate(), sqlstate::kDuplicateObject);
  EXPECT_EQ(e.message(), "access method \"counting_heap\" already exists");
  e = CaptureError([] { RegisterTableAm(kHeapTableAmOid, Memory()); });
  EXPECT_EQ(e.sqlstate(), sqlstate::kDuplicateObject);
  e = CaptureError([] { RegisterTableAm(kInvalidOid, Memory()); });
  EXPECT_EQ(e.sqlstate(), sqlstate::kInternalError);
  // Nothing changed.
  EXPECT_EQ(&GetTableAm(kHeapTableAmOid), &GetHeapTableAm());
  EXPECT_EQ(&GetTableAm(kMemoryAmOid), &Memory());
  EXPECT_EQ(FindTableAm(Oid(16500)), nullptr);
  EXPECT_EQ(FindTableAm(Oid(16501)), nullptr);
}

// A fresh name under a taken oid reports the oid. Filling the table reports the limit. Both
// run in a forked child: registrations last for the process.
TEST(TableAmRegistryTest, OidClashAndFullTableInAChild) {
  const pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    int code = 0;
    struct Named final : public TableAm {
      explicit Named(std::string n) : name(std::move(n)) {}
      std::string name;
      std::string_view Name() const override { return name; }
      void CreateStorage(const Relation&) const override {}
      bool NeedsToastTable(const TupleDesc&) const override { return false; }
      ItemPointer Insert(const Relation&, HeapTuple&, CommandId) const override { return {}; }
      void MultiInsert(const Relation&, std::span<HeapTuple>, CommandId) const override {}
      TmResult Delete(const Relation&, ItemPointer, CommandId, const transam::Snapshot*, bool,
                      TmFailureData*) const override { return TmResult::kInvisible; }
      TmResult Update(const Relation&, ItemPointer, HeapTuple&, CommandId,
                      const transam::Snapshot*, bool, bool, TmFailureData*,
                      UpdateIndexes*) const override { return TmResult::kInvisible; }
      TmResult LockTuple(const Relation&, ItemPointer, CommandId, RowLockMode, LockWaitPolicy,
                         HeapTuple*, TmFailureData*) const override { return TmResult::kInvisible; }
      bool FetchRowVersion(const Relation&, const transam::Snapshot&, ItemPointer,
                           HeapTuple*) const override { return false; }
      std::unique_ptr<TableScan> BeginScan(const Relation&,
                                           const transam::Snapshot&) const override {
        return nullptr;
      }
      std::unique_ptr<IndexFetch> BeginIndexFetch(const Relation&) const override {
        return nullptr;
      }
      std::vector<std::byte> Detoast(const Relation&, const std::byte*,
                                     const transam::Snapshot&) const override { return {}; }
      BlockNumber RelationBlocks(const Relation&) const override { return BlockNumber(0); }
      TableSizeEstimate EstimateSize(const Relation&, const TableSizeHint&) const override {
        return {};
      }
      VacuumStats Vacuum(const Relation&, const VacuumParams&) const override { return {}; }
    };
    RegisterTestAms();  // whether or not earlier tests in this process did: heap + 2
    std::vector<std::unique_ptr<Named>> ams;
    try {
      ams.push_back(std::make_unique<Named>("fresh"));
      RegisterTableAm(kHeapTableAmOid, *ams.back());
      code = 10;  // no error
    } catch (const Error& e) {
      if (e.sqlstate() != sqlstate::kDuplicateObject ||
          e.message() != "access method with oid 2 already exists" ||
          e.detail() != "Oid 2 belongs to access method \"heap\".") {
        code = 11;
      }
    }
    int registered = 3;
    try {
      for (uint32_t i = 0; i < 2 * kMaxTableAms && code == 0; ++i) {
        ams.push_back(std::make_unique<Named>("am" + std::to_string(i)));
        RegisterTableAm(Oid(20000 + i), *ams.back());
        ++registered;
      }
      code = 12;  // never refused
    } catch (const Error& e) {
      if (e.sqlstate() != sqlstate::kProgramLimitExceeded || registered != kMaxTableAms) code = 13;
    }
    if (code == 0 && &GetTableAm(Oid(20000)) != ams[1].get()) code = 14;
    _exit(code);
  }
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
}

// ---- dispatch ------------------------------------------------------------------------------

// A relation whose am is the counting wrapper's oid goes to it for every call, and through it
// to real heap storage; a heap relation over the same files never touches the wrapper.
TEST(TableAmDispatchTest, RelationWithAnotherAmOidIsRoutedToIt) {
  RegisterTestAms();
  ServerHarness harness;
  Relation rel = ServerHarness::TestRelation(16384, "counted");
  rel.am = kCountingAmOid;
  Relation as_heap = rel;
  as_heap.am = kHeapTableAmOid;
  CountingAm& counting = Counting();
  counting.Reset();
  ASSERT_EQ(&TableAmOf(rel), &counting);

  transam::StartTransaction();
  TableAmOf(rel).CreateStorage(rel);
  HeapTuple a = MakeTuple("a");
  const ItemPointer tid_a = TableAmOf(rel).Insert(rel, a, transam::GetCurrentCommandId(true));
  std::vector<HeapTuple> more{MakeTuple("b"), MakeTuple("c")};
  TableAmOf(rel).MultiInsert(rel, more, transam::GetCurrentCommandId(true));
  transam::CommitTransaction();

  transam::StartTransaction();
  TmFailureData tmfd;
  HeapTuple a2 = MakeTuple("a2");
  UpdateIndexes ui = UpdateIndexes::kAll;
  ASSERT_EQ(TableAmOf(rel).Update(rel, tid_a, a2, transam::GetCurrentCommandId(true), nullptr,
                                  true, false, &tmfd, &ui),
            TmResult::kOk);
  EXPECT_EQ(ui, UpdateIndexes::kNone);
  HeapTuple locked;
  ASSERT_EQ(TableAmOf(rel).LockTuple(rel, more[0].self, transam::GetCurrentCommandId(false),
                                     RowLockMode::kShare, LockWaitPolicy::kBlock, &locked, &tmfd),
            TmResult::kOk);
  ASSERT_EQ(TableAmOf(rel).Delete(rel, more[1].self, transam::GetCurrentCommandId(true), nullptr,
                                  true, &tmfd),
            TmResult::kOk);
  transam::CommitTransaction();

  transam::StartTransaction();
  const transam::Snapshot& snap = transam::GetTransactionSnapshot();
  std::multiset<std::string> seen;
  {
    std::unique_ptr<TableScan> scan = TableAmOf(rel).BeginScan(rel, snap);
    HeapTupleView v;
    while (scan->Next(&v)) seen.insert(Payload(v));
  }
  EXPECT_EQ(seen, (std::multiset<std::string>{"a2", "b"}));
  HeapTuple out;
  EXPECT_TRUE(TableAmOf(rel).FetchRowVersion(rel, snap, a2.self, &out));
  EXPECT_TRUE(TableAmOf(rel).BeginIndexFetch(rel)->Fetch(snap, tid_a, &out));
  EXPECT_EQ(Payload(out), "a2");
  EXPECT_GE(TableAmOf(rel).RelationBlocks(rel).value(), 1u);
  (void)TableAmOf(rel).EstimateSize(rel, TableSizeHint{});
  transam::CommitTransaction();
  transam::StartTransaction();
  (void)TableAmOf(rel).Vacuum(rel, VacuumParams{});
  transam::CommitTransaction();

  for (Call c : {kCreate, kInsert, kMultiInsert, kUpdate, kLock, kDelete, kScan, kFetch,
                 kIndexFetch, kBlocks, kEstimate, kVacuum}) {
    EXPECT_EQ(counting.calls(c), 1) << "call " << c;
  }
  EXPECT_EQ(counting.total(), 12);

  // The same files as a heap relation: the rows are the heap's, the wrapper is not involved.
  counting.Reset();
  transam::StartTransaction();
  std::multiset<std::string> via_heap;
  {
    std::unique_ptr<TableScan> scan =
        TableAmOf(as_heap).BeginScan(as_heap, transam::GetTransactionSnapshot());
    HeapTupleView v;
    while (scan->Next(&v)) via_heap.insert(Payload(v));
  }
  transam::CommitTransaction();
  EXPECT_EQ(via_heap, seen);
  EXPECT_EQ(counting.total(), 0);
}

// The in-memory AM needs no server at all: nothing of the heap, buffer pool or transactions
// is reached when a relation names it.
TEST(TableAmDispatchTest, NonHeapStorageNeedsNoHeap) {
  RegisterTestAms();
  Relation rel;
  rel.id = Oid(77);
  rel.name = "mem";
  rel.am = GetTableAmOid("memory_append");
  const TableAm& am = TableAmOf(rel);
  ASSERT_EQ(&am, &Memory());
  am.CreateStorage(rel);
  const transam::Snapshot any{};  // ignored by this AM
  std::vector<HeapTuple> rows{MakeTuple("x"), MakeTuple("y"), MakeTuple("z")};
  am.MultiInsert(rel, rows, CommandId(0));
  TmFailureData tmfd;
  ASSERT_EQ(am.Delete(rel, rows[1].self, CommandId(0), nullptr, true, &tmfd), TmResult::kOk);
  EXPECT_EQ(am.Delete(rel, rows[1].self, CommandId(0), nullptr, true, &tmfd), TmResult::kDeleted);
  HeapTuple nz = MakeTuple("z2");
  UpdateIndexes ui = UpdateIndexes::kNone;
  ASSERT_EQ(am.Update(rel, rows[2].self, nz, CommandId(0), nullptr, true, false, &tmfd, &ui),
            TmResult::kOk);
  EXPECT_EQ(ui, UpdateIndexes::kAll);

  std::vector<std::string> seen;
  std::unique_ptr<TableScan> scan = am.BeginScan(rel, any);
  HeapTupleView v;
  while (scan->Next(&v)) seen.push_back(Payload(v));
  EXPECT_EQ(seen, (std::vector<std::string>{"x", "z2"}));
  HeapTuple out;
  ASSERT_TRUE(am.BeginIndexFetch(rel)->Fetch(any, nz.self, &out));
  EXPECT_EQ(Payload(out), "z2");
  EXPECT_FALSE(am.FetchRowVersion(rel, any, rows[1].self, &out));
  EXPECT_EQ(am.EstimateSize(rel, TableSizeHint{}).tuples, 2);
  const VacuumStats stats = am.Vacuum(rel, VacuumParams{});
  EXPECT_EQ(stats.live_tuples, 2u);
  EXPECT_EQ(stats.tuples_removed, 2u);
}

}  // namespace
}  // namespace keel::access
