// Temporary files for work that does not fit in memory (sorts, later hash joins): named
// <data dir>/base/pgsql_tmp/pgsql_tmp<pid>.<n> as PostgreSQL names them, removed by their RAII
// owner, and swept at start-up. Rules S1-S4: backend/utils/sort/README.md ("Temporary files").
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace keel::sort {

// Every temporary file's and directory's name starts with this (PostgreSQL's PG_TEMP_FILE_PREFIX).
inline constexpr std::string_view kTempFilePrefix = "pgsql_tmp";

// <data directory>/base/pgsql_tmp; "base/pgsql_tmp" relative to the working directory (which is
// the data directory in every server process) when no data directory was set.
[[nodiscard]] std::string DefaultTempDirectory();

// One temporary file, open for reading and writing. Move-only owner: the destructor closes and
// unlinks the file (S1), so an error unwinding the stack leaves nothing behind.
// Not shared between processes; one thread at a time.
class TempFile {
 public:
  TempFile() = default;
  ~TempFile() { Close(); }
  TempFile(TempFile&& other) noexcept;
  TempFile& operator=(TempFile&& other) noexcept;
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;

  // Creates a new, empty file <dir>/pgsql_tmp<pid>.<n> (n counts up per process: S2), making
  // `dir` (and its parents) first when missing.
  // Throws (PostgreSQL's errcode_for_file_access SQLSTATEs) `could not create directory "%s":
  // %m` or `could not create temporary file "%s": %m`.
  [[nodiscard]] static TempFile Create(const std::string& dir);

  // Writes all `size_bytes` at `offset`. Throws `could not write to file "%s": %m` (53100 when
  // the disk is full, 58030 for EIO ...).
  // Requires: is_open().
  void WriteAt(const void* buf, size_t size_bytes, uint64_t offset);
  // Writes `a` then `b` at `offset` with one system call; same errors as WriteAt.
  void WriteAt2(const void* a, size_t a_bytes, const void* b, size_t b_bytes, uint64_t offset);
  // Reads up to `size_bytes` at `offset`; fewer only at the end of the file. Throws `could not
  // read file "%s": %m`. Requires: is_open().
  [[nodiscard]] size_t ReadAt(void* buf, size_t size_bytes, uint64_t offset);

  // Closes and unlinks now (idempotent; errors are ignored: start-up sweeps leftovers, S3).
  void Close() noexcept;

  [[nodiscard]] bool is_open() const { return fd_ >= 0; }
  [[nodiscard]] const std::string& path() const { return path_; }

 private:
  TempFile(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}
  [[noreturn]] void ThrowWriteError(int saved_errno) const;

  int fd_ = -1;
  std::string path_;
};

// Removes every leftover temporary file and directory (names starting with kTempFilePrefix) in
// <data_dir>/base/pgsql_tmp: a crashed process cannot remove its own (S3). For the postmaster at
// start-up, before any backend runs (a live process's files would be pulled from under it).
// Never throws: a failure is logged as LOG `could not remove file "%s": %m` and the sweep goes
// on. Returns how many entries were removed.
int RemoveTempFiles(const std::string& data_dir);

}  // namespace keel::sort
