// Running built tools from tests; see tool_test_support.h.
#include "bin/common/tool_test_support.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <thread>

#ifndef KEEL_BIN_DIR
#error "KEEL_BIN_DIR must name the directory of the built tools"
#endif

namespace keel::tools::testing {
namespace {

std::string TempRoot() {
  const char* tmp = std::getenv("TMPDIR");
  return (tmp != nullptr && tmp[0] != '\0') ? tmp : "/tmp";
}

// An unlinked-on-destruction temporary file for one captured stream.
class CaptureFile {
 public:
  CaptureFile() {
    path_ = TempRoot() + "/keel_tool_out_XXXXXX";
    fd_ = ::mkstemp(path_.data());
  }
  ~CaptureFile() {
    if (fd_ >= 0) ::close(fd_);
    ::unlink(path_.c_str());
  }
  [[nodiscard]] int fd() const { return fd_; }
  [[nodiscard]] std::string Contents() const { return ReadWholeFile(path_).value_or(""); }

 private:
  std::string path_;
  int fd_ = -1;
};

}  // namespace

std::string ToolPath(const std::string& name) { return std::string(KEEL_BIN_DIR) + "/" + name; }

ToolResult RunTool(const std::vector<std::string>& argv, const EnvChanges& env, int timeout_s) {
  ToolResult result;
  CaptureFile out;
  CaptureFile err;
  std::vector<std::string> args = argv;
  std::vector<char*> c_args;
  for (std::string& arg : args) c_args.push_back(arg.data());
  c_args.push_back(nullptr);

  pid_t child = ::fork();
  if (child < 0) return result;
  if (child == 0) {
    int null_fd = ::open("/dev/null", O_RDONLY);
    ::dup2(null_fd, STDIN_FILENO);
    ::dup2(out.fd(), STDOUT_FILENO);
    ::dup2(err.fd(), STDERR_FILENO);
    ::unsetenv("KEELDATA");
    ::unsetenv("KEELCTLTIMEOUT");
    for (const auto& [name, value] : env) {
      if (value) {
        ::setenv(name.c_str(), value->c_str(), 1);
      } else {
        ::unsetenv(name.c_str());
      }
    }
    ::execv(c_args[0], c_args.data());
    dprintf(STDERR_FILENO, "exec %s failed\n", c_args[0]);
    ::_exit(127);
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_s);
  int status = 0;
  while (true) {
    pid_t reaped = ::waitpid(child, &status, WNOHANG);
    if (reaped == child) break;
    if (std::chrono::steady_clock::now() >= deadline) {
      ::kill(child, SIGKILL);
      ::waitpid(child, &status, 0);
      result.timed_out = true;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  if (WIFEXITED(status)) {
    result.exit_code = WEXITSTATUS(status);
  } else if (WIFSIGNALED(status)) {
    result.exit_code = 128 + WTERMSIG(status);
  }
  result.out = out.Contents();
  result.err = err.Contents();
  return result;
}

TempDir::TempDir() {
  std::string templ = TempRoot() + "/keel_tool_test_XXXXXX";
  if (::mkdtemp(templ.data()) != nullptr) path_ = templ;
}

TempDir::~TempDir() {
  if (path_.empty()) return;
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

std::optional<std::string> ReadWholeFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

bool WriteWholeFile(const std::string& path, const std::string& contents) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << contents;
  return static_cast<bool>(out);
}

}  // namespace keel::tools::testing
