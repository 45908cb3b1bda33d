// pg_stat_get_activity() rows in a real server (ServerHarness): backends forked with their own
// session info, client and activity appear with PostgreSQL's NULL conventions; a viewer that
// is not a superuser sees other roles' sessions without details; the pid filter. README.md.
#include "backend/utils/activity/stat_activity_rows.h"

#include <gtest/gtest.h>
#include <sys/mman.h>
#include <unistd.h>

#include <atomic>
#include <map>

#include "access/transam/xact.h"
#include "storage/ipc/fork_test_util.h"
#include "storage/ipc/process_context.h"
#include "storage/ipc/proc_array.h"
#include "tests/server/server_harness.h"

namespace keel::stats {
namespace {

using keel::testing::ServerHarness;
using storage::BackendState;

constexpr uint32_t kOtherRole = 16384;

// Shared with the forked backends (mapped before they fork).
struct Shared {
  std::atomic<int> ready;
  std::atomic<int> done;
  std::atomic<uint64_t> xid;  // backend B's transaction id
};

class StatActivityRowsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    void* p = mmap(nullptr, sizeof(Shared), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
                   -1, 0);
    ASSERT_NE(p, MAP_FAILED);
    shared_ = new (p) Shared{};
  }
  void TearDown() override { munmap(shared_, sizeof(Shared)); }

  // Forks a backend that reports its session with `report`, then stays until the test is done.
  pid_t Fork(std::function<void(storage::ProcSlot*)> report) {
    Shared* shared = shared_;
    return harness_.ForkBackend([shared, report] {
      report(storage::CurrentProcess().proc);
      shared->ready.fetch_add(1);
      return storage::testing::WaitUntil([&] { return shared->done.load() == 1; }) ? 0 : 1;
    });
  }

  static std::map<int32_t, StatActivityRow> ByPid(const std::vector<StatActivityRow>& rows) {
    std::map<int32_t, StatActivityRow> m;
    for (const StatActivityRow& r : rows) EXPECT_TRUE(m.emplace(r.pid, r).second) << r.pid;
    return m;
  }

  ServerHarness harness_;
  Shared* shared_ = nullptr;
};

