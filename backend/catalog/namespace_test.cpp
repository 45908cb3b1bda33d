// search_path resolution and name lookups (README.md N1-N6) over a bootstrapped catalog:
// "$user", implicit and explicit pg_catalog, quoting, re-resolution on changes, relation and
// type lookups, creation namespaces, the per-backend temporary namespace, and the namespace
// lock that makes DROP SCHEMA wait for a creating transaction.
#include "backend/catalog/namespace.h"

#include <gtest/gtest.h>

#include <functional>

#include "backend/catalog/catalog_test_util.h"
#include "backend/utils/config/config.h"
#include "storage/ipc/fork_test_util.h"
#include "storage/ipc/proc_array.h"
#include "storage/ipc/process_context.h"

namespace keel::catalog {
namespace {

using testing::CatalogTest;
using testing::ErrorOf;
using testing::InsertRelation;
using testing::kDb;

constexpr Oid kPgCatalog{kPgCatalogNamespace};
constexpr Oid kPublic{kPublicNamespace};

Oid CreateNs(std::string_view name, Oid owner = testing::kSuperuser) {
  const Oid nsp = NamespaceCreate(name, owner, false);
  transam::CommandCounterIncrement();
  return nsp;
}

void SetSearchPath(const char* value) {
  config::SetSetting("search_path", value, config::SettingSource::kSession,
                     config::Phase::kRunning);
}

class NamespaceTest : public CatalogTest {
 protected:
  void TearDown() override {
    config::ResetSetting("search_path");
    CatalogTest::TearDown();
  }
};

TEST_F(NamespaceTest, TheDefaultPathIsPgCatalogThenPublic) {
  transam::StartTransaction();
  EXPECT_EQ(NamespaceSearchPath(), (std::vector<Oid>{kPgCatalog, kPublic}));
  EXPECT_EQ(NamespaceSearchPath(false), (std::vector<Oid>{kPublic}));
  EXPECT_EQ(DefaultCreationNamespace(), kPublic);
  transam::CommitTransaction();
}

TEST_F(NamespaceTest, DollarUserMeansTheSchemaNamedAfterTheCurrentRole) {
  transam::StartTransaction();
  const Oid alice = CreateNs("alice");  // the test superuser is "alice"
  EXPECT_EQ(NamespaceSearchPath(), (std::vector<Oid>{kPgCatalog, alice, kPublic}));
  EXPECT_EQ(DefaultCreationNamespace(), alice);
  // Another role: "$user" follows it (its own schema, or nothing).
  const Oid bob = testing::InsertRole("bob");
  SetMyRole(bob);
  EXPECT_EQ(NamespaceSearchPath(), (std::vector<Oid>{kPgCatalog, kPublic}));
  const Oid bobs = CreateNs("bob");
  EXPECT_EQ(NamespaceSearchPath(), (std::vector<Oid>{kPgCatalog, bobs, kPublic}));
  SetMyRole(testing::kSuperuser);
  EXPECT_EQ(NamespaceSearchPath(), (std::vector<Oid>{kPgCatalog, alice, kPublic}));
  transam::CommitTransaction();
}

TEST_F(NamespaceTest, PgCatalogComesFirstUnlessListed) {
  transam::StartTransaction();
  const Oid s1 = CreateNs("s1");
  SetSearchPath("s1, pg_catalog, public");
  EXPECT_EQ(NamespaceSearchPath(), (std::vector<Oid>{s1, kPgCatalog, kPublic}));
  EXPECT_EQ(DefaultCreationNamespace(), s1);
  SetSearchPath("pg_catalog");
  EXPECT_EQ(NamespaceSearchPath(), (std::vector<Oid>{kPgCatalog}));
  EXPECT_EQ(DefaultCreationNamespace(), kPgCatalog);
  // A table named like a catalog: found in pg_catalog first unless public comes before it.
  const Oid mine = InsertRelation("pg_class", kPublic);
  SetSearchPath("public");
  EXPECT_EQ(RelnameGetRelid("pg_class"), Oid(catalog_oid::kPgClass));
  SetSearchPath("public, pg_catalog");
  EXPECT_EQ(RelnameGetRelid("pg_class"), mine);
  transam::CommitTransaction();
}

TEST_F(NamespaceTest, NamesAreDowncasedUnlessQuotedMissingOnesSkippedDuplicatesOnce) {
  transam::StartTransaction();
  const Oid upper = CreateNs("MySchema");
  const Oid lower = CreateNs("myschema");
  SetSearchPath(" \"MySchema\" ,MYSCHEMA,nosuch, \"MySchema\", public, myschema ");
  EXPECT_EQ(NamespaceSearchPath(), (std::vector<Oid>{kPgCatalog, upper, lower, kPublic}));
  SetSearchPath("\"my\"\"quoted\"");
  const Oid quoted = CreateNs("my\"quoted");
  EXPECT_EQ(NamespaceSearchPath(), (std::vector<Oid>{kPgCatalog, quoted}));
  transam::CommitTransaction();
}

TEST_F(NamespaceTest, AMalformedPathIsAnErrorAndAnEmptyOneHasNoCreationSchema) {
  transam::StartTransaction();
  for (const char* bad : {"public,", "\"unterminated", "a b", ",public", "\"\""}) {
    settings::search_path = bad;
    const Error e = ErrorOf([] { (void)NamespaceSearchPath(); });
    EXPECT_EQ(e.sqlstate(), sqlstate::kInvalidParameterValue) << bad;
    EXPECT_EQ(e.message(), std::string("invalid value for parameter \"search_path\": \"") + bad +
                               "\"");
    EXPECT_EQ(e.detail(), "List syntax is invalid.");
  }
  settings::search_path = "";
  EXPECT_EQ(NamespaceSearchPath(), (std::vector<Oid>{kPgCatalog}));
  EXPECT_EQ(DefaultCreationNamespace(), kInvalidOid);
  const Error e = ErrorOf([] { (void)RangeVarGetCreationNamespace(RangeVar{"", "", "t"}); });
  EXPECT_EQ(e.sqlstate(), sqlstate::kInvalidSchemaName);
  EXPECT_EQ(e.message(), "no schema has been selected to create in");
  transam::CommitTransaction();
}

TEST_F(NamespaceTest, ThePathFollowsSchemasCreatedAndDroppedAndRolledBack) {
  SetSearchPath("s1, public");
  transam::StartTransaction();
  EXPECT_EQ(NamespaceSearchPath(), (std::vector<Oid>{kPgCatalog, kPublic}));
  const Oid s1 = CreateNs("s1");
  EXPECT_EQ(NamespaceSearchPath(), (std::vector<Oid>{kPgCatalog, s1, kPublic}));
  transam::AbortTransaction();
  transam::StartTransaction();
  EXPECT_EQ(NamespaceSearchPath(), (std::vector<Oid>{kPgCatalog, kPublic}));
  const Oid again = CreateNs("s1");
  transam::CommitTransaction();
  transam::StartTransaction();
  EXPECT_EQ(NamespaceSearchPath(), (std::vector<Oid>{kPgCatalog, again, kPublic}));
  PerformDeletion(MakeObjectAddress(catalog_oid::kPgNamespace, again), DropBehavior::kRestrict, 0,
                  nullptr);
  EXPECT_EQ(NamespaceSearchPath(), (std::vector<Oid>{kPgCatalog, kPublic}));
  transam::CommitTransaction();
}

TEST_F(NamespaceTest, RelationLookupsFollowThePathAndReportMissingNames) {
  transam::StartTransaction();
  const Oid s1 = CreateNs("s1");
  const Oid s2 = CreateNs("s2");
  const Oid t1 = InsertRelation("t", s1);
  const Oid t2 = InsertRelation("t", s2);
  SetSearchPath("s1, s2");
  EXPECT_EQ(RelnameGetRelid("t"), t1);
  EXPECT_EQ(RangeVarGetRelid(RangeVar{"", "", "t"}, storage::LockMode::kNoLock, false), t1);
  SetSearchPath("s2, s1");
  EXPECT_EQ(RelnameGetRelid("t"), t2);
  EXPECT_EQ(RangeVarGetRelid(RangeVar{"", "s1", "t"}, storage::LockMode::kAccessShare, false), t1);
  EXPECT_TRUE(storage::LockHeldByMe(storage::RelationLockTag(kDb.value(), t1.value()),
                                    storage::LockMode::kAccessShare));
  EXPECT_EQ(RangeVarGetRelid(RangeVar{"postgres", "s1", "t"}, storage::LockMode::kNoLock, false),
            t1);
  EXPECT_EQ(RelnameGetRelid("nope"), kInvalidOid);
  EXPECT_EQ(RangeVarGetRelid(RangeVar{"", "", "nope"}, storage::LockMode::kAccessShare, true),
            kInvalidOid);
  EXPECT_EQ(RangeVarGetRelid(RangeVar{"", "gone", "t"}, storage::LockMode::kAccessShare, true),
            kInvalidOid);

  Error e = ErrorOf([] {
    (void)RangeVarGetRelid(RangeVar{"", "", "nope"}, storage::LockMode::kAccessShare, false);
  });
  EXPECT_EQ(e.sqlstate(), sqlstate::kUndefinedTable);
  EXPECT_EQ(e.message(), "relation \"nope\" does not exist");
  e = ErrorOf([] {
    (void)RangeVarGetRelid(RangeVar{"", "s1", "nope"}, storage::LockMode::kAccessShare, false);
  });
  EXPECT_EQ(e.message(), "relation \"s1.nope\" does not exist");
  e = ErrorOf([] {
    (void)RangeVarGetRelid(RangeVar{"", "gone", "t"}, storage::LockMode::kAccessShare, false);
  });
  EXPECT_EQ(e.sqlstate(), sqlstate::kInvalidSchemaName);
  EXPECT_EQ(e.message(), "schema \"gone\" does not exist");
  e = ErrorOf([] { (void)LookupNamespace("gone"); });
  EXPECT_EQ(e.message(), "schema \"gone\" does not exist");
  e = ErrorOf([] {
    (void)RangeVarGetRelid(RangeVar{"otherdb", "s1", "t"}, storage::LockMode::kNoLock, true);
  });
  EXPECT_EQ(e.sqlstate(), sqlstate::kFeatureNotSupported);
  EXPECT_EQ(e.message(), "cross-database references are not implemented: \"otherdb.s1.t\"");
  const std::string four[] = {"a", "b", "c", "d"};
  e = ErrorOf([&] { (void)RangeVarFromNameList(four); });
  EXPECT_EQ(e.sqlstate(), sqlstate::kSyntaxError);
  EXPECT_EQ(e.message(), "improper relation name (too many dotted names): a.b.c.d");
  transam::CommitTransaction();
}

TEST_F(NamespaceTest, TypeLookupsAndVisibility) {
  transam::StartTransaction();
  EXPECT_EQ(TypenameGetTypid("int4"), Oid(23));
  EXPECT_EQ(TypenameGetTypid("nosuchtype"), kInvalidOid);
  const Oid s1 = CreateNs("s1");
  const Oid shadow = testing::InsertType("int4", s1);  // hidden behind pg_catalog.int4
  const Oid own = testing::InsertType("mytype", s1);
  SetSearchPath("s1");
  EXPECT_EQ(TypenameGetTypid("int4"), Oid(23));
  EXPECT_EQ(TypenameGetTypid("mytype"), own);
  EXPECT_TRUE(TypeIsVisible(own));
  EXPECT_FALSE(TypeIsVisible(shadow));
  EXPECT_TRUE(TypeIsVisible(Oid(23)));
  SetSearchPath("public");
  EXPECT_FALSE(TypeIsVisible(own));
  const Oid t = InsertRelation("t", s1);
  EXPECT_FALSE(RelationIsVisible(t));
  SetSearchPath("public, s1");
  EXPECT_TRUE(RelationIsVisible(t));
  const Oid hider = InsertRelation("t", kPublic);
  EXPECT_FALSE(RelationIsVisible(t));
  EXPECT_TRUE(RelationIsVisible(hider));
  EXPECT_TRUE(NamespaceIsInSearchPath(s1));
  EXPECT_TRUE(NamespaceIsInSearchPath(kPgCatalog));
  transam::CommitTransaction();
}

TEST_F(NamespaceTest, CreationNamespaces) {
  transam::StartTransaction();
  const Oid s1 = CreateNs("s1");
  EXPECT_EQ(RangeVarGetCreationNamespace(RangeVar{"", "s1", "t"}), s1);
  EXPECT_EQ(RangeVarGetCreationNamespace(RangeVar{"", "", "t"}), kPublic);
  Error e = ErrorOf([] { (void)RangeVarGetCreationNamespace(RangeVar{"", "gone", "t"}); });
  EXPECT_EQ(e.sqlstate(), sqlstate::kInvalidSchemaName);
  EXPECT_EQ(e.message(), "schema \"gone\" does not exist");
  e = ErrorOf([] { (void)RangeVarGetCreationNamespace(RangeVar{"", "public", "t", 't'}); });
  EXPECT_EQ(e.sqlstate(), sqlstate::kInvalidTableDefinition);
  EXPECT_EQ(e.message(), "cannot create temporary relation in non-temporary schema");
  // The creating transaction holds AccessShareLock on the schema and learns of a clash.
  const Oid existing = InsertRelation("t", s1);
  Oid found = kInvalidOid;
  EXPECT_EQ(RangeVarGetAndCheckCreationNamespace(RangeVar{"", "s1", "t"}, &found), s1);
  EXPECT_EQ(found, existing);
  EXPECT_TRUE(storage::LockHeldByMe(
      storage::ObjectLockTag(kDb.value(), catalog_oid::kPgNamespace, s1.value(), 0),
      storage::LockMode::kAccessShare));
  transam::CommitTransaction();
}

// N2: what "$user" and the listed names mean changes with pg_authid and pg_namespace rows that
// another session writes; those writes send catalog-row messages only (C17), and the path
// follows each commit at this backend's next accept: a role renamed, then dropped; a listed
// schema renamed away and another one created under the listed name.
TEST_F(NamespaceTest, ThePathFollowsRolesAndSchemasChangedByAnotherSession) {
  transam::StartTransaction();
  const Oid carol = testing::InsertRole("carol");
  const Oid carols = CreateNs("carol");
  const Oid daves = CreateNs("dave");
  transam::CommitTransaction();
  SetMyRole(carol);
  transam::StartTransaction();
  EXPECT_EQ(NamespaceSearchPath(), (std::vector<Oid>{kPgCatalog, carols, kPublic}));
  transam::CommitTransaction();

  const auto in_other_session = [&](std::function<void()> change) {
    const pid_t pid = harness_.ForkBackend([&change] {
      transam::StartTransaction();
      change();
      transam::CommitTransaction();
      return 0;
    });
    EXPECT_EQ(harness_.Wait(pid), 0);
    (void)cache::AcceptInvalidationMessages();
  };
  in_other_session([carol] { testing::RenameRole(carol, "dave"); });
  transam::StartTransaction();
  EXPECT_EQ(NamespaceSearchPath(), (std::vector<Oid>{kPgCatalog, daves, kPublic}));
  transam::CommitTransaction();

  in_other_session([carol] { testing::DeleteRowByOid(catalog_oid::kPgAuthid, carol); });
  transam::StartTransaction();
  EXPECT_EQ(NamespaceSearchPath(), (std::vector<Oid>{kPgCatalog, kPublic}));
  EXPECT_EQ(DefaultCreationNamespace(), kPublic);
  transam::CommitTransaction();

  in_other_session([] { RenameNamespaceRow(kPublic, "old_public"); });
  transam::StartTransaction();
  EXPECT_EQ(NamespaceSearchPath(), (std::vector<Oid>{kPgCatalog}));
  EXPECT_EQ(DefaultCreationNamespace(), kInvalidOid);
  transam::CommitTransaction();

  in_other_session([] { (void)CreateNs("public"); });
  transam::StartTransaction();
  const Oid new_public = GetNamespaceOid("public", false);
  EXPECT_NE(new_public, kPublic);
  EXPECT_EQ(NamespaceSearchPath(), (std::vector<Oid>{kPgCatalog, new_public}));
  transam::CommitTransaction();
}

// N7: the persistence CREATE gets back is adjusted to the creation namespace, with
// PostgreSQL's 42P16 errors. In a forked backend (its own temporary namespace).
TEST_F(NamespaceTest, PersistenceIsAdjustedToTheCreationNamespace) {
  const pid_t pid = harness_.ForkBackend([] {
    const auto error_of = [](RangeVar rv) -> std::string {
      try {
        (void)RangeVarGetCreationNamespace(rv);
      } catch (const Error& e) {
        return std::string(e.sqlstate() == sqlstate::kInvalidTableDefinition ? "42P16 " : "? ") +
               e.message();
      }
      return "no error";
    };
    transam::StartTransaction();
    char persistence = 0;
    const Oid temp = RangeVarGetCreationNamespace(RangeVar{"", "pg_temp", "t", 'p'}, &persistence);
    if (temp != MyTempNamespace() || temp == kInvalidOid || persistence != 't') return 1;
    if (RangeVarGetCreationNamespace(RangeVar{"", "", "t", 't'}, &persistence) != temp ||
        persistence != 't') {
      return 2;
    }
    if (RangeVarGetCreationNamespace(RangeVar{"", "", "t", 'p'}, &persistence) != kPublic ||
        persistence != 'p') {
      return 3;
    }
    if (RangeVarGetCreationNamespace(RangeVar{"", "public", "t", 'u'}, &persistence) != kPublic ||
        persistence != 'u') {
      return 4;
    }
    if (error_of(RangeVar{"", "pg_temp", "t", 'u'}) !=
        "42P16 only temporary relations may be created in temporary schemas") {
      return 5;
    }
    // pg_temp listed first: an unqualified permanent relation becomes temporary there.
    settings::search_path = "pg_temp, public";
    if (RangeVarGetCreationNamespace(RangeVar{"", "", "t", 'p'}, &persistence) != temp ||
        persistence != 't') {
      return 6;
    }
    if (error_of(RangeVar{"", "", "t", 'u'}) !=
        "42P16 only temporary relations may be created in temporary schemas") {
      return 7;
    }
    Oid existing = kInvalidOid;
    persistence = 0;
    if (RangeVarGetAndCheckCreationNamespace(RangeVar{"", "", "t", 'p'}, &existing,
                                             &persistence) != temp ||
        persistence != 't') {
      return 8;
    }
    // Another backend's temporary schema.
    (void)CreateNs("pg_temp_999");
    if (error_of(RangeVar{"", "pg_temp_999", "t", 'p'}) !=
        "42P16 cannot create relations in temporary schemas of other sessions") {
      return 9;
    }
    if (error_of(RangeVar{"", "pg_temp_999", "t", 't'}) !=
        "42P16 cannot create relations in temporary schemas of other sessions") {
      return 10;
    }
    if (error_of(RangeVar{"", "pg_temp_999", "t", 'u'}) !=
        "42P16 only temporary relations may be created in temporary schemas") {
      return 11;
    }
    transam::CommitTransaction();
    return 0;
  });
  EXPECT_EQ(harness_.Wait(pid), 0);
}

// N6: after Crash() this process is a new backend of the recovered server (ServerHarness
// resets its namespace state): it has no temporary namespace until it needs one, and then the
// leftover pg_temp_N of its slot is emptied and reused (N4).
TEST_F(NamespaceTest, AfterACrashTheBackendHasNoTemporaryNamespace) {
  transam::StartTransaction();
  const Oid temp = InitTempTableNamespace();
  const Oid t = InsertRelation("t", temp);
  RecordDependencyOn(MakeObjectAddress(catalog_oid::kPgClass, t),
                     MakeObjectAddress(catalog_oid::kPgNamespace, temp), DependencyType::kNormal);
  transam::CommitTransaction();
  transam::StartTransaction();
  EXPECT_EQ(NamespaceSearchPath(), (std::vector<Oid>{temp, kPgCatalog, kPublic}));
  transam::CommitTransaction();
  harness_.Crash();
  EXPECT_EQ(MyTempNamespace(), kInvalidOid);
  transam::StartTransaction();
  EXPECT_EQ(NamespaceSearchPath(), (std::vector<Oid>{kPgCatalog, kPublic}));
  // The same proc slot (the first free one of the new proc array), so the same pg_temp_N.
  EXPECT_EQ(InitTempTableNamespace(), temp);
  EXPECT_EQ(GetRelnameRelid("t", temp), kInvalidOid);
  transam::CommitTransaction();
}

// The temporary namespace is per backend: each case runs in a forked backend (fresh
// process-local state), which reports failures through its exit code.
TEST_F(NamespaceTest, TheTemporaryNamespaceIsCreatedOnFirstUseAndSearchedFirst) {
  const pid_t pid = harness_.ForkBackend([] {
    transam::StartTransaction();
    if (MyTempNamespace() != kInvalidOid) return 1;
    if (LookupExplicitNamespace("pg_temp", true) != kInvalidOid) return 2;
    const Oid temp = RangeVarGetCreationNamespace(RangeVar{"", "", "tt", 't'});
    const int n = storage::CurrentProcess().proc->slot_idx + 1;
    if (GetNamespaceName(temp) != "pg_temp_" + std::to_string(n)) return 3;
    if (!GetNamespaceName(MyTempToastNamespace()) ||
        *GetNamespaceName(MyTempToastNamespace()) != "pg_toast_temp_" + std::to_string(n)) {
      return 4;
    }
    if (NamespaceSearchPath() != std::vector<Oid>{temp, kPgCatalog, kPublic}) return 5;
    if (LookupExplicitNamespace("pg_temp", false) != temp) return 6;
    if (!IsTempNamespace(temp) || !IsAnyTempNamespace(temp) || IsAnyTempNamespace(kPublic)) return 7;
    // A temporary table hides a permanent one of the same name.
    const Oid perm = InsertRelation("t", kPublic);
    const Oid tmp = InsertRelation("t", temp);
    if (RelnameGetRelid("t") != tmp) return 8;
    if (RangeVarGetRelid(RangeVar{"", "pg_temp", "t"}, storage::LockMode::kNoLock, false) != tmp) {
      return 9;
    }
    if (RangeVarGetRelid(RangeVar{"", "", "t", 't'}, storage::LockMode::kNoLock, false) != tmp) {
      return 10;
    }
    if (RangeVarGetRelid(RangeVar{"", "public", "t"}, storage::LockMode::kNoLock, false) != perm) {
      return 11;
    }
    transam::CommitTransaction();
    return 0;
  });
  EXPECT_EQ(harness_.Wait(pid), 0);
}

TEST_F(NamespaceTest, ATemporaryNamespaceCreatedInAnAbortedTransactionIsForgotten) {
  const pid_t pid = harness_.ForkBackend([] {
    transam::StartTransaction();
    const Oid temp = InitTempTableNamespace();
    transam::AbortTransaction();
    if (MyTempNamespace() != kInvalidOid) return 1;
    transam::StartTransaction();
    if (GetNamespaceName(temp).has_value()) return 2;
    if (NamespaceSearchPath() != std::vector<Oid>{kPgCatalog, kPublic}) return 3;
    // In a savepoint: rolled back with it; released: kept with the transaction.
    transam::DefineSavepoint("a");
    (void)InitTempTableNamespace();
    transam::RollbackToSavepoint("a");
    if (MyTempNamespace() != kInvalidOid) return 4;
    const Oid kept = InitTempTableNamespace();
    transam::ReleaseSavepoint("a");
    transam::CommitTransaction();
    if (MyTempNamespace() != kept) return 5;
    transam::StartTransaction();
    if (!GetNamespaceName(kept).has_value()) return 6;
    transam::AbortTransaction();  // committed before: survives this abort
    if (MyTempNamespace() != kept) return 7;
    return 0;
  });
  EXPECT_EQ(harness_.Wait(pid), 0);
}

TEST_F(NamespaceTest, PgTempListedFirstBecomesTheCreationNamespace) {
  SetSearchPath("pg_temp, public");
  const pid_t pid = harness_.ForkBackend([] {
    transam::StartTransaction();
    if (NamespaceSearchPath() != std::vector<Oid>{kPgCatalog, kPublic}) return 1;
    const Oid temp = RangeVarGetCreationNamespace(RangeVar{"", "", "t"});
    if (temp != MyTempNamespace() || temp == kInvalidOid) return 2;
    // Listed explicitly, it keeps its place after the implicit pg_catalog.
    if (NamespaceSearchPath() != std::vector<Oid>{kPgCatalog, temp, kPublic}) return 3;
    if (DefaultCreationNamespace() != temp) return 4;
    transam::CommitTransaction();
    return 0;
  });
  EXPECT_EQ(harness_.Wait(pid), 0);
}

// A pg_temp_N left behind by a crashed backend of the same slot is emptied and reused.
TEST_F(NamespaceTest, ALeftoverTemporaryNamespaceIsEmptiedAndReused) {
  const pid_t pid = harness_.ForkBackend([] {
    const int n = storage::CurrentProcess().proc->slot_idx + 1;
    transam::StartTransaction();
    const Oid leftover = CreateNs("pg_temp_" + std::to_string(n));
    const Oid t = InsertRelation("t", leftover);
    RecordDependencyOn(MakeObjectAddress(catalog_oid::kPgClass, t),
                       MakeObjectAddress(catalog_oid::kPgNamespace, leftover),
                       DependencyType::kNormal);
    transam::CommitTransaction();
    transam::StartTransaction();
    if (InitTempTableNamespace() != leftover) return 1;
    if (GetRelnameRelid("t", leftover) != kInvalidOid) return 2;
    transam::CommitTransaction();
    return 0;
  });
  EXPECT_EQ(harness_.Wait(pid), 0);
}

// DROP SCHEMA waits for a transaction that is creating something in the schema (N5).
TEST_F(NamespaceTest, DropSchemaWaitsForATransactionCreatingInIt) {
  transam::StartTransaction();
  const Oid s1 = CreateNs("s1");
  transam::CommitTransaction();
  transam::StartTransaction();
  Oid existing = kInvalidOid;
  EXPECT_EQ(RangeVarGetAndCheckCreationNamespace(RangeVar{"", "s1", "t"}, &existing), s1);
  const pid_t pid = harness_.ForkBackend([s1] {
    transam::StartTransaction();
    PerformDeletion(MakeObjectAddress(catalog_oid::kPgNamespace, s1), DropBehavior::kRestrict, 0,
                    nullptr);
    transam::CommitTransaction();
    return 0;
  });
  const storage::LockTag tag =
      storage::ObjectLockTag(kDb.value(), catalog_oid::kPgNamespace, s1.value(), 0);
  EXPECT_TRUE(storage::testing::WaitUntil([&] { return storage::LockNumWaiters(tag) > 0; }));
  transam::CommitTransaction();
  EXPECT_EQ(harness_.Wait(pid), 0);
  transam::StartTransaction();
  EXPECT_EQ(GetNamespaceOid("s1", true), kInvalidOid);
  transam::CommitTransaction();
}

}  // namespace
}  // namespace keel::catalog
