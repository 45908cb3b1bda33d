// Running built tools from tests; see tool_test_fixture.h.
#include "bin/common/tool_test_fixture.h"

#include <utility>

namespace keel::tools {

keel::testing::ProgramResult RunTool(const std::string& name, std::vector<std::string> args,
                                     const keel::testing::EnvChanges& env, int timeout_s) {
  args.insert(args.begin(), keel::testing::KeelBinary(name));
  return keel::testing::RunProgram(args, env, timeout_s);
}

void DataDirTest::SetUp() {
  data_ = tmp_.path() + "/data";
  keel::testing::ProgramResult r = RunTool("keel-initdb", {"-D", data_, "--no-sync"});
  ASSERT_EQ(r.exit_code, 0) << r.Output();
}

}  // namespace keel::tools
