// The built-in casts: one readable table of pg_cast rows (PostgreSQL 15's pg_cast.dat facts,
// with the oids PostgreSQL 15's genbki gives them), resolved once. See builtin_casts.h and
// README.md ("Built-ins", C24).
#include "backend/catalog/builtin_casts.h"

#include <vector>

#include "backend/catalog/builtin_types.h"
#include "backend/utils/error/error.h"
#include "backend/utils/error/format.h"
#include "backend/utils/error/sqlstate.h"

namespace keel::catalog {
namespace {

// {oid, source type, target type, function oid (0: none), context, method}, by source type;
// the comment names the function. Self-casts (bpchar -> bpchar ...) are length coercions
// (the function applies the type modifier).
struct CastDef {
  uint32_t oid;
  const char* source;
  const char* target;
  uint32_t func;
  char context;
  char method;
};
constexpr CastDef kCasts[] = {
    {10035, "bool", "int4", 2558, 'e', 'f'},  // int4(bool)
    {10191, "bool", "text", 2971, 'a', 'f'},  // text(bool)
    {10201, "bool", "bpchar", 2971, 'a', 'f'},  // text(bool)
    {10196, "bool", "varchar", 2971, 'a', 'f'},  // text(bool)
    {10143, "char", "int4", 77, 'e', 'f'},  // int4(char)
    {10131, "char", "text", 946, 'i', 'f'},  // text(char)
    {10132, "char", "bpchar", 860, 'a', 'f'},  // bpchar(char)
    {10133, "char", "varchar", 946, 'a', 'f'},  // text(char)
    {10134, "name", "text", 406, 'i', 'f'},  // text(name)
    {10135, "name", "bpchar", 408, 'a', 'f'},  // bpchar(name)
    {10136, "name", "varchar", 1401, 'a', 'f'},  // varchar(name)
    {10000, "int8", "int2", 714, 'a', 'f'},  // int2(int8)
    {10001, "int8", "int4", 480, 'a', 'f'},  // int4(int8)
    {10037, "int8", "oid", 1287, 'i', 'f'},  // oid(int8)
    {10002, "int8", "float4", 652, 'i', 'f'},  // float4(int8)
    {10003, "int8", "float8", 482, 'i', 'f'},  // float8(int8)
    {10004, "int8", "numeric", 1781, 'i', 'f'},  // numeric(int8)
    {10005, "int2", "int8", 754, 'i', 'f'},  // int8(int2)
    {10006, "int2", "int4", 313, 'i', 'f'},  // int4(int2)
    {10038, "int2", "oid", 313, 'i', 'f'},  // int4(int2)
    {10007, "int2", "float4", 236, 'i', 'f'},  // float4(int2)
    {10008, "int2", "float8", 235, 'i', 'f'},  // float8(int2)
    {10009, "int2", "numeric", 1782, 'i', 'f'},  // numeric(int2)
    {10034, "int4", "bool", 2557, 'e', 'f'},  // bool(int4)
    {10144, "int4", "char", 78, 'e', 'f'},  // char(int4)
    {10010, "int4", "int8", 481, 'i', 'f'},  // int8(int4)
    {10011, "int4", "int2", 314, 'a', 'f'},  // int2(int4)
    {10039, "int4", "oid", 0, 'i', 'b'},
    {10012, "int4", "float4", 318, 'i', 'f'},  // float4(int4)
    {10013, "int4", "float8", 316, 'i', 'f'},  // float8(int4)
    {10014, "int4", "numeric", 1740, 'i', 'f'},  // numeric(int4)
    {10137, "text", "char", 944, 'a', 'f'},  // char(text)
    {10140, "text", "name", 407, 'i', 'f'},  // name(text)
    {10125, "text", "bpchar", 0, 'i', 'b'},
    {10126, "text", "varchar", 0, 'i', 'b'},
    {10040, "oid", "int8", 1288, 'a', 'f'},  // int8(oid)
    {10041, "oid", "int4", 0, 'a', 'b'},
    {10015, "float4", "int8", 653, 'a', 'f'},  // int8(float4)
    {10016, "float4", "int2", 238, 'a', 'f'},  // int2(float4)
    {10017, "float4", "int4", 319, 'a', 'f'},  // int4(float4)
    {10018, "float4", "float8", 311, 'i', 'f'},  // float8(float4)
    {10019, "float4", "numeric", 1742, 'a', 'f'},  // numeric(float4)
    {10020, "float8", "int8", 483, 'a', 'f'},  // int8(float8)
    {10021, "float8", "int2", 237, 'a', 'f'},  // int2(float8)
    {10022, "float8", "int4", 317, 'a', 'f'},  // int4(float8)
    {10023, "float8", "float4", 312, 'a', 'f'},  // float4(float8)
    {10024, "float8", "numeric", 1743, 'a', 'f'},  // numeric(float8)
    {10138, "bpchar", "char", 944, 'a', 'f'},  // char(text)
    {10141, "bpchar", "name", 409, 'i', 'f'},  // name(bpchar)
    {10127, "bpchar", "text", 401, 'i', 'f'},  // text(bpchar)
    {10204, "bpchar", "bpchar", 668, 'i', 'f'},  // bpchar(bpchar, int4, bool)
    {10128, "bpchar", "varchar", 401, 'i', 'f'},  // text(bpchar)
    {10139, "varchar", "char", 944, 'a', 'f'},  // char(text)
    {10142, "varchar", "name", 1400, 'i', 'f'},  // name(varchar)
    {10129, "varchar", "text", 0, 'i', 'b'},
    {10130, "varchar", "bpchar", 0, 'i', 'b'},
    {10205, "varchar", "varchar", 669, 'i', 'f'},  // varchar(varchar, int4, bool)
    {10152, "date", "timestamp", 2024, 'i', 'f'},  // timestamp(date)
    {10153, "date", "timestamptz", 1174, 'i', 'f'},  // timestamptz(date)
    {10206, "time", "time", 1968, 'i', 'f'},  // time(time, int4)
    {10154, "time", "interval", 1370, 'i', 'f'},  // interval(time)
    {10156, "timestamp", "date", 2029, 'a', 'f'},  // date(timestamp)
    {10157, "timestamp", "time", 1316, 'a', 'f'},  // time(timestamp)
    {10207, "timestamp", "timestamp", 1961, 'i', 'f'},  // timestamp(timestamp, int4)
    {10158, "timestamp", "timestamptz", 2028, 'i', 'f'},  // timestamptz(timestamp)
    {10159, "timestamptz", "date", 1178, 'a', 'f'},  // date(timestamptz)
    {10160, "timestamptz", "time", 2019, 'a', 'f'},  // time(timestamptz)
    {10161, "timestamptz", "timestamp", 2027, 'a', 'f'},  // timestamp(timestamptz)
    {10208, "timestamptz", "timestamptz", 1967, 'i', 'f'},  // timestamptz(timestamptz, int4)
    {10163, "interval", "time", 1419, 'a', 'f'},  // time(interval)
    {10209, "interval", "interval", 1200, 'i', 'f'},  // interval(interval, int4)
    {10025, "numeric", "int8", 1779, 'a', 'f'},  // int8(numeric)
    {10026, "numeric", "int2", 1783, 'a', 'f'},  // int2(numeric)
    {10027, "numeric", "int4", 1744, 'a', 'f'},  // int4(numeric)
    {10028, "numeric", "float4", 1745, 'i', 'f'},  // float4(numeric)
    {10029, "numeric", "float8", 1746, 'i', 'f'},  // float8(numeric)
    {10213, "numeric", "numeric", 1703, 'i', 'f'},  // numeric(numeric, int4)
};

uint32_t TypeNamed(const char* name, const CastDef& def) {
  const TypeRow* t = FindBuiltinTypeByName(name);
  if (t == nullptr) {
    throw Error(sqlstate::kInternalError,
                Format("built-in cast %u names unknown type \"%s\"", def.oid, name));
  }
  return t->oid;
}

const std::vector<CastRow>& Rows() {
  static const std::vector<CastRow> rows = [] {
    std::vector<CastRow> out;
    for (const CastDef& c : kCasts) {
      out.push_back({c.oid, TypeNamed(c.source, c), TypeNamed(c.target, c), c.func, c.context,
                     c.method});
    }
    return out;
  }();
  return rows;
}

}  // namespace

std::span<const CastRow> BuiltinCasts() { return Rows(); }

const CastRow* FindBuiltinCast(uint32_t source, uint32_t target) {
  for (const CastRow& c : Rows()) {
    if (c.source == source && c.target == target) return &c;
  }
  return nullptr;
}

}  // namespace keel::catalog
