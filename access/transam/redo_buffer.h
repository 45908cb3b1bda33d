// Redo of records that change pages: find the block a record refers to, and decide whether
// the change must still be applied (page older than the record), was restored from the
// record's full-page image, or is already there (page LSN >= record end). See README.md.
#pragma once

#include "access/transam/wal_reader.h"
#include "storage/buffer/bufmgr.h"

namespace keel::transam {

enum class RedoAction : uint8_t {
  kNeedsRedo,  // apply the change; afterwards set the page LSN to record.end_lsn, mark dirty
  kRestored,   // the full-page image was restored (LSN set, dirty); nothing more to do
  kDone,       // the page already has the change
  kNotFound,   // the relation or block no longer exists (dropped/truncated later in the log)
};
// Returns the action and the buffer, pinned and exclusively locked (except kNotFound). The
// caller unlocks and releases it. Missing blocks below the record's block are zero-extended
// (a relation extended in WAL but not yet on disk).
[[nodiscard]] RedoAction ReadBufferForRedo(const DecodedRecord& record, uint8_t block_id,
                                           storage::Buffer* buffer);

// Redo's way to create a fork (an existing file is fine): when the database directory is gone
// — the database was dropped later in the log and removed before the crash (D9) — it is
// created again first, as PostgreSQL's TablespaceCreateDbspace does in redo; the later
// commit record of the drop removes it once more.
void CreateForkForRedo(const RelFileLocator& rel, ForkNumber fork);

}  // namespace keel::transam
