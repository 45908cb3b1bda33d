/* Test-only LD_PRELOAD shim: pipe2() fails with EMFILE in processes that the one that loaded it
 * (the postmaster) forked while the file named by KEEL_TEST_FAIL_CHILD_PIPE2 existed.
 * Reproduces a child whose set-up fails (tests/e2e/postmaster_robustness_test.cpp).
 * Deciding at fork time, not at pipe2 time, keeps children forked before the marker appeared
 * (auxiliary processes whose set-up runs a little late) out of it: a failing auxiliary process
 * rightly makes the postmaster restart everything, which is not what the test is about. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

static pid_t original_pid;
static int fail_in_this_child; /* set in the parent just before fork, inherited by the child */

__attribute__((constructor)) static void remember_loader(void) { original_pid = getpid(); }

static int marker_exists(void) {
  const char* marker = getenv("KEEL_TEST_FAIL_CHILD_PIPE2");
  struct stat st;
  return marker != NULL && stat(marker, &st) == 0;
}

pid_t fork(void) {
  static pid_t (*real_fork)(void);
  if (real_fork == NULL) real_fork = (pid_t(*)(void))dlsym(RTLD_NEXT, "fork");
  if (getpid() == original_pid) fail_in_this_child = marker_exists();
  return real_fork();
}

int pipe2(int fds[2], int flags) {
  static int (*real_pipe2)(int*, int);
  if (real_pipe2 == NULL) real_pipe2 = (int (*)(int*, int))dlsym(RTLD_NEXT, "pipe2");
  if (getpid() != original_pid && fail_in_this_child) {
    errno = EMFILE;
    return -1;
  }
  return real_pipe2(fds, flags);
}
