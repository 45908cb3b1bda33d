// The droppers of relations, their row types, constraints and defaults; see relation_drop.h
// and README.md ("Dropping", T17-T19).
#include "backend/catalog/relation_drop.h"

#include <optional>

#include "access/transam/pending_deletes.h"
#include "backend/catalog/catalog_lookup.h"
#include "backend/catalog/catalog_write.h"
#include "backend/catalog/constraint_rows.h"
#include "backend/catalog/dependency.h"
#include "backend/catalog/object_address_internal.h"
#include "backend/utils/error/error.h"
#include "backend/utils/error/format.h"
#include "backend/utils/error/sqlstate.h"
#include "backend/utils/init/session_globals.h"

namespace keel::catalog {
namespace {

using internal::Cat;

constexpr uint32_t kAttributeRelidAttnumIndex = 2659;
constexpr uint32_t kIndexIndexrelidIndex = 2679;

bool HasStorage(char relkind) {
  return relkind == 'r' || relkind == 'i' || relkind == 't' || relkind == 'm' || relkind == 'S';
}

void DropRelationObject(const ObjectAddress& object, int /*flags*/) {
  if (object.objsubid != 0) {
    // A column dropped on its own (ALTER TABLE ... DROP COLUMN, or a column whose type is
    // dropped with CASCADE) needs attisdropped handling: not written yet.
    throw Error(sqlstate::kFeatureNotSupported, "dropping a single column is not supported yet");
  }
  HeapDropWithCatalog(object.objid);
}

void DropTypeObject(const ObjectAddress& object, int /*flags*/) { RemoveTypeById(object.objid); }
void DropConstraintObject(const ObjectAddress& object, int /*flags*/) {
  RemoveConstraintById(object.objid);
}
void DropAttrDefaultObject(const ObjectAddress& object, int /*flags*/) {
  RemoveAttrDefaultById(object.objid);
}

}  // namespace

void RegisterRelationDroppers() {
  RegisterObjectDropper(Oid(catalog_oid::kPgClass), &DropRelationObject);
  RegisterObjectDropper(Oid(catalog_oid::kPgType), &DropTypeObject);
  RegisterObjectDropper(Oid(catalog_oid::kPgConstraint), &DropConstraintObject);
  RegisterObjectDropper(Oid(catalog_oid::kPgAttrdef), &DropAttrDefaultObject);
}

void HeapDropWithCatalog(Oid relid) {
  internal::LockCatalog(catalog_oid::kPgClass);
  internal::LockCatalog(catalog_oid::kPgAttribute);
  const CatalogRelation& pc = Cat(catalog_oid::kPgClass);
  std::optional<access::HeapTuple> row = internal::RowByOid(catalog_oid::kPgClass, relid);
  if (!row) {
    throw Error(sqlstate::kInternalError,
                Format("cache lookup failed for relation %u", relid.value()));
  }
  const char relkind = CatalogGetChar(pc, *row, "relkind");
  const Oid stored_spc(CatalogGetOid(pc, *row, "reltablespace"));
  const Oid relfilenode(CatalogGetOid(pc, *row, "relfilenode"));
  if (relkind == 'i') {
    internal::LockCatalog(catalog_oid::kPgIndex);
    const access::Datum keys[] = {access::ObjectIdGetDatum(relid)};
    for (const access::HeapTuple& r :
         internal::RowsByKey(catalog_oid::kPgIndex, kIndexIndexrelidIndex, keys)) {
      CatalogDelete(Cat(catalog_oid::kPgIndex), r.self);
    }
  }
  const access::Datum keys[] = {access::ObjectIdGetDatum(relid)};
  for (const access::HeapTuple& r :
       internal::RowsByKey(catalog_oid::kPgAttribute, kAttributeRelidAttnumIndex, keys)) {
    CatalogDelete(Cat(catalog_oid::kPgAttribute), r.self);
  }
  CatalogDelete(pc, row->self);
  if (HasStorage(relkind) && relfilenode != kInvalidOid) {
    const Oid spc = stored_spc != kInvalidOid ? stored_spc : MyDatabaseTableSpace();
    transam::RelationDropStorage(RelFileLocator{spc, MyDatabaseId(), relfilenode});  // T17
  }
}

void RemoveTypeById(Oid typid) {
  internal::LockCatalog(catalog_oid::kPgType);
  std::optional<access::HeapTuple> row = internal::RowByOid(catalog_oid::kPgType, typid);
  if (!row) {
    throw Error(sqlstate::kInternalError, Format("cache lookup failed for type %u", typid.value()));
  }
  CatalogDelete(Cat(catalog_oid::kPgType), row->self);
}

}  // namespace keel::catalog
