// Index tuples (PostgreSQL's IndexTuple): an 8-byte header {heap tid, size and flag bits}, an
// optional null bitmap, then the column data laid out as in heap tuples; and the key
// comparison every ordered index uses (IndexKeyDesc: per key column a comparator, ASC/DESC,
// NULLS FIRST/LAST). Layout and invariants IT1-IT7: access/common/README.md ("Index tuples").
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "access/common/datum.h"
#include "access/common/tuple_desc.h"
#include "storage/page/item_pointer.h"

namespace keel::access {

// PostgreSQL's INDEX_MAX_KEYS: at most 32 columns (key + INCLUDE) in an index tuple.
inline constexpr int kIndexMaxKeys = 32;

// info bits (IT1).
inline constexpr uint16_t kIndexSizeMask = 0x1FFF;    // total size in bytes
inline constexpr uint16_t kIndexAmFlag = 0x2000;      // reserved for the access method
inline constexpr uint16_t kIndexHasVarWidth = 0x4000; // a varlena / cstring value is present
inline constexpr uint16_t kIndexHasNulls = 0x8000;    // the 4-byte null bitmap follows

// The 8-byte header at the start of every index tuple (8-byte aligned on pages).
struct IndexTupleHeader {
  uint32_t tid_block;   // heap tid (leaf entries) or whatever the AM keeps there (downlinks)
  uint16_t tid_offset;
  uint16_t info;        // size | flags

  [[nodiscard]] storage::ItemPointer Tid() const { return {BlockNumber(tid_block), tid_offset}; }
  void SetTid(const storage::ItemPointer& tid) {
    tid_block = tid.block.value();
    tid_offset = tid.offset;
  }
  [[nodiscard]] size_t Size() const { return info & kIndexSizeMask; }
  [[nodiscard]] bool HasNulls() const { return (info & kIndexHasNulls) != 0; }
  // Offset of the column data from the tuple start (IT2).
  [[nodiscard]] size_t DataOffset() const { return HasNulls() ? 16 : 8; }
  [[nodiscard]] const std::byte* bytes() const { return reinterpret_cast<const std::byte*>(this); }
};
static_assert(sizeof(IndexTupleHeader) == 8);
inline constexpr size_t kIndexTupleHeaderSize = 8;
inline constexpr size_t kIndexNullBitmapSize = 4;  // kIndexMaxKeys bits

// An owned index tuple, 8-byte aligned storage; `size()` bytes long (header included).
class IndexTuple {
 public:
  IndexTuple() = default;
  explicit IndexTuple(size_t len) : words_((len + 7) / 8), len_(static_cast<uint32_t>(len)) {}
  IndexTuple(const std::byte* data, size_t len);

  [[nodiscard]] IndexTupleHeader* header() { return reinterpret_cast<IndexTupleHeader*>(words_.data()); }
  [[nodiscard]] const IndexTupleHeader* header() const {
    return reinterpret_cast<const IndexTupleHeader*>(words_.data());
  }
  [[nodiscard]] std::byte* data() { return reinterpret_cast<std::byte*>(words_.data()); }
  [[nodiscard]] const std::byte* data() const { return reinterpret_cast<const std::byte*>(words_.data()); }
  [[nodiscard]] size_t size() const { return len_; }
  [[nodiscard]] bool empty() const { return len_ == 0; }
  // Grows the tuple to `len` bytes (zero-filled) and stores the new size in info.
  // Requires: len >= size(), len <= kIndexSizeMask.
  void Resize(size_t len);

