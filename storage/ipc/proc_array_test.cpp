// Proc array tests: slots run out and come back, concurrent acquisition from many processes,
// session info through ProcArrayForEach, cancel signals delivered only with the right key.
// See storage/ipc/README.md.
#include "storage/ipc/proc_array.h"

#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "storage/ipc/fork_test_util.h"
#include "storage/ipc/process_context.h"
#include "storage/ipc/shmem.h"

namespace keel::storage {
namespace {

using testing::ForkChild;
using testing::WaitChild;
using testing::WaitUntil;

constexpr int kMaxBackends = 3;
constexpr int kMaxAux = 2;

struct Shared {
  std::atomic<int> ready;
  std::atomic<int> granted;
  std::atomic<int> refused;
  std::atomic<int> sigints;
  std::atomic<int> report_request;
  std::atomic<int> reported_sigints;
  std::atomic<int> stop;
};

class ProcArrayTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ShmemCreate(AddSize(ProcArrayShmemSize(kMaxBackends, kMaxAux), sizeof(Shared)));
    ProcArrayShmemInit(kMaxBackends, kMaxAux);
    InitProcessContext(ProcessRole::kStandalone);
    bool found = false;
    shared_ = static_cast<Shared*>(ShmemInitStruct("proc array test", sizeof(Shared), &found));
  }
  void TearDown() override { ShmemDestroy(); }

  Shared* shared_ = nullptr;
};

TEST_F(ProcArrayTest, BackendSlotsRunOutAndComeBack) {
  const int32_t me = getpid();
  EXPECT_EQ(ProcArrayNumSlots(), kMaxBackends + kMaxAux);
  std::vector<ProcSlot*> slots;
  for (int i = 0; i < kMaxBackends; ++i) {
    ProcSlot* slot = ProcArrayAcquireBackendSlot(me, 100 + i);
    ASSERT_NE(slot, nullptr);
    EXPECT_EQ(slot->pid.load(), me);
    EXPECT_EQ(slot->kind, ProcKind::kBackend);
    EXPECT_EQ(slot->cancel_key, 100 + i);
    EXPECT_EQ(slot->latch.owner_pid.load(), me);
    EXPECT_GT(slot->start_time_us, 0);
    EXPECT_LT(slot->slot_idx, kMaxBackends);
    EXPECT_TRUE(ShmemAddrIsValid(slot));
    EXPECT_EQ(reinterpret_cast<uintptr_t>(slot) % 64, 0u);
    slots.push_back(slot);
    EXPECT_EQ(ProcArrayCountBackends(), i + 1);
  }
  EXPECT_EQ(std::set<ProcSlot*>(slots.begin(), slots.end()).size(), slots.size());
  EXPECT_EQ(ProcArrayAcquireBackendSlot(me, 999), nullptr);
  EXPECT_EQ(ProcArrayCountBackends(), kMaxBackends);

  // Auxiliary slots are separate and do not count as backends.
  ProcSlot* aux1 = ProcArrayAcquireAuxSlot(ProcKind::kCheckpointer, me);
  ProcSlot* aux2 = ProcArrayAcquireAuxSlot(ProcKind::kWalWriter, me);
  ASSERT_NE(aux1, nullptr);
  ASSERT_NE(aux2, nullptr);
  EXPECT_GE(aux1->slot_idx, kMaxBackends);
  EXPECT_EQ(aux1->kind, ProcKind::kCheckpointer);
  EXPECT_EQ(ProcArrayAcquireAuxSlot(ProcKind::kBgWriter, me), nullptr);
  EXPECT_EQ(ProcArrayCountBackends(), kMaxBackends);

  ProcSlot* freed = slots[1];
  ProcArrayReleaseSlot(freed);
  EXPECT_EQ(freed->pid.load(), 0);
  EXPECT_EQ(freed->kind, ProcKind::kFree);
  EXPECT_EQ(freed->latch.owner_pid.load(), 0);
  EXPECT_EQ(ProcArrayCountBackends(), kMaxBackends - 1);
  ProcSlot* again = ProcArrayAcquireBackendSlot(me, 7);
  EXPECT_EQ(again, freed);  // the only free one
  EXPECT_EQ(ProcArrayAcquireBackendSlot(me, 8), nullptr);

  ProcArrayReleaseSlot(aux2);
  EXPECT_EQ(ProcArrayAcquireAuxSlot(ProcKind::kBgWriter, me), aux2);
  EXPECT_EQ(aux2->kind, ProcKind::kBgWriter);
}

