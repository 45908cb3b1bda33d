// A sorted run on disk: length-framed records written and read back sequentially through one
// large buffer, in a TempFile. Format and rules S5-S7: backend/utils/sort/README.md.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>

#include "backend/utils/sort/temp_file.h"

namespace keel::sort {

// Frame: a 4-byte little-endian (host order) length, then that many bytes; no alignment (S5).
inline constexpr size_t kFrameHeaderBytes = 4;
// Largest record a frame can hold (PostgreSQL's MaxAllocSize - 1: 1 GiB - 1).
inline constexpr size_t kMaxRecordBytes = (size_t{1} << 30) - 1;

// Appends one run's records to a temporary file at a given offset: runs of one merge
// generation share one file, one after another (S6), so a sort holds at most two open files.
class RunWriter {
 public:
  // Borrows `file` (the caller keeps it open until Finish). Requires: buffer_bytes >=
  // kFrameHeaderBytes; nothing else writes to `file` until Finish.
  RunWriter(TempFile* file, uint64_t start_offset, size_t buffer_bytes);
  RunWriter(const RunWriter&) = delete;
  RunWriter& operator=(const RunWriter&) = delete;

  // Appends one record (buffered; a record larger than the buffer is written directly).
  // Requires: record.size() <= kMaxRecordBytes. Throws TempFile's write errors.
  void Append(std::span<const std::byte> record);
  // Writes what is buffered. Requires: called once, last.
  void Finish();

  [[nodiscard]] uint64_t start_offset() const { return start_; }
  [[nodiscard]] uint64_t records() const { return records_; }
  [[nodiscard]] uint64_t bytes() const { return offset_ - start_ + used_; }  // frames included

 private:
  void Flush();

  TempFile* file_;
  std::unique_ptr<std::byte[]> buffer_;
  size_t capacity_;
  size_t used_ = 0;
  uint64_t start_;
  uint64_t offset_;  // file offset where the buffer goes
  uint64_t records_ = 0;
};

// Reads one run front to back. Borrows the file (the caller keeps it alive and open).
class RunReader {
 public:
  // The run written at [start_offset, start_offset + bytes) holding `records` records; reads
  // never go past its end and stop after `records` (S6).
  // Requires: buffer_bytes >= kFrameHeaderBytes.
  RunReader(TempFile* file, uint64_t start_offset, uint64_t bytes, uint64_t records,
            size_t buffer_bytes);
  RunReader(const RunReader&) = delete;
  RunReader& operator=(const RunReader&) = delete;
  RunReader(RunReader&&) = default;
  RunReader& operator=(RunReader&&) = default;

  // The next record, as a view into this reader's buffer valid until its next Next() (S7);
  // false after the last one. Throws TempFile's read errors, or XX000 `could not read file
  // "%s": read only %zu of %zu bytes` when the run ends early (a damaged file).
  [[nodiscard]] bool Next(std::span<const std::byte>* out);

 private:
  // Makes at least `need` unread bytes available at buffer_[begin_], growing the buffer when
  // `need` exceeds it.
  void Fill(size_t need);

  TempFile* file_;
  uint64_t remaining_;
  std::unique_ptr<std::byte[]> buffer_;
  size_t capacity_;
  size_t begin_ = 0;       // first unread byte in buffer_
  size_t end_ = 0;         // one past the last valid byte in buffer_
  uint64_t offset_;        // file offset of buffer_[end_]
  uint64_t end_offset_;    // the run's end in the file
};

}  // namespace keel::sort
