// Tests for reading postmaster.pid and the liveness check (bin/README.md, C1-C2).
#include "bin/ctl/postmaster_pid.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>

#include <gtest/gtest.h>

#include "tests/support/files.h"
#include "tests/support/temp_dir.h"
#include "tests/support/wait_until.h"

namespace keel::ctl {
namespace {

using keel::testing::TempDir;
using keel::testing::WaitUntil;
using keel::testing::WriteWholeFile;

PidFileRead Read(const std::string& path, PostmasterPid* out) {
  int saved_errno = 0;
  return ReadPostmasterPid(path, out, &saved_errno);
}

TEST(PostmasterPidTest, ParsesAllLines) {
  TempDir tmp;
  const std::string path = tmp.path() + "/postmaster.pid";
  ASSERT_TRUE(WriteWholeFile(path, "4268\n/tmp/d\n1795305945\n54329\n/tmp/sock\nlocalhost\n"
                                   " 10952969         4\nready   \n"));
  PostmasterPid pid;
  ASSERT_EQ(Read(path, &pid), PidFileRead::kOk);
  EXPECT_EQ(pid.pid, 4268);
  EXPECT_EQ(pid.lines.size(), 8u);
  EXPECT_EQ(pid.Line(kPidLineDataDir), "/tmp/d");
  EXPECT_EQ(pid.Line(kPidLinePort), "54329");
  EXPECT_EQ(pid.Line(kPidLineSocketDir), "/tmp/sock");
  EXPECT_EQ(pid.Line(kPidLineStatus), "ready   ");
  EXPECT_EQ(pid.Line(9), "");
  EXPECT_EQ(pid.Line(0), "");
  EXPECT_TRUE(pid.IsReady());
}

TEST(PostmasterPidTest, StatusLine) {
  TempDir tmp;
  const std::string path = tmp.path() + "/postmaster.pid";
  const std::string head = "100\n/d\n1\n5432\n\n\n        0         0\n";
  PostmasterPid pid;
  for (const auto& [status, ready] : std::vector<std::pair<std::string, bool>>{
           {"ready   ", true}, {"standby ", true}, {"starting", false}, {"stopping", false}}) {
    ASSERT_TRUE(WriteWholeFile(path, head + status + "\n"));
    ASSERT_EQ(Read(path, &pid), PidFileRead::kOk);
    EXPECT_EQ(pid.IsReady(), ready) << status;
  }
  // A file the postmaster has not finished filling in is not ready.
  ASSERT_TRUE(WriteWholeFile(path, "100\n/d\n"));
  ASSERT_EQ(Read(path, &pid), PidFileRead::kOk);
  EXPECT_FALSE(pid.IsReady());
}

TEST(PostmasterPidTest, MissingEmptyAndInvalid) {
  TempDir tmp;
  const std::string path = tmp.path() + "/postmaster.pid";
  PostmasterPid pid;
  EXPECT_EQ(Read(path, &pid), PidFileRead::kMissing);
  ASSERT_TRUE(WriteWholeFile(path, ""));
  EXPECT_EQ(Read(path, &pid), PidFileRead::kEmpty);
  for (const char* bad : {"abc\n", "-5\n", "0\n", "12x\n", "\n/d\n", "99999999999999999999\n"}) {
    ASSERT_TRUE(WriteWholeFile(path, bad));
    EXPECT_EQ(Read(path, &pid), PidFileRead::kInvalid) << bad;
  }
  ASSERT_TRUE(WriteWholeFile(path, "77"));  // no newline at all
  ASSERT_EQ(Read(path, &pid), PidFileRead::kOk);
  EXPECT_EQ(pid.pid, 77);
  // A directory where the file should be cannot be read.
  ASSERT_TRUE(std::filesystem::remove(path));
  std::filesystem::create_directory(path);
  int saved_errno = 0;
  EXPECT_NE(ReadPostmasterPid(path, &pid, &saved_errno), PidFileRead::kOk);
}

TEST(ProcessIsAliveTest, LiveDeadZombieSelf) {
  EXPECT_FALSE(ProcessIsAlive(::getpid()));
  EXPECT_FALSE(ProcessIsAlive(::getppid()));
  EXPECT_FALSE(ProcessIsAlive(0));
  EXPECT_FALSE(ProcessIsAlive(-1));

  pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    ::pause();
    ::_exit(0);
  }
  EXPECT_TRUE(ProcessIsAlive(child));
  ASSERT_EQ(::kill(child, SIGKILL), 0);
  // Not reaped yet: a zombie, which counts as dead.
  EXPECT_TRUE(WaitUntil([child] { return !ProcessIsAlive(child); }, 20, 10));
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);  // it really was unreaped until now
  EXPECT_FALSE(ProcessIsAlive(child));
}

}  // namespace
}  // namespace keel::ctl
