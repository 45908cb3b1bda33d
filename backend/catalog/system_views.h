// The system views (pg_roles, pg_user, pg_settings, pg_stat_activity) declared once: PostgreSQL
// 15's column names and types in order, fixed oids for the view, its row type, its array type
// and its rules, and each rule's action as SQL text. The bootstrap turns them into pg_class,
// pg_attribute, pg_type and pg_rewrite rows. README.md ("System views", C18-C20).
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

#include "storage/common/ids.h"

namespace keel::catalog {

// pg_rewrite.ev_type values (PostgreSQL's CmdType as a char).
inline constexpr char kRuleEventSelect = '1';
inline constexpr char kRuleEventUpdate = '2';
inline constexpr char kRuleEventInsert = '3';
inline constexpr char kRuleEventDelete = '4';

// What pg_rewrite.ev_qual holds for a rule without a WHERE condition: PostgreSQL's spelling of
// an empty node tree.
inline constexpr std::string_view kNoRuleQualification = "<>";

// One column of a view, as PostgreSQL 15's pg_attribute row has it.
struct SystemViewColumn {
  std::string_view name;
  uint32_t type_oid;
  uint32_t collation;  // attcollation: what PostgreSQL derives from the defining query
};

// One rule of a view (pg_rewrite row). ev_action / ev_qual hold SQL text, not PostgreSQL's
// node trees (C19): the rewriter parses them.
struct SystemViewRule {
  uint32_t oid;
  std::string_view name;        // "_RETURN" for the view's defining query
  char event;                   // kRuleEvent...
  bool is_instead;
  std::string_view qualification;  // a boolean SQL expression, or kNoRuleQualification
  std::string_view action;         // a SELECT statement, or "NOTHING"
};

struct SystemViewDef {
  std::string_view name;
  uint32_t oid;             // pg_class oid (no storage: relfilenode 0)
  uint32_t rowtype_oid;     // pg_type oid of its composite row type
  uint32_t array_type_oid;  // and of that type's array type
  std::span<const SystemViewColumn> columns;
  std::span<const SystemViewRule> rules;  // the first is the "_RETURN" rule (C18)
};

// Every system view, in bootstrap order.
[[nodiscard]] std::span<const SystemViewDef> AllSystemViews();
// The view with pg_class oid `oid` / name `name`, or nullptr.
[[nodiscard]] const SystemViewDef* FindSystemView(Oid oid);
[[nodiscard]] const SystemViewDef* FindSystemView(std::string_view name);
// Its defining query: the action of its "_RETURN" rule.
[[nodiscard]] std::string_view SystemViewDefinition(const SystemViewDef& view);

}  // namespace keel::catalog
