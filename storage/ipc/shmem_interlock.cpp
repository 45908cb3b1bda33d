// System V interlock segment: create, check, release. See storage/ipc/README.md (I1-I5).
#include "storage/ipc/shmem_interlock.h"

#include <sys/ipc.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "backend/utils/error/error.h"
#include "backend/utils/error/format.h"

namespace keel::storage {
namespace {

constexpr uint64_t kInterlockMagic = 0x4b45454c494c4b31;  // "KEELILK1"
constexpr int kMaxKeyTries = 1000;

struct InterlockHeader {
  uint64_t magic;
  int64_t creator_pid;
  uint64_t data_dir_dev;
  uint64_t data_dir_ino;
};

// Process-local; inherited by fork together with the attachment itself.
void* attached_addr = nullptr;
int64_t attached_shmid = -1;

// I2: keys start from the directory's inode; never IPC_PRIVATE (0), always positive.
key_t FirstKey(const struct stat& st) {
  const auto key = static_cast<key_t>(st.st_ino % 0x7fffffffu);
  return key == IPC_PRIVATE ? 1 : key;
}

key_t NextKey(key_t key) { return key == 0x7ffffffe ? 1 : key + 1; }

// What a segment found under our key is: ours and in use, ours and abandoned, or not ours.
InterlockState InspectSegment(int shmid, const struct stat& dir) {
  struct shmid_ds ds;
  if (shmctl(shmid, IPC_STAT, &ds) != 0) {
    return (errno == EINVAL || errno == EIDRM) ? InterlockState::kGone : InterlockState::kNotOurs;
  }
  if (ds.shm_segsz < sizeof(InterlockHeader)) return InterlockState::kNotOurs;
  void* addr = shmat(shmid, nullptr, SHM_RDONLY);
  if (addr == reinterpret_cast<void*>(-1)) {
    return (errno == EINVAL || errno == EIDRM) ? InterlockState::kGone : InterlockState::kNotOurs;
  }
  const InterlockHeader header = *static_cast<const InterlockHeader*>(addr);
  shmdt(addr);
  if (header.magic != kInterlockMagic || header.data_dir_dev != static_cast<uint64_t>(dir.st_dev) ||
      header.data_dir_ino != static_cast<uint64_t>(dir.st_ino)) {
    return InterlockState::kNotOurs;
  }
  // I5: read before our own attach above, so our look does not count.
  return ds.shm_nattch > 0 ? InterlockState::kInUse : InterlockState::kGone;
}

}  // namespace

InterlockId CreateShmemInterlock(const std::string& data_dir) {
  struct stat st;
  if (stat(data_dir.c_str(), &st) != 0) {
    const int saved_errno = errno;
    throw keel::FatalError(keel::sqlstate::kIoError,
                           keel::Format("could not stat data directory \"%s\": %s",
                                        data_dir.c_str(), keel::ErrnoText(saved_errno).c_str()));
  }
  key_t key = FirstKey(st);
  int shmid = -1;
  for (int tries = 0; tries < kMaxKeyTries; ++tries, key = NextKey(key)) {
    shmid = shmget(key, sizeof(InterlockHeader), IPC_CREAT | IPC_EXCL | 0600);
    if (shmid >= 0) break;
    const int saved_errno = errno;
    if (saved_errno == EACCES) continue;  // another user's key
    if (saved_errno != EEXIST) {
      throw keel::FatalError(keel::sqlstate::kInsufficientResources,
                             "could not create shared memory segment: " +
                                 keel::ErrnoText(saved_errno))
          .WithDetail(keel::Format("Failed system call was shmget(key=%d, size=%zu, 0%o).",
                                   static_cast<int>(key), sizeof(InterlockHeader),
                                   IPC_CREAT | IPC_EXCL | 0600));
    }
    // I1: the key is taken. A segment of this data directory with processes attached means a
    // live server or orphaned children of a dead one (even if postmaster.pid was removed); one
    // with nobody attached was left by a crash and is reclaimed.
    int existing = shmget(key, 0, 0);
    if (existing < 0) continue;
    InterlockState state = InspectSegment(existing, st);
    if (state == InterlockState::kInUse) {
      throw keel::FatalError(keel::sqlstate::kObjectInUse,
                             keel::Format("pre-existing shared memory block (key %d, ID %d) is "
                                          "still in use",
                                          static_cast<int>(key), existing))
          .WithHint(keel::Format("Terminate any old server processes associated with data "
                                 "directory \"%s\".",
                                 data_dir.c_str()));
    }
    if (state == InterlockState::kGone) {
      shmctl(existing, IPC_RMID, nullptr);
      key = key - 1;  // NextKey brings the loop back to this key
      if (key == 0) key = 0x7ffffffe;
    }
  }
  if (shmid < 0) {
    throw keel::FatalError(keel::sqlstate::kInsufficientResources,
                           "could not create shared memory segment: no free key")
        .WithDetail(keel::Format("Tried %d keys starting at %d.", kMaxKeyTries,
                                 static_cast<int>(FirstKey(st))));
  }
  void* addr = shmat(shmid, nullptr, 0);
  if (addr == reinterpret_cast<void*>(-1)) {
    const int saved_errno = errno;
    shmctl(shmid, IPC_RMID, nullptr);
    throw keel::FatalError(keel::sqlstate::kInsufficientResources,
                           keel::Format("shmat(id=%d) failed: %s", shmid,
                                        keel::ErrnoText(saved_errno).c_str()));
  }
  auto* header = static_cast<InterlockHeader*>(addr);
  header->magic = kInterlockMagic;
  header->creator_pid = getpid();
  header->data_dir_dev = static_cast<uint64_t>(st.st_dev);
  header->data_dir_ino = static_cast<uint64_t>(st.st_ino);
  // I1: stays addressable by key until released; children inherit the attachment.
  attached_addr = addr;
  attached_shmid = shmid;
  return InterlockId{static_cast<int64_t>(key), static_cast<int64_t>(shmid)};
}

InterlockState CheckShmemInterlock(InterlockId id, const std::string& data_dir) {
  if (id.shmid < 0 || id.shmid > INT32_MAX) return InterlockState::kNotOurs;
  const int shmid = static_cast<int>(id.shmid);
  struct shmid_ds ds;
  if (shmctl(shmid, IPC_STAT, &ds) != 0) {
    switch (errno) {
      case EINVAL:
      case EIDRM: return InterlockState::kGone;
      case EACCES: return InterlockState::kNotOurs;  // not ours: we create it 0600 as ourselves
      default: return InterlockState::kInUse;        // I3: cannot tell, assume the worst
    }
  }
  if (ds.shm_segsz < sizeof(InterlockHeader)) return InterlockState::kNotOurs;
  struct stat st;
  if (stat(data_dir.c_str(), &st) != 0) return InterlockState::kInUse;  // I3

  void* addr = shmat(shmid, nullptr, SHM_RDONLY);
  if (addr == reinterpret_cast<void*>(-1)) {
    switch (errno) {
      case EINVAL:
      case EIDRM: return InterlockState::kGone;
      case EACCES: return InterlockState::kNotOurs;
      default: return InterlockState::kInUse;
    }
  }
  const InterlockHeader header = *static_cast<const InterlockHeader*>(addr);
  shmdt(addr);
  // I4: the id may have been reused for an unrelated segment; only our header counts.
  if (header.magic != kInterlockMagic || header.data_dir_dev != static_cast<uint64_t>(st.st_dev) ||
      header.data_dir_ino != static_cast<uint64_t>(st.st_ino)) {
    return InterlockState::kNotOurs;
  }
  // I5: nattch counts every process of the old server (children inherit the attachment),
  // read before our own attach above.
  return ds.shm_nattch > 0 ? InterlockState::kInUse : InterlockState::kGone;
}

void ReleaseShmemInterlock(InterlockId id) {
  if (attached_addr == nullptr || attached_shmid != id.shmid) return;
  // Removed while still attached (the id is surely ours now), never after detaching, when
  // the id may already belong to someone else.
  shmctl(static_cast<int>(id.shmid), IPC_RMID, nullptr);
  shmdt(attached_addr);
  attached_addr = nullptr;
  attached_shmid = -1;
}

void ReleaseShmemInterlockInChild() {
  if (attached_addr == nullptr) return;
  shmdt(attached_addr);
  attached_addr = nullptr;
  attached_shmid = -1;
}

}  // namespace keel::storage
