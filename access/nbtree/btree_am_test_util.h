// Test helpers for the btree index-AM tests: a heap (a int4, b text, c int8) with indexes
// described as IndexRelations, rows written through the table AM and index AM, and brute-force
// expectations computed from a heap scan. Test-only; README.md ("Tests").
#pragma once

#include <algorithm>
#include <memory>
#include <optional>
#include <random>
#include <span>
#include <string>
#include <vector>

#include "access/common/heap_form.h"
#include "access/common/index_tuple.h"
#include "access/common/tuple_desc.h"
#include "access/common/varlena.h"
#include "access/heap/heap_test_util.h"
#include "access/index/index_build.h"
#include "access/index/indexam.h"
#include "access/nbtree/btree_am.h"
#include "access/table/tableam.h"
#include "access/transam/xact.h"
#include "tests/server/server_harness.h"

namespace keel::access::nbtree::testing {

// One heap row as the tests model it.
struct AmRow {
  storage::ItemPointer tid;
  std::optional<int32_t> a;
  std::optional<std::string> b;
  int64_t c = 0;
};

// An index column spec: heap column (1 a, 2 b, 3 c), DESC, NULLS FIRST.
struct ColSpec {
  AttrNumber heap_attno;
  bool descending = false;
  bool nulls_first = false;
};

struct AmIndex {
  TupleDesc desc;
  IndexRelation rel;
  std::vector<IndexKeyColumn> order;  // key columns, for the brute-force sort
};

struct AmTable {
  TupleDesc desc{{AttributeForType("a", type_oid::kInt4), AttributeForType("b", type_oid::kText),
                  AttributeForType("c", type_oid::kInt8)}};
  Relation heap;
  std::vector<std::unique_ptr<AmIndex>> indexes;

  static uint32_t TypeOf(AttrNumber heap_attno) {
    return heap_attno == 1 ? type_oid::kInt4 : heap_attno == 2 ? type_oid::kText : type_oid::kInt8;
  }
  static const char* NameOf(AttrNumber heap_attno) {
    return heap_attno == 1 ? "a" : heap_attno == 2 ? "b" : "c";
  }

  void CreateHeap(uint32_t rel_number = 16384) {
    heap = access::testing::CreateTestHeap(rel_number, "t");
    heap.desc = &desc;
  }

  // Describes an index (storage not created): `keys` then `include` columns.
  AmIndex& Describe(uint32_t rel_number, const char* name, std::vector<ColSpec> keys,
                    std::vector<ColSpec> include = {}, bool unique = false) {
    auto idx = std::make_unique<AmIndex>();
    std::vector<Attribute> attrs;
    for (const auto* list : {&keys, &include}) {
      for (const ColSpec& s : *list) {
        attrs.push_back(AttributeForType(NameOf(s.heap_attno), TypeOf(s.heap_attno)));
      }
    }
    idx->desc = TupleDesc(std::move(attrs));
    idx->rel.rel = keel::testing::ServerHarness::TestRelation(rel_number, name);
    idx->rel.rel.desc = &idx->desc;
    idx->rel.rel.am = kBtreeIndexAmOid;
    idx->rel.heap_id = heap.id;
    idx->rel.key_columns = static_cast<int>(keys.size());
    idx->rel.unique = unique;
    for (const auto* list : {&keys, &include}) {
      const bool is_key = list == &keys;
      for (const ColSpec& s : *list) {
        IndexColumn c;
        c.heap_attno = s.heap_attno;
        if (is_key) {
          const IndexKeyColumn k =
              IndexKeyColumnForType(TypeOf(s.heap_attno), s.descending, s.nulls_first ? 1 : 0);
          c.descending = k.descending;
          c.nulls_first = k.nulls_first;
          c.compare = k.compare;
          c.compare_arg = k.compare_arg;
          c.output = k.output;
          c.equal_image = k.equal_image;
          idx->order.push_back(k);
        }
        idx->rel.columns.push_back(c);
      }
    }
    indexes.push_back(std::move(idx));
    return *indexes.back();
  }

  // CREATE INDEX through the AM, from a table build source, in its own transaction.
  IndexBuildResult Build(const AmIndex& idx) {
    transam::StartTransaction();
    const IndexInfo info = MakeIndexInfo(idx.rel);
    TableIndexBuildSource source(heap, info, transam::GetTransactionSnapshot());
    const IndexBuildResult r = IndexAmOf(idx.rel).Build(heap, idx.rel, info, source);
    transam::CommitTransaction();
    return r;
  }

  static std::vector<std::byte> Text(const std::string& s) { return MakeVarlena(s); }

  // The index columns of a row (by-reference values point into `texts`).
  static void IndexValues(const AmIndex& idx, const AmRow& r, std::vector<Datum>* values,
                          std::vector<char>* isnull, std::vector<std::byte>* text) {
    values->clear();
    isnull->clear();
    if (r.b) *text = Text(*r.b);
    for (const IndexColumn& c : idx.rel.columns) {
      if (c.heap_attno == 1) {
        values->push_back(Int32GetDatum(r.a.value_or(0)));
        isnull->push_back(!r.a.has_value());
      } else if (c.heap_attno == 2) {
        values->push_back(r.b ? PointerGetDatum(text->data()) : Datum{0});
        isnull->push_back(!r.b.has_value());
      } else {
        values->push_back(Int64GetDatum(r.c));
        isnull->push_back(false);
      }
    }
  }

