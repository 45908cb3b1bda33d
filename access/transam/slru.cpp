// SLRU buffers: lookup, LRU replacement, physical reads/writes of segment files, checkpoint
// flush and truncation. See README.md ("SLRU, commit log, commit timestamps", S1-S9).
#include "access/transam/slru.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <new>
#include <vector>

#include "access/transam/wal.h"
#include "backend/utils/config/settings.h"
#include "backend/utils/error/error.h"
#include "backend/utils/error/format.h"
#include "backend/utils/error/sqlstate.h"
#include "storage/file/file_io.h"
#include "storage/ipc/shmem.h"

namespace keel::transam {
namespace {

using storage::LwLockMode;

constexpr size_t kSlotsOffset = (sizeof(SlruShared) + 63) / 64 * 64;

size_t PagesOffset(int num_buffers) {
  const size_t end_of_slots = kSlotsOffset + sizeof(SlruSlot) * static_cast<size_t>(num_buffers);
  return (end_of_slots + kSlruPageSize - 1) / kSlruPageSize * kSlruPageSize;
}

[[noreturn]] void ThrowIoError(TransactionId xid, int saved_errno, std::string detail) {
  const SqlState state =
      saved_errno != 0 ? storage::FileAccessSqlState(saved_errno) : sqlstate::kInternalError;
  throw Error(state, Format("could not access status of transaction %llu",
                            static_cast<unsigned long long>(xid.value())))
      .WithDetail(std::move(detail));
}

void Touch(const SlruCtl& ctl, int slot) {
  const uint64_t now = ctl.shared->lru_clock.fetch_add(1, std::memory_order_relaxed) + 1;
  ctl.slots[slot].lru_count.store(now, std::memory_order_relaxed);
}

// S3: waits for the I/O in progress on `slot` by queueing on its io_lock with control_lock
// released. Requires/ensures: control_lock held exclusive.
void WaitIo(const SlruCtl& ctl, int slot) {
  ctl.shared->control_lock.Release();
  ctl.slots[slot].io_lock.Acquire(LwLockMode::kShared);
  ctl.slots[slot].io_lock.Release();
  ctl.shared->control_lock.Acquire(LwLockMode::kExclusive);
}

int FindSlot(const SlruCtl& ctl, int64_t page_no) {
  for (int i = 0; i < ctl.shared->num_buffers; ++i) {
    if (ctl.slots[i].state != SlruPageState::kEmpty && ctl.slots[i].page_no == page_no) return i;
  }
  return -1;
}

void PhysicalRead(const SlruCtl& ctl, int64_t page_no, std::byte* page, TransactionId xid) {
  const int64_t segno = page_no / kSlruPagesPerSegment;
  const off_t offset = static_cast<off_t>(page_no % kSlruPagesPerSegment) * kSlruPageSize;
  const std::string path = SlruSegmentPath(ctl, segno);
  const int fd = storage::FileOpen(path, O_RDONLY);
  if (fd < 0) {
    const int e = errno;
    ThrowIoError(xid, e, Format("Could not open file \"%s\": %s.", path.c_str(), ErrnoText(e).c_str()));
  }
  const ssize_t n = storage::FileReadAt(fd, page, kSlruPageSize, offset);
  const int e = errno;
  storage::FileClose(fd);
  if (n < 0) {
    ThrowIoError(xid, e, Format("Could not read from file \"%s\" at offset %lld: %s.", path.c_str(),
                                static_cast<long long>(offset), ErrnoText(e).c_str()));
  }
  if (n != static_cast<ssize_t>(kSlruPageSize)) {
    ThrowIoError(xid, 0, Format("Could not read from file \"%s\" at offset %lld: read too few bytes.",
                                path.c_str(), static_cast<long long>(offset)));
  }
}

// The directory holding `path` (".", when it has none).
std::string ParentOf(const std::string& path) {
  const size_t slash = path.rfind('/');
  return slash == std::string::npos ? "." : path.substr(0, slash);
}

// S10: makes a just-created directory entry durable by fsyncing the directory holding it.
void SyncEntryIn(const std::string& path) {
  if (!settings::fsync) return;
  const std::string parent = ParentOf(path);
  if (storage::FsyncDirectory(parent) != 0) storage::PanicOnFsyncFailure(parent, errno);
}

// Writes one page into its segment (creating the file, and the directory, when missing) and
// fsyncs it (S6: pages written outside SlruFlushAll are durable at once, so a checkpoint only
// has to fsync what it writes itself).
void PhysicalWrite(const SlruCtl& ctl, int64_t page_no, const std::byte* page) {
  const int64_t segno = page_no / kSlruPagesPerSegment;
  const off_t offset = static_cast<off_t>(page_no % kSlruPagesPerSegment) * kSlruPageSize;
  const std::string path = SlruSegmentPath(ctl, segno);
  int fd = storage::FileOpen(path, O_RDWR);
  bool created = false;
  if (fd < 0 && errno == ENOENT) {
    // The directory and its parents ("multixact/offsets"): each component in turn, each made
    // durable in its parent (S10).
    const std::string dir = ctl.shared->dir;
    for (size_t slash = dir.find('/');; slash = dir.find('/', slash + 1)) {
      const std::string component = slash == std::string::npos ? dir : dir.substr(0, slash);
      if (mkdir(component.c_str(), 0700) == 0) SyncEntryIn(component);
      if (slash == std::string::npos) break;
    }
    fd = storage::FileOpen(path, O_RDWR | O_CREAT);
    created = fd >= 0;
  }
  if (fd < 0) {
    const int e = errno;
    throw Error(storage::FileAccessSqlState(e),
                Format("could not open file \"%s\": %s", path.c_str(), ErrnoText(e).c_str()));
  }
  const ssize_t n = storage::FileWriteAt(fd, page, kSlruPageSize, offset);
  if (n != static_cast<ssize_t>(kSlruPageSize)) {
    const int e = n < 0 ? errno : ENOSPC;
    storage::FileClose(fd);
    throw Error(storage::FileAccessSqlState(e),
                Format("could not write to file \"%s\" at offset %lld: %s", path.c_str(),
                       static_cast<long long>(offset), ErrnoText(e).c_str()));
  }
  if (settings::fsync && storage::FileSync(fd) != 0) {
    storage::PanicOnFsyncFailure(path, errno);  // S6
  }
  storage::FileClose(fd);
  if (created) SyncEntryIn(path);  // S10: the new segment's name is durable too
}

// Picks a slot for `page_no`: the slot already holding it, an empty slot, or the least
// recently used clean slot not in I/O, writing dirty victims first (S4). Requires/ensures:
// control_lock exclusive (released meanwhile while waiting or writing, hence the loop).
int SelectSlot(const SlruCtl& ctl, int64_t page_no) {
  for (;;) {
    if (const int found = FindSlot(ctl, page_no); found >= 0) return found;
    int victim = -1;
    int busy = -1;
    uint64_t best = UINT64_MAX;
    uint64_t best_busy = UINT64_MAX;
    for (int i = 0; i < ctl.shared->num_buffers; ++i) {
      const SlruSlot& s = ctl.slots[i];
      if (s.state == SlruPageState::kEmpty) return i;
      const uint64_t lru = s.lru_count.load(std::memory_order_relaxed);
      if (s.state == SlruPageState::kValid) {
        // S9: never evict the latest page; it is about to be used by new xids.
        if (s.page_no == ctl.shared->latest_page_no && ctl.shared->num_buffers > 1) continue;
        if (lru < best) {
          best = lru;
          victim = i;
        }
      } else if (lru < best_busy) {
        best_busy = lru;
        busy = i;
      }
    }
    if (victim < 0) {
      KEEL_ASSERT(busy >= 0);
      WaitIo(ctl, busy);
      continue;
    }
    if (!ctl.slots[victim].dirty) return victim;
    SlruWriteSlot(ctl, victim);
  }
}

}  // namespace

size_t SlruShmemSize(int num_buffers) {
  KEEL_ASSERT(num_buffers >= 1 && num_buffers <= kSlruMaxBuffers);
  return storage::AddSize(PagesOffset(num_buffers),
                          storage::MulSize(kSlruPageSize, static_cast<size_t>(num_buffers)));
}

void SlruShmemInit(SlruCtl* ctl, const char* name, int num_buffers, const char* dir,
                   uint16_t tranche) {
  KEEL_ASSERT(std::strlen(dir) < kSlruMaxDirBytes);
  bool found = false;
  auto* base = static_cast<std::byte*>(
      storage::ShmemInitStruct(name, SlruShmemSize(num_buffers), &found));
  ctl->shared = reinterpret_cast<SlruShared*>(base);
  ctl->slots = reinterpret_cast<SlruSlot*>(base + kSlotsOffset);
  ctl->pages = base + PagesOffset(num_buffers);
  if (found) {
    KEEL_ASSERT(ctl->shared->num_buffers == num_buffers);
    return;
  }
  // Zeroed memory: placement-new the atomics so their lifetime begins properly.
  SlruShared* shared = new (base) SlruShared{};
  shared->control_lock.Init(tranche);
  shared->num_buffers = num_buffers;
  shared->latest_page_no = -1;
  std::strncpy(shared->dir, dir, kSlruMaxDirBytes - 1);
  for (int i = 0; i < num_buffers; ++i) {
    SlruSlot* slot = new (&ctl->slots[i]) SlruSlot{};
    slot->page_no = -1;
    slot->state = SlruPageState::kEmpty;
    slot->io_lock.Init(tranche);
  }
}

int SlruReadPage(const SlruCtl& ctl, int64_t page_no, bool for_write, TransactionId xid) {
  KEEL_ASSERT(page_no >= 0);
  KEEL_ASSERT(ctl.shared->control_lock.HeldByMeInMode(LwLockMode::kExclusive));
  for (;;) {
    const int slot = SelectSlot(ctl, page_no);
    SlruSlot& s = ctl.slots[slot];
    if (s.state != SlruPageState::kEmpty && s.page_no == page_no) {
      if (s.state == SlruPageState::kReadInProgress ||
          (for_write && s.state == SlruPageState::kWriteInProgress)) {
        WaitIo(ctl, slot);  // S4: then look again, the page may have moved
        continue;
      }
      Touch(ctl, slot);
      return slot;
    }
    // S3: claim the slot for our read, then do the I/O without the control lock.
    s.page_no = page_no;
    s.state = SlruPageState::kReadInProgress;
    s.dirty = false;
    s.group_lsn = 0;
    s.io_lock.Acquire(LwLockMode::kExclusive);
    ctl.shared->control_lock.Release();
    try {
      PhysicalRead(ctl, page_no, SlruPageData(ctl, slot), xid);
    } catch (...) {
      ctl.shared->control_lock.Acquire(LwLockMode::kExclusive);
      s.state = SlruPageState::kEmpty;
      s.page_no = -1;
      s.io_lock.Release();
      throw;
    }
    ctl.shared->control_lock.Acquire(LwLockMode::kExclusive);
    s.state = SlruPageState::kValid;
    s.io_lock.Release();
    Touch(ctl, slot);
    return slot;
  }
}

int SlruReadPageReadOnly(const SlruCtl& ctl, int64_t page_no, TransactionId xid) {
  ctl.shared->control_lock.Acquire(LwLockMode::kShared);
  const int found = FindSlot(ctl, page_no);
  if (found >= 0 && (ctl.slots[found].state == SlruPageState::kValid ||
                     ctl.slots[found].state == SlruPageState::kWriteInProgress)) {
    Touch(ctl, found);
    return found;
  }
  ctl.shared->control_lock.Release();
  ctl.shared->control_lock.Acquire(LwLockMode::kExclusive);
  try {
    return SlruReadPage(ctl, page_no, /*for_write=*/false, xid);
  } catch (...) {
    ctl.shared->control_lock.Release();  // the caller only owns the lock on success
    throw;
  }
}

int SlruZeroPage(const SlruCtl& ctl, int64_t page_no) {
  KEEL_ASSERT(page_no >= 0);
  KEEL_ASSERT(ctl.shared->control_lock.HeldByMeInMode(LwLockMode::kExclusive));
  for (;;) {
    const int slot = SelectSlot(ctl, page_no);
    SlruSlot& s = ctl.slots[slot];
    if (s.state == SlruPageState::kReadInProgress || s.state == SlruPageState::kWriteInProgress) {
      WaitIo(ctl, slot);
      continue;
    }
    s.page_no = page_no;
    s.state = SlruPageState::kValid;
    s.dirty = true;
    s.group_lsn = 0;
    std::memset(SlruPageData(ctl, slot), 0, kSlruPageSize);
    Touch(ctl, slot);
    if (page_no > ctl.shared->latest_page_no) ctl.shared->latest_page_no = page_no;
    return slot;
  }
}

std::byte* SlruPageData(const SlruCtl& ctl, int slot) {
  return ctl.pages + static_cast<size_t>(slot) * kSlruPageSize;
}

void SlruMarkDirty(const SlruCtl& ctl, int slot, Lsn lsn) {
  SlruSlot& s = ctl.slots[slot];
  KEEL_ASSERT(s.state == SlruPageState::kValid);
  s.dirty = true;
  if (lsn.value() > s.group_lsn) s.group_lsn = lsn.value();  // S5
}

void SlruWriteSlot(const SlruCtl& ctl, int slot) {
  KEEL_ASSERT(ctl.shared->control_lock.HeldByMeInMode(LwLockMode::kExclusive));
  SlruSlot& s = ctl.slots[slot];
  if (s.state != SlruPageState::kValid || !s.dirty) return;
  const int64_t page_no = s.page_no;
  const Lsn group_lsn{s.group_lsn};
  // S4: nobody changes the bytes while the state is kWriteInProgress; a change made after
  // the write sets dirty again.
  s.state = SlruPageState::kWriteInProgress;
  s.dirty = false;
  s.io_lock.Acquire(LwLockMode::kExclusive);
  ctl.shared->control_lock.Release();
  try {
    // S5: WAL before data. WalNeedsFlush is false while nothing is inserted (recovery).
    if (group_lsn.valid() && WalNeedsFlush(group_lsn)) WalFlush(group_lsn);
    PhysicalWrite(ctl, page_no, SlruPageData(ctl, slot));
  } catch (...) {
    ctl.shared->control_lock.Acquire(LwLockMode::kExclusive);
    s.state = SlruPageState::kValid;
    s.dirty = true;
    s.io_lock.Release();
    throw;
  }
  ctl.shared->control_lock.Acquire(LwLockMode::kExclusive);
  s.state = SlruPageState::kValid;
  s.io_lock.Release();
}

void SlruFlushAll(const SlruCtl& ctl) {
  storage::LwLockGuard guard(&ctl.shared->control_lock, LwLockMode::kExclusive);
  for (int i = 0; i < ctl.shared->num_buffers; ++i) {
    for (;;) {
      const SlruSlot& s = ctl.slots[i];
      if (s.state == SlruPageState::kValid && s.dirty) {
        SlruWriteSlot(ctl, i);  // fsyncs (S6)
      } else if (s.state == SlruPageState::kWriteInProgress) {
        WaitIo(ctl, i);  // someone else's write; it fsyncs too, but finish before returning
      } else {
        break;
      }
    }
  }
}

void SlruTruncate(const SlruCtl& ctl, int64_t cutoff_page) {
  const int64_t cutoff_segno = cutoff_page / kSlruPagesPerSegment;
  const int64_t first_kept_page = cutoff_segno * kSlruPagesPerSegment;
  {
    storage::LwLockGuard guard(&ctl.shared->control_lock, LwLockMode::kExclusive);
    for (int i = 0; i < ctl.shared->num_buffers;) {
      SlruSlot& s = ctl.slots[i];
      if (s.state == SlruPageState::kEmpty || s.page_no >= first_kept_page) {
        ++i;
        continue;
      }
      if (s.state != SlruPageState::kValid) {
        WaitIo(ctl, i);  // then look at the same slot again
        continue;
      }
      s.state = SlruPageState::kEmpty;  // S7: dropped even if dirty, its file goes away
      s.dirty = false;
      s.page_no = -1;
      ++i;
    }
  }
  DIR* d = opendir(ctl.shared->dir);
  if (d == nullptr) {
    if (errno == ENOENT) return;
    const int e = errno;
    throw Error(storage::FileAccessSqlState(e), Format("could not open directory \"%s\": %s",
                                                       ctl.shared->dir, ErrnoText(e).c_str()));
  }
  std::vector<int64_t> doomed;
  while (const dirent* entry = readdir(d)) {
    const char* name = entry->d_name;
    if (std::strlen(name) != 15 || std::strspn(name, "0123456789ABCDEF") != 15) continue;
    const auto segno = static_cast<int64_t>(std::strtoull(name, nullptr, 16));
    if (segno < cutoff_segno) doomed.push_back(segno);
  }
  closedir(d);
  for (const int64_t segno : doomed) {
    const std::string path = SlruSegmentPath(ctl, segno);
    if (unlink(path.c_str()) != 0 && errno != ENOENT) {
      const int e = errno;
      throw Error(storage::FileAccessSqlState(e),
                  Format("could not remove file \"%s\": %s", path.c_str(), ErrnoText(e).c_str()));
    }
  }
  if (!doomed.empty() && settings::fsync && storage::FsyncDirectory(ctl.shared->dir) != 0) {
    storage::PanicOnFsyncFailure(ctl.shared->dir, errno);
  }
}

std::string SlruSegmentPath(const SlruCtl& ctl, int64_t segno) {
  return Format("%s/%015llX", ctl.shared->dir, static_cast<unsigned long long>(segno));
}

bool SlruSegmentExists(const SlruCtl& ctl, int64_t segno) {
  struct stat st {};
  return stat(SlruSegmentPath(ctl, segno).c_str(), &st) == 0;
}

}  // namespace keel::transam
