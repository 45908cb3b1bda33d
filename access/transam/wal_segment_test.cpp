// Segment files (README.md W18-W19): creation, and recycling or removal after a checkpoint.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include "access/transam/wal.h"
#include "access/transam/wal_test_util.h"
#include "backend/utils/config/settings.h"

namespace keel::transam {
namespace {

using namespace testing;  // NOLINT

class WalSegmentTest : public ::testing::Test {
 protected:
  void SetUp() override {
    settings::fsync = false;
    settings::checkpoint_completion_target = 0.9;
    cluster_.StartFresh();
  }
  static bool Exists(uint64_t segno) {
    return access(WalSegmentFileName(1, segno).c_str(), F_OK) == 0;
  }
  static std::vector<std::string> WalFiles() {
    std::vector<std::string> names;
    for (const auto& entry : std::filesystem::directory_iterator(kWalDirectory)) {
      names.push_back(entry.path().filename().string());
    }
    std::sort(names.begin(), names.end());
    return names;
  }
  WalTestCluster cluster_;
};

TEST_F(WalSegmentTest, CreateWritesAWholeZeroedSegmentAndLeavesNoTemporaryFile) {
  WalCreateSegment(".", 1, 7);
  struct stat st;
  ASSERT_EQ(stat(WalSegmentFileName(1, 7).c_str(), &st), 0);
  EXPECT_EQ(static_cast<uint64_t>(st.st_size), kWalSegmentSize);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_EQ(static_cast<uint64_t>(st.st_blocks) * 512, kWalSegmentSize);  // no holes
  const int fd = open(WalSegmentFileName(1, 7).c_str(), O_RDWR);
  ASSERT_GE(fd, 0);
  std::vector<char> buf(1 << 20);
  bool all_zero = true;
  for (off_t off = 0; off < static_cast<off_t>(kWalSegmentSize); off += 1 << 20) {
    ASSERT_EQ(pread(fd, buf.data(), buf.size(), off), static_cast<ssize_t>(buf.size()));
    for (char c : buf) all_zero = all_zero && c == 0;
  }
  EXPECT_TRUE(all_zero);
  // Creating it again (a race with another creator) keeps the existing file.
  ASSERT_EQ(pwrite(fd, "x", 1, 100), 1);
  close(fd);
  WalCreateSegment(".", 1, 7);
  char c = 0;
  const int fd2 = open(WalSegmentFileName(1, 7).c_str(), O_RDONLY);
  ASSERT_EQ(pread(fd2, &c, 1, 100), 1);
  close(fd2);
  EXPECT_EQ(c, 'x');
  EXPECT_EQ(WalFiles(), std::vector<std::string>{"000000010000000000000007"});
}

TEST_F(WalSegmentTest, CreateInAMissingDirectoryFails) {
  try {
    WalCreateSegment("does-not-exist", 1, 1);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.sqlstate(), sqlstate::kUndefinedFile);
    EXPECT_NE(std::string(e.message()).find("could not create file \"does-not-exist/wal/xlogtemp."),
              std::string::npos)
        << e.message();
  }
}

TEST_F(WalSegmentTest, OldSegmentsAreRecycledUpToMinWalSize) {
  settings::min_wal_size_mb = 160;   // keep 10 segments from the redo pointer's on
  settings::max_wal_size_mb = 1024;
  for (uint64_t s = 1; s <= 6; ++s) WalCreateSegment(".", 1, s);
  WalRemoveOldSegments(Lsn(5 * kWalSegmentSize + 40));
  for (uint64_t s = 1; s <= 4; ++s) EXPECT_FALSE(Exists(s)) << s;
  for (uint64_t s = 5; s <= 10; ++s) EXPECT_TRUE(Exists(s)) << s;  // 7..10 are recycled 1..4
  EXPECT_FALSE(Exists(11));
  struct stat st;
  ASSERT_EQ(stat(WalSegmentFileName(1, 10).c_str(), &st), 0);
  EXPECT_EQ(static_cast<uint64_t>(st.st_size), kWalSegmentSize);
}

TEST_F(WalSegmentTest, OldSegmentsBeyondMaxWalSizeAreRemoved) {
  settings::min_wal_size_mb = 32;
  settings::max_wal_size_mb = 32;   // two segments: the redo one and the next, which exists
  for (uint64_t s = 1; s <= 6; ++s) WalCreateSegment(".", 1, s);
  WalRemoveOldSegments(Lsn(5 * kWalSegmentSize + 40));
  EXPECT_EQ(WalFiles(),
            (std::vector<std::string>{"000000010000000000000005", "000000010000000000000006"}));
  // Nothing before the redo pointer: nothing to do.
  WalRemoveOldSegments(Lsn(5 * kWalSegmentSize + 4000));
  EXPECT_EQ(WalFiles().size(), 2u);
}

TEST_F(WalSegmentTest, RecycledSegmentIsReusedByTheWriter) {
  settings::min_wal_size_mb = 160;
  settings::max_wal_size_mb = 1024;
  // Segment 1 gets real records; it is then recycled as segment 2, which the log enters next.
  std::vector<Lsn> ends;
  while (WalSegmentOf(WalInsertPosition()) < 1 || ends.size() < 50) {
    ends.push_back(InsertTestRecord(Pattern(200000, static_cast<uint32_t>(ends.size()))));
  }
  WalFlush(ends.back());
  ASSERT_EQ(WalSegmentOf(ends.back()), 1u);
  std::filesystem::copy_file(WalSegmentFileName(1, 1), "wal/000000010000000000000000");
  WalRemoveOldSegments(Lsn(kWalSegmentSize + 40));  // segment 0 -> recycled as segment 2
  ASSERT_TRUE(Exists(2));
  while (WalSegmentOf(WalInsertPosition()) < 2) {
    ends.push_back(InsertTestRecord(Pattern(200000, static_cast<uint32_t>(ends.size()))));
  }
  ends.push_back(InsertTestRecord(Pattern(100, 1)));
  WalFlush(ends.back());
  const ReadResult r = ReadAll();
  ASSERT_EQ(r.records.size(), ends.size()) << r.error;
  EXPECT_EQ(r.end, ends.back());
  EXPECT_EQ(r.records.back().main_data, Pattern(100, 1));
}

}  // namespace
}  // namespace keel::transam
