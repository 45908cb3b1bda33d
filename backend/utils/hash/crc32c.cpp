// CRC-32C implementations and the runtime choice between them; see crc32c.h and README.md.
#include "backend/utils/hash/crc32c.h"

#include <array>
#include <cstring>

#if defined(__x86_64__) || defined(__i386__)
#include <nmmintrin.h>
#define KEEL_CRC32C_X86 1
#endif

namespace keel {
namespace {

// Reflected Castagnoli polynomial.
constexpr uint32_t kPolyReflected = 0x82F63B78u;

// tables[k][b]: CRC contribution of byte b followed by k zero bytes (slicing-by-8).
using Tables = std::array<std::array<uint32_t, 256>, 8>;

constexpr Tables MakeTables() {
  Tables t{};
  for (uint32_t b = 0; b < 256; ++b) {
    uint32_t crc = b;
    for (int i = 0; i < 8; ++i) crc = (crc >> 1) ^ ((crc & 1u) ? kPolyReflected : 0u);
    t[0][b] = crc;
  }
  for (uint32_t b = 0; b < 256; ++b) {
    for (size_t k = 1; k < 8; ++k) t[k][b] = (t[k - 1][b] >> 8) ^ t[0][t[k - 1][b] & 0xFFu];
  }
  return t;
}

constexpr Tables kTables = MakeTables();

// Loads 8 bytes as little-endian regardless of alignment (memcpy compiles to one load).
inline uint64_t LoadLe64(const unsigned char* p) {
  uint64_t v;
  std::memcpy(&v, p, sizeof(v));
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
  v = __builtin_bswap64(v);
#endif
  return v;
}

// Raw state update (no init / final xor).
uint32_t UpdateSoftware(uint32_t crc, const unsigned char* p, size_t n) {
  while (n >= 8) {
    uint64_t word = LoadLe64(p) ^ crc;
    crc = kTables[7][word & 0xFF] ^ kTables[6][(word >> 8) & 0xFF] ^
          kTables[5][(word >> 16) & 0xFF] ^ kTables[4][(word >> 24) & 0xFF] ^
          kTables[3][(word >> 32) & 0xFF] ^ kTables[2][(word >> 40) & 0xFF] ^
          kTables[1][(word >> 48) & 0xFF] ^ kTables[0][word >> 56];
    p += 8;
    n -= 8;
  }
  while (n > 0) {
    crc = (crc >> 8) ^ kTables[0][(crc ^ *p) & 0xFFu];
    ++p;
    --n;
  }
  return crc;
}

#ifdef KEEL_CRC32C_X86
// Compiled for SSE4.2 only here, so the rest of the binary stays generic x86-64; called only
// after the CPU check.
__attribute__((target("sse4.2"))) uint32_t UpdateHardware(uint32_t crc, const unsigned char* p,
                                                          size_t n) {
  // Byte steps up to 8-byte alignment, then 8 bytes per instruction.
  while (n > 0 && (reinterpret_cast<uintptr_t>(p) & 7u) != 0) {
    crc = _mm_crc32_u8(crc, *p);
    ++p;
    --n;
  }
#if defined(__x86_64__)
  uint64_t crc64 = crc;
  while (n >= 8) {
    uint64_t word;
    std::memcpy(&word, p, sizeof(word));
    crc64 = _mm_crc32_u64(crc64, word);
    p += 8;
    n -= 8;
  }
  crc = static_cast<uint32_t>(crc64);
#endif
  while (n >= 4) {
    uint32_t word;
    std::memcpy(&word, p, sizeof(word));
    crc = _mm_crc32_u32(crc, word);
    p += 4;
    n -= 4;
  }
  while (n > 0) {
    crc = _mm_crc32_u8(crc, *p);
    ++p;
    --n;
  }
  return crc;
}
#endif

using UpdateFn = uint32_t (*)(uint32_t, const unsigned char*, size_t);

bool DetectHardware() {
#ifdef KEEL_CRC32C_X86
  __builtin_cpu_init();
  return __builtin_cpu_supports("sse4.2");
#else
  return false;
#endif
}

// Chosen once per process (thread-safe static init). Both variants give the same value (H1),
// so a process that picks differently from its parent still agrees with it.
UpdateFn ChooseUpdate() {
#ifdef KEEL_CRC32C_X86
  if (DetectHardware()) return &UpdateHardware;
#endif
  return &UpdateSoftware;
}

UpdateFn SelectedUpdate() {
  static const UpdateFn fn = ChooseUpdate();
  return fn;
}

}  // namespace

uint32_t Crc32c(const void* data, size_t size_bytes) {
  if (size_bytes == 0) return 0;
  return SelectedUpdate()(0xFFFFFFFFu, static_cast<const unsigned char*>(data), size_bytes) ^
         0xFFFFFFFFu;
}

void Crc32cBuilder::Update(const void* data, size_t size_bytes) {
  if (size_bytes == 0) return;
  state_ = SelectedUpdate()(state_, static_cast<const unsigned char*>(data), size_bytes);
}

uint32_t Crc32cSoftware(const void* data, size_t size_bytes) {
  if (size_bytes == 0) return 0;
  return UpdateSoftware(0xFFFFFFFFu, static_cast<const unsigned char*>(data), size_bytes) ^
         0xFFFFFFFFu;
}

bool Crc32cHardwareAvailable() {
  static const bool available = DetectHardware();
  return available;
}

}  // namespace keel
