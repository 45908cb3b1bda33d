// Dependencies between database objects (PostgreSQL's pg_depend / pg_shdepend and
// dependency.c): recording them, and DROP's deletion of an object with everything that
// depends on it — RESTRICT refuses with 2BP01, CASCADE reports and removes dependents in
// dependency order, internal and auto dependents go silently, pinned system objects cannot be
// dropped. README.md ("Dependencies", D-invariants).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "backend/catalog/object_address.h"
#include "backend/utils/error/error.h"
#include "storage/common/ids.h"

namespace keel::catalog {

// pg_depend.deptype (PostgreSQL's letters; stored as "char").
enum class DependencyType : char {
  kNormal = 'n',         // dropping the referenced object needs CASCADE
  kAuto = 'a',           // the depender goes silently with the referenced object
  kInternal = 'i',       // the depender is part of the referenced object's implementation
  kPartitionPri = 'P',   // partition dependencies (both must be honoured, D6)
  kPartitionSec = 'S',
  kExtension = 'e',      // member of an extension
  kAutoExtension = 'x',  // goes with the extension, but is not a member
};

// pg_shdepend.deptype.
enum class SharedDependencyType : char {
  kOwner = 'o',
  kAcl = 'a',
  kPolicy = 'r',
  kTablespace = 't',
};

enum class DropBehavior : uint8_t { kRestrict, kCascade };

// PerformDeletion flags (PostgreSQL's PERFORM_DELETION_*).
inline constexpr int kDeletionInternal = 0x01;        // a system-internal action, not DROP
inline constexpr int kDeletionConcurrently = 0x02;    // relations: ShareUpdateExclusiveLock
inline constexpr int kDeletionQuietly = 0x04;         // cascade notices not collected
inline constexpr int kDeletionSkipOriginal = 0x08;    // remove dependents, keep the targets
inline constexpr int kDeletionSkipExtensions = 0x10;  // extension membership does not count

// Objects with oids below this were created by initdb and are pinned (PostgreSQL 15's
// FirstUnpinnedObjectId): no pg_depend rows point at them and they cannot be dropped (D1).
inline constexpr uint32_t kFirstUnpinnedObjectId = 12000;

// PostgreSQL's IsPinnedObject: oid < kFirstUnpinnedObjectId, except the public schema and
// databases, which initdb creates but which may be dropped.
[[nodiscard]] bool IsPinnedObject(Oid classid, Oid objid);

// NOTICEs a command produces ("drop cascades to ...", "... does not exist, skipping"), as
// keel::Error values with Severity::kNotice, in order. There is no client channel in this API
// yet: DDL entry points append to the caller's list (tcop will send them as NoticeResponse);
// a null list means "log them" (LogError at NOTICE).
using NoticeList = std::vector<Error>;
// Appends `notice` to *notices, or logs it when notices is null.
void EmitNotice(NoticeList* notices, Error notice);

// --- pg_depend rows -----------------------------------------------------------------------
// All of these change rows under the current command id and take RowExclusiveLock on the
// catalog. Requires: an active, non-failed transaction; MyDatabaseId() set.

// recordDependencyOn: `depender` depends on `referenced`. Nothing is recorded when
// `referenced` is pinned (D1).
void RecordDependencyOn(const ObjectAddress& depender, const ObjectAddress& referenced,
                        DependencyType type);
// One row per referenced object (pinned ones skipped).
void RecordMultipleDependencies(const ObjectAddress& depender,
                                std::span<const ObjectAddress> referenced, DependencyType type);
// Removes every pg_depend row of (classid, objid) as a depender (all sub-ids); with
// skip_extension_deps the kExtension rows stay. Returns the number removed.
int64_t DeleteDependencyRecordsFor(Oid classid, Oid objid, bool skip_extension_deps);
// Removes the rows of (classid, objid) that point at catalog `refclassid` with `type`.
int64_t DeleteDependencyRecordsForClass(Oid classid, Oid objid, Oid refclassid,
                                        DependencyType type);
// changeDependencyFor: repoints (classid, objid)'s rows from (refclassid, old_ref) to new_ref.
// A pinned old_ref had no row: a normal one is added; a pinned new_ref: the rows are removed.
// Returns the number of rows changed (1 when both are pinned, as PostgreSQL).
int64_t ChangeDependencyFor(Oid classid, Oid objid, Oid refclassid, Oid old_ref, Oid new_ref);

// One pg_depend row, for tests and diagnostics.
struct DependRow {
  ObjectAddress depender;
  ObjectAddress referenced;
  DependencyType type;
};
// The rows in which `object` is the depender (sub-id 0: also those of its sub-objects).
[[nodiscard]] std::vector<DependRow> GetDependencies(const ObjectAddress& object);
// The rows in which `object` is referenced (sub-id 0: also its sub-objects).
[[nodiscard]] std::vector<DependRow> GetDependents(const ObjectAddress& object);

// --- deletion -------------------------------------------------------------------------------
// Removes one object of a class from its catalogs (the class's own rows and storage: a table's
// pg_class / pg_attribute rows and files, a schema's pg_namespace row ...). PerformDeletion
// calls it after the object's dependents are gone and removes the object's pg_depend,
// pg_shdepend and pg_description rows itself afterwards (D4). `object.objsubid` != 0 asks for
// a sub-object (a column). Runs inside the deleting transaction; may throw (the transaction
// then aborts and nothing is deleted).
using ObjectDropper = void (*)(const ObjectAddress& object, int flags);
// Registers the dropper for catalog `classid`, replacing any earlier one. Process-local;
// register at process start (inherited by forked backends). pg_namespace's (RemoveSchemaById)
// is built in.
void RegisterObjectDropper(Oid classid, ObjectDropper fn);

// PostgreSQL's performDeletion: locks `object` (AcquireDeletionLock), finds everything that
// depends on it through pg_depend recursively (locking each before looking further), refuses
// or reports, then deletes dependents before what they depend on, each followed by a
// CommandCounterIncrement (D2-D7).
// Requires: an active, non-failed transaction; MyDatabaseId() set.
// Throws 2BP01 `cannot drop %s because it is required by the database system` (pinned);
// 2BP01 `cannot drop %s because %s requires it` + HINT `You can drop %s instead.` (an
// internal / extension / partition member dropped alone); with kRestrict and a normal
// dependent: 2BP01 `cannot drop %s because other objects depend on it`, DETAIL one `%s depends
// on %s` line per dependent (at most 100, then `and %d other objects (see server log for
// list)`), HINT `Use DROP ... CASCADE to drop the dependent objects too.`; XX000 `unsupported
// object class: %u` when no dropper is registered; 54001 `stack depth limit exceeded` past
// 1000 levels; the lock manager's errors; what droppers throw.
// With kCascade, unless kDeletionQuietly: one NOTICE `drop cascades to %s`, or `drop cascades
// to %d other objects` with the list in DETAIL, appended to *notices (EmitNotice).
void PerformDeletion(const ObjectAddress& object, DropBehavior behavior, int flags,
                     NoticeList* notices);
// performMultipleDeletions: the same for several targets at once (DROP a, b): none of them
// counts as a dependent of another. The RESTRICT error names the object when there is one
// target, else `cannot drop desired object(s) because other objects depend on them`.
void PerformMultipleDeletions(std::span<const ObjectAddress> objects, DropBehavior behavior,
                              int flags, NoticeList* notices);

// The lock PostgreSQL holds on an object it is about to drop: AccessExclusiveLock on a
// relation (ShareUpdateExclusiveLock with kDeletionConcurrently) through LockRelationOid, an
// AccessExclusiveLock object lock (database 0 for shared classes) otherwise, always on the
// whole object (D3). ReleaseDeletionLock gives it back.
void AcquireDeletionLock(const ObjectAddress& object, int flags);
void ReleaseDeletionLock(const ObjectAddress& object, int flags = 0);

// --- shared dependencies (pg_shdepend) ------------------------------------------------------
// recordDependencyOnOwner: (classid, objid) is owned by role `owner`. Nothing when the owner
// is pinned (the bootstrap superuser). Locks the role (AccessShareLock object lock) and checks
// it still exists: 42704 `role %u was concurrently dropped`.
void RecordDependencyOnOwner(Oid classid, Oid objid, Oid owner);
// changeDependencyOnOwner: the owner row now points at `new_owner` (removed when pinned).
void ChangeDependencyOnOwner(Oid classid, Oid objid, Oid new_owner);
// deleteSharedDependencyRecordsFor: every pg_shdepend row of the object as a depender in the
// current database (sub-id 0: also its sub-objects').
void DeleteSharedDependencyRecordsFor(Oid classid, Oid objid, int32_t objsubid);
// checkSharedDependencies, for DROP ROLE / DROP TABLESPACE: whether any pg_shdepend row
// references (classid, objid). *detail gets PostgreSQL's lines: `owner of %s`, `privileges
// for %s`, `target of %s`, `tablespace for %s` for objects of this database and shared ones,
// `%d objects in database %s` for other databases (at most 100 lines, then `and %d other
// objects (see server log for list)`); *detail_log the full list.
[[nodiscard]] bool CheckSharedDependencies(Oid classid, Oid objid, std::string* detail,
                                           std::string* detail_log);

}  // namespace keel::catalog
