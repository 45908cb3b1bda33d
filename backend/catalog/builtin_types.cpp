// The built-in pg_type rows: one readable table of base and pseudo types (PostgreSQL 15's
// pg_type.dat values), from which the array types and the catalog row types are derived.
// See builtin_types.h and backend/catalog/README.md (C8-C10).
#include "backend/catalog/builtin_types.h"

#include <memory>
#include <unordered_map>

#include "backend/catalog/catalog_defs.h"
#include "backend/catalog/system_views.h"
#include "backend/utils/error/error.h"
#include "backend/utils/error/format.h"
#include "backend/utils/error/sqlstate.h"

namespace keel::catalog {
namespace {

// One base or pseudo type. Every type with array_oid != 0 gets an array type "_name" (C8).
struct BaseType {
  uint32_t oid;
  const char* name;
  int16_t len;
  bool byval;
  char typtype;
  char category;
  bool preferred;
  uint32_t elem;       // int2vector / oidvector / name are subscriptable
  uint32_t array_oid;
  char align;
  char storage;
  uint32_t collation;
  const char* io;      // prefix of in/out/recv/send, or a full "in out recv send" list
};

constexpr uint32_t kDef = kDefaultCollation;
constexpr uint32_t kC = kCCollation;

// PostgreSQL 15's pg_type.dat values (oid, typname, typlen, typbyval, typtype, typcategory,
// typispreferred, typelem, array_type_oid, typalign, typstorage, typcollation, I/O functions).
// "io" is a space-separated list of input, output, receive and send function names ("-":
// none), or "=prefix" for PostgreSQL's "<prefix>in <prefix>out <prefix>recv <prefix>send".
constexpr BaseType kBaseTypes[] = {
    {16, "bool", 1, true, 'b', 'B', true, 0, 1000, 'c', 'p', 0, "=bool"},
    {17, "bytea", -1, false, 'b', 'U', false, 0, 1001, 'i', 'x', 0, "=bytea"},
    {18, "char", 1, true, 'b', 'Z', false, 0, 1002, 'c', 'p', 0, "=char"},
    {19, "name", 64, false, 'b', 'S', false, 18, 1003, 'c', 'p', kC, "=name"},
    {20, "int8", 8, true, 'b', 'N', false, 0, 1016, 'd', 'p', 0, "=int8"},
    {21, "int2", 2, true, 'b', 'N', false, 0, 1005, 's', 'p', 0, "=int2"},
    {22, "int2vector", -1, false, 'b', 'A', false, 21, 1006, 'i', 'p', 0, "=int2vector"},
    {23, "int4", 4, true, 'b', 'N', false, 0, 1007, 'i', 'p', 0, "=int4"},
    {24, "regproc", 4, true, 'b', 'N', false, 0, 1008, 'i', 'p', 0, "=regproc"},
    {25, "text", -1, false, 'b', 'S', true, 0, 1009, 'i', 'x', kDef, "=text"},
    {26, "oid", 4, true, 'b', 'N', true, 0, 1028, 'i', 'p', 0, "=oid"},
    {27, "tid", 6, false, 'b', 'U', false, 0, 1010, 's', 'p', 0, "=tid"},
    {28, "xid", 4, true, 'b', 'U', false, 0, 1011, 'i', 'p', 0, "=xid"},
    {29, "cid", 4, true, 'b', 'U', false, 0, 1012, 'i', 'p', 0, "=cid"},
    {30, "oidvector", -1, false, 'b', 'A', false, 26, 1013, 'i', 'p', 0, "=oidvector"},
    {114, "json", -1, false, 'b', 'U', false, 0, 199, 'i', 'x', 0,
     "json_in json_out json_recv json_send"},
    {142, "xml", -1, false, 'b', 'U', false, 0, 143, 'i', 'x', 0,
     "xml_in xml_out xml_recv xml_send"},
    {194, "pg_node_tree", -1, false, 'b', 'Z', false, 0, 0, 'i', 'x', kDef,
     "pg_node_tree_in pg_node_tree_out pg_node_tree_recv pg_node_tree_send"},
    {700, "float4", 4, true, 'b', 'N', false, 0, 1021, 'i', 'p', 0, "=float4"},
    {701, "float8", 8, true, 'b', 'N', true, 0, 1022, 'd', 'p', 0, "=float8"},
    {705, "unknown", -2, false, 'p', 'X', false, 0, 0, 'c', 'p', 0, "=unknown"},
    {869, "inet", -1, false, 'b', 'I', true, 0, 1041, 'i', 'm', 0,
     "inet_in inet_out inet_recv inet_send"},
    {1033, "aclitem", 12, false, 'b', 'U', false, 0, 1034, 'i', 'p', 0,
     "aclitemin aclitemout - -"},
    {1042, "bpchar", -1, false, 'b', 'S', false, 0, 1014, 'i', 'x', kDef, "=bpchar"},
    {1043, "varchar", -1, false, 'b', 'S', false, 0, 1015, 'i', 'x', kDef, "=varchar"},
    {1082, "date", 4, true, 'b', 'D', false, 0, 1182, 'i', 'p', 0,
     "date_in date_out date_recv date_send"},
    {1083, "time", 8, true, 'b', 'D', false, 0, 1183, 'd', 'p', 0,
     "time_in time_out time_recv time_send"},
    {1114, "timestamp", 8, true, 'b', 'D', false, 0, 1115, 'd', 'p', 0,
     "timestamp_in timestamp_out timestamp_recv timestamp_send"},
    {1184, "timestamptz", 8, true, 'b', 'D', true, 0, 1185, 'd', 'p', 0,
     "timestamptz_in timestamptz_out timestamptz_recv timestamptz_send"},
    {1186, "interval", 16, false, 'b', 'T', true, 0, 1187, 'd', 'p', 0,
     "interval_in interval_out interval_recv interval_send"},
    {1266, "timetz", 12, false, 'b', 'D', false, 0, 1270, 'd', 'p', 0,
     "timetz_in timetz_out timetz_recv timetz_send"},
    {1560, "bit", -1, false, 'b', 'V', false, 0, 1561, 'i', 'x', 0,
     "bit_in bit_out bit_recv bit_send"},
    {1562, "varbit", -1, false, 'b', 'V', true, 0, 1563, 'i', 'x', 0,
     "varbit_in varbit_out varbit_recv varbit_send"},
    {1700, "numeric", -1, false, 'b', 'N', false, 0, 1231, 'i', 'm', 0,
     "numeric_in numeric_out numeric_recv numeric_send"},
    {2205, "regclass", 4, true, 'b', 'N', false, 0, 2210, 'i', 'p', 0, "=regclass"},
    {2206, "regtype", 4, true, 'b', 'N', false, 0, 2211, 'i', 'p', 0, "=regtype"},
    {4089, "regnamespace", 4, true, 'b', 'N', false, 0, 4090, 'i', 'p', 0, "=regnamespace"},
    {4096, "regrole", 4, true, 'b', 'N', false, 0, 4097, 'i', 'p', 0, "=regrole"},
    {2249, "record", -1, false, 'p', 'P', false, 0, 2287, 'd', 'x', 0,
     "record_in record_out record_recv record_send"},
    {2275, "cstring", -2, false, 'p', 'P', false, 0, 1263, 'c', 'p', 0,
     "cstring_in cstring_out cstring_recv cstring_send"},
    {2276, "any", 4, true, 'p', 'P', false, 0, 0, 'i', 'p', 0, "any_in any_out - -"},
    {2277, "anyarray", -1, false, 'p', 'P', false, 0, 0, 'd', 'x', 0,
     "anyarray_in anyarray_out anyarray_recv anyarray_send"},
    {2281, "internal", 8, true, 'p', 'P', false, 0, 0, 'd', 'p', 0, "internal_in internal_out - -"},
    {325, "index_am_handler", 4, true, 'p', 'P', false, 0, 0, 'i', 'p', 0,
     "index_am_handler_in index_am_handler_out - -"},
    {269, "table_am_handler", 4, true, 'p', 'P', false, 0, 0, 'i', 'p', 0,
     "table_am_handler_in table_am_handler_out - -"},
    {2278, "void", 4, true, 'p', 'P', false, 0, 0, 'i', 'p', 0,
     "void_in void_out void_recv void_send"},
    {2279, "trigger", 4, true, 'p', 'P', false, 0, 0, 'i', 'p', 0,
     "trigger_in trigger_out - -"},
    {2283, "anyelement", 4, true, 'p', 'P', false, 0, 0, 'i', 'p', 0,
     "anyelement_in anyelement_out - -"},
    {2950, "uuid", 16, false, 'b', 'U', false, 0, 2951, 'c', 'p', 0,
     "uuid_in uuid_out uuid_recv uuid_send"},
    {3220, "pg_lsn", 8, true, 'b', 'U', false, 0, 3221, 'd', 'p', 0,
     "pg_lsn_in pg_lsn_out pg_lsn_recv pg_lsn_send"},
    {3802, "jsonb", -1, false, 'b', 'U', false, 0, 3807, 'i', 'x', 0,
     "jsonb_in jsonb_out jsonb_recv jsonb_send"},
    {5069, "xid8", 8, true, 'b', 'U', false, 0, 271, 'd', 'p', 0, "=xid8"},
};

// The types with a type modifier (length, precision): PostgreSQL's typmodin / typmodout. Their
// array types take the same functions.
struct TypmodFunctions {
  uint32_t oid;
  const char* in;
  const char* out;
};
constexpr TypmodFunctions kTypmodFunctions[] = {
    {1042, "bpchartypmodin", "bpchartypmodout"},
    {1043, "varchartypmodin", "varchartypmodout"},
    {1083, "timetypmodin", "timetypmodout"},
    {1114, "timestamptypmodin", "timestamptypmodout"},
    {1184, "timestamptztypmodin", "timestamptztypmodout"},
    {1186, "intervaltypmodin", "intervaltypmodout"},
    {1266, "timetztypmodin", "timetztypmodout"},
    {1560, "bittypmodin", "bittypmodout"},
    {1562, "varbittypmodin", "varbittypmodout"},
    {1700, "numerictypmodin", "numerictypmodout"},
};

void SetTypmod(TypeRow* row, uint32_t base_oid) {
  row->typmodin = "-";
  row->typmodout = "-";
  for (const TypmodFunctions& f : kTypmodFunctions) {
    if (f.oid == base_oid) {
      row->typmodin = f.in;
      row->typmodout = f.out;
    }
  }
}


// Interned function names: the table is built once and lives for the process (string_views
// into it stay valid).
std::string_view Intern(std::string s) {
  static std::vector<std::unique_ptr<std::string>> pool;
  pool.push_back(std::make_unique<std::string>(std::move(s)));
  return *pool.back();
}

void SetIo(TypeRow* row, std::string_view io) {
  std::string_view names[4] = {"-", "-", "-", "-"};
  if (!io.empty() && io[0] == '=') {
    const std::string prefix(io.substr(1));
    names[0] = Intern(prefix + "in");
    names[1] = Intern(prefix + "out");
    names[2] = Intern(prefix + "recv");
    names[3] = Intern(prefix + "send");
  } else {
    size_t pos = 0;
    for (int i = 0; i < 4 && pos <= io.size(); ++i) {
      size_t end = io.find(' ', pos);
      if (end == std::string_view::npos) end = io.size();
      names[i] = io.substr(pos, end - pos);
      pos = end + 1;
    }
  }
  row->input = names[0];
  row->output = names[1];
  row->receive = names[2];
  row->send = names[3];
}

// A composite row type of a catalog or view (C10), and the array type over it when it has one.
void AddRowType(std::vector<TypeRow>* rows, std::string_view name, uint32_t oid,
                uint32_t relid, uint32_t array_oid) {
  TypeRow r{};
  r.oid = oid;
  r.name = std::string(name);
  r.typlen = -1;
  r.typbyval = false;
  r.typtype = 'c';
  r.typcategory = 'C';
  r.typdelim = ',';
  r.typrelid = relid;
  r.typarray = array_oid;
  r.typalign = 'd';
  r.typstorage = 'x';
  r.subscript = "-";
  SetIo(&r, "record_in record_out record_recv record_send");
  r.typmodin = "-";
  r.typmodout = "-";
  r.analyze = "-";
  rows->push_back(r);
  if (array_oid == 0) return;
  TypeRow a = r;
  a.oid = array_oid;
  a.name = "_" + std::string(name);
  a.typtype = 'b';
  a.typcategory = 'A';
  a.typrelid = 0;
  a.typelem = oid;
  a.typarray = 0;
  a.subscript = "array_subscript_handler";
  SetIo(&a, "array_in array_out array_recv array_send");
  a.analyze = "array_typanalyze";
  rows->push_back(std::move(a));
}

std::vector<TypeRow> BuildTypes() {
  std::vector<TypeRow> rows;
  for (const BaseType& b : kBaseTypes) {
    TypeRow r{};
    r.oid = b.oid;
    r.name = b.name;
    r.typlen = b.len;
    r.typbyval = b.byval;
    r.typtype = b.typtype;
    r.typcategory = b.category;
    r.typispreferred = b.preferred;
    r.typdelim = ',';
    r.typelem = b.elem;
    r.typarray = b.array_oid;
    r.typalign = b.align;
    r.typstorage = b.storage;
    r.typcollation = b.collation;
    // name, int2vector and oidvector are fixed-length / vector types subscriptable like arrays;
    // jsonb has its own subscripting.
    r.subscript = b.oid == type::kJsonb ? "jsonb_subscript_handler"
                  : b.elem == 0         ? "-"
                  : b.len == -1         ? "array_subscript_handler"
                                        : "raw_array_subscript_handler";
    SetIo(&r, b.io);
    SetTypmod(&r, b.oid);
    r.analyze = "-";
    rows.push_back(std::move(r));
  }
  // C8: the array type of every type that names one.
  for (const BaseType& b : kBaseTypes) {
    if (b.array_oid == 0) continue;
    TypeRow r{};
    r.oid = b.array_oid;
    r.name = std::string("_") + b.name;
    r.typlen = -1;
    r.typbyval = false;
    // record[] is a pseudo-type itself; every other array is a base type of category 'A'.
    r.typtype = b.oid == type::kRecord ? 'p' : 'b';
    r.typcategory = b.oid == type::kRecord ? 'P' : 'A';
    r.typispreferred = false;
    r.typdelim = ',';
    r.typelem = b.oid;
    r.typarray = 0;
    r.typalign = b.align == 'd' ? 'd' : 'i';  // an array is at least int-aligned
    r.typstorage = 'x';
    r.typcollation = b.collation;
    r.subscript = "array_subscript_handler";
    SetIo(&r, "array_in array_out array_recv array_send");
    SetTypmod(&r, b.oid);
    r.analyze = "array_typanalyze";
    rows.push_back(std::move(r));
  }
  // C10: the catalogs' row types (and the array types PostgreSQL fixes for the four bootstrap
  // catalogs' row types; the others get none here), then the system views' (C18).
  for (const CatalogDef& def : AllCatalogs()) {
    AddRowType(&rows, def.name, def.rowtype_oid, def.oid, def.array_type_oid);
  }
  for (const SystemViewDef& view : AllSystemViews()) {
    AddRowType(&rows, view.name, view.rowtype_oid, view.oid, view.array_type_oid);
  }
  return rows;
}

struct TypeTable {
  std::vector<TypeRow> rows = BuildTypes();
  std::unordered_map<uint32_t, size_t> by_oid;
  std::unordered_map<std::string_view, size_t> by_name;  // views into `rows`, which never change
  TypeTable() {
    for (size_t i = 0; i < rows.size(); ++i) {
      by_oid.emplace(rows[i].oid, i);
      by_name.emplace(rows[i].name, i);
    }
  }
};

const TypeTable& Table() {
  static const TypeTable table;
  return table;
}

}  // namespace

std::span<const TypeRow> BuiltinTypes() { return Table().rows; }

const TypeRow* FindBuiltinType(uint32_t oid) {
  const TypeTable& t = Table();
  auto it = t.by_oid.find(oid);
  return it == t.by_oid.end() ? nullptr : &t.rows[it->second];
}

const TypeRow* FindBuiltinTypeByName(std::string_view name) {
  const TypeTable& t = Table();
  auto it = t.by_name.find(name);
  return it == t.by_name.end() ? nullptr : &t.rows[it->second];
}

access::Attribute AttributeForBuiltinType(std::string_view name, uint32_t type_oid,
                                          bool not_null) {
  const TypeRow* t = FindBuiltinType(type_oid);
  if (t == nullptr) {
    throw Error(sqlstate::kInternalError, Format("cache lookup failed for type %u", type_oid));
  }
  access::Attribute a;
  a.name = std::string(name);
  a.type_id = Oid(type_oid);
  a.attlen = t->typlen;
  a.attbyval = t->typbyval;
  a.attalign = t->typalign;
  a.attstorage = t->typstorage;
  a.attnotnull = not_null;
  return a;
}

}  // namespace keel::catalog
