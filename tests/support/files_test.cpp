// Tests for ReadWholeFile, WriteWholeFile and AppendToFile (README.md here).
#include "tests/support/files.h"

#include <string>

#include <gtest/gtest.h>

#include "tests/support/temp_dir.h"

namespace keel::testing {
namespace {

TEST(FilesTest, RoundTripKeepsEveryByte) {
  TempDir tmp;
  const std::string path = tmp.path() + "/f";
  const std::string bytes("a\0b\r\n\xff", 6);
  ASSERT_TRUE(WriteWholeFile(path, bytes));
  EXPECT_EQ(ReadWholeFile(path), bytes);
  ASSERT_TRUE(WriteWholeFile(path, "short"));  // truncates
  EXPECT_EQ(ReadWholeFile(path), "short");
}

TEST(FilesTest, AppendCreatesThenAppends) {
  TempDir tmp;
  const std::string path = tmp.path() + "/log";
  ASSERT_TRUE(AppendToFile(path, "one\n"));
  ASSERT_TRUE(AppendToFile(path, "two\n"));
  EXPECT_EQ(ReadWholeFile(path), "one\ntwo\n");
}

TEST(FilesTest, FailuresAreReported) {
  TempDir tmp;
  EXPECT_EQ(ReadWholeFile(tmp.path() + "/missing"), std::nullopt);
  EXPECT_FALSE(WriteWholeFile(tmp.path() + "/no/such/dir/f", "x"));
  EXPECT_FALSE(AppendToFile(tmp.path() + "/no/such/dir/f", "x"));
}

}  // namespace
}  // namespace keel::testing
