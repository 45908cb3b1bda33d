// The calling convention of built-in SQL functions (PostgreSQL's fmgr): one C++ function per
// pg_proc prosrc, called once per row with its arguments as Datums. Type input / output /
// receive / send functions follow the same convention. README.md here (F1-F8).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory_resource>
#include <span>
#include <string>
#include <string_view>

#include "access/common/datum.h"
#include "storage/common/ids.h"

namespace keel::fmgr {

using access::Datum;

// PostgreSQL's FUNC_MAX_ARGS.
inline constexpr int kMaxFunctionArgs = 100;

// One call of a built-in function (F1-F4). The caller (the executor's expression program, a
// cast, a type's I/O) fills the inputs; the function sets `isnull` when it returns NULL.
struct FunctionCallInfo {
  Oid fn_oid;                   // the pg_proc oid being called (0 when called directly)
  Oid collation;                // input collation (0: none); text comparisons use it
  int nargs = 0;
  const Datum* args = nullptr;  // nargs values
  const bool* argnull = nullptr;  // nargs flags; a strict function is never called with one set
  bool isnull = false;          // out: the result is NULL (F2)
  // By-reference results are allocated here (F3): the caller's per-batch or per-query arena.
  std::pmr::memory_resource* result_memory = nullptr;
  // A slot the call site keeps across calls of one expression (a compiled pattern, a parsed
  // format): the function may store a pointer here and finds it again on the next call. The
  // object must live in `extra_memory`, which lives as long as the call site (F4).
  void** fn_extra = nullptr;
  std::pmr::memory_resource* extra_memory = nullptr;
};

// A built-in function. Throws keel::Error (22P02 bad input, 22003 out of range, 22012 division
// by zero ...) for bad values; never returns a dangling by-reference Datum (F3).
using BuiltinFunction = Datum (*)(FunctionCallInfo& fcinfo);

// One entry of a module's table of built-ins: the prosrc it implements and the function.
struct BuiltinFunctionEntry {
  std::string_view prosrc;
  BuiltinFunction fn;
};

// --- calling ---------------------------------------------------------------------------------
// Calls fn on non-null arguments (a strict function's caller has already checked for NULL).
// Returns the result and sets *isnull when the function returned NULL (may be null: then a NULL
// result is an error XX000, for calls that cannot return one such as type output).
Datum CallFunction(BuiltinFunction fn, std::span<const Datum> args,
                   std::pmr::memory_resource* result_memory, bool* isnull = nullptr,
                   Oid collation = Oid());

// --- arguments (F5) -------------------------------------------------------------------------
// A varlena argument (text, bytea, numeric ...) as its data bytes, whatever its header: 4-byte,
// 1-byte short, or compressed inline (decompressed into fcinfo.result_memory). External TOAST
// pointers never reach functions: the executor detoasts values it fetches (F5).
[[nodiscard]] std::span<const std::byte> VarlenaArg(FunctionCallInfo& fcinfo, int i);
[[nodiscard]] std::string_view TextArg(FunctionCallInfo& fcinfo, int i);
// A cstring argument (type input functions: args[0]).
[[nodiscard]] inline std::string_view CStringArg(const FunctionCallInfo& fcinfo, int i) {
  return std::string_view(access::DatumGetCString(fcinfo.args[i]));
}

// --- results (F3) ---------------------------------------------------------------------------
// A new plain 4-byte-header varlena in result_memory holding `data` / `text`. Throws 54000
// "invalid memory alloc request size %zu" past 1 GB.
[[nodiscard]] Datum MakeVarlenaResult(FunctionCallInfo& fcinfo, std::span<const std::byte> data);
[[nodiscard]] Datum MakeTextResult(FunctionCallInfo& fcinfo, std::string_view text);
// A varlena of data_size bytes in result_memory, header set, data left for the caller to fill.
[[nodiscard]] std::byte* AllocVarlenaResult(FunctionCallInfo& fcinfo, size_t data_size,
                                            Datum* result);
// A NUL-terminated copy in result_memory (type output functions return cstring).
[[nodiscard]] Datum MakeCStringResult(FunctionCallInfo& fcinfo, std::string_view text);
// `bytes` of fixed-length by-reference storage (uuid, interval, name ...) in result_memory.
[[nodiscard]] std::byte* AllocFixedResult(FunctionCallInfo& fcinfo, size_t bytes, Datum* result);

// A NULL result: sets fcinfo.isnull and returns 0.
inline Datum ReturnNull(FunctionCallInfo& fcinfo) {
  fcinfo.isnull = true;
  return 0;
}

// --- binary I/O (F6) ------------------------------------------------------------------------
// The message buffer a receive function reads from (PostgreSQL's StringInfo for typreceive):
// args[0] of a receive function is PointerGetDatum(&buffer). A receive function consumes its
// value's bytes, advancing `cursor`; reading past the end throws 08P01 "insufficient data left
// in message"; the caller checks that everything was consumed (22P03 "incorrect binary data
// format in bind parameter %d").
struct BinaryBuffer {
  const std::byte* data = nullptr;
  size_t len = 0;
  size_t cursor = 0;

  [[nodiscard]] size_t remaining() const { return len - cursor; }
  // Network byte order (big-endian) readers.
  [[nodiscard]] int64_t ReadInt64();
  [[nodiscard]] int32_t ReadInt32();
  [[nodiscard]] int16_t ReadInt16();
  [[nodiscard]] uint8_t ReadByte();
  [[nodiscard]] std::span<const std::byte> ReadBytes(size_t n);
};
[[nodiscard]] inline BinaryBuffer& BinaryBufferArg(const FunctionCallInfo& fcinfo, int i) {
  return *reinterpret_cast<BinaryBuffer*>(static_cast<uintptr_t>(fcinfo.args[i]));
}
// A send function returns a bytea (4-byte header) built with this writer, in network byte order.
class BinaryWriter {
 public:
  void WriteInt64(int64_t v);
  void WriteInt32(int32_t v);
  void WriteInt16(int16_t v);
  void WriteByte(uint8_t v);
  void WriteBytes(std::span<const std::byte> bytes);
  // The bytea result in fcinfo.result_memory.
  [[nodiscard]] Datum Finish(FunctionCallInfo& fcinfo) const;

 private:
  std::string bytes_;
};

}  // namespace keel::fmgr
