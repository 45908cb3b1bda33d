// Typed setting values: parsing text with units, range checks and the SHOW / pg_settings
// spellings, with PostgreSQL's rules and error texts. Module-internal; see README.md here (C4).
#pragma once

#include <string>
#include <string_view>
#include <variant>

#include "backend/utils/config/setting_def.h"

namespace keel::config {

// A parsed value; enum values are held as the option's int value.
using SettingValue = std::variant<bool, int, double, std::string>;

// PostgreSQL's boolean spellings: on/off/true/false/yes/no/1/0 and unambiguous prefixes of the
// words ("t", "of", "ye"), case-insensitive. Returns false for anything else.
[[nodiscard]] bool ParseBoolText(std::string_view text, bool* out);

// A number with an optional unit ("128MB", "1.5min", "0x1F", "0777") in `unit`'s base unit.
// Integers accept octal and hex and fractions (rounded). On failure returns false and sets
// `*hint` to PostgreSQL's hint (units, integer range) or to null.
[[nodiscard]] bool ParseNumberText(std::string_view text, SettingUnit unit, bool integer,
                                   double* out, const char** hint);

// Parses `text` for `def` and checks its range / options. Throws keel::Error 22023 with
// PostgreSQL's message and hint.
[[nodiscard]] SettingValue ParseSettingValue(const SettingDef& def, std::string_view text);

// As SHOW prints it (`with_units`: "128MB", "1min") or as pg_settings.setting ("16384").
[[nodiscard]] std::string FormatSettingValue(const SettingDef& def, const SettingValue& value,
                                             bool with_units);

// pg_settings.unit spelling of a base unit: "8kB", "kB", "ms" ...; "" for none.
[[nodiscard]] const char* UnitName(SettingUnit unit);

// The variable of `def` as a value, and writing a value into it.
[[nodiscard]] SettingValue ReadVariable(const SettingDef& def);
void WriteVariable(const SettingDef& def, const SettingValue& value);

}  // namespace keel::config
