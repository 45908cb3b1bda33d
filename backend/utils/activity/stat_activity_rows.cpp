// pg_stat_get_activity() rows from the proc array; see stat_activity_rows.h and README.md
// ("pg_stat_activity rows").
#include "backend/utils/activity/stat_activity_rows.h"

#include "storage/ipc/proc_array.h"

namespace keel::stats {
namespace {

std::optional<uint32_t> NullIfZero(uint32_t v) {
  if (v == 0) return std::nullopt;
  return v;
}
std::optional<int64_t> NullIfZero(int64_t v) {
  if (v == 0) return std::nullopt;
  return v;
}
std::optional<uint64_t> NullIfZero(uint64_t v) {
  if (v == 0) return std::nullopt;
  return v;
}
std::optional<std::string> NullIfEmpty(const char* s) {
  if (s[0] == '\0') return std::nullopt;
  return std::string(s);
}

// SA2: superusers see everything; others the sessions of their own role.
bool MaySee(const ActivityViewer& viewer, uint32_t role_oid) {
  return viewer.superuser || (role_oid != 0 && role_oid == viewer.role_oid);
}

StatActivityRow MakeRow(const storage::ProcActivity& a, const ActivityViewer& viewer) {
  StatActivityRow row;
  // SA1: available to every viewer.
  row.datid = NullIfZero(a.database_oid);
  row.pid = a.info.pid;
  row.usesysid = NullIfZero(a.role_oid);
  row.application_name = std::string(a.info.application_name);
  row.backend_xid = NullIfZero(a.info.xid);
  row.backend_xmin = NullIfZero(a.info.xmin);
  if (!MaySee(viewer, a.role_oid)) {
    row.query = kInsufficientPrivilege;
    return row;
  }
  if (const char* state = storage::BackendStateName(a.state)) row.state = state;
  row.query = a.query;
  row.wait_event_type = NullIfEmpty(a.wait_event_type);
  row.wait_event = NullIfEmpty(a.wait_event);
  row.xact_start_us = NullIfZero(a.xact_start_us);
  row.query_start_us = NullIfZero(a.query_start_us);
  row.backend_start_us = NullIfZero(a.info.start_time_us);
  row.state_change_us = NullIfZero(a.state_change_us);
  // SA3: an address and port for TCP clients, port -1 for a Unix-domain socket, all NULL when
  // the process has no client.
  if (a.client_port > 0) {
    row.client_addr = NullIfEmpty(a.client_addr);
    row.client_port = a.client_port;
  } else if (a.client_port == -1) {
    row.client_port = -1;
  }
  row.backend_type = storage::ProcKindName(a.info.kind);
  return row;
}

}  // namespace

std::vector<StatActivityRow> StatActivityRows(std::optional<int32_t> pid,
                                              const ActivityViewer& viewer) {
  std::vector<StatActivityRow> rows;
  storage::ProcArrayForEachActivityOf([&](const storage::ProcActivity& a) {
    if (pid.has_value() && a.info.pid != *pid) return;
    rows.push_back(MakeRow(a, viewer));
  });
  return rows;
}

}  // namespace keel::stats
