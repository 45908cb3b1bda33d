// Object descriptions as PostgreSQL's getObjectDescription prints them, and the name
// formatting they use (quote_identifier, format_type_be, format_procedure). Declared in
// object_address.h; README.md ("Object addresses").
#include <algorithm>
#include <iterator>
#include <optional>
#include <string>
#include <string_view>

#include "backend/catalog/builtin_types.h"
#include "backend/catalog/catalog_defs.h"
#include "backend/catalog/catalog_lookup.h"
#include "backend/catalog/catalog_values.h"
#include "backend/catalog/namespace.h"
#include "backend/catalog/object_address.h"
#include "backend/catalog/object_address_internal.h"
#include "backend/utils/error/error.h"
#include "backend/utils/error/format.h"
#include "backend/utils/error/sqlstate.h"

namespace keel::catalog {

using internal::Cat;
using internal::RowByOid;

namespace {

// PostgreSQL 15's keywords that quote_identifier must quote: every category except
// UNRESERVED_KEYWORD (reserved, type/function-name and column-name keywords).
// TODO(issue 7): take them from the parser's keyword table once it exists.
constexpr std::string_view kQuotedKeywords[] = {
    "all", "analyse", "analyze", "and", "any", "array", "as", "asc", "asymmetric",
    "authorization", "between", "bigint", "binary", "bit", "boolean", "both", "case", "cast",
    "char", "character", "check", "coalesce", "collate", "collation", "column", "concurrently",
    "constraint", "create", "cross", "current_catalog", "current_date", "current_role",
    "current_schema", "current_time", "current_timestamp", "current_user", "dec", "decimal",
    "default", "deferrable", "desc", "distinct", "do", "else", "end", "except", "exists",
    "extract", "false", "fetch", "float", "for", "foreign", "freeze", "from", "full", "grant",
    "greatest", "group", "grouping", "having", "ilike", "in", "initially", "inner", "inout",
    "int", "integer", "intersect", "interval", "into", "is", "isnull", "join", "lateral",
    "leading", "least", "left", "like", "limit", "localtime", "localtimestamp", "national",
    "natural", "nchar", "none", "normalize", "not", "notnull", "null", "nullif", "numeric",
    "offset", "on", "only", "or", "order", "out", "outer", "overlaps", "overlay", "placing",
    "position", "precision", "primary", "real", "references", "returning", "right", "row",
    "select", "session_user", "setof", "similar", "smallint", "some", "substring", "symmetric",
    "table", "tablesample", "then", "time", "timestamp", "to", "trailing", "treat", "trim",
    "true", "union", "unique", "user", "using", "values", "varchar", "variadic", "verbose",
    "when", "where", "window", "with", "xmlattributes", "xmlconcat", "xmlelement", "xmlexists",
    "xmlforest", "xmlnamespaces", "xmlparse", "xmlpi", "xmlroot", "xmlserialize", "xmltable",
};

bool IsQuotedKeyword(std::string_view word) {
  return std::find(std::begin(kQuotedKeywords), std::end(kQuotedKeywords), word) !=
         std::end(kQuotedKeywords);
}

[[noreturn]] void ThrowLookupFailed(const char* what, Oid oid) {
  throw Error(sqlstate::kInternalError, Format("cache lookup failed for %s %u", what, oid.value()));
}

// The schema qualifier for a name: empty when `visible`, else the namespace's name.
std::string Qualifier(bool visible, Oid nsp) {
  if (visible) return "";
  return GetNamespaceName(nsp).value_or("");
}

// SQL-standard spellings of built-in types (format_type_be); nullptr for the rest.
const char* SqlTypeName(uint32_t typid) {
  switch (typid) {
    case 1560: return "bit";
    case type::kBool: return "boolean";
    case type::kBpchar: return "character";
    case type::kFloat4: return "real";
    case type::kFloat8: return "double precision";
    case type::kInt2: return "smallint";
    case type::kInt4: return "integer";
    case type::kInt8: return "bigint";
    case type::kNumeric: return "numeric";
    case type::kInterval: return "interval";
    case type::kTime: return "time without time zone";
    case 1266: return "time with time zone";
    case type::kTimestamp: return "timestamp without time zone";
    case type::kTimestampTz: return "timestamp with time zone";
    case 1562: return "bit varying";
    case type::kVarchar: return "character varying";
    default: return nullptr;
  }
}

std::optional<std::string> FormatTypeNameIfExists(Oid typid) {
  std::optional<access::HeapTuple> row = RowByOid(catalog_oid::kPgType, typid);
  if (!row) return std::nullopt;
  const CatalogRelation& ty = Cat(catalog_oid::kPgType);
  const Oid elem(CatalogGetOid(ty, *row, "typelem"));
  // A true array type (varlena with an element type and array storage): "elem[]".
  if (elem != kInvalidOid && CatalogGetInt(ty, *row, "typlen") == -1 &&
      CatalogGetChar(ty, *row, "typcategory") == 'A' &&
      CatalogGetChar(ty, *row, "typstorage") != 'p') {
    std::optional<std::string> e = FormatTypeNameIfExists(elem);
    if (!e) return std::nullopt;
    return *e + "[]";
  }
  if (const char* sql = SqlTypeName(typid.value())) return std::string(sql);
  const Oid nsp(CatalogGetOid(ty, *row, "typnamespace"));
  return QuoteQualifiedIdentifier(Qualifier(TypeIsVisible(typid), nsp),
                                  CatalogGetName(ty, *row, "typname"));
}

std::optional<std::string> FormatProcedureIfExists(Oid procid) {
  std::optional<access::HeapTuple> row = RowByOid(catalog_oid::kPgProc, procid);
  if (!row) return std::nullopt;
  const CatalogRelation& pr = Cat(catalog_oid::kPgProc);
  const Oid nsp(CatalogGetOid(pr, *row, "pronamespace"));
  std::string s = QuoteQualifiedIdentifier(Qualifier(FunctionIsVisible(procid), nsp),
                                           CatalogGetName(pr, *row, "proname"));
  s += '(';
  const std::vector<uint32_t> args =
      OidArrayElements(access::DatumGetPointer(CatalogGetAttr(pr, *row, "proargtypes")));
  for (size_t i = 0; i < args.size(); ++i) {
    if (i > 0) s += ',';
    std::optional<std::string> t = FormatTypeNameIfExists(Oid(args[i]));
    s += t ? *t : "???";
  }
  s += ')';
  return s;
}

// getRelationDescription: "<kind> [schema.]name".
std::optional<std::string> RelationDescription(Oid relid) {
  std::optional<access::HeapTuple> row = RowByOid(catalog_oid::kPgClass, relid);
  if (!row) return std::nullopt;
  const CatalogRelation& pc = Cat(catalog_oid::kPgClass);
  const Oid nsp(CatalogGetOid(pc, *row, "relnamespace"));
  const std::string name = QuoteQualifiedIdentifier(Qualifier(RelationIsVisible(relid), nsp),
                                                    CatalogGetName(pc, *row, "relname"));
  const char* kind = "relation";
  switch (CatalogGetChar(pc, *row, "relkind")) {
    case 'r': case 'p': kind = "table"; break;
    case 'i': case 'I': kind = "index"; break;
    case 'S': kind = "sequence"; break;
    case 't': kind = "toast table"; break;
    case 'v': kind = "view"; break;
    case 'm': kind = "materialized view"; break;
    case 'c': kind = "composite type"; break;
    case 'f': kind = "foreign table"; break;
    default: break;
  }
  return std::string(kind) + " " + name;
}

std::optional<std::string> AttributeName(Oid relid, int32_t attnum) {
  const access::Datum keys[] = {access::ObjectIdGetDatum(relid),
                                access::Int16GetDatum(static_cast<int16_t>(attnum))};
  const std::vector<access::HeapTuple> rows =
      internal::RowsByKey(catalog_oid::kPgAttribute, 2659, keys);
  if (rows.empty()) return std::nullopt;
  return CatalogGetName(Cat(catalog_oid::kPgAttribute), rows.front(), "attname");
}

std::optional<std::string> ClassDescription(const ObjectAddress& a) {
  std::optional<std::string> rel = RelationDescription(a.objid);
  if (!rel || a.objsubid == 0) return rel;
  std::optional<std::string> att = AttributeName(a.objid, a.objsubid);
  if (!att) return std::nullopt;
  return "column " + *att + " of " + *rel;
}

// "<prefix> <name>" for objects described by one name column (not qualified).
std::optional<std::string> NamedDescription(const char* prefix, uint32_t catalog, Oid oid,
                                            const char* column) {
  std::optional<std::string> name = internal::NameByOid(catalog, oid, column);
  if (!name) return std::nullopt;
  return std::string(prefix) + " " + *name;
}

// "<prefix> [schema.]name" for objects that live in a schema, qualified unless their
// namespace is on the search path.
std::optional<std::string> QualifiedDescription(const char* prefix, uint32_t catalog, Oid oid,
                                                const char* name_col, const char* nsp_col) {
  std::optional<access::HeapTuple> row = RowByOid(catalog, oid);
  if (!row) return std::nullopt;
  const CatalogRelation& cat = Cat(catalog);
  const Oid nsp(CatalogGetOid(cat, *row, nsp_col));
  return std::string(prefix) + " " +
         QuoteQualifiedIdentifier(Qualifier(NamespaceIsInSearchPath(nsp), nsp),
                                  CatalogGetName(cat, *row, name_col));
}

std::optional<std::string> ConstraintDescription(Oid conid) {
  std::optional<access::HeapTuple> row = RowByOid(catalog_oid::kPgConstraint, conid);
  if (!row) return std::nullopt;
  const CatalogRelation& con = Cat(catalog_oid::kPgConstraint);
  const std::string name = CatalogGetName(con, *row, "conname");
  const Oid relid(CatalogGetOid(con, *row, "conrelid"));
  if (relid == kInvalidOid) return "constraint " + name;
  std::optional<std::string> rel = RelationDescription(relid);
  if (!rel) return std::nullopt;
  return "constraint " + name + " on " + *rel;
}

std::optional<std::string> AttrdefDescription(Oid defid) {
  std::optional<access::HeapTuple> row = RowByOid(catalog_oid::kPgAttrdef, defid);
  if (!row) return std::nullopt;
  const CatalogRelation& ad = Cat(catalog_oid::kPgAttrdef);
  const ObjectAddress column = MakeObjectAddress(
      catalog_oid::kPgClass, Oid(CatalogGetOid(ad, *row, "adrelid")),
      static_cast<int32_t>(CatalogGetInt(ad, *row, "adnum")));
  std::optional<std::string> col = ClassDescription(column);
  if (!col) return std::nullopt;
  return "default value for " + *col;
}

std::optional<std::string> OperatorDescription(Oid oprid) {
  std::optional<access::HeapTuple> row = RowByOid(catalog_oid::kPgOperator, oprid);
  if (!row) return std::nullopt;
  const CatalogRelation& op = Cat(catalog_oid::kPgOperator);
  const Oid nsp(CatalogGetOid(op, *row, "oprnamespace"));
  const std::string s =
      "operator " + QuoteQualifiedIdentifier(Qualifier(NamespaceIsInSearchPath(nsp), nsp),
                                             CatalogGetName(op, *row, "oprname"));
  const auto side = [&](const char* col) {
    const Oid t(CatalogGetOid(op, *row, col));
    if (t == kInvalidOid) return std::string("NONE");
    return FormatTypeNameIfExists(t).value_or("???");
  };
  return s + "(" + side("oprleft") + "," + side("oprright") + ")";
}

// "operator class c for access method a" / "operator family f for access method a".
std::optional<std::string> OpclassDescription(const char* prefix, uint32_t catalog, Oid oid,
                                              const char* name_col, const char* nsp_col,
                                              const char* method_col) {
  std::optional<access::HeapTuple> row = RowByOid(catalog, oid);
  if (!row) return std::nullopt;
  const CatalogRelation& cat = Cat(catalog);
  const Oid nsp(CatalogGetOid(cat, *row, nsp_col));
  std::optional<std::string> am =
      internal::NameByOid(catalog_oid::kPgAm, Oid(CatalogGetOid(cat, *row, method_col)), "amname");
  if (!am) return std::nullopt;
  return std::string(prefix) + " " +
         QuoteQualifiedIdentifier(Qualifier(NamespaceIsInSearchPath(nsp), nsp),
                                  CatalogGetName(cat, *row, name_col)) +
         " for access method " + *am;
}

std::optional<std::string> CastDescription(Oid castid) {
  std::optional<access::HeapTuple> row = RowByOid(catalog_oid::kPgCast, castid);
  if (!row) return std::nullopt;
  const CatalogRelation& c = Cat(catalog_oid::kPgCast);
  std::optional<std::string> from =
      FormatTypeNameIfExists(Oid(CatalogGetOid(c, *row, "castsource")));
  std::optional<std::string> to = FormatTypeNameIfExists(Oid(CatalogGetOid(c, *row, "casttarget")));
  if (!from || !to) return std::nullopt;
  return "cast from " + *from + " to " + *to;
}

// The description, nullopt when something is missing; throws for an unknown class.
std::optional<std::string> Describe(const ObjectAddress& a) {
  switch (a.classid.value()) {
    case catalog_oid::kPgClass: return ClassDescription(a);
    case catalog_oid::kPgType: {
      std::optional<std::string> t = FormatTypeNameIfExists(a.objid);
      if (!t) return std::nullopt;
      return "type " + *t;
    }
    case catalog_oid::kPgProc: {
      std::optional<std::string> f = FormatProcedureIfExists(a.objid);
      if (!f) return std::nullopt;
      return "function " + *f;
    }
    case catalog_oid::kPgConstraint: return ConstraintDescription(a.objid);
    case catalog_oid::kPgAttrdef: return AttrdefDescription(a.objid);
    case catalog_oid::kPgNamespace:
      return NamedDescription("schema", catalog_oid::kPgNamespace, a.objid, "nspname");
    case catalog_oid::kPgAuthid:
      return NamedDescription("role", catalog_oid::kPgAuthid, a.objid, "rolname");
    case catalog_oid::kPgDatabase:
      return NamedDescription("database", catalog_oid::kPgDatabase, a.objid, "datname");
    case catalog_oid::kPgTablespace:
      return NamedDescription("tablespace", catalog_oid::kPgTablespace, a.objid, "spcname");
    case catalog_oid::kPgAm:
      return NamedDescription("access method", catalog_oid::kPgAm, a.objid, "amname");
    case catalog_oid::kPgCollation:
      return QualifiedDescription("collation", catalog_oid::kPgCollation, a.objid, "collname",
                                  "collnamespace");
    case catalog_oid::kPgOperator: return OperatorDescription(a.objid);
    case catalog_oid::kPgOpclass:
      return OpclassDescription("operator class", catalog_oid::kPgOpclass, a.objid, "opcname",
                                "opcnamespace", "opcmethod");
    case catalog_oid::kPgOpfamily:
      return OpclassDescription("operator family", catalog_oid::kPgOpfamily, a.objid, "opfname",
                                "opfnamespace", "opfmethod");
    case catalog_oid::kPgCast: return CastDescription(a.objid);
    default:
      throw Error(sqlstate::kInternalError,
                  Format("unrecognized object class: %u", a.classid.value()));
  }
}

// PostgreSQL's "cache lookup failed" wording per class, for a missing object.
[[noreturn]] void ThrowMissing(const ObjectAddress& a) {
  switch (a.classid.value()) {
    case catalog_oid::kPgClass:
      if (a.objsubid != 0 && RowByOid(catalog_oid::kPgClass, a.objid)) {
        throw Error(sqlstate::kInternalError,
                    Format("cache lookup failed for attribute %d of relation %u", a.objsubid,
                           a.objid.value()));
      }
      ThrowLookupFailed("relation", a.objid);
    case catalog_oid::kPgType: ThrowLookupFailed("type", a.objid);
    case catalog_oid::kPgProc: ThrowLookupFailed("function", a.objid);
    case catalog_oid::kPgConstraint: ThrowLookupFailed("constraint", a.objid);
    case catalog_oid::kPgAttrdef:
      throw Error(sqlstate::kInternalError,
                  Format("could not find tuple for attrdef %u", a.objid.value()));
    case catalog_oid::kPgNamespace: ThrowLookupFailed("namespace", a.objid);
    case catalog_oid::kPgAuthid: ThrowLookupFailed("role", a.objid);
    case catalog_oid::kPgDatabase: ThrowLookupFailed("database", a.objid);
    case catalog_oid::kPgTablespace: ThrowLookupFailed("tablespace", a.objid);
    case catalog_oid::kPgAm: ThrowLookupFailed("access method", a.objid);
    case catalog_oid::kPgCollation: ThrowLookupFailed("collation", a.objid);
    case catalog_oid::kPgOperator: ThrowLookupFailed("operator", a.objid);
    case catalog_oid::kPgOpclass: ThrowLookupFailed("opclass", a.objid);
    case catalog_oid::kPgOpfamily: ThrowLookupFailed("opfamily", a.objid);
    case catalog_oid::kPgCast:
      throw Error(sqlstate::kInternalError,
                  Format("could not find tuple for cast %u", a.objid.value()));
    default: ThrowLookupFailed("object", a.objid);
  }
}

}  // namespace

std::string QuoteIdentifier(std::string_view ident) {
  bool safe = !ident.empty() && ((ident[0] >= 'a' && ident[0] <= 'z') || ident[0] == '_');
  for (char c : ident) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) safe = false;
  }
  if (safe && !IsQuotedKeyword(ident)) return std::string(ident);
  std::string out = "\"";
  for (char c : ident) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
  return out;
}

std::string QuoteQualifiedIdentifier(std::string_view qualifier, std::string_view ident) {
  if (qualifier.empty()) return QuoteIdentifier(ident);
  return QuoteIdentifier(qualifier) + "." + QuoteIdentifier(ident);
}

std::string FormatTypeName(Oid typid) {
  std::optional<std::string> s = FormatTypeNameIfExists(typid);
  if (!s) ThrowLookupFailed("type", typid);
  return *s;
}

std::string FormatProcedure(Oid procid) {
  std::optional<std::string> s = FormatProcedureIfExists(procid);
  if (!s) ThrowLookupFailed("function", procid);
  return *s;
}

std::optional<std::string> GetObjectDescriptionIfExists(const ObjectAddress& object) {
  return Describe(object);
}

std::string GetObjectDescription(const ObjectAddress& object) {
  std::optional<std::string> s = Describe(object);
  if (!s) ThrowMissing(object);
  return *s;
}

}  // namespace keel::catalog
