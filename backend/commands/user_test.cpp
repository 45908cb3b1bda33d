// Role DDL in a real server (ServerHarness over bootstrapped catalogs): every option, every
// error with PostgreSQL's SQLSTATE and text, rollback, locks, invalidation, and the catalog
// indexes after changes. README.md (R1-R10).
#include "backend/commands/user.h"

#include <gtest/gtest.h>

#include <functional>
#include <set>
#include <string>
#include <vector>

#include "access/transam/xact.h"
#include "backend/catalog/bootstrap.h"
#include "backend/catalog/catalog_defs.h"
#include "backend/catalog/catalog_lookup.h"
#include "backend/catalog/catalog_relation.h"
#include "backend/catalog/catalog_values.h"
#include "backend/catalog/catalog_write.h"
#include "backend/catalog/dependency.h"
#include "backend/commands/comment.h"
#include "backend/protocol/auth/md5.h"
#include "backend/protocol/auth/scram.h"
#include "backend/utils/cache/inval.h"
#include "backend/utils/config/config.h"
#include "backend/utils/config/settings.h"
#include "backend/utils/init/session_globals.h"
#include "storage/lmgr/lock.h"
#include "tests/server/server_harness.h"

namespace keel::commands {
namespace {

using keel::testing::ServerHarness;
constexpr uint32_t kSuperuser = catalog::kBootstrapSuperuser;

const catalog::CatalogRelation& Authid() {
  return catalog::OpenCatalog(catalog::catalog_oid::kPgAuthid, kInvalidOid);
}

// The error `fn` throws (the test fails when it throws none).
Error Catch(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const Error& e) {
    return e;
  }
  ADD_FAILURE() << "no error thrown";
  return Error(sqlstate::kSuccessfulCompletion, "");
}

void ExpectError(const std::function<void()>& fn, const char* code, const std::string& message) {
  Error e = Catch(fn);
  EXPECT_EQ(e.sqlstate().code(), code) << e.message();
  EXPECT_EQ(e.message(), message);
  EXPECT_EQ(e.severity(), Severity::kError);
}

CreateRoleStmt Create(const std::string& name, std::vector<RoleOption> options = {},
                      RoleStmtType type = RoleStmtType::kRole) {
  return CreateRoleStmt{type, name, std::move(options)};
}

RoleOption Flag(RoleOptionKind kind, bool value = true) { return RoleOption::Flag(kind, value); }

class RoleDdlTest : public ::testing::Test {
 protected:
  void SetUp() override {
    transam::StartTransaction();
    catalog::BootstrapOptions options;
    options.database = Oid(keel::testing::kTestDb);
    options.superuser = "boss";
    (void)catalog::BootstrapCatalogs(options);
    transam::CommitTransaction();
    SetMyRole(Oid(kSuperuser));
    SetMyDatabase(Oid(keel::testing::kTestDb), Oid(catalog::kDefaultTablespace));
    config::SetSetting("password_encryption", "scram-sha-256", config::SettingSource::kSession,
                       config::Phase::kRunning);
  }
  void TearDown() override {
    if (transam::IsTransactionActive()) transam::AbortTransaction();
  }

  // Runs `fn` in its own committed transaction.
  static void InXact(const std::function<void()>& fn) {
    transam::StartTransaction();
    fn();
    transam::CommitTransaction();
  }
  static std::optional<RoleInfo> Role(const std::string& name) {
    transam::StartTransaction();
    std::optional<RoleInfo> r = FindRoleByName(name);
    transam::CommitTransaction();
    return r;
  }
  // Creates `name` with `options` as the bootstrap superuser.
  static Oid Make(const std::string& name, std::vector<RoleOption> options = {}) {
    Oid oid;
    InXact([&] { oid = CreateRole(Create(name, std::move(options))); });
    return oid;
  }
  // Runs `fn` in a transaction as `role`, then aborts it (a failed statement's transaction).
  static void As(Oid role, const std::function<void()>& fn) {
    SetMyRole(role);
    transam::StartTransaction();
    fn();
    transam::AbortTransaction();
    SetMyRole(Oid(kSuperuser));
  }

