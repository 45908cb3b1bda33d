// Btree key support for index columns by type oid; see key_support.h and README.md ("Index
// key support").
#include "backend/utils/cache/key_support.h"

#include <cmath>
#include <cstring>
#include <limits>
#include <string>

#include "access/common/tuple_desc.h"
#include "access/common/varlena.h"
#include "backend/catalog/catalog_values.h"
#include "backend/utils/error/format.h"

namespace keel::cache {
namespace {

namespace type = access::type_oid;

// Type oids this file knows beyond access/common's list (PostgreSQL's pg_type.dat).
constexpr uint32_t kRegclass = 2205;
constexpr uint32_t kRegtype = 2206;
constexpr uint32_t kRegnamespace = 4089;
constexpr uint32_t kRegrole = 4096;

template <typename T>
int Cmp3(T a, T b) {
  return a < b ? -1 : (a > b ? 1 : 0);
}

int BtDateCmp(access::Datum a, access::Datum b, const void*) {
  return Cmp3(access::DatumGetInt32(a), access::DatumGetInt32(b));
}
int BtInt64KeyCmp(access::Datum a, access::Datum b, const void*) {  // time, timestamp(tz)
  return Cmp3(access::DatumGetInt64(a), access::DatumGetInt64(b));
}
int BtUuidCmp(access::Datum a, access::Datum b, const void*) {
  const int c = std::memcmp(access::DatumGetPointer(a), access::DatumGetPointer(b), 16);
  return c < 0 ? -1 : (c > 0 ? 1 : 0);
}

std::string Float4Out(access::Datum d) {
  const float v = access::DatumGetFloat4(d);
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "Infinity" : "-Infinity";
  return Format("%.9g", static_cast<double>(v));
}

std::string ByteaOut(access::Datum d) {
  static constexpr char kHex[] = "0123456789abcdef";
  const std::span<const std::byte> s = access::VarDataSpan(access::DatumGetPointer(d));
  std::string out = "\\x";
  for (std::byte b : s) {
    out += kHex[static_cast<uint8_t>(b) >> 4];
    out += kHex[static_cast<uint8_t>(b) & 0xF];
  }
  return out;
}

std::string TextLikeOut(access::Datum d) {
  const std::span<const std::byte> s = access::VarDataSpan(access::DatumGetPointer(d));
  return std::string(reinterpret_cast<const char*>(s.data()), s.size());
}

std::string OidOut(access::Datum d) { return std::to_string(access::DatumGetUInt32(d)); }

std::string UuidOut(access::Datum d) {
  static constexpr char kHex[] = "0123456789abcdef";
  const auto* p = reinterpret_cast<const uint8_t*>(access::DatumGetPointer(d));
  std::string out;
  for (int i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out += '-';
    out += kHex[p[i] >> 4];
    out += kHex[p[i] & 0xF];
  }
  return out;
}

// bpchar's significant length: without trailing blanks.
std::span<const std::byte> BpcharTrimmed(access::Datum d) {
  std::span<const std::byte> s = access::VarDataSpan(access::DatumGetPointer(d));
  size_t n = s.size();
  while (n > 0 && s[n - 1] == std::byte{' '}) --n;
  return s.first(n);
}

// Dates count days from 2000-01-01 (PostgreSQL's epoch); the civil calendar (proleptic
// Gregorian) from a day count since 1970-01-01, by the usual era decomposition.
constexpr int64_t kPostgresEpochDaysFrom1970 = 10957;

struct CivilDate {
  int64_t year;
  int month;
  int day;
};

CivilDate CivilFromDays(int64_t days_since_1970) {
  const int64_t z = days_since_1970 + 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const int64_t doe = z - era * 146097;                                   // [0, 146096]
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;  // [0, 399]
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);            // [0, 365]
  const int64_t mp = (5 * doy + 2) / 153;                                 // [0, 11]
  const int day = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
  const int month = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  return {yoe + era * 400 + (month <= 2 ? 1 : 0), month, day};
}

// "YYYY-MM-DD", and whether the year is BC (year 0 is 1 BC).
std::string DateText(int64_t pg_days, bool* bc) {
  const CivilDate c = CivilFromDays(pg_days + kPostgresEpochDaysFrom1970);
  *bc = c.year <= 0;
  const int64_t shown = *bc ? 1 - c.year : c.year;
  return Format("%04lld-%02d-%02d", static_cast<long long>(shown), c.month, c.day);
}

// "HH:MM:SS" plus ".ffffff" without trailing zeros, from microseconds within a day.
std::string TimeText(int64_t usec_of_day) {
  const int64_t secs = usec_of_day / 1000000;
  int64_t frac = usec_of_day % 1000000;
  std::string out = Format("%02lld:%02lld:%02lld", static_cast<long long>(secs / 3600),
                           static_cast<long long>(secs / 60 % 60), static_cast<long long>(secs % 60));
  if (frac != 0) {
    std::string f = Format("%06lld", static_cast<long long>(frac));
    while (!f.empty() && f.back() == '0') f.pop_back();
    out += "." + f;
  }
  return out;
}

std::string TimestampText(access::Datum value, const char* zone) {
  const int64_t ts = access::DatumGetInt64(value);
  if (ts == std::numeric_limits<int64_t>::max()) return "infinity";
  if (ts == std::numeric_limits<int64_t>::min()) return "-infinity";
  constexpr int64_t kUsecPerDay = 86400LL * 1000000;
  int64_t days = ts / kUsecPerDay;
  int64_t rem = ts % kUsecPerDay;
  if (rem < 0) {
    rem += kUsecPerDay;
    --days;
  }
  bool bc = false;
  const std::string date = DateText(days, &bc);
  return date + " " + TimeText(rem) + zone + (bc ? " BC" : "");
}

std::string TimeOut(access::Datum value) { return TimeText(access::DatumGetInt64(value)); }

struct KeySupport {
  uint32_t type_oid;
  access::DatumCompareFn compare;
  access::IndexOutputFn output;
  bool equal_image;
};

// The user types this file adds (K7).
constexpr KeySupport kKeySupport[] = {
    {type::kFloat4, BtFloat4Cmp, Float4Out, false},  // -0 = 0, different bytes
    {type::kBytea, BtByteaCmp, ByteaOut, true},
    {type::kBpchar, BtBpcharCmp, TextLikeOut, false},  // 'a' = 'a ', different bytes
    {type::kDate, BtDateCmp, DateOut, true},
    {type::kTime, BtInt64KeyCmp, TimeOut, true},
    {type::kTimestamp, BtInt64KeyCmp, TimestampOut, true},
    {type::kTimestampTz, BtInt64KeyCmp, TimestampTzOut, true},
    {type::kUuid, BtUuidCmp, UuidOut, true},
    {kRegclass, access::BtOidCmp, OidOut, true},
    {kRegtype, access::BtOidCmp, OidOut, true},
    {kRegnamespace, access::BtOidCmp, OidOut, true},
    {kRegrole, access::BtOidCmp, OidOut, true},
};

}  // namespace

