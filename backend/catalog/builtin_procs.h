// The built-in functions as pg_proc rows: PostgreSQL 15's oids, names, argument and result
// types and attributes, declared once in a readable table (builtin_procs.cpp); prosrc names
// the C++ implementation the SQL engine binds. README.md ("Built-ins", C21-C24).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace keel::catalog {

// pg_language oid of every built-in function (PostgreSQL's "internal").
inline constexpr uint32_t kInternalLanguage = 12;

// One built-in function: its pg_proc row (namespace pg_catalog, owner 10, language internal,
// prokind 'f', not security definer, no variadic, no support function, no defaults).
struct ProcRow {
  uint32_t oid;
  std::string_view name;           // proname (overloaded names occur: "length", "int4")
  std::vector<uint32_t> arg_types;  // proargtypes: the input arguments
  uint32_t result_type;            // prorettype
  char volatility;                 // provolatile: 'i' immutable, 's' stable, 'v' volatile
  char parallel;                   // proparallel: 's' safe, 'r' restricted, 'u' unsafe
  bool strict;                     // proisstrict
  bool leakproof;                  // proleakproof
  bool retset;                     // proretset
  float cost;                      // procost
  float rows;                      // prorows (set-returning functions)
  std::string_view prosrc;         // the implementation's name (PostgreSQL's prosrc)
  // Functions with OUT parameters (proallargtypes / proargmodes / proargnames): every
  // parameter, inputs first; empty for the others.
  std::vector<uint32_t> all_arg_types;
  std::vector<char> arg_modes;     // 'i' in, 'o' out
  std::vector<std::string> arg_names;
};

// Every built-in function, grouped as the table declares them. Built once per process (the
// span stays valid for the process); throws XX000 on first use when the table names a type
// that is not in BuiltinTypes() (the definitions test makes sure it never does).
[[nodiscard]] std::span<const ProcRow> BuiltinProcs();
// The function with this oid, or nullptr.
[[nodiscard]] const ProcRow* FindBuiltinProc(uint32_t oid);
// The oid of the only built-in function called `name` (what the tables' regproc references
// name: "boolin", "int4eq"). Throws XX000 `built-in function "%s" does not exist` when there is
// none and XX000 `more than one built-in function named "%s"` when the name is overloaded: both
// are mistakes in the tables, which the definitions test rules out.
[[nodiscard]] uint32_t BuiltinProcOidByName(std::string_view name);
// The oid of name(arg_types) exactly, or 0.
[[nodiscard]] uint32_t BuiltinProcOid(std::string_view name, std::span<const uint32_t> arg_types);

}  // namespace keel::catalog
