// Reading, verifying and atomically replacing global/control. Format and invariants C1-C7:
// access/transam/README.md.
#include "access/transam/control_file.h"

#include <fcntl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>

#include "backend/utils/error/error.h"
#include "backend/utils/error/format.h"
#include "backend/utils/hash/crc32c.h"

namespace keel::transam {
namespace {

#ifdef KEEL_DEBUG
// TestOnlyFailNextControlFileWrite: bytes to write before failing; -1 when disarmed.
long long test_only_fail_write_after = -1;
#endif

// PostgreSQL's errcode_for_file_access(), for the errno values file I/O here can see.
SqlState SqlStateForFileAccess(int errno_value) {
  switch (errno_value) {
    case ENOENT:
      return sqlstate::kUndefinedFile;
    case EACCES:
    case EPERM:
    case EROFS:
      return sqlstate::kInsufficientPrivilege;
    case ENOSPC:
      return sqlstate::kDiskFull;
    default:
      return sqlstate::kIoError;
  }
}

Error FileError(const char* what, const std::string& path, int errno_value) {
  return Error(SqlStateForFileAccess(errno_value),
               Format("%s \"%s\": %s", what, path.c_str(), ErrnoText(errno_value).c_str()),
               Severity::kFatal);
}

// The "database files are incompatible with server" error every compatibility check raises.
Error Incompatible(std::string detail, const char* hint) {
  Error error(sqlstate::kInternalError, "database files are incompatible with server",
              Severity::kFatal);
  error.WithDetail(std::move(detail));
  if (hint != nullptr) error.WithHint(hint);
  return error;
}

// Closes the descriptor when it goes out of scope. A writer that must see close() errors
// takes the descriptor back with Release() and closes it itself.
class FdOwner {
 public:
  explicit FdOwner(int fd) : fd_(fd) {}
  FdOwner(const FdOwner&) = delete;
  FdOwner& operator=(const FdOwner&) = delete;
  ~FdOwner() {
    if (fd_ >= 0) ::close(fd_);
  }
  [[nodiscard]] int get() const { return fd_; }
  [[nodiscard]] int Release() {
    int fd = fd_;
    fd_ = -1;
    return fd;
  }

