// Every built-in setting: its variable (declared in settings.h) and its row in the table.
// To add a setting, see "Adding a setting" in README.md here.
#include "backend/utils/config/settings.h"

#include <cerrno>
#include <climits>

#include "backend/utils/config/registry_internal.h"
#include "backend/utils/config/date_style.h"
#include "backend/utils/config/setting_def.h"
#include "backend/utils/error/format.h"
#include "backend/utils/error/log.h"

namespace keel::settings {

// No initialisers: every variable gets its row's boot value from the registry during static
// initialisation, at the end of this file (C1), so a default is written in one place only.
std::string listen_addresses;
int port;
int max_connections;
int superuser_reserved_connections;
std::string unix_socket_directories;
int unix_socket_permissions;
int authentication_timeout_s;
bool ssl;
std::string ssl_cert_file;
std::string ssl_key_file;
std::string ssl_ca_file;
PasswordEncryption password_encryption;
std::string hba_file;
int shared_buffers_pages;
int work_mem_kb;
int maintenance_work_mem_kb;
int checkpoint_timeout_s;
double checkpoint_completion_target;
int max_wal_size_mb;
int min_wal_size_mb;
int checkpoint_warning_s;
bool log_checkpoints;
bool fsync;
IoMethod io_method;
int effective_io_concurrency;
int wal_buffers_pages;
WalSyncMethod wal_sync_method;
SynchronousCommit synchronous_commit;
bool full_page_writes;
WalCompression wal_compression;
int wal_writer_delay_ms;
int wal_writer_flush_after_pages;
int commit_delay_us;
int commit_siblings;
int bgwriter_delay_ms;
int bgwriter_lru_maxpages;
double bgwriter_lru_multiplier;
bool data_checksums;
int wal_segment_size_bytes;
bool autovacuum;
int autovacuum_max_workers;
int max_prepared_transactions;
int track_activity_query_size_bytes;
int autovacuum_naptime_s;
int autovacuum_vacuum_threshold;
double autovacuum_vacuum_scale_factor;
int autovacuum_vacuum_insert_threshold;
double autovacuum_vacuum_insert_scale_factor;
int log_autovacuum_min_duration_ms;
Severity log_min_messages;
std::string log_file;
bool log_connections;
bool log_disconnections;
std::string cluster_name;
std::string application_name;
std::string client_encoding;
std::string date_style;
IntervalStyle interval_style;
std::string time_zone;
bool standard_conforming_strings;
int extra_float_digits;
std::string search_path;
int statement_timeout_ms;
int lock_timeout_ms;
int deadlock_timeout_ms;
bool default_transaction_read_only;
std::string data_directory;
std::string server_version;
int server_version_num;
std::string server_encoding;
bool integer_datetimes;
bool is_superuser;
std::string session_authorization;
int block_size;
int max_identifier_length;
bool in_hot_standby;

}  // namespace keel::settings

