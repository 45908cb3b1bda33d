// The per-process LRU cache of segment descriptors (SM6). See README.md.
#include "storage/smgr/fd_cache_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>

#include <list>
#include <string>
#include <unordered_map>

#include "backend/utils/error/error.h"
#include "backend/utils/error/format.h"
#include "storage/file/file_io.h"
#include "storage/smgr/smgr.h"
#include "storage/sync/sync.h"

namespace keel::storage::smgr_internal {

namespace {

struct CacheEntry {
  FileTag tag;
  int fd;
};

// Process-local; a forked child inherits a copy whose descriptors are its own duplicates, so
// it may use or close them freely (SM6). Never destroyed (used until _exit()).
struct FdCache {
  std::list<CacheEntry> lru;  // front: most recently used
  std::unordered_map<FileTag, std::list<CacheEntry>::iterator> index;
};

FdCache& Cache() {
  static auto* cache = new FdCache();
  return *cache;
}

void Touch(FdCache& cache, std::list<CacheEntry>::iterator it) {
  if (it != cache.lru.begin()) cache.lru.splice(cache.lru.begin(), cache.lru, it);
}

void Insert(FdCache& cache, const FileTag& tag, int fd) {
  while (static_cast<int>(cache.lru.size()) >= kMaxOpenSegments) {
    const CacheEntry& victim = cache.lru.back();
    (void)FileClose(victim.fd);
    cache.index.erase(victim.tag);
    cache.lru.pop_back();
  }
  cache.lru.push_front(CacheEntry{tag, fd});
  cache.index[tag] = cache.lru.begin();
}

[[noreturn]] void ThrowOpenError(const FileTag& tag, BlockNumber target_block, int saved_errno) {
  const std::string path = SegmentPath(tag.rel, tag.fork, tag.segno);
  if (tag.segno == 0 || target_block == kInvalidBlockNumber) {
    throw Error(FileAccessSqlState(saved_errno),
                Format("could not open file \"%s\": %s", path.c_str(),
                       ErrnoText(saved_errno).c_str()));
  }
  if (saved_errno == ENOENT) {
    // Say why the segment is missing when the previous one is short (SM2).
    struct stat st;
    const std::string prev = SegmentPath(tag.rel, tag.fork, tag.segno - 1);
    if (stat(prev.c_str(), &st) == 0 &&
        st.st_size / kBlockSize < static_cast<off_t>(kBlocksPerSegment)) {
      throw Error(sqlstate::kUndefinedFile,
                  Format("could not open file \"%s\" (target block %u): previous segment is "
                         "only %u blocks",
                         path.c_str(), target_block.value(),
                         static_cast<unsigned>(st.st_size / kBlockSize)));
    }
  }
  throw Error(FileAccessSqlState(saved_errno),
              Format("could not open file \"%s\" (target block %u): %s", path.c_str(),
                     target_block.value(), ErrnoText(saved_errno).c_str()));
}

}  // namespace

int GetSegmentFd(const RelFileLocator& rel, ForkNumber fork, uint32_t segno, SegmentOpen how,
                 BlockNumber target_block) {
  FdCache& cache = Cache();
  const FileTag tag{rel, fork, segno};
  if (auto it = cache.index.find(tag); it != cache.index.end()) {
    Touch(cache, it->second);
    return it->second->fd;
  }
  const int flags = O_RDWR | (how == SegmentOpen::kCreate ? O_CREAT : 0);
  const int fd = FileOpen(SegmentPath(rel, fork, segno), flags, 0600);
  if (fd < 0) {
    const int saved_errno = errno;
    if (how == SegmentOpen::kIfExists && saved_errno == ENOENT) return -1;
    ThrowOpenError(tag, target_block, saved_errno);
  }
  Insert(cache, tag, fd);
  return fd;
}

void AdoptSegmentFd(const RelFileLocator& rel, ForkNumber fork, uint32_t segno, int fd) {
  FdCache& cache = Cache();
  const FileTag tag{rel, fork, segno};
  if (auto it = cache.index.find(tag); it != cache.index.end()) {
    (void)FileClose(it->second->fd);
    cache.lru.erase(it->second);
    cache.index.erase(it);
  }
  Insert(cache, tag, fd);
}

void CloseRelationFds(const RelFileLocator& rel) {
  FdCache& cache = Cache();
  for (auto it = cache.lru.begin(); it != cache.lru.end();) {
    if (it->tag.rel == rel) {
      (void)FileClose(it->fd);
      cache.index.erase(it->tag);
      it = cache.lru.erase(it);
    } else {
      ++it;
    }
  }
}

void CloseAllFds() {
  FdCache& cache = Cache();
  for (const CacheEntry& entry : cache.lru) (void)FileClose(entry.fd);
  cache.lru.clear();
  cache.index.clear();
}

int OpenFdCount() { return static_cast<int>(Cache().lru.size()); }

}  // namespace keel::storage::smgr_internal
