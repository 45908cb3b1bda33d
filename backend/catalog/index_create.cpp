// index_create / index_build / reindex_index; see index_create.h and README.md (T11-T16).
#include "backend/catalog/index_create.h"

#include <algorithm>
#include <optional>

#include "access/common/tuple_desc.h"
#include "access/index/index_build.h"
#include "access/index/indexam.h"
#include "access/transam/pending_deletes.h"
#include "access/transam/snapshot.h"
#include "access/transam/xact.h"
#include "backend/catalog/builtin_opclasses.h"
#include "backend/catalog/catalog_lookup.h"
#include "backend/catalog/catalog_values.h"
#include "backend/catalog/catalog_write.h"
#include "backend/catalog/constraint_rows.h"
#include "backend/catalog/dependency.h"
#include "backend/catalog/heap_create.h"
#include "backend/catalog/namespace.h"
#include "backend/catalog/new_oid.h"
#include "backend/catalog/object_address.h"
#include "backend/catalog/object_address_internal.h"
#include "backend/utils/cache/relcache.h"
#include "backend/utils/error/error.h"
#include "backend/utils/error/format.h"
#include "backend/utils/error/sqlstate.h"
#include "backend/utils/init/session_globals.h"

namespace keel::catalog {
namespace {

using internal::Cat;

constexpr uint32_t kIndexIndrelidIndex = 2678;

// The caller holds the relation's lock already.
cache::RelationRef OpenOrThrow(Oid relid) { return cache::RelationOpen(relid, storage::LockMode::kNoLock); }

// GetDefaultOpClass for btree: the type's default class, or one for a type it is binary
// coercible to (varchar -> text_ops, as PostgreSQL finds it).
Oid DefaultOpclass(Oid type, Oid am) {
  uint32_t opclass = DefaultBtreeOpclass(type.value());
  if (opclass == 0 && type.value() == access::type_oid::kVarchar) {
    opclass = DefaultBtreeOpclass(access::type_oid::kText);
  }
  if (am != Oid(403) || opclass == 0) {
    const std::optional<std::string> amname = internal::NameByOid(catalog_oid::kPgAm, am, "amname");
    throw Error(sqlstate::kUndefinedObject,
                Format("data type %s has no default operator class for access method \"%s\"",
                       FormatTypeName(type).c_str(), amname.value_or("?").c_str()))
        .WithHint("You must specify an operator class for the index or define a default "
                  "operator class for the data type.");
  }
  return Oid(opclass);
}

void InsertIndexRow(Oid index_oid, const NewIndex& ix, const std::vector<uint32_t>& collations,
                    const std::vector<uint32_t>& opclasses) {
  const CatalogRelation& pi = Cat(catalog_oid::kPgIndex);
  std::vector<int16_t> options = ix.options;
  options.resize(static_cast<size_t>(ix.nkeyatts), 0);
  CatalogRowBuilder b(*pi.def, pi.desc);
  b.Oid("indexrelid", index_oid.value()).Oid("indrelid", ix.heap.value())
      .Int2("indnatts", static_cast<int16_t>(ix.attnums.size()))
      .Int2("indnkeyatts", static_cast<int16_t>(ix.nkeyatts)).Bool("indisunique", ix.unique)
      .Bool("indnullsnotdistinct", false).Bool("indisprimary", ix.primary)
      .Bool("indisexclusion", false).Bool("indimmediate", !ix.deferrable)
      .Bool("indisclustered", false).Bool("indisvalid", true).Bool("indcheckxmin", false)
      .Bool("indisready", true).Bool("indislive", true).Bool("indisreplident", false)
      .Bytes("indkey", MakeInt2Array(ix.attnums, true))
      .Bytes("indcollation", MakeOidArray(collations, true))
      .Bytes("indclass", MakeOidArray(opclasses, true))
      .Bytes("indoption", MakeInt2Array(options, true));
  (void)CatalogInsert(pi, b);
}

void InsertIndexClassRow(Oid index_oid, const NewIndex& ix, const cache::RelationData& heap) {
  const CatalogRelation& pc = Cat(catalog_oid::kPgClass);
  CatalogRowBuilder b(*pc.def, pc.desc);
  b.Oid("oid", index_oid.value()).Name("relname", ix.name)
      .Oid("relnamespace", heap.namespace_oid.value()).Oid("reltype", 0).Oid("reloftype", 0)
      .Oid("relowner", heap.owner.value()).Oid("relam", ix.am.value())
      .Oid("relfilenode", index_oid.value()).Oid("reltablespace", heap.tablespace.value())
      .Int4("relpages", 0).Float4("reltuples", -1).Int4("relallvisible", 0)
      .Oid("reltoastrelid", 0).Bool("relhasindex", false).Bool("relisshared", false)
      .Char("relpersistence", heap.persistence).Char("relkind", 'i')
      .Int2("relnatts", static_cast<int16_t>(ix.attnums.size())).Int2("relchecks", 0)
      .Bool("relhasrules", false).Bool("relhastriggers", false).Bool("relhassubclass", false)
      .Bool("relrowsecurity", false).Bool("relforcerowsecurity", false)
      .Bool("relispopulated", true).Char("relreplident", 'n').Bool("relispartition", false)
      .Oid("relrewrite", 0).Oid("relfrozenxid", 0).Oid("relminmxid", 0);
  (void)CatalogInsert(pc, b);
}

// index_update_stats: relhasindex on the table, relpages / reltuples of the index.
void UpdateStats(Oid heap, Oid index, double index_tuples) {
  const CatalogRelation& pc = Cat(catalog_oid::kPgClass);
  std::optional<access::HeapTuple> h = internal::RowByOid(catalog_oid::kPgClass, heap);
  if (h && !CatalogGetBool(pc, *h, "relhasindex")) {
    CatalogRowBuilder b(*pc.def, pc.desc);
    b.From(*h).Bool("relhasindex", true);
    (void)CatalogUpdate(pc, h->self, b);
  }
  std::optional<access::HeapTuple> i = internal::RowByOid(catalog_oid::kPgClass, index);
  if (i) {
    CatalogRowBuilder b(*pc.def, pc.desc);
    b.From(*i).Float4("reltuples", static_cast<float>(index_tuples));
    (void)CatalogUpdate(pc, i->self, b);
  }
}

double BuildFromTable(Oid heap_oid, Oid index_oid) {
  const cache::RelationRef heap = OpenOrThrow(heap_oid);
  const cache::RelationRef index = OpenOrThrow(index_oid);
  if (!index->IsIndex()) {
    throw Error(sqlstate::kWrongObjectType, Format("\"%s\" is not an index", index->name.c_str()));
  }
  const access::IndexInfo info = access::MakeIndexInfo(index->index);
  // index_build.h's departure: the snapshot sees every committed row and this transaction's;
  // ShareLock keeps writers out while we read.
  const transam::Snapshot snapshot = transam::GetLatestSnapshot();
  access::TableIndexBuildSource source(heap->rel, info, snapshot);
  const access::IndexBuildResult r =
      access::IndexAmOf(index->index).Build(heap->rel, index->index, info, source);
  return r.index_tuples;
}

}  // namespace

CreatedIndex IndexCreate(const NewIndex& ix) {
  internal::LockCatalog(catalog_oid::kPgClass);
  internal::LockCatalog(catalog_oid::kPgAttribute);
  internal::LockCatalog(catalog_oid::kPgIndex);
  const cache::RelationRef heap = OpenOrThrow(ix.heap);
  if (GetRelnameRelid(ix.name, heap->namespace_oid) != kInvalidOid) {
    throw Error(sqlstate::kDuplicateTable, Format("relation \"%s\" already exists", ix.name.c_str()));
  }
  std::vector<uint32_t> collations;
  std::vector<uint32_t> opclasses;
  std::vector<NewColumn> columns;
  for (size_t i = 0; i < ix.attnums.size(); ++i) {
    const int16_t attnum = ix.attnums[i];
    KEEL_ASSERT(attnum >= 1 && attnum <= heap->desc.natts());
    const access::Attribute& a = heap->desc.attr(attnum - 1);
    const cache::AttributeInfo& info = heap->attrs[static_cast<size_t>(attnum - 1)];
    NewColumn c;
    c.name = a.name;
    c.type = a.type_id;
    c.typmod = a.atttypmod;
    c.ndims = info.ndims;
    if (static_cast<int>(i) < ix.nkeyatts) {
      c.collation = info.collation;
      collations.push_back(info.collation.value());
      opclasses.push_back(DefaultOpclass(c.type, ix.am).value());
    }
    columns.push_back(std::move(c));
  }

  const Oid db = MyDatabaseId();
  const Oid spc = heap->tablespace != kInvalidOid ? heap->tablespace : MyDatabaseTableSpace();
  const Oid index_oid = GetNewRelFileNumber(spc, db);
  InsertIndexClassRow(index_oid, ix, *heap);
  int16_t attnum = 0;
  for (NewColumn& c : columns) {
    if (c.collation == kInvalidOid) c.collation = Oid(0);
    InsertColumnRow(index_oid, ++attnum, c);
  }
  InsertIndexRow(index_oid, ix, collations, opclasses);

  // T12: a constraint index is part of its constraint; a plain one goes with its columns.
  CreatedIndex out{index_oid, kInvalidOid};
  const ObjectAddress self = MakeObjectAddress(catalog_oid::kPgClass, index_oid);
  if (ix.constraint_type != 0) {
    NewConstraint c;
    c.name = ix.name;
    c.namespace_oid = heap->namespace_oid;
    c.type = ix.constraint_type;
    c.deferrable = ix.deferrable;
    c.deferred = ix.deferred;
    c.relid = ix.heap;
    c.keys.assign(ix.attnums.begin(), ix.attnums.begin() + ix.nkeyatts);
    c.index = index_oid;
    c.no_inherit = true;  // PRIMARY KEY / UNIQUE: connoinherit as PostgreSQL 15 stores it
    out.constraint = CreateConstraintEntry(c);
    RecordDependencyOn(self, MakeObjectAddress(catalog_oid::kPgConstraint, out.constraint),
                       DependencyType::kInternal);
  } else {
    for (int16_t k : ix.attnums) {
      RecordDependencyOn(self, MakeObjectAddress(catalog_oid::kPgClass, ix.heap, k),
                         DependencyType::kAuto);
    }
  }
  for (size_t i = 0; i < opclasses.size(); ++i) {
    RecordDependencyOn(self, MakeObjectAddress(catalog_oid::kPgOpclass, Oid(opclasses[i])),
                       DependencyType::kNormal);
    if (collations[i] != 0 && collations[i] != kDefaultCollation) {
      RecordDependencyOn(self, MakeObjectAddress(catalog_oid::kPgCollation, Oid(collations[i])),
                         DependencyType::kNormal);
    }
  }
  transam::CommandCounterIncrement();  // the relation cache can open the index now

  // T13: the file follows the transaction; the AM fills it.
  transam::RelationCreateStorage(RelFileLocator{spc, db, index_oid},
                                 static_cast<transam::RelPersistence>(heap->persistence));
  const double tuples = BuildFromTable(ix.heap, index_oid);
  UpdateStats(ix.heap, index_oid, tuples);
  transam::CommandCounterIncrement();
  return out;
}

void IndexBuild(Oid heap, Oid index) {
  const double tuples = BuildFromTable(heap, index);
  internal::LockCatalog(catalog_oid::kPgClass);
  UpdateStats(heap, index, tuples);
  transam::CommandCounterIncrement();
}

void ReindexIndex(Oid index) {
  const Oid heap = IndexGetRelation(index);
  if (heap == kInvalidOid) {
    throw Error(sqlstate::kInternalError,
                Format("cache lookup failed for index %u", index.value()));
  }
  (void)RelationSetNewRelfilenumber(index);
  IndexBuild(heap, index);
}

std::vector<Oid> RelationIndexOids(Oid heap) {
  const CatalogRelation& pi = Cat(catalog_oid::kPgIndex);
  const access::Datum keys[] = {access::ObjectIdGetDatum(heap)};
  std::vector<Oid> out;
  for (const access::HeapTuple& row :
       internal::RowsByKey(catalog_oid::kPgIndex, kIndexIndrelidIndex, keys)) {
    if (CatalogGetBool(pi, row, "indislive")) out.emplace_back(CatalogGetOid(pi, row, "indexrelid"));
  }
  std::sort(out.begin(), out.end());
  return out;
}

Oid IndexGetRelation(Oid index) {
  const CatalogRelation& pi = Cat(catalog_oid::kPgIndex);
  const access::Datum keys[] = {access::ObjectIdGetDatum(index)};
  for (const access::HeapTuple& row : internal::RowsByKey(catalog_oid::kPgIndex, 2679, keys)) {
    return Oid(CatalogGetOid(pi, row, "indrelid"));
  }
  return kInvalidOid;
}

}  // namespace keel::catalog