namespace keel::config {
namespace {

namespace s = keel::settings;
using C = SettingContext;
using U = SettingUnit;

// PostgreSQL's categories (pg_settings.category).
constexpr const char* kConnSettings = "Connections and Authentication / Connection Settings";
constexpr const char* kConnAuth = "Connections and Authentication / Authentication";
constexpr const char* kConnSsl = "Connections and Authentication / SSL";
constexpr const char* kFileLocations = "File Locations";
constexpr const char* kResourcesMem = "Resource Usage / Memory";
constexpr const char* kWalSettings = "Write-Ahead Log / Settings";
constexpr const char* kWalCheckpoints = "Write-Ahead Log / Checkpoints";
constexpr const char* kLogWhere = "Reporting and Logging / Where to Log";
constexpr const char* kLogWhen = "Reporting and Logging / When to Log";
constexpr const char* kLogWhat = "Reporting and Logging / What to Log";
constexpr const char* kProcessTitle = "Reporting and Logging / Process Title";
constexpr const char* kClientStatement = "Client Connection Defaults / Statement Behavior";
constexpr const char* kClientLocale = "Client Connection Defaults / Locale and Formatting";
constexpr const char* kLockManagement = "Lock Management";
constexpr const char* kStatsCumulative = "Statistics / Cumulative Query and Index Statistics";
constexpr const char* kAutovacuum = "Autovacuum";
constexpr const char* kCompatPrevious =
    "Version and Platform Compatibility / Previous PostgreSQL Versions";
constexpr const char* kPreset = "Preset Options";
constexpr const char* kUngrouped = "Ungrouped";

constexpr EnumOption kPasswordEncryptionOptions[] = {
    {"md5", static_cast<int>(s::PasswordEncryption::kMd5)},
    {"scram-sha-256", static_cast<int>(s::PasswordEncryption::kScramSha256)},
};
constexpr EnumOption kIntervalStyleOptions[] = {
    {"postgres", static_cast<int>(s::IntervalStyle::kPostgres)},
    {"postgres_verbose", static_cast<int>(s::IntervalStyle::kPostgresVerbose)},
    {"sql_standard", static_cast<int>(s::IntervalStyle::kSqlStandard)},
    {"iso_8601", static_cast<int>(s::IntervalStyle::kIso8601)},
};
constexpr EnumOption kIoMethodOptions[] = {
    {"sync", static_cast<int>(s::IoMethod::kSync)},
    {"io_uring", static_cast<int>(s::IoMethod::kIoUring)},
};
constexpr EnumOption kWalSyncMethodOptions[] = {
    {"fsync", static_cast<int>(s::WalSyncMethod::kFsync)},
    {"fdatasync", static_cast<int>(s::WalSyncMethod::kFdatasync)},
    {"open_sync", static_cast<int>(s::WalSyncMethod::kOpenSync)},
    {"open_datasync", static_cast<int>(s::WalSyncMethod::kOpenDatasync)},
};
// PostgreSQL also accepts the boolean spellings for synchronous_commit.
constexpr EnumOption kSynchronousCommitOptions[] = {
    {"off", static_cast<int>(s::SynchronousCommit::kOff)},
    {"local", static_cast<int>(s::SynchronousCommit::kLocal)},
    {"remote_write", static_cast<int>(s::SynchronousCommit::kRemoteWrite)},
    {"on", static_cast<int>(s::SynchronousCommit::kOn)},
    {"remote_apply", static_cast<int>(s::SynchronousCommit::kRemoteApply)},
    {"true", static_cast<int>(s::SynchronousCommit::kOn)},
    {"false", static_cast<int>(s::SynchronousCommit::kOff)},
    {"yes", static_cast<int>(s::SynchronousCommit::kOn)},
    {"no", static_cast<int>(s::SynchronousCommit::kOff)},
    {"1", static_cast<int>(s::SynchronousCommit::kOn)},
    {"0", static_cast<int>(s::SynchronousCommit::kOff)},
};
// "on" means the one compressor Keel has.
constexpr EnumOption kWalCompressionOptions[] = {
    {"off", static_cast<int>(s::WalCompression::kOff)},
    {"zlib", static_cast<int>(s::WalCompression::kZlib)},
    {"on", static_cast<int>(s::WalCompression::kZlib)},
    {"false", static_cast<int>(s::WalCompression::kOff)},
    {"true", static_cast<int>(s::WalCompression::kZlib)},
};
// In log_min_messages order (LOG ranks between ERROR and FATAL for the server log).
constexpr EnumOption kLogLevelOptions[] = {
    {"debug5", static_cast<int>(Severity::kDebug5)},
    {"debug4", static_cast<int>(Severity::kDebug4)},
    {"debug3", static_cast<int>(Severity::kDebug3)},
    {"debug2", static_cast<int>(Severity::kDebug2)},
    {"debug1", static_cast<int>(Severity::kDebug1)},
    {"info", static_cast<int>(Severity::kInfo)},
    {"notice", static_cast<int>(Severity::kNotice)},
    {"warning", static_cast<int>(Severity::kWarning)},
    {"error", static_cast<int>(Severity::kError)},
    {"log", static_cast<int>(Severity::kLog)},
    {"fatal", static_cast<int>(Severity::kFatal)},
    {"panic", static_cast<int>(Severity::kPanic)},
};

void AssignLogMinMessages() { SetLogMinSeverity(s::log_min_messages); }

void AssignLogFile() {
  if (!SetLogFile(s::log_file)) {
    int saved_errno = errno;
    Log(Severity::kWarning, "could not open log file \"%s\": %s", s::log_file.c_str(),
        ErrnoText(saved_errno).c_str());
  }
}

constexpr double kIntMax = INT_MAX;

const SettingDef kSettings[] = {
    // Connections and authentication
    {.name = "listen_addresses", .context = C::kPostmaster, .boot_value = "localhost",
     .variable = &s::listen_addresses, .category = kConnSettings,
     .description = "Sets the host name or IP address(es) to listen to."},
    {.name = "port", .context = C::kPostmaster, .boot_value = "5432", .variable = &s::port,
     .min = 1, .max = 65535, .category = kConnSettings,
     .description = "Sets the TCP port the server listens on."},
    {.name = "max_connections", .context = C::kPostmaster, .boot_value = "100",
     .variable = &s::max_connections, .min = 1, .max = 262143, .category = kConnSettings,
     .description = "Sets the maximum number of concurrent connections."},
    {.name = "superuser_reserved_connections", .context = C::kPostmaster, .boot_value = "3",
     .variable = &s::superuser_reserved_connections, .min = 0, .max = 262143,
     .category = kConnSettings,
     .description = "Sets the number of connection slots reserved for superusers."},
    {.name = "unix_socket_directories", .context = C::kPostmaster, .boot_value = "/tmp",
     .variable = &s::unix_socket_directories, .category = kConnSettings,
     .description = "Sets the directories where Unix-domain sockets will be created."},
    {.name = "unix_socket_permissions", .context = C::kPostmaster, .boot_value = "0777",
     .variable = &s::unix_socket_permissions, .min = 0, .max = 0777, .category = kConnSettings,
     .description = "Sets the access permissions of the Unix-domain socket.",
     .flags = kFlagShowOctal},
    {.name = "authentication_timeout", .context = C::kSighup, .boot_value = "1min",
     .variable = &s::authentication_timeout_s, .min = 1, .max = 600, .unit = U::kSeconds,
     .category = kConnAuth,
     .description = "Sets the maximum allowed time to complete client authentication."},
    {.name = "password_encryption", .context = C::kUser, .boot_value = "scram-sha-256",
     .variable = BindEnum(&s::password_encryption), .category = kConnAuth,
     .description = "Chooses the algorithm for encrypting passwords.",
     .enum_options = kPasswordEncryptionOptions},
    {.name = "ssl", .context = C::kSighup, .boot_value = "off", .variable = &s::ssl,
     .category = kConnSsl, .description = "Enables SSL connections."},
    {.name = "ssl_cert_file", .context = C::kSighup, .boot_value = "server.crt",
     .variable = &s::ssl_cert_file, .category = kConnSsl,
     .description = "Location of the SSL server certificate file."},
    {.name = "ssl_key_file", .context = C::kSighup, .boot_value = "server.key",
     .variable = &s::ssl_key_file, .category = kConnSsl,
     .description = "Location of the SSL server private key file."},
    {.name = "ssl_ca_file", .context = C::kSighup, .boot_value = "", .variable = &s::ssl_ca_file,
     .category = kConnSsl, .description = "Location of the SSL certificate authority file."},

    // File locations
    {.name = "data_directory", .context = C::kPostmaster, .boot_value = "",
     .variable = &s::data_directory, .category = kFileLocations,
     .description = "Sets the server's data directory."},
    {.name = "hba_file", .context = C::kPostmaster, .boot_value = "", .variable = &s::hba_file,
     .category = kFileLocations,
     .description = "Sets the server's \"hba\" configuration file; empty means keel_hba.conf "
                    "in the data directory."},

    // Resources, WAL, checkpoints
    {.name = "shared_buffers", .context = C::kPostmaster, .boot_value = "128MB",
     .variable = &s::shared_buffers_pages, .min = 16, .max = INT_MAX / 2, .unit = U::kBlocks,
     .category = kResourcesMem,
     .description = "Sets the number of shared memory buffers used by the server."},
    // PostgreSQL's MAX_KILOBYTES on 64-bit platforms is INT_MAX.
    {.name = "work_mem", .context = C::kUser, .boot_value = "4MB", .variable = &s::work_mem_kb,
     .min = 64, .max = kIntMax, .unit = U::kKilobytes, .category = kResourcesMem,
     .description = "Sets the maximum memory to be used for query workspaces."},
    {.name = "maintenance_work_mem", .context = C::kUser, .boot_value = "64MB",
     .variable = &s::maintenance_work_mem_kb, .min = 1024, .max = kIntMax,
     .unit = U::kKilobytes, .category = kResourcesMem,
     .description = "Sets the maximum memory to be used for maintenance operations."},
    {.name = "fsync", .context = C::kSighup, .boot_value = "on", .variable = &s::fsync,
     .category = kWalSettings, .description = "Forces synchronization of updates to disk."},
    {.name = "checkpoint_timeout", .context = C::kSighup, .boot_value = "5min",
     .variable = &s::checkpoint_timeout_s, .min = 30, .max = 86400, .unit = U::kSeconds,
     .category = kWalCheckpoints,
     .description = "Sets the maximum time between automatic WAL checkpoints."},
    {.name = "checkpoint_completion_target", .context = C::kSighup, .boot_value = "0.9",
     .variable = &s::checkpoint_completion_target, .min = 0.0, .max = 1.0,
     .category = kWalCheckpoints,
     .description = "Time spent flushing dirty buffers during checkpoint, as fraction of "
                    "checkpoint interval."},
    {.name = "max_wal_size", .context = C::kSighup, .boot_value = "1GB",
     .variable = &s::max_wal_size_mb, .min = 2, .max = kIntMax, .unit = U::kMegabytes,
     .category = kWalCheckpoints,
     .description = "Sets the WAL size that triggers a checkpoint."},
    {.name = "min_wal_size", .context = C::kSighup, .boot_value = "80MB",
     .variable = &s::min_wal_size_mb, .min = 2, .max = kIntMax, .unit = U::kMegabytes,
     .category = kWalCheckpoints,
     .description = "Sets the minimum size to shrink the WAL to."},
    {.name = "checkpoint_warning", .context = C::kSighup, .boot_value = "30s",
     .variable = &s::checkpoint_warning_s, .min = 0, .max = kIntMax, .unit = U::kSeconds,
     .category = kWalCheckpoints,
     .description = "Sets the maximum time before warning if checkpoints triggered by WAL "
                    "volume happen too frequently."},
    {.name = "log_checkpoints", .context = C::kSighup, .boot_value = "on",
     .variable = &s::log_checkpoints, .category = kLogWhat,
     .description = "Logs each checkpoint."},
    {.name = "io_method", .context = C::kPostmaster, .boot_value = "io_uring",
     .variable = BindEnum(&s::io_method), .category = kResourcesMem,
     .description = "Selects the method for executing asynchronous I/O.",
     .enum_options = kIoMethodOptions},
    {.name = "effective_io_concurrency", .context = C::kUser, .boot_value = "1",
     .variable = &s::effective_io_concurrency, .min = 0, .max = 1000, .category = kResourcesMem,
     .description = "Number of simultaneous requests that can be handled efficiently by the "
                    "disk subsystem."},
    {.name = "wal_buffers", .context = C::kPostmaster, .boot_value = "-1",
     .variable = &s::wal_buffers_pages, .min = -1, .max = (INT_MAX / 8192), .unit = U::kBlocks,
     .category = kWalSettings,
     .description = "Sets the number of disk-page buffers in shared memory for WAL."},
    {.name = "wal_sync_method", .context = C::kSighup, .boot_value = "fdatasync",
     .variable = BindEnum(&s::wal_sync_method), .category = kWalSettings,
     .description = "Selects the method used for forcing WAL updates to disk.",
     .enum_options = kWalSyncMethodOptions},
    {.name = "synchronous_commit", .context = C::kUser, .boot_value = "on",
     .variable = BindEnum(&s::synchronous_commit), .category = kWalSettings,
     .description = "Sets the current transaction's synchronization level.",
     .enum_options = kSynchronousCommitOptions},
    {.name = "full_page_writes", .context = C::kSighup, .boot_value = "on",
     .variable = &s::full_page_writes, .category = kWalSettings,
     .description = "Writes full pages to WAL when first modified after a checkpoint."},
    {.name = "wal_compression", .context = C::kSuperuser, .boot_value = "off",
     .variable = BindEnum(&s::wal_compression), .category = kWalSettings,
     .description = "Compresses full-page writes written in WAL file with specified method.",
     .enum_options = kWalCompressionOptions},
    {.name = "wal_writer_delay", .context = C::kSighup, .boot_value = "200ms",
     .variable = &s::wal_writer_delay_ms, .min = 1, .max = 10000, .unit = U::kMilliseconds,
     .category = kWalSettings,
     .description = "Time between WAL flushes performed in the WAL writer."},
    {.name = "wal_writer_flush_after", .context = C::kSighup, .boot_value = "1MB",
     .variable = &s::wal_writer_flush_after_pages, .min = 0, .max = kIntMax, .unit = U::kBlocks,
     .category = kWalSettings,
     .description = "Amount of WAL written out by WAL writer that triggers a flush."},
    {.name = "commit_delay", .context = C::kSuperuser, .boot_value = "0",
     .variable = &s::commit_delay_us, .min = 0, .max = 100000, .category = kWalSettings,
     .description = "Sets the delay in microseconds between transaction commit and flushing "
                    "WAL to disk."},
    {.name = "commit_siblings", .context = C::kUser, .boot_value = "5",
     .variable = &s::commit_siblings, .min = 0, .max = 1000, .category = kWalSettings,
     .description = "Sets the minimum number of concurrent open transactions required before "
                    "performing commit_delay."},
    {.name = "bgwriter_delay", .context = C::kSighup, .boot_value = "200ms",
     .variable = &s::bgwriter_delay_ms, .min = 10, .max = 10000, .unit = U::kMilliseconds,
     .category = kResourcesMem, .description = "Background writer sleep time between rounds."},
    {.name = "bgwriter_lru_maxpages", .context = C::kSighup, .boot_value = "100",
     .variable = &s::bgwriter_lru_maxpages, .min = 0, .max = 1073741823,
     .category = kResourcesMem,
     .description = "Background writer maximum number of LRU pages to flush per round."},
    {.name = "bgwriter_lru_multiplier", .context = C::kSighup, .boot_value = "2",
     .variable = &s::bgwriter_lru_multiplier, .min = 0.0, .max = 10.0,
     .category = kResourcesMem,
     .description = "Multiple of the average buffer usage to free per round."},
    {.name = "data_checksums", .context = C::kInternal, .boot_value = "on",
     .variable = &s::data_checksums, .category = kPreset,
     .description = "Shows whether data checksums are turned on for this cluster."},
    {.name = "wal_segment_size", .context = C::kInternal, .boot_value = "16MB",
     .variable = &s::wal_segment_size_bytes, .min = 1048576, .max = 1073741824,
     .unit = U::kBytes, .category = kPreset,
     .description = "Shows the size of write ahead log segments."},

    // Logging
    {.name = "log_file", .context = C::kSighup, .boot_value = "", .variable = &s::log_file,
     .category = kLogWhere,
     .description = "Sets the file the server log is written to; empty means standard error "
                    "(Keel extension).",
     .assign_hook = AssignLogFile},
    {.name = "log_min_messages", .context = C::kSuperuser, .boot_value = "warning",
     .variable = BindEnum(&s::log_min_messages), .category = kLogWhen,
     .description = "Sets the message levels that are logged.",
     .enum_options = kLogLevelOptions, .assign_hook = AssignLogMinMessages},
    {.name = "log_connections", .context = C::kSuperuserBackend, .boot_value = "off",
     .variable = &s::log_connections, .category = kLogWhat,
     .description = "Logs each successful connection."},
    {.name = "log_disconnections", .context = C::kSuperuserBackend, .boot_value = "off",
     .variable = &s::log_disconnections, .category = kLogWhat,
     .description = "Logs end of a session, including duration."},
    {.name = "application_name", .context = C::kUser, .boot_value = "",
     .variable = &s::application_name, .category = kLogWhat,
     .description = "Sets the application name to be reported in statistics and logs.",
     .flags = kFlagReport},
    {.name = "cluster_name", .context = C::kPostmaster, .boot_value = "",
     .variable = &s::cluster_name, .category = kProcessTitle,
     .description = "Sets the name of the cluster, which is included in the process title."},

    // Client connection defaults
    {.name = "search_path", .context = C::kUser, .boot_value = "\"$user\", public",
     .variable = &s::search_path, .category = kClientStatement,
     .description = "Sets the schema search order for names that are not schema-qualified."},
    {.name = "statement_timeout", .context = C::kUser, .boot_value = "0",
     .variable = &s::statement_timeout_ms, .min = 0, .max = kIntMax,
     .unit = U::kMilliseconds, .category = kClientStatement,
     .description = "Sets the maximum allowed duration of any statement."},
    {.name = "lock_timeout", .context = C::kUser, .boot_value = "0",
     .variable = &s::lock_timeout_ms, .min = 0, .max = kIntMax, .unit = U::kMilliseconds,
     .category = kClientStatement,
     .description = "Sets the maximum allowed duration of any wait for a lock."},
    {.name = "default_transaction_read_only", .context = C::kUser, .boot_value = "off",
     .variable = &s::default_transaction_read_only, .category = kClientStatement,
     .description = "Sets the default read-only status of new transactions.",
     .flags = kFlagReport},
    {.name = "client_encoding", .context = C::kUser, .boot_value = "UTF8",
     .variable = &s::client_encoding, .category = kClientLocale,
     .description = "Sets the client's character set encoding.", .flags = kFlagReport},
    {.name = "DateStyle", .context = C::kUser, .boot_value = "ISO, MDY",
     .variable = &s::date_style, .category = kClientLocale,
     .description = "Sets the display format for date and time values.",
     .flags = kFlagReport, .check_hook = CheckDateStyle},
    {.name = "IntervalStyle", .context = C::kUser, .boot_value = "postgres",
     .variable = BindEnum(&s::interval_style), .category = kClientLocale,
     .description = "Sets the display format for interval values.", .flags = kFlagReport,
     .enum_options = kIntervalStyleOptions},
    {.name = "TimeZone", .context = C::kUser, .boot_value = "UTC", .variable = &s::time_zone,
     .category = kClientLocale,
     .description = "Sets the time zone for displaying and interpreting time stamps.",
     .flags = kFlagReport},
    {.name = "extra_float_digits", .context = C::kUser, .boot_value = "1",
     .variable = &s::extra_float_digits, .min = -15, .max = 3, .category = kClientLocale,
     .description = "Sets the number of digits displayed for floating-point values."},

    // Locks, compatibility
    {.name = "max_prepared_transactions", .context = C::kPostmaster, .boot_value = "0",
     .variable = &s::max_prepared_transactions, .min = 0, .max = 262143,
     .category = kResourcesMem,
     .description = "Sets the maximum number of simultaneously prepared transactions."},
    {.name = "track_activity_query_size", .context = C::kPostmaster, .boot_value = "1024",
     .variable = &s::track_activity_query_size_bytes, .min = 100, .max = 1048576,
     .unit = U::kBytes, .category = kStatsCumulative,
     .description = "Sets the size reserved for pg_stat_activity.query, in bytes."},
    {.name = "autovacuum", .context = C::kSighup, .boot_value = "on", .variable = &s::autovacuum,
     .category = kAutovacuum, .description = "Starts the autovacuum subprocess."},
    {.name = "autovacuum_max_workers", .context = C::kPostmaster, .boot_value = "3",
     .variable = &s::autovacuum_max_workers, .min = 1, .max = 262143, .category = kAutovacuum,
     .description = "Sets the maximum number of simultaneously running autovacuum worker processes."},
    {.name = "autovacuum_naptime", .context = C::kSighup, .boot_value = "1min",
     .variable = &s::autovacuum_naptime_s, .min = 1, .max = 2147483, .unit = U::kSeconds,
     .category = kAutovacuum, .description = "Time to sleep between autovacuum runs."},
    {.name = "autovacuum_vacuum_threshold", .context = C::kSighup, .boot_value = "50",
     .variable = &s::autovacuum_vacuum_threshold, .min = 0, .max = kIntMax,
     .category = kAutovacuum,
     .description = "Minimum number of tuple updates or deletes prior to vacuum."},
    {.name = "autovacuum_vacuum_scale_factor", .context = C::kSighup, .boot_value = "0.2",
     .variable = &s::autovacuum_vacuum_scale_factor, .min = 0.0, .max = 100.0,
     .category = kAutovacuum,
     .description = "Number of tuple updates or deletes prior to vacuum as a fraction of reltuples."},
    {.name = "autovacuum_vacuum_insert_threshold", .context = C::kSighup, .boot_value = "1000",
     .variable = &s::autovacuum_vacuum_insert_threshold, .min = -1, .max = kIntMax,
     .category = kAutovacuum,
     .description = "Minimum number of tuple inserts prior to vacuum, or -1 to disable insert vacuums."},
    {.name = "autovacuum_vacuum_insert_scale_factor", .context = C::kSighup, .boot_value = "0.2",
     .variable = &s::autovacuum_vacuum_insert_scale_factor, .min = 0.0, .max = 100.0,
     .category = kAutovacuum,
     .description = "Number of tuple inserts prior to vacuum as a fraction of reltuples."},
    {.name = "log_autovacuum_min_duration", .context = C::kSighup, .boot_value = "-1",
     .variable = &s::log_autovacuum_min_duration_ms, .min = -1, .max = kIntMax,
     .unit = U::kMilliseconds, .category = kLogWhat,
     .description = "Sets the minimum execution time above which autovacuum actions will be logged."},
    {.name = "deadlock_timeout", .context = C::kSuperuser, .boot_value = "1s",
     .variable = &s::deadlock_timeout_ms, .min = 1, .max = kIntMax, .unit = U::kMilliseconds,
     .category = kLockManagement,
     .description = "Sets the time to wait on a lock before checking for deadlock."},
    {.name = "standard_conforming_strings", .context = C::kUser, .boot_value = "on",
     .variable = &s::standard_conforming_strings, .category = kCompatPrevious,
     .description = "Causes '...' strings to treat backslashes literally.",
     .flags = kFlagReport},

    // Preset values: fixed, or set by the server itself (source kDefault)
    {.name = "server_version", .context = C::kInternal, .boot_value = "15.0 (Keel 0.1.0)",
     .variable = &s::server_version, .category = kPreset,
     .description = "Shows the server version.", .flags = kFlagReport},
    {.name = "server_version_num", .context = C::kInternal, .boot_value = "150000",
     .variable = &s::server_version_num, .min = 150000, .max = 150000, .category = kPreset,
     .description = "Shows the server version as an integer."},
    {.name = "server_encoding", .context = C::kInternal, .boot_value = "UTF8",
     .variable = &s::server_encoding, .category = kPreset,
     .description = "Shows the server (database) character set encoding.",
     .flags = kFlagReport},
    {.name = "integer_datetimes", .context = C::kInternal, .boot_value = "on",
     .variable = &s::integer_datetimes, .category = kPreset,
     .description = "Shows whether datetimes are integer based.", .flags = kFlagReport},
    {.name = "block_size", .context = C::kInternal, .boot_value = "8192",
     .variable = &s::block_size, .min = 8192, .max = 8192, .category = kPreset,
     .description = "Shows the size of a disk block."},
    {.name = "max_identifier_length", .context = C::kInternal, .boot_value = "63",
     .variable = &s::max_identifier_length, .min = 63, .max = 63, .category = kPreset,
     .description = "Shows the maximum identifier length."},
    {.name = "in_hot_standby", .context = C::kInternal, .boot_value = "off",
     .variable = &s::in_hot_standby, .category = kPreset,
     .description = "Shows whether hot standby is currently active.", .flags = kFlagReport},
    {.name = "is_superuser", .context = C::kInternal, .boot_value = "off",
     .variable = &s::is_superuser, .category = kUngrouped,
     .description = "Shows whether the current user is a superuser.", .flags = kFlagReport},
    {.name = "session_authorization", .context = C::kInternal, .boot_value = "",
     .variable = &s::session_authorization, .category = kUngrouped,
     .description = "Sets the session user name.", .flags = kFlagReport},
};

// C1: runs after every variable above is constructed (same translation unit, in order).
[[maybe_unused]] const bool kRegistryInitialized = (InitializeRegistry(), true);

}  // namespace

std::span<const SettingDef> SettingTable() { return kSettings; }

}  // namespace keel::config
