// pg_constraint / pg_attrdef rows; see constraint_rows.h and README.md (T7-T10).
#include "backend/catalog/constraint_rows.h"

#include <optional>

#include "access/common/varlena.h"
#include "backend/catalog/catalog_lookup.h"
#include "backend/catalog/catalog_values.h"
#include "backend/catalog/catalog_write.h"
#include "backend/catalog/dependency.h"
#include "backend/catalog/new_oid.h"
#include "backend/catalog/object_address.h"
#include "backend/catalog/object_address_internal.h"
#include "backend/utils/error/error.h"
#include "backend/utils/error/format.h"
#include "backend/utils/error/sqlstate.h"

namespace keel::catalog {
namespace {

using internal::Cat;

constexpr uint32_t kConstraintRelidTypidNameIndex = 2665;
constexpr uint32_t kAttributeRelidAttnumIndex = 2659;

std::vector<uint32_t> OidValues(const std::vector<Oid>& v) {
  std::vector<uint32_t> out;
  out.reserve(v.size());
  for (Oid o : v) out.push_back(o.value());
  return out;
}

// Adds `delta` to relchecks, or sets atthasdef of (relid, attnum); a vanished row is fine
// (the relation is being dropped in this command chain).
void AdjustRelchecks(Oid relid, int delta) {
  const CatalogRelation& pc = Cat(catalog_oid::kPgClass);
  std::optional<access::HeapTuple> row = internal::RowByOid(catalog_oid::kPgClass, relid);
  if (!row) return;
  const int64_t checks = CatalogGetInt(pc, *row, "relchecks") + delta;
  CatalogRowBuilder b(*pc.def, pc.desc);
  b.From(*row).Int2("relchecks", static_cast<int16_t>(checks < 0 ? 0 : checks));
  (void)CatalogUpdate(pc, row->self, b);
}

void SetHasDefault(Oid relid, int16_t attnum, bool value) {
  const CatalogRelation& att = Cat(catalog_oid::kPgAttribute);
  const access::Datum keys[] = {access::ObjectIdGetDatum(relid), access::Int16GetDatum(attnum)};
  for (const access::HeapTuple& row :
       internal::RowsByKey(catalog_oid::kPgAttribute, kAttributeRelidAttnumIndex, keys)) {
    CatalogRowBuilder b(*att.def, att.desc);
    b.From(row).Bool("atthasdef", value);
    (void)CatalogUpdate(att, row.self, b);
  }
}

}  // namespace

Oid CreateConstraintEntry(const NewConstraint& c) {
  internal::LockCatalog(catalog_oid::kPgConstraint);
  const CatalogRelation& con = Cat(catalog_oid::kPgConstraint);
  const Oid oid = GetNewOidWithIndex(con);
  CatalogRowBuilder b(*con.def, con.desc);
  b.Oid("oid", oid.value()).Name("conname", c.name).Oid("connamespace", c.namespace_oid.value())
      .Char("contype", c.type).Bool("condeferrable", c.deferrable)
      .Bool("condeferred", c.deferred).Bool("convalidated", c.validated)
      .Oid("conrelid", c.relid.value()).Oid("contypid", 0).Oid("conindid", c.index.value())
      .Oid("conparentid", 0).Oid("confrelid", c.foreign_relid.value())
      .Char("confupdtype", c.update_action).Char("confdeltype", c.delete_action)
      .Char("confmatchtype", c.match_type).Bool("conislocal", true).Int4("coninhcount", 0)
      .Bool("connoinherit", c.no_inherit);
  if (!c.keys.empty()) b.Bytes("conkey", MakeInt2Array(c.keys, false));
  if (c.type == contype::kForeign) {
    b.Bytes("confkey", MakeInt2Array(c.foreign_keys, false));
    b.Bytes("conpfeqop", MakeOidArray(OidValues(c.pf_eq_ops), false));
    b.Bytes("conppeqop", MakeOidArray(OidValues(c.pp_eq_ops), false));
    b.Bytes("conffeqop", MakeOidArray(OidValues(c.ff_eq_ops), false));
  }
  if (!c.expr.empty()) b.Bytes("conbin", access::MakeVarlena(std::string_view(c.expr)));
  (void)CatalogInsert(con, b);

  const ObjectAddress self = MakeObjectAddress(catalog_oid::kPgConstraint, oid);
  if (c.keys.empty()) {
    RecordDependencyOn(self, MakeObjectAddress(catalog_oid::kPgClass, c.relid),
                       DependencyType::kAuto);
  } else {
    for (int16_t k : c.keys) {
      RecordDependencyOn(self, MakeObjectAddress(catalog_oid::kPgClass, c.relid, k),
                         DependencyType::kAuto);
    }
  }
  if (c.type == contype::kForeign) {
    for (int16_t k : c.foreign_keys) {
      RecordDependencyOn(self, MakeObjectAddress(catalog_oid::kPgClass, c.foreign_relid, k),
                         DependencyType::kNormal);
    }
    if (c.index != kInvalidOid) {
      RecordDependencyOn(self, MakeObjectAddress(catalog_oid::kPgClass, c.index),
                         DependencyType::kNormal);
    }
    for (const std::vector<Oid>* ops : {&c.pf_eq_ops, &c.pp_eq_ops, &c.ff_eq_ops}) {
      for (Oid op : *ops) {
        RecordDependencyOn(self, MakeObjectAddress(catalog_oid::kPgOperator, op),
                           DependencyType::kNormal);
      }
    }
  }
  if (c.type == contype::kCheck) AdjustRelchecks(c.relid, 1);
  return oid;
}

Oid StoreAttrDefault(Oid relid, int16_t attnum, const std::string& expr) {
  internal::LockCatalog(catalog_oid::kPgAttrdef);
  const CatalogRelation& ad = Cat(catalog_oid::kPgAttrdef);
  const Oid oid = GetNewOidWithIndex(ad);
  CatalogRowBuilder b(*ad.def, ad.desc);
  b.Oid("oid", oid.value()).Oid("adrelid", relid.value()).Int2("adnum", attnum)
      .Bytes("adbin", access::MakeVarlena(std::string_view(expr)));
  (void)CatalogInsert(ad, b);
  RecordDependencyOn(MakeObjectAddress(catalog_oid::kPgAttrdef, oid),
                     MakeObjectAddress(catalog_oid::kPgClass, relid, attnum),
                     DependencyType::kAuto);
  SetHasDefault(relid, attnum, true);
  return oid;
}

bool ConstraintNameExistsOnRelation(Oid relid, const std::string& name) {
  const internal::NameKey key(name);
  const access::Datum keys[] = {access::ObjectIdGetDatum(relid),
                                access::ObjectIdGetDatum(kInvalidOid), key.datum()};
  return !internal::RowsByKey(catalog_oid::kPgConstraint, kConstraintRelidTypidNameIndex, keys)
              .empty();
}

void RemoveConstraintById(Oid conid) {
  internal::LockCatalog(catalog_oid::kPgConstraint);
  const CatalogRelation& con = Cat(catalog_oid::kPgConstraint);
  std::optional<access::HeapTuple> row = internal::RowByOid(catalog_oid::kPgConstraint, conid);
  if (!row) {
    throw Error(sqlstate::kInternalError,
                Format("cache lookup failed for constraint %u", conid.value()));
  }
  const Oid relid(CatalogGetOid(con, *row, "conrelid"));
  const char type = CatalogGetChar(con, *row, "contype");
  CatalogDelete(con, row->self);
  if (type == contype::kCheck && relid != kInvalidOid) AdjustRelchecks(relid, -1);
}

void RemoveAttrDefaultById(Oid attrdef) {
  internal::LockCatalog(catalog_oid::kPgAttrdef);
  const CatalogRelation& ad = Cat(catalog_oid::kPgAttrdef);
  std::optional<access::HeapTuple> row = internal::RowByOid(catalog_oid::kPgAttrdef, attrdef);
  if (!row) {
    throw Error(sqlstate::kInternalError,
                Format("could not find attrdef tuple for attrdef %u", attrdef.value()));
  }
  const Oid relid(CatalogGetOid(ad, *row, "adrelid"));
  const auto attnum = static_cast<int16_t>(CatalogGetInt(ad, *row, "adnum"));
  CatalogDelete(ad, row->self);
  SetHasDefault(relid, attnum, false);
}

}  // namespace keel::catalog
