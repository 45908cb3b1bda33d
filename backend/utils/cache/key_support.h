// Btree comparators for the key columns of indexes the relation cache opens, found through a
// table by type oid: the catalog key types (backend/catalog's CatalogKeyColumnForType) plus
// the user types tables index today (float4, bytea, bpchar, date, time, timestamp, timestamptz,
// uuid, the oid aliases). Issue 7 replaces the table by the opclass's pg_amproc support
// function. README.md ("Index key support").
#pragma once

#include <cstdint>
#include <string>

#include "access/common/index_tuple.h"

namespace keel::cache {

// The key column (three-way comparator, text output for 23505's detail, equal_image) of the
// default btree operator class of `type_oid`, ascending, with the default null placement.
// Throws XX000 "missing support function for type %u" for a type without one.
[[nodiscard]] access::IndexKeyColumn BtreeKeyColumnForType(uint32_t type_oid);

// Exposed for tests: the comparators this file adds.
[[nodiscard]] int BtFloat4Cmp(access::Datum a, access::Datum b, const void* arg = nullptr);
[[nodiscard]] int BtByteaCmp(access::Datum a, access::Datum b, const void* arg = nullptr);
// bpchar: trailing blanks are not significant ('a ' = 'a'), then bytewise (C collation).
[[nodiscard]] int BtBpcharCmp(access::Datum a, access::Datum b, const void* arg = nullptr);
// Text forms (PostgreSQL's output with DateStyle ISO, timestamptz in UTC).
[[nodiscard]] std::string DateOut(access::Datum value);
[[nodiscard]] std::string TimestampOut(access::Datum value);
[[nodiscard]] std::string TimestampTzOut(access::Datum value);

}  // namespace keel::cache
