// The built-in operators: one readable table of pg_operator rows (PostgreSQL 15's
// pg_operator.dat facts), resolved once into OperatorRows. What an operator's shape implies
// (estimators, merge / hash joinability) is spelled once per shape. See builtin_operators.h
// and README.md ("Built-ins", C22).
#include "backend/catalog/builtin_operators.h"

#include <unordered_map>
#include <vector>

#include "backend/catalog/builtin_procs.h"
#include "backend/catalog/builtin_types.h"
#include "backend/utils/error/error.h"
#include "backend/utils/error/format.h"
#include "backend/utils/error/sqlstate.h"

namespace keel::catalog {
namespace {

// An operator's shape: its selectivity estimators and whether it can drive a merge or hash join
// (PostgreSQL's values for these operators).
enum class Shape : uint8_t {
  kEq,        // =: eqsel / eqjoinsel, merge and hash joinable
  kEqNoHash,  // = across date and timestamp types: merge joinable only
  kNe,        // <>: neqsel / neqjoinsel
  kLt,        // <: scalarltsel / scalarltjoinsel
  kLe,        // <=: scalarlesel / scalarlejoinsel
  kGt,        // >: scalargtsel / scalargtjoinsel
  kGe,        // >=: scalargesel / scalargejoinsel
  kPlain,     // arithmetic, ||: no estimators
};
using enum Shape;

// One row: operand and result types by pg_type name ("" left: a prefix operator), the
// implementation by its (unique) function name, commutator and negator by operator oid.
struct OperatorDef {
  uint32_t oid;
  const char* name;
  const char* left;
  const char* right;
  const char* result;
  const char* code;
  uint32_t commutator;
  uint32_t negator;
  Shape shape;
};

constexpr OperatorDef kOperators[] = {
    // Comparisons, by (left, right) type.
    {58, "<", "bool", "bool", "bool", "boollt", 59, 1695, kLt},
    {59, ">", "bool", "bool", "bool", "boolgt", 58, 1694, kGt},
    {85, "<>", "bool", "bool", "bool", "boolne", 85, 91, kNe},
    {91, "=", "bool", "bool", "bool", "booleq", 91, 85, kEq},
    {1694, "<=", "bool", "bool", "bool", "boolle", 1695, 59, kLe},
    {1695, ">=", "bool", "bool", "bool", "boolge", 1694, 58, kGe},
    {1955, "=", "bytea", "bytea", "bool", "byteaeq", 1955, 1956, kEq},
    {1956, "<>", "bytea", "bytea", "bool", "byteane", 1956, 1955, kNe},
    {1957, "<", "bytea", "bytea", "bool", "bytealt", 1959, 1960, kLt},
    {1958, "<=", "bytea", "bytea", "bool", "byteale", 1960, 1959, kLe},
    {1959, ">", "bytea", "bytea", "bool", "byteagt", 1957, 1958, kGt},
    {1960, ">=", "bytea", "bytea", "bool", "byteage", 1958, 1957, kGe},
    {92, "=", "char", "char", "bool", "chareq", 92, 630, kEq},
    {630, "<>", "char", "char", "bool", "charne", 630, 92, kNe},
    {631, "<", "char", "char", "bool", "charlt", 633, 634, kLt},
    {632, "<=", "char", "char", "bool", "charle", 634, 633, kLe},
    {633, ">", "char", "char", "bool", "chargt", 631, 632, kGt},
    {634, ">=", "char", "char", "bool", "charge", 632, 631, kGe},
    {93, "=", "name", "name", "bool", "nameeq", 93, 643, kEq},
    {643, "<>", "name", "name", "bool", "namene", 643, 93, kNe},
    {660, "<", "name", "name", "bool", "namelt", 662, 663, kLt},
    {661, "<=", "name", "name", "bool", "namele", 663, 662, kLe},
    {662, ">", "name", "name", "bool", "namegt", 660, 661, kGt},
    {663, ">=", "name", "name", "bool", "namege", 661, 660, kGe},
    {254, "=", "name", "text", "bool", "nameeqtext", 260, 259, kEq},
    {255, "<", "name", "text", "bool", "namelttext", 264, 257, kLt},
    {256, "<=", "name", "text", "bool", "nameletext", 263, 258, kLe},
    {257, ">=", "name", "text", "bool", "namegetext", 262, 255, kGe},
    {258, ">", "name", "text", "bool", "namegttext", 261, 256, kGt},
    {259, "<>", "name", "text", "bool", "namenetext", 265, 254, kNe},
    {410, "=", "int8", "int8", "bool", "int8eq", 410, 411, kEq},
    {411, "<>", "int8", "int8", "bool", "int8ne", 411, 410, kNe},
    {412, "<", "int8", "int8", "bool", "int8lt", 413, 415, kLt},
    {413, ">", "int8", "int8", "bool", "int8gt", 412, 414, kGt},
    {414, "<=", "int8", "int8", "bool", "int8le", 415, 413, kLe},
    {415, ">=", "int8", "int8", "bool", "int8ge", 414, 412, kGe},
    {1868, "=", "int8", "int2", "bool", "int82eq", 1862, 1869, kEq},
    {1869, "<>", "int8", "int2", "bool", "int82ne", 1863, 1868, kNe},
    {1870, "<", "int8", "int2", "bool", "int82lt", 1865, 1873, kLt},
    {1871, ">", "int8", "int2", "bool", "int82gt", 1864, 1872, kGt},
    {1872, "<=", "int8", "int2", "bool", "int82le", 1867, 1871, kLe},
    {1873, ">=", "int8", "int2", "bool", "int82ge", 1866, 1870, kGe},
    {416, "=", "int8", "int4", "bool", "int84eq", 15, 417, kEq},
    {417, "<>", "int8", "int4", "bool", "int84ne", 36, 416, kNe},
    {418, "<", "int8", "int4", "bool", "int84lt", 76, 430, kLt},
    {419, ">", "int8", "int4", "bool", "int84gt", 37, 420, kGt},
    {420, "<=", "int8", "int4", "bool", "int84le", 82, 419, kLe},
    {430, ">=", "int8", "int4", "bool", "int84ge", 80, 418, kGe},
    {1862, "=", "int2", "int8", "bool", "int28eq", 1868, 1863, kEq},
    {1863, "<>", "int2", "int8", "bool", "int28ne", 1869, 1862, kNe},
    {1864, "<", "int2", "int8", "bool", "int28lt", 1871, 1867, kLt},
    {1865, ">", "int2", "int8", "bool", "int28gt", 1870, 1866, kGt},
    {1866, "<=", "int2", "int8", "bool", "int28le", 1873, 1865, kLe},
    {1867, ">=", "int2", "int8", "bool", "int28ge", 1872, 1864, kGe},
    {94, "=", "int2", "int2", "bool", "int2eq", 94, 519, kEq},
    {95, "<", "int2", "int2", "bool", "int2lt", 520, 524, kLt},
    {519, "<>", "int2", "int2", "bool", "int2ne", 519, 94, kNe},
    {520, ">", "int2", "int2", "bool", "int2gt", 95, 522, kGt},
    {522, "<=", "int2", "int2", "bool", "int2le", 524, 520, kLe},
    {524, ">=", "int2", "int2", "bool", "int2ge", 522, 95, kGe},
    {532, "=", "int2", "int4", "bool", "int24eq", 533, 538, kEq},
    {534, "<", "int2", "int4", "bool", "int24lt", 537, 542, kLt},
    {536, ">", "int2", "int4", "bool", "int24gt", 535, 540, kGt},
    {538, "<>", "int2", "int4", "bool", "int24ne", 539, 532, kNe},
    {540, "<=", "int2", "int4", "bool", "int24le", 543, 536, kLe},
    {542, ">=", "int2", "int4", "bool", "int24ge", 541, 534, kGe},
    {15, "=", "int4", "int8", "bool", "int48eq", 416, 36, kEq},
    {36, "<>", "int4", "int8", "bool", "int48ne", 417, 15, kNe},
    {37, "<", "int4", "int8", "bool", "int48lt", 419, 82, kLt},
    {76, ">", "int4", "int8", "bool", "int48gt", 418, 80, kGt},
    {80, "<=", "int4", "int8", "bool", "int48le", 430, 76, kLe},
    {82, ">=", "int4", "int8", "bool", "int48ge", 420, 37, kGe},
    {533, "=", "int4", "int2", "bool", "int42eq", 532, 539, kEq},
    {535, "<", "int4", "int2", "bool", "int42lt", 536, 543, kLt},
    {537, ">", "int4", "int2", "bool", "int42gt", 534, 541, kGt},
    {539, "<>", "int4", "int2", "bool", "int42ne", 538, 533, kNe},
    {541, "<=", "int4", "int2", "bool", "int42le", 542, 537, kLe},
    {543, ">=", "int4", "int2", "bool", "int42ge", 540, 535, kGe},
    {96, "=", "int4", "int4", "bool", "int4eq", 96, 518, kEq},
    {97, "<", "int4", "int4", "bool", "int4lt", 521, 525, kLt},
    {518, "<>", "int4", "int4", "bool", "int4ne", 518, 96, kNe},
    {521, ">", "int4", "int4", "bool", "int4gt", 97, 523, kGt},
    {523, "<=", "int4", "int4", "bool", "int4le", 525, 521, kLe},
    {525, ">=", "int4", "int4", "bool", "int4ge", 523, 97, kGe},
    {260, "=", "text", "name", "bool", "texteqname", 254, 265, kEq},
    {261, "<", "text", "name", "bool", "textltname", 258, 263, kLt},
    {262, "<=", "text", "name", "bool", "textlename", 257, 264, kLe},
    {263, ">=", "text", "name", "bool", "textgename", 256, 261, kGe},
    {264, ">", "text", "name", "bool", "textgtname", 255, 262, kGt},
    {265, "<>", "text", "name", "bool", "textnename", 259, 260, kNe},
    {98, "=", "text", "text", "bool", "texteq", 98, 531, kEq},
    {531, "<>", "text", "text", "bool", "textne", 531, 98, kNe},
    {664, "<", "text", "text", "bool", "text_lt", 666, 667, kLt},
    {665, "<=", "text", "text", "bool", "text_le", 667, 666, kLe},
    {666, ">", "text", "text", "bool", "text_gt", 664, 665, kGt},
    {667, ">=", "text", "text", "bool", "text_ge", 665, 664, kGe},
    {607, "=", "oid", "oid", "bool", "oideq", 607, 608, kEq},
    {608, "<>", "oid", "oid", "bool", "oidne", 608, 607, kNe},
    {609, "<", "oid", "oid", "bool", "oidlt", 610, 612, kLt},
    {610, ">", "oid", "oid", "bool", "oidgt", 609, 611, kGt},
    {611, "<=", "oid", "oid", "bool", "oidle", 612, 610, kLe},
    {612, ">=", "oid", "oid", "bool", "oidge", 611, 609, kGe},
    {644, "<>", "oidvector", "oidvector", "bool", "oidvectorne", 644, 649, kNe},
    {645, "<", "oidvector", "oidvector", "bool", "oidvectorlt", 646, 648, kLt},
    {646, ">", "oidvector", "oidvector", "bool", "oidvectorgt", 645, 647, kGt},
    {647, "<=", "oidvector", "oidvector", "bool", "oidvectorle", 648, 646, kLe},
    {648, ">=", "oidvector", "oidvector", "bool", "oidvectorge", 647, 645, kGe},
    {649, "=", "oidvector", "oidvector", "bool", "oidvectoreq", 649, 644, kEq},
    {620, "=", "float4", "float4", "bool", "float4eq", 620, 621, kEq},
    {621, "<>", "float4", "float4", "bool", "float4ne", 621, 620, kNe},
    {622, "<", "float4", "float4", "bool", "float4lt", 623, 625, kLt},
    {623, ">", "float4", "float4", "bool", "float4gt", 622, 624, kGt},
    {624, "<=", "float4", "float4", "bool", "float4le", 625, 623, kLe},
    {625, ">=", "float4", "float4", "bool", "float4ge", 624, 622, kGe},
    {1120, "=", "float4", "float8", "bool", "float48eq", 1130, 1121, kEq},
    {1121, "<>", "float4", "float8", "bool", "float48ne", 1131, 1120, kNe},
    {1122, "<", "float4", "float8", "bool", "float48lt", 1133, 1125, kLt},
    {1123, ">", "float4", "float8", "bool", "float48gt", 1132, 1124, kGt},
    {1124, "<=", "float4", "float8", "bool", "float48le", 1135, 1123, kLe},
    {1125, ">=", "float4", "float8", "bool", "float48ge", 1134, 1122, kGe},
    {1130, "=", "float8", "float4", "bool", "float84eq", 1120, 1131, kEq},
    {1131, "<>", "float8", "float4", "bool", "float84ne", 1121, 1130, kNe},
    {1132, "<", "float8", "float4", "bool", "float84lt", 1123, 1135, kLt},
    {1133, ">", "float8", "float4", "bool", "float84gt", 1122, 1134, kGt},
    {1134, "<=", "float8", "float4", "bool", "float84le", 1125, 1133, kLe},
    {1135, ">=", "float8", "float4", "bool", "float84ge", 1124, 1132, kGe},
    {670, "=", "float8", "float8", "bool", "float8eq", 670, 671, kEq},
    {671, "<>", "float8", "float8", "bool", "float8ne", 671, 670, kNe},
    {672, "<", "float8", "float8", "bool", "float8lt", 674, 675, kLt},
    {673, "<=", "float8", "float8", "bool", "float8le", 675, 674, kLe},
    {674, ">", "float8", "float8", "bool", "float8gt", 672, 673, kGt},
    {675, ">=", "float8", "float8", "bool", "float8ge", 673, 672, kGe},
    {1054, "=", "bpchar", "bpchar", "bool", "bpchareq", 1054, 1057, kEq},
    {1057, "<>", "bpchar", "bpchar", "bool", "bpcharne", 1057, 1054, kNe},
    {1058, "<", "bpchar", "bpchar", "bool", "bpcharlt", 1060, 1061, kLt},
    {1059, "<=", "bpchar", "bpchar", "bool", "bpcharle", 1061, 1060, kLe},
    {1060, ">", "bpchar", "bpchar", "bool", "bpchargt", 1058, 1059, kGt},
    {1061, ">=", "bpchar", "bpchar", "bool", "bpcharge", 1059, 1058, kGe},
    {1093, "=", "date", "date", "bool", "date_eq", 1093, 1094, kEq},
    {1094, "<>", "date", "date", "bool", "date_ne", 1094, 1093, kNe},
    {1095, "<", "date", "date", "bool", "date_lt", 1097, 1098, kLt},
    {1096, "<=", "date", "date", "bool", "date_le", 1098, 1097, kLe},
    {1097, ">", "date", "date", "bool", "date_gt", 1095, 1096, kGt},
    {1098, ">=", "date", "date", "bool", "date_ge", 1096, 1095, kGe},
    {2345, "<", "date", "timestamp", "bool", "date_lt_timestamp", 2375, 2348, kLt},
    {2346, "<=", "date", "timestamp", "bool", "date_le_timestamp", 2374, 2349, kLe},
    {2347, "=", "date", "timestamp", "bool", "date_eq_timestamp", 2373, 2350, kEqNoHash},
    {2348, ">=", "date", "timestamp", "bool", "date_ge_timestamp", 2372, 2345, kGe},
    {2349, ">", "date", "timestamp", "bool", "date_gt_timestamp", 2371, 2346, kGt},
    {2350, "<>", "date", "timestamp", "bool", "date_ne_timestamp", 2376, 2347, kNe},
    {2358, "<", "date", "timestamptz", "bool", "date_lt_timestamptz", 2388, 2361, kLt},
    {2359, "<=", "date", "timestamptz", "bool", "date_le_timestamptz", 2387, 2362, kLe},
    {2360, "=", "date", "timestamptz", "bool", "date_eq_timestamptz", 2386, 2363, kEqNoHash},
    {2361, ">=", "date", "timestamptz", "bool", "date_ge_timestamptz", 2385, 2358, kGe},
    {2362, ">", "date", "timestamptz", "bool", "date_gt_timestamptz", 2384, 2359, kGt},
    {2363, "<>", "date", "timestamptz", "bool", "date_ne_timestamptz", 2389, 2360, kNe},
    {1108, "=", "time", "time", "bool", "time_eq", 1108, 1109, kEq},
    {1109, "<>", "time", "time", "bool", "time_ne", 1109, 1108, kNe},
    {1110, "<", "time", "time", "bool", "time_lt", 1112, 1113, kLt},
    {1111, "<=", "time", "time", "bool", "time_le", 1113, 1112, kLe},
    {1112, ">", "time", "time", "bool", "time_gt", 1110, 1111, kGt},
    {1113, ">=", "time", "time", "bool", "time_ge", 1111, 1110, kGe},
    {2371, "<", "timestamp", "date", "bool", "timestamp_lt_date", 2349, 2374, kLt},
    {2372, "<=", "timestamp", "date", "bool", "timestamp_le_date", 2348, 2375, kLe},
    {2373, "=", "timestamp", "date", "bool", "timestamp_eq_date", 2347, 2376, kEqNoHash},
    {2374, ">=", "timestamp", "date", "bool", "timestamp_ge_date", 2346, 2371, kGe},
    {2375, ">", "timestamp", "date", "bool", "timestamp_gt_date", 2345, 2372, kGt},
    {2376, "<>", "timestamp", "date", "bool", "timestamp_ne_date", 2350, 2373, kNe},
    {2060, "=", "timestamp", "timestamp", "bool", "timestamp_eq", 2060, 2061, kEq},
    {2061, "<>", "timestamp", "timestamp", "bool", "timestamp_ne", 2061, 2060, kNe},
    {2062, "<", "timestamp", "timestamp", "bool", "timestamp_lt", 2064, 2065, kLt},
    {2063, "<=", "timestamp", "timestamp", "bool", "timestamp_le", 2065, 2064, kLe},
    {2064, ">", "timestamp", "timestamp", "bool", "timestamp_gt", 2062, 2063, kGt},
    {2065, ">=", "timestamp", "timestamp", "bool", "timestamp_ge", 2063, 2062, kGe},
    {2534, "<", "timestamp", "timestamptz", "bool", "timestamp_lt_timestamptz", 2544, 2537, kLt},
    {2535, "<=", "timestamp", "timestamptz", "bool", "timestamp_le_timestamptz", 2543, 2538, kLe},
    {2536, "=", "timestamp", "timestamptz", "bool", "timestamp_eq_timestamptz", 2542, 2539,
     kEqNoHash},
    {2537, ">=", "timestamp", "timestamptz", "bool", "timestamp_ge_timestamptz", 2541, 2534, kGe},
    {2538, ">", "timestamp", "timestamptz", "bool", "timestamp_gt_timestamptz", 2540, 2535, kGt},
    {2539, "<>", "timestamp", "timestamptz", "bool", "timestamp_ne_timestamptz", 2545, 2536, kNe},
    {2384, "<", "timestamptz", "date", "bool", "timestamptz_lt_date", 2362, 2387, kLt},
    {2385, "<=", "timestamptz", "date", "bool", "timestamptz_le_date", 2361, 2388, kLe},
    {2386, "=", "timestamptz", "date", "bool", "timestamptz_eq_date", 2360, 2389, kEqNoHash},
    {2387, ">=", "timestamptz", "date", "bool", "timestamptz_ge_date", 2359, 2384, kGe},
    {2388, ">", "timestamptz", "date", "bool", "timestamptz_gt_date", 2358, 2385, kGt},
    {2389, "<>", "timestamptz", "date", "bool", "timestamptz_ne_date", 2363, 2386, kNe},
    {2540, "<", "timestamptz", "timestamp", "bool", "timestamptz_lt_timestamp", 2538, 2543, kLt},
    {2541, "<=", "timestamptz", "timestamp", "bool", "timestamptz_le_timestamp", 2537, 2544, kLe},
    {2542, "=", "timestamptz", "timestamp", "bool", "timestamptz_eq_timestamp", 2536, 2545,
     kEqNoHash},
    {2543, ">=", "timestamptz", "timestamp", "bool", "timestamptz_ge_timestamp", 2535, 2540, kGe},
    {2544, ">", "timestamptz", "timestamp", "bool", "timestamptz_gt_timestamp", 2534, 2541, kGt},
    {2545, "<>", "timestamptz", "timestamp", "bool", "timestamptz_ne_timestamp", 2539, 2542, kNe},
    {1320, "=", "timestamptz", "timestamptz", "bool", "timestamptz_eq", 1320, 1321, kEq},
    {1321, "<>", "timestamptz", "timestamptz", "bool", "timestamptz_ne", 1321, 1320, kNe},
    {1322, "<", "timestamptz", "timestamptz", "bool", "timestamptz_lt", 1324, 1325, kLt},
    {1323, "<=", "timestamptz", "timestamptz", "bool", "timestamptz_le", 1325, 1324, kLe},
    {1324, ">", "timestamptz", "timestamptz", "bool", "timestamptz_gt", 1322, 1323, kGt},
    {1325, ">=", "timestamptz", "timestamptz", "bool", "timestamptz_ge", 1323, 1322, kGe},
    {1330, "=", "interval", "interval", "bool", "interval_eq", 1330, 1331, kEq},
    {1331, "<>", "interval", "interval", "bool", "interval_ne", 1331, 1330, kNe},
    {1332, "<", "interval", "interval", "bool", "interval_lt", 1334, 1335, kLt},
    {1333, "<=", "interval", "interval", "bool", "interval_le", 1335, 1334, kLe},
    {1334, ">", "interval", "interval", "bool", "interval_gt", 1332, 1333, kGt},
    {1335, ">=", "interval", "interval", "bool", "interval_ge", 1333, 1332, kGe},
    {1752, "=", "numeric", "numeric", "bool", "numeric_eq", 1752, 1753, kEq},
    {1753, "<>", "numeric", "numeric", "bool", "numeric_ne", 1753, 1752, kNe},
    {1754, "<", "numeric", "numeric", "bool", "numeric_lt", 1756, 1757, kLt},
    {1755, "<=", "numeric", "numeric", "bool", "numeric_le", 1757, 1756, kLe},
    {1756, ">", "numeric", "numeric", "bool", "numeric_gt", 1754, 1755, kGt},
    {1757, ">=", "numeric", "numeric", "bool", "numeric_ge", 1755, 1754, kGe},
    // Arithmetic (prefix operators have no left type) and text concatenation.
    {484, "-", "", "int8", "int8", "int8um", 0, 0, kPlain},
    {1916, "+", "", "int8", "int8", "int8up", 0, 0, kPlain},
    {559, "-", "", "int2", "int2", "int2um", 0, 0, kPlain},
    {1917, "+", "", "int2", "int2", "int2up", 0, 0, kPlain},
    {558, "-", "", "int4", "int4", "int4um", 0, 0, kPlain},
    {1918, "+", "", "int4", "int4", "int4up", 0, 0, kPlain},
    {584, "-", "", "float4", "float4", "float4um", 0, 0, kPlain},
    {1919, "+", "", "float4", "float4", "float4up", 0, 0, kPlain},
    {585, "-", "", "float8", "float8", "float8um", 0, 0, kPlain},
    {1920, "+", "", "float8", "float8", "float8up", 0, 0, kPlain},
    {1751, "-", "", "numeric", "numeric", "numeric_uminus", 0, 0, kPlain},
    {1921, "+", "", "numeric", "numeric", "numeric_uplus", 0, 0, kPlain},
    {439, "%", "int8", "int8", "int8", "int8mod", 0, 0, kPlain},
    {684, "+", "int8", "int8", "int8", "int8pl", 684, 0, kPlain},
    {685, "-", "int8", "int8", "int8", "int8mi", 0, 0, kPlain},
    {686, "*", "int8", "int8", "int8", "int8mul", 686, 0, kPlain},
    {687, "/", "int8", "int8", "int8", "int8div", 0, 0, kPlain},
    {818, "+", "int8", "int2", "int8", "int82pl", 822, 0, kPlain},
    {819, "-", "int8", "int2", "int8", "int82mi", 0, 0, kPlain},
    {820, "*", "int8", "int2", "int8", "int82mul", 824, 0, kPlain},
    {821, "/", "int8", "int2", "int8", "int82div", 0, 0, kPlain},
    {688, "+", "int8", "int4", "int8", "int84pl", 692, 0, kPlain},
    {689, "-", "int8", "int4", "int8", "int84mi", 0, 0, kPlain},
    {690, "*", "int8", "int4", "int8", "int84mul", 694, 0, kPlain},
    {691, "/", "int8", "int4", "int8", "int84div", 0, 0, kPlain},
    {822, "+", "int2", "int8", "int8", "int28pl", 818, 0, kPlain},
    {823, "-", "int2", "int8", "int8", "int28mi", 0, 0, kPlain},
    {824, "*", "int2", "int8", "int8", "int28mul", 820, 0, kPlain},
    {825, "/", "int2", "int8", "int8", "int28div", 0, 0, kPlain},
    {526, "*", "int2", "int2", "int2", "int2mul", 526, 0, kPlain},
    {527, "/", "int2", "int2", "int2", "int2div", 0, 0, kPlain},
    {529, "%", "int2", "int2", "int2", "int2mod", 0, 0, kPlain},
    {550, "+", "int2", "int2", "int2", "int2pl", 550, 0, kPlain},
    {554, "-", "int2", "int2", "int2", "int2mi", 0, 0, kPlain},
    {544, "*", "int2", "int4", "int4", "int24mul", 545, 0, kPlain},
    {546, "/", "int2", "int4", "int4", "int24div", 0, 0, kPlain},
    {552, "+", "int2", "int4", "int4", "int24pl", 553, 0, kPlain},
    {556, "-", "int2", "int4", "int4", "int24mi", 0, 0, kPlain},
    {692, "+", "int4", "int8", "int8", "int48pl", 688, 0, kPlain},
    {693, "-", "int4", "int8", "int8", "int48mi", 0, 0, kPlain},
    {694, "*", "int4", "int8", "int8", "int48mul", 690, 0, kPlain},
    {695, "/", "int4", "int8", "int8", "int48div", 0, 0, kPlain},
    {545, "*", "int4", "int2", "int4", "int42mul", 544, 0, kPlain},
    {547, "/", "int4", "int2", "int4", "int42div", 0, 0, kPlain},
    {553, "+", "int4", "int2", "int4", "int42pl", 552, 0, kPlain},
    {557, "-", "int4", "int2", "int4", "int42mi", 0, 0, kPlain},
    {514, "*", "int4", "int4", "int4", "int4mul", 514, 0, kPlain},
    {528, "/", "int4", "int4", "int4", "int4div", 0, 0, kPlain},
    {530, "%", "int4", "int4", "int4", "int4mod", 0, 0, kPlain},
    {551, "+", "int4", "int4", "int4", "int4pl", 551, 0, kPlain},
    {555, "-", "int4", "int4", "int4", "int4mi", 0, 0, kPlain},
    {654, "||", "text", "text", "text", "textcat", 0, 0, kPlain},
    {586, "+", "float4", "float4", "float4", "float4pl", 586, 0, kPlain},
    {587, "-", "float4", "float4", "float4", "float4mi", 0, 0, kPlain},
    {588, "/", "float4", "float4", "float4", "float4div", 0, 0, kPlain},
    {589, "*", "float4", "float4", "float4", "float4mul", 589, 0, kPlain},
    {1116, "+", "float4", "float8", "float8", "float48pl", 1126, 0, kPlain},
    {1117, "-", "float4", "float8", "float8", "float48mi", 0, 0, kPlain},
    {1118, "/", "float4", "float8", "float8", "float48div", 0, 0, kPlain},
    {1119, "*", "float4", "float8", "float8", "float48mul", 1129, 0, kPlain},
    {1126, "+", "float8", "float4", "float8", "float84pl", 1116, 0, kPlain},
    {1127, "-", "float8", "float4", "float8", "float84mi", 0, 0, kPlain},
    {1128, "/", "float8", "float4", "float8", "float84div", 0, 0, kPlain},
    {1129, "*", "float8", "float4", "float8", "float84mul", 1119, 0, kPlain},
    {591, "+", "float8", "float8", "float8", "float8pl", 591, 0, kPlain},
    {592, "-", "float8", "float8", "float8", "float8mi", 0, 0, kPlain},
    {593, "/", "float8", "float8", "float8", "float8div", 0, 0, kPlain},
    {594, "*", "float8", "float8", "float8", "float8mul", 594, 0, kPlain},
    {1758, "+", "numeric", "numeric", "numeric", "numeric_add", 1758, 0, kPlain},
    {1759, "-", "numeric", "numeric", "numeric", "numeric_sub", 0, 0, kPlain},
    {1760, "*", "numeric", "numeric", "numeric", "numeric_mul", 1760, 0, kPlain},
    {1761, "/", "numeric", "numeric", "numeric", "numeric_div", 0, 0, kPlain},
    {1762, "%", "numeric", "numeric", "numeric", "numeric_mod", 0, 0, kPlain},
};

uint32_t TypeNamed(const char* name, const OperatorDef& def) {
  const TypeRow* t = FindBuiltinTypeByName(name);
  if (t == nullptr) {
    throw Error(sqlstate::kInternalError,
                Format("built-in operator %u names unknown type \"%s\"", def.oid, name));
  }
  return t->oid;
}

OperatorRow Resolve(const OperatorDef& def) {
  OperatorRow row{};
  row.oid = def.oid;
  row.name = def.name;
  row.kind = def.left[0] == '\0' ? 'l' : 'b';
  row.left_type = row.kind == 'l' ? 0 : TypeNamed(def.left, def);
  row.right_type = TypeNamed(def.right, def);
  row.result_type = TypeNamed(def.result, def);
  row.commutator = def.commutator;
  row.negator = def.negator;
  row.code = BuiltinProcOidByName(def.code);
  const char* rest = nullptr;
  const char* join = nullptr;
  switch (def.shape) {
    case kEq:
      row.can_hash = true;
      [[fallthrough]];
    case kEqNoHash:
      row.can_merge = true;
      rest = "eqsel";
      join = "eqjoinsel";
      break;
    case kNe: rest = "neqsel"; join = "neqjoinsel"; break;
    case kLt: rest = "scalarltsel"; join = "scalarltjoinsel"; break;
    case kLe: rest = "scalarlesel"; join = "scalarlejoinsel"; break;
    case kGt: rest = "scalargtsel"; join = "scalargtjoinsel"; break;
    case kGe: rest = "scalargesel"; join = "scalargejoinsel"; break;
    case kPlain: break;
  }
  row.restrict_estimator = rest != nullptr ? BuiltinProcOidByName(rest) : 0;
  row.join_estimator = join != nullptr ? BuiltinProcOidByName(join) : 0;
  return row;
}

struct OperatorTable {
  std::vector<OperatorRow> rows;
  std::unordered_map<uint32_t, size_t> by_oid;
  OperatorTable() {
    rows.reserve(std::size(kOperators));
    for (const OperatorDef& def : kOperators) rows.push_back(Resolve(def));
    for (size_t i = 0; i < rows.size(); ++i) by_oid.emplace(rows[i].oid, i);
  }
};

const OperatorTable& Table() {
  static const OperatorTable table;
  return table;
}

}  // namespace

std::span<const OperatorRow> BuiltinOperators() { return Table().rows; }

const OperatorRow* FindBuiltinOperator(uint32_t oid) {
  const OperatorTable& t = Table();
  auto it = t.by_oid.find(oid);
  return it == t.by_oid.end() ? nullptr : &t.rows[it->second];
}

}  // namespace keel::catalog
