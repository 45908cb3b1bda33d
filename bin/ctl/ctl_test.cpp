// Runs the built keel-ctl without the real server: status exit codes, errors, stale pid files,
// init, and start/stop/restart/reload against a stand-in server script that writes
// postmaster.pid and postmaster.opts as the postmaster does (bin/README.md, C1-C8).
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "bin/ctl/ctl_test_fixture.h"
#include "bin/ctl/postmaster_pid.h"
#include "tests/support/files.h"
#include "tests/support/run_program.h"
#include "tests/support/wait_until.h"

namespace keel::ctl {
namespace {

namespace fs = std::filesystem;
using keel::testing::EnvChanges;
using keel::testing::KeelBinary;
using keel::testing::ProgramResult;
using keel::testing::ReadWholeFile;
using keel::testing::RunProgram;
using keel::testing::WaitUntil;
using keel::testing::WriteWholeFile;

// Stand-in for `keel`: records its arguments, writes postmaster.opts and postmaster.pid (with
// a temp file + rename, as the postmaster does), logs the signals it gets, removes the pid file
// on TERM/INT/QUIT. FAKE_KEEL_MODE: ready (default), exit (fails at once), never_ready (stays
// "starting"), ignore_int (ignores the fast-shutdown signal).
constexpr const char* kFakeServer = R"sh(#!/bin/sh
dir="$2"
printf '%s\n' "$@" > "$dir/fake_args"
echo "fake keel starting"
echo "fake keel stderr" >&2
if [ "$FAKE_KEEL_MODE" = exit ]; then echo "FATAL: refusing to start" >&2; exit 1; fi
status="ready   "
if [ "$FAKE_KEEL_MODE" = never_ready ]; then status="starting"; fi
line="$0"
for a in "$@"; do line="$line \"$a\""; done
echo "$line" > "$dir/postmaster.opts"
printf '%s\n%s\n%s\n%s\n%s\n%s\n%s\n%s\n' $$ "$dir" "$(date +%s)" 5432 /tmp localhost \
  "        0         0" "$status" > "$dir/postmaster.pid.tmp"
mv "$dir/postmaster.pid.tmp" "$dir/postmaster.pid"
stop() { echo "$1" >> "$dir/fake_signals"; rm -f "$dir/postmaster.pid"; exit 0; }
trap 'stop TERM' TERM
trap 'stop INT' INT
trap 'stop QUIT' QUIT
trap 'echo HUP >> "$dir/fake_signals"' HUP
if [ "$FAKE_KEEL_MODE" = ignore_int ]; then trap '' INT; fi
while :; do sleep 0.05; done
)sh";

class CtlTest : public CtlTestBase {
 protected:
  void SetUp() override {
    CtlTestBase::SetUp();
    if (HasFatalFailure()) return;
    fake_ = tmp_.path() + "/fake_keel";
    ASSERT_TRUE(WriteWholeFile(fake_, kFakeServer));
    ASSERT_EQ(::chmod(fake_.c_str(), 0755), 0);
  }

  // Never leave a stand-in server behind, whatever failed.
  void TearDown() override {
    if (pid_t pid = LiveServerPid()) ::kill(pid, SIGKILL);
  }

  // keel-ctl with the stand-in server and a log file.
  ProgramResult CtlFake(const std::string& command, std::vector<std::string> extra = {},
                        const EnvChanges& env = {}) {
    std::vector<std::string> args = {command, "-D", data_, "-p", fake_, "-l", log_};
    args.insert(args.end(), extra.begin(), extra.end());
    return Ctl(args, env);
  }

  std::string Signals() { return ReadWholeFile(data_ + "/fake_signals").value_or(""); }

  // A pid that certainly names no process now: a child that has exited and been reaped.
  static pid_t DeadPid() {
    pid_t child = ::fork();
    if (child == 0) ::_exit(0);
    int status = 0;
    ::waitpid(child, &status, 0);
    return child;
  }

  void WritePidFile(pid_t pid) {
    ASSERT_TRUE(WriteWholeFile(data_ + "/postmaster.pid",
                               std::to_string(pid) + "\n" + data_ +
                                   "\n1700000000\n5432\n/tmp\nlocalhost\n        0         0\n"
                                   "ready   \n"));
  }

