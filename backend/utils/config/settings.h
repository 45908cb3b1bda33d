// The server settings as plain per-process variables: hot code reads them directly, the
// registry (config.h) writes them. Defined and described in settings_table.cpp; see README.md.
#pragma once

#include <cstdint>
#include <string>

#include "backend/utils/error/error.h"

namespace keel::settings {

// Enum-typed settings; the names accepted in keel.conf / SET are in settings_table.cpp.
enum class PasswordEncryption : uint8_t { kMd5, kScramSha256 };
enum class IntervalStyle : uint8_t { kPostgres, kPostgresVerbose, kSqlStandard, kIso8601 };
enum class IoMethod : uint8_t { kSync, kIoUring };
enum class WalSyncMethod : uint8_t { kFsync, kFdatasync, kOpenSync, kOpenDatasync };
enum class SynchronousCommit : uint8_t { kOff, kLocal, kRemoteWrite, kOn, kRemoteApply };
enum class WalCompression : uint8_t { kOff, kZlib };

// Values are set from the table's boot values during static initialisation and changed only by
// the registry (C1); never assign them directly outside tests. Per process, no locking:
// each process holds its own copy after fork (C6).
// Variable names are the setting names in snake_case with the base unit as a suffix.

// Connections and authentication
extern std::string listen_addresses;
extern int port;
extern int max_connections;
extern int superuser_reserved_connections;
extern std::string unix_socket_directories;
extern int unix_socket_permissions;     // mode bits, shown in octal ("0777")
extern int authentication_timeout_s;    // authentication_timeout
extern bool ssl;
extern std::string ssl_cert_file;
extern std::string ssl_key_file;
extern std::string ssl_ca_file;
extern PasswordEncryption password_encryption;
extern std::string hba_file;            // empty: <data_directory>/keel_hba.conf

// Resources, WAL, checkpoints
extern int shared_buffers_pages;        // shared_buffers, in 8 kB pages
extern int work_mem_kb;                 // work_mem: per sort / hash before spilling to disk
extern int maintenance_work_mem_kb;     // maintenance_work_mem: CREATE INDEX, VACUUM
extern int checkpoint_timeout_s;
extern double checkpoint_completion_target;
extern int max_wal_size_mb;
extern int min_wal_size_mb;
extern int checkpoint_warning_s;
extern bool log_checkpoints;
extern bool fsync;
extern IoMethod io_method;
extern int effective_io_concurrency;
extern int wal_buffers_pages;           // -1: 1/32 of shared_buffers, 8 pages .. 16MB
extern WalSyncMethod wal_sync_method;
extern SynchronousCommit synchronous_commit;
extern bool full_page_writes;
extern WalCompression wal_compression;
extern int wal_writer_delay_ms;
extern int wal_writer_flush_after_pages;
extern int commit_delay_us;
extern int commit_siblings;
extern int bgwriter_delay_ms;
extern int bgwriter_lru_maxpages;
extern double bgwriter_lru_multiplier;
extern bool data_checksums;             // internal: from the control file at start
extern int wal_segment_size_bytes;      // internal: 16MB

// Two-phase commit: dummy proc slots and shared entries for prepared transactions (0 = off).
extern int max_prepared_transactions;

// Cumulative statistics: bytes of query text each proc slot keeps for pg_stat_activity
// (storage/ipc P9; fixed when shared memory is sized).
extern int track_activity_query_size_bytes;

// Autovacuum
extern bool autovacuum;
extern int autovacuum_max_workers;
extern int autovacuum_naptime_s;
extern int autovacuum_vacuum_threshold;
extern double autovacuum_vacuum_scale_factor;
extern int autovacuum_vacuum_insert_threshold;   // -1: inserts alone never trigger a vacuum
extern double autovacuum_vacuum_insert_scale_factor;
extern int log_autovacuum_min_duration_ms;       // -1: never logged

// Logging
extern Severity log_min_messages;
extern std::string log_file;            // Keel extension: empty = stderr
extern bool log_connections;
extern bool log_disconnections;
extern std::string cluster_name;
extern std::string application_name;

// Client connection defaults
extern std::string client_encoding;
extern std::string date_style;          // DateStyle
extern IntervalStyle interval_style;    // IntervalStyle
extern std::string time_zone;           // TimeZone
extern bool standard_conforming_strings;
extern int extra_float_digits;
extern std::string search_path;
extern int statement_timeout_ms;        // 0 = none
extern int lock_timeout_ms;             // 0 = none
extern int deadlock_timeout_ms;
extern bool default_transaction_read_only;

// File locations
extern std::string data_directory;      // set by the server at start

// Preset (internal) values
extern std::string server_version;
extern int server_version_num;
extern std::string server_encoding;
extern bool integer_datetimes;
extern bool is_superuser;
extern std::string session_authorization;
extern int block_size;
extern int max_identifier_length;
extern bool in_hot_standby;

}  // namespace keel::settings
