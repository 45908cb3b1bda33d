// Crash recovery, run by the startup process before the server accepts connections: a fresh
// cluster gets its first WAL segment and checkpoint; after an unclean stop every record from
// the last checkpoint's redo pointer is replayed up to the first invalid one; then WAL
// insertion resumes at the end of the valid log. See README.md (R1-R6).
#pragma once

namespace keel::transam {

// Throws FATAL when recovery cannot proceed (no valid checkpoint record, unknown resource
// manager, an I/O error during redo). Requires: shared memory set up, InitWalAccess and
// InitBufferPoolAccess done in this process.
void StartupXlog();

}  // namespace keel::transam
