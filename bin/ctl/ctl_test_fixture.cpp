// The keel-ctl tests' fixture; see ctl_test_fixture.h.
#include "bin/ctl/ctl_test_fixture.h"

#include <utility>

#include "bin/ctl/postmaster_pid.h"

namespace keel::ctl {

void CtlTestBase::SetUp() {
  DataDirTest::SetUp();
  log_ = tmp_.path() + "/server.log";
}

keel::testing::ProgramResult CtlTestBase::Ctl(std::vector<std::string> args,
                                              const keel::testing::EnvChanges& env,
                                              int timeout_s) const {
  return tools::RunTool("keel-ctl", std::move(args), env, timeout_s);
}

pid_t CtlTestBase::RunningPid() const {
  PostmasterPid pid;
  int saved_errno = 0;
  if (data_.empty() ||
      ReadPostmasterPid(data_ + "/postmaster.pid", &pid, &saved_errno) != PidFileRead::kOk) {
    return 0;
  }
  return pid.pid;
}

pid_t CtlTestBase::LiveServerPid() const {
  pid_t pid = RunningPid();
  return pid > 0 && ProcessIsAlive(pid) ? pid : 0;
}

}  // namespace keel::ctl
