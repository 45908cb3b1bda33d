// Tests for startup packet parsing: every request kind, defaults, options splitting, errors.
#include "backend/protocol/startup.h"

#include <gtest/gtest.h>

#include "backend/protocol/message.h"
#include "backend/utils/error/error.h"

namespace keel::protocol {
namespace {

std::string Code(int32_t code) {
  MessageBuilder b('x');
  b.AddInt32(code);
  return std::string(b.body());
}

// A StartupMessage body for protocol `code` with the given parameters.
std::string Startup(std::vector<std::pair<std::string, std::string>> params,
                    int32_t code = kProtocol30) {
  std::string body = Code(code);
  for (const auto& [name, value] : params) {
    body += name;
    body += '\0';
    body += value;
    body += '\0';
  }
  body += '\0';
  return body;
}

Error ParseError(const std::string& body) {
  try {
    (void)ParseStartupPacket(body);
  } catch (const Error& e) {
    return e;
  }
  ADD_FAILURE() << "no error";
  return Error(sqlstate::kSuccessfulCompletion, "");
}

TEST(StartupTest, RequestKinds) {
  EXPECT_TRUE(std::holds_alternative<SslRequest>(ParseStartupPacket(Code(kSslRequestCode))));
  EXPECT_TRUE(std::holds_alternative<GssEncRequest>(ParseStartupPacket(Code(kGssEncRequestCode))));
  MessageBuilder cancel('x');
  cancel.AddInt32(kCancelRequestCode).AddInt32(4242).AddInt32(-7);
  StartupPacket packet = ParseStartupPacket(cancel.body());
  ASSERT_TRUE(std::holds_alternative<CancelRequest>(packet));
  EXPECT_EQ(std::get<CancelRequest>(packet).pid, 4242);
  EXPECT_EQ(std::get<CancelRequest>(packet).key, -7);
  // Wrong sizes for fixed-size requests.
  EXPECT_EQ(ParseError(Code(kSslRequestCode) + "x").message(), "invalid length of startup packet");
  EXPECT_EQ(ParseError(Code(kCancelRequestCode) + "12345678x").message(),
            "invalid length of startup packet");
  EXPECT_EQ(ParseError("ab").message(), "invalid length of startup packet");
}

TEST(StartupTest, ParametersAndDefaults) {
  StartupPacket packet = ParseStartupPacket(Startup({{"user", "alice"},
                                                     {"client_encoding", "UTF8"},
                                                     {"application_name", "psql"},
                                                     {"_pq_.compression", "on"},
                                                     {"DateStyle", "ISO"}}));
  ASSERT_TRUE(std::holds_alternative<StartupParams>(packet));
  const StartupParams& params = std::get<StartupParams>(packet);
  EXPECT_EQ(params.major, 3);
  EXPECT_EQ(params.minor, 0);
  EXPECT_EQ(params.user, "alice");
  EXPECT_EQ(params.database, "alice");  // defaults to the user
  EXPECT_EQ(params.application_name, "psql");
  std::vector<std::pair<std::string, std::string>> other = {
      {"client_encoding", "UTF8"}, {"application_name", "psql"}, {"DateStyle", "ISO"}};
  EXPECT_EQ(params.other, other);
  EXPECT_EQ(params.unrecognized_protocol_options, std::vector<std::string>{"_pq_.compression"});
  EXPECT_TRUE(params.options.empty());
  EXPECT_TRUE(params.replication.empty());

  auto with_db = std::get<StartupParams>(
      ParseStartupPacket(Startup({{"database", "sales"}, {"user", "bob"}})));
  EXPECT_EQ(with_db.database, "sales");
  EXPECT_EQ(with_db.user, "bob");
}

TEST(StartupTest, NewerMinorVersionAccepted) {
  auto params =
      std::get<StartupParams>(ParseStartupPacket(Startup({{"user", "u"}}, (3 << 16) | 2)));
  EXPECT_EQ(params.major, 3);
  EXPECT_EQ(params.minor, 2);
}

TEST(StartupTest, UnsupportedVersions) {
  Error e = ParseError(Startup({{"user", "u"}}, (2 << 16) | 0));
  EXPECT_EQ(e.sqlstate().code(), "0A000");
  EXPECT_EQ(e.message(), "unsupported frontend protocol 2.0: server supports 3.0 to 3.0");
  EXPECT_EQ(e.severity(), Severity::kFatal);
  EXPECT_EQ(ParseError(Startup({{"user", "u"}}, (4 << 16) | 1)).message(),
            "unsupported frontend protocol 4.1: server supports 3.0 to 3.0");
}

TEST(StartupTest, LayoutAndUserErrors) {
  Error no_user = ParseError(Startup({{"database", "d"}}));
  EXPECT_EQ(no_user.sqlstate().code(), "28000");
  EXPECT_EQ(no_user.message(), "no PostgreSQL user name specified in startup packet");
  EXPECT_EQ(ParseError(Startup({{"user", ""}})).message(),
            "no PostgreSQL user name specified in startup packet");

  const char* layout = "invalid startup packet layout: expected terminator as last byte";
  std::string good = Startup({{"user", "u"}});
  EXPECT_EQ(ParseError(good.substr(0, good.size() - 1)).message(), layout);  // no terminator
  EXPECT_EQ(ParseError(good + "x").message(), layout);                       // bytes after it
  EXPECT_EQ(ParseError(good + std::string(1, '\0')).message(), layout);
  EXPECT_EQ(ParseError(Code(kProtocol30) + std::string("user\0", 5)).message(), layout);
  EXPECT_EQ(ParseError(Code(kProtocol30)).message(), layout);
  EXPECT_EQ(ParseError(Code(kProtocol30) + std::string("user\0", 5)).sqlstate().code(), "08P01");
}

TEST(StartupTest, OptionsSplitting) {
  EXPECT_EQ(SplitOptions("  -c a=1\t--b=2  "), (std::vector<std::string>{"-c", "a=1", "--b=2"}));
  EXPECT_EQ(SplitOptions("-c search_path=my\\ schema x\\\\y"),
            (std::vector<std::string>{"-c", "search_path=my schema", "x\\y"}));
  EXPECT_TRUE(SplitOptions("   ").empty());

  auto params = std::get<StartupParams>(ParseStartupPacket(
      Startup({{"user", "u"},
               {"options", "-c geqo=off --work-mem=64MB -cstatement_timeout=5s -c a\\ b=c\\ d"}})));
  std::vector<std::pair<std::string, std::string>> expected = {
      {"geqo", "off"}, {"work_mem", "64MB"}, {"statement_timeout", "5s"}, {"a b", "c d"}};
  EXPECT_EQ(params.options, expected);
}

TEST(StartupTest, OptionsErrors) {
  Error bad_switch = ParseError(Startup({{"user", "u"}, {"options", "-B 100"}}));
  EXPECT_EQ(bad_switch.sqlstate().code(), "42601");
  EXPECT_EQ(bad_switch.message(), "invalid command-line argument for server process: -B");
  EXPECT_EQ(ParseError(Startup({{"user", "u"}, {"options", "-c geqo"}})).message(),
            "-c geqo requires a value");
  EXPECT_EQ(ParseError(Startup({{"user", "u"}, {"options", "--geqo"}})).message(),
            "--geqo requires a value");
  EXPECT_EQ(ParseError(Startup({{"user", "u"}, {"options", "-c"}})).message(),
            "invalid command-line argument for server process: -c");
}

TEST(StartupTest, ReplicationParameter) {
  for (const char* ok : {"true", "on", "1", "0", "false", "no", "database", "TRUE", "y"}) {
    auto params =
        std::get<StartupParams>(ParseStartupPacket(Startup({{"user", "u"}, {"replication", ok}})));
    EXPECT_EQ(params.replication, ok);
  }
  Error e = ParseError(Startup({{"user", "u"}, {"replication", "maybe"}}));
  EXPECT_EQ(e.sqlstate().code(), "22023");
  EXPECT_EQ(e.message(), "invalid value for parameter \"replication\": \"maybe\"");
}

}  // namespace
}  // namespace keel::protocol