TEST_F(ProcArrayTest, ConcurrentProcessesGetExactlyTheFreeSlots) {
  constexpr int kProcesses = 5;
  std::vector<pid_t> children;
  for (int p = 0; p < kProcesses; ++p) {
    children.push_back(ForkChild([&] {
      ProcSlot* slot = ProcArrayAcquireBackendSlot(getpid(), 1);
      (slot != nullptr ? shared_->granted : shared_->refused).fetch_add(1);
      // Hold the slot until every process has tried.
      const bool all_tried = WaitUntil(
          [&] { return shared_->granted.load() + shared_->refused.load() == kProcesses; });
      if (!all_tried) return 1;
      if (slot != nullptr) ProcArrayReleaseSlot(slot);
      return 0;
    }));
  }
  for (pid_t child : children) EXPECT_EQ(WaitChild(child), 0);
  EXPECT_EQ(shared_->granted.load(), kMaxBackends);
  EXPECT_EQ(shared_->refused.load(), kProcesses - kMaxBackends);
  EXPECT_EQ(ProcArrayCountBackends(), 0);
  // Every slot is free again.
  for (int i = 0; i < kMaxBackends; ++i) {
    EXPECT_NE(ProcArrayAcquireBackendSlot(getpid(), 1), nullptr);
  }
}

TEST_F(ProcArrayTest, ForEachSeesSessionInfo) {
  const int32_t me = getpid();
  ProcSlot* backend = ProcArrayAcquireBackendSlot(me, 42);
  ProcSlot* aux = ProcArrayAcquireAuxSlot(ProcKind::kStartup, me);
  ASSERT_NE(backend, nullptr);
  ASSERT_NE(aux, nullptr);
  const std::string long_name(200, 'n');
  ProcArraySetSessionInfo(backend, "alice", "shop", long_name.c_str());
  ProcArraySetSessionInfo(backend, nullptr, nullptr, nullptr);  // leaves them unchanged
  backend->xid.store(77);

  std::vector<ProcInfo> seen;
  ProcArrayForEachInfo([&](const ProcInfo& info) { seen.push_back(info); });
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0].slot_idx, backend->slot_idx);
  EXPECT_EQ(seen[0].kind, ProcKind::kBackend);
  EXPECT_EQ(seen[0].pid, me);
  EXPECT_EQ(seen[0].cancel_key, 42);
  EXPECT_STREQ(seen[0].user, "alice");
  EXPECT_STREQ(seen[0].database, "shop");
  EXPECT_EQ(std::string(seen[0].application_name), long_name.substr(0, kProcNameBytes - 1));
  EXPECT_EQ(seen[0].xid, 77u);
  EXPECT_EQ(seen[1].kind, ProcKind::kStartup);
  EXPECT_STREQ(ProcKindName(seen[1].kind), "startup");
  EXPECT_STREQ(seen[1].user, "");

  ProcArrayReleaseSlot(backend);
  seen.clear();
  ProcArrayForEachInfo([&](const ProcInfo& info) { seen.push_back(info); });
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].kind, ProcKind::kStartup);
}

std::atomic<int>* sigint_counter = nullptr;

void CountSigint(int) {
  sigint_counter->fetch_add(1);
  SetLatch(MyLatch());
}

