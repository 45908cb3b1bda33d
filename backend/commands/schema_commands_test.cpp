// CREATE / DROP / ALTER SCHEMA through their statement functions (README.md "Schemas"): their
// effect on the catalogs, their errors and notices, rollback, and a second session seeing a
// schema created and dropped by another after commit.
#include "backend/commands/schema_commands.h"

#include <gtest/gtest.h>
#include <sys/mman.h>

#include <atomic>
#include <new>

#include "backend/catalog/catalog_test_util.h"
#include "backend/catalog/namespace.h"
#include "backend/commands/comment.h"
#include "storage/ipc/fork_test_util.h"

namespace keel::commands {
namespace {

using catalog::testing::CatalogTest;
using catalog::testing::ErrorOf;
using catalog::testing::kDb;
using catalog::testing::kSuperuser;
namespace catalog_oid = catalog::catalog_oid;

constexpr Oid kPublic{catalog::kPublicNamespace};

Oid Owner(Oid nsp) {
  const catalog::CatalogRelation& ns = catalog::testing::TestCat(catalog_oid::kPgNamespace);
  std::optional<access::HeapTuple> row =
      catalog::CatalogLookupByOid(ns, nsp, transam::GetLatestSnapshot());
  return row ? Oid(catalog::CatalogGetOid(ns, *row, "nspowner")) : kInvalidOid;
}

using SchemaCommandsTest = CatalogTest;

TEST_F(SchemaCommandsTest, CreateSchemaInsertsAnOwnedVisibleSchema) {
  transam::StartTransaction();
  catalog::NoticeList notices;
  const Oid s = CreateSchema(CreateSchemaStmt{"s", "", false}, &notices);
  EXPECT_TRUE(notices.empty());
  EXPECT_EQ(catalog::GetNamespaceOid("s", false), s);  // visible to the next command already
  EXPECT_EQ(Owner(s), kSuperuser);
  const catalog::CatalogRelation& ns = catalog::testing::TestCat(catalog_oid::kPgNamespace);
  bool isnull = false;
  (void)catalog::CatalogGetAttr(
      ns, *catalog::CatalogLookupByOid(ns, s, transam::GetLatestSnapshot()), "nspacl", &isnull);
  EXPECT_TRUE(isnull);
  transam::CommitTransaction();
  transam::StartTransaction();
  EXPECT_EQ(catalog::GetNamespaceOid("s", false), s);
  transam::CommitTransaction();
}

TEST_F(SchemaCommandsTest, CreateSchemaErrorsAndIfNotExists) {
  transam::StartTransaction();
  (void)CreateSchema(CreateSchemaStmt{"s", "", false}, nullptr);
  Error e = ErrorOf([] { (void)CreateSchema(CreateSchemaStmt{"s", "", false}, nullptr); });
  EXPECT_EQ(e.sqlstate(), sqlstate::kDuplicateSchema);
  EXPECT_EQ(e.message(), "schema \"s\" already exists");
  transam::AbortTransaction();

  transam::StartTransaction();
  (void)CreateSchema(CreateSchemaStmt{"s", "", false}, nullptr);
  catalog::NoticeList notices;
  EXPECT_EQ(CreateSchema(CreateSchemaStmt{"s", "", true}, &notices), kInvalidOid);
  ASSERT_EQ(notices.size(), 1u);
  EXPECT_EQ(notices[0].severity(), Severity::kNotice);
  EXPECT_EQ(notices[0].sqlstate(), sqlstate::kDuplicateSchema);
  EXPECT_EQ(notices[0].message(), "schema \"s\" already exists, skipping");
  for (const char* name : {"pg_mine", "public"}) {
    e = ErrorOf([&] { (void)CreateSchema(CreateSchemaStmt{name, "", false}, nullptr); });
    if (std::string_view(name) == "public") {
      EXPECT_EQ(e.message(), "schema \"public\" already exists");
      continue;
    }
    EXPECT_EQ(e.sqlstate(), sqlstate::kReservedName);
    EXPECT_EQ(e.message(), "unacceptable schema name \"pg_mine\"");
    EXPECT_EQ(e.detail(), "The prefix \"pg_\" is reserved for system schemas.");
  }
  e = ErrorOf([] { (void)CreateSchema(CreateSchemaStmt{"x", "nobody", false}, nullptr); });
  EXPECT_EQ(e.sqlstate(), sqlstate::kUndefinedObject);
  EXPECT_EQ(e.message(), "role \"nobody\" does not exist");
  transam::AbortTransaction();
}

TEST_F(SchemaCommandsTest, AuthorizationNamesTheOwnerAndPermissionsAreChecked) {
  transam::StartTransaction();
  const Oid bob = catalog::testing::InsertRole("bob");
  const Oid carol = catalog::testing::InsertRole("carol");
  // AUTHORIZATION without a name: the schema is named after the role.
  const Oid bobs = CreateSchema(CreateSchemaStmt{"", "bob", false}, nullptr);
  EXPECT_EQ(catalog::GetNamespaceOid("bob", false), bobs);
  EXPECT_EQ(Owner(bobs), bob);
  std::string detail;
  EXPECT_TRUE(catalog::CheckSharedDependencies(Oid(catalog_oid::kPgAuthid), bob, &detail, nullptr));
  EXPECT_EQ(detail, "owner of schema bob");
  // A non-superuser who does not own the database cannot create schemas.
  SetMyRole(bob);
  Error e = ErrorOf([] { (void)CreateSchema(CreateSchemaStmt{"b2", "", false}, nullptr); });
  EXPECT_EQ(e.sqlstate(), sqlstate::kInsufficientPrivilege);
  EXPECT_EQ(e.message(), "permission denied for database postgres");
  // Even a database owner cannot give a schema to a role it is not a member of.
  {
    const catalog::CatalogRelation& db = catalog::testing::TestCat(catalog_oid::kPgDatabase);
    std::optional<access::HeapTuple> row =
        catalog::CatalogLookupByOid(db, kDb, transam::GetLatestSnapshot());
    catalog::CatalogRowBuilder b(*db.def, db.desc);
    b.From(*row).Oid("datdba", bob.value());
    (void)catalog::CatalogUpdate(db, row->self, b);
    transam::CommandCounterIncrement();
  }
  const Oid b2 = CreateSchema(CreateSchemaStmt{"b2", "", false}, nullptr);
  EXPECT_EQ(Owner(b2), bob);
  e = ErrorOf([] { (void)CreateSchema(CreateSchemaStmt{"c", "carol", false}, nullptr); });
  EXPECT_EQ(e.sqlstate(), sqlstate::kInsufficientPrivilege);
  EXPECT_EQ(e.message(), "must be member of role \"carol\"");
  catalog::testing::GrantRole(carol, bob);
  const Oid c = CreateSchema(CreateSchemaStmt{"c", "carol", false}, nullptr);
  EXPECT_EQ(Owner(c), carol);
  transam::AbortTransaction();
}

TEST_F(SchemaCommandsTest, DropSchemaRemovesItAndItsOwnerRow) {
  transam::StartTransaction();
  const Oid bob = catalog::testing::InsertRole("bob");
  (void)CreateSchema(CreateSchemaStmt{"s", "bob", false}, nullptr);
  transam::CommitTransaction();
  transam::StartTransaction();
  catalog::NoticeList notices;
  DropSchema(DropSchemaStmt{{"s"}, catalog::DropBehavior::kRestrict, false}, &notices);
  EXPECT_TRUE(notices.empty());
  EXPECT_EQ(catalog::GetNamespaceOid("s", true), kInvalidOid);
  EXPECT_FALSE(catalog::CheckSharedDependencies(Oid(catalog_oid::kPgAuthid), bob, nullptr, nullptr));
  transam::CommitTransaction();
}

TEST_F(SchemaCommandsTest, DropSchemaErrorsNoticesAndCascade) {
  transam::StartTransaction();
  const Oid s = CreateSchema(CreateSchemaStmt{"s", "", false}, nullptr);
  const Oid t = catalog::testing::InsertRelation("t", s);
  catalog::RecordDependencyOn(catalog::MakeObjectAddress(catalog_oid::kPgClass, t),
                              catalog::MakeObjectAddress(catalog_oid::kPgNamespace, s),
                              catalog::DependencyType::kNormal);
  transam::CommitTransaction();

  transam::StartTransaction();
  Error e = ErrorOf([] {
    DropSchema(DropSchemaStmt{{"nope"}, catalog::DropBehavior::kRestrict, false}, nullptr);
  });
  EXPECT_EQ(e.sqlstate(), sqlstate::kInvalidSchemaName);
  EXPECT_EQ(e.message(), "schema \"nope\" does not exist");
  transam::AbortTransaction();

  transam::StartTransaction();
  e = ErrorOf([] {
    DropSchema(DropSchemaStmt{{"s"}, catalog::DropBehavior::kRestrict, false}, nullptr);
  });
  EXPECT_EQ(e.sqlstate(), sqlstate::kDependentObjectsStillExist);
  EXPECT_EQ(e.message(), "cannot drop schema s because other objects depend on it");
  EXPECT_EQ(e.detail(), "table s.t depends on schema s");
  EXPECT_EQ(e.hint(), "Use DROP ... CASCADE to drop the dependent objects too.");
  transam::AbortTransaction();

  // Named twice, it is two objects to PostgreSQL: the message for several.
  transam::StartTransaction();
  e = ErrorOf([] {
    DropSchema(DropSchemaStmt{{"s", "s"}, catalog::DropBehavior::kRestrict, false}, nullptr);
  });
  EXPECT_EQ(e.sqlstate(), sqlstate::kDependentObjectsStillExist);
  EXPECT_EQ(e.message(), "cannot drop desired object(s) because other objects depend on them");
  EXPECT_EQ(e.detail(), "table s.t depends on schema s");
  EXPECT_EQ(e.hint(), "Use DROP ... CASCADE to drop the dependent objects too.");
  transam::AbortTransaction();
  // ... and dropped once.
  transam::StartTransaction();
  const Oid empty = CreateSchema(CreateSchemaStmt{"empty", "", false}, nullptr);
  catalog::NoticeList twice;
  DropSchema(DropSchemaStmt{{"empty", "empty", "s"}, catalog::DropBehavior::kCascade, false},
             &twice);
  EXPECT_FALSE(catalog::testing::RowExists(catalog_oid::kPgNamespace, empty));
  EXPECT_FALSE(catalog::testing::RowExists(catalog_oid::kPgNamespace, s));
  ASSERT_EQ(twice.size(), 1u);
  EXPECT_EQ(twice[0].message(), "drop cascades to table s.t");
  transam::AbortTransaction();

  transam::StartTransaction();
  e = ErrorOf([] {
    DropSchema(DropSchemaStmt{{"pg_catalog"}, catalog::DropBehavior::kCascade, false}, nullptr);
  });
  EXPECT_EQ(e.sqlstate(), sqlstate::kDependentObjectsStillExist);
  EXPECT_EQ(e.message(),
            "cannot drop schema pg_catalog because it is required by the database system");
  transam::AbortTransaction();

  transam::StartTransaction();
  catalog::NoticeList notices;
  DropSchema(DropSchemaStmt{{"nope", "s", "public"}, catalog::DropBehavior::kCascade, true},
             &notices);
  ASSERT_EQ(notices.size(), 2u);
  EXPECT_EQ(notices[0].message(), "schema \"nope\" does not exist, skipping");
  EXPECT_EQ(notices[0].sqlstate(), sqlstate::kSuccessfulCompletion);
  EXPECT_EQ(notices[1].message(), "drop cascades to table s.t");
  EXPECT_EQ(catalog::GetNamespaceOid("s", true), kInvalidOid);
  EXPECT_EQ(catalog::GetNamespaceOid("public", true), kInvalidOid);  // public is not pinned
  EXPECT_FALSE(catalog::testing::RowExists(catalog_oid::kPgClass, t));
  transam::AbortTransaction();

  // Only the owner (or a superuser) may drop.
  transam::StartTransaction();
  const Oid bob = catalog::testing::InsertRole("bob");
  SetMyRole(bob);
  e = ErrorOf([] {
    DropSchema(DropSchemaStmt{{"s"}, catalog::DropBehavior::kCascade, false}, nullptr);
  });
  EXPECT_EQ(e.sqlstate(), sqlstate::kInsufficientPrivilege);
  EXPECT_EQ(e.message(), "must be owner of schema s");
  transam::AbortTransaction();
}

TEST_F(SchemaCommandsTest, RenameSchema) {
  transam::StartTransaction();
  const Oid s = CreateSchema(CreateSchemaStmt{"s", "", false}, nullptr);
  (void)CreateSchema(CreateSchemaStmt{"other", "", false}, nullptr);
  const catalog::ObjectAddress a = RenameSchema("s", "renamed");
  EXPECT_EQ(a, catalog::MakeObjectAddress(catalog_oid::kPgNamespace, s));
  EXPECT_EQ(catalog::GetNamespaceOid("renamed", true), s);
  EXPECT_EQ(catalog::GetNamespaceOid("s", true), kInvalidOid);
  Error e = ErrorOf([] { (void)RenameSchema("nope", "x"); });
  EXPECT_EQ(e.sqlstate(), sqlstate::kInvalidSchemaName);
  EXPECT_EQ(e.message(), "schema \"nope\" does not exist");
  e = ErrorOf([] { (void)RenameSchema("renamed", "other"); });
  EXPECT_EQ(e.sqlstate(), sqlstate::kDuplicateSchema);
  EXPECT_EQ(e.message(), "schema \"other\" already exists");
  e = ErrorOf([] { (void)RenameSchema("renamed", "pg_x"); });
  EXPECT_EQ(e.sqlstate(), sqlstate::kReservedName);
  EXPECT_EQ(e.message(), "unacceptable schema name \"pg_x\"");
  SetMyRole(catalog::testing::InsertRole("bob"));
  e = ErrorOf([] { (void)RenameSchema("renamed", "x"); });
  EXPECT_EQ(e.sqlstate(), sqlstate::kInsufficientPrivilege);
  EXPECT_EQ(e.message(), "must be owner of schema renamed");
  transam::CommitTransaction();
  SetMyRole(kSuperuser);
  transam::StartTransaction();
  EXPECT_EQ(catalog::GetNamespaceOid("renamed", true), s);
  transam::CommitTransaction();
}

TEST_F(SchemaCommandsTest, RolledBackSchemaDdlLeavesNothingBehind) {
  transam::StartTransaction();
  const size_t namespaces = catalog::testing::CountRows(catalog_oid::kPgNamespace);
  const size_t shdepend = catalog::testing::CountRows(catalog_oid::kPgShdepend);
  (void)catalog::testing::InsertRole("bob");
  transam::CommitTransaction();
  transam::StartTransaction();
  const Oid s = CreateSchema(CreateSchemaStmt{"s", "bob", false}, nullptr);
  CommentObject(catalog::MakeObjectAddress(catalog_oid::kPgNamespace, s), "doomed");
  transam::AbortTransaction();
  transam::StartTransaction();
  EXPECT_EQ(catalog::GetNamespaceOid("s", true), kInvalidOid);
  EXPECT_EQ(catalog::testing::CountRows(catalog_oid::kPgNamespace), namespaces);
  EXPECT_EQ(catalog::testing::CountRows(catalog_oid::kPgShdepend), shdepend);
  EXPECT_EQ(catalog::testing::CountRows(catalog_oid::kPgDescription), 0u);
  // And a dropped schema comes back with its comment when the DROP rolls back.
  const Oid kept = CreateSchema(CreateSchemaStmt{"kept", "", false}, nullptr);
  CommentObject(catalog::MakeObjectAddress(catalog_oid::kPgNamespace, kept), "stays");
  transam::CommitTransaction();
  transam::StartTransaction();
  DropSchema(DropSchemaStmt{{"kept"}, catalog::DropBehavior::kRestrict, false}, nullptr);
  EXPECT_FALSE(GetComment(catalog::MakeObjectAddress(catalog_oid::kPgNamespace, kept)));
  transam::AbortTransaction();
  transam::StartTransaction();
  EXPECT_EQ(catalog::GetNamespaceOid("kept", true), kept);
  EXPECT_EQ(GetComment(catalog::MakeObjectAddress(catalog_oid::kPgNamespace, kept)), "stays");
  transam::CommitTransaction();
}

struct Steps {
  std::atomic<int> child_stage;
  std::atomic<int> parent_stage;
};

// Session B has resolved its search path ("s, public") without s; session A creates s and
// commits; B's next command sees s in its path. Then A drops it; B's path loses it again.
TEST_F(SchemaCommandsTest, ASecondSessionSeesSchemasCreatedAndDroppedAfterCommit) {
  void* mem = mmap(nullptr, sizeof(Steps), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
                   -1, 0);
  ASSERT_NE(mem, MAP_FAILED);
  auto* steps = new (mem) Steps{};
  settings::search_path = "s, public";
  const auto wait_parent = [steps](int stage) {
    return storage::testing::WaitUntil([&] { return steps->parent_stage.load() >= stage; });
  };
  const pid_t b = harness_.ForkBackend([&] {
    (void)cache::AcceptInvalidationMessages();
    transam::StartTransaction();
    if (catalog::GetNamespaceOid("s", true) != kInvalidOid) return 1;
    if (catalog::NamespaceSearchPath() != std::vector<Oid>{Oid(11), kPublic}) return 2;
    transam::CommitTransaction();
    steps->child_stage.store(1);
    if (!wait_parent(1)) return 3;
    // The search_path value and the role are unchanged: only A's invalidation can make B
    // resolve the path again.
    (void)cache::AcceptInvalidationMessages();  // the start of B's next command
    transam::StartTransaction();
    const Oid s = catalog::GetNamespaceOid("s", true);
    if (s == kInvalidOid) return 5;
    if (catalog::NamespaceSearchPath() != std::vector<Oid>{Oid(11), s, kPublic}) return 6;
    if (catalog::DefaultCreationNamespace() != s) return 7;
    transam::CommitTransaction();
    steps->child_stage.store(2);
    if (!wait_parent(2)) return 8;
    (void)cache::AcceptInvalidationMessages();
    transam::StartTransaction();
    if (catalog::NamespaceSearchPath() != std::vector<Oid>{Oid(11), kPublic}) return 9;
    transam::CommitTransaction();
    return 0;
  });
  ASSERT_TRUE(storage::testing::WaitUntil([&] { return steps->child_stage.load() >= 1; }));
  transam::StartTransaction();
  (void)CreateSchema(CreateSchemaStmt{"s", "", false}, nullptr);
  transam::CommitTransaction();
  steps->parent_stage.store(1);
  ASSERT_TRUE(storage::testing::WaitUntil([&] { return steps->child_stage.load() >= 2; }));
  transam::StartTransaction();
  DropSchema(DropSchemaStmt{{"s"}, catalog::DropBehavior::kRestrict, false}, nullptr);
  transam::CommitTransaction();
  steps->parent_stage.store(2);
  EXPECT_EQ(harness_.Wait(b), 0);
  munmap(mem, sizeof(Steps));
}

}  // namespace
}  // namespace keel::commands
