// The fixture both keel-ctl test files build on: a cluster made by keel-initdb (DataDirTest),
// a log file path, keel-ctl runs, and the pid in postmaster.pid. See bin/README.md ("Tests").
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "bin/common/tool_test_fixture.h"

namespace keel::ctl {

class CtlTestBase : public tools::DataDirTest {
 protected:
  void SetUp() override;  // DataDirTest::SetUp(), then log_

  // Runs keel-ctl with `args`.
  [[nodiscard]] keel::testing::ProgramResult Ctl(std::vector<std::string> args,
                                                 const keel::testing::EnvChanges& env = {},
                                                 int timeout_s = 60) const;
  // The pid in data_/postmaster.pid, or 0 when there is no valid pid file.
  [[nodiscard]] pid_t RunningPid() const;
  // RunningPid() when that process is alive (bin/README.md, C2), else 0. For TearDown, which
  // must never leave a server behind.
  [[nodiscard]] pid_t LiveServerPid() const;

  std::string log_;  // tmp_/server.log, for -l
};

}  // namespace keel::ctl
