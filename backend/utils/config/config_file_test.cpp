// Tests for the keel.conf parser: syntax, quoting, comments, includes, errors with lines.
#include "backend/utils/config/config_file.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

namespace keel::config {
namespace {

// A scratch folder removed at the end of the test.
class TempDir {
 public:
  TempDir() {
    char name[] = "/tmp/keel_conf_test_XXXXXX";
    path_ = mkdtemp(name);
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  const std::string& path() const { return path_; }
  std::string Write(const std::string& relative, const std::string& text) const {
    std::string full = path_ + "/" + relative;
    std::filesystem::create_directories(std::filesystem::path(full).parent_path());
    std::ofstream(full) << text;
    return full;
  }

 private:
  std::string path_;
};

ParsedConfig ParseText(const std::string& text) {
  ParsedConfig out;
  ParseConfigText(text, "/d/keel.conf", 0, &out);
  return out;
}

TEST(ConfigFileTest, NameValueFormsCommentsAndBlankLines) {
  ParsedConfig parsed = ParseText(
      "# a comment line\n"
      "\n"
      "port = 5433\n"
      "max_connections 20   # no equals sign, trailing comment\n"
      "   shared_buffers=128MB\n"
      "\t\n"
      "statement_timeout = -1\n"
      "checkpoint_completion_target = 0.75\n"
      "DateStyle = 'ISO, DMY'\n"
      "listen_addresses = localhost\n"
      "myapp.flag = on\n"
      "ssl_ca_file = 'root.crt'\n"
      "unix_socket_permissions = 0777\n"
      "authentication_timeout = 1.5min\n"
      "last_line_without_newline = 0x1F");
  ASSERT_TRUE(parsed.errors.empty()) << parsed.errors[0].error.message();
  ASSERT_EQ(parsed.entries.size(), 12u);
  auto expect = [&parsed](size_t i, const char* name, const char* value, int line) {
    EXPECT_EQ(parsed.entries[i].name, name);
    EXPECT_EQ(parsed.entries[i].value, value);
    EXPECT_EQ(parsed.entries[i].line, line);
    EXPECT_EQ(parsed.entries[i].file, "/d/keel.conf");
  };
  expect(0, "port", "5433", 3);
  expect(1, "max_connections", "20", 4);
  expect(2, "shared_buffers", "128MB", 5);
  expect(3, "statement_timeout", "-1", 7);
  expect(4, "checkpoint_completion_target", "0.75", 8);
  expect(5, "DateStyle", "ISO, DMY", 9);
  expect(6, "listen_addresses", "localhost", 10);
  expect(7, "myapp.flag", "on", 11);
  expect(10, "authentication_timeout", "1.5min", 14);
  expect(11, "last_line_without_newline", "0x1F", 15);
}

TEST(ConfigFileTest, UnquotedStringStartingWithLetter) {
  ParsedConfig parsed = ParseText("data_directory = var/lib/keel:x-y.z\n");
  ASSERT_TRUE(parsed.errors.empty());
  EXPECT_EQ(parsed.entries[0].value, "var/lib/keel:x-y.z");
}

TEST(ConfigFileTest, QuotedStringsWithDoubledQuotesAndEscapes) {
  ParsedConfig parsed = ParseText(
      "a = 'it''s'\n"
      "b = 'back\\\\slash'\n"
      "c = 'tab\\there\\nnew'\n"
      "d = 'quote \\' inside'\n"
      "e = '\\101\\102C'\n"
      "f = ''\n"
      "g = '# not a comment'   # a comment\n"
      "h = '  spaces kept  '\n"
      "i = '\\q'\n");
  ASSERT_TRUE(parsed.errors.empty()) << parsed.errors[0].error.message();
  ASSERT_EQ(parsed.entries.size(), 9u);
  EXPECT_EQ(parsed.entries[0].value, "it's");
  EXPECT_EQ(parsed.entries[1].value, "back\\slash");
  EXPECT_EQ(parsed.entries[2].value, "tab\there\nnew");
  EXPECT_EQ(parsed.entries[3].value, "quote ' inside");
  EXPECT_EQ(parsed.entries[4].value, "ABC");
  EXPECT_EQ(parsed.entries[5].value, "");
  EXPECT_EQ(parsed.entries[6].value, "# not a comment");
  EXPECT_EQ(parsed.entries[7].value, "  spaces kept  ");
  EXPECT_EQ(parsed.entries[8].value, "q");
}

TEST(ConfigFileTest, SyntaxErrorsNameTheLineAndToken) {
  struct Case {
    const char* text;
    const char* message;
  };
  const Case cases[] = {
      {"ok = 1\nport = = 5\n",
       "syntax error in file \"/d/keel.conf\" line 2, near token \"=\""},
      {"port\n", "syntax error in file \"/d/keel.conf\" line 1, near end of line"},
      {"port =\n", "syntax error in file \"/d/keel.conf\" line 1, near end of line"},
      {"\n\n= 5\n", "syntax error in file \"/d/keel.conf\" line 3, near token \"=\""},
      {"port = 5 6\n", "syntax error in file \"/d/keel.conf\" line 1, near token \"6\""},
      {"listen_addresses = *\n",
       "syntax error in file \"/d/keel.conf\" line 1, near token \"*\""},
      {"a = 'unterminated\n", "syntax error in file \"/d/keel.conf\" line 1, near token \"'\""},
      {"5 = port\n", "syntax error in file \"/d/keel.conf\" line 1, near token \"5\""},
      {"foo-bar = 1\n", "syntax error in file \"/d/keel.conf\" line 1, near token \"foo-bar\""},
      {"x = 5 min\n", "syntax error in file \"/d/keel.conf\" line 1, near token \"min\""},
      {"x = /tmp\n", "syntax error in file \"/d/keel.conf\" line 1, near token \"/\""},
  };
  for (const Case& c : cases) {
    ParsedConfig parsed = ParseText(c.text);
    ASSERT_EQ(parsed.errors.size(), 1u) << c.text;
    EXPECT_EQ(parsed.errors[0].error.sqlstate().code(), "42601");
    EXPECT_EQ(parsed.errors[0].error.message(), c.message);
  }
}

TEST(ConfigFileTest, ParsingGoesOnAfterAnError) {
  ParsedConfig parsed = ParseText("a = 1\nb = = 2\nc = 3\nd 'x' y\ne = 5\n");
  ASSERT_EQ(parsed.errors.size(), 2u);
  EXPECT_EQ(parsed.errors[0].line, 2);
  EXPECT_EQ(parsed.errors[1].line, 4);
  ASSERT_EQ(parsed.entries.size(), 3u);
  EXPECT_EQ(parsed.entries[1].name, "c");
  EXPECT_EQ(parsed.entries[2].name, "e");
  EXPECT_EQ(parsed.entries[2].line, 5);
}

TEST(ConfigFileTest, IncludesAreRelativeToTheIncludingFile) {
  TempDir dir;
  dir.Write("conf/sub/extra.conf", "b = 2\ninclude '../more.conf'\n");
  dir.Write("conf/more.conf", "c = 3\n");
  std::string main = dir.Write("conf/keel.conf",
                               "a = 1\ninclude 'sub/extra.conf'\nd = 4\n"
                               "include_if_exists 'missing.conf'\ne = 5\n");
  ParsedConfig parsed = ParseConfigFile(main);
  ASSERT_TRUE(parsed.errors.empty()) << parsed.errors[0].error.message();
  ASSERT_EQ(parsed.entries.size(), 5u);
  const char* order[] = {"a", "b", "c", "d", "e"};
  for (size_t i = 0; i < 5; ++i) EXPECT_EQ(parsed.entries[i].name, order[i]);
  EXPECT_EQ(parsed.entries[1].file, dir.path() + "/conf/sub/extra.conf");
  EXPECT_EQ(parsed.entries[2].file, dir.path() + "/conf/sub/../more.conf");
  EXPECT_EQ(parsed.entries[2].line, 1);
  EXPECT_EQ(parsed.entries[3].line, 3);
}

TEST(ConfigFileTest, MissingIncludeIsAnError) {
  TempDir dir;
  std::string main = dir.Write("keel.conf", "a = 1\ninclude 'nope.conf'\nb = 2\n");
  ParsedConfig parsed = ParseConfigFile(main);
  ASSERT_EQ(parsed.errors.size(), 1u);
  EXPECT_EQ(parsed.errors[0].error.sqlstate().code(), "58P01");
  EXPECT_EQ(parsed.errors[0].error.message(),
            "could not open configuration file \"" + dir.path() +
                "/nope.conf\": No such file or directory");
  EXPECT_EQ(parsed.errors[0].file, main);
  EXPECT_EQ(parsed.errors[0].line, 2);
  EXPECT_EQ(parsed.entries.size(), 2u);
}

TEST(ConfigFileTest, MissingTopLevelFileIsAnError) {
  ParsedConfig parsed = ParseConfigFile("/nonexistent/keel.conf");
  ASSERT_EQ(parsed.errors.size(), 1u);
  EXPECT_EQ(parsed.errors[0].error.message(),
            "could not open configuration file \"/nonexistent/keel.conf\": No such file or "
            "directory");
}

TEST(ConfigFileTest, IncludeDirReadsConfFilesInNameOrder) {
  TempDir dir;
  dir.Write("conf.d/20-b.conf", "x = b\n");
  dir.Write("conf.d/10-a.conf", "x = a\n");
  dir.Write("conf.d/30-c.conf", "x = c\n");
  dir.Write("conf.d/.hidden.conf", "x = hidden\n");
  dir.Write("conf.d/notes.txt", "x = txt\n");
  dir.Write("conf.d/backup.conf.bak", "x = bak\n");
  std::filesystem::create_directories(dir.path() + "/conf.d/dir.conf");
  std::string main = dir.Write("keel.conf", "include_dir 'conf.d'\ny = 1\n");
  ParsedConfig parsed = ParseConfigFile(main);
  ASSERT_TRUE(parsed.errors.empty()) << parsed.errors[0].error.message();
  ASSERT_EQ(parsed.entries.size(), 4u);
  EXPECT_EQ(parsed.entries[0].value, "a");
  EXPECT_EQ(parsed.entries[1].value, "b");
  EXPECT_EQ(parsed.entries[2].value, "c");
  EXPECT_EQ(parsed.entries[3].name, "y");

  std::string bad = dir.Write("bad.conf", "include_dir 'no_such_dir'\n");
  parsed = ParseConfigFile(bad);
  ASSERT_EQ(parsed.errors.size(), 1u);
  EXPECT_EQ(parsed.errors[0].error.message(),
            "could not open configuration directory \"" + dir.path() +
                "/no_such_dir\": No such file or directory");
}

TEST(ConfigFileTest, IncludeNestingIsLimited) {
  TempDir dir;
  // keel.conf -> f1 -> ... -> f10 is allowed; one more level is not.
  for (int i = 1; i <= 11; ++i) {
    dir.Write("f" + std::to_string(i) + ".conf",
              "v" + std::to_string(i) + " = 1\n" +
                  (i < 11 ? "include 'f" + std::to_string(i + 1) + ".conf'\n" : ""));
  }
  std::string ok_main = dir.Write("ok.conf", "include 'f2.conf'\n");  // f2..f11: 10 levels
  ParsedConfig parsed = ParseConfigFile(ok_main);
  EXPECT_TRUE(parsed.errors.empty());
  EXPECT_EQ(parsed.entries.size(), 10u);

  std::string deep_main = dir.Write("deep.conf", "include 'f1.conf'\n");  // 11 levels
  parsed = ParseConfigFile(deep_main);
  ASSERT_EQ(parsed.errors.size(), 1u);
  EXPECT_EQ(parsed.errors[0].error.sqlstate().code(), "54000");
  EXPECT_EQ(parsed.errors[0].error.message(),
            "could not open configuration file \"" + dir.path() +
                "/f11.conf\": maximum nesting depth exceeded");
  EXPECT_EQ(parsed.errors[0].file, dir.path() + "/f10.conf");

  std::string self = dir.Write("self.conf", "include 'self.conf'\n");
  parsed = ParseConfigFile(self);
  ASSERT_EQ(parsed.errors.size(), 1u);
  EXPECT_EQ(parsed.errors[0].error.sqlstate().code(), "54000");
}

TEST(ConfigFileTest, RelativeTopLevelPathIsMadeAbsolute) {
  TempDir dir;
  dir.Write("keel.conf", "a = 1\n");
  char old_cwd[4096];
  ASSERT_NE(getcwd(old_cwd, sizeof(old_cwd)), nullptr);
  ASSERT_EQ(chdir(dir.path().c_str()), 0);
  ParsedConfig parsed = ParseConfigFile("keel.conf");
  ASSERT_EQ(chdir(old_cwd), 0);
  ASSERT_EQ(parsed.entries.size(), 1u);
  EXPECT_EQ(parsed.entries[0].file, dir.path() + "/keel.conf");
  EXPECT_EQ(AbsoluteConfigPath("x.conf", "/etc/keel/keel.conf"), "/etc/keel/x.conf");
  EXPECT_EQ(AbsoluteConfigPath("/abs/x.conf", "/etc/keel/keel.conf"), "/abs/x.conf");
}

}  // namespace
}  // namespace keel::config
