// Tests for the DateStyle check hook and its use through SetSetting.
#include "backend/utils/config/date_style.h"

#include <gtest/gtest.h>

#include "backend/utils/config/config.h"
#include "backend/utils/config/settings.h"
#include "backend/utils/error/error.h"

namespace keel::config {
namespace {

std::string Canonical(std::string_view text) {
  std::string canonical, detail;
  EXPECT_TRUE(CheckDateStyle(text, &canonical, &detail)) << detail;
  return canonical;
}

TEST(DateStyleTest, CanonicalisesKeywords) {
  ResetAllSettingsForTest();
  EXPECT_EQ(Canonical("ISO,DMY"), "ISO, DMY");
  EXPECT_EQ(Canonical("iso  dmy"), "ISO, DMY");
  EXPECT_EQ(Canonical("sql, european"), "SQL, DMY");
  EXPECT_EQ(Canonical("Postgres, US"), "Postgres, MDY");
  EXPECT_EQ(Canonical("ymd"), "ISO, YMD");      // style kept from the current value
  EXPECT_EQ(Canonical("German"), "German, DMY");  // German implies DMY
  EXPECT_EQ(Canonical("German, YMD"), "German, YMD");
  EXPECT_EQ(Canonical("default"), "ISO, MDY");
}

TEST(DateStyleTest, RejectsUnknownAndConflictingKeywords) {
  std::string canonical, detail;
  EXPECT_FALSE(CheckDateStyle("ISO, bogus", &canonical, &detail));
  EXPECT_EQ(detail, "Unrecognized key word: \"bogus\".");
  EXPECT_FALSE(CheckDateStyle("ISO, SQL", &canonical, &detail));
  EXPECT_EQ(detail, "Conflicting \"datestyle\" specifications.");
  EXPECT_FALSE(CheckDateStyle("DMY MDY", &canonical, &detail));
}

TEST(DateStyleTest, SetSettingStoresCanonicalFormAndReportsErrors) {
  ResetAllSettingsForTest();
  SetSetting("datestyle", "sql,dmy", SettingSource::kSession, Phase::kRunning);
  EXPECT_EQ(settings::date_style, "SQL, DMY");
  EXPECT_EQ(ShowSetting("DateStyle"), "SQL, DMY");
  try {
    SetSetting("DateStyle", "nonsense", SettingSource::kSession, Phase::kRunning);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.sqlstate().code(), "22023");
    EXPECT_EQ(e.message(), "invalid value for parameter \"DateStyle\": \"nonsense\"");
    EXPECT_EQ(e.detail(), "Unrecognized key word: \"nonsense\".");
  }
  EXPECT_EQ(settings::date_style, "SQL, DMY");
  ResetAllSettingsForTest();
}

}  // namespace
}  // namespace keel::config
