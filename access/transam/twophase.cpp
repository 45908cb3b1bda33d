// Two-phase commit: the shared table of prepared transactions, their state files, PREPARE's
// hand-over to a prepared slot, COMMIT / ROLLBACK PREPARED, and restore at start-up.
// README.md ("Two-phase commit", T1-T9).
#include "access/transam/twophase.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cinttypes>
#include <cstring>
#include <exception>

#include "access/transam/clog.h"
#include "access/transam/commit_ts.h"
#include "access/transam/pending_deletes.h"
#include "access/transam/pending_deletes_internal.h"
#include "access/transam/subtrans.h"
#include "access/transam/transam.h"
#include "access/transam/transam_internal.h"
#include "access/transam/twophase_internal.h"
#include "access/transam/wal.h"
#include "access/transam/wal_record.h"
#include "access/transam/xact.h"
#include "access/transam/xact_internal.h"
#include "backend/utils/error/error.h"
#include "backend/utils/error/format.h"
#include "backend/utils/error/log.h"
#include "backend/utils/hash/crc32c.h"
#include "backend/utils/init/paths.h"
#include "storage/file/file_io.h"
#include "storage/ipc/proc_array.h"
#include "storage/ipc/process_context.h"
#include "storage/ipc/shmem.h"
#include "storage/lmgr/lwlock.h"

