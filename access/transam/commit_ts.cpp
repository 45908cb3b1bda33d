// Commit timestamps on top of the SLRU: 12-byte entries, page zeroing and truncation with
// their WAL records and redo. See README.md ("SLRU, commit log, commit timestamps", T1-T4).
#include "access/transam/commit_ts.h"

#include <cstring>

#include "access/transam/rmgr.h"
#include "access/transam/slru.h"
#include "access/transam/wal.h"
#include "access/transam/wal_reader.h"
#include "access/transam/wal_record.h"
#include "backend/utils/error/error.h"
#include "backend/utils/error/format.h"
#include "backend/utils/error/sqlstate.h"
#include "storage/lmgr/lwlock.h"

namespace keel::transam {

bool track_commit_timestamp = true;

namespace {

using storage::LwLockGuard;
using storage::LwLockMode;

SlruCtl commit_ts_ctl;  // process-local handle into shared memory

constexpr uint64_t kFirstNormalXid = 3;

[[nodiscard]] bool PageNumberFromRecord(const DecodedRecord& record, int64_t* page_no) {
  if (record.main_data.size() != sizeof(int64_t)) return false;
  std::memcpy(page_no, record.main_data.data(), sizeof(int64_t));
  return *page_no >= 0;
}

Lsn LogPageRecord(uint8_t info, int64_t page_no) {
  WalRecordBuilder builder;
  builder.RegisterData(&page_no, sizeof(page_no));
  return builder.Insert(RmgrId::kCommitTs, info);
}

[[nodiscard]] size_t EntryOffset(TransactionId xid) {
  return static_cast<size_t>(xid.value() % kCommitTsXidsPerPage) * kCommitTsEntryBytes;
}

void CommitTsRedo(const DecodedRecord& record) {
  int64_t page_no = 0;
  if (!PageNumberFromRecord(record, &page_no)) {
    Panic("invalid commit timestamp record at %s", LsnToString(record.lsn).c_str());
  }
  if (record.info == kCommitTsZeroPage) {
    LwLockGuard guard(&commit_ts_ctl.shared->control_lock, LwLockMode::kExclusive);
    const int slot = SlruZeroPage(commit_ts_ctl, page_no);
    SlruWriteSlot(commit_ts_ctl, slot);
  } else if (record.info == kCommitTsTruncate) {
    SlruTruncate(commit_ts_ctl, page_no);
  } else {
    Panic("commit timestamp redo: unknown info 0x%02X at %s", record.info,
          LsnToString(record.lsn).c_str());
  }
}

const char* CommitTsIdentify(uint8_t info) {
  switch (info) {
    case kCommitTsZeroPage: return "ZEROPAGE";
    case kCommitTsTruncate: return "TRUNCATE";
    default: return nullptr;
  }
}

std::string CommitTsDescribe(const DecodedRecord& record) {
  int64_t page_no = 0;
  if (!PageNumberFromRecord(record, &page_no)) return "(invalid commit timestamp record)";
  return Format("page %lld", static_cast<long long>(page_no));
}

}  // namespace

size_t CommitTsShmemSize(int num_buffers) { return SlruShmemSize(num_buffers); }

void CommitTsShmemInit(int num_buffers) {
  SlruShmemInit(&commit_ts_ctl, "committs slru", num_buffers, kCommitTsDirectory,
                storage::lwtranche::kCommitTsSlru);
}

const SlruCtl& CommitTsCtl() {
  KEEL_ASSERT(commit_ts_ctl.shared != nullptr);
  return commit_ts_ctl;
}

void CommitTsExtend(TransactionId xid) {
  if (!track_commit_timestamp) return;
  if (xid.value() % kCommitTsXidsPerPage != 0 && xid.value() != kFirstNormalXid) return;
  const int64_t page_no = CommitTsPageOf(xid);
  LwLockGuard guard(&commit_ts_ctl.shared->control_lock, LwLockMode::kExclusive);
  (void)SlruZeroPage(commit_ts_ctl, page_no);
  (void)LogPageRecord(kCommitTsZeroPage, page_no);
}

void CommitTsSet(TransactionId xid, int64_t time_us) {
  if (!track_commit_timestamp) return;
  KEEL_ASSERT(time_us != 0);
  const uint32_t node = 0;
  LwLockGuard guard(&commit_ts_ctl.shared->control_lock, LwLockMode::kExclusive);
  const int slot = SlruReadPage(commit_ts_ctl, CommitTsPageOf(xid), /*for_write=*/true, xid);
  std::byte* entry = SlruPageData(commit_ts_ctl, slot) + EntryOffset(xid);
  std::memcpy(entry, &time_us, sizeof(time_us));  // T1
  std::memcpy(entry + sizeof(time_us), &node, sizeof(node));
  SlruMarkDirty(commit_ts_ctl, slot, kInvalidLsn);
}

std::optional<int64_t> CommitTsGet(TransactionId xid) {
  if (!track_commit_timestamp) {
    throw Error(sqlstate::kObjectNotInPrerequisiteState, "could not get commit timestamp data")
        .WithHint("Make sure the configuration parameter \"track_commit_timestamp\" is set.");
  }
  const int slot = SlruReadPageReadOnly(commit_ts_ctl, CommitTsPageOf(xid), xid);
  LwLockGuard guard = LwLockGuard::Adopt(&commit_ts_ctl.shared->control_lock);
  int64_t time_us = 0;
  std::memcpy(&time_us, SlruPageData(commit_ts_ctl, slot) + EntryOffset(xid), sizeof(time_us));
  if (time_us == 0) return std::nullopt;  // T2
  return time_us;
}

void CommitTsFlushAll() { SlruFlushAll(commit_ts_ctl); }

void CommitTsTruncate(TransactionId oldest_xid) {
  const int64_t cutoff_page = CommitTsPageOf(oldest_xid);
  if (cutoff_page / kSlruPagesPerSegment == 0) return;
  const Lsn lsn = LogPageRecord(kCommitTsTruncate, cutoff_page);
  WalFlush(lsn);  // T3
  SlruTruncate(commit_ts_ctl, cutoff_page);
}

void RegisterCommitTsRmgr() {
  RegisterRmgr(RmgrId::kCommitTs,
               RmgrOps{"CommitTs", CommitTsRedo, CommitTsDescribe, CommitTsIdentify});
}

}  // namespace keel::transam
