// Tests for CRC-32C: RFC 3720 vectors, hardware == software, incremental == one-shot.
#include "backend/utils/hash/crc32c.h"

#include <gtest/gtest.h>

#include <cstring>
#include <random>
#include <vector>

namespace keel {
namespace {

struct Vector {
  std::vector<unsigned char> data;
  uint32_t crc;
};

std::vector<Vector> Rfc3720Vectors() {
  std::vector<Vector> out;
  const char* digits = "123456789";
  out.push_back({std::vector<unsigned char>(digits, digits + 9), 0xE3069283u});
  out.push_back({std::vector<unsigned char>(32, 0x00), 0x8A9136AAu});
  out.push_back({std::vector<unsigned char>(32, 0xFF), 0x62A8AB43u});
  std::vector<unsigned char> ascending(32);
  for (size_t i = 0; i < 32; ++i) ascending[i] = static_cast<unsigned char>(i);
  out.push_back({ascending, 0x46DD794Eu});
  std::vector<unsigned char> descending(32);
  for (size_t i = 0; i < 32; ++i) descending[i] = static_cast<unsigned char>(31 - i);
  out.push_back({descending, 0x113FDB5Cu});
  return out;
}

TEST(Crc32cTest, Rfc3720VectorsOneShot) {
  for (const Vector& v : Rfc3720Vectors()) {
    EXPECT_EQ(Crc32c(v.data.data(), v.data.size()), v.crc);
    EXPECT_EQ(Crc32cSoftware(v.data.data(), v.data.size()), v.crc);
  }
}

TEST(Crc32cTest, EmptyInputIsZero) {
  EXPECT_EQ(Crc32c(nullptr, 0), 0u);
  EXPECT_EQ(Crc32cSoftware(nullptr, 0), 0u);
  Crc32cBuilder b;
  EXPECT_EQ(b.Finish(), 0u);
}

TEST(Crc32cTest, Rfc3720VectorsIncrementalByteAtATime) {
  for (const Vector& v : Rfc3720Vectors()) {
    Crc32cBuilder b;
    for (unsigned char c : v.data) b.Update(&c, 1);
    EXPECT_EQ(b.Finish(), v.crc);
  }
}

TEST(Crc32cTest, ReportsHardwareAsTheCpuDoes) {
#if defined(__x86_64__)
  __builtin_cpu_init();
  EXPECT_EQ(Crc32cHardwareAvailable(), static_cast<bool>(__builtin_cpu_supports("sse4.2")));
#else
  EXPECT_FALSE(Crc32cHardwareAvailable());
#endif
}

TEST(Crc32cTest, DispatchedEqualsSoftwareOnRandomDataAllLengthsAndOffsets) {
  std::mt19937 rng(12345);
  std::vector<unsigned char> buf(4096 + 16);
  for (auto& c : buf) c = static_cast<unsigned char>(rng());
  for (size_t offset = 0; offset < 16; ++offset) {
    for (size_t len = 0; len <= 300; ++len) {
      const unsigned char* p = buf.data() + offset;
      ASSERT_EQ(Crc32c(p, len), Crc32cSoftware(p, len)) << "offset " << offset << " len " << len;
    }
  }
  for (size_t len : {1000u, 4095u, 4096u}) {
    for (size_t offset : {0u, 1u, 3u, 7u}) {
      const unsigned char* p = buf.data() + offset;
      ASSERT_EQ(Crc32c(p, len), Crc32cSoftware(p, len)) << "offset " << offset << " len " << len;
    }
  }
}

TEST(Crc32cTest, SoftwareMatchesBitwiseReference) {
  // A direct bit-at-a-time definition, independent of the tables.
  auto reference = [](const unsigned char* p, size_t n) {
    uint32_t crc = 0xFFFFFFFFu;
    for (size_t i = 0; i < n; ++i) {
      crc ^= p[i];
      for (int k = 0; k < 8; ++k) crc = (crc >> 1) ^ ((crc & 1u) ? 0x82F63B78u : 0u);
    }
    return crc ^ 0xFFFFFFFFu;
  };
  std::mt19937 rng(777);
  std::vector<unsigned char> buf(1024);
  for (auto& c : buf) c = static_cast<unsigned char>(rng());
  for (size_t len = 0; len <= buf.size(); len += 13) {
    ASSERT_EQ(Crc32cSoftware(buf.data(), len), reference(buf.data(), len)) << len;
  }
}

TEST(Crc32cTest, IncrementalEqualsOneShotForRandomSplits) {
  std::mt19937 rng(4242);
  std::vector<unsigned char> buf(8192);
  for (auto& c : buf) c = static_cast<unsigned char>(rng());
  for (int round = 0; round < 200; ++round) {
    size_t len = rng() % buf.size();
    Crc32cBuilder b;
    size_t pos = 0;
    while (pos < len) {
      size_t piece = std::min<size_t>(len - pos, rng() % 64);
      b.Update(buf.data() + pos, piece);
      pos += piece;
    }
    ASSERT_EQ(b.Finish(), Crc32c(buf.data(), len)) << "round " << round;
  }
}

TEST(Crc32cTest, FinishDoesNotDisturbStateAndResetRestarts) {
  const char* text = "hello, world";
  Crc32cBuilder b;
  b.Update(text, 5);
  EXPECT_EQ(b.Finish(), Crc32c(text, 5));
  b.Update(text + 5, std::strlen(text) - 5);
  EXPECT_EQ(b.Finish(), Crc32c(text, std::strlen(text)));
  b.Reset();
  b.Update(text, 3);
  EXPECT_EQ(b.Finish(), Crc32c(text, 3));
}

TEST(Crc32cTest, DetectsSingleBitFlips) {
  std::vector<unsigned char> buf(512, 0x5A);
  uint32_t base = Crc32c(buf.data(), buf.size());
  for (size_t bit = 0; bit < buf.size() * 8; bit += 37) {
    buf[bit / 8] ^= static_cast<unsigned char>(1u << (bit % 8));
    EXPECT_NE(Crc32c(buf.data(), buf.size()), base);
    buf[bit / 8] ^= static_cast<unsigned char>(1u << (bit % 8));
  }
}

}  // namespace
}  // namespace keel