TEST_F(StatActivityRowsTest, ForkedBackendsShowTheirOwnSessions) {
  const pid_t a = Fork([](storage::ProcSlot* slot) {
    storage::ProcArraySetSessionInfo(slot, "alice", "postgres", "psql");
    storage::ProcArraySetSessionIds(slot, 5, 10);
    storage::ProcArraySetClientAddress(slot, "10.1.2.3", 40000);
    storage::ProcArrayReportActivity(slot, BackendState::kRunning, "SELECT * FROM a");
  });
  Shared* shared = shared_;
  const pid_t b = Fork([shared](storage::ProcSlot* slot) {
    storage::ProcArraySetSessionInfo(slot, "bob", "postgres", "");
    storage::ProcArraySetSessionIds(slot, 5, kOtherRole);
    storage::ProcArraySetClientAddress(slot, nullptr, -1);
    transam::StartTransaction();
    shared->xid.store(transam::GetCurrentTransactionId().value());
    storage::ProcArraySetXactStart(slot, 1'700'000'000'000'000);
    storage::ProcArrayReportActivity(slot, BackendState::kRunning, "UPDATE b SET x = 1");
    storage::ProcArrayReportActivity(slot, BackendState::kIdleInTransaction, nullptr);
    storage::ProcArraySetWaitEvent(slot, "Lock", "transactionid");
  });
  const pid_t c = Fork([](storage::ProcSlot*) {});  // reports nothing
  ASSERT_TRUE(storage::testing::WaitUntil([&] { return shared_->ready.load() == 3; }));

  std::map<int32_t, StatActivityRow> rows = ByPid(StatActivityRows(std::nullopt, {10, true}));
  ASSERT_EQ(rows.size(), 4u);  // this process is a backend too
  ASSERT_EQ(rows.count(getpid()), 1u);

  const StatActivityRow& ra = rows[a];
  EXPECT_EQ(ra.datid, 5u);
  EXPECT_EQ(ra.usesysid, 10u);
  EXPECT_EQ(ra.application_name, "psql");
  EXPECT_EQ(ra.state, "active");
  EXPECT_EQ(ra.query, "SELECT * FROM a");
  EXPECT_EQ(ra.client_addr, "10.1.2.3");
  EXPECT_EQ(ra.client_port, 40000);
  EXPECT_FALSE(ra.client_hostname.has_value());
  EXPECT_EQ(ra.backend_type, "client backend");
  ASSERT_TRUE(ra.backend_start_us.has_value());
  ASSERT_TRUE(ra.query_start_us.has_value());
  EXPECT_GE(*ra.query_start_us, *ra.backend_start_us);
  EXPECT_EQ(ra.state_change_us, ra.query_start_us);
  EXPECT_FALSE(ra.xact_start_us.has_value());
  EXPECT_FALSE(ra.wait_event_type.has_value());
  EXPECT_FALSE(ra.backend_xid.has_value());
  EXPECT_FALSE(ra.leader_pid.has_value());
  EXPECT_FALSE(ra.query_id.has_value());

  const StatActivityRow& rb = rows[b];
  EXPECT_EQ(rb.usesysid, kOtherRole);
  EXPECT_EQ(rb.application_name, "");
  EXPECT_EQ(rb.state, "idle in transaction");
  EXPECT_EQ(rb.query, "UPDATE b SET x = 1");  // the last statement stays
  EXPECT_FALSE(rb.client_addr.has_value());
  EXPECT_EQ(rb.client_port, -1);  // Unix-domain socket
  EXPECT_EQ(rb.xact_start_us, 1'700'000'000'000'000);
  EXPECT_EQ(rb.wait_event_type, "Lock");
  EXPECT_EQ(rb.wait_event, "transactionid");
  ASSERT_NE(shared_->xid.load(), 0u);
  EXPECT_EQ(rb.backend_xid, shared_->xid.load());
  ASSERT_TRUE(rb.state_change_us.has_value());
  EXPECT_GE(*rb.state_change_us, *rb.query_start_us);

  const StatActivityRow& rc = rows[c];
  EXPECT_FALSE(rc.datid.has_value());
  EXPECT_FALSE(rc.usesysid.has_value());
  EXPECT_FALSE(rc.state.has_value());
  EXPECT_EQ(rc.query, "");
  EXPECT_FALSE(rc.client_addr.has_value());
  EXPECT_FALSE(rc.client_port.has_value());  // no client at all
  EXPECT_FALSE(rc.query_start_us.has_value());
  EXPECT_TRUE(rc.backend_start_us.has_value());

  // pg_stat_get_activity(pid).
  std::vector<StatActivityRow> one = StatActivityRows(b, {10, true});
  ASSERT_EQ(one.size(), 1u);
  EXPECT_EQ(one[0].pid, b);
  EXPECT_TRUE(StatActivityRows(-12345, {10, true}).empty());

  shared_->done.store(1);
  EXPECT_EQ(harness_.Wait(a), 0);
  EXPECT_EQ(harness_.Wait(b), 0);
  EXPECT_EQ(harness_.Wait(c), 0);
  rows = ByPid(StatActivityRows(std::nullopt, {10, true}));
  EXPECT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows.count(getpid()), 1u);
}

TEST_F(StatActivityRowsTest, OtherRolesSessionsHideTheirDetails) {
  const pid_t a = Fork([](storage::ProcSlot* slot) {
    storage::ProcArraySetSessionInfo(slot, "alice", "postgres", "report");
    storage::ProcArraySetSessionIds(slot, 5, 10);
    storage::ProcArraySetClientAddress(slot, "::1", 50000);
    storage::ProcArrayReportActivity(slot, BackendState::kRunning, "SELECT secret FROM t");
  });
  const pid_t b = Fork([](storage::ProcSlot* slot) {
    storage::ProcArraySetSessionIds(slot, 5, kOtherRole);
    storage::ProcArrayReportActivity(slot, BackendState::kIdle, "SELECT mine");
  });
  ASSERT_TRUE(storage::testing::WaitUntil([&] { return shared_->ready.load() == 2; }));

  std::map<int32_t, StatActivityRow> rows =
      ByPid(StatActivityRows(std::nullopt, {kOtherRole, false}));
  // Another role's session: who and where, not what.
  const StatActivityRow& ra = rows[a];
  EXPECT_EQ(ra.datid, 5u);
  EXPECT_EQ(ra.usesysid, 10u);
  EXPECT_EQ(ra.application_name, "report");
  EXPECT_EQ(ra.query, kInsufficientPrivilege);
  EXPECT_FALSE(ra.state.has_value());
  EXPECT_FALSE(ra.client_addr.has_value());
  EXPECT_FALSE(ra.client_port.has_value());
  EXPECT_FALSE(ra.backend_start_us.has_value());
  EXPECT_FALSE(ra.query_start_us.has_value());
  EXPECT_FALSE(ra.backend_type.has_value());
  // The viewer's own role: everything.
  const StatActivityRow& rb = rows[b];
  EXPECT_EQ(rb.query, "SELECT mine");
  EXPECT_EQ(rb.state, "idle");
  EXPECT_EQ(rb.backend_type, "client backend");
  // A session without a role (this test process) is nobody's: hidden too.
  EXPECT_EQ(rows[getpid()].query, kInsufficientPrivilege);
  // A superuser sees alice's session in full.
  rows = ByPid(StatActivityRows(a, {kOtherRole, true}));
  EXPECT_EQ(rows[a].query, "SELECT secret FROM t");
  EXPECT_EQ(rows[a].client_addr, "::1");

  shared_->done.store(1);
  EXPECT_EQ(harness_.Wait(a), 0);
  EXPECT_EQ(harness_.Wait(b), 0);
}

}  // namespace
}  // namespace keel::stats
