// ReadBufferForRedo: the block a record refers to, restored from its full-page image, zeroed
// for a re-initialising record, or read and compared by LSN. See README.md ("Redo", W4).
#include "access/transam/redo_buffer.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "access/transam/wal_record.h"
#include "backend/utils/error/error.h"
#include "backend/utils/error/format.h"
#include "backend/utils/error/log.h"
#include "storage/buffer/bufmgr.h"
#include "storage/file/file_io.h"
#include "storage/page/page.h"
#include "storage/smgr/smgr.h"

namespace keel::transam {
namespace {

// The fork exists and has at least block + 1 blocks afterwards (zero blocks appended), as the
// WAL says it had when the record was written.
void EnsureBlockExists(const DecodedBlockRef& ref) {
  CreateForkForRedo(ref.rel, ref.fork);
  const BlockNumber nblocks = storage::SmgrNBlocks(ref.rel, ref.fork);
  if (nblocks <= ref.block) {
    storage::SmgrZeroExtend(ref.rel, ref.fork, nblocks,
                            static_cast<int>(ref.block.value() - nblocks.value() + 1),
                            /*skip_fsync=*/false);
  }
}

}  // namespace

void CreateForkForRedo(const RelFileLocator& rel, ForkNumber fork) {
  if (rel.db != kInvalidOid) {
    const std::string dir = Format("base/%u", rel.db.value());
    if (::mkdir(dir.c_str(), 0700) == 0) {
      Log(Severity::kDebug1, "re-created directory \"%s\" for redo", dir.c_str());
    } else if (errno != EEXIST) {
      throw Error(storage::FileAccessSqlState(errno),
                  Format("could not create directory \"%s\": %s", dir.c_str(),
                         ErrnoText(errno).c_str()));
    }
  }
  storage::SmgrCreate(rel, fork, /*is_redo=*/true);
}

RedoAction ReadBufferForRedo(const DecodedRecord& record, uint8_t block_id,
                             storage::Buffer* buffer) {
  const DecodedBlockRef* ref = record.Block(block_id);
  KEEL_ASSERT(ref != nullptr);
  *buffer = storage::kInvalidBuffer;

  if (ref->has_image && ref->apply_image) {
    // W4: the image is the page as of this record; whatever is on disk (maybe torn) is replaced.
    EnsureBlockExists(*ref);
    const storage::Buffer b =
        storage::ReadBuffer(ref->rel, ref->fork, ref->block, storage::ReadMode::kZeroAndLock);
    storage::Page page = storage::BufferGetPage(b);
    std::memcpy(page, ref->image.data(), kBlockSize);
    // An all-zero image stays a new page (LSN 0) as when it was logged.
    if (!storage::PageIsNew(page)) storage::PageSetLsn(page, record.end_lsn);
    storage::MarkBufferDirty(b);
    *buffer = b;
    return RedoAction::kRestored;
  }
  if ((ref->flags & kRegWillInit) != 0) {
    // Redo initialises the page from scratch: don't read (it may not exist or be torn).
    EnsureBlockExists(*ref);
    *buffer =
        storage::ReadBuffer(ref->rel, ref->fork, ref->block, storage::ReadMode::kZeroAndLock);
    return RedoAction::kNeedsRedo;
  }
  // A missing file or block means the relation was dropped or truncated later in the log
  // (PostgreSQL's "invalid page" case; it also tracks them to complain at the end of
  // recovery, which Keel does not do yet).
  if (!storage::SmgrExists(ref->rel, ref->fork) ||
      storage::SmgrNBlocks(ref->rel, ref->fork) <= ref->block) {
    Log(Severity::kDebug1, "page %u of relation %s does not exist", ref->block.value(),
        storage::RelationPath(ref->rel, ref->fork).c_str());
    return RedoAction::kNotFound;
  }
  const storage::Buffer b = storage::ReadBuffer(ref->rel, ref->fork, ref->block);
  storage::LockBuffer(b, storage::BufferLockMode::kExclusive);
  if (storage::PageIsNew(storage::BufferGetPage(b))) {
    // Extended but never written before the crash, then truncated or dropped later: as
    // PostgreSQL, an uninitialised page is "not found" (a change to it would have come with
    // an image or kRegWillInit).
    storage::UnlockBuffer(b);
    storage::ReleaseBuffer(b);
    Log(Severity::kDebug1, "page %u of relation %s is uninitialized", ref->block.value(),
        storage::RelationPath(ref->rel, ref->fork).c_str());
    return RedoAction::kNotFound;
  }
  *buffer = b;
  // The page already has the change when its LSN is at or past the record's end.
  if (storage::PageGetLsn(storage::BufferGetPage(b)) >= record.end_lsn) return RedoAction::kDone;
  return RedoAction::kNeedsRedo;
}

}  // namespace keel::transam
