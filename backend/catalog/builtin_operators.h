// The built-in operators as pg_operator rows: PostgreSQL 15's oids, names, operand and result
// types, commutators, negators, implementation functions and selectivity estimators, declared
// once in a readable table (builtin_operators.cpp). README.md ("Built-ins", C22).
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

namespace keel::catalog {

// One built-in operator: its pg_operator row (namespace pg_catalog, owner 10).
struct OperatorRow {
  uint32_t oid;
  std::string_view name;  // oprname
  char kind;              // oprkind: 'b' infix, 'l' prefix
  bool can_merge;         // oprcanmerge
  bool can_hash;          // oprcanhash
  uint32_t left_type;     // oprleft: 0 for a prefix operator
  uint32_t right_type;    // oprright
  uint32_t result_type;   // oprresult
  uint32_t commutator;    // oprcom: 0 when none
  uint32_t negator;       // oprnegate: 0 when none
  uint32_t code;          // oprcode: pg_proc oid of the implementation
  uint32_t restrict_estimator;  // oprrest: pg_proc oid of eqsel ..., 0 when none
  uint32_t join_estimator;      // oprjoin: pg_proc oid of eqjoinsel ..., 0 when none
};

// Every built-in operator. Built once per process (the span stays valid for the process);
// throws XX000 on first use when the table names an unknown type or function (the definitions
// test makes sure it never does).
[[nodiscard]] std::span<const OperatorRow> BuiltinOperators();
// The operator with this oid, or nullptr.
[[nodiscard]] const OperatorRow* FindBuiltinOperator(uint32_t oid);

}  // namespace keel::catalog
