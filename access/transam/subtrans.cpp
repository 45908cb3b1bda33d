// The subtransaction-parent SLRU; see subtrans.h and README.md ("Transactions", X4, X12).
#include "access/transam/subtrans.h"

#include <atomic>
#include <cstring>
#include <filesystem>
#include <system_error>
#include <type_traits>

#include "access/transam/slru.h"
#include "access/transam/transam.h"
#include "backend/utils/error/error.h"
#include "storage/ipc/shmem.h"
#include "storage/lmgr/lwlock.h"

namespace keel::transam {
namespace {

using storage::LwLockGuard;
using storage::LwLockMode;

struct SubTransShared {
  // The newest page zeroed since start-up; -1 before the first xid. Xid generator lock.
  int64_t latest_page;
  // X12: the first xid assigned since start-up (0 before); entries below it are not valid.
  // Written once under the xid generator lock before that xid is published; read anywhere.
  std::atomic<uint64_t> start_xid;
};
static_assert(std::is_standard_layout_v<SubTransShared> &&
              std::is_trivially_destructible_v<SubTransShared>);

SlruCtl subtrans_ctl;             // process-local handle into shared memory
SubTransShared* shared = nullptr;  // likewise

// X12: the map is rebuilt from nothing at every start; stale segments would only waste space.
void RemoveOldSegments() {
  std::error_code ec;
  std::filesystem::directory_iterator it(kSubTransDirectory, ec);
  if (ec) return;  // no directory (yet): nothing to remove
  for (const auto& entry : it) {
    const std::string name = entry.path().filename().string();
    if (name.size() != 15 || name.find_first_not_of("0123456789ABCDEF") != std::string::npos) {
      continue;  // S8: other names are not ours
    }
    std::filesystem::remove(entry.path(), ec);
  }
}

}  // namespace

size_t SubTransShmemSize() {
  return storage::AddSize(SlruShmemSize(kSubTransDefaultBuffers), sizeof(SubTransShared));
}

void SubTransShmemInit() {
  bool found = false;
  shared = static_cast<SubTransShared*>(
      storage::ShmemInitStruct("subxact state", sizeof(SubTransShared), &found));
  if (!found) {
    shared->latest_page = -1;
    shared->start_xid.store(0, std::memory_order_relaxed);
    RemoveOldSegments();
  }
  SlruShmemInit(&subtrans_ctl, "subxact slru", kSubTransDefaultBuffers, kSubTransDirectory,
                storage::lwtranche::kSubtransSlru);
}

const SlruCtl& SubTransCtl() {
  KEEL_ASSERT(subtrans_ctl.shared != nullptr);
  return subtrans_ctl;
}

void SubTransExtend(TransactionId xid) {
  KEEL_ASSERT(shared != nullptr);
  const int64_t page_no = SubTransPageOf(xid);
  if (page_no == shared->latest_page) return;
  KEEL_ASSERT(page_no > shared->latest_page);  // X1: increasing order
  {
    LwLockGuard guard(&subtrans_ctl.shared->control_lock, LwLockMode::kExclusive);
    (void)SlruZeroPage(subtrans_ctl, page_no);
  }
  shared->latest_page = page_no;
  if (shared->start_xid.load(std::memory_order_relaxed) == 0) {
    shared->start_xid.store(xid.value(), std::memory_order_release);  // X12
  }
}

void SubTransSetParent(TransactionId xid, TransactionId parent) {
  KEEL_ASSERT(parent < xid && TransactionIdIsValid(parent));
  const int64_t page_no = SubTransPageOf(xid);
  const uint64_t index = xid.value() % kSubTransXidsPerPage;
  LwLockGuard guard(&subtrans_ctl.shared->control_lock, LwLockMode::kExclusive);
  const int slot = SlruReadPage(subtrans_ctl, page_no, /*for_write=*/true, xid);
  const uint64_t value = parent.value();
  std::memcpy(SlruPageData(subtrans_ctl, slot) + index * sizeof(uint64_t), &value, sizeof(value));
  SlruMarkDirty(subtrans_ctl, slot, kInvalidLsn);  // not WAL-logged: no WAL-before-data rule
}

TransactionId SubTransGetParent(TransactionId xid) {
  KEEL_ASSERT(shared != nullptr);
  const uint64_t start = shared->start_xid.load(std::memory_order_acquire);
  if (start == 0 || xid.value() < start) return kInvalidTransactionId;  // X12
  if (xid >= ReadNextTransactionId()) return kInvalidTransactionId;     // never assigned
  const int64_t page_no = SubTransPageOf(xid);
  const uint64_t index = xid.value() % kSubTransXidsPerPage;
  const int slot = SlruReadPageReadOnly(subtrans_ctl, page_no, xid);
  LwLockGuard guard = LwLockGuard::Adopt(&subtrans_ctl.shared->control_lock);
  uint64_t value = 0;
  std::memcpy(&value, SlruPageData(subtrans_ctl, slot) + index * sizeof(uint64_t), sizeof(value));
  return TransactionId(value);
}

TransactionId SubTransGetTopmostTransaction(TransactionId xid) {
  TransactionId current = xid;
  for (;;) {
    const TransactionId parent = SubTransGetParent(current);
    if (!TransactionIdIsValid(parent)) return current;
    KEEL_ASSERT(parent < current);  // X4
    current = parent;
  }
}

}  // namespace keel::transam