int BtFloat4Cmp(access::Datum a, access::Datum b, const void*) {
  const float x = access::DatumGetFloat4(a);
  const float y = access::DatumGetFloat4(b);
  // PostgreSQL's float ordering: NaN equals NaN and sorts above every other value.
  if (std::isnan(x)) return std::isnan(y) ? 0 : 1;
  if (std::isnan(y)) return -1;
  return Cmp3(x, y);
}

int BtByteaCmp(access::Datum a, access::Datum b, const void*) {
  const std::span<const std::byte> x = access::VarDataSpan(access::DatumGetPointer(a));
  const std::span<const std::byte> y = access::VarDataSpan(access::DatumGetPointer(b));
  const size_t n = std::min(x.size(), y.size());
  const int c = n == 0 ? 0 : std::memcmp(x.data(), y.data(), n);
  if (c != 0) return c < 0 ? -1 : 1;
  return Cmp3(x.size(), y.size());
}

int BtBpcharCmp(access::Datum a, access::Datum b, const void*) {
  const std::span<const std::byte> x = BpcharTrimmed(a);
  const std::span<const std::byte> y = BpcharTrimmed(b);
  const size_t n = std::min(x.size(), y.size());
  const int c = n == 0 ? 0 : std::memcmp(x.data(), y.data(), n);
  if (c != 0) return c < 0 ? -1 : 1;
  return Cmp3(x.size(), y.size());
}

std::string DateOut(access::Datum value) {
  const int32_t d = access::DatumGetInt32(value);
  if (d == std::numeric_limits<int32_t>::max()) return "infinity";
  if (d == std::numeric_limits<int32_t>::min()) return "-infinity";
  bool bc = false;
  const std::string text = DateText(d, &bc);
  return bc ? text + " BC" : text;
}

std::string TimestampOut(access::Datum value) { return TimestampText(value, ""); }
std::string TimestampTzOut(access::Datum value) { return TimestampText(value, "+00"); }

access::IndexKeyColumn BtreeKeyColumnForType(uint32_t type_oid) {
  for (const KeySupport& k : kKeySupport) {
    if (k.type_oid != type_oid) continue;
    access::IndexKeyColumn col;
    col.compare = k.compare;
    col.output = k.output;
    col.equal_image = k.equal_image;
    return col;
  }
  // The catalog key types and access/common's (int2/4/8, oid, bool, float8, text, varchar);
  // throws XX000 "missing support function for type %u" for the rest.
  return catalog::CatalogKeyColumnForType(type_oid);
}

}  // namespace keel::cache
