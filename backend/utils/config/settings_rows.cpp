// pg_show_all_settings() rows from the registry's AllSettings(); see settings_rows.h and
// README.md ("pg_settings rows").
#include "backend/utils/config/settings_rows.h"

#include <strings.h>

#include "backend/utils/config/config.h"

namespace keel::config {
namespace {

bool NeedsQuotes(const std::string& e) {
  if (e.empty() || strcasecmp(e.c_str(), "NULL") == 0) return true;
  for (char c : e) {
    switch (c) {
      case '"': case '\\': case '{': case '}': case ',':
      case ' ': case '\t': case '\n': case '\r': case '\v': case '\f':
        return true;
      default: break;
    }
  }
  return false;
}

}  // namespace

std::vector<SettingsRow> SettingsRows() {
  std::vector<SettingsRow> rows;
  for (const SettingInfo& info : AllSettings()) {
    SettingsRow& row = rows.emplace_back();
    row.name = info.name;
    row.setting = info.setting;
    if (!info.unit.empty()) row.unit.emplace(info.unit);
    row.category = info.category;
    row.short_desc = info.description;
    row.context = ContextName(info.context);
    row.vartype = TypeName(info.type);
    row.source = SourceName(info.source);
    if (info.type == SettingType::kInt || info.type == SettingType::kReal) {
      row.min_val.emplace(info.min_value);
      row.max_val.emplace(info.max_value);
    }
    if (info.type == SettingType::kEnum) row.enumvals.emplace(info.enum_values);
    row.boot_val = info.boot_value;
    row.reset_val = info.reset_value;
    if (info.source == SettingSource::kFile) {
      row.sourcefile.emplace(info.source_file);
      row.sourceline = info.source_line;
    }
    row.pending_restart = info.pending_restart;
  }
  return rows;
}

std::vector<std::optional<std::string>> SettingsRowText(const SettingsRow& row) {
  std::vector<std::optional<std::string>> out;
  out.reserve(kSettingsRowColumns);
  out.emplace_back(row.name);
  out.emplace_back(row.setting);
  out.push_back(row.unit);
  out.emplace_back(row.category);
  out.emplace_back(row.short_desc);
  out.push_back(row.extra_desc);
  out.emplace_back(row.context);
  out.emplace_back(row.vartype);
  out.emplace_back(row.source);
  out.push_back(row.min_val);
  out.push_back(row.max_val);
  if (row.enumvals.has_value()) {
    out.emplace_back(TextArrayLiteral(*row.enumvals));
  } else {
    out.emplace_back(std::nullopt);
  }
  out.emplace_back(row.boot_val);
  out.emplace_back(row.reset_val);
  out.push_back(row.sourcefile);
  if (row.sourceline.has_value()) {
    out.emplace_back(std::to_string(*row.sourceline));
  } else {
    out.emplace_back(std::nullopt);
  }
  out.emplace_back(row.pending_restart ? "t" : "f");
  return out;
}

std::string TextArrayLiteral(std::span<const std::string> elements) {
  std::string out = "{";
  for (size_t i = 0; i < elements.size(); ++i) {
    if (i > 0) out += ',';
    const std::string& e = elements[i];
    if (!NeedsQuotes(e)) {
      out += e;
      continue;
    }
    out += '"';
    for (char c : e) {
      if (c == '"' || c == '\\') out += '\\';
      out += c;
    }
    out += '"';
  }
  out += '}';
  return out;
}

}  // namespace keel::config
