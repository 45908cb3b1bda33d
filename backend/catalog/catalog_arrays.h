// char[] and text[] catalog values in PostgreSQL's one-dimensional array layout (what
// catalog_values.h does for int2 and oid arrays): pg_proc.proargmodes / proargnames, and the
// readers the tests and caches use. README.md ("Definition format").
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace keel::catalog {

// A "char"[] value: ndim 1 (0 when empty), lower bound 1, no nulls, one byte per element.
[[nodiscard]] std::vector<std::byte> MakeCharArray(std::span<const char> values);
// A text[] value: each element a 4-byte-header varlena, int-aligned, as PostgreSQL stores
// varlena array elements; no nulls.
[[nodiscard]] std::vector<std::byte> MakeTextArray(std::span<const std::string> values);

// The elements of such a value (any header kind of the array itself). Throw XX000 for another
// layout (nulls, more than one dimension, another element type, truncated data).
[[nodiscard]] std::vector<char> CharArrayElements(const std::byte* p);
[[nodiscard]] std::vector<std::string> TextArrayElements(const std::byte* p);

}  // namespace keel::catalog
