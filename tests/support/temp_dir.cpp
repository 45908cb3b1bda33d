// Temporary directories for tests; see temp_dir.h.
#include "tests/support/temp_dir.h"

#include <stdlib.h>

#include <cerrno>
#include <filesystem>
#include <system_error>

namespace keel::testing {

std::string TempRoot() {
  const char* tmp = std::getenv("TMPDIR");
  return (tmp != nullptr && tmp[0] != '\0') ? tmp : "/tmp";
}

TempDir::TempDir() {
  std::string templ = TempRoot() + "/keel_test_XXXXXX";
  if (::mkdtemp(templ.data()) == nullptr) {
    throw std::system_error(errno, std::generic_category(),
                            "could not create temporary directory " + templ);
  }
  path_ = std::filesystem::absolute(templ).lexically_normal().string();
}

TempDir::~TempDir() {
  std::error_code ec;  // P5: best effort, a destructor never throws
  std::filesystem::remove_all(path_, ec);
}

}  // namespace keel::testing
