// CREATE INDEX, REINDEX and TRUNCATE over a bootstrapped database (ServerHarness): pg_class /
// pg_attribute / pg_index rows, generated names, rows inserted through the relation cache's
// descriptors found through the new index, the unique build error, errors, transactional
// REINDEX and TRUNCATE (new files; rollback keeps the old data), foreign keys and TRUNCATE.
// README.md ("Indexes", "Truncate").
#include "backend/commands/index_commands.h"

#include <gtest/gtest.h>

#include "backend/catalog/index_create.h"
#include "backend/commands/table_test_util.h"
#include "backend/commands/truncate.h"

namespace keel::commands {
namespace {

using namespace keel::commands::testing;  // NOLINT: test helpers

class IndexCommandsTest : public TableTest {
 protected:
  // t (a int4, b text, c int4) with rows 1..n.
  Oid MakeTable(const std::string& name, int n) {
    const Oid t = CreateTable(Table(name, {Col("a", Type("int4")), Col("b", Type("text")),
                                           Col("c", Type("int4"))}),
                              nullptr);
    InsertRows(t, 1, n);
    return t;
  }
};

TEST_F(IndexCommandsTest, CreateIndexBuildsFromRowsAndFindsThem) {
  transam::StartTransaction();
  const Oid t = MakeTable("t", 2000);
  IndexStmt s = Index("", "t", {"a", "c"});
  s.index_params[0].ordering = SortByDir::kDesc;
  s.including = {"b"};
  const Oid idx = CreateIndex(s, nullptr);
  EXPECT_EQ(catalog::GetRelnameRelid("t_a_c_b_idx", Oid(catalog::kPublicNamespace)), idx);
  const Oid second = CreateIndex(Index("", "t", {"a"}), nullptr);
  EXPECT_EQ(catalog::GetRelnameRelid("t_a_idx", Oid(catalog::kPublicNamespace)), second);
  const Oid third = CreateIndex(Index("", "t", {"a"}), nullptr);
  EXPECT_EQ(catalog::GetRelnameRelid("t_a_idx1", Oid(catalog::kPublicNamespace)), third);
  transam::CommitTransaction();

  transam::StartTransaction();
  const catalog::CatalogRelation& pi = TestCat(oids::kPgIndex);
  const access::Datum key[] = {access::ObjectIdGetDatum(idx)};
  const access::HeapTuple row = catalog::CatalogIndexScan(pi, 2679, key, transam::GetLatestSnapshot()).at(0);
  EXPECT_EQ(catalog::CatalogGetInt(pi, row, "indnatts"), 3);
  EXPECT_EQ(catalog::CatalogGetInt(pi, row, "indnkeyatts"), 2);
  EXPECT_FALSE(catalog::CatalogGetBool(pi, row, "indisunique"));
  EXPECT_EQ(catalog::Int2ArrayElements(access::DatumGetPointer(catalog::CatalogGetAttr(pi, row, "indkey"))),
            (std::vector<int16_t>{1, 3, 2}));
  EXPECT_EQ(catalog::Int2ArrayElements(access::DatumGetPointer(catalog::CatalogGetAttr(pi, row, "indoption"))),
            (std::vector<int16_t>{3, 0}));  // DESC implies NULLS FIRST
  EXPECT_EQ(catalog::OidArrayElements(access::DatumGetPointer(catalog::CatalogGetAttr(pi, row, "indclass"))),
            (std::vector<uint32_t>{1978, 1978}));
  const catalog::CatalogRelation& pc = TestCat(oids::kPgClass);
  const access::HeapTuple cr = *catalog::CatalogLookupByOid(pc, idx, transam::GetLatestSnapshot());
  EXPECT_EQ(catalog::CatalogGetChar(pc, cr, "relkind"), 'i');
  EXPECT_EQ(catalog::CatalogGetChar(pc, cr, "relreplident"), 'n');
  EXPECT_EQ(catalog::CatalogGetInt(pc, cr, "relnatts"), 3);
  // Index column rows carry the table columns' names and types (no system columns).
  const access::Datum akey[] = {access::ObjectIdGetDatum(idx)};
  const std::vector<access::HeapTuple> atts =
      catalog::CatalogIndexScan(TestCat(oids::kPgAttribute), 2659, akey, transam::GetLatestSnapshot());
  ASSERT_EQ(atts.size(), 3u);
  EXPECT_EQ(catalog::CatalogGetName(TestCat(oids::kPgAttribute), atts[2], "attname"), "b");
  // Dependencies: the index goes with its columns (auto).
  const std::vector<catalog::DependRow> deps =
      catalog::GetDependencies(catalog::MakeObjectAddress(oids::kPgClass, idx));
  int column_deps = 0;
  for (const catalog::DependRow& d : deps) {
    if (d.referenced.objid == t && d.type == catalog::DependencyType::kAuto) ++column_deps;
  }
  EXPECT_EQ(column_deps, 3);

  // The built index finds the rows inserted before it; rows inserted afterwards through the
  // descriptors are found too.
  EXPECT_EQ(IndexLookup(second, 1234), std::vector<int32_t>{1234});
  EXPECT_EQ(IndexLookup(idx, 0, true).size(), 2000u);
  EXPECT_EQ(IndexLookup(idx, 0, true).front(), 2000);  // DESC
  InsertRows(t, 2001, 2010);
  EXPECT_EQ(IndexLookup(second, 2005), std::vector<int32_t>{2005});
  EXPECT_EQ(IndexLookup(third, 0, true).size(), 2010u);
  EXPECT_EQ(CheckCatalogConsistency(), "");
  transam::CommitTransaction();
}

TEST_F(IndexCommandsTest, CreateIndexErrors) {
  transam::StartTransaction();
  (void)MakeTable("t", 10);
  InsertRows(catalog::GetRelnameRelid("t", Oid(catalog::kPublicNamespace)), 5, 5);  // duplicate 5
  transam::CommitTransaction();
  const auto fails = [](IndexStmt s) {
    transam::StartTransaction();
    Error e = ErrorOf([&] { (void)CreateIndex(s, nullptr); });
    transam::AbortTransaction();
    return e;
  };
  IndexStmt u = Index("t_u", "t", {"a"});
  u.unique = true;
  Error e = fails(u);
  EXPECT_EQ(e.sqlstate(), sqlstate::kUniqueViolation);
  EXPECT_EQ(e.message(), "could not create unique index \"t_u\"");
  EXPECT_EQ(e.detail(), "Key (a)=(5) is duplicated.");
  e = fails(Index("x", "nope", {"a"}));
  EXPECT_EQ(e.sqlstate(), sqlstate::kUndefinedTable);
  EXPECT_EQ(e.message(), "relation \"nope\" does not exist");
  e = fails(Index("x", "t", {"zz"}));
  EXPECT_EQ(e.sqlstate(), sqlstate::kUndefinedColumn);
  EXPECT_EQ(e.message(), "column \"zz\" does not exist");
  e = fails(Index("t", "t", {"a"}));
  EXPECT_EQ(e.sqlstate(), sqlstate::kDuplicateTable);
  EXPECT_EQ(e.message(), "relation \"t\" already exists");
  IndexStmt h = Index("x", "t", {"a"});
  h.access_method = "nosuch";
  e = fails(h);
  EXPECT_EQ(e.sqlstate(), sqlstate::kUndefinedObject);
  EXPECT_EQ(e.message(), "access method \"nosuch\" does not exist");
  e = fails(Index("x", "pg_class", {"relname"}));
  EXPECT_EQ(e.sqlstate(), sqlstate::kInsufficientPrivilege);
  EXPECT_EQ(e.message(), "permission denied: \"pg_class\" is a system catalog");
  transam::StartTransaction();
  catalog::NoticeList notices;
  IndexStmt again = Index("t", "t", {"a"});
  again.if_not_exists = true;
  EXPECT_EQ(CreateIndex(again, &notices), kInvalidOid);
  ASSERT_EQ(notices.size(), 1u);
  EXPECT_EQ(notices[0].message(), "relation \"t\" already exists, skipping");
  EXPECT_EQ(CheckCatalogConsistency(), "");
  transam::CommitTransaction();
}

// B11: REINDEX gives the index a new file and rebuilds it; a rollback keeps the old file.
TEST_F(IndexCommandsTest, ReindexIsTransactional) {
  transam::StartTransaction();
  const Oid t = MakeTable("t", 300);
  const Oid idx = CreateIndex(Index("t_a", "t", {"a"}), nullptr);
  transam::CommitTransaction();
  transam::StartTransaction();
  const Oid before = Relfilenode(idx);
  ReindexStmt r;
  r.kind = ReindexObjectType::kIndex;
  r.relation = Rel("t_a");
  Reindex(r, nullptr);
  const Oid after = Relfilenode(idx);
  EXPECT_NE(after, before);
  EXPECT_EQ(IndexLookup(idx, 77), std::vector<int32_t>{77});
  transam::AbortTransaction();
  transam::StartTransaction();
  EXPECT_EQ(Relfilenode(idx), before);
  EXPECT_EQ(IndexLookup(idx, 77), std::vector<int32_t>{77});
  r.kind = ReindexObjectType::kTable;
  r.relation = Rel("t");
  Reindex(r, nullptr);
  transam::CommitTransaction();
  transam::StartTransaction();
  EXPECT_NE(Relfilenode(idx), before);
  EXPECT_EQ(IndexLookup(idx, 0, true).size(), 300u);
  (void)t;
  r.kind = ReindexObjectType::kIndex;
  r.relation = Rel("t");
  Error e = ErrorOf([&] { Reindex(r, nullptr); });
  EXPECT_EQ(e.sqlstate(), sqlstate::kWrongObjectType);
  EXPECT_EQ(e.message(), "\"t\" is not an index");
  transam::AbortTransaction();
}

// B13-B15: TRUNCATE empties a table and its indexes through new files; rollback keeps the old
// data; foreign keys refuse it unless the referencing table is truncated too (CASCADE).
TEST_F(IndexCommandsTest, Truncate) {
  transam::StartTransaction();
  const Oid parent = CreateTable(Table("parent", {Col("a", Type("int4"), {Con(ConstrType::kPrimary)}),
                                                  Col("b", Type("text"))}),
                                 nullptr);
  InsertRows(parent, 1, 200);
  Constraint ref = Con(ConstrType::kForeign);
  ref.pktable = Rel("parent");
  const Oid child = CreateTable(Table("child", {Col("a", Type("int4"), {ref})}), nullptr);
  InsertRows(child, 1, 20);
  transam::CommitTransaction();
  const Oid pkey = [] {
    transam::StartTransaction();
    const Oid o = catalog::GetRelnameRelid("parent_pkey", Oid(catalog::kPublicNamespace));
    transam::CommitTransaction();
    return o;
  }();

  transam::StartTransaction();
  TruncateStmt s;
  s.relations = {Rel("parent")};
  Error e = ErrorOf([&] { ExecuteTruncate(s, nullptr); });
  EXPECT_EQ(e.sqlstate(), sqlstate::kFeatureNotSupported);
  EXPECT_EQ(e.message(), "cannot truncate a table referenced in a foreign key constraint");
  EXPECT_EQ(e.detail(), "Table \"child\" references \"parent\".");
  EXPECT_EQ(e.hint(), "Truncate table \"child\" at the same time, or use TRUNCATE ... CASCADE.");
  transam::AbortTransaction();

  transam::StartTransaction();
  const Oid old_file = Relfilenode(parent);
  s.behavior = catalog::DropBehavior::kCascade;
  catalog::NoticeList notices;
  ExecuteTruncate(s, &notices);
  ASSERT_EQ(notices.size(), 1u);
  EXPECT_EQ(notices[0].message(), "truncate cascades to table \"child\"");
  EXPECT_NE(Relfilenode(parent), old_file);
  EXPECT_EQ(CountTableRows(parent), 0u);
  EXPECT_EQ(CountTableRows(child), 0u);
  EXPECT_TRUE(IndexLookup(pkey, 0, true).empty());
  transam::AbortTransaction();

  transam::StartTransaction();
  EXPECT_EQ(Relfilenode(parent), old_file);
  EXPECT_EQ(CountTableRows(parent), 200u);
  EXPECT_EQ(IndexLookup(pkey, 150), std::vector<int32_t>{150});
  s.relations = {Rel("parent"), Rel("child")};
  s.behavior = catalog::DropBehavior::kRestrict;
  ExecuteTruncate(s, nullptr);
  transam::CommitTransaction();
  transam::StartTransaction();
  EXPECT_EQ(CountTableRows(parent), 0u);
  EXPECT_TRUE(IndexLookup(pkey, 0, true).empty());
  InsertRows(parent, 5, 6);
  EXPECT_EQ(IndexLookup(pkey, 6), std::vector<int32_t>{6});
  s.relations = {Rel("parent_pkey")};
  e = ErrorOf([&] { ExecuteTruncate(s, nullptr); });
  EXPECT_EQ(e.sqlstate(), sqlstate::kWrongObjectType);
  EXPECT_EQ(e.message(), "\"parent_pkey\" is not a table");
  transam::AbortTransaction();
  harness_.Checkpoint();
  EXPECT_FALSE(FileExists(old_file));
}

}  // namespace
}  // namespace keel::commands
