// Run files: buffered framed writes and reads (README.md, S5-S7).
#include "backend/utils/sort/run_file.h"

#include <algorithm>
#include <cstring>

#include "backend/utils/error/error.h"
#include "backend/utils/error/format.h"
#include "backend/utils/error/sqlstate.h"

namespace keel::sort {

RunWriter::RunWriter(TempFile* file, uint64_t start_offset, size_t buffer_bytes)
    : file_(file),
      buffer_(std::make_unique<std::byte[]>(buffer_bytes)),
      capacity_(buffer_bytes),
      start_(start_offset),
      offset_(start_offset) {
  KEEL_ASSERT(buffer_bytes >= kFrameHeaderBytes);
}

void RunWriter::Flush() {
  if (used_ == 0) return;
  file_->WriteAt(buffer_.get(), used_, offset_);
  offset_ += used_;
  used_ = 0;
}

void RunWriter::Append(std::span<const std::byte> record) {
  KEEL_ASSERT(record.size() <= kMaxRecordBytes);
  const uint32_t len = static_cast<uint32_t>(record.size());
  const size_t frame = kFrameHeaderBytes + record.size();
  if (frame > capacity_ - used_) Flush();
  if (frame > capacity_) {
    // Larger than the whole buffer: header and body in one vectored write, no copy.
    file_->WriteAt2(&len, kFrameHeaderBytes, record.data(), record.size(), offset_);
    offset_ += frame;
  } else {
    memcpy(buffer_.get() + used_, &len, kFrameHeaderBytes);
    if (!record.empty()) memcpy(buffer_.get() + used_ + kFrameHeaderBytes, record.data(), len);
    used_ += frame;
  }
  ++records_;
}

void RunWriter::Finish() {
  Flush();
  buffer_.reset();
}

RunReader::RunReader(TempFile* file, uint64_t start_offset, uint64_t bytes, uint64_t records,
                     size_t buffer_bytes)
    : file_(file),
      remaining_(records),
      // A short run needs no more buffer than its own size (many small runs, one merge).
      buffer_(std::make_unique<std::byte[]>(
          std::max<size_t>(kFrameHeaderBytes, std::min<uint64_t>(buffer_bytes, bytes)))),
      capacity_(std::max<size_t>(kFrameHeaderBytes, std::min<uint64_t>(buffer_bytes, bytes))),
      offset_(start_offset),
      end_offset_(start_offset + bytes) {
  KEEL_ASSERT(buffer_bytes >= kFrameHeaderBytes);
}

void RunReader::Fill(size_t need) {
  if (end_ - begin_ >= need) return;
  // Slide the unread tail to the front (S7: the previous record's view dies here), growing
  // the buffer for a record larger than it.
  const size_t unread = end_ - begin_;
  if (need > capacity_) {
    auto bigger = std::make_unique<std::byte[]>(need);
    if (unread > 0) memcpy(bigger.get(), buffer_.get() + begin_, unread);
    buffer_ = std::move(bigger);
    capacity_ = need;
  } else if (unread > 0 && begin_ > 0) {
    memmove(buffer_.get(), buffer_.get() + begin_, unread);
  }
  begin_ = 0;
  end_ = unread;
  while (end_ < need) {
    const size_t want = static_cast<size_t>(
        std::min<uint64_t>(capacity_ - end_, end_offset_ - offset_));
    const size_t got = want == 0 ? 0 : file_->ReadAt(buffer_.get() + end_, want, offset_);
    if (got == 0) {
      throw Error(sqlstate::kInternalError,
                  Format("could not read file \"%s\": read only %zu of %zu bytes",
                         file_->path().c_str(), end_, need));
    }
    end_ += got;
    offset_ += got;
  }
}

bool RunReader::Next(std::span<const std::byte>* out) {
  if (remaining_ == 0) return false;
  Fill(kFrameHeaderBytes);
  uint32_t len = 0;
  memcpy(&len, buffer_.get() + begin_, kFrameHeaderBytes);
  begin_ += kFrameHeaderBytes;
  Fill(len);
  *out = std::span<const std::byte>(buffer_.get() + begin_, len);
  begin_ += len;
  --remaining_;
  return true;
}

}  // namespace keel::sort