 private:
  std::vector<uint64_t> words_;
  uint32_t len_ = 0;
};

// Bytes IndexFormTuple would produce for the first `natts` columns (-1: all of desc).
// Requires: values/isnull have at least that many entries; by-reference values are inline and
// uncompressed (the caller detoasts: IT4). Throws 0A000 for an external (TOAST pointer) or an
// inline-compressed varlena value.
[[nodiscard]] size_t IndexComputeTupleSize(const TupleDesc& desc, std::span<const Datum> values,
                                           std::span<const bool> isnull, int natts = -1);

// A new tuple holding the first `natts` columns (-1: all of desc) with `heap_tid`.
// Throws 54011 "number of index columns (%d) exceeds limit (%d)" past kIndexMaxKeys, 54000
// "index row requires %zu bytes, maximum size is %zu" past kIndexSizeMask, 0A000 (feature not
// supported) for an external (TOAST pointer) or inline-compressed varlena value (IT4).
[[nodiscard]] IndexTuple IndexFormTuple(const TupleDesc& desc, std::span<const Datum> values,
                                        std::span<const bool> isnull, storage::ItemPointer heap_tid,
                                        int natts = -1);

// Splits the first `natts` columns (values.size()) of a stored tuple. By-reference Datums point
// into the tuple: valid while its bytes are. Requires: values.size() == isnull.size() <=
// desc.natts() and the tuple was formed with at least that many columns.
// Throws XX001 "invalid index tuple data ..." when data runs past the tuple's size.
void IndexDeformTuple(const TupleDesc& desc, const IndexTupleHeader* tuple,
                      std::span<Datum> values, std::span<bool> isnull);

// Whether column `col_idx` is null (bit clear in the bitmap).
[[nodiscard]] bool IndexAttIsNull(const IndexTupleHeader* tuple, int col_idx);

// --- key comparison ---------------------------------------------------------------------------
// Text form of a value, for error details ("Key (id)=(42) already exists.").
using IndexOutputFn = std::string (*)(Datum value);

struct IndexKeyColumn {
  DatumCompareFn compare = nullptr;  // datum.h: three-way, never sees NULL
  const void* compare_arg = nullptr;
  IndexOutputFn output = nullptr;
  bool descending = false;
  bool nulls_first = false;  // IT5: default NULLS LAST for ASC, NULLS FIRST for DESC
  // IT7: values that compare equal are bytewise equal (PostgreSQL's "equalimage"), so one stored
  // copy can stand for all of them (B+tree deduplication). False for float8 (-0 = 0).
  bool equal_image = false;
};

// The ordering of an index: key columns (compared) then INCLUDE columns (carried only).
// Immutable after construction; shared by const reference.
struct IndexKeyDesc {
  const TupleDesc* tupdesc = nullptr;   // every column, key columns first; owner: the caller
  std::vector<IndexKeyColumn> keys;     // one per key column
  std::vector<std::string> names;       // key column names, for error details

  [[nodiscard]] int nkeyatts() const { return static_cast<int>(keys.size()); }
  [[nodiscard]] int natts() const { return tupdesc->natts(); }
};

// A key column for a built-in type: int2, int4, int8, oid, bool, float8, text (bytewise, as the
// C collation); equal_image (IT7) is set for all of them but float8. Throws XX000 "missing
// support function for type %u" for any other type.
// `nulls_first` < 0: the default for the direction (IT5).
[[nodiscard]] IndexKeyColumn IndexKeyColumnForType(uint32_t type_oid, bool descending = false,
                                                   int nulls_first = -1);

// Compares column `col` of two values in index order (direction and null placement applied).
[[nodiscard]] int32_t IndexCompareColumn(const IndexKeyColumn& col, Datum a, bool a_null,
                                         Datum b, bool b_null);

// Built-in comparators (exposed for tests and the catalog).
[[nodiscard]] int BtInt2Cmp(Datum a, Datum b, const void* arg = nullptr);
[[nodiscard]] int BtInt4Cmp(Datum a, Datum b, const void* arg = nullptr);
[[nodiscard]] int BtInt8Cmp(Datum a, Datum b, const void* arg = nullptr);
[[nodiscard]] int BtOidCmp(Datum a, Datum b, const void* arg = nullptr);
[[nodiscard]] int BtBoolCmp(Datum a, Datum b, const void* arg = nullptr);
// BtFloat8Cmp: NaN sorts above everything and equals NaN.
[[nodiscard]] int BtFloat8Cmp(Datum a, Datum b, const void* arg = nullptr);
[[nodiscard]] int BtTextCmpC(Datum a, Datum b, const void* arg = nullptr);  // varlenas, C order

}  // namespace keel::access
