// The system catalogs' definitions, declared once in readable tables: PostgreSQL 15's relation
// oids, row type oids, columns (names, type oids, NOT NULL) and indexes (oids, names, key
// columns, uniqueness). Format and invariants C1-C12: backend/catalog/README.md.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

#include "storage/common/ids.h"

namespace keel::catalog {

// pg_class oids of the catalogs (PostgreSQL 15's, catalog/pg_*.h).
namespace catalog_oid {
inline constexpr uint32_t kPgTablespace = 1213;
inline constexpr uint32_t kPgShdepend = 1214;
inline constexpr uint32_t kPgType = 1247;
inline constexpr uint32_t kPgAttribute = 1249;
inline constexpr uint32_t kPgProc = 1255;
inline constexpr uint32_t kPgClass = 1259;
inline constexpr uint32_t kPgAuthid = 1260;
inline constexpr uint32_t kPgAuthMembers = 1261;
inline constexpr uint32_t kPgDatabase = 1262;
inline constexpr uint32_t kPgSequence = 2224;
inline constexpr uint32_t kPgShdescription = 2396;
inline constexpr uint32_t kPgAm = 2601;
inline constexpr uint32_t kPgAmop = 2602;
inline constexpr uint32_t kPgAmproc = 2603;
inline constexpr uint32_t kPgAttrdef = 2604;
inline constexpr uint32_t kPgCast = 2605;
inline constexpr uint32_t kPgConstraint = 2606;
inline constexpr uint32_t kPgDepend = 2608;
inline constexpr uint32_t kPgDescription = 2609;
inline constexpr uint32_t kPgIndex = 2610;
inline constexpr uint32_t kPgNamespace = 2615;
inline constexpr uint32_t kPgOpclass = 2616;
inline constexpr uint32_t kPgOperator = 2617;
inline constexpr uint32_t kPgRewrite = 2618;
inline constexpr uint32_t kPgStatistic = 2619;
inline constexpr uint32_t kPgOpfamily = 2753;
inline constexpr uint32_t kPgCollation = 3456;
}  // namespace catalog_oid

// Other well-known oids the bootstrap rows use (PostgreSQL's pg_*.dat).
inline constexpr uint32_t kPgCatalogNamespace = 11;
inline constexpr uint32_t kPgToastNamespace = 99;
inline constexpr uint32_t kPublicNamespace = 2200;
inline constexpr uint32_t kDefaultTablespace = 1663;  // pg_default: base/
inline constexpr uint32_t kGlobalTablespace = 1664;   // pg_global: global/
inline constexpr uint32_t kBootstrapSuperuser = 10;
inline constexpr uint32_t kTemplate1Database = 1;
inline constexpr uint32_t kDefaultCollation = 100;
inline constexpr uint32_t kCCollation = 950;
inline constexpr uint32_t kPosixCollation = 951;

// Oids PostgreSQL leaves to initdb (row types of most catalogs) are taken from here up
// (PostgreSQL's FirstGenbkiObjectId), in definition order (C4).
inline constexpr uint32_t kFirstAssignedOid = 10000;
// User objects start here (PostgreSQL's FirstNormalObjectId).
inline constexpr uint32_t kFirstNormalObjectId = 16384;

// One column of a catalog, in PostgreSQL 15's order.
struct CatalogColumn {
  std::string_view name;
  uint32_t type_oid;  // pg_type oid; its layout comes from builtin_types (C3)
  bool not_null;
};

inline constexpr int kMaxCatalogIndexKeys = 4;

// One btree index of a catalog (PostgreSQL's DECLARE_[UNIQUE_]INDEX[_PKEY]).
struct CatalogIndexDef {
  uint32_t oid;
  std::string_view name;
  int nkeys;
  std::string_view keys[kMaxCatalogIndexKeys];  // column names of the catalog (C2)
  bool unique;
  bool primary;  // indisprimary (PostgreSQL 15's _PKEY declarations)
};

// One catalog table.
struct CatalogDef {
  std::string_view name;
  uint32_t oid;           // pg_class oid = relfilenode (C5)
  uint32_t rowtype_oid;   // pg_type oid of its row type: PostgreSQL's, or assigned (C4)
  uint32_t array_type_oid;  // its array type, 0 when PostgreSQL has no fixed one
  bool shared;            // lives in global/, one copy for the cluster (C6)
  std::span<const CatalogColumn> columns;
  std::span<const CatalogIndexDef> indexes;

  // 0-based index of column `name`, or -1.
  [[nodiscard]] int ColumnIndex(std::string_view column) const;
  [[nodiscard]] bool HasOidColumn() const { return !columns.empty() && columns[0].name == "oid"; }
};

// Every catalog, in bootstrap order (C7).
[[nodiscard]] std::span<const CatalogDef> AllCatalogs();
// The catalog with pg_class oid `oid` / name `name`, or nullptr.
[[nodiscard]] const CatalogDef* FindCatalog(Oid oid);
[[nodiscard]] const CatalogDef* FindCatalog(std::string_view name);
// The same; throws XX000 "cache lookup failed for relation %u" when there is none.
[[nodiscard]] const CatalogDef& GetCatalog(Oid oid);

// The index of a catalog used for lookups by oid (single key column "oid"), or nullptr.
[[nodiscard]] const CatalogIndexDef* OidIndexOf(const CatalogDef& def);

}  // namespace keel::catalog
