// postmaster.pid; see pid_file.h and README.md.
#include "postmaster/pid_file.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <fstream>
#include <sstream>

#include "backend/utils/error/error.h"
#include "backend/utils/error/format.h"
#include "backend/utils/error/log.h"
#include "storage/ipc/shmem_interlock.h"

namespace keel::postmaster {
namespace {

constexpr const char* kFileName = "postmaster.pid";

const char* StatusWord(PidFileStatus status) {
  switch (status) {
    case PidFileStatus::kStarting: return "starting";
    case PidFileStatus::kStopping: return "stopping";
    case PidFileStatus::kReady: return "ready   ";
    case PidFileStatus::kStandby: return "standby ";
  }
  return "starting";
}

PidFileStatus ParseStatus(const std::string& word) {
  if (word.rfind("ready", 0) == 0) return PidFileStatus::kReady;
  if (word.rfind("stopping", 0) == 0) return PidFileStatus::kStopping;
  if (word.rfind("standby", 0) == 0) return PidFileStatus::kStandby;
  return PidFileStatus::kStarting;
}

// A zombie is dead for our purposes: it holds no files or memory, and where nobody reaps
// orphans (some containers' init) it would otherwise block the directory forever.
bool ProcessAlive(pid_t pid) {
  if (pid <= 0 || (kill(pid, 0) != 0 && errno != EPERM)) return false;
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(stat, line)) return true;
  size_t paren = line.rfind(')');
  return !(paren != std::string::npos && paren + 2 < line.size() && line[paren + 2] == 'Z');
}

}  // namespace

std::optional<PidFileContents> ReadPidFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return std::nullopt;
  std::string lines[8];
  for (auto& line : lines) {
    if (!std::getline(in, line)) break;
  }
  PidFileContents c;
  c.pid = static_cast<pid_t>(std::atol(lines[0].c_str()));
  c.data_dir = lines[1];
  c.start_time_s = std::atoll(lines[2].c_str());
  c.port = std::atoi(lines[3].c_str());
  c.socket_dir = lines[4];
  c.listen_address = lines[5];
  std::istringstream shm(lines[6]);
  long long key = 0, id = -1;
  if (shm >> key >> id) {
    c.shmem_key = key;
    c.shmem_id = id;
  }
  c.status = ParseStatus(lines[7]);
  return c;
}

PidFile PidFile::Acquire(const std::string& data_dir) {
  std::string path = data_dir + "/" + kFileName;
  // Two tries: the second after removing a stale file. P1
  for (int attempt = 0; attempt < 2; ++attempt) {
    int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd >= 0) {
      std::string line = Format("%d\n", static_cast<int>(getpid()));
      bool ok = write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size());
      ok = fsync(fd) == 0 && ok;
      close(fd);
      if (!ok) {
        int saved = errno;
        unlink(path.c_str());
        throw FatalError(sqlstate::kIoError,
                         Format("could not write lock file \"%s\": %s", path.c_str(),
                                ErrnoText(saved).c_str()));
      }
      PidFile file(path);
      file.contents_.pid = getpid();
      file.contents_.data_dir = data_dir;
      return file;
    }
    if (errno != EEXIST) {
      throw FatalError(sqlstate::kIoError, Format("could not create lock file \"%s\": %s",
                                                  path.c_str(), ErrnoText(errno).c_str()));
    }
    auto old = ReadPidFile(path);
    // An empty or half-written file from a crash at creation time counts as stale.
    if (old && old->pid != getpid() && old->pid != getppid() && ProcessAlive(old->pid)) {
      throw FatalError(sqlstate::kObjectInUse, "lock file \"postmaster.pid\" already exists")
          .WithHint(Format("Is another postmaster (PID %d) running in data directory \"%s\"?",
                           static_cast<int>(old->pid), data_dir.c_str()));
    }
    // P2: the old postmaster is gone, but its children may still be attached.
    if (old && old->shmem_id >= 0) {
      storage::InterlockId id{old->shmem_key, old->shmem_id};
      if (storage::CheckShmemInterlock(id, data_dir) == storage::InterlockState::kInUse) {
        throw FatalError(sqlstate::kObjectInUse,
                         Format("pre-existing shared memory block (key %lld, ID %lld) is still "
                                "in use",
                                static_cast<long long>(id.key), static_cast<long long>(id.shmid)))
            .WithHint(Format("Terminate any old server processes associated with data "
                             "directory \"%s\".",
                             data_dir.c_str()));
      }
    }
    Log(Severity::kLog, "removing stale lock file \"%s\"", path.c_str());
    if (unlink(path.c_str()) != 0 && errno != ENOENT) {
      throw FatalError(sqlstate::kIoError, Format("could not remove old lock file \"%s\": %s",
                                                  path.c_str(), ErrnoText(errno).c_str()));
    }
  }
  throw FatalError(sqlstate::kObjectInUse, "lock file \"postmaster.pid\" already exists")
      .WithHint("Another server is starting in the same data directory.");
}

PidFile::PidFile(PidFile&& other) noexcept
    : path_(std::move(other.path_)), contents_(std::move(other.contents_)), owned_(other.owned_) {
  other.owned_ = false;
}

PidFile::~PidFile() = default;  // P3: removal is explicit; a crashed postmaster leaves the file

void PidFile::Write(const PidFileContents& contents) {
  contents_ = contents;
  // P4: never recreate a file that is no longer ours (removed, or taken by another server);
  // the server loop notices that and stops (P5).
  std::optional<PidFileContents> on_disk = ReadPidFile(path_);
  if (!owned_ || !on_disk || on_disk->pid != getpid()) return;
  std::string text = Format("%d\n%s\n%lld\n%d\n%s\n%s\n%9lld %9lld\n%s\n",
                            static_cast<int>(contents.pid), contents.data_dir.c_str(),
                            static_cast<long long>(contents.start_time_s), contents.port,
                            contents.socket_dir.c_str(), contents.listen_address.c_str(),
                            static_cast<long long>(contents.shmem_key),
                            static_cast<long long>(contents.shmem_id),
                            StatusWord(contents.status));
  std::string tmp = path_ + ".tmp";
  int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) {
    Log(Severity::kWarning, "could not write lock file \"%s\": %s", tmp.c_str(),
        ErrnoText(errno).c_str());
    return;
  }
  bool ok = write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  close(fd);
  if (!ok || rename(tmp.c_str(), path_.c_str()) != 0) {
    Log(Severity::kWarning, "could not write lock file \"%s\": %s", path_.c_str(),
        ErrnoText(errno).c_str());
    unlink(tmp.c_str());
  }
}

void PidFile::SetStatus(PidFileStatus status) {
  PidFileContents c = contents_;
  c.status = status;
  Write(c);
}

void PidFile::Remove() {
  std::optional<PidFileContents> on_disk = ReadPidFile(path_);
  if (owned_ && on_disk && on_disk->pid == getpid()) unlink(path_.c_str());  // P3: only ours
  owned_ = false;
}

}  // namespace keel::postmaster
