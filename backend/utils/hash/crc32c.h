// CRC-32C (Castagnoli): checksums for WAL records, pages and the control file.
// Hardware (SSE4.2) when the CPU has it, software slicing-by-8 otherwise; see README.md here.
#pragma once

#include <cstddef>
#include <cstdint>

namespace keel {

// CRC-32C (Castagnoli), as used by iSCSI/ext4: init 0xFFFFFFFF, final xor 0xFFFFFFFF.
// Requires: `data` points to `size_bytes` readable bytes (may be null when size_bytes == 0).
// Thread-safe; any alignment. Result identical on every CPU (H1).
[[nodiscard]] uint32_t Crc32c(const void* data, size_t size_bytes);

// Incremental form: Update() over consecutive pieces, then Finish(), gives the same value as
// Crc32c() over the concatenation (H2). Finish() does not change the state; Update() may go on.
class Crc32cBuilder {
 public:
  void Update(const void* data, size_t size_bytes);
  [[nodiscard]] uint32_t Finish() const { return state_ ^ 0xFFFFFFFFu; }
  void Reset() { state_ = 0xFFFFFFFFu; }

 private:
  uint32_t state_ = 0xFFFFFFFFu;  // running CRC before the final xor
};

// The portable slicing-by-8 implementation, whatever the CPU; for tests and benchmarks.
[[nodiscard]] uint32_t Crc32cSoftware(const void* data, size_t size_bytes);

// True when the SSE4.2 crc32 instruction is used by Crc32c().
[[nodiscard]] bool Crc32cHardwareAvailable();

}  // namespace keel
