// pg_depend rows and the deletion of objects with their dependents (PostgreSQL's pg_depend.c
// and dependency.c semantics, written afresh). pg_shdepend is in shared_dependency.cpp.
// See dependency.h and README.md ("Dependencies", D1-D9).
#include "backend/catalog/dependency.h"

#include <algorithm>
#include <map>
#include <optional>

#include "access/transam/xact.h"
#include "backend/catalog/catalog_defs.h"
#include "backend/catalog/catalog_lookup.h"
#include "backend/catalog/catalog_values.h"
#include "backend/catalog/catalog_write.h"
#include "backend/catalog/namespace.h"
#include "backend/catalog/object_address_internal.h"
#include "backend/utils/cache/inval.h"
#include "backend/utils/error/format.h"
#include "backend/utils/error/log.h"
#include "backend/utils/error/sqlstate.h"

namespace keel::catalog {

using internal::Cat;

namespace {

constexpr uint32_t kDependDependerIndex = 2673;
constexpr uint32_t kDependReferenceIndex = 2674;
constexpr uint32_t kDescriptionIndex = 2675;
constexpr uint32_t kShdescriptionIndex = 2397;

// How an object was reached while planning a deletion (PostgreSQL's DEPFLAG_*).
constexpr int kFlagOriginal = 0x0001;   // a target of the command
constexpr int kFlagNormal = 0x0002;     // through a normal dependency
constexpr int kFlagAuto = 0x0004;       // through an auto dependency
constexpr int kFlagInternal = 0x0008;   // through an internal dependency
constexpr int kFlagPartition = 0x0010;  // through a partition dependency
constexpr int kFlagExtension = 0x0020;  // through an extension dependency
constexpr int kFlagReverse = 0x0040;    // an owning object reached from its member
constexpr int kFlagIsPart = 0x0080;     // has a partition dependency itself
constexpr int kFlagSubobject = 0x0100;  // a sub-object whose whole object goes too

// Rows of the client DETAIL before "and %d other objects" (PostgreSQL's MAX_REPORTED_DEPS).
constexpr int kMaxReportedDeps = 100;
// Recursion depth of the dependency walk before 54001.
constexpr int kMaxDependencyDepth = 1000;

const CatalogRelation& DependCat() { return Cat(catalog_oid::kPgDepend); }

DependRow ReadDependRow(const access::HeapTuple& row) {
  const CatalogRelation& d = DependCat();
  return DependRow{
      ObjectAddress{Oid(CatalogGetOid(d, row, "classid")), Oid(CatalogGetOid(d, row, "objid")),
                    static_cast<int32_t>(CatalogGetInt(d, row, "objsubid"))},
      ObjectAddress{Oid(CatalogGetOid(d, row, "refclassid")),
                    Oid(CatalogGetOid(d, row, "refobjid")),
                    static_cast<int32_t>(CatalogGetInt(d, row, "refobjsubid"))},
      static_cast<DependencyType>(CatalogGetChar(d, row, "deptype"))};
}

// Rows with `object` as depender (index_oid = depender index) or as referenced (reference
// index); sub-id 0 matches every sub-id.
std::vector<access::HeapTuple> DependScan(uint32_t index_oid, const ObjectAddress& object) {
  std::vector<access::Datum> keys = {access::ObjectIdGetDatum(object.classid),
                                     access::ObjectIdGetDatum(object.objid)};
  if (object.objsubid != 0) keys.push_back(access::Int32GetDatum(object.objsubid));
  return internal::RowsByKey(catalog_oid::kPgDepend, index_oid, keys);
}

std::map<uint32_t, ObjectDropper>& Droppers() {
  static std::map<uint32_t, ObjectDropper> droppers = {
      {catalog_oid::kPgNamespace,
       [](const ObjectAddress& object, int) { RemoveSchemaById(object.objid); }},
  };
  return droppers;
}

// --- planning (findDependentObjects) -------------------------------------------------------------

struct Target {
  ObjectAddress object;
  int flags;
  ObjectAddress dependee;  // what it was reached from (or its partition owner), for DETAIL
};

struct StackEntry {
  const ObjectAddress* object;
  int flags;
  StackEntry* next;
};

struct Planner {
  int flags;                                // PerformDeletion flags
  std::span<const ObjectAddress> pending;   // all targets of a multiple deletion
  std::vector<Target> targets;              // post-order: dependents before what they need
  int depth = 0;
};

bool SameObject(const ObjectAddress& a, const ObjectAddress& b) {
  return a.classid == b.classid && a.objid == b.objid;
}

// object_address_present: `obj` or its whole object is in `list`.
bool AddressPresent(const ObjectAddress& obj, std::span<const ObjectAddress> list) {
  return std::any_of(list.begin(), list.end(), [&](const ObjectAddress& t) {
    return SameObject(t, obj) && (t.objsubid == obj.objsubid || t.objsubid == 0);
  });
}

// object_address_present_add_flags: true when `obj` (or its whole object) is planned already;
// flags are added to an exact entry. A whole object planned after some of its sub-objects
// marks them kFlagSubobject (they are still dropped separately, but not reported).
bool PresentAddFlags(const ObjectAddress& obj, int flags, std::vector<Target>& targets) {
  bool present = false;
  for (Target& t : targets) {
    if (!SameObject(t.object, obj)) continue;
    if (t.object.objsubid == obj.objsubid) {
      t.flags |= flags;
      present = true;
    } else if (t.object.objsubid == 0) {
      present = true;  // the whole object goes already; do not plaster the sub's flags on it
    } else if (obj.objsubid == 0 && flags != 0) {
      t.flags |= flags | kFlagSubobject;
    }
  }
  return present;
}

// stack_address_present_add_flags: `obj` is being visited further out (a cycle, D5).
bool StackPresentAddFlags(const ObjectAddress& obj, int flags, StackEntry* stack) {
  bool present = false;
  for (StackEntry* e = stack; e != nullptr; e = e->next) {
    if (!SameObject(*e->object, obj)) continue;
    if (obj.objsubid == e->object->objsubid || e->object->objsubid == 0) {
      e->flags |= flags;
      present = true;
    } else if (obj.objsubid == 0 && flags != 0) {
      e->flags |= flags | kFlagSubobject;
    }
  }
  return present;
}

// PostgreSQL's deletion order among siblings: oid descending (newer objects first), then class,
// then sub-id unsigned ascending (the whole object first).
bool DeletionOrderLess(const ObjectAddress& a, const ObjectAddress& b) {
  if (a.objid != b.objid) return a.objid.value() > b.objid.value();
  if (a.classid != b.classid) return a.classid.value() < b.classid.value();
  return static_cast<uint32_t>(a.objsubid) < static_cast<uint32_t>(b.objsubid);
}

int FlagsForDependent(DependencyType type, const ObjectAddress& object) {
  switch (type) {
    case DependencyType::kNormal: return kFlagNormal;
    case DependencyType::kAuto:
    case DependencyType::kAutoExtension: return kFlagAuto;
    case DependencyType::kInternal: return kFlagInternal;
    case DependencyType::kPartitionPri:
    case DependencyType::kPartitionSec: return kFlagPartition;
    case DependencyType::kExtension: return kFlagExtension;
  }
  throw Error(sqlstate::kInternalError,
              Format("unrecognized dependency type '%c' for %s", static_cast<char>(type),
                     GetObjectDescription(object).c_str()));
}

void FindDependentObjects(Planner& p, const ObjectAddress& object, int objflags,
                          StackEntry* stack);

// Step 1 of the walk: what `object` depends on. An internal / extension owner that is not
// being dropped refuses the deletion (object is a target) or takes it over (object was reached
// from elsewhere), D6; partition dependencies are noted in *objflags / *partition_owner.
// Returns false when the walk of `object` is finished (handed to its owner).
bool VisitOwners(Planner& p, const ObjectAddress& object, int* objflags, StackEntry* stack,
                 ObjectAddress* partition_owner) {
  ObjectAddress owning{};
  for (const access::HeapTuple& row : DependScan(kDependDependerIndex, object)) {
    const DependRow dep = ReadDependRow(row);
    const ObjectAddress& other = dep.referenced;
    // A sub-object depending on its own whole object (explicit in some cases): ignore.
    if (SameObject(other, object) && object.objsubid == 0) continue;
    switch (dep.type) {
      case DependencyType::kNormal:
      case DependencyType::kAuto:
      case DependencyType::kAutoExtension:
        break;
      case DependencyType::kExtension:
        if ((p.flags & kDeletionSkipExtensions) != 0) break;
        [[fallthrough]];
      case DependencyType::kInternal:
        if (stack == nullptr) {
          // A command target owned by another object: fine if the owner is a target too (it
          // takes this one with it), else refused after the scan.
          if (AddressPresent(other, p.pending)) {
            ReleaseDeletionLock(object, p.flags);
            return false;
          }
          if (!owning.IsValid() || dep.type == DependencyType::kExtension) owning = other;
          break;
        }
        // Reached from the owner's side (or from a whole object containing it): fine.
        if (StackPresentAddFlags(other, 0, stack)) break;
        // Reached from elsewhere: delete the owner instead, which takes this object along.
        // Our lock (taken as a dependent's: flags 0) goes first, so a concurrent drop of the
        // owner cannot deadlock with us.
        ReleaseDeletionLock(object, 0);
        AcquireDeletionLock(other, 0);
        if (!internal::RowStillLive(DependCat(), row)) {  // the owner went meanwhile
          ReleaseDeletionLock(other, 0);
          return false;
        }
        FindDependentObjects(p, other, kFlagReverse, stack);
        if (!PresentAddFlags(object, *objflags, p.targets)) {
          throw Error(sqlstate::kInternalError,
                      Format("deletion of owning object %s failed to delete %s",
                             GetObjectDescription(other).c_str(),
                             GetObjectDescription(object).c_str()));
        }
        return false;
      case DependencyType::kPartitionPri:
        *objflags |= kFlagIsPart;
        *partition_owner = other;
        break;
      case DependencyType::kPartitionSec:
        if ((*objflags & kFlagIsPart) == 0) *partition_owner = other;
        *objflags |= kFlagIsPart;
        break;
      default:
        throw Error(sqlstate::kInternalError,
                    Format("unrecognized dependency type '%c' for %s",
                           static_cast<char>(dep.type), GetObjectDescription(object).c_str()));
    }
  }
  if (owning.IsValid()) {
    const std::string other =
        GetObjectDescription(partition_owner->IsValid() ? *partition_owner : owning);
    throw Error(sqlstate::kDependentObjectsStillExist,
                Format("cannot drop %s because %s requires it",
                       GetObjectDescription(object).c_str(), other.c_str()))
        .WithHint(Format("You can drop %s instead.", other.c_str()));
  }
  return true;
}

struct Dependent {
  ObjectAddress object;
  int flags;
};

// Step 2 of the walk: what depends on `object`, each locked and still there after the wait
// (D3), in the stable visiting order (D2).
std::vector<Dependent> LockedDependents(const ObjectAddress& object) {
  std::vector<Dependent> dependents;
  for (const access::HeapTuple& row : DependScan(kDependReferenceIndex, object)) {
    const DependRow dep = ReadDependRow(row);
    if (SameObject(dep.depender, object) && object.objsubid == 0) continue;
    AcquireDeletionLock(dep.depender, 0);
    if (!internal::RowStillLive(DependCat(), row)) {  // dropped while we waited for the lock
      ReleaseDeletionLock(dep.depender, 0);
      continue;
    }
    dependents.push_back({dep.depender, FlagsForDependent(dep.type, dep.depender)});
  }
  std::sort(dependents.begin(), dependents.end(), [](const Dependent& a, const Dependent& b) {
    return DeletionOrderLess(a.object, b.object);
  });
  return dependents;
}

// findDependentObjects: adds `object` and everything depending on it to p.targets, dependents
// first (D2-D6).
void FindDependentObjects(Planner& p, const ObjectAddress& object, int objflags,
                          StackEntry* stack) {
  // Already being visited further out (a cycle) or already planned: just add the flags (D5).
  if (StackPresentAddFlags(object, objflags, stack)) return;
  if (p.depth >= kMaxDependencyDepth) {
    throw Error(sqlstate::kStatementTooComplex, "stack depth limit exceeded");
  }
  if (PresentAddFlags(object, objflags, p.targets)) return;
  if (IsPinnedObject(object.classid, object.objid)) {  // D1
    throw Error(sqlstate::kDependentObjectsStillExist,
                Format("cannot drop %s because it is required by the database system",
                       GetObjectDescription(object).c_str()));
  }
  ObjectAddress partition_owner{};
  if (!VisitOwners(p, object, &objflags, stack, &partition_owner)) return;

  StackEntry mine{&object, objflags, stack};
  ++p.depth;
  for (const Dependent& d : LockedDependents(object)) {
    FindDependentObjects(p, d.object, d.flags, &mine);
  }
  --p.depth;

  Target t{object, mine.flags, ObjectAddress{}};
  if ((mine.flags & kFlagIsPart) != 0) {
    t.dependee = partition_owner;
  } else if (stack != nullptr) {
    t.dependee = *stack->object;
  }
  p.targets.push_back(t);
}

// reportDependentObjects: refuse (RESTRICT with normal dependents, partition members alone)
// or report what CASCADE takes along (D7).
void ReportDependentObjects(const Planner& p, DropBehavior behavior, int flags,
                            const ObjectAddress* orig, NoticeList* notices) {
  for (const Target& t : p.targets) {
    if ((t.flags & kFlagIsPart) != 0 && (t.flags & kFlagPartition) == 0) {
      const std::string other = GetObjectDescription(t.dependee);
      throw Error(sqlstate::kDependentObjectsStillExist,
                  Format("cannot drop %s because %s requires it",
                         GetObjectDescription(t.object).c_str(), other.c_str()))
          .WithHint(Format("You can drop %s instead.", other.c_str()));
    }
  }
  const bool quiet = (flags & kDeletionQuietly) != 0;
  if (behavior == DropBehavior::kCascade && quiet) return;

  std::string client_detail;
  std::string log_detail;
  int reported = 0;
  int not_reported = 0;
  bool ok = true;
  const auto add_line = [](std::string& s, const std::string& line) {
    if (!s.empty()) s += '\n';
    s += line;
  };
  // Back to front: dependency order, the order a reader expects.
  for (auto it = p.targets.rbegin(); it != p.targets.rend(); ++it) {
    if ((it->flags & (kFlagOriginal | kFlagSubobject)) != 0) continue;
    std::optional<std::string> desc = GetObjectDescriptionIfExists(it->object);
    if (!desc) continue;  // dropped concurrently
    if ((it->flags & (kFlagAuto | kFlagInternal | kFlagPartition | kFlagExtension)) != 0) {
      Log(Severity::kDebug2, "drop auto-cascades to %s", desc->c_str());
      continue;
    }
    std::string line;
    if (behavior == DropBehavior::kRestrict) {
      std::optional<std::string> other = GetObjectDescriptionIfExists(it->dependee);
      ok = false;
      if (!other) {
        ++not_reported;
        continue;
      }
      line = Format("%s depends on %s", desc->c_str(), other->c_str());
    } else {
      line = Format("drop cascades to %s", desc->c_str());
    }
    if (reported < kMaxReportedDeps) {
      add_line(client_detail, line);
      ++reported;
    } else {
      ++not_reported;
    }
    add_line(log_detail, line);
  }
  if (not_reported > 0) {
    client_detail += Format(not_reported == 1 ? "\nand %d other object (see server log for list)"
                                              : "\nand %d other objects (see server log for list)",
                            not_reported);
  }
  if (!ok) {
    const std::string msg =
        orig != nullptr
            ? Format("cannot drop %s because other objects depend on it",
                     GetObjectDescription(*orig).c_str())
            : std::string("cannot drop desired object(s) because other objects depend on them");
    if (client_detail != log_detail) {
      LogError(Error(sqlstate::kDependentObjectsStillExist, msg).WithDetail(log_detail));
    }
    throw Error(sqlstate::kDependentObjectsStillExist, msg)
        .WithDetail(client_detail)
        .WithHint("Use DROP ... CASCADE to drop the dependent objects too.");
  }
  if (quiet) return;
  if (client_detail != log_detail) {
    Log(Severity::kLog, "drop cascades to:\n%s", log_detail.c_str());
  }
  if (reported > 1) {
    const int total = reported + not_reported;
    EmitNotice(notices, Error(sqlstate::kSuccessfulCompletion,
                              Format(total == 1 ? "drop cascades to %d other object"
                                                : "drop cascades to %d other objects",
                                     total),
                              Severity::kNotice)
                            .WithDetail(client_detail));
  } else if (reported == 1) {
    EmitNotice(notices,
               Error(sqlstate::kSuccessfulCompletion, client_detail, Severity::kNotice));
  }
}

void DeleteDescriptions(const ObjectAddress& object) {
  if (IsSharedObjectClass(object.classid)) {
    const access::Datum keys[] = {access::ObjectIdGetDatum(object.objid),
                                  access::ObjectIdGetDatum(object.classid)};
    const std::vector<access::HeapTuple> rows =
        internal::RowsByKey(catalog_oid::kPgShdescription, kShdescriptionIndex, keys);
    if (rows.empty()) return;
    internal::LockCatalog(catalog_oid::kPgShdescription);
    for (const access::HeapTuple& row : rows) {
      CatalogDelete(Cat(catalog_oid::kPgShdescription), row.self);
    }
    return;
  }
  std::vector<access::Datum> keys = {access::ObjectIdGetDatum(object.objid),
                                     access::ObjectIdGetDatum(object.classid)};
  if (object.objsubid != 0) keys.push_back(access::Int32GetDatum(object.objsubid));
  const std::vector<access::HeapTuple> rows =
      internal::RowsByKey(catalog_oid::kPgDescription, kDescriptionIndex, keys);
  if (rows.empty()) return;
  internal::LockCatalog(catalog_oid::kPgDescription);
  for (const access::HeapTuple& row : rows) {
    CatalogDelete(Cat(catalog_oid::kPgDescription), row.self);
  }
}

// deleteOneObject: the class's dropper, then the object's own pg_depend, pg_shdepend and
// description rows (D4), then a new command so the next step sees the change.
void DeleteOneObject(const ObjectAddress& object, int flags) {
  const auto it = Droppers().find(object.classid.value());
  if (it == Droppers().end()) {
    throw Error(sqlstate::kInternalError,
                Format("unsupported object class: %u", object.classid.value()));
  }
  it->second(object, flags);
  for (const access::HeapTuple& row : DependScan(kDependDependerIndex, object)) {
    CatalogDelete(DependCat(), row.self);
  }
  DeleteSharedDependencyRecordsFor(object.classid, object.objid, object.objsubid);
  DeleteDescriptions(object);
  transam::CommandCounterIncrement();
}

void Delete(std::span<const ObjectAddress> objects, DropBehavior behavior, int flags,
            NoticeList* notices) {
  if (objects.empty()) return;
  internal::LockCatalog(catalog_oid::kPgDepend);
  Planner p{flags, objects.size() > 1 ? objects : std::span<const ObjectAddress>{}, {}, 0};
  for (const ObjectAddress& object : objects) {
    AcquireDeletionLock(object, flags);
    FindDependentObjects(p, object, kFlagOriginal, nullptr);
  }
  ReportDependentObjects(p, behavior, flags, objects.size() == 1 ? &objects[0] : nullptr,
                         notices);
  for (const Target& t : p.targets) {
    if ((flags & kDeletionSkipOriginal) != 0 && (t.flags & kFlagOriginal) != 0) continue;
    DeleteOneObject(t.object, flags);
  }
}

storage::LockMode DeletionLockMode(const ObjectAddress& object, int flags) {
  if (object.classid == Oid(catalog_oid::kPgClass) && (flags & kDeletionConcurrently) != 0) {
    return storage::LockMode::kShareUpdateExclusive;
  }
  return storage::LockMode::kAccessExclusive;
}

void InsertDependRow(const ObjectAddress& depender, const ObjectAddress& referenced,
                     DependencyType type) {
  const CatalogRelation& d = DependCat();
  CatalogRowBuilder row(*d.def, d.desc);
  row.Oid("classid", depender.classid.value())
      .Oid("objid", depender.objid.value())
      .Int4("objsubid", depender.objsubid)
      .Oid("refclassid", referenced.classid.value())
      .Oid("refobjid", referenced.objid.value())
      .Int4("refobjsubid", referenced.objsubid)
      .Char("deptype", static_cast<char>(type));
  (void)CatalogInsert(d, row);
}

}  // namespace

// --- pinning, notices ----------------------------------------------------------------------------

bool IsPinnedObject(Oid classid, Oid objid) {
  if (objid.value() >= kFirstUnpinnedObjectId) return false;
  if (classid == Oid(catalog_oid::kPgNamespace) && objid == Oid(kPublicNamespace)) return false;
  if (classid == Oid(catalog_oid::kPgDatabase)) return false;
  return true;
}

void EmitNotice(NoticeList* notices, Error notice) {
  if (notices != nullptr) {
    notices->push_back(std::move(notice));
  } else {
    LogError(notice);
  }
}

// --- pg_depend rows ------------------------------------------------------------------------------

void RecordDependencyOn(const ObjectAddress& depender, const ObjectAddress& referenced,
                        DependencyType type) {
  RecordMultipleDependencies(depender, {&referenced, 1}, type);
}

void RecordMultipleDependencies(const ObjectAddress& depender,
                                std::span<const ObjectAddress> referenced, DependencyType type) {
  bool locked = false;
  for (const ObjectAddress& ref : referenced) {
    if (IsPinnedObject(ref.classid, ref.objid)) continue;  // D1
    if (!locked) {
      internal::LockCatalog(catalog_oid::kPgDepend);
      locked = true;
    }
    InsertDependRow(depender, ref, type);
  }
}

int64_t DeleteDependencyRecordsFor(Oid classid, Oid objid, bool skip_extension_deps) {
  internal::LockCatalog(catalog_oid::kPgDepend);
  int64_t count = 0;
  for (const access::HeapTuple& row :
       DependScan(kDependDependerIndex, ObjectAddress{classid, objid, 0})) {
    if (skip_extension_deps && ReadDependRow(row).type == DependencyType::kExtension) continue;
    CatalogDelete(DependCat(), row.self);
    ++count;
  }
  return count;
}

int64_t DeleteDependencyRecordsForClass(Oid classid, Oid objid, Oid refclassid,
                                        DependencyType type) {
  internal::LockCatalog(catalog_oid::kPgDepend);
  int64_t count = 0;
  for (const access::HeapTuple& row :
       DependScan(kDependDependerIndex, ObjectAddress{classid, objid, 0})) {
    const DependRow dep = ReadDependRow(row);
    if (dep.referenced.classid != refclassid || dep.type != type) continue;
    CatalogDelete(DependCat(), row.self);
    ++count;
  }
  return count;
}

int64_t ChangeDependencyFor(Oid classid, Oid objid, Oid refclassid, Oid old_ref, Oid new_ref) {
  const bool old_pinned = IsPinnedObject(refclassid, old_ref);
  const bool new_pinned = IsPinnedObject(refclassid, new_ref);
  if (old_pinned) {
    if (new_pinned) return 1;  // nothing recorded before or after
    RecordDependencyOn(ObjectAddress{classid, objid, 0}, ObjectAddress{refclassid, new_ref, 0},
                       DependencyType::kNormal);
    return 1;
  }
  internal::LockCatalog(catalog_oid::kPgDepend);
  const CatalogRelation& d = DependCat();
  int64_t count = 0;
  for (const access::HeapTuple& row :
       DependScan(kDependDependerIndex, ObjectAddress{classid, objid, 0})) {
    const DependRow dep = ReadDependRow(row);
    if (dep.referenced.classid != refclassid || dep.referenced.objid != old_ref) continue;
    if (new_pinned) {
      CatalogDelete(d, row.self);
    } else {
      CatalogRowBuilder b(*d.def, d.desc);
      b.From(row).Oid("refobjid", new_ref.value());
      (void)CatalogUpdate(d, row.self, b);
    }
    ++count;
  }
  return count;
}

std::vector<DependRow> GetDependencies(const ObjectAddress& object) {
  std::vector<DependRow> out;
  for (const access::HeapTuple& row : DependScan(kDependDependerIndex, object)) {
    out.push_back(ReadDependRow(row));
  }
  return out;
}

std::vector<DependRow> GetDependents(const ObjectAddress& object) {
  std::vector<DependRow> out;
  for (const access::HeapTuple& row : DependScan(kDependReferenceIndex, object)) {
    out.push_back(ReadDependRow(row));
  }
  return out;
}

// --- deletion ------------------------------------------------------------------------------------

void RegisterObjectDropper(Oid classid, ObjectDropper fn) { Droppers()[classid.value()] = fn; }

void PerformDeletion(const ObjectAddress& object, DropBehavior behavior, int flags,
                     NoticeList* notices) {
  Delete({&object, 1}, behavior, flags, notices);
}

void PerformMultipleDeletions(std::span<const ObjectAddress> objects, DropBehavior behavior,
                              int flags, NoticeList* notices) {
  Delete(objects, behavior, flags, notices);
}

void AcquireDeletionLock(const ObjectAddress& object, int flags) {
  const storage::LockMode mode = DeletionLockMode(object, flags);
  if (object.classid == Oid(catalog_oid::kPgClass)) {
    (void)cache::LockRelationOid(internal::CurrentDatabase(), object.objid, mode);
    return;
  }
  (void)storage::LockAcquire(
      storage::ObjectLockTag(internal::ObjectLockDatabase(object.classid), object.classid.value(),
                             object.objid.value(), 0),
      mode);
}

void ReleaseDeletionLock(const ObjectAddress& object, int flags) {
  const storage::LockMode mode = DeletionLockMode(object, flags);
  if (object.classid == Oid(catalog_oid::kPgClass)) {
    (void)storage::LockRelease(
        storage::RelationLockTag(internal::CurrentDatabase().value(), object.objid.value()), mode);
    return;
  }
  (void)storage::LockRelease(
      storage::ObjectLockTag(internal::ObjectLockDatabase(object.classid), object.classid.value(),
                             object.objid.value(), 0),
      mode);
}

}  // namespace keel::catalog
