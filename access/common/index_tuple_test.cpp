// Index tuples: form/deform round trips (by-value, text, nulls, prefixes), the layout rules
// IT1-IT6, errors, and the built-in comparators with ASC/DESC and NULLS FIRST/LAST.
#include "access/common/index_tuple.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "access/common/varlena.h"
#include "backend/utils/error/error.h"

namespace keel::access {
namespace {

TupleDesc ThreeColumns() {
  return TupleDesc({AttributeForType("a", type_oid::kInt4), AttributeForType("b", type_oid::kText),
                    AttributeForType("c", type_oid::kInt8)});
}

TEST(IndexTupleTest, RoundTripWithoutNulls) {
  TupleDesc desc = ThreeColumns();
  std::vector<std::byte> text = MakeVarlena(std::string_view("hello"));
  const Datum values[3] = {Int32GetDatum(-7), PointerGetDatum(text.data()), Int64GetDatum(1LL << 40)};
  const bool isnull[3] = {false, false, false};
  IndexTuple t = IndexFormTuple(desc, values, isnull, {BlockNumber(12), 34});
  EXPECT_EQ(t.header()->Tid(), (storage::ItemPointer{BlockNumber(12), 34}));
  EXPECT_FALSE(t.header()->HasNulls());
  EXPECT_NE(t.header()->info & kIndexHasVarWidth, 0);
  // IT2: header 8, a at 8 (4 bytes), b short varlena at 12 (1 + 5), c aligned to 8 -> 24, 32 total.
  EXPECT_EQ(t.size(), 32u);
  EXPECT_EQ(t.header()->Size(), 32u);
  EXPECT_EQ(IndexComputeTupleSize(desc, values, isnull), 32u);
  Datum out[3];
  bool out_null[3];
  IndexDeformTuple(desc, t.header(), out, out_null);
  EXPECT_EQ(DatumGetInt32(out[0]), -7);
  EXPECT_EQ(VarTextView(DatumGetPointer(out[1])), "hello");
  EXPECT_EQ(DatumGetInt64(out[2]), 1LL << 40);
  for (bool n : out_null) EXPECT_FALSE(n);
}

TEST(IndexTupleTest, NullsAndPrefixes) {
  TupleDesc desc = ThreeColumns();
  const Datum values[3] = {0, 0, Int64GetDatum(-1)};
  const bool isnull[3] = {true, true, false};
  IndexTuple t = IndexFormTuple(desc, values, isnull, {BlockNumber(1), 1});
  EXPECT_TRUE(t.header()->HasNulls());
  EXPECT_EQ(t.header()->DataOffset(), 16u);  // header + 4-byte bitmap, aligned
  EXPECT_EQ(t.size(), 24u);
  EXPECT_TRUE(IndexAttIsNull(t.header(), 0));
  EXPECT_TRUE(IndexAttIsNull(t.header(), 1));
  EXPECT_FALSE(IndexAttIsNull(t.header(), 2));
  Datum out[3];
  bool out_null[3];
  IndexDeformTuple(desc, t.header(), out, out_null);
  EXPECT_TRUE(out_null[0]);
  EXPECT_TRUE(out_null[1]);
  EXPECT_FALSE(out_null[2]);
  EXPECT_EQ(DatumGetInt64(out[2]), -1);

  // A prefix (key columns only, as pivots are formed).
  std::vector<std::byte> text = MakeVarlena(std::string(300, 'x'));  // stays a 4-byte varlena
  const Datum v2[3] = {Int32GetDatum(5), PointerGetDatum(text.data()), Int64GetDatum(9)};
  const bool n2[3] = {false, false, false};
  IndexTuple p = IndexFormTuple(desc, v2, n2, {}, 2);
  EXPECT_EQ(p.size(), 8u + 4u + 304u);
  Datum out2[2];
  bool out2_null[2];
  IndexDeformTuple(desc, p.header(), out2, out2_null);
  EXPECT_EQ(DatumGetInt32(out2[0]), 5);
  EXPECT_EQ(VarTextView(DatumGetPointer(out2[1])), std::string(300, 'x'));
  // Resize keeps the contents and records the new size.
  p.Resize(p.size() + 12);
  EXPECT_EQ(p.header()->Size(), 8u + 4u + 304u + 12u);
  IndexDeformTuple(desc, p.header(), out2, out2_null);
  EXPECT_EQ(DatumGetInt32(out2[0]), 5);
}

TEST(IndexTupleTest, Errors) {
  std::vector<Attribute> many;
  for (int i = 0; i < 33; ++i) many.push_back(AttributeForType("c" + std::to_string(i), type_oid::kInt4));
  TupleDesc wide(many);
  std::vector<Datum> values(33, 0);
  std::vector<bool> isnull_v(33, false);
  bool isnull[33] = {};
  try {
    (void)IndexFormTuple(wide, values, std::span<const bool>(isnull, 33), {});
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.sqlstate().code(), "54011");
    EXPECT_STREQ(e.what(), "number of index columns (33) exceeds limit (32)");
  }
  TupleDesc one({AttributeForType("b", type_oid::kText)});
  std::vector<std::byte> big = MakeVarlena(std::string(9000, 'y'));
  const Datum v = PointerGetDatum(big.data());
  const bool n = false;
  try {
    (void)IndexFormTuple(one, std::span<const Datum>(&v, 1), std::span<const bool>(&n, 1), {});
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.sqlstate().code(), "54000");
    EXPECT_STREQ(e.what(), "index row requires 9012 bytes, maximum size is 8191");
  }
  EXPECT_THROW((void)IndexKeyColumnForType(type_oid::kNumeric), Error);
}

