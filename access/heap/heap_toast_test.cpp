// TOAST through the real heap and shared state (tests/server harness): large values round trip,
// compression, out-of-line storage, deletes, updates sharing chunks, value ids across
// backends, damaged chunks. Rules TS1-TS8: access/common/README.md ("TOAST").
#include "access/heap/heap_toast.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstring>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "access/common/datum.h"
#include "access/common/heap_form.h"
#include "access/common/tuple_desc.h"
#include "access/common/varlena.h"
#include "access/heap/heapam.h"
#include "access/transam/xact.h"
#include "backend/utils/error/error.h"
#include "tests/server/server_harness.h"

namespace keel::access {
namespace {

using testing::ServerHarness;

constexpr uint32_t kMainRel = 16384;
constexpr uint32_t kToastRel = 16385;

std::vector<std::byte> RandomBytes(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<std::byte> out(n);
  for (auto& b : out) b = static_cast<std::byte>(rng() & 0xFF);
  return out;
}

std::vector<std::byte> CompressibleBytes(size_t n, uint32_t seed) {
  std::string phrase = "the quick brown fox " + std::to_string(seed) + " jumps over the lazy dog; ";
  std::vector<std::byte> out(n);
  for (size_t i = 0; i < n; ++i) out[i] = static_cast<std::byte>(phrase[i % phrase.size()]);
  return out;
}

class ToastTest : public ::testing::Test {
 protected:
  ToastTest()
      : desc_({AttributeForType("id", type_oid::kInt4), AttributeForType("body", type_oid::kText),
               AttributeForType("note", type_oid::kText)}) {
    rel_ = ServerHarness::TestRelation(kMainRel, "docs");
    toast_ = ServerHarness::TestRelation(kToastRel, "pg_toast_16384");
    toast_.desc = &ToastRelationDesc();
    rel_.desc = &desc_;
    rel_.toast = &toast_;
    transam::StartTransaction();
    HeapCreateStorage(rel_);
    HeapCreateStorage(toast_);
    transam::CommitTransaction();
  }

  // Inserts (id, body, note) in its own transaction; returns the tid.
  storage::ItemPointer InsertRow(int32_t id, const std::vector<std::byte>& body,
                                 const std::string& note = "n") {
    transam::StartTransaction();
    storage::ItemPointer tid = InsertRowInXact(id, body, note);
    transam::CommitTransaction();
    return tid;
  }
  storage::ItemPointer InsertRowInXact(int32_t id, const std::vector<std::byte>& body,
                                       const std::string& note = "n") {
    std::vector<std::byte> b = MakeVarlena(body);
    std::vector<std::byte> n = MakeVarlena(note);
    Datum values[3] = {Int32GetDatum(id), PointerGetDatum(b.data()), PointerGetDatum(n.data())};
    bool isnull[3] = {false, false, false};
    HeapTuple t = HeapFormTuple(desc_, values, isnull);
    return HeapInsert(rel_, t, transam::GetCurrentCommandId(true));
  }

  // The stored tuple at `tid` (fresh transaction and snapshot).
  HeapTuple Fetch(storage::ItemPointer tid) {
    transam::StartTransaction();
    HeapTuple out;
    bool found = HeapFetch(rel_, transam::GetTransactionSnapshot(), tid, &out);
    transam::CommitTransaction();
    EXPECT_TRUE(found);
    return out;
  }

  // The body column as stored (a copy of its varlena bytes).
  std::vector<std::byte> StoredBody(const HeapTuple& t) {
    bool isnull = true;
    Datum d = HeapGetAttr(desc_, t.header(), t.size(), 1, &isnull);
    EXPECT_FALSE(isnull);
    const std::byte* p = DatumGetPointer(d);
    return {p, p + VarSizeAny(p)};
  }

