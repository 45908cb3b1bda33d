// The built-in casts as pg_cast rows: PostgreSQL 15's casts among the numeric, string,
// boolean, oid and date/time types, declared once in a readable table (builtin_casts.cpp).
// README.md ("Built-ins", C24).
#pragma once

#include <cstdint>
#include <span>

namespace keel::catalog {

// pg_cast.castcontext: where the cast is applied without being asked for.
inline constexpr char kCastImplicit = 'i';    // anywhere (int4 -> int8)
inline constexpr char kCastAssignment = 'a';  // in assignments too (int8 -> int4 in INSERT)
inline constexpr char kCastExplicit = 'e';    // only when written (bool -> int4)
// pg_cast.castmethod.
inline constexpr char kCastFunction = 'f';  // by castfunc
inline constexpr char kCastBinary = 'b';    // binary coercible: the bytes are the same
inline constexpr char kCastInOut = 'i';     // through the types' output and input functions

struct CastRow {
  uint32_t oid;
  uint32_t source;   // castsource
  uint32_t target;   // casttarget
  uint32_t func;     // castfunc: pg_proc oid, 0 unless method is kCastFunction
  char context;      // castcontext
  char method;       // castmethod
};

// Every built-in cast. Built once per process (the span stays valid for the process); throws
// XX000 on first use when the table names an unknown type (the definitions test makes sure it
// never does).
[[nodiscard]] std::span<const CastRow> BuiltinCasts();
// The cast from `source` to `target`, or nullptr.
[[nodiscard]] const CastRow* FindBuiltinCast(uint32_t source, uint32_t target);

}  // namespace keel::catalog
