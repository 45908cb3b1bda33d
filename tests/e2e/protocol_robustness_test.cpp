// End to end: malformed, truncated, oversized and random protocol input ends that one
// connection with the right error, never the server.
#include <gtest/gtest.h>
#include <unistd.h>

#include <random>

#include "tests/e2e/raw_client.h"
#include "tests/e2e/test_cluster.h"

namespace keel::testing {
namespace {

using Params = std::vector<std::pair<std::string, std::string>>;
const Params kLogin = {{"user", "keel"}, {"database", "postgres"}};

class ProtocolTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(cluster_.Start()); }

  // A session that got through startup: ReadyForQuery seen.
  std::unique_ptr<RawClient> LoggedIn() {
    auto client = std::make_unique<RawClient>(cluster_.port());
    EXPECT_TRUE(client->ok());
    client->Send(RawClient::StartupPacket(kLogin));
    auto ready = client->ReadUntil('Z');
    EXPECT_TRUE(ready.has_value());
    return client;
  }

  void ExpectServerHealthy() {
    ASSERT_TRUE(cluster_.WaitUntilAccepting(10));
    EXPECT_EQ(cluster_.log().find("terminated by signal"), std::string::npos) << cluster_.log();
    EXPECT_EQ(cluster_.log().find("reinitializing"), std::string::npos) << cluster_.log();
  }

  TestCluster cluster_;
};

TEST_F(ProtocolTest, OversizedStartupPacketEndsConnection) {
  RawClient client(cluster_.port());
  client.Send(RawClient::Int32(20000) + std::string(100, 'x'));
  auto error = client.ReadMessage();
  ASSERT_TRUE(error.has_value());
  EXPECT_EQ(error->type, 'E');
  EXPECT_EQ(RawClient::Fields(error->body)['C'], "08P01");
  EXPECT_TRUE(client.WaitClosed(5000));
  ExpectServerHealthy();
}

TEST_F(ProtocolTest, UnsupportedProtocolVersion) {
  RawClient client(cluster_.port());
  client.Send(RawClient::StartupPacket(kLogin, 2 << 16));
  auto error = client.ReadMessage();
  ASSERT_TRUE(error.has_value());
  ASSERT_EQ(error->type, 'E');
  auto fields = RawClient::Fields(error->body);
  EXPECT_EQ(fields['C'], "0A000");
  EXPECT_EQ(fields['S'], "FATAL");
  EXPECT_EQ(fields['M'], "unsupported frontend protocol 2.0: server supports 3.0 to 3.0");
  EXPECT_TRUE(client.WaitClosed(5000));
}

TEST_F(ProtocolTest, NewerMinorVersionIsNegotiatedDown) {
  RawClient client(cluster_.port());
  Params params = kLogin;
  params.push_back({"_pq_.fancy", "1"});
  client.Send(RawClient::StartupPacket(params, (3 << 16) | 7));
  auto negotiate = client.ReadMessage();
  ASSERT_TRUE(negotiate.has_value());
  ASSERT_EQ(negotiate->type, 'v');
  // PostgreSQL 15 sends the full newest version word (3.0), not just the minor number.
  EXPECT_EQ(negotiate->body.substr(0, 4), RawClient::Int32(3 << 16));
  EXPECT_EQ(negotiate->body.substr(4, 4), RawClient::Int32(1));  // one option not understood
  EXPECT_EQ(negotiate->body.substr(8), std::string("_pq_.fancy") + '\0');
  EXPECT_TRUE(client.ReadUntil('Z').has_value());
}

TEST_F(ProtocolTest, SslAndGssEncRequestsAreRefusedWhenOff) {
  RawClient client(cluster_.port());
  client.Send(RawClient::Int32(8) + RawClient::Int32(80877103));
  EXPECT_EQ(client.Read(1, 5000), "N");
  client.Send(RawClient::Int32(8) + RawClient::Int32(80877104));
  EXPECT_EQ(client.Read(1, 5000), "N");
  client.Send(RawClient::StartupPacket(kLogin));
  EXPECT_TRUE(client.ReadUntil('Z').has_value());
}