  std::string fake_;
};

TEST_F(CtlTest, StatusOfStoppedClusterIsThree) {
  ProgramResult r = Ctl({"status", "-D", data_});
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_EQ(r.out, "keel-ctl: no server running\n");
  // KEELDATA works in place of -D.
  r = Ctl({"status"}, {{"KEELDATA", data_}});
  EXPECT_EQ(r.exit_code, 3);
}

TEST_F(CtlTest, StatusOfMissingOrForeignDirectoryIsFour) {
  const std::string missing = tmp_.path() + "/missing";
  ProgramResult r = Ctl({"status", "-D", missing});
  EXPECT_EQ(r.exit_code, 4);
  EXPECT_EQ(r.err, "keel-ctl: directory \"" + missing + "\" does not exist\n");

  ProgramResult not_cluster = Ctl({"status", "-D", tmp_.path()});
  EXPECT_EQ(not_cluster.exit_code, 4);
  EXPECT_EQ(not_cluster.err,
            "keel-ctl: directory \"" + tmp_.path() + "\" is not a database cluster directory\n");

  // Other operations report the same problems with exit code 1, as pg_ctl does.
  r = Ctl({"stop", "-D", missing});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, "keel-ctl: directory \"" + missing + "\" does not exist\n");
}

TEST_F(CtlTest, StopWithoutServer) {
  ProgramResult r = Ctl({"stop", "-D", data_});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, "keel-ctl: PID file \"" + data_ + "/postmaster.pid\" does not exist\n"
                   "Is server running?\n");
  r = Ctl({"reload", "-D", data_});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, "keel-ctl: PID file \"" + data_ + "/postmaster.pid\" does not exist\n"
                   "Is server running?\n");
}

TEST_F(CtlTest, StalePidFileMeansNotRunning) {
  pid_t dead = DeadPid();
  WritePidFile(dead);
  ProgramResult r = Ctl({"status", "-D", data_});
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_EQ(r.out, "keel-ctl: no server running\n");

  r = Ctl({"stop", "-D", data_});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, "keel-ctl: PID file \"" + data_ + "/postmaster.pid\" is stale: no process "
                   "with PID " + std::to_string(dead) + " is running\nIs server running?\n");

  r = Ctl({"reload", "-D", data_});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, "keel-ctl: could not send reload signal (PID: " + std::to_string(dead) +
                       "): No such process\n");
}

TEST_F(CtlTest, BadPidFiles) {
  ASSERT_TRUE(WriteWholeFile(data_ + "/postmaster.pid", ""));
  ProgramResult r = Ctl({"status", "-D", data_});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, "keel-ctl: the PID file \"" + data_ + "/postmaster.pid\" is empty\n");
  ASSERT_TRUE(WriteWholeFile(data_ + "/postmaster.pid", "garbage\n"));
  r = Ctl({"stop", "-D", data_});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, "keel-ctl: invalid data in PID file \"" + data_ + "/postmaster.pid\"\n");
}

TEST_F(CtlTest, UsageErrors) {
  ProgramResult r = Ctl({});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, "keel-ctl: no operation specified\n"
                   "Try \"keel-ctl --help\" for more information.\n");
  r = Ctl({"frobnicate", "-D", data_});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("keel-ctl: unrecognized operation mode \"frobnicate\"\n"),
            std::string::npos);
  r = Ctl({"status"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("keel-ctl: no database directory specified and environment variable "
                       "KEELDATA unset\n"),
            std::string::npos);
  r = Ctl({"stop", "-D", data_, "-m", "gentle"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("keel-ctl: unrecognized shutdown mode \"gentle\"\n"), std::string::npos);
  r = Ctl({"start", "stop", "-D", data_});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("too many command-line arguments (first is \"stop\")"), std::string::npos);
  // T4: --help / -? and --version / -V first, -? and -V also after other options.
  for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
           {"--help"}, {"-?"}, {"status", "-?"}}) {
    r = Ctl(args);
    EXPECT_EQ(r.exit_code, 0) << args.back();
    EXPECT_NE(r.out.find("keel-ctl start "), std::string::npos) << r.out;
  }
  for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
           {"--version"}, {"-V"}, {"-s", "-V"}}) {
    r = Ctl(args);
    EXPECT_EQ(r.exit_code, 0) << args.back();
    EXPECT_EQ(r.out.rfind("keel-ctl (Keel) ", 0), 0u) << r.out;
  }
}