namespace keel::transam {
namespace {

using storage::LwLockGuard;
using storage::LwLockMode;
using storage::ProcSlot;

// One prepared (or being prepared) transaction; entry i uses prepared proc slot i (T1).
struct GlobalXact {
  uint64_t xid;            // 0: the entry is free
  int64_t prepared_at_us;
  int32_t locking_slot;    // proc slot of the backend preparing or finishing it, -1 none (T2)
  int32_t valid;           // 1 once prepared: state file written, xids and locks in its slot
  char gid[kGidBytes];
  char owner[kTwoPhaseNameBytes];
  char database[kTwoPhaseNameBytes];
};

struct TwoPhaseShared {
  storage::LwLock lock;  // guards every entry (T2)
  int32_t num_entries;
  int32_t padding;
  GlobalXact entries[1];  // num_entries of them
};

TwoPhaseShared* shared = nullptr;
int num_entries = 0;  // process-local copy (never trust the size in shared memory)

int64_t NowUs() {
  timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1'000'000 + ts.tv_nsec / 1000;
}

void CopyName(char* dest, size_t size, std::string_view src) {
  const size_t n = std::min(src.size(), size - 1);
  std::memcpy(dest, src.data(), n);
  std::memset(dest + n, 0, size - n);
}

std::string Quoted(std::string_view gid) { return "\"" + std::string(gid) + "\""; }

std::string DirectoryPath() { return DataDirectory() + "/" + kTwoPhaseDirectory; }

std::string StatePath(TransactionId xid) {
  return Format("%s/%016" PRIX64, DirectoryPath().c_str(), xid.value());
}

[[noreturn]] void ThrowFileError(const char* what, const std::string& path, int saved_errno) {
  throw Error(storage::FileAccessSqlState(saved_errno),
              Format("%s \"%s\": %s", what, path.c_str(), ErrnoText(saved_errno).c_str()));
}

void SyncDirectory(const std::string& dir) {
  if (storage::FsyncDirectory(dir) != 0) ThrowFileError("could not fsync file", dir, errno);
}

// T4: temp file, fsync, rename, fsync the directory: a crash leaves the old or the new file.
void WriteStateFile(TransactionId xid, std::span<const std::byte> data) {
  const std::string dir = DirectoryPath();
  if (::mkdir(dir.c_str(), 0700) == 0) {
    SyncDirectory(DataDirectory());
  } else if (errno != EEXIST) {
    ThrowFileError("could not create directory", dir, errno);
  }
  const std::string path = StatePath(xid);
  const std::string tmp = path + ".tmp";
  const int fd = storage::FileOpen(tmp, O_WRONLY | O_CREAT | O_TRUNC);
  if (fd < 0) ThrowFileError("could not create file", tmp, errno);
  const uint32_t crc = Crc32c(data.data(), data.size());
  bool ok = storage::FileWriteAt(fd, data.data(), data.size(), 0) ==
                static_cast<ssize_t>(data.size()) &&
            storage::FileWriteAt(fd, &crc, sizeof(crc), static_cast<off_t>(data.size())) ==
                static_cast<ssize_t>(sizeof(crc));
  const char* what = "could not write file";
  if (ok && storage::FileSync(fd) != 0) {
    ok = false;
    what = "could not fsync file";
  }
  const int saved = errno;
  storage::FileClose(fd);
  if (!ok) {
    ::unlink(tmp.c_str());
    ThrowFileError(what, tmp, saved == 0 ? ENOSPC : saved);
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    const int rename_errno = errno;
    ::unlink(tmp.c_str());
    ThrowFileError("could not rename file", tmp, rename_errno);
  }
  SyncDirectory(dir);
}

// Reads and verifies a state file: false (with `*why`) when its contents are corrupt.
// Throws a file-access error when it cannot be opened or read.
bool ReadStateFile(const std::string& path, TwoPhaseState* out, std::string* why) {
  const int fd = storage::FileOpen(path, O_RDONLY);
  if (fd < 0) ThrowFileError("could not open file", path, errno);
  struct stat st;
  if (::fstat(fd, &st) != 0) {
    const int saved = errno;
    storage::FileClose(fd);
    ThrowFileError("could not stat file", path, saved);
  }
  if (st.st_size < static_cast<off_t>(sizeof(uint32_t)) || st.st_size > (64 << 20)) {
    storage::FileClose(fd);
    *why = Format("The file has an invalid size (%lld bytes).", static_cast<long long>(st.st_size));
    return false;
  }
  std::vector<std::byte> bytes(static_cast<size_t>(st.st_size));
  const ssize_t n = storage::FileReadAt(fd, bytes.data(), bytes.size(), 0);
  const int read_errno = errno;
  storage::FileClose(fd);
  if (n < 0) ThrowFileError("could not read file", path, read_errno);
  if (n != static_cast<ssize_t>(bytes.size())) {
    *why = "The file is shorter than it was a moment ago.";
    return false;
  }
  const size_t body = bytes.size() - sizeof(uint32_t);
  uint32_t crc = 0;
  std::memcpy(&crc, bytes.data() + body, sizeof(crc));
  if (Crc32c(bytes.data(), body) != crc) {
    *why = "Calculated CRC checksum does not match value stored in file.";
    return false;
  }
  if (!ParseTwoPhaseState(std::span(bytes.data(), body), out)) {
    *why = "The file's contents are invalid.";
    return false;
  }
  return true;
}

std::vector<std::byte> BuildStateData(const GlobalXact& gx, std::span<const TransactionId> subxids,
                                      const std::vector<storage::HeldLock>& locks,
                                      std::span<const RelFileLocator> commit_rels,
                                      std::span<const RelFileLocator> abort_rels) {
  TwoPhaseStateHeader header{};
  header.magic = kTwoPhaseMagic;
  header.num_subxids = static_cast<uint32_t>(subxids.size());
  header.xid = gx.xid;
  header.prepared_at_us = gx.prepared_at_us;
  header.num_locks = static_cast<uint32_t>(locks.size());
  header.num_commit_rels = static_cast<uint32_t>(commit_rels.size());
  header.num_abort_rels = static_cast<uint32_t>(abort_rels.size());
  std::memcpy(header.gid, gx.gid, kGidBytes);
  std::memcpy(header.owner, gx.owner, kTwoPhaseNameBytes);
  std::memcpy(header.database, gx.database, kTwoPhaseNameBytes);
  const size_t lock_bytes = locks.size() * sizeof(storage::HeldLock);
  std::vector<std::byte> data(sizeof(header) + subxids.size_bytes() + lock_bytes +
                              commit_rels.size_bytes() + abort_rels.size_bytes());
  std::byte* p = data.data();
  std::memcpy(p, &header, sizeof(header));
  p += sizeof(header);
  if (!subxids.empty()) std::memcpy(p, subxids.data(), subxids.size_bytes());
  p += subxids.size_bytes();
  if (!locks.empty()) std::memcpy(p, locks.data(), lock_bytes);
  p += lock_bytes;
  if (!commit_rels.empty()) std::memcpy(p, commit_rels.data(), commit_rels.size_bytes());
  p += commit_rels.size_bytes();
  if (!abort_rels.empty()) std::memcpy(p, abort_rels.data(), abort_rels.size_bytes());
  return data;
}

GlobalXact& Entry(int i) {
  KEEL_ASSERT(shared != nullptr && i >= 0 && i < num_entries);
  return shared->entries[i];
}

void ClearEntry(GlobalXact& gx) {
  std::memset(&gx, 0, sizeof(gx));
  gx.locking_slot = -1;
}

ProcSlot* MySlot() {
  ProcSlot* slot = storage::CurrentProcess().proc;
  KEEL_ASSERT(slot != nullptr);
  return slot;
}

// Marks the prepared entry named `gid` as being finished by this backend (T2).
int LockGlobalTransaction(std::string_view gid) {
  const ProcSlot* me = MySlot();
  LwLockGuard guard(&shared->lock, LwLockMode::kExclusive);
  for (int i = 0; i < num_entries; ++i) {
    GlobalXact& gx = Entry(i);
    if (gx.valid == 0 || std::string_view(gx.gid) != gid) continue;
    if (gx.locking_slot != -1) {
      throw Error(sqlstate::kObjectNotInPrerequisiteState,
                  "prepared transaction with identifier " + Quoted(gid) + " is busy");
    }
    // Ownership (42501 "permission denied to finish prepared transaction") needs non-superuser
    // roles, which come with the role catalog (README, known gaps): every role may finish it.
    if (std::strncmp(gx.database, me->database, kTwoPhaseNameBytes) != 0) {
      throw Error(sqlstate::kFeatureNotSupported, "prepared transaction belongs to another database")
          .WithHint("Connect to the database where the transaction was prepared to finish it.");
    }
    gx.locking_slot = me->slot_idx;
    return i;
  }
  throw Error(sqlstate::kUndefinedObject,
              "prepared transaction with identifier " + Quoted(gid) + " does not exist");
}

void UnlockGlobalTransaction(int entry) noexcept {
  LwLockGuard guard(&shared->lock, LwLockMode::kExclusive);
  Entry(entry).locking_slot = -1;
}

// T2: gives the entry back (not busy any more) on every way out before Release(), errors and
// FATAL exits included.
class GlobalXactLock {
 public:
  explicit GlobalXactLock(int entry) : entry_(entry) {}
  ~GlobalXactLock() {
    if (entry_ >= 0) UnlockGlobalTransaction(entry_);
  }
  GlobalXactLock(const GlobalXactLock&) = delete;
  GlobalXactLock& operator=(const GlobalXactLock&) = delete;
  void Release() { entry_ = -1; }

