// Runs the built keel-initdb and checks what it creates (bin/README.md, I1-I10): the files,
// and the catalogs read back through a standalone server.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <pwd.h>

#include <chrono>
#include <filesystem>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "access/index/indexam.h"
#include "access/transam/control_file.h"
#include "access/transam/xact.h"
#include "backend/catalog/catalog_defs.h"
#include "backend/catalog/catalog_lookup.h"
#include "backend/catalog/catalog_relation.h"
#include "backend/catalog/catalog_values.h"
#include "backend/commands/user.h"
#include "backend/protocol/auth/hba.h"
#include "backend/protocol/auth/scram.h"
#include "bin/common/tool_test_fixture.h"
#include "postmaster/standalone.h"
#include "tests/support/files.h"
#include "tests/support/run_program.h"
#include "tests/support/temp_dir.h"

namespace keel::initdb {
namespace {

namespace fs = std::filesystem;
using keel::testing::EnvChanges;
using keel::testing::ProgramResult;
using keel::testing::ReadWholeFile;
using keel::testing::TempDir;
using keel::testing::WriteWholeFile;

mode_t ModeOf(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return 0;
  return st.st_mode & 07777;
}

ProgramResult Initdb(std::vector<std::string> args, const EnvChanges& env = {}) {
  return tools::RunTool("keel-initdb", std::move(args), env);
}

std::string OsUser() {
  struct passwd* pw = ::getpwuid(::geteuid());
  return pw != nullptr ? pw->pw_name : "";
}

std::vector<auth::HbaMethod> HbaMethods(const std::string& data_dir) {
  std::vector<auth::HbaMethod> methods;
  auth::HbaFile hba = auth::HbaFile::Load(data_dir + "/keel_hba.conf");
  for (const auth::HbaLine& line : hba.lines()) {
    methods.push_back(line.method);
  }
  return methods;
}

TEST(InitdbTest, CreatesLayoutWithValidControlFile) {
  TempDir tmp;
  const std::string data = tmp.path() + "/data";
  ProgramResult r = Initdb({"-D", data});  // with sync, the default
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;

  EXPECT_EQ(ModeOf(data), 0700u);
  for (const char* sub : {"global", "base", "wal", "xact"}) {
    EXPECT_TRUE(fs::is_directory(data + "/" + sub)) << sub;
    EXPECT_EQ(ModeOf(data + "/" + sub), 0700u) << sub;
  }
  EXPECT_EQ(ReadWholeFile(data + "/KEEL_VERSION"), "1\n");
  for (const char* file : {"KEEL_VERSION", "keel.conf", "keel_hba.conf", "global/control"}) {
    EXPECT_EQ(ModeOf(data + "/" + file), 0600u) << file;
  }
  for (const char* db : {"base/1", "base/4", "base/5"}) {  // template1, template0, postgres
    EXPECT_TRUE(fs::is_directory(data + "/" + db)) << db;
    EXPECT_EQ(ModeOf(data + "/" + db), 0700u) << db;
    EXPECT_EQ(ModeOf(data + "/" + db + "/1259"), 0600u) << db;  // pg_class
  }
  EXPECT_FALSE(fs::exists(data + "/keel_passwd"));  // passwords live in pg_authid now
  EXPECT_FALSE(fs::exists(data + "/postmaster.pid"));  // the bootstrap server is gone

  transam::ControlFileData control = transam::ReadControlFile(data);
  EXPECT_EQ(control.state, transam::ClusterState::kShutDown);
  EXPECT_EQ(control.data_checksum_version, transam::kDataChecksumVersion);  // default on
  EXPECT_NE(control.system_identifier, 0u);

  EXPECT_NE(r.out.find("creating directory " + data + " ... ok\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("writing control file ... ok\n"
                       "running bootstrap script ... ok\n"
                       "performing post-bootstrap initialization ... ok\n"
                       "syncing data to disk ... ok\n"),
            std::string::npos)
      << r.out;
  EXPECT_TRUE(r.err.find("LOG:") == std::string::npos) << r.err;  // the server stays quiet
  EXPECT_NE(r.out.find("syncing data to disk ... ok\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("owned by user \"" + OsUser() + "\""), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("Success. You can now start the database server using:\n\n"
                       "    keel-ctl -D " + data + " -l logfile start\n"),
            std::string::npos)
      << r.out;
  // Default methods are trust, with PostgreSQL's warning (I6).
  EXPECT_NE(r.err.find("keel-initdb: warning: enabling \"trust\" authentication for local "
                       "connections\n"
                       "keel-initdb: hint: You can change this by editing keel_hba.conf or using "
                       "the option -A, or --auth-local and --auth-host, the next time you run "
                       "keel-initdb.\n"),
            std::string::npos)
      << r.err;
  EXPECT_EQ(HbaMethods(data), (std::vector<auth::HbaMethod>{
                                  auth::HbaMethod::kTrust, auth::HbaMethod::kTrust,
                                  auth::HbaMethod::kTrust}));
}

TEST(InitdbTest, UsesExistingEmptyDirectoryAndFixesMode) {
  TempDir tmp;
  const std::string data = tmp.path() + "/data";
  ASSERT_EQ(::mkdir(data.c_str(), 0755), 0);
  ASSERT_EQ(::chmod(data.c_str(), 0755), 0);
  ProgramResult r = Initdb({"-D", data, "--no-sync", "--no-data-checksums"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("fixing permissions on existing directory " + data + " ... ok"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("Sync to disk skipped."), std::string::npos);
  EXPECT_EQ(r.out.find("syncing data to disk"), std::string::npos);
  EXPECT_EQ(ModeOf(data), 0700u);
  EXPECT_EQ(transam::ReadControlFile(data).data_checksum_version, 0u);
}

TEST(InitdbTest, RefusesNonEmptyDirectory) {
  TempDir tmp;
  const std::string data = tmp.path() + "/data";
  ASSERT_EQ(::mkdir(data.c_str(), 0700), 0);
  ASSERT_TRUE(WriteWholeFile(data + "/precious", "keep me"));
  ProgramResult r = Initdb({"-D", data, "--no-sync"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, "keel-initdb: error: directory \"" + data + "\" exists but is not empty\n"
                   "keel-initdb: hint: If you want to create a new database system, either "
                   "remove or empty the directory \"" + data + "\" or run keel-initdb with an "
                   "argument other than \"" + data + "\".\n");
  // I1: nothing touched.
  EXPECT_EQ(ReadWholeFile(data + "/precious"), "keep me");
  EXPECT_FALSE(fs::exists(data + "/global"));
  EXPECT_FALSE(fs::exists(data + "/keel.conf"));

  // A second run over a finished cluster is refused the same way.
  const std::string other = tmp.path() + "/other";
  ASSERT_EQ(Initdb({"-D", other, "--no-sync"}).exit_code, 0);
  std::string control_before = ReadWholeFile(other + "/global/control").value_or("");
  EXPECT_EQ(Initdb({"-D", other, "--no-sync"}).exit_code, 1);
  EXPECT_EQ(ReadWholeFile(other + "/global/control"), control_before);
}

TEST(InitdbTest, RefusesAFileAsDataDirectory) {
  TempDir tmp;
  const std::string data = tmp.path() + "/file";
  ASSERT_TRUE(WriteWholeFile(data, "x"));
  ProgramResult r = Initdb({"-D", data, "--no-sync"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, "keel-initdb: error: could not access directory \"" + data +
                       "\": Not a directory\n");
}

TEST(InitdbTest, WritesChosenAuthMethods) {
  TempDir tmp;
  const std::string data = tmp.path() + "/data";
  ProgramResult r = Initdb({"-D", data, "--no-sync", "--auth-local=peer", "--auth-host=reject"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err.find("trust"), std::string::npos) << r.err;  // no warning: both chosen
  EXPECT_EQ(HbaMethods(data), (std::vector<auth::HbaMethod>{
                                  auth::HbaMethod::kPeer, auth::HbaMethod::kReject,
                                  auth::HbaMethod::kReject}));
  std::string hba = ReadWholeFile(data + "/keel_hba.conf").value_or("");
  EXPECT_NE(hba.find("\nlocal   all             all                                     peer\n"),
            std::string::npos)
      << hba;
  EXPECT_NE(hba.find("\nhost    all             all             127.0.0.1/32            reject\n"),
            std::string::npos);
  EXPECT_NE(hba.find("\nhost    all             all             ::1/128                 reject\n"),
            std::string::npos);

  // -A sets both; --auth-local overrides it for local lines.
  const std::string data2 = tmp.path() + "/data2";
  r = Initdb({"-D", data2, "--no-sync", "-A", "reject", "--auth-local", "trust"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err.find("warning"), std::string::npos) << r.err;  // trust chosen, not defaulted
  EXPECT_EQ(HbaMethods(data2), (std::vector<auth::HbaMethod>{
                                   auth::HbaMethod::kTrust, auth::HbaMethod::kReject,
                                   auth::HbaMethod::kReject}));

  // Only one given: the other defaults to trust, with the warning.
  const std::string data3 = tmp.path() + "/data3";
  r = Initdb({"-D", data3, "--no-sync", "--auth-local=peer"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("warning: enabling \"trust\""), std::string::npos) << r.err;
  EXPECT_EQ(HbaMethods(data3)[1], auth::HbaMethod::kTrust);
}

TEST(InitdbTest, RejectsInvalidAuthMethod) {
  TempDir tmp;
  const std::string data = tmp.path() + "/data";
  ProgramResult r = Initdb({"-D", data, "--auth-local=bogus"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, "keel-initdb: error: invalid authentication method \"bogus\" for \"local\" "
                   "connections\n");
  r = Initdb({"-D", data, "--auth-host=peer"});  // peer is for local lines only
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, "keel-initdb: error: invalid authentication method \"peer\" for \"host\" "
                   "connections\n");
  EXPECT_FALSE(fs::exists(data));
}

TEST(InitdbTest, PasswordMethodWithoutPwfileFails) {
  TempDir tmp;
  const std::string data = tmp.path() + "/data";
  for (const char* option : {"-Ascram-sha-256", "--auth-host=md5", "--auth-local=password"}) {
    ProgramResult r = Initdb({"-D", data, option});
    EXPECT_EQ(r.exit_code, 1) << option;
    EXPECT_EQ(r.err, "keel-initdb: error: must specify a password for the superuser to enable "
                     "password authentication\n")
        << option;
    EXPECT_FALSE(fs::exists(data)) << option;
  }
}

// The superuser's pg_authid row, read through a standalone server on the new cluster.
std::optional<commands::RoleInfo> SuperuserRow(const std::string& data, const std::string& name) {
  postmaster::StandaloneServer server(data);
  transam::StartTransaction();
  std::optional<commands::RoleInfo> role = commands::FindRoleByName(name);
  transam::CommitTransaction();
  server.Shutdown();
  return role;
}

TEST(InitdbTest, PwfileSetsScramVerifierInPgAuthid) {
  TempDir tmp;
  const std::string data = tmp.path() + "/data";
  const std::string pwfile = tmp.path() + "/pw";
  ASSERT_TRUE(WriteWholeFile(pwfile, "s3cret pass\nsecond line ignored\n"));
  ProgramResult r = Initdb({"-D", data, "--no-sync", "-U", "alice", "-A", "scram-sha-256",
                         "--pwfile=" + pwfile});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_FALSE(fs::exists(data + "/keel_passwd"));

  std::optional<commands::RoleInfo> alice = SuperuserRow(data, "alice");
  ASSERT_TRUE(alice.has_value());
  EXPECT_EQ(alice->oid, Oid(catalog::kBootstrapSuperuser));
  EXPECT_TRUE(alice->superuser && alice->can_login && alice->create_role && alice->create_db);
  ASSERT_TRUE(alice->password.has_value());
  std::optional<auth::ScramVerifier> verifier = auth::ScramParseVerifier(*alice->password);
  ASSERT_TRUE(verifier.has_value()) << *alice->password;
  EXPECT_EQ(verifier->iterations, auth::kScramDefaultIterations);
  EXPECT_TRUE(auth::ScramVerifyPlainPassword("s3cret pass", *verifier));
  EXPECT_FALSE(auth::ScramVerifyPlainPassword("s3cret", *verifier));
  EXPECT_EQ(HbaMethods(data)[0], auth::HbaMethod::kScramSha256);

  // Without -U the superuser is the OS user; CRLF line ends are stripped.
  const std::string data2 = tmp.path() + "/data2";
  ASSERT_TRUE(WriteWholeFile(pwfile, "other\r\n"));
  r = Initdb({"-D", data2, "--no-sync", "--auth-host=md5", "--pwfile", pwfile});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::optional<commands::RoleInfo> os_user = SuperuserRow(data2, OsUser());
  ASSERT_TRUE(os_user.has_value());
  ASSERT_TRUE(os_user->password.has_value());
  EXPECT_TRUE(auth::ScramVerifyPlainPassword("other", *auth::ScramParseVerifier(*os_user->password)));

  // Without --pwfile the superuser has no password.
  const std::string data3 = tmp.path() + "/data3";
  ASSERT_EQ(Initdb({"-D", data3, "--no-sync", "-U", "nopw"}).exit_code, 0);
  std::optional<commands::RoleInfo> nopw = SuperuserRow(data3, "nopw");
  ASSERT_TRUE(nopw.has_value());
  EXPECT_FALSE(nopw->password.has_value());
}

struct DatabaseRow {
  uint32_t oid;
  std::string name;
  bool is_template;
  bool allow_conn;
  int64_t encoding;
  int64_t conn_limit;
  uint32_t dba;
  uint32_t tablespace;
  std::string collate;
  std::string ctype;
  bool operator<(const DatabaseRow& o) const { return oid < o.oid; }
};

// Every row of every catalog of database `db` (shared ones when `shared`) is found through
// each of its catalog's indexes by its full key, and a keyless scan of each index returns
// exactly the heap's tids.
void ExpectIndexesMatchHeaps(Oid db, bool shared) {
  transam::StartTransaction();
  const transam::Snapshot snap = transam::GetLatestSnapshot();
  size_t rows_checked = 0;
  for (const catalog::CatalogDef& def : catalog::AllCatalogs()) {
    if (def.shared != shared) continue;
    const catalog::CatalogRelation& cat = catalog::OpenCatalog(def.oid, db);
    const std::vector<access::HeapTuple> rows = catalog::CatalogSeqScan(cat, snap);
    std::multiset<storage::ItemPointer> heap_tids;
    for (const access::HeapTuple& row : rows) heap_tids.insert(row.self);
    for (const auto& idx : cat.indexes) {
      for (const access::HeapTuple& row : rows) {
        std::vector<access::Datum> keys;
        for (int col : idx->heap_columns) {
          keys.push_back(catalog::CatalogGetAttr(cat, row, def.columns[static_cast<size_t>(col)].name));
        }
        bool found = false;
        for (const access::HeapTuple& hit : catalog::CatalogIndexScan(cat, idx->def->oid, keys, snap)) {
          found = found || hit.self == row.self;
        }
        EXPECT_TRUE(found) << idx->def->name << " in database " << db.value();
        ++rows_checked;
      }
      auto scan = access::IndexAmOf(idx->index).BeginScan(idx->index, 0, false);
      scan->Rescan({});
      std::multiset<storage::ItemPointer> index_tids;
      access::IndexScanEntry e;
      while (scan->GetNextTid(access::ScanDirection::kForward, &e)) index_tids.insert(e.tid);
      EXPECT_EQ(index_tids, heap_tids) << idx->def->name << " in database " << db.value();
    }
  }
  EXPECT_GT(rows_checked, shared ? 5u : 500u);
  transam::CommitTransaction();
}

TEST(InitdbTest, CatalogsOfEveryDatabaseAreReadable) {
  TempDir tmp;
  const std::string data = tmp.path() + "/data";
  ProgramResult r = Initdb({"-D", data, "--no-sync", "-U", "boss"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  postmaster::StandaloneServer server(data);

  // pg_database: PostgreSQL 15's three databases with its values.
  transam::StartTransaction();
  const catalog::CatalogRelation& pg_database =
      catalog::OpenCatalog(catalog::catalog_oid::kPgDatabase, kInvalidOid);
  std::set<DatabaseRow> dbs;
  for (const access::HeapTuple& row :
       catalog::CatalogSeqScan(pg_database, transam::GetLatestSnapshot())) {
    dbs.insert({catalog::CatalogGetOid(pg_database, row, "oid"),
                catalog::CatalogGetName(pg_database, row, "datname"),
                catalog::CatalogGetBool(pg_database, row, "datistemplate"),
                catalog::CatalogGetBool(pg_database, row, "datallowconn"),
                catalog::CatalogGetInt(pg_database, row, "encoding"),
                catalog::CatalogGetInt(pg_database, row, "datconnlimit"),
                catalog::CatalogGetOid(pg_database, row, "datdba"),
                catalog::CatalogGetOid(pg_database, row, "dattablespace"),
                catalog::CatalogGetText(pg_database, row, "datcollate").value_or(""),
                catalog::CatalogGetText(pg_database, row, "datctype").value_or("")});
  }
  ASSERT_EQ(dbs.size(), 3u);
  auto it = dbs.begin();
  const DatabaseRow template1 = *it++, template0 = *it++, postgres = *it++;
  EXPECT_EQ(template1.oid, 1u);
  EXPECT_EQ(template1.name, "template1");
  EXPECT_TRUE(template1.is_template);
  EXPECT_TRUE(template1.allow_conn);
  EXPECT_EQ(template0.oid, 4u);
  EXPECT_EQ(template0.name, "template0");
  EXPECT_TRUE(template0.is_template);
  EXPECT_FALSE(template0.allow_conn);
  EXPECT_EQ(postgres.oid, 5u);
  EXPECT_EQ(postgres.name, "postgres");
  EXPECT_FALSE(postgres.is_template);
  EXPECT_TRUE(postgres.allow_conn);
  for (const DatabaseRow& db : dbs) {
    EXPECT_EQ(db.encoding, 6) << db.name;  // UTF8
    EXPECT_EQ(db.conn_limit, -1) << db.name;
    EXPECT_EQ(db.dba, 10u) << db.name;
    EXPECT_EQ(db.tablespace, 1663u) << db.name;
    EXPECT_EQ(db.collate, "C") << db.name;
    EXPECT_EQ(db.ctype, "C") << db.name;
  }
  // pg_authid: the superuser alone, without a password (no --pwfile).
  std::optional<commands::RoleInfo> boss = commands::FindRoleByName("boss");
  ASSERT_TRUE(boss.has_value());
  EXPECT_EQ(boss->oid, Oid(10));
  EXPECT_TRUE(boss->superuser);
  EXPECT_FALSE(boss->password.has_value());
  EXPECT_EQ(catalog::CatalogSeqScan(catalog::OpenCatalog(catalog::catalog_oid::kPgAuthid, kInvalidOid),
                                    transam::GetLatestSnapshot())
                .size(),
            1u);
  // Each database has the per-database catalogs, with the same rows (a copy of template1).
  for (uint32_t db : {1u, 4u, 5u}) {
    const catalog::CatalogRelation& pg_class =
        catalog::OpenCatalog(catalog::catalog_oid::kPgClass, Oid(db));
    std::optional<access::HeapTuple> row = catalog::CatalogLookupByOid(
        pg_class, Oid(catalog::catalog_oid::kPgAttribute), transam::GetLatestSnapshot());
    ASSERT_TRUE(row.has_value()) << db;
    EXPECT_EQ(catalog::CatalogGetName(pg_class, *row, "relname"), "pg_attribute");
  }
  transam::CommitTransaction();

  ExpectIndexesMatchHeaps(kInvalidOid, /*shared=*/true);
  for (uint32_t db : {1u, 4u, 5u}) ExpectIndexesMatchHeaps(Oid(db), /*shared=*/false);
}

TEST(InitdbTest, BadPwfile) {
  TempDir tmp;
  const std::string data = tmp.path() + "/data";
  const std::string pwfile = tmp.path() + "/pw";
  ASSERT_TRUE(WriteWholeFile(pwfile, "\n"));
  ProgramResult r = Initdb({"-D", data, "--pwfile=" + pwfile});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, "keel-initdb: error: password file \"" + pwfile + "\" is empty\n");
  r = Initdb({"-D", data, "--pwfile=" + tmp.path() + "/missing"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, "keel-initdb: error: could not open file \"" + tmp.path() +
                       "/missing\" for reading: No such file or directory\n");
  EXPECT_FALSE(fs::exists(data));
}

TEST(InitdbTest, SuperuserNameChecks) {
  TempDir tmp;
  const std::string data = tmp.path() + "/data";
  ProgramResult r = Initdb({"-D", data, "-U", "pg_admin"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, "keel-initdb: error: superuser name \"pg_admin\" is disallowed; role names "
                   "cannot begin with \"pg_\"\n");
  EXPECT_FALSE(fs::exists(data));
  // Anything else PostgreSQL allows is a role name, now that no password file holds it.
  r = Initdb({"-D", data, "-U", "a:b #c", "--no-sync"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(SuperuserRow(data, "a:b #c").has_value());
}

// I7: a signal during the catalog bootstrap ends keel-initdb at the next step boundary with
// "caught signal" and the directory removed, as PostgreSQL's initdb.
TEST(InitdbTest, SignalDuringBootstrapRemovesEverything) {
  for (int signo : {SIGTERM, SIGINT}) {
    TempDir tmp;
    const std::string data = tmp.path() + "/data";
    int out[2];
    ASSERT_EQ(pipe2(out, O_CLOEXEC), 0);
    pid_t child = fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
      dup2(out[1], STDOUT_FILENO);
      int null_fd = open("/dev/null", O_WRONLY);
      dup2(null_fd, STDERR_FILENO);
      const std::string binary = keel::testing::KeelBinary("keel-initdb");
      execl(binary.c_str(), binary.c_str(), "-D", data.c_str(), "--no-sync", nullptr);
      _exit(127);
    }
    close(out[1]);
    // Signal as soon as the bootstrap step has begun.
    std::string seen;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    bool signalled = false;
    while (std::chrono::steady_clock::now() < deadline) {
      pollfd pfd{out[0], POLLIN, 0};
      if (poll(&pfd, 1, 100) <= 0) continue;
      char buf[512];
      ssize_t n = read(out[0], buf, sizeof(buf));
      if (n <= 0) break;
      seen.append(buf, static_cast<size_t>(n));
      if (!signalled && seen.find("running bootstrap script ... ") != std::string::npos) {
        kill(child, signo);
        signalled = true;
      }
    }
    close(out[0]);
    int status = 0;
    ASSERT_EQ(waitpid(child, &status, 0), child);
    ASSERT_TRUE(signalled) << seen;
    ASSERT_TRUE(WIFEXITED(status)) << status;
    EXPECT_EQ(WEXITSTATUS(status), 1) << seen;
    EXPECT_NE(seen.find("caught signal\n"), std::string::npos) << seen;
    EXPECT_FALSE(fs::exists(data)) << signo;
  }
}

TEST(InitdbTest, DataDirectoryFromEnvironmentOrArgument) {
  TempDir tmp;
  const std::string data = tmp.path() + "/from_env";
  ProgramResult r = Initdb({"--no-sync"}, {{"KEELDATA", data}});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(fs::exists(data + "/global/control"));

  const std::string positional = tmp.path() + "/positional";
  r = Initdb({"--no-sync", positional});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(fs::exists(positional + "/global/control"));

  r = Initdb({"--no-sync"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("keel-initdb: error: no data directory specified\n"), std::string::npos)
      << r.err;

  // T5: one positional argument at most, and none besides -D.
  const std::string extra = tmp.path() + "/extra";
  for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
           {"--no-sync", positional + "2", extra}, {"--no-sync", "-D", positional + "3", extra}}) {
    r = Initdb(args);
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_EQ(r.err, "keel-initdb: error: too many command-line arguments (first is \"" + extra +
                         "\")\nkeel-initdb: hint: Try \"keel-initdb --help\" for more "
                         "information.\n");
    EXPECT_FALSE(fs::exists(positional + "2"));
    EXPECT_FALSE(fs::exists(positional + "3"));
  }
}

TEST(InitdbTest, EncodingHelpAndVersion) {
  TempDir tmp;
  ProgramResult r = Initdb({"-D", tmp.path() + "/d", "-E", "LATIN1"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("encoding \"LATIN1\" is not supported"), std::string::npos);
  r = Initdb({"-D", tmp.path() + "/d", "-E", "utf8", "--no-sync"});
  EXPECT_EQ(r.exit_code, 0) << r.err;

  // bin/README.md T4: both spellings first, and -? / -V after other options.
  for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
           {"--help"}, {"-?"}, {"-N", "-?"}}) {
    r = Initdb(args);
    EXPECT_EQ(r.exit_code, 0) << args.back();
    EXPECT_NE(r.out.find("Usage:\n  keel-initdb [OPTION]... [DATADIR]"), std::string::npos);
  }
  for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
           {"--version"}, {"-V"}, {"-N", "-V"}}) {
    r = Initdb(args);
    EXPECT_EQ(r.exit_code, 0) << args.back();
    EXPECT_EQ(r.out.rfind("keel-initdb (Keel) ", 0), 0u) << r.out;
  }
  r = Initdb({"--bogus-option"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("Try \"keel-initdb --help\" for more information."), std::string::npos);
}

TEST(InitdbTest, QuotesDataDirectoryInInstructions) {
  TempDir tmp;
  const std::string data = tmp.path() + "/my data";
  ProgramResult r = Initdb({"-D", data, "--no-sync"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("    keel-ctl -D '" + data + "' -l logfile start\n"), std::string::npos)
      << r.out;
}

}  // namespace
}  // namespace keel::initdb
