// Whole-file reads and writes for tests. See tests/support/README.md.
#pragma once

#include <optional>
#include <string>

namespace keel::testing {

// The whole file (bytes as they are), or nullopt when it cannot be opened.
[[nodiscard]] std::optional<std::string> ReadWholeFile(const std::string& path);

// Creates or truncates the file and writes `contents`; false on failure.
[[nodiscard]] bool WriteWholeFile(const std::string& path, const std::string& contents);

// Appends `contents` to the file, creating it if needed; false on failure.
[[nodiscard]] bool AppendToFile(const std::string& path, const std::string& contents);

}  // namespace keel::testing
