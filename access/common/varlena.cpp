// Varlena header accessors and writers. Format: access/common/README.md ("Varlena format").
#include "access/common/varlena.h"

#include <bit>

#include "backend/utils/error/error.h"
#include "backend/utils/error/format.h"

namespace keel::access {

static_assert(std::endian::native == std::endian::little,
              "the varlena header layout (V1-V4) is PostgreSQL's little-endian one");

namespace {

void WriteU32(std::byte* p, uint32_t v) { memcpy(p, &v, 4); }
uint32_t ReadU32(const std::byte* p) {
  uint32_t v;
  memcpy(&v, p, 4);
  return v;
}

}  // namespace

size_t VarSizeAny(const std::byte* p) {
  if (VarIsExternal(p)) {
    KEEL_ASSERT(VarTagExternal(p) == kVarTagOnDisk);  // V4: the only tag stored on disk
    return kToastPointerSize;
  }
  if (VarIs1B(p)) return (VarFirstByte(p) >> 1) & 0x7F;  // V2
  return (VarHeader4B(p) >> 2) & kVarRawSizeMask;        // V1
}

uint32_t VarCompressedRawSize(const std::byte* p) {
  KEEL_ASSERT(VarIsCompressed(p));
  return ReadU32(p + kVarHdrSz) & kVarRawSizeMask;  // V3
}

ToastCompressionId VarCompressionMethod(const std::byte* p) {
  KEEL_ASSERT(VarIsCompressed(p));
  return static_cast<ToastCompressionId>(ReadU32(p + kVarHdrSz) >> 30);
}

void SetVarSize4B(std::byte* p, size_t total_size) {
  KEEL_ASSERT(total_size >= kVarHdrSz && total_size <= kVarlenaMaxSize);
  WriteU32(p, static_cast<uint32_t>(total_size) << 2);
}

void SetVarSize4BCompressed(std::byte* p, size_t total_size, uint32_t raw_size,
                            ToastCompressionId method) {
  KEEL_ASSERT(total_size >= 2 * kVarHdrSz && total_size <= kVarlenaMaxSize);
  KEEL_ASSERT(raw_size <= kVarRawSizeMask);
  WriteU32(p, (static_cast<uint32_t>(total_size) << 2) | 0x02);
  WriteU32(p + kVarHdrSz, raw_size | (static_cast<uint32_t>(method) << 30));
}

void SetVarSize1B(std::byte* p, size_t total_size) {
  KEEL_ASSERT(total_size >= kVarHdrSzShort && total_size <= kVarShortMaxSize);
  p[0] = static_cast<std::byte>((total_size << 1) | 0x01);
}

VarattExternal ReadExternalPointer(const std::byte* p) {
  KEEL_ASSERT(VarIsExternal(p) && VarTagExternal(p) == kVarTagOnDisk);
  const std::byte* q = p + kVarHdrSzExternal;
  VarattExternal e;
  e.rawsize = static_cast<int32_t>(ReadU32(q));
  e.extinfo = ReadU32(q + 4);
  e.valueid = Oid(ReadU32(q + 8));
  e.toastrelid = Oid(ReadU32(q + 12));
  return e;
}

void WriteExternalPointer(std::byte* out, const VarattExternal& ptr) {
  out[0] = std::byte{0x01};
  out[1] = std::byte{kVarTagOnDisk};
  std::byte* q = out + kVarHdrSzExternal;
  WriteU32(q, static_cast<uint32_t>(ptr.rawsize));
  WriteU32(q + 4, ptr.extinfo);
  WriteU32(q + 8, ptr.valueid.value());
  WriteU32(q + 12, ptr.toastrelid.value());
}

uint32_t MakeExtInfo(uint32_t ext_size, ToastCompressionId method) {
  KEEL_ASSERT(ext_size <= kVarRawSizeMask);
  if (method == ToastCompressionId::kInvalid) return ext_size;
  return ext_size | (static_cast<uint32_t>(method) << 30);
}

std::vector<std::byte> MakeVarlena(std::span<const std::byte> data) {
  size_t total = data.size() + kVarHdrSz;
  if (data.size() > kVarlenaMaxSize - kVarHdrSz) {
    throw Error(sqlstate::kProgramLimitExceeded,
                Format("invalid memory alloc request size %zu", total));
  }
  std::vector<std::byte> out(total);
  SetVarSize4B(out.data(), total);
  if (!data.empty()) memcpy(out.data() + kVarHdrSz, data.data(), data.size());
  return out;
}

std::vector<std::byte> MakeVarlena(std::string_view text) {
  return MakeVarlena(std::as_bytes(std::span<const char>(text.data(), text.size())));
}

std::string_view VarTextView(const std::byte* p) {
  KEEL_ASSERT(!VarIsExternal(p) && !VarIsCompressed(p));
  return {reinterpret_cast<const char*>(VarDataAny(p)), VarSizeAnyExhdr(p)};
}

}  // namespace keel::access
