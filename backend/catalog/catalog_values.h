// Catalog column values: encoding the kinds the catalogs store that access/common does not
// know (name's 64 fixed bytes, int2vector / oidvector / 1-D arrays in PostgreSQL's array
// layout), their btree comparators, and a builder that forms a catalog row by column name.
// README.md (C3, C11).
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "access/common/datum.h"
#include "access/common/index_tuple.h"
#include "access/common/tuple_desc.h"
#include "access/heap/heap_tuple.h"
#include "backend/catalog/catalog_defs.h"

namespace keel::catalog {

inline constexpr size_t kNameDataLen = 64;  // PostgreSQL's NAMEDATALEN, with the final NUL

// A name value: `s` truncated to 63 bytes, NUL-padded to 64.
[[nodiscard]] std::vector<std::byte> MakeName(std::string_view s);
// The text of a name value (up to its first NUL).
[[nodiscard]] std::string_view NameView(const std::byte* p);

// A one-dimensional array without nulls in PostgreSQL's layout (vl_len, ndim, dataoffset 0,
// elemtype, dim, lbound, elements aligned): int2vector / oidvector use lbound 0, ordinary
// arrays lbound 1. An empty ordinary array has ndim 0.
[[nodiscard]] std::vector<std::byte> MakeInt2Array(std::span<const int16_t> values,
                                                   bool vector_type);
[[nodiscard]] std::vector<std::byte> MakeOidArray(std::span<const uint32_t> values,
                                                  bool vector_type);
// The elements of such an array (any header kind). Throws XX000 for another layout (nulls,
// more than one dimension, another element type).
[[nodiscard]] std::vector<int16_t> Int2ArrayElements(const std::byte* p);
[[nodiscard]] std::vector<uint32_t> OidArrayElements(const std::byte* p);

// The btree key column for a catalog key of type `type_oid`: access/common's comparators for
// int2/int4/int8/oid/bool/float8/text, this module's for name, "char", regproc, int2vector and
// oidvector. Throws XX000 "missing support function for type %u" otherwise.
[[nodiscard]] access::IndexKeyColumn CatalogKeyColumnForType(uint32_t type_oid);

// Builds one row of a catalog: columns are set by name; unset nullable columns are NULL.
// By-reference values are copied into the builder (the Datums stay valid while it lives).
class CatalogRowBuilder {
 public:
  // Requires: `desc` is the catalog's descriptor (built from `def`); both outlive the builder.
  CatalogRowBuilder(const CatalogDef& def, const access::TupleDesc& desc);

  CatalogRowBuilder& Oid(std::string_view col, uint32_t v);
  CatalogRowBuilder& Bool(std::string_view col, bool v);
  CatalogRowBuilder& Char(std::string_view col, char v);
  CatalogRowBuilder& Int2(std::string_view col, int16_t v);
  CatalogRowBuilder& Int4(std::string_view col, int32_t v);
  CatalogRowBuilder& Int8(std::string_view col, int64_t v);
  CatalogRowBuilder& Float4(std::string_view col, float v);
  CatalogRowBuilder& Name(std::string_view col, std::string_view v);
  CatalogRowBuilder& Text(std::string_view col, std::string_view v);
  // Any by-reference value already encoded (arrays).
  CatalogRowBuilder& Bytes(std::string_view col, std::vector<std::byte> v);
  CatalogRowBuilder& Null(std::string_view col);
  // Every column from an existing row of this catalog (for an update: set the changed columns
  // afterwards). The builder keeps its own copy of the row's bytes. Throws what
  // HeapDeformTuple throws.
  CatalogRowBuilder& From(const access::HeapTuple& row);

  // The values so far (catalog column order). Requires: Check() passed for index use.
  [[nodiscard]] std::span<const access::Datum> values() const { return values_; }
  [[nodiscard]] std::span<const bool> isnull() const { return {isnull_.get(), values_.size()}; }
  // Throws XX000 when a NOT NULL column was not set (C11).
  void Check() const;
  // Check(), then the formed tuple.
  [[nodiscard]] access::HeapTuple Form() const;

 private:
  int Col(std::string_view col, uint32_t expect_type) const;
  void Set(int col, access::Datum v);

  const CatalogDef& def_;
  const access::TupleDesc& desc_;
  std::vector<access::Datum> values_;
  std::unique_ptr<bool[]> isnull_;
  std::vector<bool> set_;
  std::deque<std::vector<std::byte>> owned_;  // deque: element addresses stay put
  std::deque<access::HeapTuple> rows_;         // From(): the deformed rows' bytes
};

}  // namespace keel::catalog
