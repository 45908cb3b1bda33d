// Tests of the calling convention's helpers: varlena arguments in every inline form, result
// allocation, NULL results and the binary buffer.
#include "backend/utils/fmgr/fmgr.h"

#include <gtest/gtest.h>

#include <cstring>
#include <string>

#include "access/common/varlena.h"
#include "backend/utils/error/error.h"
#include "backend/utils/memory/arena.h"

namespace keel::fmgr {
namespace {

// A test function: the length of its text argument, NULL for the empty string.
Datum TestLength(FunctionCallInfo& fcinfo) {
  std::string_view s = TextArg(fcinfo, 0);
  if (s.empty()) return ReturnNull(fcinfo);
  return access::Int32GetDatum(static_cast<int32_t>(s.size()));
}

Datum TestUpper(FunctionCallInfo& fcinfo) {
  std::string s(TextArg(fcinfo, 0));
  for (char& c : s) c = static_cast<char>(toupper(static_cast<unsigned char>(c)));
  return MakeTextResult(fcinfo, s);
}

TEST(FmgrTest, TextArgumentsWithFourByteAndShortHeaders) {
  Arena arena("test");
  std::vector<std::byte> four = access::MakeVarlena(std::string_view("hello"));
  Datum args[1] = {access::PointerGetDatum(four.data())};
  EXPECT_EQ(access::DatumGetInt32(CallFunction(TestLength, args, &arena)), 5);

  // The same value with a 1-byte header, as deformed from a tuple.
  std::byte shortv[6];
  access::SetVarSize1B(shortv, 6);
  memcpy(shortv + 1, "hello", 5);
  args[0] = access::PointerGetDatum(shortv);
  EXPECT_EQ(access::DatumGetInt32(CallFunction(TestLength, args, &arena)), 5);
  Datum upper = CallFunction(TestUpper, args, &arena);
  EXPECT_EQ(access::VarTextView(access::DatumGetPointer(upper)), "HELLO");
}

TEST(FmgrTest, NullResults) {
  Arena arena("test");
  std::vector<std::byte> empty = access::MakeVarlena(std::string_view(""));
  Datum args[1] = {access::PointerGetDatum(empty.data())};
  bool isnull = false;
  (void)CallFunction(TestLength, args, &arena, &isnull);
  EXPECT_TRUE(isnull);
  EXPECT_THROW((void)CallFunction(TestLength, args, &arena), Error);
}

TEST(FmgrTest, BinaryBufferReadsNetworkOrderAndRefusesShortData) {
  BinaryWriter writer;
  writer.WriteInt32(-2);
  writer.WriteInt16(0x1234);
  writer.WriteInt64(int64_t{1} << 40);
  writer.WriteByte(7);
  Arena arena("test");
  FunctionCallInfo fcinfo;
  fcinfo.result_memory = &arena;
  Datum bytea = writer.Finish(fcinfo);
  const std::byte* p = access::DatumGetPointer(bytea);
  ASSERT_EQ(access::VarSizeAny(p), access::kVarHdrSz + 15);
  EXPECT_EQ(static_cast<uint8_t>(p[access::kVarHdrSz + 4]), 0x12);

  BinaryBuffer buffer{p + access::kVarHdrSz, 15, 0};
  EXPECT_EQ(buffer.ReadInt32(), -2);
  EXPECT_EQ(buffer.ReadInt16(), 0x1234);
  EXPECT_EQ(buffer.ReadInt64(), int64_t{1} << 40);
  EXPECT_EQ(buffer.ReadByte(), 7);
  EXPECT_EQ(buffer.remaining(), 0u);
  try {
    (void)buffer.ReadInt16();
    FAIL() << "read past the end";
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.sqlstate().code()), "08P01");
  }
}

TEST(FmgrTest, CStringAndFixedResults) {
  Arena arena("test");
  FunctionCallInfo fcinfo;
  fcinfo.result_memory = &arena;
  Datum s = MakeCStringResult(fcinfo, "abc");
  EXPECT_STREQ(access::DatumGetCString(s), "abc");
  Datum fixed;
  std::byte* p = AllocFixedResult(fcinfo, 16, &fixed);
  EXPECT_EQ(access::DatumGetPointer(fixed), p);
  EXPECT_EQ(static_cast<int>(p[15]), 0);
}

}  // namespace
}  // namespace keel::fmgr
