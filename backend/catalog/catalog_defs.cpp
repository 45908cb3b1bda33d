// The catalog definition tables: every catalog's columns and indexes in PostgreSQL 15's order,
// with its oids (PostgreSQL 15's values, spot-checked against its catalog headers). NOT NULL follows
// PostgreSQL: fixed-width columns are NOT NULL, variable-length ones nullable unless PostgreSQL
// forces them (BKI_FORCE_NOT_NULL). See catalog_defs.h and README.md (C1-C7).
#include "backend/catalog/catalog_defs.h"

#include "backend/catalog/builtin_types.h"
#include "backend/utils/error/error.h"
#include "backend/utils/error/format.h"
#include "backend/utils/error/sqlstate.h"

namespace keel::catalog {
namespace {

constexpr CatalogColumn kPgTypeColumns[] = {
    {"oid", type::kOid, true},
    {"typname", type::kName, true},
    {"typnamespace", type::kOid, true},
    {"typowner", type::kOid, true},
    {"typlen", type::kInt2, true},
    {"typbyval", type::kBool, true},
    {"typtype", type::kChar, true},
    {"typcategory", type::kChar, true},
    {"typispreferred", type::kBool, true},
    {"typisdefined", type::kBool, true},
    {"typdelim", type::kChar, true},
    {"typrelid", type::kOid, true},
    {"typsubscript", type::kRegproc, true},
    {"typelem", type::kOid, true},
    {"typarray", type::kOid, true},
    {"typinput", type::kRegproc, true},
    {"typoutput", type::kRegproc, true},
    {"typreceive", type::kRegproc, true},
    {"typsend", type::kRegproc, true},
    {"typmodin", type::kRegproc, true},
    {"typmodout", type::kRegproc, true},
    {"typanalyze", type::kRegproc, true},
    {"typalign", type::kChar, true},
    {"typstorage", type::kChar, true},
    {"typnotnull", type::kBool, true},
    {"typbasetype", type::kOid, true},
    {"typtypmod", type::kInt4, true},
    {"typndims", type::kInt4, true},
    {"typcollation", type::kOid, true},
    {"typdefaultbin", type::kPgNodeTree, false},
    {"typdefault", type::kText, false},
    {"typacl", type::kAclItemArray, false},
};
constexpr CatalogIndexDef kPgTypeIndexes[] = {
    {2703, "pg_type_oid_index", 1, {"oid"}, true, true},
    {2704, "pg_type_typname_nsp_index", 2, {"typname", "typnamespace"}, true, false},
};

constexpr CatalogColumn kPgAttributeColumns[] = {
    {"attrelid", type::kOid, true},
    {"attname", type::kName, true},
    {"atttypid", type::kOid, true},
    {"attstattarget", type::kInt4, true},
    {"attlen", type::kInt2, true},
    {"attnum", type::kInt2, true},
    {"attndims", type::kInt4, true},
    {"attcacheoff", type::kInt4, true},
    {"atttypmod", type::kInt4, true},
    {"attbyval", type::kBool, true},
    {"attalign", type::kChar, true},
    {"attstorage", type::kChar, true},
    {"attcompression", type::kChar, true},
    {"attnotnull", type::kBool, true},
    {"atthasdef", type::kBool, true},
    {"atthasmissing", type::kBool, true},
    {"attidentity", type::kChar, true},
    {"attgenerated", type::kChar, true},
    {"attisdropped", type::kBool, true},
    {"attislocal", type::kBool, true},
    {"attinhcount", type::kInt4, true},
    {"attcollation", type::kOid, true},
    {"attacl", type::kAclItemArray, false},
    {"attoptions", type::kTextArray, false},
    {"attfdwoptions", type::kTextArray, false},
    {"attmissingval", type::kAnyArray, false},
};
constexpr CatalogIndexDef kPgAttributeIndexes[] = {
    {2658, "pg_attribute_relid_attnam_index", 2, {"attrelid", "attname"}, true, false},
    {2659, "pg_attribute_relid_attnum_index", 2, {"attrelid", "attnum"}, true, true},
};

constexpr CatalogColumn kPgProcColumns[] = {
    {"oid", type::kOid, true},
    {"proname", type::kName, true},
    {"pronamespace", type::kOid, true},
    {"proowner", type::kOid, true},
    {"prolang", type::kOid, true},
    {"procost", type::kFloat4, true},
    {"prorows", type::kFloat4, true},
    {"provariadic", type::kOid, true},
    {"prosupport", type::kRegproc, true},
    {"prokind", type::kChar, true},
    {"prosecdef", type::kBool, true},
    {"proleakproof", type::kBool, true},
    {"proisstrict", type::kBool, true},
    {"proretset", type::kBool, true},
    {"provolatile", type::kChar, true},
    {"proparallel", type::kChar, true},
    {"pronargs", type::kInt2, true},
    {"pronargdefaults", type::kInt2, true},
    {"prorettype", type::kOid, true},
    {"proargtypes", type::kOidVector, true},
    {"proallargtypes", type::kOidArray, false},
    {"proargmodes", type::kCharArray, false},
    {"proargnames", type::kTextArray, false},
    {"proargdefaults", type::kPgNodeTree, false},
    {"protrftypes", type::kOidArray, false},
    {"prosrc", type::kText, true},
    {"probin", type::kText, false},
    {"prosqlbody", type::kPgNodeTree, false},
    {"proconfig", type::kTextArray, false},
    {"proacl", type::kAclItemArray, false},
};
constexpr CatalogIndexDef kPgProcIndexes[] = {
    {2690, "pg_proc_oid_index", 1, {"oid"}, true, true},
    {2691, "pg_proc_proname_args_nsp_index", 3, {"proname", "proargtypes", "pronamespace"}, true, false},
};

constexpr CatalogColumn kPgClassColumns[] = {
    {"oid", type::kOid, true},
    {"relname", type::kName, true},
    {"relnamespace", type::kOid, true},
    {"reltype", type::kOid, true},
    {"reloftype", type::kOid, true},
    {"relowner", type::kOid, true},
    {"relam", type::kOid, true},
    {"relfilenode", type::kOid, true},
    {"reltablespace", type::kOid, true},
    {"relpages", type::kInt4, true},
    {"reltuples", type::kFloat4, true},
    {"relallvisible", type::kInt4, true},
    {"reltoastrelid", type::kOid, true},
    {"relhasindex", type::kBool, true},
    {"relisshared", type::kBool, true},
    {"relpersistence", type::kChar, true},
    {"relkind", type::kChar, true},
    {"relnatts", type::kInt2, true},
    {"relchecks", type::kInt2, true},
    {"relhasrules", type::kBool, true},
    {"relhastriggers", type::kBool, true},
    {"relhassubclass", type::kBool, true},
    {"relrowsecurity", type::kBool, true},
    {"relforcerowsecurity", type::kBool, true},
    {"relispopulated", type::kBool, true},
    {"relreplident", type::kChar, true},
    {"relispartition", type::kBool, true},
    {"relrewrite", type::kOid, true},
    {"relfrozenxid", type::kXid, true},
    {"relminmxid", type::kXid, true},
    {"relacl", type::kAclItemArray, false},
    {"reloptions", type::kTextArray, false},
    {"relpartbound", type::kPgNodeTree, false},
};
constexpr CatalogIndexDef kPgClassIndexes[] = {
    {2662, "pg_class_oid_index", 1, {"oid"}, true, true},
    {2663, "pg_class_relname_nsp_index", 2, {"relname", "relnamespace"}, true, false},
    {3455, "pg_class_tblspc_relfilenode_index", 2, {"reltablespace", "relfilenode"}, false, false},
};

constexpr CatalogColumn kPgDatabaseColumns[] = {
    {"oid", type::kOid, true},
    {"datname", type::kName, true},
    {"datdba", type::kOid, true},
    {"encoding", type::kInt4, true},
    {"datlocprovider", type::kChar, true},
    {"datistemplate", type::kBool, true},
    {"datallowconn", type::kBool, true},
    {"datconnlimit", type::kInt4, true},
    {"datfrozenxid", type::kXid, true},
    {"datminmxid", type::kXid, true},
    {"dattablespace", type::kOid, true},
    {"datcollate", type::kText, true},
    {"datctype", type::kText, true},
    {"daticulocale", type::kText, false},
    {"datcollversion", type::kText, false},
    {"datacl", type::kAclItemArray, false},
};
constexpr CatalogIndexDef kPgDatabaseIndexes[] = {
    {2671, "pg_database_datname_index", 1, {"datname"}, true, false},
    {2672, "pg_database_oid_index", 1, {"oid"}, true, true},
};

constexpr CatalogColumn kPgAuthidColumns[] = {
    {"oid", type::kOid, true},
    {"rolname", type::kName, true},
    {"rolsuper", type::kBool, true},
    {"rolinherit", type::kBool, true},
    {"rolcreaterole", type::kBool, true},
    {"rolcreatedb", type::kBool, true},
    {"rolcanlogin", type::kBool, true},
    {"rolreplication", type::kBool, true},
    {"rolbypassrls", type::kBool, true},
    {"rolconnlimit", type::kInt4, true},
    {"rolpassword", type::kText, false},
    {"rolvaliduntil", type::kTimestampTz, false},
};
constexpr CatalogIndexDef kPgAuthidIndexes[] = {
    {2676, "pg_authid_rolname_index", 1, {"rolname"}, true, false},
    {2677, "pg_authid_oid_index", 1, {"oid"}, true, true},
};

constexpr CatalogColumn kPgAuthMembersColumns[] = {
    {"roleid", type::kOid, true},
    {"member", type::kOid, true},
    {"grantor", type::kOid, true},
    {"admin_option", type::kBool, true},
};
constexpr CatalogIndexDef kPgAuthMembersIndexes[] = {
    {2694, "pg_auth_members_role_member_index", 2, {"roleid", "member"}, true, true},
    {2695, "pg_auth_members_member_role_index", 2, {"member", "roleid"}, true, false},
};

constexpr CatalogColumn kPgTablespaceColumns[] = {
    {"oid", type::kOid, true},
    {"spcname", type::kName, true},
    {"spcowner", type::kOid, true},
    {"spcacl", type::kAclItemArray, false},
    {"spcoptions", type::kTextArray, false},
};
constexpr CatalogIndexDef kPgTablespaceIndexes[] = {
    {2697, "pg_tablespace_oid_index", 1, {"oid"}, true, true},
    {2698, "pg_tablespace_spcname_index", 1, {"spcname"}, true, false},
};

constexpr CatalogColumn kPgShdependColumns[] = {
    {"dbid", type::kOid, true},
    {"classid", type::kOid, true},
    {"objid", type::kOid, true},
    {"objsubid", type::kInt4, true},
    {"refclassid", type::kOid, true},
    {"refobjid", type::kOid, true},
    {"deptype", type::kChar, true},
};
constexpr CatalogIndexDef kPgShdependIndexes[] = {
    {1232, "pg_shdepend_depender_index", 4, {"dbid", "classid", "objid", "objsubid"}, false, false},
    {1233, "pg_shdepend_reference_index", 2, {"refclassid", "refobjid"}, false, false},
};

constexpr CatalogColumn kPgShdescriptionColumns[] = {
    {"objoid", type::kOid, true},
    {"classoid", type::kOid, true},
    {"description", type::kText, true},
};
constexpr CatalogIndexDef kPgShdescriptionIndexes[] = {
    {2397, "pg_shdescription_o_c_index", 2, {"objoid", "classoid"}, true, true},
};

constexpr CatalogColumn kPgNamespaceColumns[] = {
    {"oid", type::kOid, true},
    {"nspname", type::kName, true},
    {"nspowner", type::kOid, true},
    {"nspacl", type::kAclItemArray, false},
};
constexpr CatalogIndexDef kPgNamespaceIndexes[] = {
    {2684, "pg_namespace_nspname_index", 1, {"nspname"}, true, false},
    {2685, "pg_namespace_oid_index", 1, {"oid"}, true, true},
};

constexpr CatalogColumn kPgAmColumns[] = {
    {"oid", type::kOid, true},
    {"amname", type::kName, true},
    {"amhandler", type::kRegproc, true},
    {"amtype", type::kChar, true},
};
constexpr CatalogIndexDef kPgAmIndexes[] = {
    {2651, "pg_am_name_index", 1, {"amname"}, true, false},
    {2652, "pg_am_oid_index", 1, {"oid"}, true, true},
};

constexpr CatalogColumn kPgAttrdefColumns[] = {
    {"oid", type::kOid, true},
    {"adrelid", type::kOid, true},
    {"adnum", type::kInt2, true},
    {"adbin", type::kPgNodeTree, true},
};
constexpr CatalogIndexDef kPgAttrdefIndexes[] = {
    {2656, "pg_attrdef_adrelid_adnum_index", 2, {"adrelid", "adnum"}, true, false},
    {2657, "pg_attrdef_oid_index", 1, {"oid"}, true, true},
};

constexpr CatalogColumn kPgIndexColumns[] = {
    {"indexrelid", type::kOid, true},
    {"indrelid", type::kOid, true},
    {"indnatts", type::kInt2, true},
    {"indnkeyatts", type::kInt2, true},
    {"indisunique", type::kBool, true},
    {"indnullsnotdistinct", type::kBool, true},
    {"indisprimary", type::kBool, true},
    {"indisexclusion", type::kBool, true},
    {"indimmediate", type::kBool, true},
    {"indisclustered", type::kBool, true},
    {"indisvalid", type::kBool, true},
    {"indcheckxmin", type::kBool, true},
    {"indisready", type::kBool, true},
    {"indislive", type::kBool, true},
    {"indisreplident", type::kBool, true},
    {"indkey", type::kInt2Vector, true},
    {"indcollation", type::kOidVector, true},
    {"indclass", type::kOidVector, true},
    {"indoption", type::kInt2Vector, true},
    {"indexprs", type::kPgNodeTree, false},
    {"indpred", type::kPgNodeTree, false},
};
constexpr CatalogIndexDef kPgIndexIndexes[] = {
    {2678, "pg_index_indrelid_index", 1, {"indrelid"}, false, false},
    {2679, "pg_index_indexrelid_index", 1, {"indexrelid"}, true, true},
};

constexpr CatalogColumn kPgOperatorColumns[] = {
    {"oid", type::kOid, true},
    {"oprname", type::kName, true},
    {"oprnamespace", type::kOid, true},
    {"oprowner", type::kOid, true},
    {"oprkind", type::kChar, true},
    {"oprcanmerge", type::kBool, true},
    {"oprcanhash", type::kBool, true},
    {"oprleft", type::kOid, true},
    {"oprright", type::kOid, true},
    {"oprresult", type::kOid, true},
    {"oprcom", type::kOid, true},
    {"oprnegate", type::kOid, true},
    {"oprcode", type::kRegproc, true},
    {"oprrest", type::kRegproc, true},
    {"oprjoin", type::kRegproc, true},
};
constexpr CatalogIndexDef kPgOperatorIndexes[] = {
    {2688, "pg_operator_oid_index", 1, {"oid"}, true, true},
    {2689, "pg_operator_oprname_l_r_n_index", 4, {"oprname", "oprleft", "oprright", "oprnamespace"}, true, false},
};

constexpr CatalogColumn kPgOpfamilyColumns[] = {
    {"oid", type::kOid, true},
    {"opfmethod", type::kOid, true},
    {"opfname", type::kName, true},
    {"opfnamespace", type::kOid, true},
    {"opfowner", type::kOid, true},
};
constexpr CatalogIndexDef kPgOpfamilyIndexes[] = {
    {2754, "pg_opfamily_am_name_nsp_index", 3, {"opfmethod", "opfname", "opfnamespace"}, true, false},
    {2755, "pg_opfamily_oid_index", 1, {"oid"}, true, true},
};

constexpr CatalogColumn kPgOpclassColumns[] = {
    {"oid", type::kOid, true},
    {"opcmethod", type::kOid, true},
    {"opcname", type::kName, true},
    {"opcnamespace", type::kOid, true},
    {"opcowner", type::kOid, true},
    {"opcfamily", type::kOid, true},
    {"opcintype", type::kOid, true},
    {"opcdefault", type::kBool, true},
    {"opckeytype", type::kOid, true},
};
constexpr CatalogIndexDef kPgOpclassIndexes[] = {
    {2686, "pg_opclass_am_name_nsp_index", 3, {"opcmethod", "opcname", "opcnamespace"}, true, false},
    {2687, "pg_opclass_oid_index", 1, {"oid"}, true, true},
};

constexpr CatalogColumn kPgAmopColumns[] = {
    {"oid", type::kOid, true},
    {"amopfamily", type::kOid, true},
    {"amoplefttype", type::kOid, true},
    {"amoprighttype", type::kOid, true},
    {"amopstrategy", type::kInt2, true},
    {"amoppurpose", type::kChar, true},
    {"amopopr", type::kOid, true},
    {"amopmethod", type::kOid, true},
    {"amopsortfamily", type::kOid, true},
};
constexpr CatalogIndexDef kPgAmopIndexes[] = {
    {2653, "pg_amop_fam_strat_index", 4, {"amopfamily", "amoplefttype", "amoprighttype", "amopstrategy"}, true, false},
    {2654, "pg_amop_opr_fam_index", 3, {"amopopr", "amoppurpose", "amopfamily"}, true, false},
    {2756, "pg_amop_oid_index", 1, {"oid"}, true, true},
};

constexpr CatalogColumn kPgAmprocColumns[] = {
    {"oid", type::kOid, true},
    {"amprocfamily", type::kOid, true},
    {"amproclefttype", type::kOid, true},
    {"amprocrighttype", type::kOid, true},
    {"amprocnum", type::kInt2, true},
    {"amproc", type::kRegproc, true},
};
constexpr CatalogIndexDef kPgAmprocIndexes[] = {
    {2655, "pg_amproc_fam_proc_index", 4, {"amprocfamily", "amproclefttype", "amprocrighttype", "amprocnum"}, true, false},
    {2757, "pg_amproc_oid_index", 1, {"oid"}, true, true},
};

constexpr CatalogColumn kPgConstraintColumns[] = {
    {"oid", type::kOid, true},
    {"conname", type::kName, true},
    {"connamespace", type::kOid, true},
    {"contype", type::kChar, true},
    {"condeferrable", type::kBool, true},
    {"condeferred", type::kBool, true},
    {"convalidated", type::kBool, true},
    {"conrelid", type::kOid, true},
    {"contypid", type::kOid, true},
    {"conindid", type::kOid, true},
    {"conparentid", type::kOid, true},
    {"confrelid", type::kOid, true},
    {"confupdtype", type::kChar, true},
    {"confdeltype", type::kChar, true},
    {"confmatchtype", type::kChar, true},
    {"conislocal", type::kBool, true},
    {"coninhcount", type::kInt4, true},
    {"connoinherit", type::kBool, true},
    {"conkey", type::kInt2Array, false},
    {"confkey", type::kInt2Array, false},
    {"conpfeqop", type::kOidArray, false},
    {"conppeqop", type::kOidArray, false},
    {"conffeqop", type::kOidArray, false},
    {"confdelsetcols", type::kInt2Array, false},
    {"conexclop", type::kOidArray, false},
    {"conbin", type::kPgNodeTree, false},
};
constexpr CatalogIndexDef kPgConstraintIndexes[] = {
    {2664, "pg_constraint_conname_nsp_index", 2, {"conname", "connamespace"}, false, false},
    {2665, "pg_constraint_conrelid_contypid_conname_index", 3, {"conrelid", "contypid", "conname"}, true, false},
    {2666, "pg_constraint_contypid_index", 1, {"contypid"}, false, false},
    {2667, "pg_constraint_oid_index", 1, {"oid"}, true, true},
    {2579, "pg_constraint_conparentid_index", 1, {"conparentid"}, false, false},
};

constexpr CatalogColumn kPgDependColumns[] = {
    {"classid", type::kOid, true},
    {"objid", type::kOid, true},
    {"objsubid", type::kInt4, true},
    {"refclassid", type::kOid, true},
    {"refobjid", type::kOid, true},
    {"refobjsubid", type::kInt4, true},
    {"deptype", type::kChar, true},
};
constexpr CatalogIndexDef kPgDependIndexes[] = {
    {2673, "pg_depend_depender_index", 3, {"classid", "objid", "objsubid"}, false, false},
    {2674, "pg_depend_reference_index", 3, {"refclassid", "refobjid", "refobjsubid"}, false, false},
};

constexpr CatalogColumn kPgDescriptionColumns[] = {
    {"objoid", type::kOid, true},
    {"classoid", type::kOid, true},
    {"objsubid", type::kInt4, true},
    {"description", type::kText, true},
};
constexpr CatalogIndexDef kPgDescriptionIndexes[] = {
    {2675, "pg_description_o_c_o_index", 3, {"objoid", "classoid", "objsubid"}, true, true},
};

constexpr CatalogColumn kPgSequenceColumns[] = {
    {"seqrelid", type::kOid, true},
    {"seqtypid", type::kOid, true},
    {"seqstart", type::kInt8, true},
    {"seqincrement", type::kInt8, true},
    {"seqmax", type::kInt8, true},
    {"seqmin", type::kInt8, true},
    {"seqcache", type::kInt8, true},
    {"seqcycle", type::kBool, true},
};
constexpr CatalogIndexDef kPgSequenceIndexes[] = {
    {5002, "pg_sequence_seqrelid_index", 1, {"seqrelid"}, true, true},
};

constexpr CatalogColumn kPgStatisticColumns[] = {
    {"starelid", type::kOid, true},
    {"staattnum", type::kInt2, true},
    {"stainherit", type::kBool, true},
    {"stanullfrac", type::kFloat4, true},
    {"stawidth", type::kInt4, true},
    {"stadistinct", type::kFloat4, true},
    {"stakind1", type::kInt2, true},
    {"stakind2", type::kInt2, true},
    {"stakind3", type::kInt2, true},
    {"stakind4", type::kInt2, true},
    {"stakind5", type::kInt2, true},
    {"staop1", type::kOid, true},
    {"staop2", type::kOid, true},
    {"staop3", type::kOid, true},
    {"staop4", type::kOid, true},
    {"staop5", type::kOid, true},
    {"stacoll1", type::kOid, true},
    {"stacoll2", type::kOid, true},
    {"stacoll3", type::kOid, true},
    {"stacoll4", type::kOid, true},
    {"stacoll5", type::kOid, true},
    {"stanumbers1", type::kFloat4Array, false},
    {"stanumbers2", type::kFloat4Array, false},
    {"stanumbers3", type::kFloat4Array, false},
    {"stanumbers4", type::kFloat4Array, false},
    {"stanumbers5", type::kFloat4Array, false},
    {"stavalues1", type::kAnyArray, false},
    {"stavalues2", type::kAnyArray, false},
    {"stavalues3", type::kAnyArray, false},
    {"stavalues4", type::kAnyArray, false},
    {"stavalues5", type::kAnyArray, false},
};
constexpr CatalogIndexDef kPgStatisticIndexes[] = {
    {2696, "pg_statistic_relid_att_inh_index", 3, {"starelid", "staattnum", "stainherit"}, true, true},
};

constexpr CatalogColumn kPgCastColumns[] = {
    {"oid", type::kOid, true},
    {"castsource", type::kOid, true},
    {"casttarget", type::kOid, true},
    {"castfunc", type::kOid, true},
    {"castcontext", type::kChar, true},
    {"castmethod", type::kChar, true},
};
constexpr CatalogIndexDef kPgCastIndexes[] = {
    {2660, "pg_cast_oid_index", 1, {"oid"}, true, true},
    {2661, "pg_cast_source_target_index", 2, {"castsource", "casttarget"}, true, false},
};

constexpr CatalogColumn kPgCollationColumns[] = {
    {"oid", type::kOid, true},
    {"collname", type::kName, true},
    {"collnamespace", type::kOid, true},
    {"collowner", type::kOid, true},
    {"collprovider", type::kChar, true},
    {"collisdeterministic", type::kBool, true},
    {"collencoding", type::kInt4, true},
    {"collcollate", type::kText, false},
    {"collctype", type::kText, false},
    {"colliculocale", type::kText, false},
    {"collversion", type::kText, false},
};
constexpr CatalogIndexDef kPgCollationIndexes[] = {
    {3164, "pg_collation_name_enc_nsp_index", 3, {"collname", "collencoding", "collnamespace"}, true, false},
    {3085, "pg_collation_oid_index", 1, {"oid"}, true, true},
};

constexpr CatalogColumn kPgRewriteColumns[] = {
    {"oid", type::kOid, true},
    {"rulename", type::kName, true},
    {"ev_class", type::kOid, true},
    {"ev_type", type::kChar, true},
    {"ev_enabled", type::kChar, true},
    {"is_instead", type::kBool, true},
    {"ev_qual", type::kPgNodeTree, true},
    {"ev_action", type::kPgNodeTree, true},
};
constexpr CatalogIndexDef kPgRewriteIndexes[] = {
    {2692, "pg_rewrite_oid_index", 1, {"oid"}, true, true},
    {2693, "pg_rewrite_rel_rulename_index", 2, {"ev_class", "rulename"}, true, false},
};

constexpr CatalogDef kCatalogs[] = {
    {"pg_type", 1247, 71, 210, false, kPgTypeColumns, kPgTypeIndexes},
    {"pg_attribute", 1249, 75, 270, false, kPgAttributeColumns, kPgAttributeIndexes},
    {"pg_proc", 1255, 81, 272, false, kPgProcColumns, kPgProcIndexes},
    {"pg_class", 1259, 83, 273, false, kPgClassColumns, kPgClassIndexes},
    {"pg_database", 1262, 1248, 0, true, kPgDatabaseColumns, kPgDatabaseIndexes},
    {"pg_authid", 1260, 2842, 0, true, kPgAuthidColumns, kPgAuthidIndexes},
    {"pg_auth_members", 1261, 2843, 0, true, kPgAuthMembersColumns, kPgAuthMembersIndexes},
    {"pg_tablespace", 1213, 10000, 0, true, kPgTablespaceColumns, kPgTablespaceIndexes},
    {"pg_shdepend", 1214, 10001, 0, true, kPgShdependColumns, kPgShdependIndexes},
    {"pg_shdescription", 2396, 10002, 0, true, kPgShdescriptionColumns, kPgShdescriptionIndexes},
    {"pg_namespace", 2615, 10003, 0, false, kPgNamespaceColumns, kPgNamespaceIndexes},
    {"pg_am", 2601, 10004, 0, false, kPgAmColumns, kPgAmIndexes},
    {"pg_attrdef", 2604, 10005, 0, false, kPgAttrdefColumns, kPgAttrdefIndexes},
    {"pg_index", 2610, 10006, 0, false, kPgIndexColumns, kPgIndexIndexes},
    {"pg_operator", 2617, 10007, 0, false, kPgOperatorColumns, kPgOperatorIndexes},
    {"pg_opfamily", 2753, 10008, 0, false, kPgOpfamilyColumns, kPgOpfamilyIndexes},
    {"pg_opclass", 2616, 10009, 0, false, kPgOpclassColumns, kPgOpclassIndexes},
    {"pg_amop", 2602, 10010, 0, false, kPgAmopColumns, kPgAmopIndexes},
    {"pg_amproc", 2603, 10011, 0, false, kPgAmprocColumns, kPgAmprocIndexes},
    {"pg_constraint", 2606, 10012, 0, false, kPgConstraintColumns, kPgConstraintIndexes},
    {"pg_depend", 2608, 10013, 0, false, kPgDependColumns, kPgDependIndexes},
    {"pg_description", 2609, 10014, 0, false, kPgDescriptionColumns, kPgDescriptionIndexes},
    {"pg_sequence", 2224, 10015, 0, false, kPgSequenceColumns, kPgSequenceIndexes},
    {"pg_statistic", 2619, 10016, 0, false, kPgStatisticColumns, kPgStatisticIndexes},
    {"pg_cast", 2605, 10017, 0, false, kPgCastColumns, kPgCastIndexes},
    {"pg_collation", 3456, 10018, 0, false, kPgCollationColumns, kPgCollationIndexes},
    {"pg_rewrite", 2618, 10019, 0, false, kPgRewriteColumns, kPgRewriteIndexes},
};

}  // namespace

int CatalogDef::ColumnIndex(std::string_view column) const {
  for (size_t i = 0; i < columns.size(); ++i) {
    if (columns[i].name == column) return static_cast<int>(i);
  }
  return -1;
}

std::span<const CatalogDef> AllCatalogs() { return kCatalogs; }

const CatalogDef* FindCatalog(Oid oid) {
  for (const CatalogDef& def : kCatalogs) {
    if (def.oid == oid.value()) return &def;
  }
  return nullptr;
}

const CatalogDef* FindCatalog(std::string_view name) {
  for (const CatalogDef& def : kCatalogs) {
    if (def.name == name) return &def;
  }
  return nullptr;
}

const CatalogDef& GetCatalog(Oid oid) {
  const CatalogDef* def = FindCatalog(oid);
  if (def == nullptr) {
    throw Error(sqlstate::kInternalError,
                Format("cache lookup failed for relation %u", oid.value()));
  }
  return *def;
}

const CatalogIndexDef* OidIndexOf(const CatalogDef& def) {
  if (!def.HasOidColumn()) return nullptr;
  for (const CatalogIndexDef& idx : def.indexes) {
    if (idx.nkeys == 1 && idx.keys[0] == "oid") return &idx;
  }
  return nullptr;
}

}  // namespace keel::catalog
