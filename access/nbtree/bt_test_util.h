// Test helpers for the B+tree tests: an int8-keyed heap and index pair, inserting rows into both,
// scanning the index against a snapshot, and the heap as a model. Test-only; README.md ("Tests").
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "access/common/heap_form.h"
#include "access/common/index_tuple.h"
#include "access/common/tuple_desc.h"
#include "access/common/varlena.h"
#include "access/heap/heap_test_util.h"
#include "access/heap/heapam.h"
#include "access/nbtree/nbtree.h"
#include "access/transam/xact.h"
#include "tests/server/server_harness.h"

namespace keel::access::nbtree::testing {

// One int8 column "k" in the heap and the index (the index's only key column).
struct Int8Table {
  TupleDesc desc{{AttributeForType("k", type_oid::kInt8)}};
  IndexKeyDesc keys;
  Relation heap;
  BtIndex index;

  explicit Int8Table(bool unique = false, uint32_t heap_rel = 16384, uint32_t index_rel = 16390) {
    keys.tupdesc = &desc;
    keys.keys.push_back(IndexKeyColumnForType(type_oid::kInt8));
    keys.names.push_back("k");
    heap = keel::testing::ServerHarness::TestRelation(heap_rel, "t");
    heap.desc = &desc;
    index.rel = keel::testing::ServerHarness::TestRelation(index_rel, "t_k_key");
    index.keys = &keys;
    index.unique = unique;
  }

  // Creates the heap's and the index's storage in a committed transaction.
  void Create() {
    heap = access::testing::CreateTestHeap(heap.locator.rel.value(), "t");
    heap.desc = &desc;
    transam::StartTransaction();
    BtCreateIndex(index);
    transam::CommitTransaction();
  }

  // Heap row + index entry, in the caller's transaction. Returns the heap tid.
  storage::ItemPointer Insert(int64_t k) {
    const Datum v = Int64GetDatum(k);
    const bool n = false;
    HeapTuple t = HeapFormTuple(desc, std::span<const Datum>(&v, 1), std::span<const bool>(&n, 1));
    const storage::ItemPointer tid = HeapInsert(heap, t, transam::GetCurrentCommandId(true));
    BtInsert(index, &heap, std::span<const Datum>(&v, 1), std::span<const bool>(&n, 1), tid);
    return tid;
  }

  int64_t KeyOf(const HeapTuple& t) const {
    bool isnull = false;
    return DatumGetInt64(HeapGetAttr(desc, t.header(), t.size(), 0, &isnull));
  }

  // Keys the index scan finds visible to `snapshot` (heap visibility through HOT search), in
  // scan order.
  std::vector<int64_t> IndexScanVisible(const transam::Snapshot& snapshot, std::vector<BtScanKey> scan_keys,
                                        ScanDirection dir) const {
    std::vector<int64_t> out;
    BtScan scan(index, std::move(scan_keys), dir);
    storage::ItemPointer tid;
    while (scan.Next(&tid)) {
      HeapTuple t;
      if (HeapHotSearch(heap, snapshot, tid, &t)) out.push_back(KeyOf(t));
    }
    return out;
  }

  // Keys of the heap rows visible to `snapshot` (sorted).
  std::multiset<int64_t> HeapVisible(const transam::Snapshot& snapshot) const {
    std::multiset<int64_t> out;
    HeapScan scan(heap, snapshot);
    HeapTupleView v;
    while (scan.Next(&v)) {
      bool isnull = false;
      out.insert(DatumGetInt64(HeapGetAttr(desc, v.header, v.size, 0, &isnull)));
    }
    return out;
  }

  // One round of a scanner racing writers: in a new REPEATABLE READ transaction, scans
  // [lo, hi) ([lo, hi] with `hi_inclusive`; everything when `whole`) in `dir` and compares the
  // keys, in key order, with a heap scan of the same snapshot. Returns how many heap rows the
  // snapshot saw (all of them, not just the range), or nullopt after printing the mismatch (an
  // out-of-order index result is one). `who` labels the message.
  std::optional<size_t> ScanRoundMatchesHeap(int64_t lo, int64_t hi, bool hi_inclusive, bool whole,
                                             ScanDirection dir, const char* who) const {
    transam::StartTransaction(transam::IsolationLevel::kRepeatableRead);
    const transam::Snapshot& snap = transam::GetTransactionSnapshot();
    std::vector<BtScanKey> keys;
    if (!whole) {
      keys = {{0, BtStrategy::kGreaterEqual, Int64GetDatum(lo)},
              {0, hi_inclusive ? BtStrategy::kLessEqual : BtStrategy::kLess, Int64GetDatum(hi)}};
    }
    std::vector<int64_t> got = IndexScanVisible(snap, keys, dir);
    if (dir == ScanDirection::kBackward) std::reverse(got.begin(), got.end());
    const std::multiset<int64_t> visible = HeapVisible(snap);
    std::vector<int64_t> want;
    for (int64_t k : visible) {
      if (whole || (k >= lo && (hi_inclusive ? k <= hi : k < hi))) want.push_back(k);
    }
    transam::CommitTransaction();
    if (got != want) {
      fprintf(stderr, "%s (%s): index %zu rows, heap %zu rows%s\n", who,
              dir == ScanDirection::kForward ? "forward" : "backward", got.size(), want.size(),
              std::is_sorted(got.begin(), got.end()) ? "" : ", index rows out of order");
      return std::nullopt;
    }
    return visible.size();
  }

