// Tests for value parsing and printing: every type, units, bounds, bool prefixes, enums, octal.
#include "backend/utils/config/setting_value.h"

#include <gtest/gtest.h>

#include <climits>
#include <string>

namespace keel::config {
namespace {

// Local variables and rows, independent of the server's table.
int g_int = 0;
double g_real = 0;
bool g_bool = false;
std::string g_string;
enum class Color : uint8_t { kRed, kGreen, kDarkBlue };
Color g_color = Color::kRed;
constexpr EnumOption kColors[] = {{"red", 0}, {"green", 1}, {"dark-blue", 2}};

SettingDef IntDef(SettingUnit unit, double min = INT_MIN, double max = INT_MAX) {
  return SettingDef{.name = "test_int", .context = SettingContext::kUser, .boot_value = "0",
                    .variable = &g_int, .min = min, .max = max, .unit = unit};
}
SettingDef RealDef(SettingUnit unit = SettingUnit::kNone, double min = 0, double max = 1) {
  return SettingDef{.name = "test_real", .context = SettingContext::kUser, .boot_value = "0",
                    .variable = &g_real, .min = min, .max = max, .unit = unit};
}
SettingDef BoolDef() {
  return SettingDef{.name = "test_bool", .context = SettingContext::kUser, .boot_value = "off",
                    .variable = &g_bool};
}
SettingDef EnumDef() {
  return SettingDef{.name = "test_color", .context = SettingContext::kUser, .boot_value = "red",
                    .variable = BindEnum(&g_color), .enum_options = kColors};
}

int ParseInt(SettingUnit unit, const char* text) {
  return std::get<int>(ParseSettingValue(IntDef(unit), text));
}

// Runs `fn`, expecting a keel::Error; returns it.
template <typename Fn>
Error Catch(Fn fn) {
  try {
    fn();
  } catch (const Error& e) {
    return e;
  }
  ADD_FAILURE() << "no error thrown";
  return Error(sqlstate::kSuccessfulCompletion, "");
}

TEST(SettingValueTest, BoolSpellingsAndPrefixes) {
  struct Case {
    const char* text;
    bool value;
  };
  const Case accepted[] = {
      {"on", true},   {"off", false}, {"ON", true},    {"Off", false}, {"of", false},
      {"true", true}, {"t", true},    {"TR", true},    {"tru", true},  {"false", false},
      {"f", false},   {"fAlS", false}, {"yes", true},  {"y", true},    {"YE", true},
      {"no", false},  {"n", false},   {"1", true},     {"0", false},
  };
  for (const Case& c : accepted) {
    bool value = !c.value;
    EXPECT_TRUE(ParseBoolText(c.text, &value)) << c.text;
    EXPECT_EQ(value, c.value) << c.text;
  }
  for (const char* text : {"", "o", "onn", "offf", "truex", "yess", "nope", "10", "00", "2",
                           " on", "on ", "enable"}) {
    bool value = false;
    EXPECT_FALSE(ParseBoolText(text, &value)) << '"' << text << '"';
  }
}

TEST(SettingValueTest, BoolErrorText) {
  Error e = Catch([] { (void)ParseSettingValue(BoolDef(), "maybe"); });
  EXPECT_EQ(e.sqlstate().code(), "22023");
  EXPECT_EQ(e.message(), "parameter \"test_bool\" requires a Boolean value");
}

TEST(SettingValueTest, IntegersDecimalOctalHexAndFractions) {
  EXPECT_EQ(ParseInt(SettingUnit::kNone, "42"), 42);
  EXPECT_EQ(ParseInt(SettingUnit::kNone, "-15"), -15);
  EXPECT_EQ(ParseInt(SettingUnit::kNone, "+7"), 7);
  EXPECT_EQ(ParseInt(SettingUnit::kNone, "0777"), 0777);
  EXPECT_EQ(ParseInt(SettingUnit::kNone, "0700"), 0700);
  EXPECT_EQ(ParseInt(SettingUnit::kNone, "0x1F"), 31);
  EXPECT_EQ(ParseInt(SettingUnit::kNone, "  12"), 12);
  EXPECT_EQ(ParseInt(SettingUnit::kNone, "12  "), 12);
  EXPECT_EQ(ParseInt(SettingUnit::kNone, "1.6"), 2);
  EXPECT_EQ(ParseInt(SettingUnit::kNone, "2.5"), 2);  // rint: half to even, as PostgreSQL
  EXPECT_EQ(ParseInt(SettingUnit::kNone, "1e3"), 1000);
  EXPECT_EQ(ParseInt(SettingUnit::kNone, "2147483647"), INT_MAX);
  EXPECT_EQ(ParseInt(SettingUnit::kNone, "-2147483648"), INT_MIN);
}

TEST(SettingValueTest, IntegerErrorsAndHints) {
  double out = 0;
  const char* hint = "unset";
  EXPECT_FALSE(ParseNumberText("abc", SettingUnit::kNone, true, &out, &hint));
  EXPECT_EQ(hint, nullptr);
  EXPECT_FALSE(ParseNumberText("", SettingUnit::kNone, true, &out, &hint));
  EXPECT_FALSE(ParseNumberText("5kB", SettingUnit::kNone, true, &out, &hint));
  EXPECT_EQ(hint, nullptr);  // the setting takes no unit: no hint
  EXPECT_FALSE(ParseNumberText("08", SettingUnit::kNone, true, &out, &hint));
  EXPECT_FALSE(ParseNumberText("nan", SettingUnit::kNone, true, &out, &hint));
  EXPECT_FALSE(ParseNumberText("3000000000", SettingUnit::kNone, true, &out, &hint));
  ASSERT_NE(hint, nullptr);
  EXPECT_STREQ(hint, "Value exceeds integer range.");

  Error e = Catch([] { (void)ParseSettingValue(IntDef(SettingUnit::kNone), "abc"); });
  EXPECT_EQ(e.sqlstate().code(), "22023");
  EXPECT_EQ(e.message(), "invalid value for parameter \"test_int\": \"abc\"");
  EXPECT_EQ(e.hint(), "");
}

TEST(SettingValueTest, MemoryUnitsToEveryBaseUnit) {
  EXPECT_EQ(ParseInt(SettingUnit::kBlocks, "128MB"), 16384);
  EXPECT_EQ(ParseInt(SettingUnit::kBlocks, "1GB"), 131072);
  EXPECT_EQ(ParseInt(SettingUnit::kBlocks, "16"), 16);  // bare number: base unit
  EXPECT_EQ(ParseInt(SettingUnit::kBlocks, "64kB"), 8);
  EXPECT_EQ(ParseInt(SettingUnit::kBlocks, "100kB"), 12);  // 12.5 pages, rounded to even
  EXPECT_EQ(ParseInt(SettingUnit::kBlocks, "8192B"), 1);
  EXPECT_EQ(ParseInt(SettingUnit::kKilobytes, "1MB"), 1024);
  EXPECT_EQ(ParseInt(SettingUnit::kKilobytes, "1TB"), 1024 * 1024 * 1024);
  EXPECT_EQ(ParseInt(SettingUnit::kKilobytes, "1.5MB"), 1536);
  EXPECT_EQ(ParseInt(SettingUnit::kKilobytes, "2048B"), 2);
  EXPECT_EQ(ParseInt(SettingUnit::kMegabytes, "1GB"), 1024);
  EXPECT_EQ(ParseInt(SettingUnit::kMegabytes, "1.5GB"), 1536);
  EXPECT_EQ(ParseInt(SettingUnit::kMegabytes, "1TB"), 1024 * 1024);
  EXPECT_EQ(ParseInt(SettingUnit::kMegabytes, "512 kB"), 0);  // 0.5 MB rounds to even
  EXPECT_EQ(ParseInt(SettingUnit::kBytes, "1kB"), 1024);
  EXPECT_EQ(ParseInt(SettingUnit::kBytes, "3 MB"), 3 * 1024 * 1024);
  EXPECT_EQ(ParseInt(SettingUnit::kMegabytes, "1 GB  "), 1024);
}

TEST(SettingValueTest, MemoryUnitErrorsCarryTheHint) {
  for (const char* text : {"1KB", "1mb", "1 G B", "5 pages", "1GBx", "1Gb"}) {
    Error e = Catch([text] { (void)ParseSettingValue(IntDef(SettingUnit::kBlocks), text); });
    EXPECT_EQ(e.sqlstate().code(), "22023") << text;
    EXPECT_EQ(e.message(), std::string("invalid value for parameter \"test_int\": \"") + text +
                               "\"");
    EXPECT_EQ(e.hint(),
              "Valid units for this parameter are \"B\", \"kB\", \"MB\", \"GB\", and \"TB\".");
  }
  Error e = Catch([] { (void)ParseSettingValue(IntDef(SettingUnit::kKilobytes), "4TB"); });
  EXPECT_EQ(e.hint(), "Value exceeds integer range.");
}

TEST(SettingValueTest, TimeUnitsToEveryBaseUnit) {
  EXPECT_EQ(ParseInt(SettingUnit::kMilliseconds, "250"), 250);
  EXPECT_EQ(ParseInt(SettingUnit::kMilliseconds, "1s"), 1000);
  EXPECT_EQ(ParseInt(SettingUnit::kMilliseconds, "1.5s"), 1500);
  EXPECT_EQ(ParseInt(SettingUnit::kMilliseconds, "2min"), 120000);
  EXPECT_EQ(ParseInt(SettingUnit::kMilliseconds, "1h"), 3600000);
  EXPECT_EQ(ParseInt(SettingUnit::kMilliseconds, "1d"), 86400000);
  EXPECT_EQ(ParseInt(SettingUnit::kMilliseconds, "1500us"), 2);
  EXPECT_EQ(ParseInt(SettingUnit::kMilliseconds, "10 s"), 10000);
  EXPECT_EQ(ParseInt(SettingUnit::kSeconds, "1min"), 60);
  EXPECT_EQ(ParseInt(SettingUnit::kSeconds, "1h"), 3600);
  EXPECT_EQ(ParseInt(SettingUnit::kSeconds, "1d"), 86400);
  EXPECT_EQ(ParseInt(SettingUnit::kSeconds, "2500ms"), 2);  // 2.5 s rounds to even
  EXPECT_EQ(ParseInt(SettingUnit::kSeconds, "1.5min"), 90);
  EXPECT_EQ(ParseInt(SettingUnit::kMinutes, "2h"), 120);
  EXPECT_EQ(ParseInt(SettingUnit::kMinutes, "90s"), 2);  // 1.5 min rounds to even
  EXPECT_EQ(ParseInt(SettingUnit::kMinutes, "1d"), 1440);
}

TEST(SettingValueTest, TimeUnitErrorsCarryTheHint) {
  for (const char* text : {"5 sec", "5S", "5m", "1 min 5", "3hours"}) {
    Error e = Catch([text] { (void)ParseSettingValue(IntDef(SettingUnit::kSeconds), text); });
    EXPECT_EQ(e.hint(), "Valid units for this parameter are \"us\", \"ms\", \"s\", \"min\", "
                        "\"h\", and \"d\".")
        << text;
  }
  // A memory unit is not a time unit.
  Error e = Catch([] { (void)ParseSettingValue(IntDef(SettingUnit::kSeconds), "5MB"); });
  EXPECT_EQ(e.message(), "invalid value for parameter \"test_int\": \"5MB\"");
}

TEST(SettingValueTest, IntegerBoundsWithAndWithoutUnit) {
  SettingDef plain = IntDef(SettingUnit::kNone, 1, 65535);
  plain.name = "port";
  EXPECT_EQ(std::get<int>(ParseSettingValue(plain, "1")), 1);
  EXPECT_EQ(std::get<int>(ParseSettingValue(plain, "65535")), 65535);
  Error e = Catch([&plain] { (void)ParseSettingValue(plain, "70000"); });
  EXPECT_EQ(e.sqlstate().code(), "22023");
  EXPECT_EQ(e.message(), "70000 is outside the valid range for parameter \"port\" (1 .. 65535)");
  e = Catch([&plain] { (void)ParseSettingValue(plain, "0"); });
  EXPECT_EQ(e.message(), "0 is outside the valid range for parameter \"port\" (1 .. 65535)");

  SettingDef timed = IntDef(SettingUnit::kSeconds, 1, 600);
  timed.name = "authentication_timeout";
  e = Catch([&timed] { (void)ParseSettingValue(timed, "11min"); });
  EXPECT_EQ(e.message(),
            "660 s is outside the valid range for parameter \"authentication_timeout\" "
            "(1 .. 600)");
  EXPECT_EQ(std::get<int>(ParseSettingValue(timed, "10min")), 600);
}

TEST(SettingValueTest, RealValuesUnitsAndBounds) {
  EXPECT_DOUBLE_EQ(std::get<double>(ParseSettingValue(RealDef(), "0.5")), 0.5);
  EXPECT_DOUBLE_EQ(std::get<double>(ParseSettingValue(RealDef(), ".25")), 0.25);
  EXPECT_DOUBLE_EQ(std::get<double>(ParseSettingValue(RealDef(), "1e-3")), 0.001);
  EXPECT_DOUBLE_EQ(std::get<double>(ParseSettingValue(RealDef(), "1")), 1.0);
  Error e = Catch([] { (void)ParseSettingValue(RealDef(), "1.5"); });
  EXPECT_EQ(e.message(), "1.5 is outside the valid range for parameter \"test_real\" (0 .. 1)");
  e = Catch([] { (void)ParseSettingValue(RealDef(), "nan"); });
  EXPECT_EQ(e.message(), "invalid value for parameter \"test_real\": \"nan\"");
  e = Catch([] { (void)ParseSettingValue(RealDef(), "half"); });
  EXPECT_EQ(e.sqlstate().code(), "22023");

  SettingDef delay = RealDef(SettingUnit::kMilliseconds, 0, 1000);
  EXPECT_DOUBLE_EQ(std::get<double>(ParseSettingValue(delay, "0.5s")), 500.0);
  EXPECT_DOUBLE_EQ(std::get<double>(ParseSettingValue(delay, "2.5")), 2.5);
  EXPECT_EQ(FormatSettingValue(delay, 500.0, true), "500ms");
  EXPECT_EQ(FormatSettingValue(delay, 1000.0, true), "1s");
  EXPECT_EQ(FormatSettingValue(delay, 2.5, true), "2.5ms");
  EXPECT_EQ(FormatSettingValue(RealDef(), 0.9, true), "0.9");
}

TEST(SettingValueTest, EnumsAreCaseInsensitiveWithAvailableValuesHint) {
  EXPECT_EQ(std::get<int>(ParseSettingValue(EnumDef(), "green")), 1);
  EXPECT_EQ(std::get<int>(ParseSettingValue(EnumDef(), "GREEN")), 1);
  EXPECT_EQ(std::get<int>(ParseSettingValue(EnumDef(), "Dark-Blue")), 2);
  Error e = Catch([] { (void)ParseSettingValue(EnumDef(), "gre"); });  // no prefixes
  EXPECT_EQ(e.sqlstate().code(), "22023");
  EXPECT_EQ(e.message(), "invalid value for parameter \"test_color\": \"gre\"");
  EXPECT_EQ(e.hint(), "Available values: red, green, dark-blue.");
  EXPECT_EQ(FormatSettingValue(EnumDef(), 2, true), "dark-blue");
}

TEST(SettingValueTest, ShowPicksTheLargestExactUnit) {
  EXPECT_EQ(FormatSettingValue(IntDef(SettingUnit::kBlocks), 16384, true), "128MB");
  EXPECT_EQ(FormatSettingValue(IntDef(SettingUnit::kBlocks), 131072, true), "1GB");
  EXPECT_EQ(FormatSettingValue(IntDef(SettingUnit::kBlocks), 16, true), "128kB");
  EXPECT_EQ(FormatSettingValue(IntDef(SettingUnit::kBlocks), 1, true), "8kB");
  EXPECT_EQ(FormatSettingValue(IntDef(SettingUnit::kKilobytes), 1024, true), "1MB");
  EXPECT_EQ(FormatSettingValue(IntDef(SettingUnit::kKilobytes), 1536, true), "1536kB");
  EXPECT_EQ(FormatSettingValue(IntDef(SettingUnit::kMegabytes), 1024, true), "1GB");
  EXPECT_EQ(FormatSettingValue(IntDef(SettingUnit::kMegabytes), 1048576, true), "1TB");
  EXPECT_EQ(FormatSettingValue(IntDef(SettingUnit::kBytes), 2048, true), "2kB");
  EXPECT_EQ(FormatSettingValue(IntDef(SettingUnit::kBytes), 100, true), "100B");
  EXPECT_EQ(FormatSettingValue(IntDef(SettingUnit::kSeconds), 60, true), "1min");
  EXPECT_EQ(FormatSettingValue(IntDef(SettingUnit::kSeconds), 90, true), "90s");
  EXPECT_EQ(FormatSettingValue(IntDef(SettingUnit::kSeconds), 300, true), "5min");
  EXPECT_EQ(FormatSettingValue(IntDef(SettingUnit::kSeconds), 7200, true), "2h");
  EXPECT_EQ(FormatSettingValue(IntDef(SettingUnit::kSeconds), 86400, true), "1d");
  EXPECT_EQ(FormatSettingValue(IntDef(SettingUnit::kMilliseconds), 1000, true), "1s");
  EXPECT_EQ(FormatSettingValue(IntDef(SettingUnit::kMilliseconds), 1500, true), "1500ms");
  EXPECT_EQ(FormatSettingValue(IntDef(SettingUnit::kMinutes), 1440, true), "1d");
  EXPECT_EQ(FormatSettingValue(IntDef(SettingUnit::kMinutes), 5, true), "5min");
  // Zero and negative values carry no unit, as in PostgreSQL ("-1" means "off").
  EXPECT_EQ(FormatSettingValue(IntDef(SettingUnit::kMilliseconds), 0, true), "0");
  EXPECT_EQ(FormatSettingValue(IntDef(SettingUnit::kMilliseconds), -1, true), "-1");
  // pg_settings.setting keeps the base unit.
  EXPECT_EQ(FormatSettingValue(IntDef(SettingUnit::kBlocks), 16384, false), "16384");
}

TEST(SettingValueTest, ShowRoundTripsThroughParse) {
  for (SettingUnit unit : {SettingUnit::kBytes, SettingUnit::kKilobytes, SettingUnit::kBlocks,
                           SettingUnit::kMegabytes, SettingUnit::kMilliseconds,
                           SettingUnit::kSeconds, SettingUnit::kMinutes}) {
    for (int v : {1, 7, 60, 1000, 1024, 3600, 16384, 86400, 1048576, 123456789}) {
      std::string shown = FormatSettingValue(IntDef(unit), v, true);
      EXPECT_EQ(ParseInt(unit, shown.c_str()), v) << UnitName(unit) << " " << shown;
    }
  }
}

TEST(SettingValueTest, OctalShowAndOtherTypes) {
  SettingDef perms = IntDef(SettingUnit::kNone, 0, 0777);
  perms.flags = kFlagShowOctal;
  EXPECT_EQ(FormatSettingValue(perms, 0777, true), "0777");
  EXPECT_EQ(FormatSettingValue(perms, 0700, true), "0700");
  EXPECT_EQ(FormatSettingValue(perms, 0, true), "0000");
  EXPECT_EQ(FormatSettingValue(BoolDef(), true, true), "on");
  EXPECT_EQ(FormatSettingValue(BoolDef(), false, true), "off");
  SettingDef text{.name = "test_string", .context = SettingContext::kUser, .boot_value = "",
                  .variable = &g_string};
  EXPECT_EQ(std::get<std::string>(ParseSettingValue(text, " any 'thing' ")), " any 'thing' ");
  EXPECT_EQ(TypeOf(text), SettingType::kString);
  EXPECT_EQ(TypeOf(EnumDef()), SettingType::kEnum);
  EXPECT_EQ(TypeOf(RealDef()), SettingType::kReal);
}

TEST(SettingValueTest, ReadAndWriteVariables) {
  WriteVariable(EnumDef(), 2);
  EXPECT_EQ(g_color, Color::kDarkBlue);
  EXPECT_EQ(std::get<int>(ReadVariable(EnumDef())), 2);
  WriteVariable(IntDef(SettingUnit::kNone), 17);
  EXPECT_EQ(g_int, 17);
  WriteVariable(BoolDef(), true);
  EXPECT_TRUE(g_bool);
  EXPECT_EQ(std::get<bool>(ReadVariable(BoolDef())), true);
}

}  // namespace
}  // namespace keel::config
