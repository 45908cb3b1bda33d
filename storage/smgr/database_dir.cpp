// Database directories: CREATE DATABASE's file copy and its WAL record, DROP DATABASE's
// transactional removal. See database_dir.h and README.md ("Database directories", DB1-DB8).
#include "storage/smgr/database_dir.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include "access/transam/checkpoint.h"
#include "access/transam/pending_deletes.h"
#include "access/transam/rmgr.h"
#include "access/transam/wal_reader.h"
#include "access/transam/wal_record.h"
#include "access/transam/xact.h"
#include "backend/utils/config/settings.h"
#include "backend/utils/error/error.h"
#include "backend/utils/error/format.h"
#include "backend/utils/error/log.h"
#include "storage/buffer/bufmgr.h"
#include "storage/file/file_io.h"
#include "storage/smgr/smgr.h"
#include "storage/sync/sync.h"

namespace keel::storage {
namespace {

constexpr size_t kCopyChunkBytes = 64 * 1024;

[[noreturn]] void ThrowFileError(const char* what, const std::string& path, int saved_errno) {
  throw Error(FileAccessSqlState(saved_errno),
              Format("%s \"%s\": %s", what, path.c_str(), ErrnoText(saved_errno).c_str()));
}

// Closes a descriptor from FileOpen on every way out.
class FileCloser {
 public:
  explicit FileCloser(int fd) : fd_(fd) {}
  ~FileCloser() {
    if (fd_ >= 0) (void)FileClose(fd_);
  }
  FileCloser(const FileCloser&) = delete;
  FileCloser& operator=(const FileCloser&) = delete;

