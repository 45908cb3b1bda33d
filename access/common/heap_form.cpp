// Forming and deforming heap tuples. Layout rules T1-T8: access/common/README.md.
#include "access/common/heap_form.h"

#include <cstring>

#include "access/common/varlena.h"
#include "backend/utils/error/error.h"
#include "backend/utils/error/format.h"

namespace keel::access {

namespace {

bool BitmapIsNull(const uint8_t* bits, int i) { return (bits[i >> 3] & (1u << (i & 7))) == 0; }

// Where a varlena column's value lands and how it is written (T3).
enum class VarForm : uint8_t { kAsIs1B, kMakeShort, kAligned4B };

VarForm VarlenaForm(const Attribute& a, const std::byte* p) {
  if (VarIs1B(p)) return VarForm::kAsIs1B;  // short or external: never aligned
  if (a.attstorage != kStoragePlain && VarCanMakeShort(p)) return VarForm::kMakeShort;
  return VarForm::kAligned4B;
}

// Advances `off` over one non-null value: alignment, then its stored size.
size_t AddValueSize(const Attribute& a, Datum d, size_t off) {
  if (a.attlen > 0) return AlignUp(off, a.attalign) + static_cast<size_t>(a.attlen);
  if (a.attlen == kAttLenCString) return off + strlen(DatumGetCString(d)) + 1;  // T5: 'c'
  const std::byte* p = DatumGetPointer(d);
  switch (VarlenaForm(a, p)) {
    case VarForm::kAsIs1B: return off + VarSizeAny(p);
    case VarForm::kMakeShort: return off + VarConvertedShortSize(p);
    case VarForm::kAligned4B: return AlignUp(off, a.attalign) + VarSizeAny(p);
  }
  return off;
}

void CheckNatts(const TupleDesc& desc, std::span<const Datum> values,
                std::span<const bool> isnull) {
  if (desc.natts() > kMaxTupleAttributeNumber) {
    throw Error(sqlstate::kTooManyColumns,
                Format("number of columns (%d) exceeds limit (%d)", desc.natts(),
                       kMaxTupleAttributeNumber));
  }
  KEEL_ASSERT(values.size() == static_cast<size_t>(desc.natts()));
  KEEL_ASSERT(isnull.size() == static_cast<size_t>(desc.natts()));
}

[[noreturn]] void CorruptTuple(int col_idx, size_t off, size_t data_size) {
  throw Error(sqlstate::kDataCorrupted,
              Format("invalid tuple data: column %d at offset %zu runs past the data end %zu",
                     col_idx + 1, off, data_size));
}

// Reads column `a` whose (unaligned) position is `*off` inside `data` of `data_size` bytes;
// `cached` says *off already is the column's exact start (attcacheoff). Advances *off past it.
Datum FetchColumn(const Attribute& a, const std::byte* data, size_t data_size, size_t* off,
                  bool cached, int col_idx) {
  size_t o = *off;
  if (a.attlen > 0) {
    if (!cached) o = AlignUp(o, a.attalign);
    size_t len = static_cast<size_t>(a.attlen);
    if (o + len > data_size) CorruptTuple(col_idx, o, data_size);
    *off = o + len;
    const std::byte* p = data + o;
    if (!a.attbyval) return PointerGetDatum(p);
    switch (a.attlen) {  // T2: sign-extended as the Int*GetDatum helpers do
      case 1: return static_cast<Datum>(static_cast<int64_t>(static_cast<int8_t>(p[0])));
      case 2: {
        int16_t v;
        memcpy(&v, p, 2);
        return Int16GetDatum(v);
      }
      case 4: {
        int32_t v;
        memcpy(&v, p, 4);
        return Int32GetDatum(v);
      }
      default: {
        uint64_t v;
        memcpy(&v, p, 8);
        return v;
      }
    }
  }
  if (o >= data_size) CorruptTuple(col_idx, o, data_size);
  if (a.attlen == kAttLenCString) {
    const void* nul = memchr(data + o, 0, data_size - o);
    if (nul == nullptr) CorruptTuple(col_idx, o, data_size);
    *off = static_cast<size_t>(static_cast<const std::byte*>(nul) - data) + 1;
    return PointerGetDatum(data + o);
  }
  // A varlena: a zero byte here is padding before a 4-byte header (padding is zero, a 1-byte
  // header never is, and a 4-byte header always starts aligned: T3).
  if (!cached && data[o] == std::byte{0}) {
    o = AlignUp(o, a.attalign);
    if (o >= data_size) CorruptTuple(col_idx, o, data_size);
  }
  const std::byte* p = data + o;
  if (!VarIs1B(p) && o + kVarHdrSz > data_size) CorruptTuple(col_idx, o, data_size);
  if (VarIsExternal(p) && (o + 2 > data_size || VarTagExternal(p) != kVarTagOnDisk)) {
    CorruptTuple(col_idx, o, data_size);
  }
  size_t len = VarSizeAny(p);
  if (len == 0 || o + len > data_size) CorruptTuple(col_idx, o, data_size);
  *off = o + len;
  return PointerGetDatum(p);
}

}  // namespace

size_t HeapComputeTupleSize(const TupleDesc& desc, std::span<const Datum> values,
                            std::span<const bool> isnull) {
  CheckNatts(desc, values, isnull);
  bool has_nulls = false;
  size_t off = 0;
  for (int i = 0; i < desc.natts(); ++i) {
    if (isnull[static_cast<size_t>(i)]) {
      has_nulls = true;
      continue;
    }
    off = AddValueSize(desc.attr(i), values[static_cast<size_t>(i)], off);
  }
  return HeapTupleHeaderLength(desc.natts(), has_nulls) + off;
}

HeapTuple HeapFormTuple(const TupleDesc& desc, std::span<const Datum> values,
                        std::span<const bool> isnull) {
  size_t total = HeapComputeTupleSize(desc, values, isnull);
  if (total > kVarlenaMaxSize) {
    throw Error(sqlstate::kProgramLimitExceeded,
                Format("invalid memory alloc request size %zu", total));
  }
  bool has_nulls = false;
  for (bool n : isnull) has_nulls |= n;
  const int natts = desc.natts();
  const size_t hoff = HeapTupleHeaderLength(natts, has_nulls);

  HeapTuple tuple(total);  // zero-filled: header fields, bitmap and padding start at 0 (T7)
  HeapTupleHeader* h = tuple.header();
  h->infomask2 = static_cast<uint16_t>(natts);
  h->hoff = static_cast<uint8_t>(hoff);
  uint16_t infomask = has_nulls ? kHeapHasNull : 0;
  uint8_t* bits = h->NullBitmap();
  std::byte* data = tuple.data() + hoff;

  size_t off = 0;
  for (int i = 0; i < natts; ++i) {
    const size_t idx = static_cast<size_t>(i);
    if (isnull[idx]) continue;  // bit stays 0: null
    if (has_nulls) bits[i >> 3] |= static_cast<uint8_t>(1u << (i & 7));
    const Attribute& a = desc.attr(i);
    const Datum d = values[idx];
    if (a.attlen > 0) {
      off = AlignUp(off, a.attalign);
      if (a.attbyval) {
        memcpy(data + off, &d, static_cast<size_t>(a.attlen));  // low bytes, little-endian
      } else {
        memcpy(data + off, DatumGetPointer(d), static_cast<size_t>(a.attlen));
      }
      off += static_cast<size_t>(a.attlen);
      continue;
    }
    infomask |= kHeapHasVarWidth;
    if (a.attlen == kAttLenCString) {
      size_t len = strlen(DatumGetCString(d)) + 1;
      memcpy(data + off, DatumGetCString(d), len);
      off += len;
      continue;
    }
    const std::byte* p = DatumGetPointer(d);
    switch (VarlenaForm(a, p)) {
      case VarForm::kAsIs1B: {
        if (VarIsExternal(p)) infomask |= kHeapHasExternal;
        size_t len = VarSizeAny(p);
        memcpy(data + off, p, len);
        off += len;
        break;
      }
      case VarForm::kMakeShort: {
        size_t data_len = VarSizeAnyExhdr(p);
        SetVarSize1B(data + off, data_len + kVarHdrSzShort);
        memcpy(data + off + kVarHdrSzShort, VarDataAny(p), data_len);
        off += data_len + kVarHdrSzShort;
        break;
      }
      case VarForm::kAligned4B: {
        off = AlignUp(off, a.attalign);
        size_t len = VarSizeAny(p);
        memcpy(data + off, p, len);
        off += len;
        break;
      }
    }
  }
  KEEL_ASSERT(hoff + off == total);
  h->infomask = infomask;
  return tuple;
}

bool HeapAttIsNull(const HeapTupleHeader* tuple, int col_idx) {
  if (col_idx >= tuple->Natts()) return true;
  if ((tuple->infomask & kHeapHasNull) == 0) return false;
  return BitmapIsNull(tuple->NullBitmap(), col_idx);
}

void HeapDeformTuple(const TupleDesc& desc, const HeapTupleHeader* tuple, uint32_t size,
                     std::span<Datum> values, std::span<bool> isnull) {
  KEEL_ASSERT(values.size() == static_cast<size_t>(desc.natts()));
  KEEL_ASSERT(isnull.size() == static_cast<size_t>(desc.natts()));
  const int natts = std::min(tuple->Natts(), desc.natts());
  const bool has_nulls = (tuple->infomask & kHeapHasNull) != 0;
  const uint8_t* bits = tuple->NullBitmap();
  if (tuple->hoff > size || tuple->hoff < HeapTupleHeaderLength(tuple->Natts(), has_nulls)) {
    CorruptTuple(0, tuple->hoff, size);
  }
  const std::byte* data = reinterpret_cast<const std::byte*>(tuple) + tuple->hoff;
  const size_t data_size = size - tuple->hoff;

  size_t off = 0;
  bool slow = false;  // T6: attcacheoff holds only while every earlier column is present
  int i = 0;
  for (; i < natts; ++i) {
    const size_t idx = static_cast<size_t>(i);
    if (has_nulls && BitmapIsNull(bits, i)) {
      values[idx] = 0;
      isnull[idx] = true;
      slow = true;
      continue;
    }
    const Attribute& a = desc.attr(i);
    isnull[idx] = false;
    bool cached = !slow && a.attcacheoff >= 0;
    if (cached) off = static_cast<size_t>(a.attcacheoff);
    values[idx] = FetchColumn(a, data, data_size, &off, cached, i);
    if (a.attlen <= 0) slow = true;
  }
  for (; i < desc.natts(); ++i) {  // T8: columns the tuple predates
    values[static_cast<size_t>(i)] = 0;
    isnull[static_cast<size_t>(i)] = true;
  }
}

Datum HeapGetAttr(const TupleDesc& desc, const HeapTupleHeader* tuple, uint32_t size,
                  int col_idx, bool* isnull) {
  KEEL_ASSERT(col_idx >= 0 && col_idx < desc.natts());
  if (HeapAttIsNull(tuple, col_idx)) {
    *isnull = true;
    return 0;
  }
  *isnull = false;
  const bool has_nulls = (tuple->infomask & kHeapHasNull) != 0;
  const uint8_t* bits = tuple->NullBitmap();
  if (tuple->hoff > size) CorruptTuple(col_idx, tuple->hoff, size);
  const std::byte* data = reinterpret_cast<const std::byte*>(tuple) + tuple->hoff;
  const size_t data_size = size - tuple->hoff;

  const Attribute& target = desc.attr(col_idx);
  if (target.attcacheoff >= 0) {
    bool prefix_present = true;
    if (has_nulls) {
      for (int j = 0; j < col_idx && prefix_present; ++j) prefix_present = !BitmapIsNull(bits, j);
    }
    if (prefix_present) {  // T6 fast path
      size_t off = static_cast<size_t>(target.attcacheoff);
      return FetchColumn(target, data, data_size, &off, true, col_idx);
    }
  }
  size_t off = 0;
  bool slow = false;
  for (int j = 0; j < col_idx; ++j) {
    if (has_nulls && BitmapIsNull(bits, j)) {
      slow = true;
      continue;
    }
    const Attribute& a = desc.attr(j);
    bool cached = !slow && a.attcacheoff >= 0;
    if (cached) off = static_cast<size_t>(a.attcacheoff);
    (void)FetchColumn(a, data, data_size, &off, cached, j);
    if (a.attlen <= 0) slow = true;
  }
  bool cached = !slow && target.attcacheoff >= 0;
  if (cached) off = static_cast<size_t>(target.attcacheoff);
  return FetchColumn(target, data, data_size, &off, cached, col_idx);
}

}  // namespace keel::access
