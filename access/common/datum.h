// Datum: one column value as the access methods and the executor pass it around — the value
// itself for by-value types of up to 8 bytes, otherwise a pointer to the bytes (a varlena, a
// cstring or a fixed-length by-reference value). See access/common/README.md ("Datums").
#pragma once

#include <bit>
#include <cstdint>

#include "storage/common/ids.h"

namespace keel::access {

// 64 bits on every supported platform: an int8 / float8 fits by value (PostgreSQL's
// USE_FLOAT8_BYVAL). Only the low attlen bytes are written into a tuple (little-endian);
// reading one back sign-extends 1, 2 and 4 byte values (T2 in the README), so compare Datums
// through the DatumGet* accessors, never as raw 64-bit words (an oid > 2^31 differs there).
using Datum = uint64_t;

[[nodiscard]] constexpr Datum BoolGetDatum(bool v) { return v ? 1 : 0; }
[[nodiscard]] constexpr bool DatumGetBool(Datum d) { return (d & 0xFF) != 0; }

[[nodiscard]] constexpr Datum CharGetDatum(char v) {
  return static_cast<Datum>(static_cast<int64_t>(static_cast<int8_t>(v)));
}
[[nodiscard]] constexpr char DatumGetChar(Datum d) { return static_cast<char>(d & 0xFF); }

[[nodiscard]] constexpr Datum Int16GetDatum(int16_t v) {
  return static_cast<Datum>(static_cast<int64_t>(v));
}
[[nodiscard]] constexpr int16_t DatumGetInt16(Datum d) { return static_cast<int16_t>(d); }

[[nodiscard]] constexpr Datum Int32GetDatum(int32_t v) {
  return static_cast<Datum>(static_cast<int64_t>(v));
}
[[nodiscard]] constexpr int32_t DatumGetInt32(Datum d) { return static_cast<int32_t>(d); }

[[nodiscard]] constexpr Datum UInt32GetDatum(uint32_t v) { return static_cast<Datum>(v); }
[[nodiscard]] constexpr uint32_t DatumGetUInt32(Datum d) { return static_cast<uint32_t>(d); }

[[nodiscard]] constexpr Datum ObjectIdGetDatum(Oid v) { return static_cast<Datum>(v.value()); }
[[nodiscard]] constexpr Oid DatumGetObjectId(Datum d) { return Oid(static_cast<uint32_t>(d)); }

[[nodiscard]] constexpr Datum Int64GetDatum(int64_t v) { return static_cast<Datum>(v); }
[[nodiscard]] constexpr int64_t DatumGetInt64(Datum d) { return static_cast<int64_t>(d); }

// float4 travels as its 32 bit pattern in the low half, float8 as its 64 bit pattern.
[[nodiscard]] constexpr Datum Float4GetDatum(float v) {
  return static_cast<Datum>(std::bit_cast<uint32_t>(v));
}
[[nodiscard]] constexpr float DatumGetFloat4(Datum d) {
  return std::bit_cast<float>(static_cast<uint32_t>(d));
}
[[nodiscard]] constexpr Datum Float8GetDatum(double v) { return std::bit_cast<uint64_t>(v); }
[[nodiscard]] constexpr double DatumGetFloat8(Datum d) { return std::bit_cast<double>(d); }

// Orders two non-null values of one type: < 0, 0, > 0 (btree support function 1,
// BTORDER_PROC). `arg` carries what the function needs beyond the values (a collation, a type's
// modifiers); may be null. Never called with a NULL value. Used by index keys (index_tuple.h)
// and scan keys (access/index/scan_key.h) alike.
using DatumCompareFn = int (*)(Datum a, Datum b, const void* arg);

// By-reference values: the Datum is the address. The pointee's owner is whoever made the
// Datum (a tuple buffer for deformed values, the caller for values passed to HeapFormTuple).
[[nodiscard]] inline Datum PointerGetDatum(const void* p) {
  return static_cast<Datum>(reinterpret_cast<uintptr_t>(p));
}
[[nodiscard]] inline const std::byte* DatumGetPointer(Datum d) {
  return reinterpret_cast<const std::byte*>(static_cast<uintptr_t>(d));
}
[[nodiscard]] inline const char* DatumGetCString(Datum d) {
  return reinterpret_cast<const char*>(static_cast<uintptr_t>(d));
}

}  // namespace keel::access
