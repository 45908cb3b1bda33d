// Templates for keel.conf and keel_hba.conf; see config_files.h.
#include "bin/initdb/config_files.h"

#include <array>

namespace keel::initdb {
namespace {

constexpr std::array<std::string_view, 5> kCommonMethods = {"trust", "reject", "md5", "password",
                                                            "scram-sha-256"};

constexpr std::string_view kKeelConf = R"conf(# -----------------------------
# Keel configuration file
# -----------------------------
#
# One setting per line:
#
#   name = value
#
# The "=" is optional. Blanks around it are ignored, and so is everything from a "#" to the
# end of the line. Names are case-insensitive. Values that are not simple identifiers or
# numbers must be single-quoted; write a quote inside a value as two quotes ('').
#
# Settings that are commented out show their built-in default. Removing the "#" and changing
# the value takes effect when the server reloads its configuration (keel-ctl reload, or
# SIGHUP to the postmaster), except for the settings marked "(change requires restart)".
#
# Settings given on the server's command line (-c name=value) override this file.
#
# Memory units:  B = bytes            Time units:  us  = microseconds
#                kB = kilobytes                    ms  = milliseconds
#                MB = megabytes                    s   = seconds
#                GB = gigabytes                    min = minutes
#                TB = terabytes                    h   = hours
#                                                  d   = days


#------------------------------------------------------------------------------
# FILE LOCATIONS
#------------------------------------------------------------------------------

# Relative paths are taken from the data directory.

#hba_file = 'keel_hba.conf'		# client authentication rules
					# (change requires restart)
#external_pid_file = ''			# write an extra PID file
					# (change requires restart)


#------------------------------------------------------------------------------
# CONNECTIONS AND AUTHENTICATION
#------------------------------------------------------------------------------

# - Connection Settings -

listen_addresses = 'localhost'		# what IP address(es) to listen on;
					# comma-separated list of addresses;
					# '*' = all, '' = Unix socket only
					# (change requires restart)
port = 5432				# (change requires restart)
max_connections = 100			# (change requires restart)
#superuser_reserved_connections = 3	# (change requires restart)
unix_socket_directories = '/tmp'	# comma-separated list of directories
					# (change requires restart)
#unix_socket_permissions = 0777		# begin with 0 to use octal notation
					# (change requires restart)

# - TCP settings -

#tcp_keepalives_idle = 0		# seconds; 0 = system default
#tcp_keepalives_interval = 0		# seconds; 0 = system default
#tcp_keepalives_count = 0		# 0 = system default

# - Authentication -

#authentication_timeout = 1min		# 1s-600s
#password_encryption = scram-sha-256	# scram-sha-256 or md5

# - SSL -

#ssl = off
#ssl_cert_file = 'server.crt'
#ssl_key_file = 'server.key'
#ssl_ca_file = ''
#ssl_min_protocol_version = 'TLSv1.2'


#------------------------------------------------------------------------------
# RESOURCE USAGE
#------------------------------------------------------------------------------

# - Memory -

shared_buffers = 128MB			# min 128kB
					# (change requires restart)
#work_mem = 4MB				# min 64kB
#maintenance_work_mem = 64MB		# min 1MB
#temp_buffers = 8MB			# min 800kB

# - Background Writer -

#bgwriter_delay = 200ms			# 10-10000ms between rounds
#bgwriter_lru_maxpages = 100		# max buffers written/round, 0 disables


#------------------------------------------------------------------------------
# WRITE-AHEAD LOG
#------------------------------------------------------------------------------

# - Settings -

#wal_level = replica			# minimal, replica, or logical
					# (change requires restart)
#fsync = on				# flush data to disk for crash safety
					# (turning this off can cause
					# unrecoverable data corruption)
#synchronous_commit = on		# on, off, local
#full_page_writes = on			# recover from partial page writes
#wal_buffers = -1			# min 32kB, -1 sets based on shared_buffers
					# (change requires restart)
#wal_writer_delay = 200ms		# 1-10000 milliseconds
#commit_delay = 0			# range 0-100000, in microseconds

# - Checkpoints -

#checkpoint_timeout = 5min		# range 30s-1d
#checkpoint_completion_target = 0.9	# checkpoint target duration, 0.0 - 1.0
#max_wal_size = 1GB
#min_wal_size = 80MB


#------------------------------------------------------------------------------
# REPLICATION
#------------------------------------------------------------------------------

#max_wal_senders = 10			# max number of walsender processes
					# (change requires restart)
#primary_conninfo = ''			# connection string to the primary
#hot_standby = on			# allow queries during recovery


#------------------------------------------------------------------------------
# QUERY TUNING
#------------------------------------------------------------------------------

#enable_hashjoin = on
#enable_indexscan = on
#enable_mergejoin = on
#enable_nestloop = on
#enable_seqscan = on
#enable_sort = on
#random_page_cost = 4.0
#effective_cache_size = 4GB
#default_statistics_target = 100	# range 1-10000


#------------------------------------------------------------------------------
# REPORTING AND LOGGING
#------------------------------------------------------------------------------

# - When to Log -

log_min_messages = warning		# values in order of decreasing detail:
					#   debug5, debug4, debug3, debug2, debug1,
					#   info, notice, warning, error, log,
					#   fatal, panic
#log_min_error_statement = error	# same values; statements causing errors
					# at or above this level are logged
#log_min_duration_statement = -1	# -1 is disabled, 0 logs all statements,
					# > 0 logs statements running at least this long

# - What to Log -

#log_connections = off
#log_disconnections = off
#log_checkpoints = on
#log_lock_waits = off			# log lock waits >= deadlock_timeout
#log_statement = 'none'			# none, ddl, mod, all
#log_timezone = 'UTC'


#------------------------------------------------------------------------------
# AUTOVACUUM
#------------------------------------------------------------------------------

#autovacuum = on			# enable the autovacuum launcher
#autovacuum_max_workers = 3		# (change requires restart)
#autovacuum_naptime = 1min		# time between autovacuum runs


#------------------------------------------------------------------------------
# CLIENT CONNECTION DEFAULTS
#------------------------------------------------------------------------------

#search_path = '"$user", public'
#default_transaction_isolation = 'read committed'
#statement_timeout = 0			# in milliseconds, 0 is disabled
#lock_timeout = 0			# in milliseconds, 0 is disabled
#idle_in_transaction_session_timeout = 0	# in milliseconds, 0 is disabled
#datestyle = 'iso, mdy'
#timezone = 'UTC'
#client_encoding = sql_ascii		# 'sql_ascii' means the database encoding
#extra_float_digits = 1			# min -15, max 3


#------------------------------------------------------------------------------
# LOCK MANAGEMENT
#------------------------------------------------------------------------------

#deadlock_timeout = 1s
#max_locks_per_transaction = 64		# min 10
					# (change requires restart)
)conf";

constexpr std::string_view kHbaHeader = R"conf(# Keel client authentication rules
# ================================
#
# The server reads this file to decide, for each new connection, whether it may proceed and
# how the client must prove who it is. Rules are tried from top to bottom; the first one whose
# connection type, database, user and (for TCP) client address all match decides, and no later
# rule is looked at. A connection that matches no rule is rejected.
#
# Each rule is one line of blank-separated fields:
#
#   local      DATABASE  USER  METHOD  [OPTIONS]
#   host       DATABASE  USER  ADDRESS  METHOD  [OPTIONS]
#   hostssl    DATABASE  USER  ADDRESS  METHOD  [OPTIONS]
#   hostnossl  DATABASE  USER  ADDRESS  METHOD  [OPTIONS]
#
# "local" matches connections over a Unix-domain socket. "host" matches TCP/IP connections,
# with or without TLS; "hostssl" only those using TLS and "hostnossl" only those without it.
#
# DATABASE is a database name, "all", "sameuser", or a comma-separated list of names.
# USER is a role name, "all", or a comma-separated list of names.
# ADDRESS is an IPv4 or IPv6 address with a CIDR prefix length ("192.168.1.0/24",
# "::1/128"), "all", or an address followed by a separate netmask field.
# METHOD is one of:
#   trust          allow the connection without any password
#   reject         refuse the connection
#   scram-sha-256  SCRAM-SHA-256 challenge and response (recommended)
#   md5            MD5 challenge and response; SCRAM when the stored secret is SCRAM
#   password       the password in clear text; use it only over TLS
#   peer           (local only) the operating-system user must match the role name
# Role passwords are stored in the pg_authid catalog (keel-initdb --pwfile sets the
# superuser's; ALTER ROLE ... PASSWORD changes them).
#
# Text after a "#" is a comment. Changes take effect when the server reloads its
# configuration (keel-ctl reload, or SIGHUP to the postmaster).
#
# The rules below were written by keel-initdb. Be careful when opening access beyond the
# local machine: "trust" lets anyone who can connect act as any role, the superuser included.


# TYPE  DATABASE        USER            ADDRESS                 METHOD

# "local" is for Unix domain socket connections only
)conf";

}  // namespace

bool IsValidAuthMethod(std::string_view method, bool local) {
  for (std::string_view m : kCommonMethods) {
    if (method == m) return true;
  }
  return local && method == "peer";
}

bool IsPasswordAuthMethod(std::string_view method) {
  return method == "md5" || method == "password" || method == "scram-sha-256";
}

std::string KeelConfText() { return std::string(kKeelConf); }

std::string HbaConfText(std::string_view local_method, std::string_view host_method) {
  std::string text(kHbaHeader);
  auto rule = [&text](std::string_view type, std::string_view address, std::string_view method) {
    std::string line = "local   all             all             ";
    line.replace(0, 5, type);
    line += address;
    if (line.size() < 64) line.append(64 - line.size(), ' ');
    line += method;
    text += line;
    text += '\n';
  };
  rule("local", "", local_method);
  text += "# IPv4 local connections:\n";
  rule("host ", "127.0.0.1/32", host_method);
  text += "# IPv6 local connections:\n";
  rule("host ", "::1/128", host_method);
  return text;
}

}  // namespace keel::initdb
