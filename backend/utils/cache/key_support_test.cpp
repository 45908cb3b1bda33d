// Index key support by type oid: the comparators and text forms this module adds, and the
// table's fallbacks and errors. README.md ("Index key support").
#include "backend/utils/cache/key_support.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "access/common/tuple_desc.h"
#include "access/common/varlena.h"
#include "backend/catalog/catalog_values.h"
#include "backend/utils/error/error.h"

namespace keel::cache {
namespace {

namespace type = access::type_oid;

int Compare(uint32_t type_oid, access::Datum a, access::Datum b) {
  const access::IndexKeyColumn c = BtreeKeyColumnForType(type_oid);
  return c.compare(a, b, c.compare_arg);
}

TEST(KeySupportTest, Float4OrdersNanLastAndZeroesEqual) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  EXPECT_LT(Compare(type::kFloat4, access::Float4GetDatum(-1.5f), access::Float4GetDatum(2.0f)), 0);
  EXPECT_GT(Compare(type::kFloat4, access::Float4GetDatum(nan), access::Float4GetDatum(1e30f)), 0);
  EXPECT_EQ(Compare(type::kFloat4, access::Float4GetDatum(nan), access::Float4GetDatum(nan)), 0);
  EXPECT_EQ(Compare(type::kFloat4, access::Float4GetDatum(-0.0f), access::Float4GetDatum(0.0f)), 0);
  EXPECT_FALSE(BtreeKeyColumnForType(type::kFloat4).equal_image);
  EXPECT_EQ(BtreeKeyColumnForType(type::kFloat4).output(access::Float4GetDatum(1.5f)), "1.5");
}

TEST(KeySupportTest, ByteaAndBpchar) {
  const std::vector<std::byte> ab = access::MakeVarlena("ab");
  const std::vector<std::byte> abc = access::MakeVarlena("abc");
  const std::vector<std::byte> ab_blank = access::MakeVarlena("ab  ");
  const auto d = [](const std::vector<std::byte>& v) { return access::PointerGetDatum(v.data()); };
  EXPECT_LT(Compare(type::kBytea, d(ab), d(abc)), 0);
  EXPECT_GT(Compare(type::kBytea, d(ab_blank), d(ab)), 0);  // blanks are bytes in bytea
  EXPECT_EQ(Compare(type::kBpchar, d(ab_blank), d(ab)), 0);  // not in bpchar
  EXPECT_LT(Compare(type::kBpchar, d(ab_blank), d(abc)), 0);
  EXPECT_EQ(BtreeKeyColumnForType(type::kBytea).output(d(ab)), "\\x6162");
}

TEST(KeySupportTest, DatesAndTimestampsOrderAndPrint) {
  EXPECT_LT(Compare(type::kDate, access::Int32GetDatum(-1), access::Int32GetDatum(0)), 0);
  EXPECT_EQ(DateOut(access::Int32GetDatum(0)), "2000-01-01");
  EXPECT_EQ(DateOut(access::Int32GetDatum(-1)), "1999-12-31");
  EXPECT_EQ(DateOut(access::Int32GetDatum(8766)), "2024-01-01");
  EXPECT_EQ(DateOut(access::Int32GetDatum(59)), "2000-02-29");
  EXPECT_EQ(DateOut(access::Int32GetDatum(-730119)), "0001-01-01");
  EXPECT_EQ(DateOut(access::Int32GetDatum(-730120)), "0001-12-31 BC");
  EXPECT_EQ(DateOut(access::Int32GetDatum(std::numeric_limits<int32_t>::max())), "infinity");
  const int64_t day = 86400LL * 1000000;
  EXPECT_EQ(TimestampOut(access::Int64GetDatum(day + 3723000000LL)), "2000-01-02 01:02:03");
  EXPECT_EQ(TimestampOut(access::Int64GetDatum(1500000)), "2000-01-01 00:00:01.5");
  EXPECT_EQ(TimestampOut(access::Int64GetDatum(-1)), "1999-12-31 23:59:59.999999");
  EXPECT_EQ(TimestampTzOut(access::Int64GetDatum(0)), "2000-01-01 00:00:00+00");
  EXPECT_EQ(TimestampOut(access::Int64GetDatum(std::numeric_limits<int64_t>::min())), "-infinity");
  EXPECT_GT(Compare(type::kTimestampTz, access::Int64GetDatum(5), access::Int64GetDatum(-5)), 0);
}

TEST(KeySupportTest, CatalogAndCommonTypesAndErrors) {
  // Through backend/catalog's and access/common's tables.
  const std::vector<std::byte> a = catalog::MakeName("a");
  const std::vector<std::byte> b = catalog::MakeName("b");
  EXPECT_LT(Compare(type::kName, access::PointerGetDatum(a.data()), access::PointerGetDatum(b.data())), 0);
  EXPECT_GT(Compare(type::kInt8, access::Int64GetDatum(1LL << 40), access::Int64GetDatum(1)), 0);
  EXPECT_LT(Compare(type::kOid, access::UInt32GetDatum(1), access::UInt32GetDatum(3000000000u)), 0);
  EXPECT_LT(Compare(2205, access::UInt32GetDatum(1), access::UInt32GetDatum(3000000000u)), 0);
  try {
    (void)BtreeKeyColumnForType(type::kNumeric);
    FAIL() << "numeric has no comparator yet";
  } catch (const Error& e) {
    EXPECT_EQ(e.message(), "missing support function for type 1700");
  }
}

}  // namespace
}  // namespace keel::cache
