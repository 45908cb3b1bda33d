// The kXact resource manager: writing, redoing and describing commit, abort and
// subtransaction-abort records, with the storage they remove (pending deletes, D4, D8).
// README.md ("Transactions", X2, X13).
#include <cinttypes>
#include <cstring>
#include <ctime>
#include <string>
#include <vector>

#include "access/transam/clog.h"
#include "access/transam/commit_ts.h"
#include "access/transam/pending_deletes.h"
#include "access/transam/pending_deletes_internal.h"
#include "access/transam/rmgr.h"
#include "access/transam/transam.h"
#include "access/transam/twophase_internal.h"
#include "access/transam/wal_reader.h"
#include "access/transam/wal_record.h"
#include "access/transam/wal_xlog.h"
#include "access/transam/xact.h"
#include "access/transam/xact_internal.h"
#include "backend/utils/error/error.h"
#include "backend/utils/error/format.h"

namespace keel::transam {
namespace {

struct ParsedXact {
  XactRecordHeader header;
  std::vector<TransactionId> xids;
  std::vector<RelFileLocator> rels;
};

[[nodiscard]] bool Parse(const DecodedRecord& record, ParsedXact* out) {
  if (record.main_data.size() < sizeof(XactRecordHeader)) return false;
  std::memcpy(&out->header, record.main_data.data(), sizeof(XactRecordHeader));
  const size_t rest = record.main_data.size() - sizeof(XactRecordHeader);
  const size_t xid_bytes = static_cast<size_t>(out->header.num_xids) * sizeof(uint64_t);
  const size_t rel_bytes = static_cast<size_t>(out->header.num_rels) * sizeof(RelFileLocator);
  if (rest != xid_bytes + rel_bytes) return false;
  const std::byte* p = record.main_data.data() + sizeof(XactRecordHeader);
  out->xids.resize(out->header.num_xids);
  for (uint32_t i = 0; i < out->header.num_xids; ++i) {
    uint64_t value = 0;
    std::memcpy(&value, p + i * sizeof(uint64_t), sizeof(value));
    out->xids[i] = TransactionId(value);
  }
  out->rels.resize(out->header.num_rels);
  if (rel_bytes > 0) std::memcpy(out->rels.data(), p + xid_bytes, rel_bytes);
  return true;
}

void XactRedo(const DecodedRecord& record) {
  if (record.info == kXactPrepare) {
    if (!TransactionIdIsNormal(record.xid)) {
      Panic("invalid prepare record at %s", LsnToString(record.lsn).c_str());
    }
    RedoTwoPhasePrepare(record.xid, record.main_data);  // T6
    return;
  }
  ParsedXact parsed;
  if (!Parse(record, &parsed) || !TransactionIdIsNormal(record.xid)) {
    Panic("invalid transaction record at %s", LsnToString(record.lsn).c_str());
  }
  // X2: the recovery loop advances past the record's xid; the subxids may be higher.
  for (TransactionId xid : parsed.xids) AdvanceNextTransactionIdPast(xid);
  switch (record.info) {
    case kXactCommit:
    case kXactCommitPrepared:
      // X13: subtransactions first, then the top level, as CommitTransaction does. In redo
      // no reader looks at clog yet, so the order only keeps the two paths alike.
      for (TransactionId xid : parsed.xids) {
        TransactionIdSetStatus(xid, XidStatus::kCommitted, kInvalidLsn);
      }
      TransactionIdSetStatus(record.xid, XidStatus::kCommitted, kInvalidLsn);
      if (parsed.header.time_us != 0) {
        for (TransactionId xid : parsed.xids) CommitTsSet(xid, parsed.header.time_us);
        CommitTsSet(record.xid, parsed.header.time_us);
      }
      if (record.info == kXactCommitPrepared) RemoveTwoPhaseStateFile(record.xid);  // T6
      break;
    case kXactAbort:
    case kXactAbortPrepared:
      for (TransactionId xid : parsed.xids) {
        TransactionIdSetStatus(xid, XidStatus::kAborted, kInvalidLsn);
      }
      TransactionIdSetStatus(record.xid, XidStatus::kAborted, kInvalidLsn);
      if (record.info == kXactAbortPrepared) RemoveTwoPhaseStateFile(record.xid);  // T6
      break;
    case kXactAbortSub:
      for (TransactionId xid : parsed.xids) {
        TransactionIdSetStatus(xid, XidStatus::kAborted, kInvalidLsn);
      }
      break;
    default:
      Panic("xact redo: unknown info 0x%02X at %s", record.info, LsnToString(record.lsn).c_str());
  }
  // D8: the storage the record names goes now (after the outcome is in clog, as at run time);
  // what was removed before the crash is simply not there any more.
  DropStorageNow(parsed.rels);
}

const char* XactIdentify(uint8_t info) {
  switch (info) {
    case kXactCommit: return "COMMIT";
    case kXactAbort: return "ABORT";
    case kXactAbortSub: return "ABORT_SUB";
    case kXactPrepare: return "PREPARE";
    case kXactCommitPrepared: return "COMMIT_PREPARED";
    case kXactAbortPrepared: return "ABORT_PREPARED";
    default: return nullptr;
  }
}

std::string TimestampText(int64_t time_us) {
  const time_t secs = static_cast<time_t>(time_us / 1'000'000);
  struct tm tm_utc;
  gmtime_r(&secs, &tm_utc);
  char buf[64];
  strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S", &tm_utc);
  return Format("%s.%06" PRId64 " UTC", buf, time_us % 1'000'000);
}

// As pg_waldump: "2024-05-01 10:00:00.123456 UTC; subxacts: 741 742".
std::string XactDescribe(const DecodedRecord& record) {
  if (record.info == kXactPrepare) return DescribeTwoPhaseState(record.main_data);
  ParsedXact parsed;
  if (!Parse(record, &parsed)) return "(invalid transaction record)";
  std::string text = TimestampText(parsed.header.time_us);
  if (!parsed.xids.empty()) {
    text += record.info == kXactAbortSub ? "; aborted subxacts:" : "; subxacts:";
    for (TransactionId xid : parsed.xids) text += Format(" %" PRIu64, xid.value());
  }
  // As pg_waldump's "; rels: base/5/16384 ..."; database directories in their own list.
  std::string rels;
  std::string dbs;
  for (const RelFileLocator& rel : parsed.rels) {
    (IsDatabaseDirectoryLocator(rel) ? dbs : rels) += " " + PendingDeletePath(rel);
  }
  if (!rels.empty()) text += "; rels:" + rels;
  if (!dbs.empty()) text += "; dbs:" + dbs;
  return text;
}

}  // namespace

Lsn LogXactRecord(uint8_t info, TransactionId top, int64_t time_us,
                  std::span<const TransactionId> xids,
                  std::span<const RelFileLocator> rels) noexcept {
  XactRecordHeader header{time_us, static_cast<uint32_t>(xids.size()),
                          static_cast<uint32_t>(rels.size())};
  static_assert(sizeof(TransactionId) == sizeof(uint64_t));
  WalRecordBuilder builder;
  builder.RegisterData(&header, sizeof(header));
  if (!xids.empty()) builder.RegisterData(xids.data(), xids.size_bytes());
  if (!rels.empty()) builder.RegisterData(rels.data(), rels.size_bytes());
  builder.SetTransactionId(top);
  return builder.Insert(RmgrId::kXact, info);
}

void RegisterXactRmgr() {
  RegisterRmgr(RmgrId::kXact, RmgrOps{"Transaction", XactRedo, XactDescribe, XactIdentify});
  // O4: XLOG's redo of NEXTOID and shutdown checkpoints reaches the counter through this.
  SetNextOidRedoFunction(&SetNextObjectId);
}

}  // namespace keel::transam
