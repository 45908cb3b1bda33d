// pg_shdepend: dependencies of objects on cluster-wide objects (the owner role, for now), as
// PostgreSQL's pg_shdepend.c records and reports them. Declared in dependency.h; README.md
// ("Dependencies", D8).
#include <algorithm>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "backend/catalog/catalog_defs.h"
#include "backend/catalog/catalog_lookup.h"
#include "backend/catalog/catalog_values.h"
#include "backend/catalog/catalog_write.h"
#include "backend/catalog/dependency.h"
#include "backend/catalog/object_address_internal.h"
#include "backend/utils/error/format.h"
#include "backend/utils/error/sqlstate.h"

namespace keel::catalog {

using internal::Cat;

namespace {

constexpr uint32_t kShdependDependerIndex = 1232;
constexpr uint32_t kShdependReferenceIndex = 1233;
constexpr int kMaxReportedDeps = 100;

const CatalogRelation& ShdependCat() { return Cat(catalog_oid::kPgShdepend); }

// classIdGetDbId: the dbid column for objects of `classid`.
Oid DependerDatabase(Oid classid) {
  return IsSharedObjectClass(classid) ? kInvalidOid : internal::CurrentDatabase();
}

// shdepLockAndCheckObject: AccessShareLock on the role so a concurrent DROP ROLE waits for us
// (and then sees our row), and the role must still exist.
void LockAndCheckRole(Oid role) {
  (void)storage::LockAcquire(storage::ObjectLockTag(0, catalog_oid::kPgAuthid, role.value(), 0),
                             storage::LockMode::kAccessShare);
  if (!internal::RowByOid(catalog_oid::kPgAuthid, role)) {
    throw Error(sqlstate::kUndefinedObject,
                Format("role %u was concurrently dropped", role.value()));
  }
}

void InsertOwnerRow(Oid classid, Oid objid, Oid owner) {
  const CatalogRelation& sd = ShdependCat();
  CatalogRowBuilder row(*sd.def, sd.desc);
  row.Oid("dbid", DependerDatabase(classid).value())
      .Oid("classid", classid.value())
      .Oid("objid", objid.value())
      .Int4("objsubid", 0)
      .Oid("refclassid", catalog_oid::kPgAuthid)
      .Oid("refobjid", owner.value())
      .Char("deptype", static_cast<char>(SharedDependencyType::kOwner));
  (void)CatalogInsert(sd, row);
}

std::vector<access::HeapTuple> DependerRows(Oid classid, Oid objid, int32_t objsubid) {
  std::vector<access::Datum> keys = {access::ObjectIdGetDatum(DependerDatabase(classid)),
                                     access::ObjectIdGetDatum(classid),
                                     access::ObjectIdGetDatum(objid)};
  if (objsubid != 0) keys.push_back(access::Int32GetDatum(objsubid));
  return internal::RowsByKey(catalog_oid::kPgShdepend, kShdependDependerIndex, keys);
}

const char* SharedDependencyPrefix(char deptype) {
  switch (static_cast<SharedDependencyType>(deptype)) {
    case SharedDependencyType::kOwner: return "owner of %s";
    case SharedDependencyType::kAcl: return "privileges for %s";
    case SharedDependencyType::kPolicy: return "target of %s";
    case SharedDependencyType::kTablespace: return "tablespace for %s";
  }
  return "%s";
}

}  // namespace

void RecordDependencyOnOwner(Oid classid, Oid objid, Oid owner) {
  if (IsPinnedObject(Oid(catalog_oid::kPgAuthid), owner)) return;  // D1
  internal::LockCatalog(catalog_oid::kPgShdepend);
  LockAndCheckRole(owner);
  InsertOwnerRow(classid, objid, owner);
}

void ChangeDependencyOnOwner(Oid classid, Oid objid, Oid new_owner) {
  internal::LockCatalog(catalog_oid::kPgShdepend);
  const bool pinned = IsPinnedObject(Oid(catalog_oid::kPgAuthid), new_owner);
  if (!pinned) LockAndCheckRole(new_owner);
  const CatalogRelation& sd = ShdependCat();
  bool found = false;
  for (const access::HeapTuple& row : DependerRows(classid, objid, 0)) {
    if (CatalogGetInt(sd, row, "objsubid") != 0 ||
        CatalogGetChar(sd, row, "deptype") != static_cast<char>(SharedDependencyType::kOwner)) {
      continue;
    }
    found = true;
    if (pinned) {
      CatalogDelete(sd, row.self);
    } else {
      CatalogRowBuilder b(*sd.def, sd.desc);
      b.From(row).Oid("refobjid", new_owner.value());
      (void)CatalogUpdate(sd, row.self, b);
    }
  }
  if (!found && !pinned) InsertOwnerRow(classid, objid, new_owner);
}

void DeleteSharedDependencyRecordsFor(Oid classid, Oid objid, int32_t objsubid) {
  const std::vector<access::HeapTuple> rows = DependerRows(classid, objid, objsubid);
  if (rows.empty()) return;
  internal::LockCatalog(catalog_oid::kPgShdepend);
  for (const access::HeapTuple& row : rows) CatalogDelete(ShdependCat(), row.self);
}

bool CheckSharedDependencies(Oid classid, Oid objid, std::string* detail,
                             std::string* detail_log) {
  const CatalogRelation& sd = ShdependCat();
  const Oid my_db = internal::CurrentDatabase();
  const access::Datum keys[] = {access::ObjectIdGetDatum(classid), access::ObjectIdGetDatum(objid)};
  struct Local {
    uint32_t objid;
    uint32_t classid;
    int32_t objsubid;
    char deptype;
  };
  std::vector<Local> local;
  std::vector<std::pair<uint32_t, int>> remote;  // database -> count, in order of appearance
  for (const access::HeapTuple& row :
       internal::RowsByKey(catalog_oid::kPgShdepend, kShdependReferenceIndex, keys)) {
    const uint32_t dbid = CatalogGetOid(sd, row, "dbid");
    if (dbid == my_db.value() || dbid == 0) {
      local.push_back({CatalogGetOid(sd, row, "objid"), CatalogGetOid(sd, row, "classid"),
                       static_cast<int32_t>(CatalogGetInt(sd, row, "objsubid")),
                       CatalogGetChar(sd, row, "deptype")});
      continue;
    }
    auto it = std::find_if(remote.begin(), remote.end(),
                           [&](const auto& r) { return r.first == dbid; });
    if (it == remote.end()) {
      remote.emplace_back(dbid, 1);
    } else {
      ++it->second;
    }
  }
  if (local.empty() && remote.empty()) return false;
  // A stable order for the report, as PostgreSQL sorts it.
  std::sort(local.begin(), local.end(), [](const Local& a, const Local& b) {
    const auto sub_a = static_cast<uint32_t>(a.objsubid);  // unsigned: the whole object first
    const auto sub_b = static_cast<uint32_t>(b.objsubid);
    return std::tie(a.objid, a.classid, sub_a, a.deptype) <
           std::tie(b.objid, b.classid, sub_b, b.deptype);
  });
  std::string shown;
  std::string all;
  int reported = 0;
  int not_reported = 0;
  int not_reported_dbs = 0;
  const auto add = [](std::string& s, const std::string& line) {
    if (!s.empty()) s += '\n';
    s += line;
  };
  for (const Local& l : local) {
    std::optional<std::string> desc = GetObjectDescriptionIfExists(
        ObjectAddress{Oid(l.classid), Oid(l.objid), l.objsubid});
    if (!desc) continue;
    const std::string line = Format(SharedDependencyPrefix(l.deptype), desc->c_str());
    if (reported < kMaxReportedDeps) {
      add(shown, line);
      ++reported;
    } else {
      ++not_reported;
    }
    add(all, line);
  }
  for (const auto& [db, count] : remote) {
    const std::string desc = GetObjectDescriptionIfExists(
                                 MakeObjectAddress(catalog_oid::kPgDatabase, Oid(db)))
                                 .value_or(Format("database %u", db));
    const std::string line =
        Format(count == 1 ? "%d object in %s" : "%d objects in %s", count, desc.c_str());
    if (reported < kMaxReportedDeps) {
      add(shown, line);
      ++reported;
    } else {
      ++not_reported_dbs;
    }
    add(all, line);
  }
  if (not_reported > 0) {
    shown += Format(not_reported == 1 ? "\nand %d other object (see server log for list)"
                                      : "\nand %d other objects (see server log for list)",
                    not_reported);
  }
  if (not_reported_dbs > 0) {
    shown += Format(not_reported_dbs == 1
                        ? "\nand objects in %d other database (see server log for list)"
                        : "\nand objects in %d other databases (see server log for list)",
                    not_reported_dbs);
  }
  if (detail != nullptr) *detail = std::move(shown);
  if (detail_log != nullptr) *detail_log = std::move(all);
  return true;
}

}  // namespace keel::catalog
