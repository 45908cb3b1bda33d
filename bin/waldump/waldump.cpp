// keel-waldump: record lines, statistics and the read loop. See waldump.h.
#include "bin/waldump/waldump.h"

#include <dirent.h>
#include <strings.h>

#include <cinttypes>
#include <cstring>
#include <map>
#include <vector>

#include "access/heap/heapam.h"
#include "access/nbtree/nbtree.h"
#include "access/transam/clog.h"
#include "access/transam/multixact.h"
#include "access/transam/wal.h"
#include "access/transam/wal_xlog.h"
#include "access/transam/xact.h"
#include "backend/utils/error/format.h"
#include "bin/common/tool_output.h"
#include "storage/smgr/database_dir.h"

namespace keel::tools {
namespace {

namespace transam = keel::transam;

// pg_waldump's "%X/%08X".
std::string LsnPadded(Lsn lsn) {
  return Format("%X/%08X", static_cast<unsigned>(lsn.value() >> 32),
                static_cast<unsigned>(lsn.value() & 0xFFFFFFFFu));
}

const char* ForkName(ForkNumber fork) {
  switch (fork) {
    case ForkNumber::kMain: return "main";
    case ForkNumber::kFsm: return "fsm";
    case ForkNumber::kVisibilityMap: return "vm";
    case ForkNumber::kInit: return "init";
  }
  return "?";
}

std::string TestDescribe(const transam::DecodedRecord& record) {
  return Format("len %zu", record.main_data.size());
}
const char* TestIdentify(uint8_t info) { return info == 0 ? "TEST" : nullptr; }

// The first record of the oldest segment in `wal_dir`.
std::optional<Lsn> OldestSegmentStart(const std::string& wal_dir) {
  DIR* d = opendir(wal_dir.c_str());
  if (d == nullptr) return std::nullopt;
  std::optional<uint64_t> oldest;
  while (dirent* entry = readdir(d)) {
    const char* name = entry->d_name;
    if (strlen(name) != 24 || strspn(name, "0123456789ABCDEF") != 24) continue;
    const uint64_t segno = strtoull(name + 8, nullptr, 16);
    if (!oldest || segno < *oldest) oldest = segno;
  }
  closedir(d);
  if (!oldest) return std::nullopt;
  // 40 = the long page header every segment starts with.
  return Lsn(*oldest * transam::kWalSegmentSize + 40);
}

struct RmgrStats {
  uint64_t count = 0;
  uint64_t record_bytes = 0;   // total length without images
  uint64_t fpi_bytes = 0;
  uint64_t fpi_count = 0;
};

double Percent(uint64_t part, uint64_t whole) {
  return whole == 0 ? 0.0 : 100.0 * static_cast<double>(part) / static_cast<double>(whole);
}

void PrintStats(const std::map<int, RmgrStats>& stats, FILE* out) {
  RmgrStats total;
  for (const auto& [id, s] : stats) {
    total.count += s.count;
    total.record_bytes += s.record_bytes;
    total.fpi_bytes += s.fpi_bytes;
  }
  const uint64_t combined = total.record_bytes + total.fpi_bytes;
  fprintf(out, "%-27s %20s %8s %20s %8s %20s %8s %20s %8s\n", "Type", "N", "(%)", "Record size",
          "(%)", "FPI size", "(%)", "Combined size", "(%)");
  fprintf(out, "%-27s %20s %8s %20s %8s %20s %8s %20s %8s\n", "----", "-", "---", "-----------",
          "---", "--------", "---", "-------------", "---");
  for (const auto& [id, s] : stats) {
    const transam::RmgrOps* ops = transam::GetRmgr(static_cast<transam::RmgrId>(id));
    fprintf(out,
            "%-27s %20" PRIu64 " (%6.02f) %20" PRIu64 " (%6.02f) %20" PRIu64 " (%6.02f) %20" PRIu64
            " (%6.02f)\n",
            ops != nullptr ? ops->name : "?", s.count, Percent(s.count, total.count),
            s.record_bytes, Percent(s.record_bytes, total.record_bytes), s.fpi_bytes,
            Percent(s.fpi_bytes, total.fpi_bytes), s.record_bytes + s.fpi_bytes,
            Percent(s.record_bytes + s.fpi_bytes, combined));
  }
  fprintf(out, "%-27s %20s %8s %20s %8s %20s %8s %20s %8s\n", "", "--------", "", "--------", "",
          "--------", "", "--------", "");
  fprintf(out,
          "%-27s %20" PRIu64 " %-8s %20" PRIu64 " %-8s %20" PRIu64 " %-8s %20" PRIu64 " %-8s\n",
          "Total", total.count, "", total.record_bytes,
          Format("[%.02f%%]", Percent(total.record_bytes, combined)).c_str(), total.fpi_bytes,
          Format("[%.02f%%]", Percent(total.fpi_bytes, combined)).c_str(), combined, "[100%]");
}

// Bytes of full-page images in the record as stored.
uint64_t StoredImageBytes(const transam::DecodedRecord& record) {
  uint64_t bytes = 0;
  for (const transam::DecodedBlockRef& b : record.blocks) bytes += b.image_stored_bytes;
  return bytes;
}

}  // namespace

void RegisterWaldumpRmgrs() {
  transam::RegisterBuiltinRmgrs();
  transam::RegisterClogRmgrs();  // commit log and commit timestamps
  transam::RegisterXactRmgr();   // commit, abort, prepare
  transam::RegisterMultiXactRmgr();  // multixact creation
  access::RegisterHeapRmgrs();   // heap changes, pruning, vacuum
  access::nbtree::RegisterBtreeRmgr();  // B+tree indexes
  storage::RegisterDatabaseRmgr();       // CREATE DATABASE's directory copy
  if (transam::GetRmgr(transam::RmgrId::kTest) == nullptr) {
    transam::RegisterRmgr(transam::RmgrId::kTest,
                          transam::RmgrOps{"Test", nullptr, TestDescribe, TestIdentify});
  }
}

std::string FormatRecord(const transam::DecodedRecord& record) {
  const transam::RmgrOps* ops = transam::GetRmgr(record.rmgr);
  const uint64_t fpi = StoredImageBytes(record);
  std::string line = Format(
      "rmgr: %-11s len (rec/tot): %6" PRIu64 "/%6u, tx: %10" PRIu64 ", lsn: %s, prev %s, ",
      ops != nullptr ? ops->name : "?", record.total_length - fpi, record.total_length,
      record.xid.value(), LsnPadded(record.lsn).c_str(), LsnPadded(record.prev_lsn).c_str());
  const char* id = ops != nullptr && ops->identify != nullptr ? ops->identify(record.info) : nullptr;
  line += id != nullptr ? Format("desc: %s ", id) : Format("desc: UNKNOWN (%x) ", record.info);
  if (ops != nullptr && ops->describe != nullptr) line += ops->describe(record);
  for (const transam::DecodedBlockRef& b : record.blocks) {
    line += Format(", blkref #%u: rel %u/%u/%u", b.block_id, b.rel.spc.value(), b.rel.db.value(),
                   b.rel.rel.value());
    if (b.fork != ForkNumber::kMain) line += Format(" fork %s", ForkName(b.fork));
    line += Format(" blk %u", b.block.value());
    if (b.has_image) line += " FPW";
  }
  return line;
}

std::optional<transam::RmgrId> RmgrByName(const std::string& name) {
  for (int id = 0; id < transam::kMaxRmgrs; ++id) {
    const transam::RmgrOps* ops = transam::GetRmgr(static_cast<transam::RmgrId>(id));
    if (ops != nullptr && strcasecmp(ops->name, name.c_str()) == 0) {
      return static_cast<transam::RmgrId>(id);
    }
  }
  return std::nullopt;
}

std::string RmgrNames() {
  std::string out;
  for (int id = 0; id < transam::kMaxRmgrs; ++id) {
    const transam::RmgrOps* ops = transam::GetRmgr(static_cast<transam::RmgrId>(id));
    if (ops != nullptr) out += std::string(ops->name) + "\n";
  }
  return out;
}

int RunWaldump(const WaldumpOptions& options, FILE* out) {
  std::optional<Lsn> start = options.start;
  if (!start) start = OldestSegmentStart(options.wal_dir);
  if (!start) {
    PrintError("could not find any WAL file in directory \"%s\"", options.wal_dir.c_str());
    return 1;
  }
  transam::WalReader reader(options.wal_dir, *start);
  std::map<int, RmgrStats> stats;
  long shown = 0;
  Lsn last_start = *start;
  for (;;) {
    if (options.limit >= 0 && shown >= options.limit) break;
    std::optional<transam::DecodedRecord> record = reader.Next();
    if (!record) {
      fflush(out);
      if (options.stats) PrintStats(stats, out);
      PrintError("error in WAL record at %s: %s", transam::LsnToString(last_start).c_str(),
                 reader.error().c_str());
      return 1;
    }
    last_start = record->lsn;
    if (options.end && record->lsn >= *options.end) break;
    if (options.rmgr && record->rmgr != *options.rmgr) continue;
    ++shown;
    if (options.stats) {
      RmgrStats& s = stats[static_cast<int>(record->rmgr)];
      const uint64_t fpi = StoredImageBytes(*record);
      ++s.count;
      s.record_bytes += record->total_length - fpi;
      s.fpi_bytes += fpi;
      continue;
    }
    fprintf(out, "%s\n", FormatRecord(*record).c_str());
  }
  if (options.stats) PrintStats(stats, out);
  return 0;
}

}  // namespace keel::tools
