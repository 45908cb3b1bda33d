// CREATE TABLE and DROP TABLE / DROP INDEX over a bootstrapped database (ServerHarness): the
// catalog rows PostgreSQL 15 would write, the errors, foreign key validation, rollback (no row,
// no file), a second session, restart persistence. README.md ("Tables", B1-B9; catalog T1-T19).
#include "backend/commands/table_commands.h"

#include <gtest/gtest.h>
#include <sys/mman.h>

#include <atomic>
#include <new>

#include "backend/catalog/constraint_rows.h"
#include "backend/catalog/index_create.h"
#include "backend/commands/table_test_util.h"
#include "backend/utils/cache/syscache.h"
#include "postmaster/shared_state.h"
#include "storage/ipc/fork_test_util.h"

namespace keel::commands {
namespace {

using namespace keel::commands::testing;  // NOLINT: test helpers
using catalog::DropBehavior;
using catalog::ObjectType;

access::HeapTuple ClassRow(Oid relid) {
  return *catalog::CatalogLookupByOid(TestCat(oids::kPgClass), relid, transam::GetLatestSnapshot());
}
int64_t ClassInt(Oid relid, const char* col) {
  return catalog::CatalogGetInt(TestCat(oids::kPgClass), ClassRow(relid), col);
}
access::HeapTuple AttRow(Oid relid, int16_t attnum) {
  const access::Datum keys[] = {access::ObjectIdGetDatum(relid), access::Int16GetDatum(attnum)};
  return catalog::CatalogIndexScan(TestCat(oids::kPgAttribute), 2659, keys,
                                   transam::GetLatestSnapshot())
      .at(0);
}
access::HeapTuple ConstraintRow(Oid relid, const std::string& name) {
  const std::vector<std::byte> n = catalog::MakeName(name);
  const access::Datum keys[] = {access::ObjectIdGetDatum(relid), access::ObjectIdGetDatum(Oid(0)),
                                access::PointerGetDatum(n.data())};
  return catalog::CatalogIndexScan(TestCat(oids::kPgConstraint), 2665, keys,
                                   transam::GetLatestSnapshot())
      .at(0);
}
bool HasDepend(const catalog::ObjectAddress& depender, const catalog::ObjectAddress& referenced,
               catalog::DependencyType type) {
  for (const catalog::DependRow& r : catalog::GetDependencies(depender)) {
    if (r.depender == depender && r.referenced == referenced && r.type == type) return true;
  }
  return false;
}
catalog::ObjectAddress ClassAddr(Oid relid, int32_t sub = 0) {
  return catalog::MakeObjectAddress(oids::kPgClass, relid, sub);
}

class TableCommandsTest : public TableTest {};

// B1-B5, T1-T9: every row CREATE TABLE writes, with PostgreSQL 15's values.
TEST_F(TableCommandsTest, CreateTableWritesPostgresCatalogRows) {
  transam::StartTransaction();
  Constraint def = Con(ConstrType::kDefault);
  def.raw_expr = "'x'::character varying";
  Constraint check = Con(ConstrType::kCheck);
  check.raw_expr = "(c > (0)::numeric)";
  const Oid t = CreateTable(
      Table("t", {Col("a", Type("integer"), {Con(ConstrType::kPrimary)}),
                  Col("b", Type("varchar", {10}), {Con(ConstrType::kNotNull), def}),
                  Col("c", Type("numeric", {10, 2}), {check}),
                  Col("d", Type("int", {}, 1)),
                  Col("e", Type("text"), {Con(ConstrType::kUnique)})}),
      nullptr);
  ASSERT_NE(t, kInvalidOid);
  transam::CommitTransaction();
  transam::StartTransaction();
  const catalog::CatalogRelation& pc = TestCat(oids::kPgClass);
  const access::HeapTuple c = ClassRow(t);
  EXPECT_EQ(catalog::CatalogGetName(pc, c, "relname"), "t");
  EXPECT_EQ(catalog::CatalogGetOid(pc, c, "relnamespace"), catalog::kPublicNamespace);
  EXPECT_EQ(catalog::CatalogGetChar(pc, c, "relkind"), 'r');
  EXPECT_EQ(catalog::CatalogGetChar(pc, c, "relpersistence"), 'p');
  EXPECT_EQ(catalog::CatalogGetOid(pc, c, "relam"), 2u);
  EXPECT_EQ(catalog::CatalogGetOid(pc, c, "relfilenode"), t.value());
  EXPECT_EQ(catalog::CatalogGetInt(pc, c, "relnatts"), 5);
  EXPECT_EQ(catalog::CatalogGetInt(pc, c, "relchecks"), 1);
  EXPECT_TRUE(catalog::CatalogGetBool(pc, c, "relhasindex"));
  EXPECT_EQ(catalog::CatalogGetChar(pc, c, "relreplident"), 'd');
  EXPECT_EQ(catalog::CatalogGetOid(pc, c, "relowner"), catalog::kBootstrapSuperuser);
  EXPECT_TRUE(FileExists(Oid(t)));

  // pg_attribute: types, typmods, dims, NOT NULL, defaults, collations; system columns.
  const catalog::CatalogRelation& att = TestCat(oids::kPgAttribute);
  EXPECT_EQ(catalog::CatalogGetOid(att, AttRow(t, 1), "atttypid"), 23u);
  EXPECT_TRUE(catalog::CatalogGetBool(att, AttRow(t, 1), "attnotnull"));  // PRIMARY KEY
  EXPECT_EQ(catalog::CatalogGetOid(att, AttRow(t, 2), "atttypid"), 1043u);
  EXPECT_EQ(catalog::CatalogGetInt(att, AttRow(t, 2), "atttypmod"), 14);
  EXPECT_TRUE(catalog::CatalogGetBool(att, AttRow(t, 2), "atthasdef"));
  EXPECT_EQ(catalog::CatalogGetOid(att, AttRow(t, 2), "attcollation"), catalog::kDefaultCollation);
  EXPECT_EQ(catalog::CatalogGetInt(att, AttRow(t, 3), "atttypmod"), ((10 << 16) | 2) + 4);
  EXPECT_FALSE(catalog::CatalogGetBool(att, AttRow(t, 3), "attnotnull"));
  EXPECT_EQ(catalog::CatalogGetOid(att, AttRow(t, 4), "atttypid"), 1007u);  // _int4
  EXPECT_EQ(catalog::CatalogGetInt(att, AttRow(t, 4), "attndims"), 1);
  EXPECT_EQ(catalog::CatalogGetOid(att, AttRow(t, 4), "attcollation"), 0u);
  const char* kSystem[] = {"ctid", "xmin", "cmin", "xmax", "cmax", "tableoid"};
  for (int16_t n = -1; n >= -6; --n) {
    EXPECT_EQ(catalog::CatalogGetName(att, AttRow(t, n), "attname"), kSystem[-n - 1]);
  }

  // pg_type: the row type and its array type.
  const catalog::CatalogRelation& ty = TestCat(oids::kPgType);
  const Oid reltype(catalog::CatalogGetOid(pc, c, "reltype"));
  const access::HeapTuple rt = *catalog::CatalogLookupByOid(ty, reltype, transam::GetLatestSnapshot());
  EXPECT_EQ(catalog::CatalogGetName(ty, rt, "typname"), "t");
  EXPECT_EQ(catalog::CatalogGetChar(ty, rt, "typtype"), 'c');
  EXPECT_EQ(catalog::CatalogGetOid(ty, rt, "typrelid"), t.value());
  EXPECT_EQ(catalog::CatalogGetOid(ty, rt, "typinput"), 2290u);  // record_in
  const Oid arr(catalog::CatalogGetOid(ty, rt, "typarray"));
  const access::HeapTuple at = *catalog::CatalogLookupByOid(ty, arr, transam::GetLatestSnapshot());
  EXPECT_EQ(catalog::CatalogGetName(ty, at, "typname"), "_t");
  EXPECT_EQ(catalog::CatalogGetOid(ty, at, "typelem"), reltype.value());
  EXPECT_EQ(catalog::CatalogGetChar(ty, at, "typcategory"), 'A');

  // Constraints and their indexes.
  const catalog::CatalogRelation& con = TestCat(oids::kPgConstraint);
  const access::HeapTuple pkey = ConstraintRow(t, "t_pkey");
  EXPECT_EQ(catalog::CatalogGetChar(con, pkey, "contype"), 'p');
  const Oid pkey_index(catalog::CatalogGetOid(con, pkey, "conindid"));
  EXPECT_EQ(catalog::GetRelnameRelid("t_pkey", Oid(catalog::kPublicNamespace)), pkey_index);
  EXPECT_EQ(catalog::Int2ArrayElements(
                access::DatumGetPointer(catalog::CatalogGetAttr(con, pkey, "conkey"))),
            std::vector<int16_t>{1});
  const access::HeapTuple key = ConstraintRow(t, "t_e_key");
  EXPECT_EQ(catalog::CatalogGetChar(con, key, "contype"), 'u');
  const access::HeapTuple chk = ConstraintRow(t, "t_c_check");
  EXPECT_EQ(catalog::CatalogGetChar(con, chk, "contype"), 'c');
  EXPECT_EQ(catalog::CatalogGetText(con, chk, "conbin"), "(c > (0)::numeric)");
  const catalog::CatalogRelation& pi = TestCat(oids::kPgIndex);
  const access::Datum ikey[] = {access::ObjectIdGetDatum(pkey_index)};
  const access::HeapTuple ir =
      catalog::CatalogIndexScan(pi, 2679, ikey, transam::GetLatestSnapshot()).at(0);
  EXPECT_TRUE(catalog::CatalogGetBool(pi, ir, "indisprimary"));
  EXPECT_TRUE(catalog::CatalogGetBool(pi, ir, "indisunique"));
  EXPECT_EQ(catalog::CatalogGetOid(pi, ir, "indrelid"), t.value());
  EXPECT_EQ(catalog::OidArrayElements(
                access::DatumGetPointer(catalog::CatalogGetAttr(pi, ir, "indclass"))),
            std::vector<uint32_t>{1978});  // int4_ops
  EXPECT_EQ(ClassInt(pkey_index, "relnatts"), 1);
  EXPECT_EQ(catalog::CatalogGetChar(pc, ClassRow(pkey_index), "relkind"), 'i');
  EXPECT_EQ(catalog::CatalogGetOid(pc, ClassRow(pkey_index), "relam"), 403u);

  // pg_attrdef holds the expression text.
  const catalog::CatalogRelation& ad = TestCat(oids::kPgAttrdef);
  const access::Datum adkey[] = {access::ObjectIdGetDatum(t), access::Int16GetDatum(2)};
  const std::vector<access::HeapTuple> defs =
      catalog::CatalogIndexScan(ad, 2656, adkey, transam::GetLatestSnapshot());
  ASSERT_EQ(defs.size(), 1u);
  EXPECT_EQ(catalog::CatalogGetText(ad, defs[0], "adbin"), "'x'::character varying");

  // pg_depend as PostgreSQL records it.
  using catalog::DependencyType;
  EXPECT_TRUE(HasDepend(ClassAddr(t),
                        catalog::MakeObjectAddress(oids::kPgNamespace, Oid(catalog::kPublicNamespace)),
                        DependencyType::kNormal));
  EXPECT_TRUE(HasDepend(catalog::MakeObjectAddress(oids::kPgType, reltype), ClassAddr(t),
                        DependencyType::kInternal));
  EXPECT_TRUE(HasDepend(catalog::MakeObjectAddress(oids::kPgType, arr),
                        catalog::MakeObjectAddress(oids::kPgType, reltype),
                        DependencyType::kInternal));
  const Oid pkey_con(catalog::CatalogGetOid(con, pkey, "oid"));
  EXPECT_TRUE(HasDepend(ClassAddr(pkey_index), catalog::MakeObjectAddress(oids::kPgConstraint, pkey_con),
                        DependencyType::kInternal));
  EXPECT_TRUE(HasDepend(catalog::MakeObjectAddress(oids::kPgConstraint, pkey_con), ClassAddr(t, 1),
                        DependencyType::kAuto));
  EXPECT_TRUE(HasDepend(catalog::MakeObjectAddress(oids::kPgConstraint,
                                                   Oid(catalog::CatalogGetOid(con, chk, "oid"))),
                        ClassAddr(t, 3), DependencyType::kAuto));
  EXPECT_TRUE(HasDepend(catalog::MakeObjectAddress(oids::kPgAttrdef,
                                                   Oid(catalog::CatalogGetOid(ad, defs[0], "oid"))),
                        ClassAddr(t, 2), DependencyType::kAuto));
  // Built-in column types are pinned: no rows (D1).
  EXPECT_FALSE(HasDepend(ClassAddr(t, 1), catalog::MakeObjectAddress(oids::kPgType, Oid(23)),
                         DependencyType::kNormal));
  EXPECT_EQ(CheckCatalogConsistency(), "");

  // The relation cache opens it with the right layout.
  const cache::RelationRef rel = cache::RelationOpen(t, storage::LockMode::kAccessShare);
  EXPECT_EQ(rel->desc.natts(), 5);
  EXPECT_EQ(rel->index_oids.size(), 2u);
  transam::CommitTransaction();
}

TEST_F(TableCommandsTest, CreateTableErrors) {
  transam::StartTransaction();
  (void)CreateTable(Table("t", {Col("a", Type("int4"))}), nullptr);
  Error e = ErrorOf([] { (void)CreateTable(Table("t", {Col("a", Type("int4"))}), nullptr); });
  EXPECT_EQ(e.sqlstate(), sqlstate::kDuplicateTable);
  EXPECT_EQ(e.message(), "relation \"t\" already exists");
  catalog::NoticeList notices;
  CreateStmt again = Table("t", {Col("a", Type("int4"))});
  again.if_not_exists = true;
  EXPECT_EQ(CreateTable(again, &notices), kInvalidOid);
  ASSERT_EQ(notices.size(), 1u);
  EXPECT_EQ(notices[0].sqlstate(), sqlstate::kDuplicateTable);
  EXPECT_EQ(notices[0].message(), "relation \"t\" already exists, skipping");

  const auto create_fails = [](CreateStmt s) { return ErrorOf([&] { (void)CreateTable(s, nullptr); }); };
  e = create_fails(Table("u", {Col("a", Type("int4")), Col("a", Type("text"))}));
  EXPECT_EQ(e.sqlstate(), sqlstate::kDuplicateColumn);
  EXPECT_EQ(e.message(), "column \"a\" specified more than once");
  e = create_fails(Table("u", {Col("a", Type("nosuchtype"))}));
  EXPECT_EQ(e.sqlstate(), sqlstate::kUndefinedObject);
  EXPECT_EQ(e.message(), "type \"nosuchtype\" does not exist");
  e = create_fails(Table("u", {Col("a", Type("int4"), {Con(ConstrType::kPrimary)}),
                               Col("b", Type("int4"), {Con(ConstrType::kPrimary)})}));
  EXPECT_EQ(e.sqlstate(), sqlstate::kInvalidTableDefinition);
  EXPECT_EQ(e.message(), "multiple primary keys for table \"u\" are not allowed");
  e = create_fails(Table("u", {Col("a", Type("record"))}));
  EXPECT_EQ(e.sqlstate(), sqlstate::kInvalidTableDefinition);
  EXPECT_EQ(e.message(), "column \"a\" has pseudo-type record");
  std::vector<ColumnDef> many;
  for (int i = 0; i < 1601; ++i) many.push_back(Col("c" + std::to_string(i), Type("int4")));
  e = create_fails(Table("u", many));
  EXPECT_EQ(e.sqlstate(), sqlstate::kTooManyColumns);
  EXPECT_EQ(e.message(), "tables can have at most 1600 columns");
  e = create_fails(Table("u", {Col("a", Type("serial"))}));
  EXPECT_EQ(e.sqlstate(), sqlstate::kFeatureNotSupported);
  e = create_fails(Table("u", {Col("a", Type("int4"), {Con(ConstrType::kIdentity)})}));
  EXPECT_EQ(e.sqlstate(), sqlstate::kFeatureNotSupported);
  e = create_fails(Table("u", {Col("a", Type("int4", {3}))}));
  EXPECT_EQ(e.sqlstate(), sqlstate::kSyntaxError);
  EXPECT_EQ(e.message(), "type modifier is not allowed for type \"int4\"");
  e = create_fails(Table("u", {Col("a", Type("varchar", {0}))}));
  EXPECT_EQ(e.sqlstate(), sqlstate::kInvalidParameterValue);
  EXPECT_EQ(e.message(), "length for type varchar must be at least 1");
  e = create_fails(Table("u", {Col("a", Type("numeric", {2000}))}));
  EXPECT_EQ(e.message(), "NUMERIC precision 2000 must be between 1 and 1000");
  Constraint pk = Con(ConstrType::kPrimary);
  pk.keys = {"zz"};
  e = create_fails(Table("u", {Col("a", Type("int4"))}, {pk}));
  EXPECT_EQ(e.sqlstate(), sqlstate::kUndefinedColumn);
  EXPECT_EQ(e.message(), "column \"zz\" named in key does not exist");
  e = create_fails(Table("u", {Col("a", Type("int4"), {Con(ConstrType::kNull), Con(ConstrType::kNotNull)})}));
  EXPECT_EQ(e.message(), "conflicting NULL/NOT NULL declarations for column \"a\" of table \"u\"");
  Constraint named = Con(ConstrType::kUnique);
  named.conname = "t";  // the relation name is taken
  e = create_fails(Table("u", {Col("a", Type("int4"), {named})}));
  EXPECT_EQ(e.sqlstate(), sqlstate::kDuplicateTable);
  transam::CommitTransaction();

  transam::StartTransaction();
  settings::search_path = "";
  e = ErrorOf([] { (void)CreateTable(Table("v", {Col("a", Type("int4"))}), nullptr); });
  EXPECT_EQ(e.sqlstate(), sqlstate::kInvalidSchemaName);
  EXPECT_EQ(e.message(), "no schema has been selected to create in");
  transam::AbortTransaction();
}

// B1 + catalog N7: CREATE TABLE creates the relation with the persistence adjusted to its
// namespace: permanent in our temporary schema becomes temporary, unlogged there is 42P16.
// In a forked backend (its own temporary namespace).
TEST_F(TableCommandsTest, PersistenceIsAdjustedToTheTemporaryNamespace) {
  const pid_t pid = harness_.ForkBackend([] {
    const auto persistence = [](Oid relid) {
      return catalog::CatalogGetChar(TestCat(oids::kPgClass), ClassRow(relid), "relpersistence");
    };
    transam::StartTransaction();
    CreateStmt perm = Table("tp", {Col("a", Type("int4"))});
    perm.relation.schemaname = "pg_temp";
    const Oid tp = CreateTable(perm, nullptr);
    if (persistence(tp) != 't') return 1;
    if (persistence(CreateTable(Table("pp", {Col("a", Type("int4"))}), nullptr)) != 'p') return 2;
    CreateStmt unlogged = Table("tu", {Col("a", Type("int4"))});
    unlogged.relation.schemaname = "pg_temp";
    unlogged.relation.relpersistence = 'u';
    try {
      (void)CreateTable(unlogged, nullptr);
      return 3;
    } catch (const Error& e) {
      if (e.sqlstate() != sqlstate::kInvalidTableDefinition) return 4;
      if (e.message() != "only temporary relations may be created in temporary schemas") return 5;
    }
    transam::AbortTransaction();
    return 0;
  });
  EXPECT_EQ(harness_.Wait(pid), 0);
}

// Catalog T18: every server process can drop relations: postmaster::RegisterBuiltins (run by
// the postmaster before it forks, and by every harness) registers the relation droppers. Here
// over stand-ins that refuse, so only RegisterBuiltins' registration can make DROP work.
TEST_F(TableCommandsTest, RegisterBuiltinsRegistersTheRelationDroppers) {
  for (uint32_t c : {oids::kPgClass, oids::kPgType, oids::kPgConstraint, oids::kPgAttrdef}) {
    catalog::RegisterObjectDropper(Oid(c), [](const catalog::ObjectAddress&, int) {
      throw Error(sqlstate::kInternalError, "no dropper registered");
    });
  }
  postmaster::RegisterBuiltins();
  transam::StartTransaction();
  const Oid t = CreateTable(Table("t", {Col("a", Type("int4"), {Con(ConstrType::kPrimary)}),
                                        Col("b", Type("text"))}),
                            nullptr);
  RemoveRelations(Drop(ObjectType::kTable, {"t"}), nullptr);
  EXPECT_FALSE(catalog::CatalogLookupByOid(TestCat(oids::kPgClass), t,
                                           transam::GetLatestSnapshot())
                   .has_value());
  EXPECT_EQ(CheckCatalogConsistency(), "");
  transam::CommitTransaction();
}

// B6: foreign keys recorded with PostgreSQL's columns and validated as PostgreSQL does.
TEST_F(TableCommandsTest, ForeignKeysAreValidatedAndRecorded) {
  transam::StartTransaction();
  const Oid parent = CreateTable(Table("parent", {Col("id", Type("int4"), {Con(ConstrType::kPrimary)}),
                                                  Col("code", Type("text")),
                                                  Col("n", Type("int8"))}),
                                 nullptr);
  Constraint ref = Con(ConstrType::kForeign);
  ref.pktable = Rel("parent");
  ref.fk_del_action = 'c';
  const Oid child = CreateTable(Table("child", {Col("pid", Type("int4"), {ref})}), nullptr);
  const catalog::CatalogRelation& con = TestCat(oids::kPgConstraint);
  const access::HeapTuple fk = ConstraintRow(child, "child_pid_fkey");
  EXPECT_EQ(catalog::CatalogGetChar(con, fk, "contype"), 'f');
  EXPECT_EQ(catalog::CatalogGetOid(con, fk, "confrelid"), parent.value());
  EXPECT_EQ(catalog::CatalogGetChar(con, fk, "confdeltype"), 'c');
  EXPECT_EQ(catalog::CatalogGetChar(con, fk, "confupdtype"), 'a');
  EXPECT_EQ(catalog::CatalogGetChar(con, fk, "confmatchtype"), 's');
  EXPECT_EQ(catalog::CatalogGetOid(con, fk, "conindid"),
            catalog::GetRelnameRelid("parent_pkey", Oid(catalog::kPublicNamespace)).value());
  EXPECT_EQ(catalog::OidArrayElements(access::DatumGetPointer(catalog::CatalogGetAttr(con, fk, "conpfeqop"))),
            std::vector<uint32_t>{96});  // int4 = int4
  EXPECT_EQ(catalog::Int2ArrayElements(access::DatumGetPointer(catalog::CatalogGetAttr(con, fk, "confkey"))),
            std::vector<int16_t>{1});
  EXPECT_TRUE(HasDepend(catalog::MakeObjectAddress(oids::kPgConstraint, Oid(catalog::CatalogGetOid(con, fk, "oid"))),
                        ClassAddr(parent, 1), catalog::DependencyType::kNormal));
  // int2 referencing int4: a cross-type member of integer_ops.
  Constraint ref2 = Con(ConstrType::kForeign);
  ref2.pktable = Rel("parent");
  ref2.pk_attrs = {"id"};
  (void)CreateTable(Table("child2", {Col("pid", Type("int2"), {ref2})}), nullptr);
  transam::CommitTransaction();

  const auto fails = [](CreateStmt s) {
    transam::StartTransaction();
    Error e = ErrorOf([&] { (void)CreateTable(s, nullptr); });
    transam::AbortTransaction();
    return e;
  };
  Constraint bad = Con(ConstrType::kForeign);
  bad.pktable = Rel("parent");
  bad.pk_attrs = {"code"};
  Error e = fails(Table("c3", {Col("x", Type("text"), {bad})}));
  EXPECT_EQ(e.sqlstate(), sqlstate::kInvalidForeignKey);
  EXPECT_EQ(e.message(), "there is no unique constraint matching given keys for referenced table \"parent\"");
  bad.pk_attrs = {};
  bad.pktable = Rel("child");  // no primary key
  e = fails(Table("c3", {Col("x", Type("int4"), {bad})}));
  EXPECT_EQ(e.sqlstate(), sqlstate::kInvalidForeignKey);
  EXPECT_EQ(e.message(), "there is no primary key for referenced table \"child\"");
  bad.pktable = Rel("parent");
  bad.keys = {"x", "y"};
  e = fails(Table("c3", {Col("x", Type("int4")), Col("y", Type("int4"))}, {bad}));
  EXPECT_EQ(e.message(), "number of referencing and referenced columns for foreign key disagree");
  bad.keys = {};
  e = fails(Table("c3", {Col("x", Type("text"), {bad})}));
  EXPECT_EQ(e.sqlstate(), sqlstate::kDatatypeMismatch);
  EXPECT_EQ(e.message(), "foreign key constraint \"c3_x_fkey\" cannot be implemented");
  EXPECT_EQ(e.detail(), "Key columns \"x\" and \"id\" are of incompatible types: text and integer.");
  bad.pktable = Rel("parent_pkey");
  e = fails(Table("c3", {Col("x", Type("int4"), {bad})}));
  EXPECT_EQ(e.sqlstate(), sqlstate::kWrongObjectType);
  EXPECT_EQ(e.message(), "referenced relation \"parent_pkey\" is not a table");
  bad.pktable = Rel("parent");
  bad.pk_attrs = {"nope"};
  e = fails(Table("c3", {Col("x", Type("int4"), {bad})}));
  EXPECT_EQ(e.sqlstate(), sqlstate::kUndefinedColumn);
  EXPECT_EQ(e.message(), "column \"nope\" referenced in foreign key constraint does not exist");

  // DROP: RESTRICT refused because of the foreign keys; CASCADE drops only the constraints.
  transam::StartTransaction();
  e = ErrorOf([] { RemoveRelations(Drop(ObjectType::kTable, {"parent"}), nullptr); });
  EXPECT_EQ(e.sqlstate(), sqlstate::kDependentObjectsStillExist);
  EXPECT_EQ(e.message(), "cannot drop table parent because other objects depend on it");
  EXPECT_EQ(e.detail(),
            "constraint child_pid_fkey on table child depends on table parent\n"
            "constraint child2_pid_fkey on table child2 depends on table parent");
  EXPECT_EQ(e.hint(), "Use DROP ... CASCADE to drop the dependent objects too.");
  transam::AbortTransaction();
  transam::StartTransaction();
  catalog::NoticeList notices;
  RemoveRelations(Drop(ObjectType::kTable, {"parent"}, DropBehavior::kCascade), &notices);
  ASSERT_EQ(notices.size(), 1u);
  EXPECT_EQ(notices[0].message(), "drop cascades to 2 other objects");
  EXPECT_FALSE(catalog::ConstraintNameExistsOnRelation(child, "child_pid_fkey"));
  EXPECT_NE(catalog::GetRelnameRelid("child", Oid(catalog::kPublicNamespace)), kInvalidOid);
  EXPECT_EQ(CheckCatalogConsistency(), "");
  transam::CommitTransaction();
}

// B7, B8, T17-T19: DROP TABLE / DROP INDEX, their errors and notices; everything a table owns
// goes with it, the file at commit.
TEST_F(TableCommandsTest, DropTableAndIndex) {
  transam::StartTransaction();
  const size_t class_rows = catalog::testing::CountRows(oids::kPgClass);
  const size_t type_rows = catalog::testing::CountRows(oids::kPgType);
  const size_t attr_rows = catalog::testing::CountRows(oids::kPgAttribute);
  const size_t depend_rows = catalog::testing::CountRows(oids::kPgDepend);
  Constraint def = Con(ConstrType::kDefault);
  def.raw_expr = "1";
  Constraint check = Con(ConstrType::kCheck);
  check.raw_expr = "a > 0";
  const Oid t = CreateTable(Table("t", {Col("a", Type("int4"), {Con(ConstrType::kPrimary), def, check}),
                                        Col("b", Type("text"))}),
                            nullptr);
  const Oid idx = CreateIndex(Index("t_b", "t", {"b"}), nullptr);
  transam::CommitTransaction();

  transam::StartTransaction();
  const auto drop_fails = [](DropStmt d) { return ErrorOf([&] { RemoveRelations(d, nullptr); }); };
  Error e = drop_fails(Drop(ObjectType::kIndex, {"t_pkey"}));
  EXPECT_EQ(e.sqlstate(), sqlstate::kDependentObjectsStillExist);
  EXPECT_EQ(e.message(), "cannot drop index t_pkey because constraint t_pkey on table t requires it");
  EXPECT_EQ(e.hint(), "You can drop constraint t_pkey on table t instead.");
  transam::AbortTransaction();
  transam::StartTransaction();
  e = drop_fails(Drop(ObjectType::kIndex, {"t"}));
  EXPECT_EQ(e.sqlstate(), sqlstate::kWrongObjectType);
  EXPECT_EQ(e.message(), "\"t\" is not an index");
  EXPECT_EQ(e.hint(), "Use DROP TABLE to remove a table.");
  e = drop_fails(Drop(ObjectType::kTable, {"t_b"}));
  EXPECT_EQ(e.message(), "\"t_b\" is not a table");
  EXPECT_EQ(e.hint(), "Use DROP INDEX to remove an index.");
  e = drop_fails(Drop(ObjectType::kTable, {"nope"}));
  EXPECT_EQ(e.sqlstate(), sqlstate::kUndefinedTable);
  EXPECT_EQ(e.message(), "table \"nope\" does not exist");
  e = drop_fails(Drop(ObjectType::kIndex, {"nope"}));
  EXPECT_EQ(e.sqlstate(), sqlstate::kUndefinedObject);
  EXPECT_EQ(e.message(), "index \"nope\" does not exist");
  e = drop_fails(Drop(ObjectType::kTable, {"pg_class"}));
  EXPECT_EQ(e.sqlstate(), sqlstate::kInsufficientPrivilege);
  EXPECT_EQ(e.message(), "permission denied: \"pg_class\" is a system catalog");
  catalog::NoticeList notices;
  RemoveRelations(Drop(ObjectType::kTable, {"nope"}, DropBehavior::kRestrict, true), &notices);
  ASSERT_EQ(notices.size(), 1u);
  EXPECT_EQ(notices[0].message(), "table \"nope\" does not exist, skipping");
  transam::AbortTransaction();

  // DROP INDEX, then DROP TABLE: rows, dependencies and (at commit) files go.
  transam::StartTransaction();
  const Oid pkey = catalog::GetRelnameRelid("t_pkey", Oid(catalog::kPublicNamespace));
  RemoveRelations(Drop(ObjectType::kIndex, {"t_b"}), nullptr);
  EXPECT_EQ(catalog::GetRelnameRelid("t_b", Oid(catalog::kPublicNamespace)), kInvalidOid);
  EXPECT_EQ(catalog::RelationIndexOids(t), std::vector<Oid>{pkey});
  notices.clear();
  RemoveRelations(Drop(ObjectType::kTable, {"t"}), &notices);
  EXPECT_TRUE(notices.empty());  // the index, constraints, default and types go silently
  EXPECT_TRUE(FileExists(t));     // removed at commit only
  transam::CommitTransaction();
  harness_.Checkpoint();  // the main fork's name goes after the next checkpoint (SM5)
  EXPECT_FALSE(FileExists(t));
  EXPECT_FALSE(FileExists(idx));
  EXPECT_FALSE(FileExists(pkey));
  transam::StartTransaction();
  EXPECT_EQ(catalog::testing::CountRows(oids::kPgClass), class_rows);
  EXPECT_EQ(catalog::testing::CountRows(oids::kPgType), type_rows);
  EXPECT_EQ(catalog::testing::CountRows(oids::kPgAttribute), attr_rows);
  EXPECT_EQ(catalog::testing::CountRows(oids::kPgDepend), depend_rows);
  EXPECT_EQ(catalog::testing::CountRows(oids::kPgConstraint), 0u);
  EXPECT_EQ(catalog::testing::CountRows(oids::kPgAttrdef), 0u);
  EXPECT_EQ(cache::RelationIdGetRelation(t), nullptr);
  EXPECT_EQ(CheckCatalogConsistency(), "");
  transam::CommitTransaction();
}

// T5, T13: a rolled-back CREATE TABLE / CREATE INDEX (whole transaction or savepoint) leaves
// no catalog row and no file; a rolled-back DROP loses nothing.
TEST_F(TableCommandsTest, RollbackLeavesNothing) {
  transam::StartTransaction();
  const size_t class_rows = catalog::testing::CountRows(oids::kPgClass);
  const size_t type_rows = catalog::testing::CountRows(oids::kPgType);
  const size_t attr_rows = catalog::testing::CountRows(oids::kPgAttribute);
  const size_t depend_rows = catalog::testing::CountRows(oids::kPgDepend);
  transam::CommitTransaction();

  transam::StartTransaction();
  const Oid t = CreateTable(Table("t", {Col("a", Type("int4"), {Con(ConstrType::kPrimary)}),
                                        Col("b", Type("text"))}),
                            nullptr);
  InsertRows(t, 1, 100);
  const Oid idx = CreateIndex(Index("", "t", {"b"}), nullptr);
  const Oid pkey = catalog::GetRelnameRelid("t_pkey", Oid(catalog::kPublicNamespace));
  EXPECT_EQ(catalog::GetRelnameRelid("t_b_idx", Oid(catalog::kPublicNamespace)), idx);
  EXPECT_TRUE(FileHasData(t));
  EXPECT_TRUE(FileHasData(idx));
  transam::AbortTransaction();
  // The abort empties the files now and unlinks them after the next checkpoint (SM5).
  EXPECT_FALSE(FileHasData(t));
  EXPECT_FALSE(FileHasData(idx));
  harness_.Checkpoint();
  EXPECT_FALSE(FileExists(t));
  EXPECT_FALSE(FileExists(idx));
  EXPECT_FALSE(FileExists(pkey));

  transam::StartTransaction();
  transam::DefineSavepoint("s");
  const Oid u = CreateTable(Table("u", {Col("a", Type("int4"), {Con(ConstrType::kUnique)})}), nullptr);
  const Oid ukey = catalog::GetRelnameRelid("u_a_key", Oid(catalog::kPublicNamespace));
  EXPECT_TRUE(FileExists(u));
  transam::RollbackToSavepoint("s");
  EXPECT_FALSE(FileHasData(u));
  EXPECT_FALSE(FileHasData(ukey));
  EXPECT_EQ(catalog::GetRelnameRelid("u", Oid(catalog::kPublicNamespace)), kInvalidOid);
  EXPECT_EQ(catalog::testing::CountRows(oids::kPgClass), class_rows);
  EXPECT_EQ(catalog::testing::CountRows(oids::kPgType), type_rows);
  EXPECT_EQ(catalog::testing::CountRows(oids::kPgAttribute), attr_rows);
  EXPECT_EQ(catalog::testing::CountRows(oids::kPgDepend), depend_rows);
  EXPECT_EQ(catalog::testing::CountRows(oids::kPgConstraint), 0u);
  // The same name can be created again in the same transaction.
  const Oid v = CreateTable(Table("u", {Col("a", Type("int4"))}), nullptr);
  InsertRows(v, 1, 10);
  transam::CommitTransaction();

  transam::StartTransaction();
  RemoveRelations(Drop(ObjectType::kTable, {"u"}), nullptr);
  transam::AbortTransaction();
  transam::StartTransaction();
  EXPECT_EQ(catalog::GetRelnameRelid("u", Oid(catalog::kPublicNamespace)), v);
  EXPECT_EQ(CountTableRows(v), 10u);
  EXPECT_EQ(CheckCatalogConsistency(), "");
  transam::CommitTransaction();
}

struct Steps {
  std::atomic<int> child_stage;
  std::atomic<int> parent_stage;
};

// A second session sees a table another one created, then dropped, after each commit,
// through its caches (negative entry first, then the relation, then none).
TEST_F(TableCommandsTest, SecondSessionSeesCreateAndDropAfterCommit) {
  void* mem = mmap(nullptr, sizeof(Steps), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
                   -1, 0);
  ASSERT_NE(mem, MAP_FAILED);
  auto* steps = new (mem) Steps{};
  const auto wait_parent = [steps](int stage) {
    return storage::testing::WaitUntil([&] { return steps->parent_stage.load() >= stage; });
  };
  const pid_t b = harness_.ForkBackend([&] {
    (void)cache::AcceptInvalidationMessages();
    transam::StartTransaction();
    if (cache::SysCacheExists(cache::SysCacheId::kRelNameNsp, "t", Oid(catalog::kPublicNamespace))) return 1;
    transam::CommitTransaction();
    steps->child_stage.store(1);
    if (!wait_parent(1)) return 2;
    (void)cache::AcceptInvalidationMessages();
    transam::StartTransaction();
    const Oid t = cache::GetSysCacheOid(cache::SysCacheId::kRelNameNsp, "t",
                                        Oid(catalog::kPublicNamespace));
    if (t == kInvalidOid) return 3;
    const cache::RelationRef rel = cache::RelationOpen(t, storage::LockMode::kAccessShare);
    if (rel->desc.natts() != 2 || rel->index_oids.size() != 1) return 4;
    if (CountTableRows(t) != 5) return 5;
    if (IndexLookup(rel->index_oids[0], 3) != std::vector<int32_t>{3}) return 6;
    transam::CommitTransaction();
    steps->child_stage.store(2);
    if (!wait_parent(2)) return 7;
    (void)cache::AcceptInvalidationMessages();
    transam::StartTransaction();
    if (cache::SysCacheExists(cache::SysCacheId::kRelNameNsp, "t", Oid(catalog::kPublicNamespace))) return 8;
    if (cache::RelationIdGetRelation(t) != nullptr) return 9;
    transam::CommitTransaction();
    return 0;
  });
  ASSERT_TRUE(storage::testing::WaitUntil([&] { return steps->child_stage.load() >= 1; }));
  transam::StartTransaction();
  const Oid t = CreateTable(Table("t", {Col("a", Type("int4"), {Con(ConstrType::kPrimary)}),
                                        Col("b", Type("text"))}),
                            nullptr);
  InsertRows(t, 1, 5);
  transam::CommitTransaction();
  steps->parent_stage.store(1);
  ASSERT_TRUE(storage::testing::WaitUntil([&] { return steps->child_stage.load() >= 2; }));
  transam::StartTransaction();
  RemoveRelations(Drop(ObjectType::kTable, {"t"}), nullptr);
  transam::CommitTransaction();
  steps->parent_stage.store(2);
  EXPECT_EQ(harness_.Wait(b), 0);
  munmap(mem, sizeof(Steps));
}

// Committed DDL and rows survive a crash; the index still finds the rows.
TEST_F(TableCommandsTest, PersistsAcrossCrash) {
  transam::StartTransaction();
  const Oid t = CreateTable(Table("t", {Col("a", Type("int4"), {Con(ConstrType::kPrimary)}),
                                        Col("b", Type("text"))}),
                            nullptr);
  InsertRows(t, 1, 500);
  const Oid idx = CreateIndex(Index("t_b_idx", "t", {"b"}), nullptr);
  transam::CommitTransaction();
  transam::StartTransaction();
  (void)CreateTable(Table("gone", {Col("a", Type("int4"))}), nullptr);  // never committed
  harness_.Crash();
  (void)cache::AcceptInvalidationMessages();
  transam::StartTransaction();
  EXPECT_EQ(catalog::GetRelnameRelid("t", Oid(catalog::kPublicNamespace)), t);
  EXPECT_EQ(catalog::GetRelnameRelid("t_b_idx", Oid(catalog::kPublicNamespace)), idx);
  EXPECT_EQ(catalog::GetRelnameRelid("gone", Oid(catalog::kPublicNamespace)), kInvalidOid);
  const Oid pkey = catalog::GetRelnameRelid("t_pkey", Oid(catalog::kPublicNamespace));
  // The first read of the table after the crash goes through the index.
  EXPECT_EQ(IndexLookup(pkey, 321), std::vector<int32_t>{321});
  EXPECT_EQ(IndexLookup(pkey, 0, true).size(), 500u);
  EXPECT_EQ(CountTableRows(t), 500u);
  EXPECT_EQ(CheckCatalogConsistency(), "");
  // And it can still be changed and dropped.
  InsertRows(t, 501, 510);
  EXPECT_EQ(IndexLookup(pkey, 505), std::vector<int32_t>{505});
  RemoveRelations(Drop(ObjectType::kTable, {"t"}), nullptr);
  transam::CommitTransaction();
}

}  // namespace
}  // namespace keel::commands

