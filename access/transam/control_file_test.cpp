// Tests for the control file: round trip, corruption and truncation detection, compatibility
// checks and the atomic replace (access/transam/README.md, C1-C7).
#include "access/transam/control_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include <gtest/gtest.h>
#include <sys/time.h>

#include "backend/utils/error/error.h"

namespace keel::transam {
namespace {

namespace fs = std::filesystem;

class ControlFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string templ = (fs::temp_directory_path() / "keel_control_XXXXXX").string();
    ASSERT_NE(::mkdtemp(templ.data()), nullptr);
    dir_ = templ;
    fs::create_directory(dir_ + "/global");
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string ControlPath() const { return dir_ + "/global/control"; }

  std::string ReadBytes() const {
    std::ifstream in(ControlPath(), std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  void WriteBytes(const std::string& bytes) const {
    std::ofstream out(ControlPath(), std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  }
  // Writes `data` as is, with a correct CRC, bypassing WriteControlFile's own fields.
  void WriteRecordWithValidCrc(ControlFileData data) const {
    data.crc = ComputeControlFileCrc(data);
    WriteBytes(std::string(reinterpret_cast<const char*>(&data), sizeof(data)));
  }

  // Runs ReadControlFile expecting an error; returns it.
  Error ReadExpectingError() const {
    try {
      (void)ReadControlFile(dir_);
    } catch (const Error& e) {
      return e;
    }
    ADD_FAILURE() << "ReadControlFile did not throw";
    return Error(sqlstate::kSuccessfulCompletion, "");
  }

  std::string dir_;
};

// Compares everything except the fields WriteControlFile stamps (time, crc).
void ExpectSameContents(const ControlFileData& a, const ControlFileData& b) {
  ControlFileData x = a;
  ControlFileData y = b;
  x.time = y.time = 0;
  x.crc = y.crc = 0;
  EXPECT_EQ(std::memcmp(&x, &y, sizeof(x)), 0);
}

TEST_F(ControlFileTest, NewControlFileHasFreshClusterValues) {
  // The identifier's seconds come from gettimeofday; time() reads the coarse clock, which can
  // lag it by a tick across a second boundary, so compare against the same clock.
  auto now_s = [] {
    struct timeval tv;
    gettimeofday(&tv, nullptr);
    return tv.tv_sec;
  };
  time_t before = now_s();
  ControlFileData data = NewControlFile(/*data_checksums=*/true);
  time_t after = now_s();
  EXPECT_EQ(data.magic, kControlFileMagic);
  EXPECT_EQ(data.format_version, kControlFileVersion);
  EXPECT_EQ(data.catalog_version, kCatalogVersion);
  EXPECT_EQ(data.state, ClusterState::kShutDown);
  EXPECT_EQ(data.system_identifier & 0xFFF, static_cast<uint64_t>(::getpid()) & 0xFFF);
  uint64_t seconds = data.system_identifier >> 32;
  EXPECT_GE(seconds, static_cast<uint64_t>(before));
  EXPECT_LE(seconds, static_cast<uint64_t>(after));
  EXPECT_LT((data.system_identifier >> 12) & 0xFFFFF, 1000000u);  // microseconds
  EXPECT_EQ(data.next_xid, kFirstNormalTransactionId);
  EXPECT_EQ(data.next_oid, kFirstNormalObjectId);
  EXPECT_EQ(data.timeline_id, 1u);
  EXPECT_EQ(data.checkpoint_lsn, 0u);
  EXPECT_EQ(data.block_size, 8192u);
  EXPECT_EQ(data.wal_segment_size, 16u * 1024 * 1024);
  EXPECT_EQ(data.data_checksum_version, kDataChecksumVersion);
  EXPECT_EQ(NewControlFile(false).data_checksum_version, 0u);

  // The nonce is random: two fresh files differ (probability of a clash is 2^-256).
  ControlFileData other = NewControlFile(true);
  EXPECT_NE(std::memcmp(data.mock_auth_nonce, other.mock_auth_nonce, kMockAuthNonceLength), 0);
}

TEST_F(ControlFileTest, RoundTrip) {
  ControlFileData data = NewControlFile(false);
  data.state = ClusterState::kInProduction;
  data.checkpoint_lsn = 0x123456789ABCull;
  data.redo_lsn = 0x123456789A00ull;
  data.checkpoint_time = 1700000000;
  data.next_xid = (1ull << 40) + 7;  // beyond 32 bits: xids are 64-bit
  data.next_oid = 99999;
  data.timeline_id = 3;
  time_t before = ::time(nullptr);
  WriteControlFile(dir_, data);

  EXPECT_EQ(fs::file_size(ControlPath()), kControlFileSize);
  struct stat st;
  ASSERT_EQ(::stat(ControlPath().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_FALSE(fs::exists(ControlPath() + ".tmp"));

  ControlFileData read = ReadControlFile(dir_);
  ExpectSameContents(read, data);
  EXPECT_GE(read.time, before);
  EXPECT_EQ(read.crc, ComputeControlFileCrc(read));

  // A second write replaces the first.
  data.state = ClusterState::kShutDown;
  data.next_xid += 1000;
  WriteControlFile(dir_, data);
  read = ReadControlFile(dir_);
  EXPECT_EQ(read.state, ClusterState::kShutDown);
  EXPECT_EQ(read.next_xid, data.next_xid);
}

TEST_F(ControlFileTest, EveryFlippedBitIsDetected) {
  WriteControlFile(dir_, NewControlFile(true));
  const std::string good = ReadBytes();
  ASSERT_EQ(good.size(), kControlFileSize);
  for (size_t byte = 0; byte < good.size(); ++byte) {
    for (int bit = 0; bit < 8; ++bit) {
      std::string bad = good;
      bad[byte] = static_cast<char>(bad[byte] ^ (1 << bit));
      WriteBytes(bad);
      Error e = ReadExpectingError();
      if (byte >= 2 * sizeof(uint32_t)) {
        // Past magic and version, the CRC is what catches it (C2).
        EXPECT_EQ(e.sqlstate(), sqlstate::kDataCorrupted) << "byte " << byte << " bit " << bit;
        EXPECT_EQ(e.message(),
                  "incorrect checksum in control file");
      } else {
        EXPECT_EQ(e.message(), "database files are incompatible with server");
      }
    }
  }
  // Inspection still reads the record and reports the mismatch.
  std::string bad = good;
  bad[100] ^= 1;
  WriteBytes(bad);
  bool crc_ok = true;
  (void)ReadControlFileForInspection(dir_, &crc_ok);
  EXPECT_FALSE(crc_ok);
  WriteBytes(good);
  (void)ReadControlFileForInspection(dir_, &crc_ok);
  EXPECT_TRUE(crc_ok);
  EXPECT_NO_THROW((void)ReadControlFile(dir_));
}

TEST_F(ControlFileTest, TruncatedOrExtendedFileIsDetected) {
  WriteControlFile(dir_, NewControlFile(true));
  const std::string good = ReadBytes();
  for (size_t size : {size_t{0}, size_t{4}, size_t{8}, size_t{100}, kControlFileSize - 1}) {
    WriteBytes(good.substr(0, size));
    Error e = ReadExpectingError();
    EXPECT_EQ(e.message(), "database files are incompatible with server") << size;
    EXPECT_NE(e.detail().find("is " + std::to_string(size) + " bytes long"), std::string::npos)
        << e.detail();
    EXPECT_NE(e.detail().find(std::to_string(kControlFileSize)), std::string::npos);
  }
  WriteBytes(good + std::string(8000, '\0'));
  Error e = ReadExpectingError();
  EXPECT_EQ(e.message(), "database files are incompatible with server");
  EXPECT_NE(e.detail().find(std::to_string(good.size() + 8000)), std::string::npos) << e.detail();
}

TEST_F(ControlFileTest, MissingFile) {
  Error e = ReadExpectingError();
  EXPECT_EQ(e.sqlstate(), sqlstate::kUndefinedFile);
  EXPECT_EQ(e.message(),
            "could not open file \"" + ControlPath() + "\": No such file or directory");
}

TEST_F(ControlFileTest, VersionMismatchNamesBothVersions) {
  ControlFileData data = NewControlFile(true);
  data.format_version = kControlFileVersion + 41;
  WriteRecordWithValidCrc(data);
  Error e = ReadExpectingError();
  EXPECT_EQ(e.message(), "database files are incompatible with server");
  EXPECT_EQ(e.detail(), "The database cluster was initialized with control file version " +
                            std::to_string(kControlFileVersion + 41) +
                            ", but the server was compiled with control file version " +
                            std::to_string(kControlFileVersion) + ".");
  EXPECT_FALSE(e.hint().empty());

  // A different version may have a different size; the version is still what is reported.
  WriteBytes(ReadBytes().substr(0, 40));
  e = ReadExpectingError();
  EXPECT_NE(e.detail().find("control file version"), std::string::npos) << e.detail();
}

// A cluster made before the catalogs and the two-phase formats changed (catalog version 1)
// gets the clean refusal, not a failure somewhere in the catalogs later.
TEST_F(ControlFileTest, ClusterOfAnEarlierCatalogVersionIsRefused) {
  constexpr uint32_t kBeforeTwoPhaseFormatChange = 1;
  ControlFileData data = NewControlFile(true);
  data.catalog_version = kBeforeTwoPhaseFormatChange;
  WriteRecordWithValidCrc(data);
  Error e = ReadExpectingError();
  EXPECT_EQ(e.message(), "database files are incompatible with server");
  EXPECT_NE(e.detail().find("initialized with catalog version 1,"), std::string::npos)
      << e.detail();
}

TEST_F(ControlFileTest, CatalogVersionAndFormatConstantsAreChecked) {
  ControlFileData data = NewControlFile(true);
  data.catalog_version = kCatalogVersion + 1;
  WriteRecordWithValidCrc(data);
  Error e = ReadExpectingError();
  EXPECT_EQ(e.message(), "database files are incompatible with server");
  EXPECT_NE(e.detail().find("catalog version " + std::to_string(kCatalogVersion + 1)),
            std::string::npos);
  EXPECT_EQ(e.hint(), "It looks like you need to initdb.");
  // Inspection tools can still read it.
  bool crc_ok = false;
  EXPECT_EQ(ReadControlFileForInspection(dir_, &crc_ok).catalog_version, kCatalogVersion + 1);
  EXPECT_TRUE(crc_ok);

  data = NewControlFile(true);
  data.block_size = 16384;
  WriteRecordWithValidCrc(data);
  e = ReadExpectingError();
  EXPECT_EQ(e.detail(),
            "The database cluster was initialized with block size 16384, but the server was "
            "compiled with block size 8192.");

  data = NewControlFile(true);
  data.float_format = 1234567.5;
  WriteRecordWithValidCrc(data);
  e = ReadExpectingError();
  EXPECT_NE(e.detail().find("floating-point"), std::string::npos);
}

TEST_F(ControlFileTest, WrongMagicAndByteOrder) {
  ControlFileData data = NewControlFile(true);
  data.magic = 0x12345678;
  WriteRecordWithValidCrc(data);
  Error e = ReadExpectingError();
  EXPECT_EQ(e.message(), "database files are incompatible with server");
  EXPECT_NE(e.detail().find("0x12345678"), std::string::npos) << e.detail();

  data = NewControlFile(true);
  data.magic = __builtin_bswap32(kControlFileMagic);
  data.format_version = __builtin_bswap32(kControlFileVersion);
  WriteRecordWithValidCrc(data);
  e = ReadExpectingError();
  EXPECT_NE(e.hint().find("byte ordering"), std::string::npos) << e.hint();
}

TEST_F(ControlFileTest, FailedTemporaryFileLeavesOldFile) {
  ControlFileData old_data = NewControlFile(true);
  old_data.next_oid = 11111;
  WriteControlFile(dir_, old_data);
  const std::string old_bytes = ReadBytes();

  // Root ignores directory permissions, so block the temporary file by putting a directory
  // where it must be created: open() fails whoever we are.
  fs::create_directory(ControlPath() + ".tmp");
  ControlFileData new_data = old_data;
  new_data.next_oid = 22222;
  try {
    WriteControlFile(dir_, new_data);
    ADD_FAILURE() << "WriteControlFile did not throw";
  } catch (const Error& e) {
    EXPECT_EQ(e.message(), "could not open file \"" + ControlPath() + ".tmp\": Is a directory");
  }
  EXPECT_EQ(ReadBytes(), old_bytes);
  EXPECT_EQ(ReadControlFile(dir_).next_oid, 11111u);
  fs::remove(ControlPath() + ".tmp");

  // A leftover temporary file from an earlier crash is simply overwritten.
  {
    std::ofstream junk(ControlPath() + ".tmp");
    junk << std::string(5000, 'x');
  }
  WriteControlFile(dir_, new_data);
  EXPECT_EQ(ReadControlFile(dir_).next_oid, 22222u);
  EXPECT_FALSE(fs::exists(ControlPath() + ".tmp"));
}

TEST_F(ControlFileTest, ShortWriteLeavesOldFile) {
#ifdef KEEL_DEBUG
  ControlFileData old_data = NewControlFile(true);
  old_data.next_oid = 11111;
  WriteControlFile(dir_, old_data);
  const std::string old_bytes = ReadBytes();

  ControlFileData new_data = old_data;
  new_data.next_oid = 33333;
  TestOnlyFailNextControlFileWrite(50);
  try {
    WriteControlFile(dir_, new_data);
    ADD_FAILURE() << "WriteControlFile did not throw";
  } catch (const Error& e) {
    EXPECT_EQ(e.message(), "could not write to file \"" + ControlPath() +
                               ".tmp\": No space left on device");
    EXPECT_EQ(e.sqlstate(), sqlstate::kDiskFull);
  }
  EXPECT_EQ(ReadBytes(), old_bytes);
  EXPECT_FALSE(fs::exists(ControlPath() + ".tmp"));
  EXPECT_EQ(ReadControlFile(dir_).next_oid, 11111u);

  // The hook is one-shot.
  WriteControlFile(dir_, new_data);
  EXPECT_EQ(ReadControlFile(dir_).next_oid, 33333u);
#else
  GTEST_SKIP() << "TestOnly hooks are compiled out of release builds";
#endif
}

TEST_F(ControlFileTest, MissingGlobalDirectory) {
  fs::remove(dir_ + "/global");
  try {
    WriteControlFile(dir_, NewControlFile(true));
    ADD_FAILURE() << "WriteControlFile did not throw";
  } catch (const Error& e) {
    EXPECT_EQ(e.sqlstate(), sqlstate::kUndefinedFile);
    EXPECT_NE(e.message().find("could not open file"), std::string::npos);
  }
}

TEST(ClusterStateNameTest, Names) {
  EXPECT_STREQ(ClusterStateName(ClusterState::kStartingUp), "starting up");
  EXPECT_STREQ(ClusterStateName(ClusterState::kShutDown), "shut down");
  EXPECT_STREQ(ClusterStateName(ClusterState::kShutDownInRecovery), "shut down in recovery");
  EXPECT_STREQ(ClusterStateName(ClusterState::kShuttingDown), "shutting down");
  EXPECT_STREQ(ClusterStateName(ClusterState::kInCrashRecovery), "in crash recovery");
  EXPECT_STREQ(ClusterStateName(ClusterState::kInArchiveRecovery), "in archive recovery");
  EXPECT_STREQ(ClusterStateName(ClusterState::kInProduction), "in production");
  EXPECT_STREQ(ClusterStateName(static_cast<ClusterState>(77)), "unrecognized status code");
}

}  // namespace
}  // namespace keel::transam
