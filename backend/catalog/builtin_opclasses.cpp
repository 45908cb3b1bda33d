// The built-in btree operator families, classes and members: readable tables of PostgreSQL
// 15's facts (pg_opfamily.dat, pg_opclass.dat, pg_amop.dat, pg_amproc.dat; oids PostgreSQL's
// genbki assigned are PostgreSQL 15's too, unique per catalog), resolved once. See
// builtin_opclasses.h and README.md ("Built-ins", C23).
#include "backend/catalog/builtin_opclasses.h"

#include <vector>

#include "backend/catalog/builtin_procs.h"
#include "backend/catalog/builtin_types.h"
#include "backend/utils/error/error.h"
#include "backend/utils/error/format.h"
#include "backend/utils/error/sqlstate.h"

namespace keel::catalog {
namespace {

constexpr uint32_t kBtreeAm = 403;

// Btree operator families: {oid, opfname}.
struct FamilyDef {
  uint32_t oid;
  const char* name;
};
constexpr FamilyDef kFamilies[] = {
    {424, "bool_ops"},
    {426, "bpchar_ops"},
    {428, "bytea_ops"},
    {429, "char_ops"},
    {434, "datetime_ops"},
    {1970, "float_ops"},
    {1976, "integer_ops"},
    {1982, "interval_ops"},
    {1988, "numeric_ops"},
    {1989, "oid_ops"},
    {1991, "oidvector_ops"},
    {1994, "text_ops"},
    {1996, "time_ops"},
};

// Btree operator classes: {oid, opcname, opcfamily, opcintype, opckeytype ("": none),
// opcdefault}. Departure: PostgreSQL 15's name_ops has opckeytype cstring (its btree stores
// names as C strings); Keel's btree stores the 64-byte name, so the key type is name itself.
struct OpclassDef {
  uint32_t oid;
  const char* name;
  uint32_t family;
  const char* input_type;
  const char* key_type;
  bool is_default;
};
constexpr OpclassDef kOpclasses[] = {
    {10003, "bool_ops", 424, "bool", "", true},
    {10004, "bpchar_ops", 426, "bpchar", "", true},
    {10006, "bytea_ops", 428, "bytea", "", true},
    {10007, "char_ops", 429, "char", "", true},
    {3122, "date_ops", 434, "date", "", true},
    {3127, "timestamptz_ops", 434, "timestamptz", "", true},
    {3128, "timestamp_ops", 434, "timestamp", "", true},
    {3123, "float8_ops", 1970, "float8", "", true},
    {10012, "float4_ops", 1970, "float4", "", true},
    {1978, "int4_ops", 1976, "int4", "", true},
    {1979, "int2_ops", 1976, "int2", "", true},
    {3124, "int8_ops", 1976, "int8", "", true},
    {10022, "interval_ops", 1982, "interval", "", true},
    {3125, "numeric_ops", 1988, "numeric", "", true},
    {1981, "oid_ops", 1989, "oid", "", true},
    {10032, "oidvector_ops", 1991, "oidvector", "", true},
    {3126, "text_ops", 1994, "text", "", true},
    {10028, "name_ops", 1994, "name", "", true},
    {10044, "varchar_ops", 1994, "text", "", false},
    {10038, "time_ops", 1996, "time", "", true},
};

// Operators of a family for one (left, right) type pair, strategies 1-5 in order
// (<, <=, =, >=, >); the five pg_amop rows get oids first_oid .. first_oid + 4.
struct AmopGroup {
  uint32_t first_oid;
  uint32_t family;
  const char* left;
  const char* right;
  uint32_t ops[5];
};
constexpr AmopGroup kAmops[] = {
    {10000, 1976, "int2", "int2", {95, 522, 94, 524, 520}},
    {10005, 1976, "int2", "int4", {534, 540, 532, 542, 536}},
    {10010, 1976, "int2", "int8", {1864, 1866, 1862, 1867, 1865}},
    {10015, 1976, "int4", "int4", {97, 523, 96, 525, 521}},
    {10020, 1976, "int4", "int2", {535, 541, 533, 543, 537}},
    {10025, 1976, "int4", "int8", {37, 80, 15, 82, 76}},
    {10030, 1976, "int8", "int8", {412, 414, 410, 415, 413}},
    {10035, 1976, "int8", "int2", {1870, 1872, 1868, 1873, 1871}},
    {10040, 1976, "int8", "int4", {418, 420, 416, 430, 419}},
    {10045, 1989, "oid", "oid", {609, 611, 607, 612, 610}},
    {10060, 1991, "oidvector", "oidvector", {645, 647, 649, 648, 646}},
    {10065, 1970, "float4", "float4", {622, 624, 620, 625, 623}},
    {10070, 1970, "float4", "float8", {1122, 1124, 1120, 1125, 1123}},
    {10075, 1970, "float8", "float8", {672, 673, 670, 675, 674}},
    {10080, 1970, "float8", "float4", {1132, 1134, 1130, 1135, 1133}},
    {10085, 429, "char", "char", {631, 632, 92, 634, 633}},
    {10090, 1994, "text", "text", {664, 665, 98, 667, 666}},
    {10095, 1994, "name", "name", {660, 661, 93, 663, 662}},
    {10100, 1994, "name", "text", {255, 256, 254, 257, 258}},
    {10105, 1994, "text", "name", {261, 262, 260, 263, 264}},
    {10110, 426, "bpchar", "bpchar", {1058, 1059, 1054, 1061, 1060}},
    {10115, 428, "bytea", "bytea", {1957, 1958, 1955, 1960, 1959}},
    {10120, 434, "date", "date", {1095, 1096, 1093, 1098, 1097}},
    {10125, 434, "date", "timestamp", {2345, 2346, 2347, 2348, 2349}},
    {10130, 434, "date", "timestamptz", {2358, 2359, 2360, 2361, 2362}},
    {10135, 434, "timestamp", "timestamp", {2062, 2063, 2060, 2065, 2064}},
    {10140, 434, "timestamp", "date", {2371, 2372, 2373, 2374, 2375}},
    {10145, 434, "timestamp", "timestamptz", {2534, 2535, 2536, 2537, 2538}},
    {10150, 434, "timestamptz", "timestamptz", {1322, 1323, 1320, 1325, 1324}},
    {10155, 434, "timestamptz", "date", {2384, 2385, 2386, 2387, 2388}},
    {10160, 434, "timestamptz", "timestamp", {2540, 2541, 2542, 2543, 2544}},
    {10165, 1996, "time", "time", {1110, 1111, 1108, 1113, 1112}},
    {10175, 1982, "interval", "interval", {1332, 1333, 1330, 1335, 1334}},
    {10195, 1988, "numeric", "numeric", {1754, 1755, 1752, 1757, 1756}},
    {10200, 424, "bool", "bool", {58, 1694, 91, 1695, 59}},
};

// Support functions: {oid, family, left, right, number, function name}. 1 = cmp for every type
// pair; 2 = sortsupport and 4 = equalimage where PostgreSQL has them (3, in_range for window
// frames, is not declared yet).
struct AmprocDef {
  uint32_t oid;
  uint32_t family;
  const char* left;
  const char* right;
  int16_t number;
  const char* proc;
};
constexpr AmprocDef kAmprocs[] = {
    {10003, 424, "bool", "bool", 1, "btboolcmp"},
    {10004, 424, "bool", "bool", 4, "btequalimage"},
    {10005, 426, "bpchar", "bpchar", 1, "bpcharcmp"},
    {10006, 426, "bpchar", "bpchar", 2, "bpchar_sortsupport"},
    {10007, 426, "bpchar", "bpchar", 4, "btvarstrequalimage"},
    {10008, 428, "bytea", "bytea", 1, "byteacmp"},
    {10009, 428, "bytea", "bytea", 2, "bytea_sortsupport"},
    {10010, 428, "bytea", "bytea", 4, "btequalimage"},
    {10011, 429, "char", "char", 1, "btcharcmp"},
    {10012, 429, "char", "char", 4, "btequalimage"},
    {10013, 434, "date", "date", 1, "date_cmp"},
    {10014, 434, "date", "date", 2, "date_sortsupport"},
    {10015, 434, "date", "date", 4, "btequalimage"},
    {10016, 434, "date", "timestamp", 1, "date_cmp_timestamp"},
    {10017, 434, "date", "timestamptz", 1, "date_cmp_timestamptz"},
    {10018, 434, "timestamp", "timestamp", 1, "timestamp_cmp"},
    {10019, 434, "timestamp", "timestamp", 2, "timestamp_sortsupport"},
    {10020, 434, "timestamp", "timestamp", 4, "btequalimage"},
    {10021, 434, "timestamp", "date", 1, "timestamp_cmp_date"},
    {10022, 434, "timestamp", "timestamptz", 1, "timestamp_cmp_timestamptz"},
    {10023, 434, "timestamptz", "timestamptz", 1, "timestamptz_cmp"},
    {10024, 434, "timestamptz", "timestamptz", 2, "timestamp_sortsupport"},
    {10025, 434, "timestamptz", "timestamptz", 4, "btequalimage"},
    {10026, 434, "timestamptz", "date", 1, "timestamptz_cmp_date"},
    {10027, 434, "timestamptz", "timestamp", 1, "timestamptz_cmp_timestamp"},
    {10031, 1970, "float4", "float4", 1, "btfloat4cmp"},
    {10032, 1970, "float4", "float4", 2, "btfloat4sortsupport"},
    {10033, 1970, "float4", "float8", 1, "btfloat48cmp"},
    {10034, 1970, "float8", "float8", 1, "btfloat8cmp"},
    {10035, 1970, "float8", "float8", 2, "btfloat8sortsupport"},
    {10036, 1970, "float8", "float4", 1, "btfloat84cmp"},
    {10042, 1976, "int2", "int2", 1, "btint2cmp"},
    {10043, 1976, "int2", "int2", 2, "btint2sortsupport"},
    {10044, 1976, "int2", "int2", 4, "btequalimage"},
    {10045, 1976, "int2", "int4", 1, "btint24cmp"},
    {10046, 1976, "int2", "int8", 1, "btint28cmp"},
    {10050, 1976, "int4", "int4", 1, "btint4cmp"},
    {10051, 1976, "int4", "int4", 2, "btint4sortsupport"},
    {10052, 1976, "int4", "int4", 4, "btequalimage"},
    {10053, 1976, "int4", "int8", 1, "btint48cmp"},
    {10054, 1976, "int4", "int2", 1, "btint42cmp"},
    {10058, 1976, "int8", "int8", 1, "btint8cmp"},
    {10059, 1976, "int8", "int8", 2, "btint8sortsupport"},
    {10060, 1976, "int8", "int8", 4, "btequalimage"},
    {10061, 1976, "int8", "int4", 1, "btint84cmp"},
    {10062, 1976, "int8", "int2", 1, "btint82cmp"},
    {10064, 1982, "interval", "interval", 1, "interval_cmp"},
    {10069, 1988, "numeric", "numeric", 1, "numeric_cmp"},
    {10070, 1988, "numeric", "numeric", 2, "numeric_sortsupport"},
    {10072, 1989, "oid", "oid", 1, "btoidcmp"},
    {10073, 1989, "oid", "oid", 2, "btoidsortsupport"},
    {10074, 1989, "oid", "oid", 4, "btequalimage"},
    {10075, 1991, "oidvector", "oidvector", 1, "btoidvectorcmp"},
    {10076, 1991, "oidvector", "oidvector", 4, "btequalimage"},
    {10077, 1994, "text", "text", 1, "bttextcmp"},
    {10078, 1994, "text", "text", 2, "bttextsortsupport"},
    {10079, 1994, "text", "text", 4, "btvarstrequalimage"},
    {10080, 1994, "name", "name", 1, "btnamecmp"},
    {10081, 1994, "name", "name", 2, "btnamesortsupport"},
    {10082, 1994, "name", "name", 4, "btvarstrequalimage"},
    {10083, 1994, "name", "text", 1, "btnametextcmp"},
    {10084, 1994, "text", "name", 1, "bttextnamecmp"},
    {10085, 1996, "time", "time", 1, "time_cmp"},
    {10086, 1996, "time", "time", 4, "btequalimage"},
};

uint32_t TypeNamed(const char* name, const char* what, uint32_t oid) {
  const TypeRow* t = FindBuiltinTypeByName(name);
  if (t == nullptr) {
    throw Error(sqlstate::kInternalError,
                Format("built-in %s %u names unknown type \"%s\"", what, oid, name));
  }
  return t->oid;
}

struct Tables {
  std::vector<OpfamilyRow> families;
  std::vector<OpclassRow> classes;
  std::vector<AmopRow> amops;
  std::vector<AmprocRow> amprocs;

