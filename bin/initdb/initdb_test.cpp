// Runs the built keel-initdb and checks what it creates (bin/README.md, I1-I8).
#include <sys/stat.h>
#include <unistd.h>

#include <pwd.h>

#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "access/transam/control_file.h"
#include "backend/protocol/auth/hba.h"
#include "backend/protocol/auth/password_file.h"
#include "backend/protocol/auth/scram.h"
#include "bin/common/tool_test_fixture.h"
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
  EXPECT_FALSE(fs::exists(data + "/keel_passwd"));  // no --pwfile

  transam::ControlFileData control = transam::ReadControlFile(data);
  EXPECT_EQ(control.state, transam::ClusterState::kShutDown);
  EXPECT_EQ(control.data_checksum_version, transam::kDataChecksumVersion);  // default on
  EXPECT_NE(control.system_identifier, 0u);

  EXPECT_NE(r.out.find("creating directory " + data + " ... ok\n"), std::string::npos) << r.out;
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

TEST(InitdbTest, PwfileWritesScramVerifier) {
  TempDir tmp;
  const std::string data = tmp.path() + "/data";
  const std::string pwfile = tmp.path() + "/pw";
  ASSERT_TRUE(WriteWholeFile(pwfile, "s3cret pass\nsecond line ignored\n"));
  ProgramResult r = Initdb({"-D", data, "--no-sync", "-U", "alice", "-A", "scram-sha-256",
                         "--pwfile=" + pwfile});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(ModeOf(data + "/keel_passwd"), 0600u);

  auth::PasswordFile passwords = auth::PasswordFile::Load(data + "/keel_passwd");
  EXPECT_EQ(passwords.size(), 1u);
  std::optional<std::string> secret = passwords.Lookup("alice");
  ASSERT_TRUE(secret.has_value());
  std::optional<auth::ScramVerifier> verifier = auth::ScramParseVerifier(*secret);
  ASSERT_TRUE(verifier.has_value()) << *secret;
  EXPECT_EQ(verifier->iterations, auth::kScramDefaultIterations);
  EXPECT_TRUE(auth::ScramVerifyPlainPassword("s3cret pass", *verifier));
  EXPECT_FALSE(auth::ScramVerifyPlainPassword("s3cret", *verifier));
  EXPECT_EQ(HbaMethods(data)[0], auth::HbaMethod::kScramSha256);

  // Without -U the superuser is the OS user; CRLF line ends are stripped.
  const std::string data2 = tmp.path() + "/data2";
  ASSERT_TRUE(WriteWholeFile(pwfile, "other\r\n"));
  r = Initdb({"-D", data2, "--no-sync", "--auth-host=md5", "--pwfile", pwfile});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  secret = auth::PasswordFile::Load(data2 + "/keel_passwd").Lookup(OsUser());
  ASSERT_TRUE(secret.has_value());
  EXPECT_TRUE(auth::ScramVerifyPlainPassword("other", *auth::ScramParseVerifier(*secret)));
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
  r = Initdb({"-D", data, "-U", "a:b"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("superuser name \"a:b\" is disallowed"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(data));
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
