// Building and reading v3 protocol messages: a type byte, an int32 length that counts itself
// and the body, then the body. Integers are big-endian. See backend/protocol/README.md.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "backend/utils/error/error.h"

namespace keel::protocol {

// Builds one server message. The length word is kept up to date after every Add, so bytes()
// is always a complete message (M1).
class MessageBuilder {
 public:
  // `type` is the message type byte ('R', 'E', 'Z' ...).
  explicit MessageBuilder(char type);

  MessageBuilder& AddByte(uint8_t value);
  MessageBuilder& AddInt16(int16_t value);
  MessageBuilder& AddInt32(int32_t value);
  // Appends `value` and a terminating NUL. Requires: no NUL inside `value`.
  MessageBuilder& AddString(std::string_view value);
  // Appends raw bytes (no terminator).
  MessageBuilder& AddBytes(std::string_view value);

  [[nodiscard]] char type() const { return data_[0]; }
  // The whole message: type, length, body.
  [[nodiscard]] std::string_view bytes() const { return data_; }
  // The body only (after the length word).
  [[nodiscard]] std::string_view body() const { return std::string_view(data_).substr(5); }

 private:
  void UpdateLength();

  std::string data_;
};

// Reads the body of a client message. Every Get checks the bytes are there; malformed input
// throws keel::Error 08P01 with PostgreSQL's texts (M2). The body must outlive the reader and
// the views it returns.
class MessageReader {
 public:
  // `severity`: FATAL (default) during startup and authentication; the command loop may pass
  // Severity::kError, as PostgreSQL reports these as ERROR once the message is fully read.
  explicit MessageReader(std::string_view body, Severity severity = Severity::kFatal)
      : body_(body), severity_(severity) {}

  uint8_t GetByte();   // "no data left in message"
  int16_t GetInt16();  // "insufficient data left in message"
  int32_t GetInt32();  // "insufficient data left in message"
  // A NUL-terminated string, without the NUL. "invalid string in message" when none.
  std::string_view GetString();
  std::string_view GetBytes(size_t count);  // "insufficient data left in message"
  [[nodiscard]] size_t remaining() const { return body_.size() - pos_; }
  // "invalid message format" unless the whole body was read.
  void ExpectEnd() const;

 private:
  [[noreturn]] void Fail(const char* message) const;

  std::string_view body_;
  size_t pos_ = 0;
  Severity severity_;
};

// Big-endian helpers shared by the connection and startup code.
[[nodiscard]] inline uint32_t ReadUint32(const char* p) {
  return (uint32_t{static_cast<uint8_t>(p[0])} << 24) |
         (uint32_t{static_cast<uint8_t>(p[1])} << 16) |
         (uint32_t{static_cast<uint8_t>(p[2])} << 8) | uint32_t{static_cast<uint8_t>(p[3])};
}

}  // namespace keel::protocol
