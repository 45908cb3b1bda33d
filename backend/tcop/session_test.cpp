// A real backend (BackendMain, forked over a socketpair) in a ServerHarness with bootstrapped
// catalogs, driven by a minimal protocol client: what pg_stat_activity shows of its session
// (T10), the proc slot naming its database in time for DROP DATABASE's count, the database
// lock at login against a concurrent rename (T11), and xact_start from access/transam.
// README.md.
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <map>
#include <optional>
#include <string>

#include "access/transam/xact.h"
#include "backend/catalog/catalog_test_util.h"
#include "backend/protocol/auth/hba.h"
#include "backend/tcop/backend_main.h"
#include "backend/utils/activity/stat_activity_rows.h"
#include "backend/utils/init/interrupts.h"
#include "backend/utils/init/process_exit.h"
#include "postmaster/shared_state.h"
#include "storage/ipc/fork_test_util.h"
#include "storage/ipc/proc_array.h"
#include "storage/lmgr/lock.h"
#include "storage/sync/sync.h"

namespace keel::tcop {
namespace {

using catalog::testing::kDb;
using catalog::testing::kSuperuser;
using Clock = std::chrono::steady_clock;

std::string Int32(uint32_t v) {
  return {static_cast<char>(v >> 24), static_cast<char>(v >> 16), static_cast<char>(v >> 8),
          static_cast<char>(v)};
}

std::string Msg(char type, const std::string& body) {
  return std::string(1, type) + Int32(static_cast<uint32_t>(body.size() + 4)) + body;
}

std::string StartupPacket(const std::string& user, const std::string& database) {
  std::string body = Int32(196608) + "user" + '\0' + user + '\0' + "database" + '\0' +
                     database + '\0' + '\0';
  return Int32(static_cast<uint32_t>(body.size() + 4)) + body;
}

struct ServerMessage {
  char type = 0;
  std::string body;
};

// The client end of the socketpair: blocking writes, reads with a deadline.
class Client {
 public:
  explicit Client(int fd) : fd_(fd) {}
  ~Client() { close(fd_); }

  void Send(const std::string& bytes) {
    ASSERT_EQ(write(fd_, bytes.data(), bytes.size()), static_cast<ssize_t>(bytes.size()));
  }

  // One message, or nullopt at EOF / after 20 s.
  std::optional<ServerMessage> Read() {
    while (true) {
      if (buffer_.size() >= 5) {
        const auto* p = reinterpret_cast<const unsigned char*>(buffer_.data());
        const uint32_t len = (uint32_t{p[1]} << 24) | (uint32_t{p[2]} << 16) |
                             (uint32_t{p[3]} << 8) | p[4];
        if (buffer_.size() >= len + 1) {
          ServerMessage m{buffer_[0], buffer_.substr(5, len - 4)};
          buffer_.erase(0, len + 1);
          return m;
        }
      }
      pollfd pfd{fd_, POLLIN, 0};
      if (poll(&pfd, 1, 20000) <= 0) return std::nullopt;
      char chunk[4096];
      const ssize_t n = read(fd_, chunk, sizeof(chunk));
      if (n <= 0) return std::nullopt;
      buffer_.append(chunk, static_cast<size_t>(n));
    }
  }

  // Messages up to and including one of `type`; nullopt when it never comes.
  std::optional<ServerMessage> ReadUntil(char type) {
    while (std::optional<ServerMessage> m = Read()) {
      if (m->type == type) return m;
    }
    return std::nullopt;
  }

 private:
  int fd_;
  std::string buffer_;
};

// ErrorResponse fields by code ('S', 'C', 'M', 'D' ...).
std::map<char, std::string> Fields(const std::string& body) {
  std::map<char, std::string> fields;
  size_t i = 0;
  while (i < body.size() && body[i] != '\0') {
    const char code = body[i++];
    const size_t end = body.find('\0', i);
    fields[code] = body.substr(i, end - i);
    i = end + 1;
  }
  return fields;
}

class SessionTest : public catalog::testing::CatalogTest {
 protected:
  // Forks a backend as the postmaster would (signal handlers, shared access, BackendMain) on
  // one end of a socketpair; returns its pid, the other end in *client_fd.
  pid_t StartBackend(int* client_fd) {
    int sv[2];
    EXPECT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
    const pid_t pid = storage::testing::ForkChild([&sv] {
      close(sv[0]);
      ForgetProcessExitCleanups();  // the test process's cleanups are not ours
      InstallChildSignalHandlers();
      storage::SetSyncRequestsLocal(true);  // no checkpointer in the harness
      postmaster::InitChildSharedAccess();  // its proc slot comes in Session::Start
      static const auth::HbaFile hba = auth::HbaFile::Parse("local all all trust\n", "hba");
      BackendMain(sv[1], ConnectionRefusal::kNone, BackendResources{&hba, nullptr});
      return 0;  // not reached: BackendMain leaves through ProcessExit
    });
    close(sv[1]);
    *client_fd = sv[0];
    return pid;
  }

