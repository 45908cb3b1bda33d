// The per-file tables of built-in functions that builtin_functions.cpp joins; one accessor per
// adt source file. Internal to backend/utils/adt.
#pragma once

#include <span>

#include "backend/utils/fmgr/fmgr.h"

namespace keel::adt {

using FunctionTable = std::span<const fmgr::BuiltinFunctionEntry>;

// (one line per adt file: `FunctionTable <File>Functions();`)

}  // namespace keel::adt