  // The body's data after Detoast, under a fresh snapshot.
  std::vector<std::byte> ReadBody(storage::ItemPointer tid) {
    HeapTuple t = Fetch(tid);
    std::vector<std::byte> stored = StoredBody(t);
    transam::StartTransaction();
    std::vector<std::byte> full = Detoast(rel_, stored.data(), transam::GetTransactionSnapshot());
    transam::CommitTransaction();
    EXPECT_TRUE(VarIs4BUncompressed(full.data()));
    auto data = VarDataSpan(full.data());
    return {data.begin(), data.end()};
  }

  // Visible chunks of `valueid` (all values when invalid), by a fresh snapshot.
  int CountChunks(Oid valueid = kInvalidOid) {
    transam::StartTransaction();
    int n = 0;
    {
      HeapScan scan(toast_, transam::GetTransactionSnapshot());
      HeapTupleView v;
      while (scan.Next(&v)) {
        bool isnull = false;
        Datum id = HeapGetAttr(ToastRelationDesc(), v.header, v.size, 0, &isnull);
        if (valueid == kInvalidOid || DatumGetObjectId(id) == valueid) ++n;
      }
    }
    transam::CommitTransaction();
    return n;
  }

  static int ChunksFor(size_t stored_bytes) {
    return static_cast<int>((stored_bytes + kToastMaxChunkSize - 1) / kToastMaxChunkSize);
  }

