// Temporary files: creation under base/pgsql_tmp, I/O through storage/file (fault injection),
// removal by the owner and by the start-up sweep. README.md ("Temporary files", S1-S4).
#include "backend/utils/sort/temp_file.h"

#include <fcntl.h>
#include <sys/uio.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <filesystem>
#include <system_error>

#include "backend/utils/error/error.h"
#include "backend/utils/error/format.h"
#include "backend/utils/error/log.h"
#include "backend/utils/init/paths.h"
#include "storage/file/file_io.h"

namespace keel::sort {
namespace {

// S2: per-process sequence; with the pid in the name, names never collide between processes
// (a forked child inherits the counter but has its own pid).
std::atomic<uint64_t> g_next_temp_file{0};

}  // namespace

std::string DefaultTempDirectory() {
  const std::string& data_dir = DataDirectory();
  if (data_dir.empty()) return "base/pgsql_tmp";
  return data_dir + "/base/pgsql_tmp";
}

TempFile::TempFile(TempFile&& other) noexcept
    : fd_(other.fd_), path_(std::move(other.path_)) {
  other.fd_ = -1;
  other.path_.clear();
}

TempFile& TempFile::operator=(TempFile&& other) noexcept {
  if (this != &other) {
    Close();
    fd_ = other.fd_;
    path_ = std::move(other.path_);
    other.fd_ = -1;
    other.path_.clear();
  }
  return *this;
}

TempFile TempFile::Create(const std::string& dir) {
  const std::string path =
      Format("%s/%.*s%d.%llu", dir.c_str(), static_cast<int>(kTempFilePrefix.size()),
             kTempFilePrefix.data(), static_cast<int>(getpid()),
             static_cast<unsigned long long>(g_next_temp_file.fetch_add(1)));
  // Like PostgreSQL: try the file first, make the directory only when that fails.
  int fd = storage::FileOpen(path, O_RDWR | O_CREAT | O_EXCL | O_TRUNC, 0600);
  if (fd < 0 && errno == ENOENT) {
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec && !std::filesystem::is_directory(dir)) {
      const int saved_errno = ec.value();
      throw Error(storage::FileAccessSqlState(saved_errno),
                  Format("could not create directory \"%s\": %s", dir.c_str(),
                         ErrnoText(saved_errno).c_str()));
    }
    fd = storage::FileOpen(path, O_RDWR | O_CREAT | O_EXCL | O_TRUNC, 0600);
  }
  if (fd < 0) {
    const int saved_errno = errno;
    throw Error(storage::FileAccessSqlState(saved_errno),
                Format("could not create temporary file \"%s\": %s", path.c_str(),
                       ErrnoText(saved_errno).c_str()));
  }
  return TempFile(fd, path);
}

void TempFile::ThrowWriteError(int saved_errno) const {
  throw Error(storage::FileAccessSqlState(saved_errno),
              Format("could not write to file \"%s\": %s", path_.c_str(),
                     ErrnoText(saved_errno).c_str()));
}

void TempFile::WriteAt(const void* buf, size_t size_bytes, uint64_t offset) {
  KEEL_ASSERT(is_open());
  const ssize_t n = storage::FileWriteAt(fd_, buf, size_bytes, static_cast<off_t>(offset));
  if (n < 0) ThrowWriteError(errno);
  if (static_cast<size_t>(n) != size_bytes) ThrowWriteError(ENOSPC);
}

void TempFile::WriteAt2(const void* a, size_t a_bytes, const void* b, size_t b_bytes,
                        uint64_t offset) {
  KEEL_ASSERT(is_open());
  const iovec iov[2] = {{const_cast<void*>(a), a_bytes}, {const_cast<void*>(b), b_bytes}};
  const ssize_t n = storage::FileWritevAt(fd_, iov, 2, static_cast<off_t>(offset));
  if (n < 0) ThrowWriteError(errno);
  if (static_cast<size_t>(n) != a_bytes + b_bytes) ThrowWriteError(ENOSPC);
}

size_t TempFile::ReadAt(void* buf, size_t size_bytes, uint64_t offset) {
  KEEL_ASSERT(is_open());
  const ssize_t n = storage::FileReadAt(fd_, buf, size_bytes, static_cast<off_t>(offset));
  if (n < 0) {
    const int saved_errno = errno;
    throw Error(storage::FileAccessSqlState(saved_errno),
                Format("could not read file \"%s\": %s", path_.c_str(),
                       ErrnoText(saved_errno).c_str()));
  }
  return static_cast<size_t>(n);
}

void TempFile::Close() noexcept {
  if (fd_ < 0) return;
  (void)storage::FileClose(fd_);
  fd_ = -1;
  // S1: unlink by name; a failure leaves a file the start-up sweep removes (S3).
  (void)unlink(path_.c_str());
  path_.clear();
}

int RemoveTempFiles(const std::string& data_dir) {
  namespace fs = std::filesystem;
  const fs::path dir = fs::path(data_dir) / "base" / "pgsql_tmp";
  std::error_code ec;
  fs::directory_iterator it(dir, ec);
  if (ec) {
    // A data directory that never spilled has no pgsql_tmp: nothing to do.
    if (ec != std::errc::no_such_file_or_directory) {
      Log(Severity::kLog, "could not open directory \"%s\": %s", dir.c_str(),
          ErrnoText(ec.value()).c_str());
    }
    return 0;
  }
  int removed = 0;
  for (; it != fs::directory_iterator(); it.increment(ec)) {
    if (ec) {
      Log(Severity::kLog, "could not read directory \"%s\": %s", dir.c_str(),
          ErrnoText(ec.value()).c_str());
      break;
    }
    const fs::path& entry = it->path();
    if (!entry.filename().string().starts_with(kTempFilePrefix)) {
      // S4: anything else is not ours; PostgreSQL logs it too.
      Log(Severity::kLog, "unexpected file found in temporary-files directory: \"%s\"",
          entry.c_str());
      continue;
    }
    std::error_code rm_ec;
    // remove_all: directories of shared file sets (pgsql_tmp<pid>.<n>.fileset) go whole.
    if (fs::remove_all(entry, rm_ec) == static_cast<std::uintmax_t>(-1) || rm_ec) {
      Log(Severity::kLog, "could not remove file \"%s\": %s", entry.c_str(),
          ErrnoText(rm_ec.value()).c_str());
      continue;
    }
    ++removed;
  }
  return removed;
}

}  // namespace keel::sort
