// Tuple descriptors: validation and the attcacheoff computation. See access/common/README.md
// ("Tuple descriptors", T1-T9).
#include "access/common/tuple_desc.h"

#include "backend/utils/error/error.h"
#include "backend/utils/error/format.h"

namespace keel::access {

size_t AlignmentOf(char align) {
  switch (align) {
    case kAlignChar: return 1;
    case kAlignShort: return 2;
    case kAlignInt: return 4;
    case kAlignDouble: return 8;
    default: break;
  }
  throw Error(sqlstate::kInternalError, Format("invalid attalign value '%c'", align));
}

namespace {

struct BuiltinType {
  uint32_t oid;
  int16_t len;
  bool byval;
  char align;
  char storage;
};

// PostgreSQL 15's pg_type.dat values for these types.
constexpr BuiltinType kBuiltinTypes[] = {
    {type_oid::kBool, 1, true, kAlignChar, kStoragePlain},
    {type_oid::kBytea, kAttLenVarlena, false, kAlignInt, kStorageExtended},
    {type_oid::kChar, 1, true, kAlignChar, kStoragePlain},
    {type_oid::kName, 64, false, kAlignChar, kStoragePlain},
    {type_oid::kInt8, 8, true, kAlignDouble, kStoragePlain},
    {type_oid::kInt2, 2, true, kAlignShort, kStoragePlain},
    {type_oid::kInt4, 4, true, kAlignInt, kStoragePlain},
    {type_oid::kText, kAttLenVarlena, false, kAlignInt, kStorageExtended},
    {type_oid::kOid, 4, true, kAlignInt, kStoragePlain},
    {type_oid::kFloat4, 4, true, kAlignInt, kStoragePlain},
    {type_oid::kFloat8, 8, true, kAlignDouble, kStoragePlain},
    {type_oid::kBpchar, kAttLenVarlena, false, kAlignInt, kStorageExtended},
    {type_oid::kVarchar, kAttLenVarlena, false, kAlignInt, kStorageExtended},
    {type_oid::kDate, 4, true, kAlignInt, kStoragePlain},
    {type_oid::kTime, 8, true, kAlignDouble, kStoragePlain},
    {type_oid::kTimestamp, 8, true, kAlignDouble, kStoragePlain},
    {type_oid::kTimestampTz, 8, true, kAlignDouble, kStoragePlain},
    {type_oid::kInterval, 16, false, kAlignDouble, kStoragePlain},
    {type_oid::kNumeric, kAttLenVarlena, false, kAlignInt, kStorageMain},
    {type_oid::kCString, kAttLenCString, false, kAlignChar, kStoragePlain},
    {type_oid::kUuid, 16, false, kAlignChar, kStoragePlain},
    {type_oid::kJsonb, kAttLenVarlena, false, kAlignInt, kStorageExtended},
};

[[noreturn]] void BadAttribute(const Attribute& a, const char* what) {
  throw Error(sqlstate::kInternalError,
              Format("invalid attribute \"%s\": %s", a.name.c_str(), what));
}

void ValidateAttribute(const Attribute& a) {
  (void)AlignmentOf(a.attalign);  // throws for an unknown code
  if (a.attlen == 0 || a.attlen < kAttLenCString) BadAttribute(a, "bad attlen");  // T1
  if (a.attbyval && a.attlen != 1 && a.attlen != 2 && a.attlen != 4 && a.attlen != 8) {
    BadAttribute(a, "by-value attribute must be 1, 2, 4 or 8 bytes wide");  // T2
  }
  if (a.attstorage != kStoragePlain && a.attstorage != kStorageExternal &&
      a.attstorage != kStorageMain && a.attstorage != kStorageExtended) {
    BadAttribute(a, "bad attstorage");
  }
  if (a.attlen != kAttLenVarlena && a.attstorage != kStoragePlain) {
    BadAttribute(a, "only variable-length attributes can be toasted");  // T4
  }
  if (a.attlen == kAttLenCString && a.attalign != kAlignChar) {
    BadAttribute(a, "cstring attributes are char-aligned");  // T5
  }
}

}  // namespace

Attribute AttributeForType(std::string_view name, uint32_t type_id, bool not_null) {
  for (const BuiltinType& t : kBuiltinTypes) {
    if (t.oid != type_id) continue;
    Attribute a;
    a.name = std::string(name);
    a.type_id = Oid(t.oid);
    a.attlen = t.len;
    a.attbyval = t.byval;
    a.attalign = t.align;
    a.attstorage = t.storage;
    a.attnotnull = not_null;
    return a;
  }
  throw Error(sqlstate::kInternalError, Format("cache lookup failed for type %u", type_id));
}

TupleDesc::TupleDesc(std::vector<Attribute> attrs) : attrs_(std::move(attrs)) {
  if (attrs_.size() > static_cast<size_t>(kMaxTupleAttributeNumber)) {
    throw Error(sqlstate::kTooManyColumns,
                Format("number of columns (%zu) exceeds limit (%d)", attrs_.size(),
                       kMaxTupleAttributeNumber));
  }
  // T6: the offsets of the leading fixed-width columns do not depend on the values; neither
  // does the offset of the first variable-width column when it needs no padding (a short
  // varlena and a padded 4-byte one then both start right there).
  size_t off = 0;
  bool known = true;
  cached_prefix_ = 0;
  for (Attribute& a : attrs_) {
    ValidateAttribute(a);
    if (a.attlen < 0) has_varwidth_ = true;
    a.attcacheoff = -1;
    if (!known) continue;
    if (a.attlen > 0) {
      off = AlignUp(off, a.attalign);
      a.attcacheoff = static_cast<int32_t>(off);
      off += static_cast<size_t>(a.attlen);
      ++cached_prefix_;
      continue;
    }
    if (AlignUp(off, a.attalign) == off) {
      a.attcacheoff = static_cast<int32_t>(off);
      ++cached_prefix_;
    }
    known = false;
  }
}

}  // namespace keel::access