  // Every visible pg_authid row is found through both indexes, and each index holds exactly
  // the tids of visible rows or of dead versions (C13: entries of deleted versions stay).
  static void ExpectAuthidIndexesMatchHeap() {
    transam::StartTransaction();
    const transam::Snapshot snap = transam::GetLatestSnapshot();
    const catalog::CatalogRelation& cat = Authid();
    for (const access::HeapTuple& row : catalog::CatalogSeqScan(cat, snap)) {
      const std::vector<std::byte> name = catalog::MakeName(catalog::CatalogGetName(cat, row, "rolname"));
      const access::Datum name_key = access::PointerGetDatum(name.data());
      std::vector<access::HeapTuple> by_name = catalog::CatalogIndexScan(cat, 2676, {&name_key, 1}, snap);
      ASSERT_EQ(by_name.size(), 1u);
      EXPECT_EQ(by_name[0].self, row.self);
      std::optional<access::HeapTuple> by_oid =
          catalog::CatalogLookupByOid(cat, Oid(catalog::CatalogGetOid(cat, row, "oid")), snap);
      ASSERT_TRUE(by_oid.has_value());
      EXPECT_EQ(by_oid->self, row.self);
    }
    transam::CommitTransaction();
  }

  ServerHarness harness_;
};

TEST_F(RoleDdlTest, CreateRoleDefaultsAsPostgres) {
  const Oid oid = Make("plain");
  std::optional<RoleInfo> r = Role("plain");
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->oid, oid);
  EXPECT_GE(oid.value(), catalog::kFirstNormalObjectId);
  EXPECT_EQ(r->name, "plain");
  EXPECT_FALSE(r->superuser);
  EXPECT_TRUE(r->inherit);
  EXPECT_FALSE(r->create_role);
  EXPECT_FALSE(r->create_db);
  EXPECT_FALSE(r->can_login);
  EXPECT_FALSE(r->replication);
  EXPECT_FALSE(r->bypass_rls);
  EXPECT_EQ(r->connection_limit, -1);
  EXPECT_FALSE(r->password.has_value());
  EXPECT_FALSE(r->valid_until.has_value());
  // A second role gets another oid; both are found by oid too.
  const Oid second = Make("second");
  EXPECT_NE(second, oid);
  transam::StartTransaction();
  EXPECT_EQ(FindRoleById(second)->name, "second");
  EXPECT_EQ(FindRoleById(oid)->name, "plain");
  EXPECT_FALSE(FindRoleById(Oid(999999)).has_value());
  transam::CommitTransaction();
  ExpectAuthidIndexesMatchHeap();
}

TEST_F(RoleDdlTest, CreateUserImpliesLoginUnlessNologin) {
  InXact([] {
    (void)CreateRole(Create("u1", {}, RoleStmtType::kUser));
    (void)CreateRole(Create("u2", {Flag(RoleOptionKind::kLogin, false)}, RoleStmtType::kUser));
    (void)CreateRole(Create("g1", {}, RoleStmtType::kGroup));
  });
  EXPECT_TRUE(Role("u1")->can_login);
  EXPECT_FALSE(Role("u2")->can_login);
  EXPECT_FALSE(Role("g1")->can_login);
}

TEST_F(RoleDdlTest, EveryOptionIsStored) {
  const int64_t until = CurrentTimestampTz() + 3600LL * 1'000'000;
  Make("full", {Flag(RoleOptionKind::kSuperuser), Flag(RoleOptionKind::kCreateDb),
                Flag(RoleOptionKind::kCreateRole), Flag(RoleOptionKind::kInherit, false),
                Flag(RoleOptionKind::kLogin), Flag(RoleOptionKind::kReplication),
                Flag(RoleOptionKind::kBypassRls), RoleOption::ConnectionLimit(5),
                RoleOption::ValidUntil(until), RoleOption::Password("s3cret")});
  std::optional<RoleInfo> r = Role("full");
  ASSERT_TRUE(r.has_value());
  EXPECT_TRUE(r->superuser);
  EXPECT_TRUE(r->create_db);
  EXPECT_TRUE(r->create_role);
  EXPECT_FALSE(r->inherit);
  EXPECT_TRUE(r->can_login);
  EXPECT_TRUE(r->replication);
  EXPECT_TRUE(r->bypass_rls);
  EXPECT_EQ(r->connection_limit, 5);
  EXPECT_EQ(r->valid_until, until);
  ASSERT_TRUE(r->password.has_value());
  std::optional<auth::ScramVerifier> v = auth::ScramParseVerifier(*r->password);
  ASSERT_TRUE(v.has_value()) << *r->password;  // password_encryption = scram-sha-256
  EXPECT_TRUE(auth::ScramVerifyPlainPassword("s3cret", *v));
  EXPECT_FALSE(auth::ScramVerifyPlainPassword("s3cre", *v));
  // The infinities are stored as PostgreSQL's.
  Make("forever", {RoleOption::ValidUntil(kTimestampInfinity)});
  EXPECT_EQ(Role("forever")->valid_until, kTimestampInfinity);
}

