// Reading WAL back: records are reassembled across page and segment boundaries, checked
// (length, CRC-32C, page headers, previous-record link) and decoded into block references and
// main data. Reading stops at the first invalid record: that is the end of the log (W8).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "access/transam/rmgr.h"
#include "access/transam/wal.h"
#include "storage/common/ids.h"

namespace keel::transam {

struct DecodedBlockRef {
  uint8_t block_id;
  RelFileLocator rel;
  ForkNumber fork;
  BlockNumber block;
  uint8_t flags;               // kRegWillInit etc. as registered
  bool has_image = false;
  bool apply_image = false;    // false: image kept for consistency checks only
  std::vector<std::byte> image;  // kBlockSize bytes when has_image (hole filled, decompressed)
  uint32_t image_stored_bytes = 0;  // what the image took in the record (no hole, compressed)
  bool image_compressed = false;
  std::vector<std::byte> data;   // RegisterBufData bytes
};

class DecodedRecord {
 public:
  Lsn lsn;            // start
  Lsn end_lsn;        // just past the end (what pages changed by it carry)
  Lsn prev_lsn;
  TransactionId xid;
  RmgrId rmgr;
  uint8_t info;
  uint32_t total_length;
  std::vector<DecodedBlockRef> blocks;
  std::vector<std::byte> main_data;

  [[nodiscard]] const DecodedBlockRef* Block(uint8_t block_id) const;
};

class WalReader {
 public:
  // Reads segments from `wal_dir` (…/wal) starting with the record at `start` (must point at
  // a record start, e.g. a checkpoint's redo pointer).
  WalReader(std::string wal_dir, Lsn start);
  ~WalReader();
  // The next valid record, or nullopt at the end of valid WAL; `error()` then says why
  // ("invalid record length at 0/3000060: wanted 24, got 0", "incorrect resource manager data
  // checksum in record at 0/...", "missing WAL segment ...") — empty for a clean end.
  [[nodiscard]] std::optional<DecodedRecord> Next();
  // Just past the last valid record read: where new WAL goes after recovery.
  [[nodiscard]] Lsn EndOfValidWal() const;
  [[nodiscard]] TimeLineId timeline() const;
  [[nodiscard]] const std::string& error() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Reads the single record at `lsn` (the checkpoint record named by the control file).
[[nodiscard]] std::optional<DecodedRecord> ReadRecordAt(const std::string& wal_dir, Lsn lsn,
                                                        std::string* error);

// "0/16B3748" as PostgreSQL prints LSNs.
[[nodiscard]] std::string LsnToString(Lsn lsn);
[[nodiscard]] std::optional<Lsn> ParseLsn(const std::string& text);

}  // namespace keel::transam
