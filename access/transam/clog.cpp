// The commit log on top of the SLRU: 2-bit status fields, page zeroing and truncation with
// their WAL records and redo. See README.md ("SLRU, commit log, commit timestamps", C1-C5).
#include "access/transam/clog.h"

#include <cstring>

#include "access/transam/commit_ts.h"
#include "access/transam/rmgr.h"
#include "access/transam/slru.h"
#include "access/transam/wal.h"
#include "access/transam/wal_reader.h"
#include "access/transam/wal_record.h"
#include "backend/utils/error/error.h"
#include "backend/utils/error/format.h"
#include "storage/lmgr/lwlock.h"

namespace keel::transam {
namespace {

using storage::LwLockGuard;
using storage::LwLockMode;

SlruCtl clog_ctl;  // process-local handle; points into shared memory (same in every process)

constexpr uint64_t kFirstNormalXid = 3;

[[nodiscard]] bool PageNumberFromRecord(const DecodedRecord& record, int64_t* page_no) {
  if (record.main_data.size() != sizeof(int64_t)) return false;
  std::memcpy(page_no, record.main_data.data(), sizeof(int64_t));
  return *page_no >= 0;
}

Lsn LogPageRecord(uint8_t info, int64_t page_no) {
  WalRecordBuilder builder;
  builder.RegisterData(&page_no, sizeof(page_no));
  return builder.Insert(RmgrId::kClog, info);
}

void ClogRedo(const DecodedRecord& record) {
  int64_t page_no = 0;
  if (!PageNumberFromRecord(record, &page_no)) {
    Panic("invalid clog record at %s", LsnToString(record.lsn).c_str());
  }
  if (record.info == kClogZeroPage) {
    LwLockGuard guard(&clog_ctl.shared->control_lock, LwLockMode::kExclusive);
    const int slot = SlruZeroPage(clog_ctl, page_no);
    SlruWriteSlot(clog_ctl, slot);  // C2: the zeroed page is on disk once redo passed it
  } else if (record.info == kClogTruncate) {
    SlruTruncate(clog_ctl, page_no);
  } else {
    Panic("clog redo: unknown info 0x%02X at %s", record.info, LsnToString(record.lsn).c_str());
  }
}

const char* ClogIdentify(uint8_t info) {
  switch (info) {
    case kClogZeroPage: return "ZEROPAGE";
    case kClogTruncate: return "TRUNCATE";
    default: return nullptr;
  }
}

std::string ClogDescribe(const DecodedRecord& record) {
  int64_t page_no = 0;
  if (!PageNumberFromRecord(record, &page_no)) return "(invalid clog record)";
  return Format("page %lld", static_cast<long long>(page_no));
}

}  // namespace

size_t ClogShmemSize(int num_buffers) { return SlruShmemSize(num_buffers); }

void ClogShmemInit(int num_buffers) {
  SlruShmemInit(&clog_ctl, "xact slru", num_buffers, kClogDirectory,
                storage::lwtranche::kXactSlru);
}

const SlruCtl& ClogCtl() {
  KEEL_ASSERT(clog_ctl.shared != nullptr);
  return clog_ctl;
}

void ClogExtend(TransactionId xid) {
  if (xid.value() % kClogXidsPerPage != 0 && xid.value() != kFirstNormalXid) return;
  const int64_t page_no = ClogPageOf(xid);
  LwLockGuard guard(&clog_ctl.shared->control_lock, LwLockMode::kExclusive);
  // SlruZeroPage may write out a victim (I/O, may throw) before it touches anything; the
  // zeroed page itself only becomes durable at a checkpoint or eviction, and redo re-zeroes
  // it from this record (C2), so no critical section is needed.
  (void)SlruZeroPage(clog_ctl, page_no);
  (void)LogPageRecord(kClogZeroPage, page_no);
}

void TransactionIdSetStatus(TransactionId xid, XidStatus status, Lsn commit_lsn) {
  const int64_t page_no = ClogPageOf(xid);
  const uint64_t index = xid.value() % kClogXidsPerPage;
  const int shift = static_cast<int>(index % kClogXidsPerByte) * 2;
  LwLockGuard guard(&clog_ctl.shared->control_lock, LwLockMode::kExclusive);
  const int slot = SlruReadPage(clog_ctl, page_no, /*for_write=*/true, xid);
  auto* byte = reinterpret_cast<uint8_t*>(SlruPageData(clog_ctl, slot)) + index / kClogXidsPerByte;
  // C1: read-modify-write of one byte under the exclusive control lock, so the three other
  // xids sharing the byte keep their bits.
  *byte = static_cast<uint8_t>((*byte & ~(3u << shift)) | (static_cast<uint8_t>(status) << shift));
  SlruMarkDirty(clog_ctl, slot, commit_lsn);  // C3
}

XidStatus TransactionIdGetStatus(TransactionId xid) {
  const int64_t page_no = ClogPageOf(xid);
  const uint64_t index = xid.value() % kClogXidsPerPage;
  const int shift = static_cast<int>(index % kClogXidsPerByte) * 2;
  const int slot = SlruReadPageReadOnly(clog_ctl, page_no, xid);
  LwLockGuard guard = LwLockGuard::Adopt(&clog_ctl.shared->control_lock);
  const auto* byte =
      reinterpret_cast<const uint8_t*>(SlruPageData(clog_ctl, slot)) + index / kClogXidsPerByte;
  return static_cast<XidStatus>((*byte >> shift) & 3u);
}

Lsn TransactionIdGetCommitLsnBound(TransactionId xid) {
  const int slot = SlruReadPageReadOnly(clog_ctl, ClogPageOf(xid), xid);
  LwLockGuard guard = LwLockGuard::Adopt(&clog_ctl.shared->control_lock);
  // C6: once the page is written its WAL was flushed, so a re-read page's 0 is also right.
  return Lsn(clog_ctl.slots[slot].group_lsn);
}

void ClogFlushAll() { SlruFlushAll(clog_ctl); }

void ClogTruncate(TransactionId oldest_xid) {
  const int64_t cutoff_page = ClogPageOf(oldest_xid);
  if (cutoff_page / kSlruPagesPerSegment == 0) return;  // nothing whole below the cutoff
  const Lsn lsn = LogPageRecord(kClogTruncate, cutoff_page);
  WalFlush(lsn);  // C4: the record is durable before any file disappears
  SlruTruncate(clog_ctl, cutoff_page);
}

void RegisterClogRmgrs() {
  RegisterRmgr(RmgrId::kClog, RmgrOps{"CLOG", ClogRedo, ClogDescribe, ClogIdentify});
  RegisterCommitTsRmgr();
}

}  // namespace keel::transam
