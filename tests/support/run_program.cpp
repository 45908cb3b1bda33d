// Running programs from tests; see run_program.h and README.md here.
#include "tests/support/run_program.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <thread>

#include "tests/support/files.h"
#include "tests/support/temp_dir.h"

#ifndef KEEL_BIN_DIR
#error "KEEL_BIN_DIR must name the build tree's bin directory"
#endif

extern char** environ;

namespace keel::testing {
namespace {

// The names removed from every child's environment (P4): a developer's shell may set them.
constexpr const char* kScrubbedVariables[] = {"KEELDATA", "KEELCTLTIMEOUT"};

// An unlinked-on-destruction temporary file that receives one captured stream (P1).
class CaptureFile {
 public:
  CaptureFile() : path_(TempRoot() + "/keel_test_capture_XXXXXX") {
    // Close-on-exec: the child gets it only through dup2 onto 1 or 2, nothing else inherits it.
    fd_ = ::mkostemp(path_.data(), O_CLOEXEC);
  }
  ~CaptureFile() {
    if (fd_ < 0) return;
    ::close(fd_);
    ::unlink(path_.c_str());
  }
  CaptureFile(const CaptureFile&) = delete;
  CaptureFile& operator=(const CaptureFile&) = delete;

  [[nodiscard]] int fd() const { return fd_; }
  [[nodiscard]] std::string Contents() const { return ReadWholeFile(path_).value_or(""); }

 private:
  std::string path_;
  int fd_ = -1;
};

bool IsScrubbed(const std::string& name) {
  for (const char* scrubbed : kScrubbedVariables) {
    if (name == scrubbed) return true;
  }
  return false;
}

// The parent's environment without the scrubbed names, with `changes` applied in order.
std::vector<std::string> ChildEnvironment(const EnvChanges& changes) {
  std::vector<std::string> entries;
  for (char** entry = environ; *entry != nullptr; ++entry) {
    std::string text = *entry;
    if (!IsScrubbed(text.substr(0, text.find('=')))) entries.push_back(std::move(text));
  }
  for (const auto& [name, value] : changes) {
    std::erase_if(entries, [&name](const std::string& entry) {
      return entry.size() > name.size() && entry.compare(0, name.size(), name) == 0 &&
             entry[name.size()] == '=';
    });
    if (value) entries.push_back(name + "=" + *value);
  }
  return entries;
}

std::vector<char*> NullTerminated(std::vector<std::string>& strings) {
  std::vector<char*> pointers;
  for (std::string& s : strings) pointers.push_back(s.data());
  pointers.push_back(nullptr);
  return pointers;
}

}  // namespace

std::string KeelBinary(const std::string& name) { return std::string(KEEL_BIN_DIR) + "/" + name; }

ProgramResult RunProgram(const std::vector<std::string>& argv, const EnvChanges& env,
                         int timeout_s) {
  ProgramResult result;
  if (argv.empty()) return result;
  CaptureFile out;
  CaptureFile err;
  int null_fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (out.fd() < 0 || err.fd() < 0 || null_fd < 0) {
    if (null_fd >= 0) ::close(null_fd);
    result.err = std::string("could not create capture files: ") + std::strerror(errno);
    return result;
  }
  // Everything the child needs is built before fork(), so the child only calls dup2 and exec.
  std::vector<std::string> args = argv;
  std::vector<char*> c_args = NullTerminated(args);
  std::vector<std::string> environment = ChildEnvironment(env);
  std::vector<char*> c_environment = NullTerminated(environment);

  fflush(stdout);
  fflush(stderr);
  pid_t child = ::fork();
  if (child < 0) {
    result.err = std::string("could not fork: ") + std::strerror(errno);
    ::close(null_fd);
    return result;
  }
  if (child == 0) {
    ::dup2(null_fd, STDIN_FILENO);
    ::dup2(out.fd(), STDOUT_FILENO);
    ::dup2(err.fd(), STDERR_FILENO);
    ::execvpe(c_args[0], c_args.data(), c_environment.data());
    dprintf(STDERR_FILENO, "could not execute \"%s\": %s\n", c_args[0], std::strerror(errno));
    ::_exit(127);
  }
  ::close(null_fd);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_s);
  int status = 0;
  bool reaped_it = true;
  while (true) {
    pid_t reaped = ::waitpid(child, &status, WNOHANG);
    if (reaped == child) break;
    if (reaped < 0 && errno != EINTR) {  // reaped elsewhere: the status is lost
      reaped_it = false;
      break;
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      ::kill(child, SIGKILL);
      while (::waitpid(child, &status, 0) < 0 && errno == EINTR) {
      }
      result.timed_out = true;  // P3
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  if (!reaped_it) {
    result.exit_code = -1;
  } else if (WIFEXITED(status)) {
    result.exit_code = WEXITSTATUS(status);
  } else if (WIFSIGNALED(status)) {
    result.exit_code = 128 + WTERMSIG(status);  // P2
  }
  result.out = out.Contents();
  result.err = err.Contents();
  return result;
}

}  // namespace keel::testing
