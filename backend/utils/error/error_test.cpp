// Tests for errors, formatting and log filtering.
#include "backend/utils/error/error.h"

#include <gtest/gtest.h>

#include "backend/utils/error/format.h"
#include "backend/utils/error/log.h"

namespace keel {
namespace {

TEST(ErrorTest, CarriesAllFields) {
  try {
    throw Error(sqlstate::kInvalidPassword, "password authentication failed for user \"bob\"",
                Severity::kFatal)
        .WithDetail("Connection matched line 3.")
        .WithHint("Check the password.")
        .WithPosition(7);
  } catch (const Error& e) {
    EXPECT_EQ(e.sqlstate().code(), "28P01");
    EXPECT_EQ(e.sqlstate().error_class(), "28");
    EXPECT_EQ(e.severity(), Severity::kFatal);
    EXPECT_STREQ(e.what(), "password authentication failed for user \"bob\"");
    EXPECT_EQ(e.detail(), "Connection matched line 3.");
    EXPECT_EQ(e.hint(), "Check the password.");
    EXPECT_EQ(e.position(), 7);
    return;
  }
  FAIL() << "no exception";
}

TEST(ErrorTest, FormatGrowsPastStackBuffer) {
  std::string long_arg(2000, 'x');
  std::string out = Format("<%s|%d>", long_arg.c_str(), 42);
  EXPECT_EQ(out.size(), 2000u + 5);
  EXPECT_EQ(out.substr(out.size() - 4), "|42>");
}

TEST(ErrorTest, LogFilterRanksLogAboveError) {
  Severity saved = LogMinSeverity();
  SetLogMinSeverity(Severity::kWarning);
  EXPECT_TRUE(LogEnabled(Severity::kLog));
  EXPECT_TRUE(LogEnabled(Severity::kError));
  EXPECT_FALSE(LogEnabled(Severity::kNotice));
  // log_min_messages order: ... WARNING, ERROR, LOG, FATAL, PANIC.
  SetLogMinSeverity(Severity::kError);
  EXPECT_TRUE(LogEnabled(Severity::kLog));
  SetLogMinSeverity(Severity::kFatal);
  EXPECT_FALSE(LogEnabled(Severity::kLog));
  EXPECT_FALSE(LogEnabled(Severity::kError));
  EXPECT_TRUE(LogEnabled(Severity::kPanic));
  SetLogMinSeverity(saved);
}

TEST(ErrorTest, SeverityNames) {
  EXPECT_STREQ(SeverityName(Severity::kFatal), "FATAL");
  EXPECT_STREQ(SeverityName(Severity::kDebug3), "DEBUG");
  EXPECT_STREQ(SeverityName(Severity::kLog), "LOG");
}

}  // namespace
}  // namespace keel
