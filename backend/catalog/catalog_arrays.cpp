// char[] and text[] catalog values; see catalog_arrays.h. The layout is PostgreSQL's ArrayType:
// vl_len (4), ndim (4), dataoffset (4, 0: no null bitmap), elemtype (4), dims[ndim],
// lbound[ndim], then the elements from the next 8-byte boundary.
#include "backend/catalog/catalog_arrays.h"

#include <cstdint>
#include <cstring>

#include "access/common/varlena.h"
#include "backend/catalog/builtin_types.h"
#include "backend/utils/error/error.h"
#include "backend/utils/error/format.h"
#include "backend/utils/error/sqlstate.h"

namespace keel::catalog {
namespace {

constexpr size_t kHeader = 16;        // vl_len, ndim, dataoffset, elemtype
constexpr size_t kDataOffset1D = 24;  // MAXALIGN(16 + dim + lbound)

size_t IntAlign(size_t off) { return (off + 3) & ~size_t{3}; }

// The header of a one-dimensional array of `n` elements (ndim 0 when n == 0) followed by
// `data_size` bytes of elements, which the caller writes at kDataOffset1D.
std::vector<std::byte> ArrayWithHeader(size_t n, uint32_t elem_type, size_t data_size) {
  const int32_t ndim = n == 0 ? 0 : 1;
  const size_t total = n == 0 ? kHeader : kDataOffset1D + data_size;
  std::vector<std::byte> out(total);
  access::SetVarSize4B(out.data(), total);
  const int32_t zero = 0;
  std::memcpy(out.data() + 4, &ndim, 4);
  std::memcpy(out.data() + 8, &zero, 4);
  std::memcpy(out.data() + 12, &elem_type, 4);
  if (n > 0) {
    const int32_t dim = static_cast<int32_t>(n);
    const int32_t lbound = 1;
    std::memcpy(out.data() + 16, &dim, 4);
    std::memcpy(out.data() + 20, &lbound, 4);
  }
  return out;
}

[[noreturn]] void BadArray(const char* what) {
  throw Error(sqlstate::kInternalError, Format("unexpected array value: %s", what));
}

// The whole value with a 4-byte-header view: offsets below count from the value's start as if
// it had a 4-byte header (a short header only moves where the span starts).
struct ArrayView {
  std::span<const std::byte> after_header;
  int32_t Word(size_t off) const {  // `off` counted from the start of a 4-byte-header value
    if (off < 4 || (off - 4) + 4 > after_header.size()) BadArray("truncated");
    int32_t v = 0;
    std::memcpy(&v, after_header.data() + off - 4, 4);
    return v;
  }
};

// Number of elements after checking the header; 0 for an empty array.
size_t CheckHeader(const ArrayView& a, uint32_t elem_type) {
  const int32_t ndim = a.Word(4);
  if (a.Word(8) != 0) BadArray("has nulls");
  if (static_cast<uint32_t>(a.Word(12)) != elem_type) BadArray("element type differs");
  if (ndim == 0) return 0;
  if (ndim != 1) BadArray("not one-dimensional");
  const int32_t n = a.Word(16);
  if (n < 0) BadArray("negative dimension");
  return static_cast<size_t>(n);
}

}  // namespace

std::vector<std::byte> MakeCharArray(std::span<const char> values) {
  std::vector<std::byte> out = ArrayWithHeader(values.size(), type::kChar, values.size());
  if (!values.empty()) std::memcpy(out.data() + kDataOffset1D, values.data(), values.size());
  return out;
}

std::vector<std::byte> MakeTextArray(std::span<const std::string> values) {
  size_t size = 0;
  for (const std::string& v : values) size = IntAlign(size) + access::kVarHdrSz + v.size();
  std::vector<std::byte> out = ArrayWithHeader(values.size(), type::kText, size);
  size_t off = 0;
  for (const std::string& v : values) {
    off = IntAlign(off);
    std::byte* elem = out.data() + kDataOffset1D + off;
    access::SetVarSize4B(elem, access::kVarHdrSz + v.size());
    if (!v.empty()) std::memcpy(elem + access::kVarHdrSz, v.data(), v.size());
    off += access::kVarHdrSz + v.size();
  }
  return out;
}

std::vector<char> CharArrayElements(const std::byte* p) {
  const ArrayView a{access::VarDataSpan(p)};
  const size_t n = CheckHeader(a, type::kChar);
  if (n == 0) return {};
  if (kDataOffset1D - 4 + n > a.after_header.size()) BadArray("truncated");
  std::vector<char> out(n);
  std::memcpy(out.data(), a.after_header.data() + kDataOffset1D - 4, n);
  return out;
}

std::vector<std::string> TextArrayElements(const std::byte* p) {
  const ArrayView a{access::VarDataSpan(p)};
  const size_t n = CheckHeader(a, type::kText);
  std::vector<std::string> out;
  size_t off = kDataOffset1D;  // from the start of a 4-byte-header value
  for (size_t i = 0; i < n; ++i) {
    off = IntAlign(off);
    const size_t len = static_cast<uint32_t>(a.Word(off)) >> 2;  // little-endian 4B header
    if (len < access::kVarHdrSz || off - 4 + len > a.after_header.size()) BadArray("truncated");
    const std::byte* data = a.after_header.data() + off - 4 + access::kVarHdrSz;
    out.emplace_back(reinterpret_cast<const char*>(data), len - access::kVarHdrSz);
    off += len;
  }
  return out;
}

}  // namespace keel::catalog
