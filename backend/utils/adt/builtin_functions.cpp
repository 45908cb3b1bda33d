// Joins the adt files' tables into one prosrc -> function map, built on first use.
#include "backend/utils/adt/builtin_functions.h"

#include <string>
#include <unordered_map>
#include <vector>

#include "backend/utils/adt/builtin_tables.h"
#include "backend/utils/error/error.h"
#include "backend/utils/error/format.h"

namespace keel::adt {
namespace {

// Each adt file's table; a new file adds its accessor here.
std::vector<FunctionTable> Tables() {
  return {
  };
}

struct Registry {
  std::vector<fmgr::BuiltinFunctionEntry> all;
  std::unordered_map<std::string_view, fmgr::BuiltinFunction> by_prosrc;
};

const Registry& GetRegistry() {
  static const Registry registry = [] {
    Registry r;
    for (FunctionTable table : Tables()) {
      for (const fmgr::BuiltinFunctionEntry& entry : table) {
        if (!r.by_prosrc.emplace(entry.prosrc, entry.fn).second) {
          throw Error(sqlstate::kInternalError,
                      Format("built-in function \"%.*s\" implemented twice",
                             static_cast<int>(entry.prosrc.size()), entry.prosrc.data()));
        }
        r.all.push_back(entry);
      }
    }
    return r;
  }();
  return registry;
}

}  // namespace

fmgr::BuiltinFunction FindBuiltinFunction(std::string_view prosrc) {
  const Registry& r = GetRegistry();
  auto it = r.by_prosrc.find(prosrc);
  return it == r.by_prosrc.end() ? nullptr : it->second;
}

std::span<const fmgr::BuiltinFunctionEntry> AllBuiltinFunctions() { return GetRegistry().all; }

}  // namespace keel::adt
