// Runs keel-waldump on WAL written by the server's WAL code in this process (README.md here).
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <string>
#include <vector>

#include "access/transam/wal.h"
#include "access/transam/wal_reader.h"
#include "access/transam/wal_record.h"
#include "access/transam/wal_test_util.h"
#include "access/transam/wal_xlog.h"
#include "backend/utils/config/settings.h"
#include "bin/common/tool_test_fixture.h"
#include "bin/waldump/waldump.h"
#include "storage/page/page.h"

namespace keel {
namespace {

using keel::testing::ProgramResult;
using transam::testing::InsertTestRecord;
using transam::testing::Pattern;

const RelFileLocator kRel{Oid(1663), Oid(5), Oid(16384)};

class WaldumpTest : public ::testing::Test {
 protected:
  void SetUp() override {
    settings::fsync = false;
    settings::wal_compression = settings::WalCompression::kOff;
    tools::RegisterWaldumpRmgrs();
    cluster_.StartFresh();
    ASSERT_EQ(mkdir("base/5", 0700), 0);
    transam::CheckpointRecord c{};
    c.redo_lsn = transam::WalFirstRecordLsn().value();
    c.timeline = 1;
    c.next_oid = 16384;
    c.next_xid = 3;
    c.time_s = 1700000000;
    c.full_page_writes = 1;
    {
      transam::WalRecordBuilder b;
      b.RegisterData(&c, sizeof(c));
      ends_.push_back(b.Insert(transam::RmgrId::kXlog, transam::kXlogCheckpointShutdown));
    }
    transam::LogAndCreateRelationFork(kRel, ForkNumber::kMain);
    ends_.push_back(transam::WalInsertPosition());
    alignas(4096) std::byte page[kBlockSize];
    storage::PageInit(page, 0);
    storage::GetPageHeader(page)->upper = 8000;  // 8000 - 32 bytes of hole
    ends_.push_back(transam::LogNewPage(kRel, ForkNumber::kFsm, BlockNumber(3), page, true));
    ends_.push_back(InsertTestRecord(Pattern(10, 1), 0, TransactionId(42)));
    transam::WalFlush(ends_.back());
    records_ = transam::testing::ReadAll().records;
    ASSERT_EQ(records_.size(), 4u);
    wal_dir_ = cluster_.dir() + "/wal";
  }

  ProgramResult Waldump(std::vector<std::string> args) {
    return tools::RunTool("keel-waldump", std::move(args));
  }

  std::string Lsn(size_t i) const { return transam::LsnToString(records_[i].lsn); }

  transam::testing::WalTestCluster cluster_;
  std::vector<keel::Lsn> ends_;
  std::vector<transam::DecodedRecord> records_;
  std::string wal_dir_;
};

TEST_F(WaldumpTest, PrintsRecordsAsPgWaldumpDoes) {
  const ProgramResult r = Waldump({"-p", wal_dir_});
  EXPECT_EQ(r.exit_code, 1);  // as pg_waldump: the end of the log is reported as an error
  const std::string end = transam::LsnToString(records_[3].end_lsn);
  EXPECT_EQ(r.err, "keel-waldump: error: error in WAL record at " + Lsn(3) +
                       ": invalid record length at " + end + ": wanted 28, got 0\n");
  const std::string expected =
      "rmgr: XLOG        len (rec/tot):     86/    86, tx:          0, lsn: 0/01000028, "
      "prev 0/00000000, desc: CHECKPOINT_SHUTDOWN redo 0/1000028; tli 1; fpw true; xid 3; "
      "oid 16384; multi 0; offset 0; time 1700000000; shutdown\n"
      "rmgr: Storage     len (rec/tot):     46/    46, tx:          0, lsn: 0/01000080, "
      "prev 0/01000028, desc: CREATE base/5/16384\n"
      "rmgr: XLOG        len (rec/tot):     56/   280, tx:          0, lsn: 0/010000B0, "
      "prev 0/01000080, desc: FPI , blkref #0: rel 1663/5/16384 fork fsm blk 3 FPW\n"
      "rmgr: Test        len (rec/tot):     40/    40, tx:         42, lsn: 0/010001C8, "
      "prev 0/010000B0, desc: TEST len 10\n";
  EXPECT_EQ(r.out, expected);
}

TEST_F(WaldumpTest, LimitsStartEndAndResourceManagerFilter) {
  ProgramResult r = Waldump({"-p", wal_dir_, "-n", "2"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 2);
  r = Waldump({"--path", wal_dir_, "-s", Lsn(1), "-e", Lsn(3)});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err, "");
  EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 2);
  EXPECT_EQ(r.out.find("rmgr: Storage"), 0u) << r.out;
  r = Waldump({"-p", wal_dir_, "-r", "storage"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 1);
  EXPECT_NE(r.out.find("desc: CREATE base/5/16384"), std::string::npos) << r.out;
  // -D names the data directory.
  r = Waldump({"-D", cluster_.dir(), "-n", "1"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("CHECKPOINT_SHUTDOWN"), std::string::npos);
}

TEST_F(WaldumpTest, Statistics) {
  const ProgramResult r = Waldump({"-p", wal_dir_, "--stats"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.out.find("Type "), 0u) << r.out;
  for (const char* needle : {"\nXLOG ", "\nStorage ", "\nTest ", "\nTotal "}) {
    EXPECT_NE(r.out.find(needle), std::string::npos) << needle << "\n" << r.out;
  }
  // 4 records, 224 bytes of image among 70 + 46 + 280 + 40 = 436.
  EXPECT_NE(r.out.find("Total                                          4"), std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find(" 224 "), std::string::npos) << r.out;
}

TEST_F(WaldumpTest, BadArguments) {
  ProgramResult r = Waldump({"-r", "list"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.out, "XLOG\nStorage\nCLOG\nCommitTs\nTransaction\nHeap\nHeap2\nMultiXact\nBtree\nDatabase\nTest\n");
  r = Waldump({"-p", wal_dir_, "-r", "bogus"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, "keel-waldump: error: resource manager \"bogus\" does not exist\n");
  r = Waldump({"-p", wal_dir_, "-s", "zz"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, "keel-waldump: error: invalid WAL location: \"zz\"\n");
  r = Waldump({"-p", wal_dir_, "-n", "-3"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, "keel-waldump: error: invalid value \"-3\" for option -n/--limit\n");
  r = Waldump({"-p", cluster_.dir() + "/nope"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("could not open directory"), std::string::npos) << r.err;
  r = Waldump({});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("no WAL directory specified"), std::string::npos) << r.err;
  r = Waldump({"--help"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_NE(r.out.find("Usage:"), std::string::npos);
}

TEST_F(WaldumpTest, FormatRecordShowsUnknownInfo) {
  transam::DecodedRecord rec = records_[0];
  rec.info = 0x70;
  const std::string line = tools::FormatRecord(rec);
  EXPECT_EQ(line.substr(line.find("desc:")), "desc: UNKNOWN (70) ") << line;
}

}  // namespace
}  // namespace keel