TEST_F(ProtocolTest, MissingUserIsRefused) {
  RawClient client(cluster_.port());
  client.Send(RawClient::StartupPacket({{"database", "postgres"}}));
  auto error = client.ReadMessage();
  ASSERT_TRUE(error.has_value());
  auto fields = RawClient::Fields(error->body);
  EXPECT_EQ(fields['C'], "28000");
  EXPECT_EQ(fields['M'], "no PostgreSQL user name specified in startup packet");
}

TEST_F(ProtocolTest, InvalidMessageTypeIsFatal) {
  auto client = LoggedIn();
  client->Send(RawClient::Msg('@', ""));
  auto error = client->ReadMessage();
  ASSERT_TRUE(error.has_value());
  auto fields = RawClient::Fields(error->body);
  EXPECT_EQ(fields['S'], "FATAL");
  EXPECT_EQ(fields['C'], "08P01");
  EXPECT_EQ(fields['M'], "invalid frontend message type 64");
  EXPECT_TRUE(client->WaitClosed(5000));
  ExpectServerHealthy();
}

TEST_F(ProtocolTest, BadLengthsAndUnterminatedStrings) {
  {
    auto client = LoggedIn();
    client->Send(std::string("Q") + RawClient::Int32(2));
    EXPECT_TRUE(client->WaitClosed(5000));
  }
  {
    auto client = LoggedIn();
    client->Send(std::string("Q") + RawClient::Int32(0x7fffffff));
    EXPECT_TRUE(client->WaitClosed(5000));
  }
  {
    auto client = LoggedIn();
    // No terminating NUL: the message itself arrived whole, so as in PostgreSQL this is an
    // ERROR and the session stays in step.
    client->Send(RawClient::Msg('Q', "select 1"));
    auto error = client->ReadMessage();
    ASSERT_TRUE(error.has_value());
    auto fields = RawClient::Fields(error->body);
    EXPECT_EQ(fields['C'], "08P01");
    EXPECT_EQ(fields['S'], "ERROR");
    EXPECT_EQ(fields['M'], "invalid string in message");
    auto ready = client->ReadMessage();
    ASSERT_TRUE(ready.has_value());
    EXPECT_EQ(ready->type, 'Z');
  }
  {
    auto client = LoggedIn();
    client->Send(std::string("Q") + RawClient::Int32(100) + "select");  // then vanish
  }
  ExpectServerHealthy();
}

TEST_F(ProtocolTest, ExtendedMessagesAreSkippedUntilSync) {
  auto client = LoggedIn();
  std::string parse = RawClient::Msg('P', std::string("\0select 1\0", 10) + RawClient::Int16(0));
  std::string bind = RawClient::Msg('B', std::string("\0\0", 2) + RawClient::Int16(0) +
                                             RawClient::Int16(0) + RawClient::Int16(0));
  client->Send(parse + bind + RawClient::Msg('E', std::string("\0", 1) + RawClient::Int32(0)) +
               RawClient::Msg('S', ""));
  auto error = client->ReadMessage();
  ASSERT_TRUE(error.has_value());
  EXPECT_EQ(error->type, 'E');  // exactly one error for the batch
  auto ready = client->ReadMessage();
  ASSERT_TRUE(ready.has_value());
  EXPECT_EQ(ready->type, 'Z');
  client->Send(RawClient::Msg('Q', std::string("\0", 1)));
  auto empty = client->ReadMessage();
  ASSERT_TRUE(empty.has_value());
  EXPECT_EQ(empty->type, 'I');
}

TEST_F(ProtocolTest, RandomBytesNeverTakeTheServerDown) {
  uint32_t seed = static_cast<uint32_t>(getpid());
  SCOPED_TRACE("seed " + std::to_string(seed));
  std::mt19937 rng(seed);
  for (int i = 0; i < 150; ++i) {
    std::unique_ptr<RawClient> client;
    if (i % 2 == 0) {
      client = std::make_unique<RawClient>(cluster_.port());
    } else {
      client = LoggedIn();  // garbage after a good start
    }
    ASSERT_TRUE(client->ok());
    std::string junk(rng() % 3000 + 1, '\0');
    for (char& c : junk) c = static_cast<char>(rng());
    if (i % 5 == 0) junk[0] = "QPBESX"[rng() % 6];  // a plausible type byte
    client->Send(junk);
    (void)client->Read(4096, 20);
  }
  ExpectServerHealthy();
}

}  // namespace
}  // namespace keel::testing
