// Varlena accessors and writers against byte patterns built by hand from PostgreSQL's
// documented little-endian format (access/common/README.md, "Varlena format").
#include "access/common/varlena.h"

#include <gtest/gtest.h>

#include <initializer_list>
#include <string>
#include <vector>

#include "backend/utils/error/error.h"

namespace keel::access {
namespace {

std::vector<std::byte> Bytes(std::initializer_list<int> list) {
  std::vector<std::byte> out;
  for (int b : list) out.push_back(static_cast<std::byte>(b));
  return out;
}

void Append(std::vector<std::byte>* v, std::string_view s) {
  for (char c : s) v->push_back(static_cast<std::byte>(c));
}

TEST(Varlena, FourByteHeaderUncompressed) {
  // "hello": total 9 bytes, header 9 << 2 = 0x24.
  auto v = Bytes({0x24, 0x00, 0x00, 0x00});
  Append(&v, "hello");
  const std::byte* p = v.data();
  EXPECT_TRUE(VarIs4B(p));
  EXPECT_TRUE(VarIs4BUncompressed(p));
  EXPECT_FALSE(VarIsCompressed(p));
  EXPECT_FALSE(VarIs1B(p));
  EXPECT_FALSE(VarIsShort(p));
  EXPECT_FALSE(VarIsExternal(p));
  EXPECT_FALSE(VarIsExtended(p));
  EXPECT_EQ(VarSizeAny(p), 9u);
  EXPECT_EQ(VarSizeAnyExhdr(p), 5u);
  EXPECT_EQ(VarDataAny(p), p + 4);
  EXPECT_EQ(VarTextView(p), "hello");
  EXPECT_TRUE(VarCanMakeShort(p));
  EXPECT_EQ(VarConvertedShortSize(p), 6u);
}

TEST(Varlena, FourByteHeaderWhoseFirstByteIsZero) {
  // Total 64: 64 << 2 = 0x100, so the first byte is 0 (what padding also looks like).
  auto v = Bytes({0x00, 0x01, 0x00, 0x00});
  v.resize(64, std::byte{'z'});
  EXPECT_TRUE(VarIs4BUncompressed(v.data()));
  EXPECT_EQ(VarSizeAny(v.data()), 64u);
  EXPECT_EQ(VarSizeAnyExhdr(v.data()), 60u);
  EXPECT_TRUE(VarCanMakeShort(v.data()));
}

TEST(Varlena, LargeFourByteHeader) {
  // 1 000 004 total = 0xF4244; << 2 = 0x3D0910.
  auto v = Bytes({0x10, 0x09, 0x3D, 0x00});
  EXPECT_EQ(VarSizeAny(v.data()), 1000004u);
  EXPECT_FALSE(VarCanMakeShort(v.data()));
}

TEST(Varlena, OneByteHeader) {
  // "hello" short: total 6, header (6 << 1) | 1 = 0x0D.
  auto v = Bytes({0x0D});
  Append(&v, "hello");
  const std::byte* p = v.data();
  EXPECT_TRUE(VarIs1B(p));
  EXPECT_TRUE(VarIsShort(p));
  EXPECT_FALSE(VarIsExternal(p));
  EXPECT_FALSE(VarIs4B(p));
  EXPECT_TRUE(VarIsExtended(p));
  EXPECT_EQ(VarSizeAny(p), 6u);
  EXPECT_EQ(VarSizeAnyExhdr(p), 5u);
  EXPECT_EQ(VarDataAny(p), p + 1);
  EXPECT_EQ(VarTextView(p), "hello");
  EXPECT_FALSE(VarCanMakeShort(p));  // only plain 4-byte values are converted

  // The largest short value: 126 data bytes, header 0xFF; the empty one: header 0x03.
  std::vector<std::byte> max(127, std::byte{'a'});
  max[0] = std::byte{0xFF};
  EXPECT_TRUE(VarIsShort(max.data()));
  EXPECT_EQ(VarSizeAny(max.data()), 127u);
  auto empty = Bytes({0x03});
  EXPECT_EQ(VarSizeAny(empty.data()), 1u);
  EXPECT_EQ(VarSizeAnyExhdr(empty.data()), 0u);
}

TEST(Varlena, ShortBoundary) {
  std::string s126(126, 'x');
  std::string s127(127, 'x');
  auto a = MakeVarlena(s126);
  auto b = MakeVarlena(s127);
  EXPECT_TRUE(VarCanMakeShort(a.data()));
  EXPECT_FALSE(VarCanMakeShort(b.data()));
}

TEST(Varlena, CompressedInline) {
  // Total 20 bytes: (20 << 2) | 2 = 0x52; tcinfo = 1000 | (2 << 30) = 0x800003E8 (zlib).
  auto v = Bytes({0x52, 0x00, 0x00, 0x00, 0xE8, 0x03, 0x00, 0x80});
  v.resize(20, std::byte{0x5A});
  const std::byte* p = v.data();
  EXPECT_TRUE(VarIs4B(p));
  EXPECT_TRUE(VarIsCompressed(p));
  EXPECT_FALSE(VarIs4BUncompressed(p));
  EXPECT_TRUE(VarIsExtended(p));
  EXPECT_EQ(VarSizeAny(p), 20u);
  EXPECT_EQ(VarSizeAnyExhdr(p), 16u);
  EXPECT_EQ(VarCompressedRawSize(p), 1000u);
  EXPECT_EQ(VarCompressionMethod(p), ToastCompressionId::kZlib);

  // PostgreSQL's pglz id 0 and lz4 id 1 read back as such.
  auto pglz = Bytes({0x52, 0x00, 0x00, 0x00, 0xE8, 0x03, 0x00, 0x00});
  EXPECT_EQ(VarCompressionMethod(pglz.data()), ToastCompressionId::kPglz);
  auto lz4 = Bytes({0x52, 0x00, 0x00, 0x00, 0xE8, 0x03, 0x00, 0x40});
  EXPECT_EQ(VarCompressionMethod(lz4.data()), ToastCompressionId::kLz4);

  std::vector<std::byte> w(20);
  SetVarSize4BCompressed(w.data(), 20, 1000, ToastCompressionId::kZlib);
  EXPECT_EQ(0, memcmp(w.data(), v.data(), 8));
}

TEST(Varlena, ExternalPointer) {
  // 0x01, tag 18, rawsize 100004, extinfo 100000 (stored uncompressed), value 16385, rel 16390.
  auto v = Bytes({0x01, 0x12, 0xA4, 0x86, 0x01, 0x00, 0xA0, 0x86, 0x01, 0x00,
                  0x01, 0x40, 0x00, 0x00, 0x06, 0x40, 0x00, 0x00});
  const std::byte* p = v.data();
  EXPECT_TRUE(VarIs1B(p));
  EXPECT_TRUE(VarIsExternal(p));
  EXPECT_FALSE(VarIsShort(p));
  EXPECT_FALSE(VarIsCompressed(p));
  EXPECT_EQ(VarTagExternal(p), kVarTagOnDisk);
  EXPECT_EQ(VarSizeAny(p), 18u);
  EXPECT_EQ(VarSizeAnyExhdr(p), 16u);
  VarattExternal e = ReadExternalPointer(p);
  EXPECT_EQ(e.rawsize, 100004);
  EXPECT_EQ(e.ExtSize(), 100000u);
  EXPECT_EQ(e.RawDataSize(), 100000u);
  EXPECT_FALSE(e.IsCompressed());
  EXPECT_EQ(e.valueid, Oid(16385));
  EXPECT_EQ(e.toastrelid, Oid(16390));

  std::vector<std::byte> w(kToastPointerSize);
  WriteExternalPointer(w.data(), e);
  EXPECT_EQ(w, v);

  // Stored compressed: extinfo = 5000 | (2 << 30) = 0x80001388.
  auto c = Bytes({0x01, 0x12, 0xA4, 0x86, 0x01, 0x00, 0x88, 0x13, 0x00, 0x80,
                  0x01, 0x40, 0x00, 0x00, 0x06, 0x40, 0x00, 0x00});
  VarattExternal ce = ReadExternalPointer(c.data());
  EXPECT_TRUE(ce.IsCompressed());
  EXPECT_EQ(ce.ExtSize(), 5000u);
  EXPECT_EQ(ce.Method(), ToastCompressionId::kZlib);
  EXPECT_EQ(MakeExtInfo(5000, ToastCompressionId::kZlib), ce.extinfo);
  EXPECT_EQ(MakeExtInfo(5000, ToastCompressionId::kInvalid), 5000u);
}

TEST(Varlena, WritersProduceTheDocumentedBytes) {
  std::vector<std::byte> w(9);
  SetVarSize4B(w.data(), 9);
  EXPECT_EQ(std::vector<std::byte>(w.begin(), w.begin() + 4), Bytes({0x24, 0, 0, 0}));
  SetVarSize1B(w.data(), 6);
  EXPECT_EQ(w[0], std::byte{0x0D});
  SetVarSize1B(w.data(), 127);
  EXPECT_EQ(w[0], std::byte{0xFF});

  auto m = MakeVarlena("hello");
  auto expect = Bytes({0x24, 0x00, 0x00, 0x00});
  Append(&expect, "hello");
  EXPECT_EQ(m, expect);
  auto e = MakeVarlena(std::string_view());
  EXPECT_EQ(e, Bytes({0x10, 0x00, 0x00, 0x00}));
  EXPECT_EQ(VarSizeAnyExhdr(e.data()), 0u);
}

}  // namespace
}  // namespace keel::access
