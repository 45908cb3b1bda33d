// The rows of pg_stat_get_activity() (and so of the pg_stat_activity view): one per process in
// the proc array, read from its slot (storage/ipc P4, P9), as plain C++ values the executor
// turns into a result set. README.md ("pg_stat_activity rows", SA1-SA4).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace keel::stats {

// Who asks: PostgreSQL shows a session's details only to superusers and to members of the
// session's role (here: the same role; role membership comes with pg_auth_members support).
struct ActivityViewer {
  uint32_t role_oid = 0;
  bool superuser = false;
};

// PostgreSQL's text for details a viewer may not see (pg_stat_activity.query).
inline constexpr const char* kInsufficientPrivilege = "<insufficient privilege>";

// One row: the columns of pg_stat_get_activity() Keel fills, nullopt = SQL NULL. Times are
// wall-clock microseconds since the Unix epoch (the executor converts them to timestamptz);
// xids are Keel's 64-bit transaction ids. The function's ssl / gss columns are false / NULL
// (Keel records no TLS details per slot yet).
struct StatActivityRow {
  std::optional<uint32_t> datid;             // NULL: not connected to a database
  int32_t pid = 0;
  std::optional<uint32_t> usesysid;          // NULL: no role (auxiliary processes)
  std::optional<std::string> application_name;
  std::optional<std::string> state;          // "active", "idle", ...; NULL: not reported
  std::optional<std::string> query;          // the last statement; kInsufficientPrivilege
  std::optional<std::string> wait_event_type;
  std::optional<std::string> wait_event;
  std::optional<int64_t> xact_start_us;
  std::optional<int64_t> query_start_us;
  std::optional<int64_t> backend_start_us;
  std::optional<int64_t> state_change_us;
  std::optional<std::string> client_addr;    // NULL: Unix-domain socket or no client
  std::optional<std::string> client_hostname;  // always NULL (log_hostname is not supported)
  std::optional<int32_t> client_port;        // -1: Unix-domain socket; NULL: no client
  std::optional<uint64_t> backend_xid;
  std::optional<uint64_t> backend_xmin;
  std::optional<std::string> backend_type;   // "client backend", "checkpointer", ...
  std::optional<int32_t> leader_pid;         // always NULL (no parallel query)
  std::optional<int64_t> query_id;           // always NULL (compute_query_id off)
};

// pg_stat_get_activity(pid): the process `pid`, or every process when nullopt, in proc array
// order. Reads each slot's consistent copy without a lock (P4); a process starting or leaving
// meanwhile may or may not appear (as in PostgreSQL, which reads a per-query snapshot of its
// backend status array). Requires: the proc array is set up (ProcArrayShmemInit).
[[nodiscard]] std::vector<StatActivityRow> StatActivityRows(std::optional<int32_t> pid,
                                                            const ActivityViewer& viewer);

}  // namespace keel::stats