 private:
  int entry_;
};

#ifdef KEEL_DEBUG
void (*two_phase_hook)() = nullptr;
void RunTestHook() {
  if (two_phase_hook != nullptr) two_phase_hook();
}
#else
void RunTestHook() {}
#endif

TransactionId MaxXid(TransactionId top, std::span<const TransactionId> subxids) {
  TransactionId max = top;
  for (TransactionId xid : subxids) max = std::max(max, xid);
  return max;
}

}  // namespace

// --- shared memory --------------------------------------------------------------------------

size_t TwoPhaseShmemSize(int max_prepared) {
  return storage::AddSize(offsetof(TwoPhaseShared, entries),
                          storage::MulSize(static_cast<size_t>(std::max(max_prepared, 1)),
                                           sizeof(GlobalXact)));
}

void TwoPhaseShmemInit(int max_prepared) {
  bool found = false;
  shared = static_cast<TwoPhaseShared*>(
      storage::ShmemInitStruct("two-phase state", TwoPhaseShmemSize(max_prepared), &found));
  num_entries = max_prepared;
  if (found) return;
  shared->lock.Init(storage::lwtranche::kTwoPhaseState);
  shared->num_entries = max_prepared;
  for (int i = 0; i < max_prepared; ++i) ClearEntry(shared->entries[i]);
}

// --- state format ---------------------------------------------------------------------------

bool ParseTwoPhaseState(std::span<const std::byte> data, TwoPhaseState* out) {
  if (data.size() < sizeof(TwoPhaseStateHeader)) return false;
  std::memcpy(&out->header, data.data(), sizeof(TwoPhaseStateHeader));
  const TwoPhaseStateHeader& h = out->header;
  const size_t expected = sizeof(TwoPhaseStateHeader) + size_t{h.num_subxids} * sizeof(uint64_t) +
                          size_t{h.num_locks} * sizeof(storage::HeldLock) +
                          (size_t{h.num_commit_rels} + h.num_abort_rels) * sizeof(RelFileLocator);
  if (h.magic != kTwoPhaseMagic || data.size() != expected ||
      !TransactionIdIsNormal(TransactionId(h.xid)) || h.gid[kGidBytes - 1] != '\0' ||
      h.owner[kTwoPhaseNameBytes - 1] != '\0' || h.database[kTwoPhaseNameBytes - 1] != '\0') {
    return false;
  }
  const std::byte* p = data.data() + sizeof(TwoPhaseStateHeader);
  out->subxids.resize(h.num_subxids);
  for (uint32_t i = 0; i < h.num_subxids; ++i) {
    uint64_t value = 0;
    std::memcpy(&value, p + i * sizeof(uint64_t), sizeof(value));
    out->subxids[i] = TransactionId(value);
  }
  p += size_t{h.num_subxids} * sizeof(uint64_t);
  out->locks.resize(h.num_locks);
  if (h.num_locks > 0) std::memcpy(out->locks.data(), p, h.num_locks * sizeof(storage::HeldLock));
  p += size_t{h.num_locks} * sizeof(storage::HeldLock);
  out->commit_rels.resize(h.num_commit_rels);
  if (h.num_commit_rels > 0) {
    std::memcpy(out->commit_rels.data(), p, h.num_commit_rels * sizeof(RelFileLocator));
  }
  p += size_t{h.num_commit_rels} * sizeof(RelFileLocator);
  out->abort_rels.resize(h.num_abort_rels);
  if (h.num_abort_rels > 0) {
    std::memcpy(out->abort_rels.data(), p, h.num_abort_rels * sizeof(RelFileLocator));
  }
  return true;
}

std::string DescribeTwoPhaseState(std::span<const std::byte> data) {
  TwoPhaseState state;
  if (!ParseTwoPhaseState(data, &state)) return "(invalid prepare record)";
  std::string text = Format("gid %s; owner \"%s\"; database \"%s\"; locks: %u",
                            Quoted(state.header.gid).c_str(), state.header.owner,
                            state.header.database, state.header.num_locks);
  if (!state.subxids.empty()) {
    text += "; subxacts:";
    for (TransactionId xid : state.subxids) text += Format(" %" PRIu64, xid.value());
  }
  // pg_waldump's "; rels(commit): ...; rels(abort): ..." (database directories included).
  if (!state.commit_rels.empty()) {
    text += "; rels(commit):";
    for (const RelFileLocator& rel : state.commit_rels) text += " " + PendingDeletePath(rel);
  }
  if (!state.abort_rels.empty()) {
    text += "; rels(abort):";
    for (const RelFileLocator& rel : state.abort_rels) text += " " + PendingDeletePath(rel);
  }
  return text;
}

// --- PREPARE TRANSACTION --------------------------------------------------------------------

int ReserveGlobalTransaction(std::string_view gid, TransactionId xid) {
  if (gid.size() > kMaxGidLength) {
    throw Error(sqlstate::kInvalidParameterValue,
                "transaction identifier " + Quoted(gid) + " is too long");
  }
  if (num_entries == 0) {
    throw Error(sqlstate::kObjectNotInPrerequisiteState, "prepared transactions are disabled")
        .WithHint("Set max_prepared_transactions to a nonzero value.");
  }
  const ProcSlot* me = MySlot();
  LwLockGuard guard(&shared->lock, LwLockMode::kExclusive);
  int free_entry = -1;
  for (int i = 0; i < num_entries; ++i) {
    const GlobalXact& gx = Entry(i);
    if (gx.xid == 0) {
      if (free_entry < 0) free_entry = i;
    } else if (std::string_view(gx.gid) == gid) {
      throw Error(sqlstate::kDuplicateObject,
                  "transaction identifier " + Quoted(gid) + " is already in use");
    }
  }
  if (free_entry < 0) {
    throw Error(sqlstate::kOutOfMemory, "maximum number of prepared transactions reached")
        .WithHint(Format("Increase max_prepared_transactions (currently %d).", num_entries));
  }
  GlobalXact& gx = Entry(free_entry);
  ClearEntry(gx);
  gx.xid = xid.value();
  gx.prepared_at_us = NowUs();
  gx.locking_slot = me->slot_idx;
  CopyName(gx.gid, kGidBytes, gid);
  CopyName(gx.owner, kTwoPhaseNameBytes, me->user);
  CopyName(gx.database, kTwoPhaseNameBytes, me->database);
  return free_entry;
}

void CancelGlobalTransactionReservation(int entry) noexcept {
  LwLockGuard guard(&shared->lock, LwLockMode::kExclusive);
  ClearEntry(Entry(entry));
}

void PrepareGlobalTransaction(int entry, TransactionId xid, std::span<const TransactionId> subxids,
                              std::span<const RelFileLocator> commit_rels,
                              std::span<const RelFileLocator> abort_rels) {
  // Everything that can fail for ordinary reasons happens before the record.
  const std::vector<storage::HeldLock> locks = storage::LockListHeldByMe();
  const std::vector<std::byte> data =
      BuildStateData(Entry(entry), subxids, locks, commit_rels, abort_rels);
  WalRecordBuilder wal;
  wal.Reserve(data.size());

  ProcSlot* me = MySlot();
  me->delay_checkpoint.fetch_add(1);  // T5: a checkpoint waits until the file exists
  wal.RegisterData(data.data(), data.size());
  wal.SetTransactionId(xid);
  const Lsn end = wal.Insert(RmgrId::kXact, kXactPrepare);
  try {
    WalFlush(end);  // T3: always durable, whatever synchronous_commit says
    RunTestHook();
    WriteStateFile(xid, data);
  } catch (const std::exception& e) {
    Panic("could not prepare transaction %" PRIu64 ": %s", xid.value(), e.what());
  }
  me->delay_checkpoint.fetch_add(1);

  // T4: the xids move in one completion bracket and the locks are re-labelled in place, so no
  // reader sees the transaction end and no waiter gets a lock in between.
  ProcSlot* slot = storage::ProcArrayPreparedSlot(entry);
  ProcArrayTransferTransaction(slot);
  storage::LockTransferAllTo(slot->slot_idx);
  LwLockGuard guard(&shared->lock, LwLockMode::kExclusive);
  GlobalXact& gx = Entry(entry);
  gx.valid = 1;
  gx.locking_slot = -1;
}

// --- COMMIT / ROLLBACK PREPARED -------------------------------------------------------------

void FinishPreparedTransaction(std::string_view gid, bool commit) {
  KEEL_ASSERT(shared != nullptr);
  const int entry = LockGlobalTransaction(gid);
  GlobalXactLock entry_lock(entry);
  const TransactionId xid(Entry(entry).xid);
  TwoPhaseState state;
  std::string why;
  if (!ReadStateFile(StatePath(xid), &state, &why) || state.header.xid != xid.value()) {
    throw Error(sqlstate::kDataCorrupted,
                Format("corrupted two-phase state file for transaction %" PRIu64, xid.value()))
        .WithDetail(why);
  }
  ProcSlot* me = MySlot();
  // D10: the buffers of the storage the outcome removes go before the record and the T5
  // bracket; the prepared transaction's locks keep everyone else off it. Never throws.
  DropPendingBuffers(commit ? state.commit_rels : state.abort_rels,
                     storage::DropWait::kUninterruptible);
  entry_lock.Release();  // from the record on, the entry is only freed (T9)
  // T5: from before the record until the state file is gone, a checkpoint must not pass by
  // (a record before its redo pointer whose clog update or file removal was lost would bring
  // the transaction back as prepared).
  me->delay_checkpoint.fetch_add(1);
  const uint8_t info = commit ? kXactCommitPrepared : kXactAbortPrepared;
  const int64_t time_us = NowUs();
  // D7: the record names the storage its outcome removes, so redo removes it too (D8).
  const std::vector<RelFileLocator>& rels = commit ? state.commit_rels : state.abort_rels;
  const Lsn end = LogXactRecord(info, xid, time_us, state.subxids, rels);
  try {
    WalFlush(end);
    RunTestHook();
    const XidStatus status = commit ? XidStatus::kCommitted : XidStatus::kAborted;
    for (TransactionId sub : state.subxids) TransactionIdSetStatus(sub, status, kInvalidLsn);
    TransactionIdSetStatus(xid, status, kInvalidLsn);
    if (commit) {
      for (TransactionId sub : state.subxids) CommitTsSet(sub, time_us);
      CommitTsSet(xid, time_us);
    }
    RemoveTwoPhaseStateFile(xid);
  } catch (const std::exception& e) {
    Panic("could not finish prepared transaction %" PRIu64 ": %s", xid.value(), e.what());
  }
  // D4/D7: after the durable record, inside the delay bracket (T5), locks still held.
  UnlinkStorageNow(rels);
  me->delay_checkpoint.fetch_add(1);

  // X7/X8 as for a commit: out of the proc array first, then the locks go.
  ProcSlot* slot = storage::ProcArrayPreparedSlot(entry);
  ProcArrayEndPreparedTransaction(slot, MaxXid(xid, state.subxids));
  for (const storage::HeldLock& lock : state.locks) {
    (void)storage::LockReleaseOfProc(slot->slot_idx, lock.tag, lock.mode);
  }
  LwLockGuard guard(&shared->lock, LwLockMode::kExclusive);
  ClearEntry(Entry(entry));
}

std::vector<PreparedTransactionInfo> ListPreparedTransactions() {
  std::vector<PreparedTransactionInfo> list;
  if (shared == nullptr) return list;
  LwLockGuard guard(&shared->lock, LwLockMode::kShared);
  for (int i = 0; i < num_entries; ++i) {
    const GlobalXact& gx = Entry(i);
    if (gx.valid == 0) continue;  // being prepared: it may yet fail
    list.push_back(PreparedTransactionInfo{TransactionId(gx.xid), gx.gid, gx.prepared_at_us,
                                           gx.owner, gx.database});
  }
  return list;
}

#ifdef KEEL_DEBUG
void TestOnlySetTwoPhaseHook(void (*hook)()) { two_phase_hook = hook; }
#endif

// --- redo and restore -----------------------------------------------------------------------

void RedoTwoPhasePrepare(TransactionId xid, std::span<const std::byte> data) {
  TwoPhaseState state;
  if (!ParseTwoPhaseState(data, &state) || state.header.xid != xid.value()) {
    Panic("invalid prepare record for transaction %" PRIu64, xid.value());
  }
  for (TransactionId sub : state.subxids) AdvanceNextTransactionIdPast(sub);
  WriteStateFile(xid, data);  // T6
}

void RemoveTwoPhaseStateFile(TransactionId xid) {
  const std::string path = StatePath(xid);
  // A file left behind is harmless: start-up removes it as stale (T7). Failing here would turn a
  // durable COMMIT PREPARED into a PANIC, and its redo into a server that cannot start.
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
    Log(Severity::kWarning, "could not remove file \"%s\": %s", path.c_str(),
        ErrnoText(errno).c_str());
  }
}

