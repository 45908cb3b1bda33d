// Variable-length values (varlena) in PostgreSQL's little-endian byte format: 4-byte headers
// (plain or compressed inline), 1-byte headers for short values and 18-byte external TOAST
// pointers. Byte layout and invariants V1-V6: access/common/README.md ("Varlena format").
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string_view>
#include <vector>

#include "storage/common/ids.h"

namespace keel::access {

inline constexpr size_t kVarHdrSz = 4;              // 4-byte header
inline constexpr size_t kVarHdrSzShort = 1;         // 1-byte header
inline constexpr size_t kVarHdrSzExternal = 2;      // 0x01 + tag
inline constexpr size_t kVarShortMaxSize = 0x7F;    // total size with a 1-byte header (V2)
inline constexpr size_t kVarlenaMaxSize = 0x3FFFFFFF;  // total size with a 4-byte header (V1)
inline constexpr uint8_t kVarTagOnDisk = 18;        // external pointer into a TOAST relation
inline constexpr size_t kVarattExternalSize = 16;   // payload of an on-disk pointer
inline constexpr size_t kToastPointerSize = kVarHdrSzExternal + kVarattExternalSize;  // 18
// The compressed-inline header carries the raw size in 30 bits and the method in 2 (V3).
inline constexpr uint32_t kVarRawSizeMask = 0x3FFFFFFF;

// The 2-bit compression method id stored in a compressed value's tcinfo word and in an
// external pointer's extinfo word. 0 and 1 are PostgreSQL's pglz and lz4 (recognised, not
// produced); Keel compresses with zlib and stores it as 2, which PostgreSQL 15 leaves unused
// ("invalid"). See the README (V3).
enum class ToastCompressionId : uint8_t { kPglz = 0, kLz4 = 1, kZlib = 2, kInvalid = 3 };

// --- header tests (p points at the first header byte; no alignment required) -------------
[[nodiscard]] inline uint8_t VarFirstByte(const std::byte* p) { return static_cast<uint8_t>(p[0]); }
[[nodiscard]] inline uint32_t VarHeader4B(const std::byte* p) {
  uint32_t h;
  memcpy(&h, p, 4);
  return h;  // little-endian host (static_assert in varlena.cpp)
}
// 4-byte header (plain or compressed): the low two bits of the first byte are x0.
[[nodiscard]] inline bool VarIs4B(const std::byte* p) { return (VarFirstByte(p) & 0x01) == 0; }
[[nodiscard]] inline bool VarIs4BUncompressed(const std::byte* p) {
  return (VarFirstByte(p) & 0x03) == 0x00;
}
[[nodiscard]] inline bool VarIsCompressed(const std::byte* p) {
  return (VarFirstByte(p) & 0x03) == 0x02;
}
// 1-byte header of any kind (short value or external pointer).
[[nodiscard]] inline bool VarIs1B(const std::byte* p) { return (VarFirstByte(p) & 0x01) == 0x01; }
[[nodiscard]] inline bool VarIsExternal(const std::byte* p) { return VarFirstByte(p) == 0x01; }
// A short value: 1-byte header, inline data (not an external pointer).
[[nodiscard]] inline bool VarIsShort(const std::byte* p) {
  return VarIs1B(p) && !VarIsExternal(p);
}
// Compressed, external or short: anything a reader cannot take as a plain 4-byte value.
[[nodiscard]] inline bool VarIsExtended(const std::byte* p) { return !VarIs4BUncompressed(p); }

[[nodiscard]] inline uint8_t VarTagExternal(const std::byte* p) {
  return static_cast<uint8_t>(p[1]);
}

// --- sizes ------------------------------------------------------------------------------
// Total size including the header, for any header kind. An external pointer is
// kToastPointerSize bytes. Requires: an external pointer carries kVarTagOnDisk (V4).
[[nodiscard]] size_t VarSizeAny(const std::byte* p);
// Bytes after the header (for a compressed value: tcinfo word + compressed bytes; for an
// external pointer: the 16-byte varatt_external).
[[nodiscard]] inline size_t VarSizeAnyExhdr(const std::byte* p) {
  if (VarIsExternal(p)) return VarSizeAny(p) - kVarHdrSzExternal;
  return VarSizeAny(p) - (VarIs1B(p) ? kVarHdrSzShort : kVarHdrSz);
}
// The first byte after the header.
[[nodiscard]] inline const std::byte* VarDataAny(const std::byte* p) {
  if (VarIsExternal(p)) return p + kVarHdrSzExternal;
  return p + (VarIs1B(p) ? kVarHdrSzShort : kVarHdrSz);
}
[[nodiscard]] inline std::span<const std::byte> VarDataSpan(const std::byte* p) {
  return {VarDataAny(p), VarSizeAnyExhdr(p)};
}

// Whether a plain 4-byte value may be stored with a 1-byte header (data <= 126 bytes, V2),
// and its size then.
[[nodiscard]] inline bool VarCanMakeShort(const std::byte* p) {
  return VarIs4BUncompressed(p) && VarSizeAny(p) - kVarHdrSz + kVarHdrSzShort <= kVarShortMaxSize;
}
[[nodiscard]] inline size_t VarConvertedShortSize(const std::byte* p) {
  return VarSizeAny(p) - kVarHdrSz + kVarHdrSzShort;
}

// Compressed inline values: the size of the data once decompressed (without header) and the
// method. Requires: VarIsCompressed(p).
[[nodiscard]] uint32_t VarCompressedRawSize(const std::byte* p);
[[nodiscard]] ToastCompressionId VarCompressionMethod(const std::byte* p);

// --- header writers (little-endian) ------------------------------------------------------
// Requires: total_size <= kVarlenaMaxSize (4B) / kVarShortMaxSize (1B); total_size >= header.
void SetVarSize4B(std::byte* p, size_t total_size);
void SetVarSize4BCompressed(std::byte* p, size_t total_size, uint32_t raw_size,
                            ToastCompressionId method);  // also writes the tcinfo word
void SetVarSize1B(std::byte* p, size_t total_size);

// --- external TOAST pointers (PostgreSQL's varatt_external) -------------------------------
struct VarattExternal {
  int32_t rawsize = 0;   // original size including a 4-byte header (data size + 4)
  uint32_t extinfo = 0;  // bytes stored in the TOAST relation (30 bits) | method << 30
  Oid valueid;           // chunk_id of the chunks in the TOAST relation
  Oid toastrelid;        // the TOAST relation

