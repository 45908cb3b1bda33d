// The built-in btree operator families and classes (pg_opfamily, pg_opclass) and their members
// (pg_amop: operators by strategy; pg_amproc: support functions), with PostgreSQL 15's oids,
// declared once in readable tables (builtin_opclasses.cpp). README.md ("Built-ins", C23).
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

namespace keel::catalog {

// Btree strategy numbers (pg_amop.amopstrategy) and support function numbers
// (pg_amproc.amprocnum), as PostgreSQL's nbtree.
inline constexpr int16_t kBtreeLessStrategy = 1;
inline constexpr int16_t kBtreeLessEqualStrategy = 2;
inline constexpr int16_t kBtreeEqualStrategy = 3;
inline constexpr int16_t kBtreeGreaterEqualStrategy = 4;
inline constexpr int16_t kBtreeGreaterStrategy = 5;
inline constexpr int16_t kBtreeOrderProc = 1;        // cmp(a, b) -> int4
inline constexpr int16_t kBtreeSortSupportProc = 2;  // sortsupport(internal)
inline constexpr int16_t kBtreeEqualImageProc = 4;   // equalimage(oid) -> bool (deduplication)

struct OpfamilyRow {
  uint32_t oid;
  uint32_t method;  // opfmethod: pg_am oid (403 btree)
  std::string_view name;
};

struct OpclassRow {
  uint32_t oid;
  uint32_t method;       // opcmethod
  std::string_view name;
  uint32_t family;       // opcfamily
  uint32_t input_type;   // opcintype
  bool is_default;       // opcdefault: the class an index on input_type gets by default
  uint32_t key_type;     // opckeytype: 0 = the stored key is of input_type
};

struct AmopRow {
  uint32_t oid;
  uint32_t family;       // amopfamily
  uint32_t left_type;    // amoplefttype
  uint32_t right_type;   // amoprighttype
  int16_t strategy;      // amopstrategy (1-5 for btree)
  char purpose;          // amoppurpose: 's' search
  uint32_t op;           // amopopr: pg_operator oid
  uint32_t method;       // amopmethod
  uint32_t sort_family;  // amopsortfamily: 0 for search operators
};

struct AmprocRow {
  uint32_t oid;
  uint32_t family;       // amprocfamily
  uint32_t left_type;    // amproclefttype
  uint32_t right_type;   // amprocrighttype
  int16_t number;        // amprocnum: kBtree...Proc
  uint32_t proc;         // amproc: pg_proc oid
};

// The tables, resolved once per process (the spans stay valid for the process). Throw XX000
// on first use when a table names an unknown type or function (the definitions test makes
// sure none does).
[[nodiscard]] std::span<const OpfamilyRow> BuiltinOpfamilies();
[[nodiscard]] std::span<const OpclassRow> BuiltinOpclasses();
[[nodiscard]] std::span<const AmopRow> BuiltinAmops();
[[nodiscard]] std::span<const AmprocRow> BuiltinAmprocs();

// The default btree operator class of `type_oid` (opcdefault, opcintype = type_oid), or 0.
[[nodiscard]] uint32_t DefaultBtreeOpclass(uint32_t type_oid);

}  // namespace keel::catalog
