// pg_constraint and pg_attrdef rows (PostgreSQL's pg_constraint.c CreateConstraintEntry and
// heap.c StoreAttrDefault / StoreRelCheck): one row per constraint or column default with its
// dependencies, and their removal. Expressions are stored as SQL text (T9, a departure from
// PostgreSQL's node trees). README.md ("Relations", T7-T10).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "storage/common/ids.h"

namespace keel::catalog {

// pg_constraint.contype.
namespace contype {
inline constexpr char kCheck = 'c';
inline constexpr char kForeign = 'f';
inline constexpr char kPrimary = 'p';
inline constexpr char kUnique = 'u';
}  // namespace contype

// One pg_constraint row to create.
struct NewConstraint {
  std::string name;
  Oid namespace_oid;
  char type = contype::kCheck;
  bool deferrable = false;
  bool deferred = false;
  bool validated = true;
  Oid relid;                        // conrelid
  std::vector<int16_t> keys;        // conkey
  Oid index;                        // conindid: the unique index (p/u), the referenced one (f)
  // Foreign keys.
  Oid foreign_relid;                // confrelid
  std::vector<int16_t> foreign_keys;  // confkey
  std::vector<Oid> pf_eq_ops;       // conpfeqop
  std::vector<Oid> pp_eq_ops;       // conppeqop
  std::vector<Oid> ff_eq_ops;       // conffeqop
  char update_action = ' ';         // confupdtype: a r c n d
  char delete_action = ' ';         // confdeltype
  char match_type = ' ';            // confmatchtype: s f p
  bool no_inherit = false;          // connoinherit
  std::string expr;                 // conbin: CHECK expression as SQL text (T9); empty: NULL
};

// CreateConstraintEntry: inserts the row and its dependencies (T7): on the key columns (auto;
// the whole relation when there are none), for foreign keys on the referenced columns and on
// the referenced index (normal). Increments relchecks for CHECK (StoreRelCheck's job). Returns
// the constraint's oid. Does not CommandCounterIncrement.
// Requires: an active, non-failed transaction; the relation locked by the caller.
[[nodiscard]] Oid CreateConstraintEntry(const NewConstraint& c);

// StoreAttrDefault: the pg_attrdef row of column `attnum` of `relid` holding `expr` (SQL text,
// T9), its auto dependency on the column, and atthasdef set. Returns the pg_attrdef oid.
[[nodiscard]] Oid StoreAttrDefault(Oid relid, int16_t attnum, const std::string& expr);

// Whether relation `relid` has a constraint named `name` (pg_constraint's conrelid / contypid
// / conname index).
[[nodiscard]] bool ConstraintNameExistsOnRelation(Oid relid, const std::string& name);

// The droppers (T10): delete the row; a CHECK decrements relchecks, a default clears
// atthasdef (unless the relation itself is going: the row is then already gone).
void RemoveConstraintById(Oid conid);
void RemoveAttrDefaultById(Oid attrdef);

}  // namespace keel::catalog
