// Column type names to pg_type oids and typmods; see type_resolution_internal.h.
#include "backend/commands/type_resolution_internal.h"

#include <string_view>

#include "backend/catalog/catalog_defs.h"
#include "backend/catalog/namespace.h"
#include "backend/catalog/object_address.h"
#include "backend/utils/cache/syscache.h"
#include "backend/utils/error/error.h"
#include "backend/utils/error/format.h"
#include "backend/utils/error/sqlstate.h"

namespace keel::commands {
namespace {

constexpr int32_t kVarHdrSz = 4;
constexpr int32_t kMaxCharLength = 10485760;  // PostgreSQL's MaxAttrSize

// The grammar's SQL spellings (gram.y SimpleTypename / SystemTypeName): always pg_catalog.
std::string_view SqlSpelling(std::string_view name) {
  struct Mapping {
    std::string_view sql;
    std::string_view pg;
  };
  static constexpr Mapping kMap[] = {
      {"int", "int4"},         {"integer", "int4"},       {"smallint", "int2"},
      {"bigint", "int8"},      {"real", "float4"},        {"double precision", "float8"},
      {"float", "float8"},     {"boolean", "bool"},       {"decimal", "numeric"},
      {"dec", "numeric"},      {"character varying", "varchar"}, {"char varying", "varchar"},
      {"character", "bpchar"}, {"char", "bpchar"},        {"nchar", "bpchar"},
      {"timestamp without time zone", "timestamp"},
      {"timestamp with time zone", "timestamptz"},
      {"time without time zone", "time"},                 {"time with time zone", "timetz"},
  };
  for (const Mapping& m : kMap) {
    if (m.sql == name) return m.pg;
  }
  return {};
}

std::string Joined(const std::vector<std::string>& names) {
  std::string out;
  for (const std::string& n : names) {
    if (!out.empty()) out += '.';
    out += n;
  }
  return out;
}

int32_t TypmodFor(std::string_view typname, const std::vector<int32_t>& mods,
                  const std::string& written) {
  if (typname == "varchar" || typname == "bpchar") {
    if (mods.size() != 1) {
      throw Error(sqlstate::kInvalidParameterValue, "invalid type modifier");
    }
    const char* sql = typname == "varchar" ? "varchar" : "char";
    if (mods[0] < 1) {
      throw Error(sqlstate::kInvalidParameterValue,
                  Format("length for type %s must be at least 1", sql));
    }
    if (mods[0] > kMaxCharLength) {
      throw Error(sqlstate::kInvalidParameterValue,
                  Format("length for type %s cannot exceed %d", sql, kMaxCharLength));
    }
    return mods[0] + kVarHdrSz;
  }
  if (typname == "numeric") {
    if (mods.empty() || mods.size() > 2) {
      throw Error(sqlstate::kInvalidParameterValue, "invalid NUMERIC type modifier");
    }
    const int32_t precision = mods[0];
    const int32_t scale = mods.size() == 2 ? mods[1] : 0;
    if (precision < 1 || precision > 1000) {
      throw Error(sqlstate::kInvalidParameterValue,
                  Format("NUMERIC precision %d must be between 1 and 1000", precision));
    }
    if (scale < -1000 || scale > 1000) {
      throw Error(sqlstate::kInvalidParameterValue,
                  Format("NUMERIC scale %d must be between -1000 and 1000", scale));
    }
    return ((precision << 16) | (scale & 0x7ff)) + kVarHdrSz;
  }
  if (typname == "timestamp" || typname == "timestamptz" || typname == "time" ||
      typname == "timetz" || typname == "interval") {
    if (mods.size() != 1) throw Error(sqlstate::kInvalidParameterValue, "invalid type modifier");
    if (mods[0] < 0) {
      throw Error(sqlstate::kInvalidParameterValue,
                  Format("%s(%d) precision must not be negative", written.c_str(), mods[0]));
    }
    return mods[0] > 6 ? 6 : mods[0];  // PostgreSQL clamps (with a WARNING) to 6
  }
  return mods.empty() ? -1 : mods[0];
}

}  // namespace

ResolvedType ResolveTypeName(const TypeName& name) {
  const std::string written = Joined(name.names);
  Oid type = kInvalidOid;
  std::string typname;
  if (name.names.size() == 1) {
    const std::string_view pg = SqlSpelling(name.names[0]);
    if (!pg.empty()) {
      typname = std::string(pg);
      type = cache::GetSysCacheOid(cache::SysCacheId::kTypeNameNsp, typname,
                                   Oid(catalog::kPgCatalogNamespace));
    } else {
      typname = name.names[0];
      type = catalog::TypenameGetTypid(typname);
    }
  } else if (name.names.size() == 2 || name.names.size() == 3) {
    typname = name.names.back();
    const Oid nsp = catalog::LookupExplicitNamespace(name.names[name.names.size() - 2], false);
    type = cache::GetSysCacheOid(cache::SysCacheId::kTypeNameNsp, typname, nsp);
  } else {
    throw Error(sqlstate::kSyntaxError,
                Format("improper qualified name (too many dotted names): %s", written.c_str()));
  }
  if (type == kInvalidOid) {
    throw Error(sqlstate::kUndefinedObject, Format("type \"%s\" does not exist", written.c_str()));
  }
  cache::SysCacheTuple row = cache::SearchSysCache(cache::SysCacheId::kTypeOid, type);
  ResolvedType out;
  out.type = type;
  // PostgreSQL's grammar: char without a length is char(1).
  std::vector<int32_t> mods = name.typmods;
  if (mods.empty() && name.names.size() == 1 &&
      (name.names[0] == "char" || name.names[0] == "character")) {
    mods.push_back(1);
  }
  if (!mods.empty()) {
    if (row.GetOid("typmodin") == 0) {
      throw Error(sqlstate::kSyntaxError,
                  Format("type modifier is not allowed for type \"%s\"", typname.c_str()));
    }
    out.typmod = TypmodFor(typname, mods, written);
  }
  if (name.array_bounds > 0) {
    const Oid array(row.GetOid("typarray"));
    if (array == kInvalidOid) {
      throw Error(sqlstate::kUndefinedObject,
                  Format("could not find array type for data type %s",
                         catalog::FormatTypeName(type).c_str()));
    }
    out.type = array;
  }
  return out;
}

}  // namespace keel::commands
