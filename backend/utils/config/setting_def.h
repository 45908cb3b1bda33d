// The description of one server setting: a row of the table in settings_table.cpp.
// Used by the registry and by whoever adds a setting; see README.md here ("Adding a setting").
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <variant>

#include "backend/utils/config/config.h"

namespace keel::config {

// Base unit of an int or real setting. A bare number is in the base unit; other units of the
// same kind (memory or time) are converted (C4).
enum class SettingUnit : uint8_t {
  kNone,
  kBytes, kKilobytes, kBlocks /* 8 kB pages */, kMegabytes,
  kMilliseconds, kSeconds, kMinutes,
};

// Setting flags (bit set).
inline constexpr uint32_t kFlagReport = 1u << 0;     // sent to the client in ParameterStatus
inline constexpr uint32_t kFlagShowOctal = 1u << 1;  // an int shown as "%04o" (permissions)

// One accepted name of an enum setting; `value` is stored in the variable.
struct EnumOption {
  const char* name;
  int value;
};

// Access to a variable of an enum type (e.g. PasswordEncryption) through int values.
struct EnumVariable {
  void* variable;
  int (*get)(const void* variable);
  void (*set)(void* variable, int value);
};

template <typename E>
[[nodiscard]] constexpr EnumVariable BindEnum(E* variable) {
  return EnumVariable{
      variable,
      [](const void* v) { return static_cast<int>(*static_cast<const E*>(v)); },
      [](void* v, int x) { *static_cast<E*>(v) = static_cast<E>(x); }};
}

// The variable a setting writes; its alternative decides the setting's type.
using SettingVariable = std::variant<bool*, int*, double*, std::string*, EnumVariable>;

struct SettingDef {
  const char* name;               // canonical spelling ("DateStyle"); looked up case-insensitively
  SettingContext context;
  const char* boot_value;         // as it would be written in keel.conf ("128MB", "1min", "on")
  SettingVariable variable;
  double min = 0;                 // int and real only, in the base unit
  double max = 0;
  SettingUnit unit = SettingUnit::kNone;
  const char* category = "Ungrouped";
  const char* description = "";
  uint32_t flags = 0;
  std::span<const EnumOption> enum_options = {};  // enum only
  void (*assign_hook)() = nullptr;  // runs after the variable got a new value (C5)
  // String settings only: turns an accepted value into its canonical spelling (returns true),
  // or explains in `detail` why it is invalid (returns false). Runs before anything is stored
  // (C6).
  bool (*check_hook)(std::string_view text, std::string* canonical, std::string* detail) = nullptr;
};

[[nodiscard]] inline SettingType TypeOf(const SettingDef& def) {
  switch (def.variable.index()) {
    case 0: return SettingType::kBool;
    case 1: return SettingType::kInt;
    case 2: return SettingType::kReal;
    case 3: return SettingType::kString;
    default: return SettingType::kEnum;
  }
}

// The table of every built-in setting (settings_table.cpp), in no particular order.
[[nodiscard]] std::span<const SettingDef> SettingTable();

}  // namespace keel::config