  static std::optional<stats::StatActivityRow> RowOf(pid_t pid) {
    std::vector<stats::StatActivityRow> rows =
        stats::StatActivityRows(pid, stats::ActivityViewer{0, /*superuser=*/true});
    if (rows.empty()) return std::nullopt;
    return rows.front();
  }

  static bool Lists(uint32_t db, pid_t pid) {
    for (const storage::DatabaseSession& s : storage::ProcArrayDatabaseSessions(db)) {
      if (s.pid == pid) return true;
    }
    return false;
  }
};

TEST_F(SessionTest, StatActivityShowsTheSessionAndItsQueries) {
  int fd = -1;
  const pid_t pid = StartBackend(&fd);
  Client client(fd);
  client.Send(StartupPacket("alice", "postgres"));
  ASSERT_TRUE(client.ReadUntil('Z').has_value());

  // Logged in: database and role, a Unix-domain client, idle, no statement yet.
  std::optional<stats::StatActivityRow> row = RowOf(pid);
  ASSERT_TRUE(row.has_value());
  EXPECT_EQ(row->datid, kDb.value());
  EXPECT_EQ(row->usesysid, kSuperuser.value());
  EXPECT_EQ(row->backend_type, "client backend");
  EXPECT_EQ(row->client_port, -1);
  EXPECT_FALSE(row->client_addr.has_value());
  EXPECT_EQ(row->state, "idle");
  EXPECT_EQ(row->query, "");
  EXPECT_FALSE(row->query_start_us.has_value());
  EXPECT_FALSE(row->xact_start_us.has_value());  // the login transactions are over
  EXPECT_TRUE(row->state_change_us.has_value());
  // DROP / CREATE DATABASE count it (database_commands B4).
  EXPECT_TRUE(Lists(kDb.value(), pid));

  // A simple query: its text stays after it ended (with an error, for now), and the session
  // is idle again.
  client.Send(Msg('Q', std::string("SELECT 42") + '\0'));
  std::optional<ServerMessage> error = client.ReadUntil('E');
  ASSERT_TRUE(error.has_value());
  EXPECT_EQ(Fields(error->body)['C'], "0A000");
  ASSERT_TRUE(client.ReadUntil('Z').has_value());
  row = RowOf(pid);
  ASSERT_TRUE(row.has_value());
  EXPECT_EQ(row->query, "SELECT 42");
  EXPECT_EQ(row->state, "idle");
  ASSERT_TRUE(row->query_start_us.has_value());
  ASSERT_TRUE(row->state_change_us.has_value());
  EXPECT_GE(*row->state_change_us, *row->query_start_us);

  // An extended-protocol Parse: active with its text until Sync ends the batch (the error is
  // only flushed then, so the state can be watched while the batch is open).
  client.Send(Msg('P', std::string("") + '\0' + "SELECT 'parsed'" + '\0' + std::string(2, '\0')));
  EXPECT_TRUE(storage::testing::WaitUntil([&] {
    std::optional<stats::StatActivityRow> r = RowOf(pid);
    return r && r->state == "active" && r->query == "SELECT 'parsed'";
  }));
  client.Send(Msg('S', ""));
  ASSERT_TRUE(client.ReadUntil('Z').has_value());
  row = RowOf(pid);
  ASSERT_TRUE(row.has_value());
  EXPECT_EQ(row->state, "idle");
  EXPECT_EQ(row->query, "SELECT 'parsed'");

  client.Send(Msg('X', ""));
  EXPECT_EQ(harness_.Wait(pid), 0);
  EXPECT_FALSE(RowOf(pid).has_value());
}

TEST_F(SessionTest, TrackActivityQuerySizeCutsTheQueryText) {
  // The proc array was sized from the setting (shared_state.cpp; default 1024 bytes).
  EXPECT_EQ(storage::ProcArrayQueryBytes(), settings::track_activity_query_size_bytes);
  int fd = -1;
  const pid_t pid = StartBackend(&fd);
  Client client(fd);
  client.Send(StartupPacket("alice", "postgres"));
  ASSERT_TRUE(client.ReadUntil('Z').has_value());
  const std::string long_query = "SELECT '" + std::string(3000, 'x') + "'";
  client.Send(Msg('Q', long_query + '\0'));
  ASSERT_TRUE(client.ReadUntil('Z').has_value());
  std::optional<stats::StatActivityRow> row = RowOf(pid);
  ASSERT_TRUE(row.has_value() && row->query.has_value());
  EXPECT_EQ(row->query->size(),
            static_cast<size_t>(settings::track_activity_query_size_bytes - 1));
  EXPECT_EQ(*row->query, long_query.substr(0, row->query->size()));
  client.Send(Msg('X', ""));
  EXPECT_EQ(harness_.Wait(pid), 0);
}

// T11: a login that reads its database row before a concurrent rename (or DROP) commits waits
// for the database lock and then finds the row gone: PostgreSQL's FATAL with its DETAIL.
TEST_F(SessionTest, LoginWaitsForTheDatabaseLockAndSeesTheRename) {
  const storage::LockTag tag =
      storage::ObjectLockTag(0, catalog::catalog_oid::kPgDatabase, kDb.value(), 0);
  // As RENAME DATABASE: the database locked, its row changed, not committed yet.
  transam::StartTransaction();
  ASSERT_EQ(storage::LockAcquire(tag, storage::LockMode::kAccessExclusive),
            storage::LockResult::kAcquired);
  {
    const catalog::CatalogRelation& pd =
        catalog::OpenCatalog(catalog::catalog_oid::kPgDatabase, kInvalidOid);
    std::optional<access::HeapTuple> old =
        catalog::CatalogLookupByOid(pd, kDb, transam::GetLatestSnapshot());
    ASSERT_TRUE(old.has_value());
    catalog::CatalogRowBuilder b(*pd.def, pd.desc);
    b.From(*old).Name("datname", "renamed");
    (void)catalog::CatalogUpdate(pd, old->self, b);
  }

  int fd = -1;
  const pid_t pid = StartBackend(&fd);
  Client client(fd);
  client.Send(StartupPacket("alice", "postgres"));
  // The login read the old row and now waits for the database lock.
  ASSERT_TRUE(storage::testing::WaitUntil([&] { return storage::LockNumWaiters(tag) == 1; }));
  transam::CommitTransaction();

  std::optional<ServerMessage> error = client.ReadUntil('E');
  ASSERT_TRUE(error.has_value());
  std::map<char, std::string> f = Fields(error->body);
  EXPECT_EQ(f['S'], "FATAL");
  EXPECT_EQ(f['C'], "3D000");
  EXPECT_EQ(f['M'], "database \"postgres\" does not exist");
  EXPECT_EQ(f['D'], "It seems to have just been dropped or renamed.");
  EXPECT_EQ(harness_.Wait(pid), 1);
}

// The other order: a session that got in holds no lock afterwards, but its slot names the
// database, so a DROP that takes the lock next counts it (database_commands B4).
TEST_F(SessionTest, LoginLeavesNoLockButNamesTheDatabase) {
  int fd = -1;
  const pid_t pid = StartBackend(&fd);
  Client client(fd);
  client.Send(StartupPacket("alice", "postgres"));
  ASSERT_TRUE(client.ReadUntil('Z').has_value());
  const storage::LockTag tag =
      storage::ObjectLockTag(0, catalog::catalog_oid::kPgDatabase, kDb.value(), 0);
  transam::StartTransaction();
  EXPECT_EQ(storage::LockAcquire(tag, storage::LockMode::kAccessExclusive, /*dont_wait=*/true),
            storage::LockResult::kAcquired);
  EXPECT_TRUE(Lists(kDb.value(), pid));
  transam::CommitTransaction();
  client.Send(Msg('X', ""));
  EXPECT_EQ(harness_.Wait(pid), 0);
}

// access/transam reports the transaction's start in the proc slot (P9) and clears it at the end.
TEST_F(SessionTest, XactStartFollowsTheTransaction) {
  const pid_t me = getpid();
  ASSERT_TRUE(RowOf(me).has_value());
  EXPECT_FALSE(RowOf(me)->xact_start_us.has_value());
  transam::StartTransaction();
  EXPECT_EQ(RowOf(me)->xact_start_us, transam::GetCurrentTransactionStartTimestamp());
  transam::CommitTransaction();
  EXPECT_FALSE(RowOf(me)->xact_start_us.has_value());
  transam::StartTransaction();
  EXPECT_TRUE(RowOf(me)->xact_start_us.has_value());
  transam::AbortTransaction();
  EXPECT_FALSE(RowOf(me)->xact_start_us.has_value());
}

}  // namespace
}  // namespace keel::tcop
