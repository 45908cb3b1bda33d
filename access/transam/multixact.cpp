// Multixacts on top of two SLRUs: creation (SLRU entries, WAL record, counters), member
// lookup, waiting for conflicting members, redo and the checkpoint hook. See multixact.h and
// README.md ("Multixacts", M1-M12).
#include "access/transam/multixact.h"

#include <algorithm>
#include <atomic>
#include <cinttypes>
#include <cstring>
#include <type_traits>

#include "access/transam/rmgr.h"
#include "access/transam/slru.h"
#include "access/transam/transam.h"
#include "access/transam/wal_reader.h"
#include "access/transam/wal_record.h"
#include "access/transam/xact.h"
#include "backend/utils/error/error.h"
#include "backend/utils/error/format.h"
#include "storage/ipc/shmem.h"
#include "storage/lmgr/lwlock.h"

namespace keel::transam {
namespace {

using storage::LwLockGuard;
using storage::LwLockMode;

// Tranche ids of the multixact locks.
constexpr uint16_t kMultiXactGenTranche = storage::lwtranche::kMultiXactGen;
constexpr uint16_t kMultiXactOffsetTranche = storage::lwtranche::kMultiXactOffsetSlru;
constexpr uint16_t kMultiXactMemberTranche = storage::lwtranche::kMultiXactMemberSlru;

struct MultiXactShared {
  // M3/M6: serialises creation (SLRU entries, WAL record, counter advance) and lets a
  // checkpoint wait for a creation in progress.
  storage::LwLock gen_lock;
  // The next multi / member offset to hand out; stored (release) under gen_lock after the
  // multi is complete in the SLRUs and in WAL; read anywhere (acquire).
  std::atomic<uint64_t> next_multi;
  std::atomic<uint64_t> next_offset;
};
static_assert(std::is_standard_layout_v<MultiXactShared> &&
              std::is_trivially_destructible_v<MultiXactShared>);

MultiXactShared* shared = nullptr;  // process-local pointers into shared memory
SlruCtl offsets_ctl;
SlruCtl members_ctl;

struct OffsetEntry {
  uint64_t first_offset;
  uint32_t nmembers;
  uint32_t pad;
};
static_assert(sizeof(OffsetEntry) == kMultiXactOffsetEntryBytes);
struct MemberEntry {
  uint64_t xid;
  uint8_t status;
  uint8_t pad[7];
};
static_assert(sizeof(MemberEntry) == kMultiXactMemberEntryBytes);

MultiXactShared* Shared() {
  KEEL_ASSERT(shared != nullptr);
  return shared;
}

// M2: the page holding entry `index` is zeroed (not read) by the creation that writes its
// first entry; entry 1 is the first multi ever, entry 0 the first member offset.
bool OffsetsEntryStartsPage(uint64_t multi) {
  return multi % kMultiXactOffsetsPerPage == 0 || multi == kFirstMultiXactId.value();
}
bool MembersEntryStartsPage(uint64_t offset) { return offset % kMultiXactMembersPerPage == 0; }

// Writes the SLRU entries of one multi (creation and redo alike, M3). Throws on I/O failure
// before the offsets entry is written; re-running it rewrites the same bytes.
void WriteEntries(uint64_t multi, uint64_t first_offset,
                  std::span<const MultiXactMember> members) {
  const TransactionId for_message(multi);
  {
    LwLockGuard guard(&members_ctl.shared->control_lock, LwLockMode::kExclusive);
    int64_t page = -1;
    int slot = -1;
    for (size_t i = 0; i < members.size(); ++i) {
      const uint64_t off = first_offset + i;
      if (MultiXactMembersPageOf(off) != page || i == 0) {
        page = MultiXactMembersPageOf(off);
        slot = MembersEntryStartsPage(off) ? SlruZeroPage(members_ctl, page)
                                           : SlruReadPage(members_ctl, page, true, for_message);
      }
      MemberEntry e{};
      e.xid = members[i].xid.value();
      e.status = static_cast<uint8_t>(members[i].status);
      std::memcpy(SlruPageData(members_ctl, slot) +
                      (off % kMultiXactMembersPerPage) * kMultiXactMemberEntryBytes,
                  &e, sizeof e);
      SlruMarkDirty(members_ctl, slot, kInvalidLsn);  // M7: no WAL-before-data rule needed
    }
  }
  LwLockGuard guard(&offsets_ctl.shared->control_lock, LwLockMode::kExclusive);
  const int64_t page = MultiXactOffsetsPageOf(MultiXactId(multi));
  const int slot = OffsetsEntryStartsPage(multi)
                       ? SlruZeroPage(offsets_ctl, page)
                       : SlruReadPage(offsets_ctl, page, true, for_message);
  OffsetEntry e{};
  e.first_offset = first_offset;
  e.nmembers = static_cast<uint32_t>(members.size());
  std::memcpy(SlruPageData(offsets_ctl, slot) +
                  (multi % kMultiXactOffsetsPerPage) * kMultiXactOffsetEntryBytes,
              &e, sizeof e);
  SlruMarkDirty(offsets_ctl, slot, kInvalidLsn);
}

bool IsRunning(TransactionId xid) {
  return TransactionIdIsCurrentTransactionId(xid) || TransactionIdIsInProgress(xid);
}

// M9: one entry per xid. Two lock entries of one xid merge into the stronger; a lock and an
// update of one xid merge into an update as strong as the stronger of the two.
std::vector<MultiXactMember> Deduplicate(std::span<const MultiXactMember> members) {
  std::vector<MultiXactMember> out;
  for (const MultiXactMember& m : members) {
    KEEL_ASSERT(TransactionIdIsValid(m.xid));
    auto it = std::find_if(out.begin(), out.end(),
                           [&](const MultiXactMember& o) { return o.xid == m.xid; });
    if (it == out.end()) {
      out.push_back(m);
      continue;
    }
    const bool update = MultiXactStatusIsUpdate(it->status) || MultiXactStatusIsUpdate(m.status);
    const int strength =
        std::max(MultiXactStatusStrength(it->status), MultiXactStatusStrength(m.status));
    if (update) {
      it->status = strength == 3 ? MultiXactStatus::kUpdate : MultiXactStatus::kNoKeyUpdate;
    } else {
      it->status = static_cast<MultiXactStatus>(strength);  // kForKeyShare .. kForUpdate
    }
  }
  return out;
}

void ThrowNotCreated(MultiXactId multi) {
  throw Error(sqlstate::kInternalError,
              Format("MultiXactId %" PRIu64 " has not been created yet -- apparent wraparound",
                     multi.value()));
}

// --- WAL ---------------------------------------------------------------------------------------

bool DecodeCreate(const DecodedRecord& record, WalMultiXactCreate* rec,
                  std::vector<MultiXactMember>* members) {
  if (record.main_data.size() < sizeof(WalMultiXactCreate)) return false;
  std::memcpy(rec, record.main_data.data(), sizeof(*rec));
  if (rec->nmembers == 0 || rec->nmembers > kMaxMultiXactMembers ||
      record.main_data.size() !=
          sizeof(WalMultiXactCreate) + rec->nmembers * sizeof(WalMultiXactMember)) {
    return false;
  }
  members->clear();
  for (uint32_t i = 0; i < rec->nmembers; ++i) {
    WalMultiXactMember m{};
    std::memcpy(&m, record.main_data.data() + sizeof(WalMultiXactCreate) + i * sizeof(m),
                sizeof(m));
    if (m.status > static_cast<uint8_t>(MultiXactStatus::kUpdate)) return false;
    members->push_back({TransactionId(m.xid), static_cast<MultiXactStatus>(m.status)});
  }
  return true;
}

void MultiXactRedo(const DecodedRecord& record) {
  if (record.info != kMultiXactCreateId) {
    Panic("multixact redo: unknown info 0x%02X at %s", record.info,
          LsnToString(record.lsn).c_str());
  }
  WalMultiXactCreate rec{};
  std::vector<MultiXactMember> members;
  if (!DecodeCreate(record, &rec, &members)) {
    Panic("invalid multixact record at %s", LsnToString(record.lsn).c_str());
  }
  WriteEntries(rec.multi, rec.first_offset, members);
  // M5: the counters pass every multi and member seen; X2 for the member xids.
  AdvanceNextMultiXactPast(MultiXactId(rec.multi), rec.first_offset + rec.nmembers);
  for (const MultiXactMember& m : members) {
    if (TransactionIdIsNormal(m.xid)) AdvanceNextTransactionIdPast(m.xid);
  }
}

std::string MultiXactDescribe(const DecodedRecord& record) {
  WalMultiXactCreate rec{};
  std::vector<MultiXactMember> members;
  if (record.info != kMultiXactCreateId || !DecodeCreate(record, &rec, &members)) {
    return "(invalid multixact record)";
  }
  // As pg_waldump: "1 offset 0 nmembers 2: 740 (keysh) 741 (nokeyupd)".
  std::string out = Format("%" PRIu64 " offset %" PRIu64 " nmembers %u:", rec.multi,
                           rec.first_offset, rec.nmembers);
  for (const MultiXactMember& m : members) {
    out += Format(" %" PRIu64 " (%s)", m.xid.value(), MultiXactStatusName(m.status));
  }
  return out;
}

const char* MultiXactIdentify(uint8_t info) {
  return info == kMultiXactCreateId ? "CREATE_ID" : nullptr;
}

}  // namespace

const char* MultiXactStatusName(MultiXactStatus s) {
  // PostgreSQL's mxstatus_to_string.
  switch (s) {
    case MultiXactStatus::kForKeyShare: return "keysh";
    case MultiXactStatus::kForShare: return "sh";
    case MultiXactStatus::kForNoKeyUpdate: return "fornokeyupd";
    case MultiXactStatus::kForUpdate: return "forupd";
    case MultiXactStatus::kNoKeyUpdate: return "nokeyupd";
    case MultiXactStatus::kUpdate: return "upd";
  }
  return "unknown";
}

size_t MultiXactShmemSize() {
  size_t size = storage::AddSize(sizeof(MultiXactShared), SlruShmemSize(kMultiXactOffsetBuffers));
  return storage::AddSize(size, SlruShmemSize(kMultiXactMemberBuffers));
}

void MultiXactShmemInit() {
  bool found = false;
  shared = static_cast<MultiXactShared*>(
      storage::ShmemInitStruct("multixact state", sizeof(MultiXactShared), &found));
  if (!found) {
    shared->gen_lock.Init(kMultiXactGenTranche);
    // Until the startup process sets them (M5): a fresh cluster's values.
    shared->next_multi.store(kFirstMultiXactId.value(), std::memory_order_relaxed);
    shared->next_offset.store(0, std::memory_order_relaxed);
  }
  SlruShmemInit(&offsets_ctl, "multixact offsets slru", kMultiXactOffsetBuffers,
                kMultiXactOffsetsDirectory, kMultiXactOffsetTranche);
  SlruShmemInit(&members_ctl, "multixact members slru", kMultiXactMemberBuffers,
                kMultiXactMembersDirectory, kMultiXactMemberTranche);
}

const SlruCtl& MultiXactOffsetsCtl() {
  KEEL_ASSERT(offsets_ctl.shared != nullptr);
  return offsets_ctl;
}
const SlruCtl& MultiXactMembersCtl() {
  KEEL_ASSERT(members_ctl.shared != nullptr);
  return members_ctl;
}

void RegisterMultiXactRmgr() {
  RegisterRmgr(RmgrId::kMultiXact,
               RmgrOps{"MultiXact", &MultiXactRedo, &MultiXactDescribe, &MultiXactIdentify});
}

MultiXactId ReadNextMultiXactId() {
  return MultiXactId(Shared()->next_multi.load(std::memory_order_acquire));
}

uint64_t ReadNextMultiXactOffset() {
  return Shared()->next_offset.load(std::memory_order_acquire);
}

void SetNextMultiXact(MultiXactId next_multi, uint64_t next_offset) {
  MultiXactShared* s = Shared();
  s->next_multi.store(std::max(next_multi.value(), kFirstMultiXactId.value()),
                      std::memory_order_seq_cst);
  s->next_offset.store(next_offset, std::memory_order_seq_cst);
}

void AdvanceNextMultiXactPast(MultiXactId multi, uint64_t end_offset) {
  MultiXactShared* s = Shared();
  // Redo runs in one process; no creator runs concurrently (M5).
  if (multi.value() >= s->next_multi.load(std::memory_order_relaxed)) {
    s->next_multi.store(multi.value() + 1, std::memory_order_seq_cst);
  }
  if (end_offset > s->next_offset.load(std::memory_order_relaxed)) {
    s->next_offset.store(end_offset, std::memory_order_seq_cst);
  }
}

void MultiXactCheckpoint(uint64_t* next_multi, uint64_t* next_offset) {
  {
    // M6: a creation whose record lies before the redo pointer has finished writing its SLRU
    // entries once it releases gen_lock; every later one inserts its record after the redo
    // pointer, so redo replays it.
    LwLockGuard guard(&Shared()->gen_lock, LwLockMode::kShared);
    *next_multi = shared->next_multi.load(std::memory_order_acquire);
    *next_offset = shared->next_offset.load(std::memory_order_acquire);
  }
  SlruFlushAll(offsets_ctl);
  SlruFlushAll(members_ctl);
}

MultiXactId MultiXactIdCreateFromMembers(std::span<const MultiXactMember> members) {
  KEEL_ASSERT(!members.empty() && members.size() <= kMaxMultiXactMembers);
  std::vector<WalMultiXactMember> wal_members(members.size());
  for (size_t i = 0; i < members.size(); ++i) {
    KEEL_ASSERT(TransactionIdIsValid(members[i].xid));
    wal_members[i].xid = members[i].xid.value();
    wal_members[i].status = static_cast<uint8_t>(members[i].status);
  }
  MultiXactShared* s = Shared();
  LwLockGuard guard(&s->gen_lock, LwLockMode::kExclusive);  // M3
  const uint64_t multi = s->next_multi.load(std::memory_order_relaxed);
  const uint64_t first_offset = s->next_offset.load(std::memory_order_relaxed);
  // May throw (I/O): nothing is published yet, the next attempt rewrites the same entries.
  WriteEntries(multi, first_offset, members);

  WalMultiXactCreate rec{};
  rec.multi = multi;
  rec.first_offset = first_offset;
  rec.nmembers = static_cast<uint32_t>(members.size());
  WalRecordBuilder builder;
  builder.RegisterData(&rec, sizeof rec);
  builder.RegisterData(wal_members.data(), wal_members.size() * sizeof(WalMultiXactMember));
  (void)builder.Insert(RmgrId::kMultiXact, kMultiXactCreateId);

  // M4: published only now, so whoever reads a multi below next_multi finds it complete.
  s->next_offset.store(first_offset + members.size(), std::memory_order_seq_cst);
  s->next_multi.store(multi + 1, std::memory_order_seq_cst);
  return MultiXactId(multi);
}

MultiXactId MultiXactIdCreate(std::span<const MultiXactMember> members) {
  std::vector<MultiXactMember> kept;
  int updates = 0;
  for (const MultiXactMember& m : Deduplicate(members)) {
    if (MultiXactStatusIsUpdate(m.status)) {
      ++updates;
      // M10: the update stays unless it aborted (a committed one still decides deletion).
      if (IsRunning(m.xid) || TransactionIdDidCommit(m.xid)) kept.push_back(m);
    } else if (IsRunning(m.xid)) {
      kept.push_back(m);
    }
  }
  KEEL_ASSERT(updates <= 1);
  if (kept.empty()) return kInvalidMultiXactId;
  return MultiXactIdCreateFromMembers(kept);
}

MultiXactId MultiXactIdExpand(MultiXactId multi, TransactionId xid, MultiXactStatus status) {
  std::vector<MultiXactMember> members = GetMultiXactIdMembers(multi);
  members.push_back({xid, status});
  return MultiXactIdCreate(members);
}

std::vector<MultiXactMember> GetMultiXactIdMembers(MultiXactId multi, bool only_running) {
  if (!multi.value() || multi >= ReadNextMultiXactId()) ThrowNotCreated(multi);
  const TransactionId for_message(multi.value());
  OffsetEntry entry{};
  {
    const int slot = SlruReadPageReadOnly(offsets_ctl, MultiXactOffsetsPageOf(multi), for_message);
    LwLockGuard guard = LwLockGuard::Adopt(&offsets_ctl.shared->control_lock);
    std::memcpy(&entry, SlruPageData(offsets_ctl, slot) +
                            (multi.value() % kMultiXactOffsetsPerPage) * kMultiXactOffsetEntryBytes,
                sizeof entry);
  }
  if (entry.nmembers == 0) ThrowNotCreated(multi);  // M1: a written entry has members
  std::vector<MultiXactMember> out;
  out.reserve(entry.nmembers);
  int64_t page = -1;
  LwLockGuard guard;
  int slot = -1;
  for (uint32_t i = 0; i < entry.nmembers; ++i) {
    const uint64_t off = entry.first_offset + i;
    if (MultiXactMembersPageOf(off) != page) {
      guard.Reset();  // the previous page's lock first
      page = MultiXactMembersPageOf(off);
      slot = SlruReadPageReadOnly(members_ctl, page, for_message);
      guard = LwLockGuard::Adopt(&members_ctl.shared->control_lock);
    }
    MemberEntry e{};
    std::memcpy(&e, SlruPageData(members_ctl, slot) +
                        (off % kMultiXactMembersPerPage) * kMultiXactMemberEntryBytes,
                sizeof e);
    out.push_back({TransactionId(e.xid), static_cast<MultiXactStatus>(e.status)});
  }
  guard.Reset();
  if (only_running) {
    std::erase_if(out, [](const MultiXactMember& m) { return !IsRunning(m.xid); });
  }
  return out;
}

bool MultiXactIdIsRunning(MultiXactId multi) {
  for (const MultiXactMember& m : GetMultiXactIdMembers(multi)) {
    if (IsRunning(m.xid)) return true;
  }
  return false;
}

TransactionId MultiXactIdGetUpdateXid(MultiXactId multi) {
  for (const MultiXactMember& m : GetMultiXactIdMembers(multi)) {
    if (MultiXactStatusIsUpdate(m.status)) return m.xid;  // M10: at most one
  }
  return kInvalidTransactionId;
}

bool DoesMultiXactIdConflict(MultiXactId multi, MultiXactStatus status,
                             bool* current_is_member) {
  bool conflict = false;
  bool current = false;
  for (const MultiXactMember& m : GetMultiXactIdMembers(multi)) {
    if (TransactionIdIsCurrentTransactionId(m.xid)) {
      current = true;
      continue;  // our own locks never conflict with us
    }
    if (!MultiXactStatusesConflict(m.status, status)) continue;
    if (TransactionIdIsInProgress(m.xid)) conflict = true;
  }
  if (current_is_member != nullptr) *current_is_member = current;
  return conflict;
}

bool MultiXactIdWait(MultiXactId multi, MultiXactStatus status, bool nowait) {
  for (const MultiXactMember& m : GetMultiXactIdMembers(multi)) {
    if (TransactionIdIsCurrentTransactionId(m.xid)) continue;
    if (!MultiXactStatusesConflict(m.status, status)) continue;
    if (nowait) {
      if (!ConditionalXactLockTableWait(m.xid)) return false;
    } else {
      XactLockTableWait(m.xid);
    }
  }
  return true;
}

}  // namespace keel::transam
