// Names PostgreSQL generates for objects a statement creates without naming them: indexes
// (t_a_idx, t_pkey, t_a_key), constraints (t_a_check, t_b_fkey) and implicit array types
// (_t), with a number appended on a collision. README.md ("Relations", T8).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "storage/common/ids.h"

namespace keel::catalog {

// PostgreSQL's makeObjectName: "name1_name2_label" (name2 and label optional), with name1 and
// name2 shortened (the longer one first, never splitting a multibyte character) so the result
// fits in 63 bytes.
[[nodiscard]] std::string MakeObjectName(std::string_view name1, std::string_view name2,
                                         std::string_view label);

// ChooseIndexNameAddition: the column names joined by '_', stopping once the name is long
// enough (MakeObjectName shortens it further).
[[nodiscard]] std::string ChooseIndexNameAddition(const std::vector<std::string>& column_names);

// ChooseRelationName: MakeObjectName(name1, name2, label), or with label "label1", "label2"
// ... until no relation of that name exists in `nsp` (fresh snapshot of this transaction).
[[nodiscard]] std::string ChooseRelationName(std::string_view name1, std::string_view name2,
                                             std::string_view label, Oid nsp);

// ChooseConstraintName: the same, unique among the constraint names of `nsp` (pg_constraint's
// conname index) and the names in `taken` (chosen earlier in the same statement).
[[nodiscard]] std::string ChooseConstraintName(std::string_view name1, std::string_view name2,
                                               std::string_view label, Oid nsp,
                                               const std::vector<std::string>& taken);

// makeArrayTypeName: "_" + name, shortened to 63 bytes, with more leading underscores until
// no type of that name exists in `nsp`.
[[nodiscard]] std::string MakeArrayTypeName(std::string_view type_name, Oid nsp);

}  // namespace keel::catalog
