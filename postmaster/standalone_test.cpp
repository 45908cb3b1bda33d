// The in-process server on clusters made by keel-initdb: changes persist through a clean
// shutdown and through crash recovery, a running server (or a live standalone one) keeps the
// other off the directory, failures leave nothing behind. README.md (SA1-SA6).
#include "postmaster/standalone.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <functional>
#include <string>

#include "access/transam/control_file.h"
#include "access/transam/xact.h"
#include "backend/commands/user.h"
#include "backend/utils/config/settings.h"
#include "backend/utils/init/session_globals.h"
#include "storage/ipc/shmem.h"
#include "tests/e2e/test_cluster.h"
#include "tests/support/run_program.h"
#include "tests/support/temp_dir.h"

namespace keel::postmaster {
namespace {

namespace fs = std::filesystem;
using keel::testing::KeelBinary;
using keel::testing::ProgramResult;
using keel::testing::RunProgram;
using keel::testing::TempDir;
using keel::testing::TestCluster;

constexpr Oid kPostgres{5};

// A fresh cluster in `tmp`/data.
std::string MakeCluster(const TempDir& tmp) {
  const std::string data = tmp.path() + "/data";
  ProgramResult r = RunProgram({KeelBinary("keel-initdb"), "-D", data, "-U", "keel", "--no-sync"});
  EXPECT_EQ(r.exit_code, 0) << r.Output();
  return data;
}

bool RoleExists(const std::string& name) {
  transam::StartTransaction();
  const bool found = commands::FindRoleByName(name).has_value();
  transam::CommitTransaction();
  return found;
}

void CreateLoginRole(const std::string& name) {
  transam::StartTransaction();
  (void)commands::CreateRole({commands::RoleStmtType::kUser, name, {}});
  transam::CommitTransaction();
}

Error CatchError(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const Error& e) {
    return e;
  }
  ADD_FAILURE() << "no error";
  return Error(sqlstate::kSuccessfulCompletion, "");
}

TEST(StandaloneServerTest, ChangesSurviveACleanShutdown) {
  TempDir tmp;
  const std::string data = MakeCluster(tmp);
  const std::string cwd = fs::current_path().string();
  {
    StandaloneServer server(data, {.settings = {}, .database = kPostgres, .role = Oid(10)});
    EXPECT_EQ(fs::current_path().string(), fs::canonical(data).string());  // SA1
    EXPECT_TRUE(fs::exists(data + "/postmaster.pid"));
    EXPECT_EQ(MyDatabaseId(), kPostgres);
    EXPECT_EQ(MyDatabaseTableSpace(), Oid(1663));
    EXPECT_EQ(MyRoleId(), Oid(10));
    EXPECT_TRUE(RoleExists("keel"));  // made by keel-initdb
    CreateLoginRole("alice");
    server.Shutdown();
    server.Shutdown();  // idempotent
    EXPECT_FALSE(storage::ShmemIsCreated());
  }
  EXPECT_EQ(fs::current_path().string(), cwd);
  EXPECT_FALSE(fs::exists(data + "/postmaster.pid"));
  EXPECT_EQ(transam::ReadControlFile(data).state, transam::ClusterState::kShutDown);

  StandaloneServer again(data, {.settings = {}, .database = kPostgres, .role = Oid(10)});
  EXPECT_TRUE(RoleExists("alice"));
  EXPECT_FALSE(RoleExists("bob"));
}

TEST(StandaloneServerTest, CommittedWorkSurvivesACrash) {
  TempDir tmp;
  const std::string data = MakeCluster(tmp);
  // A child opens the cluster, commits a role and dies without a shutdown checkpoint.
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    try {
      StandaloneServer server(data, {.settings = {}, .database = kPostgres, .role = Oid(10)});
      CreateLoginRole("survivor");
      transam::StartTransaction();
      (void)commands::CreateRole({commands::RoleStmtType::kUser, "uncommitted", {}});
      _exit(0);  // before the destructor could shut down: like kill -9
    } catch (...) {
      _exit(1);
    }
  }
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  EXPECT_TRUE(fs::exists(data + "/postmaster.pid"));  // left by the dead process
  EXPECT_EQ(transam::ReadControlFile(data).state, transam::ClusterState::kInProduction);

