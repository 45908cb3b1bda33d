// Server message builders. See backend/protocol/README.md ("Messages").
#include "backend/protocol/backend_messages.h"

#include "backend/utils/error/format.h"

namespace keel::protocol {
namespace {

MessageBuilder ErrorOrNotice(char type, const Error& error) {
  MessageBuilder message(type);
  const char* severity = SeverityName(error.severity());
  message.AddByte('S').AddString(severity);
  message.AddByte('V').AddString(severity);  // never translated
  message.AddByte('C').AddString(error.sqlstate().code());
  message.AddByte('M').AddString(error.message());
  if (!error.detail().empty()) message.AddByte('D').AddString(error.detail());
  if (!error.hint().empty()) message.AddByte('H').AddString(error.hint());
  if (error.position() > 0) message.AddByte('P').AddString(Format("%d", error.position()));
  message.AddByte(0);
  return message;
}

MessageBuilder Auth(AuthRequest request) {
  MessageBuilder message('R');
  message.AddInt32(static_cast<int32_t>(request));
  return message;
}

}  // namespace

MessageBuilder ErrorResponse(const Error& error) { return ErrorOrNotice('E', error); }
MessageBuilder NoticeResponse(const Error& notice) { return ErrorOrNotice('N', notice); }

MessageBuilder AuthenticationOk() { return Auth(AuthRequest::kOk); }
MessageBuilder AuthenticationCleartextPassword() { return Auth(AuthRequest::kCleartextPassword); }

MessageBuilder AuthenticationMd5Password(std::string_view salt) {
  KEEL_ASSERT(salt.size() == 4);
  MessageBuilder message = Auth(AuthRequest::kMd5Password);
  message.AddBytes(salt);
  return message;
}

MessageBuilder AuthenticationSasl(const std::vector<std::string>& mechanisms) {
  MessageBuilder message = Auth(AuthRequest::kSasl);
  for (const std::string& mechanism : mechanisms) message.AddString(mechanism);
  message.AddByte(0);
  return message;
}

MessageBuilder AuthenticationSaslContinue(std::string_view data) {
  MessageBuilder message = Auth(AuthRequest::kSaslContinue);
  message.AddBytes(data);
  return message;
}

MessageBuilder AuthenticationSaslFinal(std::string_view data) {
  MessageBuilder message = Auth(AuthRequest::kSaslFinal);
  message.AddBytes(data);
  return message;
}

MessageBuilder ParameterStatus(std::string_view name, std::string_view value) {
  MessageBuilder message('S');
  message.AddString(name).AddString(value);
  return message;
}

MessageBuilder BackendKeyData(int32_t pid, int32_t key) {
  MessageBuilder message('K');
  message.AddInt32(pid).AddInt32(key);
  return message;
}

MessageBuilder ReadyForQuery(char status) {
  KEEL_ASSERT(status == 'I' || status == 'T' || status == 'E');
  MessageBuilder message('Z');
  message.AddByte(static_cast<uint8_t>(status));
  return message;
}

MessageBuilder EmptyQueryResponse() { return MessageBuilder('I'); }

MessageBuilder NegotiateProtocolVersion(int32_t newest_minor,
                                        const std::vector<std::string>& unrecognized_options) {
  MessageBuilder message('v');
  // The word carries the full version: major 3 in the high 16 bits.
  message.AddInt32((3 << 16) | newest_minor);
  message.AddInt32(static_cast<int32_t>(unrecognized_options.size()));
  for (const std::string& option : unrecognized_options) message.AddString(option);
  return message;
}

}  // namespace keel::protocol
