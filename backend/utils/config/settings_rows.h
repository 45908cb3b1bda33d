// The rows of pg_show_all_settings() (and so of the pg_settings view): every setting of the
// registry with PostgreSQL 15's seventeen columns, as plain C++ values the executor turns into
// a result set. Per process, like the registry (C6). README.md ("pg_settings rows").
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace keel::config {

// One row, PostgreSQL 15's columns in order; nullopt is SQL NULL.
struct SettingsRow {
  std::string name;                      // canonical spelling ("DateStyle")
  std::string setting;                   // current value in the base unit ("16384")
  std::optional<std::string> unit;       // "8kB", "kB", "MB", "B", "ms", "s", "min"; NULL: none
  std::string category;                  // "Resource Usage / Memory"
  std::string short_desc;
  std::optional<std::string> extra_desc;  // Keel has no long descriptions: NULL
  std::string context;                   // "postmaster", "sighup", "user" ...
  std::string vartype;                   // "bool", "integer", "real", "string", "enum"
  std::string source;                    // "default", "configuration file", "session" ...
  std::optional<std::string> min_val;    // integer and real settings only
  std::optional<std::string> max_val;
  std::optional<std::vector<std::string>> enumvals;  // enum settings only (text[])
  std::string boot_val;                  // the built-in default, in the base unit
  std::string reset_val;                 // what RESET returns to, in the base unit
  std::optional<std::string> sourcefile;  // when the value comes from a configuration file
  std::optional<int32_t> sourceline;
  bool pending_restart = false;          // the file holds a change that needs a restart
};

inline constexpr int kSettingsRowColumns = 17;

// Every setting, ordered by name case-insensitively (PostgreSQL's pg_settings order), with the
// values current in this process. Never throws (beyond std::bad_alloc).
[[nodiscard]] std::vector<SettingsRow> SettingsRows();

// The row as the text output of its seventeen columns, nullopt for NULL: enumvals as a text[]
// literal ("{md5,scram-sha-256}"), sourceline in decimal, pending_restart "t" / "f".
[[nodiscard]] std::vector<std::optional<std::string>> SettingsRowText(const SettingsRow& row);

// PostgreSQL's text output of a text[] without NULLs: "{a,b}", elements double-quoted (with
// \" and \\ escaped) when empty, "NULL" in any case, or containing blanks, quotes, backslashes,
// commas or braces.
[[nodiscard]] std::string TextArrayLiteral(std::span<const std::string> elements);

}  // namespace keel::config
