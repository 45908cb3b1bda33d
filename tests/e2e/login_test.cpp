// End to end: logins checked against the catalogs (pg_authid, pg_database) by a real server,
// with roles and limits set up through a standalone server on the stopped cluster:
// PostgreSQL's FATALs for unknown databases and roles, template0, NOLOGIN, expired passwords,
// connection limits and reserved slots; roles made by CreateRole log in with their passwords;
// everything survives restarts. backend/tcop/README.md (T3, T7, T8).
#include <gtest/gtest.h>
#include <libpq-fe.h>

#include <memory>
#include <string>
#include <vector>

#include "backend/catalog/catalog_defs.h"
#include "backend/catalog/catalog_lookup.h"
#include "backend/catalog/catalog_relation.h"
#include "backend/catalog/catalog_values.h"
#include "backend/catalog/catalog_write.h"
#include "backend/commands/user.h"
#include "tests/e2e/stopped_cluster.h"
#include "tests/e2e/test_cluster.h"
#include "tests/support/files.h"
#include "tests/support/temp_dir.h"
#include "tests/support/wait_until.h"

namespace keel::testing {
namespace {

using commands::RoleOption;
using commands::RoleOptionKind;
using commands::RoleStmtType;

void CreateRole(const std::string& name, std::vector<RoleOption> options,
                RoleStmtType type = RoleStmtType::kUser) {
  (void)commands::CreateRole({type, name, std::move(options)});
}

// Sets pg_database.datconnlimit of `database` (there is no ALTER DATABASE yet).
void SetDatabaseConnectionLimit(const std::string& database, int32_t limit) {
  const catalog::CatalogRelation& cat =
      catalog::OpenCatalog(catalog::catalog_oid::kPgDatabase, kInvalidOid);
  for (const access::HeapTuple& row : catalog::CatalogSeqScan(cat, transam::GetLatestSnapshot())) {
    if (catalog::CatalogGetName(cat, row, "datname") != database) continue;
    catalog::CatalogRowBuilder updated(*cat.def, cat.desc);
    updated.From(row).Int4("datconnlimit", limit);
    (void)catalog::CatalogUpdate(cat, row.self, updated);
    return;
  }
  ADD_FAILURE() << "no database " << database;
}

void ExpectRefused(const ConnectAttempt& a, const char* sqlstate, const std::string& message) {
  EXPECT_FALSE(a.conn);
  EXPECT_EQ(a.sqlstate, sqlstate) << a.error;
  EXPECT_NE(a.error.find("FATAL:  " + std::string(sqlstate) + ": " + message), std::string::npos)
      << a.error;
}

TEST(LoginTest, DatabasesComeFromPgDatabase) {
  TestCluster cluster;
  ASSERT_TRUE(cluster.Start());
  EXPECT_TRUE(TryConnect(cluster.ConnInfo("dbname=postgres")).conn);
  EXPECT_TRUE(TryConnect(cluster.ConnInfo("dbname=template1")).conn);
  ExpectRefused(TryConnect(cluster.ConnInfo("dbname=nosuch")), "3D000",
                "database \"nosuch\" does not exist");
  ExpectRefused(TryConnect(cluster.ConnInfo("dbname=template0")), "55000",
                "database \"template0\" is not currently accepting connections");
  // A database name defaults to the user name, as in PostgreSQL: there is no "keel" database.
  ExpectRefused(TryConnect("host=127.0.0.1 port=" + std::to_string(cluster.port()) +
                           " user=keel sslmode=disable connect_timeout=10"),
                "3D000", "database \"keel\" does not exist");
}

TEST(LoginTest, RolesComeFromPgAuthid) {
  TestCluster cluster;  // trust for everyone
  EditStoppedCluster(cluster, [] {
    CreateRole("app", {});
    CreateRole("group_role", {}, RoleStmtType::kRole);  // CREATE ROLE: NOLOGIN by default
    CreateRole("shut_out", {RoleOption::Flag(RoleOptionKind::kLogin, false)});
  });
  ASSERT_TRUE(cluster.Start());
  ConnectAttempt app = TryConnect(cluster.ConnInfo("user=app"));
  ASSERT_TRUE(app.conn) << app.error;
  EXPECT_STREQ(PQparameterStatus(app.conn.get(), "is_superuser"), "off");
  EXPECT_STREQ(PQparameterStatus(app.conn.get(), "session_authorization"), "app");
  ConnectAttempt su = TryConnect(cluster.ConnInfo());
  ASSERT_TRUE(su.conn) << su.error;
  EXPECT_STREQ(PQparameterStatus(su.conn.get(), "is_superuser"), "on");

  ExpectRefused(TryConnect(cluster.ConnInfo("user=ghost")), "28000",
                "role \"ghost\" does not exist");
  ExpectRefused(TryConnect(cluster.ConnInfo("user=group_role")), "28000",
                "role \"group_role\" is not permitted to log in");
  ExpectRefused(TryConnect(cluster.ConnInfo("user=shut_out")), "28000",
                "role \"shut_out\" is not permitted to log in");
  // The role is checked before the database, as in PostgreSQL.
  ExpectRefused(TryConnect(cluster.ConnInfo("user=ghost dbname=nosuch")), "28000",
                "role \"ghost\" does not exist");
  // A superuser-only setting in the startup packet is refused for a non-superuser.
  ConnectAttempt setting = TryConnect(cluster.ConnInfo("user=app options='-c log_min_messages=debug1'"));
  EXPECT_FALSE(setting.conn);
  EXPECT_EQ(setting.sqlstate, "42501") << setting.error;
  EXPECT_TRUE(TryConnect(cluster.ConnInfo("options='-c log_min_messages=debug1'")).conn);
}

class PasswordLoginTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(WriteWholeFile(tmp_.path() + "/pw", "superpw\n"));
    cluster_ = std::make_unique<TestCluster>(
        std::vector<std::string>{"--auth=scram-sha-256", "--pwfile=" + tmp_.path() + "/pw"});
  }
  TempDir tmp_;
  std::unique_ptr<TestCluster> cluster_;
};

