// keel-controldata: prints every field of global/control in pg_controldata's layout.
// See bin/README.md and access/transam/README.md (the control file format).
#include <getopt.h>

#include <cstdio>
#include <ctime>
#include <optional>
#include <string>

#include "access/transam/control_file.h"
#include "backend/utils/error/error.h"
#include "bin/common/tool_output.h"
#include "bin/common/tool_support.h"

namespace {

namespace transam = keel::transam;

void PrintUsage() {
  printf(
      "keel-controldata displays control information of a Keel database cluster.\n"
      "\n"
      "Usage:\n"
      "  keel-controldata [OPTION] [DATADIR]\n"
      "\n"
      "Options:\n"
      " [-D, --pgdata=]DATADIR  data directory\n"
      "  -V, --version          output version information, then exit\n"
      "  -?, --help             show this help, then exit\n"
      "\n"
      "If no data directory (DATADIR) is specified, the environment variable KEELDATA\n"
      "is used.\n");
}

// pg_controldata's "%c" in the C locale, in local time.
std::string FormatTime(int64_t seconds) {
  time_t t = static_cast<time_t>(seconds);
  struct tm tm_value;
  char buffer[128];
  if (localtime_r(&t, &tm_value) == nullptr ||
      strftime(buffer, sizeof(buffer), "%a %b %e %H:%M:%S %Y", &tm_value) == 0) {
    return "???";
  }
  return buffer;
}

std::string FormatLsn(uint64_t lsn) {
  char buffer[32];
  snprintf(buffer, sizeof(buffer), "%X/%X", static_cast<unsigned>(lsn >> 32),
           static_cast<unsigned>(lsn));
  return buffer;
}

// One "label:   value" line; values start in column 39 as in pg_controldata.
void Field(const char* label, const std::string& value) {
  printf("%-38s%s\n", label, value.c_str());
}
void Field(const char* label, unsigned long long value) { Field(label, std::to_string(value)); }

void PrintControlFile(const transam::ControlFileData& data) {
  Field("Control file version number:", data.format_version);
  Field("Catalog version number:", data.catalog_version);
  Field("Database system identifier:", static_cast<unsigned long long>(data.system_identifier));
  Field("Database cluster state:", transam::ClusterStateName(data.state));
  Field("Control file last modified:", FormatTime(data.time));
  Field("Latest checkpoint location:", FormatLsn(data.checkpoint_lsn));
  Field("Latest checkpoint's REDO location:", FormatLsn(data.redo_lsn));
  Field("Latest checkpoint's TimeLineID:", data.timeline_id);
  Field("Latest checkpoint's PrevTimeLineID:", data.prev_timeline_id);
  Field("Latest checkpoint's full_page_writes:", data.full_page_writes != 0 ? "on" : "off");
  Field("Latest checkpoint's NextXID:", static_cast<unsigned long long>(data.next_xid));
  Field("Latest checkpoint's NextOID:", data.next_oid);
  Field("Latest checkpoint's NextMultiXactId:", static_cast<unsigned long long>(data.next_multi));
  Field("Latest checkpoint's NextMultiOffset:",
        static_cast<unsigned long long>(data.next_multi_offset));
  Field("Latest checkpoint's oldestXID:", static_cast<unsigned long long>(data.oldest_xid));
  Field("Time of latest checkpoint:", FormatTime(data.checkpoint_time));
  Field("Minimum recovery ending location:", FormatLsn(data.min_recovery_lsn));
  Field("Min recovery ending loc's timeline:", data.min_recovery_timeline);
  Field("Database block size:", data.block_size);
  Field("Blocks per segment of large relation:", data.relation_segment_blocks);
  Field("WAL block size:", data.wal_block_size);
  Field("Bytes per WAL segment:", data.wal_segment_size);
  Field("Maximum length of identifiers:", data.max_identifier_length);
  Field("Float8 format check:", data.float_format == transam::kFloatFormat ? "ok" : "mismatch");
  Field("Data page checksum version:", data.data_checksum_version);
  std::string nonce;
  for (uint8_t byte : data.mock_auth_nonce) {
    char hex[3];
    snprintf(hex, sizeof(hex), "%02x", byte);
    nonce += hex;
  }
  Field("Mock authentication nonce:", nonce);
}

}  // namespace

int main(int argc, char** argv) {
  keel::tools::SetProgramName("keel-controldata");
  if (std::optional<int> done = keel::tools::HandleHelpOrVersion(argc, argv, PrintUsage)) {
    return *done;
  }
  static const struct option kLongOptions[] = {
      {"pgdata", required_argument, nullptr, 'D'},
      {nullptr, 0, nullptr, 0},
  };
  const char* data_dir_option = nullptr;
  int c;
  while ((c = getopt_long(argc, argv, "D:", kLongOptions, nullptr)) != -1) {
    if (c == 'D') {
      data_dir_option = optarg;
    } else {
      keel::tools::PrintTryHelpHint();
      return 1;
    }
  }
  if (!keel::tools::TakeDataDirArgument(argc, argv, &data_dir_option)) return 1;
  std::optional<std::string> data_dir = keel::tools::DataDirFromOptionOrEnv(data_dir_option);
  if (!data_dir) {
    keel::tools::PrintError("no data directory specified");
    keel::tools::PrintTryHelpHint();
    return 1;
  }

  transam::ControlFileData data;
  bool crc_ok = false;
  try {
    data = transam::ReadControlFileForInspection(*data_dir, &crc_ok);
  } catch (const keel::Error& e) {
    keel::tools::PrintErrorReport(e);
    return 1;
  }
  if (!crc_ok) {
    printf("WARNING: Calculated CRC checksum does not match value stored in file.\n"
           "Either the file is corrupt, or it has a different layout than this program\n"
           "is expecting.  The results below are untrustworthy.\n\n");
  }
  PrintControlFile(data);
  return 0;
}
