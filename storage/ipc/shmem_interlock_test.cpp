// Interlock tests: in use while any forked process stays attached (even after the creator
// detached), gone once all exited, not ours for another directory or a bogus id.
// See storage/ipc/README.md.
#include "storage/ipc/shmem_interlock.h"

#include <stdlib.h>
#include <unistd.h>

#include <string>

#include <gtest/gtest.h>

#include "backend/utils/error/error.h"
#include "storage/ipc/fork_test_util.h"

namespace keel::storage {
namespace {

using testing::ForkChild;
using testing::WaitChild;

class InterlockTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char dir_a[] = "/tmp/keel_interlock_a_XXXXXX";
    char dir_b[] = "/tmp/keel_interlock_b_XXXXXX";
    ASSERT_NE(mkdtemp(dir_a), nullptr);
    ASSERT_NE(mkdtemp(dir_b), nullptr);
    dir_a_ = dir_a;
    dir_b_ = dir_b;
  }
  void TearDown() override {
    rmdir(dir_a_.c_str());
    rmdir(dir_b_.c_str());
  }

  std::string dir_a_;
  std::string dir_b_;
};

TEST_F(InterlockTest, InUseWhileAChildStaysAttached) {
  const InterlockId id = CreateShmemInterlock(dir_a_);
  EXPECT_GT(id.key, 0);
  EXPECT_GE(id.shmid, 0);
  EXPECT_EQ(CheckShmemInterlock(id, dir_a_), InterlockState::kInUse);
  EXPECT_EQ(CheckShmemInterlock(id, dir_b_), InterlockState::kNotOurs);

  // A child inherits the attachment and keeps it until we close the pipe it blocks on.
  int hold[2];
  ASSERT_EQ(pipe(hold), 0);
  const pid_t child = ForkChild([&] {
    close(hold[1]);
    char byte;
    while (read(hold[0], &byte, 1) > 0) {
    }
    return 0;
  });
  close(hold[0]);

  // The creator (the old postmaster) goes away; its child still runs.
  ReleaseShmemInterlock(id);
  EXPECT_EQ(CheckShmemInterlock(id, dir_a_), InterlockState::kInUse);

  close(hold[1]);
  EXPECT_EQ(WaitChild(child), 0);
  EXPECT_EQ(CheckShmemInterlock(id, dir_a_), InterlockState::kGone);
}

TEST_F(InterlockTest, GoneAfterTheCreatorReleasesIt) {
  const InterlockId id = CreateShmemInterlock(dir_a_);
  EXPECT_EQ(CheckShmemInterlock(id, dir_a_), InterlockState::kInUse);
  ReleaseShmemInterlock(id);
  EXPECT_EQ(CheckShmemInterlock(id, dir_a_), InterlockState::kGone);
  ReleaseShmemInterlock(id);  // not attached any more: no-op
}

TEST_F(InterlockTest, GoneWhenTheWholeServerCrashed) {
  // A "postmaster" creates it and is killed without any cleanup: the segment stays, with no
  // process attached, and the next server on the directory reclaims it.
  int report[2];
  ASSERT_EQ(pipe(report), 0);
  const pid_t postmaster = ForkChild([&] {
    const InterlockId id = CreateShmemInterlock(dir_a_);
    if (write(report[1], &id, sizeof id) != static_cast<ssize_t>(sizeof id)) return 1;
    pause();
    return 0;
  });
  InterlockId id{};
  ASSERT_EQ(read(report[0], &id, sizeof id), static_cast<ssize_t>(sizeof id));
  EXPECT_EQ(CheckShmemInterlock(id, dir_a_), InterlockState::kInUse);
  kill(postmaster, SIGKILL);
  EXPECT_EQ(WaitChild(postmaster), -SIGKILL);
  EXPECT_EQ(CheckShmemInterlock(id, dir_a_), InterlockState::kGone);
  const InterlockId next = CreateShmemInterlock(dir_a_);
  EXPECT_EQ(next.key, id.key);  // the abandoned segment's key is reused
  EXPECT_EQ(CheckShmemInterlock(next, dir_a_), InterlockState::kInUse);
  ReleaseShmemInterlock(next);
  close(report[0]);
  close(report[1]);
}

TEST_F(InterlockTest, SecondServerIsRefusedByKeyAlone) {
  // No postmaster.pid is consulted here: the key derived from the directory finds the live
  // segment, so a second server cannot start even if the pid file was deleted.
  const InterlockId id = CreateShmemInterlock(dir_a_);
  const pid_t other = ForkChild([&] {
    ReleaseShmemInterlockInChild();  // a separate server process, not one of ours
    try {
      (void)CreateShmemInterlock(dir_a_);
    } catch (const Error& e) {
      return e.message().find("is still in use") != std::string::npos ? 0 : 2;
    }
    return 1;
  });
  EXPECT_EQ(WaitChild(other), 0);
  ReleaseShmemInterlock(id);
}

TEST_F(InterlockTest, TwoDirectoriesGetTwoSegments) {
  const InterlockId a = CreateShmemInterlock(dir_a_);
  // Only one attachment is remembered per process (one server per process), so the second
  // interlock is created by a child.
  int report[2];
  ASSERT_EQ(pipe(report), 0);
  int hold[2];
  ASSERT_EQ(pipe(hold), 0);
  const pid_t child = ForkChild([&] {
    ReleaseShmemInterlockInChild();  // the child does not belong to server A
    const InterlockId b = CreateShmemInterlock(dir_b_);
    if (write(report[1], &b, sizeof b) != static_cast<ssize_t>(sizeof b)) return 1;
    close(hold[1]);
    char byte;
    while (read(hold[0], &byte, 1) > 0) {
    }
    return 0;
  });
  close(hold[0]);
  InterlockId b{};
  ASSERT_EQ(read(report[0], &b, sizeof b), static_cast<ssize_t>(sizeof b));
  EXPECT_NE(a.shmid, b.shmid);
  EXPECT_EQ(CheckShmemInterlock(b, dir_b_), InterlockState::kInUse);
  EXPECT_EQ(CheckShmemInterlock(b, dir_a_), InterlockState::kNotOurs);
  EXPECT_EQ(CheckShmemInterlock(a, dir_b_), InterlockState::kNotOurs);
  close(hold[1]);
  EXPECT_EQ(WaitChild(child), 0);
  EXPECT_EQ(CheckShmemInterlock(b, dir_b_), InterlockState::kGone);
  EXPECT_EQ(CheckShmemInterlock(a, dir_a_), InterlockState::kInUse);
  ReleaseShmemInterlock(a);
  close(report[0]);
  close(report[1]);
}

TEST_F(InterlockTest, BogusIdsAreNotInUse) {
  EXPECT_EQ(CheckShmemInterlock(InterlockId{1, 0x7ffffff0}, dir_a_), InterlockState::kGone);
  EXPECT_EQ(CheckShmemInterlock(InterlockId{1, -1}, dir_a_), InterlockState::kNotOurs);
}

TEST_F(InterlockTest, MissingDataDirectoryIsFatal) {
  EXPECT_THROW((void)CreateShmemInterlock(dir_a_ + "/does-not-exist"), keel::Error);
}

}  // namespace
}  // namespace keel::storage
