// Run files: several runs back to back in one file read back independently, records of every
// size including ones larger than the buffers, and a damaged run. README.md ("Tests").
#include "backend/utils/sort/run_file.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "backend/utils/error/error.h"

namespace keel::sort {
namespace {

namespace fs = std::filesystem;

std::span<const std::byte> Bytes(const std::string& s) {
  return {reinterpret_cast<const std::byte*>(s.data()), s.size()};
}

class RunFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/keel_run_file_test_XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    root_ = tmpl;
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(root_, ec);
  }
  std::string root_;
};

TEST_F(RunFileTest, RunsBackToBackRoundTrip) {
  TempFile file = TempFile::Create(root_);
  std::mt19937 rng(5);
  struct Written {
    uint64_t offset, bytes, records;
    std::vector<std::string> values;
  };
  std::vector<Written> runs;
  uint64_t end = 0;
  for (int r = 0; r < 4; ++r) {
    RunWriter writer(&file, end, 64);  // a tiny buffer: most records straddle it
    Written w{end, 0, 0, {}};
    for (int i = 0; i < 500; ++i) {
      const size_t len = (i % 97 == 0) ? 1000 + rng() % 300 : rng() % 40;  // some > buffer
      std::string v(len, static_cast<char>('a' + r));
      if (!v.empty()) v[0] = static_cast<char>(i);
      writer.Append(Bytes(v));
      w.values.push_back(v);
    }
    writer.Finish();
    w.bytes = writer.bytes();
    w.records = writer.records();
    uint64_t framed = 0;
    for (const std::string& v : w.values) framed += kFrameHeaderBytes + v.size();
    EXPECT_EQ(w.bytes, framed);
    end += w.bytes;
    runs.push_back(std::move(w));
  }
  // Read them back in an interleaved order, with different buffer sizes.
  std::vector<RunReader> readers;
  for (size_t r = 0; r < runs.size(); ++r) {
    readers.emplace_back(&file, runs[r].offset, runs[r].bytes, runs[r].records, 16 + 100 * r);
  }
  std::vector<size_t> next(runs.size(), 0);
  for (bool any = true; any;) {
    any = false;
    for (size_t r = 0; r < runs.size(); ++r) {
      std::span<const std::byte> rec;
      if (!readers[r].Next(&rec)) {
        EXPECT_EQ(next[r], runs[r].values.size());
        continue;
      }
      any = true;
      ASSERT_LT(next[r], runs[r].values.size());
      EXPECT_EQ(std::string(reinterpret_cast<const char*>(rec.data()), rec.size()),
                runs[r].values[next[r]]);
      ++next[r];
    }
  }
}

TEST_F(RunFileTest, TruncatedRunIsAnError) {
  TempFile file = TempFile::Create(root_);
  RunWriter writer(&file, 0, 1024);
  for (int i = 0; i < 10; ++i) writer.Append(Bytes(std::string(10, 'x')));
  writer.Finish();
  // Claim one more record than the run holds (as a damaged file would look).
  RunReader reader(&file, 0, writer.bytes(), writer.records() + 1, 1024);
  std::span<const std::byte> rec;
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(reader.Next(&rec));
  try {
    (void)reader.Next(&rec);
    ADD_FAILURE() << "read past the end";
  } catch (const Error& e) {
    EXPECT_EQ(e.sqlstate().code(), "XX000");
    EXPECT_EQ(e.message(),
              "could not read file \"" + file.path() + "\": read only 0 of 4 bytes");
  }
}

}  // namespace
}  // namespace keel::sort
