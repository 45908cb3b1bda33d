// The settings registry: PostgreSQL's GUC system for Keel. Sets the variables of settings.h
// from keel.conf, the command line, the client and SET, with PostgreSQL's contexts, priorities,
// units and error texts. Invariants C1-C9, file syntax and priority rules: README.md here.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "backend/utils/error/error.h"

namespace keel::config {

// When a setting may change (PostgreSQL's GucContext), weakest first.
enum class SettingContext : uint8_t { kInternal, kPostmaster, kSighup, kSuperuserBackend, kBackend,
                                      kSuperuser, kUser };
// Where a value came from, lowest priority first (C2).
enum class SettingSource : uint8_t { kDefault, kFile, kCommandLine, kClient, kSession };
inline constexpr int kSettingSourceCount = 5;
enum class SettingType : uint8_t { kBool, kInt, kReal, kString, kEnum };
// Whether the server is still starting (postmaster settings may be set) or running.
enum class Phase : uint8_t { kStartup, kRunning };

// Applies one value from `source`. Names are case-insensitive; a name with a dot
// ("myapp.user_id") that is not built in becomes a string placeholder setting (C8).
// Context rules (C3): kDefault is the server itself (no checks: data_directory, is_superuser ...);
// kFile and kCommandLine act as the postmaster at kStartup and as a reload at kRunning; kClient
// is the startup packet (a backend, or a superuser backend when `is_superuser`); kSession is SET.
// A value from a lower source than the current one is remembered but not applied (C2).
// Throws keel::Error, with PostgreSQL's SQLSTATE and text:
//  42704 `unrecognized configuration parameter "foo"`;
//  22023 `invalid value for parameter "port": "abc"` (+ units hint / `Available values: a, b.`),
//        `parameter "ssl" requires a Boolean value`,
//        `70000 is outside the valid range for parameter "port" (1 .. 65535)`;
//  55P02 `parameter "x" cannot be changed` (internal),
//        `parameter "x" cannot be changed without restarting the server` (postmaster),
//        `parameter "x" cannot be changed now` (sighup from a client or session),
//        `parameter "x" cannot be set after connection start` ((superuser-)backend from SET);
//  42501 `permission denied to set parameter "x"`.
// Not thread-safe (C6). On error nothing changes.
void SetSetting(std::string_view name, std::string_view value, SettingSource source,
                Phase phase, bool is_superuser = true);

// "name=value" from `-c name=value`, or "--name=value" / "name-with-dashes=value": leading
// dashes are dropped and dashes inside the name become underscores. Source kCommandLine at
// kStartup. Throws as SetSetting, and 42601 `-c name requires a value` (`--name requires a
// value` for the long form) without '='.
void SetFromCommandLine(std::string_view name_equals_value);

// Session RESET / SET x TO DEFAULT: drops the session value; the value from the next lower
// source applies again. Throws as SetSetting for kSession (unknown name, context, permission).
void ResetSetting(std::string_view name, bool is_superuser = true);
// RESET ALL / DISCARD ALL: drops every session value. Never throws.
void ResetAllSessionSettings();

// Reads keel.conf at start (phase kStartup). Errors carry the file and line:
//  42704 `unrecognized configuration parameter "foo" in file "/d/keel.conf" line 3`,
//  42601 `syntax error in file "/d/keel.conf" line 3, near token "="`, value and context errors
//  likewise suffixed. Every error is logged; then it throws F0000 `configuration file
//  "/d/keel.conf" contains errors` with the first error's text as detail, having applied nothing.
void LoadConfigFile(const std::string& path);

// SIGHUP: re-reads the file (C7). On errors logs them and
// `configuration file "%s" contains errors; no changes were applied`, and applies nothing.
// Otherwise applies changes of sighup-or-lower settings (logs `parameter "x" changed to "y"`),
// logs `parameter "x" cannot be changed without restarting the server` for changed postmaster
// ones, resets settings whose lines were removed (`parameter "x" removed from configuration file,
// reset to default`). Messages go to the log at `log_severity` (LOG in the postmaster; children
// may pass kDebug2 as PostgreSQL does). Never throws.
void ReloadConfigFile(const std::string& path, Severity log_severity = Severity::kLog);

// The value as SHOW prints it: "128MB", "1min", "on", "0777", "scram-sha-256".
// Throws 42704 for an unknown name.
[[nodiscard]] std::string ShowSetting(std::string_view name);
// False for unknown names.
[[nodiscard]] bool IsSettingReportedToClient(std::string_view name);
// (name, shown value) of every setting reported in ParameterStatus, ordered by name
// case-insensitively (as PostgreSQL sends them). Records them as reported (see below).
[[nodiscard]] std::vector<std::pair<std::string, std::string>> ReportedSettings();
// Reported settings whose shown value differs from what was last returned by
// ReportedSettings() or by this function: the ParameterStatus messages to send now.
[[nodiscard]] std::vector<std::pair<std::string, std::string>> TakeReportedChanges();

// One row of pg_settings / SHOW ALL.
struct SettingInfo {
  std::string name;         // canonical spelling
  std::string shown;        // as SHOW prints it ("128MB")
  std::string setting;      // in the base unit, as pg_settings.setting ("16384")
  std::string unit;         // pg_settings.unit: "8kB", "kB", "MB", "B", "ms", "s", "min" or ""
  std::string category;
  std::string description;  // short description
  SettingContext context;
  SettingType type;
  SettingSource source;     // where the current value came from
  std::string min_value;    // int/real only, else ""
  std::string max_value;
  std::vector<std::string> enum_values;
  std::string boot_value;   // the built-in default, in the base unit
  std::string reset_value;  // what RESET returns to, in the base unit
  std::string source_file;  // when source is kFile: the file and line
  int source_line = 0;
  bool reported = false;
  bool pending_restart = false;  // the file holds a changed value of a postmaster setting
};
// Every setting, ordered by name case-insensitively.
[[nodiscard]] std::vector<SettingInfo> AllSettings();

// pg_settings spellings: "postmaster", "superuser-backend" ...; "configuration file" ...;
// "bool", "integer", "real", "string", "enum".
[[nodiscard]] const char* ContextName(SettingContext context);
[[nodiscard]] const char* SourceName(SettingSource source);
[[nodiscard]] const char* TypeName(SettingType type);

// Back to the built-in defaults, placeholders dropped; tests only.
void ResetAllSettingsForTest();

}  // namespace keel::config