void RestorePreparedTransactions() {
  KEEL_ASSERT(shared != nullptr);
  const std::string dir = DirectoryPath();
  std::vector<TransactionId> xids;
  if (DIR* d = ::opendir(dir.c_str())) {
    while (const dirent* ent = ::readdir(d)) {
      const std::string name = ent->d_name;
      if (name.size() == 20 && name.ends_with(".tmp")) {
        ::unlink((dir + "/" + name).c_str());  // T4: an interrupted write
        continue;
      }
      if (name.size() != 16 || name.find_first_not_of("0123456789ABCDEF") != std::string::npos) {
        continue;
      }
      xids.emplace_back(std::stoull(name, nullptr, 16));
    }
    ::closedir(d);
  } else if (errno != ENOENT) {
    ThrowFileError("could not open directory", dir, errno);
  }
  std::sort(xids.begin(), xids.end());

  std::vector<TwoPhaseState> restore;
  const TransactionId next = ReadNextTransactionId();
  for (TransactionId xid : xids) {
    const std::string path = StatePath(xid);
    if (xid >= next) {  // T7: never assigned as far as WAL knows
      Log(Severity::kWarning, "removing future two-phase state file for transaction %" PRIu64,
          xid.value());
      RemoveTwoPhaseStateFile(xid);
      continue;
    }
    // T7: finished (clog knows), or older than anything clog still keeps (so finished long ago).
    if (xid < ReadOldestClogXid() || TransactionIdDidCommit(xid) || TransactionIdDidAbort(xid)) {
      Log(Severity::kWarning, "removing stale two-phase state file for transaction %" PRIu64,
          xid.value());
      RemoveTwoPhaseStateFile(xid);
      continue;
    }
    TwoPhaseState state;
    std::string why;
    if (!ReadStateFile(path, &state, &why) || state.header.xid != xid.value()) {
      throw FatalError(sqlstate::kDataCorrupted,
                       Format("corrupted two-phase state file for transaction %" PRIu64,
                              xid.value()))
          .WithDetail(why);
    }
    restore.push_back(std::move(state));
  }
  if (static_cast<int>(restore.size()) > num_entries) {
    throw FatalError(sqlstate::kOutOfMemory, "maximum number of prepared transactions reached")
        .WithHint(Format("Increase max_prepared_transactions (currently %d).", num_entries));
  }

  // T8: subtransactions that do not fit a slot's cache need their parents in subxact/, which
  // start-up cleared; re-extend it from the oldest such xid and record them.
  TransactionId oldest_overflowed = next;
  for (const TwoPhaseState& state : restore) {
    if (state.subxids.size() > static_cast<size_t>(storage::kProcMaxCachedSubxids)) {
      oldest_overflowed = std::min(oldest_overflowed, state.subxids.front());
    }
  }
  if (oldest_overflowed < next) {
    for (int64_t page = SubTransPageOf(oldest_overflowed); page <= SubTransPageOf(next); ++page) {
      const uint64_t first = static_cast<uint64_t>(page) * kSubTransXidsPerPage;
      SubTransExtend(TransactionId(std::max(first, oldest_overflowed.value())));
    }
  }

  for (size_t i = 0; i < restore.size(); ++i) {
    const TwoPhaseState& state = restore[i];
    const TransactionId xid(state.header.xid);
    Log(Severity::kLog, "recovering prepared transaction %" PRIu64 " from shared memory",
        xid.value());
    if (state.subxids.size() > static_cast<size_t>(storage::kProcMaxCachedSubxids)) {
      for (TransactionId sub : state.subxids) SubTransSetParent(sub, xid);
    }
    GlobalXact& gx = Entry(static_cast<int>(i));
    ClearEntry(gx);
    gx.xid = xid.value();
    gx.prepared_at_us = state.header.prepared_at_us;
    std::memcpy(gx.gid, state.header.gid, kGidBytes);
    std::memcpy(gx.owner, state.header.owner, kTwoPhaseNameBytes);
    std::memcpy(gx.database, state.header.database, kTwoPhaseNameBytes);
    ProcSlot* slot = storage::ProcArrayPreparedSlot(static_cast<int>(i));
    ProcArraySetPreparedTransaction(slot, xid, state.subxids);
    for (const storage::HeldLock& lock : state.locks) {
      storage::LockGrantToProc(slot->slot_idx, lock.tag, lock.mode);
    }
    gx.valid = 1;
  }
}

}  // namespace keel::transam
