// The built-in function, operator, operator class, cast and system view tables: unique oids,
// every reference resolved, operator and opclass consistency (PostgreSQL's opr_sanity checks,
// rewritten), and oids spot-checked against PostgreSQL 15. README.md ("Tests", C18-C24).
#include <gtest/gtest.h>

#include <map>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "backend/catalog/builtin_casts.h"
#include "backend/catalog/builtin_opclasses.h"
#include "backend/catalog/builtin_operators.h"
#include "backend/catalog/builtin_procs.h"
#include "backend/catalog/builtin_types.h"
#include "backend/catalog/catalog_arrays.h"
#include "backend/catalog/catalog_defs.h"
#include "backend/catalog/system_views.h"
#include "backend/utils/error/error.h"

namespace keel::catalog {
namespace {

// Every relation oid: catalogs, their indexes, views.
std::set<uint32_t> RelationOids() {
  std::set<uint32_t> oids;
  for (const CatalogDef& def : AllCatalogs()) {
    oids.insert(def.oid);
    for (const CatalogIndexDef& idx : def.indexes) oids.insert(idx.oid);
  }
  for (const SystemViewDef& view : AllSystemViews()) oids.insert(view.oid);
  return oids;
}

bool TypeExists(uint32_t oid) { return FindBuiltinType(oid) != nullptr; }

template <typename Rows, typename Oid>
void ExpectUnique(const Rows& rows, Oid oid_of, const char* what) {
  std::set<uint32_t> seen;
  for (const auto& row : rows)
    EXPECT_TRUE(seen.insert(oid_of(row)).second) << what << " " << oid_of(row);
  EXPECT_FALSE(seen.empty()) << what;
}

TEST(BuiltinDefs, OidsAreUniquePerCatalogAndProcsAvoidTypesAndRelations) {  // C1, C21-C24
  ExpectUnique(
      BuiltinProcs(), [](const ProcRow& r) { return r.oid; }, "pg_proc");
  ExpectUnique(
      BuiltinOperators(), [](const OperatorRow& r) { return r.oid; }, "pg_operator");
  ExpectUnique(
      BuiltinOpfamilies(), [](const OpfamilyRow& r) { return r.oid; }, "pg_opfamily");
  ExpectUnique(
      BuiltinOpclasses(), [](const OpclassRow& r) { return r.oid; }, "pg_opclass");
  ExpectUnique(
      BuiltinAmops(), [](const AmopRow& r) { return r.oid; }, "pg_amop");
  ExpectUnique(
      BuiltinAmprocs(), [](const AmprocRow& r) { return r.oid; }, "pg_amproc");
  ExpectUnique(
      BuiltinCasts(), [](const CastRow& r) { return r.oid; }, "pg_cast");
  std::vector<SystemViewRule> rules;
  for (const SystemViewDef& v : AllSystemViews())
    rules.insert(rules.end(), v.rules.begin(), v.rules.end());
  ExpectUnique(
      rules, [](const SystemViewRule& r) { return r.oid; }, "pg_rewrite");

  const std::set<uint32_t> relations = RelationOids();
  std::set<uint32_t> procs_and_operators;
  for (const ProcRow& p : BuiltinProcs()) procs_and_operators.insert(p.oid);
  for (const OperatorRow& o : BuiltinOperators()) {
    EXPECT_TRUE(procs_and_operators.insert(o.oid).second)
        << "operator " << o.oid << " is a proc oid";
  }
  for (uint32_t oid : procs_and_operators) {
    EXPECT_FALSE(TypeExists(oid)) << oid << " is also a type";
    EXPECT_EQ(relations.count(oid), 0u) << oid << " is also a relation";
    EXPECT_LT(oid, kFirstAssignedOid) << oid;  // PostgreSQL's fixed (pinned) oids
  }
  // The views: relation and rule oids in PostgreSQL's post-bootstrap range, unlike anything else.
  size_t view_columns = 0;
  for (const SystemViewDef& v : AllSystemViews()) {
    EXPECT_GE(v.oid, 12000u);
    EXPECT_LT(v.oid, kFirstNormalObjectId);
    EXPECT_FALSE(TypeExists(v.oid)) << v.name;
    EXPECT_EQ(procs_and_operators.count(v.oid), 0u) << v.name;
    view_columns += v.columns.size();
  }
  EXPECT_EQ(relations.size(), [] {
    size_t n = AllSystemViews().size();
    for (const CatalogDef& def : AllCatalogs()) n += 1 + def.indexes.size();
    return n;
  }());
  EXPECT_EQ(view_columns, 13u + 9u + 17u + 22u);
}

TEST(BuiltinDefs, EveryReferencedTypeProcAndOperatorExists) {
  for (const ProcRow& p : BuiltinProcs()) {
    EXPECT_TRUE(TypeExists(p.result_type)) << p.name;
    for (uint32_t t : p.arg_types) EXPECT_TRUE(TypeExists(t)) << p.name;
    for (uint32_t t : p.all_arg_types) EXPECT_TRUE(TypeExists(t)) << p.name;
    EXPECT_FALSE(p.prosrc.empty()) << p.name;
    EXPECT_TRUE(p.volatility == 'i' || p.volatility == 's' || p.volatility == 'v') << p.name;
    EXPECT_TRUE(p.parallel == 's' || p.parallel == 'r' || p.parallel == 'u') << p.name;
    EXPECT_EQ(p.retset, p.rows > 0) << p.name;
  }
  for (const OperatorRow& o : BuiltinOperators()) {
    EXPECT_TRUE(o.kind == 'l' ? o.left_type == 0 : TypeExists(o.left_type)) << o.oid;
    EXPECT_TRUE(TypeExists(o.right_type)) << o.oid;
    EXPECT_TRUE(TypeExists(o.result_type)) << o.oid;
    EXPECT_NE(FindBuiltinProc(o.code), nullptr) << o.oid;
    for (uint32_t est : {o.restrict_estimator, o.join_estimator}) {
      EXPECT_TRUE(est == 0 || FindBuiltinProc(est) != nullptr) << o.oid;
    }
    for (uint32_t other : {o.commutator, o.negator}) {
      EXPECT_TRUE(other == 0 || FindBuiltinOperator(other) != nullptr) << o.oid << " -> " << other;
    }
  }
  std::set<uint32_t> families;
  for (const OpfamilyRow& f : BuiltinOpfamilies()) families.insert(f.oid);
  for (const OpclassRow& c : BuiltinOpclasses()) {
    EXPECT_EQ(families.count(c.family), 1u) << c.name;
    EXPECT_TRUE(TypeExists(c.input_type)) << c.name;
    EXPECT_TRUE(c.key_type == 0 || TypeExists(c.key_type)) << c.name;
  }
  for (const AmopRow& a : BuiltinAmops()) {
    EXPECT_EQ(families.count(a.family), 1u) << a.oid;
    EXPECT_NE(FindBuiltinOperator(a.op), nullptr) << a.oid;
  }
  for (const AmprocRow& a : BuiltinAmprocs()) {
    EXPECT_EQ(families.count(a.family), 1u) << a.oid;
    EXPECT_NE(FindBuiltinProc(a.proc), nullptr) << a.oid;
  }
  for (const CastRow& c : BuiltinCasts()) {
    EXPECT_TRUE(TypeExists(c.source) && TypeExists(c.target)) << c.oid;
    EXPECT_TRUE(c.func == 0 || FindBuiltinProc(c.func) != nullptr) << c.oid;
  }
  // C9: every regproc a built-in type names is a built-in function.
  for (const TypeRow& t : BuiltinTypes()) {
    for (std::string_view fn :
         {t.subscript, t.input, t.output, t.receive, t.send, t.typmodin, t.typmodout, t.analyze}) {
      if (fn.empty() || fn == "-") continue;
      EXPECT_NO_THROW((void)BuiltinProcOidByName(fn)) << t.name << " " << fn;
    }
    EXPECT_NE(t.input, "-") << t.name;
    EXPECT_NE(t.output, "-") << t.name;
  }
  for (const char* handler : {"heap_tableam_handler", "bthandler", "hashhandler", "gisthandler",
                              "ginhandler", "spghandler", "brinhandler"}) {
    EXPECT_NO_THROW((void)BuiltinProcOidByName(handler)) << handler;
  }
  EXPECT_THROW((void)BuiltinProcOidByName("no_such_function"), Error);
  EXPECT_THROW((void)BuiltinProcOidByName("length"), Error);  // overloaded
}

TEST(BuiltinDefs, OperatorsMatchTheirFunctionsAndPairUp) {  // C22
  for (const OperatorRow& o : BuiltinOperators()) {
    const ProcRow* code = FindBuiltinProc(o.code);
    ASSERT_NE(code, nullptr);
    const std::vector<uint32_t> args = o.kind == 'l'
                                           ? std::vector<uint32_t>{o.right_type}
                                           : std::vector<uint32_t>{o.left_type, o.right_type};
    EXPECT_EQ(code->arg_types, args) << o.oid << " " << code->name;
    EXPECT_EQ(code->result_type, o.result_type) << o.oid;
    if (o.commutator != 0) {
      const OperatorRow* com = FindBuiltinOperator(o.commutator);
      ASSERT_NE(com, nullptr);
      EXPECT_EQ(com->commutator, o.oid) << o.oid;  // symmetric
      EXPECT_EQ(com->left_type, o.right_type) << o.oid;
      EXPECT_EQ(com->right_type, o.left_type) << o.oid;
    }
    if (o.negator != 0) {
      const OperatorRow* neg = FindBuiltinOperator(o.negator);
      ASSERT_NE(neg, nullptr);
      EXPECT_EQ(neg->negator, o.oid) << o.oid;  // symmetric
      EXPECT_NE(neg->oid, o.oid);
      EXPECT_EQ(neg->left_type, o.left_type) << o.oid;
      EXPECT_EQ(neg->right_type, o.right_type) << o.oid;
      EXPECT_EQ(o.result_type, type::kBool) << o.oid;
    }
    // Comparison operators are boolean, have estimators, and = (only) merges.
    const bool comparison = o.name == "=" || o.name == "<>" || o.name == "<" || o.name == "<=" ||
                            o.name == ">" || o.name == ">=";
    EXPECT_EQ(comparison, o.restrict_estimator != 0) << o.oid;
    EXPECT_EQ(comparison, o.join_estimator != 0) << o.oid;
    EXPECT_EQ(o.can_merge, o.name == "=") << o.oid;
    if (o.can_hash) {
      EXPECT_TRUE(o.can_merge) << o.oid;
    }
    if (comparison) {
      EXPECT_NE(o.negator, 0u) << o.oid;
      EXPECT_NE(o.commutator, 0u) << o.oid;
    }
  }
  // The operator name index is unique: (oprname, oprleft, oprright).
  std::set<std::tuple<std::string, uint32_t, uint32_t>> keys;
  for (const OperatorRow& o : BuiltinOperators()) {
    EXPECT_TRUE(keys.emplace(std::string(o.name), o.left_type, o.right_type).second) << o.oid;
  }
  // So is (proname, proargtypes).
  std::set<std::pair<std::string, std::vector<uint32_t>>> proc_keys;
  for (const ProcRow& p : BuiltinProcs()) {
    EXPECT_TRUE(proc_keys.emplace(std::string(p.name), p.arg_types).second) << p.oid;
    EXPECT_EQ(BuiltinProcOid(p.name, p.arg_types), p.oid);
  }
}

TEST(BuiltinDefs, OpclassesFamiliesAndMembersAreComplete) {  // C23
  const char* const kStrategyNames[] = {"<", "<=", "=", ">=", ">"};
  // Members by family and type pair.
  std::map<std::tuple<uint32_t, uint32_t, uint32_t>, std::set<int16_t>> strategies;
  std::map<std::tuple<uint32_t, uint32_t, uint32_t>, std::set<int16_t>> procs;
  std::set<std::tuple<uint32_t, char, uint32_t>> op_keys;
  for (const AmopRow& a : BuiltinAmops()) {
    EXPECT_TRUE(
        strategies[std::make_tuple(a.family, a.left_type, a.right_type)].insert(a.strategy).second);
    EXPECT_TRUE(op_keys.emplace(a.op, a.purpose, a.family).second) << a.oid;  // index 2654
    EXPECT_EQ(a.method, 403u);
    EXPECT_EQ(a.purpose, 's');
    const OperatorRow* op = FindBuiltinOperator(a.op);
    ASSERT_NE(op, nullptr);
    ASSERT_GE(a.strategy, kBtreeLessStrategy);
    ASSERT_LE(a.strategy, kBtreeGreaterStrategy);
    EXPECT_EQ(op->name, kStrategyNames[a.strategy - 1]) << a.oid;
    EXPECT_EQ(op->left_type, a.left_type) << a.oid;
    EXPECT_EQ(op->right_type, a.right_type) << a.oid;
    EXPECT_EQ(op->result_type, type::kBool) << a.oid;
  }
  for (const AmprocRow& a : BuiltinAmprocs()) {
    EXPECT_TRUE(procs[std::make_tuple(a.family, a.left_type, a.right_type)].insert(a.number).second)
        << a.oid;
    const ProcRow* p = FindBuiltinProc(a.proc);
    ASSERT_NE(p, nullptr);
    switch (a.number) {
      case kBtreeOrderProc:
        EXPECT_EQ(p->arg_types, (std::vector<uint32_t>{a.left_type, a.right_type})) << p->name;
        EXPECT_EQ(p->result_type, type::kInt4) << p->name;
        break;
      case kBtreeSortSupportProc:
        EXPECT_EQ(p->arg_types, (std::vector<uint32_t>{kInternalTypeOid})) << p->name;
        EXPECT_EQ(a.left_type, a.right_type);
        break;
      case kBtreeEqualImageProc:
        EXPECT_EQ(p->arg_types, (std::vector<uint32_t>{type::kOid})) << p->name;
        EXPECT_EQ(p->result_type, type::kBool) << p->name;
        EXPECT_EQ(a.left_type, a.right_type);
        break;
      default:
        ADD_FAILURE() << "support function " << a.number;
    }
  }
  // Every type pair with operators has all five strategies and a comparison function.
  for (const auto& [key, s] : strategies) {
    EXPECT_EQ(s.size(), 5u) << std::get<0>(key) << " " << std::get<1>(key) << " "
                            << std::get<2>(key);
    EXPECT_EQ(procs[key].count(kBtreeOrderProc), 1u) << std::get<0>(key) << " " << std::get<1>(key);
  }
  // Every class's family covers its input type with strategies 1-5 and support 1.
  std::map<uint32_t, int> defaults_per_type;
  std::set<std::pair<uint32_t, std::string>> names;
  for (const OpclassRow& c : BuiltinOpclasses()) {
    EXPECT_EQ(c.method, 403u);
    EXPECT_TRUE(names.emplace(c.method, std::string(c.name)).second) << c.name;
    const auto key = std::make_tuple(c.family, c.input_type, c.input_type);
    EXPECT_EQ(strategies[key].size(), 5u) << c.name;
    EXPECT_EQ(procs[key].count(kBtreeOrderProc), 1u) << c.name;
    if (c.is_default) ++defaults_per_type[c.input_type];
  }
  for (const auto& [t, n] : defaults_per_type) EXPECT_EQ(n, 1) << "type " << t;
  // Every family has at least one class.
  for (const OpfamilyRow& f : BuiltinOpfamilies()) {
    bool used = false;
    for (const OpclassRow& c : BuiltinOpclasses()) used = used || c.family == f.oid;
    EXPECT_TRUE(used) << f.name;
  }
  // Catalog index keys all have a default class (bootstrap's indclass, C23).
  for (const CatalogDef& def : AllCatalogs()) {
    for (const CatalogIndexDef& idx : def.indexes) {
      for (int k = 0; k < idx.nkeys; ++k) {
        uint32_t t = def.columns[static_cast<size_t>(def.ColumnIndex(idx.keys[k]))].type_oid;
        if (t == type::kRegproc) t = type::kOid;
        EXPECT_NE(DefaultBtreeOpclass(t), 0u) << idx.name << " " << idx.keys[k];
      }
    }
  }
}

TEST(BuiltinDefs, CastsUseMatchingFunctions) {  // C24
  std::set<std::pair<uint32_t, uint32_t>> pairs;
  auto binary_coercible = [](uint32_t from, uint32_t to) {
    if (from == to) return true;
    const CastRow* c = FindBuiltinCast(from, to);
    return c != nullptr && c->method == kCastBinary;
  };
  for (const CastRow& c : BuiltinCasts()) {
    EXPECT_TRUE(pairs.emplace(c.source, c.target).second) << c.oid;  // index 2661
    EXPECT_EQ(FindBuiltinCast(c.source, c.target), &c);
    EXPECT_TRUE(c.context == kCastImplicit || c.context == kCastAssignment ||
                c.context == kCastExplicit)
        << c.oid;
    EXPECT_EQ(c.method == kCastFunction, c.func != 0) << c.oid;
    if (c.func == 0) continue;
    const ProcRow* f = FindBuiltinProc(c.func);
    ASSERT_NE(f, nullptr);
    ASSERT_FALSE(f->arg_types.empty());
    // The function takes the source type, or one it converts to without loss (bpchar is read
    // as text by "char"(text), as PostgreSQL does).
    EXPECT_TRUE(binary_coercible(c.source, f->arg_types[0]) ||
                (c.source == type::kBpchar && f->arg_types[0] == type::kText))
        << c.oid << " " << f->name;
    EXPECT_TRUE(binary_coercible(f->result_type, c.target)) << c.oid << " " << f->name;
    // A length coercion (source = target) takes the typmod and the explicitness flag.
    if (c.source == c.target) {
      EXPECT_GE(f->arg_types.size(), 2u) << c.oid;
    }
  }
  // The numeric ladder widens implicitly and narrows by assignment.
  const uint32_t ladder[] = {type::kInt2, type::kInt4, type::kInt8, type::kFloat4, type::kFloat8};
  for (size_t i = 0; i < std::size(ladder); ++i) {
    for (size_t j = 0; j < std::size(ladder); ++j) {
      if (i == j) continue;
      const CastRow* c = FindBuiltinCast(ladder[i], ladder[j]);
      ASSERT_NE(c, nullptr) << ladder[i] << " -> " << ladder[j];
      EXPECT_EQ(c->context, i < j ? kCastImplicit : kCastAssignment)
          << ladder[i] << " -> " << ladder[j];
    }
  }
}

TEST(BuiltinDefs, PostgresOidsSpotChecked) {
  struct ProcExpect {
    const char* name;
    std::vector<uint32_t> args;
    uint32_t oid;
  };
  const ProcExpect procs[] = {
      {"boolin", {type::kCString}, 1242},
      {"int4eq", {23, 23}, 65},
      {"btint4cmp", {23, 23}, 351},
      {"textcat", {25, 25}, 1258},
      {"now", {}, 1299},
      {"version", {}, 89},
      {"pg_backend_pid", {}, 2026},
      {"current_setting", {25}, 2077},
      {"current_setting", {25, 16}, 3294},
      {"set_config", {25, 25, 16}, 2078},
      {"pg_show_all_settings", {}, 2084},
      {"pg_stat_get_activity", {23}, 2022},
      {"bthandler", {kInternalTypeOid}, 330},
      {"heap_tableam_handler", {kInternalTypeOid}, 3},
      {"array_in", {type::kCString, 26, 23}, 750},
      {"numeric_add", {1700, 1700}, 1724},
      {"abs", {23}, 1397},
      {"lower", {25}, 870},
      {"int8", {23}, 481},
      {"length", {25}, 1317},
      {"current_database", {}, 861},
      {"eqsel", {kInternalTypeOid, 26, kInternalTypeOid, 23}, 101},
  };
  for (const ProcExpect& e : procs) EXPECT_EQ(BuiltinProcOid(e.name, e.args), e.oid) << e.name;
  EXPECT_EQ(FindBuiltinProc(2078)->prosrc, "set_config_by_name");
  EXPECT_EQ(FindBuiltinProc(1317)->prosrc, "textlen");
  EXPECT_EQ(FindBuiltinProc(65)->leakproof, true);
  EXPECT_EQ(FindBuiltinProc(2078)->volatility, 'v');
  EXPECT_FALSE(FindBuiltinProc(2078)->strict);

  struct OpExpect {
    const char* name;
    uint32_t left, right, oid;
  };
  const OpExpect ops[] = {{"=", 23, 23, 96},    {"<", 23, 23, 97},       {"=", 20, 20, 410},
                          {"=", 25, 25, 98},    {"||", 25, 25, 654},     {"+", 23, 23, 551},
                          {"/", 701, 701, 593}, {"+", 1700, 1700, 1758}, {"-", 0, 23, 558},
                          {"=", 19, 19, 93},    {"<>", 23, 23, 518},     {"=", 23, 20, 15}};
  for (const OpExpect& e : ops) {
    const OperatorRow* o = FindBuiltinOperator(e.oid);
    ASSERT_NE(o, nullptr) << e.oid;
    EXPECT_EQ(o->name, e.name);
    EXPECT_EQ(o->left_type, e.left);
    EXPECT_EQ(o->right_type, e.right);
  }
  EXPECT_EQ(FindBuiltinOperator(96)->negator, 518u);
  EXPECT_TRUE(FindBuiltinOperator(96)->can_hash);
  EXPECT_EQ(DefaultBtreeOpclass(type::kInt4), 1978u);
  EXPECT_EQ(DefaultBtreeOpclass(type::kInt2), 1979u);
  EXPECT_EQ(DefaultBtreeOpclass(type::kInt8), 3124u);
  EXPECT_EQ(DefaultBtreeOpclass(type::kText), 3126u);
  EXPECT_EQ(DefaultBtreeOpclass(type::kOid), 1981u);
  EXPECT_EQ(DefaultBtreeOpclass(type::kName), 10028u);
  EXPECT_EQ(DefaultBtreeOpclass(type::kFloat8), 3123u);
  EXPECT_EQ(DefaultBtreeOpclass(type::kTimestampTz), 3127u);
  EXPECT_EQ(DefaultBtreeOpclass(type::kJsonb), 0u);
  std::map<uint32_t, std::string> families;
  for (const OpfamilyRow& f : BuiltinOpfamilies()) families[f.oid] = std::string(f.name);
  EXPECT_EQ(families[1976], "integer_ops");
  EXPECT_EQ(families[1970], "float_ops");
  EXPECT_EQ(families[1994], "text_ops");
  EXPECT_EQ(families[434], "datetime_ops");
  const CastRow* widen = FindBuiltinCast(type::kInt4, type::kInt8);
  ASSERT_NE(widen, nullptr);
  EXPECT_EQ(widen->func, 481u);
  EXPECT_EQ(widen->context, kCastImplicit);
  EXPECT_EQ(FindBuiltinCast(type::kInt8, type::kInt4)->context, kCastAssignment);
  EXPECT_EQ(FindBuiltinCast(type::kBool, type::kInt4)->context, kCastExplicit);
  EXPECT_EQ(FindBuiltinCast(type::kVarchar, type::kText)->method, kCastBinary);
  EXPECT_EQ(FindBuiltinCast(type::kInt4, type::kOid)->method, kCastBinary);
  EXPECT_EQ(FindBuiltinCast(type::kInt4, type::kText), nullptr);  // I/O conversion, not pg_cast
  EXPECT_EQ(FindBuiltinType(type::kRegproc)->typcategory, 'N');  // PostgreSQL's, not 'R'ange
  EXPECT_EQ(FindBuiltinType(1231)->typmodin, "numerictypmodin");  // _numeric
  EXPECT_EQ(FindBuiltinType(1007)->analyze, "array_typanalyze");
  EXPECT_EQ(FindBuiltinType(type::kJsonb)->subscript, "jsonb_subscript_handler");
  EXPECT_EQ(FindSystemView("pg_roles")->oid, 12000u);
  EXPECT_EQ(FindSystemView("pg_stat_activity")->rowtype_oid, 12224u);
}

TEST(BuiltinDefs, SystemViewsAreWellFormed) {  // C18, C19
  std::set<std::string> names;
  for (const SystemViewDef& v : AllSystemViews()) {
    EXPECT_TRUE(names.insert(std::string(v.name)).second);
    EXPECT_EQ(FindCatalog(v.name), nullptr) << v.name;
    EXPECT_EQ(FindSystemView(Oid(v.oid)), &v);
    std::set<std::string> cols;
    for (const SystemViewColumn& c : v.columns) {
      EXPECT_TRUE(cols.insert(std::string(c.name)).second) << v.name << "." << c.name;
      const TypeRow* t = FindBuiltinType(c.type_oid);
      ASSERT_NE(t, nullptr) << v.name << "." << c.name;
      EXPECT_EQ(c.collation != 0, t->typcollation != 0) << v.name << "." << c.name;
    }
    ASSERT_FALSE(v.rules.empty());
    const SystemViewRule& ret = v.rules.front();
    EXPECT_EQ(ret.name, "_RETURN");
    EXPECT_EQ(ret.event, kRuleEventSelect);
    EXPECT_TRUE(ret.is_instead);
    EXPECT_EQ(ret.qualification, kNoRuleQualification);
    EXPECT_TRUE(SystemViewDefinition(v).starts_with("SELECT")) << v.name;
    // Every column is named in the defining query.
    for (const SystemViewColumn& c : v.columns) {
      EXPECT_NE(SystemViewDefinition(v).find(c.name), std::string_view::npos)
          << v.name << "." << c.name;
    }
    const TypeRow* row = FindBuiltinType(v.rowtype_oid);
    ASSERT_NE(row, nullptr);
    EXPECT_EQ(row->typtype, 'c');
    EXPECT_EQ(row->typrelid, v.oid);
    EXPECT_EQ(row->typarray, v.array_type_oid);
    EXPECT_EQ(FindBuiltinType(v.array_type_oid)->typelem, v.rowtype_oid);
  }
  EXPECT_NE(
      SystemViewDefinition(*FindSystemView("pg_stat_activity")).find("pg_stat_get_activity(NULL)"),
      std::string_view::npos);
  // The views over functions have exactly the functions' OUT columns (pg_settings), or a
  // subset of the same types (pg_stat_activity, plus the names its joins add).
  auto out_columns = [](uint32_t proc) {
    std::map<std::string, uint32_t> out;
    const ProcRow* p = FindBuiltinProc(proc);
    for (size_t i = 0; i < p->arg_names.size(); ++i) {
      if (p->arg_modes[i] == 'o') out[p->arg_names[i]] = p->all_arg_types[i];
    }
    return out;
  };
  const std::map<std::string, uint32_t> settings = out_columns(2084);
  const SystemViewDef& pg_settings = *FindSystemView("pg_settings");
  ASSERT_EQ(pg_settings.columns.size(), settings.size());
  const ProcRow& show = *FindBuiltinProc(2084);
  for (size_t i = 0; i < pg_settings.columns.size(); ++i) {
    EXPECT_EQ(pg_settings.columns[i].name, show.arg_names[i]);
    EXPECT_EQ(pg_settings.columns[i].type_oid, show.all_arg_types[i]);
  }
  const std::map<std::string, uint32_t> activity = out_columns(2022);
  for (const SystemViewColumn& c : FindSystemView("pg_stat_activity")->columns) {
    if (c.name == "datname" || c.name == "usename") continue;
    auto it = activity.find(std::string(c.name));
    ASSERT_NE(it, activity.end()) << c.name;
    EXPECT_EQ(it->second, c.type_oid) << c.name;
  }
}

TEST(BuiltinDefs, CharAndTextArraysRoundTrip) {
  const std::vector<char> modes = {'i', 'o', 'o'};
  EXPECT_EQ(CharArrayElements(MakeCharArray(modes).data()), modes);
  EXPECT_TRUE(CharArrayElements(MakeCharArray({}).data()).empty());
  const std::vector<std::string> names = {"pid", "", "a much longer argument name", "x"};
  const std::vector<std::byte> v = MakeTextArray(names);
  EXPECT_EQ(TextArrayElements(v.data()), names);
  EXPECT_TRUE(TextArrayElements(MakeTextArray({}).data()).empty());
  // Elements are int-aligned 4-byte-header varlenas after the 24-byte header (PostgreSQL's
  // layout): "pid" at 24, "" at 32, the long name at 36.
  EXPECT_EQ(static_cast<uint8_t>(v[24]), (4 + 3) << 2);
  EXPECT_EQ(static_cast<uint8_t>(v[32]), 4 << 2);
  EXPECT_EQ(static_cast<uint8_t>(v[36]), (4 + 27) << 2);
  EXPECT_THROW((void)TextArrayElements(MakeCharArray(modes).data()), Error);  // element type
}

}  // namespace
}  // namespace keel::catalog
