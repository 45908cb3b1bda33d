// The check hook of the DateStyle setting: PostgreSQL's keywords, canonical "Style, Order".
#pragma once

#include <string>
#include <string_view>

namespace keel::config {

// Accepts comma- or space-separated keywords, case-insensitive: an output style (ISO, SQL,
// Postgres, German) and/or a field order (YMD; DMY, Euro, European; MDY, US, NonEuro,
// NonEuropean); "Default" stands for "ISO, MDY". A part left out keeps its value in
// `settings::date_style`. Canonical form: "ISO, MDY". Returns false with PostgreSQL's detail
// for an unknown keyword or two conflicting ones.
[[nodiscard]] bool CheckDateStyle(std::string_view text, std::string* canonical,
                                  std::string* detail);

}  // namespace keel::config
