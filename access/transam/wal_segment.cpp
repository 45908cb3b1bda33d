// WAL segment files: names, creation (zero-filled, fsynced, atomically put in place) and the
// removal or recycling of segments no longer needed after a checkpoint. See README.md (W18-W19).
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "access/transam/wal.h"
#include "access/transam/wal_format_internal.h"
#include "access/transam/wal_shared_internal.h"
#include "backend/utils/config/settings.h"
#include "backend/utils/error/error.h"
#include "backend/utils/error/format.h"
#include "backend/utils/error/log.h"
#include "storage/file/file_io.h"

namespace keel::transam {

using internal::wal_shared;

namespace {

// PostgreSQL's errcode_for_file_access().
[[nodiscard]] SqlState FileAccessSqlState(int err) {
  switch (err) {
    case ENOENT: return sqlstate::kUndefinedFile;
    case EACCES:
    case EPERM:
    case EROFS: return sqlstate::kInsufficientPrivilege;
    case ENOSPC: return sqlstate::kDiskFull;
    case EEXIST: return sqlstate::kDuplicateFile;
    default: return sqlstate::kIoError;
  }
}

[[nodiscard]] Error FileError(const char* what, const std::string& path, int err) {
  Error error(FileAccessSqlState(err),
              Format("%s \"%s\": %s", what, path.c_str(), ErrnoText(err).c_str()));
  if (err == ENOSPC) error.WithHint("Check free disk space.");
  return error;
}

// Parses "TTTTTTTTSSSSSSSSSSSSSSSS" (8 + 16 upper-case hex digits).
[[nodiscard]] bool ParseSegmentName(const char* name, TimeLineId* timeline, uint64_t* segno) {
  if (std::strlen(name) != 24) return false;
  for (int i = 0; i < 24; ++i) {
    const char c = name[i];
    if (!((c >= '0' && c <= '9') || (c >= 'A' && c <= 'F'))) return false;
  }
  *timeline = static_cast<TimeLineId>(std::strtoul(std::string(name, 8).c_str(), nullptr, 16));
  *segno = std::strtoull(name + 8, nullptr, 16);
  return true;
}

struct SegmentFile {
  TimeLineId timeline;
  uint64_t segno;
  std::string name;  // without the directory
};

[[nodiscard]] std::vector<SegmentFile> ListSegments(const std::string& wal_dir) {
  std::vector<SegmentFile> files;
  DIR* dir = opendir(wal_dir.c_str());
  if (dir == nullptr) {
    throw FileError("could not open directory", wal_dir, errno);
  }
  while (dirent* entry = readdir(dir)) {
    SegmentFile f;
    if (ParseSegmentName(entry->d_name, &f.timeline, &f.segno)) {
      f.name = entry->d_name;
      files.push_back(std::move(f));
    }
  }
  closedir(dir);
  std::sort(files.begin(), files.end(),
            [](const SegmentFile& a, const SegmentFile& b) { return a.segno < b.segno; });
  return files;
}

// Renames `from` to `to` unless `to` exists (W19: a recycled file never replaces a segment).
// Returns 0, or an errno value (EEXIST when `to` exists).
[[nodiscard]] int RenameNoReplace(const std::string& from, const std::string& to) {
  if (renameat2(AT_FDCWD, from.c_str(), AT_FDCWD, to.c_str(), RENAME_NOREPLACE) == 0) return 0;
  if (errno != EINVAL && errno != ENOSYS) return errno;
  // A file system without RENAME_NOREPLACE: link() refuses an existing target as well.
  if (link(from.c_str(), to.c_str()) != 0) return errno;
  unlink(from.c_str());
  return 0;
}

}  // namespace

std::string WalSegmentFileName(TimeLineId timeline, uint64_t segno) {
  return Format("%s/%08X%016llX", kWalDirectory, timeline, static_cast<unsigned long long>(segno));
}

uint64_t WalSegmentOf(Lsn lsn) { return lsn.value() / kWalSegmentSize; }

void WalCreateSegment(const std::string& data_dir, TimeLineId timeline, uint64_t segno) {
  const std::string wal_dir = data_dir + "/" + kWalDirectory;
  const std::string final_path = data_dir + "/" + WalSegmentFileName(timeline, segno);
  const std::string temp_path = wal_dir + Format("/xlogtemp.%d", static_cast<int>(getpid()));
  unlink(temp_path.c_str());
  const int fd = storage::FileOpen(temp_path, O_RDWR | O_CREAT | O_EXCL, 0600);
  if (fd < 0) throw FileError("could not create file", temp_path, errno);

  // W18: every byte written now, so later writes never extend the file (no metadata to sync
  // at commit) and a reader sees zeros, not holes, past the end of the log.
  static constexpr size_t kChunk = 128 * 1024;
  static const std::byte zeros[kChunk] = {};
  for (uint64_t offset = 0; offset < kWalSegmentSize; offset += kChunk) {
    const ssize_t rc = storage::FileWriteAt(fd, zeros, kChunk, static_cast<off_t>(offset));
    if (rc != static_cast<ssize_t>(kChunk)) {
      const int saved = rc < 0 ? errno : ENOSPC;
      close(fd);
      unlink(temp_path.c_str());
      throw FileError("could not write to file", temp_path, saved);
    }
  }
  if (settings::fsync && storage::FileSync(fd) != 0) {
    storage::PanicOnFsyncFailure(temp_path, errno);
  }
  close(fd);
  // link() never replaces: if another process put the segment in place meanwhile, keep its.
  if (link(temp_path.c_str(), final_path.c_str()) != 0 && errno != EEXIST) {
    const int saved = errno;
    unlink(temp_path.c_str());
    throw Error(FileAccessSqlState(saved),
                Format("could not link file \"%s\" to \"%s\": %s", temp_path.c_str(),
                       final_path.c_str(), ErrnoText(saved).c_str()));
  }
  unlink(temp_path.c_str());
  if (settings::fsync && storage::FsyncDirectory(wal_dir) != 0) {
    storage::PanicOnFsyncFailure(wal_dir, errno);
  }
}

void WalRemoveOldSegments(Lsn redo) {
  internal::WalShared* w = wal_shared;
  storage::LwLockGuard guard(&w->segment_lock, storage::LwLockMode::kExclusive);
  const uint64_t redo_seg = WalSegmentOf(redo);
  // PostgreSQL's estimate of the WAL one checkpoint cycle needs: the largest recent distance
  // between redo pointers, decaying slowly.
  if (w->last_removal_redo != 0 && redo.value() > w->last_removal_redo) {
    const double distance = static_cast<double>(redo.value() - w->last_removal_redo);
    double& estimate = w->checkpoint_distance_estimate;
    estimate = estimate < distance ? distance : 0.90 * estimate + 0.10 * distance;
  }
  w->last_removal_redo = redo.value();

  // W19: keep (as recycled future segments) what the next cycle will probably need, at least
  // min_wal_size and at most max_wal_size worth counted from the redo pointer's segment.
  const uint64_t seg_mb = kWalSegmentSize >> 20;
  const uint64_t min_segs = std::max<uint64_t>(settings::min_wal_size_mb / seg_mb, 2);
  const uint64_t max_segs =
      std::max<uint64_t>(settings::max_wal_size_mb / seg_mb, min_segs);
  const double needed = static_cast<double>(redo.value()) +
                        w->checkpoint_distance_estimate *
                            (1.0 + settings::checkpoint_completion_target) * 1.10;
  uint64_t recycle_upto = static_cast<uint64_t>(std::ceil(needed / kWalSegmentSize));
  recycle_upto = std::clamp(recycle_upto, redo_seg + min_segs - 1, redo_seg + max_segs - 1);

  const std::string wal_dir = kWalDirectory;
  const std::vector<SegmentFile> files = ListSegments(wal_dir);
  const TimeLineId timeline = w->timeline.load(std::memory_order_relaxed);
  uint64_t next_free = WalSegmentOf(Lsn(w->write_pos.load(std::memory_order_acquire)));
  for (const SegmentFile& f : files) next_free = std::max(next_free, f.segno + 1);

  bool changed = false;
  for (const SegmentFile& f : files) {
    if (f.segno >= redo_seg) break;
    const std::string path = wal_dir + "/" + f.name;
    bool recycled = false;
    while (next_free <= recycle_upto) {
      const std::string target = WalSegmentFileName(timeline, next_free);
      const int rc = RenameNoReplace(path, target);
      ++next_free;
      if (rc == 0) {
        Log(Severity::kDebug2, "recycled write-ahead log file \"%s\"", f.name.c_str());
        recycled = true;
        break;
      }
      if (rc != EEXIST) {
        Log(Severity::kLog, "could not rename file \"%s\" to \"%s\": %s", path.c_str(),
            target.c_str(), ErrnoText(rc).c_str());
        break;
      }
    }
    if (!recycled) {
      Log(Severity::kDebug2, "removing write-ahead log file \"%s\"", f.name.c_str());
      if (unlink(path.c_str()) != 0 && errno != ENOENT) {
        Log(Severity::kLog, "could not remove file \"%s\": %s", path.c_str(),
            ErrnoText(errno).c_str());
      }
    }
    changed = true;
  }
  if (changed && settings::fsync && storage::FsyncDirectory(wal_dir) != 0) {
    storage::PanicOnFsyncFailure(wal_dir, errno);
  }
}

}  // namespace keel::transam
