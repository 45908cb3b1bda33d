// Forming and deforming index tuples, and the built-in key comparators. Layout rules IT1-IT6:
// access/common/README.md ("Index tuples").
#include "access/common/index_tuple.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "access/common/varlena.h"
#include "backend/utils/error/error.h"
#include "backend/utils/error/format.h"

namespace keel::access {

namespace {

enum class VarForm : uint8_t { kAsIs1B, kMakeShort, kAligned4B };

VarForm VarlenaForm(const Attribute& a, const std::byte* p) {
  if (VarIs1B(p)) return VarForm::kAsIs1B;
  if (a.attstorage != kStoragePlain && VarCanMakeShort(p)) return VarForm::kMakeShort;
  return VarForm::kAligned4B;
}

size_t AddValueSize(const Attribute& a, Datum d, size_t off) {
  if (a.attlen > 0) return AlignUp(off, a.attalign) + static_cast<size_t>(a.attlen);
  if (a.attlen == kAttLenCString) return off + strlen(DatumGetCString(d)) + 1;
  const std::byte* p = DatumGetPointer(d);
  // IT4: values must be inline and uncompressed (the caller detoasts): the comparators read
  // the raw bytes, so a compressed value would sort wrongly.
  if (VarIsExternal(p)) {
    throw Error(sqlstate::kFeatureNotSupported,
                "cannot store an external (TOASTed) value in an index tuple");
  }
  if (VarIsCompressed(p)) {
    throw Error(sqlstate::kFeatureNotSupported,
                "cannot store a compressed value in an index tuple");
  }
  switch (VarlenaForm(a, p)) {
    case VarForm::kAsIs1B: return off + VarSizeAny(p);
    case VarForm::kMakeShort: return off + VarConvertedShortSize(p);
    case VarForm::kAligned4B: return AlignUp(off, a.attalign) + VarSizeAny(p);
  }
  return off;
}

int ResolveNatts(const TupleDesc& desc, int natts) {
  if (natts < 0) natts = desc.natts();
  if (natts > kIndexMaxKeys) {
    throw Error(sqlstate::kTooManyColumns,
                Format("number of index columns (%d) exceeds limit (%d)", natts, kIndexMaxKeys));
  }
  KEEL_ASSERT(natts <= desc.natts());
  return natts;
}

[[noreturn]] void CorruptIndexTuple(int col_idx, size_t off, size_t size) {
  throw Error(sqlstate::kDataCorrupted,
              Format("invalid index tuple data: column %d at offset %zu runs past the tuple end %zu",
                     col_idx + 1, off, size));
}

}  // namespace

IndexTuple::IndexTuple(const std::byte* data, size_t len) : IndexTuple(len) {
  std::memcpy(words_.data(), data, len);
}

void IndexTuple::Resize(size_t len) {
  KEEL_ASSERT(len >= len_ && len <= kIndexSizeMask);
  words_.resize((len + 7) / 8, 0);
  // Bytes between the old end and the next word boundary may hold stale data: clear them.
  std::byte* p = data();
  std::memset(p + len_, 0, words_.size() * 8 - len_);
  len_ = static_cast<uint32_t>(len);
  header()->info = static_cast<uint16_t>((header()->info & ~kIndexSizeMask) | len);
}

size_t IndexComputeTupleSize(const TupleDesc& desc, std::span<const Datum> values,
                             std::span<const bool> isnull, int natts) {
  natts = ResolveNatts(desc, natts);
  bool has_nulls = false;
  size_t off = 0;
  for (int i = 0; i < natts; ++i) {
    if (isnull[static_cast<size_t>(i)]) {
      has_nulls = true;
      continue;
    }
    off = AddValueSize(desc.attr(i), values[static_cast<size_t>(i)], off);
  }
  return (has_nulls ? 16 : 8) + off;  // IT2: data starts 8-aligned after header (+ bitmap)
}

IndexTuple IndexFormTuple(const TupleDesc& desc, std::span<const Datum> values,
                          std::span<const bool> isnull, storage::ItemPointer heap_tid, int natts) {
  natts = ResolveNatts(desc, natts);
  const size_t total = IndexComputeTupleSize(desc, values, isnull, natts);
  if (total > kIndexSizeMask) {
    throw Error(sqlstate::kProgramLimitExceeded,
                Format("index row requires %zu bytes, maximum size is %zu", total,
                       static_cast<size_t>(kIndexSizeMask)));
  }
  bool has_nulls = false;
  for (int i = 0; i < natts; ++i) has_nulls |= isnull[static_cast<size_t>(i)];
  IndexTuple tuple(total);  // zero-filled: bitmap and padding start at 0
  IndexTupleHeader* h = tuple.header();
  h->SetTid(heap_tid);
  uint16_t info = static_cast<uint16_t>(total);
  if (has_nulls) info |= kIndexHasNulls;
  auto* bits = reinterpret_cast<uint8_t*>(tuple.data() + kIndexTupleHeaderSize);
  std::byte* data = tuple.data() + (has_nulls ? 16 : 8);

  size_t off = 0;
  for (int i = 0; i < natts; ++i) {
    const size_t idx = static_cast<size_t>(i);
    if (isnull[idx]) continue;
    if (has_nulls) bits[i >> 3] |= static_cast<uint8_t>(1u << (i & 7));  // IT3: set = not null
    const Attribute& a = desc.attr(i);
    const Datum d = values[idx];
    if (a.attlen > 0) {
      off = AlignUp(off, a.attalign);
      if (a.attbyval) {
        std::memcpy(data + off, &d, static_cast<size_t>(a.attlen));
      } else {
        std::memcpy(data + off, DatumGetPointer(d), static_cast<size_t>(a.attlen));
      }
      off += static_cast<size_t>(a.attlen);
      continue;
    }
    info |= kIndexHasVarWidth;
    if (a.attlen == kAttLenCString) {
      const size_t len = strlen(DatumGetCString(d)) + 1;
      std::memcpy(data + off, DatumGetCString(d), len);
      off += len;
      continue;
    }
    const std::byte* p = DatumGetPointer(d);
    switch (VarlenaForm(a, p)) {
      case VarForm::kAsIs1B: {
        const size_t len = VarSizeAny(p);
        std::memcpy(data + off, p, len);
        off += len;
        break;
      }
      case VarForm::kMakeShort: {
        const size_t data_len = VarSizeAnyExhdr(p);
        SetVarSize1B(data + off, data_len + kVarHdrSzShort);
        std::memcpy(data + off + kVarHdrSzShort, VarDataAny(p), data_len);
        off += data_len + kVarHdrSzShort;
        break;
      }
      case VarForm::kAligned4B: {
        off = AlignUp(off, a.attalign);
        const size_t len = VarSizeAny(p);
        std::memcpy(data + off, p, len);
        off += len;
        break;
      }
    }
  }
  KEEL_ASSERT((has_nulls ? 16 : 8) + off == total);
  h->info = info;
  return tuple;
}

bool IndexAttIsNull(const IndexTupleHeader* tuple, int col_idx) {
  if (!tuple->HasNulls()) return false;
  const auto* bits = reinterpret_cast<const uint8_t*>(tuple->bytes() + kIndexTupleHeaderSize);
  return (bits[col_idx >> 3] & (1u << (col_idx & 7))) == 0;
}

void IndexDeformTuple(const TupleDesc& desc, const IndexTupleHeader* tuple,
                      std::span<Datum> values, std::span<bool> isnull) {
  KEEL_ASSERT(values.size() == isnull.size());
  KEEL_ASSERT(values.size() <= static_cast<size_t>(desc.natts()));
  const int natts = static_cast<int>(values.size());
  const size_t size = tuple->Size();
  const size_t hoff = tuple->DataOffset();
  if (hoff > size) CorruptIndexTuple(0, hoff, size);
  const std::byte* data = tuple->bytes() + hoff;
  const size_t data_size = size - hoff;
  size_t off = 0;
  for (int i = 0; i < natts; ++i) {
    const size_t idx = static_cast<size_t>(i);
    if (IndexAttIsNull(tuple, i)) {
      values[idx] = 0;
      isnull[idx] = true;
      continue;
    }
    isnull[idx] = false;
    const Attribute& a = desc.attr(i);
    if (a.attlen > 0) {
      off = AlignUp(off, a.attalign);
      const size_t len = static_cast<size_t>(a.attlen);
      if (off + len > data_size) CorruptIndexTuple(i, off, data_size);
      const std::byte* p = data + off;
      off += len;
      if (!a.attbyval) {
        values[idx] = PointerGetDatum(p);
        continue;
      }
      switch (a.attlen) {  // sign-extended as heap tuples (T2)
        case 1: values[idx] = static_cast<Datum>(static_cast<int64_t>(static_cast<int8_t>(p[0]))); break;
        case 2: { int16_t v; std::memcpy(&v, p, 2); values[idx] = Int16GetDatum(v); break; }
        case 4: { int32_t v; std::memcpy(&v, p, 4); values[idx] = Int32GetDatum(v); break; }
        default: { uint64_t v; std::memcpy(&v, p, 8); values[idx] = v; break; }
      }
      continue;
    }
    if (off >= data_size) CorruptIndexTuple(i, off, data_size);
    if (a.attlen == kAttLenCString) {
      const void* nul = std::memchr(data + off, 0, data_size - off);
      if (nul == nullptr) CorruptIndexTuple(i, off, data_size);
      values[idx] = PointerGetDatum(data + off);
      off = static_cast<size_t>(static_cast<const std::byte*>(nul) - data) + 1;
      continue;
    }
    if (data[off] == std::byte{0}) {  // padding before an aligned 4-byte header (T3)
      off = AlignUp(off, a.attalign);
      if (off >= data_size) CorruptIndexTuple(i, off, data_size);
    }
    const std::byte* p = data + off;
    if (!VarIs1B(p) && off + kVarHdrSz > data_size) CorruptIndexTuple(i, off, data_size);
    if (VarIsExternal(p)) CorruptIndexTuple(i, off, data_size);
    const size_t len = VarSizeAny(p);
    if (len == 0 || off + len > data_size) CorruptIndexTuple(i, off, data_size);
    values[idx] = PointerGetDatum(p);
    off += len;
  }
}

// --- comparators ------------------------------------------------------------------------------

namespace {

template <typename T>
int32_t Cmp3(T a, T b) {
  return a < b ? -1 : (a > b ? 1 : 0);
}

std::string Int2Out(Datum d) { return std::to_string(DatumGetInt16(d)); }
std::string Int4Out(Datum d) { return std::to_string(DatumGetInt32(d)); }
std::string Int8Out(Datum d) { return std::to_string(DatumGetInt64(d)); }
std::string OidOut(Datum d) { return std::to_string(DatumGetUInt32(d)); }
std::string BoolOut(Datum d) { return DatumGetBool(d) ? "t" : "f"; }
std::string Float8Out(Datum d) {
  const double v = DatumGetFloat8(d);
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "Infinity" : "-Infinity";
  return Format("%.17g", v);
}
std::string TextOut(Datum d) {
  const std::span<const std::byte> s = VarDataSpan(DatumGetPointer(d));
  return std::string(reinterpret_cast<const char*>(s.data()), s.size());
}

}  // namespace

int BtInt2Cmp(Datum a, Datum b, const void* /*arg*/) { return Cmp3(DatumGetInt16(a), DatumGetInt16(b)); }
int BtInt4Cmp(Datum a, Datum b, const void* /*arg*/) { return Cmp3(DatumGetInt32(a), DatumGetInt32(b)); }
int BtInt8Cmp(Datum a, Datum b, const void* /*arg*/) { return Cmp3(DatumGetInt64(a), DatumGetInt64(b)); }
int BtOidCmp(Datum a, Datum b, const void* /*arg*/) { return Cmp3(DatumGetUInt32(a), DatumGetUInt32(b)); }
int BtBoolCmp(Datum a, Datum b, const void* /*arg*/) { return Cmp3(DatumGetBool(a), DatumGetBool(b)); }

int BtFloat8Cmp(Datum a, Datum b, const void* /*arg*/) {
  const double x = DatumGetFloat8(a);
  const double y = DatumGetFloat8(b);
  // PostgreSQL's float8 ordering: NaN equals NaN and sorts above every other value.
  if (std::isnan(x)) return std::isnan(y) ? 0 : 1;
  if (std::isnan(y)) return -1;
  return Cmp3(x, y);  // -0 == 0
}

int BtTextCmpC(Datum a, Datum b, const void* /*arg*/) {
  const std::span<const std::byte> x = VarDataSpan(DatumGetPointer(a));
  const std::span<const std::byte> y = VarDataSpan(DatumGetPointer(b));
  const size_t n = std::min(x.size(), y.size());
  const int c = n == 0 ? 0 : std::memcmp(x.data(), y.data(), n);
  if (c != 0) return c < 0 ? -1 : 1;
  return Cmp3(x.size(), y.size());
}

IndexKeyColumn IndexKeyColumnForType(uint32_t type_oid, bool descending, int nulls_first) {
  IndexKeyColumn col;
  switch (type_oid) {
    case type_oid::kInt2: col.compare = BtInt2Cmp; col.output = Int2Out; break;
    case type_oid::kInt4: col.compare = BtInt4Cmp; col.output = Int4Out; break;
    case type_oid::kInt8: col.compare = BtInt8Cmp; col.output = Int8Out; break;
    case type_oid::kOid: col.compare = BtOidCmp; col.output = OidOut; break;
    case type_oid::kBool: col.compare = BtBoolCmp; col.output = BoolOut; break;
    case type_oid::kFloat8: col.compare = BtFloat8Cmp; col.output = Float8Out; break;
    case type_oid::kText:
    case type_oid::kVarchar: col.compare = BtTextCmpC; col.output = TextOut; break;
    default:
      throw Error(sqlstate::kInternalError,
                  Format("missing support function for type %u", type_oid));
  }
  col.equal_image = type_oid != type_oid::kFloat8;  // IT7: -0 and 0 compare equal, differ in bytes
  col.descending = descending;
  col.nulls_first = nulls_first < 0 ? descending : nulls_first != 0;  // IT5
  return col;
}

int32_t IndexCompareColumn(const IndexKeyColumn& col, Datum a, bool a_null, Datum b, bool b_null) {
  if (a_null || b_null) {
    if (a_null && b_null) return 0;  // NULLs sort together (IT5)
    const int32_t null_is_greater = col.nulls_first ? -1 : 1;
    return a_null ? null_is_greater : -null_is_greater;
  }
  const int c = col.compare(a, b, col.compare_arg);
  const int32_t s = c < 0 ? -1 : (c > 0 ? 1 : 0);
  return col.descending ? -s : s;
}

}  // namespace keel::access
