// Tests for the pg_show_all_settings() rows: every setting once, PostgreSQL's column values for
// each kind of setting, and the rows following SET, RESET and the configuration file.
#include "backend/utils/config/settings_rows.h"

#include <gtest/gtest.h>
#include <strings.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <string>

#include "backend/utils/config/config.h"

namespace keel::config {
namespace {

class SettingsRowsTest : public ::testing::Test {
 protected:
  void SetUp() override { ResetAllSettingsForTest(); }
  void TearDown() override { ResetAllSettingsForTest(); }

  static SettingsRow Row(std::string_view name) {
    for (SettingsRow& row : SettingsRows()) {
      if (strcasecmp(row.name.c_str(), std::string(name).c_str()) == 0) return row;
    }
    ADD_FAILURE() << "no row for " << name;
    return {};
  }
};

void Set(std::string_view name, std::string_view value) {
  SetSetting(name, value, SettingSource::kSession, Phase::kRunning, true);
}

TEST_F(SettingsRowsTest, EverySettingOnceInNameOrder) {
  const std::vector<SettingsRow> rows = SettingsRows();
  const std::vector<SettingInfo> infos = AllSettings();
  ASSERT_EQ(rows.size(), infos.size());
  EXPECT_GT(rows.size(), 50u);
  std::set<std::string> names;
  for (size_t i = 0; i < rows.size(); ++i) {
    EXPECT_EQ(rows[i].name, infos[i].name);
    EXPECT_TRUE(names.insert(rows[i].name).second) << rows[i].name;
    if (i > 0) {
      EXPECT_LT(strcasecmp(rows[i - 1].name.c_str(), rows[i].name.c_str()), 0);
    }
    EXPECT_EQ(SettingsRowText(rows[i]).size(), static_cast<size_t>(kSettingsRowColumns));
    EXPECT_EQ(rows[i].source, "default") << rows[i].name;
    EXPECT_EQ(rows[i].setting, rows[i].boot_val) << rows[i].name;
    EXPECT_FALSE(rows[i].sourcefile.has_value());
    EXPECT_FALSE(rows[i].extra_desc.has_value());
    EXPECT_FALSE(rows[i].pending_restart);
    const bool numeric = rows[i].vartype == "integer" || rows[i].vartype == "real";
    EXPECT_EQ(rows[i].min_val.has_value(), numeric) << rows[i].name;
    EXPECT_EQ(rows[i].max_val.has_value(), numeric) << rows[i].name;
    EXPECT_EQ(rows[i].enumvals.has_value(), rows[i].vartype == "enum") << rows[i].name;
  }
}

TEST_F(SettingsRowsTest, IntegerBoolRealAndEnumRowsAsPostgres) {
  const SettingsRow sb = Row("shared_buffers");
  EXPECT_EQ(sb.setting, "16384");
  EXPECT_EQ(sb.unit, "8kB");
  EXPECT_EQ(sb.vartype, "integer");
  EXPECT_EQ(sb.context, "postmaster");
  EXPECT_EQ(sb.category, "Resource Usage / Memory");
  EXPECT_EQ(sb.min_val, "16");
  EXPECT_EQ(sb.boot_val, "16384");
  EXPECT_EQ(sb.reset_val, "16384");

  const SettingsRow fsync = Row("fsync");
  EXPECT_EQ(fsync.setting, "on");
  EXPECT_EQ(fsync.vartype, "bool");
  EXPECT_FALSE(fsync.unit.has_value());
  EXPECT_EQ(fsync.context, "sighup");

  const SettingsRow target = Row("checkpoint_completion_target");
  EXPECT_EQ(target.setting, "0.9");
  EXPECT_EQ(target.vartype, "real");
  EXPECT_EQ(target.min_val, "0");
  EXPECT_EQ(target.max_val, "1");

  const SettingsRow enc = Row("password_encryption");
  EXPECT_EQ(enc.setting, "scram-sha-256");
  EXPECT_EQ(enc.vartype, "enum");
  ASSERT_TRUE(enc.enumvals.has_value());
  EXPECT_EQ(*enc.enumvals, (std::vector<std::string>{"md5", "scram-sha-256"}));
  const std::vector<std::optional<std::string>> text = SettingsRowText(enc);
  EXPECT_EQ(text[0], "password_encryption");
  EXPECT_EQ(text[11], "{md5,scram-sha-256}");
  EXPECT_FALSE(text[2].has_value());   // unit
  EXPECT_FALSE(text[9].has_value());   // min_val
  EXPECT_FALSE(text[15].has_value());  // sourceline
  EXPECT_EQ(text[16], "f");

  EXPECT_EQ(Row("DateStyle").name, "DateStyle");  // canonical spelling
}

TEST_F(SettingsRowsTest, RowsFollowSetAndReset) {
  Set("work_mem", "8MB");
  SettingsRow wm = Row("work_mem");
  EXPECT_EQ(wm.setting, "8192");
  EXPECT_EQ(wm.unit, "kB");
  EXPECT_EQ(wm.source, "session");
  EXPECT_EQ(wm.boot_val, "4096");
  EXPECT_EQ(wm.reset_val, "4096");
  Set("password_encryption", "md5");
  EXPECT_EQ(Row("password_encryption").setting, "md5");
  Set("search_path", "\"$user\", public, app");
  EXPECT_EQ(Row("search_path").setting, "\"$user\", public, app");
  ResetSetting("work_mem");
  wm = Row("work_mem");
  EXPECT_EQ(wm.setting, "4096");
  EXPECT_EQ(wm.source, "default");
  // A client (startup packet) value is what RESET returns to.
  SetSetting("work_mem", "2MB", SettingSource::kClient, Phase::kRunning, true);
  Set("work_mem", "16MB");
  wm = Row("work_mem");
  EXPECT_EQ(wm.setting, "16384");
  EXPECT_EQ(wm.reset_val, "2048");
  EXPECT_EQ(wm.source, "session");
}

TEST_F(SettingsRowsTest, FileValuesCarryTheirFileAndLine) {
  char name[] = "/tmp/keel_settings_rows_XXXXXX";
  const std::string dir = mkdtemp(name);
  const std::string conf = dir + "/keel.conf";
  std::ofstream(conf) << "# comment\nport = 5433\nwork_mem = '32MB'\n";
  LoadConfigFile(conf);
  SettingsRow wm = Row("work_mem");
  EXPECT_EQ(wm.setting, "32768");
  EXPECT_EQ(wm.source, "configuration file");
  EXPECT_EQ(wm.sourcefile, conf);
  EXPECT_EQ(wm.sourceline, 3);
  EXPECT_EQ(SettingsRowText(wm)[15], "3");
  EXPECT_EQ(Row("port").sourceline, 2);
  Set("work_mem", "1MB");
  wm = Row("work_mem");
  EXPECT_EQ(wm.source, "session");
  EXPECT_FALSE(wm.sourcefile.has_value());
  EXPECT_EQ(wm.reset_val, "32768");  // RESET goes back to the file's value
  std::filesystem::remove_all(dir);
}

TEST(SettingsRowsLiteral, TextArraysQuoteLikePostgres) {
  const std::vector<std::string> plain = {"md5", "scram-sha-256"};
  EXPECT_EQ(TextArrayLiteral(plain), "{md5,scram-sha-256}");
  const std::vector<std::string> odd = {"a b", "", "null", "x\"y", "back\\slash", "c,d", "{e}"};
  EXPECT_EQ(TextArrayLiteral(odd),
            "{\"a b\",\"\",\"null\",\"x\\\"y\",\"back\\\\slash\",\"c,d\",\"{e}\"}");
  EXPECT_EQ(TextArrayLiteral({}), "{}");
}

}  // namespace
}  // namespace keel::config