TEST_F(RoleDdlTest, PasswordsFollowPasswordEncryptionUnlessAlreadyEncrypted) {
  config::SetSetting("password_encryption", "md5", config::SettingSource::kSession,
                     config::Phase::kRunning);
  Make("m", {RoleOption::Password("pw")});
  EXPECT_EQ(Role("m")->password, auth::Md5PasswordHash("pw", "m"));
  // A verifier or md5 hash is stored as given, whatever password_encryption says.
  const std::string scram = auth::ScramBuildVerifier("other", 64);
  Make("s", {RoleOption::Password(scram)});
  EXPECT_EQ(Role("s")->password, scram);
  config::SetSetting("password_encryption", "scram-sha-256", config::SettingSource::kSession,
                     config::Phase::kRunning);
  const std::string md5 = auth::Md5PasswordHash("x", "h");
  Make("h", {RoleOption::Password(md5)});
  EXPECT_EQ(Role("h")->password, md5);
  // PASSWORD NULL stores no password.
  Make("n", {RoleOption::NullPassword()});
  EXPECT_FALSE(Role("n")->password.has_value());
}

TEST_F(RoleDdlTest, EmptyPasswordIsClearedWithNotice) {
  for (const std::string& password :
       {std::string(), auth::Md5PasswordHash("", "e1"), auth::ScramBuildVerifier("", 64)}) {
    Notices notices;
    InXact([&] { (void)CreateRole(Create("e1", {RoleOption::Password(password)}), &notices); });
    ASSERT_EQ(notices.size(), 1u) << password;
    EXPECT_EQ(notices[0].message(), "empty string is not a valid password, clearing password");
    EXPECT_EQ(notices[0].severity(), Severity::kNotice);
    EXPECT_FALSE(Role("e1")->password.has_value()) << password;
    InXact([] { DropRole({{"e1"}, false}); });
  }
  // ALTER ROLE ... PASSWORD '' clears an existing password, too.
  Make("e2", {RoleOption::Password("set")});
  Notices notices;
  InXact([&] { (void)AlterRole({"e2", {RoleOption::Password("")}}, &notices); });
  EXPECT_EQ(notices.size(), 1u);
  EXPECT_FALSE(Role("e2")->password.has_value());
}

TEST_F(RoleDdlTest, CreateErrors) {
  Make("taken");
  auto in_xact = [](const CreateRoleStmt& stmt) {
    return [stmt] {
      transam::StartTransaction();
      try {
        (void)CreateRole(stmt);
      } catch (...) {
        transam::AbortTransaction();
        throw;
      }
      transam::CommitTransaction();
    };
  };
  ExpectError(in_xact(Create("taken")), "42710", "role \"taken\" already exists");
  Error reserved = Catch(in_xact(Create("pg_mine")));
  EXPECT_EQ(reserved.sqlstate().code(), "42939");
  EXPECT_EQ(reserved.message(), "role name \"pg_mine\" is reserved");
  EXPECT_EQ(reserved.detail(), "Role names starting with \"pg_\" are reserved.");
  ExpectError(in_xact(Create("public")), "42939", "role name \"public\" is reserved");
  ExpectError(in_xact(Create("none")), "42939", "role name \"none\" is reserved");
  ExpectError(in_xact(Create("r", {Flag(RoleOptionKind::kLogin), Flag(RoleOptionKind::kLogin, false)})),
              "42601", "conflicting or redundant options");
  ExpectError(in_xact(Create("r", {RoleOption::Password("a"), RoleOption::NullPassword()})),
              "42601", "conflicting or redundant options");
  ExpectError(in_xact(Create("r", {RoleOption::ConnectionLimit(-2)})), "22023",
              "invalid connection limit: -2");
  EXPECT_FALSE(Role("r").has_value());
  EXPECT_FALSE(Role("pg_mine").has_value());
}

