// WalReader: reads pages from segment files, validates page headers, reassembles records that
// span pages and segments, checks length, prev link, resource manager and CRC, then decodes.
// Stops at the first invalid record (W8). See README.md.
#include "access/transam/wal_reader.h"

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <map>

#include "access/transam/wal_decode_internal.h"
#include "access/transam/wal_format_internal.h"
#include "backend/utils/error/format.h"
#include "backend/utils/hash/crc32c.h"
#include "storage/file/file_io.h"

namespace keel::transam {

using namespace internal;  // NOLINT: the format constants are this file's vocabulary

struct WalReader::Impl {
  std::string dir;
  Lsn start;
  uint64_t next = 0;        // where the next record starts
  uint64_t last_lsn = 0;    // start of the last valid record (prev link of the next one)
  uint64_t end = 0;         // end of the last valid record
  bool first = true;
  bool done = false;
  std::string error;

  TimeLineId timeline = 0;      // of the last page read; 0 before any
  uint64_t system_id = 0;
  bool have_system_id = false;

  std::map<uint64_t, std::pair<TimeLineId, std::string>> segment_names;  // segno -> file
  uint64_t open_segno = ~uint64_t{0};
  int fd = -1;
  std::string open_name;

  std::byte page[kWalPageSize];
  uint64_t loaded_page = kNoPage;
  WalPageHeader header{};

  std::vector<std::byte> record;

  ~Impl() {
    if (fd >= 0) close(fd);
  }

  void ScanDirectory() {
    segment_names.clear();
    DIR* d = opendir(dir.c_str());
    if (d == nullptr) return;
    while (dirent* entry = readdir(d)) {
      const char* name = entry->d_name;
      if (std::strlen(name) != 24 || std::strspn(name, "0123456789ABCDEF") != 24) continue;
      const auto tli = static_cast<TimeLineId>(std::strtoul(std::string(name, 8).c_str(), nullptr, 16));
      const uint64_t segno = std::strtoull(name + 8, nullptr, 16);
      auto it = segment_names.find(segno);
      // Several timelines may have the segment: the highest one is the one being followed.
      if (it == segment_names.end() || it->second.first < tli) segment_names[segno] = {tli, name};
    }
    closedir(d);
  }

  bool Fail(std::string message) {
    error = std::move(message);
    done = true;
    return false;
  }

  [[nodiscard]] bool OpenSegment(uint64_t segno) {
    if (segno == open_segno) return true;
    if (fd >= 0) close(fd);
    fd = -1;
    open_segno = ~uint64_t{0};
    auto it = segment_names.find(segno);
    if (it == segment_names.end()) {
      ScanDirectory();  // created since we last looked
      it = segment_names.find(segno);
    }
    if (it == segment_names.end()) {
      const std::string name = WalSegmentFileName(timeline == 0 ? 1 : timeline, segno);
      return Fail(Format("missing WAL segment %s", name.substr(sizeof(kWalDirectory)).c_str()));
    }
    const std::string path = dir + "/" + it->second.second;
    fd = storage::FileOpen(path, O_RDONLY);
    if (fd < 0) {
      return Fail(Format("could not open file \"%s\": %s", path.c_str(), ErrnoText(errno).c_str()));
    }
    open_segno = segno;
    open_name = it->second.second;
    return true;
  }

