// Catalog lookups through indexes and sequential scans; see catalog_lookup.h.
#include "backend/catalog/catalog_lookup.h"

#include "access/common/heap_form.h"
#include "access/common/varlena.h"
#include "access/index/indexam.h"
#include "access/table/tableam.h"
#include "access/transam/snapshot.h"
#include "backend/catalog/builtin_types.h"
#include "backend/catalog/catalog_values.h"
#include "backend/utils/error/error.h"
#include "backend/utils/error/format.h"
#include "backend/utils/error/sqlstate.h"

namespace keel::catalog {
namespace {

int ColumnOrThrow(const CatalogRelation& cat, std::string_view column) {
  const int i = cat.def->ColumnIndex(column);
  if (i < 0) {
    throw Error(sqlstate::kInternalError,
                Format("column \"%.*s\" of relation \"%s\" does not exist",
                       static_cast<int>(column.size()), column.data(), cat.rel.name.c_str()));
  }
  return i;
}

}  // namespace

std::vector<access::HeapTuple> CatalogIndexScan(const CatalogRelation& cat, uint32_t index_oid,
                                                std::span<const access::Datum> keys,
                                                const transam::Snapshot& snapshot) {
  const CatalogIndex& idx = cat.Index(index_oid);
  if (keys.empty() || static_cast<int>(keys.size()) > idx.index.key_columns) {
    throw Error(sqlstate::kInternalError,
                Format("index \"%s\" lookup with %zu keys", idx.index.rel.name.c_str(),
                       keys.size()));
  }
  std::vector<access::ScanKey> scan_keys;
  for (size_t k = 0; k < keys.size(); ++k) {
    const access::IndexColumn& c = idx.index.columns[k];
    scan_keys.push_back(access::ScanKey{.attno = static_cast<access::AttrNumber>(k + 1),
                                        .strategy = access::strategy::kEqual,
                                        .argument = keys[k],
                                        .compare = c.compare,
                                        .compare_arg = c.compare_arg});
  }
  const access::IndexAm& am = access::IndexAmOf(idx.index);
  std::unique_ptr<access::IndexScan> scan =
      am.BeginScan(idx.index, static_cast<int>(scan_keys.size()), false);
  scan->Rescan(scan_keys);
  std::unique_ptr<access::IndexFetch> fetch = access::TableAmOf(cat.rel).BeginIndexFetch(cat.rel);
  std::vector<access::HeapTuple> rows;
  access::IndexScanEntry entry;
  while (scan->GetNextTid(access::ScanDirection::kForward, &entry)) {
    access::HeapTuple row;
    if (fetch->Fetch(snapshot, entry.tid, &row)) rows.push_back(std::move(row));
  }
  return rows;
}

std::optional<access::HeapTuple> CatalogLookupByOid(const CatalogRelation& cat, Oid oid,
                                                    const transam::Snapshot& snapshot) {
  const CatalogIndexDef* idx = OidIndexOf(*cat.def);
  if (idx == nullptr) {
    throw Error(sqlstate::kInternalError,
                Format("relation \"%s\" has no oid index", cat.rel.name.c_str()));
  }
  const access::Datum key = access::ObjectIdGetDatum(oid);
  std::vector<access::HeapTuple> rows = CatalogIndexScan(cat, idx->oid, {&key, 1}, snapshot);
  if (rows.empty()) return std::nullopt;
  return std::move(rows.front());  // unique index: at most one visible row
}

std::vector<access::HeapTuple> CatalogSeqScan(const CatalogRelation& cat,
                                              const transam::Snapshot& snapshot) {
  std::vector<access::HeapTuple> rows;
  auto scan = access::TableAmOf(cat.rel).BeginScan(cat.rel, snapshot);
  access::HeapTupleView view;
  while (scan->Next(&view)) {
    access::HeapTuple row(reinterpret_cast<const std::byte*>(view.header), view.size);
    row.self = view.self;
    rows.push_back(std::move(row));
  }
  return rows;
}

std::optional<access::HeapTuple> CatalogSeqScanByOid(const CatalogRelation& cat, Oid oid,
                                                     const transam::Snapshot& snapshot) {
  for (access::HeapTuple& row : CatalogSeqScan(cat, snapshot)) {
    if (CatalogGetOid(cat, row, "oid") == oid.value()) return std::move(row);
  }
  return std::nullopt;
}

access::Datum CatalogGetAttr(const CatalogRelation& cat, const access::HeapTuple& row,
                             std::string_view column, bool* isnull) {
  const int col = ColumnOrThrow(cat, column);
  bool null = false;
  const access::Datum d = access::HeapGetAttr(cat.desc, row.header(), row.size(), col, &null);
  if (isnull != nullptr) {
    *isnull = null;
  } else if (null) {
    throw Error(sqlstate::kInternalError,
                Format("unexpected null value in column \"%.*s\" of relation \"%s\"",
                       static_cast<int>(column.size()), column.data(), cat.rel.name.c_str()));
  }
  return d;
}

uint32_t CatalogGetOid(const CatalogRelation& cat, const access::HeapTuple& row,
                       std::string_view column) {
  return access::DatumGetUInt32(CatalogGetAttr(cat, row, column));
}

int64_t CatalogGetInt(const CatalogRelation& cat, const access::HeapTuple& row,
                      std::string_view column) {
  const access::Datum d = CatalogGetAttr(cat, row, column);
  switch (cat.desc.attr(ColumnOrThrow(cat, column)).attlen) {
    case 2: return access::DatumGetInt16(d);
    case 4: return access::DatumGetInt32(d);
    default: return access::DatumGetInt64(d);
  }
}

bool CatalogGetBool(const CatalogRelation& cat, const access::HeapTuple& row,
                    std::string_view column) {
  return access::DatumGetBool(CatalogGetAttr(cat, row, column));
}

char CatalogGetChar(const CatalogRelation& cat, const access::HeapTuple& row,
                    std::string_view column) {
  return access::DatumGetChar(CatalogGetAttr(cat, row, column));
}

std::string CatalogGetName(const CatalogRelation& cat, const access::HeapTuple& row,
                           std::string_view column) {
  return std::string(NameView(access::DatumGetPointer(CatalogGetAttr(cat, row, column))));
}

std::optional<std::string> CatalogGetText(const CatalogRelation& cat, const access::HeapTuple& row,
                                          std::string_view column) {
  bool null = false;
  const access::Datum d = CatalogGetAttr(cat, row, column, &null);
  if (null) return std::nullopt;
  return std::string(access::VarTextView(access::DatumGetPointer(d)));
}

}  // namespace keel::catalog
