// Tests for the interim password file: parsing, lookups, errors, and Write's mode and format.
#include "backend/protocol/auth/password_file.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>

#include "backend/protocol/auth/scram.h"
#include "backend/utils/error/error.h"

namespace keel::auth {
namespace {

class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/keel_pwfile_XXXXXX";
    path_ = mkdtemp(tmpl);
  }
  ~TempDir() { (void)std::system(("rm -rf " + path_).c_str()); }
  [[nodiscard]] const std::string& path() const { return path_; }

 private:
  std::string path_;
};

TEST(PasswordFileTest, ParseAndLookup) {
  std::string scram = ScramBuildVerifier("pw", 16);
  PasswordFile file = PasswordFile::Parse(
      "# header\n\nalice:" + scram + "\r\nbob:md5" + std::string(32, 'a') + "  \n", "f");
  EXPECT_EQ(file.size(), 2u);
  EXPECT_EQ(file.Lookup("alice"), scram);  // the secret's own ':' survive
  EXPECT_EQ(file.Lookup("bob"), "md5" + std::string(32, 'a'));
  EXPECT_FALSE(file.Lookup("carol").has_value());
  EXPECT_FALSE(file.Lookup("Alice").has_value());
}

TEST(PasswordFileTest, Errors) {
  for (const char* text : {"alice\n", ":secret\n", "alice:\n", "a:x\na:y\n"}) {
    try {
      (void)PasswordFile::Parse(text, "pwfile");
      ADD_FAILURE() << text;
    } catch (const Error& e) {
      EXPECT_EQ(e.sqlstate().code(), "F0000");
      EXPECT_NE(e.detail().find("of password file \"pwfile\""), std::string::npos);
    }
  }
}

TEST(PasswordFileTest, MissingFileIsEmpty) {
  TempDir dir;
  PasswordFile file = PasswordFile::Load(dir.path() + "/absent");
  EXPECT_EQ(file.size(), 0u);
}

TEST(PasswordFileTest, WriteThenLoad) {
  TempDir dir;
  std::string path = dir.path() + "/keel_passwd";
  std::string verifier = ScramBuildVerifier("secret", 16);
  PasswordFile::Write(path, {{"keel", verifier}, {"old", Md5PasswordHash("pw", "old")}});
  struct stat st {};
  ASSERT_EQ(stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_NE(access((path + ".tmp").c_str(), F_OK), 0);
  PasswordFile file = PasswordFile::Load(path);
  EXPECT_EQ(file.Lookup("keel"), verifier);
  EXPECT_EQ(file.Lookup("old"), Md5PasswordHash("pw", "old"));

  // Overwrite replaces the content.
  PasswordFile::Write(path, {{"new", verifier}});
  PasswordFile again = PasswordFile::Load(path);
  EXPECT_EQ(again.size(), 1u);
  EXPECT_FALSE(again.Lookup("keel").has_value());

  EXPECT_THROW(PasswordFile::Write(path, {{"bad:role", verifier}}), Error);
  EXPECT_THROW(PasswordFile::Write(path, {{"role", "two\nlines"}}), Error);
  EXPECT_THROW(PasswordFile::Write(dir.path() + "/no/such/dir/file", {{"r", "s"}}), Error);
}

}  // namespace
}  // namespace keel::auth
