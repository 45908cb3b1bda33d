// The built-in functions: one readable table of pg_proc rows (PostgreSQL 15's pg_proc.dat
// facts: oid, name, argument and result types by type name, attributes, prosrc), resolved once
// into ProcRows. See builtin_procs.h and README.md ("Built-ins", C21-C24).
#include "backend/catalog/builtin_procs.h"

#include <memory>
#include <unordered_map>

#include "backend/catalog/builtin_types.h"
#include "backend/utils/error/error.h"
#include "backend/utils/error/format.h"
#include "backend/utils/error/sqlstate.h"

namespace keel::catalog {
namespace {

// provolatile, proparallel, proisstrict, proleakproof, proretset, procost, prorows.
struct ProcAttrs {
  char volatility;
  char parallel;
  bool strict;
  bool leakproof;
  bool retset;
  float cost;
  float rows;
};
constexpr ProcAttrs kImmutable{'i', 's', true, false, false, 1, 0};
constexpr ProcAttrs kLeakproof{'i', 's', true, true, false, 1, 0};  // comparisons, widening casts
constexpr ProcAttrs kStable{'s', 's', true, false, false, 1, 0};
constexpr ProcAttrs kVolatile{'v', 's', true, false, false, 1, 0};
constexpr ProcAttrs kImmutableNonStrict{'i', 's', false, false, false, 1, 0};

// One row of the table: argument and result types by pg_type name, blank-separated ("" for
// none); prosrc nullptr when it equals the name.
struct ProcDef {
  uint32_t oid;
  const char* name;
  const char* args;
  const char* result;
  ProcAttrs attrs;
  const char* prosrc = nullptr;
};

constexpr ProcDef kProcs[] = {
    // Type support: input / output / binary receive / send, type modifier input / output, ANALYZE
// and subscripting support of every built-in type (pg_type's regproc columns, C9).
    {31, "byteaout", "bytea", "cstring", kImmutable},
    {33, "charout", "char", "cstring", kImmutable},
    {34, "namein", "cstring", "name", kImmutable},
    {35, "nameout", "name", "cstring", kImmutable},
    {38, "int2in", "cstring", "int2", kImmutable},
    {39, "int2out", "int2", "cstring", kImmutable},
    {40, "int2vectorin", "cstring", "int2vector", kImmutable},
    {41, "int2vectorout", "int2vector", "cstring", kImmutable},
    {42, "int4in", "cstring", "int4", kImmutable},
    {43, "int4out", "int4", "cstring", kImmutable},
    {44, "regprocin", "cstring", "regproc", kStable},
    {45, "regprocout", "regproc", "cstring", kStable},
    {46, "textin", "cstring", "text", kImmutable},
    {47, "textout", "text", "cstring", kImmutable},
    {48, "tidin", "cstring", "tid", kImmutable},
    {49, "tidout", "tid", "cstring", kImmutable},
    {50, "xidin", "cstring", "xid", kImmutable},
    {51, "xidout", "xid", "cstring", kImmutable},
    {52, "cidin", "cstring", "cid", kImmutable},
    {53, "cidout", "cid", "cstring", kImmutable},
    {54, "oidvectorin", "cstring", "oidvector", kImmutable},
    {55, "oidvectorout", "oidvector", "cstring", kImmutable},
    {109, "unknownin", "cstring", "unknown", kImmutable},
    {110, "unknownout", "unknown", "cstring", kImmutable},
    {195, "pg_node_tree_in", "cstring", "pg_node_tree", kImmutable},
    {196, "pg_node_tree_out", "pg_node_tree", "cstring", kImmutable},
    {197, "pg_node_tree_recv", "internal", "pg_node_tree", kStable},
    {198, "pg_node_tree_send", "pg_node_tree", "bytea", kStable},
    {200, "float4in", "cstring", "float4", kImmutable},
    {201, "float4out", "float4", "cstring", kImmutable},
    {214, "float8in", "cstring", "float8", kImmutable},
    {215, "float8out", "float8", "cstring", kImmutable},
    {267, "table_am_handler_in", "cstring", "table_am_handler", kImmutableNonStrict},
    {268, "table_am_handler_out", "table_am_handler", "cstring", kImmutable},
    {321, "json_in", "cstring", "json", kImmutable},
    {322, "json_out", "json", "cstring", kImmutable},
    {323, "json_recv", "internal", "json", kImmutable},
    {324, "json_send", "json", "bytea", kImmutable},
    {326, "index_am_handler_in", "cstring", "index_am_handler", kImmutableNonStrict},
    {327, "index_am_handler_out", "index_am_handler", "cstring", kImmutable},
    {460, "int8in", "cstring", "int8", kImmutable},
    {461, "int8out", "int8", "cstring", kImmutable},
    {750, "array_in", "cstring oid int4", "anyarray", kStable},
    {751, "array_out", "anyarray", "cstring", kStable},
    {910, "inet_in", "cstring", "inet", kImmutable},
    {911, "inet_out", "inet", "cstring", kImmutable},
    {1031, "aclitemin", "cstring", "aclitem", kStable},
    {1032, "aclitemout", "aclitem", "cstring", kStable},
    {1044, "bpcharin", "cstring oid int4", "bpchar", kImmutable},
    {1045, "bpcharout", "bpchar", "cstring", kImmutable},
    {1046, "varcharin", "cstring oid int4", "varchar", kImmutable},
    {1047, "varcharout", "varchar", "cstring", kImmutable},
    {1084, "date_in", "cstring", "date", kStable},
    {1085, "date_out", "date", "cstring", kStable},
    {1143, "time_in", "cstring oid int4", "time", kStable},
    {1144, "time_out", "time", "cstring", kImmutable},
    {1150, "timestamptz_in", "cstring oid int4", "timestamptz", kStable},
    {1151, "timestamptz_out", "timestamptz", "cstring", kStable},
    {1160, "interval_in", "cstring oid int4", "interval", kStable},
    {1161, "interval_out", "interval", "cstring", kStable},
    {1242, "boolin", "cstring", "bool", kImmutable},
    {1243, "boolout", "bool", "cstring", kImmutable},
    {1244, "byteain", "cstring", "bytea", kImmutable},
    {1245, "charin", "cstring", "char", kImmutable},
    {1312, "timestamp_in", "cstring oid int4", "timestamp", kStable},
    {1313, "timestamp_out", "timestamp", "cstring", kStable},
    {1350, "timetz_in", "cstring oid int4", "timetz", kStable},
    {1351, "timetz_out", "timetz", "cstring", kImmutable},
    {1564, "bit_in", "cstring oid int4", "bit", kImmutable},
    {1565, "bit_out", "bit", "cstring", kImmutable},
    {1579, "varbit_in", "cstring oid int4", "varbit", kImmutable},
    {1580, "varbit_out", "varbit", "cstring", kImmutable},
    {1701, "numeric_in", "cstring oid int4", "numeric", kImmutable},
    {1702, "numeric_out", "numeric", "cstring", kImmutable},
    {1798, "oidin", "cstring", "oid", kImmutable},
    {1799, "oidout", "oid", "cstring", kImmutable},
    {2218, "regclassin", "cstring", "regclass", kStable},
    {2219, "regclassout", "regclass", "cstring", kStable},
    {2220, "regtypein", "cstring", "regtype", kStable},
    {2221, "regtypeout", "regtype", "cstring", kStable},
    {2290, "record_in", "cstring oid int4", "record", kStable},
    {2291, "record_out", "record", "cstring", kStable},
    {2292, "cstring_in", "cstring", "cstring", kImmutable},
    {2293, "cstring_out", "cstring", "cstring", kImmutable},
    {2294, "any_in", "cstring", "any", kImmutable},
    {2295, "any_out", "any", "cstring", kImmutable},
    {2296, "anyarray_in", "cstring", "anyarray", kImmutable},
    {2297, "anyarray_out", "anyarray", "cstring", kStable},
    {2298, "void_in", "cstring", "void", kImmutable},
    {2299, "void_out", "void", "cstring", kImmutable},
    {2300, "trigger_in", "cstring", "trigger", kImmutableNonStrict},
    {2301, "trigger_out", "trigger", "cstring", kImmutable},
    {2304, "internal_in", "cstring", "internal", kImmutableNonStrict},
    {2305, "internal_out", "internal", "cstring", kImmutable},
    {2312, "anyelement_in", "cstring", "anyelement", kImmutable},
    {2313, "anyelement_out", "anyelement", "cstring", kImmutable},
    {2400, "array_recv", "internal oid int4", "anyarray", kStable},
    {2401, "array_send", "anyarray", "bytea", kStable},
    {2402, "record_recv", "internal oid int4", "record", kStable},
    {2403, "record_send", "record", "bytea", kStable},
    {2404, "int2recv", "internal", "int2", kImmutable},
    {2405, "int2send", "int2", "bytea", kImmutable},
    {2406, "int4recv", "internal", "int4", kImmutable},
    {2407, "int4send", "int4", "bytea", kImmutable},
    {2408, "int8recv", "internal", "int8", kImmutable},
    {2409, "int8send", "int8", "bytea", kImmutable},
    {2410, "int2vectorrecv", "internal", "int2vector", kImmutable},
    {2411, "int2vectorsend", "int2vector", "bytea", kImmutable},
    {2412, "bytearecv", "internal", "bytea", kImmutable},
    {2413, "byteasend", "bytea", "bytea", kImmutable},
    {2414, "textrecv", "internal", "text", kStable},
    {2415, "textsend", "text", "bytea", kStable},
    {2416, "unknownrecv", "internal", "unknown", kImmutable},
    {2417, "unknownsend", "unknown", "bytea", kImmutable},
    {2418, "oidrecv", "internal", "oid", kImmutable},
    {2419, "oidsend", "oid", "bytea", kImmutable},
    {2420, "oidvectorrecv", "internal", "oidvector", kImmutable},
    {2421, "oidvectorsend", "oidvector", "bytea", kImmutable},
    {2422, "namerecv", "internal", "name", kStable},
    {2423, "namesend", "name", "bytea", kStable},
    {2424, "float4recv", "internal", "float4", kImmutable},
    {2425, "float4send", "float4", "bytea", kImmutable},
    {2426, "float8recv", "internal", "float8", kImmutable},
    {2427, "float8send", "float8", "bytea", kImmutable},
    {2430, "bpcharrecv", "internal oid int4", "bpchar", kStable},
    {2431, "bpcharsend", "bpchar", "bytea", kStable},
    {2432, "varcharrecv", "internal oid int4", "varchar", kStable},
    {2433, "varcharsend", "varchar", "bytea", kStable},
    {2434, "charrecv", "internal", "char", kImmutable},
    {2435, "charsend", "char", "bytea", kImmutable},
    {2436, "boolrecv", "internal", "bool", kImmutable},
    {2437, "boolsend", "bool", "bytea", kImmutable},
    {2438, "tidrecv", "internal", "tid", kImmutable},
    {2439, "tidsend", "tid", "bytea", kImmutable},
    {2440, "xidrecv", "internal", "xid", kImmutable},
    {2441, "xidsend", "xid", "bytea", kImmutable},
    {2442, "cidrecv", "internal", "cid", kImmutable},
    {2443, "cidsend", "cid", "bytea", kImmutable},
    {2444, "regprocrecv", "internal", "regproc", kImmutable},
    {2445, "regprocsend", "regproc", "bytea", kImmutable},
    {2452, "regclassrecv", "internal", "regclass", kImmutable},
    {2453, "regclasssend", "regclass", "bytea", kImmutable},
    {2454, "regtyperecv", "internal", "regtype", kImmutable},
    {2455, "regtypesend", "regtype", "bytea", kImmutable},
    {2456, "bit_recv", "internal oid int4", "bit", kImmutable},
    {2457, "bit_send", "bit", "bytea", kImmutable},
    {2458, "varbit_recv", "internal oid int4", "varbit", kImmutable},
    {2459, "varbit_send", "varbit", "bytea", kImmutable},
    {2460, "numeric_recv", "internal oid int4", "numeric", kImmutable},
    {2461, "numeric_send", "numeric", "bytea", kImmutable},
    {2468, "date_recv", "internal", "date", kImmutable},
    {2469, "date_send", "date", "bytea", kImmutable},
    {2470, "time_recv", "internal oid int4", "time", kImmutable},
    {2471, "time_send", "time", "bytea", kImmutable},
    {2472, "timetz_recv", "internal oid int4", "timetz", kImmutable},
    {2473, "timetz_send", "timetz", "bytea", kImmutable},
    {2474, "timestamp_recv", "internal oid int4", "timestamp", kImmutable},
    {2475, "timestamp_send", "timestamp", "bytea", kImmutable},
    {2476, "timestamptz_recv", "internal oid int4", "timestamptz", kImmutable},
    {2477, "timestamptz_send", "timestamptz", "bytea", kImmutable},
    {2478, "interval_recv", "internal oid int4", "interval", kImmutable},
    {2479, "interval_send", "interval", "bytea", kImmutable},
    {2496, "inet_recv", "internal", "inet", kImmutable},
    {2497, "inet_send", "inet", "bytea", kImmutable},
    {2500, "cstring_recv", "internal", "cstring", kStable},
    {2501, "cstring_send", "cstring", "bytea", kStable},
    {2502, "anyarray_recv", "internal", "anyarray", kStable},
    {2503, "anyarray_send", "anyarray", "bytea", kStable},
    {2893, "xml_in", "cstring", "xml", kStable},
    {2894, "xml_out", "xml", "cstring", kImmutable},
    {2898, "xml_recv", "internal", "xml", kStable},
    {2899, "xml_send", "xml", "bytea", kStable},
    {2902, "varbittypmodin", "_cstring", "int4", kImmutable},
    {2903, "intervaltypmodin", "_cstring", "int4", kImmutable},
    {2904, "intervaltypmodout", "int4", "cstring", kImmutable},
    {2905, "timestamptypmodin", "_cstring", "int4", kImmutable},
    {2906, "timestamptypmodout", "int4", "cstring", kImmutable},
    {2907, "timestamptztypmodin", "_cstring", "int4", kImmutable},
    {2908, "timestamptztypmodout", "int4", "cstring", kImmutable},
    {2909, "timetypmodin", "_cstring", "int4", kImmutable},
    {2910, "timetypmodout", "int4", "cstring", kImmutable},
    {2911, "timetztypmodin", "_cstring", "int4", kImmutable},
    {2912, "timetztypmodout", "int4", "cstring", kImmutable},
    {2913, "bpchartypmodin", "_cstring", "int4", kImmutable},
    {2914, "bpchartypmodout", "int4", "cstring", kImmutable},
    {2915, "varchartypmodin", "_cstring", "int4", kImmutable},
    {2916, "varchartypmodout", "int4", "cstring", kImmutable},
    {2917, "numerictypmodin", "_cstring", "int4", kImmutable},
    {2918, "numerictypmodout", "int4", "cstring", kImmutable},
    {2919, "bittypmodin", "_cstring", "int4", kImmutable},
    {2920, "bittypmodout", "int4", "cstring", kImmutable},
    {2921, "varbittypmodout", "int4", "cstring", kImmutable},
    {2952, "uuid_in", "cstring", "uuid", kImmutable},
    {2953, "uuid_out", "uuid", "cstring", kImmutable},
    {2961, "uuid_recv", "internal", "uuid", kImmutable},
    {2962, "uuid_send", "uuid", "bytea", kImmutable},
    {3120, "void_recv", "internal", "void", kImmutable},
    {3121, "void_send", "void", "bytea", kImmutable},
    {3229, "pg_lsn_in", "cstring", "pg_lsn", kImmutable},
    {3230, "pg_lsn_out", "pg_lsn", "cstring", kImmutable},
    {3238, "pg_lsn_recv", "internal", "pg_lsn", kImmutable},
    {3239, "pg_lsn_send", "pg_lsn", "bytea", kImmutable},
    {3803, "jsonb_send", "jsonb", "bytea", kImmutable},
    {3804, "jsonb_out", "jsonb", "cstring", kImmutable},
    {3805, "jsonb_recv", "internal", "jsonb", kImmutable},
    {3806, "jsonb_in", "cstring", "jsonb", kImmutable},
    {3816, "array_typanalyze", "internal", "bool", kStable},
    {4084, "regnamespacein", "cstring", "regnamespace", kStable},
    {4085, "regnamespaceout", "regnamespace", "cstring", kStable},
    {4087, "regnamespacerecv", "internal", "regnamespace", kImmutable},
    {4088, "regnamespacesend", "regnamespace", "bytea", kImmutable},
    {4092, "regroleout", "regrole", "cstring", kStable},
    {4094, "regrolerecv", "internal", "regrole", kImmutable},
    {4095, "regrolesend", "regrole", "bytea", kImmutable},
    {4098, "regrolein", "cstring", "regrole", kStable},
    {5070, "xid8in", "cstring", "xid8", kImmutable},
    {5081, "xid8out", "xid8", "cstring", kImmutable},
    {5082, "xid8recv", "internal", "xid8", kImmutable},
    {5083, "xid8send", "xid8", "bytea", kImmutable},
    {6098, "jsonb_subscript_handler", "internal", "internal", kImmutable},
    {6179, "array_subscript_handler", "internal", "internal", kImmutable},
    {6180, "raw_array_subscript_handler", "internal", "internal", kImmutable},
    // Access method handlers (pg_am.amhandler).
    {3, "heap_tableam_handler", "internal", "table_am_handler", kVolatile},
    {330, "bthandler", "internal", "index_am_handler", kVolatile},
    {331, "hashhandler", "internal", "index_am_handler", kVolatile},
    {332, "gisthandler", "internal", "index_am_handler", kVolatile},
    {333, "ginhandler", "internal", "index_am_handler", kVolatile},
    {334, "spghandler", "internal", "index_am_handler", kVolatile},
    {335, "brinhandler", "internal", "index_am_handler", kVolatile},
    // Comparisons (the code of =, <>, <, <=, >, >=) and btree support (1 cmp, 2 sortsupport, 4
// equalimage) of bool, "char", name, text, bpchar, bytea, the integers (with the cross-type
// ones), oid, oidvector, the floats (cross-type), numeric, date, time, timestamp, timestamptz
// and interval.
    {56, "boollt", "bool bool", "bool", kLeakproof},
    {57, "boolgt", "bool bool", "bool", kLeakproof},
    {60, "booleq", "bool bool", "bool", kLeakproof},
    {61, "chareq", "char char", "bool", kLeakproof},
    {62, "nameeq", "name name", "bool", kLeakproof},
    {63, "int2eq", "int2 int2", "bool", kLeakproof},
    {64, "int2lt", "int2 int2", "bool", kLeakproof},
    {65, "int4eq", "int4 int4", "bool", kLeakproof},
    {66, "int4lt", "int4 int4", "bool", kLeakproof},
    {67, "texteq", "text text", "bool", kLeakproof},
    {70, "charne", "char char", "bool", kLeakproof},
    {72, "charle", "char char", "bool", kLeakproof},
    {73, "chargt", "char char", "bool", kLeakproof},
    {74, "charge", "char char", "bool", kLeakproof},
    {84, "boolne", "bool bool", "bool", kLeakproof},
    {144, "int4ne", "int4 int4", "bool", kLeakproof},
    {145, "int2ne", "int2 int2", "bool", kLeakproof},
    {146, "int2gt", "int2 int2", "bool", kLeakproof},
    {147, "int4gt", "int4 int4", "bool", kLeakproof},
    {148, "int2le", "int2 int2", "bool", kLeakproof},
    {149, "int4le", "int4 int4", "bool", kLeakproof},
    {150, "int4ge", "int4 int4", "bool", kLeakproof},
    {151, "int2ge", "int2 int2", "bool", kLeakproof},
    {157, "textne", "text text", "bool", kLeakproof},
    {158, "int24eq", "int2 int4", "bool", kLeakproof},
    {159, "int42eq", "int4 int2", "bool", kLeakproof},
    {160, "int24lt", "int2 int4", "bool", kLeakproof},
    {161, "int42lt", "int4 int2", "bool", kLeakproof},
    {162, "int24gt", "int2 int4", "bool", kLeakproof},
    {163, "int42gt", "int4 int2", "bool", kLeakproof},
    {164, "int24ne", "int2 int4", "bool", kLeakproof},
    {165, "int42ne", "int4 int2", "bool", kLeakproof},
    {166, "int24le", "int2 int4", "bool", kLeakproof},
    {167, "int42le", "int4 int2", "bool", kLeakproof},
    {168, "int24ge", "int2 int4", "bool", kLeakproof},
    {169, "int42ge", "int4 int2", "bool", kLeakproof},
    {184, "oideq", "oid oid", "bool", kLeakproof},
    {185, "oidne", "oid oid", "bool", kLeakproof},
    {240, "nameeqtext", "name text", "bool", kLeakproof},
    {241, "namelttext", "name text", "bool", kLeakproof},
    {242, "nameletext", "name text", "bool", kLeakproof},
    {243, "namegetext", "name text", "bool", kLeakproof},
    {244, "namegttext", "name text", "bool", kLeakproof},
    {245, "namenetext", "name text", "bool", kLeakproof},
    {246, "btnametextcmp", "name text", "int4", kLeakproof},
    {247, "texteqname", "text name", "bool", kLeakproof},
    {248, "textltname", "text name", "bool", kLeakproof},
    {249, "textlename", "text name", "bool", kLeakproof},
    {250, "textgename", "text name", "bool", kLeakproof},
    {251, "textgtname", "text name", "bool", kLeakproof},
    {252, "textnename", "text name", "bool", kLeakproof},
    {253, "bttextnamecmp", "text name", "int4", kLeakproof},
    {287, "float4eq", "float4 float4", "bool", kLeakproof},
    {288, "float4ne", "float4 float4", "bool", kLeakproof},
    {289, "float4lt", "float4 float4", "bool", kLeakproof},
    {290, "float4le", "float4 float4", "bool", kLeakproof},
    {291, "float4gt", "float4 float4", "bool", kLeakproof},
    {292, "float4ge", "float4 float4", "bool", kLeakproof},
    {293, "float8eq", "float8 float8", "bool", kLeakproof},
    {294, "float8ne", "float8 float8", "bool", kLeakproof},
    {295, "float8lt", "float8 float8", "bool", kLeakproof},
    {296, "float8le", "float8 float8", "bool", kLeakproof},
    {297, "float8gt", "float8 float8", "bool", kLeakproof},
    {298, "float8ge", "float8 float8", "bool", kLeakproof},
    {299, "float48eq", "float4 float8", "bool", kLeakproof},
    {300, "float48ne", "float4 float8", "bool", kLeakproof},
    {301, "float48lt", "float4 float8", "bool", kLeakproof},
    {302, "float48le", "float4 float8", "bool", kLeakproof},
    {303, "float48gt", "float4 float8", "bool", kLeakproof},
    {304, "float48ge", "float4 float8", "bool", kLeakproof},
    {305, "float84eq", "float8 float4", "bool", kLeakproof},
    {306, "float84ne", "float8 float4", "bool", kLeakproof},
    {307, "float84lt", "float8 float4", "bool", kLeakproof},
    {308, "float84le", "float8 float4", "bool", kLeakproof},
    {309, "float84gt", "float8 float4", "bool", kLeakproof},
    {310, "float84ge", "float8 float4", "bool", kLeakproof},
    {350, "btint2cmp", "int2 int2", "int4", kLeakproof},
    {351, "btint4cmp", "int4 int4", "int4", kLeakproof},
    {354, "btfloat4cmp", "float4 float4", "int4", kLeakproof},
    {355, "btfloat8cmp", "float8 float8", "int4", kLeakproof},
    {356, "btoidcmp", "oid oid", "int4", kLeakproof},
    {358, "btcharcmp", "char char", "int4", kLeakproof},
    {359, "btnamecmp", "name name", "int4", kLeakproof},
    {360, "bttextcmp", "text text", "int4", kLeakproof},
    {404, "btoidvectorcmp", "oidvector oidvector", "int4", kLeakproof},
    {467, "int8eq", "int8 int8", "bool", kLeakproof},
    {468, "int8ne", "int8 int8", "bool", kLeakproof},
    {469, "int8lt", "int8 int8", "bool", kLeakproof},
    {470, "int8gt", "int8 int8", "bool", kLeakproof},
    {471, "int8le", "int8 int8", "bool", kLeakproof},
    {472, "int8ge", "int8 int8", "bool", kLeakproof},
    {474, "int84eq", "int8 int4", "bool", kLeakproof},
    {475, "int84ne", "int8 int4", "bool", kLeakproof},
    {476, "int84lt", "int8 int4", "bool", kLeakproof},
    {477, "int84gt", "int8 int4", "bool", kLeakproof},
    {478, "int84le", "int8 int4", "bool", kLeakproof},
    {479, "int84ge", "int8 int4", "bool", kLeakproof},
    {619, "oidvectorne", "oidvector oidvector", "bool", kLeakproof},
    {655, "namelt", "name name", "bool", kLeakproof},
    {656, "namele", "name name", "bool", kLeakproof},
    {657, "namegt", "name name", "bool", kLeakproof},
    {658, "namege", "name name", "bool", kLeakproof},
    {659, "namene", "name name", "bool", kLeakproof},
    {677, "oidvectorlt", "oidvector oidvector", "bool", kLeakproof},
    {678, "oidvectorle", "oidvector oidvector", "bool", kLeakproof},
    {679, "oidvectoreq", "oidvector oidvector", "bool", kLeakproof},
    {680, "oidvectorge", "oidvector oidvector", "bool", kLeakproof},
    {681, "oidvectorgt", "oidvector oidvector", "bool", kLeakproof},
    {716, "oidlt", "oid oid", "bool", kLeakproof},
    {717, "oidle", "oid oid", "bool", kLeakproof},
    {740, "text_lt", "text text", "bool", kLeakproof},
    {741, "text_le", "text text", "bool", kLeakproof},
    {742, "text_gt", "text text", "bool", kLeakproof},
    {743, "text_ge", "text text", "bool", kLeakproof},
    {842, "btint8cmp", "int8 int8", "int4", kLeakproof},
    {852, "int48eq", "int4 int8", "bool", kLeakproof},
    {853, "int48ne", "int4 int8", "bool", kLeakproof},
    {854, "int48lt", "int4 int8", "bool", kLeakproof},
    {855, "int48gt", "int4 int8", "bool", kLeakproof},
    {856, "int48le", "int4 int8", "bool", kLeakproof},
    {857, "int48ge", "int4 int8", "bool", kLeakproof},
    {1048, "bpchareq", "bpchar bpchar", "bool", kLeakproof},
    {1049, "bpcharlt", "bpchar bpchar", "bool", kLeakproof},
    {1050, "bpcharle", "bpchar bpchar", "bool", kLeakproof},
    {1051, "bpchargt", "bpchar bpchar", "bool", kLeakproof},
    {1052, "bpcharge", "bpchar bpchar", "bool", kLeakproof},
    {1053, "bpcharne", "bpchar bpchar", "bool", kLeakproof},
    {1078, "bpcharcmp", "bpchar bpchar", "int4", kLeakproof},
    {1086, "date_eq", "date date", "bool", kLeakproof},
    {1087, "date_lt", "date date", "bool", kLeakproof},
    {1088, "date_le", "date date", "bool", kLeakproof},
    {1089, "date_gt", "date date", "bool", kLeakproof},
    {1090, "date_ge", "date date", "bool", kLeakproof},
    {1091, "date_ne", "date date", "bool", kLeakproof},
    {1092, "date_cmp", "date date", "int4", kLeakproof},
    {1102, "time_lt", "time time", "bool", kLeakproof},
    {1103, "time_le", "time time", "bool", kLeakproof},
    {1104, "time_gt", "time time", "bool", kLeakproof},
    {1105, "time_ge", "time time", "bool", kLeakproof},
    {1106, "time_ne", "time time", "bool", kLeakproof},
    {1107, "time_cmp", "time time", "int4", kLeakproof},
    {1145, "time_eq", "time time", "bool", kLeakproof},
    {1152, "timestamptz_eq", "timestamptz timestamptz", "bool", kLeakproof, "timestamp_eq"},
    {1153, "timestamptz_ne", "timestamptz timestamptz", "bool", kLeakproof, "timestamp_ne"},
    {1154, "timestamptz_lt", "timestamptz timestamptz", "bool", kLeakproof, "timestamp_lt"},
    {1155, "timestamptz_le", "timestamptz timestamptz", "bool", kLeakproof, "timestamp_le"},
    {1156, "timestamptz_ge", "timestamptz timestamptz", "bool", kLeakproof, "timestamp_ge"},
    {1157, "timestamptz_gt", "timestamptz timestamptz", "bool", kLeakproof, "timestamp_gt"},
    {1162, "interval_eq", "interval interval", "bool", kLeakproof},
    {1163, "interval_ne", "interval interval", "bool", kLeakproof},
    {1164, "interval_lt", "interval interval", "bool", kLeakproof},
    {1165, "interval_le", "interval interval", "bool", kLeakproof},
    {1166, "interval_ge", "interval interval", "bool", kLeakproof},
    {1167, "interval_gt", "interval interval", "bool", kLeakproof},
    {1246, "charlt", "char char", "bool", kLeakproof},
    {1314, "timestamptz_cmp", "timestamptz timestamptz", "int4", kLeakproof, "timestamp_cmp"},
    {1315, "interval_cmp", "interval interval", "int4", kLeakproof},
    {1638, "oidgt", "oid oid", "bool", kLeakproof},
    {1639, "oidge", "oid oid", "bool", kLeakproof},
    {1691, "boolle", "bool bool", "bool", kLeakproof},
    {1692, "boolge", "bool bool", "bool", kLeakproof},
    {1693, "btboolcmp", "bool bool", "int4", kLeakproof},
    {1718, "numeric_eq", "numeric numeric", "bool", kImmutable},
    {1719, "numeric_ne", "numeric numeric", "bool", kImmutable},
    {1720, "numeric_gt", "numeric numeric", "bool", kImmutable},
    {1721, "numeric_ge", "numeric numeric", "bool", kImmutable},
    {1722, "numeric_lt", "numeric numeric", "bool", kImmutable},
    {1723, "numeric_le", "numeric numeric", "bool", kImmutable},
    {1769, "numeric_cmp", "numeric numeric", "int4", kImmutable},
    {1850, "int28eq", "int2 int8", "bool", kLeakproof},
    {1851, "int28ne", "int2 int8", "bool", kLeakproof},
    {1852, "int28lt", "int2 int8", "bool", kLeakproof},
    {1853, "int28gt", "int2 int8", "bool", kLeakproof},
    {1854, "int28le", "int2 int8", "bool", kLeakproof},
    {1855, "int28ge", "int2 int8", "bool", kLeakproof},
    {1856, "int82eq", "int8 int2", "bool", kLeakproof},
    {1857, "int82ne", "int8 int2", "bool", kLeakproof},
    {1858, "int82lt", "int8 int2", "bool", kLeakproof},
    {1859, "int82gt", "int8 int2", "bool", kLeakproof},
    {1860, "int82le", "int8 int2", "bool", kLeakproof},
    {1861, "int82ge", "int8 int2", "bool", kLeakproof},
    {1948, "byteaeq", "bytea bytea", "bool", kLeakproof},
    {1949, "bytealt", "bytea bytea", "bool", kLeakproof},
    {1950, "byteale", "bytea bytea", "bool", kLeakproof},
    {1951, "byteagt", "bytea bytea", "bool", kLeakproof},
    {1952, "byteage", "bytea bytea", "bool", kLeakproof},
    {1953, "byteane", "bytea bytea", "bool", kLeakproof},
    {1954, "byteacmp", "bytea bytea", "int4", kLeakproof},
    {2045, "timestamp_cmp", "timestamp timestamp", "int4", kLeakproof},
    {2052, "timestamp_eq", "timestamp timestamp", "bool", kLeakproof},
    {2053, "timestamp_ne", "timestamp timestamp", "bool", kLeakproof},
    {2054, "timestamp_lt", "timestamp timestamp", "bool", kLeakproof},
    {2055, "timestamp_le", "timestamp timestamp", "bool", kLeakproof},
    {2056, "timestamp_ge", "timestamp timestamp", "bool", kLeakproof},
    {2057, "timestamp_gt", "timestamp timestamp", "bool", kLeakproof},
    {2188, "btint48cmp", "int4 int8", "int4", kLeakproof},
    {2189, "btint84cmp", "int8 int4", "int4", kLeakproof},
    {2190, "btint24cmp", "int2 int4", "int4", kLeakproof},
    {2191, "btint42cmp", "int4 int2", "int4", kLeakproof},
    {2192, "btint28cmp", "int2 int8", "int4", kLeakproof},
    {2193, "btint82cmp", "int8 int2", "int4", kLeakproof},
    {2194, "btfloat48cmp", "float4 float8", "int4", kLeakproof},
    {2195, "btfloat84cmp", "float8 float4", "int4", kLeakproof},
    {2338, "date_lt_timestamp", "date timestamp", "bool", kImmutable},
    {2339, "date_le_timestamp", "date timestamp", "bool", kImmutable},
    {2340, "date_eq_timestamp", "date timestamp", "bool", kImmutable},
    {2341, "date_gt_timestamp", "date timestamp", "bool", kImmutable},
    {2342, "date_ge_timestamp", "date timestamp", "bool", kImmutable},
    {2343, "date_ne_timestamp", "date timestamp", "bool", kImmutable},
    {2344, "date_cmp_timestamp", "date timestamp", "int4", kImmutable},
    {2351, "date_lt_timestamptz", "date timestamptz", "bool", kStable},
    {2352, "date_le_timestamptz", "date timestamptz", "bool", kStable},
    {2353, "date_eq_timestamptz", "date timestamptz", "bool", kStable},
    {2354, "date_gt_timestamptz", "date timestamptz", "bool", kStable},
    {2355, "date_ge_timestamptz", "date timestamptz", "bool", kStable},
    {2356, "date_ne_timestamptz", "date timestamptz", "bool", kStable},
    {2357, "date_cmp_timestamptz", "date timestamptz", "int4", kStable},
    {2364, "timestamp_lt_date", "timestamp date", "bool", kImmutable},
    {2365, "timestamp_le_date", "timestamp date", "bool", kImmutable},
    {2366, "timestamp_eq_date", "timestamp date", "bool", kImmutable},
    {2367, "timestamp_gt_date", "timestamp date", "bool", kImmutable},
    {2368, "timestamp_ge_date", "timestamp date", "bool", kImmutable},
    {2369, "timestamp_ne_date", "timestamp date", "bool", kImmutable},
    {2370, "timestamp_cmp_date", "timestamp date", "int4", kImmutable},
    {2377, "timestamptz_lt_date", "timestamptz date", "bool", kStable},
    {2378, "timestamptz_le_date", "timestamptz date", "bool", kStable},
    {2379, "timestamptz_eq_date", "timestamptz date", "bool", kStable},
    {2380, "timestamptz_gt_date", "timestamptz date", "bool", kStable},
    {2381, "timestamptz_ge_date", "timestamptz date", "bool", kStable},
    {2382, "timestamptz_ne_date", "timestamptz date", "bool", kStable},
    {2383, "timestamptz_cmp_date", "timestamptz date", "int4", kStable},
    {2520, "timestamp_lt_timestamptz", "timestamp timestamptz", "bool", kStable},
    {2521, "timestamp_le_timestamptz", "timestamp timestamptz", "bool", kStable},
    {2522, "timestamp_eq_timestamptz", "timestamp timestamptz", "bool", kStable},
    {2523, "timestamp_gt_timestamptz", "timestamp timestamptz", "bool", kStable},
    {2524, "timestamp_ge_timestamptz", "timestamp timestamptz", "bool", kStable},
    {2525, "timestamp_ne_timestamptz", "timestamp timestamptz", "bool", kStable},
    {2526, "timestamp_cmp_timestamptz", "timestamp timestamptz", "int4", kStable},
    {2527, "timestamptz_lt_timestamp", "timestamptz timestamp", "bool", kStable},
    {2528, "timestamptz_le_timestamp", "timestamptz timestamp", "bool", kStable},
    {2529, "timestamptz_eq_timestamp", "timestamptz timestamp", "bool", kStable},
    {2530, "timestamptz_gt_timestamp", "timestamptz timestamp", "bool", kStable},
    {2531, "timestamptz_ge_timestamp", "timestamptz timestamp", "bool", kStable},
    {2532, "timestamptz_ne_timestamp", "timestamptz timestamp", "bool", kStable},
    {2533, "timestamptz_cmp_timestamp", "timestamptz timestamp", "int4", kStable},
    {3129, "btint2sortsupport", "internal", "void", kImmutable},
    {3130, "btint4sortsupport", "internal", "void", kImmutable},
    {3131, "btint8sortsupport", "internal", "void", kImmutable},
    {3132, "btfloat4sortsupport", "internal", "void", kImmutable},
    {3133, "btfloat8sortsupport", "internal", "void", kImmutable},
    {3134, "btoidsortsupport", "internal", "void", kImmutable},
    {3135, "btnamesortsupport", "internal", "void", kImmutable},
    {3136, "date_sortsupport", "internal", "void", kImmutable},
    {3137, "timestamp_sortsupport", "internal", "void", kImmutable},
    {3255, "bttextsortsupport", "internal", "void", kImmutable},
    {3283, "numeric_sortsupport", "internal", "void", kImmutable},
    {3328, "bpchar_sortsupport", "internal", "void", kImmutable},
    {3331, "bytea_sortsupport", "internal", "void", kImmutable},
    {5050, "btvarstrequalimage", "oid", "bool", kImmutable},
    {5051, "btequalimage", "oid", "bool", kImmutable},
    // Arithmetic: the code of + - * / % (binary, and prefix - and +) of the integer types (with the
// cross-type ones), the floats (cross-type) and numeric; abs().
    {141, "int4mul", "int4 int4", "int4", kImmutable},
    {152, "int2mul", "int2 int2", "int2", kImmutable},
    {153, "int2div", "int2 int2", "int2", kImmutable},
    {154, "int4div", "int4 int4", "int4", kImmutable},
    {155, "int2mod", "int2 int2", "int2", kImmutable},
    {156, "int4mod", "int4 int4", "int4", kImmutable},
    {170, "int24mul", "int2 int4", "int4", kImmutable},
    {171, "int42mul", "int4 int2", "int4", kImmutable},
    {172, "int24div", "int2 int4", "int4", kImmutable},
    {173, "int42div", "int4 int2", "int4", kImmutable},
    {176, "int2pl", "int2 int2", "int2", kImmutable},
    {177, "int4pl", "int4 int4", "int4", kImmutable},
    {178, "int24pl", "int2 int4", "int4", kImmutable},
    {179, "int42pl", "int4 int2", "int4", kImmutable},
    {180, "int2mi", "int2 int2", "int2", kImmutable},
    {181, "int4mi", "int4 int4", "int4", kImmutable},
    {182, "int24mi", "int2 int4", "int4", kImmutable},
    {183, "int42mi", "int4 int2", "int4", kImmutable},
    {202, "float4mul", "float4 float4", "float4", kImmutable},
    {203, "float4div", "float4 float4", "float4", kImmutable},
    {204, "float4pl", "float4 float4", "float4", kImmutable},
    {205, "float4mi", "float4 float4", "float4", kImmutable},
    {206, "float4um", "float4", "float4", kImmutable},
    {212, "int4um", "int4", "int4", kImmutable},
    {213, "int2um", "int2", "int2", kImmutable},
    {216, "float8mul", "float8 float8", "float8", kImmutable},
    {217, "float8div", "float8 float8", "float8", kImmutable},
    {218, "float8pl", "float8 float8", "float8", kImmutable},
    {219, "float8mi", "float8 float8", "float8", kImmutable},
    {220, "float8um", "float8", "float8", kImmutable},
    {279, "float48mul", "float4 float8", "float8", kImmutable},
    {280, "float48div", "float4 float8", "float8", kImmutable},
    {281, "float48pl", "float4 float8", "float8", kImmutable},
    {282, "float48mi", "float4 float8", "float8", kImmutable},
    {283, "float84mul", "float8 float4", "float8", kImmutable},
    {284, "float84div", "float8 float4", "float8", kImmutable},
    {285, "float84pl", "float8 float4", "float8", kImmutable},
    {286, "float84mi", "float8 float4", "float8", kImmutable},
    {462, "int8um", "int8", "int8", kImmutable},
    {463, "int8pl", "int8 int8", "int8", kImmutable},
    {464, "int8mi", "int8 int8", "int8", kImmutable},
    {465, "int8mul", "int8 int8", "int8", kImmutable},
    {466, "int8div", "int8 int8", "int8", kImmutable},
    {837, "int82pl", "int8 int2", "int8", kImmutable},
    {838, "int82mi", "int8 int2", "int8", kImmutable},
    {839, "int82mul", "int8 int2", "int8", kImmutable},
    {840, "int82div", "int8 int2", "int8", kImmutable},
    {841, "int28pl", "int2 int8", "int8", kImmutable},
    {942, "int28mi", "int2 int8", "int8", kImmutable},
    {943, "int28mul", "int2 int8", "int8", kImmutable},
    {945, "int8mod", "int8 int8", "int8", kImmutable},
    {948, "int28div", "int2 int8", "int8", kImmutable},
    {1274, "int84pl", "int8 int4", "int8", kImmutable},
    {1275, "int84mi", "int8 int4", "int8", kImmutable},
    {1276, "int84mul", "int8 int4", "int8", kImmutable},
    {1277, "int84div", "int8 int4", "int8", kImmutable},
    {1278, "int48pl", "int4 int8", "int8", kImmutable},
    {1279, "int48mi", "int4 int8", "int8", kImmutable},
    {1280, "int48mul", "int4 int8", "int8", kImmutable},
    {1281, "int48div", "int4 int8", "int8", kImmutable},
    {1394, "abs", "float4", "float4", kImmutable, "float4abs"},
    {1395, "abs", "float8", "float8", kImmutable, "float8abs"},
    {1396, "abs", "int8", "int8", kImmutable, "int8abs"},
    {1397, "abs", "int4", "int4", kImmutable, "int4abs"},
    {1398, "abs", "int2", "int2", kImmutable, "int2abs"},
    {1705, "abs", "numeric", "numeric", kImmutable, "numeric_abs"},
    {1724, "numeric_add", "numeric numeric", "numeric", kImmutable},
    {1725, "numeric_sub", "numeric numeric", "numeric", kImmutable},
    {1726, "numeric_mul", "numeric numeric", "numeric", kImmutable},
    {1727, "numeric_div", "numeric numeric", "numeric", kImmutable},
    {1729, "numeric_mod", "numeric numeric", "numeric", kImmutable},
    {1771, "numeric_uminus", "numeric", "numeric", kImmutable},
    {1910, "int8up", "int8", "int8", kImmutable},
    {1911, "int2up", "int2", "int2", kImmutable},
    {1912, "int4up", "int4", "int4", kImmutable},
    {1913, "float4up", "float4", "float4", kImmutable},
    {1914, "float8up", "float8", "float8", kImmutable},
    {1915, "numeric_uplus", "numeric", "numeric", kImmutable},
    // Casts (pg_cast.castfunc): the numeric ladder, text / varchar / bpchar / name / "char",
// bool <-> int4, oid <-> int8, the date / time types and the length coercions.
    {77, "int4", "char", "int4", kImmutable, "chartoi4"},
    {78, "char", "int4", "char", kImmutable, "i4tochar"},
    {235, "float8", "int2", "float8", kLeakproof, "i2tod"},
    {236, "float4", "int2", "float4", kLeakproof, "i2tof"},
    {237, "int2", "float8", "int2", kImmutable, "dtoi2"},
    {238, "int2", "float4", "int2", kImmutable, "ftoi2"},
    {311, "float8", "float4", "float8", kLeakproof, "ftod"},
    {312, "float4", "float8", "float4", kImmutable, "dtof"},
    {313, "int4", "int2", "int4", kLeakproof, "i2toi4"},
    {314, "int2", "int4", "int2", kImmutable, "i4toi2"},
    {316, "float8", "int4", "float8", kLeakproof, "i4tod"},
    {317, "int4", "float8", "int4", kImmutable, "dtoi4"},
    {318, "float4", "int4", "float4", kLeakproof, "i4tof"},
    {319, "int4", "float4", "int4", kImmutable, "ftoi4"},
    {401, "text", "bpchar", "text", kImmutable, "rtrim1"},
    {406, "text", "name", "text", kLeakproof, "name_text"},
    {407, "name", "text", "name", kLeakproof, "text_name"},
    {408, "bpchar", "name", "bpchar", kImmutable, "name_bpchar"},
    {409, "name", "bpchar", "name", kLeakproof, "bpchar_name"},
    {480, "int4", "int8", "int4", kImmutable, "int84"},
    {481, "int8", "int4", "int8", kLeakproof, "int48"},
    {482, "float8", "int8", "float8", kLeakproof, "i8tod"},
    {483, "int8", "float8", "int8", kImmutable, "dtoi8"},
    {652, "float4", "int8", "float4", kLeakproof, "i8tof"},
    {653, "int8", "float4", "int8", kImmutable, "ftoi8"},
    {668, "bpchar", "bpchar int4 bool", "bpchar", kImmutable},
    {669, "varchar", "varchar int4 bool", "varchar", kImmutable},
    {714, "int2", "int8", "int2", kImmutable, "int82"},
    {754, "int8", "int2", "int8", kLeakproof, "int28"},
    {860, "bpchar", "char", "bpchar", kImmutable, "char_bpchar"},
    {944, "char", "text", "char", kImmutable, "text_char"},
    {946, "text", "char", "text", kImmutable, "char_text"},
    {1174, "timestamptz", "date", "timestamptz", kStable, "date_timestamptz"},
    {1178, "date", "timestamptz", "date", kStable, "timestamptz_date"},
    {1200, "interval", "interval int4", "interval", kImmutable, "interval_scale"},
    {1287, "oid", "int8", "oid", kImmutable, "i8tooid"},
    {1288, "int8", "oid", "int8", kLeakproof, "oidtoi8"},
    {1316, "time", "timestamp", "time", kImmutable, "timestamp_time"},
    {1370, "interval", "time", "interval", kLeakproof, "time_interval"},
    {1400, "name", "varchar", "name", kLeakproof, "text_name"},
    {1401, "varchar", "name", "varchar", kLeakproof, "name_text"},
    {1419, "time", "interval", "time", kImmutable, "interval_time"},
    {1703, "numeric", "numeric int4", "numeric", kImmutable},
    {1740, "numeric", "int4", "numeric", kLeakproof, "int4_numeric"},
    {1742, "numeric", "float4", "numeric", kLeakproof, "float4_numeric"},
    {1743, "numeric", "float8", "numeric", kLeakproof, "float8_numeric"},
    {1744, "int4", "numeric", "int4", kImmutable, "numeric_int4"},
    {1745, "float4", "numeric", "float4", kImmutable, "numeric_float4"},
    {1746, "float8", "numeric", "float8", kImmutable, "numeric_float8"},
    {1779, "int8", "numeric", "int8", kImmutable, "numeric_int8"},
    {1781, "numeric", "int8", "numeric", kLeakproof, "int8_numeric"},
    {1782, "numeric", "int2", "numeric", kLeakproof, "int2_numeric"},
    {1783, "int2", "numeric", "int2", kImmutable, "numeric_int2"},
    {1961, "timestamp", "timestamp int4", "timestamp", kImmutable, "timestamp_scale"},
    {1967, "timestamptz", "timestamptz int4", "timestamptz", kImmutable, "timestamptz_scale"},
    {1968, "time", "time int4", "time", kImmutable, "time_scale"},
    {2019, "time", "timestamptz", "time", kStable, "timestamptz_time"},
    {2024, "timestamp", "date", "timestamp", kImmutable, "date_timestamp"},
    {2027, "timestamp", "timestamptz", "timestamp", kStable, "timestamptz_timestamp"},
    {2028, "timestamptz", "timestamp", "timestamptz", kStable, "timestamp_timestamptz"},
    {2029, "date", "timestamp", "date", kImmutable, "timestamp_date"},
    {2557, "bool", "int4", "bool", kLeakproof, "int4_bool"},
    {2558, "int4", "bool", "int4", kLeakproof, "bool_int4"},
    {2971, "text", "bool", "text", kImmutable, "booltext"},
    // Strings: text || (textcat), length and its synonyms, lower, upper, substr / substring.
    {720, "octet_length", "bytea", "int4", kImmutable, "byteaoctetlen"},
    {870, "lower", "text", "text", kImmutable},
    {871, "upper", "text", "text", kImmutable},
    {877, "substr", "text int4 int4", "text", kImmutable, "text_substr"},
    {883, "substr", "text int4", "text", kImmutable, "text_substr_no_len"},
    {936, "substring", "text int4 int4", "text", kImmutable, "text_substr"},
    {937, "substring", "text int4", "text", kImmutable, "text_substr_no_len"},
    {1258, "textcat", "text text", "text", kImmutable},
    {1317, "length", "text", "int4", kImmutable, "textlen"},
    {1318, "length", "bpchar", "int4", kImmutable, "bpcharlen"},
    {1367, "character_length", "bpchar", "int4", kImmutable, "bpcharlen"},
    {1369, "character_length", "text", "int4", kImmutable, "textlen"},
    {1372, "char_length", "bpchar", "int4", kImmutable, "bpcharlen"},
    {1374, "octet_length", "text", "int4", kImmutable, "textoctetlen"},
    {1375, "octet_length", "bpchar", "int4", kImmutable, "bpcharoctetlen"},
    {1381, "char_length", "text", "int4", kImmutable, "textlen"},
    {2010, "length", "bytea", "int4", kImmutable, "byteaoctetlen"},
    {2012, "substring", "bytea int4 int4", "bytea", kImmutable, "bytea_substr"},
    {2013, "substring", "bytea int4", "bytea", kImmutable, "bytea_substr_no_len"},
    {2085, "substr", "bytea int4 int4", "bytea", kImmutable, "bytea_substr"},
    {2086, "substr", "bytea int4", "bytea", kImmutable, "bytea_substr_no_len"},
    // Selectivity estimators (pg_operator.oprrest / oprjoin).
    {101, "eqsel", "internal oid internal int4", "float8", kStable},
    {102, "neqsel", "internal oid internal int4", "float8", kStable},
    {103, "scalarltsel", "internal oid internal int4", "float8", kStable},
    {104, "scalargtsel", "internal oid internal int4", "float8", kStable},
    {105, "eqjoinsel", "internal oid internal int2 internal", "float8", kStable},
    {106, "neqjoinsel", "internal oid internal int2 internal", "float8", kStable},
    {107, "scalarltjoinsel", "internal oid internal int2 internal", "float8", kStable},
    {108, "scalargtjoinsel", "internal oid internal int2 internal", "float8", kStable},
    {336, "scalarlesel", "internal oid internal int4", "float8", kStable},
    {337, "scalargesel", "internal oid internal int4", "float8", kStable},
    {386, "scalarlejoinsel", "internal oid internal int2 internal", "float8", kStable},
    {398, "scalargejoinsel", "internal oid internal int2 internal", "float8", kStable},
    // Session and system information.
    {89, "version", "", "text", kStable, "pgsql_version"},
    {745, "current_user", "", "name", kStable},
    {746, "session_user", "", "name", kStable},
    {861, "current_database", "", "name", kStable},
    {1299, "now", "", "timestamptz", kStable},
    {1402, "current_schema", "", "name", {'s', 'u', true, false, false, 1, 0}},
    {2022, "pg_stat_get_activity", "int4", "record", {'s', 'r', false, false, true, 1, 100}},
    {2026, "pg_backend_pid", "", "int4", {'s', 'r', true, false, false, 1, 0}},
    {2077, "current_setting", "text", "text", kStable, "show_config_by_name"},
    {2078, "set_config", "text text bool", "text", {'v', 'u', false, false, false, 1, 0},
     "set_config_by_name"},
    {2084, "pg_show_all_settings", "", "record", {'s', 's', true, false, true, 1, 1000},
     "show_all_settings"},
    {2647, "transaction_timestamp", "", "timestamptz", kStable, "now"},
    {2648, "statement_timestamp", "", "timestamptz", kStable},
    {2649, "clock_timestamp", "", "timestamptz", kVolatile},
    {3294, "current_setting", "text bool", "text", kStable, "show_config_by_name_missing_ok"},
};

// The parameters of the functions with OUT parameters, as "MODE name type" in order.
struct ProcParams {
  uint32_t oid;
  const char* params;
};
constexpr ProcParams kProcParams[] = {
    {2022,
     "IN pid int4, OUT datid oid, OUT pid int4, OUT usesysid oid, OUT application_name text, "
     "OUT state text, OUT query text, OUT wait_event_type text, OUT wait_event text, "
     "OUT xact_start timestamptz, OUT query_start timestamptz, OUT backend_start timestamptz, "
     "OUT state_change timestamptz, OUT client_addr inet, OUT client_hostname text, "
     "OUT client_port int4, OUT backend_xid xid, OUT backend_xmin xid, OUT backend_type text, "
     "OUT ssl bool, OUT sslversion text, OUT sslcipher text, OUT sslbits int4, "
     "OUT ssl_client_dn text, OUT ssl_client_serial numeric, OUT ssl_issuer_dn text, "
     "OUT gss_auth bool, OUT gss_princ text, OUT gss_enc bool, OUT leader_pid int4, "
     "OUT query_id int8"},
    {2084,
     "OUT name text, OUT setting text, OUT unit text, OUT category text, OUT short_desc text, "
     "OUT extra_desc text, OUT context text, OUT vartype text, OUT source text, "
     "OUT min_val text, OUT max_val text, OUT enumvals _text, OUT boot_val text, "
     "OUT reset_val text, OUT sourcefile text, OUT sourceline int4, OUT pending_restart bool"},
};

uint32_t TypeNamed(std::string_view name, const ProcDef& def) {
  const TypeRow* t = FindBuiltinTypeByName(name);
  if (t == nullptr) {
    throw Error(sqlstate::kInternalError,
                Format("built-in function %u (%s) names unknown type \"%.*s\"", def.oid, def.name,
                       static_cast<int>(name.size()), name.data()));
  }
  return t->oid;
}

// The blank- or comma-separated words of `s`.
std::vector<std::string_view> Words(std::string_view s) {
  std::vector<std::string_view> out;
  size_t pos = 0;
  while (pos < s.size()) {
    while (pos < s.size() && (s[pos] == ' ' || s[pos] == ',')) ++pos;
    size_t end = pos;
    while (end < s.size() && s[end] != ' ' && s[end] != ',') ++end;
    if (end > pos) out.push_back(s.substr(pos, end - pos));
    pos = end;
  }
  return out;
}

void SetParams(ProcRow* row, const ProcDef& def, std::string_view params) {
  const std::vector<std::string_view> words = Words(params);
  if (words.size() % 3 != 0) {
    throw Error(sqlstate::kInternalError,
                Format("built-in function %u has malformed parameters", def.oid));
  }
  std::vector<uint32_t> inputs;
  for (size_t i = 0; i < words.size(); i += 3) {
    const uint32_t t = TypeNamed(words[i + 2], def);
    const bool in = words[i] == "IN";
    row->arg_modes.push_back(in ? 'i' : 'o');
    row->arg_names.emplace_back(words[i + 1]);
    row->all_arg_types.push_back(t);
    if (in) inputs.push_back(t);
  }
  if (inputs != row->arg_types) {
    throw Error(sqlstate::kInternalError,
                Format("built-in function %u: IN parameters differ from its arguments", def.oid));
  }
}

ProcRow Resolve(const ProcDef& def) {
  ProcRow row;
  row.oid = def.oid;
  row.name = def.name;
  for (std::string_view t : Words(def.args)) row.arg_types.push_back(TypeNamed(t, def));
  row.result_type = TypeNamed(def.result, def);
  row.volatility = def.attrs.volatility;
  row.parallel = def.attrs.parallel;
  row.strict = def.attrs.strict;
  row.leakproof = def.attrs.leakproof;
  row.retset = def.attrs.retset;
  row.cost = def.attrs.cost;
  row.rows = def.attrs.rows;
  row.prosrc = def.prosrc != nullptr ? def.prosrc : def.name;
  for (const ProcParams& p : kProcParams) {
    if (p.oid == def.oid) SetParams(&row, def, p.params);
  }
  return row;
}

struct ProcTable {
  std::vector<ProcRow> rows;
  std::unordered_map<uint32_t, size_t> by_oid;
  std::unordered_multimap<std::string_view, size_t> by_name;  // views into the static table
  ProcTable() {
    rows.reserve(std::size(kProcs));
    for (const ProcDef& def : kProcs) rows.push_back(Resolve(def));
    for (size_t i = 0; i < rows.size(); ++i) {
      by_oid.emplace(rows[i].oid, i);
      by_name.emplace(rows[i].name, i);
    }
  }
};

const ProcTable& Table() {
  static const ProcTable table;
  return table;
}

}  // namespace

std::span<const ProcRow> BuiltinProcs() { return Table().rows; }

const ProcRow* FindBuiltinProc(uint32_t oid) {
  const ProcTable& t = Table();
  auto it = t.by_oid.find(oid);
  return it == t.by_oid.end() ? nullptr : &t.rows[it->second];
}

uint32_t BuiltinProcOidByName(std::string_view name) {
  const ProcTable& t = Table();
  auto [begin, end] = t.by_name.equal_range(name);
  if (begin == end) {
    throw Error(sqlstate::kInternalError,
                Format("built-in function \"%.*s\" does not exist", static_cast<int>(name.size()),
                       name.data()));
  }
  if (std::next(begin) != end) {
    throw Error(sqlstate::kInternalError,
                Format("more than one built-in function named \"%.*s\"",
                       static_cast<int>(name.size()), name.data()));
  }
  return t.rows[begin->second].oid;
}

uint32_t BuiltinProcOid(std::string_view name, std::span<const uint32_t> arg_types) {
  const ProcTable& t = Table();
  auto [begin, end] = t.by_name.equal_range(name);
  for (auto it = begin; it != end; ++it) {
    const ProcRow& row = t.rows[it->second];
    if (std::equal(row.arg_types.begin(), row.arg_types.end(), arg_types.begin(),
                   arg_types.end())) {
      return row.oid;
    }
  }
  return 0;
}

}  // namespace keel::catalog
