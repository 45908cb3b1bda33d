// Tests for TempDir and TempRoot (README.md here, P5).
#include "tests/support/temp_dir.h"

#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <string>

#include <gtest/gtest.h>

namespace keel::testing {
namespace {

namespace fs = std::filesystem;

TEST(TempDirTest, CreatesDistinctDirectoriesAndRemovesThemWithContents) {
  std::string kept_path;
  {
    TempDir a;
    TempDir b;
    ASSERT_TRUE(fs::is_directory(a.path()));
    ASSERT_TRUE(fs::is_directory(b.path()));
    EXPECT_NE(a.path(), b.path());
    EXPECT_EQ(a.path().front(), '/');
    fs::create_directories(a.path() + "/x/y");
    std::ofstream(a.path() + "/x/y/file") << "data";
    kept_path = a.path();
  }
  EXPECT_FALSE(fs::exists(kept_path));
}

TEST(TempDirTest, HonoursTmpdir) {
  TempDir outer;
  const char* old = std::getenv("TMPDIR");
  std::string saved = old != nullptr ? old : "";
  ::setenv("TMPDIR", outer.path().c_str(), 1);
  EXPECT_EQ(TempRoot(), outer.path());
  {
    TempDir inner;
    EXPECT_EQ(fs::path(inner.path()).parent_path().string(), outer.path());
  }
  ::setenv("TMPDIR", "", 1);
  EXPECT_EQ(TempRoot(), "/tmp");
  if (old != nullptr) {
    ::setenv("TMPDIR", saved.c_str(), 1);
  } else {
    ::unsetenv("TMPDIR");
  }
}

TEST(TempDirTest, ThrowsWhenTheDirectoryCannotBeMade) {
  const char* old = std::getenv("TMPDIR");
  std::string saved = old != nullptr ? old : "";
  ::setenv("TMPDIR", "/nonexistent/keel-no-such-dir", 1);
  EXPECT_THROW(TempDir(), std::system_error);
  if (old != nullptr) {
    ::setenv("TMPDIR", saved.c_str(), 1);
  } else {
    ::unsetenv("TMPDIR");
  }
}

}  // namespace
}  // namespace keel::testing
