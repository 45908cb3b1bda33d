// Scan keys: the conditions an index scan is asked to satisfy ("column op constant", IS NULL,
// IS NOT NULL), the scan direction, and btree's strategy numbers. Invariants IX5-IX7:
// access/index/README.md ("Scan keys").
#pragma once

#include <cstdint>
#include <span>

#include "access/common/datum.h"

namespace keel::access {

// A column's position, 1-based (PostgreSQL's AttrNumber); for scan keys, the index's column.
using AttrNumber = int16_t;

// PostgreSQL's ScanDirection.
enum class ScanDirection : int8_t { kBackward = -1, kNoMovement = 0, kForward = 1 };

// An operator's role in its operator family. Btree's five, with PostgreSQL's numbers
// (BTLessStrategyNumber ...); other AMs define their own numbers.
using StrategyNumber = uint16_t;
namespace strategy {
inline constexpr StrategyNumber kInvalid = 0;
inline constexpr StrategyNumber kLess = 1;
inline constexpr StrategyNumber kLessEqual = 2;
inline constexpr StrategyNumber kEqual = 3;
inline constexpr StrategyNumber kGreaterEqual = 4;
inline constexpr StrategyNumber kGreater = 5;
}  // namespace strategy

// ScanKey flags, PostgreSQL's SK_* values.
inline constexpr uint32_t kSkIsNull = 0x0001;         // the argument is NULL (never matches)
inline constexpr uint32_t kSkSearchNull = 0x0040;     // column IS NULL (no strategy/argument)
inline constexpr uint32_t kSkSearchNotNull = 0x0080;  // column IS NOT NULL

// One condition: `index column <strategy> argument`, or a NULL test by flags.
// Keel departs from PostgreSQL here (IX5): the key carries the column's three-way comparator
// and the strategy says how to read its result, instead of a boolean operator function; one
// comparator serves all five strategies and the btree's search.
struct ScanKey {
  AttrNumber attno = 0;                      // index column, 1-based
  StrategyNumber strategy = strategy::kInvalid;
  uint32_t flags = 0;                        // kSk* bits
  Datum argument = 0;                        // by-reference: the caller keeps it alive (IX7)
  DatumCompareFn compare = nullptr;          // not needed for kSkSearchNull / kSkSearchNotNull
  const void* compare_arg = nullptr;
};

// Whether a column value satisfies `key` (for AMs that filter entries, and for rechecks):
// NULL tests by flags; a NULL value or a kSkIsNull argument never satisfies an operator key;
// otherwise compare(value, argument) read by the btree strategy.
// Requires: key.compare set for operator keys; strategy in 1..5 for operator keys.
[[nodiscard]] bool ScanKeyMatches(const ScanKey& key, Datum value, bool isnull);

// All keys on an entry's columns: values/isnull indexed by column - 1.
// Requires: every key.attno in 1..values.size().
[[nodiscard]] bool ScanKeysMatch(std::span<const ScanKey> keys, std::span<const Datum> values,
                                 std::span<const bool> isnull);

}  // namespace keel::access
