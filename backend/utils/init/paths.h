// Where this server's files are: the data directory (the working directory of every server
// process) and the configuration file. Set once by the postmaster before any fork.
#pragma once

#include <string>

namespace keel {

void SetDataDirectory(std::string absolute_path);
[[nodiscard]] const std::string& DataDirectory();
// <data directory>/keel.conf
[[nodiscard]] const std::string& ConfigFilePath();

}  // namespace keel
