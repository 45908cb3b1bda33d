// Runs keel-controldata against clusters made by keel-initdb (bin/README.md).
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "access/transam/control_file.h"
#include "bin/common/tool_test_fixture.h"
#include "tests/support/files.h"
#include "tests/support/run_program.h"

namespace keel {
namespace {

using keel::testing::EnvChanges;
using keel::testing::ProgramResult;
using keel::testing::ReadWholeFile;
using keel::testing::WriteWholeFile;

class ControldataTest : public tools::DataDirTest {
 protected:
  static ProgramResult Controldata(std::vector<std::string> args, const EnvChanges& env = {}) {
    return tools::RunTool("keel-controldata", std::move(args), env);
  }
};

TEST_F(ControldataTest, PrintsFreshClusterAsShutDown) {
  ProgramResult r = Controldata({"-D", data_});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err, "");
  EXPECT_NE(r.out.find("\nDatabase cluster state:               shut down\n"), std::string::npos)
      << r.out;
  transam::ControlFileData control = transam::ReadControlFile(data_);
  EXPECT_NE(r.out.find("\nDatabase system identifier:           " +
                       std::to_string(control.system_identifier) + "\n"),
            std::string::npos)
      << r.out;
  EXPECT_EQ(r.out.rfind("Control file version number:          " +
                            std::to_string(transam::kControlFileVersion) + "\n",
                        0),
            0u)
      << r.out;
  // keel-initdb's catalog bootstrap ran a server: its shutdown checkpoint is the latest (redo
  // pointer = the record itself), and its transactions used xids from 3 on.
  auto value_of = [&r](const std::string& label) {
    size_t at = r.out.find("\n" + label);
    if (at == std::string::npos) return std::string();
    at += 1 + label.size();
    return r.out.substr(at, r.out.find('\n', at) - at);
  };
  const std::string checkpoint = value_of("Latest checkpoint location:           ");
  EXPECT_NE(checkpoint, "");
  EXPECT_NE(checkpoint, "0/0");
  EXPECT_EQ(value_of("Latest checkpoint's REDO location:    "), checkpoint);
  EXPECT_GT(std::stoll(value_of("Latest checkpoint's NextXID:          ")), 3) << r.out;
  for (const char* line :
       {"\nLatest checkpoint's TimeLineID:       1\n",
        "\nLatest checkpoint's NextOID:          16384\n",
        "\nDatabase block size:                  8192\n",
        "\nBlocks per segment of large relation: 131072\n",
        "\nBytes per WAL segment:                16777216\n",
        "\nData page checksum version:           1\n"}) {
    EXPECT_NE(r.out.find(line), std::string::npos) << line << r.out;
  }
  std::string nonce_line = "\nMock authentication nonce:            ";
  size_t at = r.out.find(nonce_line);
  ASSERT_NE(at, std::string::npos);
  EXPECT_EQ(r.out.find('\n', at + 1) - (at + nonce_line.size()), 2 * transam::kMockAuthNonceLength);
}

TEST_F(ControldataTest, DataDirectoryAsArgumentOrEnvironment) {
  ProgramResult by_arg = Controldata({data_});
  ASSERT_EQ(by_arg.exit_code, 0) << by_arg.err;
  ProgramResult by_env = Controldata({}, {{"KEELDATA", data_}});
  ASSERT_EQ(by_env.exit_code, 0) << by_env.err;
  EXPECT_EQ(by_arg.out, by_env.out);

  ProgramResult none = Controldata({});
  EXPECT_EQ(none.exit_code, 1);
  EXPECT_EQ(none.err, "keel-controldata: error: no data directory specified\n"
                      "keel-controldata: hint: Try \"keel-controldata --help\" for more "
                      "information.\n");
}

// bin/README.md T4, T5: the help and version forms, and arguments beyond the data directory.
TEST_F(ControldataTest, HelpVersionAndExtraArguments) {
  for (const char* help : {"--help", "-?"}) {
    ProgramResult r = Controldata({help});
    EXPECT_EQ(r.exit_code, 0) << help;
    EXPECT_EQ(r.out.rfind("keel-controldata displays control information", 0), 0u) << r.out;
  }
  for (const char* version : {"--version", "-V"}) {
    ProgramResult r = Controldata({version});
    EXPECT_EQ(r.exit_code, 0) << version;
    EXPECT_EQ(r.out.rfind("keel-controldata (Keel) ", 0), 0u) << r.out;
  }
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{data_, "extra"}, {"-D", data_, "extra"}}) {
    ProgramResult r = Controldata(args);
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_EQ(r.err, "keel-controldata: error: too many command-line arguments (first is "
                     "\"extra\")\n"
                     "keel-controldata: hint: Try \"keel-controldata --help\" for more "
                     "information.\n");
    EXPECT_EQ(r.out, "");
  }
}

TEST_F(ControldataTest, ReportsStateChanges) {
  transam::ControlFileData control = transam::ReadControlFile(data_);
  control.state = transam::ClusterState::kInProduction;
  control.checkpoint_lsn = 0x1000028;
  transam::WriteControlFile(data_, control);
  ProgramResult r = Controldata({data_});
  ASSERT_EQ(r.exit_code, 0);
  EXPECT_NE(r.out.find("Database cluster state:               in production\n"),
            std::string::npos);
  EXPECT_NE(r.out.find("Latest checkpoint location:           0/1000028\n"), std::string::npos);
}

TEST_F(ControldataTest, WarnsOnCrcMismatchButPrints) {
  std::string path = data_ + "/global/control";
  std::string bytes = ReadWholeFile(path).value_or("");
  ASSERT_EQ(bytes.size(), transam::kControlFileSize);
  bytes[60] ^= 0x10;
  ASSERT_TRUE(WriteWholeFile(path, bytes));
  ProgramResult r = Controldata({data_});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.out.rfind("WARNING: Calculated CRC checksum does not match value stored in file.\n",
                        0),
            0u)
      << r.out;
  EXPECT_NE(r.out.find("Database cluster state:"), std::string::npos);
}

TEST_F(ControldataTest, FailsOnMissingOrTruncatedFile) {
  ProgramResult r = Controldata({tmp_.path() + "/nope"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, "keel-controldata: error: could not open file \"" + tmp_.path() +
                       "/nope/global/control\": No such file or directory\n");

  std::string path = data_ + "/global/control";
  ASSERT_TRUE(WriteWholeFile(path, ReadWholeFile(path).value_or("").substr(0, 20)));
  r = Controldata({data_});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("keel-controldata: error: database files are incompatible with server\n"
                       "keel-controldata: detail: The control file is 20 bytes long"),
            std::string::npos)
      << r.err;
  EXPECT_EQ(r.out, "");
}

}  // namespace
}  // namespace keel
