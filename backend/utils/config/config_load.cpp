// LoadConfigFile / ReloadConfigFile: check everything the files say, then apply it all or
// nothing. See config.h and README.md here (C7).
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "backend/utils/config/config.h"
#include "backend/utils/config/config_file.h"
#include "backend/utils/config/registry_internal.h"
#include "backend/utils/error/format.h"
#include "backend/utils/error/log.h"

namespace keel::config {
namespace {

// The value the file gives one setting: its last line (C9).
struct FileValue {
  const ConfigEntry* entry;
  SettingValue value;
};

// `error` with " in file "f" line n" appended to its message.
Error InFile(const Error& error, const std::string& file, int line) {
  Error out(error.sqlstate(),
            Format("%s in file \"%s\" line %d", error.message().c_str(), file.c_str(), line),
            error.severity());
  if (!error.detail().empty()) out.WithDetail(error.detail());
  if (!error.hint().empty()) out.WithHint(error.hint());
  return out;
}

Error WithSeverity(const Error& error, Severity severity) {
  Error out(error.sqlstate(), error.message(), severity);
  if (!error.detail().empty()) out.WithDetail(error.detail());
  if (!error.hint().empty()) out.WithHint(error.hint());
  return out;
}

struct Plan {
  std::vector<ConfigFileError> errors;
  // The checked value of every name in the files, keyed by lower-case name (placeholders too).
  std::unordered_map<std::string, FileValue> values;
};

// Parses the files and checks every line against the registry without changing anything.
Plan Check(const ParsedConfig& parsed, Phase phase) {
  Plan plan;
  plan.errors = parsed.errors;
  // Last occurrence wins: earlier lines for the same name are not checked beyond the name.
  std::unordered_map<std::string, const ConfigEntry*> last;
  for (const ConfigEntry& entry : parsed.entries) {
    std::string key = LowerName(entry.name);
    if (FindSetting(entry.name) == nullptr && !IsCustomSettingName(entry.name)) {
      plan.errors.push_back(ConfigFileError{
          Error(sqlstate::kUndefinedObject,
                Format("unrecognized configuration parameter \"%s\" in file \"%s\" line %d",
                       entry.name.c_str(), entry.file.c_str(), entry.line)),
          entry.file, entry.line});
      continue;
    }
    last[key] = &entry;
  }
  for (const ConfigEntry& entry : parsed.entries) {
    auto it = last.find(LowerName(entry.name));
    if (it == last.end() || it->second != &entry) continue;
    const SettingState* state = FindSetting(entry.name);
    try {
      if (state == nullptr) {  // a placeholder: any string
        plan.values.emplace(it->first, FileValue{&entry, SettingValue(entry.value)});
        continue;
      }
      // A changed postmaster setting at reload is not an error: it waits for a restart.
      if (!(state->def->context == SettingContext::kPostmaster && phase == Phase::kRunning)) {
        CheckContext(*state, SettingSource::kFile, phase, true, nullptr);
      }
      SettingValue value = ParseSettingValue(*state->def, entry.value);
      plan.values.emplace(it->first, FileValue{&entry, std::move(value)});
    } catch (const Error& e) {
      plan.errors.push_back(ConfigFileError{InFile(e, entry.file, entry.line), entry.file,
                                            entry.line});
    }
  }
  return plan;
}

// Applies a checked plan. At kRunning logs each change at `severity`; returns the file of the
// first postmaster setting whose change waits for a restart, or "".
std::string Apply(const Plan& plan, Phase phase, Severity severity,
                  const std::string& top_file) {
  std::string restart_file;
  // Placeholders named in the file exist from now on.
  for (const auto& [key, file_value] : plan.values) {
    (void)FindOrCreateSetting(file_value.entry->name);
  }
  for (SettingState* state : AllSettingStates()) {
    const char* name = state->def->name;
    auto it = plan.values.find(LowerName(name));
    const FileValue* fv = it == plan.values.end() ? nullptr : &it->second;
    const std::optional<SettingValue>& old_value =
        state->values[static_cast<int>(SettingSource::kFile)];
    if (fv == nullptr && !old_value.has_value()) continue;

    if (state->def->context == SettingContext::kPostmaster && phase == Phase::kRunning) {
      // C7: the file's value for a postmaster setting can only take effect at restart.
      const SettingValue& was =
          old_value.has_value() ? *old_value : *state->values[0];
      const SettingValue& wants = fv != nullptr ? fv->value : *state->values[0];
      state->pending_restart = !(was == wants);
      if (state->pending_restart) {
        Log(severity, "parameter \"%s\" cannot be changed without restarting the server", name);
        if (restart_file.empty()) restart_file = fv != nullptr ? fv->entry->file : top_file;
      }
      continue;
    }

    if (fv != nullptr) {
      bool same = old_value.has_value() && *old_value == fv->value;
      bool changed = StoreSourceValue(*state, SettingSource::kFile, fv->value, fv->entry->file,
                                      fv->entry->line);
      if (!same && changed && phase == Phase::kRunning) {
        Log(severity, "parameter \"%s\" changed to \"%s\"", name, fv->entry->value.c_str());
      }
    } else {
      bool changed = StoreSourceValue(*state, SettingSource::kFile, std::nullopt);
      if (changed && phase == Phase::kRunning) {
        Log(severity, "parameter \"%s\" removed from configuration file, reset to default", name);
      }
    }
  }
  return restart_file;
}

}  // namespace

void LoadConfigFile(const std::string& path) {
  ParsedConfig parsed = ParseConfigFile(path);
  Plan plan = Check(parsed, Phase::kStartup);
  if (!plan.errors.empty()) {
    for (const ConfigFileError& e : plan.errors) LogError(WithSeverity(e.error, Severity::kLog));
    const ConfigFileError& first = plan.errors.front();
    throw Error(sqlstate::kConfigFileError,
                Format("configuration file \"%s\" contains errors", first.file.c_str()),
                Severity::kFatal)
        .WithDetail(first.error.message());
  }
  (void)Apply(plan, Phase::kStartup, Severity::kLog, AbsoluteConfigPath(path, ""));
}

void ReloadConfigFile(const std::string& path, Severity log_severity) {
  try {
    ParsedConfig parsed = ParseConfigFile(path);
    Plan plan = Check(parsed, Phase::kRunning);
    if (!plan.errors.empty()) {
      for (const ConfigFileError& e : plan.errors) LogError(WithSeverity(e.error, log_severity));
      Log(log_severity, "configuration file \"%s\" contains errors; no changes were applied",
          plan.errors.front().file.c_str());
      return;
    }
    std::string restart_file =
        Apply(plan, Phase::kRunning, log_severity, AbsoluteConfigPath(path, ""));
    if (!restart_file.empty()) {
      Log(log_severity,
          "configuration file \"%s\" contains errors; unaffected changes were applied",
          restart_file.c_str());
    }
  } catch (const std::exception& e) {
    // Out of memory and the like: the running server keeps its settings.
    Log(Severity::kLog, "could not reload configuration file \"%s\": %s", path.c_str(), e.what());
  }
}

}  // namespace keel::config
