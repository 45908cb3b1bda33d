// The file-I/O wrappers and, in Debug builds, the fault-injection table. See README.md (F1-F5).
#include "storage/file/file_io.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <unordered_map>
#include <vector>

#include "backend/utils/error/error.h"
#include "backend/utils/error/format.h"

namespace keel::storage {

namespace {

#ifdef KEEL_DEBUG
struct ArmedFault {
  FaultKind kind;
  std::string path_substring;
  int remaining;
};

// Process-local (F4): fd -> path for descriptors from FileOpen, and the armed faults.
std::unordered_map<int, std::string>& FdPaths() {
  static auto* paths = new std::unordered_map<int, std::string>();  // never destroyed: used
  return *paths;                                                     // until _exit()
}
std::vector<ArmedFault>& Faults() {
  static auto* faults = new std::vector<ArmedFault>();
  return *faults;
}

// F2: which operations each kind of fault hits.
bool FaultApplies(FaultKind kind, FileOp op) {
  switch (kind) {
    case FaultKind::kEio:
      return op == FileOp::kRead || op == FileOp::kWrite || op == FileOp::kAllocate ||
             op == FileOp::kTruncate;
    case FaultKind::kEnospc: return op == FileOp::kWrite || op == FileOp::kAllocate;
    case FaultKind::kShortWrite: return op == FileOp::kWrite;
    case FaultKind::kFsyncFailure: return op == FileOp::kSync;
  }
  return false;
}

std::optional<FaultKind> TakeFaultForPath(const std::string& path, FileOp op) {
  for (ArmedFault& fault : Faults()) {
    if (fault.remaining <= 0 || !FaultApplies(fault.kind, op)) continue;
    if (!fault.path_substring.empty() && path.find(fault.path_substring) == std::string::npos) {
      continue;
    }
    --fault.remaining;
    return fault.kind;
  }
  return std::nullopt;
}
#endif  // KEEL_DEBUG

// Total bytes described by an iovec array.
size_t IovBytes(const struct iovec* iov, int iov_count) {
  size_t total = 0;
  for (int i = 0; i < iov_count; ++i) total += iov[i].iov_len;
  return total;
}

// Drops the first `skip` bytes from a private copy of an iovec array.
void AdvanceIov(std::vector<struct iovec>& iov, size_t& first, size_t skip) {
  while (skip > 0 && first < iov.size()) {
    if (skip >= iov[first].iov_len) {
      skip -= iov[first].iov_len;
      ++first;
    } else {
      iov[first].iov_base = static_cast<char*>(iov[first].iov_base) + skip;
      iov[first].iov_len -= skip;
      skip = 0;
    }
  }
}

ssize_t WriteLoop(int fd, const void* buf, size_t size_bytes, off_t offset) {
  const char* p = static_cast<const char*>(buf);
  size_t done = 0;
  while (done < size_bytes) {
    const ssize_t n = pwrite(fd, p + done, size_bytes - done, offset + static_cast<off_t>(done));
    if (n < 0) {
      if (errno == EINTR) continue;
      return -1;
    }
    if (n == 0) {  // no progress and no errno: the kernel's way of saying "full" (F1)
      errno = ENOSPC;
      return -1;
    }
    done += static_cast<size_t>(n);
  }
  return static_cast<ssize_t>(done);
}

#ifdef KEEL_DEBUG
// Applies an injected write fault: returns true when the write must fail (errno set).
bool InjectWriteFault(int fd, const void* buf, size_t size_bytes, off_t offset) {
  const std::optional<FaultKind> fault = TestOnlyTakeFault(fd, FileOp::kWrite);
  if (!fault) return false;
  if (*fault == FaultKind::kShortWrite) {
    (void)WriteLoop(fd, buf, size_bytes / 2, offset);  // half reaches the file (F3)
    errno = ENOSPC;
  } else {
    errno = *fault == FaultKind::kEio ? EIO : ENOSPC;
  }
  return true;
}
#endif

}  // namespace

ssize_t FileReadAt(int fd, void* buf, size_t size_bytes, off_t offset) {
#ifdef KEEL_DEBUG
  if (TestOnlyTakeFault(fd, FileOp::kRead)) {
    errno = EIO;
    return -1;
  }
#endif
  char* p = static_cast<char*>(buf);
  size_t done = 0;
  while (done < size_bytes) {
    const ssize_t n = pread(fd, p + done, size_bytes - done, offset + static_cast<off_t>(done));
    if (n < 0) {
      if (errno == EINTR) continue;
      return -1;
    }
    if (n == 0) break;  // end of file
    done += static_cast<size_t>(n);
  }
  return static_cast<ssize_t>(done);
}

ssize_t FileWriteAt(int fd, const void* buf, size_t size_bytes, off_t offset) {
#ifdef KEEL_DEBUG
  if (InjectWriteFault(fd, buf, size_bytes, offset)) return -1;
#endif
  return WriteLoop(fd, buf, size_bytes, offset);
}

namespace {

using VectoredCall = ssize_t (*)(int, const struct iovec*, int, off_t);

// Transfers every byte of `iov` at `offset`, retrying EINTR and continuing after short
// transfers. A transfer of zero bytes ends the loop: for reads that is end of file (the bytes
// done so far are returned), for writes a full device (-1 with ENOSPC).
ssize_t VectoredLoop(int fd, const struct iovec* iov, int iov_count, off_t offset,
                     VectoredCall call, bool zero_is_enospc) {
  const size_t total = IovBytes(iov, iov_count);
  std::vector<struct iovec> rest(iov, iov + iov_count);
  size_t first = 0;
  size_t done = 0;
  while (done < total) {
    const ssize_t n = call(fd, rest.data() + first, static_cast<int>(rest.size() - first),
                           offset + static_cast<off_t>(done));
    if (n < 0) {
      if (errno == EINTR) continue;
      return -1;
    }
    if (n == 0) {
      if (!zero_is_enospc) break;
      errno = ENOSPC;
      return -1;
    }
    done += static_cast<size_t>(n);
    AdvanceIov(rest, first, static_cast<size_t>(n));
  }
  return static_cast<ssize_t>(done);
}

}  // namespace

ssize_t FileReadvAt(int fd, const struct iovec* iov, int iov_count, off_t offset) {
  KEEL_ASSERT(iov_count > 0 && iov_count <= IOV_MAX);
#ifdef KEEL_DEBUG
  if (TestOnlyTakeFault(fd, FileOp::kRead)) {
    errno = EIO;
    return -1;
  }
#endif
  // A read that hits end of file returns what it got.
  return VectoredLoop(fd, iov, iov_count, offset, preadv, /*zero_is_enospc=*/false);
}

ssize_t FileWritevAt(int fd, const struct iovec* iov, int iov_count, off_t offset) {
  KEEL_ASSERT(iov_count > 0 && iov_count <= IOV_MAX);
#ifdef KEEL_DEBUG
  if (const std::optional<FaultKind> fault = TestOnlyTakeFault(fd, FileOp::kWrite)) {
    if (*fault == FaultKind::kShortWrite) {
      // Half of the bytes reach the file, in order, then ENOSPC (F3).
      size_t budget = IovBytes(iov, iov_count) / 2;
      off_t at = offset;
      for (int i = 0; i < iov_count && budget > 0; ++i) {
        const size_t n = std::min(budget, iov[i].iov_len);
        (void)WriteLoop(fd, iov[i].iov_base, n, at);
        at += static_cast<off_t>(n);
        budget -= n;
      }
      errno = ENOSPC;
    } else {
      errno = *fault == FaultKind::kEio ? EIO : ENOSPC;
    }
    return -1;
  }
#endif
  return VectoredLoop(fd, iov, iov_count, offset, pwritev, /*zero_is_enospc=*/true);
}

int FileSync(int fd) {
#ifdef KEEL_DEBUG
  if (TestOnlyTakeFault(fd, FileOp::kSync)) {
    errno = EIO;
    return -1;
  }
#endif
  for (;;) {
    if (fsync(fd) == 0) return 0;
    if (errno != EINTR) return -1;
  }
}

int FileDataSync(int fd) {
#ifdef KEEL_DEBUG
  if (TestOnlyTakeFault(fd, FileOp::kSync)) {
    errno = EIO;
    return -1;
  }
#endif
  for (;;) {
    if (fdatasync(fd) == 0) return 0;
    if (errno != EINTR) return -1;
  }
}

int FileTruncate(int fd, off_t size_bytes) {
#ifdef KEEL_DEBUG
  if (TestOnlyTakeFault(fd, FileOp::kTruncate)) {
    errno = EIO;
    return -1;
  }
#endif
  for (;;) {
    if (ftruncate(fd, size_bytes) == 0) return 0;
    if (errno != EINTR) return -1;
  }
}

int FileAllocate(int fd, off_t offset, off_t size_bytes) {
#ifdef KEEL_DEBUG
  if (const std::optional<FaultKind> fault = TestOnlyTakeFault(fd, FileOp::kAllocate)) {
    errno = *fault == FaultKind::kEio ? EIO : ENOSPC;
    return -1;
  }
#endif
  if (size_bytes <= 0) return 0;
  for (;;) {
    if (fallocate(fd, 0, offset, size_bytes) == 0) return 0;
    if (errno == EINTR) continue;
    if (errno != EOPNOTSUPP && errno != ENOSYS && errno != EINVAL) return -1;
    break;  // the file system cannot: write zeros instead
  }
  static const std::byte kZeros[64 * 1024] = {};
  off_t done = 0;
  while (done < size_bytes) {
    const size_t n = static_cast<size_t>(std::min<off_t>(size_bytes - done, sizeof(kZeros)));
    if (WriteLoop(fd, kZeros, n, offset + done) < 0) return -1;
    done += static_cast<off_t>(n);
  }
  return 0;
}

int FileOpen(const std::string& path, int flags, mode_t mode) {
  int fd;
  do {
    fd = open(path.c_str(), flags | O_CLOEXEC, mode);
  } while (fd < 0 && errno == EINTR);
#ifdef KEEL_DEBUG
  if (fd >= 0) FdPaths()[fd] = path;
#endif
  return fd;
}

int FileClose(int fd) {
#ifdef KEEL_DEBUG
  FdPaths().erase(fd);
#endif
  return close(fd);  // never retried on EINTR: Linux has released the descriptor (F1)
}

int FsyncDirectory(const std::string& path) {
#ifdef KEEL_DEBUG
  if (TakeFaultForPath(path, FileOp::kSync)) {
    errno = EIO;
    return -1;
  }
#endif
  int fd;
  do {
    fd = open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  } while (fd < 0 && errno == EINTR);
  if (fd < 0) return -1;
  int rc;
  do {
    rc = fsync(fd);
  } while (rc != 0 && errno == EINTR);
  const int saved_errno = errno;
  close(fd);
  errno = saved_errno;
  return rc;
}

void PanicOnFsyncFailure(const std::string& path, int saved_errno) {
  // F5: never retry a failed fsync; the dirty pages may already be gone.
  Panic("could not fsync file \"%s\": %s", path.c_str(), ErrnoText(saved_errno).c_str());
}

SqlState FileAccessSqlState(int saved_errno) {
  switch (saved_errno) {
    case EPERM:
    case EACCES:
    case EROFS: return sqlstate::kInsufficientPrivilege;
    case ENOENT: return sqlstate::kUndefinedFile;
    case EEXIST: return sqlstate::kDuplicateFile;
    case ENOTDIR:
    case EISDIR:
    case ENOTEMPTY: return sqlstate::kWrongObjectType;
    case ENOSPC: return sqlstate::kDiskFull;
    case ENFILE:
    case EMFILE: return sqlstate::kInsufficientResources;
    case EIO: return sqlstate::kIoError;
    default: return sqlstate::kInternalError;
  }
}

#ifdef KEEL_DEBUG
void TestOnlyInjectFault(FaultKind kind, const std::string& path_substring, int count) {
  Faults().push_back(ArmedFault{kind, path_substring, count});
}

void TestOnlyClearFaults() { Faults().clear(); }

std::optional<FaultKind> TestOnlyTakeFault(int fd, FileOp op) {
  if (Faults().empty()) return std::nullopt;
  const auto it = FdPaths().find(fd);
  static const std::string kUnknown;
  return TakeFaultForPath(it == FdPaths().end() ? kUnknown : it->second, op);
}
#endif

}  // namespace keel::storage
