// Tests for shell-style splitting and quoting (bin/README.md, T3).
#include "bin/common/shell_words.h"

#include <gtest/gtest.h>

namespace keel::tools {
namespace {

using Words = std::vector<std::string>;

Words Split(std::string_view text) {
  std::string error;
  std::optional<Words> words = SplitShellWords(text, &error);
  EXPECT_TRUE(words.has_value()) << text << ": " << error;
  return words.value_or(Words{});
}

TEST(ShellWordsTest, BlanksSeparateWords) {
  EXPECT_EQ(Split(""), Words{});
  EXPECT_EQ(Split("  \t\n "), Words{});
  EXPECT_EQ(Split("-c port=5433"), (Words{"-c", "port=5433"}));
  EXPECT_EQ(Split("  a\tb\nc  "), (Words{"a", "b", "c"}));
}

TEST(ShellWordsTest, Quotes) {
  EXPECT_EQ(Split("-c 'unix_socket_directories=/tmp/a b'"),
            (Words{"-c", "unix_socket_directories=/tmp/a b"}));
  EXPECT_EQ(Split("\"a b\" 'c\"d' \"e'f\""), (Words{"a b", "c\"d", "e'f"}));
  EXPECT_EQ(Split("x'y z'w"), (Words{"xy zw"}));  // quotes join with their neighbours
  EXPECT_EQ(Split("'' \"\""), (Words{"", ""}));   // empty quoted words are words
  EXPECT_EQ(Split("'a\\b'"), (Words{"a\\b"}));    // no escapes inside single quotes
  EXPECT_EQ(Split("\"a\\\"b\\\\c\\d\""), (Words{"a\"b\\c\\d"}));
}

TEST(ShellWordsTest, Backslashes) {
  EXPECT_EQ(Split("a\\ b c"), (Words{"a b", "c"}));
  EXPECT_EQ(Split("\\'x"), (Words{"'x"}));
  EXPECT_EQ(Split("a\\\nb"), (Words{"ab"}));
}

TEST(ShellWordsTest, Errors) {
  std::string error;
  EXPECT_FALSE(SplitShellWords("'open", &error).has_value());
  EXPECT_EQ(error, "unterminated quoted string");
  EXPECT_FALSE(SplitShellWords("\"open\\\"", &error).has_value());
  EXPECT_FALSE(SplitShellWords("trailing\\", &error).has_value());
  EXPECT_EQ(error, "trailing backslash");
}

TEST(ShellWordsTest, QuoteRoundTrips) {
  EXPECT_EQ(ShellQuote("/var/lib/keel/data"), "/var/lib/keel/data");
  EXPECT_EQ(ShellQuote("my data"), "'my data'");
  EXPECT_EQ(ShellQuote(""), "''");
  EXPECT_EQ(ShellQuote("it's"), "'it'\\''s'");
  for (std::string word : {"plain", "two words", "it's", "$HOME", "a\"b", "", "tab\there"}) {
    EXPECT_EQ(Split(ShellQuote(word)), Words{word}) << word;
  }
}

}  // namespace
}  // namespace keel::tools