  StandaloneServer server(data, {.settings = {}, .database = kPostgres, .role = Oid(10)});
  EXPECT_TRUE(RoleExists("survivor"));
  EXPECT_FALSE(RoleExists("uncommitted"));
}

TEST(StandaloneServerTest, RefusedWhileAServerRuns) {
  TestCluster cluster;
  ASSERT_TRUE(cluster.Start());
  const std::string pid_file_before =
      keel::testing::RunProgram({"cat", cluster.data_dir() + "/postmaster.pid"}).out;
  const std::string cwd = fs::current_path().string();
  Error e = CatchError([&] { StandaloneServer server(cluster.data_dir()); });
  EXPECT_EQ(e.sqlstate().code(), "55006") << e.message();
  EXPECT_EQ(e.message(), "lock file \"postmaster.pid\" already exists");
  EXPECT_NE(e.hint().find("Is another postmaster (PID " +
                          std::to_string(cluster.postmaster_pid()) + ") running"),
            std::string::npos)
      << e.hint();
  // Nothing of the server's was touched; this process is as before.
  EXPECT_EQ(keel::testing::RunProgram({"cat", cluster.data_dir() + "/postmaster.pid"}).out,
            pid_file_before);
  EXPECT_EQ(fs::current_path().string(), cwd);
  EXPECT_FALSE(storage::ShmemIsCreated());
  EXPECT_TRUE(cluster.WaitUntilAccepting());
}

TEST(StandaloneServerTest, KeepsARealServerOff) {
  TestCluster cluster;
  {
    StandaloneServer server(cluster.data_dir());
    // The server would see our postmaster.pid as its parent's (stale), but the shared-memory
    // interlock still has us attached.
    EXPECT_EQ(cluster.StartExpectingFailure({}, 30), 1);
    EXPECT_NE(cluster.log().find("is still in use"), std::string::npos) << cluster.log();
  }
  ASSERT_TRUE(cluster.Start());
  EXPECT_TRUE(cluster.WaitUntilAccepting());
}

TEST(StandaloneServerTest, FailuresLeaveNothingBehind) {
  TempDir tmp;
  const std::string data = MakeCluster(tmp);
  const std::string cwd = fs::current_path().string();
  Error e = CatchError([&] {
    StandaloneServer server(data, {.settings = {}, .database = Oid(4242), .role = Oid(10)});
  });
  EXPECT_EQ(e.sqlstate().code(), "3D000");
  EXPECT_EQ(e.message(), "database 4242 does not exist");
  EXPECT_FALSE(fs::exists(data + "/postmaster.pid"));
  EXPECT_EQ(fs::current_path().string(), cwd);
  EXPECT_FALSE(storage::ShmemIsCreated());

  e = CatchError([&] { StandaloneServer server(data, {.settings = {"no_such_setting=1"}}); });
  EXPECT_EQ(e.sqlstate().code(), "42704") << e.message();
  e = CatchError([&] { StandaloneServer server(tmp.path()); });  // not a cluster directory
  EXPECT_EQ(e.severity(), Severity::kFatal) << e.message();
  EXPECT_FALSE(fs::exists(data + "/postmaster.pid"));

  // And the cluster still opens.
  StandaloneServer server(data, {.settings = {}, .database = kPostgres, .role = Oid(10)});
  EXPECT_TRUE(RoleExists("keel"));
}

TEST(StandaloneServerTest, OptionSettingsWinOverKeelConf) {
  TempDir tmp;
  const std::string data = MakeCluster(tmp);
  StandaloneServer server(data, {.settings = {"shared_buffers=2MB", "max_connections=7"}});
  EXPECT_EQ(settings::shared_buffers_pages, 256);  // keel.conf says 128MB
  EXPECT_EQ(settings::max_connections, 7);
}

}  // namespace
}  // namespace keel::postmaster
