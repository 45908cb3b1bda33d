// Calling built-in functions, their argument accessors and result allocators. README.md (F1-F8).
#include "backend/utils/fmgr/fmgr.h"

#include <cstring>

#include "access/common/varlena.h"
#include "access/heap/heap_toast.h"
#include "backend/utils/error/error.h"
#include "backend/utils/error/format.h"

namespace keel::fmgr {

Datum CallFunction(BuiltinFunction fn, std::span<const Datum> args,
                   std::pmr::memory_resource* result_memory, bool* isnull, Oid collation) {
  bool nulls[kMaxFunctionArgs] = {};
  if (args.size() > static_cast<size_t>(kMaxFunctionArgs)) {
    throw Error(sqlstate::kInternalError, Format("function called with %zu arguments", args.size()));
  }
  FunctionCallInfo fcinfo;
  fcinfo.collation = collation;
  fcinfo.nargs = static_cast<int>(args.size());
  fcinfo.args = args.data();
  fcinfo.argnull = nulls;
  fcinfo.result_memory = result_memory;
  Datum result = fn(fcinfo);
  if (isnull != nullptr) {
    *isnull = fcinfo.isnull;
  } else if (fcinfo.isnull) {
    throw Error(sqlstate::kInternalError, "function returned NULL");
  }
  return result;
}

std::span<const std::byte> VarlenaArg(FunctionCallInfo& fcinfo, int i) {
  const std::byte* p = access::DatumGetPointer(fcinfo.args[i]);
  if (access::VarIsExternal(p)) {
    // F5: the executor detoasts fetched values; reaching here is a bug, not bad input.
    throw Error(sqlstate::kInternalError, "external TOAST pointer passed to a function");
  }
  if (access::VarIsCompressed(p)) {
    std::vector<std::byte> plain = access::DecompressVarlena(p);
    auto* copy = static_cast<std::byte*>(fcinfo.result_memory->allocate(plain.size(), 8));
    memcpy(copy, plain.data(), plain.size());
    return {copy + access::kVarHdrSz, plain.size() - access::kVarHdrSz};
  }
  const size_t header = access::VarIs1B(p) ? access::kVarHdrSzShort : access::kVarHdrSz;
  return {p + header, access::VarSizeAny(p) - header};
}

std::string_view TextArg(FunctionCallInfo& fcinfo, int i) {
  std::span<const std::byte> bytes = VarlenaArg(fcinfo, i);
  return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}

std::byte* AllocVarlenaResult(FunctionCallInfo& fcinfo, size_t data_size, Datum* result) {
  if (data_size > access::kVarlenaMaxSize - access::kVarHdrSz) {
    throw Error(sqlstate::kProgramLimitExceeded,
                Format("invalid memory alloc request size %zu", data_size + access::kVarHdrSz));
  }
  auto* p = static_cast<std::byte*>(fcinfo.result_memory->allocate(data_size + access::kVarHdrSz, 8));
  access::SetVarSize4B(p, data_size + access::kVarHdrSz);
  *result = access::PointerGetDatum(p);
  return p + access::kVarHdrSz;
}

Datum MakeVarlenaResult(FunctionCallInfo& fcinfo, std::span<const std::byte> data) {
  Datum result;
  std::byte* out = AllocVarlenaResult(fcinfo, data.size(), &result);
  if (!data.empty()) memcpy(out, data.data(), data.size());
  return result;
}

Datum MakeTextResult(FunctionCallInfo& fcinfo, std::string_view text) {
  return MakeVarlenaResult(fcinfo, std::as_bytes(std::span(text.data(), text.size())));
}

Datum MakeCStringResult(FunctionCallInfo& fcinfo, std::string_view text) {
  auto* p = static_cast<char*>(fcinfo.result_memory->allocate(text.size() + 1, 1));
  if (!text.empty()) memcpy(p, text.data(), text.size());
  p[text.size()] = '\0';
  return access::PointerGetDatum(p);
}

std::byte* AllocFixedResult(FunctionCallInfo& fcinfo, size_t bytes, Datum* result) {
  auto* p = static_cast<std::byte*>(fcinfo.result_memory->allocate(bytes, 8));
  memset(p, 0, bytes);
  *result = access::PointerGetDatum(p);
  return p;
}

namespace {

void NeedBytes(const BinaryBuffer& buffer, size_t n) {
  if (buffer.remaining() < n) {
    throw Error(sqlstate::kProtocolViolation, "insufficient data left in message");
  }
}

uint64_t ReadBigEndian(BinaryBuffer& buffer, size_t n) {
  NeedBytes(buffer, n);
  uint64_t v = 0;
  for (size_t k = 0; k < n; ++k) v = (v << 8) | static_cast<uint8_t>(buffer.data[buffer.cursor + k]);
  buffer.cursor += n;
  return v;
}

}  // namespace

int64_t BinaryBuffer::ReadInt64() { return static_cast<int64_t>(ReadBigEndian(*this, 8)); }
int32_t BinaryBuffer::ReadInt32() { return static_cast<int32_t>(ReadBigEndian(*this, 4)); }
int16_t BinaryBuffer::ReadInt16() { return static_cast<int16_t>(ReadBigEndian(*this, 2)); }
uint8_t BinaryBuffer::ReadByte() { return static_cast<uint8_t>(ReadBigEndian(*this, 1)); }

std::span<const std::byte> BinaryBuffer::ReadBytes(size_t n) {
  NeedBytes(*this, n);
  std::span<const std::byte> out(data + cursor, n);
  cursor += n;
  return out;
}

namespace {

void AppendBigEndian(std::string& out, uint64_t v, size_t n) {
  for (size_t k = n; k > 0; --k) out.push_back(static_cast<char>((v >> (8 * (k - 1))) & 0xFF));
}

}  // namespace

void BinaryWriter::WriteInt64(int64_t v) { AppendBigEndian(bytes_, static_cast<uint64_t>(v), 8); }
void BinaryWriter::WriteInt32(int32_t v) {
  AppendBigEndian(bytes_, static_cast<uint32_t>(v), 4);
}
void BinaryWriter::WriteInt16(int16_t v) {
  AppendBigEndian(bytes_, static_cast<uint16_t>(v), 2);
}
void BinaryWriter::WriteByte(uint8_t v) { bytes_.push_back(static_cast<char>(v)); }
void BinaryWriter::WriteBytes(std::span<const std::byte> bytes) {
  bytes_.append(reinterpret_cast<const char*>(bytes.data()), bytes.size());
}

Datum BinaryWriter::Finish(FunctionCallInfo& fcinfo) const {
  return MakeTextResult(fcinfo, bytes_);
}

}  // namespace keel::fmgr
