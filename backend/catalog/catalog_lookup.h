// Reading catalogs: equality lookups through a catalog index (index scan + heap fetch under a
// snapshot), sequential scans, and typed column readers. The catalog caches (issue 6, later)
// sit on top of these. README.md ("Lookups").
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "access/common/datum.h"
#include "access/heap/heap_tuple.h"
#include "backend/catalog/catalog_relation.h"

namespace keel::transam {
struct Snapshot;
}

namespace keel::catalog {

// Every row of `cat` that `snapshot` sees and whose first keys.size() key columns of index
// `index_oid` equal `keys` (by-reference keys in the index column's format: a 64-byte name,
// a varlena), in index order. Copies of the rows (self = their tids).
// Requires: an active transaction; 1 <= keys.size() <= the index's key columns; the catalog's
// storage exists. Throws XX000 for an unknown index, plus what the index AM and heap throw.
[[nodiscard]] std::vector<access::HeapTuple> CatalogIndexScan(
    const CatalogRelation& cat, uint32_t index_oid, std::span<const access::Datum> keys,
    const transam::Snapshot& snapshot);

// The row with this oid, through the catalog's oid index. Requires: as CatalogIndexScan; the
// catalog has an oid column. Throws XX000 for a catalog without an oid index.
[[nodiscard]] std::optional<access::HeapTuple> CatalogLookupByOid(
    const CatalogRelation& cat, Oid oid, const transam::Snapshot& snapshot);

// Every row `snapshot` sees, by sequential scan, in physical order.
[[nodiscard]] std::vector<access::HeapTuple> CatalogSeqScan(const CatalogRelation& cat,
                                                            const transam::Snapshot& snapshot);
// The row with this oid found by sequential scan (no index involved).
[[nodiscard]] std::optional<access::HeapTuple> CatalogSeqScanByOid(
    const CatalogRelation& cat, Oid oid, const transam::Snapshot& snapshot);

// Column readers (by column name; by-reference values copied out). `isnull` may be null for
// NOT NULL columns. Throw XX000 for an unknown column.
[[nodiscard]] access::Datum CatalogGetAttr(const CatalogRelation& cat, const access::HeapTuple& row,
                                           std::string_view column, bool* isnull = nullptr);
[[nodiscard]] uint32_t CatalogGetOid(const CatalogRelation& cat, const access::HeapTuple& row,
                                     std::string_view column);
[[nodiscard]] int64_t CatalogGetInt(const CatalogRelation& cat, const access::HeapTuple& row,
                                    std::string_view column);  // int2 / int4 / int8
[[nodiscard]] bool CatalogGetBool(const CatalogRelation& cat, const access::HeapTuple& row,
                                  std::string_view column);
[[nodiscard]] char CatalogGetChar(const CatalogRelation& cat, const access::HeapTuple& row,
                                  std::string_view column);
[[nodiscard]] std::string CatalogGetName(const CatalogRelation& cat, const access::HeapTuple& row,
                                         std::string_view column);
// text columns; nullopt when NULL.
[[nodiscard]] std::optional<std::string> CatalogGetText(const CatalogRelation& cat,
                                                        const access::HeapTuple& row,
                                                        std::string_view column);

}  // namespace keel::catalog
