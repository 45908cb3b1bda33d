// Forming heap tuples from column values and deforming them back, in PostgreSQL's layout:
// null bitmap, per-column alignment, 1-byte headers for short varlenas. The tuple header is
// access/heap/heap_tuple.h's. Layout rules T1-T8: access/common/README.md ("Tuple data").
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "access/common/datum.h"
#include "access/common/tuple_desc.h"
#include "access/heap/heap_tuple.h"

namespace keel::access {

// Bytes HeapFormTuple would produce for these values: hoff + data (T7).
// Requires: values.size() == isnull.size() == desc.natts(); every non-null by-reference
// Datum points at a valid value of its column's kind.
[[nodiscard]] size_t HeapComputeTupleSize(const TupleDesc& desc, std::span<const Datum> values,
                                          std::span<const bool> isnull);

// A new tuple holding `values`: the header is zero except natts (infomask2), hoff and the
// infomask bits kHeapHasNull / kHeapHasVarWidth / kHeapHasExternal; the heap fills in the
// rest when it stores it. By-reference values are copied; plain 4-byte varlenas of columns
// with attstorage != 'p' and at most 126 data bytes get a 1-byte header (T3); short, external
// and compressed values are copied as they are. Requires: as HeapComputeTupleSize.
// Throws 54011 "number of columns (%d) exceeds limit (%d)"; 54000 when the tuple would be
// larger than a varlena can be (1 GB).
[[nodiscard]] HeapTuple HeapFormTuple(const TupleDesc& desc, std::span<const Datum> values,
                                      std::span<const bool> isnull);

// Splits a stored tuple (`size` bytes at `tuple`, 8-byte aligned) into values and null
// flags for every column of `desc`. Columns past the tuple's own natts (added to the table
// after the tuple was stored) come back null. By-reference Datums point into the tuple: they
// are valid only while its bytes are (a pinned page, a HeapTuple that is not destroyed).
// Requires: values.size() == isnull.size() == desc.natts().
// Throws XX001 "invalid tuple data ..." when the data runs past `size` (a damaged tuple).
void HeapDeformTuple(const TupleDesc& desc, const HeapTupleHeader* tuple, uint32_t size,
                     std::span<Datum> values, std::span<bool> isnull);

// One column (0-based `col_idx`): uses attcacheoff when the earlier columns are all present
// (T6), otherwise walks the tuple from the start. Same lifetime and errors as
// HeapDeformTuple. Requires: 0 <= col_idx < desc.natts(); isnull != nullptr.
[[nodiscard]] Datum HeapGetAttr(const TupleDesc& desc, const HeapTupleHeader* tuple,
                                uint32_t size, int col_idx, bool* isnull);

// Whether column `col_idx` is null in the tuple's bitmap (false when it has none; true when
// the tuple has fewer columns).
[[nodiscard]] bool HeapAttIsNull(const HeapTupleHeader* tuple, int col_idx);

}  // namespace keel::access
