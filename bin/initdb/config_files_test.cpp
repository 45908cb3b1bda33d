// Tests for the keel.conf and keel_hba.conf templates (bin/README.md, I5, I6).
#include "bin/initdb/config_files.h"

#include <sys/socket.h>

#include <map>
#include <sstream>
#include <string>

#include <gtest/gtest.h>

#include "backend/protocol/auth/hba.h"

namespace keel::initdb {
namespace {

// name -> value of every line that is not a comment, with trailing comments removed.
std::map<std::string, std::string> ActiveSettings(const std::string& text) {
  std::map<std::string, std::string> settings;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    size_t hash = line.find('#');
    // A '#' inside quotes would not start a comment; the template has none.
    if (hash != std::string::npos) line.erase(hash);
    size_t eq = line.find('=');
    if (eq == std::string::npos) {
      EXPECT_EQ(line.find_first_not_of(" \t"), std::string::npos) << "stray line: " << line;
      continue;
    }
    auto trim = [](std::string s) {
      size_t b = s.find_first_not_of(" \t");
      size_t e = s.find_last_not_of(" \t");
      return b == std::string::npos ? std::string() : s.substr(b, e - b + 1);
    };
    std::string name = trim(line.substr(0, eq));
    EXPECT_EQ(settings.count(name), 0u) << "set twice: " << name;
    settings[name] = trim(line.substr(eq + 1));
  }
  return settings;
}

TEST(ConfigFilesTest, KeelConfActivatesExactlyTheFreshClusterSettings) {
  std::map<std::string, std::string> expected = {
      {"listen_addresses", "'localhost'"},  {"port", "5432"},
      {"max_connections", "100"},           {"shared_buffers", "128MB"},
      {"unix_socket_directories", "'/tmp'"}, {"log_min_messages", "warning"},
  };
  EXPECT_EQ(ActiveSettings(KeelConfText()), expected);
}

TEST(ConfigFilesTest, KeelConfShowsOtherSettingsCommentedOut) {
  std::string text = KeelConfText();
  for (const char* line : {"\n#superuser_reserved_connections = 3", "\n#fsync = on",
                           "\n#password_encryption = scram-sha-256", "\n#ssl = off",
                           "\n#statement_timeout = 0", "\n#deadlock_timeout = 1s"}) {
    EXPECT_NE(text.find(line), std::string::npos) << line;
  }
  for (const char* section : {"# FILE LOCATIONS", "# CONNECTIONS AND AUTHENTICATION",
                              "# RESOURCE USAGE", "# WRITE-AHEAD LOG",
                              "# REPORTING AND LOGGING", "# CLIENT CONNECTION DEFAULTS"}) {
    EXPECT_NE(text.find(section), std::string::npos) << section;
  }
}

TEST(ConfigFilesTest, HbaConfParsesToThreeRules) {
  auth::HbaFile hba = auth::HbaFile::Parse(HbaConfText("peer", "scram-sha-256"), "keel_hba.conf");
  ASSERT_EQ(hba.lines().size(), 3u);
  EXPECT_EQ(hba.lines()[0].conn_type, auth::HbaConnType::kLocal);
  EXPECT_EQ(hba.lines()[0].method, auth::HbaMethod::kPeer);
  for (size_t i : {1, 2}) {
    EXPECT_EQ(hba.lines()[i].conn_type, auth::HbaConnType::kHost);
    EXPECT_EQ(hba.lines()[i].method, auth::HbaMethod::kScramSha256);
    EXPECT_EQ(hba.lines()[i].address_match, auth::HbaAddressMatch::kMask);
  }
  EXPECT_EQ(hba.lines()[1].family, AF_INET);
  EXPECT_EQ(hba.lines()[2].family, AF_INET6);
}

TEST(ConfigFilesTest, AuthMethods) {
  for (const char* m : {"trust", "reject", "md5", "password", "scram-sha-256"}) {
    EXPECT_TRUE(IsValidAuthMethod(m, true)) << m;
    EXPECT_TRUE(IsValidAuthMethod(m, false)) << m;
  }
  EXPECT_TRUE(IsValidAuthMethod("peer", true));
  EXPECT_FALSE(IsValidAuthMethod("peer", false));
  EXPECT_FALSE(IsValidAuthMethod("ident", true));
  EXPECT_FALSE(IsValidAuthMethod("TRUST", true));
  EXPECT_TRUE(IsPasswordAuthMethod("md5"));
  EXPECT_TRUE(IsPasswordAuthMethod("password"));
  EXPECT_TRUE(IsPasswordAuthMethod("scram-sha-256"));
  EXPECT_FALSE(IsPasswordAuthMethod("trust"));
  EXPECT_FALSE(IsPasswordAuthMethod("peer"));
}

}  // namespace
}  // namespace keel::initdb
