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

// Type oids that list lacks (PostgreSQL's pg_type.dat): inet (pg_stat_activity.client_addr) and
// the pseudo-types of support functions' signatures.
inline constexpr uint32_t kInetTypeOid = 869;
inline constexpr uint32_t kInternalTypeOid = 2281;
inline constexpr uint32_t kIndexAmHandlerTypeOid = 325;
inline constexpr uint32_t kTableAmHandlerTypeOid = 269;

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
  // Names of the functions PostgreSQL uses (built-in pg_proc rows, builtin_procs.h): the
  // bootstrap stores their oids in pg_type's regproc columns (C9). "-" or empty: none.
  std::string_view subscript;
  std::string_view input;
  std::string_view output;
  std::string_view receive;
  std::string_view send;
  std::string_view typmodin;
  std::string_view typmodout;
  std::string_view analyze;
};

// Every built-in pg_type row: base and pseudo types, their array types, then the catalogs'
// row types (and the array types PostgreSQL fixes for four of them), then the system views'
// row types and their array types. Built once per process; the span stays valid for the
// process lifetime.
[[nodiscard]] std::span<const TypeRow> BuiltinTypes();
// The row of `oid`, or nullptr.
[[nodiscard]] const TypeRow* FindBuiltinType(uint32_t oid);
// The row named `name` (typname: "int4", "_text", "pg_class"), or nullptr.
[[nodiscard]] const TypeRow* FindBuiltinTypeByName(std::string_view name);
// The column layout for a column of type `type_oid` (typlen, typbyval, typalign, typstorage).
// Throws XX000 "cache lookup failed for type %u" for a type not in BuiltinTypes().
[[nodiscard]] access::Attribute AttributeForBuiltinType(std::string_view name, uint32_t type_oid,
                                                        bool not_null);

}  // namespace keel::catalog
