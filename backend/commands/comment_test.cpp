// COMMENT ON (README.md "Comments"): set, replace and remove comments on schemas, relations,
// columns, roles and databases; pg_description vs pg_shdescription; errors, permissions,
// locks, rollback, and comments going away with their object.
#include "backend/commands/comment.h"

#include <gtest/gtest.h>

#include "backend/catalog/catalog_test_util.h"
#include "backend/catalog/namespace.h"
#include "backend/commands/schema_commands.h"

namespace keel::commands {
namespace {

using catalog::MakeObjectAddress;
using catalog::ObjectType;
using catalog::testing::CatalogTest;
using catalog::testing::CountRows;
using catalog::testing::ErrorOf;
using catalog::testing::kDb;
namespace catalog_oid = catalog::catalog_oid;

CommentStmt Stmt(ObjectType type, std::vector<std::string> names,
                 std::optional<std::string> comment) {
  return CommentStmt{type, catalog::ObjectName{std::move(names), {}}, std::move(comment)};
}

using CommentTest = CatalogTest;

TEST_F(CommentTest, SetReplaceAndRemoveASchemaComment) {
  transam::StartTransaction();
  const Oid s = CreateSchema(CreateSchemaStmt{"s", "", false}, nullptr);
  const catalog::ObjectAddress addr = MakeObjectAddress(catalog_oid::kPgNamespace, s);
  EXPECT_FALSE(GetComment(addr));
  EXPECT_EQ(CommentObject(Stmt(ObjectType::kSchema, {"s"}, "first"), nullptr), addr);
  EXPECT_FALSE(GetComment(addr));  // the statement's own change: visible from the next command
  transam::CommandCounterIncrement();
  EXPECT_EQ(GetComment(addr), "first");
  transam::CommandCounterIncrement();
  (void)CommentObject(Stmt(ObjectType::kSchema, {"s"}, "second"), nullptr);
  transam::CommandCounterIncrement();
  EXPECT_EQ(GetComment(addr), "second");
  EXPECT_EQ(CountRows(catalog_oid::kPgDescription), 1u);  // replaced, not added
  (void)CommentObject(Stmt(ObjectType::kSchema, {"s"}, std::nullopt), nullptr);
  transam::CommandCounterIncrement();
  EXPECT_FALSE(GetComment(addr));
  (void)CommentObject(Stmt(ObjectType::kSchema, {"s"}, "third"), nullptr);
  transam::CommandCounterIncrement();
  (void)CommentObject(Stmt(ObjectType::kSchema, {"s"}, ""), nullptr);  // '' removes too
  transam::CommandCounterIncrement();
  EXPECT_FALSE(GetComment(addr));
  EXPECT_EQ(CountRows(catalog_oid::kPgDescription), 0u);
  transam::CommitTransaction();
}

TEST_F(CommentTest, RelationsColumnsAndTheirLocks) {
  transam::StartTransaction();
  const Oid t = catalog::testing::InsertRelation("t", Oid(catalog::kPublicNamespace));
  catalog::testing::InsertAttribute(t, "a", 1);
  catalog::testing::InsertAttribute(t, "b", 2);
  const Oid i = catalog::testing::InsertRelation("i", Oid(catalog::kPublicNamespace), 'i');
  catalog::testing::InsertAttribute(i, "a", 1);
  transam::CommitTransaction();

  transam::StartTransaction();
  (void)CommentObject(Stmt(ObjectType::kTable, {"t"}, "a table"), nullptr);
  EXPECT_TRUE(storage::LockHeldByMe(storage::RelationLockTag(kDb.value(), t.value()),
                                    storage::LockMode::kShareUpdateExclusive));
  (void)CommentObject(Stmt(ObjectType::kColumn, {"t", "a"}, "column a"), nullptr);
  (void)CommentObject(Stmt(ObjectType::kColumn, {"public", "t", "b"}, "column b"), nullptr);
  (void)CommentObject(Stmt(ObjectType::kIndex, {"i"}, "an index"), nullptr);
  transam::CommandCounterIncrement();
  EXPECT_EQ(GetComment(MakeObjectAddress(catalog_oid::kPgClass, t)), "a table");
  EXPECT_EQ(GetComment(MakeObjectAddress(catalog_oid::kPgClass, t, 1)), "column a");
  EXPECT_EQ(GetComment(MakeObjectAddress(catalog_oid::kPgClass, t, 2)), "column b");
  EXPECT_EQ(GetComment(MakeObjectAddress(catalog_oid::kPgClass, i)), "an index");
  Error e = ErrorOf([] {
    (void)CommentObject(Stmt(ObjectType::kColumn, {"i", "a"}, "no"), nullptr);
  });
  EXPECT_EQ(e.sqlstate(), sqlstate::kWrongObjectType);
  EXPECT_EQ(e.message(), "cannot set comment on relation \"i\"");
  EXPECT_EQ(e.detail(), "This operation is not supported for indexes.");
  transam::AbortTransaction();

  transam::StartTransaction();
  e = ErrorOf([] { (void)CommentObject(Stmt(ObjectType::kTable, {"nope"}, "x"), nullptr); });
  EXPECT_EQ(e.sqlstate(), sqlstate::kUndefinedTable);
  EXPECT_EQ(e.message(), "relation \"nope\" does not exist");
  transam::AbortTransaction();
  transam::StartTransaction();
  e = ErrorOf([] { (void)CommentObject(Stmt(ObjectType::kColumn, {"t", "zz"}, "x"), nullptr); });
  EXPECT_EQ(e.sqlstate(), sqlstate::kUndefinedColumn);
  EXPECT_EQ(e.message(), "column \"zz\" of relation \"t\" does not exist");
  transam::AbortTransaction();
  // Everything done in the aborted transaction is gone.
  transam::StartTransaction();
  EXPECT_EQ(CountRows(catalog_oid::kPgDescription), 0u);
  transam::CommitTransaction();
}

TEST_F(CommentTest, RolesAndDatabasesUsePgShdescription) {
  transam::StartTransaction();
  const Oid bob = catalog::testing::InsertRole("bob");
  (void)CommentObject(Stmt(ObjectType::kRole, {"bob"}, "a role"), nullptr);
  (void)CommentObject(Stmt(ObjectType::kDatabase, {"postgres"}, "the db"), nullptr);
  transam::CommandCounterIncrement();
  EXPECT_EQ(GetComment(MakeObjectAddress(catalog_oid::kPgAuthid, bob)), "a role");
  EXPECT_EQ(GetComment(MakeObjectAddress(catalog_oid::kPgDatabase, kDb)), "the db");
  EXPECT_EQ(CountRows(catalog_oid::kPgShdescription), 2u);
  EXPECT_EQ(CountRows(catalog_oid::kPgDescription), 0u);
  // A database that does not exist is a WARNING, not an error (pg_restore's sake).
  catalog::NoticeList notices;
  EXPECT_FALSE(CommentObject(Stmt(ObjectType::kDatabase, {"nope"}, "x"), &notices).IsValid());
  ASSERT_EQ(notices.size(), 1u);
  EXPECT_EQ(notices[0].severity(), Severity::kWarning);
  EXPECT_EQ(notices[0].sqlstate(), sqlstate::kInvalidCatalogName);
  EXPECT_EQ(notices[0].message(), "database \"nope\" does not exist");
  DeleteSharedComments(bob, Oid(catalog_oid::kPgAuthid));
  transam::CommandCounterIncrement();
  EXPECT_FALSE(GetComment(MakeObjectAddress(catalog_oid::kPgAuthid, bob)));
  EXPECT_EQ(CountRows(catalog_oid::kPgShdescription), 1u);
  transam::CommitTransaction();
}

TEST_F(CommentTest, OnlyOwnersMayComment) {
  transam::StartTransaction();
  (void)CreateSchema(CreateSchemaStmt{"s", "", false}, nullptr);
  const Oid bob = catalog::testing::InsertRole("bob");
  SetMyRole(bob);
  Error e = ErrorOf([] { (void)CommentObject(Stmt(ObjectType::kSchema, {"s"}, "x"), nullptr); });
  EXPECT_EQ(e.sqlstate(), sqlstate::kInsufficientPrivilege);
  EXPECT_EQ(e.message(), "must be owner of schema s");
  e = ErrorOf([] { (void)CommentObject(Stmt(ObjectType::kRole, {"alice"}, "x"), nullptr); });
  EXPECT_EQ(e.message(), "must be superuser");
  transam::AbortTransaction();
}

TEST_F(CommentTest, CommentsGoWithTheirObject) {
  transam::StartTransaction();
  const Oid t = catalog::testing::InsertRelation("t", Oid(catalog::kPublicNamespace));
  catalog::testing::InsertAttribute(t, "a", 1);
  catalog::testing::InsertAttribute(t, "b", 2);
  CommentObject(MakeObjectAddress(catalog_oid::kPgClass, t), "table");
  CommentObject(MakeObjectAddress(catalog_oid::kPgClass, t, 1), "a");
  CommentObject(MakeObjectAddress(catalog_oid::kPgClass, t, 2), "b");
  transam::CommandCounterIncrement();
  // Dropping a column takes its comment only.
  catalog::PerformDeletion(MakeObjectAddress(catalog_oid::kPgClass, t, 2),
                           catalog::DropBehavior::kRestrict, 0, nullptr);
  EXPECT_EQ(CountRows(catalog_oid::kPgDescription), 2u);
  EXPECT_FALSE(GetComment(MakeObjectAddress(catalog_oid::kPgClass, t, 2)));
  // Dropping the table takes its own and its columns' comments.
  catalog::PerformDeletion(MakeObjectAddress(catalog_oid::kPgClass, t),
                           catalog::DropBehavior::kRestrict, 0, nullptr);
  EXPECT_EQ(CountRows(catalog_oid::kPgDescription), 0u);
  // DeleteComments with sub-id 0 removes every sub-object's comment as well.
  const Oid u = catalog::testing::InsertRelation("u", Oid(catalog::kPublicNamespace));
  CreateComments(u, Oid(catalog_oid::kPgClass), 0, "u");
  CreateComments(u, Oid(catalog_oid::kPgClass), 3, "u.3");
  transam::CommandCounterIncrement();
  DeleteComments(u, Oid(catalog_oid::kPgClass), 3);
  transam::CommandCounterIncrement();
  EXPECT_EQ(CountRows(catalog_oid::kPgDescription), 1u);
  CreateComments(u, Oid(catalog_oid::kPgClass), 3, "u.3");
  transam::CommandCounterIncrement();
  DeleteComments(u, Oid(catalog_oid::kPgClass), 0);
  transam::CommandCounterIncrement();
  EXPECT_EQ(CountRows(catalog_oid::kPgDescription), 0u);
  transam::CommitTransaction();
}

}  // namespace
}  // namespace keel::commands
