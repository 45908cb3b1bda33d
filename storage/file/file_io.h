// The one file-I/O interface of the storage layer: every read, write, fsync, truncate and
// unlink of relation files, WAL segments and the control file goes through here, so tests can
// inject faults (short writes, EIO, ENOSPC, fsync failure) in one place. See README.md.
#pragma once

#include <sys/types.h>
#include <sys/uio.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "backend/utils/error/sqlstate.h"

namespace keel::storage {

// Thin wrappers that retry EINTR and loop over short transfers. On failure they return -1
// with errno set (callers turn that into a keel::Error with the file name); injected faults
// look exactly like real ones (F1-F3 in README.md).
// Reads return fewer bytes than asked only at end of file.
[[nodiscard]] ssize_t FileReadAt(int fd, void* buf, size_t size_bytes, off_t offset);
[[nodiscard]] ssize_t FileWriteAt(int fd, const void* buf, size_t size_bytes, off_t offset);
// Vectored forms (preadv/pwritev), same contract; `iov` is not modified.
// Requires: 0 < iov_count <= IOV_MAX.
[[nodiscard]] ssize_t FileReadvAt(int fd, const struct iovec* iov, int iov_count, off_t offset);
[[nodiscard]] ssize_t FileWritevAt(int fd, const struct iovec* iov, int iov_count, off_t offset);
[[nodiscard]] int FileSync(int fd);            // fsync
[[nodiscard]] int FileDataSync(int fd);        // fdatasync
[[nodiscard]] int FileTruncate(int fd, off_t size_bytes);
// Makes [offset, offset + size_bytes) exist as zeros: fallocate(2) where the file system
// supports it (space is reserved, so ENOSPC shows now and not at write-back), otherwise by
// writing zeros. Returns 0, or -1 with errno.
[[nodiscard]] int FileAllocate(int fd, off_t offset, off_t size_bytes);
// open(2) with O_CLOEXEC added; remembers fd -> path for fault injection (Debug builds).
[[nodiscard]] int FileOpen(const std::string& path, int flags, mode_t mode = 0600);
// Closes a descriptor from FileOpen (and forgets its path). Returns close(2)'s result; the
// descriptor is gone either way (Linux), so callers never retry.
int FileClose(int fd);
// fsync of a directory, so a created/renamed/unlinked entry is durable.
[[nodiscard]] int FsyncDirectory(const std::string& path);

// What a failed fsync means for data: PostgreSQL's lesson is that the kernel may have dropped
// the dirty pages, so a failed fsync of a data or WAL file is a PANIC (recovery from WAL).
[[noreturn]] void PanicOnFsyncFailure(const std::string& path, int saved_errno);

// The SQLSTATE for a failed file operation with this errno, as PostgreSQL's
// errcode_for_file_access: EACCES/EPERM/EROFS 42501, ENOENT 58P01, EEXIST 58P02,
// ENOTDIR/EISDIR/ENOTEMPTY 42809, ENOSPC 53100, ENFILE/EMFILE 53000, EIO 58030, else XX000.
[[nodiscard]] SqlState FileAccessSqlState(int saved_errno);

#ifdef KEEL_DEBUG
// Fault injection (tests only). The next `count` operations of `kind` whose file path contains
// `path_substring` (empty: any) fail: kShortWrite writes half then fails with ENOSPC, kEio /
// kEnospc fail outright. The path is known for descriptors opened through FileOpen.
// Which operations each kind hits: README.md (F2). Faults are per process (a forked child
// inherits the parent's armed faults).
enum class FaultKind : uint8_t { kEio, kEnospc, kShortWrite, kFsyncFailure };
void TestOnlyInjectFault(FaultKind kind, const std::string& path_substring, int count = 1);
void TestOnlyClearFaults();

// For I/O paths that cannot go through the wrappers (smgr's io_uring engine): consumes and
// returns the fault the wrappers would have injected into this operation on `fd`, if any.
enum class FileOp : uint8_t { kRead, kWrite, kSync, kAllocate, kTruncate };
[[nodiscard]] std::optional<FaultKind> TestOnlyTakeFault(int fd, FileOp op);
#endif

}  // namespace keel::storage
