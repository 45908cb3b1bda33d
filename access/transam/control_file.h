// The control file, global/control: one fixed-size, CRC-protected record that says what state the
// cluster was left in and where recovery starts. Byte layout and rules: access/transam/README.md
// ("Control file", invariants C1-C7).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <type_traits>

namespace keel::transam {

// "KEEL" in the file's first four bytes (little-endian u32). C3
inline constexpr uint32_t kControlFileMagic = 0x4C45454Bu;
// Bumped whenever the layout of ControlFileData changes. C3
inline constexpr uint32_t kControlFileVersion = 2;
// Bumped whenever the system catalogs change in a way an old cluster cannot be read with, and
// whenever a format only initdb writes changes (the two-phase state file and the PREPARE
// record). History (README.md "Catalog versions"): 1 first catalogs; 2 catalog built-ins,
// pg_database / pg_authid bootstrap, tables and indexes, two-phase state with pending deletes.
inline constexpr uint32_t kCatalogVersion = 2;

// Compile-time properties of the storage format a cluster was created with (C6).
inline constexpr uint32_t kBlockSize = 8192;
inline constexpr uint32_t kRelationSegmentBlocks = 131072;  // 1 GiB relation segments
inline constexpr uint32_t kWalBlockSize = 8192;
// Must equal transam::kWalSegmentSize in wal.h (static_assert in checkpoint.cpp).
inline constexpr uint32_t kControlWalSegmentSize = 16u * 1024 * 1024;
inline constexpr uint32_t kMaxIdentifierLength = 64;  // PostgreSQL's NAMEDATALEN, with the NUL
// A double that detects a different floating-point format, as PostgreSQL's pg_control does.
inline constexpr double kFloatFormat = 1234567.0;
inline constexpr uint32_t kDataChecksumVersion = 1;  // data_checksum_version when checksums are on
inline constexpr size_t kMockAuthNonceLength = 32;

// Fresh-cluster values. Xids 0-2 are reserved (invalid, bootstrap, frozen); OIDs below 16384
// are for objects created by the catalog bootstrap (PostgreSQL's FirstNormalObjectId).
inline constexpr uint64_t kFirstNormalTransactionId = 3;
inline constexpr uint32_t kFirstNormalObjectId = 16384;
inline constexpr uint32_t kFirstTimelineId = 1;

inline constexpr const char* kControlFilePath = "global/control";  // relative to the data dir

// What the cluster was doing when the control file was last written. The values are on disk
// and match PostgreSQL's DBState numbering; never renumber.
enum class ClusterState : uint32_t {
  kStartingUp = 0,
  kShutDown = 1,
  kShutDownInRecovery = 2,
  kShuttingDown = 3,
  kInCrashRecovery = 4,
  kInArchiveRecovery = 5,
  kInProduction = 6,
};

// The record, byte for byte as stored (host byte order; README "Control file" gives offsets).
// LSNs and xids are bare uint64_t for now; the strong types (Lsn, TransactionId, Oid) replace
// them when the WAL issue introduces them, without changing the bytes.
struct ControlFileData {
  uint32_t magic;                   // kControlFileMagic
  uint32_t format_version;          // kControlFileVersion
  uint32_t catalog_version;         // kCatalogVersion at initdb
  ClusterState state;
  uint64_t system_identifier;       // unique per cluster; set once by initdb (C4)
  int64_t time;                     // seconds since the epoch of the last WriteControlFile
  uint64_t checkpoint_lsn;          // latest checkpoint record; 0 = none written yet (C5)
  uint64_t redo_lsn;                // where replay starts for that checkpoint
  int64_t checkpoint_time;          // seconds since the epoch; 0 = none
  uint64_t next_xid;                // next transaction id to assign (64-bit, never wraps)
  uint64_t oldest_xid;              // oldest xid whose commit status may still be looked up
  uint64_t next_multi;              // next MultiXactId to assign (64-bit, never wraps)
  uint64_t next_multi_offset;       // next multixact member offset
  uint64_t min_recovery_lsn;        // archive recovery must replay at least to here; 0 = none
  double float_format;              // kFloatFormat (C6)
  uint32_t next_oid;                // next object id to assign
  uint32_t timeline_id;             // timeline of the latest checkpoint
  uint32_t prev_timeline_id;        // timeline before it (equal unless a timeline switch)
  uint32_t min_recovery_timeline;   // timeline of min_recovery_lsn; 0 = none
  uint32_t full_page_writes;        // 1 when the latest checkpoint ran with full_page_writes
  uint32_t data_checksum_version;   // 0 = data checksums off, else kDataChecksumVersion
  uint32_t block_size;              // kBlockSize (C6)
  uint32_t relation_segment_blocks; // kRelationSegmentBlocks (C6)
  uint32_t wal_block_size;          // kWalBlockSize (C6)
  uint32_t wal_segment_size;        // kControlWalSegmentSize (C6)
  uint32_t max_identifier_length;   // kMaxIdentifierLength (C6)
  uint8_t mock_auth_nonce[kMockAuthNonceLength];  // random; salts SCRAM mock verifiers
  uint32_t crc;                     // CRC-32C of every byte before this field (C2)
};
static_assert(std::is_standard_layout_v<ControlFileData> &&
              std::is_trivially_copyable_v<ControlFileData>);
// C1: the file is exactly this many bytes, with no padding anywhere inside.
inline constexpr size_t kControlFileSize = 184;
static_assert(sizeof(ControlFileData) == kControlFileSize);
static_assert(offsetof(ControlFileData, crc) == kControlFileSize - sizeof(uint32_t));

// Values for a cluster being created now: state kShutDown, a new system identifier
// (PostgreSQL's recipe: seconds << 32 | microseconds << 12 | pid & 0xFFF), a random mock
// authentication nonce, no checkpoint yet, this build's format constants. `crc` is left 0;
// WriteControlFile computes it.
[[nodiscard]] ControlFileData NewControlFile(bool data_checksums);

// Atomically replaces <data_dir>/global/control (C7): writes global/control.tmp, fsyncs it,
// renames it over global/control and fsyncs global/. Stamps `time` with the current time and
// computes the CRC on the copy it writes; `data` itself is not changed.
// Requires: <data_dir>/global exists; one writer at a time (the caller serialises: initdb, or
// the startup process / checkpointer holding the control-file lock, when there is one).
// Throws keel::Error (FATAL; SQLSTATE by errno as PostgreSQL's errcode_for_file_access: 58P01
// ENOENT, 42501 EACCES/EPERM/EROFS, 53100 ENOSPC, else 58030): `could not open file "%s": %m`,
// `could not write to file "%s": %m`, `could not fsync file "%s": %m`,
// `could not rename file "%s" to "%s": %m`. On any error the old file is left untouched and the
// temporary file is removed. The server treats a failure here as PANIC; tools report it.
void WriteControlFile(const std::string& data_dir, const ControlFileData& data);

// Reads and verifies <data_dir>/global/control for a server that will use it (C1-C3, C6).
// Throws keel::Error (FATAL):
//   58P01/42501/58030 `could not open file "%s": %m`, 58030 `could not read file "%s": %m`;
//   XX001 `incorrect checksum in control file`;
//   XX000 `database files are incompatible with server` when the magic, format version,
//   file size, catalog version or a format constant differs, with a detail naming both values.
[[nodiscard]] ControlFileData ReadControlFile(const std::string& data_dir);

// For inspection tools (keel-controldata): reads the record and checks only what is needed to
// interpret its bytes at all (magic, format version, size; errors as ReadControlFile). Does not
// throw for a CRC mismatch or other catalog/format values: `*crc_ok` says whether the CRC matched.
[[nodiscard]] ControlFileData ReadControlFileForInspection(const std::string& data_dir,
                                                           bool* crc_ok);

// CRC-32C of the bytes before `crc` (C2).
[[nodiscard]] uint32_t ComputeControlFileCrc(const ControlFileData& data);

// "starting up", "shut down", "shut down in recovery", "shutting down", "in crash recovery",
// "in archive recovery", "in production"; "unrecognized status code" for anything else.
[[nodiscard]] const char* ClusterStateName(ClusterState state);

#ifdef KEEL_DEBUG
// Test-only fault injection: the next WriteControlFile in this process writes only
// `bytes_before_failure` bytes of global/control.tmp and then fails as a full disk would
// (ENOSPC). One-shot.
void TestOnlyFailNextControlFileWrite(size_t bytes_before_failure);
#endif

}  // namespace keel::transam