TEST_F(CtlTest, MissingServerBinary) {
  ProgramResult r = Ctl({"start", "-D", data_, "-p", tmp_.path() + "/no_such_keel"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("keel-ctl: program \"keel\" is needed by keel-ctl but was not found"),
            std::string::npos)
      << r.err;
}

TEST_F(CtlTest, InitRunsInitdb) {
  const std::string fresh = tmp_.path() + "/fresh";
  ProgramResult r = Ctl({"init", "-D", fresh, "-o", "--no-sync -U 'bob' --auth-local=peer"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("Success."), std::string::npos);
  EXPECT_TRUE(fs::exists(fresh + "/global/control"));
  std::string hba = ReadWholeFile(fresh + "/keel_hba.conf").value_or("");
  EXPECT_NE(hba.find("peer\n"), std::string::npos);

  const std::string quiet = tmp_.path() + "/quiet";
  r = Ctl({"initdb", "-s", "-D", quiet, "-o", "--no-sync"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "");

  r = Ctl({"init", "-D", fresh, "-o", "--no-sync"});  // not empty any more
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("exists but is not empty"), std::string::npos);
  EXPECT_NE(r.err.find("keel-ctl: database system initialization failed\n"), std::string::npos);
}

TEST_F(CtlTest, StartStatusStopWithStandInServer) {
  ProgramResult r = CtlFake("start", {"-o", "-c port=6543 -c 'unix_socket_directories=/tmp/a b'"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(r.out.rfind("waiting for server to start....", 0), 0u) << r.out;
  EXPECT_NE(r.out.find(" done\nserver started\n"), std::string::npos) << r.out;
  pid_t pid = RunningPid();
  ASSERT_GT(pid, 0);
  EXPECT_TRUE(ProcessIsAlive(pid));
  EXPECT_EQ(::getsid(pid), pid);  // C7: its own session
  // -o was split like a shell, after keel-ctl's own -D.
  EXPECT_EQ(ReadWholeFile(data_ + "/fake_args"),
            "-D\n" + data_ + "\n-c\nport=6543\n-c\nunix_socket_directories=/tmp/a b\n");
  // stdout and stderr went to the log.
  EXPECT_TRUE(WaitUntil([&] {
    std::string log = ReadWholeFile(log_).value_or("");
    return log.find("fake keel starting") != std::string::npos &&
           log.find("fake keel stderr") != std::string::npos;
  }));

  r = Ctl({"status", "-D", data_});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.out, "keel-ctl: server is running (PID: " + std::to_string(pid) + ")\n" +
                       ReadWholeFile(data_ + "/postmaster.opts").value_or("?"));

  r = Ctl({"stop", "-D", data_});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out.rfind("waiting for server to shut down....", 0), 0u) << r.out;
  EXPECT_NE(r.out.find(" done\nserver stopped\n"), std::string::npos) << r.out;
  EXPECT_FALSE(ProcessIsAlive(pid));
  EXPECT_FALSE(fs::exists(data_ + "/postmaster.pid"));
  EXPECT_EQ(Signals(), "INT\n");  // fast is the default mode

  r = Ctl({"status", "-D", data_});
  EXPECT_EQ(r.exit_code, 3);
}

TEST_F(CtlTest, ShutdownModesSendTheirSignals) {
  const std::vector<std::pair<std::string, std::string>> modes = {
      {"smart", "TERM\n"}, {"fast", "INT\n"}, {"immediate", "QUIT\n"}, {"i", "QUIT\n"}};
  for (const auto& [mode, signal_name] : modes) {
    std::filesystem::remove(data_ + "/fake_signals");
    ASSERT_EQ(CtlFake("start").exit_code, 0) << mode;
    ProgramResult r = Ctl({"stop", "-D", data_, "-m", mode});
    ASSERT_EQ(r.exit_code, 0) << mode << r.err;
    EXPECT_EQ(Signals(), signal_name) << mode;
  }
}

TEST_F(CtlTest, ReloadSendsHangup) {
  ASSERT_EQ(CtlFake("start").exit_code, 0);
  ProgramResult r = Ctl({"reload", "-D", data_});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "server signaled\n");
  EXPECT_TRUE(WaitUntil([&] { return Signals() == "HUP\n"; })) << Signals();
  EXPECT_EQ(Ctl({"status", "-D", data_}).exit_code, 0);  // still running
  EXPECT_EQ(Ctl({"stop", "-D", data_}).exit_code, 0);
}

TEST_F(CtlTest, RestartReusesOptionsFromOptsFile) {
  ASSERT_EQ(CtlFake("start", {"-o", "-c port=7777 -c \"cluster_name=a b\""}).exit_code, 0);
  pid_t first = RunningPid();
  const std::string args_before = ReadWholeFile(data_ + "/fake_args").value_or("");
  ASSERT_NE(args_before.find("cluster_name=a b\n"), std::string::npos) << args_before;

  ProgramResult r = CtlFake("restart");
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("server stopped\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("server started\n"), std::string::npos) << r.out;
  pid_t second = RunningPid();
  EXPECT_NE(second, first);
  EXPECT_FALSE(ProcessIsAlive(first));
  EXPECT_TRUE(ProcessIsAlive(second));
  EXPECT_EQ(ReadWholeFile(data_ + "/fake_args"), args_before);

  // -o replaces the remembered options.
  r = CtlFake("restart", {"-o", "-c port=8888"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(ReadWholeFile(data_ + "/fake_args"), "-D\n" + data_ + "\n-c\nport=8888\n");
  EXPECT_EQ(Ctl({"stop", "-D", data_}).exit_code, 0);
}

TEST_F(CtlTest, RestartWithoutServer) {
  // No opts file: nothing to restart from.
  ProgramResult r = CtlFake("restart");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, "keel-ctl: could not read file \"" + data_ + "/postmaster.opts\"\n");

  // With -o and a stale pid file it starts anyway.
  WritePidFile(DeadPid());
  r = CtlFake("restart", {"-o", "-c port=1"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("seems to be gone\nstarting server anyway\n"), std::string::npos) << r.err;
  EXPECT_EQ(Ctl({"status", "-D", data_}).exit_code, 0);
  EXPECT_EQ(Ctl({"stop", "-D", data_}).exit_code, 0);
}

TEST_F(CtlTest, StartFailureIsReported) {
  ProgramResult r = CtlFake("start", {}, {{"FAKE_KEEL_MODE", "exit"}});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.out.find(" stopped waiting\n"), std::string::npos) << r.out;
  EXPECT_EQ(r.err, "keel-ctl: could not start server\nExamine the log output.\n");
  EXPECT_NE(ReadWholeFile(log_).value_or("").find("FATAL: refusing to start"), std::string::npos);
}

TEST_F(CtlTest, SecondStartWarnsAndFails) {
  ASSERT_EQ(CtlFake("start").exit_code, 0);
  pid_t first = RunningPid();
  // The stand-in in "exit" mode plays a server that refuses the locked directory.
  ProgramResult r = CtlFake("start", {}, {{"FAKE_KEEL_MODE", "exit"}});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err.rfind("keel-ctl: another server might be running; trying to start server "
                        "anyway\n",
                        0),
            0u)
      << r.err;
  EXPECT_NE(r.err.find("keel-ctl: could not start server\n"), std::string::npos);
  EXPECT_TRUE(ProcessIsAlive(first));
  EXPECT_EQ(Ctl({"stop", "-D", data_}).exit_code, 0);
}

TEST_F(CtlTest, StartTimeout) {
  ProgramResult r = CtlFake("start", {"-t", "1"}, {{"FAKE_KEEL_MODE", "never_ready"}});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.out.find(" stopped waiting\n"), std::string::npos) << r.out;
  EXPECT_EQ(r.err, "keel-ctl: server did not start in time\n");
  // It is left running, as pg_ctl leaves it; status says so.
  EXPECT_EQ(Ctl({"status", "-D", data_}).exit_code, 0);
  EXPECT_EQ(Ctl({"stop", "-D", data_, "-m", "immediate"}).exit_code, 0);
}

TEST_F(CtlTest, StopTimeout) {
  ASSERT_EQ(CtlFake("start", {}, {{"FAKE_KEEL_MODE", "ignore_int"}}).exit_code, 0);
  ProgramResult r = Ctl({"stop", "-D", data_, "-t", "1"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.out.find(" failed\n"), std::string::npos) << r.out;
  EXPECT_EQ(r.err, "keel-ctl: server does not shut down\n");
  EXPECT_EQ(Ctl({"stop", "-D", data_, "-m", "smart"}).exit_code, 0);
}

TEST_F(CtlTest, NoWait) {
  ProgramResult r = CtlFake("start", {"-W"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "server starting\n");
  ASSERT_TRUE(WaitUntil([&] { return Ctl({"status", "-D", data_}).exit_code == 0; }));
  pid_t pid = RunningPid();
  r = Ctl({"stop", "-W", "-D", data_});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "server shutting down\n");
  EXPECT_TRUE(WaitUntil([&] { return !ProcessIsAlive(pid); }));
  EXPECT_TRUE(WaitUntil([&] { return Ctl({"status", "-D", data_}).exit_code == 3; }));
}

TEST_F(CtlTest, ServerDoesNotInheritIgnoredSignals) {
  // keel-ctl started with SIGINT ignored (as `nohup` or a script may do): the server must still
  // get the default disposition, or fast shutdown could never reach it. (A shell cannot trap a
  // signal that was ignored when it started, so the stand-in shows the difference.)
  ProgramResult r = RunProgram({"/bin/sh", "-c", "trap '' INT; exec \"$0\" \"$@\"",
                                KeelBinary("keel-ctl"), "start", "-D", data_, "-p", fake_, "-l",
                                log_});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = Ctl({"stop", "-D", data_, "-m", "fast", "-t", "20"});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(Signals(), "INT\n");
}

TEST_F(CtlTest, SilentStartAndStop) {
  ProgramResult r = CtlFake("start", {"-s"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "");
  r = Ctl({"stop", "-s", "-D", data_});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "");
}

}  // namespace
}  // namespace keel::ctl
