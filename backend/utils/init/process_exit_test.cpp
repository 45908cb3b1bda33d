// Tests for the process exit path: cleanups run in reverse order, then _exit.
#include "backend/utils/init/process_exit.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>

namespace keel {
namespace {

// Everything the child wrote, up to EOF (the writes may arrive one by one).
std::string ReadAll(int fd) {
  std::string out;
  char buf[64];
  ssize_t n;
  while ((n = read(fd, buf, sizeof(buf))) > 0) out.append(buf, static_cast<size_t>(n));
  return out;
}

TEST(ProcessExitTest, RunsCleanupsInReverseThenExitsWithCode) {
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    close(fds[0]);
    OnProcessExit([&] { (void)!write(fds[1], "a", 1); });
    OnProcessExit([&] { (void)!write(fds[1], "b", 1); });
    ProcessExit(7);
  }
  close(fds[1]);
  std::string written = ReadAll(fds[0]);
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  EXPECT_EQ(written, "ba");
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 7);
  close(fds[0]);
}

TEST(ProcessExitTest, ForgottenCleanupsDoNotRun) {
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    close(fds[0]);
    OnProcessExit([&] { (void)!write(fds[1], "x", 1); });
    ForgetProcessExitCleanups();
    ProcessExit(0);
  }
  close(fds[1]);
  std::string written = ReadAll(fds[0]);
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  EXPECT_EQ(written, "");
  close(fds[0]);
}

}  // namespace
}  // namespace keel