TEST_F(RoleDdlTest, CreatePermissions) {
  const Oid nobody = Make("nobody", {Flag(RoleOptionKind::kLogin)});
  const Oid admin = Make("admin", {Flag(RoleOptionKind::kCreateRole)});
  As(nobody, [] {
    ExpectError([] { (void)CreateRole(Create("x")); }, "42501", "permission denied to create role");
  });
  As(admin, [] {
    ExpectError([] { (void)CreateRole(Create("x", {Flag(RoleOptionKind::kSuperuser)})); }, "42501",
                "must be superuser to create superusers");
    ExpectError([] { (void)CreateRole(Create("x", {Flag(RoleOptionKind::kReplication)})); },
                "42501", "must be superuser to create replication users");
    ExpectError([] { (void)CreateRole(Create("x", {Flag(RoleOptionKind::kBypassRls)})); }, "42501",
                "must be superuser to create bypassrls users");
  });
  // CREATEROLE is enough for everything else (NOSUPERUSER spelled out included).
  SetMyRole(admin);
  InXact([] {
    (void)CreateRole(Create("made_by_admin", {Flag(RoleOptionKind::kSuperuser, false),
                                              Flag(RoleOptionKind::kCreateDb),
                                              Flag(RoleOptionKind::kLogin)}));
  });
  SetMyRole(Oid(kSuperuser));
  EXPECT_TRUE(Role("made_by_admin")->create_db);
  EXPECT_FALSE(Role("x").has_value());
}

TEST_F(RoleDdlTest, AlterChangesOnlyTheGivenOptions) {
  Make("a", {Flag(RoleOptionKind::kLogin), RoleOption::ConnectionLimit(3),
             RoleOption::Password("one"), RoleOption::ValidUntil(12345)});
  const std::string before = *Role("a")->password;
  InXact([] {
    EXPECT_EQ(AlterRole({"a", {Flag(RoleOptionKind::kCreateDb)}}), FindRoleByName("a")->oid);
  });
  std::optional<RoleInfo> r = Role("a");
  EXPECT_TRUE(r->create_db);
  EXPECT_TRUE(r->can_login);
  EXPECT_EQ(r->connection_limit, 3);
  EXPECT_EQ(r->password, before);
  EXPECT_EQ(r->valid_until, 12345);

  InXact([] {
    (void)AlterRole({"a", {Flag(RoleOptionKind::kLogin, false), RoleOption::ConnectionLimit(-1),
                           RoleOption::ValidUntil(kTimestampInfinity), Flag(RoleOptionKind::kInherit, false),
                           Flag(RoleOptionKind::kCreateRole), Flag(RoleOptionKind::kReplication),
                           Flag(RoleOptionKind::kBypassRls), Flag(RoleOptionKind::kSuperuser)}});
  });
  r = Role("a");
  EXPECT_FALSE(r->can_login);
  EXPECT_EQ(r->connection_limit, -1);
  EXPECT_EQ(r->valid_until, kTimestampInfinity);
  EXPECT_FALSE(r->inherit);
  EXPECT_TRUE(r->create_role && r->replication && r->bypass_rls && r->superuser);
  EXPECT_EQ(r->password, before);

  InXact([] { (void)AlterRole({"a", {RoleOption::Password("two")}}); });
  EXPECT_TRUE(auth::ScramVerifyPlainPassword("two", *auth::ScramParseVerifier(*Role("a")->password)));
  InXact([] { (void)AlterRole({"a", {RoleOption::NullPassword()}}); });
  EXPECT_FALSE(Role("a")->password.has_value());
  ExpectAuthidIndexesMatchHeap();
}

