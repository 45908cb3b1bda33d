// Test harness: a real Keel server in a temporary data directory on a free port, and libpq
// connection helpers. Used by every end-to-end test; the generic helpers (RunProgram, TempDir,
// files, FreePort) are in tests/support/. See tests/README.md.
#pragma once

#include <libpq-fe.h>
#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

#include "tests/support/run_program.h"
#include "tests/support/temp_dir.h"

namespace keel::testing {

struct PgConnDeleter {
  void operator()(PGconn* conn) const { PQfinish(conn); }
};
using PgConn = std::unique_ptr<PGconn, PgConnDeleter>;

class TestCluster {
 public:
  // Runs keel-initdb into a fresh temporary directory with `initdb_args` added. The server
  // started later is `server_binary` from the build's bin/ (test servers such as
  // keel-torture-server run the real postmaster with their own backend).
  explicit TestCluster(std::vector<std::string> initdb_args = {},
                       std::string server_binary = "keel");
  ~TestCluster();  // stops the server (immediate) if it still runs
  TestCluster(const TestCluster&) = delete;
  TestCluster& operator=(const TestCluster&) = delete;

  // Appends `lines` to keel.conf / replaces keel_hba.conf; a failed write fails the test.
  void AppendConf(const std::string& lines);
  void WriteHba(const std::string& contents);
  // Sets an environment variable for the server processes started from now on.
  void SetEnv(const std::string& name, const std::string& value);

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
  // The server's log so far ("" when there is none).
  [[nodiscard]] std::string log() const;

  // "host=127.0.0.1 port=N user=keel dbname=postgres connect_timeout=10 " + extra
  [[nodiscard]] std::string ConnInfo(const std::string& extra = "") const;
  [[nodiscard]] PgConn Connect(const std::string& extra = "") const;
  // Polls until a trust connection succeeds (true) or `timeout_s` passes (false).
  [[nodiscard]] bool WaitUntilAccepting(int timeout_s = 30) const;
  // pids of the postmaster's children (from /proc).
  [[nodiscard]] std::vector<pid_t> ChildPids() const;

 private:
  // keel -D <data> with the port (chosen on first use), listen address and socket directory,
  // then `extra_args`.
  [[nodiscard]] std::vector<std::string> ServerArgv(const std::vector<std::string>& extra_args);

  TempDir dir_;
  std::string server_binary_;
  EnvChanges env_;
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
