// Test harness: a real Keel server in a temporary data directory on a free port, plus
// helpers to run programs. Used by every end-to-end test. See tests/README.md.
#pragma once

#include <libpq-fe.h>
#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

namespace keel::testing {

struct CommandResult {
  int exit_code = -1;     // -1 when killed by a signal or timed out
  bool timed_out = false;
  std::string output;     // stdout and stderr interleaved
};

// Runs argv[0] (a path, or a name found in PATH) with a time limit, feeding `input` on stdin.
[[nodiscard]] CommandResult RunCommand(const std::vector<std::string>& argv, int timeout_s = 60,
                                       const std::string& input = "");

// Path of a Keel binary in the build tree (keel, keel-initdb, keel-ctl ...).
[[nodiscard]] std::string KeelBinary(const std::string& name);

// A TCP port nobody listens on at the moment of the call.
[[nodiscard]] int FreePort();

[[nodiscard]] std::string ReadFile(const std::string& path);
void WriteFile(const std::string& path, const std::string& contents);

// A directory under /tmp removed with everything in it when the object dies.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  [[nodiscard]] const std::string& path() const { return path_; }

 private:
  std::string path_;
};

struct PgConnDeleter {
  void operator()(PGconn* conn) const { PQfinish(conn); }
};
using PgConn = std::unique_ptr<PGconn, PgConnDeleter>;

class TestCluster {
 public:
  // Runs keel-initdb into a fresh temporary directory with `initdb_args` added.
  explicit TestCluster(std::vector<std::string> initdb_args = {});
  ~TestCluster();  // stops the server (immediate) if it still runs
  TestCluster(const TestCluster&) = delete;
  TestCluster& operator=(const TestCluster&) = delete;

  void AppendConf(const std::string& lines);  // to keel.conf
  void WriteHba(const std::string& contents);  // replaces keel_hba.conf

  // Starts `keel` on a free port (TCP 127.0.0.1 and a Unix socket in the data directory's
  // parent), logs to server.log, and waits until postmaster.pid says ready. Fails the test
  // (ADD_FAILURE) and returns false if it does not come up within `timeout_s`.
  bool Start(const std::vector<std::string>& extra_args = {}, int timeout_s = 30);
  // Starts a server expected to fail; returns its exit code and leaves the log.
  int StartExpectingFailure(const std::vector<std::string>& extra_args = {}, int timeout_s = 30);
  // Sends SIGTERM ('s'), SIGINT ('f') or SIGQUIT ('i') and waits for the postmaster to exit.
  // Returns its exit status as from waitpid, or -1 on timeout.
  int Stop(char mode = 'f', int timeout_s = 30);
  [[nodiscard]] bool running() const { return pid_ > 0; }
  [[nodiscard]] pid_t postmaster_pid() const { return pid_; }
  // Forgets the postmaster without stopping it (it was killed or reaped elsewhere).
  void Forget();

  [[nodiscard]] int port() const { return port_; }
  [[nodiscard]] const std::string& data_dir() const { return data_dir_; }
  [[nodiscard]] const std::string& socket_dir() const { return socket_dir_; }
  [[nodiscard]] std::string log() const { return ReadFile(log_path_); }

  // "host=127.0.0.1 port=N user=keel dbname=postgres connect_timeout=10 " + extra
  [[nodiscard]] std::string ConnInfo(const std::string& extra = "") const;
  [[nodiscard]] PgConn Connect(const std::string& extra = "") const;
  // Polls until a trust connection succeeds (true) or `timeout_s` passes (false).
  [[nodiscard]] bool WaitUntilAccepting(int timeout_s = 30) const;
  // pids of the postmaster's children (from /proc).
  [[nodiscard]] std::vector<pid_t> ChildPids() const;

 private:
  TempDir dir_;
  std::string data_dir_;
  std::string socket_dir_;
  std::string log_path_;
  int port_ = 0;
  pid_t pid_ = -1;
};

// The outcome of a connection attempt made with verbose errors, so that the SQLSTATE of a
// refusal ("FATAL:  28P01: ...") can be checked.
struct ConnectAttempt {
  PgConn conn;        // set when the connection succeeded
  std::string error;  // libpq's message otherwise
  std::string sqlstate;
};
[[nodiscard]] ConnectAttempt TryConnect(const std::string& conninfo, int timeout_s = 20);

// The SQLSTATE of a failed result ("" when none).
[[nodiscard]] std::string SqlStateOf(const PGresult* result);

}  // namespace keel::testing
