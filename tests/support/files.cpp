// Whole-file reads and writes for tests; see files.h.
#include "tests/support/files.h"

#include <fstream>
#include <iterator>

namespace keel::testing {
namespace {

bool WriteWithMode(const std::string& path, const std::string& contents,
                   std::ios::openmode mode) {
  std::ofstream out(path, std::ios::binary | mode);
  out << contents;
  out.close();
  return !out.fail();
}

}  // namespace

std::optional<std::string> ReadWholeFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

bool WriteWholeFile(const std::string& path, const std::string& contents) {
  return WriteWithMode(path, contents, std::ios::trunc);
}

bool AppendToFile(const std::string& path, const std::string& contents) {
  return WriteWithMode(path, contents, std::ios::app);
}

}  // namespace keel::testing