  ServerHarness harness_;
  TupleDesc desc_;
  Relation rel_;
  Relation toast_;
};

TEST_F(ToastTest, OneMegabyteValueRoundTrips) {
  const size_t n = 1 << 20;
  std::vector<std::byte> random = RandomBytes(n, 1);
  std::vector<std::byte> text = CompressibleBytes(n, 2);
  storage::ItemPointer t1 = InsertRow(1, random);
  storage::ItemPointer t2 = InsertRow(2, text);

  HeapTuple s1 = Fetch(t1);
  EXPECT_TRUE(s1.header()->infomask & kHeapHasExternal);
  EXPECT_LT(s1.size(), 100u);
  std::vector<std::byte> p1 = StoredBody(s1);
  ASSERT_TRUE(VarIsExternal(p1.data()));
  VarattExternal e1 = ReadExternalPointer(p1.data());
  EXPECT_EQ(e1.rawsize, static_cast<int32_t>(n + 4));
  EXPECT_FALSE(e1.IsCompressed());  // random bytes do not compress by 25%
  EXPECT_EQ(e1.ExtSize(), n);
  EXPECT_EQ(e1.toastrelid, Oid(kToastRel));
  EXPECT_EQ(CountChunks(e1.valueid), ChunksFor(n));
  EXPECT_EQ(ReadBody(t1), random);

  // A compressible megabyte compresses, but not below the threshold: out of line, compressed.
  std::vector<std::byte> p2 = StoredBody(Fetch(t2));
  ASSERT_TRUE(VarIsExternal(p2.data()));
  VarattExternal e2 = ReadExternalPointer(p2.data());
  EXPECT_TRUE(e2.IsCompressed());
  EXPECT_EQ(e2.Method(), ToastCompressionId::kZlib);
  EXPECT_EQ(e2.RawDataSize(), n);
  EXPECT_NE(e2.valueid, e1.valueid);
  EXPECT_EQ(CountChunks(e2.valueid), ChunksFor(e2.ExtSize()));
  EXPECT_EQ(ReadBody(t2), text);
}

TEST_F(ToastTest, CompressibleValueIsStoredCompressedInline) {
  std::vector<std::byte> text = CompressibleBytes(100 * 1024, 3);
  storage::ItemPointer tid = InsertRow(1, text);
  HeapTuple s = Fetch(tid);
  EXPECT_LE(s.size(), kToastTupleThreshold);
  EXPECT_FALSE(s.header()->infomask & kHeapHasExternal);
  std::vector<std::byte> body = StoredBody(s);
  ASSERT_TRUE(VarIsCompressed(body.data()));
  EXPECT_EQ(VarCompressionMethod(body.data()), ToastCompressionId::kZlib);
  EXPECT_EQ(VarCompressedRawSize(body.data()), text.size());
  EXPECT_EQ(CountChunks(), 0);
  EXPECT_EQ(ReadBody(tid), text);
  std::vector<std::byte> plain = DecompressVarlena(body.data());
  EXPECT_EQ(VarSizeAnyExhdr(plain.data()), text.size());
}

TEST_F(ToastTest, IncompressibleValueIsMovedOutOfLine) {
  std::vector<std::byte> random = RandomBytes(10000, 4);
  storage::ItemPointer tid = InsertRow(7, random, "short note stays inline");
  HeapTuple s = Fetch(tid);
  std::vector<std::byte> body = StoredBody(s);
  ASSERT_TRUE(VarIsExternal(body.data()));
  VarattExternal e = ReadExternalPointer(body.data());
  EXPECT_FALSE(e.IsCompressed());
  EXPECT_EQ(CountChunks(e.valueid), 6);  // 5 x 1988 + 60
  EXPECT_EQ(ReadBody(tid), random);
  bool isnull = true;
  Datum note = HeapGetAttr(desc_, s.header(), s.size(), 2, &isnull);
  EXPECT_TRUE(VarIsShort(DatumGetPointer(note)));
  EXPECT_EQ(VarTextView(DatumGetPointer(note)), "short note stays inline");

  // A small row is left alone: no TOAST work, no chunks.
  storage::ItemPointer small = InsertRow(8, RandomBytes(500, 5));
  EXPECT_TRUE(VarIs4BUncompressed(StoredBody(Fetch(small)).data()));
  EXPECT_EQ(CountChunks(), 6);
}

TEST_F(ToastTest, DeleteRemovesChunks) {
  storage::ItemPointer t1 = InsertRow(1, RandomBytes(30000, 6));
  std::vector<std::byte> keep = RandomBytes(9000, 7);
  storage::ItemPointer t2 = InsertRow(2, keep);
  Oid v1 = ReadExternalPointer(StoredBody(Fetch(t1)).data()).valueid;
  Oid v2 = ReadExternalPointer(StoredBody(Fetch(t2)).data()).valueid;
  ASSERT_EQ(CountChunks(v1), ChunksFor(30000));
  ASSERT_EQ(CountChunks(v2), ChunksFor(9000));

  // A backend with a REPEATABLE READ snapshot from before the delete keeps reading the value.
  int ready[2];
  int go[2];
  ASSERT_EQ(pipe(ready), 0);
  ASSERT_EQ(pipe(go), 0);
  std::vector<std::byte> pointer = StoredBody(Fetch(t1));
  std::vector<std::byte> expect = RandomBytes(30000, 6);
  pid_t reader = harness_.ForkBackend([&]() -> int {
    transam::StartTransaction(transam::IsolationLevel::kRepeatableRead);
    const transam::Snapshot& snap = transam::GetTransactionSnapshot();
    char c = 'r';
    if (write(ready[1], &c, 1) != 1) return 2;
    if (read(go[0], &c, 1) != 1) return 3;
    std::vector<std::byte> full = Detoast(rel_, pointer.data(), snap);
    auto data = VarDataSpan(full.data());
    if (!std::equal(data.begin(), data.end(), expect.begin(), expect.end())) return 4;
    transam::CommitTransaction();
    return 0;
  });
  char c;
  ASSERT_EQ(read(ready[0], &c, 1), 1);

  transam::StartTransaction();
  TmFailureData tmfd{};
  ASSERT_EQ(HeapDelete(rel_, t1, transam::GetCurrentCommandId(true), nullptr, true, &tmfd),
            TmResult::kOk);
  transam::CommitTransaction();
  EXPECT_EQ(CountChunks(v1), 0);
  EXPECT_EQ(CountChunks(v2), ChunksFor(9000));
  EXPECT_EQ(ReadBody(t2), keep);

  ASSERT_EQ(write(go[1], "g", 1), 1);
  EXPECT_EQ(harness_.Wait(reader), 0);

  // Now nobody sees the chunks: fetching the old pointer reports them missing.
  transam::StartTransaction();
  try {
    (void)Detoast(rel_, pointer.data(), transam::GetTransactionSnapshot());
    ADD_FAILURE() << "expected missing chunks";
  } catch (const Error& e) {
    EXPECT_EQ(e.sqlstate(), sqlstate::kDataCorrupted);
    EXPECT_EQ(e.message(), "missing chunk number 0 for toast value " +
                               std::to_string(v1.value()) + " in pg_toast_16384");
  }
  transam::CommitTransaction();

  // ToastDeleteValues directly, as HeapDelete calls it.
  HeapTuple s2 = Fetch(t2);
  transam::StartTransaction();
  ToastDeleteValues(rel_, s2.header(), s2.size());
  transam::CommitTransaction();
  EXPECT_EQ(CountChunks(), 0);
}

TEST_F(ToastTest, UpdateKeepingTheValueSharesItsChunks) {
  std::vector<std::byte> big = RandomBytes(20000, 8);
  storage::ItemPointer tid = InsertRow(1, big);
  std::vector<std::byte> pointer = StoredBody(Fetch(tid));
  Oid valueid = ReadExternalPointer(pointer.data()).valueid;
  const int chunks = CountChunks();
  ASSERT_EQ(chunks, ChunksFor(20000));

  // UPDATE docs SET id = 2: the new version carries the same pointer.
  transam::StartTransaction();
  auto note = MakeVarlena("changed");
  Datum values[3] = {Int32GetDatum(2), PointerGetDatum(pointer.data()),
                     PointerGetDatum(note.data())};
  bool isnull[3] = {false, false, false};
  HeapTuple newtup = HeapFormTuple(desc_, values, isnull);
  TmFailureData tmfd{};
  bool hot = false;
  ASSERT_EQ(HeapUpdate(rel_, tid, newtup, transam::GetCurrentCommandId(true), nullptr, true,
                       &tmfd, true, &hot),
            TmResult::kOk);
  storage::ItemPointer new_tid = newtup.self;
  transam::CommitTransaction();

  EXPECT_EQ(CountChunks(), chunks);  // no copy
  std::vector<std::byte> new_pointer = StoredBody(Fetch(new_tid));
  EXPECT_EQ(new_pointer, pointer);
  EXPECT_EQ(ReadBody(new_tid), big);

  // UPDATE docs SET body = <another big value>: the old value's chunks go, the new one's come.
  std::vector<std::byte> other = RandomBytes(5000, 9);
  transam::StartTransaction();
  auto b = MakeVarlena(other);
  Datum v2[3] = {Int32GetDatum(2), PointerGetDatum(b.data()), PointerGetDatum(note.data())};
  HeapTuple newer = HeapFormTuple(desc_, v2, isnull);
  ASSERT_EQ(HeapUpdate(rel_, new_tid, newer, transam::GetCurrentCommandId(true), nullptr, true,
                       &tmfd, true, &hot),
            TmResult::kOk);
  storage::ItemPointer newest = newer.self;
  transam::CommitTransaction();
  EXPECT_EQ(CountChunks(valueid), 0);
  EXPECT_EQ(CountChunks(), ChunksFor(5000));
  EXPECT_EQ(ReadBody(newest), other);

  // UPDATE docs SET body = NULL drops the value too.
  transam::StartTransaction();
  bool with_null[3] = {false, true, false};
  HeapTuple nulled = HeapFormTuple(desc_, v2, with_null);
  ASSERT_EQ(HeapUpdate(rel_, newest, nulled, transam::GetCurrentCommandId(true), nullptr, true,
                       &tmfd, true, &hot),
            TmResult::kOk);
  transam::CommitTransaction();
  EXPECT_EQ(CountChunks(), 0);
}

TEST_F(ToastTest, PointerCopiedFromAnotherRowGetsItsOwnValue) {
  std::vector<std::byte> big = RandomBytes(7000, 10);
  storage::ItemPointer t1 = InsertRow(1, big);
  std::vector<std::byte> pointer = StoredBody(Fetch(t1));

  // INSERT INTO docs SELECT 2, body, note FROM docs WHERE id = 1 (the pointer, not the value).
  transam::StartTransaction();
  auto note = MakeVarlena("copy");
  Datum values[3] = {Int32GetDatum(2), PointerGetDatum(pointer.data()),
                     PointerGetDatum(note.data())};
  bool isnull[3] = {false, false, false};
  HeapTuple t = HeapFormTuple(desc_, values, isnull);
  storage::ItemPointer t2 = HeapInsert(rel_, t, transam::GetCurrentCommandId(true));
  transam::CommitTransaction();

  std::vector<std::byte> p2 = StoredBody(Fetch(t2));
  ASSERT_TRUE(VarIsExternal(p2.data()));
  EXPECT_NE(ReadExternalPointer(p2.data()).valueid, ReadExternalPointer(pointer.data()).valueid);
  EXPECT_EQ(CountChunks(), 2 * ChunksFor(7000));
  // Deleting the original leaves the copy intact.
  transam::StartTransaction();
  TmFailureData tmfd{};
  ASSERT_EQ(HeapDelete(rel_, t1, transam::GetCurrentCommandId(true), nullptr, true, &tmfd),
            TmResult::kOk);
  transam::CommitTransaction();
  EXPECT_EQ(ReadBody(t2), big);
}

TEST_F(ToastTest, ValueIdsAreUniqueAcrossBackends) {
  constexpr int kBackends = 3;
  constexpr int kRowsEach = 6;
  std::vector<pid_t> pids;
  for (int b = 0; b < kBackends; ++b) {
    pids.push_back(harness_.ForkBackend([this, b]() -> int {
      for (int r = 0; r < kRowsEach; ++r) {
        transam::StartTransaction();
        (void)InsertRowInXact(b * 100 + r, RandomBytes(3000, static_cast<uint32_t>(b * 100 + r)));
        transam::CommitTransaction();
      }
      return 0;
    }));
  }
  for (pid_t pid : pids) EXPECT_EQ(harness_.Wait(pid), 0);

  std::set<uint32_t> ids;
  int rows = 0;
  transam::StartTransaction();
  std::vector<std::pair<int32_t, std::vector<std::byte>>> stored;
  {
    HeapScan scan(rel_, transam::GetTransactionSnapshot());
    HeapTupleView v;
    while (scan.Next(&v)) {
      ++rows;
      bool isnull = false;
      int32_t id = DatumGetInt32(HeapGetAttr(desc_, v.header, v.size, 0, &isnull));
      const std::byte* p = DatumGetPointer(HeapGetAttr(desc_, v.header, v.size, 1, &isnull));
      EXPECT_TRUE(VarIsExternal(p));
      ids.insert(ReadExternalPointer(p).valueid.value());
      stored.emplace_back(id, std::vector<std::byte>(p, p + kToastPointerSize));
    }
  }
  for (const auto& [id, pointer] : stored) {
    std::vector<std::byte> full = Detoast(rel_, pointer.data(), transam::GetTransactionSnapshot());
    auto data = VarDataSpan(full.data());
    std::vector<std::byte> expect = RandomBytes(3000, static_cast<uint32_t>(id));
    EXPECT_TRUE(std::equal(data.begin(), data.end(), expect.begin(), expect.end())) << id;
  }
  transam::CommitTransaction();
  EXPECT_EQ(rows, kBackends * kRowsEach);
  EXPECT_EQ(ids.size(), static_cast<size_t>(kBackends * kRowsEach));
  EXPECT_EQ(CountChunks(), kBackends * kRowsEach * ChunksFor(3000));
}

TEST_F(ToastTest, ValueIdsContinuePastExistingValuesAfterRestart) {
  storage::ItemPointer t1 = InsertRow(1, RandomBytes(4000, 11));
  Oid before = ReadExternalPointer(StoredBody(Fetch(t1)).data()).valueid;
  harness_.Checkpoint();
  harness_.Crash();  // shared memory (and the value-id table) is rebuilt: the slot is re-seeded
  storage::ItemPointer t2 = InsertRow(2, RandomBytes(4000, 12));
  Oid after = ReadExternalPointer(StoredBody(Fetch(t2)).data()).valueid;
  EXPECT_GT(after.value(), before.value());
  EXPECT_EQ(ReadBody(t1), RandomBytes(4000, 11));
  EXPECT_EQ(ReadBody(t2), RandomBytes(4000, 12));
}

TEST_F(ToastTest, DamagedChunksAreReported) {
  storage::ItemPointer tid = InsertRow(1, RandomBytes(6000, 13));
  std::vector<std::byte> pointer = StoredBody(Fetch(tid));
  VarattExternal e = ReadExternalPointer(pointer.data());
  // Delete chunk 1 behind TOAST's back.
  transam::StartTransaction();
  storage::ItemPointer victim;
  {
    HeapScan scan(toast_, transam::GetTransactionSnapshot());
    HeapTupleView v;
    while (scan.Next(&v)) {
      bool isnull = false;
      if (DatumGetInt32(HeapGetAttr(ToastRelationDesc(), v.header, v.size, 1, &isnull)) == 1) {
        victim = v.self;
      }
    }
  }
  TmFailureData tmfd{};
  ASSERT_EQ(HeapDelete(toast_, victim, transam::GetCurrentCommandId(true), nullptr, true, &tmfd),
            TmResult::kOk);
  transam::CommitTransaction();

  transam::StartTransaction();
  try {
    (void)Detoast(rel_, pointer.data(), transam::GetTransactionSnapshot());
    ADD_FAILURE() << "expected an error";
  } catch (const Error& err) {
    EXPECT_EQ(err.sqlstate(), sqlstate::kDataCorrupted);
    EXPECT_EQ(err.message(), "missing chunk number 1 for toast value " +
                                 std::to_string(e.valueid.value()) + " in pg_toast_16384");
  }
  transam::CommitTransaction();

  // A damaged compressed stream.
  std::vector<std::byte> text = CompressibleBytes(5000, 14);
  transam::StartTransaction();
  storage::ItemPointer ctid = InsertRowInXact(3, text);
  transam::CommitTransaction();
  std::vector<std::byte> comp = StoredBody(Fetch(ctid));
  ASSERT_TRUE(VarIsCompressed(comp.data()));
  comp[comp.size() / 2] ^= std::byte{0x55};
  comp[comp.size() / 2 + 1] ^= std::byte{0x55};
  EXPECT_THROW((void)DecompressVarlena(comp.data()), Error);
}

TEST_F(ToastTest, StorageStrategiesFollowPostgresRounds) {
  // 'e': moved out of line but never compressed; 'm': compressed, moved out of line only when
  // the tuple would not fit a page otherwise; 'p': never touched.
  Attribute ext = AttributeForType("e", type_oid::kText);
  ext.attstorage = kStorageExternal;
  Attribute main = AttributeForType("m", type_oid::kText);
  main.attstorage = kStorageMain;
  Attribute plain = AttributeForType("p", type_oid::kBytea);
  plain.attstorage = kStoragePlain;
  TupleDesc desc({ext, main, plain});
  Relation rel = ServerHarness::TestRelation(16400, "strategies");
  Relation toast = ServerHarness::TestRelation(16401, "pg_toast_16400");
  toast.desc = &ToastRelationDesc();
  rel.desc = &desc;
  rel.toast = &toast;
  transam::StartTransaction();
  HeapCreateStorage(rel);
  HeapCreateStorage(toast);

  auto form = [&](const std::vector<std::byte>& e, const std::vector<std::byte>& m,
                  const std::vector<std::byte>& p) {
    auto ev = MakeVarlena(e);
    auto mv = MakeVarlena(m);
    auto pv = MakeVarlena(p);
    Datum values[3] = {PointerGetDatum(ev.data()), PointerGetDatum(mv.data()),
                       PointerGetDatum(pv.data())};
    bool isnull[3] = {false, false, false};
    return HeapFormTuple(desc, values, isnull);
  };
  auto column = [&](const HeapTuple& t, int col) {
    bool isnull = true;
    return DatumGetPointer(HeapGetAttr(desc, t.header(), t.size(), col, &isnull));
  };

  // Compressible 'e' and 'm' values: 'e' goes out of line uncompressed, 'm' is compressed.
  HeapTuple a = ToastTupleForStore(rel, form(CompressibleBytes(5000, 1), CompressibleBytes(5000, 2),
                                             RandomBytes(100, 3)), nullptr);
  ASSERT_TRUE(VarIsExternal(column(a, 0)));
  EXPECT_FALSE(ReadExternalPointer(column(a, 0)).IsCompressed());
  EXPECT_TRUE(VarIsCompressed(column(a, 1)));
  EXPECT_TRUE(VarIs4BUncompressed(column(a, 2)));

  // Incompressible 'm' value of 3000 bytes: stays inline (the tuple fits a page).
  HeapTuple b = ToastTupleForStore(rel, form(RandomBytes(10, 4), RandomBytes(3000, 5),
                                             RandomBytes(10, 6)), nullptr);
  EXPECT_TRUE(VarIs4BUncompressed(column(b, 1)));
  EXPECT_GT(b.size(), kToastTupleThreshold);
  EXPECT_LE(b.size(), kMaxHeapTupleSize);

  // 9000 incompressible bytes in 'm' would not fit a page: out of line as a last resort.
  HeapTuple c = ToastTupleForStore(rel, form(RandomBytes(10, 7), RandomBytes(9000, 8),
                                             RandomBytes(10, 9)), nullptr);
  EXPECT_TRUE(VarIsExternal(column(c, 1)));

  // 'p' values are never toasted, even when the tuple stays too big.
  HeapTuple d = ToastTupleForStore(rel, form(RandomBytes(10, 10), RandomBytes(10, 11),
                                             CompressibleBytes(9000, 12)), nullptr);
  EXPECT_TRUE(VarIs4BUncompressed(column(d, 2)));
  EXPECT_GT(d.size(), 9000u);

  // This transaction's chunks are visible once the command counter moves past them.
  transam::CommandCounterIncrement();
  std::vector<std::byte> back = Detoast(rel, column(c, 1), transam::GetLatestSnapshot());
  std::vector<std::byte> expect = RandomBytes(9000, 8);
  auto data = VarDataSpan(back.data());
  EXPECT_TRUE(std::equal(data.begin(), data.end(), expect.begin(), expect.end()));
  transam::CommitTransaction();
}

TEST_F(ToastTest, WithoutToastRelationValuesAreOnlyCompressed) {
  Relation plain = ServerHarness::TestRelation(16390, "no_toast");
  plain.desc = &desc_;
  transam::StartTransaction();
  HeapCreateStorage(plain);
  std::vector<std::byte> text = CompressibleBytes(50000, 15);
  auto b = MakeVarlena(text);
  auto n = MakeVarlena("x");
  Datum values[3] = {Int32GetDatum(1), PointerGetDatum(b.data()), PointerGetDatum(n.data())};
  bool isnull[3] = {false, false, false};
  HeapTuple t = HeapFormTuple(desc_, values, isnull);
  HeapTuple out = ToastTupleForStore(plain, t, nullptr);
  transam::CommitTransaction();
  EXPECT_LT(out.size(), t.size());
  bool null = true;
  const std::byte* p = DatumGetPointer(HeapGetAttr(desc_, out.header(), out.size(), 1, &null));
  ASSERT_TRUE(VarIsCompressed(p));
  std::vector<std::byte> back = DecompressVarlena(p);
  EXPECT_EQ(back, b);
}

}  // namespace
}  // namespace keel::access