  Tables() {
    for (const FamilyDef& f : kFamilies) families.push_back({f.oid, kBtreeAm, f.name});
    for (const OpclassDef& c : kOpclasses) {
      const uint32_t key = c.key_type[0] == '\0' ? 0 : TypeNamed(c.key_type, "opclass", c.oid);
      classes.push_back({c.oid, kBtreeAm, c.name, c.family,
                         TypeNamed(c.input_type, "opclass", c.oid), c.is_default, key});
    }
    for (const AmopGroup& g : kAmops) {
      const uint32_t left = TypeNamed(g.left, "amop", g.first_oid);
      const uint32_t right = TypeNamed(g.right, "amop", g.first_oid);
      for (int16_t s = kBtreeLessStrategy; s <= kBtreeGreaterStrategy; ++s) {
        amops.push_back({g.first_oid + static_cast<uint32_t>(s - 1), g.family, left, right, s, 's',
                         g.ops[s - 1], kBtreeAm, 0});
      }
    }
    for (const AmprocDef& p : kAmprocs) {
      amprocs.push_back({p.oid, p.family, TypeNamed(p.left, "amproc", p.oid),
                         TypeNamed(p.right, "amproc", p.oid), p.number,
                         BuiltinProcOidByName(p.proc)});
    }
  }
};

const Tables& Get() {
  static const Tables tables;
  return tables;
}

}  // namespace

std::span<const OpfamilyRow> BuiltinOpfamilies() { return Get().families; }
std::span<const OpclassRow> BuiltinOpclasses() { return Get().classes; }
std::span<const AmopRow> BuiltinAmops() { return Get().amops; }
std::span<const AmprocRow> BuiltinAmprocs() { return Get().amprocs; }

uint32_t DefaultBtreeOpclass(uint32_t type_oid) {
  for (const OpclassRow& c : Get().classes) {
    if (c.method == kBtreeAm && c.is_default && c.input_type == type_oid) return c.oid;
  }
  return 0;
}

}  // namespace keel::catalog
