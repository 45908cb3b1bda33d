// Tests for MessageBuilder/MessageReader round trips, malformed input, and the server
// message builders' exact bytes.
#include "backend/protocol/message.h"

#include <gtest/gtest.h>

#include "backend/protocol/backend_messages.h"

namespace keel::protocol {
namespace {

std::string Bytes(std::initializer_list<int> values) {
  std::string out;
  for (int v : values) out += static_cast<char>(v);
  return out;
}

TEST(MessageTest, BuilderWritesTypeLengthAndBigEndianFields) {
  MessageBuilder message('X');
  EXPECT_EQ(message.bytes(), Bytes({'X', 0, 0, 0, 4}));
  message.AddByte(0xfe)
      .AddInt16(-2)
      .AddInt32(0x01020304)
      .AddString("ab")
      .AddBytes(std::string("\0z", 2));
  EXPECT_EQ(message.bytes(),
            Bytes({'X', 0, 0, 0, 16, 0xfe, 0xff, 0xfe, 1, 2, 3, 4, 'a', 'b', 0, 0, 'z'}));
  EXPECT_EQ(message.type(), 'X');
  EXPECT_EQ(message.body().size(), 12u);
}

TEST(MessageTest, RoundTrip) {
  MessageBuilder message('Q');
  message.AddInt32(-123456789).AddInt16(32767).AddByte(7).AddString("hello").AddString("");
  message.AddBytes("raw");
  MessageReader reader(message.body());
  EXPECT_EQ(reader.GetInt32(), -123456789);
  EXPECT_EQ(reader.GetInt16(), 32767);
  EXPECT_EQ(reader.GetByte(), 7);
  EXPECT_EQ(reader.GetString(), "hello");
  EXPECT_EQ(reader.GetString(), "");
  EXPECT_EQ(reader.remaining(), 3u);
  EXPECT_EQ(reader.GetBytes(3), "raw");
  EXPECT_NO_THROW(reader.ExpectEnd());
}

void ExpectProtocolError(const std::function<void()>& fn, const char* text, Severity severity) {
  try {
    fn();
    ADD_FAILURE() << "no error, expected " << text;
  } catch (const Error& e) {
    EXPECT_EQ(e.sqlstate().code(), "08P01");
    EXPECT_EQ(e.message(), text);
    EXPECT_EQ(e.severity(), severity);
  }
}

TEST(MessageTest, MalformedInput) {
  std::string body = Bytes({'a', 'b', 1, 2, 3});
  ExpectProtocolError([&] { MessageReader(body).GetBytes(6); }, "insufficient data left in message",
                      Severity::kFatal);
  ExpectProtocolError([&] { MessageReader(body).GetString(); }, "invalid string in message",
                      Severity::kFatal);
  ExpectProtocolError(
      [&] {
        MessageReader r(body);
        (void)r.GetInt32();
        (void)r.GetInt16();
      },
      "insufficient data left in message", Severity::kFatal);
  ExpectProtocolError(
      [&] {
        MessageReader r(body);
        (void)r.GetBytes(5);
        (void)r.GetByte();
      },
      "no data left in message", Severity::kFatal);
  ExpectProtocolError(
      [&] {
        MessageReader r(body);
        (void)r.GetInt32();
        r.ExpectEnd();
      },
      "invalid message format", Severity::kFatal);
  ExpectProtocolError([&] { (void)MessageReader(body, Severity::kError).GetBytes(9); },
                      "insufficient data left in message", Severity::kError);
}

TEST(BackendMessagesTest, ErrorResponseFields) {
  Error error = Error(sqlstate::kSyntaxError, "syntax error at or near \"x\"")
                    .WithDetail("d")
                    .WithHint("h")
                    .WithPosition(12);
  MessageBuilder message = ErrorResponse(error);
  EXPECT_EQ(message.type(), 'E');
  MessageReader reader(message.body());
  std::vector<std::pair<char, std::string>> fields;
  for (;;) {
    char code = static_cast<char>(reader.GetByte());
    if (code == 0) break;
    fields.emplace_back(code, std::string(reader.GetString()));
  }
  reader.ExpectEnd();
  std::vector<std::pair<char, std::string>> expected = {
      {'S', "ERROR"}, {'V', "ERROR"}, {'C', "42601"}, {'M', "syntax error at or near \"x\""},
      {'D', "d"},     {'H', "h"},     {'P', "12"}};
  EXPECT_EQ(fields, expected);

  MessageBuilder notice = NoticeResponse(Error(sqlstate::kWarning, "w", Severity::kWarning));
  EXPECT_EQ(notice.type(), 'N');
  EXPECT_EQ(notice.body(), std::string("SWARNING\0VWARNING\0C01000\0Mw\0\0", 29));
}

TEST(BackendMessagesTest, StartupPhaseMessages) {
  EXPECT_EQ(AuthenticationOk().bytes(), Bytes({'R', 0, 0, 0, 8, 0, 0, 0, 0}));
  EXPECT_EQ(AuthenticationCleartextPassword().bytes(), Bytes({'R', 0, 0, 0, 8, 0, 0, 0, 3}));
  EXPECT_EQ(AuthenticationMd5Password(Bytes({1, 2, 3, 4})).bytes(),
            Bytes({'R', 0, 0, 0, 12, 0, 0, 0, 5, 1, 2, 3, 4}));
  EXPECT_EQ(AuthenticationSasl({"SCRAM-SHA-256-PLUS", "SCRAM-SHA-256"}).body(),
            Bytes({0, 0, 0, 10}) + std::string("SCRAM-SHA-256-PLUS\0SCRAM-SHA-256\0\0", 34));
  EXPECT_EQ(AuthenticationSaslContinue("r=abc").body(), Bytes({0, 0, 0, 11}) + "r=abc");
  EXPECT_EQ(AuthenticationSaslFinal("v=xyz").body(), Bytes({0, 0, 0, 12}) + "v=xyz");
  EXPECT_EQ(ParameterStatus("server_version", "15.0").bytes(), "S" + Bytes({0, 0, 0, 24}) +
                                                                   std::string("server_version\0"
                                                                               "15.0\0",
                                                                               20));
  EXPECT_EQ(BackendKeyData(0x1234, -1).bytes(),
            Bytes({'K', 0, 0, 0, 12, 0, 0, 0x12, 0x34, 0xff, 0xff, 0xff, 0xff}));
  EXPECT_EQ(ReadyForQuery('I').bytes(), Bytes({'Z', 0, 0, 0, 5, 'I'}));
  EXPECT_EQ(EmptyQueryResponse().bytes(), Bytes({'I', 0, 0, 0, 4}));
  EXPECT_EQ(
      NegotiateProtocolVersion(0, {"_pq_.a", "_pq_.b"}).bytes(),
      "v" + Bytes({0, 0, 0, 26, 0, 3, 0, 0, 0, 0, 0, 2}) + std::string("_pq_.a\0_pq_.b\0", 14));
}

}  // namespace
}  // namespace keel::protocol
