// Dependency recording and DROP semantics (README.md D1-D9) over a bootstrapped catalog in a
// real server harness: pinned objects, RESTRICT refusals, CASCADE order and notices, internal /
// auto / partition dependencies, cycles, multiple targets, rollback, locks, a concurrent drop
// of a dependent, and pg_shdepend owner rows.
#include "backend/catalog/dependency.h"

#include <gtest/gtest.h>
#include <sys/mman.h>

#include <atomic>
#include <new>

#include "backend/catalog/catalog_test_util.h"
#include "backend/catalog/namespace.h"
#include "storage/ipc/fork_test_util.h"
#include "storage/lmgr/lock.h"

namespace keel::catalog {
namespace {

using testing::CatalogTest;
using testing::CountRows;
using testing::DropLog;
using testing::ErrorOf;
using testing::InsertRelation;
using testing::InsertType;
using testing::kDb;
using testing::RowExists;

constexpr Oid kPublic{kPublicNamespace};

ObjectAddress Rel(Oid relid, int32_t sub = 0) {
  return MakeObjectAddress(catalog_oid::kPgClass, relid, sub);
}
ObjectAddress Nsp(Oid nsp) { return MakeObjectAddress(catalog_oid::kPgNamespace, nsp); }
ObjectAddress Typ(Oid typ) { return MakeObjectAddress(catalog_oid::kPgType, typ); }

// A schema with tables in it, each depending normally on the schema, committed.
struct SchemaWithTables {
  Oid nsp;
  std::vector<Oid> tables;
};
SchemaWithTables MakeSchemaWithTables(std::string_view schema,
                                      std::vector<std::string_view> tables) {
  SchemaWithTables s;
  transam::StartTransaction();
  s.nsp = NamespaceCreate(schema, testing::kSuperuser, false);
  transam::CommandCounterIncrement();
  for (std::string_view t : tables) {
    const Oid rel = InsertRelation(t, s.nsp);
    RecordDependencyOn(Rel(rel), Nsp(s.nsp), DependencyType::kNormal);
    s.tables.push_back(rel);
  }
  transam::CommitTransaction();
  return s;
}

using DependencyTest = CatalogTest;

TEST_F(DependencyTest, PinnedObjectsCannotBeDropped) {
  transam::StartTransaction();
  EXPECT_TRUE(IsPinnedObject(Oid(catalog_oid::kPgNamespace), Oid(kPgCatalogNamespace)));
  EXPECT_FALSE(IsPinnedObject(Oid(catalog_oid::kPgNamespace), kPublic));
  EXPECT_FALSE(IsPinnedObject(Oid(catalog_oid::kPgDatabase), Oid(kTemplate1Database)));
  EXPECT_TRUE(IsPinnedObject(Oid(catalog_oid::kPgType), Oid(23)));
  EXPECT_TRUE(IsPinnedObject(Oid(catalog_oid::kPgAuthid), Oid(kBootstrapSuperuser)));
  EXPECT_FALSE(IsPinnedObject(Oid(catalog_oid::kPgType), Oid(kFirstUnpinnedObjectId)));

  Error e = ErrorOf([] {
    PerformDeletion(Nsp(Oid(kPgCatalogNamespace)), DropBehavior::kCascade, 0, nullptr);
  });
  EXPECT_EQ(e.sqlstate(), sqlstate::kDependentObjectsStillExist);
  EXPECT_EQ(e.message(),
            "cannot drop schema pg_catalog because it is required by the database system");
  transam::AbortTransaction();
  transam::StartTransaction();
  e = ErrorOf([] { PerformDeletion(Typ(Oid(23)), DropBehavior::kRestrict, 0, nullptr); });
  EXPECT_EQ(e.message(), "cannot drop type integer because it is required by the database system");
  transam::AbortTransaction();
  // A pinned object reached through a dependency refuses the whole command as well.
  transam::StartTransaction();
  const Oid t = InsertRelation("t", kPublic);
  // A hand-made row with a pinned object as depender: pg_class (1259) depends on t.
  {
    const CatalogRelation& d = testing::TestCat(catalog_oid::kPgDepend);
    CatalogRowBuilder b(*d.def, d.desc);
    b.Oid("classid", catalog_oid::kPgClass).Oid("objid", catalog_oid::kPgClass).Int4("objsubid", 0)
        .Oid("refclassid", catalog_oid::kPgClass).Oid("refobjid", t.value())
        .Int4("refobjsubid", 0).Char("deptype", 'n');
    (void)CatalogInsert(d, b);
  }
  transam::CommandCounterIncrement();
  e = ErrorOf([&] { PerformDeletion(Rel(t), DropBehavior::kCascade, 0, nullptr); });
  EXPECT_EQ(e.message(),
            "cannot drop table pg_class because it is required by the database system");
  transam::AbortTransaction();
}

TEST_F(DependencyTest, NothingIsRecordedAgainstPinnedObjects) {
  transam::StartTransaction();
  const size_t before = CountRows(catalog_oid::kPgDepend);
  const Oid t = InsertRelation("t", kPublic);
  RecordDependencyOn(Rel(t), Nsp(Oid(kPgCatalogNamespace)), DependencyType::kNormal);
  const ObjectAddress refs[] = {Typ(Oid(23)), Nsp(kPublic), Typ(Oid(25))};
  RecordMultipleDependencies(Rel(t), refs, DependencyType::kNormal);
  transam::CommandCounterIncrement();
  EXPECT_EQ(CountRows(catalog_oid::kPgDepend), before + 1);  // only the public schema's row
  const std::vector<DependRow> deps = GetDependencies(Rel(t));
  ASSERT_EQ(deps.size(), 1u);
  EXPECT_EQ(deps[0].referenced, Nsp(kPublic));
  EXPECT_EQ(deps[0].type, DependencyType::kNormal);
  ASSERT_EQ(GetDependents(Nsp(kPublic)).size(), 1u);
  EXPECT_EQ(GetDependents(Nsp(kPublic))[0].depender, Rel(t));
  transam::CommitTransaction();
}

TEST_F(DependencyTest, RestrictRefusesWithDetailAndHint) {
  const SchemaWithTables s = MakeSchemaWithTables("s", {"t1", "t2"});
  transam::StartTransaction();
  const Error e = ErrorOf([&] {
    PerformDeletion(Nsp(s.nsp), DropBehavior::kRestrict, 0, nullptr);
  });
  EXPECT_EQ(e.sqlstate(), sqlstate::kDependentObjectsStillExist);
  EXPECT_EQ(e.message(), "cannot drop schema s because other objects depend on it");
  EXPECT_EQ(e.detail(), "table s.t1 depends on schema s\ntable s.t2 depends on schema s");
  EXPECT_EQ(e.hint(), "Use DROP ... CASCADE to drop the dependent objects too.");
  EXPECT_TRUE(DropLog().empty());
  transam::AbortTransaction();
  transam::StartTransaction();
  EXPECT_TRUE(RowExists(catalog_oid::kPgNamespace, s.nsp));
  EXPECT_TRUE(RowExists(catalog_oid::kPgClass, s.tables[0]));
  transam::CommitTransaction();
}

TEST_F(DependencyTest, CascadeDropsDependentsFirstAndReportsThem) {
  const SchemaWithTables s = MakeSchemaWithTables("s", {"t1", "t2"});
  transam::StartTransaction();
  // t3, in public, depends on s.t1 (as a view would).
  const Oid t3 = InsertRelation("t3", kPublic, 'v');
  RecordDependencyOn(Rel(t3), Rel(s.tables[0]), DependencyType::kNormal);
  RecordDependencyOn(Rel(t3), Nsp(kPublic), DependencyType::kNormal);
  transam::CommitTransaction();

  transam::StartTransaction();
  NoticeList notices;
  PerformDeletion(Nsp(s.nsp), DropBehavior::kCascade, 0, &notices);
  // Siblings newest first (t2 before t1), and a dependent before what it depends on (t3
  // before t1); the schema last.
  const std::vector<ObjectAddress> expected_order = {Rel(s.tables[1]), Rel(t3), Rel(s.tables[0])};
  EXPECT_EQ(DropLog(), expected_order);
  ASSERT_EQ(notices.size(), 1u);
  EXPECT_EQ(notices[0].severity(), Severity::kNotice);
  EXPECT_EQ(notices[0].message(), "drop cascades to 3 other objects");
  EXPECT_EQ(notices[0].detail(),
            "drop cascades to table s.t1\ndrop cascades to view t3\ndrop cascades to table s.t2");
  EXPECT_FALSE(RowExists(catalog_oid::kPgNamespace, s.nsp));
  for (Oid t : {s.tables[0], s.tables[1], t3}) {
    EXPECT_FALSE(RowExists(catalog_oid::kPgClass, t));
    EXPECT_TRUE(GetDependencies(Rel(t)).empty());  // D4: their own rows went with them
  }
  EXPECT_TRUE(GetDependents(Nsp(kPublic)).empty());
  transam::CommitTransaction();
}

TEST_F(DependencyTest, OneCascadedObjectIsReportedAlone) {
  const SchemaWithTables s = MakeSchemaWithTables("s", {"t"});
  transam::StartTransaction();
  NoticeList notices;
  PerformDeletion(Nsp(s.nsp), DropBehavior::kCascade, 0, &notices);
  ASSERT_EQ(notices.size(), 1u);
  EXPECT_EQ(notices[0].message(), "drop cascades to table s.t");
  EXPECT_EQ(notices[0].detail(), "");
  // Quietly: the same deletion without notices.
  transam::AbortTransaction();
  transam::StartTransaction();
  notices.clear();
  PerformDeletion(Nsp(s.nsp), DropBehavior::kCascade, kDeletionQuietly, &notices);
  EXPECT_TRUE(notices.empty());
  EXPECT_FALSE(RowExists(catalog_oid::kPgClass, s.tables[0]));
  transam::CommitTransaction();
}

TEST_F(DependencyTest, AutoAndInternalDependentsGoSilentlyEvenWithRestrict) {
  transam::StartTransaction();
  const Oid t = InsertRelation("t", kPublic);
  const Oid idx = InsertRelation("t_idx", kPublic, 'i');
  const Oid rowtype = InsertType("t", kPublic, t);
  RecordDependencyOn(Rel(idx), Rel(t), DependencyType::kAuto);
  RecordDependencyOn(Typ(rowtype), Rel(t), DependencyType::kInternal);
  transam::CommandCounterIncrement();
  NoticeList notices;
  PerformDeletion(Rel(t), DropBehavior::kRestrict, 0, &notices);
  EXPECT_TRUE(notices.empty());
  EXPECT_FALSE(RowExists(catalog_oid::kPgClass, idx));
  EXPECT_FALSE(RowExists(catalog_oid::kPgType, rowtype));
  EXPECT_FALSE(RowExists(catalog_oid::kPgClass, t));
  ASSERT_EQ(DropLog().size(), 3u);
  EXPECT_EQ(DropLog().back(), Rel(t));
  transam::CommitTransaction();
}

TEST_F(DependencyTest, AnInternalMemberCannotBeDroppedAlone) {
  transam::StartTransaction();
  const Oid t = InsertRelation("t", kPublic);
  const Oid rowtype = InsertType("t", kPublic, t);
  RecordDependencyOn(Typ(rowtype), Rel(t), DependencyType::kInternal);
  transam::CommitTransaction();
  transam::StartTransaction();
  const Error e = ErrorOf([&] {
    PerformDeletion(Typ(rowtype), DropBehavior::kCascade, 0, nullptr);
  });
  EXPECT_EQ(e.sqlstate(), sqlstate::kDependentObjectsStillExist);
  EXPECT_EQ(e.message(), "cannot drop type t because table t requires it");
  EXPECT_EQ(e.hint(), "You can drop table t instead.");
  transam::AbortTransaction();
  // Together with its owner in one command it is fine (the owner takes it along).
  transam::StartTransaction();
  const ObjectAddress both[] = {Typ(rowtype), Rel(t)};
  PerformMultipleDeletions(both, DropBehavior::kRestrict, 0, nullptr);
  EXPECT_FALSE(RowExists(catalog_oid::kPgType, rowtype));
  EXPECT_FALSE(RowExists(catalog_oid::kPgClass, t));
  transam::CommitTransaction();
}

// A schema holding a table and the table's row type, the type newer than the table: the walk
// from the schema meets the type first, and must redirect to its owner, the table (D6).
TEST_F(DependencyTest, ReachingAnInternalMemberFirstRedirectsToItsOwner) {
  const SchemaWithTables s = MakeSchemaWithTables("s", {"t"});
  const Oid t = s.tables[0];
  transam::StartTransaction();
  // Oids may be counted per catalog (new_oid.cpp's stopgap): one more type first makes the row
  // type's oid larger than the table's either way.
  (void)InsertType("filler", kPublic);
  const Oid rowtype = InsertType("t", s.nsp, t);
  ASSERT_GT(rowtype.value(), t.value());
  RecordDependencyOn(Typ(rowtype), Nsp(s.nsp), DependencyType::kNormal);
  RecordDependencyOn(Typ(rowtype), Rel(t), DependencyType::kInternal);
  transam::CommitTransaction();

  transam::StartTransaction();
  const Error e = ErrorOf([&] {
    PerformDeletion(Nsp(s.nsp), DropBehavior::kRestrict, 0, nullptr);
  });
  EXPECT_EQ(e.detail(), "table s.t depends on schema s");  // the type is not listed
  transam::AbortTransaction();

  transam::StartTransaction();
  NoticeList notices;
  PerformDeletion(Nsp(s.nsp), DropBehavior::kCascade, 0, &notices);
  ASSERT_EQ(notices.size(), 1u);
  EXPECT_EQ(notices[0].message(), "drop cascades to table s.t");
  const std::vector<ObjectAddress> order = {Typ(rowtype), Rel(t)};
  EXPECT_EQ(DropLog(), order);
  EXPECT_FALSE(RowExists(catalog_oid::kPgType, rowtype));
  EXPECT_FALSE(RowExists(catalog_oid::kPgNamespace, s.nsp));
  transam::CommitTransaction();
}

TEST_F(DependencyTest, CyclesEndAndEveryMemberIsDroppedOnce) {
  transam::StartTransaction();
  const Oid a = InsertRelation("a", kPublic);
  const Oid b = InsertRelation("b", kPublic);
  const Oid c = InsertRelation("c", kPublic);
  // a -> b -> c -> a (normal), and b -> a (a second path back).
  RecordDependencyOn(Rel(a), Rel(b), DependencyType::kNormal);
  RecordDependencyOn(Rel(b), Rel(c), DependencyType::kNormal);
  RecordDependencyOn(Rel(c), Rel(a), DependencyType::kNormal);
  RecordDependencyOn(Rel(b), Rel(a), DependencyType::kNormal);
  transam::CommitTransaction();

  transam::StartTransaction();
  const Error e = ErrorOf([&] { PerformDeletion(Rel(a), DropBehavior::kRestrict, 0, nullptr); });
  EXPECT_EQ(e.message(), "cannot drop table a because other objects depend on it");
  EXPECT_EQ(e.detail(), "table c depends on table a\ntable b depends on table c");
  transam::AbortTransaction();

  transam::StartTransaction();
  NoticeList notices;
  PerformDeletion(Rel(a), DropBehavior::kCascade, 0, &notices);
  ASSERT_EQ(notices.size(), 1u);
  EXPECT_EQ(notices[0].message(), "drop cascades to 2 other objects");
  EXPECT_EQ(notices[0].detail(), "drop cascades to table c\ndrop cascades to table b");
  const std::vector<ObjectAddress> order = {Rel(b), Rel(c), Rel(a)};
  EXPECT_EQ(DropLog(), order);
  transam::CommitTransaction();
}

// A cycle through an internal dependency: the member m is part of owner o, and o in turn
// depends normally on m (as a table on a type it uses). Dropping o ends and takes m silently;
// m alone is refused.
TEST_F(DependencyTest, ACycleThroughAnInternalDependencyEnds) {
  transam::StartTransaction();
  const Oid o = InsertRelation("o", kPublic);
  const Oid m = InsertType("m", kPublic, o);
  RecordDependencyOn(Typ(m), Rel(o), DependencyType::kInternal);
  RecordDependencyOn(Rel(o), Typ(m), DependencyType::kNormal);
  transam::CommitTransaction();
  transam::StartTransaction();
  const Error e = ErrorOf([&] { PerformDeletion(Typ(m), DropBehavior::kCascade, 0, nullptr); });
  EXPECT_EQ(e.message(), "cannot drop type m because table o requires it");
  transam::AbortTransaction();
  transam::StartTransaction();
  NoticeList notices;
  PerformDeletion(Rel(o), DropBehavior::kRestrict, 0, &notices);
  EXPECT_TRUE(notices.empty());
  const std::vector<ObjectAddress> order = {Typ(m), Rel(o)};
  EXPECT_EQ(DropLog(), order);
  EXPECT_TRUE(GetDependents(Rel(o)).empty());
  EXPECT_TRUE(GetDependents(Typ(m)).empty());
  transam::CommitTransaction();
}

TEST_F(DependencyTest, PartitionMembersGoOnlyWithTheirPartitionOwner) {
  transam::StartTransaction();
  const Oid parent = InsertRelation("p", kPublic, 'p');
  const Oid child = InsertRelation("c", kPublic);
  RecordDependencyOn(Rel(child), Rel(parent), DependencyType::kPartitionPri);
  transam::CommitTransaction();
  transam::StartTransaction();
  const Error e = ErrorOf([&] { PerformDeletion(Rel(child), DropBehavior::kCascade, 0, nullptr); });
  EXPECT_EQ(e.sqlstate(), sqlstate::kDependentObjectsStillExist);
  EXPECT_EQ(e.message(), "cannot drop table c because table p requires it");
  EXPECT_EQ(e.hint(), "You can drop table p instead.");
  transam::AbortTransaction();
  transam::StartTransaction();
  NoticeList notices;
  PerformDeletion(Rel(parent), DropBehavior::kRestrict, 0, &notices);
  EXPECT_TRUE(notices.empty());
  EXPECT_FALSE(RowExists(catalog_oid::kPgClass, child));
  transam::CommitTransaction();
}

TEST_F(DependencyTest, MultipleTargetsDoNotCountAsEachOthersDependents) {
  transam::StartTransaction();
  const Oid a = InsertRelation("a", kPublic);
  const Oid b = InsertRelation("b", kPublic);
  const Oid c = InsertRelation("c", kPublic);
  RecordDependencyOn(Rel(b), Rel(a), DependencyType::kNormal);
  transam::CommitTransaction();
  transam::StartTransaction();
  const ObjectAddress ab[] = {Rel(a), Rel(b)};
  PerformMultipleDeletions(ab, DropBehavior::kRestrict, 0, nullptr);
  EXPECT_FALSE(RowExists(catalog_oid::kPgClass, a));
  EXPECT_FALSE(RowExists(catalog_oid::kPgClass, b));
  transam::AbortTransaction();
  // c depends on a: dropping a and b together is refused in general terms.
  transam::StartTransaction();
  RecordDependencyOn(Rel(c), Rel(a), DependencyType::kNormal);
  transam::CommandCounterIncrement();
  const Error e = ErrorOf([&] {
    PerformMultipleDeletions(ab, DropBehavior::kRestrict, 0, nullptr);
  });
  EXPECT_EQ(e.message(), "cannot drop desired object(s) because other objects depend on them");
  EXPECT_EQ(e.detail(), "table c depends on table a");
  transam::AbortTransaction();
}

TEST_F(DependencyTest, SubObjectsAreDroppedBeforeTheirWholeObjectAndNotReportedTwice) {
  transam::StartTransaction();
  const Oid t = InsertRelation("t", kPublic);
  testing::InsertAttribute(t, "a", 1);
  testing::InsertAttribute(t, "b", 2);
  const Oid u = InsertRelation("u", kPublic, 'v');
  // u depends on column t.b; dropping column t.b cascades to u.
  RecordDependencyOn(Rel(u), Rel(t, 2), DependencyType::kNormal);
  transam::CommitTransaction();
  transam::StartTransaction();
  Error e = ErrorOf([&] { PerformDeletion(Rel(t, 2), DropBehavior::kRestrict, 0, nullptr); });
  EXPECT_EQ(e.message(), "cannot drop column b of table t because other objects depend on it");
  EXPECT_EQ(e.detail(), "view u depends on column b of table t");
  transam::AbortTransaction();
  transam::StartTransaction();
  NoticeList notices;
  PerformDeletion(Rel(t, 2), DropBehavior::kCascade, 0, &notices);
  ASSERT_EQ(notices.size(), 1u);
  EXPECT_EQ(notices[0].message(), "drop cascades to view u");
  EXPECT_TRUE(RowExists(catalog_oid::kPgClass, t));
  const std::vector<ObjectAddress> order = {Rel(u), Rel(t, 2)};
  EXPECT_EQ(DropLog(), order);
  // Dropping the whole table finds u through its column as well.
  transam::AbortTransaction();
  DropLog().clear();
  transam::StartTransaction();
  notices.clear();
  PerformDeletion(Rel(t), DropBehavior::kCascade, 0, &notices);
  ASSERT_EQ(notices.size(), 1u);
  EXPECT_EQ(notices[0].message(), "drop cascades to view u");
  transam::CommitTransaction();
}

TEST_F(DependencyTest, ARolledBackDropLeavesEverythingAsItWas) {
  const SchemaWithTables s = MakeSchemaWithTables("s", {"t1", "t2"});
  transam::StartTransaction();
  const Oid rowtype = InsertType("t1", s.nsp, s.tables[0]);
  RecordDependencyOn(Typ(rowtype), Rel(s.tables[0]), DependencyType::kInternal);
  {
    const CatalogRelation& d = testing::TestCat(catalog_oid::kPgDescription);
    CatalogRowBuilder b(*d.def, d.desc);
    b.Oid("objoid", s.nsp.value()).Oid("classoid", catalog_oid::kPgNamespace).Int4("objsubid", 0)
        .Text("description", "a schema");
    (void)CatalogInsert(d, b);
  }
  transam::CommitTransaction();
  transam::StartTransaction();
  const size_t depend = CountRows(catalog_oid::kPgDepend);
  const size_t classes = CountRows(catalog_oid::kPgClass);
  const size_t types = CountRows(catalog_oid::kPgType);
  const size_t namespaces = CountRows(catalog_oid::kPgNamespace);
  const size_t descriptions = CountRows(catalog_oid::kPgDescription);
  transam::CommitTransaction();

  transam::StartTransaction();
  PerformDeletion(Nsp(s.nsp), DropBehavior::kCascade, 0, nullptr);
  EXPECT_EQ(CountRows(catalog_oid::kPgDepend), depend - 3);
  EXPECT_EQ(CountRows(catalog_oid::kPgClass), classes - 2);
  EXPECT_EQ(CountRows(catalog_oid::kPgType), types - 1);
  EXPECT_EQ(CountRows(catalog_oid::kPgDescription), descriptions - 1);  // D4
  EXPECT_EQ(GetNamespaceOid("s", true), kInvalidOid);
  transam::AbortTransaction();

  transam::StartTransaction();
  EXPECT_EQ(CountRows(catalog_oid::kPgDepend), depend);
  EXPECT_EQ(CountRows(catalog_oid::kPgClass), classes);
  EXPECT_EQ(CountRows(catalog_oid::kPgType), types);
  EXPECT_EQ(CountRows(catalog_oid::kPgNamespace), namespaces);
  EXPECT_EQ(CountRows(catalog_oid::kPgDescription), descriptions);
  EXPECT_EQ(GetNamespaceOid("s", true), s.nsp);
  EXPECT_EQ(GetDependents(Nsp(s.nsp)).size(), 2u);
  transam::CommitTransaction();
}

TEST_F(DependencyTest, TheLocksPostgresTakesAreHeldUntilCommit) {
  const SchemaWithTables s = MakeSchemaWithTables("s", {"t"});
  transam::StartTransaction();
  PerformDeletion(Nsp(s.nsp), DropBehavior::kCascade, 0, nullptr);
  EXPECT_TRUE(storage::LockHeldByMe(
      storage::ObjectLockTag(kDb.value(), catalog_oid::kPgNamespace, s.nsp.value(), 0),
      storage::LockMode::kAccessExclusive));
  EXPECT_TRUE(storage::LockHeldByMe(storage::RelationLockTag(kDb.value(), s.tables[0].value()),
                                    storage::LockMode::kAccessExclusive));
  EXPECT_TRUE(storage::LockHeldByMe(
      storage::RelationLockTag(kDb.value(), catalog_oid::kPgDepend),
      storage::LockMode::kRowExclusive));
  transam::CommitTransaction();
  EXPECT_FALSE(storage::LockHeldByMe(storage::RelationLockTag(kDb.value(), s.tables[0].value()),
                                     storage::LockMode::kAccessExclusive));
}

TEST_F(DependencyTest, AClassWithoutADropperIsAnError) {
  transam::StartTransaction();
  const Error e = ErrorOf([] {
    PerformDeletion(MakeObjectAddress(catalog_oid::kPgCast, Oid(20000)), DropBehavior::kRestrict,
                    0, nullptr);
  });
  EXPECT_EQ(e.sqlstate(), sqlstate::kInternalError);
  EXPECT_EQ(e.message(), "unsupported object class: 2605");
  transam::AbortTransaction();
}

TEST_F(DependencyTest, SkipOriginalRemovesOnlyTheDependents) {
  const SchemaWithTables s = MakeSchemaWithTables("s", {"t1", "t2"});
  transam::StartTransaction();
  PerformDeletion(Nsp(s.nsp), DropBehavior::kCascade,
                  kDeletionInternal | kDeletionQuietly | kDeletionSkipOriginal, nullptr);
  EXPECT_TRUE(RowExists(catalog_oid::kPgNamespace, s.nsp));
  EXPECT_FALSE(RowExists(catalog_oid::kPgClass, s.tables[0]));
  EXPECT_FALSE(RowExists(catalog_oid::kPgClass, s.tables[1]));
  EXPECT_TRUE(GetDependents(Nsp(s.nsp)).empty());
  transam::CommitTransaction();
}

TEST_F(DependencyTest, DeleteAndChangeDependencyRecords) {
  transam::StartTransaction();
  const Oid t = InsertRelation("t", kPublic);
  const Oid u = InsertRelation("u", kPublic);
  const Oid v = InsertRelation("v", kPublic);
  RecordDependencyOn(Rel(t), Rel(u), DependencyType::kNormal);
  RecordDependencyOn(Rel(t), Rel(v), DependencyType::kAuto);
  RecordDependencyOn(Rel(t), Nsp(kPublic), DependencyType::kNormal);
  RecordDependencyOn(Rel(t), Rel(u, 1), DependencyType::kExtension);
  transam::CommandCounterIncrement();
  // Repoint t's rows on u to v (the column row too: same refobjid).
  EXPECT_EQ(ChangeDependencyFor(Oid(catalog_oid::kPgClass), t, Oid(catalog_oid::kPgClass), u, v), 2);
  transam::CommandCounterIncrement();
  EXPECT_TRUE(GetDependents(Rel(u)).empty());
  EXPECT_EQ(GetDependents(Rel(v)).size(), 3u);
  // Onto a pinned object: the rows go; from a pinned one: a normal row appears.
  EXPECT_EQ(ChangeDependencyFor(Oid(catalog_oid::kPgClass), t, Oid(catalog_oid::kPgNamespace),
                                kPublic, Oid(kPgCatalogNamespace)), 1);
  transam::CommandCounterIncrement();
  EXPECT_TRUE(GetDependents(Nsp(kPublic)).empty());
  EXPECT_EQ(ChangeDependencyFor(Oid(catalog_oid::kPgClass), t, Oid(catalog_oid::kPgNamespace),
                                Oid(kPgCatalogNamespace), kPublic), 1);
  transam::CommandCounterIncrement();
  ASSERT_EQ(GetDependents(Nsp(kPublic)).size(), 1u);
  EXPECT_EQ(GetDependents(Nsp(kPublic))[0].type, DependencyType::kNormal);
  EXPECT_EQ(DeleteDependencyRecordsForClass(Oid(catalog_oid::kPgClass), t,
                                            Oid(catalog_oid::kPgClass), DependencyType::kAuto), 1);
  transam::CommandCounterIncrement();
  EXPECT_EQ(GetDependencies(Rel(t)).size(), 3u);
  EXPECT_EQ(DeleteDependencyRecordsFor(Oid(catalog_oid::kPgClass), t, true), 2);
  transam::CommandCounterIncrement();
  ASSERT_EQ(GetDependencies(Rel(t)).size(), 1u);
  EXPECT_EQ(GetDependencies(Rel(t))[0].type, DependencyType::kExtension);
  EXPECT_EQ(DeleteDependencyRecordsFor(Oid(catalog_oid::kPgClass), t, false), 1);
  transam::CommandCounterIncrement();
  EXPECT_TRUE(GetDependencies(Rel(t)).empty());
  transam::CommitTransaction();
}

TEST_F(DependencyTest, OwnersAreRecordedInPgShdepend) {
  transam::StartTransaction();
  const Oid bob = testing::InsertRole("bob");
  transam::CommandCounterIncrement();
  const size_t before = CountRows(catalog_oid::kPgShdepend);
  const Oid owned = NamespaceCreate("bobs", bob, false);
  transam::CommandCounterIncrement();
  const Oid mine = NamespaceCreate("mine", testing::kSuperuser, false);  // pinned owner
  (void)mine;
  transam::CommandCounterIncrement();
  EXPECT_EQ(CountRows(catalog_oid::kPgShdepend), before + 1);
  std::string detail, detail_log;
  ASSERT_TRUE(CheckSharedDependencies(Oid(catalog_oid::kPgAuthid), bob, &detail, &detail_log));
  EXPECT_EQ(detail, "owner of schema bobs");
  EXPECT_EQ(detail_log, detail);
  EXPECT_FALSE(CheckSharedDependencies(Oid(catalog_oid::kPgAuthid), testing::kSuperuser,
                                       &detail, nullptr));
  // Ownership moves to the superuser (pinned: the row goes) and back.
  ChangeDependencyOnOwner(Oid(catalog_oid::kPgNamespace), owned, testing::kSuperuser);
  transam::CommandCounterIncrement();
  EXPECT_FALSE(CheckSharedDependencies(Oid(catalog_oid::kPgAuthid), bob, nullptr, nullptr));
  ChangeDependencyOnOwner(Oid(catalog_oid::kPgNamespace), owned, bob);
  transam::CommandCounterIncrement();
  EXPECT_TRUE(CheckSharedDependencies(Oid(catalog_oid::kPgAuthid), bob, nullptr, nullptr));
  // Dropping the schema removes its pg_shdepend row.
  PerformDeletion(Nsp(owned), DropBehavior::kRestrict, 0, nullptr);
  EXPECT_FALSE(CheckSharedDependencies(Oid(catalog_oid::kPgAuthid), bob, nullptr, nullptr));
  EXPECT_EQ(CountRows(catalog_oid::kPgShdepend), before);
  // A role that does not exist (dropped concurrently) cannot become an owner.
  const Error e = ErrorOf([] {
    RecordDependencyOnOwner(Oid(catalog_oid::kPgNamespace), Oid(30000), Oid(99999));
  });
  EXPECT_EQ(e.sqlstate(), sqlstate::kUndefinedObject);
  EXPECT_EQ(e.message(), "role 99999 was concurrently dropped");
  transam::AbortTransaction();
}

struct SharedFlags {
  std::atomic<int> child_done;
};

// Session A drops s.t1 and holds its lock; session B's DROP SCHEMA s CASCADE waits for that
// lock, and once A commits skips t1 (its pg_depend row is gone) instead of failing (D3).
TEST_F(DependencyTest, ADependentDroppedConcurrentlyIsSkipped) {
  const SchemaWithTables s = MakeSchemaWithTables("s", {"t1", "t2"});
  void* mem = mmap(nullptr, sizeof(SharedFlags), PROT_READ | PROT_WRITE,
                   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  ASSERT_NE(mem, MAP_FAILED);
  auto* flags = new (mem) SharedFlags{};

  transam::StartTransaction();
  PerformDeletion(Rel(s.tables[0]), DropBehavior::kRestrict, 0, nullptr);  // A holds t1

  const pid_t b = harness_.ForkBackend([&] {
    transam::StartTransaction();
    NoticeList notices;
    PerformDeletion(Nsp(s.nsp), DropBehavior::kCascade, 0, &notices);
    transam::CommitTransaction();
    if (notices.size() != 1) return 10;
    if (notices[0].message() != "drop cascades to table s.t2") return 11;
    flags->child_done.store(1);
    return 0;
  });
  const storage::LockTag t1_tag = storage::RelationLockTag(kDb.value(), s.tables[0].value());
  EXPECT_TRUE(storage::testing::WaitUntil([&] { return storage::LockNumWaiters(t1_tag) > 0; }));
  EXPECT_EQ(flags->child_done.load(), 0);
  transam::CommitTransaction();
  EXPECT_EQ(harness_.Wait(b), 0);

  transam::StartTransaction();
  EXPECT_FALSE(RowExists(catalog_oid::kPgNamespace, s.nsp));
  EXPECT_FALSE(RowExists(catalog_oid::kPgClass, s.tables[1]));
  transam::CommitTransaction();
  munmap(mem, sizeof(SharedFlags));
}

}  // namespace
}  // namespace keel::catalog
