// Test-only helpers for the relation DDL tests: a bootstrapped database with the real relation
// droppers, statement builders, rows written and read through the relation cache's
// descriptors with the table and index AMs, and catalog consistency checks. Header-only.
#pragma once

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <string>
#include <vector>

#include "access/common/heap_form.h"
#include "access/common/varlena.h"
#include "access/index/indexam.h"
#include "access/table/tableam.h"
#include "access/transam/xact.h"
#include "backend/catalog/catalog_test_util.h"
#include "backend/commands/index_commands.h"
#include "backend/commands/table_commands.h"
#include "backend/commands/truncate.h"
#include "backend/utils/cache/relcache.h"

namespace keel::commands::testing {

using catalog::testing::ErrorOf;
using catalog::testing::TestCat;
namespace oids = catalog::catalog_oid;

inline TypeName Type(std::string name, std::vector<int32_t> mods = {}, int bounds = 0) {
  return TypeName{{std::move(name)}, std::move(mods), bounds};
}
inline Constraint Con(ConstrType t) {
  Constraint c;
  c.contype = t;
  return c;
}
inline ColumnDef Col(std::string name, TypeName type, std::vector<Constraint> cons = {}) {
  return ColumnDef{std::move(name), std::move(type), std::move(cons)};
}
inline catalog::RangeVar Rel(std::string name) {
  catalog::RangeVar rv;
  rv.relname = std::move(name);
  return rv;
}
inline CreateStmt Table(std::string name, std::vector<ColumnDef> cols,
                        std::vector<Constraint> cons = {}) {
  CreateStmt s;
  s.relation = Rel(std::move(name));
  s.columns = std::move(cols);
  s.constraints = std::move(cons);
  return s;
}
inline DropStmt Drop(catalog::ObjectType type, std::vector<std::string> names,
                     catalog::DropBehavior behavior = catalog::DropBehavior::kRestrict,
                     bool missing_ok = false) {
  DropStmt d;
  d.remove_type = type;
  for (std::string& n : names) d.objects.push_back({std::move(n)});
  d.behavior = behavior;
  d.missing_ok = missing_ok;
  return d;
}
inline IndexStmt Index(std::string name, std::string table, std::vector<std::string> cols) {
  IndexStmt s;
  s.idxname = std::move(name);
  s.relation = Rel(std::move(table));
  for (std::string& c : cols) s.index_params.push_back(IndexElem{std::move(c)});
  return s;
}

// Inserts rows (key, "row <key>") into a table (a int4, b text [, ...NULLs]) and into each of
// its indexes, as the executor will. Requires: an active transaction.
inline void InsertRows(Oid relid, int from, int to) {
  const cache::RelationRef rel = cache::RelationOpen(relid, storage::LockMode::kRowExclusive);
  std::vector<cache::RelationRef> indexes;
  for (Oid i : rel->index_oids) {
    indexes.push_back(cache::RelationOpen(i, storage::LockMode::kRowExclusive));
  }
  const CommandId cid = transam::GetCurrentCommandId(true);
  const int natts = rel->desc.natts();
  for (int k = from; k <= to; ++k) {
    const std::vector<std::byte> text = access::MakeVarlena("row " + std::to_string(k));
    std::vector<access::Datum> values(static_cast<size_t>(natts), 0);
    std::unique_ptr<bool[]> isnull(new bool[static_cast<size_t>(natts)]);
    for (int c = 0; c < natts; ++c) isnull[c] = c >= 2;
    values[0] = access::Int32GetDatum(k);
    if (natts > 1) values[1] = access::PointerGetDatum(text.data());
    access::HeapTuple tuple =
        access::HeapFormTuple(rel->desc, values, std::span<const bool>(isnull.get(), natts));
    const storage::ItemPointer tid = access::TableAmOf(rel->rel).Insert(rel->rel, tuple, cid);
    for (const cache::RelationRef& ix : indexes) {
      std::vector<access::Datum> keys;
      std::unique_ptr<bool[]> key_null(new bool[ix->index_facts->indkey.size()]);
      size_t n = 0;
      for (int16_t attnum : ix->index_facts->indkey) {
        keys.push_back(values[static_cast<size_t>(attnum - 1)]);
        key_null[n++] = isnull[attnum - 1];
      }
      (void)access::IndexAmOf(ix->index).Insert(
          ix->index, keys, std::span<const bool>(key_null.get(), n), tid, rel->rel,
          ix->index_facts->is_unique ? access::UniqueCheck::kYes : access::UniqueCheck::kNo);
    }
  }
  transam::CommandCounterIncrement();
}

// The first column (int4) of every row the index finds for `key` on its first column (or of
// every entry when `all`), fetched from the table under a fresh snapshot.
inline std::vector<int32_t> IndexLookup(Oid index_oid, int32_t key, bool all = false) {
  const cache::RelationRef ix = cache::RelationOpen(index_oid, storage::LockMode::kAccessShare);
  const cache::RelationRef heap =
      cache::RelationOpen(ix->index_facts->heap_oid, storage::LockMode::kAccessShare);
  access::ScanKey k;
  k.attno = 1;
  k.strategy = access::strategy::kEqual;
  k.argument = access::Int32GetDatum(key);
  k.compare = ix->index.columns[0].compare;
  k.compare_arg = ix->index.columns[0].compare_arg;
  std::unique_ptr<access::IndexScan> scan =
      access::IndexAmOf(ix->index).BeginScan(ix->index, 1, false);
  if (all) {
    scan->Rescan({});
  } else {
    scan->Rescan(std::span<const access::ScanKey>(&k, 1));
  }
  std::unique_ptr<access::IndexFetch> fetch = access::TableAmOf(heap->rel).BeginIndexFetch(heap->rel);
  const transam::Snapshot snapshot = transam::GetLatestSnapshot();
  std::vector<int32_t> out;
  access::IndexScanEntry e;
  while (scan->GetNextTid(access::ScanDirection::kForward, &e)) {
    access::HeapTuple t;
    if (!fetch->Fetch(snapshot, e.tid, &t)) continue;
    bool isnull = false;
    out.push_back(access::DatumGetInt32(
        access::HeapGetAttr(heap->desc, t.header(), t.size(), 0, &isnull)));
  }
  return out;
}

// Rows of a user table visible now (sequential scan through the table AM).
inline size_t CountTableRows(Oid relid) {
  const cache::RelationRef rel = cache::RelationOpen(relid, storage::LockMode::kAccessShare);
  const transam::Snapshot snapshot = transam::GetLatestSnapshot();
  std::unique_ptr<access::TableScan> scan = access::TableAmOf(rel->rel).BeginScan(rel->rel, snapshot);
  size_t n = 0;
  access::HeapTupleView v;
  while (scan->Next(&v)) ++n;
  return n;
}

inline std::string FilePath(Oid relfilenode) {
  return "base/" + std::to_string(keel::testing::kTestDb) + "/" +
         std::to_string(relfilenode.value());
}
// Whether the main fork exists with any content or name (an unlinked-after-checkpoint file is
// truncated to 0 at commit: SM5).
inline bool FileExists(Oid relfilenode) {
  struct stat st {};
  return stat(FilePath(relfilenode).c_str(), &st) == 0;
}
inline bool FileHasData(Oid relfilenode) {
  struct stat st {};
  return stat(FilePath(relfilenode).c_str(), &st) == 0 && st.st_size > 0;
}

inline Oid Relfilenode(Oid relid) {
  std::optional<access::HeapTuple> row =
      catalog::CatalogLookupByOid(TestCat(oids::kPgClass), relid, transam::GetLatestSnapshot());
  return row ? Oid(catalog::CatalogGetOid(TestCat(oids::kPgClass), *row, "relfilenode"))
             : kInvalidOid;
}

// Catalog consistency (C13 and the T-invariants): every catalog index holds exactly the heap's
// visible rows (each heap row found by its key, and as many visible entries as rows); every
// pg_class row of a user relation has relnatts pg_attribute rows (plus six system columns for
// tables), a table its row type, an index its pg_index row; no pg_attribute / pg_type /
// pg_index row points at a missing relation. Returns an empty string when consistent.
inline std::string CheckCatalogConsistency() {
  const transam::Snapshot snapshot = transam::GetLatestSnapshot();
  for (const catalog::CatalogDef& def : catalog::AllCatalogs()) {
    if (def.shared) continue;
    const catalog::CatalogRelation& cat = TestCat(def.oid);
    const std::vector<access::HeapTuple> rows = catalog::CatalogSeqScan(cat, snapshot);
    for (const auto& index : cat.indexes) {
      size_t entries = 0;
      std::unique_ptr<access::IndexScan> scan =
          access::IndexAmOf(index->index).BeginScan(index->index, 0, false);
      scan->Rescan({});
      std::unique_ptr<access::IndexFetch> fetch = access::TableAmOf(cat.rel).BeginIndexFetch(cat.rel);
      access::IndexScanEntry e;
      while (scan->GetNextTid(access::ScanDirection::kForward, &e)) {
        access::HeapTuple t;
        if (fetch->Fetch(snapshot, e.tid, &t)) ++entries;
      }
      if (entries != rows.size()) {
        return std::string(index->def->name) + ": " + std::to_string(entries) + " entries, " +
               std::to_string(rows.size()) + " rows";
      }
      for (const access::HeapTuple& row : rows) {
        std::vector<access::Datum> keys;
        for (int col : index->heap_columns) {
          keys.push_back(catalog::CatalogGetAttr(cat, row, def.columns[static_cast<size_t>(col)].name));
        }
        bool found = false;
        for (const access::HeapTuple& hit : catalog::CatalogIndexScan(cat, index->def->oid, keys, snapshot)) {
          found = found || hit.self == row.self;
        }
        if (!found) return std::string(index->def->name) + ": a heap row is not found by its key";
      }
    }
  }
  const catalog::CatalogRelation& pc = TestCat(oids::kPgClass);
  for (const access::HeapTuple& row : catalog::CatalogSeqScan(pc, snapshot)) {
    const Oid relid(catalog::CatalogGetOid(pc, row, "oid"));
    if (relid.value() < catalog::kFirstNormalObjectId) continue;
    const char kind = catalog::CatalogGetChar(pc, row, "relkind");
    const int64_t natts = catalog::CatalogGetInt(pc, row, "relnatts");
    const access::Datum key[] = {access::ObjectIdGetDatum(relid)};
    const size_t attrs = catalog::CatalogIndexScan(TestCat(oids::kPgAttribute), 2659, key, snapshot).size();
    const size_t want = static_cast<size_t>(natts) + (kind == 'r' ? 6 : 0);
    if (attrs != want) {
      return "relation " + std::to_string(relid.value()) + " has " + std::to_string(attrs) +
             " pg_attribute rows, expected " + std::to_string(want);
    }
    if (kind == 'r' && !catalog::CatalogLookupByOid(TestCat(oids::kPgType),
                                                    Oid(catalog::CatalogGetOid(pc, row, "reltype")),
                                                    snapshot)) {
      return "table " + std::to_string(relid.value()) + " has no row type";
    }
    if (kind == 'i' && catalog::CatalogIndexScan(TestCat(oids::kPgIndex), 2679, key, snapshot).empty()) {
      return "index " + std::to_string(relid.value()) + " has no pg_index row";
    }
  }
  const catalog::CatalogRelation& att = TestCat(oids::kPgAttribute);
  for (const access::HeapTuple& row : catalog::CatalogSeqScan(att, snapshot)) {
    const Oid relid(catalog::CatalogGetOid(att, row, "attrelid"));
    if (!catalog::CatalogLookupByOid(pc, relid, snapshot)) {
      return "pg_attribute row of missing relation " + std::to_string(relid.value());
    }
  }
  const catalog::CatalogRelation& ty = TestCat(oids::kPgType);
  for (const access::HeapTuple& row : catalog::CatalogSeqScan(ty, snapshot)) {
    const Oid relid(catalog::CatalogGetOid(ty, row, "typrelid"));
    if (relid != kInvalidOid && !catalog::CatalogLookupByOid(pc, relid, snapshot)) {
      return "row type of missing relation " + std::to_string(relid.value());
    }
  }
  return "";
}

// A bootstrapped database (catalog's CatalogTest) with the real relation droppers in place of
// the test ones.
class TableTest : public catalog::testing::CatalogTest {
 protected:
  void SetUp() override {
    CatalogTest::SetUp();
    RegisterTableCommands();
  }
};

}  // namespace keel::commands::testing
