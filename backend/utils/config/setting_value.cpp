// Parsing and printing of setting values; see setting_value.h and README.md here (C4).
#include "backend/utils/config/setting_value.h"

#include <cerrno>
#include <climits>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <type_traits>

#include <strings.h>

#include "backend/utils/error/format.h"

namespace keel::config {
namespace {

constexpr const char* kMemoryUnitsHint =
    "Valid units for this parameter are \"B\", \"kB\", \"MB\", \"GB\", and \"TB\".";
constexpr const char* kTimeUnitsHint =
    "Valid units for this parameter are \"us\", \"ms\", \"s\", \"min\", \"h\", and \"d\".";
constexpr const char* kIntegerRangeHint = "Value exceeds integer range.";

// Units a user may write, largest first within each kind; `size` in bytes or microseconds.
struct UnitSpelling {
  const char* name;
  double size;
};
constexpr UnitSpelling kMemoryUnits[] = {
    {"TB", 1024.0 * 1024 * 1024 * 1024}, {"GB", 1024.0 * 1024 * 1024}, {"MB", 1024.0 * 1024},
    {"kB", 1024.0}, {"B", 1.0}};
constexpr UnitSpelling kTimeUnits[] = {
    {"d", 86400e6}, {"h", 3600e6}, {"min", 60e6}, {"s", 1e6}, {"ms", 1e3}, {"us", 1.0}};

bool IsMemoryUnit(SettingUnit unit) {
  return unit == SettingUnit::kBytes || unit == SettingUnit::kKilobytes ||
         unit == SettingUnit::kBlocks || unit == SettingUnit::kMegabytes;
}

// Size of one base unit in bytes or microseconds.
double BaseSize(SettingUnit unit) {
  switch (unit) {
    case SettingUnit::kBytes: return 1.0;
    case SettingUnit::kKilobytes: return 1024.0;
    case SettingUnit::kBlocks: return 8192.0;
    case SettingUnit::kMegabytes: return 1024.0 * 1024;
    case SettingUnit::kMilliseconds: return 1e3;
    case SettingUnit::kSeconds: return 1e6;
    case SettingUnit::kMinutes: return 60e6;
    case SettingUnit::kNone: break;
  }
  return 1.0;
}

std::span<const UnitSpelling> SpellingsFor(SettingUnit unit) {
  if (IsMemoryUnit(unit)) return kMemoryUnits;
  return kTimeUnits;
}

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' ||
                              c == '\v'; }

// Converts `value` written in the unit spelled `unit_text` to `unit`. A fraction is first
// rounded to a whole number of the next smaller spelling ("1.5GB" -> 1536MB), as PostgreSQL.
bool ConvertToBase(double value, std::string_view unit_text, SettingUnit unit, double* out) {
  std::span<const UnitSpelling> spellings = SpellingsFor(unit);
  for (size_t i = 0; i < spellings.size(); ++i) {
    if (unit_text != spellings[i].name) continue;  // unit names are case-sensitive
    double base = BaseSize(unit);
    double converted = value * spellings[i].size / base;
    if (i + 1 < spellings.size()) {
      double step = spellings[i + 1].size / base;
      converted = std::rint(converted / step) * step;
    }
    *out = converted;
    return true;
  }
  return false;
}

std::string EnumOptionList(const SettingDef& def) {
  std::string list;
  for (const EnumOption& option : def.enum_options) {
    if (!list.empty()) list += ", ";
    list += option.name;
  }
  return list;
}

[[noreturn]] void ThrowInvalidValue(const SettingDef& def, std::string_view text,
                                    std::string hint) {
  Error error(sqlstate::kInvalidParameterValue,
              Format("invalid value for parameter \"%s\": \"%.*s\"", def.name,
                     static_cast<int>(text.size()), text.data()));
  if (!hint.empty()) error.WithHint(std::move(hint));
  throw error;
}

const char* UnitSuffixForRange(const SettingDef& def) {
  return def.unit == SettingUnit::kNone ? "" : UnitName(def.unit);
}

// "%g" without the locale (settings are always printed in the C style).
std::string FormatReal(double value) { return Format("%g", value); }

// Picks the largest spelling that shows `value` (in base units, > 0) exactly, or the first
// spelling not larger than the base unit.
std::string FormatWithUnit(double value, SettingUnit unit, bool integer) {
  double base = BaseSize(unit);
  for (const UnitSpelling& spelling : SpellingsFor(unit)) {
    double multiplier = spelling.size / base;
    if (multiplier <= 1.0) {
      double shown = value / multiplier;
      if (integer) return Format("%lld%s", static_cast<long long>(std::rint(shown)), spelling.name);
      return FormatReal(shown) + spelling.name;
    }
    if (integer) {
      auto v = static_cast<long long>(value);
      auto m = static_cast<long long>(multiplier);
      if (v % m == 0) return Format("%lld%s", v / m, spelling.name);
    } else {
      double shown = value / multiplier;
      if (std::rint(shown) * multiplier == value) return FormatReal(shown) + spelling.name;
    }
  }
  return FormatReal(value);
}

}  // namespace