  // Reads and validates the page at `page_lsn` (W2, W8).
  [[nodiscard]] bool LoadPage(uint64_t page_lsn) {
    if (page_lsn == loaded_page) return true;
    loaded_page = kNoPage;
    const uint64_t segno = page_lsn / kWalSegmentSize;
    const auto offset = static_cast<unsigned>(page_lsn % kWalSegmentSize);
    if (!OpenSegment(segno)) return false;
    const ssize_t n = storage::FileReadAt(fd, page, kWalPageSize, static_cast<off_t>(offset));
    if (n != static_cast<ssize_t>(kWalPageSize)) {
      if (n < 0) {
        return Fail(Format("could not read from WAL segment %s, offset %u: %s",
                           open_name.c_str(), offset, ErrnoText(errno).c_str()));
      }
      return Fail(Format("could not read from WAL segment %s, offset %u: read %zd of %u",
                         open_name.c_str(), offset, n, kWalPageSize));
    }
    std::memcpy(&header, page, sizeof(header));
    const char* seg = open_name.c_str();
    if (header.magic != kWalPageMagic) {
      return Fail(Format("invalid magic number %04X in WAL segment %s, offset %u", header.magic,
                         seg, offset));
    }
    const bool want_long = offset == 0;
    if ((header.info & ~kPageInfoMask) != 0 ||
        ((header.info & kPageLongHeader) != 0) != want_long) {
      return Fail(Format("invalid info bits %04X in WAL segment %s, offset %u", header.info, seg,
                         offset));
    }
    if (want_long) {
      WalLongPageHeader long_header;
      std::memcpy(&long_header, page, sizeof(long_header));
      if (have_system_id && long_header.system_identifier != system_id) {
        return Fail(Format("WAL file is from different database system: WAL file database "
                           "system identifier is %" PRIu64 ", expected %" PRIu64,
                           long_header.system_identifier, system_id));
      }
      if (long_header.segment_size != kWalSegmentSize) {
        return Fail("WAL file is from different database system: incorrect segment size in "
                    "page header");
      }
      if (long_header.page_size != kWalPageSize) {
        return Fail("WAL file is from different database system: incorrect WAL block size in "
                    "page header");
      }
      system_id = long_header.system_identifier;
      have_system_id = true;
    }
    // A recycled segment still holds pages of an older part of the log: their addresses differ.
    if (header.page_address != page_lsn) {
      return Fail(Format("unexpected pageaddr %s in WAL segment %s, offset %u",
                         LsnToString(Lsn(header.page_address)).c_str(), seg, offset));
    }
    if (timeline != 0 && header.timeline < timeline) {
      return Fail(Format("out-of-sequence timeline ID %u (after %u) in WAL segment %s, "
                         "offset %u",
                         header.timeline, timeline, seg, offset));
    }
    timeline = header.timeline;
    loaded_page = page_lsn;
    return true;
  }

  // W8: checks that need only the record header.
  [[nodiscard]] bool ValidateHeader(const RecordHeader& h, uint64_t lsn) {
    if (first ? h.prev >= lsn : h.prev != last_lsn) {
      return Fail(Format("record with incorrect prev-link %s at %s", LsnToString(Lsn(h.prev)).c_str(),
                         LsnToString(Lsn(lsn)).c_str()));
    }
    if (GetRmgr(static_cast<RmgrId>(h.rmgr)) == nullptr) {
      return Fail(Format("invalid resource manager ID %u at %s", h.rmgr,
                         LsnToString(Lsn(lsn)).c_str()));
    }
    return true;
  }

