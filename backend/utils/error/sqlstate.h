// SQLSTATE codes (PostgreSQL's, appendix A of its manual) used by Keel.
// See backend/utils/error/README.md. Add codes here as modules need them.
#pragma once

#include <cstring>
#include <string_view>

namespace keel {

// A five-character SQLSTATE code. Plain value type, safe to copy anywhere.
class SqlState {
 public:
  constexpr SqlState() : code_{'0', '0', '0', '0', '0', '\0'} {}
  constexpr explicit SqlState(const char (&code)[6])
      : code_{code[0], code[1], code[2], code[3], code[4], '\0'} {}

  [[nodiscard]] constexpr std::string_view code() const { return {code_, 5}; }
  [[nodiscard]] const char* c_str() const { return code_; }
  // The class is the first two characters ("08" connection exception, ...).
  [[nodiscard]] constexpr std::string_view error_class() const { return {code_, 2}; }

  friend constexpr bool operator==(const SqlState& a, const SqlState& b) {
    return a.code() == b.code();
  }

 private:
  char code_[6];
};

namespace sqlstate {
inline constexpr SqlState kSuccessfulCompletion{"00000"};
inline constexpr SqlState kWarning{"01000"};
// Class 08 — connection exception
inline constexpr SqlState kConnectionException{"08000"};
inline constexpr SqlState kConnectionFailure{"08006"};
inline constexpr SqlState kProtocolViolation{"08P01"};
// Class 0A — feature not supported
inline constexpr SqlState kFeatureNotSupported{"0A000"};
// Class 22 — data exception
inline constexpr SqlState kDataException{"22000"};
inline constexpr SqlState kInvalidParameterValue{"22023"};
// Class 23 — integrity constraint violation
inline constexpr SqlState kUniqueViolation{"23505"};
// Class 28 — invalid authorization specification
inline constexpr SqlState kInvalidAuthorizationSpecification{"28000"};
inline constexpr SqlState kInvalidPassword{"28P01"};
// Class 3D — invalid catalog name
inline constexpr SqlState kInvalidCatalogName{"3D000"};
// Class 42 — syntax error or access rule violation
inline constexpr SqlState kSyntaxError{"42601"};
inline constexpr SqlState kInsufficientPrivilege{"42501"};
inline constexpr SqlState kUndefinedObject{"42704"};
inline constexpr SqlState kDuplicateObject{"42710"};
// Class 55 — object not in prerequisite state
inline constexpr SqlState kObjectInUse{"55006"};
inline constexpr SqlState kCantChangeRuntimeParam{"55P02"};
// Class 53 — insufficient resources
inline constexpr SqlState kInsufficientResources{"53000"};
inline constexpr SqlState kDiskFull{"53100"};
inline constexpr SqlState kOutOfMemory{"53200"};
inline constexpr SqlState kTooManyConnections{"53300"};
// Class 54 — program limit exceeded
inline constexpr SqlState kProgramLimitExceeded{"54000"};
// Class 57 — operator intervention
inline constexpr SqlState kQueryCanceled{"57014"};
inline constexpr SqlState kAdminShutdown{"57P01"};
inline constexpr SqlState kCrashShutdown{"57P02"};
inline constexpr SqlState kCannotConnectNow{"57P03"};
// Class 58 — system error
inline constexpr SqlState kSystemError{"58000"};
inline constexpr SqlState kIoError{"58030"};
inline constexpr SqlState kUndefinedFile{"58P01"};
// Class F0 — configuration file error
inline constexpr SqlState kConfigFileError{"F0000"};
// Class XX — internal error
inline constexpr SqlState kInternalError{"XX000"};
inline constexpr SqlState kDataCorrupted{"XX001"};
// Added for backend/utils/config (placeholder setting names).
inline constexpr SqlState kInvalidName{"42602"};
// Added for storage/file (errno -> SQLSTATE as PostgreSQL's errcode_for_file_access).
inline constexpr SqlState kDuplicateFile{"58P02"};
inline constexpr SqlState kWrongObjectType{"42809"};
inline constexpr SqlState kObjectNotInPrerequisiteState{"55000"};
// Added for storage/lmgr (heavyweight locks).
inline constexpr SqlState kTDeadlockDetected{"40P01"};
inline constexpr SqlState kLockNotAvailable{"55P03"};
// Added for access/common (tuple descriptors, forming tuples).
inline constexpr SqlState kTooManyColumns{"54011"};
// Transactions (access/transam/xact.h).
inline constexpr SqlState kActiveSqlTransaction{"25001"};
inline constexpr SqlState kNoActiveSqlTransaction{"25P01"};
inline constexpr SqlState kInFailedSqlTransaction{"25P02"};
inline constexpr SqlState kInvalidSavepointSpecification{"3B001"};
// Added for backend/catalog dependency / namespace / object addresses and backend/commands
// (schemas, comments).
inline constexpr SqlState kDependentObjectsStillExist{"2BP01"};
inline constexpr SqlState kInvalidSchemaName{"3F000"};
inline constexpr SqlState kDuplicateSchema{"42P06"};
inline constexpr SqlState kReservedName{"42939"};
inline constexpr SqlState kUndefinedTable{"42P01"};
inline constexpr SqlState kUndefinedColumn{"42703"};
inline constexpr SqlState kUndefinedFunction{"42883"};
inline constexpr SqlState kInvalidTableDefinition{"42P16"};
inline constexpr SqlState kStatementTooComplex{"54001"};
// Added for backend/commands (CREATE / ALTER / DROP DATABASE).
inline constexpr SqlState kDuplicateDatabase{"42P04"};
inline constexpr SqlState kInvalidObjectDefinition{"42P17"};
// Added for backend/commands (tables, indexes, constraints).
inline constexpr SqlState kDuplicateTable{"42P07"};
inline constexpr SqlState kDuplicateColumn{"42701"};
inline constexpr SqlState kInvalidForeignKey{"42830"};
inline constexpr SqlState kDatatypeMismatch{"42804"};
}  // namespace sqlstate

}  // namespace keel