TEST_F(RoleDdlTest, AlterErrorsAndPermissions) {
  const Oid plain = Make("plain", {Flag(RoleOptionKind::kLogin), RoleOption::Password("mine")});
  const Oid admin = Make("admin", {Flag(RoleOptionKind::kCreateRole)});
  Make("su", {Flag(RoleOptionKind::kSuperuser)});
  Make("repl", {Flag(RoleOptionKind::kReplication)});
  Make("other");
  As(Oid(kSuperuser), [] {
    ExpectError([] { (void)AlterRole({"ghost", {Flag(RoleOptionKind::kLogin)}}); }, "42704",
                "role \"ghost\" does not exist");
    ExpectError([] { (void)AlterRole({"plain", {RoleOption::ConnectionLimit(1),
                                                RoleOption::ConnectionLimit(2)}}); },
                "42601", "conflicting or redundant options");
  });
  As(admin, [] {
    ExpectError([] { (void)AlterRole({"su", {Flag(RoleOptionKind::kLogin)}}); }, "42501",
                "must be superuser to alter superuser roles or change superuser attribute");
    ExpectError([] { (void)AlterRole({"plain", {Flag(RoleOptionKind::kSuperuser)}}); }, "42501",
                "must be superuser to alter superuser roles or change superuser attribute");
    ExpectError([] { (void)AlterRole({"repl", {Flag(RoleOptionKind::kLogin)}}); }, "42501",
                "must be superuser to alter replication roles or change replication attribute");
    ExpectError([] { (void)AlterRole({"plain", {Flag(RoleOptionKind::kBypassRls)}}); }, "42501",
                "must be superuser to change bypassrls attribute");
    (void)AlterRole({"plain", {Flag(RoleOptionKind::kCreateDb)}});  // CREATEROLE may
  });
  As(plain, [] {
    // Without CREATEROLE: one's own password only.
    ExpectError([] { (void)AlterRole({"other", {RoleOption::Password("x")}}); }, "42501",
                "permission denied");
    ExpectError([] { (void)AlterRole({"plain", {RoleOption::Password("x"),
                                                Flag(RoleOptionKind::kCreateDb)}}); },
                "42501", "permission denied");
    ExpectError([] { (void)AlterRole({"plain", {Flag(RoleOptionKind::kLogin)}}); }, "42501",
                "permission denied");
  });
  SetMyRole(plain);
  InXact([] { (void)AlterRole({"plain", {RoleOption::Password("new")}}); });
  SetMyRole(Oid(kSuperuser));
  EXPECT_TRUE(auth::ScramVerifyPlainPassword("new", *auth::ScramParseVerifier(*Role("plain")->password)));
}

TEST_F(RoleDdlTest, DropRemovesRoleMembershipsAndComment) {
  const Oid gone = Make("gone");
  const Oid keep = Make("keep");
  // A membership in each direction and a comment, written as GRANT / COMMENT would.
  InXact([&] {
    const catalog::CatalogRelation& members =
        catalog::OpenCatalog(catalog::catalog_oid::kPgAuthMembers, kInvalidOid);
    for (auto [role, member] : {std::pair{gone, keep}, std::pair{keep, gone}}) {
      catalog::CatalogRowBuilder row(*members.def, members.desc);
      row.Oid("roleid", role.value()).Oid("member", member.value()).Oid("grantor", kSuperuser)
          .Bool("admin_option", false);
      (void)catalog::CatalogInsert(members, row);
    }
    const catalog::CatalogRelation& comments =
        catalog::OpenCatalog(catalog::catalog_oid::kPgShdescription, kInvalidOid);
    catalog::CatalogRowBuilder c(*comments.def, comments.desc);
    c.Oid("objoid", gone.value()).Oid("classoid", catalog::catalog_oid::kPgAuthid)
        .Text("description", "bye");
    (void)catalog::CatalogInsert(comments, c);
  });
  InXact([] { DropRole({{"gone"}, false}); });
  EXPECT_FALSE(Role("gone").has_value());
  EXPECT_TRUE(Role("keep").has_value());
  transam::StartTransaction();
  const transam::Snapshot snap = transam::GetLatestSnapshot();
  EXPECT_TRUE(catalog::CatalogSeqScan(
                  catalog::OpenCatalog(catalog::catalog_oid::kPgAuthMembers, kInvalidOid), snap)
                  .empty());
  EXPECT_TRUE(catalog::CatalogSeqScan(
                  catalog::OpenCatalog(catalog::catalog_oid::kPgShdescription, kInvalidOid), snap)
                  .empty());
  transam::CommitTransaction();
  (void)keep;
  ExpectAuthidIndexesMatchHeap();
}