  // Heap row + an entry in every index, in the caller's transaction. Returns the tid.
  storage::ItemPointer Insert(std::optional<int32_t> a, std::optional<std::string> b, int64_t c,
                              UniqueCheck check = UniqueCheck::kNo) {
    const std::vector<std::byte> text = b ? Text(*b) : std::vector<std::byte>{};
    const Datum v[3] = {Int32GetDatum(a.value_or(0)), b ? PointerGetDatum(text.data()) : Datum{0},
                        Int64GetDatum(c)};
    const bool n[3] = {!a.has_value(), !b.has_value(), false};
    HeapTuple t = HeapFormTuple(desc, v, n);
    const storage::ItemPointer tid =
        TableAmOf(heap).Insert(heap, t, transam::GetCurrentCommandId(true));
    AmRow row{tid, a, b, c};
    for (const auto& idx : indexes) InsertEntry(*idx, row, check);
    return tid;
  }

  bool InsertEntry(const AmIndex& idx, const AmRow& row, UniqueCheck check) {
    std::vector<Datum> values;
    std::vector<char> isnull;
    std::vector<std::byte> text;
    IndexValues(idx, row, &values, &isnull, &text);
    std::unique_ptr<bool[]> n = std::make_unique<bool[]>(isnull.size());
    for (size_t i = 0; i < isnull.size(); ++i) n[i] = isnull[i] != 0;
    return IndexAmOf(idx.rel).Insert(idx.rel, values, std::span<const bool>(n.get(), isnull.size()),
                                     row.tid, heap, idx.rel.unique ? check : UniqueCheck::kNo);
  }

  AmRow RowOf(const HeapTupleHeader* h, uint32_t size, storage::ItemPointer tid) const {
    Datum v[3];
    bool n[3];
    HeapDeformTuple(desc, h, size, v, n);
    AmRow r;
    r.tid = tid;
    if (!n[0]) r.a = DatumGetInt32(v[0]);
    if (!n[1]) r.b = std::string(VarTextView(DatumGetPointer(v[1])));
    r.c = DatumGetInt64(v[2]);
    return r;
  }

  // Every row `snapshot` sees.
  std::vector<AmRow> Visible(const transam::Snapshot& snapshot) const {
    std::vector<AmRow> rows;
    auto scan = TableAmOf(heap).BeginScan(heap, snapshot);
    HeapTupleView view;
    while (scan->Next(&view)) rows.push_back(RowOf(view.header, view.size, view.self));
    return rows;
  }

  // The rows matching `keys` on `idx`, in index order (key columns, then tid: BT1).
  static std::vector<AmRow> Expected(const AmIndex& idx, std::vector<AmRow> rows,
                                     std::span<const ScanKey> keys) {
    std::vector<AmRow> out;
    std::vector<Datum> values;
    std::vector<char> isnull;
    std::vector<std::byte> text;
    for (const AmRow& r : rows) {
      IndexValues(idx, r, &values, &isnull, &text);
      bool ok = true;
      for (const ScanKey& k : keys) {
        const size_t col = static_cast<size_t>(k.attno - 1);
        ok = ok && ScanKeyMatches(k, values[col], isnull[col] != 0);
      }
      if (ok) out.push_back(r);
    }
    std::stable_sort(out.begin(), out.end(), [&](const AmRow& x, const AmRow& y) {
      std::vector<Datum> vx, vy;
      std::vector<char> nx, ny;
      std::vector<std::byte> tx, ty;
      IndexValues(idx, x, &vx, &nx, &tx);
      IndexValues(idx, y, &vy, &ny, &ty);
      for (size_t i = 0; i < idx.order.size(); ++i) {
        const int32_t c = IndexCompareColumn(idx.order[i], vx[i], nx[i] != 0, vy[i], ny[i] != 0);
        if (c != 0) return c < 0;
      }
      return x.tid < y.tid;
    });
    return out;
  }
};

// `rows` committed rows: a 0..299 with duplicates, 10% NULL; b "s00".."s99", 5% NULL;
// c the row number.
inline void FillRandomRows(AmTable& t, int rows, uint32_t seed) {
  std::mt19937 rng(seed);
  transam::StartTransaction();
  for (int i = 0; i < rows; ++i) {
    std::optional<int32_t> a;
    if (rng() % 10 != 0) a = static_cast<int32_t>(rng() % 300);
    std::optional<std::string> b;
    if (rng() % 20 != 0) b = "s" + std::to_string(100 + rng() % 100).substr(1);
    (void)t.Insert(a, b, i);
  }
  transam::CommitTransaction();
}

}  // namespace keel::access::nbtree::testing
