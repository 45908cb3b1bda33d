/* Test-only LD_PRELOAD shim: pipe2() fails with EMFILE in processes forked from the one that
 * loaded it (the postmaster's children) while the file named by KEEL_TEST_FAIL_CHILD_PIPE2
 * exists. Reproduces a child whose set-up fails (tests/e2e/postmaster_robustness_test.cpp). */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

static pid_t original_pid;

__attribute__((constructor)) static void remember_loader(void) { original_pid = getpid(); }

int pipe2(int fds[2], int flags) {
  static int (*real_pipe2)(int*, int);
  if (real_pipe2 == NULL) real_pipe2 = (int (*)(int*, int))dlsym(RTLD_NEXT, "pipe2");
  const char* marker = getenv("KEEL_TEST_FAIL_CHILD_PIPE2");
  struct stat st;
  if (marker != NULL && getpid() != original_pid && stat(marker, &st) == 0) {
    errno = EMFILE;
    return -1;
  }
  return real_pipe2(fds, flags);
}
