// Server paths; see paths.h.
#include "backend/utils/init/paths.h"

namespace keel {
namespace {
std::string g_data_dir;
std::string g_config_file;
}  // namespace

void SetDataDirectory(std::string absolute_path) {
  g_data_dir = std::move(absolute_path);
  g_config_file = g_data_dir + "/keel.conf";
}
const std::string& DataDirectory() { return g_data_dir; }
const std::string& ConfigFilePath() { return g_config_file; }

}  // namespace keel