TEST_F(PasswordLoginTest, RolesCreatedThroughTheCatalogLogInWithTheirPasswords) {
  const int64_t hour_us = 3600LL * 1'000'000;
  EditStoppedCluster(*cluster_, [&] {
    CreateRole("app", {RoleOption::Password("app pw")});
    CreateRole("nopw", {});
    CreateRole("expired", {RoleOption::Password("old pw"),
                           RoleOption::ValidUntil(commands::CurrentTimestampTz() - hour_us)});
    CreateRole("valid", {RoleOption::Password("new pw"),
                         RoleOption::ValidUntil(commands::CurrentTimestampTz() + 24 * hour_us)});
  });
  ASSERT_TRUE(cluster_->Start());
  EXPECT_TRUE(TryConnect(cluster_->ConnInfo("password=superpw")).conn);
  ConnectAttempt app = TryConnect(cluster_->ConnInfo("user=app password='app pw'"));
  ASSERT_TRUE(app.conn) << app.error;
  EXPECT_STREQ(PQparameterStatus(app.conn.get(), "is_superuser"), "off");
  EXPECT_TRUE(TryConnect(cluster_->ConnInfo("user=valid password='new pw'")).conn);

  for (const char* info : {"user=app password=wrong", "user=nopw password=x",
                           "user=expired password='old pw'", "user=ghost password=x"}) {
    ConnectAttempt a = TryConnect(cluster_->ConnInfo(info));
    EXPECT_FALSE(a.conn) << info;
    EXPECT_EQ(a.sqlstate, "28P01") << info << ": " << a.error;
  }
  // Why, only in the server log (PostgreSQL's DETAIL lines).
  const std::string log = cluster_->log();
  EXPECT_NE(log.find("User \"nopw\" has no password assigned."), std::string::npos) << log;
  EXPECT_NE(log.find("User \"expired\" has an expired password."), std::string::npos) << log;
  EXPECT_NE(log.find("Role \"ghost\" does not exist."), std::string::npos) << log;
}

