// The built-in data types as pg_type rows: PostgreSQL 15's oids, names, storage layout and
// the names of their I/O functions, the array type of each base type, and the row types of
// the catalogs. Format and invariants: backend/catalog/README.md (C3, C8-C10).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "access/common/tuple_desc.h"
#include "storage/common/ids.h"

namespace keel::catalog {

// Type oids: access/common's well-known list (PostgreSQL's pg_type.dat), under a short name.
namespace type = access::type_oid;

// One pg_type row as declared (the columns bootstrap fills; the rest take PostgreSQL's
// defaults: typowner 10, typisdefined true, typnotnull false, typbasetype 0, typtypmod -1,
// typndims 0, no default, no acl).
struct TypeRow {
  uint32_t oid;
  std::string name;
  int16_t typlen;
  bool typbyval;
  char typtype;        // 'b' base, 'c' composite, 'p' pseudo
  char typcategory;
  bool typispreferred;
  char typdelim;
  uint32_t typrelid;   // the catalog of a row type, else 0
  uint32_t typelem;
  uint32_t typarray;
  char typalign;
  char typstorage;
  uint32_t typcollation;
  // Names of the functions PostgreSQL uses; their pg_proc rows come later, so the pg_type
  // row stores 0 for each (C9). "-" or empty: none.
  std::string_view subscript;
  std::string_view input;
  std::string_view output;
  std::string_view receive;
  std::string_view send;
};

// Every built-in pg_type row: base and pseudo types, their array types, then the catalogs'
// row types (and the array types PostgreSQL fixes for four of them). Built once per process;
// the span stays valid for the process lifetime.
[[nodiscard]] std::span<const TypeRow> BuiltinTypes();
// The row of `oid`, or nullptr.
[[nodiscard]] const TypeRow* FindBuiltinType(uint32_t oid);
// The column layout for a column of type `type_oid` (typlen, typbyval, typalign, typstorage).
// Throws XX000 "cache lookup failed for type %u" for a type not in BuiltinTypes().
[[nodiscard]] access::Attribute AttributeForBuiltinType(std::string_view name, uint32_t type_oid,
                                                        bool not_null);

}  // namespace keel::catalog
