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
    // Taken by another segment (or another user's, which we may not even look at).
    if (saved_errno == EEXIST || saved_errno == EACCES) continue;
    throw keel::FatalError(keel::sqlstate::kInsufficientResources,
                           "could not create shared memory segment: " +
                               keel::ErrnoText(saved_errno))
        .WithDetail(keel::Format("Failed system call was shmget(key=%d, size=%zu, 0%o).",
                                 static_cast<int>(key), sizeof(InterlockHeader),
                                 IPC_CREAT | IPC_EXCL | 0600));
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
  // I1: destroyed by the kernel once the last attached process is gone, even after a crash
  // of everything. Linux still answers IPC_STAT and allows shmat on the id meanwhile.
  shmctl(shmid, IPC_RMID, nullptr);
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
  // Already marked IPC_RMID at creation; repeat it while still attached (the id is surely
  // ours now), never after detaching, when the id may already belong to someone else.
  shmctl(static_cast<int>(id.shmid), IPC_RMID, nullptr);
  shmdt(attached_addr);
  attached_addr = nullptr;
  attached_shmid = -1;
}

}  // namespace keel::storage
