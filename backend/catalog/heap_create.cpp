// heap_create_with_catalog and new relfilenumbers; see heap_create.h and README.md
// ("Relations", T1-T6).
#include "backend/catalog/heap_create.h"

#include <algorithm>
#include <optional>

#include "access/transam/pending_deletes.h"
#include "access/transam/xact.h"
#include "backend/catalog/catalog_lookup.h"
#include "backend/catalog/catalog_values.h"
#include "backend/catalog/catalog_write.h"
#include "backend/catalog/dependency.h"
#include "backend/catalog/namespace.h"
#include "backend/catalog/new_oid.h"
#include "backend/catalog/object_address.h"
#include "backend/catalog/object_address_internal.h"
#include "backend/catalog/object_names.h"
#include "backend/utils/cache/inval.h"
#include "backend/utils/error/error.h"
#include "backend/utils/error/format.h"
#include "backend/utils/error/sqlstate.h"
#include "backend/utils/init/session_globals.h"

namespace keel::catalog {
namespace {

using internal::Cat;
using internal::RowByOid;

constexpr uint32_t kAttributeRelidAttnumIndex = 2659;
constexpr uint32_t kTypeNameNspIndex = 2704;
// The catalog row type / array type the bootstrap made for pg_class (C9, C10): every new
// relation's row type copies their I/O functions and layout (record_in ..., array_in ...).
constexpr uint32_t kPgClassRowType = 83;
constexpr uint32_t kPgClassArrayType = 273;

access::HeapTuple RequireRow(uint32_t catalog, Oid oid, const char* what) {
  std::optional<access::HeapTuple> row = RowByOid(catalog, oid);
  if (!row) {
    throw Error(sqlstate::kInternalError, Format("cache lookup failed for %s %u", what, oid.value()));
  }
  return std::move(*row);
}

void CheckColumns(const NewRelation& rel) {
  if (static_cast<int>(rel.columns.size()) > kMaxHeapAttributeNumber) {
    throw Error(sqlstate::kTooManyColumns,
                Format("tables can have at most %d columns", kMaxHeapAttributeNumber));
  }
  static constexpr const char* kSystemNames[] = {"ctid", "xmin", "cmin", "xmax", "cmax", "tableoid"};
  for (size_t i = 0; i < rel.columns.size(); ++i) {
    const NewColumn& c = rel.columns[i];
    for (const char* s : kSystemNames) {
      if (c.name == s) {
        throw Error(sqlstate::kDuplicateColumn,
                    Format("column name \"%s\" conflicts with a system column name", c.name.c_str()));
      }
    }
    for (size_t j = 0; j < i; ++j) {
      if (rel.columns[j].name == c.name) {
        throw Error(sqlstate::kDuplicateColumn,
                    Format("column \"%s\" specified more than once", c.name.c_str()));
      }
    }
    const access::HeapTuple t = RequireRow(catalog_oid::kPgType, c.type, "type");
    if (CatalogGetChar(Cat(catalog_oid::kPgType), t, "typtype") == 'p') {
      throw Error(sqlstate::kInvalidTableDefinition,
                  Format("column \"%s\" has pseudo-type %s", c.name.c_str(),
                         FormatTypeName(c.type).c_str()));
    }
  }
}

void CheckNameFree(const NewRelation& rel) {
  if (GetRelnameRelid(rel.name, rel.namespace_oid) != kInvalidOid) {
    throw Error(sqlstate::kDuplicateTable,
                Format("relation \"%s\" already exists", rel.name.c_str()));
  }
  const internal::NameKey key(rel.name);
  const access::Datum keys[] = {key.datum(), access::ObjectIdGetDatum(rel.namespace_oid)};
  if (!internal::RowsByKey(catalog_oid::kPgType, kTypeNameNspIndex, keys).empty()) {
    throw Error(sqlstate::kDuplicateObject,
                Format("type \"%s\" already exists", rel.name.c_str()))
        .WithHint("A relation has an associated type of the same name, so you must use a name "
                  "that doesn't conflict with any existing type.");
  }
}

void InsertClassRow(Oid relid, Oid relfilenode, Oid reltype, const NewRelation& rel) {
  const CatalogRelation& pc = Cat(catalog_oid::kPgClass);
  CatalogRowBuilder b(*pc.def, pc.desc);
  b.Oid("oid", relid.value()).Name("relname", rel.name)
      .Oid("relnamespace", rel.namespace_oid.value()).Oid("reltype", reltype.value())
      .Oid("reloftype", 0).Oid("relowner", rel.owner.value()).Oid("relam", rel.am.value())
      .Oid("relfilenode", relfilenode.value()).Oid("reltablespace", 0).Int4("relpages", 0)
      .Float4("reltuples", -1).Int4("relallvisible", 0).Oid("reltoastrelid", 0)
      .Bool("relhasindex", false).Bool("relisshared", false)
      .Char("relpersistence", rel.persistence).Char("relkind", rel.kind)
      .Int2("relnatts", static_cast<int16_t>(rel.columns.size())).Int2("relchecks", 0)
      .Bool("relhasrules", false).Bool("relhastriggers", false).Bool("relhassubclass", false)
      .Bool("relrowsecurity", false).Bool("relforcerowsecurity", false)
      .Bool("relispopulated", true).Char("relreplident", 'd').Bool("relispartition", false)
      .Oid("relrewrite", 0).Oid("relfrozenxid", 0).Oid("relminmxid", 0);
  (void)CatalogInsert(pc, b);
}

// T2: the six system columns, as the bootstrap wrote them for pg_class (C16), re-pointed.
void InsertSystemColumnRows(Oid relid) {
  const CatalogRelation& att = Cat(catalog_oid::kPgAttribute);
  for (int16_t attnum = -1; attnum >= -6; --attnum) {
    const access::Datum keys[] = {access::ObjectIdGetDatum(Oid(catalog_oid::kPgClass)),
                                  access::Int16GetDatum(attnum)};
    std::vector<access::HeapTuple> proto =
        internal::RowsByKey(catalog_oid::kPgAttribute, kAttributeRelidAttnumIndex, keys);
    if (proto.size() != 1) {
      throw Error(sqlstate::kInternalError,
                  Format("cache lookup failed for attribute %d of relation %u", attnum,
                         catalog_oid::kPgClass));
    }
    CatalogRowBuilder b(*att.def, att.desc);
    b.From(proto[0]).Oid("attrelid", relid.value());
    (void)CatalogInsert(att, b);
  }
}

// T3: the composite row type and its array type, copied from pg_class's (same I/O functions).
Oid InsertRowTypes(Oid relid, const NewRelation& rel) {
  const CatalogRelation& ty = Cat(catalog_oid::kPgType);
  const Oid row_type = GetNewOidWithIndex(ty);
  Oid array_type = GetNewOidWithIndex(ty);
  if (array_type == row_type) array_type = Oid(row_type.value() + 1);  // same command: unseen
  const std::string array_name = MakeArrayTypeName(rel.name, rel.namespace_oid);

  const access::HeapTuple proto = RequireRow(catalog_oid::kPgType, Oid(kPgClassRowType), "type");
  CatalogRowBuilder b(*ty.def, ty.desc);
  b.From(proto).Oid("oid", row_type.value()).Name("typname", rel.name)
      .Oid("typnamespace", rel.namespace_oid.value()).Oid("typowner", rel.owner.value())
      .Oid("typrelid", relid.value()).Oid("typarray", array_type.value());
  (void)CatalogInsert(ty, b);

  const access::HeapTuple aproto =
      RequireRow(catalog_oid::kPgType, Oid(kPgClassArrayType), "type");
  CatalogRowBuilder a(*ty.def, ty.desc);
  a.From(aproto).Oid("oid", array_type.value()).Name("typname", array_name)
      .Oid("typnamespace", rel.namespace_oid.value()).Oid("typowner", rel.owner.value())
      .Oid("typelem", row_type.value());
  (void)CatalogInsert(ty, a);

  // GenerateTypeDependencies: a relation's row type is part of the relation, the implicit array
  // type part of its element type; neither depends on the namespace or an owner itself.
  RecordDependencyOn(MakeObjectAddress(catalog_oid::kPgType, row_type),
                     MakeObjectAddress(catalog_oid::kPgClass, relid), DependencyType::kInternal);
  RecordDependencyOn(MakeObjectAddress(catalog_oid::kPgType, array_type),
                     MakeObjectAddress(catalog_oid::kPgType, row_type), DependencyType::kInternal);
  return row_type;
}

}  // namespace

void InsertColumnRow(Oid relid, int16_t attnum, const NewColumn& column) {
  const access::HeapTuple t = RequireRow(catalog_oid::kPgType, column.type, "type");
  const CatalogRelation& ty = Cat(catalog_oid::kPgType);
  const CatalogRelation& att = Cat(catalog_oid::kPgAttribute);
  const Oid collation = column.collation != kInvalidOid
                            ? column.collation
                            : Oid(CatalogGetOid(ty, t, "typcollation"));
  CatalogRowBuilder b(*att.def, att.desc);
  b.Oid("attrelid", relid.value()).Name("attname", column.name)
      .Oid("atttypid", column.type.value()).Int4("attstattarget", -1)
      .Int2("attlen", static_cast<int16_t>(CatalogGetInt(ty, t, "typlen")))
      .Int2("attnum", attnum).Int4("attndims", column.ndims).Int4("attcacheoff", -1)
      .Int4("atttypmod", column.typmod).Bool("attbyval", CatalogGetBool(ty, t, "typbyval"))
      .Char("attalign", CatalogGetChar(ty, t, "typalign"))
      .Char("attstorage", CatalogGetChar(ty, t, "typstorage")).Char("attcompression", '\0')
      .Bool("attnotnull", column.not_null).Bool("atthasdef", column.has_default)
      .Bool("atthasmissing", false).Char("attidentity", '\0').Char("attgenerated", '\0')
      .Bool("attisdropped", false).Bool("attislocal", true).Int4("attinhcount", 0)
      .Oid("attcollation", collation.value());
  (void)CatalogInsert(att, b);
}

Oid HeapCreateWithCatalog(const NewRelation& rel) {
  internal::LockCatalog(catalog_oid::kPgClass);
  internal::LockCatalog(catalog_oid::kPgAttribute);
  internal::LockCatalog(catalog_oid::kPgType);
  CheckNameFree(rel);
  CheckColumns(rel);

  const Oid db = MyDatabaseId();
  const Oid spc = MyDatabaseTableSpace();
  // T1: PostgreSQL's choice for a new relation: relfilenode = oid, both from one number that
  // is neither a pg_class oid nor an existing file.
  const Oid relid = GetNewRelFileNumber(spc, db);
  const Oid reltype = InsertRowTypes(relid, rel);
  InsertClassRow(relid, relid, reltype, rel);
  int16_t attnum = 0;
  for (const NewColumn& c : rel.columns) InsertColumnRow(relid, ++attnum, c);
  InsertSystemColumnRows(relid);

  // T4: relation -> namespace (normal), columns -> their types (normal; built-in ones are
  // pinned and get no row, D1), the owner in pg_shdepend.
  const ObjectAddress self = MakeObjectAddress(catalog_oid::kPgClass, relid);
  RecordDependencyOn(self, MakeObjectAddress(catalog_oid::kPgNamespace, rel.namespace_oid),
                     DependencyType::kNormal);
  RecordDependencyOn(self, MakeObjectAddress(catalog_oid::kPgAm, rel.am), DependencyType::kNormal);
  attnum = 0;
  for (const NewColumn& c : rel.columns) {
    ++attnum;
    RecordDependencyOn(MakeObjectAddress(catalog_oid::kPgClass, relid, attnum),
                       MakeObjectAddress(catalog_oid::kPgType, c.type), DependencyType::kNormal);
    if (c.collation != kInvalidOid) {
      RecordDependencyOn(MakeObjectAddress(catalog_oid::kPgClass, relid, attnum),
                         MakeObjectAddress(catalog_oid::kPgCollation, c.collation),
                         DependencyType::kNormal);
    }
  }
  RecordDependencyOnOwner(Oid(catalog_oid::kPgClass), relid, rel.owner);

  // T5: the file follows the transaction (an abort removes it).
  transam::RelationCreateStorage(RelFileLocator{spc, db, relid},
                                 static_cast<transam::RelPersistence>(rel.persistence));
  transam::CommandCounterIncrement();
  return relid;
}

Oid RelationSetNewRelfilenumber(Oid relid) {
  internal::LockCatalog(catalog_oid::kPgClass);
  const CatalogRelation& pc = Cat(catalog_oid::kPgClass);
  const access::HeapTuple row = RequireRow(catalog_oid::kPgClass, relid, "relation");
  const Oid db = MyDatabaseId();
  const Oid stored_spc(CatalogGetOid(pc, row, "reltablespace"));
  const Oid spc = stored_spc != kInvalidOid ? stored_spc : MyDatabaseTableSpace();
  const Oid old_file(CatalogGetOid(pc, row, "relfilenode"));
  const char persistence = CatalogGetChar(pc, row, "relpersistence");
  const Oid new_file = GetNewRelFileNumber(spc, db);
  transam::RelationCreateStorage(RelFileLocator{spc, db, new_file},
                                 static_cast<transam::RelPersistence>(persistence));
  transam::RelationDropStorage(RelFileLocator{spc, db, old_file});
  CatalogRowBuilder b(*pc.def, pc.desc);
  b.From(row).Oid("relfilenode", new_file.value()).Int4("relpages", 0).Int4("relallvisible", 0)
      .Float4("reltuples", CatalogGetChar(pc, row, "relkind") == 'i' ? 0.0f : -1.0f);
  (void)CatalogUpdate(pc, row.self, b);
  // Other backends close their descriptors of the old file (the relcache message from the
  // pg_class update makes them rebuild the locator).
  cache::CacheInvalidateSmgr(RelFileLocator{spc, db, old_file});
  transam::CommandCounterIncrement();
  return new_file;
}

}  // namespace keel::catalog