 private:
  int fd_;
};

// Writes all of `size_bytes`, retrying after EINTR and partial writes. A write that returns 0
// is reported as ENOSPC, as PostgreSQL does. Returns false with errno set on failure.
bool WriteAll(int fd, const void* data, size_t size_bytes) {
  const auto* bytes = static_cast<const uint8_t*>(data);
  size_t done = 0;
#ifdef KEEL_DEBUG
  if (test_only_fail_write_after >= 0) {
    size_t limit = static_cast<size_t>(test_only_fail_write_after);
    test_only_fail_write_after = -1;
    if (limit < size_bytes) {
      if (!WriteAll(fd, data, limit)) return false;
      errno = ENOSPC;
      return false;
    }
  }
#endif
  while (done < size_bytes) {
    ssize_t n = ::write(fd, bytes + done, size_bytes - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    if (n == 0) {
      errno = ENOSPC;
      return false;
    }
    done += static_cast<size_t>(n);
  }
  return true;
}

void FsyncDirectory(const std::string& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) throw FileError("could not open file", dir, errno);
  FdOwner owner(fd);
  if (::fsync(fd) != 0) throw FileError("could not fsync file", dir, errno);
}

struct FileBytes {
  std::string bytes;       // at most kControlFileSize + 1 bytes: enough to tell a wrong size
  long long file_size = 0;
};

// Reads the start of the file, failing with a "could not ..." error.
FileBytes ReadFileBytes(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw FileError("could not open file", path, errno);
  FdOwner owner(fd);
  struct stat st;
  if (::fstat(fd, &st) != 0) throw FileError("could not stat file", path, errno);
  FileBytes result;
  result.file_size = static_cast<long long>(st.st_size);
  result.bytes.assign(kControlFileSize + 1, '\0');
  size_t done = 0;
  while (done < result.bytes.size()) {
    ssize_t n = ::read(fd, result.bytes.data() + done, result.bytes.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw FileError("could not read file", path, errno);
    }
    if (n == 0) break;
    done += static_cast<size_t>(n);
  }
  result.bytes.resize(done);
  return result;
}

uint32_t LoadU32(const std::string& bytes, size_t offset) {
  uint32_t value;
  std::memcpy(&value, bytes.data() + offset, sizeof(value));
  return value;
}

uint32_t ByteSwap32(uint32_t v) { return __builtin_bswap32(v); }

// C1, C3: what must hold before the bytes can be read as a ControlFileData at all.
ControlFileData ParseRecord(const FileBytes& file) {
  const std::string& bytes = file.bytes;
  auto wrong_size = [&file]() {
    return Incompatible(Format("The control file is %lld bytes long, but the server expects %zu "
                               "bytes.",
                               file.file_size, kControlFileSize),
                        "It looks like you need to initdb.");
  };
  if (bytes.size() < 2 * sizeof(uint32_t)) throw wrong_size();
  uint32_t magic = LoadU32(bytes, offsetof(ControlFileData, magic));
  uint32_t version = LoadU32(bytes, offsetof(ControlFileData, format_version));
  if (magic != kControlFileMagic) {
    if (ByteSwap32(magic) == kControlFileMagic) {
      throw Incompatible(
          Format("The control file was written with byte order opposite to this server's "
                 "(control file version %u (0x%08x)).",
                 ByteSwap32(version), ByteSwap32(version)),
          "This could be a problem of mismatched byte ordering.  It looks like you need to "
          "initdb.");
    }
    throw Incompatible(Format("The control file begins with magic number 0x%08X, but the "
                              "server expects 0x%08X.",
                              magic, kControlFileMagic),
                       "It looks like you need to initdb.");
  }
  if (version != kControlFileVersion) {
    throw Incompatible(Format("The database cluster was initialized with control file version "
                              "%u, but the server was compiled with control file version %u.",
                              version, kControlFileVersion),
                       "It looks like you need to initdb.");
  }
  // Size is checked after the version: another version may legitimately have another size.
  if (bytes.size() != kControlFileSize) throw wrong_size();
  ControlFileData data;
  std::memcpy(&data, bytes.data(), sizeof(data));
  return data;
}

// C6: the catalog version and the build constants must be what this server was compiled with.
void CheckCompatibility(const ControlFileData& data) {
  struct Constant {
    const char* name;
    uint32_t stored;
    uint32_t compiled;
    const char* hint;
  };
  if (data.catalog_version != kCatalogVersion) {
    throw Incompatible(Format("The database cluster was initialized with catalog version %u, but "
                              "the server was compiled with catalog version %u.",
                              data.catalog_version, kCatalogVersion),
                       "It looks like you need to initdb.");
  }
  if (data.float_format != kFloatFormat) {
    throw Incompatible("The database cluster appears to use a different floating-point number "
                       "format than the server executable.",
                       "It looks like you need to initdb.");
  }
  const Constant constants[] = {
      {"block size", data.block_size, kBlockSize, "It looks like you need to initdb."},
      {"relation segment size (blocks)", data.relation_segment_blocks, kRelationSegmentBlocks,
       "It looks like you need to initdb."},
      {"WAL block size", data.wal_block_size, kWalBlockSize, "It looks like you need to initdb."},
      {"WAL segment size", data.wal_segment_size, kControlWalSegmentSize,
       "It looks like you need to initdb."},
      {"maximum identifier length", data.max_identifier_length, kMaxIdentifierLength,
       "It looks like you need to initdb."},
  };
  for (const Constant& c : constants) {
    if (c.stored != c.compiled) {
      throw Incompatible(Format("The database cluster was initialized with %s %u, but the server "
                                "was compiled with %s %u.",
                                c.name, c.stored, c.name, c.compiled),
                         c.hint);
    }
  }
  if (data.data_checksum_version != 0 && data.data_checksum_version != kDataChecksumVersion) {
    throw Incompatible(Format("The database cluster was initialized with data checksum version "
                              "%u, but the server supports only version %u.",
                              data.data_checksum_version, kDataChecksumVersion),
                       nullptr);
  }
}

std::string ControlPath(const std::string& data_dir) {
  return data_dir + "/" + kControlFilePath;
}

}  // namespace

ControlFileData NewControlFile(bool data_checksums) {
  ControlFileData data;
  std::memset(&data, 0, sizeof(data));  // C1: no stray bytes in the record
  struct timeval now;
  ::gettimeofday(&now, nullptr);
  data.magic = kControlFileMagic;
  data.format_version = kControlFileVersion;
  data.catalog_version = kCatalogVersion;
  data.state = ClusterState::kShutDown;
  // C4: PostgreSQL's recipe; unique enough that two clusters never share one by accident.
  data.system_identifier = (static_cast<uint64_t>(now.tv_sec) << 32) |
                           (static_cast<uint64_t>(now.tv_usec) << 12) |
                           (static_cast<uint64_t>(::getpid()) & 0xFFF);
  data.time = now.tv_sec;
  data.checkpoint_lsn = 0;  // C5
  data.redo_lsn = 0;
  data.checkpoint_time = 0;
  data.next_xid = kFirstNormalTransactionId;
  data.oldest_xid = kFirstNormalTransactionId;
  data.next_multi = 1;  // multixact.h kFirstMultiXactId
  data.next_multi_offset = 0;
  data.min_recovery_lsn = 0;
  data.float_format = kFloatFormat;
  data.next_oid = kFirstNormalObjectId;
  data.timeline_id = kFirstTimelineId;
  data.prev_timeline_id = kFirstTimelineId;
  data.min_recovery_timeline = 0;
  data.full_page_writes = 1;
  data.data_checksum_version = data_checksums ? kDataChecksumVersion : 0;
  data.block_size = kBlockSize;
  data.relation_segment_blocks = kRelationSegmentBlocks;
  data.wal_block_size = kWalBlockSize;
  data.wal_segment_size = kControlWalSegmentSize;
  data.max_identifier_length = kMaxIdentifierLength;
  size_t filled = 0;
  while (filled < kMockAuthNonceLength) {
    ssize_t n = ::getrandom(data.mock_auth_nonce + filled, kMockAuthNonceLength - filled, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw Error(sqlstate::kInternalError, "could not generate secret authorization token",
                  Severity::kFatal);
    }
    filled += static_cast<size_t>(n);
  }
  data.crc = 0;
  return data;
}

uint32_t ComputeControlFileCrc(const ControlFileData& data) {
  return Crc32c(&data, offsetof(ControlFileData, crc));  // C2
}

void WriteControlFile(const std::string& data_dir, const ControlFileData& data) {
  ControlFileData record = data;
  record.time = static_cast<int64_t>(::time(nullptr));
  record.crc = ComputeControlFileCrc(record);

  const std::string global_dir = data_dir + "/global";
  const std::string path = ControlPath(data_dir);
  const std::string tmp_path = path + ".tmp";

  // C7: the new contents become visible only through the rename, so a crash at any point
  // leaves either the old or the new file, never a mix.
  int fd = ::open(tmp_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, S_IRUSR | S_IWUSR);
  if (fd < 0) throw FileError("could not open file", tmp_path, errno);
  FdOwner owner(fd);
  auto fail = [&](const char* what, const std::string& failed_path) -> Error {
    int saved_errno = errno;
    ::unlink(tmp_path.c_str());
    return FileError(what, failed_path, saved_errno);
  };
  if (!WriteAll(fd, &record, sizeof(record))) throw fail("could not write to file", tmp_path);
  if (::fsync(fd) != 0) throw fail("could not fsync file", tmp_path);
  if (::close(owner.Release()) != 0) throw fail("could not close file", tmp_path);
  if (::rename(tmp_path.c_str(), path.c_str()) != 0) {
    int saved_errno = errno;
    ::unlink(tmp_path.c_str());
    throw Error(SqlStateForFileAccess(saved_errno),
                Format("could not rename file \"%s\" to \"%s\": %s", tmp_path.c_str(),
                       path.c_str(), ErrnoText(saved_errno).c_str()),
                Severity::kFatal);
  }
  FsyncDirectory(global_dir);
}

ControlFileData ReadControlFileForInspection(const std::string& data_dir, bool* crc_ok) {
  ControlFileData data = ParseRecord(ReadFileBytes(ControlPath(data_dir)));
  *crc_ok = ComputeControlFileCrc(data) == data.crc;
  return data;
}

ControlFileData ReadControlFile(const std::string& data_dir) {
  bool crc_ok = false;
  ControlFileData data = ReadControlFileForInspection(data_dir, &crc_ok);
  if (!crc_ok) {
    throw Error(sqlstate::kDataCorrupted,
                "incorrect checksum in control file",
                Severity::kFatal);
  }
  CheckCompatibility(data);
  return data;
}

const char* ClusterStateName(ClusterState state) {
  switch (state) {
    case ClusterState::kStartingUp:
      return "starting up";
    case ClusterState::kShutDown:
      return "shut down";
    case ClusterState::kShutDownInRecovery:
      return "shut down in recovery";
    case ClusterState::kShuttingDown:
      return "shutting down";
    case ClusterState::kInCrashRecovery:
      return "in crash recovery";
    case ClusterState::kInArchiveRecovery:
      return "in archive recovery";
    case ClusterState::kInProduction:
      return "in production";
  }
  return "unrecognized status code";
}

#ifdef KEEL_DEBUG
void TestOnlyFailNextControlFileWrite(size_t bytes_before_failure) {
  test_only_fail_write_after = static_cast<long long>(bytes_before_failure);
}
#endif

}  // namespace keel::transam