bool ParseBoolText(std::string_view text, bool* out) {
  if (text.empty()) return false;
  auto prefix_of = [&text](const char* word) {
    return text.size() <= std::strlen(word) &&
           strncasecmp(text.data(), word, text.size()) == 0;
  };
  switch (text[0]) {
    case 't': case 'T':
      if (prefix_of("true")) { *out = true; return true; }
      return false;
    case 'f': case 'F':
      if (prefix_of("false")) { *out = false; return true; }
      return false;
    case 'y': case 'Y':
      if (prefix_of("yes")) { *out = true; return true; }
      return false;
    case 'n': case 'N':
      if (prefix_of("no")) { *out = false; return true; }
      return false;
    case 'o': case 'O':
      // "o" alone could be on or off.
      if (text.size() >= 2 && prefix_of("on")) { *out = true; return true; }
      if (text.size() >= 2 && prefix_of("off")) { *out = false; return true; }
      return false;
    case '1':
      if (text.size() == 1) { *out = true; return true; }
      return false;
    case '0':
      if (text.size() == 1) { *out = false; return true; }
      return false;
    default:
      return false;
  }
}

bool ParseNumberText(std::string_view text, SettingUnit unit, bool integer, double* out,
                     const char** hint) {
  *hint = nullptr;
  std::string buffer(text);  // strtol/strtod need a terminator
  if (buffer.find('\0') != std::string::npos) return false;
  const char* start = buffer.c_str();
  char* end = nullptr;
  double value;
  errno = 0;
  if (integer) {
    long parsed = std::strtol(start, &end, 0);  // base 0: 0777 octal, 0x1F hex
    value = static_cast<double>(parsed);
    if (*end == '.' || *end == 'e' || *end == 'E' || errno == ERANGE) {
      errno = 0;
      value = std::strtod(start, &end);
    }
  } else {
    value = std::strtod(start, &end);
  }
  if (end == start || errno == ERANGE || std::isnan(value)) return false;
  while (IsSpace(*end)) ++end;
  if (*end != '\0') {
    if (unit == SettingUnit::kNone) return false;
    const char* hint_text = IsMemoryUnit(unit) ? kMemoryUnitsHint : kTimeUnitsHint;
    const char* unit_start = end;
    while (*end != '\0' && !IsSpace(*end)) ++end;
    std::string_view unit_text(unit_start, static_cast<size_t>(end - unit_start));
    while (IsSpace(*end)) ++end;
    if (*end != '\0' || !ConvertToBase(value, unit_text, unit, &value)) {
      *hint = hint_text;
      return false;
    }
  }
  if (integer) {
    value = std::rint(value);
    if (value > INT_MAX || value < INT_MIN) {
      *hint = kIntegerRangeHint;
      return false;
    }
  }
  *out = value;
  return true;
}