// R10: a role that owns something (pg_shdepend) cannot be dropped; 2BP01 with PostgreSQL's
// DETAIL. Once the dependency is gone it can, and what the role itself depended on goes too.
TEST_F(RoleDdlTest, DropRefusedWhileObjectsDependOnTheRole) {
  const Oid owner = Make("owner_role");
  const Oid owned = Make("owned_role");
  InXact([&] {
    // As CREATE DATABASE ... OWNER and a role-level owner row would record them.
    catalog::RecordDependencyOnOwner(Oid(catalog::catalog_oid::kPgDatabase),
                                     Oid(keel::testing::kTestDb), owner);
    catalog::RecordDependencyOnOwner(Oid(catalog::catalog_oid::kPgAuthid), owned, owner);
    CreateSharedComments(owned, Oid(catalog::catalog_oid::kPgAuthid), "owned");
  });
  transam::StartTransaction();
  Error e = Catch([] { DropRole({{"owner_role"}, false}); });
  EXPECT_EQ(e.sqlstate().code(), "2BP01");
  EXPECT_EQ(e.message(), "role \"owner_role\" cannot be dropped because some objects depend on it");
  EXPECT_NE(e.detail().find("owner of database postgres"), std::string::npos) << e.detail();
  EXPECT_NE(e.detail().find("owner of role owned_role"), std::string::npos) << e.detail();
  // The role lock was taken before the check.
  EXPECT_TRUE(storage::LockHeldByMe(
      storage::ObjectLockTag(0, catalog::catalog_oid::kPgAuthid, owner.value(), 0),
      storage::LockMode::kAccessExclusive));
  transam::AbortTransaction();
  EXPECT_TRUE(Role("owner_role").has_value());

  // The database goes back to the (pinned) bootstrap superuser: no row; the owned role is
  // dropped, and with it its own owner row and its comment.
  InXact([] {
    catalog::ChangeDependencyOnOwner(Oid(catalog::catalog_oid::kPgDatabase),
                                     Oid(keel::testing::kTestDb), Oid(kSuperuser));
  });
  InXact([] { DropRole({{"owned_role"}, false}); });
  transam::StartTransaction();
  std::string detail;
  EXPECT_FALSE(catalog::CheckSharedDependencies(Oid(catalog::catalog_oid::kPgAuthid), owner,
                                                &detail, nullptr))
      << detail;
  EXPECT_FALSE(GetComment(catalog::ObjectAddress{Oid(catalog::catalog_oid::kPgAuthid), owned, 0})
                   .has_value());
  transam::CommitTransaction();
  InXact([] { DropRole({{"owner_role"}, false}); });
  EXPECT_FALSE(Role("owner_role").has_value());
  ExpectAuthidIndexesMatchHeap();
}

TEST_F(RoleDdlTest, DropSeveralAndIfExists) {
  Make("r1");
  Make("r2");
  ExpectError([] { InXact([] { DropRole({{"r1", "ghost"}, false}); }); }, "42704",
              "role \"ghost\" does not exist");
  transam::AbortTransaction();
  EXPECT_TRUE(Role("r1").has_value());  // the whole statement rolled back
  Notices notices;
  InXact([&] { DropRole({{"r1", "ghost", "r2"}, true}, &notices); });
  ASSERT_EQ(notices.size(), 1u);
  EXPECT_EQ(notices[0].message(), "role \"ghost\" does not exist, skipping");
  EXPECT_EQ(notices[0].sqlstate().code(), "00000");
  EXPECT_FALSE(Role("r1").has_value());
  EXPECT_FALSE(Role("r2").has_value());
}

TEST_F(RoleDdlTest, DropErrorsAndPermissions) {
  const Oid nobody = Make("nobody");
  const Oid admin = Make("admin", {Flag(RoleOptionKind::kCreateRole)});
  const Oid su = Make("su", {Flag(RoleOptionKind::kSuperuser)});
  Make("victim");
  As(nobody, [] {
    ExpectError([] { DropRole({{"victim"}, false}); }, "42501", "permission denied to drop role");
  });
  As(admin, [] {
    ExpectError([] { DropRole({{"su"}, false}); }, "42501", "must be superuser to drop superusers");
    ExpectError([] { DropRole({{"admin"}, false}); }, "55006", "current user cannot be dropped");
    DropRole({{"victim"}, false});  // an ordinary role: fine (rolled back by As)
  });
  As(su, [] {
    ExpectError([] { DropRole({{"boss"}, false}); }, "2BP01",
                "cannot drop role boss because it is required by the database system");
  });
  EXPECT_TRUE(Role("victim").has_value());
  EXPECT_TRUE(Role("boss").has_value());
}

