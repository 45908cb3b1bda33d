// The registry of built-in function implementations: pg_proc's prosrc -> the C++ function
// (backend/utils/fmgr). Each adt file exports its table; this file joins them. README.md here.
#pragma once

#include <span>
#include <string_view>

#include "backend/utils/fmgr/fmgr.h"

namespace keel::adt {

// The implementation named `prosrc`, or nullptr when Keel does not implement it yet.
[[nodiscard]] fmgr::BuiltinFunction FindBuiltinFunction(std::string_view prosrc);

// Every implemented entry, for tests (each prosrc once; the adt test checks that each names a
// pg_proc row and that no prosrc is implemented twice).
[[nodiscard]] std::span<const fmgr::BuiltinFunctionEntry> AllBuiltinFunctions();

}  // namespace keel::adt