  BtVerifyOptions VerifyWithHeap() const {
    BtVerifyOptions o;
    o.heap = &heap;
    const TupleDesc* d = &desc;
    o.extract = [d](const void* header, uint32_t size, std::span<Datum> values, std::span<bool> isnull) {
      values[0] = HeapGetAttr(*d, static_cast<const HeapTupleHeader*>(header), size, 0, &isnull[0]);
    };
    return o;
  }
};

// An index without a heap on one text column whose keys are a zero-padded number followed by
// filler up to `width` bytes: wide keys make tall trees with few entries (internal splits,
// parent re-finding, new roots). Heap tids are synthetic (block n / 100 + 1).
// The two-column index the property and build tests share: (a int4 DESC NULLS LAST, b text)
// INCLUDE (c int4), relation 16400 "t_ab" (storage not created). Not copyable: `keys` points
// at `desc`.
struct TwoColumnIndex {
  TupleDesc desc{{AttributeForType("a", type_oid::kInt4), AttributeForType("b", type_oid::kText),
                  AttributeForType("c", type_oid::kInt4)}};
  IndexKeyDesc keys;
  BtIndex index;

  TwoColumnIndex() {
    keys.tupdesc = &desc;
    keys.keys.push_back(IndexKeyColumnForType(type_oid::kInt4, /*descending=*/true, /*nulls_first=*/0));
    keys.keys.push_back(IndexKeyColumnForType(type_oid::kText));
    keys.names = {"a", "b"};
    index = BtIndex{keel::testing::ServerHarness::TestRelation(16400, "t_ab"), &keys, false};
  }
  TwoColumnIndex(const TwoColumnIndex&) = delete;
  TwoColumnIndex& operator=(const TwoColumnIndex&) = delete;
};

struct WideTextIndex {
  TupleDesc desc{{AttributeForType("k", type_oid::kText)}};
  IndexKeyDesc keys;
  BtIndex index;
  size_t width;

  explicit WideTextIndex(size_t w, uint32_t index_rel = 16400) : width(w) {
    keys.tupdesc = &desc;
    keys.keys.push_back(IndexKeyColumnForType(type_oid::kText));
    keys.names = {"k"};
    index = BtIndex{keel::testing::ServerHarness::TestRelation(index_rel, "t_k"), &keys, false};
  }
  void Create() {
    transam::StartTransaction();
    BtCreateIndex(index);
    transam::CommitTransaction();
  }
  std::vector<std::byte> Key(uint64_t n) const {
    std::string s = std::to_string(n);
    s.insert(0, s.size() < 12 ? 12 - s.size() : 0, '0');
    s.resize(width, 'x');
    return MakeVarlena(s);
  }
  static storage::ItemPointer Tid(uint64_t n) {
    return {BlockNumber(static_cast<uint32_t>(n / 100 + 1)), static_cast<storage::OffsetNumber>(n % 100 + 1)};
  }
  // Inserts key n (throws what BtInsert throws).
  void Insert(uint64_t n) {
    const std::vector<std::byte> v = Key(n);
    const Datum d = PointerGetDatum(v.data());
    const bool isnull = false;
    BtInsert(index, nullptr, std::span<const Datum>(&d, 1), std::span<const bool>(&isnull, 1), Tid(n));
  }
  // Heap tids of the entries equal to key n.
  std::vector<storage::ItemPointer> Find(uint64_t n) const {
    const std::vector<std::byte> v = Key(n);
    BtScan scan(index, {{0, BtStrategy::kEqual, PointerGetDatum(v.data())}}, ScanDirection::kForward);
    std::vector<storage::ItemPointer> out;
    storage::ItemPointer tid;
    while (scan.Next(&tid)) out.push_back(tid);
    return out;
  }
  // Entries a full scan returns in `dir`.
  uint64_t Count(ScanDirection dir) const {
    BtScan scan(index, {}, dir);
    uint64_t n = 0;
    storage::ItemPointer tid;
    while (scan.Next(&tid)) ++n;
    return n;
  }
};

inline std::string Join(const std::vector<std::string>& problems) {
  std::string s;
  for (const std::string& p : problems) s += p + "\n";
  return s;
}

}  // namespace keel::access::nbtree::testing