TEST_F(RoleDdlTest, RollbackLeavesNothingBehind) {
  transam::StartTransaction();
  (void)CreateRole(Create("temp", {RoleOption::Password("x"), Flag(RoleOptionKind::kLogin)}));
  EXPECT_TRUE(FindRoleByName("temp").has_value());  // visible to the transaction itself
  transam::AbortTransaction();
  EXPECT_FALSE(Role("temp").has_value());

  Make("kept", {Flag(RoleOptionKind::kLogin)});
  transam::StartTransaction();
  (void)AlterRole({"kept", {Flag(RoleOptionKind::kLogin, false), RoleOption::Password("p")}});
  EXPECT_FALSE(FindRoleByName("kept")->can_login);
  transam::AbortTransaction();
  EXPECT_TRUE(Role("kept")->can_login);
  EXPECT_FALSE(Role("kept")->password.has_value());

  transam::StartTransaction();
  DropRole({{"kept"}, false});
  EXPECT_FALSE(FindRoleByName("kept").has_value());
  transam::AbortTransaction();
  EXPECT_TRUE(Role("kept").has_value());

  // A savepoint rolled back undoes only what came after it.
  transam::StartTransaction();
  (void)CreateRole(Create("outer_role"));
  transam::DefineSavepoint("s");
  (void)CreateRole(Create("inner_role"));
  transam::RollbackToSavepoint("s");
  transam::CommitTransaction();
  EXPECT_TRUE(Role("outer_role").has_value());
  EXPECT_FALSE(Role("inner_role").has_value());
  ExpectAuthidIndexesMatchHeap();
}

TEST_F(RoleDdlTest, LocksAndInvalidation) {
  transam::StartTransaction();
  EXPECT_EQ(cache::PendingInvalidationCount(), 0);
  const Oid oid = CreateRole(Create("locked"));
  EXPECT_TRUE(storage::LockHeldByMe(storage::RelationLockTag(0, catalog::catalog_oid::kPgAuthid),
                                    storage::LockMode::kRowExclusive));
  EXPECT_GT(cache::PendingInvalidationCount(), 0);
  transam::CommitTransaction();
  EXPECT_FALSE(storage::LockHeldByMe(storage::RelationLockTag(0, catalog::catalog_oid::kPgAuthid),
                                     storage::LockMode::kRowExclusive));
  transam::StartTransaction();
  DropRole({{"locked"}, false});
  EXPECT_TRUE(storage::LockHeldByMe(
      storage::ObjectLockTag(0, catalog::catalog_oid::kPgAuthid, oid.value(), 0),
      storage::LockMode::kAccessExclusive));
  transam::CommitTransaction();
}

TEST_F(RoleDdlTest, AnotherBackendSeesTheRoleOnlyAfterCommit) {
  transam::StartTransaction();
  (void)CreateRole(Create("shared_news"));
  pid_t before = harness_.ForkBackend([] {
    transam::StartTransaction();
    const bool seen = FindRoleByName("shared_news").has_value();
    transam::CommitTransaction();
    return seen ? 1 : 0;
  });
  EXPECT_EQ(harness_.Wait(before), 0);
  transam::CommitTransaction();
  pid_t after = harness_.ForkBackend([] {
    transam::StartTransaction();
    const bool seen = FindRoleByName("shared_news").has_value();
    transam::CommitTransaction();
    return seen ? 0 : 1;
  });
  EXPECT_EQ(harness_.Wait(after), 0);
}

TEST_F(RoleDdlTest, RolesSurviveCrashRecovery) {
  Make("durable", {RoleOption::Password("pw"), Flag(RoleOptionKind::kLogin)});
  InXact([] { (void)AlterRole({"durable", {RoleOption::ConnectionLimit(7)}}); });
  Make("dropped");
  InXact([] { DropRole({{"dropped"}, false}); });
  harness_.Crash();
  std::optional<RoleInfo> r = Role("durable");
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->connection_limit, 7);
  EXPECT_TRUE(auth::ScramVerifyPlainPassword("pw", *auth::ScramParseVerifier(*r->password)));
  EXPECT_FALSE(Role("dropped").has_value());
  ExpectAuthidIndexesMatchHeap();
}

}  // namespace
}  // namespace keel::commands
