// Sync request tests: immediate mode without a checkpointer, one fsync per dirty file per
// checkpoint, forget requests, the deferred-unlink cycle, forked writers feeding a
// checkpointer (in this process, and in another process woken by its latch), the full-queue
// fallbacks (sender fsyncs; forget/unlink wait), compaction order, and PANIC on fsync
// failure or a vanished file. See README.md (SY1-SY7).
#include "storage/sync/sync.h"

#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <set>
#include <vector>

#include <gtest/gtest.h>

#include "backend/utils/config/settings.h"
#include "storage/file/file_io.h"
#include "storage/ipc/fork_test_util.h"
#include "storage/ipc/latch.h"
#include "storage/ipc/proc_array.h"
#include "storage/ipc/process_context.h"
#include "storage/ipc/shmem.h"
#include "storage/lmgr/lwlock.h"
#include "storage/smgr/smgr.h"

namespace keel::storage {
namespace {

using testing::ForkChild;
using testing::SleepMs;
using testing::WaitChild;
using testing::WaitUntil;

RelFileLocator Rel(uint32_t relno) { return RelFileLocator{Oid(1663), Oid(5), Oid(relno)}; }

FileTag Tag(uint32_t relno, ForkNumber fork = ForkNumber::kMain, uint32_t segno = 0) {
  return FileTag{Rel(relno), fork, segno};
}

bool Exists(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0;
}

off_t FileSize(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0 ? st.st_size : -1;
}

// Creates the fork if needed and appends `blocks` blocks (registering sync requests unless
// `skip_fsync`).
void Grow(uint32_t relno, int blocks, bool skip_fsync, ForkNumber fork = ForkNumber::kMain) {
  if (!SmgrExists(Rel(relno), fork)) SmgrCreate(Rel(relno), fork, false);
  std::vector<std::byte> page(kBlockSize, std::byte{0x5A});
  const uint32_t first = SmgrNBlocks(Rel(relno), fork).value();
  for (int i = 0; i < blocks; ++i) {
    SmgrExtend(Rel(relno), fork, BlockNumber(first + static_cast<uint32_t>(i)), page.data(),
               skip_fsync);
  }
}

// Flags shared with forked children.
struct TestShared {
  std::atomic<int> ready;
  std::atomic<int> stop;
  std::atomic<int> absorbed_rounds;
  std::atomic<int> files_synced;
  std::atomic<Latch*> checkpointer_latch;
};

class SyncTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/keel_sync_XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    old_cwd_ = std::filesystem::current_path();
    ASSERT_EQ(chdir(dir_.c_str()), 0);
    std::filesystem::create_directories("base/5");
    settings::fsync = true;
    settings::io_method = settings::IoMethod::kSync;
    InitProcessContext(ProcessRole::kPostmaster);
  }
  void TearDown() override {
    SetSyncRequestsLocal(false);
    SmgrCloseAll();
    ReleaseAllLwLocks();
    if (ShmemIsCreated()) ShmemDestroy();
    std::filesystem::current_path(old_cwd_);
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  // Shared memory with a sync queue of `entries`, a small proc array and the test flags.
  void Init(int entries) {
    ShmemCreate(AddSize(AddSize(SyncShmemSize(entries), ProcArrayShmemSize(4, 4)),
                        sizeof(TestShared)));
    ProcArrayShmemInit(4, 4);
    SyncShmemInit(entries);
    bool found = false;
    shared_ = static_cast<TestShared*>(ShmemInitStruct("sync test", sizeof(TestShared), &found));
  }

  // Runs a checkpoint's sync part as the checkpointer does.
  static void Checkpoint() {
    SyncPreCheckpoint();
    ProcessSyncRequests();
    SyncPostCheckpoint();
  }

  std::string dir_;
  std::filesystem::path old_cwd_;
  TestShared* shared_ = nullptr;
};

TEST_F(SyncTest, WithoutCheckpointerRequestsAreDoneAtOnce) {
  Init(16);
  Grow(1, 3, /*skip_fsync=*/false);
  EXPECT_EQ(BackendFsyncCount(), 3u);  // every extension fsynced by the sender (SY6)
  Grow(1, 2, /*skip_fsync=*/true);
  EXPECT_EQ(BackendFsyncCount(), 3u);
  EXPECT_EQ(SyncQueueLength(), 0);
  SmgrUnlinkAfterCheckpoint(Rel(1));
  EXPECT_FALSE(Exists("base/5/1"));
}

TEST_F(SyncTest, CheckpointerSyncsEachDirtyFileOnce) {
  Init(16);
  SetSyncRequestsLocal(true);
  Grow(1, 5, false);
  Grow(1, 2, false, ForkNumber::kFsm);
  Grow(2, 3, false);
  Grow(3, 3, /*skip_fsync=*/true);  // not registered
  EXPECT_EQ(SyncQueueLength(), 0);  // the checkpointer's own requests go straight in
  ProcessSyncRequests();
  EXPECT_EQ(LastSyncStats().files_synced, 3u);
#ifdef KEEL_DEBUG
  std::vector<FileTag> synced = TestOnlyLastSyncedFiles();
  ASSERT_EQ(synced.size(), 3u);
  for (const FileTag& t : {Tag(1), Tag(1, ForkNumber::kFsm), Tag(2)}) {
    EXPECT_NE(std::find(synced.begin(), synced.end(), t), synced.end());
  }
#endif
  ProcessSyncRequests();
  EXPECT_EQ(LastSyncStats().files_synced, 0u);  // nothing dirty since
  SmgrWrite(Rel(2), ForkNumber::kMain, BlockNumber(1), std::vector<std::byte>(kBlockSize).data(),
            false);
  ProcessSyncRequests();
  EXPECT_EQ(LastSyncStats().files_synced, 1u);
  EXPECT_EQ(BackendFsyncCount(), 0u);
}

TEST_F(SyncTest, FsyncOffStillClearsRequests) {
  Init(16);
  SetSyncRequestsLocal(true);
  settings::fsync = false;
  Grow(1, 2, false);
  ProcessSyncRequests();
  EXPECT_EQ(LastSyncStats().files_synced, 0u);
  settings::fsync = true;
  ProcessSyncRequests();
  EXPECT_EQ(LastSyncStats().files_synced, 0u);  // the request was consumed
}

TEST_F(SyncTest, ForgetCancelsPendingSyncsOfTheRelationOnly) {
  Init(16);
  SetSyncRequestsLocal(true);
  Grow(1, 2, false);
  Grow(1, 2, false, ForkNumber::kVisibilityMap);
  Grow(2, 2, false);
  RegisterSyncRequest(Tag(1), SyncRequestKind::kForgetRelation);  // all forks of rel 1
  ProcessSyncRequests();
  EXPECT_EQ(LastSyncStats().files_synced, 1u);
#ifdef KEEL_DEBUG
  EXPECT_EQ(TestOnlyLastSyncedFiles(), std::vector<FileTag>{Tag(2)});
#endif
  // A write after the forget is owed again (SY5).
  Grow(1, 1, false);
  RegisterSyncRequest(Tag(1), SyncRequestKind::kForgetRelation);
  Grow(1, 1, false);
  ProcessSyncRequests();
  EXPECT_EQ(LastSyncStats().files_synced, 1u);
}

TEST_F(SyncTest, UnlinkWaitsForTheCheckpointAfterItsRegistration) {
  Init(16);
  SetSyncRequestsLocal(true);
  // Relation 1: main fork over two segments (fallocate'd), plus a free space map.
  SmgrCreate(Rel(1), ForkNumber::kMain, false);
  SmgrZeroExtend(Rel(1), ForkNumber::kMain, BlockNumber(0), static_cast<int>(kBlocksPerSegment + 1),
                 false);
  Grow(1, 2, false, ForkNumber::kFsm);
  ASSERT_TRUE(Exists("base/5/1.1"));
  SmgrUnlinkAfterCheckpoint(Rel(1));
  // SM5: the first segment stays, empty; the rest goes at once.
  EXPECT_EQ(FileSize("base/5/1"), 0);
  EXPECT_FALSE(Exists("base/5/1.1"));
  EXPECT_FALSE(Exists("base/5/1_fsm"));
  Checkpoint();  // registered before this checkpoint began: unlinked at its end
  EXPECT_FALSE(Exists("base/5/1"));
  EXPECT_EQ(LastSyncStats().files_synced, 0u);  // the pending fsyncs were forgotten

  // Relation 2 is dropped while a checkpoint runs: it waits for the next one (SY6).
  Grow(2, 2, false);
  SyncPreCheckpoint();
  SmgrUnlinkAfterCheckpoint(Rel(2));
  ProcessSyncRequests();
  SyncPostCheckpoint();
  EXPECT_TRUE(Exists("base/5/2"));
  EXPECT_EQ(FileSize("base/5/2"), 0);
  Checkpoint();
  EXPECT_FALSE(Exists("base/5/2"));
}

TEST_F(SyncTest, UnlinkFromAnotherProcessBeforeCheckpointStart) {
  Init(16);
  SetSyncRequestsLocal(true);
  Grow(7, 3, true);
  const pid_t child = ForkChild([] {
    SmgrUnlinkAfterCheckpoint(Rel(7));
    return 0;
  });
  ASSERT_EQ(WaitChild(child), 0);
  EXPECT_EQ(SyncQueueLength(), 2);  // forget + unlink, not yet absorbed
  // Queued before SyncPreCheckpoint: belongs to the cycle that ends with this checkpoint.
  Checkpoint();
  EXPECT_FALSE(Exists("base/5/7"));
}

TEST_F(SyncTest, ForkedWritersWhileCheckpointerAbsorbs) {
  Init(16);
  SetSyncRequestsLocal(true);
  Grow(100, 100, true);  // shared by every writer
  constexpr int kWriters = 4;
  std::vector<pid_t> pids;
  for (int w = 0; w < kWriters; ++w) {
    pids.push_back(ForkChild([w] {
      std::vector<std::byte> page(kBlockSize, std::byte(w));
      for (int i = 0; i < 25; ++i) {
        Grow(static_cast<uint32_t>(w + 1), 8, false);
        SmgrWrite(Rel(100), ForkNumber::kMain, BlockNumber(static_cast<uint32_t>(w * 25 + i)),
                  page.data(), false);
      }
      return 0;
    }));
  }
  // Absorb while they run, as the checkpointer's main loop does.
  std::vector<int> codes(kWriters, -1);
  int running = kWriters;
  const int64_t deadline = testing::NowMs() + 60'000;
  while (running > 0 && testing::NowMs() < deadline) {
    AbsorbSyncRequests();
    for (int w = 0; w < kWriters; ++w) {
      int status;
      if (codes[w] == -1 && waitpid(pids[w], &status, WNOHANG) == pids[w]) {
        codes[w] = WIFEXITED(status) ? WEXITSTATUS(status) : 100;
        --running;
      }
    }
    SleepMs(1);
  }
  for (int w = 0; w < kWriters; ++w) EXPECT_EQ(codes[w], 0) << w;
  ProcessSyncRequests();
  // Each writer dirtied its own file and the shared one: 5 files, each fsynced once; the
  // queue (16) never stayed full because duplicates compact (SY1), so no sender fsynced.
  EXPECT_EQ(LastSyncStats().files_synced, 5u);
  EXPECT_EQ(BackendFsyncCount(), 0u);
#ifdef KEEL_DEBUG
  const std::vector<FileTag> synced = TestOnlyLastSyncedFiles();
  const std::set<uint32_t> rels = [&] {
    std::set<uint32_t> s;
    for (const FileTag& t : synced) s.insert(t.rel.rel.value());
    return s;
  }();
  EXPECT_EQ(rels, (std::set<uint32_t>{1, 2, 3, 4, 100}));
#endif
}

TEST_F(SyncTest, FullQueueMakesTheSenderFsync) {
  Init(4);
  SetSyncRequestsLocal(true);  // registered, but does not absorb during the test
  const pid_t child = ForkChild([] {
    for (uint32_t r = 1; r <= 10; ++r) Grow(r, 1, false);
    return 0;
  });
  ASSERT_EQ(WaitChild(child), 0);
  EXPECT_EQ(SyncQueueLength(), 4);
  EXPECT_EQ(BackendFsyncCount(), 6u);  // SY3: the six that found no room
  ProcessSyncRequests();
  EXPECT_EQ(LastSyncStats().files_synced, 4u);
}

TEST_F(SyncTest, CompactionKeepsTheLatestDuplicate) {
  Init(3);
  SetSyncRequestsLocal(true);
  Grow(1, 1, true);
  Grow(2, 1, true);
  const pid_t child = ForkChild([] {
    RegisterSyncRequest(Tag(1), SyncRequestKind::kSync);
    RegisterSyncRequest(Tag(1), SyncRequestKind::kForgetRelation);
    RegisterSyncRequest(Tag(1), SyncRequestKind::kSync);
    // Full: compaction drops the first sync of 1, not the second (which follows the forget).
    RegisterSyncRequest(Tag(2), SyncRequestKind::kSync);
    return 0;
  });
  ASSERT_EQ(WaitChild(child), 0);
  EXPECT_EQ(BackendFsyncCount(), 0u);
  EXPECT_EQ(SyncQueueLength(), 3);
  ProcessSyncRequests();
  EXPECT_EQ(LastSyncStats().files_synced, 2u);
}

TEST_F(SyncTest, ForgetAndUnlinkWaitForRoom) {
  Init(4);
  SetSyncRequestsLocal(true);
  Grow(50, 2, true);
  const pid_t filler = ForkChild([] {
    for (uint32_t r = 1; r <= 4; ++r) Grow(r, 1, false);
    return 0;
  });
  ASSERT_EQ(WaitChild(filler), 0);
  ASSERT_EQ(SyncQueueLength(), 4);
  const pid_t dropper = ForkChild([this] {
    shared_->ready.store(1);
    SmgrUnlinkAfterCheckpoint(Rel(50));
    return 0;
  });
  ASSERT_TRUE(WaitUntil([&] { return shared_->ready.load() == 1; }));
  // It must not give up while the queue is full: the forget would be lost.
  for (int i = 0; i < 100; ++i) {
    int status;
    ASSERT_EQ(waitpid(dropper, &status, WNOHANG), 0) << "the dropper did not wait for room";
    SleepMs(2);
  }
  int code = -1;
  const int64_t deadline = testing::NowMs() + 30'000;
  while (testing::NowMs() < deadline) {
    AbsorbSyncRequests();
    int status;
    if (waitpid(dropper, &status, WNOHANG) == dropper) {
      code = WIFEXITED(status) ? WEXITSTATUS(status) : 100;
      break;
    }
    SleepMs(1);
  }
  EXPECT_EQ(code, 0);
  EXPECT_EQ(BackendFsyncCount(), 0u);
  EXPECT_EQ(FileSize("base/5/50"), 0);
  Checkpoint();
  EXPECT_FALSE(Exists("base/5/50"));
  EXPECT_EQ(LastSyncStats().files_synced, 4u);
}

// The checkpointer in its own process, sleeping on its latch without a timeout: only the
// senders' wake-ups (queue half full) can make it absorb.
TEST_F(SyncTest, SendersWakeTheCheckpointerLatch) {
  Init(8);
  TestShared* shared = shared_;
  const pid_t checkpointer = ForkChild(
      [shared] {
        ProcSlot* slot = ProcArrayAcquireAuxSlot(ProcKind::kCheckpointer, getpid());
        if (slot == nullptr) return 2;
        SetSyncRequestsLocal(true);
        shared->checkpointer_latch.store(MyLatch());
        shared->ready.store(1);
        for (;;) {
          ResetLatch(MyLatch());
          if (shared->stop.load() != 0) break;
          if (SyncQueueLength() > 0) {
            AbsorbSyncRequests();
            shared->absorbed_rounds.fetch_add(1);
          }
          (void)WaitLatch(MyLatch(), kWaitLatchSet, -1);
        }
        SyncPreCheckpoint();
        ProcessSyncRequests();
        SyncPostCheckpoint();
        shared->files_synced.store(static_cast<int>(LastSyncStats().files_synced));
        SetSyncRequestsLocal(false);
        ProcArrayReleaseSlot(slot);
        return 0;
      },
      ProcessRole::kCheckpointer);
  ASSERT_TRUE(WaitUntil([&] { return shared->ready.load() == 1; }));
  std::vector<pid_t> writers;
  for (uint32_t w = 1; w <= 2; ++w) {
    writers.push_back(ForkChild([w] {
      Grow(w, 20, false);
      return 0;
    }));
  }
  for (pid_t pid : writers) EXPECT_EQ(WaitChild(pid), 0);
  EXPECT_TRUE(WaitUntil([&] { return shared->absorbed_rounds.load() > 0; }, 30'000));
  shared->stop.store(1);
  SetLatch(shared->checkpointer_latch.load());
  EXPECT_EQ(WaitChild(checkpointer), 0);
  EXPECT_EQ(shared->files_synced.load(), 2);
  EXPECT_EQ(BackendFsyncCount(), 0u);
}

TEST_F(SyncTest, VanishedFileWithoutForgetIsPanic) {
  Init(16);
  const pid_t pid = ForkChild([] {
    SetSyncRequestsLocal(true);
    Grow(9, 1, false);
    unlink("base/5/9");  // gone, and nobody said "forget"
    ProcessSyncRequests();
    return 0;
  });
  EXPECT_EQ(WaitChild(pid), -SIGABRT);
}

TEST_F(SyncTest, CheckpointerGoneMeansSenderDoesIt) {
  Init(2);
  // A checkpointer that registers and exits without unregistering (it crashed).
  const pid_t ghost = ForkChild([] {
    SetSyncRequestsLocal(true);
    return 0;
  });
  ASSERT_EQ(WaitChild(ghost), 0);
  Grow(1, 1, true);
  Grow(2, 1, true);
  Grow(3, 1, true);
  RegisterSyncRequest(Tag(1), SyncRequestKind::kSync);
  RegisterSyncRequest(Tag(2), SyncRequestKind::kSync);
  EXPECT_EQ(SyncQueueLength(), 2);
  RegisterSyncRequest(Tag(3), SyncRequestKind::kUnlinkAfterCheckpoint);  // full, nobody home
  EXPECT_FALSE(Exists("base/5/3"));
}

#ifdef KEEL_DEBUG
TEST_F(SyncTest, FsyncFailureIsPanic) {
  Init(16);
  const pid_t pid = ForkChild([] {
    SetSyncRequestsLocal(true);
    Grow(11, 1, false);
    TestOnlyInjectFault(FaultKind::kFsyncFailure, "base/5/11");
    ProcessSyncRequests();
    return 0;
  });
  EXPECT_EQ(WaitChild(pid), -SIGABRT);
}

TEST_F(SyncTest, FullQueueSenderFsyncFailureIsPanic) {
  Init(1);
  SetSyncRequestsLocal(true);
  const pid_t pid = ForkChild([] {
    Grow(1, 1, false);  // queued
    TestOnlyInjectFault(FaultKind::kFsyncFailure, "base/5/2");
    Grow(2, 1, false);  // no room: the sender's own fsync fails
    return 0;
  });
  EXPECT_EQ(WaitChild(pid), -SIGABRT);
}
#endif

}  // namespace
}  // namespace keel::storage