TEST_F(ProcArrayTest, CancelNeedsTheRightKey) {
  constexpr int32_t kKey = 0x5eed;
  sigint_counter = &shared_->sigints;
  const pid_t child = ForkChild([&] {
    struct sigaction action = {};
    action.sa_handler = CountSigint;
    sigemptyset(&action.sa_mask);
    sigaction(SIGINT, &action, nullptr);
    ProcSlot* slot = ProcArrayAcquireBackendSlot(getpid(), kKey);
    if (slot == nullptr || MyLatch() != &slot->latch) return 1;
    shared_->ready.store(1);
    int reported = 0;
    for (;;) {
      ResetLatch(MyLatch());
      if (shared_->stop.load() != 0) break;
      if (shared_->report_request.load() != reported) {
        reported = shared_->report_request.load();
        shared_->reported_sigints.store(shared_->sigints.load() + 1);  // +1: 0 means "none yet"
      }
      if ((WaitLatch(MyLatch(), kWaitLatchSet, 20'000) & kWaitTimeout) != 0) return 2;
    }
    ProcArrayReleaseSlot(slot);
    return 0;
  });
  ASSERT_TRUE(WaitUntil([&] { return shared_->ready.load() == 1; }));
  EXPECT_EQ(ProcArrayCountBackends(), 1);

  EXPECT_FALSE(ProcArraySignalCancel(child, kKey + 1));
  EXPECT_FALSE(ProcArraySignalCancel(child + 100000, kKey));
  EXPECT_FALSE(ProcArraySignalCancel(0, 0));
  // Ask the child what it has received so far: a SIGINT sent before our SIGURG would be
  // delivered first (lower signal number), so a wrongly sent cancel would show up here.
  ProcSlot* slot = nullptr;
  for (int i = 0; i < ProcArrayNumSlots(); ++i) {
    if (ProcArraySlot(i)->pid.load() == child) slot = ProcArraySlot(i);
  }
  ASSERT_NE(slot, nullptr);
  shared_->report_request.store(1);
  SetLatch(&slot->latch);
  ASSERT_TRUE(WaitUntil([&] { return shared_->reported_sigints.load() != 0; }));
  EXPECT_EQ(shared_->reported_sigints.load() - 1, 0);

  EXPECT_TRUE(ProcArraySignalCancel(child, kKey));
  EXPECT_TRUE(WaitUntil([&] { return shared_->sigints.load() == 1; }));

  shared_->stop.store(1);
  SetLatch(&slot->latch);
  EXPECT_EQ(WaitChild(child), 0);
  EXPECT_EQ(shared_->sigints.load(), 1);
  EXPECT_EQ(ProcArrayCountBackends(), 0);
  EXPECT_FALSE(ProcArraySignalCancel(child, kKey));  // released slots are not found
}

TEST_F(ProcArrayTest, CancelIgnoresAuxiliaryProcesses) {
  // If a SIGINT were sent to us, the ignored disposition keeps the test process alive; the
  // return value is what is checked.
  struct sigaction ignore = {}, old = {};
  ignore.sa_handler = SIG_IGN;
  sigemptyset(&ignore.sa_mask);
  sigaction(SIGINT, &ignore, &old);
  ProcSlot* aux = ProcArrayAcquireAuxSlot(ProcKind::kWalSender, getpid());
  ASSERT_NE(aux, nullptr);
  EXPECT_FALSE(ProcArraySignalCancel(getpid(), 0));
  sigaction(SIGINT, &old, nullptr);
}

TEST_F(ProcArrayTest, ShmemSizeGrowsWithSlots) {
  // Each slot brings its query buffer (P9).
  const size_t per_slot = sizeof(ProcSlot) + kDefaultTrackActivityQuerySize;
  EXPECT_EQ(ProcArrayShmemSize(10, 5) - ProcArrayShmemSize(9, 5), per_slot);
  EXPECT_EQ(ProcArrayShmemSize(10, 5) - ProcArrayShmemSize(10, 4), per_slot);
  EXPECT_EQ(ProcArrayShmemSize(10, 5, 3) - ProcArrayShmemSize(10, 5), 3 * per_slot);
  EXPECT_EQ(ProcArrayShmemSize(10, 5, 0, 4096) - ProcArrayShmemSize(10, 5, 0, 1024),
            15u * 3072u);
  EXPECT_EQ(sizeof(ProcSlot) % 64, 0u);
  EXPECT_EQ(ProcArrayQueryBytes(), kDefaultTrackActivityQuerySize);
}

// ProcArrayDatabaseSessions lists the other processes whose slot names the database.
TEST_F(ProcArrayTest, DatabaseSessionsListsOtherProcessesOfTheDatabase) {
  ProcSlot* mine = ProcArrayAcquireBackendSlot(getpid(), 1);
  ASSERT_NE(mine, nullptr);
  ProcArraySetSessionIds(mine, 5, 10);
  EXPECT_TRUE(ProcArrayDatabaseSessions(5).empty());  // the caller itself is never listed
  // A slot of another "process" (a pid that is not ours), written as its owner would.
  ProcSlot* other = ProcArraySlot(mine->slot_idx == 0 ? 1 : 0);
  other->change_count.fetch_add(1);
  other->pid.store(getpid() + 1000000);
  other->kind = ProcKind::kBackend;
  other->database_oid = 5;
  other->role_oid = 42;
  other->change_count.fetch_add(1);
  std::vector<DatabaseSession> s = ProcArrayDatabaseSessions(5);
  ASSERT_EQ(s.size(), 1u);
  EXPECT_EQ(s[0].pid, getpid() + 1000000);
  EXPECT_EQ(s[0].kind, ProcKind::kBackend);
  EXPECT_EQ(s[0].role_oid, 42u);
  EXPECT_TRUE(ProcArrayDatabaseSessions(6).empty());
  EXPECT_TRUE(ProcArrayDatabaseSessions(0).empty());
  other->change_count.fetch_add(1);
  other->pid.store(0);
  other->kind = ProcKind::kFree;
  other->database_oid = 0;
  other->change_count.fetch_add(1);
  EXPECT_TRUE(ProcArrayDatabaseSessions(5).empty());
  ProcArrayReleaseSlot(mine);
}

// P9: what the slot's process reports is what readers copy; acquire clears it.
TEST_F(ProcArrayTest, ActivityIsReportedAndClearedWithTheSlot) {
  const int32_t me = getpid();
  ProcSlot* slot = ProcArrayAcquireBackendSlot(me, 7);
  ASSERT_NE(slot, nullptr);
  auto read = [&] {
    std::vector<ProcActivity> seen;
    ProcArrayForEachActivityOf([&](const ProcActivity& a) { seen.push_back(a); });
    EXPECT_EQ(seen.size(), 1u);
    return seen.empty() ? ProcActivity{} : seen[0];
  };
  ProcActivity a = read();
  EXPECT_EQ(a.info.pid, me);
  EXPECT_EQ(a.state, BackendState::kUndefined);
  EXPECT_EQ(BackendStateName(a.state), nullptr);
  EXPECT_EQ(a.database_oid, 0u);
  EXPECT_EQ(a.client_port, 0);
  EXPECT_EQ(a.query_start_us, 0);
  EXPECT_EQ(a.query, "");

  ProcArraySetSessionIds(slot, 5, 10);
  ProcArraySetClientAddress(slot, "192.168.10.20", 54321);
  ProcArraySetXactStart(slot, 1'700'000'000'000'000);
  ProcArrayReportActivity(slot, BackendState::kRunning, "SELECT 1");
  ProcArraySetWaitEvent(slot, "Lock", "relation");
  a = read();
  EXPECT_EQ(a.database_oid, 5u);
  EXPECT_EQ(a.role_oid, 10u);
  EXPECT_STREQ(a.client_addr, "192.168.10.20");
  EXPECT_EQ(a.client_port, 54321);
  EXPECT_EQ(a.xact_start_us, 1'700'000'000'000'000);
  EXPECT_STREQ(BackendStateName(a.state), "active");
  EXPECT_EQ(a.query, "SELECT 1");
  EXPECT_GE(a.query_start_us, a.info.start_time_us);
  EXPECT_EQ(a.state_change_us, a.query_start_us);
  EXPECT_STREQ(a.wait_event_type, "Lock");
  EXPECT_STREQ(a.wait_event, "relation");

  // Idle keeps the last query and its start; the state change time moves.
  const int64_t query_start = a.query_start_us;
  ProcArraySetWaitEvent(slot, nullptr, nullptr);
  ProcArrayReportActivity(slot, BackendState::kIdleInTransaction, nullptr);
  a = read();
  EXPECT_STREQ(BackendStateName(a.state), "idle in transaction");
  EXPECT_EQ(a.query, "SELECT 1");
  EXPECT_EQ(a.query_start_us, query_start);
  EXPECT_GE(a.state_change_us, query_start);
  EXPECT_STREQ(a.wait_event_type, "");
  ProcArraySetClientAddress(slot, nullptr, -1);  // Unix-domain socket
  a = read();
  EXPECT_STREQ(a.client_addr, "");
  EXPECT_EQ(a.client_port, -1);
  ProcArrayReportActivity(slot, BackendState::kDisabled, nullptr);
  a = read();
  EXPECT_STREQ(BackendStateName(a.state), "disabled");
  EXPECT_EQ(a.query, "");
  EXPECT_EQ(a.xact_start_us, 0);

  ProcArrayReportActivity(slot, BackendState::kRunning, "SELECT 2");
  ProcArrayReleaseSlot(slot);
  slot = ProcArrayAcquireBackendSlot(me, 8);
  a = read();
  EXPECT_EQ(a.state, BackendState::kUndefined);
  EXPECT_EQ(a.query, "");
  EXPECT_EQ(a.role_oid, 0u);
  EXPECT_EQ(a.query_start_us, 0);
}

// P9: a query longer than the buffer is cut at a character boundary, never inside a UTF-8
// sequence.
TEST(ProcArrayQueryTest, LongQueriesAreCutAtACharacterBoundary) {
  constexpr int kQueryBytes = kMinTrackActivityQuerySize;  // 99 bytes of text + NUL
  ShmemCreate(ProcArrayShmemSize(1, 0, 0, kQueryBytes));
  ProcArrayShmemInit(1, 0, 0, kQueryBytes);
  InitProcessContext(ProcessRole::kStandalone);
  EXPECT_EQ(ProcArrayQueryBytes(), kQueryBytes);
  ProcSlot* slot = ProcArrayAcquireBackendSlot(getpid(), 1);
  ASSERT_NE(slot, nullptr);
  auto query = [] {
    std::string q;
    ProcArrayForEachActivityOf([&](const ProcActivity& a) { q = a.query; });
    return q;
  };
  const std::string fits(kQueryBytes - 1, 'x');
  ProcArrayReportActivity(slot, BackendState::kRunning, fits.c_str());
  EXPECT_EQ(query(), fits);
  // 98 x's then a two-byte "é": the é would straddle the limit, so it goes.
  const std::string straddles = std::string(kQueryBytes - 2, 'x') + "\xC3\xA9";
  ProcArrayReportActivity(slot, BackendState::kRunning, straddles.c_str());
  EXPECT_EQ(query(), std::string(kQueryBytes - 2, 'x'));
  const std::string ends_on_boundary = std::string(kQueryBytes - 3, 'x') + "\xC3\xA9" + "yyy";
  ProcArrayReportActivity(slot, BackendState::kRunning, ends_on_boundary.c_str());
  EXPECT_EQ(query(), std::string(kQueryBytes - 3, 'x') + "\xC3\xA9");
  ProcArrayReleaseSlot(slot);
  ShmemDestroy();
}

// P4, P9: a reader never sees a query text torn between two reports, while the slot's process
// keeps changing it.
TEST_F(ProcArrayTest, ReadersNeverSeeATornQuery) {
  const pid_t child = ForkChild([&] {
    ProcSlot* slot = ProcArrayAcquireBackendSlot(getpid(), 1);
    if (slot == nullptr) return 1;
    // Alternate "aaa...a" (300 a's) and "bb...b" (700 b's).
    const std::string a(300, 'a'), b(700, 'b');
    shared_->ready.store(1);
    for (int i = 0; shared_->stop.load() == 0; ++i) {
      ProcArrayReportActivity(slot, BackendState::kRunning, i % 2 == 0 ? a.c_str() : b.c_str());
    }
    ProcArrayReleaseSlot(slot);
    return 0;
  });
  ASSERT_TRUE(WaitUntil([&] { return shared_->ready.load() == 1; }));
  int reads = 0, consistent = 0;
  const int64_t deadline = testing::NowMs() + 300;
  while (testing::NowMs() < deadline) {
    ProcArrayForEachActivityOf([&](const ProcActivity& act) {
      ++reads;
      const std::string& q = act.query;
      const bool uniform = !q.empty() && q.find_first_not_of(q[0]) == std::string::npos;
      if (uniform && (q[0] == 'a' ? q.size() == 300 : q.size() == 700)) ++consistent;
    });
  }
  shared_->stop.store(1);
  EXPECT_EQ(WaitChild(child), 0);
  EXPECT_GT(reads, 0);
  EXPECT_EQ(consistent, reads);
}

// P8: prepared-transaction slots come last, belong to no free list and no process.
TEST(ProcArrayPreparedTest, PreparedSlotsAreNeitherHandedOutNorVisited) {
  constexpr int kPrepared = 3;
  ShmemCreate(ProcArrayShmemSize(2, 1, kPrepared));
  ProcArrayShmemInit(2, 1, kPrepared);
  InitProcessContext(ProcessRole::kStandalone);
  EXPECT_EQ(ProcArrayNumSlots(), 2 + 1 + kPrepared);
  ASSERT_EQ(ProcArrayNumPreparedSlots(), kPrepared);
  for (int i = 0; i < kPrepared; ++i) {
    ProcSlot* slot = ProcArrayPreparedSlot(i);
    EXPECT_EQ(slot->slot_idx, 2 + 1 + i);
    EXPECT_EQ(slot->kind, ProcKind::kPrepared);
    EXPECT_EQ(slot->pid.load(), 0);
    EXPECT_STREQ(ProcKindName(slot->kind), "prepared transaction");
  }
  const int32_t me = getpid();
  EXPECT_NE(ProcArrayAcquireBackendSlot(me, 1), nullptr);
  EXPECT_NE(ProcArrayAcquireBackendSlot(me, 2), nullptr);
  EXPECT_EQ(ProcArrayAcquireBackendSlot(me, 3), nullptr);
  EXPECT_NE(ProcArrayAcquireAuxSlot(ProcKind::kCheckpointer, me), nullptr);
  EXPECT_EQ(ProcArrayAcquireAuxSlot(ProcKind::kBgWriter, me), nullptr);  // not a prepared one
  int visited = 0;
  ProcArrayForEachInfo([&](const ProcInfo& info) {
    EXPECT_NE(info.kind, ProcKind::kPrepared);
    ++visited;
  });
  EXPECT_EQ(visited, 3);
  EXPECT_EQ(ProcArrayCountBackends(), 2);
  ShmemDestroy();
}

}  // namespace
}  // namespace keel::storage