  [[nodiscard]] uint32_t ExtSize() const { return extinfo & kVarRawSizeMask; }
  [[nodiscard]] ToastCompressionId Method() const {
    return static_cast<ToastCompressionId>(extinfo >> 30);
  }
  // Stored compressed iff fewer bytes are stored than the raw data size (V5).
  [[nodiscard]] bool IsCompressed() const {
    return ExtSize() < static_cast<uint32_t>(rawsize) - kVarHdrSz;
  }
  [[nodiscard]] uint32_t RawDataSize() const {
    return static_cast<uint32_t>(rawsize) - static_cast<uint32_t>(kVarHdrSz);
  }
};
// Reads the pointer at p. Requires: VarIsExternal(p) and tag kVarTagOnDisk.
[[nodiscard]] VarattExternal ReadExternalPointer(const std::byte* p);
// Writes the 18-byte pointer (0x01, 18, payload) to out[0..17].
void WriteExternalPointer(std::byte* out, const VarattExternal& ptr);
// extinfo from the stored size and the method (kInvalid is stored as 0: not compressed).
[[nodiscard]] uint32_t MakeExtInfo(uint32_t ext_size, ToastCompressionId method);

// --- owned values ---------------------------------------------------------------------------
// A plain 4-byte-header varlena holding `data`. Throws 54000 "invalid memory alloc request
// size %zu" past kVarlenaMaxSize (PostgreSQL's wording for values too large to exist).
[[nodiscard]] std::vector<std::byte> MakeVarlena(std::span<const std::byte> data);
[[nodiscard]] std::vector<std::byte> MakeVarlena(std::string_view text);
// The data of an inline, uncompressed value (4-byte or short) as text.
// Requires: !VarIsExternal(p) && !VarIsCompressed(p).
[[nodiscard]] std::string_view VarTextView(const std::byte* p);

}  // namespace keel::access