 private:
  int fd_;
};

// fsync of one file or directory by name; a failure is a PANIC (storage/file F5). Skipped with
// fsync = off, as every other data-file fsync.
void FsyncPath(const std::string& path, bool is_directory) {
  if (!settings::fsync) return;
  if (is_directory) {
    if (FsyncDirectory(path) != 0) PanicOnFsyncFailure(path, errno);
    return;
  }
  const int fd = FileOpen(path, O_RDWR);
  if (fd < 0) ThrowFileError("could not open file", path, errno);
  FileCloser closer(fd);
  if (FileSync(fd) != 0) PanicOnFsyncFailure(path, errno);
}

// Copies one regular file byte for byte into a new file (mode 0600). False when the source
// vanished before it could be opened (a deferred unlink, DB1); throws on other errors.
bool CopyFile(const std::string& from, const std::string& to) {
  const int src = FileOpen(from, O_RDONLY);
  if (src < 0) {
    if (errno == ENOENT) return false;
    ThrowFileError("could not open file", from, errno);
  }
  FileCloser src_closer(src);
  const int dst = FileOpen(to, O_WRONLY | O_CREAT | O_EXCL, 0600);
  if (dst < 0) ThrowFileError("could not create file", to, errno);
  FileCloser dst_closer(dst);
  std::vector<std::byte> chunk(kCopyChunkBytes);
  for (off_t offset = 0;;) {
    const ssize_t n = FileReadAt(src, chunk.data(), chunk.size(), offset);
    if (n < 0) ThrowFileError("could not read file", from, errno);
    if (n == 0) break;
    const ssize_t written = FileWriteAt(dst, chunk.data(), static_cast<size_t>(n), offset);
    if (written != n) ThrowFileError("could not write to file", to, written < 0 ? errno : ENOSPC);
    offset += n;
  }
  return true;
}

// DB4: every regular file of `from` into the existing, empty directory `to`, then fsyncs of
// the copies, of `to` and of its parent (the new name). Subdirectories are not copied (a
// database directory has none; PostgreSQL's copydir without recursion).
void CopyDirectoryFiles(const std::string& from, const std::string& to) {
  DIR* dir = ::opendir(from.c_str());
  if (dir == nullptr) ThrowFileError("could not open directory", from, errno);
  std::vector<std::string> names;
  while (const dirent* entry = ::readdir(dir)) {
    const std::string name = entry->d_name;
    if (name != "." && name != "..") names.push_back(name);
  }
  ::closedir(dir);
  std::vector<std::string> copied;
  for (const std::string& name : names) {
    const std::string src = from + "/" + name;
    struct stat st;
    if (::lstat(src.c_str(), &st) != 0) {
      if (errno == ENOENT) continue;  // DB1: unlinked meanwhile
      ThrowFileError("could not stat file", src, errno);
    }
    if (!S_ISREG(st.st_mode)) continue;
    if (CopyFile(src, to + "/" + name)) copied.push_back(to + "/" + name);
  }
  // Written first, synced afterwards: the kernel can write the files out together.
  for (const std::string& path : copied) FsyncPath(path, /*is_directory=*/false);
  FsyncPath(to, /*is_directory=*/true);
  FsyncPath(to.substr(0, to.rfind('/')), /*is_directory=*/true);
}

// The relation numbers of the files in `path` ("16384_fsm.1" -> 16384).
std::set<uint32_t> RelNumbersIn(const std::string& path) {
  std::set<uint32_t> out;
  DIR* dir = ::opendir(path.c_str());
  if (dir == nullptr) return out;
  while (const dirent* entry = ::readdir(dir)) {
    uint64_t value = 0;
    int digits = 0;
    for (const char* p = entry->d_name; *p >= '0' && *p <= '9' && digits < 10; ++p, ++digits) {
      value = value * 10 + static_cast<uint64_t>(*p - '0');
    }
    if (digits > 0 && value != 0 && value <= 0xFFFFFFFFu) out.insert(static_cast<uint32_t>(value));
  }
  ::closedir(dir);
  return out;
}

// --- the kDatabase resource manager --------------------------------------------------------

// DB8: redo repeats the copy from scratch — whatever a crash left of base/<dst> goes, src's
// pages dirtied by earlier redo reach its files first, then the files are copied again.
void DatabaseRedo(const transam::DecodedRecord& record) {
  if (record.info != kDatabaseCreateFileCopy ||
      record.main_data.size() != sizeof(DatabaseCreateRecord)) {
    Panic("invalid database record at %s", transam::LsnToString(record.lsn).c_str());
  }
  DatabaseCreateRecord c;
  std::memcpy(&c, record.main_data.data(), sizeof(c));
  const std::string dst = DatabaseDirectoryPath(c.db);
  const std::string src = DatabaseDirectoryPath(c.src_db);
  DropDatabaseBuffers(c.db);
  for (uint32_t rel : RelNumbersIn(dst)) {
    // Earlier redo may have written (and queued fsyncs for) files about to vanish (SY4).
    const RelFileLocator locator{c.tablespace, c.db, Oid(rel)};
    RegisterSyncRequest(FileTag{locator, ForkNumber::kMain, 0}, SyncRequestKind::kForgetRelation);
    SmgrClose(locator);
  }
  std::error_code ec;
  std::filesystem::remove_all(dst, ec);
  if (ec) {
    Log(Severity::kWarning, "some useless files may be left behind in old database directory \"%s\"",
        dst.c_str());
  }
  FlushDatabaseBuffers(c.src_db);
  if (::mkdir(dst.c_str(), 0700) != 0 && errno != EEXIST) {
    ThrowFileError("could not create directory", dst, errno);
  }
  struct stat st;
  if (::stat(src.c_str(), &st) != 0) {
    // The template is gone (dropped later in the log, and removed before the crash): the new
    // database is dropped later in the log too, or its creation never committed.
    Log(Severity::kWarning, "could not copy database directory \"%s\": %s", src.c_str(),
        ErrnoText(errno).c_str());
    return;
  }
  CopyDirectoryFiles(src, dst);
}

const char* DatabaseIdentify(uint8_t info) {
  return info == kDatabaseCreateFileCopy ? "CREATE_FILE_COPY" : nullptr;
}

std::string DatabaseDescribe(const transam::DecodedRecord& record) {
  if (record.info != kDatabaseCreateFileCopy ||
      record.main_data.size() != sizeof(DatabaseCreateRecord)) {
    return "(invalid database record)";
  }
  DatabaseCreateRecord c;
  std::memcpy(&c, record.main_data.data(), sizeof(c));
  // pg_waldump's text for XLOG_DBASE_CREATE_FILE_COPY.
  return Format("copy dir %u/%u to %u/%u", c.src_tablespace.value(), c.src_db.value(),
                c.tablespace.value(), c.db.value());
}

}  // namespace

std::string DatabaseDirectoryPath(Oid db) { return Format("base/%u", db.value()); }

void CreateDatabaseDirectory(Oid src_db, Oid dst_db) {
  KEEL_ASSERT(src_db != kInvalidOid && dst_db != kInvalidOid && src_db != dst_db);
  const Oid spc(kDatabaseDirTablespace);
  (void)transam::GetCurrentTransactionId();  // 25P02 before anything happens; DB3's record
  const std::string src = DatabaseDirectoryPath(src_db);
  const std::string dst = DatabaseDirectoryPath(dst_db);
  struct stat st;
  if (::stat(src.c_str(), &st) != 0) ThrowFileError("could not open directory", src, errno);

  // DB1: src's files are current (every dirty buffer written) and hold no file of a dropped
  // relation waiting for its deferred unlink (it would be copied as an orphan).
  transam::RequestCheckpoint(transam::kCheckpointImmediate | transam::kCheckpointForce |
                             transam::kCheckpointWait);
  // DB2: a new directory, never an existing one (whose removal at abort would not be ours).
  if (::mkdir(dst.c_str(), 0700) != 0) ThrowFileError("could not create directory", dst, errno);
  // DB3: from here an abort (an error in the copy included) removes base/<dst> again.
  transam::ScheduleDatabaseDirectoryRemoval(spc, dst_db, /*at_commit=*/false);
  CopyDirectoryFiles(src, dst);  // DB4

  // DB5: the record follows the copy; redo copies again (DB8). The second checkpoint puts it
  // before the redo pointer, so crash recovery never replays it: src may change after this
  // transaction, and a replayed copy would take those later changes into dst.
  DatabaseCreateRecord record{dst_db, spc, src_db, spc};
  transam::WalRecordBuilder builder;
  builder.RegisterData(&record, sizeof(record));
  builder.SetTransactionId(transam::GetTopTransactionIdIfAny());
  (void)builder.Insert(transam::RmgrId::kDatabase, kDatabaseCreateFileCopy);
  transam::RequestCheckpoint(transam::kCheckpointImmediate | transam::kCheckpointForce |
                             transam::kCheckpointWait);
}

void DropDatabaseDirectory(Oid db) {
  KEEL_ASSERT(db != kInvalidOid);
  transam::ScheduleDatabaseDirectoryRemoval(Oid(kDatabaseDirTablespace), db, /*at_commit=*/true);
}

void RegisterDatabaseRmgr() {
  transam::RegisterRmgr(transam::RmgrId::kDatabase,
                        transam::RmgrOps{"Database", DatabaseRedo, DatabaseDescribe,
                                         DatabaseIdentify});
}

}  // namespace keel::storage