SettingValue ParseSettingValue(const SettingDef& def, std::string_view text) {
  switch (TypeOf(def)) {
    case SettingType::kBool: {
      bool value = false;
      if (!ParseBoolText(text, &value)) {
        throw Error(sqlstate::kInvalidParameterValue,
                    Format("parameter \"%s\" requires a Boolean value", def.name));
      }
      return value;
    }
    case SettingType::kInt: {
      double value = 0;
      const char* hint = nullptr;
      if (!ParseNumberText(text, def.unit, /*integer=*/true, &value, &hint)) {
        ThrowInvalidValue(def, text, hint != nullptr ? hint : "");
      }
      int v = static_cast<int>(value);
      if (v < def.min || v > def.max) {
        const char* unit = UnitSuffixForRange(def);
        throw Error(sqlstate::kInvalidParameterValue,
                    Format("%d%s%s is outside the valid range for parameter \"%s\" (%d .. %d)", v,
                           *unit != '\0' ? " " : "", unit, def.name, static_cast<int>(def.min),
                           static_cast<int>(def.max)));
      }
      return v;
    }
    case SettingType::kReal: {
      double value = 0;
      const char* hint = nullptr;
      if (!ParseNumberText(text, def.unit, /*integer=*/false, &value, &hint)) {
        ThrowInvalidValue(def, text, hint != nullptr ? hint : "");
      }
      if (value < def.min || value > def.max) {
        const char* unit = UnitSuffixForRange(def);
        throw Error(sqlstate::kInvalidParameterValue,
                    Format("%g%s%s is outside the valid range for parameter \"%s\" (%g .. %g)",
                           value, *unit != '\0' ? " " : "", unit, def.name, def.min, def.max));
      }
      return value;
    }
    case SettingType::kString: {
      if (def.check_hook == nullptr) return std::string(text);
      std::string canonical, detail;
      if (!def.check_hook(text, &canonical, &detail)) {  // C6
        Error error(sqlstate::kInvalidParameterValue,
                    Format("invalid value for parameter \"%s\": \"%.*s\"", def.name,
                           static_cast<int>(text.size()), text.data()));
        if (!detail.empty()) error.WithDetail(std::move(detail));
        throw error;
      }
      return canonical;
    }
    case SettingType::kEnum:
      for (const EnumOption& option : def.enum_options) {
        if (text.size() == std::strlen(option.name) &&
            strncasecmp(text.data(), option.name, text.size()) == 0) {
          return option.value;
        }
      }
      ThrowInvalidValue(def, text, "Available values: " + EnumOptionList(def) + ".");
  }
  return std::string(text);
}

std::string FormatSettingValue(const SettingDef& def, const SettingValue& value,
                               bool with_units) {
  switch (TypeOf(def)) {
    case SettingType::kBool:
      return std::get<bool>(value) ? "on" : "off";
    case SettingType::kInt: {
      int v = std::get<int>(value);
      if ((def.flags & kFlagShowOctal) != 0) return Format("%04o", static_cast<unsigned>(v));
      if (with_units && v > 0 && def.unit != SettingUnit::kNone) {
        return FormatWithUnit(v, def.unit, /*integer=*/true);
      }
      return Format("%d", v);
    }
    case SettingType::kReal: {
      double v = std::get<double>(value);
      if (with_units && v > 0 && def.unit != SettingUnit::kNone) {
        return FormatWithUnit(v, def.unit, /*integer=*/false);
      }
      return FormatReal(v);
    }
    case SettingType::kString:
      return std::get<std::string>(value);
    case SettingType::kEnum: {
      int v = std::get<int>(value);
      for (const EnumOption& option : def.enum_options) {
        if (option.value == v) return option.name;
      }
      return "???";
    }
  }
  return "";
}

const char* UnitName(SettingUnit unit) {
  switch (unit) {
    case SettingUnit::kNone: return "";
    case SettingUnit::kBytes: return "B";
    case SettingUnit::kKilobytes: return "kB";
    case SettingUnit::kBlocks: return "8kB";
    case SettingUnit::kMegabytes: return "MB";
    case SettingUnit::kMilliseconds: return "ms";
    case SettingUnit::kSeconds: return "s";
    case SettingUnit::kMinutes: return "min";
  }
  return "";
}

SettingValue ReadVariable(const SettingDef& def) {
  return std::visit(
      [](const auto& variable) -> SettingValue {
        using T = std::decay_t<decltype(variable)>;
        if constexpr (std::is_same_v<T, EnumVariable>) {
          return variable.get(variable.variable);
        } else {
          return *variable;
        }
      },
      def.variable);
}

void WriteVariable(const SettingDef& def, const SettingValue& value) {
  std::visit(
      [&value](const auto& variable) {
        using T = std::decay_t<decltype(variable)>;
        if constexpr (std::is_same_v<T, EnumVariable>) {
          variable.set(variable.variable, std::get<int>(value));
        } else {
          *variable = std::get<std::remove_pointer_t<T>>(value);
        }
      },
      def.variable);
}

}  // namespace keel::config
