// The registry's state per setting and the steps SetSetting and the config-file loader share.
// Module-internal (other modules use config.h); see README.md here.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "backend/utils/config/config.h"
#include "backend/utils/config/setting_value.h"

namespace keel::config {

// Backing storage of a placeholder setting ("myapp.user_id"), created on first use (C8).
struct Placeholder {
  std::string name;
  std::string value;
  SettingDef def;
};

// Run-time state of one setting. Per process, no locking (C6).
struct SettingState {
  const SettingDef* def = nullptr;
  // The value each source last gave, or none; values[kDefault] is always present (C2).
  std::optional<SettingValue> values[kSettingSourceCount];
  std::string file;             // where values[kFile] came from
  int line = 0;
  SettingSource source = SettingSource::kDefault;  // the source of the current value
  SettingValue boot;            // the table's boot value, parsed
  bool pending_restart = false;
  std::optional<std::string> last_reported;  // shown value last handed out for ParameterStatus
  std::unique_ptr<Placeholder> placeholder;  // owns `def` for placeholders
};

// `name` with ASCII letters lowered: the key of the case-insensitive lookups of setting names
// (C1). Only ASCII, so the result does not depend on the locale.
[[nodiscard]] std::string LowerName(std::string_view name);

// Builds the registry from SettingTable() and gives every variable its boot value (C1).
// Called once, during static initialisation of settings_table.cpp; later calls do nothing.
void InitializeRegistry();

// The setting called `name` (case-insensitive), or null.
[[nodiscard]] SettingState* FindSetting(std::string_view name);
// Whether `name` is a valid placeholder name: two or more identifiers joined by dots.
[[nodiscard]] bool IsCustomSettingName(std::string_view name);
// FindSetting(), creating a placeholder for a valid custom name. Null for an unknown plain name.
[[nodiscard]] SettingState* FindOrCreateSetting(std::string_view name);
// Every setting, in registration order.
[[nodiscard]] std::vector<SettingState*> AllSettingStates();

// Throws the context / permission errors of SetSetting (C3). For a postmaster setting at
// kRunning from kFile/kCommandLine, `value` decides: unchanged is accepted, changed throws.
void CheckContext(const SettingState& state, SettingSource source, Phase phase,
                  bool is_superuser, const SettingValue* value);

// Stores (or with nullopt clears) the value of `source`; recomputes the current value from the
// highest source present, writes the variable and runs the assign hook when it changed.
// Returns whether the current value changed. Never throws (the value was parsed already).
bool StoreSourceValue(SettingState& state, SettingSource source,
                      std::optional<SettingValue> value, const std::string& file = "",
                      int line = 0);

// The current value as SHOW prints it.
[[nodiscard]] std::string ShownValue(const SettingState& state);

}  // namespace keel::config