// IT4: external TOAST pointers and inline-compressed values are refused with 0A000, by both
// the size computation and forming.
TEST(IndexTupleTest, ExternalAndCompressedValuesRefused) {
  TupleDesc one({AttributeForType("b", type_oid::kText)});
  const bool n = false;
  VarattExternal ext;
  ext.rawsize = 2004;
  ext.extinfo = MakeExtInfo(2000, ToastCompressionId::kInvalid);
  ext.valueid = Oid(16500);
  ext.toastrelid = Oid(16501);
  std::byte ptr[18] = {};
  WriteExternalPointer(ptr, ext);
  ASSERT_TRUE(VarIsExternal(ptr));
  std::vector<std::byte> comp(64, std::byte{0x5a});
  SetVarSize4BCompressed(comp.data(), comp.size(), 500, ToastCompressionId::kPglz);
  ASSERT_TRUE(VarIsCompressed(comp.data()));
  const struct {
    const std::byte* value;
    const char* message;
  } cases[] = {{ptr, "cannot store an external (TOASTed) value in an index tuple"},
               {comp.data(), "cannot store a compressed value in an index tuple"}};
  for (const auto& c : cases) {
    const Datum v = PointerGetDatum(c.value);
    try {
      (void)IndexFormTuple(one, std::span<const Datum>(&v, 1), std::span<const bool>(&n, 1), {});
      FAIL() << c.message;
    } catch (const Error& e) {
      EXPECT_EQ(e.sqlstate().code(), "0A000");
      EXPECT_STREQ(e.what(), c.message);
    }
    EXPECT_THROW((void)IndexComputeTupleSize(one, std::span<const Datum>(&v, 1),
                                             std::span<const bool>(&n, 1)),
                 Error);
  }
}

TEST(IndexTupleTest, Comparators) {
  EXPECT_LT(BtInt2Cmp(Int16GetDatum(-5), Int16GetDatum(3)), 0);
  EXPECT_GT(BtInt4Cmp(Int32GetDatum(INT32_MAX), Int32GetDatum(INT32_MIN)), 0);
  EXPECT_LT(BtInt8Cmp(Int64GetDatum(INT64_MIN), Int64GetDatum(0)), 0);
  EXPECT_GT(BtOidCmp(ObjectIdGetDatum(Oid(0xFFFFFFF0u)), ObjectIdGetDatum(Oid(5))), 0);  // unsigned
  EXPECT_LT(BtBoolCmp(BoolGetDatum(false), BoolGetDatum(true)), 0);
  const double nan = std::numeric_limits<double>::quiet_NaN();
  EXPECT_EQ(BtFloat8Cmp(Float8GetDatum(nan), Float8GetDatum(nan)), 0);
  EXPECT_GT(BtFloat8Cmp(Float8GetDatum(nan), Float8GetDatum(INFINITY)), 0);
  EXPECT_EQ(BtFloat8Cmp(Float8GetDatum(-0.0), Float8GetDatum(0.0)), 0);
  std::vector<std::byte> ab = MakeVarlena(std::string_view("ab"));
  std::vector<std::byte> abc = MakeVarlena(std::string_view("abc"));
  std::vector<std::byte> upper_b = MakeVarlena(std::string_view("B"));
  EXPECT_LT(BtTextCmpC(PointerGetDatum(ab.data()), PointerGetDatum(abc.data())), 0);
  EXPECT_LT(BtTextCmpC(PointerGetDatum(upper_b.data()), PointerGetDatum(ab.data())), 0);  // C collation
  EXPECT_EQ(BtTextCmpC(PointerGetDatum(ab.data()), PointerGetDatum(ab.data())), 0);

  // Direction and null placement (IT5).
  const IndexKeyColumn asc = IndexKeyColumnForType(type_oid::kInt4);
  const IndexKeyColumn desc = IndexKeyColumnForType(type_oid::kInt4, true);
  const IndexKeyColumn asc_nf = IndexKeyColumnForType(type_oid::kInt4, false, 1);
  EXPECT_FALSE(asc.nulls_first);
  EXPECT_TRUE(desc.nulls_first);
  const Datum one = Int32GetDatum(1), two = Int32GetDatum(2);
  EXPECT_LT(IndexCompareColumn(asc, one, false, two, false), 0);
  EXPECT_GT(IndexCompareColumn(desc, one, false, two, false), 0);
  EXPECT_GT(IndexCompareColumn(asc, 0, true, two, false), 0);    // NULLS LAST
  EXPECT_LT(IndexCompareColumn(desc, 0, true, two, false), 0);   // NULLS FIRST
  EXPECT_LT(IndexCompareColumn(asc_nf, 0, true, two, false), 0);
  EXPECT_EQ(IndexCompareColumn(asc, 0, true, 0, true), 0);
  EXPECT_EQ(asc.output(Int32GetDatum(-42)), "-42");
}

TEST(IndexTupleTest, EqualImage) {
  // IT7: equal values are bytewise equal for every built-in type but float8 (-0 = 0).
  for (uint32_t type : {type_oid::kInt2, type_oid::kInt4, type_oid::kInt8, type_oid::kOid,
                        type_oid::kBool, type_oid::kText, type_oid::kVarchar}) {
    EXPECT_TRUE(IndexKeyColumnForType(type).equal_image) << type;
    EXPECT_TRUE(IndexKeyColumnForType(type, true).equal_image) << type;
  }
  EXPECT_FALSE(IndexKeyColumnForType(type_oid::kFloat8).equal_image);
  EXPECT_FALSE(IndexKeyColumn{}.equal_image);  // unknown comparators: not assumed
}

}  // namespace
}  // namespace keel::access