  std::optional<DecodedRecord> ReadNext();
};

std::optional<DecodedRecord> WalReader::Impl::ReadNext() {
  if (done) return std::nullopt;
  uint64_t pos = next;
  if (pos % kWalPageSize == 0) pos += PageHeaderSizeAt(pos);
  const std::string at = LsnToString(Lsn(pos));
  if (pos % kWalAlign != 0) {
    Fail(Format("invalid record offset at %s", at.c_str()));
    return std::nullopt;
  }
  uint64_t page_lsn = PageStart(pos);
  if (!LoadPage(page_lsn)) return std::nullopt;
  if (pos - page_lsn == PageHeaderSizeAt(page_lsn) &&
      (header.info & kPageFirstIsContRecord) != 0) {
    Fail(Format("contrecord is requested by %s", at.c_str()));
    return std::nullopt;
  }
  uint32_t total_length;
  std::memcpy(&total_length, page + (pos - page_lsn), sizeof(total_length));
  if (total_length < kRecordHeaderSize) {
    Fail(Format("invalid record length at %s: wanted %u, got %u", at.c_str(), kRecordHeaderSize,
                total_length));
    return std::nullopt;
  }
  if (total_length > kMaxRecordSize) {
    Fail(Format("record length %u at %s too long", total_length, at.c_str()));
    return std::nullopt;
  }

  // Reassemble (W3); the header is validated as soon as it is complete so that garbage does
  // not make us read far.
  record.clear();
  uint64_t in_page = pos - page_lsn;
  uint64_t cursor = pos;
  bool header_checked = false;
  while (record.size() < total_length) {
    if (in_page == kWalPageSize) {
      page_lsn += kWalPageSize;
      if (!LoadPage(page_lsn)) return std::nullopt;
      const uint64_t remaining = total_length - record.size();
      if ((header.info & kPageFirstIsContRecord) == 0) {
        Fail(Format("there is no contrecord flag at %s", LsnToString(Lsn(page_lsn)).c_str()));
        return std::nullopt;
      }
      if (header.rem_len != remaining) {
        Fail(Format("invalid contrecord length %u (expected %" PRIu64 ") at %s", header.rem_len,
                    remaining, LsnToString(Lsn(page_lsn)).c_str()));
        return std::nullopt;
      }
      in_page = PageHeaderSizeAt(page_lsn);
    }
    const uint64_t n = std::min<uint64_t>(total_length - record.size(), kWalPageSize - in_page);
    record.insert(record.end(), page + in_page, page + in_page + n);
    in_page += n;
    cursor = page_lsn + in_page;
    if (!header_checked && record.size() >= kRecordHeaderSize) {
      if (!ValidateHeader(DecodeRecordHeader(record.data()), pos)) return std::nullopt;
      header_checked = true;
    }
  }

  const RecordHeader h = DecodeRecordHeader(record.data());
  Crc32cBuilder crc;
  crc.Update(record.data() + kRecordHeaderSize, total_length - kRecordHeaderSize);
  crc.Update(record.data(), kRecordCrcOffset);
  if (crc.Finish() != h.crc) {
    Fail(Format("incorrect resource manager data checksum in record at %s", at.c_str()));
    return std::nullopt;
  }
  DecodedRecord out;
  std::string decode_error;
  if (!DecodeRecordBody(record.data(), total_length, Lsn(pos), &out, &decode_error)) {
    Fail(std::move(decode_error));
    return std::nullopt;
  }
  out.lsn = Lsn(pos);
  out.end_lsn = Lsn(WalAlign(cursor));  // never crosses a page end: headers are 8-aligned
  out.prev_lsn = Lsn(h.prev);
  out.xid = TransactionId(h.xid);
  out.rmgr = static_cast<RmgrId>(h.rmgr);
  out.info = h.info;
  out.total_length = total_length;
  first = false;
  last_lsn = pos;
  end = out.end_lsn.value();
  next = end;
  return out;
}

WalReader::WalReader(std::string wal_dir, Lsn start) : impl_(std::make_unique<Impl>()) {
  impl_->dir = std::move(wal_dir);
  impl_->start = start;
  impl_->next = start.value();
  impl_->end = start.value();
  impl_->ScanDirectory();
}

WalReader::~WalReader() = default;

std::optional<DecodedRecord> WalReader::Next() { return impl_->ReadNext(); }

Lsn WalReader::EndOfValidWal() const { return Lsn(impl_->end); }

TimeLineId WalReader::timeline() const { return impl_->timeline; }

const std::string& WalReader::error() const { return impl_->error; }

std::optional<DecodedRecord> ReadRecordAt(const std::string& wal_dir, Lsn lsn,
                                          std::string* error) {
  WalReader reader(wal_dir, lsn);
  std::optional<DecodedRecord> record = reader.Next();
  if (!record && error != nullptr) *error = reader.error();
  return record;
}

std::string LsnToString(Lsn lsn) {
  return Format("%X/%X", static_cast<unsigned>(lsn.value() >> 32),
                static_cast<unsigned>(lsn.value() & 0xFFFFFFFFu));
}

std::optional<Lsn> ParseLsn(const std::string& text) {
  const size_t slash = text.find('/');
  if (slash == std::string::npos || slash == 0 || slash + 1 == text.size() || slash > 8 ||
      text.size() - slash - 1 > 8) {
    return std::nullopt;
  }
  const auto is_hex = [](const std::string& s) {
    return !s.empty() && s.find_first_not_of("0123456789abcdefABCDEF") == std::string::npos;
  };
  const std::string hi = text.substr(0, slash);
  const std::string lo = text.substr(slash + 1);
  if (!is_hex(hi) || !is_hex(lo)) return std::nullopt;
  return Lsn((std::strtoull(hi.c_str(), nullptr, 16) << 32) | std::strtoull(lo.c_str(), nullptr, 16));
}

}  // namespace keel::transam
