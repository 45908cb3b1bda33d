// Temporary files: PostgreSQL's names, creation of the directory, removal by the owner (also
// after a move) and by the start-up sweep, and file errors. README.md ("Tests").
#include "backend/utils/sort/temp_file.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "backend/utils/error/error.h"
#include "backend/utils/init/paths.h"
#include "storage/file/file_io.h"

namespace keel::sort {
namespace {

namespace fs = std::filesystem;

class TempFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/keel_temp_file_test_XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    root_ = tmpl;
    dir_ = root_ + "/base/pgsql_tmp";
  }
  void TearDown() override {
#ifdef KEEL_DEBUG
    storage::TestOnlyClearFaults();
#endif
    std::error_code ec;
    fs::remove_all(root_, ec);
  }
  std::string root_;
  std::string dir_;
};

TEST_F(TempFileTest, NamesFollowPostgres) {
  TempFile a = TempFile::Create(dir_);  // makes base/pgsql_tmp
  TempFile b = TempFile::Create(dir_);
  const std::string prefix = dir_ + "/pgsql_tmp" + std::to_string(getpid()) + ".";
  ASSERT_TRUE(a.path().starts_with(prefix)) << a.path();
  ASSERT_TRUE(b.path().starts_with(prefix)) << b.path();
  const uint64_t na = std::stoull(a.path().substr(prefix.size()));
  const uint64_t nb = std::stoull(b.path().substr(prefix.size()));
  EXPECT_EQ(nb, na + 1);
  EXPECT_TRUE(fs::exists(a.path()));
  EXPECT_TRUE(fs::exists(b.path()));
}

TEST_F(TempFileTest, ReadWriteAndRemovalByTheOwner) {
  std::string path;
  {
    TempFile f = TempFile::Create(dir_);
    path = f.path();
    f.WriteAt("hello", 5, 0);
    f.WriteAt2("ab", 2, "cd", 2, 5);
    char buf[16] = {};
    EXPECT_EQ(f.ReadAt(buf, sizeof buf, 0), 9u);  // short only at the end of the file
    EXPECT_EQ(std::string(buf, 9), "helloabcd");
    EXPECT_EQ(f.ReadAt(buf, 4, 100), 0u);
    TempFile moved = std::move(f);  // ownership moves, the file stays
    EXPECT_FALSE(f.is_open());
    EXPECT_TRUE(moved.is_open());
    EXPECT_TRUE(fs::exists(path));
    TempFile other = TempFile::Create(dir_);
    const std::string other_path = other.path();
    other = std::move(moved);  // the overwritten owner's file goes now
    EXPECT_FALSE(fs::exists(other_path));
    EXPECT_TRUE(fs::exists(path));
  }
  EXPECT_FALSE(fs::exists(path));
  TempFile f = TempFile::Create(dir_);
  path = f.path();
  f.Close();
  f.Close();  // idempotent
  EXPECT_FALSE(fs::exists(path));
}

TEST_F(TempFileTest, CreateErrors) {
  // A regular file where the directory should be: ENOTDIR, PostgreSQL's 42809.
  std::ofstream(root_ + "/base") << "x";
  try {
    (void)TempFile::Create(dir_);
    ADD_FAILURE() << "created";
  } catch (const Error& e) {
    EXPECT_EQ(e.sqlstate().code(), "42809");
    EXPECT_TRUE(e.message().starts_with("could not create temporary file \"" + dir_ +
                                        "/pgsql_tmp"))
        << e.message();
    EXPECT_TRUE(e.message().ends_with("\": Not a directory")) << e.message();
  }
}

#ifdef KEEL_DEBUG
TEST_F(TempFileTest, WriteAndReadErrorsNameTheFile) {
  TempFile f = TempFile::Create(dir_);
  storage::TestOnlyInjectFault(storage::FaultKind::kEnospc, "pgsql_tmp", 1);
  try {
    f.WriteAt("x", 1, 0);
    ADD_FAILURE() << "written";
  } catch (const Error& e) {
    EXPECT_EQ(e.sqlstate().code(), "53100");
    EXPECT_EQ(e.message(),
              "could not write to file \"" + f.path() + "\": No space left on device");
  }
  storage::TestOnlyInjectFault(storage::FaultKind::kEio, "pgsql_tmp", 1);
  try {
    char c;
    (void)f.ReadAt(&c, 1, 0);
    ADD_FAILURE() << "read";
  } catch (const Error& e) {
    EXPECT_EQ(e.sqlstate().code(), "58030");
    EXPECT_EQ(e.message(), "could not read file \"" + f.path() + "\": Input/output error");
  }
}
#endif

TEST_F(TempFileTest, StartupSweepRemovesLeftovers) {
  EXPECT_EQ(RemoveTempFiles(root_), 0);  // no pgsql_tmp yet: nothing to do, no error
  // What a crashed backend leaves: its files, a shared file set directory, and a stranger.
  {
    TempFile f = TempFile::Create(dir_);
  }
  std::ofstream(dir_ + "/pgsql_tmp99999.0") << "run";
  std::ofstream(dir_ + "/pgsql_tmp99999.1") << "run";
  fs::create_directories(dir_ + "/pgsql_tmp99999.2.fileset/sub");
  std::ofstream(dir_ + "/pgsql_tmp99999.2.fileset/sub/0.0") << "part";
  std::ofstream(dir_ + "/not_ours") << "keep";
  EXPECT_EQ(RemoveTempFiles(root_), 3);
  EXPECT_FALSE(fs::exists(dir_ + "/pgsql_tmp99999.0"));
  EXPECT_FALSE(fs::exists(dir_ + "/pgsql_tmp99999.2.fileset"));
  EXPECT_TRUE(fs::exists(dir_ + "/not_ours"));
  EXPECT_EQ(RemoveTempFiles(root_), 0);
}

TEST_F(TempFileTest, DefaultDirectoryIsUnderTheDataDirectory) {
  const std::string saved = DataDirectory();
  SetDataDirectory("");
  EXPECT_EQ(DefaultTempDirectory(), "base/pgsql_tmp");
  SetDataDirectory("/srv/keel");
  EXPECT_EQ(DefaultTempDirectory(), "/srv/keel/base/pgsql_tmp");
  SetDataDirectory(saved);
}

}  // namespace
}  // namespace keel::sort
