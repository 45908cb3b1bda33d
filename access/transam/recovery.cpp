// Crash recovery; see recovery.h and README.md (R1-R6).
#include "access/transam/recovery.h"

#include <sys/resource.h>

#include <algorithm>
#include <cstring>
#include <ctime>

#include "access/transam/checkpoint.h"
#include "access/transam/control_file.h"
#include "access/transam/multixact.h"
#include "access/transam/rmgr.h"
#include "access/transam/transam.h"
#include "access/transam/twophase.h"
#include "access/transam/wal.h"
#include "access/transam/wal_reader.h"
#include "access/transam/wal_xlog.h"
#include "backend/utils/error/error.h"
#include "backend/utils/error/format.h"
#include "backend/utils/error/log.h"
#include "backend/utils/init/interrupts.h"
#include "backend/utils/init/paths.h"

namespace keel::transam {
namespace {

std::string TimeText(int64_t epoch_s) {
  time_t t = static_cast<time_t>(epoch_s);
  struct tm tm_utc;
  gmtime_r(&t, &tm_utc);
  char buf[64];
  strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S UTC", &tm_utc);
  return buf;
}

// R1: a cluster that never ran gets segment 1 and a shutdown checkpoint at its first record.
void BootstrapWal(ControlFileData control) {
  const std::string& data_dir = DataDirectory();
  Lsn first = WalFirstRecordLsn();
  TimeLineId timeline = control.timeline_id != 0 ? control.timeline_id : 1;
  if (control.timeline_id == 0) {
    control.timeline_id = timeline;
    WriteControlFile(data_dir, control);
  }
  WalCreateSegment(data_dir, timeline, WalSegmentOf(first));
  WalStartInsertingAt(first, kInvalidLsn, timeline, first);
  CreateCheckpoint(kCheckpointShutdown | kCheckpointImmediate | kCheckpointForce);
  ControlFileData after = ReadControlFile(data_dir);
  after.state = ClusterState::kInProduction;
  WriteControlFile(data_dir, after);
  Log(Severity::kLog, "write-ahead log initialized at %s", LsnToString(first).c_str());
}

CheckpointRecord ReadCheckpoint(const ControlFileData& control, uint8_t* info, Lsn* end) {
  std::string error;
  std::optional<DecodedRecord> record =
      ReadRecordAt(DataDirectory() + "/wal", Lsn(control.checkpoint_lsn), &error);
  bool ok = record && record->rmgr == RmgrId::kXlog &&
            (record->info == kXlogCheckpointShutdown || record->info == kXlogCheckpointOnline) &&
            record->main_data.size() == sizeof(CheckpointRecord);
  if (!ok) {
    // R2: without the checkpoint there is no safe place to start replay.
    throw FatalError(sqlstate::kDataCorrupted, "could not locate a valid checkpoint record")
        .WithDetail(error.empty() ? Format("The record at %s is not a checkpoint.",
                                           LsnToString(Lsn(control.checkpoint_lsn)).c_str())
                                  : error);
  }
  CheckpointRecord checkpoint;
  memcpy(&checkpoint, record->main_data.data(), sizeof(checkpoint));
  *info = record->info;
  *end = record->end_lsn;
  return checkpoint;
}

}  // namespace

void StartupXlog() {
  const std::string& data_dir = DataDirectory();
  ControlFileData control = ReadControlFile(data_dir);
  // X2: the xid generator starts from the control file (a fresh cluster) and is then set
  // from the checkpoint record and advanced past every xid redo meets.
  SetNextTransactionId(
      TransactionId(std::max<uint64_t>(control.next_xid, kFirstNormalTransactionId)));
  SetOldestClogXid(TransactionId(control.oldest_xid));
  SetNextObjectId(Oid(control.next_oid));  // O4
  SetNextMultiXact(MultiXactId(control.next_multi), control.next_multi_offset);  // M5
  if (control.checkpoint_lsn == 0) {
    BootstrapWal(control);
    return;
  }
  uint8_t info = 0;
  Lsn checkpoint_end;
  CheckpointRecord checkpoint = ReadCheckpoint(control, &info, &checkpoint_end);
  Lsn redo(checkpoint.redo_lsn);
  Lsn checkpoint_lsn(control.checkpoint_lsn);
  SetNextTransactionId(TransactionId(checkpoint.next_xid));  // X2
  SetNextObjectId(Oid(checkpoint.next_oid));  // O4: NEXTOID records after the redo pointer follow
  SetNextMultiXact(MultiXactId(checkpoint.next_multi), checkpoint.next_multi_offset);  // M5

  // R3: a clean stop leaves a shutdown checkpoint whose redo pointer is itself: nothing to do.
  bool clean = control.state == ClusterState::kShutDown && info == kXlogCheckpointShutdown &&
               redo == checkpoint_lsn;
  if (clean) {
    WalStartInsertingAt(checkpoint_end, checkpoint_lsn, checkpoint.timeline, redo);
    RestorePreparedTransactions();  // T7
    control.state = ClusterState::kInProduction;
    WriteControlFile(data_dir, control);
    return;
  }

  if (control.state == ClusterState::kInCrashRecovery) {
    Log(Severity::kLog,
        "database system was interrupted while in recovery at %s", TimeText(control.time).c_str());
  } else {
    Log(Severity::kLog, "database system was interrupted; last known up at %s",
        TimeText(control.time).c_str());
  }
  Log(Severity::kLog, "database system was not properly shut down; automatic recovery in progress");
  control.state = ClusterState::kInCrashRecovery;
  WriteControlFile(data_dir, control);

  // R4: replay every valid record from the redo pointer, in order, in this one process.
  WalReader reader(data_dir + "/wal", redo);
  uint64_t replayed = 0;
  Lsn last_lsn;
  while (std::optional<DecodedRecord> record = reader.Next()) {
    if (replayed == 0) Log(Severity::kLog, "redo starts at %s", LsnToString(record->lsn).c_str());
    const RmgrOps* ops = GetRmgr(record->rmgr);
    if (ops == nullptr || ops->redo == nullptr) {
      throw FatalError(sqlstate::kDataCorrupted,
                       Format("resource manager with ID %d not registered at %s",
                              static_cast<int>(record->rmgr), LsnToString(record->lsn).c_str()));
    }
    if (TransactionIdIsValid(record->xid)) AdvanceNextTransactionIdPast(record->xid);  // X2
    ops->redo(*record);
    last_lsn = record->lsn;
    ++replayed;
    if ((replayed & 1023) == 0) CheckForInterrupts(/*cancel_allowed=*/false);
  }
  // R5: the first invalid record ends the log; why is worth a LOG line, not an error.
  if (!reader.error().empty()) Log(Severity::kLog, "%s", reader.error().c_str());
  if (replayed > 0) {
    struct rusage usage;
    getrusage(RUSAGE_SELF, &usage);
    Log(Severity::kLog, "redo done at %s system usage: CPU: user: %ld.%02ld s, system: %ld.%02ld s",
        LsnToString(last_lsn).c_str(), static_cast<long>(usage.ru_utime.tv_sec),
        static_cast<long>(usage.ru_utime.tv_usec / 10000), static_cast<long>(usage.ru_stime.tv_sec),
        static_cast<long>(usage.ru_stime.tv_usec / 10000));
  } else {
    Log(Severity::kLog, "redo is not required");
  }
  Lsn end = reader.EndOfValidWal();
  if (end < checkpoint_end) {
    end = checkpoint_end;
    last_lsn = checkpoint_lsn;
  }
  WalStartInsertingAt(end, last_lsn.valid() ? last_lsn : checkpoint_lsn, checkpoint.timeline, redo);
  // T7: before the checkpoint, whose horizon must already count the prepared xids.
  RestorePreparedTransactions();
  // R6: everything replayed is made durable by a checkpoint before anyone connects, so the
  // next crash does not replay it again.
  CreateCheckpoint(kCheckpointEndOfRecovery | kCheckpointImmediate | kCheckpointForce);
}

}  // namespace keel::transam
