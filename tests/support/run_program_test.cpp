// Tests for RunProgram and KeelBinary (README.md here, P1-P4).
#include "tests/support/run_program.h"

#include <signal.h>
#include <stdlib.h>

#include <string>

#include <gtest/gtest.h>

namespace keel::testing {
namespace {

// Sets an environment variable of this process for one scope.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) {
    const char* old = std::getenv(name);
    if (old != nullptr) old_ = old;
    had_old_ = old != nullptr;
    ::setenv(name, value, 1);
  }
  ~ScopedEnv() {
    if (had_old_) {
      ::setenv(name_, old_.c_str(), 1);
    } else {
      ::unsetenv(name_);
    }
  }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  const char* name_;
  std::string old_;
  bool had_old_ = false;
};

TEST(RunProgramTest, CapturesStdoutStderrAndExitCodeSeparately) {
  ProgramResult r = RunProgram({"/bin/sh", "-c", "echo to-out; echo to-err >&2; exit 3"});
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_FALSE(r.timed_out);
  EXPECT_EQ(r.out, "to-out\n");
  EXPECT_EQ(r.err, "to-err\n");
  EXPECT_EQ(r.Output(), "to-out\nto-err\n");
}

TEST(RunProgramTest, FindsProgramsInPath) {
  ProgramResult r = RunProgram({"sh", "-c", "printf found"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "found");
}

TEST(RunProgramTest, StdinIsEmpty) {
  ProgramResult r = RunProgram({"/bin/sh", "-c", "cat; echo done"}, {}, 20);
  EXPECT_FALSE(r.timed_out);
  EXPECT_EQ(r.out, "done\n");
}

TEST(RunProgramTest, SignalIsReportedAs128PlusSignal) {
  ProgramResult r = RunProgram({"/bin/sh", "-c", "kill -TERM $$"});  // P2
  EXPECT_FALSE(r.timed_out);
  EXPECT_EQ(r.exit_code, 128 + SIGTERM);
}

TEST(RunProgramTest, ExecFailureIs127WithMessage) {
  ProgramResult r = RunProgram({"/nonexistent/keel-no-such-program"});
  EXPECT_EQ(r.exit_code, 127);
  EXPECT_NE(r.err.find("could not execute \"/nonexistent/keel-no-such-program\""),
            std::string::npos)
      << r.err;
}

TEST(RunProgramTest, TimeLimitKillsTheChild) {
  ProgramResult r = RunProgram({"/bin/sh", "-c", "echo before; exec sleep 60"}, {}, 1);  // P3
  EXPECT_TRUE(r.timed_out);
  EXPECT_EQ(r.exit_code, 128 + SIGKILL);
  EXPECT_EQ(r.out, "before\n");  // what was written before the kill is kept
}

// P1: a background process that keeps stdout open must not make RunProgram wait for it.
TEST(RunProgramTest, BackgroundChildHoldingOutputDoesNotBlock) {
  ProgramResult r = RunProgram({"/bin/sh", "-c", "sleep 60 & echo $!"}, {}, 30);
  ASSERT_FALSE(r.timed_out);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  long background = std::strtol(r.out.c_str(), nullptr, 10);
  ASSERT_GT(background, 0) << r.out;
  ::kill(static_cast<pid_t>(background), SIGKILL);
}

TEST(RunProgramTest, EnvironmentChangesSetAndUnset) {
  ScopedEnv inherited("KEEL_SUPPORT_TEST_INHERITED", "from-parent");
  ScopedEnv removed("KEEL_SUPPORT_TEST_REMOVED", "should-go");
  ProgramResult r = RunProgram(
      {"/bin/sh", "-c",
       "echo \"$KEEL_SUPPORT_TEST_INHERITED ${KEEL_SUPPORT_TEST_REMOVED-unset} "
       "$KEEL_SUPPORT_TEST_ADDED\""},
      {{"KEEL_SUPPORT_TEST_REMOVED", std::nullopt}, {"KEEL_SUPPORT_TEST_ADDED", "added"}});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "from-parent unset added\n");
}

TEST(RunProgramTest, LaterChangeOfTheSameNameWins) {
  ProgramResult r = RunProgram({"/bin/sh", "-c", "echo \"$KEEL_SUPPORT_TEST_TWICE\""},
                               {{"KEEL_SUPPORT_TEST_TWICE", "one"},
                                {"KEEL_SUPPORT_TEST_TWICE", "two"}});
  EXPECT_EQ(r.out, "two\n");
}

// P4: the caller's KEELDATA / KEELCTLTIMEOUT never leak into a test's child.
TEST(RunProgramTest, KeelVariablesAreScrubbedUnlessGiven) {
  ScopedEnv data("KEELDATA", "/from/the/shell");
  ScopedEnv timeout("KEELCTLTIMEOUT", "7");
  const std::vector<std::string> argv = {
      "/bin/sh", "-c", "echo \"${KEELDATA-unset} ${KEELCTLTIMEOUT-unset}\""};
  EXPECT_EQ(RunProgram(argv).out, "unset unset\n");
  EXPECT_EQ(RunProgram(argv, {{"KEELDATA", "/given"}}).out, "/given unset\n");
}

TEST(RunProgramTest, KeelBinaryIsInTheBuildTreesBin) {
  std::string path = KeelBinary("keel-ctl");
  ASSERT_FALSE(path.empty());
  EXPECT_EQ(path.front(), '/');
  const std::string suffix = "/bin/keel-ctl";
  ASSERT_GE(path.size(), suffix.size());
  EXPECT_EQ(path.substr(path.size() - suffix.size()), suffix);
}

}  // namespace
}  // namespace keel::testing
