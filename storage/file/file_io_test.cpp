// File-I/O wrapper tests: transfers at offsets, end of file, vectored I/O, allocation, the
// errno -> SQLSTATE map, and (Debug builds) every kind of injected fault. See README.md.
#include "storage/file/file_io.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace keel::storage {
namespace {

class FileIoTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/keel_file_io_XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override {
#ifdef KEEL_DEBUG
    TestOnlyClearFaults();
#endif
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  std::string Path(const char* name) const { return dir_ + "/" + name; }

  std::string dir_;
};

std::vector<char> Pattern(size_t n, int seed) {
  std::vector<char> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = static_cast<char>((i * 31 + seed * 7) & 0xFF);
  return v;
}

TEST_F(FileIoTest, WriteAndReadAtOffsets) {
  const int fd = FileOpen(Path("a"), O_RDWR | O_CREAT);
  ASSERT_GE(fd, 0);
  const auto one = Pattern(5000, 1);
  const auto two = Pattern(3000, 2);
  ASSERT_EQ(FileWriteAt(fd, one.data(), one.size(), 0), 5000);
  ASSERT_EQ(FileWriteAt(fd, two.data(), two.size(), 10000), 3000);
  std::vector<char> got(5000);
  ASSERT_EQ(FileReadAt(fd, got.data(), got.size(), 0), 5000);
  EXPECT_EQ(got, one);
  std::vector<char> hole(100, 'x');
  ASSERT_EQ(FileReadAt(fd, hole.data(), hole.size(), 6000), 100);
  EXPECT_EQ(hole, std::vector<char>(100, 0));  // the gap reads as zeros
  // A read crossing the end of the file returns what there is; at the end, 0.
  std::vector<char> tail(5000);
  EXPECT_EQ(FileReadAt(fd, tail.data(), tail.size(), 11000), 2000);
  EXPECT_EQ(0, memcmp(tail.data(), two.data() + 1000, 2000));
  EXPECT_EQ(FileReadAt(fd, tail.data(), tail.size(), 13000), 0);
  EXPECT_EQ(FileSync(fd), 0);
  EXPECT_EQ(FileDataSync(fd), 0);
  EXPECT_EQ(FileTruncate(fd, 4096), 0);
  struct stat st;
  ASSERT_EQ(fstat(fd, &st), 0);
  EXPECT_EQ(st.st_size, 4096);
  EXPECT_EQ(FileClose(fd), 0);
  EXPECT_EQ(FsyncDirectory(dir_), 0);
}

TEST_F(FileIoTest, VectoredReadAndWrite) {
  const int fd = FileOpen(Path("v"), O_RDWR | O_CREAT);
  ASSERT_GE(fd, 0);
  auto a = Pattern(8192, 3), b = Pattern(100, 4), c = Pattern(8192, 5);
  struct iovec out[3] = {{a.data(), a.size()}, {b.data(), b.size()}, {c.data(), c.size()}};
  ASSERT_EQ(FileWritevAt(fd, out, 3, 512), 8192 + 100 + 8192);
  std::vector<char> x(8192), y(100), z(8192);
  struct iovec in[3] = {{x.data(), x.size()}, {y.data(), y.size()}, {z.data(), z.size()}};
  ASSERT_EQ(FileReadvAt(fd, in, 3, 512), 8192 + 100 + 8192);
  EXPECT_EQ(x, a);
  EXPECT_EQ(y, b);
  EXPECT_EQ(z, c);
  // Short at the end of file.
  ASSERT_EQ(FileReadvAt(fd, in, 3, 512 + 8192), 100 + 8192);
  EXPECT_EQ(in[0].iov_len, 8192u);  // the caller's array is untouched
  (void)FileClose(fd);
}

TEST_F(FileIoTest, AllocateMakesZeros) {
  const int fd = FileOpen(Path("f"), O_RDWR | O_CREAT);
  ASSERT_GE(fd, 0);
  const auto data = Pattern(100, 6);
  ASSERT_EQ(FileWriteAt(fd, data.data(), data.size(), 0), 100);
  ASSERT_EQ(FileAllocate(fd, 8192, 3 * 8192), 0);
  struct stat st;
  ASSERT_EQ(fstat(fd, &st), 0);
  EXPECT_EQ(st.st_size, 4 * 8192);
  std::vector<char> got(3 * 8192, 'x');
  ASSERT_EQ(FileReadAt(fd, got.data(), got.size(), 8192), 3 * 8192);
  EXPECT_EQ(got, std::vector<char>(3 * 8192, 0));
  (void)FileClose(fd);
}

TEST_F(FileIoTest, OpenFailureSetsErrno) {
  errno = 0;
  EXPECT_LT(FileOpen(Path("missing/file"), O_RDWR), 0);
  EXPECT_EQ(errno, ENOENT);
  EXPECT_LT(FsyncDirectory(Path("nodir")), 0);
}

TEST_F(FileIoTest, SqlStateForErrno) {
  EXPECT_EQ(FileAccessSqlState(ENOENT).code(), "58P01");
  EXPECT_EQ(FileAccessSqlState(EEXIST).code(), "58P02");
  EXPECT_EQ(FileAccessSqlState(EACCES).code(), "42501");
  EXPECT_EQ(FileAccessSqlState(EROFS).code(), "42501");
  EXPECT_EQ(FileAccessSqlState(EISDIR).code(), "42809");
  EXPECT_EQ(FileAccessSqlState(ENOSPC).code(), "53100");
  EXPECT_EQ(FileAccessSqlState(EMFILE).code(), "53000");
  EXPECT_EQ(FileAccessSqlState(EIO).code(), "58030");
  EXPECT_EQ(FileAccessSqlState(EINVAL).code(), "XX000");
}

TEST_F(FileIoTest, PanicOnFsyncFailureAborts) {
  EXPECT_DEATH(PanicOnFsyncFailure("base/1/2", EIO),
               "could not fsync file \"base/1/2\": Input/output error");
}

#ifdef KEEL_DEBUG

TEST_F(FileIoTest, InjectedEioHitsOnlyMatchingPaths) {
  const int a = FileOpen(Path("rel_a"), O_RDWR | O_CREAT);
  const int b = FileOpen(Path("rel_b"), O_RDWR | O_CREAT);
  ASSERT_GE(a, 0);
  ASSERT_GE(b, 0);
  char buf[64] = {};
  ASSERT_EQ(FileWriteAt(a, buf, sizeof(buf), 0), 64);
  ASSERT_EQ(FileWriteAt(b, buf, sizeof(buf), 0), 64);
  TestOnlyInjectFault(FaultKind::kEio, "rel_a", 2);
  EXPECT_EQ(FileReadAt(b, buf, sizeof(buf), 0), 64);  // other path: untouched
  errno = 0;
  EXPECT_EQ(FileReadAt(a, buf, sizeof(buf), 0), -1);
  EXPECT_EQ(errno, EIO);
  errno = 0;
  EXPECT_EQ(FileWriteAt(a, buf, sizeof(buf), 0), -1);  // the second of two
  EXPECT_EQ(errno, EIO);
  EXPECT_EQ(FileReadAt(a, buf, sizeof(buf), 0), 64);  // used up
  (void)FileClose(a);
  (void)FileClose(b);
}

TEST_F(FileIoTest, InjectedEnospcAndShortWrite) {
  const int fd = FileOpen(Path("w"), O_RDWR | O_CREAT);
  ASSERT_GE(fd, 0);
  const auto data = Pattern(8192, 7);
  TestOnlyInjectFault(FaultKind::kEnospc, "");
  errno = 0;
  EXPECT_EQ(FileWriteAt(fd, data.data(), data.size(), 0), -1);
  EXPECT_EQ(errno, ENOSPC);
  struct stat st;
  ASSERT_EQ(fstat(fd, &st), 0);
  EXPECT_EQ(st.st_size, 0);  // nothing written

  TestOnlyInjectFault(FaultKind::kShortWrite, "w");
  errno = 0;
  EXPECT_EQ(FileWriteAt(fd, data.data(), data.size(), 0), -1);
  EXPECT_EQ(errno, ENOSPC);
  ASSERT_EQ(fstat(fd, &st), 0);
  EXPECT_EQ(st.st_size, 4096);  // half of it reached the file
  std::vector<char> got(4096);
  ASSERT_EQ(FileReadAt(fd, got.data(), got.size(), 0), 4096);
  EXPECT_EQ(0, memcmp(got.data(), data.data(), 4096));

  // Vectored short write: half of the bytes, in order.
  ASSERT_EQ(FileTruncate(fd, 0), 0);
  auto b = Pattern(8192, 8);
  struct iovec iov[2] = {{const_cast<char*>(data.data()), 8192}, {b.data(), 8192}};
  TestOnlyInjectFault(FaultKind::kShortWrite, "");
  EXPECT_EQ(FileWritevAt(fd, iov, 2, 0), -1);
  EXPECT_EQ(errno, ENOSPC);
  ASSERT_EQ(fstat(fd, &st), 0);
  EXPECT_EQ(st.st_size, 8192);

  TestOnlyInjectFault(FaultKind::kEnospc, "w");
  EXPECT_EQ(FileAllocate(fd, 0, 1 << 20), -1);
  EXPECT_EQ(errno, ENOSPC);
  (void)FileClose(fd);
}

TEST_F(FileIoTest, InjectedFsyncFailure) {
  const int fd = FileOpen(Path("s"), O_RDWR | O_CREAT);
  ASSERT_GE(fd, 0);
  TestOnlyInjectFault(FaultKind::kFsyncFailure, "s", 2);
  char buf[8] = {};
  EXPECT_EQ(FileWriteAt(fd, buf, sizeof(buf), 0), 8);  // writes are not hit
  EXPECT_EQ(FileSync(fd), -1);
  EXPECT_EQ(errno, EIO);
  EXPECT_EQ(FileDataSync(fd), -1);
  EXPECT_EQ(FileSync(fd), 0);
  TestOnlyInjectFault(FaultKind::kFsyncFailure, dir_);
  EXPECT_EQ(FsyncDirectory(dir_), -1);
  EXPECT_EQ(FsyncDirectory(dir_), 0);
  (void)FileClose(fd);
}

TEST_F(FileIoTest, ClosedDescriptorForgetsItsPath) {
  const int a = FileOpen(Path("first"), O_RDWR | O_CREAT);
  ASSERT_GE(a, 0);
  (void)FileClose(a);
  const int b = FileOpen(Path("second"), O_RDWR | O_CREAT);  // usually reuses a's number
  ASSERT_GE(b, 0);
  TestOnlyInjectFault(FaultKind::kEio, "first");
  char buf[8];
  EXPECT_EQ(FileReadAt(b, buf, sizeof(buf), 0), 0);  // "second" is not hit
  EXPECT_EQ(TestOnlyTakeFault(b, FileOp::kRead), std::nullopt);
  TestOnlyClearFaults();
  TestOnlyInjectFault(FaultKind::kEio, "second");
  EXPECT_EQ(TestOnlyTakeFault(b, FileOp::kSync), std::nullopt);  // EIO does not hit fsync
  EXPECT_EQ(TestOnlyTakeFault(b, FileOp::kRead), FaultKind::kEio);
  (void)FileClose(b);
}

#endif  // KEEL_DEBUG

}  // namespace
}  // namespace keel::storage
