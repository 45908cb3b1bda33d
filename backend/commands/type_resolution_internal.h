// Type names of column definitions resolved to pg_type oids and typmods (PostgreSQL's
// typenameTypeIdAndMod with the grammar's SQL-spelling mapping). Implemented in
// type_resolution.cpp. Not for other modules. README.md ("Tables", B2).
#pragma once

#include <cstdint>

#include "backend/commands/table_commands.h"

namespace keel::commands {

struct ResolvedType {
  Oid type;            // the array type for array_bounds > 0
  int32_t typmod = -1;
};

// Throws 42704 `type "%s" does not exist`, `could not find array type for data type %s`;
// 42601 `type modifier is not allowed for type "%s"`; 22023 for typmods out of range
// (`length for type %s must be at least 1`, `length for type %s cannot exceed %d`, `NUMERIC
// precision %d must be between 1 and 1000`, `NUMERIC scale %d must be between -1000 and
// 1000`); 3F000 for an unknown schema.
[[nodiscard]] ResolvedType ResolveTypeName(const TypeName& name);

}  // namespace keel::commands
