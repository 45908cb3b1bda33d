// DateStyle check hook; see date_style.h.
#include "backend/utils/config/date_style.h"

#include <strings.h>

#include "backend/utils/config/settings.h"
#include "backend/utils/error/format.h"

namespace keel::config {
namespace {

bool Is(std::string_view word, const char* keyword) {
  return word.size() == strlen(keyword) && strncasecmp(word.data(), keyword, word.size()) == 0;
}

// Splits "ISO, MDY" into its two parts; unknown text yields empty parts.
void SplitCanonical(const std::string& value, std::string* style, std::string* order) {
  size_t comma = value.find(", ");
  if (comma == std::string::npos) return;
  *style = value.substr(0, comma);
  *order = value.substr(comma + 2);
}

}  // namespace

bool CheckDateStyle(std::string_view text, std::string* canonical, std::string* detail) {
  std::string style, order;
  bool have_style = false, have_order = false;
  size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && (text[i] == ',' || text[i] == ' ' || text[i] == '\t')) ++i;
    size_t start = i;
    while (i < text.size() && text[i] != ',' && text[i] != ' ' && text[i] != '\t') ++i;
    std::string_view word = text.substr(start, i - start);
    if (word.empty()) break;
    std::string new_style, new_order;
    if (Is(word, "ISO")) new_style = "ISO";
    else if (Is(word, "SQL")) new_style = "SQL";
    else if (Is(word, "POSTGRES")) new_style = "Postgres";
    else if (Is(word, "GERMAN")) new_style = "German";
    else if (Is(word, "YMD")) new_order = "YMD";
    else if (Is(word, "DMY") || Is(word, "EURO") || Is(word, "EUROPEAN")) new_order = "DMY";
    else if (Is(word, "MDY") || Is(word, "US") || Is(word, "NONEURO") || Is(word, "NONEUROPEAN")) {
      new_order = "MDY";
    } else if (Is(word, "DEFAULT")) {
      new_style = "ISO";
      new_order = "MDY";
    } else {
      *detail = Format("Unrecognized key word: \"%.*s\".", static_cast<int>(word.size()),
                       word.data());
      return false;
    }
    if ((!new_style.empty() && have_style && new_style != style) ||
        (!new_order.empty() && have_order && new_order != order)) {
      *detail = "Conflicting \"datestyle\" specifications.";
      return false;
    }
    if (!new_style.empty()) style = new_style, have_style = true;
    if (!new_order.empty()) order = new_order, have_order = true;
  }
  std::string current_style = "ISO", current_order = "MDY";
  SplitCanonical(settings::date_style, &current_style, &current_order);
  if (!have_style) style = current_style;
  if (!have_order) order = style == "German" ? "DMY" : current_order;
  *canonical = style + ", " + order;
  return true;
}

}  // namespace keel::config
