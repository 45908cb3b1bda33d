// The catalog-row caches (PostgreSQL's syscache ids): one per unique catalog index, named after
// PostgreSQL's. The id is what a catalog-row invalidation message carries, so the table is
// constants only: catalog writes (backend/catalog) and the caches share it. README.md (K1-K3).
#pragma once

#include <cstddef>
#include <cstdint>
#include <iterator>
#include <string_view>

#include "storage/ipc/sinval.h"

namespace keel::cache {

// Message cache id = the enumerator's value (K1: < storage::kSInvalMaxCacheId).
enum class SysCacheId : uint8_t {
  kAmName,             // pg_am (amname)
  kAmOid,              // pg_am (oid)
  kAmopOpid,           // pg_amop (amopopr, amoppurpose, amopfamily)
  kAmopStrategy,       // pg_amop (amopfamily, amoplefttype, amoprighttype, amopstrategy)
  kAmprocNum,          // pg_amproc (amprocfamily, amproclefttype, amprocrighttype, amprocnum)
  kAttName,            // pg_attribute (attrelid, attname)
  kAttNum,             // pg_attribute (attrelid, attnum)
  kAuthMemMemRole,     // pg_auth_members (member, roleid)
  kAuthMemRoleMem,     // pg_auth_members (roleid, member)
  kAuthName,           // pg_authid (rolname)
  kAuthOid,            // pg_authid (oid)
  kCastSourceTarget,   // pg_cast (castsource, casttarget)
  kClaAmNameNsp,       // pg_opclass (opcmethod, opcname, opcnamespace)
  kClaOid,             // pg_opclass (oid)
  kCollNameEncNsp,     // pg_collation (collname, collencoding, collnamespace)
  kCollOid,            // pg_collation (oid)
  kConstrOid,          // pg_constraint (oid)
  kDatabaseName,       // pg_database (datname): PostgreSQL scans instead; a cache is simpler
  kDatabaseOid,        // pg_database (oid)
  kIndexRelId,         // pg_index (indexrelid)
  kNamespaceName,      // pg_namespace (nspname)
  kNamespaceOid,       // pg_namespace (oid)
  kOperNameNsp,        // pg_operator (oprname, oprleft, oprright, oprnamespace)
  kOperOid,            // pg_operator (oid)
  kOpfamilyAmNameNsp,  // pg_opfamily (opfmethod, opfname, opfnamespace)
  kOpfamilyOid,        // pg_opfamily (oid)
  kProcNameArgsNsp,    // pg_proc (proname, proargtypes, pronamespace)
  kProcOid,            // pg_proc (oid)
  kRelNameNsp,         // pg_class (relname, relnamespace)
  kRelOid,             // pg_class (oid)
  kSeqRelId,           // pg_sequence (seqrelid)
  kStatRelAttInh,      // pg_statistic (starelid, staattnum, stainherit)
  kTablespaceOid,      // pg_tablespace (oid)
  kTypeNameNsp,        // pg_type (typname, typnamespace)
  kTypeOid,            // pg_type (oid)
};

// One cache: the catalog it holds rows of and the unique index whose key columns are its keys
// (all of them, in index order; K2).
struct SysCacheDef {
  SysCacheId id;
  std::string_view name;  // PostgreSQL's name, for messages
  uint32_t catalog_oid;
  uint32_t index_oid;
};

// In enumerator order (K1; syscache_test checks the order, the indexes and their uniqueness).
inline constexpr SysCacheDef kSysCacheDefs[] = {
    {SysCacheId::kAmName, "AMNAME", 2601, 2651},
    {SysCacheId::kAmOid, "AMOID", 2601, 2652},
    {SysCacheId::kAmopOpid, "AMOPOPID", 2602, 2654},
    {SysCacheId::kAmopStrategy, "AMOPSTRATEGY", 2602, 2653},
    {SysCacheId::kAmprocNum, "AMPROCNUM", 2603, 2655},
    {SysCacheId::kAttName, "ATTNAME", 1249, 2658},
    {SysCacheId::kAttNum, "ATTNUM", 1249, 2659},
    {SysCacheId::kAuthMemMemRole, "AUTHMEMMEMROLE", 1261, 2695},
    {SysCacheId::kAuthMemRoleMem, "AUTHMEMROLEMEM", 1261, 2694},
    {SysCacheId::kAuthName, "AUTHNAME", 1260, 2676},
    {SysCacheId::kAuthOid, "AUTHOID", 1260, 2677},
    {SysCacheId::kCastSourceTarget, "CASTSOURCETARGET", 2605, 2661},
    {SysCacheId::kClaAmNameNsp, "CLAAMNAMENSP", 2616, 2686},
    {SysCacheId::kClaOid, "CLAOID", 2616, 2687},
    {SysCacheId::kCollNameEncNsp, "COLLNAMEENCNSP", 3456, 3164},
    {SysCacheId::kCollOid, "COLLOID", 3456, 3085},
    {SysCacheId::kConstrOid, "CONSTROID", 2606, 2667},
    {SysCacheId::kDatabaseName, "DATABASENAME", 1262, 2671},
    {SysCacheId::kDatabaseOid, "DATABASEOID", 1262, 2672},
    {SysCacheId::kIndexRelId, "INDEXRELID", 2610, 2679},
    {SysCacheId::kNamespaceName, "NAMESPACENAME", 2615, 2684},
    {SysCacheId::kNamespaceOid, "NAMESPACEOID", 2615, 2685},
    {SysCacheId::kOperNameNsp, "OPERNAMENSP", 2617, 2689},
    {SysCacheId::kOperOid, "OPEROID", 2617, 2688},
    {SysCacheId::kOpfamilyAmNameNsp, "OPFAMILYAMNAMENSP", 2753, 2754},
    {SysCacheId::kOpfamilyOid, "OPFAMILYOID", 2753, 2755},
    {SysCacheId::kProcNameArgsNsp, "PROCNAMEARGSNSP", 1255, 2691},
    {SysCacheId::kProcOid, "PROCOID", 1255, 2690},
    {SysCacheId::kRelNameNsp, "RELNAMENSP", 1259, 2663},
    {SysCacheId::kRelOid, "RELOID", 1259, 2662},
    {SysCacheId::kSeqRelId, "SEQRELID", 2224, 5002},
    {SysCacheId::kStatRelAttInh, "STATRELATTINH", 2619, 2696},
    {SysCacheId::kTablespaceOid, "TABLESPACEOID", 1213, 2697},
    {SysCacheId::kTypeNameNsp, "TYPENAMENSP", 1247, 2704},
    {SysCacheId::kTypeOid, "TYPEOID", 1247, 2703},
};

inline constexpr int kNumSysCaches = static_cast<int>(std::size(kSysCacheDefs));
static_assert(kNumSysCaches - 1 <= storage::kSInvalMaxCacheId);  // K1

[[nodiscard]] constexpr bool SysCacheDefsInOrder() {
  for (size_t i = 0; i < std::size(kSysCacheDefs); ++i) {
    if (static_cast<size_t>(kSysCacheDefs[i].id) != i) return false;
  }
  return true;
}
static_assert(SysCacheDefsInOrder());  // K1

[[nodiscard]] constexpr const SysCacheDef& SysCacheDefOf(SysCacheId id) {
  return kSysCacheDefs[static_cast<size_t>(id)];
}

// The message cache id of `id` (K1).
[[nodiscard]] constexpr int SysCacheMessageId(SysCacheId id) { return static_cast<int>(id); }

}  // namespace keel::cache
