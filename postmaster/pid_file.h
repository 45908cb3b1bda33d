// postmaster.pid: keeps two servers off one data directory and tells keel-ctl how to
// reach and signal the running one. Layout and rules: postmaster/README.md (P1-P4).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>

namespace keel::postmaster {

// Line 8 of the file.
enum class PidFileStatus : uint8_t { kStarting, kStopping, kReady, kStandby };

struct PidFileContents {
  pid_t pid = 0;
  std::string data_dir;
  int64_t start_time_s = 0;
  int port = 0;
  std::string socket_dir;
  std::string listen_address;
  int64_t shmem_key = 0;
  int64_t shmem_id = -1;
  PidFileStatus status = PidFileStatus::kStarting;
};

// Parses a postmaster.pid; nullopt when missing or unreadable. Lines a crashed writer left
// out are empty/zero.
[[nodiscard]] std::optional<PidFileContents> ReadPidFile(const std::string& path);

// Owns the data directory's postmaster.pid for the life of the postmaster.
class PidFile {
 public:
  // Creates `<data_dir>/postmaster.pid` exclusively with this process's pid. A file left by a
  // dead server is removed first, unless processes are still attached to its shared memory.
  // Throws FATAL:
  //   `lock file "postmaster.pid" already exists` (hint: another postmaster running),
  //   `pre-existing shared memory block (key %lld, ID %lld) is still in use` (hint: old processes),
  //   `could not create lock file "%s": %m`.
  static PidFile Acquire(const std::string& data_dir);

  PidFile(PidFile&& other) noexcept;
  PidFile& operator=(PidFile&&) = delete;
  ~PidFile();

  // Rewrites the whole file (write to a temp file + rename, so readers never see half).
  void Write(const PidFileContents& contents);
  void SetStatus(PidFileStatus status);
  // Removes the file; called on the way out of a clean or immediate shutdown.
  void Remove();

  [[nodiscard]] const PidFileContents& contents() const { return contents_; }

 private:
  explicit PidFile(std::string path) : path_(std::move(path)) {}
  std::string path_;
  PidFileContents contents_;
  bool owned_ = true;
};

}  // namespace keel::postmaster
