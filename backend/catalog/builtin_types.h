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

// Type oids used by the catalog definitions and the bootstrap (PostgreSQL's pg_type.dat).
namespace type {
inline constexpr uint32_t kBool = 16;
inline constexpr uint32_t kBytea = 17;
inline constexpr uint32_t kChar = 18;
inline constexpr uint32_t kName = 19;
inline constexpr uint32_t kInt8 = 20;
inline constexpr uint32_t kInt2 = 21;
inline constexpr uint32_t kInt2Vector = 22;
inline constexpr uint32_t kInt4 = 23;
inline constexpr uint32_t kRegproc = 24;
inline constexpr uint32_t kText = 25;
inline constexpr uint32_t kOid = 26;
inline constexpr uint32_t kTid = 27;
inline constexpr uint32_t kXid = 28;
inline constexpr uint32_t kCid = 29;
inline constexpr uint32_t kOidVector = 30;
inline constexpr uint32_t kPgNodeTree = 194;
inline constexpr uint32_t kFloat4 = 700;
inline constexpr uint32_t kFloat8 = 701;
inline constexpr uint32_t kUnknown = 705;
inline constexpr uint32_t kCharArray = 1002;
inline constexpr uint32_t kInt2Array = 1005;
inline constexpr uint32_t kInt4Array = 1007;
inline constexpr uint32_t kTextArray = 1009;
inline constexpr uint32_t kOidArray = 1028;
inline constexpr uint32_t kFloat4Array = 1021;
inline constexpr uint32_t kAclItem = 1033;
inline constexpr uint32_t kAclItemArray = 1034;
inline constexpr uint32_t kTimestampTz = 1184;
inline constexpr uint32_t kRecord = 2249;
inline constexpr uint32_t kCString = 2275;
inline constexpr uint32_t kAnyArray = 2277;
}  // namespace type

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
