// Catalog column values, comparators and the row builder; see catalog_values.h.
#include "backend/catalog/catalog_values.h"

#include <algorithm>
#include <cstring>
#include <initializer_list>

#include "access/common/heap_form.h"
#include "access/common/varlena.h"
#include "backend/catalog/builtin_types.h"
#include "backend/utils/error/error.h"
#include "backend/utils/error/format.h"
#include "backend/utils/error/sqlstate.h"

namespace keel::catalog {
namespace {

// PostgreSQL's ArrayType header: vl_len (4), ndim (4), dataoffset (4), elemtype (4), then
// dims[ndim] and lbound[ndim]; the data starts MAXALIGNed (8) after them.
constexpr size_t kArrayHeader = 16;

template <typename T>
std::vector<std::byte> MakeArray(std::span<const T> values, uint32_t elem_type, bool vector_type) {
  const bool empty = values.empty() && !vector_type;
  const int32_t ndim = empty ? 0 : 1;
  const size_t data_off = empty ? kArrayHeader : (kArrayHeader + 8 + 7) & ~size_t{7};
  const size_t total = data_off + values.size() * sizeof(T);
  std::vector<std::byte> out(total);
  access::SetVarSize4B(out.data(), total);
  const int32_t zero = 0;
  std::memcpy(out.data() + 4, &ndim, 4);
  std::memcpy(out.data() + 8, &zero, 4);  // dataoffset 0: no null bitmap
  std::memcpy(out.data() + 12, &elem_type, 4);
  if (!empty) {
    const int32_t dim = static_cast<int32_t>(values.size());
    const int32_t lbound = vector_type ? 0 : 1;
    std::memcpy(out.data() + 16, &dim, 4);
    std::memcpy(out.data() + 20, &lbound, 4);
    if (!values.empty()) std::memcpy(out.data() + data_off, values.data(), values.size() * sizeof(T));
  }
  return out;
}

template <typename T>
std::vector<T> ArrayElements(const std::byte* p, uint32_t elem_type) {
  const std::span<const std::byte> data = access::VarDataSpan(p);
  // The span starts after the varlena header; offsets below are from the 4-byte header's end.
  auto word = [&](size_t off) {
    int32_t v = 0;
    if (off + 4 > data.size()) throw Error(sqlstate::kInternalError, "array data is truncated");
    std::memcpy(&v, data.data() + off, 4);
    return v;
  };
  const int32_t ndim = word(0);
  if (word(4) != 0 || static_cast<uint32_t>(word(8)) != elem_type || ndim < 0 || ndim > 1) {
    throw Error(sqlstate::kInternalError,
                Format("unexpected array layout (ndim %d, element type %u)", ndim,
                       static_cast<uint32_t>(word(8))));
  }
  if (ndim == 0) return {};
  const size_t n = static_cast<size_t>(word(12));
  // Data offset from the start of the 4-byte-header value: MAXALIGN(16 + 8) = 24; here the
  // header is not counted (a short 1-byte header changes where the span starts, not the
  // layout after it).
  const size_t off = 24 - 4;
  if (off + n * sizeof(T) > data.size()) {
    throw Error(sqlstate::kInternalError, "array data is truncated");
  }
  std::vector<T> out(n);
  if (n > 0) std::memcpy(out.data(), data.data() + off, n * sizeof(T));
  return out;
}

int BtNameCmp(access::Datum a, access::Datum b, const void*) {
  const int c = std::strncmp(access::DatumGetCString(a), access::DatumGetCString(b), kNameDataLen);
  return c < 0 ? -1 : c > 0 ? 1 : 0;
}
std::string NameOut(access::Datum v) {
  return std::string(NameView(access::DatumGetPointer(v)));
}

int BtCharCmp(access::Datum a, access::Datum b, const void*) {
  const auto x = static_cast<uint8_t>(access::DatumGetChar(a));
  const auto y = static_cast<uint8_t>(access::DatumGetChar(b));
  return x < y ? -1 : x > y ? 1 : 0;
}
std::string CharOut(access::Datum v) { return std::string(1, access::DatumGetChar(v)); }

std::string OidOut(access::Datum v) { return std::to_string(access::DatumGetUInt32(v)); }

// PostgreSQL orders oidvectors by length first, then element by element.
template <typename T>
int VectorCmp(const std::vector<T>& x, const std::vector<T>& y) {
  if (x.size() != y.size()) return x.size() < y.size() ? -1 : 1;
  for (size_t i = 0; i < x.size(); ++i) {
    if (x[i] != y[i]) return x[i] < y[i] ? -1 : 1;
  }
  return 0;
}
int BtOidVectorCmp(access::Datum a, access::Datum b, const void*) {
  return VectorCmp(OidArrayElements(access::DatumGetPointer(a)),
                   OidArrayElements(access::DatumGetPointer(b)));
}
int BtInt2VectorCmp(access::Datum a, access::Datum b, const void*) {
  return VectorCmp(Int2ArrayElements(access::DatumGetPointer(a)),
                   Int2ArrayElements(access::DatumGetPointer(b)));
}
template <typename T>
std::string VectorOut(const std::vector<T>& v) {
  std::string s;
  for (size_t i = 0; i < v.size(); ++i) s += (i ? " " : "") + std::to_string(v[i]);
  return s;
}
std::string OidVectorOut(access::Datum v) {
  return VectorOut(OidArrayElements(access::DatumGetPointer(v)));
}
std::string Int2VectorOut(access::Datum v) {
  return VectorOut(Int2ArrayElements(access::DatumGetPointer(v)));
}

}  // namespace

std::vector<std::byte> MakeName(std::string_view s) {
  std::vector<std::byte> out(kNameDataLen, std::byte{0});
  std::memcpy(out.data(), s.data(), std::min(s.size(), kNameDataLen - 1));
  return out;
}

std::string_view NameView(const std::byte* p) {
  const char* c = reinterpret_cast<const char*>(p);
  return std::string_view(c, strnlen(c, kNameDataLen));
}

std::vector<std::byte> MakeInt2Array(std::span<const int16_t> values, bool vector_type) {
  return MakeArray(values, type::kInt2, vector_type);
}
std::vector<std::byte> MakeOidArray(std::span<const uint32_t> values, bool vector_type) {
  return MakeArray(values, type::kOid, vector_type);
}
std::vector<int16_t> Int2ArrayElements(const std::byte* p) {
  return ArrayElements<int16_t>(p, type::kInt2);
}
std::vector<uint32_t> OidArrayElements(const std::byte* p) {
  return ArrayElements<uint32_t>(p, type::kOid);
}

access::IndexKeyColumn CatalogKeyColumnForType(uint32_t type_oid) {
  access::IndexKeyColumn k;
  k.equal_image = true;
  switch (type_oid) {
    case type::kName:
      k.compare = BtNameCmp;
      k.output = NameOut;
      return k;
    case type::kChar:
      k.compare = BtCharCmp;
      k.output = CharOut;
      return k;
    case type::kRegproc:
      k.compare = access::BtOidCmp;
      k.output = OidOut;
      return k;
    case type::kOidVector:
      k.compare = BtOidVectorCmp;
      k.output = OidVectorOut;
      return k;
    case type::kInt2Vector:
      k.compare = BtInt2VectorCmp;
      k.output = Int2VectorOut;
      return k;
    default:
      return access::IndexKeyColumnForType(type_oid);
  }
}

CatalogRowBuilder::CatalogRowBuilder(const CatalogDef& def, const access::TupleDesc& desc)
    : def_(def),
      desc_(desc),
      values_(def.columns.size(), 0),
      isnull_(std::make_unique<bool[]>(def.columns.size())),
      set_(def.columns.size(), false) {
  KEEL_ASSERT(static_cast<size_t>(desc.natts()) == def.columns.size());
  for (size_t i = 0; i < def.columns.size(); ++i) isnull_[i] = true;
}

int CatalogRowBuilder::Col(std::string_view col, uint32_t expect_type) const {
  const int i = def_.ColumnIndex(col);
  if (i < 0) {
    throw Error(sqlstate::kInternalError,
                Format("column \"%.*s\" of relation \"%.*s\" does not exist",
                       static_cast<int>(col.size()), col.data(),
                       static_cast<int>(def_.name.size()), def_.name.data()));
  }
  const uint32_t t = def_.columns[static_cast<size_t>(i)].type_oid;
  bool ok = t == expect_type;
  // 4-byte oid-like columns all take Oid(); every varlena kind takes Bytes().
  if (expect_type == type::kOid) ok = ok || t == type::kRegproc || t == type::kXid;
  if (expect_type == 0) ok = desc_.attr(i).attlen == access::kAttLenVarlena;
  if (!ok) {
    throw Error(sqlstate::kInternalError,
                Format("column \"%.*s\" of relation \"%.*s\" has type %u",
                       static_cast<int>(col.size()), col.data(),
                       static_cast<int>(def_.name.size()), def_.name.data(), t));
  }
  return i;
}

void CatalogRowBuilder::Set(int col, access::Datum v) {
  values_[static_cast<size_t>(col)] = v;
  isnull_[static_cast<size_t>(col)] = false;
  set_[static_cast<size_t>(col)] = true;
}

CatalogRowBuilder& CatalogRowBuilder::Oid(std::string_view col, uint32_t v) {
  Set(Col(col, type::kOid), access::UInt32GetDatum(v));
  return *this;
}
CatalogRowBuilder& CatalogRowBuilder::Bool(std::string_view col, bool v) {
  Set(Col(col, type::kBool), access::BoolGetDatum(v));
  return *this;
}
CatalogRowBuilder& CatalogRowBuilder::Char(std::string_view col, char v) {
  Set(Col(col, type::kChar), access::CharGetDatum(v));
  return *this;
}
CatalogRowBuilder& CatalogRowBuilder::Int2(std::string_view col, int16_t v) {
  Set(Col(col, type::kInt2), access::Int16GetDatum(v));
  return *this;
}
CatalogRowBuilder& CatalogRowBuilder::Int4(std::string_view col, int32_t v) {
  Set(Col(col, type::kInt4), access::Int32GetDatum(v));
  return *this;
}
CatalogRowBuilder& CatalogRowBuilder::Int8(std::string_view col, int64_t v) {
  Set(Col(col, type::kInt8), access::Int64GetDatum(v));
  return *this;
}
CatalogRowBuilder& CatalogRowBuilder::Float4(std::string_view col, float v) {
  Set(Col(col, type::kFloat4), access::Float4GetDatum(v));
  return *this;
}
CatalogRowBuilder& CatalogRowBuilder::Name(std::string_view col, std::string_view v) {
  const int i = Col(col, type::kName);
  owned_.push_back(MakeName(v));
  Set(i, access::PointerGetDatum(owned_.back().data()));
  return *this;
}
CatalogRowBuilder& CatalogRowBuilder::Text(std::string_view col, std::string_view v) {
  const int i = Col(col, type::kText);
  owned_.push_back(access::MakeVarlena(v));
  Set(i, access::PointerGetDatum(owned_.back().data()));
  return *this;
}
CatalogRowBuilder& CatalogRowBuilder::Bytes(std::string_view col, std::vector<std::byte> v) {
  const int i = Col(col, 0);
  owned_.push_back(std::move(v));
  Set(i, access::PointerGetDatum(owned_.back().data()));
  return *this;
}
CatalogRowBuilder& CatalogRowBuilder::Null(std::string_view col) {
  const int i = def_.ColumnIndex(col);
  KEEL_ASSERT(i >= 0);
  values_[static_cast<size_t>(i)] = 0;
  isnull_[static_cast<size_t>(i)] = true;
  set_[static_cast<size_t>(i)] = true;
  return *this;
}

CatalogRowBuilder& CatalogRowBuilder::From(const access::HeapTuple& row) {
  rows_.push_back(row);  // by-reference values point into this copy
  const access::HeapTuple& copy = rows_.back();
  access::HeapDeformTuple(desc_, copy.header(), copy.size(), values_,
                          std::span<bool>(isnull_.get(), values_.size()));
  std::fill(set_.begin(), set_.end(), true);
  return *this;
}

void CatalogRowBuilder::Check() const {
  for (size_t i = 0; i < def_.columns.size(); ++i) {
    if (def_.columns[i].not_null && isnull_[i]) {  // C11
      throw Error(sqlstate::kInternalError,
                  Format("null value in column \"%.*s\" of relation \"%.*s\" in bootstrap row",
                         static_cast<int>(def_.columns[i].name.size()),
                         def_.columns[i].name.data(), static_cast<int>(def_.name.size()),
                         def_.name.data()));
    }
  }
}

access::HeapTuple CatalogRowBuilder::Form() const {
  Check();
  return access::HeapFormTuple(desc_, values_, isnull());
}

}  // namespace keel::catalog