TEST_F(PasswordLoginTest, EverythingSurvivesRestartsAndCrashRecovery) {
  EditStoppedCluster(*cluster_, [] { CreateRole("app", {RoleOption::Password("app pw")}); });
  ASSERT_TRUE(cluster_->Start());
  ASSERT_TRUE(TryConnect(cluster_->ConnInfo("user=app password='app pw'")).conn);
  ASSERT_EQ(cluster_->Stop('f'), 0);
  // Changed again while stopped: a new password, another role.
  EditStoppedCluster(*cluster_, [] {
    (void)commands::AlterRole({"app", {RoleOption::Password("second pw")}});
    CreateRole("later", {RoleOption::Password("later pw")});
  });
  ASSERT_TRUE(cluster_->Start());
  EXPECT_EQ(TryConnect(cluster_->ConnInfo("user=app password='app pw'")).sqlstate, "28P01");
  EXPECT_TRUE(TryConnect(cluster_->ConnInfo("user=app password='second pw'")).conn);
  // Immediate shutdown: the next start runs crash recovery.
  ASSERT_NE(cluster_->Stop('i'), -1);
  ASSERT_TRUE(cluster_->Start());
  EXPECT_TRUE(TryConnect(cluster_->ConnInfo("user=later password='later pw'")).conn);
  EXPECT_TRUE(TryConnect(cluster_->ConnInfo("password=superpw dbname=template1")).conn);
  ExpectRefused(TryConnect(cluster_->ConnInfo("password=superpw dbname=template0")), "55000",
                "database \"template0\" is not currently accepting connections");
}

TEST(LoginTest, ConnectionLimitsOfRolesAndDatabases) {
  TestCluster cluster;
  EditStoppedCluster(cluster, [] {
    CreateRole("one_at_a_time", {RoleOption::ConnectionLimit(1)});
    CreateRole("app", {});
    CreateRole("boss", {RoleOption::Flag(RoleOptionKind::kSuperuser, true)});
    CreateRole("limited_boss", {RoleOption::Flag(RoleOptionKind::kSuperuser, true),
                                RoleOption::ConnectionLimit(0)});
    SetDatabaseConnectionLimit("template1", 1);
  });
  ASSERT_TRUE(cluster.Start());
  ConnectAttempt first = TryConnect(cluster.ConnInfo("user=one_at_a_time"));
  ASSERT_TRUE(first.conn) << first.error;
  ExpectRefused(TryConnect(cluster.ConnInfo("user=one_at_a_time")), "53300",
                "too many connections for role \"one_at_a_time\"");
  first.conn.reset();
  // The limit frees up once the first session has gone.
  EXPECT_TRUE(WaitUntil([&] { return TryConnect(cluster.ConnInfo("user=one_at_a_time")).conn != nullptr; },
                        20, 100));
  // Superusers are not limited (PostgreSQL's rule), neither by role nor by database.
  EXPECT_TRUE(TryConnect(cluster.ConnInfo("user=limited_boss")).conn);

  ConnectAttempt in_db = TryConnect(cluster.ConnInfo("user=app dbname=template1"));
  ASSERT_TRUE(in_db.conn) << in_db.error;
  ExpectRefused(TryConnect(cluster.ConnInfo("user=app dbname=template1")), "53300",
                "too many connections for database \"template1\"");
  EXPECT_TRUE(TryConnect(cluster.ConnInfo("user=boss dbname=template1")).conn);
  EXPECT_TRUE(TryConnect(cluster.ConnInfo("user=app dbname=postgres")).conn);
}

TEST(LoginTest, ReservedSlotsAreForSuperusers) {
  TestCluster cluster;
  EditStoppedCluster(cluster, [] { CreateRole("app", {}); });
  cluster.AppendConf("max_connections = 4\nsuperuser_reserved_connections = 2");
  ASSERT_TRUE(cluster.Start());
  std::vector<PgConn> held;
  for (int i = 0; i < 2; ++i) {
    ConnectAttempt a = TryConnect(cluster.ConnInfo("user=app"));
    ASSERT_TRUE(a.conn) << i << ": " << a.error;
    held.push_back(std::move(a.conn));
  }
  ExpectRefused(TryConnect(cluster.ConnInfo("user=app")), "53300",
                "remaining connection slots are reserved for non-replication superuser "
                "connections");
  // A superuser gets in (once the refused backend has given its proc slot back).
  EXPECT_TRUE(WaitUntil([&] { return TryConnect(cluster.ConnInfo()).conn != nullptr; }, 20, 100));
}

}  // namespace
}  // namespace keel::testing
