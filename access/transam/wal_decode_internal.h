// Decoding a reassembled record's block references and main data (the reader's second half).
// Internal to access/transam. Format: README.md (W1, W4, W5).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "access/transam/wal_reader.h"

namespace keel::transam::internal {

// Fills out->blocks and out->main_data from the `total_length` bytes of a record (header
// included) whose CRC was checked. False with *error set when the layout is inconsistent.
[[nodiscard]] bool DecodeRecordBody(const std::byte* rec, uint32_t total_length, Lsn lsn,
                                    DecodedRecord* out, std::string* error);

}  // namespace keel::transam::internal
