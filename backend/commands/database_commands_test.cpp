// CREATE / DROP / ALTER DATABASE through their statement functions (README.md "Databases"):
// the copy of template1 and its catalogs, the pg_database / pg_shdepend rows, rollback and
// commit of the directory, every error, sessions of other (forked) backends in the database
// (55006, DROP ... FORCE), persistence across a crash, rename / alter / owner changes.
#include "backend/commands/database_commands.h"

#include <gtest/gtest.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <new>
#include <set>
#include <thread>

#include "access/transam/wal.h"
#include "backend/catalog/catalog_test_util.h"
#include "backend/commands/comment.h"
#include "backend/commands/transaction_block.h"
#include "backend/utils/error/format.h"
#include "backend/utils/init/interrupts.h"
#include "storage/ipc/proc_array.h"
#include "storage/ipc/process_context.h"
#include "storage/smgr/database_dir.h"

namespace keel::commands {
namespace {

using catalog::testing::ErrorOf;
using catalog::testing::kDb;
using catalog::testing::kSuperuser;
namespace catalog_oid = catalog::catalog_oid;
using Opt = DatabaseOption;

constexpr Oid kTemplate1{catalog::kTemplate1Database};

bool DirectoryExists(Oid db) {
  struct stat st;
  return stat(storage::DatabaseDirectoryPath(db).c_str(), &st) == 0;
}

const catalog::CatalogRelation& PgDatabase() {
  return catalog::testing::TestCat(catalog_oid::kPgDatabase);
}

std::optional<access::HeapTuple> DatabaseRowByName(std::string_view name) {
  const std::vector<std::byte> key = catalog::MakeName(name);
  const access::Datum keys[] = {access::PointerGetDatum(key.data())};
  std::vector<access::HeapTuple> rows =
      catalog::CatalogIndexScan(PgDatabase(), 2671, keys, transam::GetLatestSnapshot());
  if (rows.empty()) return std::nullopt;
  return rows.front();
}

// Oids of the pg_class rows of database `db`'s own catalogs.
std::set<uint32_t> ClassOids(Oid db) {
  const catalog::CatalogRelation& pc = catalog::OpenCatalog(catalog_oid::kPgClass, db);
  std::set<uint32_t> oids;
  for (const access::HeapTuple& row : catalog::CatalogSeqScan(pc, transam::GetLatestSnapshot())) {
    oids.insert(catalog::CatalogGetOid(pc, row, "oid"));
  }
  return oids;
}

// The owner rows (pg_shdepend) that reference `role`, as DROP ROLE would report them.
std::string OwnedBy(Oid role) {
  std::string detail;
  if (!catalog::CheckSharedDependencies(Oid(catalog_oid::kPgAuthid), role, &detail, nullptr)) {
    return "";
  }
  return detail;
}

void SetRoleFlag(Oid role, const char* column, bool value) {
  const catalog::CatalogRelation& au = catalog::testing::TestCat(catalog_oid::kPgAuthid);
  std::optional<access::HeapTuple> row =
      catalog::CatalogLookupByOid(au, role, transam::GetLatestSnapshot());
  catalog::CatalogRowBuilder b(*au.def, au.desc);
  b.From(*row).Bool(column, value);
  (void)catalog::CatalogUpdate(au, row->self, b);
  transam::CommandCounterIncrement();
}

Oid Create(const std::string& name, std::vector<DatabaseOption> options = {},
           catalog::NoticeList* notices = nullptr) {
  return CreateDatabase(CreatedbStmt{name, std::move(options)}, notices);
}

// Flags shared with forked "sessions" (MAP_SHARED: the same bytes in parent and children).
struct SharedFlags {
  std::atomic<int> ready{0};
  std::atomic<int> release{0};
};

// The catalog test harness plus template1's own catalogs (base/1), as keel-initdb leaves them.
class DatabaseCommandsTest : public catalog::testing::CatalogTest {
 protected:
  void SetUp() override {
    CatalogTest::SetUp();
    ASSERT_EQ(mkdir(storage::DatabaseDirectoryPath(kTemplate1).c_str(), 0700), 0);
    transam::StartTransaction();
    catalog::BootstrapOptions options;
    options.database = kTemplate1;
    options.superuser = "alice";
    (void)catalog::BootstrapCatalogs(options, /*create_shared=*/false);
    transam::CommitTransaction();
#ifdef KEEL_DEBUG
    TestOnlySetBusyDatabaseWaitMs(2000);
#endif
    void* mem = mmap(nullptr, sizeof(SharedFlags), PROT_READ | PROT_WRITE,
                     MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    ASSERT_NE(mem, MAP_FAILED);
    flags_ = new (mem) SharedFlags();
  }

  void TearDown() override {
    CatalogTest::TearDown();
    SetInTransactionBlock(false);
    munmap(flags_, sizeof(SharedFlags));
  }

  // A forked backend whose proc slot says it is connected to `db` as `role` until released
  // (exit 0) or terminated (SIGTERM: its next interrupt check throws FATAL, exit 99).
  pid_t ConnectSession(Oid db, Oid role = kSuperuser) {
    flags_->ready = 0;
    flags_->release = 0;
    SharedFlags* flags = flags_;
    const pid_t pid = harness_.ForkBackend([flags, db, role] {
      InstallChildSignalHandlers();
      storage::ProcArraySetSessionIds(storage::CurrentProcess().proc, db.value(), role.value());
      flags->ready = 1;
      const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
      while (flags->release == 0 && std::chrono::steady_clock::now() < deadline) {
        CheckForInterrupts();
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
      }
      return 0;
    });
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (flags_->ready == 0 && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    EXPECT_EQ(flags_->ready.load(), 1);
    return pid;
  }

  SharedFlags* flags_ = nullptr;
};

TEST_F(DatabaseCommandsTest, CreateCopiesTemplate1AndInsertsTheRow) {
  transam::StartTransaction();
  catalog::NoticeList notices;
  const Oid db = Create("db1", {}, &notices);
  EXPECT_TRUE(notices.empty());
  EXPECT_GE(db.value(), 16384u);
  transam::CommitTransaction();

  EXPECT_TRUE(DirectoryExists(db));
  transam::StartTransaction();
  // The new database's catalogs are the template's: readable through its own relations.
  const std::set<uint32_t> copied = ClassOids(db);
  EXPECT_FALSE(copied.empty());
  EXPECT_EQ(copied, ClassOids(kTemplate1));
  EXPECT_TRUE(catalog::CatalogLookupByOid(catalog::OpenCatalog(catalog_oid::kPgType, db), Oid(23),
                                          transam::GetLatestSnapshot())
                  .has_value());
  std::optional<access::HeapTuple> row = DatabaseRowByName("db1");
  ASSERT_TRUE(row.has_value());
  const catalog::CatalogRelation& cat = PgDatabase();
  EXPECT_EQ(catalog::CatalogGetOid(cat, *row, "oid"), db.value());
  EXPECT_EQ(catalog::CatalogGetOid(cat, *row, "datdba"), kSuperuser.value());
  EXPECT_EQ(catalog::CatalogGetInt(cat, *row, "encoding"), 6);
  EXPECT_EQ(catalog::CatalogGetChar(cat, *row, "datlocprovider"), 'c');
  EXPECT_FALSE(catalog::CatalogGetBool(cat, *row, "datistemplate"));  // not the template's
  EXPECT_TRUE(catalog::CatalogGetBool(cat, *row, "datallowconn"));
  EXPECT_EQ(catalog::CatalogGetInt(cat, *row, "datconnlimit"), -1);
  EXPECT_EQ(catalog::CatalogGetOid(cat, *row, "dattablespace"), 1663u);
  EXPECT_EQ(catalog::CatalogGetText(cat, *row, "datcollate"), "C");
  EXPECT_EQ(catalog::CatalogGetText(cat, *row, "datctype"), "C");
  bool isnull = false;
  (void)catalog::CatalogGetAttr(cat, *row, "datacl", &isnull);
  EXPECT_TRUE(isnull);
  EXPECT_EQ(catalog::GetDatabaseOid("db1", false), db);
  transam::CommitTransaction();

  // Options, an owner (pg_shdepend) and a second copy from a non-default template.
  transam::StartTransaction();
  const Oid bob = catalog::testing::InsertRole("bob");
  const Oid db2 = Create("db2", {Opt::String("owner", "bob"), Opt::String("template", "db1"),
                                 Opt::Int("connection_limit", 7),
                                 Opt::String("is_template", "true"),
                                 Opt::String("allow_connections", "false"),
                                 Opt::String("encoding", "utf-8"),
                                 Opt::String("lc_collate", "POSIX"),
                                 Opt::String("strategy", "wal_log")});
  row = DatabaseRowByName("db2");
  ASSERT_TRUE(row.has_value());
  EXPECT_EQ(Oid(catalog::CatalogGetOid(cat, *row, "datdba")), bob);
  EXPECT_EQ(catalog::CatalogGetInt(cat, *row, "datconnlimit"), 7);
  EXPECT_TRUE(catalog::CatalogGetBool(cat, *row, "datistemplate"));
  EXPECT_FALSE(catalog::CatalogGetBool(cat, *row, "datallowconn"));
  EXPECT_EQ(catalog::CatalogGetText(cat, *row, "datcollate"), "C");  // POSIX's canonical name
  EXPECT_EQ(OwnedBy(bob), "owner of database db2");
  EXPECT_EQ(ClassOids(db2), ClassOids(kTemplate1));
  transam::CommitTransaction();
}

// B8: CREATE DATABASE's commit record is durable when the statement returns, even with
// synchronous_commit = off (which leaves an ordinary commit to the WAL writer).
TEST_F(DatabaseCommandsTest, CreateCommitIsFlushedEvenWithSynchronousCommitOff) {
  struct Restore {
    settings::SynchronousCommit saved = settings::synchronous_commit;
    ~Restore() { settings::synchronous_commit = saved; }
  } restore;
  settings::synchronous_commit = settings::SynchronousCommit::kOff;
  // The control: an ordinary commit record is not flushed (the harness has no WAL writer).
  transam::StartTransaction();
  (void)transam::GetCurrentTransactionId();
  transam::CommitTransaction();
  EXPECT_LT(transam::WalFlushPosition(), transam::WalInsertPosition());

  transam::StartTransaction();
  const Oid db = Create("synced");
  transam::CommitTransaction();
  EXPECT_GE(transam::WalFlushPosition(), transam::WalInsertPosition());
  EXPECT_TRUE(DirectoryExists(db));

  // The flag lasts one transaction only.
  transam::StartTransaction();
  (void)transam::GetCurrentTransactionId();
  transam::CommitTransaction();
  EXPECT_LT(transam::WalFlushPosition(), transam::WalInsertPosition());
}

TEST_F(DatabaseCommandsTest, RollbackOfCreateLeavesNoRowAndNoDirectory) {
  transam::StartTransaction();
  const Oid db = Create("gone");
  EXPECT_TRUE(DirectoryExists(db));
  EXPECT_TRUE(DatabaseRowByName("gone").has_value());
  transam::AbortTransaction();
  EXPECT_FALSE(DirectoryExists(db));
  transam::StartTransaction();
  EXPECT_FALSE(DatabaseRowByName("gone").has_value());
  EXPECT_EQ(catalog::GetDatabaseOid("gone", true), kInvalidOid);
  transam::CommitTransaction();
}

TEST_F(DatabaseCommandsTest, CreateOptionErrors) {
  transam::StartTransaction();
  struct Case {
    std::vector<DatabaseOption> options;
    SqlState sqlstate;
    std::string message;
    std::string detail_or_hint;
  };
  const std::vector<Case> cases = {
      {{Opt::String("colour", "red", 20)}, sqlstate::kSyntaxError,
       "option \"colour\" not recognized", ""},
      {{Opt::String("owner", "alice"), Opt::String("owner", "alice", 30)}, sqlstate::kSyntaxError,
       "conflicting or redundant options", ""},
      {{Opt::String("locale", "C"), Opt::String("lc_ctype", "C")}, sqlstate::kSyntaxError,
       "conflicting or redundant options",
       "LOCALE cannot be specified together with LC_COLLATE or LC_CTYPE."},
      {{Opt::String("encoding", "klingon")}, sqlstate::kUndefinedObject,
       "klingon is not a valid encoding name", ""},
      {{Opt::Int("encoding", 99)}, sqlstate::kUndefinedObject, "99 is not a valid encoding code", ""},
      {{Opt::String("encoding", "LATIN1")}, sqlstate::kFeatureNotSupported,
       "encoding \"LATIN1\" is not supported", ""},
      {{Opt::String("encoding", "SQL_ASCII")}, sqlstate::kInvalidParameterValue,
       "new encoding (SQL_ASCII) is incompatible with the encoding of the template database "
       "(UTF8)", "Use the same encoding as in the template database, or use template0 as "
                 "template."},
      {{Opt::String("locale", "no_SUCH.locale")}, sqlstate::kWrongObjectType,
       "invalid locale name: \"no_SUCH.locale\"", ""},
      {{Opt::String("locale_provider", "icu")}, sqlstate::kFeatureNotSupported,
       "ICU is not supported in this build", ""},
      {{Opt::String("locale_provider", "magic")}, sqlstate::kInvalidObjectDefinition,
       "unrecognized locale provider: magic", ""},
      {{Opt::Int("connection_limit", -2)}, sqlstate::kInvalidParameterValue,
       "invalid connection limit: -2", ""},
      {{Opt::String("connection_limit", "many")}, sqlstate::kSyntaxError,
       "connection_limit requires an integer value", ""},
      {{Opt::String("is_template", "maybe")}, sqlstate::kSyntaxError,
       "is_template requires a Boolean value", ""},
      {{Opt::String("strategy", "teleport")}, sqlstate::kInvalidParameterValue,
       "invalid create database strategy \"teleport\"",
       "Valid strategies are \"wal_log\", and \"file_copy\"."},
      {{Opt::String("template", "nope")}, sqlstate::kInvalidCatalogName,
       "template database \"nope\" does not exist", ""},
      {{Opt::String("owner", "nobody")}, sqlstate::kUndefinedObject,
       "role \"nobody\" does not exist", ""},
      {{Opt::String("tablespace", "pg_global")}, sqlstate::kInvalidParameterValue,
       "pg_global cannot be used as default tablespace", ""},
      {{Opt::String("tablespace", "fast")}, sqlstate::kUndefinedObject,
       "tablespace \"fast\" does not exist", ""},
      {{Opt::Int("oid", 100)}, sqlstate::kInvalidParameterValue,
       "OIDs less than 16384 are reserved for system objects", ""},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.message);
    const Error e = ErrorOf([&] { (void)Create("x", c.options); });
    EXPECT_EQ(e.sqlstate(), c.sqlstate);
    EXPECT_EQ(e.message(), c.message);
    if (!c.detail_or_hint.empty()) {
      EXPECT_TRUE(e.detail() == c.detail_or_hint || e.hint() == c.detail_or_hint)
          << e.detail() << " / " << e.hint();
    }
  }
  // Positions point at the option (1-based).
  EXPECT_EQ(ErrorOf([] { (void)Create("x", {Opt::String("colour", "red", 20)}); }).position(), 21);
  // Nothing was created by any of them.
  EXPECT_FALSE(DatabaseRowByName("x").has_value());

  const Oid db = Create("x", {Opt::Default("owner"), Opt::Default("encoding"),
                              Opt::String("locale", "C")});
  Error e = ErrorOf([] { (void)Create("x"); });
  EXPECT_EQ(e.sqlstate(), sqlstate::kDuplicateDatabase);
  EXPECT_EQ(e.message(), "database \"x\" already exists");
  e = ErrorOf([&] { (void)Create("y", {Opt::Int("oid", db.value())}); });
  EXPECT_EQ(e.sqlstate(), sqlstate::kInvalidParameterValue);
  EXPECT_EQ(e.message(), Format("database OID %u is already in use by database \"x\"", db.value()));
  // An explicit free oid is used; one whose directory exists is refused.
  EXPECT_EQ(Create("y", {Opt::Int("oid", 20000)}), Oid(20000));
  ASSERT_EQ(mkdir(storage::DatabaseDirectoryPath(Oid(20001)).c_str(), 0700), 0);
  e = ErrorOf([] { (void)Create("z", {Opt::Int("oid", 20001)}); });
  EXPECT_EQ(e.message(), "data directory with the specified OID 20001 already exists");
  // LOCATION is a WARNING only.
  catalog::NoticeList notices;
  (void)Create("w", {Opt::String("location", "/tmp")}, &notices);
  ASSERT_EQ(notices.size(), 1u);
  EXPECT_EQ(notices[0].severity(), Severity::kWarning);
  EXPECT_EQ(notices[0].message(), "LOCATION is not supported anymore");
  EXPECT_EQ(notices[0].hint(), "Consider using tablespaces instead.");
  transam::AbortTransaction();
  EXPECT_FALSE(DirectoryExists(db));
  EXPECT_FALSE(DirectoryExists(Oid(20000)));
  EXPECT_TRUE(DirectoryExists(Oid(20001)));  // not ours: never removed
}

TEST_F(DatabaseCommandsTest, CreatePermissions) {
  transam::StartTransaction();
  const Oid bob = catalog::testing::InsertRole("bob");
  (void)catalog::testing::InsertRole("carol");
  SetRoleFlag(bob, "rolcreatedb", false);  // InsertRole copies the superuser's flags
  SetMyRole(bob);
  Error e = ErrorOf([] { (void)Create("b"); });
  EXPECT_EQ(e.sqlstate(), sqlstate::kInsufficientPrivilege);
  EXPECT_EQ(e.message(), "permission denied to create database");
  SetMyRole(kSuperuser);
  SetRoleFlag(bob, "rolcreatedb", true);
  SetMyRole(bob);
  e = ErrorOf([] { (void)Create("b", {Opt::String("owner", "carol")}); });
  EXPECT_EQ(e.sqlstate(), sqlstate::kInsufficientPrivilege);
  EXPECT_EQ(e.message(), "must be member of role \"carol\"");
  // postgres is no template and not bob's.
  e = ErrorOf([] { (void)Create("b", {Opt::String("template", "postgres")}); });
  EXPECT_EQ(e.sqlstate(), sqlstate::kInsufficientPrivilege);
  EXPECT_EQ(e.message(), "permission denied to copy database \"postgres\"");
  const Oid b = Create("b");  // from template1: allowed, and bob owns it
  EXPECT_EQ(catalog::GetDatabaseOid("b", false), b);
  EXPECT_EQ(OwnedBy(bob), "owner of database b");
  transam::AbortTransaction();
}

TEST_F(DatabaseCommandsTest, DropRemovesRowsAndTheDirectoryAtCommit) {
  transam::StartTransaction();
  const Oid bob = catalog::testing::InsertRole("bob");
  const Oid db = Create("d", {Opt::String("owner", "bob")});
  CreateSharedComments(db, Oid(catalog_oid::kPgDatabase), "to be dropped");
  transam::CommitTransaction();

  // Rolled back: everything stays.
  transam::StartTransaction();
  DropDatabase(DropdbStmt{"d", false, false}, nullptr);
  EXPECT_FALSE(DatabaseRowByName("d").has_value());
  EXPECT_TRUE(DirectoryExists(db));  // removed only at commit
  transam::AbortTransaction();
  EXPECT_TRUE(DirectoryExists(db));
  transam::StartTransaction();
  EXPECT_TRUE(DatabaseRowByName("d").has_value());
  EXPECT_EQ(OwnedBy(bob), "owner of database d");

  catalog::NoticeList notices;
  DropDatabase(DropdbStmt{"d", false, false}, &notices);
  EXPECT_TRUE(notices.empty());
  EXPECT_TRUE(DirectoryExists(db));
  transam::CommitTransaction();
  EXPECT_FALSE(DirectoryExists(db));
  transam::StartTransaction();
  EXPECT_FALSE(DatabaseRowByName("d").has_value());
  EXPECT_EQ(OwnedBy(bob), "");
  EXPECT_FALSE(GetComment(catalog::MakeObjectAddress(catalog_oid::kPgDatabase, db)).has_value());
  transam::CommitTransaction();
}

TEST_F(DatabaseCommandsTest, DropErrorsAndIfExists) {
  transam::StartTransaction();
  Error e = ErrorOf([] { DropDatabase(DropdbStmt{"nope", false, false}, nullptr); });
  EXPECT_EQ(e.sqlstate(), sqlstate::kInvalidCatalogName);
  EXPECT_EQ(e.message(), "database \"nope\" does not exist");
  catalog::NoticeList notices;
  DropDatabase(DropdbStmt{"nope", true, false}, &notices);
  ASSERT_EQ(notices.size(), 1u);
  EXPECT_EQ(notices[0].severity(), Severity::kNotice);
  EXPECT_EQ(notices[0].message(), "database \"nope\" does not exist, skipping");
  e = ErrorOf([] { DropDatabase(DropdbStmt{"template1", false, false}, nullptr); });
  EXPECT_EQ(e.sqlstate(), sqlstate::kWrongObjectType);
  EXPECT_EQ(e.message(), "cannot drop a template database");
  e = ErrorOf([] { DropDatabase(DropdbStmt{"postgres", false, false}, nullptr); });
  EXPECT_EQ(e.sqlstate(), sqlstate::kObjectInUse);
  EXPECT_EQ(e.message(), "cannot drop the currently open database");
  (void)Create("d");
  const Oid bob = catalog::testing::InsertRole("bob");
  SetMyRole(bob);
  e = ErrorOf([] { DropDatabase(DropdbStmt{"d", false, false}, nullptr); });
  EXPECT_EQ(e.sqlstate(), sqlstate::kInsufficientPrivilege);
  EXPECT_EQ(e.message(), "must be owner of database d");
  transam::AbortTransaction();
}

TEST_F(DatabaseCommandsTest, OtherSessionsBlockCreateFromTemplateAndDrop) {
  transam::StartTransaction();
  const Oid db = Create("busy");
  transam::CommitTransaction();

  // A session in template1: CREATE DATABASE from it must wait, then fail.
  pid_t pid = ConnectSession(kTemplate1);
  transam::StartTransaction();
  Error e = ErrorOf([] { (void)Create("copy"); });
  EXPECT_EQ(e.sqlstate(), sqlstate::kObjectInUse);
  EXPECT_EQ(e.message(), "source database \"template1\" is being accessed by other users");
  EXPECT_EQ(e.detail(), "There is 1 other session using the database.");
  transam::AbortTransaction();
  flags_->release = 1;
  EXPECT_EQ(harness_.Wait(pid), 0);

  // Two sessions in "busy": DROP and RENAME fail, naming both.
  pid = ConnectSession(db);
  SharedFlags* first = flags_;
  void* mem = mmap(nullptr, sizeof(SharedFlags), PROT_READ | PROT_WRITE,
                   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  ASSERT_NE(mem, MAP_FAILED);
  flags_ = new (mem) SharedFlags();
  const pid_t pid2 = ConnectSession(db);
  transam::StartTransaction();
  e = ErrorOf([] { DropDatabase(DropdbStmt{"busy", false, false}, nullptr); });
  EXPECT_EQ(e.sqlstate(), sqlstate::kObjectInUse);
  EXPECT_EQ(e.message(), "database \"busy\" is being accessed by other users");
  EXPECT_EQ(e.detail(), "There are 2 other sessions using the database.");
  transam::AbortTransaction();
  transam::StartTransaction();
  e = ErrorOf([] { (void)RenameDatabase("busy", "quiet"); });
  EXPECT_EQ(e.sqlstate(), sqlstate::kObjectInUse);
  EXPECT_EQ(e.message(), "database \"busy\" is being accessed by other users");
  transam::AbortTransaction();
  // Sessions elsewhere do not matter.
  transam::StartTransaction();
  (void)Create("other");
  transam::CommitTransaction();

  // A non-superuser owner cannot FORCE out superuser sessions.
  transam::StartTransaction();
  const Oid bob = catalog::testing::InsertRole("bob");
  (void)AlterDatabaseOwner("busy", "bob");
  SetMyRole(bob);
  e = ErrorOf([] { DropDatabase(DropdbStmt{"busy", false, true}, nullptr); });
  EXPECT_EQ(e.sqlstate(), sqlstate::kInsufficientPrivilege);
  EXPECT_EQ(e.message(), "must be a superuser to terminate superuser process");
  SetMyRole(kSuperuser);
  transam::AbortTransaction();

  // FORCE terminates both (they end with FATAL 57P01 at their next interrupt check).
  transam::StartTransaction();
  DropDatabase(DropdbStmt{"busy", false, true}, nullptr);
  transam::CommitTransaction();
  EXPECT_EQ(harness_.Wait(pid), 99);
  EXPECT_EQ(harness_.Wait(pid2), 99);
  EXPECT_FALSE(DirectoryExists(db));
  EXPECT_TRUE(storage::ProcArrayDatabaseSessions(db.value()).empty());
  munmap(first, sizeof(SharedFlags));
}

TEST_F(DatabaseCommandsTest, CreatedAndDroppedDatabasesSurviveACrash) {
  transam::StartTransaction();
  const Oid kept = Create("kept");
  const Oid dropped = Create("dropped");
  transam::CommitTransaction();
  transam::StartTransaction();
  DropDatabase(DropdbStmt{"dropped", false, false}, nullptr);
  transam::CommitTransaction();
  harness_.Crash();
  SetMyRole(kSuperuser);
  EXPECT_TRUE(DirectoryExists(kept));
  EXPECT_FALSE(DirectoryExists(dropped));
  transam::StartTransaction();
  EXPECT_EQ(catalog::GetDatabaseOid("kept", false), kept);
  EXPECT_FALSE(DatabaseRowByName("dropped").has_value());
  EXPECT_EQ(ClassOids(kept), ClassOids(kTemplate1));
  transam::CommitTransaction();
}

TEST_F(DatabaseCommandsTest, RenameAlterAndOwner) {
  transam::StartTransaction();
  const Oid db = Create("r");
  (void)Create("taken");
  const catalog::ObjectAddress a = RenameDatabase("r", "r2");
  EXPECT_EQ(a.objid, db);
  EXPECT_EQ(catalog::GetDatabaseOid("r2", false), db);
  EXPECT_EQ(catalog::GetDatabaseOid("r", true), kInvalidOid);
  Error e = ErrorOf([] { (void)RenameDatabase("r2", "taken"); });
  EXPECT_EQ(e.sqlstate(), sqlstate::kDuplicateDatabase);
  EXPECT_EQ(e.message(), "database \"taken\" already exists");
  e = ErrorOf([] { (void)RenameDatabase("nope", "x"); });
  EXPECT_EQ(e.sqlstate(), sqlstate::kInvalidCatalogName);
  e = ErrorOf([] { (void)RenameDatabase("postgres", "x"); });
  EXPECT_EQ(e.sqlstate(), sqlstate::kFeatureNotSupported);
  EXPECT_EQ(e.message(), "current database cannot be renamed");

  // ALTER DATABASE options.
  EXPECT_EQ(AlterDatabase(AlterDatabaseStmt{"r2", {Opt::Int("connection_limit", 3),
                                                   Opt::String("allow_connections", "off"),
                                                   Opt::Int("is_template", 1)}}),
            db);
  std::optional<access::HeapTuple> row = DatabaseRowByName("r2");
  ASSERT_TRUE(row.has_value());
  const catalog::CatalogRelation& cat = PgDatabase();
  EXPECT_EQ(catalog::CatalogGetInt(cat, *row, "datconnlimit"), 3);
  EXPECT_FALSE(catalog::CatalogGetBool(cat, *row, "datallowconn"));
  EXPECT_TRUE(catalog::CatalogGetBool(cat, *row, "datistemplate"));
  e = ErrorOf([] { DropDatabase(DropdbStmt{"r2", false, false}, nullptr); });
  EXPECT_EQ(e.message(), "cannot drop a template database");
  e = ErrorOf([] {
    (void)AlterDatabase(AlterDatabaseStmt{"postgres", {Opt::String("allow_connections", "false")}});
  });
  EXPECT_EQ(e.sqlstate(), sqlstate::kObjectNotInPrerequisiteState);
  EXPECT_EQ(e.message(), "cannot disallow connections for current database");
  e = ErrorOf([] { (void)AlterDatabase(AlterDatabaseStmt{"r2", {Opt::Int("connection_limit", -5)}}); });
  EXPECT_EQ(e.message(), "invalid connection limit: -5");
  e = ErrorOf([] { (void)AlterDatabase(AlterDatabaseStmt{"r2", {Opt::Int("owner", 1)}}); });
  EXPECT_EQ(e.message(), "option \"owner\" not recognized");
  e = ErrorOf([] {
    (void)AlterDatabase(AlterDatabaseStmt{"r2", {Opt::Int("is_template", 0), Opt::Int("is_template", 1)}});
  });
  EXPECT_EQ(e.message(), "conflicting or redundant options");
  e = ErrorOf([] { (void)AlterDatabase(AlterDatabaseStmt{"gone", {}}); });
  EXPECT_EQ(e.message(), "database \"gone\" does not exist");

  // OWNER TO: datdba and pg_shdepend follow.
  const Oid bob = catalog::testing::InsertRole("bob");
  const Oid carol = catalog::testing::InsertRole("carol");
  (void)AlterDatabaseOwner("r2", "bob");
  row = DatabaseRowByName("r2");
  EXPECT_EQ(Oid(catalog::CatalogGetOid(cat, *row, "datdba")), bob);
  EXPECT_EQ(OwnedBy(bob), "owner of database r2");
  (void)AlterDatabaseOwner("r2", "carol");
  EXPECT_EQ(OwnedBy(bob), "");
  EXPECT_EQ(OwnedBy(carol), "owner of database r2");
  (void)AlterDatabaseOwner("r2", "alice");  // the pinned bootstrap superuser: no row
  EXPECT_EQ(OwnedBy(carol), "");
  e = ErrorOf([] { (void)AlterDatabaseOwner("r2", "nobody"); });
  EXPECT_EQ(e.message(), "role \"nobody\" does not exist");
  // A non-owner may do none of it.
  SetMyRole(bob);
  e = ErrorOf([] { (void)AlterDatabaseOwner("taken", "bob"); });
  EXPECT_EQ(e.sqlstate(), sqlstate::kInsufficientPrivilege);
  EXPECT_EQ(e.message(), "must be owner of database taken");
  e = ErrorOf([] { (void)RenameDatabase("taken", "mine"); });
  EXPECT_EQ(e.message(), "must be owner of database taken");
  e = ErrorOf([] { (void)AlterDatabase(AlterDatabaseStmt{"taken", {Opt::Int("connection_limit", 1)}}); });
  EXPECT_EQ(e.message(), "must be owner of database taken");
  SetMyRole(kSuperuser);
  transam::CommitTransaction();

  // Committed changes are what a new transaction sees.
  transam::StartTransaction();
  EXPECT_EQ(catalog::GetDatabaseOid("r2", false), db);
  EXPECT_EQ(catalog::GetDatabaseOid("taken", true) != kInvalidOid, true);
  transam::CommitTransaction();
}

TEST_F(DatabaseCommandsTest, PreventInTransactionBlock) {
  transam::StartTransaction();
  PreventInTransactionBlock(true, "CREATE DATABASE");  // an implicit transaction: fine
  Error e = ErrorOf([] { PreventInTransactionBlock(false, "CREATE DATABASE"); });
  EXPECT_EQ(e.sqlstate(), sqlstate::kActiveSqlTransaction);
  EXPECT_EQ(e.message(), "CREATE DATABASE cannot be executed from a function");
  transam::DefineSavepoint("s");
  e = ErrorOf([] { PreventInTransactionBlock(true, "DROP DATABASE"); });
  EXPECT_EQ(e.message(), "DROP DATABASE cannot run inside a subtransaction");
  SetInTransactionBlock(true);
  e = ErrorOf([] { PreventInTransactionBlock(true, "CREATE DATABASE"); });
  EXPECT_EQ(e.sqlstate(), sqlstate::kActiveSqlTransaction);
  EXPECT_EQ(e.message(), "CREATE DATABASE cannot run inside a transaction block");
  SetInTransactionBlock(false);
  transam::AbortTransaction();
}

}  // namespace
}  // namespace keel::commands
