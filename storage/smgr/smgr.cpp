// The storage manager: relation forks as arrays of blocks in 1 GiB segment files. File
// naming, segment rules (SM1-SM7) and error texts: README.md.
#include "storage/smgr/smgr.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <vector>

#include "backend/utils/config/settings.h"
#include "backend/utils/error/error.h"
#include "backend/utils/error/format.h"
#include "backend/utils/error/log.h"
#include "storage/file/file_io.h"
#include "storage/smgr/fd_cache_internal.h"
#include "storage/smgr/io_engine_internal.h"
#include "storage/sync/sync.h"

namespace keel::storage {

using smgr_internal::GetSegmentFd;
using smgr_internal::SegmentOpen;

namespace {

constexpr const char* kForkSuffix[] = {"", "_fsm", "_vm", "_init"};
constexpr ForkNumber kAllForks[] = {ForkNumber::kMain, ForkNumber::kFsm,
                                    ForkNumber::kVisibilityMap, ForkNumber::kInit};
constexpr const char* kCheckFreeSpace = "Check free disk space.";

uint32_t SegmentOf(BlockNumber block) { return block.value() / kBlocksPerSegment; }

off_t OffsetInSegment(BlockNumber block) {
  return static_cast<off_t>(block.value() % kBlocksPerSegment) * kBlockSize;
}

// A piece of a block range that lies in one segment (and is short enough for one engine run).
struct Chunk {
  uint32_t segno;
  BlockNumber first;
  int count;
  int index;  // position of `first` in the caller's range
};

std::vector<Chunk> SplitRange(BlockNumber first, int count, int max_per_chunk) {
  std::vector<Chunk> chunks;
  int done = 0;
  while (done < count) {
    const BlockNumber block(first.value() + static_cast<uint32_t>(done));
    const uint32_t room = kBlocksPerSegment - block.value() % kBlocksPerSegment;
    const int n = static_cast<int>(
        std::min<uint32_t>({room, static_cast<uint32_t>(count - done),
                            static_cast<uint32_t>(max_per_chunk)}));
    chunks.push_back(Chunk{SegmentOf(block), block, n, done});
    done += n;
  }
  return chunks;
}

void RegisterDirtySegment(const RelFileLocator& rel, ForkNumber fork, uint32_t segno) {
  RegisterSyncRequest(FileTag{rel, fork, segno}, SyncRequestKind::kSync);  // SM4
}

std::string ErrnoString(int saved_errno) { return ErrnoText(saved_errno); }

[[noreturn]] void ThrowReadError(BlockNumber block, const std::string& path, int saved_errno) {
  throw Error(FileAccessSqlState(saved_errno),
              Format("could not read block %u in file \"%s\": %s", block.value(), path.c_str(),
                     ErrnoString(saved_errno).c_str()));
}

[[noreturn]] void ThrowShortRead(BlockNumber block, const std::string& path, size_t got) {
  throw Error(sqlstate::kDataCorrupted,
              Format("could not read block %u in file \"%s\": read only %d of %d bytes",
                     block.value(), path.c_str(), static_cast<int>(got),
                     static_cast<int>(kBlockSize)));
}

[[noreturn]] void ThrowWriteError(BlockNumber block, const std::string& path, int saved_errno) {
  throw Error(FileAccessSqlState(saved_errno),
              Format("could not write block %u in file \"%s\": %s", block.value(), path.c_str(),
                     ErrnoString(saved_errno).c_str()));
}

[[noreturn]] void ThrowExtendError(const std::string& path, int saved_errno) {
  throw Error(FileAccessSqlState(saved_errno),
              Format("could not extend file \"%s\": %s", path.c_str(),
                     ErrnoString(saved_errno).c_str()))
      .WithHint(kCheckFreeSpace);
}

void CheckExtendLimit(const RelFileLocator& rel, ForkNumber fork, uint64_t end_block) {
  // Block 0xFFFFFFFF is kInvalidBlockNumber, so the last usable block is one below it.
  if (end_block > kInvalidBlockNumber.value()) {
    throw Error(sqlstate::kProgramLimitExceeded,
                Format("cannot extend file \"%s\" beyond %u blocks",
                       RelationPath(rel, fork).c_str(), kInvalidBlockNumber.value()));
  }
}

// Blocks in one segment file (a trailing partial block does not count: SM2).
uint32_t SegmentBlocks(int fd, const RelFileLocator& rel, ForkNumber fork, uint32_t segno) {
  struct stat st;
  if (fstat(fd, &st) != 0) {
    const int saved_errno = errno;
    throw Error(FileAccessSqlState(saved_errno),
                Format("could not seek to end of file \"%s\": %s",
                       SegmentPath(rel, fork, segno).c_str(), ErrnoString(saved_errno).c_str()));
  }
  const off_t blocks = st.st_size / kBlockSize;
  if (blocks > static_cast<off_t>(kBlocksPerSegment)) {
    throw Error(sqlstate::kDataCorrupted,
                Format("segment too big: file \"%s\" has %lld blocks",
                       SegmentPath(rel, fork, segno).c_str(), static_cast<long long>(blocks)),
                Severity::kFatal);
  }
  return static_cast<uint32_t>(blocks);
}

// Truncates one segment to `blocks` blocks (SM3) and registers the change for fsync.
void TruncateSegment(const RelFileLocator& rel, ForkNumber fork, uint32_t segno,
                     uint32_t blocks, BlockNumber nblocks) {
  const int fd = GetSegmentFd(rel, fork, segno, SegmentOpen::kMustExist, kInvalidBlockNumber);
  if (FileTruncate(fd, static_cast<off_t>(blocks) * kBlockSize) != 0) {
    const int saved_errno = errno;
    const std::string path = SegmentPath(rel, fork, segno);
    if (blocks == 0) {
      throw Error(FileAccessSqlState(saved_errno),
                  Format("could not truncate file \"%s\": %s", path.c_str(),
                         ErrnoString(saved_errno).c_str()));
    }
    throw Error(FileAccessSqlState(saved_errno),
                Format("could not truncate file \"%s\" to %u blocks: %s", path.c_str(),
                       nblocks.value(), ErrnoString(saved_errno).c_str()));
  }
  RegisterDirtySegment(rel, fork, segno);  // the new length must be durable too (SM4)
}

// Removes a file by name, tolerating its absence; other failures are WARNINGs (the
// relation is gone for the database either way). Returns false when it did not exist.
bool UnlinkQuietly(const std::string& path) {
  if (unlink(path.c_str()) == 0) return true;
  const int saved_errno = errno;
  if (saved_errno != ENOENT) {
    Log(Severity::kWarning, "could not remove file \"%s\": %s", path.c_str(),
        ErrnoString(saved_errno).c_str());
  }
  return saved_errno != ENOENT;
}

}  // namespace

std::string RelationPath(const RelFileLocator& rel, ForkNumber fork) {
  const char* suffix = kForkSuffix[static_cast<int>(fork)];
  if (rel.db == kInvalidOid) return Format("global/%u%s", rel.rel.value(), suffix);
  return Format("base/%u/%u%s", rel.db.value(), rel.rel.value(), suffix);
}

std::string SegmentPath(const RelFileLocator& rel, ForkNumber fork, uint32_t segno) {
  std::string path = RelationPath(rel, fork);
  if (segno > 0) path += Format(".%u", segno);
  return path;
}

namespace {

// SM8: process-local; a handful of entries at most.
std::vector<SmgrForgetHook>& ForgetHooks() {
  static std::vector<SmgrForgetHook> hooks;
  return hooks;
}

void NotifyForget(const RelFileLocator* rel) noexcept {
  for (SmgrForgetHook hook : ForgetHooks()) hook(rel);
}

}  // namespace

void SmgrCreate(const RelFileLocator& rel, ForkNumber fork, bool is_redo) {
  const std::string path = RelationPath(rel, fork);
  int fd = FileOpen(path, O_RDWR | O_CREAT | O_EXCL, 0600);
  if (fd < 0) {
    const int create_errno = errno;
    if (is_redo && create_errno == EEXIST) fd = FileOpen(path, O_RDWR, 0600);
    if (fd < 0) {
      // Report what the create said, not the retry.
      throw Error(FileAccessSqlState(create_errno),
                  Format("could not create file \"%s\": %s", path.c_str(),
                         ErrnoString(create_errno).c_str()));
    }
  }
  smgr_internal::AdoptSegmentFd(rel, fork, 0, fd);
  if (fork == ForkNumber::kMain) NotifyForget(&rel);  // SM8: a new file under this name
}

bool SmgrExists(const RelFileLocator& rel, ForkNumber fork) {
  // By name, not through a cached descriptor: the file may have been unlinked by another
  // process since we opened it (SM6).
  const std::string path = RelationPath(rel, fork);
  struct stat st;
  if (stat(path.c_str(), &st) == 0) return true;
  const int saved_errno = errno;
  if (saved_errno == ENOENT) return false;
  throw Error(FileAccessSqlState(saved_errno),
              Format("could not stat file \"%s\": %s", path.c_str(),
                     ErrnoString(saved_errno).c_str()));
}

BlockNumber SmgrNBlocks(const RelFileLocator& rel, ForkNumber fork) {
  // SM2: walk the segments until one is not full.
  uint64_t total = 0;
  for (uint32_t segno = 0;; ++segno) {
    const int fd = GetSegmentFd(rel, fork, segno,
                                segno == 0 ? SegmentOpen::kMustExist : SegmentOpen::kIfExists,
                                kInvalidBlockNumber);
    if (fd < 0) break;
    const uint32_t blocks = SegmentBlocks(fd, rel, fork, segno);
    total += blocks;
    if (blocks < kBlocksPerSegment) break;
  }
  return BlockNumber(static_cast<uint32_t>(total));
}

void SmgrRead(const RelFileLocator& rel, ForkNumber fork, BlockNumber block, std::byte* buffer) {
  const uint32_t segno = SegmentOf(block);
  const int fd = GetSegmentFd(rel, fork, segno, SegmentOpen::kMustExist, block);
  const ssize_t n = FileReadAt(fd, buffer, kBlockSize, OffsetInSegment(block));
  if (n < 0) ThrowReadError(block, SegmentPath(rel, fork, segno), errno);
  if (static_cast<size_t>(n) < kBlockSize) {
    ThrowShortRead(block, SegmentPath(rel, fork, segno), static_cast<size_t>(n));
  }
}

void SmgrReadV(const RelFileLocator& rel, ForkNumber fork, BlockNumber first, int count,
               std::span<std::byte*> buffers) {
  if (count <= 0) return;
  KEEL_ASSERT(buffers.size() >= static_cast<size_t>(count));
  const std::vector<Chunk> chunks = SplitRange(first, count, io_engine::kMaxBlocksPerRun);
  std::vector<io_engine::IoRun> runs;
  runs.reserve(chunks.size());
  for (const Chunk& c : chunks) {
    // Opening all segments first: a later open may close an earlier descriptor only when
    // more than kMaxOpenSegments are open, which one call never needs.
    const int fd = GetSegmentFd(rel, fork, c.segno, SegmentOpen::kMustExist, c.first);
    runs.push_back(io_engine::IoRun{fd, OffsetInSegment(c.first),
                                    reinterpret_cast<void* const*>(buffers.data() + c.index),
                                    c.count, 0});
  }
  io_engine::ReadRuns(runs);
  for (size_t i = 0; i < runs.size(); ++i) {
    const io_engine::IoRun& run = runs[i];
    const Chunk& c = chunks[i];
    if (run.result < 0) {
      ThrowReadError(c.first, SegmentPath(rel, fork, c.segno), static_cast<int>(-run.result));
    }
    const size_t got = static_cast<size_t>(run.result);
    if (got < static_cast<size_t>(c.count) * kBlockSize) {
      ThrowShortRead(BlockNumber(c.first.value() + static_cast<uint32_t>(got / kBlockSize)),
                     SegmentPath(rel, fork, c.segno), got % kBlockSize);
    }
  }
}

void SmgrPrefetch(const RelFileLocator& rel, ForkNumber fork, BlockNumber first, int count) {
  if (count <= 0) return;
  for (const Chunk& c : SplitRange(first, count, static_cast<int>(kBlocksPerSegment))) {
    const int fd = GetSegmentFd(rel, fork, c.segno, SegmentOpen::kIfExists, c.first);
    if (fd < 0) return;  // past the end: nothing to prefetch
    io_engine::Prefetch(fd, OffsetInSegment(c.first), static_cast<off_t>(c.count) * kBlockSize);
  }
}

void SmgrWrite(const RelFileLocator& rel, ForkNumber fork, BlockNumber block,
               const std::byte* buffer, bool skip_fsync) {
  const uint32_t segno = SegmentOf(block);
  const int fd = GetSegmentFd(rel, fork, segno, SegmentOpen::kMustExist, block);
  if (FileWriteAt(fd, buffer, kBlockSize, OffsetInSegment(block)) < 0) {
    ThrowWriteError(block, SegmentPath(rel, fork, segno), errno);
  }
  if (!skip_fsync) RegisterDirtySegment(rel, fork, segno);
}

void SmgrWriteV(std::span<const BlockWrite> writes, bool skip_fsync) {
  if (writes.empty()) return;
  // Consecutive blocks of one segment become one run (callers sort by file and block).
  std::vector<void*> pages(writes.size());
  std::vector<io_engine::IoRun> runs;
  std::vector<size_t> run_first;  // index in `writes` of each run's first block
  for (size_t i = 0; i < writes.size(); ++i) {
    const BlockWrite& w = writes[i];
    pages[i] = const_cast<std::byte*>(w.page);  // only read: iovec has no const
    if (!runs.empty()) {
      const BlockWrite& prev = writes[i - 1];
      io_engine::IoRun& run = runs.back();
      if (w.rel == prev.rel && w.fork == prev.fork && SegmentOf(w.block) == SegmentOf(prev.block) &&
          w.block.value() == prev.block.value() + 1 && run.nblocks < io_engine::kMaxBlocksPerRun) {
        ++run.nblocks;
        continue;
      }
    }
    runs.push_back(io_engine::IoRun{-1, OffsetInSegment(w.block), pages.data() + i, 1, 0});
    run_first.push_back(i);
  }
  // Descriptors last, so that none is closed by the cache before the engine runs: a batch
  // touching more than kMaxOpenSegments files is done in parts.
  size_t start = 0;
  while (start < runs.size()) {
    size_t end = start;
    std::vector<FileTag> files;
    while (end < runs.size()) {
      const BlockWrite& w = writes[run_first[end]];
      const FileTag tag{w.rel, w.fork, SegmentOf(w.block)};
      if (std::find(files.begin(), files.end(), tag) == files.end()) {
        if (static_cast<int>(files.size()) == smgr_internal::kMaxOpenSegments) break;
        files.push_back(tag);
      }
      ++end;
    }
    for (size_t r = start; r < end; ++r) {
      const BlockWrite& w = writes[run_first[r]];
      runs[r].fd = GetSegmentFd(w.rel, w.fork, SegmentOf(w.block), SegmentOpen::kMustExist,
                                w.block);
    }
    io_engine::WriteRuns(std::span(runs.data() + start, end - start));
    // Register what was written before reporting what was not: those pages are on their way
    // to disk and a later checkpoint must not miss them (SM4).
    if (!skip_fsync) {
      std::vector<FileTag> done;
      for (size_t r = start; r < end; ++r) {
        const BlockWrite& w = writes[run_first[r]];
        const FileTag tag{w.rel, w.fork, SegmentOf(w.block)};
        if (runs[r].result >= 0 && std::find(done.begin(), done.end(), tag) == done.end()) {
          done.push_back(tag);
          RegisterSyncRequest(tag, SyncRequestKind::kSync);
        }
      }
    }
    for (size_t r = start; r < end; ++r) {
      if (runs[r].result < 0) {
        const BlockWrite& w = writes[run_first[r]];
        ThrowWriteError(w.block, SegmentPath(w.rel, w.fork, SegmentOf(w.block)),
                        static_cast<int>(-runs[r].result));
      }
    }
    start = end;
  }
}

void SmgrExtend(const RelFileLocator& rel, ForkNumber fork, BlockNumber block,
                const std::byte* buffer, bool skip_fsync) {
  CheckExtendLimit(rel, fork, static_cast<uint64_t>(block.value()) + 1);
  KEEL_ASSERT(block >= SmgrNBlocks(rel, fork));
  const uint32_t segno = SegmentOf(block);
  const int fd = GetSegmentFd(rel, fork, segno, SegmentOpen::kCreate, block);
  if (FileWriteAt(fd, buffer, kBlockSize, OffsetInSegment(block)) < 0) {
    // A partial block may remain; it is not counted (SM2) and the next extension of this
    // block overwrites it.
    ThrowExtendError(SegmentPath(rel, fork, segno), errno);
  }
  if (!skip_fsync) RegisterDirtySegment(rel, fork, segno);
}

void SmgrZeroExtend(const RelFileLocator& rel, ForkNumber fork, BlockNumber first, int count,
                    bool skip_fsync) {
  if (count <= 0) return;
  CheckExtendLimit(rel, fork, static_cast<uint64_t>(first.value()) + static_cast<uint64_t>(count));
  KEEL_ASSERT(first >= SmgrNBlocks(rel, fork));
  static const std::byte kZeroBlock[kBlockSize] = {};
  for (const Chunk& c : SplitRange(first, count, static_cast<int>(kBlocksPerSegment))) {
    const int fd = GetSegmentFd(rel, fork, c.segno, SegmentOpen::kCreate, c.first);
    const off_t offset = OffsetInSegment(c.first);
    int rc = 0;
    // Few blocks: plain writes (fallocate of tiny ranges fragments the file); many: fallocate
    // (reserves the space at once, ENOSPC now rather than at write-back).
    if (c.count > 8) {
      rc = FileAllocate(fd, offset, static_cast<off_t>(c.count) * kBlockSize);
    } else {
      for (int i = 0; i < c.count && rc == 0; ++i) {
        if (FileWriteAt(fd, kZeroBlock, kBlockSize, offset + static_cast<off_t>(i) * kBlockSize) <
            0) {
          rc = -1;
        }
      }
    }
    if (rc != 0) ThrowExtendError(SegmentPath(rel, fork, c.segno), errno);
    if (!skip_fsync) RegisterDirtySegment(rel, fork, c.segno);
  }
}

void SmgrTruncate(const RelFileLocator& rel, ForkNumber fork, BlockNumber nblocks) {
  const BlockNumber current = SmgrNBlocks(rel, fork);
  if (nblocks > current) {
    throw Error(sqlstate::kInternalError,
                Format("could not truncate file \"%s\" to %u blocks: it's only %u blocks now",
                       RelationPath(rel, fork).c_str(), nblocks.value(), current.value()));
  }
  if (nblocks == current) return;
  // SM3: from the last segment down, so a crash in between leaves a consistent prefix; the
  // files stay (zero length) because other processes may have them open.
  for (uint32_t segno = (current.value() - 1) / kBlocksPerSegment;; --segno) {
    const uint64_t prior = static_cast<uint64_t>(segno) * kBlocksPerSegment;
    if (prior >= nblocks.value()) {
      TruncateSegment(rel, fork, segno, 0, nblocks);
    } else if (prior + kBlocksPerSegment > nblocks.value()) {
      TruncateSegment(rel, fork, segno, static_cast<uint32_t>(nblocks.value() - prior), nblocks);
    } else {
      break;
    }
    if (segno == 0) break;
  }
}

void SmgrImmediateSync(const RelFileLocator& rel, ForkNumber fork) {
  if (!settings::fsync) return;
  for (uint32_t segno = 0;; ++segno) {
    const int fd = GetSegmentFd(rel, fork, segno,
                                segno == 0 ? SegmentOpen::kMustExist : SegmentOpen::kIfExists,
                                kInvalidBlockNumber);
    if (fd < 0) break;
    if (FileSync(fd) != 0) PanicOnFsyncFailure(SegmentPath(rel, fork, segno), errno);  // SY4
  }
}

void SmgrUnlinkAfterCheckpoint(const RelFileLocator& rel) {
  // SM5. Our own descriptors go first; other processes close theirs on invalidation.
  SmgrClose(rel);
  // Pending fsyncs of the relation must not find the files gone (SY5).
  RegisterSyncRequest(FileTag{rel, ForkNumber::kMain, 0}, SyncRequestKind::kForgetRelation);
  for (ForkNumber fork : kAllForks) {
    const std::string path = RelationPath(rel, fork);
    if (fork == ForkNumber::kMain) {
      // Free the space now (other processes' descriptors would keep an unlinked file's
      // blocks), keep the name until after the next checkpoint.
      const int fd = FileOpen(path, O_RDWR, 0600);
      if (fd >= 0) {
        if (FileTruncate(fd, 0) != 0) {
          Log(Severity::kWarning, "could not truncate file \"%s\": %s", path.c_str(),
              ErrnoString(errno).c_str());
        }
        (void)FileClose(fd);
        RegisterSyncRequest(FileTag{rel, fork, 0}, SyncRequestKind::kUnlinkAfterCheckpoint);
      } else if (errno != ENOENT) {
        Log(Severity::kWarning, "could not truncate file \"%s\": %s", path.c_str(),
            ErrnoString(errno).c_str());
        RegisterSyncRequest(FileTag{rel, fork, 0}, SyncRequestKind::kUnlinkAfterCheckpoint);
      }
    } else {
      (void)UnlinkQuietly(path);
    }
    for (uint32_t segno = 1;; ++segno) {
      if (!UnlinkQuietly(SegmentPath(rel, fork, segno))) break;
    }
  }
}

void RegisterSmgrForgetHook(SmgrForgetHook hook) {
  std::vector<SmgrForgetHook>& hooks = ForgetHooks();
  if (std::find(hooks.begin(), hooks.end(), hook) == hooks.end()) hooks.push_back(hook);
}

void SmgrClose(const RelFileLocator& rel) {
  smgr_internal::CloseRelationFds(rel);
  NotifyForget(&rel);  // SM8
}

void SmgrCloseAll() {
  smgr_internal::CloseAllFds();
  NotifyForget(nullptr);  // SM8
}

IoMethod ActiveIoMethod() { return io_engine::Method(); }

}  // namespace keel::storage
