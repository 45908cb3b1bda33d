// The settings registry: lookup, sources and priorities, contexts, SHOW. See config.h and
// README.md here (C1-C3, C5, C6, C8).
#include "backend/utils/config/registry_internal.h"

#include <strings.h>

#include <algorithm>
#include <unordered_map>

#include "backend/utils/error/format.h"

namespace keel::config {

std::string LowerName(std::string_view name) {
  std::string out(name);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

namespace {

// All registry state of this process. Reached only through Get(), so it exists before the
// static initialiser in settings_table.cpp uses it (C1).
struct Registry {
  std::vector<std::unique_ptr<SettingState>> states;
  std::unordered_map<std::string, SettingState*> by_lower_name;
  bool initialized = false;

  static Registry& Get() {
    static Registry registry;
    return registry;
  }
};

void AddState(Registry& registry, std::unique_ptr<SettingState> state) {
  std::string key = LowerName(state->def->name);
  KEEL_ASSERT(registry.by_lower_name.count(key) == 0);  // C1: names are unique
  registry.by_lower_name.emplace(std::move(key), state.get());
  registry.states.push_back(std::move(state));
}

// The highest source that has a value (C2).
SettingSource WinningSource(const SettingState& state) {
  for (int s = kSettingSourceCount - 1; s > 0; --s) {
    if (state.values[s].has_value()) return static_cast<SettingSource>(s);
  }
  return SettingSource::kDefault;
}

bool IsIdentStart(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
         static_cast<unsigned char>(c) >= 0x80;
}
bool IsIdentChar(char c) { return IsIdentStart(c) || (c >= '0' && c <= '9') || c == '$'; }

[[noreturn]] void ThrowUnrecognized(std::string_view name) {
  throw Error(sqlstate::kUndefinedObject,
              Format("unrecognized configuration parameter \"%.*s\"",
                     static_cast<int>(name.size()), name.data()));
}

SettingState& Lookup(std::string_view name, bool create_placeholder) {
  SettingState* state = create_placeholder ? FindOrCreateSetting(name) : FindSetting(name);
  if (state != nullptr) return *state;
  if (create_placeholder && name.find('.') != std::string_view::npos) {
    throw Error(sqlstate::kInvalidName,
                Format("invalid configuration parameter name \"%.*s\"",
                       static_cast<int>(name.size()), name.data()))
        .WithDetail("Custom parameter names must be two or more simple identifiers separated "
                    "by dots.");
  }
  ThrowUnrecognized(name);
}

// The acting context of a change, as PostgreSQL's GucContext of the caller.
enum class Acting : uint8_t { kStartup, kReload, kBackend, kSuperuserBackend, kUser, kSuperuser };

Acting ActingContext(SettingSource source, Phase phase, bool is_superuser) {
  switch (source) {
    case SettingSource::kDefault:
    case SettingSource::kFile:
    case SettingSource::kCommandLine:
      return phase == Phase::kStartup ? Acting::kStartup : Acting::kReload;
    case SettingSource::kClient:
      return is_superuser ? Acting::kSuperuserBackend : Acting::kBackend;
    case SettingSource::kSession:
      return is_superuser ? Acting::kSuperuser : Acting::kUser;
  }
  return Acting::kUser;
}

[[noreturn]] void ThrowCantChange(const char* name, const char* fmt) {
  throw Error(sqlstate::kCantChangeRuntimeParam, Format(fmt, name));
}

[[noreturn]] void ThrowPermissionDenied(const char* name) {
  throw Error(sqlstate::kInsufficientPrivilege,
              Format("permission denied to set parameter \"%s\"", name));
}

}  // namespace

void InitializeRegistry() {
  Registry& registry = Registry::Get();
  if (registry.initialized) return;
  registry.initialized = true;
  for (const SettingDef& def : SettingTable()) {
    auto state = std::make_unique<SettingState>();
    state->def = &def;
    try {
      state->boot = ParseSettingValue(def, def.boot_value);
    } catch (const Error& e) {
      Panic("invalid boot value for setting \"%s\": %s", def.name, e.what());  // a table bug
    }
    state->values[0] = state->boot;
    WriteVariable(def, state->boot);  // no assign hook: C1, C5
    AddState(registry, std::move(state));
  }
}

SettingState* FindSetting(std::string_view name) {
  Registry& registry = Registry::Get();
  auto it = registry.by_lower_name.find(LowerName(name));
  return it == registry.by_lower_name.end() ? nullptr : it->second;
}

bool IsCustomSettingName(std::string_view name) {
  bool saw_dot = false;
  bool at_start = true;
  for (char c : name) {
    if (c == '.') {
      if (at_start) return false;
      saw_dot = true;
      at_start = true;
    } else if (at_start) {
      if (!IsIdentStart(c)) return false;
      at_start = false;
    } else if (!IsIdentChar(c)) {
      return false;
    }
  }
  return saw_dot && !at_start;
}

SettingState* FindOrCreateSetting(std::string_view name) {
  if (SettingState* state = FindSetting(name)) return state;
  if (!IsCustomSettingName(name)) return nullptr;
  // C8: a placeholder is a user-context string setting, empty by default.
  auto placeholder = std::make_unique<Placeholder>();
  placeholder->name = std::string(name);
  placeholder->def = SettingDef{.name = placeholder->name.c_str(),
                                .context = SettingContext::kUser,
                                .boot_value = "",
                                .variable = &placeholder->value,
                                .category = "Customized Options",
                                .description = "Custom (placeholder) setting."};
  auto state = std::make_unique<SettingState>();
  state->def = &placeholder->def;
  state->boot = std::string();
  state->values[0] = state->boot;
  state->placeholder = std::move(placeholder);
  SettingState* raw = state.get();
  AddState(Registry::Get(), std::move(state));
  return raw;
}

std::vector<SettingState*> AllSettingStates() {
  std::vector<SettingState*> out;
  for (auto& state : Registry::Get().states) out.push_back(state.get());
  return out;
}

void CheckContext(const SettingState& state, SettingSource source, Phase phase,
                  bool is_superuser, const SettingValue* value) {
  if (source == SettingSource::kDefault) return;  // the server itself
  const char* name = state.def->name;
  Acting acting = ActingContext(source, phase, is_superuser);
  switch (state.def->context) {
    case SettingContext::kInternal:
      ThrowCantChange(name, "parameter \"%s\" cannot be changed");
    case SettingContext::kPostmaster:
      if (acting == Acting::kStartup) return;
      if (acting == Acting::kReload && value != nullptr &&
          *value == *state.values[static_cast<int>(state.source)]) {
        return;  // the same value again: nothing to change
      }
      ThrowCantChange(name, "parameter \"%s\" cannot be changed without restarting the server");
    case SettingContext::kSighup:
      if (acting == Acting::kStartup || acting == Acting::kReload) return;
      ThrowCantChange(name, "parameter \"%s\" cannot be changed now");
    case SettingContext::kSuperuserBackend:
      if (acting == Acting::kBackend) ThrowPermissionDenied(name);
      if (acting == Acting::kUser || acting == Acting::kSuperuser) {
        ThrowCantChange(name, "parameter \"%s\" cannot be set after connection start");
      }
      return;
    case SettingContext::kBackend:
      if (acting == Acting::kUser || acting == Acting::kSuperuser) {
        ThrowCantChange(name, "parameter \"%s\" cannot be set after connection start");
      }
      return;
    case SettingContext::kSuperuser:
      if (acting == Acting::kBackend || acting == Acting::kUser) ThrowPermissionDenied(name);
      return;
    case SettingContext::kUser:
      return;
  }
}

bool StoreSourceValue(SettingState& state, SettingSource source,
                      std::optional<SettingValue> value, const std::string& file, int line) {
  int slot = static_cast<int>(source);
  if (source == SettingSource::kDefault && !value.has_value()) value = state.boot;
  state.values[slot] = std::move(value);
  if (source == SettingSource::kFile) {
    state.file = state.values[slot].has_value() ? file : std::string();
    state.line = state.values[slot].has_value() ? line : 0;
  }
  SettingSource winner = WinningSource(state);
  state.source = winner;
  const SettingValue& current = *state.values[static_cast<int>(winner)];
  if (ReadVariable(*state.def) == current) return false;
  WriteVariable(*state.def, current);
  if (state.def->assign_hook != nullptr) state.def->assign_hook();  // C5
  return true;
}

std::string ShownValue(const SettingState& state) {
  return FormatSettingValue(*state.def, ReadVariable(*state.def), /*with_units=*/true);
}

// ---- Public API (config.h) ----

void SetSetting(std::string_view name, std::string_view value, SettingSource source,
                Phase phase, bool is_superuser) {
  SettingState& state = Lookup(name, /*create_placeholder=*/true);
  bool needs_value_for_check = state.def->context == SettingContext::kPostmaster &&
                               source != SettingSource::kDefault &&
                               ActingContext(source, phase, is_superuser) == Acting::kReload;
  if (!needs_value_for_check) CheckContext(state, source, phase, is_superuser, nullptr);
  SettingValue parsed = ParseSettingValue(*state.def, value);
  if (needs_value_for_check) {
    CheckContext(state, source, phase, is_superuser, &parsed);
    return;  // accepted only because it is unchanged
  }
  StoreSourceValue(state, source, std::move(parsed));
}

void SetFromCommandLine(std::string_view name_equals_value) {
  std::string_view text = name_equals_value;
  bool long_option = text.starts_with("--");
  while (!text.empty() && text.front() == '-') text.remove_prefix(1);
  size_t eq = text.find('=');
  if (eq == std::string_view::npos) {
    std::string name(text);
    throw Error(sqlstate::kSyntaxError,
                Format(long_option ? "--%s requires a value" : "-c %s requires a value",
                       name.c_str()));
  }
  std::string name(text.substr(0, eq));
  std::replace(name.begin(), name.end(), '-', '_');
  SetSetting(name, text.substr(eq + 1), SettingSource::kCommandLine, Phase::kStartup);
}

void ResetSetting(std::string_view name, bool is_superuser) {
  SettingState& state = Lookup(name, /*create_placeholder=*/false);
  CheckContext(state, SettingSource::kSession, Phase::kRunning, is_superuser, nullptr);
  StoreSourceValue(state, SettingSource::kSession, std::nullopt);
}

void ResetAllSessionSettings() {
  for (SettingState* state : AllSettingStates()) {
    if (state->values[static_cast<int>(SettingSource::kSession)].has_value()) {
      StoreSourceValue(*state, SettingSource::kSession, std::nullopt);
    }
  }
}

std::string ShowSetting(std::string_view name) {
  return ShownValue(Lookup(name, /*create_placeholder=*/false));
}

bool IsSettingReportedToClient(std::string_view name) {
  const SettingState* state = FindSetting(name);
  return state != nullptr && (state->def->flags & kFlagReport) != 0;
}

namespace {

bool NameLess(const SettingState* a, const SettingState* b) {
  return strcasecmp(a->def->name, b->def->name) < 0;
}

std::vector<SettingState*> SortedStates() {
  std::vector<SettingState*> states = AllSettingStates();
  std::sort(states.begin(), states.end(), NameLess);
  return states;
}

}  // namespace

std::vector<std::pair<std::string, std::string>> ReportedSettings() {
  std::vector<std::pair<std::string, std::string>> out;
  for (SettingState* state : SortedStates()) {
    if ((state->def->flags & kFlagReport) == 0) continue;
    std::string shown = ShownValue(*state);
    state->last_reported = shown;
    out.emplace_back(state->def->name, std::move(shown));
  }
  return out;
}

std::vector<std::pair<std::string, std::string>> TakeReportedChanges() {
  std::vector<std::pair<std::string, std::string>> out;
  for (SettingState* state : SortedStates()) {
    if ((state->def->flags & kFlagReport) == 0) continue;
    std::string shown = ShownValue(*state);
    if (state->last_reported == shown) continue;
    state->last_reported = shown;
    out.emplace_back(state->def->name, std::move(shown));
  }
  return out;
}

std::vector<SettingInfo> AllSettings() {
  std::vector<SettingInfo> out;
  for (const SettingState* state : SortedStates()) {
    const SettingDef& def = *state->def;
    SettingInfo info;
    info.name = def.name;
    info.shown = ShownValue(*state);
    info.setting = FormatSettingValue(def, ReadVariable(def), /*with_units=*/false);
    info.unit = UnitName(def.unit);
    info.category = def.category;
    info.description = def.description;
    info.context = def.context;
    info.type = TypeOf(def);
    info.source = state->source;
    if (info.type == SettingType::kInt) {
      info.min_value = Format("%d", static_cast<int>(def.min));
      info.max_value = Format("%d", static_cast<int>(def.max));
    } else if (info.type == SettingType::kReal) {
      info.min_value = Format("%g", def.min);
      info.max_value = Format("%g", def.max);
    }
    for (const EnumOption& option : def.enum_options) info.enum_values.push_back(option.name);
    info.boot_value = FormatSettingValue(def, state->boot, /*with_units=*/false);
    // RESET goes back to the highest source below the session.
    for (int s = static_cast<int>(SettingSource::kClient); s >= 0; --s) {
      if (state->values[s].has_value()) {
        info.reset_value = FormatSettingValue(def, *state->values[s], /*with_units=*/false);
        break;
      }
    }
    if (state->source == SettingSource::kFile) {
      info.source_file = state->file;
      info.source_line = state->line;
    }
    info.reported = (def.flags & kFlagReport) != 0;
    info.pending_restart = state->pending_restart;
    out.push_back(std::move(info));
  }
  return out;
}

const char* ContextName(SettingContext context) {
  switch (context) {
    case SettingContext::kInternal: return "internal";
    case SettingContext::kPostmaster: return "postmaster";
    case SettingContext::kSighup: return "sighup";
    case SettingContext::kSuperuserBackend: return "superuser-backend";
    case SettingContext::kBackend: return "backend";
    case SettingContext::kSuperuser: return "superuser";
    case SettingContext::kUser: return "user";
  }
  return "?";
}

const char* SourceName(SettingSource source) {
  switch (source) {
    case SettingSource::kDefault: return "default";
    case SettingSource::kFile: return "configuration file";
    case SettingSource::kCommandLine: return "command line";
    case SettingSource::kClient: return "client";
    case SettingSource::kSession: return "session";
  }
  return "?";
}

const char* TypeName(SettingType type) {
  switch (type) {
    case SettingType::kBool: return "bool";
    case SettingType::kInt: return "integer";
    case SettingType::kReal: return "real";
    case SettingType::kString: return "string";
    case SettingType::kEnum: return "enum";
  }
  return "?";
}

void ResetAllSettingsForTest() {
  Registry& registry = Registry::Get();
  // Drop placeholders.
  std::erase_if(registry.states, [](const std::unique_ptr<SettingState>& state) {
    return state->placeholder != nullptr;
  });
  registry.by_lower_name.clear();
  for (auto& state : registry.states) {
    registry.by_lower_name.emplace(LowerName(state->def->name), state.get());
    for (auto& value : state->values) value.reset();
    state->file.clear();
    state->line = 0;
    state->pending_restart = false;
    state->last_reported.reset();
    StoreSourceValue(*state, SettingSource::kDefault, state->boot);
  }
}

}  // namespace keel::config
