// Tuple descriptors: built-in type properties, validation, attcacheoff (T1-T6).
#include "access/common/tuple_desc.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "backend/utils/error/error.h"

namespace keel::access {
namespace {

TEST(TupleDesc, BuiltinTypesCarryPostgresProperties) {
  Attribute i4 = AttributeForType("a", type_oid::kInt4);
  EXPECT_EQ(i4.attlen, 4);
  EXPECT_TRUE(i4.attbyval);
  EXPECT_EQ(i4.attalign, 'i');
  EXPECT_EQ(i4.attstorage, 'p');
  Attribute text = AttributeForType("t", type_oid::kText, true);
  EXPECT_EQ(text.attlen, -1);
  EXPECT_FALSE(text.attbyval);
  EXPECT_EQ(text.attalign, 'i');
  EXPECT_EQ(text.attstorage, 'x');
  EXPECT_TRUE(text.attnotnull);
  EXPECT_EQ(AttributeForType("n", type_oid::kNumeric).attstorage, 'm');
  Attribute name = AttributeForType("n", type_oid::kName);
  EXPECT_EQ(name.attlen, 64);
  EXPECT_FALSE(name.attbyval);
  EXPECT_EQ(name.attalign, 'c');
  EXPECT_EQ(AttributeForType("c", type_oid::kCString).attlen, -2);
  EXPECT_EQ(AttributeForType("f", type_oid::kFloat8).attalign, 'd');
  EXPECT_EQ(AttributeForType("u", type_oid::kUuid).attlen, 16);
  try {
    (void)AttributeForType("x", 999999);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.message(), "cache lookup failed for type 999999");
  }
}

TEST(TupleDesc, CacheOffsetsForLeadingFixedColumnsAndFirstVarlena) {
  TupleDesc d({AttributeForType("a", type_oid::kBool), AttributeForType("b", type_oid::kInt8),
               AttributeForType("c", type_oid::kInt2), AttributeForType("d", type_oid::kInt4),
               AttributeForType("e", type_oid::kText), AttributeForType("f", type_oid::kInt4)});
  EXPECT_EQ(d.attr(0).attcacheoff, 0);
  EXPECT_EQ(d.attr(1).attcacheoff, 8);
  EXPECT_EQ(d.attr(2).attcacheoff, 16);
  EXPECT_EQ(d.attr(3).attcacheoff, 20);
  EXPECT_EQ(d.attr(4).attcacheoff, 24);  // already 4-aligned: known
  EXPECT_EQ(d.attr(5).attcacheoff, -1);
  EXPECT_EQ(d.cached_prefix(), 5);
  EXPECT_TRUE(d.has_varwidth());

  // A varlena after a bool would need padding when 4-byte: its start depends on the value.
  TupleDesc e({AttributeForType("a", type_oid::kBool), AttributeForType("t", type_oid::kText)});
  EXPECT_EQ(e.attr(1).attcacheoff, -1);
  EXPECT_EQ(e.cached_prefix(), 1);

  TupleDesc f({AttributeForType("a", type_oid::kInt4), AttributeForType("b", type_oid::kFloat4)});
  EXPECT_FALSE(f.has_varwidth());
  EXPECT_EQ(f.cached_prefix(), 2);
}

TEST(TupleDesc, RejectsInconsistentAttributes) {
  Attribute bad = AttributeForType("a", type_oid::kInt4);
  bad.attlen = 3;
  EXPECT_THROW(TupleDesc({bad}), Error);
  Attribute bad_storage = AttributeForType("a", type_oid::kInt4);
  bad_storage.attstorage = 'x';
  EXPECT_THROW(TupleDesc({bad_storage}), Error);
  Attribute bad_align = AttributeForType("a", type_oid::kText);
  bad_align.attalign = 'q';
  EXPECT_THROW(TupleDesc({bad_align}), Error);
}

TEST(TupleDesc, TooManyColumns) {
  std::vector<Attribute> attrs;
  for (int i = 0; i <= kMaxTupleAttributeNumber; ++i) {
    attrs.push_back(AttributeForType("c" + std::to_string(i), type_oid::kInt4));
  }
  try {
    TupleDesc d(attrs);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.sqlstate(), sqlstate::kTooManyColumns);
    EXPECT_EQ(e.message(), "number of columns (1665) exceeds limit (1664)");
  }
  attrs.pop_back();
  TupleDesc ok(attrs);
  EXPECT_EQ(ok.natts(), kMaxTupleAttributeNumber);
  EXPECT_EQ(ok.cached_prefix(), kMaxTupleAttributeNumber);
}

}  // namespace
}  // namespace keel::access
