// v3 message builder and reader. See backend/protocol/README.md (M1, M2).
#include "backend/protocol/message.h"

#include "backend/utils/error/sqlstate.h"

namespace keel::protocol {

MessageBuilder::MessageBuilder(char type) {
  data_.reserve(64);
  data_.push_back(type);
  data_.append(4, '\0');
  UpdateLength();
}

void MessageBuilder::UpdateLength() {
  // The length counts itself and the body, not the type byte.
  size_t length = data_.size() - 1;
  KEEL_ASSERT(length <= 0x7fffffffu);
  data_[1] = static_cast<char>((length >> 24) & 0xff);
  data_[2] = static_cast<char>((length >> 16) & 0xff);
  data_[3] = static_cast<char>((length >> 8) & 0xff);
  data_[4] = static_cast<char>(length & 0xff);
}

MessageBuilder& MessageBuilder::AddByte(uint8_t value) {
  data_.push_back(static_cast<char>(value));
  UpdateLength();
  return *this;
}

MessageBuilder& MessageBuilder::AddInt16(int16_t value) {
  auto v = static_cast<uint16_t>(value);
  data_.push_back(static_cast<char>(v >> 8));
  data_.push_back(static_cast<char>(v & 0xff));
  UpdateLength();
  return *this;
}

MessageBuilder& MessageBuilder::AddInt32(int32_t value) {
  auto v = static_cast<uint32_t>(value);
  data_.push_back(static_cast<char>(v >> 24));
  data_.push_back(static_cast<char>((v >> 16) & 0xff));
  data_.push_back(static_cast<char>((v >> 8) & 0xff));
  data_.push_back(static_cast<char>(v & 0xff));
  UpdateLength();
  return *this;
}

MessageBuilder& MessageBuilder::AddString(std::string_view value) {
  KEEL_ASSERT(value.find('\0') == std::string_view::npos);
  data_.append(value);
  data_.push_back('\0');
  UpdateLength();
  return *this;
}

MessageBuilder& MessageBuilder::AddBytes(std::string_view value) {
  data_.append(value);
  UpdateLength();
  return *this;
}

void MessageReader::Fail(const char* message) const {
  throw Error(sqlstate::kProtocolViolation, message, severity_);
}

uint8_t MessageReader::GetByte() {
  if (remaining() < 1) Fail("no data left in message");
  return static_cast<uint8_t>(body_[pos_++]);
}

int16_t MessageReader::GetInt16() {
  if (remaining() < 2) Fail("insufficient data left in message");
  auto hi = static_cast<uint8_t>(body_[pos_]);
  auto lo = static_cast<uint8_t>(body_[pos_ + 1]);
  pos_ += 2;
  return static_cast<int16_t>(static_cast<uint16_t>((hi << 8) | lo));
}

int32_t MessageReader::GetInt32() {
  if (remaining() < 4) Fail("insufficient data left in message");
  uint32_t v = ReadUint32(body_.data() + pos_);
  pos_ += 4;
  return static_cast<int32_t>(v);
}

std::string_view MessageReader::GetString() {
  size_t nul = body_.find('\0', pos_);
  if (nul == std::string_view::npos) Fail("invalid string in message");
  std::string_view out = body_.substr(pos_, nul - pos_);
  pos_ = nul + 1;
  return out;
}

std::string_view MessageReader::GetBytes(size_t count) {
  if (remaining() < count) Fail("insufficient data left in message");
  std::string_view out = body_.substr(pos_, count);
  pos_ += count;
  return out;
}

void MessageReader::ExpectEnd() const {
  if (pos_ != body_.size()) Fail("invalid message format");
}

}  // namespace keel::protocol
