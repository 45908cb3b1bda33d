// The registry's consistency with pg_proc: every implemented prosrc names a built-in pg_proc
// row, and lookups find what the tables declare.
#include "backend/utils/adt/builtin_functions.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

#include "backend/catalog/builtin_procs.h"

namespace keel::adt {
namespace {

TEST(BuiltinFunctionsTest, EveryImplementationNamesAProcRow) {
  std::set<std::string_view> prosrcs;
  for (const catalog::ProcRow& row : catalog::BuiltinProcs()) prosrcs.insert(row.prosrc);
  for (const fmgr::BuiltinFunctionEntry& entry : AllBuiltinFunctions()) {
    EXPECT_TRUE(prosrcs.contains(entry.prosrc)) << entry.prosrc << " has no pg_proc row";
    EXPECT_EQ(FindBuiltinFunction(entry.prosrc), entry.fn) << entry.prosrc;
  }
  EXPECT_EQ(FindBuiltinFunction("no_such_function"), nullptr);
}

}  // namespace
}  // namespace keel::adt
