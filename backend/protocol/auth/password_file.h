// Interim role password store (until the role catalog exists): one "role:secret" line per
// role, the secret a SCRAM verifier or an md5 hash. See backend/protocol/auth/README.md.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace keel::auth {

class PasswordFile {
 public:
  PasswordFile() = default;

  // Reads the file at `path`. A missing file is an empty store (P1). Blank lines and lines
  // starting with '#' are skipped; trailing spaces, tabs and CR are ignored.
  // Throws FATAL F0000 on a malformed line or a repeated role (detail names the line), and
  // 58030 when the file exists but cannot be read.
  [[nodiscard]] static PasswordFile Load(const std::string& path);
  // Same from text already in memory; `file_name` is used in messages only.
  [[nodiscard]] static PasswordFile Parse(std::string_view text, std::string_view file_name);

  // The stored secret for `user`, or nullopt when the user has none.
  [[nodiscard]] std::optional<std::string> Lookup(std::string_view user) const;
  [[nodiscard]] size_t size() const { return secrets_.size(); }

  // Writes `entries` (role, secret) as a new file with mode 0600, atomically (temp file,
  // fsync, rename). Requires: roles non-empty without ':', '\n' or leading '#'; secrets
  // without '\n'. Throws FATAL 58030 on I/O failure, 22023 for a role or secret it cannot store.
  static void Write(const std::string& path,
                    const std::vector<std::pair<std::string, std::string>>& entries);

 private:
  std::map<std::string, std::string, std::less<>> secrets_;
};

}  // namespace keel::auth
