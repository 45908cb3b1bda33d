// Temporary directories for tests, removed with their contents when the owner dies.
// See tests/support/README.md (P5).
#pragma once

#include <string>

namespace keel::testing {

// $TMPDIR when set and non-empty, else /tmp.
[[nodiscard]] std::string TempRoot();

// A fresh directory under TempRoot(), removed with everything in it on destruction (P5).
class TempDir {
 public:
  // Errors: throws std::system_error when the directory cannot be created.
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  // Absolute path, without a trailing slash.
  [[nodiscard]] const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace keel::testing
