// The system views' definitions: PostgreSQL 15's columns (pg_attribute of its initdb'd
// catalogs: names, types, collations in order), its view / row type / rule oids, and the SQL of
// PostgreSQL's system_views.sql. Departures are marked. See system_views.h and README.md.
#include "backend/catalog/system_views.h"

#include "backend/catalog/builtin_types.h"
#include "backend/catalog/catalog_defs.h"

namespace keel::catalog {
namespace {

constexpr uint32_t kC = kCCollation;
constexpr uint32_t kDef = kDefaultCollation;

constexpr SystemViewColumn kPgRolesColumns[] = {
    {"rolname", type::kName, kC},
    {"rolsuper", type::kBool, 0},
    {"rolinherit", type::kBool, 0},
    {"rolcreaterole", type::kBool, 0},
    {"rolcreatedb", type::kBool, 0},
    {"rolcanlogin", type::kBool, 0},
    {"rolreplication", type::kBool, 0},
    {"rolconnlimit", type::kInt4, 0},
    {"rolpassword", type::kText, kDef},
    {"rolvaliduntil", type::kTimestampTz, 0},
    {"rolbypassrls", type::kBool, 0},
    {"rolconfig", type::kTextArray, kC},
    {"oid", type::kOid, 0},
};
// PostgreSQL joins pg_db_role_setting for rolconfig; Keel has no per-role settings yet, so the
// column is NULL.
constexpr SystemViewRule kPgRolesRules[] = {
    {12003, "_RETURN", kRuleEventSelect, true, kNoRuleQualification,
     R"(SELECT
    rolname,
    rolsuper,
    rolinherit,
    rolcreaterole,
    rolcreatedb,
    rolcanlogin,
    rolreplication,
    rolconnlimit,
    '********'::text AS rolpassword,
    rolvaliduntil,
    rolbypassrls,
    NULL::text[] AS rolconfig,
    pg_authid.oid
FROM pg_authid)"},
};

constexpr SystemViewColumn kPgUserColumns[] = {
    {"usename", type::kName, kC},
    {"usesysid", type::kOid, 0},
    {"usecreatedb", type::kBool, 0},
    {"usesuper", type::kBool, 0},
    {"userepl", type::kBool, 0},
    {"usebypassrls", type::kBool, 0},
    {"passwd", type::kText, kDef},
    {"valuntil", type::kTimestampTz, 0},
    {"useconfig", type::kTextArray, kC},
};
// PostgreSQL selects from the pg_shadow view (pg_authid joined with pg_db_role_setting, login
// roles only); Keel has neither, so this is pg_shadow's query inlined, useconfig NULL.
constexpr SystemViewRule kPgUserRules[] = {
    {12017, "_RETURN", kRuleEventSelect, true, kNoRuleQualification,
     R"(SELECT
    rolname AS usename,
    pg_authid.oid AS usesysid,
    rolcreatedb AS usecreatedb,
    rolsuper AS usesuper,
    rolreplication AS userepl,
    rolbypassrls AS usebypassrls,
    '********'::text AS passwd,
    rolvaliduntil AS valuntil,
    NULL::text[] AS useconfig
FROM pg_authid
WHERE rolcanlogin)"},
};

constexpr SystemViewColumn kPgSettingsColumns[] = {
    {"name", type::kText, kDef},         {"setting", type::kText, kDef},
    {"unit", type::kText, kDef},         {"category", type::kText, kDef},
    {"short_desc", type::kText, kDef},   {"extra_desc", type::kText, kDef},
    {"context", type::kText, kDef},      {"vartype", type::kText, kDef},
    {"source", type::kText, kDef},       {"min_val", type::kText, kDef},
    {"max_val", type::kText, kDef},      {"enumvals", type::kTextArray, kDef},
    {"boot_val", type::kText, kDef},     {"reset_val", type::kText, kDef},
    {"sourcefile", type::kText, kDef},   {"sourceline", type::kInt4, 0},
    {"pending_restart", type::kBool, 0},
};
// PostgreSQL's "SELECT * FROM pg_show_all_settings() AS A" with the * expanded, as PostgreSQL
// stores it; and its two rules that make UPDATE pg_settings SET setting = ... call set_config.
constexpr SystemViewRule kPgSettingsRules[] = {
    {12107, "_RETURN", kRuleEventSelect, true, kNoRuleQualification,
     R"(SELECT
    a.name,
    a.setting,
    a.unit,
    a.category,
    a.short_desc,
    a.extra_desc,
    a.context,
    a.vartype,
    a.source,
    a.min_val,
    a.max_val,
    a.enumvals,
    a.boot_val,
    a.reset_val,
    a.sourcefile,
    a.sourceline,
    a.pending_restart
FROM pg_show_all_settings() AS a)"},
    {12108, "pg_settings_u", kRuleEventUpdate, false, "new.name = old.name",
     "SELECT set_config(old.name, new.setting, 'f')"},
    {12109, "pg_settings_n", kRuleEventUpdate, true, kNoRuleQualification, "NOTHING"},
};

constexpr SystemViewColumn kPgStatActivityColumns[] = {
    {"datid", type::kOid, 0},
    {"datname", type::kName, kC},
    {"pid", type::kInt4, 0},
    {"leader_pid", type::kInt4, 0},
    {"usesysid", type::kOid, 0},
    {"usename", type::kName, kC},
    {"application_name", type::kText, kDef},
    {"client_addr", kInetTypeOid, 0},
    {"client_hostname", type::kText, kDef},
    {"client_port", type::kInt4, 0},
    {"backend_start", type::kTimestampTz, 0},
    {"xact_start", type::kTimestampTz, 0},
    {"query_start", type::kTimestampTz, 0},
    {"state_change", type::kTimestampTz, 0},
    {"wait_event_type", type::kText, kDef},
    {"wait_event", type::kText, kDef},
    {"state", type::kText, kDef},
    {"backend_xid", type::kXid, 0},
    {"backend_xmin", type::kXid, 0},
    {"query_id", type::kInt8, 0},
    {"query", type::kText, kDef},
    {"backend_type", type::kText, kDef},
};
constexpr SystemViewRule kPgStatActivityRules[] = {
    {12225, "_RETURN", kRuleEventSelect, true, kNoRuleQualification,
     R"(SELECT
    s.datid AS datid,
    d.datname AS datname,
    s.pid,
    s.leader_pid,
    s.usesysid,
    u.rolname AS usename,
    s.application_name,
    s.client_addr,
    s.client_hostname,
    s.client_port,
    s.backend_start,
    s.xact_start,
    s.query_start,
    s.state_change,
    s.wait_event_type,
    s.wait_event,
    s.state,
    s.backend_xid,
    s.backend_xmin,
    s.query_id,
    s.query,
    s.backend_type
FROM pg_stat_get_activity(NULL) AS s
    LEFT JOIN pg_database AS d ON (s.datid = d.oid)
    LEFT JOIN pg_authid AS u ON (s.usesysid = u.oid))"},
};

// Oids: PostgreSQL 15's initdb gives these views, row types, array types and rules exactly
// these oids (its post-bootstrap range [12000, 16384), unpinned in PostgreSQL; Keel fixes them).
constexpr SystemViewDef kViews[] = {
    {"pg_roles", 12000, 12002, 12001, kPgRolesColumns, kPgRolesRules},
    {"pg_user", 12014, 12016, 12015, kPgUserColumns, kPgUserRules},
    {"pg_settings", 12104, 12106, 12105, kPgSettingsColumns, kPgSettingsRules},
    {"pg_stat_activity", 12222, 12224, 12223, kPgStatActivityColumns, kPgStatActivityRules},
};

}  // namespace

std::span<const SystemViewDef> AllSystemViews() { return kViews; }

const SystemViewDef* FindSystemView(Oid oid) {
  for (const SystemViewDef& v : kViews) {
    if (v.oid == oid.value()) return &v;
  }
  return nullptr;
}

const SystemViewDef* FindSystemView(std::string_view name) {
  for (const SystemViewDef& v : kViews) {
    if (v.name == name) return &v;
  }
  return nullptr;
}

std::string_view SystemViewDefinition(const SystemViewDef& view) {
  return view.rules.front().action;  // C18
}

}  // namespace keel::catalog
