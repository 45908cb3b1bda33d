// Tuple descriptors: the column layout (length, by-value, alignment, storage strategy) the
// tuple former and deformer follow. Built directly for now; the catalog issue builds them from
// pg_attribute. Invariants T1-T9: access/common/README.md ("Tuple descriptors").
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "storage/common/ids.h"

namespace keel::access {

// PostgreSQL's column limits: a table has at most 1600 columns (MaxHeapAttributeNumber); a
// tuple formed for a target list at most 1664 (MaxTupleAttributeNumber). Both fit the 11-bit
// natts field of infomask2.
inline constexpr int kMaxHeapAttributeNumber = 1600;
inline constexpr int kMaxTupleAttributeNumber = 1664;

// attlen values for the variable-length kinds.
inline constexpr int16_t kAttLenVarlena = -1;
inline constexpr int16_t kAttLenCString = -2;

// attalign: 'c' char (1), 's' short (2), 'i' int (4), 'd' double (8).
inline constexpr char kAlignChar = 'c';
inline constexpr char kAlignShort = 's';
inline constexpr char kAlignInt = 'i';
inline constexpr char kAlignDouble = 'd';

// attstorage, as PostgreSQL: 'p' plain (never compressed or moved, always a 4-byte header),
// 'e' external (may move out of line, never compressed), 'm' main (may be compressed, moved
// out of line only as a last resort), 'x' extended (compressed, then moved out of line).
inline constexpr char kStoragePlain = 'p';
inline constexpr char kStorageExternal = 'e';
inline constexpr char kStorageMain = 'm';
inline constexpr char kStorageExtended = 'x';

// Well-known type oids (PostgreSQL's pg_type.dat): the built-ins the table below knows and the
// ones the system catalogs use (backend/catalog).
namespace type_oid {
inline constexpr uint32_t kBool = 16;
inline constexpr uint32_t kBytea = 17;
inline constexpr uint32_t kChar = 18;
inline constexpr uint32_t kName = 19;
inline constexpr uint32_t kInt8 = 20;
inline constexpr uint32_t kInt2 = 21;
inline constexpr uint32_t kInt2Vector = 22;
inline constexpr uint32_t kInt4 = 23;
inline constexpr uint32_t kRegproc = 24;
inline constexpr uint32_t kText = 25;
inline constexpr uint32_t kOid = 26;
inline constexpr uint32_t kTid = 27;
inline constexpr uint32_t kXid = 28;
inline constexpr uint32_t kCid = 29;
inline constexpr uint32_t kOidVector = 30;
inline constexpr uint32_t kPgNodeTree = 194;
inline constexpr uint32_t kFloat4 = 700;
inline constexpr uint32_t kFloat8 = 701;
inline constexpr uint32_t kUnknown = 705;
inline constexpr uint32_t kCharArray = 1002;
inline constexpr uint32_t kInt2Array = 1005;
inline constexpr uint32_t kInt4Array = 1007;
inline constexpr uint32_t kTextArray = 1009;
inline constexpr uint32_t kFloat4Array = 1021;
inline constexpr uint32_t kOidArray = 1028;
inline constexpr uint32_t kAclItem = 1033;
inline constexpr uint32_t kAclItemArray = 1034;
inline constexpr uint32_t kBpchar = 1042;
inline constexpr uint32_t kVarchar = 1043;
inline constexpr uint32_t kDate = 1082;
inline constexpr uint32_t kTime = 1083;
inline constexpr uint32_t kTimestamp = 1114;
inline constexpr uint32_t kTimestampTz = 1184;
inline constexpr uint32_t kInterval = 1186;
inline constexpr uint32_t kNumeric = 1700;
inline constexpr uint32_t kRecord = 2249;
inline constexpr uint32_t kCString = 2275;
inline constexpr uint32_t kAnyArray = 2277;
inline constexpr uint32_t kUuid = 2950;
inline constexpr uint32_t kJsonb = 3802;
}  // namespace type_oid

// One column (the subset of pg_attribute the access methods use).
struct Attribute {
  std::string name;
  Oid type_id;
  int16_t attlen = 0;        // > 0 fixed width, kAttLenVarlena, kAttLenCString (T1)
  bool attbyval = false;     // passed by value in the Datum (T2: attlen 1, 2, 4 or 8)
  char attalign = kAlignChar;
  char attstorage = kStoragePlain;  // T4: not 'p' only for varlenas
  bool attnotnull = false;
  int32_t atttypmod = -1;
  // Offset of the column's data from the start of the tuple data (hoff) when every earlier
  // column is present; -1 when it depends on the values (T6). Computed by TupleDesc.
  int32_t attcacheoff = -1;
};

// Alignment in bytes of attalign `align`. Requires: one of 'c', 's', 'i', 'd'.
[[nodiscard]] size_t AlignmentOf(char align);
[[nodiscard]] inline size_t AlignUp(size_t off, char align) {
  size_t a = AlignmentOf(align);
  return (off + a - 1) & ~(a - 1);
}

// PostgreSQL's typlen / typbyval / typalign / typstorage for a built-in type of the
// type_oid list. Throws XX000 "cache lookup failed for type %u" for any other oid.
[[nodiscard]] Attribute AttributeForType(std::string_view name, uint32_t type_oid,
                                         bool not_null = false);

// An immutable column layout (after construction). Shared by const reference / pointer, so
// one descriptor serves every process and scan without locking (T9).
struct TupleDesc {
 public:
  TupleDesc() = default;
  // Validates every attribute (T1-T5) and computes attcacheoff (T6).
  // Throws 54011 "number of columns (%d) exceeds limit (%d)" past kMaxTupleAttributeNumber and
  // XX000 for an inconsistent attribute (wrong attlen for a by-value column, bad attalign or
  // attstorage).
  explicit TupleDesc(std::vector<Attribute> attrs);

  [[nodiscard]] int natts() const { return static_cast<int>(attrs_.size()); }
  // Requires: 0 <= i < natts().
  [[nodiscard]] const Attribute& attr(int i) const { return attrs_[static_cast<size_t>(i)]; }
  // Number of leading columns whose attcacheoff is known (T6).
  [[nodiscard]] int cached_prefix() const { return cached_prefix_; }
  // Whether any column is variable-length (kHeapHasVarWidth is possible).
  [[nodiscard]] bool has_varwidth() const { return has_varwidth_; }

 private:
  std::vector<Attribute> attrs_;
  int cached_prefix_ = 0;
  bool has_varwidth_ = false;
};

}  // namespace keel::access
